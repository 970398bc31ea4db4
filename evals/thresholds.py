"""The checks of ``thresholds.yaml`` applied to a run's summaries: each passes, fails or is skipped.

A check enforces one bound (``min``, ``max`` or ``beats``). It may also carry a ``target``: the value an
issue asks for where the system does not reach it yet. The target is reported ("target >= 0.85, not
met") and never fails a run; the bound, set to what the system achieves now, keeps it from getting worse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from evals import metrics as m
from evals.errors import ThresholdsError
from evals.gold import INTENTS, LANGUAGES, SLICES

DEFAULT_THRESHOLDS = Path(__file__).parent / "thresholds.yaml"

EPS = 1e-9  # 19/20 must pass a 0.95 threshold whatever the float rounding

Summaries = dict[str, dict[str, dict[str, m.GroupSummary]]]  # suite -> split -> group -> summary

# What a check's group may name; ``<kind>:*`` stands for each group of that kind present in the run.
GROUP_KINDS = {"language": LANGUAGES, "slice": SLICES, "intent": INTENTS}


def known_group(group: str) -> bool:
    kind, _, name = group.partition(":")
    return group == "overall" or (kind in GROUP_KINDS and (name == "*" or name in GROUP_KINDS[kind]))


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str
    suite: Literal["qa", "aids"] = "qa"
    group: str = "overall"
    system: str = m.OURS
    min: float | None = None
    max: float | None = None
    beats: str | None = None
    target: float | None = None  # what an issue asks, reported, not enforced (the bound is)
    why: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _one_bound(self) -> "Check":
        if sum(x is not None for x in (self.min, self.max, self.beats)) != 1:
            raise ValueError("give exactly one of min, max, beats")
        if not known_group(self.group):
            kinds = ", ".join(f"{k}:{'|'.join(v)}|*" for k, v in GROUP_KINDS.items())
            raise ValueError(f"unknown group {self.group!r} (overall, {kinds})")
        if self.target is not None:
            if self.beats is not None:
                raise ValueError("a target goes with min or max, not beats")
            if self.min is not None and self.target < self.min:
                raise ValueError(f"target {self.target:g} is below min {self.min:g}: the target is what is asked, "
                                 "the min what is enforced until it is reached")
            if self.max is not None and self.target > self.max:
                raise ValueError(f"target {self.target:g} is above max {self.max:g}: the target is what is asked, "
                                 "the max what is enforced until it is reached")
        return self

    @property
    def bound(self) -> str:
        """The enforced bound, as shown: ``>= 0.85``, ``<= 900``, ``beats langchain``."""
        if self.beats is not None:
            return f"beats {self.beats}"
        return f">= {self.min:g}" if self.min is not None else f"<= {self.max:g}"

    @property
    def target_bound(self) -> str | None:
        if self.target is None:
            return None
        return f">= {self.target:g}" if self.min is not None else f"<= {self.target:g}"

    def meets(self, value: float, limit: float) -> bool:
        """``value`` on the right side of ``limit`` in this check's direction (min: at least, max: at most)."""
        return value >= limit - EPS if self.min is not None else value <= limit + EPS


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    split: Literal["dev", "test"] = "test"
    checks: list[Check]


def known_metrics(k: int = 5) -> dict[str, set[str]]:
    return {
        "qa": {x.name for x in [*m.retrieval_metrics(k), *m.ANSWER_METRICS]},
        "aids": {x.name for x in m.AID_METRICS},
    }


def load_thresholds(path: Path, k: int = 5) -> Thresholds:
    if not path.is_file():
        raise ThresholdsError(f"{path}: thresholds file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        thresholds = Thresholds.model_validate(data)
    except yaml.YAMLError as exc:
        raise ThresholdsError(f"{path}: invalid YAML ({exc})") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ThresholdsError(f"{path}: {where}: {err['msg']}") from exc
    known = known_metrics(k)
    for i, check in enumerate(thresholds.checks):
        if check.metric not in known[check.suite]:
            raise ThresholdsError(f"{path}: checks.{i}: unknown {check.suite} metric {check.metric!r} "
                                  f"(known: {', '.join(sorted(known[check.suite]))})")
    return thresholds


@dataclass
class Outcome:
    check: Check
    group: str
    status: Literal["pass", "fail", "skip"]
    value: float | None = None
    n: int = 0
    other: float | None = None  # the baseline's value, for a ``beats`` check
    reason: str = ""

    @property
    def target_met(self) -> bool | None:
        """Whether the value reaches the check's ``target``; None without a target or a value."""
        if self.check.target is None or self.value is None:
            return None
        return self.check.meets(self.value, self.check.target)

    def describe(self) -> str:
        c = self.check
        who = "" if c.system == m.OURS else f" ({c.system})"
        suite = "aids " if c.suite == "aids" else ""
        head = f"{suite}{c.metric}{who} [{self.group}]"
        if self.status == "skip":
            return f"{head} {c.bound}: skipped ({self.reason})"
        val = fmt(c.metric, self.value)
        if c.beats is not None:
            return f"{head} = {val} vs {c.beats} {fmt(c.metric, self.other)} (N={self.n}): {'beats' if self.status == 'pass' else 'does not beat'} {c.beats}"
        if c.target is None:
            return f"{head} = {val} (N={self.n}), target {c.bound}"
        return f"{head} = {val} (N={self.n}), enforced {c.bound}; target {c.target_bound}, {'met' if self.target_met else 'not met'}"

    def failure(self) -> str:
        """Why a failed check failed, in one line: ``0.812 < 0.85 (min)``."""
        c = self.check
        val = fmt(c.metric, self.value)
        if c.beats is not None:
            return f"{val} does not beat {c.beats} {fmt(c.metric, self.other)}"
        return f"{val} < {c.min:g} (min)" if c.min is not None else f"{val} > {c.max:g} (max)"

    def as_dict(self) -> dict[str, object]:
        c = self.check
        return {"suite": c.suite, "metric": c.metric, "group": self.group, "system": c.system,
                "bound": c.bound, "target": c.target_bound, "target_met": self.target_met,
                "status": self.status, "value": self.value, "n": self.n,
                "baseline_value": self.other, "reason": self.reason, "why": c.why, "note": c.note}


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if metric == "dangling_markers":
        return str(int(value))
    if metric == "passage_chars":
        return f"{value:.0f}"
    return f"{value:.3f}"


def _value(summary: dict[str, m.GroupSummary], group: str, system: str, metric: str) -> tuple[float | None, int]:
    stats = summary.get(group)
    if stats is None:
        return None, 0
    per_system = stats["metrics"]
    assert isinstance(per_system, dict)
    v = per_system.get(system, {}).get(metric)
    if v is None:
        return None, 0
    return v["value"], int(v["n"] or 0)


def _better(metric: str, ours: float, other: float) -> bool:
    lower = {x.name for x in [*m.retrieval_metrics(5), *m.ANSWER_METRICS, *m.AID_METRICS] if not x.higher_is_better}
    return ours < other if metric in lower else ours > other


def evaluate(thresholds: Thresholds, summaries: Summaries) -> list[Outcome]:
    out: list[Outcome] = []
    for check in thresholds.checks:
        by_split = summaries.get(check.suite, {})
        summary = by_split.get(thresholds.split)
        if summary is None:
            out.append(Outcome(check, check.group, "skip", reason=f"no {thresholds.split} questions in this run"))
            continue
        if check.group.endswith(":*"):
            prefix = check.group[:-1]
            groups = [g for g in summary if g.startswith(prefix)] or [check.group]
        else:
            groups = [check.group]
        for group in groups:
            value, n = _value(summary, group, check.system, check.metric)
            if value is None:
                out.append(Outcome(check, group, "skip", reason="no question in this group"))
                continue
            if check.beats is not None:
                other, _ = _value(summary, group, check.beats, check.metric)
                if other is None:
                    out.append(Outcome(check, group, "skip", value, n, reason=f"baseline {check.beats} not run"))
                    continue
                ok = _better(check.metric, value, other)
                out.append(Outcome(check, group, "pass" if ok else "fail", value, n, other))
                continue
            ok = check.meets(value, check.min if check.min is not None else check.max)  # type: ignore[arg-type]
            out.append(Outcome(check, group, "pass" if ok else "fail", value, n))
    return out


def failed(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status == "fail"]


def targets_not_met(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.target_met is False]
