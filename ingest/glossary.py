"""The FR/EN/AR glossary of domain terms and acronyms (``corpus/glossary.yaml``)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from ingest.errors import CorpusError


class Term(BaseModel):
    id: str
    acronym: str | None = None
    acronyms: list[str] = Field(default_factory=list)
    fr: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)
    ar: list[str] = Field(min_length=1)


def load_glossary(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        terms = [Term.model_validate(t) for t in data.get("terms", [])]
    except (yaml.YAMLError, ValidationError) as exc:
        raise CorpusError(f"{path}: invalid glossary ({exc})") from exc
    out = []
    for t in terms:
        acronyms = [a for a in [t.acronym, *t.acronyms] if a]
        out.append({"id": t.id, "acronyms": acronyms, "fr": t.fr, "en": t.en, "ar": t.ar})
    return out
