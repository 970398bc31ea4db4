from bench.targets import evaluate, evaluate_scale


def _load(errors, rps):
    return {"errors": errors, "req_per_s": rps}


def _seq(p50):
    return {"latency_ms": {"p50": p50}}


def test_targets_pass_and_fail_by_the_issue_rules():
    rows = evaluate(20.0, {"chat": _seq(39.0), "search": _seq(41.0)},
                    {"chat": _load(0, 45.0), "search": _load(2, 39.9)})
    result = {r["target"]: r["pass"] for r in rows}
    assert result["load /api/chat: 0 errors"] is True
    assert result["load /api/chat: ≥ 40 req/s"] is True
    assert result["load /api/search: 0 errors"] is False
    assert result["load /api/search: ≥ 40 req/s"] is False
    assert result["sequential warm /api/chat p50 ≤ 2 × floor p50"] is True
    assert result["sequential warm /api/search p50 ≤ 2 × floor p50"] is False


def test_targets_not_measured_are_neither_pass_nor_fail():
    rows = evaluate(None, {}, {})
    assert {r["pass"] for r in rows} == {None}


def test_the_paired_floor_is_preferred():
    run = {"latency_ms": {"p50": 39.0}, "paired_floor_ms": {"p50": 15.0}}
    rows = evaluate(20.0, {"chat": run}, {})
    chat = next(r for r in rows if r["target"].startswith("sequential warm /api/chat"))
    assert chat["pass"] is False and chat["goal"] == "≤ 30.0 ms" and "2.6× floor" in chat["measured"]


def _scale(startup_s, rss_mb):
    return {"rows": [{"label": "real", "synthetic_passages": 0, "startup_s": 1.0, "rss_serving_mb": 700.0},
                     {"label": "+100k", "synthetic_passages": 100_000, "startup_s": startup_s, "rss_serving_mb": rss_mb}]}


def test_the_start_up_targets_are_read_at_100k_passages():
    passing = {r["target"]: r["pass"] for r in evaluate_scale(_scale(9.5, 1400.0))}
    assert passing == {"assistant start-up at +100k passages ≤ 10 s": True,
                       "serving RSS at +100k passages ≤ 1,536 MB": True}
    failing = evaluate_scale(_scale(62.6, 2291.3))
    assert [r["pass"] for r in failing] == [False, False]
    assert failing[0]["measured"] == "62.6 s" and failing[1]["measured"] == "2,291.3 MB"


def test_a_quick_scale_run_does_not_measure_the_start_up_targets():
    rows = evaluate_scale({"rows": [{"label": "+2k", "synthetic_passages": 2_000, "startup_s": 3.0, "rss_serving_mb": 800.0}]})
    assert [r["pass"] for r in rows] == [None, None]
