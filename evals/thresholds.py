"""The checks of ``thresholds.yaml`` applied to a run's summaries: each passes, fails or is skipped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from evals import metrics as m
from evals.errors import ThresholdsError

DEFAULT_THRESHOLDS = Path(__file__).parent / "thresholds.yaml"

EPS = 1e-9  # 19/20 must pass a 0.95 threshold whatever the float rounding

Summaries = dict[str, dict[str, dict[str, m.GroupSummary]]]  # suite -> split -> group -> summary


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str
    suite: Literal["qa", "aids"] = "qa"
    group: str = "overall"
    system: str = m.OURS
    min: float | None = None
    max: float | None = None
    beats: str | None = None
    why: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _one_bound(self) -> "Check":
        if sum(x is not None for x in (self.min, self.max, self.beats)) != 1:
            raise ValueError("give exactly one of min, max, beats")
        return self

    @property
    def target(self) -> str:
        if self.beats is not None:
            return f"beats {self.beats}"
        return f">= {self.min:g}" if self.min is not None else f"<= {self.max:g}"


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

    def describe(self) -> str:
        c = self.check
        who = "" if c.system == m.OURS else f" ({c.system})"
        suite = "aids " if c.suite == "aids" else ""
        head = f"{suite}{c.metric}{who} [{self.group}]"
        if self.status == "skip":
            return f"{head} {c.target}: skipped ({self.reason})"
        val = fmt(c.metric, self.value)
        if c.beats is not None:
            return f"{head} = {val} vs {c.beats} {fmt(c.metric, self.other)} (N={self.n}): {'beats' if self.status == 'pass' else 'does not beat'} {c.beats}"
        return f"{head} = {val} (N={self.n}), target {c.target}"

    def as_dict(self) -> dict[str, object]:
        return {"suite": self.check.suite, "metric": self.check.metric, "group": self.group, "system": self.check.system,
                "target": self.check.target, "status": self.status, "value": self.value, "n": self.n,
                "baseline_value": self.other, "reason": self.reason, "why": self.check.why, "note": self.check.note}


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
            ok = value >= check.min - EPS if check.min is not None else value <= check.max + EPS  # type: ignore[operator]
            out.append(Outcome(check, group, "pass" if ok else "fail", value, n))
    return out


def failed(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status == "fail"]
