"""Ingest: corpus folder → passages (+ translations, aids, glossary) → a new index build.

One writer at a time: a lock file under the data folder; a second ingest fails with a clear message
instead of waiting or corrupting the build.
"""

from __future__ import annotations

import fcntl
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ingest.aids import build_catalogue
from ingest.corpus import parse_corpus
from ingest.errors import IngestLockedError
from ingest.glossary import load_glossary
from ingest.translations import attach_translations
from vectorstore.chroma import ChromaConfig
from vectorstore.embeddings import SentenceEmbeddings
from vectorstore.index import build_index, current_build


@dataclass
class IngestReport:
    documents: int = 0
    passages: int = 0
    added: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    changed: bool = False
    build_id: str = ""
    aids: int = 0
    skipped: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@contextmanager
def writer_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "ingest.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IngestLockedError(f"another ingest is writing to {data_dir}; try again when it has finished") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _previous_ids(data_dir: Path) -> set[str]:
    build = current_build(data_dir)
    if build is None:
        return set()
    with open(build / "passages.jsonl", encoding="utf-8") as fh:
        return {json.loads(line)["passage_id"] for line in fh}


def run_ingest(
    corpus_dir: Path,
    data_dir: Path,
    embeddings: SentenceEmbeddings,
    chroma: ChromaConfig,
    progress: Callable[[int], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    vector_seed: Path | None = None,
) -> IngestReport:
    with writer_lock(data_dir):
        parsed = parse_corpus(corpus_dir)
        report = IngestReport(documents=len(parsed.documents), passages=len(parsed.passages), skipped=list(parsed.skipped))
        report.untranslated = attach_translations(parsed.passages, parsed.documents, corpus_dir / "translations")
        aids, refused = build_catalogue(corpus_dir / "aids.yaml", parsed.passages)
        report.skipped.extend(refused)
        report.aids = len(aids)
        extras = {
            "aids": aids,
            "glossary": load_glossary(corpus_dir / "glossary.yaml"),
            "documents": [d.model_dump() for d in parsed.documents],
        }
        before = _previous_ids(data_dir)
        now = {p.passage_id for p in parsed.passages}
        report.added, report.removed, report.unchanged = len(now - before), len(before - now), len(now & before)
        if on_total:
            on_total(sum(1 + len(p.translations) for p in parsed.passages))
        result = build_index(data_dir, parsed.passages, extras, embeddings, chroma, progress, on_step, vector_seed)
        report.changed, report.build_id, report.embedded = result.changed, result.build_id, result.embedded
        if not result.changed:
            report.added = report.removed = 0
        return report
