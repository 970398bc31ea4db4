"""The workload: the gold questions of ``evals/gold/qa.jsonl`` (FR, EN, AR; some with a history)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

GOLD = Path(__file__).resolve().parents[1] / "evals" / "gold" / "qa.jsonl"


@dataclass(frozen=True)
class Question:
    id: str
    language: str
    text: str
    history: tuple[tuple[str, str], ...] = ()  # (role, content)
    answerable: bool = True

    def chat_body(self) -> dict[str, object]:
        body: dict[str, object] = {"message": self.text}
        if self.history:
            body["history"] = [{"role": r, "content": c} for r, c in self.history]
        return body


def load(path: Path = GOLD) -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        history = tuple((t["role"], t["content"]) for t in row.get("history", []))
        out.append(Question(row["id"], row["language"], row["question"], history, row.get("answerable", True)))
    return out


def cycle(questions: list[Question], n: int) -> list[Question]:
    """``n`` questions, going round the list in order (deterministic, every question used evenly)."""
    if not questions:
        return []
    return [questions[i % len(questions)] for i in range(n)]
