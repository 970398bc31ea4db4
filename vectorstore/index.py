"""The search index: one immutable build folder per ingest, switched in atomically.

Layout under ``data_dir``::

    CURRENT                 name of the live build (replaced with os.replace: readers never see a half state)
    indexes/<build>/
        build.json          fingerprint, counts, embedding model, creation time
        passages.jsonl      passages with their translations (the source of truth for text and spans)
        extras/*.json       catalogues computed at ingest (aids, glossary)
        vectors.npy/.json   embeddings of every indexed text and sentence, keyed by content hash
        lexical/<lang>/     BM25 index of every passage in that language
        chroma/             Chroma's own folder (embedded mode only)

A passage is indexed once per language it exists in ("entries" ``<passage_id>:<lang>``); each entry is
embedded with its contextual header (section path and measure), while the text returned to callers
stays the passage itself.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from vectorstore.chroma import ChromaConfig, collection_name, make_client
from vectorstore.embeddings import SentenceEmbeddings
from vectorstore.errors import IndexMissingError
from vectorstore.lexical import LexicalIndex
from vectorstore.models import Passage
from vectorstore.text import LANGUAGES, content_hash, tokenizer_signature

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Entry:
    entry_id: str
    passage_id: str
    lang: str
    text: str  # what is embedded and lexically indexed: header + passage text in that language


def translate_header(passage: Passage, lang: str, by_text: dict[str, Passage]) -> str:
    """The section path in ``lang``: each heading is itself a passage, with its own translations."""
    parts = [p for p in passage.section.split(" › ") if p] + ([passage.measure] if passage.measure else [])
    out = []
    for part in parts:
        src = by_text.get(part)
        out.append(src.text_in(lang) if src is not None and lang in src.translations else part)
    return " › ".join(out)


def entries_for(passages: list[Passage]) -> list[Entry]:
    by_text = {p.text: p for p in passages}
    out = []
    for p in passages:
        for lang in [p.language, *sorted(p.translations)]:
            header = translate_header(p, lang, by_text)
            body = p.text_in(lang)
            text = f"{header}\n{body}" if header and header != body else body
            out.append(Entry(f"{p.passage_id}:{lang}", p.passage_id, lang, text))
    return out


def fingerprint(passages: list[Passage], extras: dict[str, object], model: str) -> str:
    payload = json.dumps(
        {"v": SCHEMA_VERSION, "model": model, "tokenizer": tokenizer_signature(),
         "passages": [p.model_dump() for p in passages], "extras": extras},
        sort_keys=True,
        ensure_ascii=False,
    )
    return content_hash(payload, length=24)


# --- pointer to the live build ---------------------------------------------------------------------


def current_build(data_dir: Path) -> Path | None:
    pointer = data_dir / "CURRENT"
    if not pointer.is_file():
        return None
    build = data_dir / "indexes" / pointer.read_text(encoding="utf-8").strip()
    return build if (build / "build.json").is_file() else None


def _switch(data_dir: Path, build_id: str) -> None:
    tmp = data_dir / f".CURRENT.{os.getpid()}"
    tmp.write_text(build_id, encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, data_dir / "CURRENT")
    dir_fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


# --- vectors keyed by content ------------------------------------------------------------------------


class VectorCache:
    """Embeddings keyed by the hash of the embedded text; lets a rebuild reuse what did not change."""

    def __init__(self, keys: list[str], matrix: np.ndarray) -> None:
        self.keys = keys
        self.matrix = matrix
        self.row = {k: i for i, k in enumerate(keys)}

    @classmethod
    def empty(cls, dim: int = 0) -> "VectorCache":
        return cls([], np.zeros((0, dim), dtype=np.float32))

    @classmethod
    def load(cls, folder: Path) -> "VectorCache":
        keys = json.loads((folder / "vectors.json").read_text(encoding="utf-8"))
        return cls(keys, np.load(folder / "vectors.npy"))

    def get(self, text: str) -> np.ndarray | None:
        i = self.row.get(content_hash(text))
        return None if i is None else self.matrix[i]

    def save(self, folder: Path) -> None:
        np.save(folder / "vectors.npy", self.matrix)
        (folder / "vectors.json").write_text(json.dumps(self.keys), encoding="utf-8")


def embed_all(texts: list[str], embeddings: SentenceEmbeddings, previous: VectorCache | None,
              progress: Callable[[int], None] | None = None) -> tuple[VectorCache, int]:
    """Vectors for ``texts`` (deduplicated), reusing ``previous`` ones; returns the cache and how many were new."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    unique: list[str] = []
    for t in texts:
        k = content_hash(t)
        if k not in seen:
            seen[k] = len(keys)
            keys.append(k)
            unique.append(t)
    dim = embeddings.dimension
    matrix = np.zeros((len(keys), dim), dtype=np.float32)
    missing = []
    for i, t in enumerate(unique):
        vec = previous.get(t) if previous is not None and previous.matrix.shape[1:] == (dim,) else None
        if vec is None:
            missing.append(i)
        else:
            matrix[i] = vec
    for start in range(0, len(missing), 64):
        batch = missing[start : start + 64]
        matrix[batch] = embeddings.encode([unique[i] for i in batch])
        if progress:
            progress(len(batch))
    return VectorCache(keys, matrix), len(missing)


# --- build ---------------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    build_dir: Path | None
    build_id: str
    changed: bool
    embedded: int


def sentence_texts(passages: list[Passage]) -> list[str]:
    out = []
    for p in passages:
        for lang in [p.language, *p.translations]:
            out.extend(p.sentences_in(lang))
    return out


def build_index(
    data_dir: Path,
    passages: list[Passage],
    extras: dict[str, object],
    embeddings: SentenceEmbeddings,
    chroma: ChromaConfig,
    progress: Callable[[int], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    vector_seed: Path | None = None,
) -> BuildResult:
    """Write a new build beside the live one and switch to it; nothing changes if the content is the same.

    Embeddings are reused, by content, from the live build (or ``vector_seed``, another build folder of
    the same model): only new or changed text is embedded."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fp = fingerprint(passages, extras, embeddings.model_name)
    live = current_build(data_dir)
    if live is not None:
        info = json.loads((live / "build.json").read_text(encoding="utf-8"))
        if info.get("fingerprint") == fp and (not chroma.server_mode or info.get("chroma_host") == chroma.host):
            return BuildResult(live, live.name, changed=False, embedded=0)
    step = on_step or (lambda _s: None)

    build_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{fp[:8]}"
    staging = data_dir / "indexes" / f".staging-{build_id}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)

    entries = entries_for(passages)
    seed = live if live is not None else vector_seed
    previous = None
    if seed is not None and (seed / "vectors.json").is_file():
        seed_info = json.loads((seed / "build.json").read_text(encoding="utf-8"))
        if seed_info.get("model") == embeddings.model_name:
            previous = VectorCache.load(seed)
    step("embedding")
    texts = [e.text for e in entries] + sentence_texts(passages)
    cache, embedded = embed_all(texts, embeddings, previous, progress)
    cache.save(staging)

    step("lexical index")
    for lang in LANGUAGES:
        lang_entries = [e for e in entries if e.lang == lang]
        if lang_entries:
            LexicalIndex.build(lang, [e.entry_id for e in lang_entries], [e.text for e in lang_entries]).save(
                staging / "lexical" / lang
            )

    step("chroma")
    client = make_client(chroma, staging / "chroma")
    name = collection_name(build_id, chroma.server_mode)
    collection = client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"}, embedding_function=None)
    by_id = {p.passage_id: p for p in passages}
    for start in range(0, len(entries), 256):
        batch = entries[start : start + 256]
        collection.upsert(
            ids=[e.entry_id for e in batch],
            embeddings=np.stack([cache.matrix[cache.row[content_hash(e.text)]] for e in batch]),
            documents=[e.text for e in batch],
            metadatas=[
                {"passage_id": e.passage_id, "lang": e.lang, "document": by_id[e.passage_id].document,
                 "kind": by_id[e.passage_id].kind,
                 "variant": "original" if e.lang == by_id[e.passage_id].language else "translation"}
                for e in batch
            ],
        )
    del collection, client

    step("passages")
    with open(staging / "passages.jsonl", "w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(p.model_dump_json() + "\n")
    (staging / "extras").mkdir()
    for key, value in extras.items():
        (staging / "extras" / f"{key}.json").write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    (staging / "build.json").write_text(
        json.dumps({
            "build_id": build_id, "fingerprint": fp, "schema": SCHEMA_VERSION, "model": embeddings.model_name,
            "passages": len(passages), "entries": len(entries), "collection": name,
            "chroma_host": chroma.host, "created": time.time(),
        }, indent=2),
        encoding="utf-8",
    )
    _fsync_tree(staging)
    final = data_dir / "indexes" / build_id
    os.replace(staging, final)
    _switch(data_dir, build_id)
    _prune(data_dir, keep={build_id, live.name if live else ""})
    return BuildResult(final, build_id, changed=True, embedded=embedded)


def _prune(data_dir: Path, keep: set[str]) -> None:
    """Remove old builds and abandoned staging folders (a killed ingest leaves one behind)."""
    for path in (data_dir / "indexes").iterdir():
        if path.name not in keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


# --- read side -----------------------------------------------------------------------------------------


class Index:
    """A live build opened for reading: passages, lexical indexes, vectors and the Chroma collection."""

    def __init__(self, build_dir: Path, chroma: ChromaConfig) -> None:
        self.build_dir = build_dir
        self.info = json.loads((build_dir / "build.json").read_text(encoding="utf-8"))
        self.passages: dict[str, Passage] = {}
        with open(build_dir / "passages.jsonl", encoding="utf-8") as fh:
            for line in fh:
                p = Passage.model_validate_json(line)
                self.passages[p.passage_id] = p
        self.ordered = sorted(self.passages.values(), key=lambda p: p.order)
        self.lexical = {
            d.name: LexicalIndex.load(d) for d in sorted((build_dir / "lexical").iterdir()) if d.is_dir()
        }
        self.vectors = VectorCache.load(build_dir)
        self.chroma_config = chroma
        self.client = make_client(chroma, build_dir / "chroma")
        self.collection = self.client.get_collection(self.info["collection"], embedding_function=None)
        self.entry_texts = {e.entry_id: e.text for e in entries_for(self.ordered)}

    @classmethod
    def open(cls, data_dir: Path, chroma: ChromaConfig) -> "Index":
        build = current_build(data_dir)
        if build is None:
            raise IndexMissingError(f"no index in {data_dir}: run `assistant ingest` first")
        return cls(build, chroma)

    @property
    def build_id(self) -> str:
        return self.info["build_id"]

    def extra(self, name: str, default: object = None) -> object:
        path = self.build_dir / "extras" / f"{name}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default

    def dense(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Nearest entries by cosine similarity: (entry_id, similarity)."""
        res = self.collection.query(query_embeddings=[vector.tolist()], n_results=min(k, max(1, self.collection.count())),
                                    include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]

    def vector(self, text: str) -> np.ndarray | None:
        return self.vectors.get(text)

    def count(self) -> int:
        return len(self.passages)
