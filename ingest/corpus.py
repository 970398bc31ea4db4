"""The corpus on disk: its manifest, its documents, and the passages parsed from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel

from ingest.errors import CorpusError
from ingest.parse import PARSERS
from vectorstore.models import Passage


class DocumentInfo(BaseModel):
    id: str
    file: str
    title: str
    language: str
    publisher: str
    date: str
    structure: str = "page"
    source_file: str = ""
    translation_of: str | None = None


@dataclass
class ParsedCorpus:
    documents: list[DocumentInfo]
    passages: list[Passage]
    skipped: list[str] = field(default_factory=list)


def load_manifest(corpus_dir: Path) -> list[DocumentInfo]:
    path = corpus_dir / "manifest.yaml"
    if not path.is_file():
        raise CorpusError(f"no manifest.yaml in {corpus_dir}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return [DocumentInfo(**d) for d in data.get("documents", [])]
    except (yaml.YAMLError, TypeError, ValueError) as exc:
        raise CorpusError(f"{path}: invalid manifest ({exc.__class__.__name__}: {exc})") from exc


MAX_FILE_BYTES = 5_000_000


def read_document(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a text document, refusing what is empty, binary, oversized or not UTF-8."""
    if not path.is_file():
        raise CorpusError("file not found")
    size = path.stat().st_size
    if size == 0:
        raise CorpusError("empty file")
    if size > max_bytes:
        raise CorpusError(f"file too large ({size} bytes > {max_bytes})")
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise CorpusError("binary file (NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise CorpusError("empty file (whitespace only)")
    return text


def parse_corpus(corpus_dir: Path) -> ParsedCorpus:
    """Parse every document of the manifest; unreadable ones are skipped with a reason."""
    corpus_dir = corpus_dir.resolve()
    docs = load_manifest(corpus_dir)
    passages: list[Passage] = []
    skipped: list[str] = []
    kept: list[DocumentInfo] = []
    for doc in docs:
        path = (corpus_dir / doc.file).resolve()
        if corpus_dir not in path.parents:
            skipped.append(f"{doc.id}: file name {doc.file!r} escapes the corpus folder")
            continue
        try:
            source = read_document(path)
        except CorpusError as exc:
            skipped.append(f"{doc.id} ({doc.file}): {exc}")
            continue
        parser = PARSERS.get(doc.structure)
        if parser is None:
            skipped.append(f"{doc.id}: unknown structure {doc.structure!r}")
            continue
        doc_passages, doc_skipped = parser(source, doc.id, doc.title, doc.language)
        if not doc_passages:
            skipped.append(f"{doc.id} ({doc.file}): no passage found")
            continue
        for p in doc_passages:
            p.order = len(passages)
            passages.append(p)
        skipped.extend(doc_skipped)
        kept.append(doc)
    return ParsedCorpus(kept, passages, skipped)
