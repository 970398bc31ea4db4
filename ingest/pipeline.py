"""Ingest: corpus folder → passages (+ translations, aids, glossary) → a new index build.

One writer at a time: an exclusive ``flock`` on ``<data_dir>/ingest.lock``, taken before any work and
released by the kernel even when the process is killed. A second ingest fails at once with a clear
message instead of waiting or corrupting the build; readers (the web app, the CLI) never take it.

Incremental: passages keep content-hash ids and embeddings are reused by content, so re-ingesting a
corpus embeds only new or changed text; an unchanged corpus writes nothing at all.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ingest.aids import build_catalogue
from ingest.corpus import MAX_FILE_BYTES, parse_corpus
from ingest.errors import CorpusError, IngestLockedError
from ingest.glossary import load_glossary
from ingest.translations import attach_translations
from vectorstore.builds import current_build
from vectorstore.chroma import ChromaConfig
from vectorstore.embeddings import Encoder
from vectorstore.index import Derived, build_index
from vectorstore.models import Passage
from vectorstore.text import count_words

# A loaded model (its passage side), or a LazyEmbeddings that loads it only when a text must be embedded:
# then a second ingest, a broken corpus or an unchanged one is answered in a second, not after the
# model's load time.
EmbeddingsSource = Encoder


@dataclass
class IngestReport:
    documents: int = 0
    passages: int = 0
    added: int = 0  # passages
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0  # texts (passages with their headers, translations, sentences) sent to the model
    changed: bool = False
    build_id: str = ""
    aids: int = 0
    corpus_mode: str = ""  # "manifest" (manifest.yaml) or "folder" (every supported file)
    documents_added: list[str] = field(default_factory=list)
    documents_updated: list[str] = field(default_factory=list)
    documents_removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # what was wrong with the live build, now rebuilt

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()}


@contextmanager
def writer_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    # "a+": opening must not truncate the holder's pid before we know we hold the lock.
    with open(data_dir / "ingest.lock", "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.seek(0)
            holder = fh.read().strip()
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise IngestLockedError(
                f"another ingest{who} is writing to {data_dir}; try again when it has finished") from exc
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _previous_passages(data_dir: Path) -> dict[str, set[str]]:
    """Passage ids of the live build, by document."""
    build = current_build(data_dir)
    out: dict[str, set[str]] = defaultdict(set)
    if build is None:
        return out
    try:
        with open(build / "passages.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                out[row["document"]].add(row["passage_id"])
    except (OSError, ValueError, KeyError, TypeError):  # a damaged build: rebuilt whole, reported as new
        return defaultdict(set)
    return out


def run_ingest(
    corpus_dir: Path,
    data_dir: Path,
    embeddings: EmbeddingsSource,
    chroma: ChromaConfig,
    progress: Callable[[int], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    vector_seed: Path | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    derived: Sequence[Derived] = (),
) -> IngestReport:
    """Parse ``corpus_dir`` and build its index in ``data_dir`` (see ``build_index``); ``derived``: what
    the readers compute from the whole corpus, stored in the build (the CLI, the composition root,
    passes the assistant's)."""
    step = on_step or (lambda _s: None)
    with writer_lock(data_dir):
        step("reading corpus")
        parsed = parse_corpus(corpus_dir, max_file_bytes)
        if not parsed.passages:
            first = f"; first: {parsed.skipped[0]}" if parsed.skipped else ""
            raise CorpusError(f"nothing to index in {corpus_dir} ({len(parsed.skipped)} skipped{first}); "
                              f"the current index is left as it is")
        report = IngestReport(documents=len(parsed.documents), passages=len(parsed.passages),
                              corpus_mode=parsed.mode, skipped=list(parsed.skipped))
        report.untranslated = attach_translations(parsed.passages, parsed.documents, corpus_dir / "translations")
        aids, refused = build_catalogue(corpus_dir / "aids.yaml", parsed.passages)
        report.skipped.extend(refused)
        report.aids = len(aids)
        extras = {
            "aids": aids,
            "glossary": load_glossary(corpus_dir / "glossary.yaml"),
            "documents": [d.model_dump() for d in parsed.documents],
            "words": corpus_words(parsed.passages),
        }
        before = _previous_passages(data_dir)
        now: dict[str, set[str]] = defaultdict(set)
        for p in parsed.passages:
            now[p.document].add(p.passage_id)
        old_ids = set().union(*before.values()) if before else set()
        new_ids = set().union(*now.values())
        report.added, report.removed = len(new_ids - old_ids), len(old_ids - new_ids)
        report.unchanged = len(new_ids & old_ids)
        report.documents_added = sorted(now.keys() - before.keys())
        report.documents_removed = sorted(before.keys() - now.keys())
        report.documents_updated = sorted(d for d in now.keys() & before.keys() if now[d] != before[d])

        result = build_index(data_dir, parsed.passages, extras, embeddings, chroma, progress, on_step, vector_seed,
                             on_total, derived)
        report.changed, report.build_id, report.embedded = result.changed, result.build_id, result.embedded
        report.cleaned, report.repaired = result.cleaned, result.repaired
        if not result.changed:
            report.added = report.removed = 0
            report.documents_added, report.documents_updated, report.documents_removed = [], [], []
        step("done")
        return report


def corpus_words(passages: list[Passage]) -> dict[str, dict[str, int]]:
    """Per language, how often each word occurs in the passages and their translations: the words the
    spelling corrector knows (``assistant/spelling.py``)."""
    texts: dict[str, list[str]] = defaultdict(list)
    for p in passages:
        texts[p.language].append(p.text)
        for lang in p.translations:
            texts[lang].append(p.text_in(lang))
    return {lang: count_words(found) for lang, found in sorted(texts.items())}
