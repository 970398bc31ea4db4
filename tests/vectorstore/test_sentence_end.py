"""The sentence-end pattern is linear on a run of punctuation and splits exactly as it did (issue 23)."""

from __future__ import annotations

import random
import re
import time

import pytest

import vectorstore.text as text
from vectorstore.text import split_sentences

# The pattern before issue 23: the same, without the lookbehind that starts a match only at a run's first
# mark. It is quadratic on a long run, so it is only run here on short texts.
_UNGUARDED = re.compile(text._SENTENCE_END.pattern.removeprefix("(?<![.!?؟…])"))


def test_the_guard_is_the_only_difference() -> None:
    assert text._SENTENCE_END.pattern.startswith("(?<![.!?؟…])")
    assert "(?<!" not in _UNGUARDED.pattern


def test_splits_are_unchanged_on_random_punctuation(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(23)
    alphabet = ".!?؟…»\"”) \n«“(AaÉ1#@ب m"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 25))) for _ in range(20_000)]
    texts += ["Wow!!! Next one.", "Quoi ?! « Oui » dit-il. Bien", "a.. B", "e.g. B. C", "ما هذا؟؟ ب", "1... 2"]
    guarded = [split_sentences(t) for t in texts]
    monkeypatch.setattr(text, "_SENTENCE_END", _UNGUARDED)
    assert [split_sentences(t) for t in texts] == guarded


@pytest.mark.parametrize("run", ["!", ".", ".!", "?؟", "…"])
def test_a_long_run_of_punctuation_is_fast(run: str) -> None:
    hostile = "Une question" + run * (20_000 // len(run)) + "x"
    start = time.perf_counter()
    assert split_sentences(hostile) == [(0, len(hostile))]
    assert split_sentences(hostile + " Suite") == [(0, len(hostile) + 6)]
    assert time.perf_counter() - start < 0.2
