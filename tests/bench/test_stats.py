import math

import numpy as np
import pytest

from bench.stats import percentile, ratio, summarize


@pytest.mark.parametrize("q", [0, 25, 50, 95, 99, 100])
def test_percentile_matches_numpy_linear_interpolation(q):
    values = [12.0, 3.5, 7.25, 100.0, 0.5, 42.0, 8.0]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_nothing_is_nan_and_q_is_checked():
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summarize_gives_rounded_percentiles_and_counts():
    s = summarize([float(i) for i in range(1, 101)])
    assert s["n"] == 100 and s["p50"] == 50.5 and s["p95"] == 95.05 and s["min"] == 1.0 and s["max"] == 100.0
    assert summarize([]) == {"n": 0}


def test_ratio_guards_missing_and_zero():
    assert ratio(30.0, 15.0) == 2.0
    assert ratio(None, 1.0) is None and ratio(1.0, 0.0) is None
