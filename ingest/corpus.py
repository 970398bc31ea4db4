"""The corpus on disk: its documents, and the passages parsed from them.

A corpus folder either has a ``manifest.yaml`` (the curated corpus: ids, titles, languages, publishers,
structures chosen by hand) or it has none, and then every ``.txt``, ``.md``, ``.html``/``.htm`` and
``.pdf`` file under it, in sub-folders too, is a document: its id comes from its path (``reports/2024
annual.pdf`` → ``reports-2024-annual``), its title from its first heading (or the HTML/PDF metadata
title), its language (fr/en/ar) from its text. Hidden files and folders (``.git``…) are ignored.

Whatever the mode, a file is only read if it really lies inside the corpus folder: ``..`` or an absolute
path in the manifest, or a symbolic link pointing outside, is skipped with a reason. Symbolic links to
folders are never followed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel

from ingest.errors import CorpusError
from ingest.formats import MAX_FILE_BYTES, SUFFIXES, read_source
from ingest.parse import PARSERS
from vectorstore.models import Passage
from vectorstore.text import detect_language

__all__ = ["MAX_FILE_BYTES", "DocumentInfo", "ParsedCorpus", "discover_documents", "load_manifest", "parse_corpus"]

# Files of the corpus that are not documents (read by other ingest steps).
_CORPUS_DATA = {"manifest.yaml", "aids.yaml", "glossary.yaml"}
_CORPUS_DATA_DIRS = {"translations"}


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
    # How a reader names the document in a question, by language ("what does the roadmap say about…"):
    # such a question asks within that document (see ``assistant/retrieval.py``).
    called: dict[str, list[str]] = {}


@dataclass
class ParsedCorpus:
    documents: list[DocumentInfo]
    passages: list[Passage]
    skipped: list[str] = field(default_factory=list)
    mode: str = "manifest"  # "manifest" or "folder"


def load_manifest(corpus_dir: Path) -> list[DocumentInfo]:
    path = corpus_dir / "manifest.yaml"
    if not path.is_file():
        raise CorpusError(f"no manifest.yaml in {corpus_dir}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return [DocumentInfo(**d) for d in data.get("documents", [])]
    except (yaml.YAMLError, TypeError, ValueError, AttributeError) as exc:
        raise CorpusError(f"{path}: invalid manifest ({exc.__class__.__name__}: {exc})") from exc


def _inside(corpus_dir: Path, name: str) -> Path | None:
    """The real path of ``name`` if it lies inside ``corpus_dir`` (symbolic links resolved), else None."""
    if not name or "\x00" in name or Path(name).is_absolute():
        return None
    path = (corpus_dir / name).resolve()
    return path if corpus_dir in path.parents else None


def _doc_id(relative: str) -> str:
    return re.sub(r"[\W_]+", "-", relative.lower()).strip("-") or "document"


def discover_documents(corpus_dir: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(document id, relative file name) of every supported file under ``corpus_dir``, sorted by path,
    and the report lines of what was left out."""
    corpus_dir = corpus_dir.resolve()
    found: list[tuple[str, str]] = []
    skipped: list[str] = []
    ignored: list[str] = []
    ids: set[str] = set()
    for root, dirs, files in os.walk(corpus_dir, followlinks=False):
        here = Path(root)
        rel_root = here.relative_to(corpus_dir)
        for d in sorted(dirs):
            if (here / d).is_symlink():
                rel = (rel_root / d).as_posix()
                if corpus_dir in (here / d).resolve().parents:
                    skipped.append(f"{rel}/: symbolic link to a folder, not followed (its files are read from "
                                   f"their real place)")
                else:
                    skipped.append(f"{rel}/: symbolic link to a folder that escapes the corpus folder, not followed")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink()
                         and not (here == corpus_dir and d in _CORPUS_DATA_DIRS))
        for name in sorted(files):
            rel = (rel_root / name).as_posix()
            if name.startswith(".") or (here == corpus_dir and name in _CORPUS_DATA):
                continue
            suffix = Path(name).suffix.lower()
            if suffix not in SUFFIXES:
                ignored.append(rel)
                continue
            if _inside(corpus_dir, rel) is None:
                skipped.append(f"{rel}: symbolic link that escapes the corpus folder")
                continue
            doc_id = _doc_id(rel[: -len(suffix)])
            if doc_id in ids:  # "a.txt" and "a.md": the later one keeps its extension in its id
                doc_id = _doc_id(rel)
            if doc_id in ids:
                skipped.append(f"{rel}: its id {doc_id!r} is already taken by another file")
                continue
            ids.add(doc_id)
            found.append((doc_id, rel))
    if ignored:
        shown = ", ".join(ignored[:5]) + (f" and {len(ignored) - 5} more" if len(ignored) > 5 else "")
        skipped.append(f"{len(ignored)} file(s) of unsupported types ignored (supported: "
                       f"{', '.join(SUFFIXES)}): {shown}")
    found.sort(key=lambda item: item[1])
    return found, skipped


def parse_corpus(corpus_dir: Path, max_file_bytes: int = MAX_FILE_BYTES) -> ParsedCorpus:
    """Parse every document of the corpus (manifest, or folder scan without one); documents that cannot be
    read are skipped with a reason."""
    corpus_dir = corpus_dir.resolve()
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: no such folder")
    skipped: list[str] = []
    if (corpus_dir / "manifest.yaml").is_file():
        mode = "manifest"
        entries: list[tuple[str, str, DocumentInfo | None]] = [(d.id, d.file, d) for d in load_manifest(corpus_dir)]
    else:
        mode = "folder"
        found, skipped = discover_documents(corpus_dir)
        entries = [(doc_id, rel, None) for doc_id, rel in found]
    passages: list[Passage] = []
    kept: list[DocumentInfo] = []
    for doc_id, file, info in entries:
        path = _inside(corpus_dir, file)
        if path is None:
            skipped.append(f"{doc_id}: file name {file!r} escapes the corpus folder")
            continue
        try:
            source = read_source(path, max_file_bytes)
        except CorpusError as exc:
            skipped.append(f"{doc_id} ({file}): {exc}")
            continue
        if info is None:
            info = DocumentInfo(id=doc_id, file=file, title=source.title or doc_id, publisher=source.author,
                                language=detect_language(source.text[:20000]), date="", structure="page")
        parser = PARSERS.get(info.structure)
        if parser is None:
            skipped.append(f"{doc_id}: unknown structure {info.structure!r}")
            continue
        doc_passages, doc_skipped = parser(source.text, info.id, info.title, info.language)
        if not doc_passages:
            skipped.append(f"{doc_id} ({file}): no passage found")
            continue
        for p in doc_passages:
            p.order = len(passages)
            passages.append(p)
        skipped.extend(doc_skipped)
        kept.append(info)
    return ParsedCorpus(kept, passages, skipped, mode)
