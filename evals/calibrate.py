"""Fit the refusal model (``assistant/refusal.py``) on the dev split.

A logistic regression over the refusal signals (``assistant/refusal.py``: coverage, unknown vocabulary,
a date counted from today, missing kind of answer, embedding similarity, brevity), with the classes weighted
equally.
The probability threshold is chosen on leave-one-out predictions, so that every dev question is judged
by a model that did not see it: the threshold that declines the most off-topic questions while wrongly
declining at most ``max_wrong`` of the answerable ones (the middle of the best interval, for margin on
both sides). The model written is then fitted on all of dev.

One model for the three languages: pooled, the dev split has 47 off-topic questions; per language, 15 or
16, and 5% of some 30 answerable questions allows not a single mistake, so per-language thresholds came
out stricter and declined fewer off-topic questions in cross-validation (fr: 6/15 instead of 14/15, with
45 off-topic dev questions).
A per-language offset inside the pooled model (the language as a feature) did no better either: 37/45
off-topic declined in leave-one-out against 42/45 without it. The signals themselves are per language
(idf, vocabulary and word frequencies of the question's language).

Dev questions marked ``validation`` are not fitted on (``evals calibrate`` reports them apart): a batch of
questions about something the corpus names that ask for a fact it does not give, which these signals
cannot separate from answerable ones; fitted on, they pulled the model off the questions it can decline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.refusal import FEATURES, RefusalModel, lacks_kind
from evals.gold import QAItem

REGULARISATION_C = 1.0


@dataclass(frozen=True)
class Point:
    lang: str
    answerable: bool
    features: dict[str, float]

    def vector(self) -> list[float]:
        return [self.features[name] for name in FEATURES]


def measure(assistant: Any, items: list[QAItem]) -> list[Point]:
    points = []
    for item in items:
        history = item.turns()
        try:
            lang, features = assistant.refusal_features(item.question, history)
        except Exception:  # an unsearchable question is declined anyway: it says nothing about the model
            continue
        points.append(Point(lang, item.answerable, features))
    return points


def _logistic():  # type: ignore[no-untyped-def]
    """Standardised features, so that the penalty treats a share in [0, 1] and an unbounded mass alike."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=REGULARISATION_C, class_weight="balanced",
                                                              max_iter=1000))


def choose_threshold(probabilities: np.ndarray, answerable: np.ndarray, max_wrong: float) -> float:
    """The middle of the widest-declining interval of thresholds that keep wrong refusals <= max_wrong."""
    values = np.unique(probabilities)
    candidates = [0.0, *((values[:-1] + values[1:]) / 2), float(values[-1]) + 1e-6]
    best: tuple[int, list[float]] = (-1, [])
    for t in candidates:
        if np.mean(probabilities[answerable] < t) > max_wrong:
            continue
        declined = int(np.sum(probabilities[~answerable] < t))
        if declined > best[0]:
            best = (declined, [t])
        elif declined == best[0]:
            best[1].append(t)
    feasible = best[1] or [0.0]
    return round((feasible[0] + feasible[-1]) / 2, 4)


# The direction each signal may push the answer, whatever the fit says: more coverage or similarity
# never makes an answer less likely; unknown vocabulary, a relative date, a missing kind of answer or
# a shorter question never makes it more likely. A signal the fit gives the wrong sign is left out.
SIGNS = {"coverage": 1, "similarity": 1, "unknown": -1, "calendar": -1, "untyped": -1, "brevity": -1}


def monotone(x: np.ndarray, y: np.ndarray, features: tuple[str, ...] = FEATURES,
             signs: dict[str, int] = SIGNS) -> np.ndarray:
    """``x`` with the columns of the signals whose fitted weight has the wrong sign zeroed, refitting
    until every weight that is constrained has its sign."""
    x = x.copy()
    for _ in range(len(features)):
        fitted = _logistic().fit(x, y)
        coef = fitted[-1].coef_[0] / fitted[0].scale_
        wrong = [i for i, name in enumerate(features)
                 if signs.get(name, 0) * coef[i] < 0 and np.any(x[:, i] != 0)]
        if not wrong:
            return x
        x[:, wrong] = 0.0
    return x


def fit_raw(x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, ...], float]:
    """(weights, intercept) of the logistic regression on ``x``, with the standardisation folded in: the
    assistant then reads the raw signals."""
    fitted = _logistic().fit(x, y)
    scaler, logistic = fitted[0], fitted[-1]
    coef = logistic.coef_[0] / scaler.scale_
    intercept = float(logistic.intercept_[0] - np.sum(coef * scaler.mean_))
    return tuple(round(float(c), 4) for c in coef), round(intercept, 4)


# What a question whose best passages have no text in its language cannot observe (``RefusalModel.blind``).
UNOBSERVED_BLIND = ("coverage",)


def calibrate(points: list[Point], max_wrong: float = 0.05) -> tuple[RefusalModel, np.ndarray, np.ndarray]:
    """The fitted model (with its ``blind`` model, fitted on the same points without what a question
    whose passages are in another language cannot observe), and each point's leave-one-out probability
    under the main model and under the blind one (what their thresholds were chosen on)."""
    y = np.array([p.answerable for p in points])
    if len(set(y)) < 2:
        raise ValueError("calibration needs both answerable and off-topic dev questions")
    x = np.array([p.vector() for p in points])
    model, held_out = _fit(points, x, y, max_wrong)
    x[:, [FEATURES.index(name) for name in UNOBSERVED_BLIND]] = 0.0
    blind, blind_held_out = _fit(points, x, y, max_wrong)
    return RefusalModel(model.coef, model.intercept, model.threshold, blind), held_out, blind_held_out


def _fit(points: list[Point], x: np.ndarray, y: np.ndarray, max_wrong: float) -> tuple[RefusalModel, np.ndarray]:
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    x = monotone(x, y)
    held_out = cross_val_predict(_logistic(), x, y, cv=LeaveOneOut(), method="predict_proba")[:, 1]
    # A question the assistant declines whatever the model says counts as declined at any threshold.
    held_out = np.where([lacks_kind(p.features) for p in points], 0.0, held_out)
    threshold = choose_threshold(held_out, y, max_wrong)
    coef, intercept = fit_raw(x, y)
    return RefusalModel(coef, intercept, threshold), held_out


def rates(points: list[Point], declined: list[bool]) -> tuple[tuple[int, int], tuple[int, int]]:
    """((off-topic declined, off-topic), (answerable declined, answerable))."""
    off = [d for p, d in zip(points, declined) if not p.answerable]
    on = [d for p, d in zip(points, declined) if p.answerable]
    return (sum(off), len(off)), (sum(on), len(on))


def write(model: RefusalModel, path: Path, n: int, held_out: dict[str, Any]) -> None:
    data = {
        "_comment": (f"Written by `evals calibrate --write` from {n} dev questions: answer when "
                     "sigmoid(intercept + coef . features) >= threshold (see assistant/refusal.py)."),
        "features": list(FEATURES),
        "coef": list(model.coef),
        "intercept": model.intercept,
        "threshold": model.threshold,
        "blind": ({"coef": list(model.blind.coef), "intercept": model.blind.intercept, "threshold": model.blind.threshold}
                  if model.blind else None),
        "dev_leave_one_out": held_out,
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- the aid finder's model (assistant/aidmatch.py) ------------------------------------------------------


@dataclass(frozen=True)
class AidPoint:
    profile: str  # the gold item's id: the group a held-out fit leaves out whole
    card: str
    fits: bool
    features: dict[str, float]


def measure_aids(assistant: Any, items: list[Any]) -> list[AidPoint]:
    """Every (dev profile, card the filters leave) pair, with its signals and whether gold expects it."""
    points = []
    for item in items:
        cards = assistant.aids.search(dict(item.filters))["aids"]
        scored, _ = assistant.score_aids(item.profile, cards, item.language)
        points += [AidPoint(item.id, s.card["id"], s.card["id"] in item.expected, s.signals) for s in scored]
    return points


AID_BETA = 2.0  # recall counts this much more than precision: a missed aid costs a professional more than a card to skip


def profile_score(probabilities: np.ndarray, fits: np.ndarray, threshold: float, k: int = 5) -> float:
    """What a profile's answer is worth at ``threshold``: for a profile some cards fit, the F-beta
    (``AID_BETA``) of the first ``k`` kept cards against them; for one none fits, 1 for an empty list, else 0."""
    order = np.argsort(-probabilities, kind="stable")
    kept = [i for i in order[:k] if probabilities[i] >= threshold]
    expected = int(fits.sum())
    if not expected:
        return float(not kept)
    hits = int(fits[kept].sum()) if kept else 0
    b2 = AID_BETA ** 2
    return (1 + b2) * hits / (b2 * expected + len(kept))


AID_MARGIN = 0.5  # in logits: a threshold is judged with its neighbours, so that it is not on the edge of a step


def choose_aid_threshold(groups: dict[str, tuple[np.ndarray, np.ndarray]]) -> float:
    """The threshold with the best mean profile score averaged over the thresholds within ``AID_MARGIN``
    logits of it (with a few dozen profiles the score moves in steps; a threshold at the edge of one
    would move a profile's answer on the next fit), on a grid of logits."""
    grid = np.arange(-6.0, 6.0 + 1e-9, 0.05)
    probs = 1.0 / (1.0 + np.exp(-grid))
    scores = np.array([np.mean([profile_score(p, y, t) for p, y in groups.values()]) for t in probs])
    near = int(round(AID_MARGIN / 0.05))
    smooth = np.array([scores[max(0, i - near):i + near + 1].mean() for i in range(len(grid))])
    return round(float(probs[int(np.argmax(smooth))]), 4)


def calibrate_aids(points: list[AidPoint]) -> tuple[Any, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The fitted ``AidModel`` and each profile's held-out probabilities (leave one profile out)."""
    from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict

    from assistant.aidmatch import FEATURES as AID_FEATURES, SIGNS as AID_SIGNS, AidModel

    y = np.array([p.fits for p in points])
    if len(set(y)) < 2:
        raise ValueError("aid calibration needs dev profiles with expected cards")
    x = monotone(np.array([[p.features[name] for name in AID_FEATURES] for p in points]), y, AID_FEATURES, AID_SIGNS)
    names = [p.profile for p in points]
    held_out = cross_val_predict(_logistic(), x, y, groups=names, cv=LeaveOneGroupOut(), method="predict_proba")[:, 1]
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in dict.fromkeys(names):
        idx = np.array([i for i, n in enumerate(names) if n == name])
        groups[name] = (held_out[idx], y[idx])
    coef, intercept = fit_raw(x, y)
    return AidModel(coef, intercept, choose_aid_threshold(groups)), groups


def write_aids(model: Any, path: Path, n: int, held_out: float) -> None:
    from assistant.aidmatch import FEATURES as AID_FEATURES

    data = {
        "_comment": (f"Written by `evals calibrate --aids --write` from {n} dev profiles: a card fits when "
                     "sigmoid(intercept + coef . signals) >= threshold (see assistant/aidmatch.py)."),
        "features": list(AID_FEATURES),
        "coef": list(model.coef),
        "intercept": model.intercept,
        "threshold": model.threshold,
        "dev_leave_one_profile_out": round(held_out, 4),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
