"""The search index: one immutable build folder per ingest, switched in atomically.

Layout under ``data_dir``::

    CURRENT                 name of the live build (replaced with os.replace: readers never see a half state)
    indexes/<build>/
        build.json          fingerprint, counts, embedding model and the encoder that made the vectors, creation time
        passages.jsonl      passages with their translations (the source of truth for text and spans)
        extras/*.json       catalogues computed at ingest (aids, glossary; the ``derived`` ones, from the vectors too)
        vectors.npy/.json   embeddings of every indexed text and sentence, keyed by content hash
        lexical/<lang>/     BM25 index of every passage in that language
        chroma/             Chroma's own folder (embedded mode only)

A passage is indexed once per language it exists in ("entries" ``<passage_id>:<lang>``); each entry is
embedded with its contextual header (section path and measure), while the text returned to callers
stays the passage itself.

How a build folder is staged, switched in and cleaned up after a crash is ``vectorstore.builds``
(``current_build`` is re-exported here).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from chromadb.errors import ChromaError, NotFoundError

from vectorstore.builds import (clean_stale, current_build, damage, file_sizes, fsync_tree, prune, publish,
                                read_info, recorded_address, register_reader, staging_dir)
from vectorstore.chroma import ChromaConfig, collection_name, make_client
from vectorstore.embeddings import Encoder, encoder_signature
from vectorstore.errors import ChromaServerError, IndexMissingError, StoreError
from vectorstore.lexical import LexicalIndex
from vectorstore.models import Passage
from vectorstore.text import LANGUAGES, content_hash, tokenizer_signature

log = logging.getLogger(__name__)
SCHEMA_VERSION = 2  # 2: the collection is searched exhaustively (``search_breadth``)
# Up to this many entries, Chroma's graph search is made exhaustive (``ef_search`` = the number of
# entries): the nearest neighbours are then exact, and the same in every process. With Chroma's default
# (``ef_search`` 100) on this corpus's 789 entries, one build queried from two processes with the same
# query vector returned a different top 60 for 72 of 244 gold questions, so rankings, and the refusal
# signals read from them, changed from run to run. Exhaustive costs 0.2-0.5 ms more a query at this size,
# 1.4 ms at 5,000 entries, 7 ms at 10,800 (measured with random vectors): beyond 5,000, Chroma's default.
EXACT_SEARCH_ENTRIES = 5_000
DEFAULT_SEARCH_BREADTH = 100  # Chroma's own ef_search
# Entries with the same text (a heading repeated in two places) have the same distance: a few more are
# fetched so that which of them falls inside ``k`` is decided by id, not by Chroma's order.
TIE_MARGIN = 4


def search_breadth(entries: int) -> int:
    """``ef_search`` for a collection of ``entries``: exhaustive while that stays cheap."""
    return max(DEFAULT_SEARCH_BREADTH, entries) if entries <= EXACT_SEARCH_ENTRIES else DEFAULT_SEARCH_BREADTH


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
    return [Entry(f"{p.passage_id}:{lang}", p.passage_id, lang, entry_text(p, lang, by_text))
            for p in passages for lang in entry_languages(p)]


def entry_languages(p: Passage) -> list[str]:
    return [p.language, *sorted(p.translations)]


def entry_text(p: Passage, lang: str, by_text: dict[str, Passage]) -> str:
    """What is embedded and lexically indexed for ``p`` in ``lang``: its header, then its text."""
    header = translate_header(p, lang, by_text)
    body = p.text_in(lang)
    return f"{header}\n{body}" if header and header != body else body


class EntryTexts(Mapping[str, str]):
    """Entry id -> entry text (``entries_for``) of a build's passages, each made when asked for: a
    question reads a few dozen of them, and holding them all cost 1.6 s and 100 MB at 100k entries."""

    def __init__(self, passages: dict[str, Passage], ordered: list[Passage]) -> None:
        self._passages = passages
        self._ordered = ordered
        self._by_text = {p.text: p for p in ordered}

    def __getitem__(self, entry_id: str) -> str:
        passage_id, _, lang = entry_id.rpartition(":")
        p = self._passages.get(passage_id)
        if p is None or not p.has_text_in(lang):
            raise KeyError(entry_id)
        return entry_text(p, lang, self._by_text)

    def __iter__(self) -> Iterator[str]:
        return (f"{p.passage_id}:{lang}" for p in self._ordered for lang in entry_languages(p))

    def __len__(self) -> int:
        return sum(1 + len(p.translations) for p in self._ordered)


@dataclass(frozen=True)
class Derived:
    """A catalogue computed at ingest from the passages and their vectors, so that a reader loads it
    instead of computing it at start (the assistant's sentence statistics). ``compute(passages, vector)``
    is written to ``extras/<name>.json`` (and may write files of its own in ``folder``, the build's
    ``extras`` folder: what a reader looks up rather than loads); ``signature`` names the code that computes it and is part of the
    build's fingerprint: a build computed by other code, or without it, is rebuilt by the next ingest."""

    name: str
    signature: str
    compute: Callable[[list[Passage], Callable[[str], np.ndarray | None], Path], object]


def fingerprint(passages: list[Passage], extras: dict[str, object], model: str,
                derived: Sequence[Derived] = ()) -> str:
    # Without ``derived``, the payload of the builds written before it existed: they stay current.
    computed = {"derived": {d.name: d.signature for d in derived}} if derived else {}
    payload = json.dumps(
        {"v": SCHEMA_VERSION, "model": model, "tokenizer": tokenizer_signature(),
         "passages": [p.model_dump() for p in passages], "extras": extras, **computed},
        sort_keys=True,
        ensure_ascii=False,
    )
    return content_hash(payload, length=24)


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
        """The build's vectors, mapped rather than read: a process holds in memory only the rows it reads
        (a question reads a few hundred of them), and processes serving one build share them."""
        keys = json.loads((folder / "vectors.json").read_text(encoding="utf-8"))
        return cls(keys, np.load(folder / "vectors.npy", mmap_mode="r").view(np.ndarray))

    def merged(self, other: "VectorCache") -> "VectorCache":
        """This cache, plus the rows of ``other`` it lacks (same model and dimension only)."""
        if other.matrix.shape[1:] != self.matrix.shape[1:]:
            return self
        extra = [i for i, k in enumerate(other.keys) if k not in self.row]
        return VectorCache(self.keys + [other.keys[i] for i in extra], np.vstack([self.matrix, other.matrix[extra]]))

    def get(self, text: str) -> np.ndarray | None:
        i = self.row.get(content_hash(text))
        return None if i is None else self.matrix[i]

    def save(self, folder: Path) -> None:
        np.save(folder / "vectors.npy", self.matrix)
        (folder / "vectors.json").write_text(json.dumps(self.keys), encoding="utf-8")


def embed_all(texts: list[str], embeddings: Encoder, previous: VectorCache | None,
              progress: Callable[[int], None] | None = None,
              on_total: Callable[[int], None] | None = None) -> tuple[VectorCache, int]:
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
    # ``previous`` holds vectors of the same model (the caller checks the name), so its width is the model's:
    # an ingest with nothing new to embed never loads the model.
    dim = previous.matrix.shape[1] if previous is not None and previous.keys else embeddings.dimension
    matrix = np.zeros((len(keys), dim), dtype=np.float32)
    missing = []
    for i, t in enumerate(unique):
        vec = previous.get(t) if previous is not None else None
        if vec is None:
            missing.append(i)
        else:
            matrix[i] = vec
    if missing and previous is not None and embeddings.dimension != dim:  # same name, another model: start afresh
        return embed_all(texts, embeddings, None, progress, on_total)
    if on_total:
        on_total(len(missing))
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
    cleaned: list[str] = field(default_factory=list)  # leftovers of killed ingests and old builds removed
    repaired: list[str] = field(default_factory=list)  # what was wrong with the live build this one replaces


def sentence_texts(passages: list[Passage]) -> list[str]:
    out = []
    for p in passages:
        for lang in [p.language, *p.translations]:
            out.extend(p.sentences_in(lang))
    return out


def _holds(info: dict, fp: str, chroma: ChromaConfig) -> bool:
    """Whether a build already holds this content, with its vectors where the settings say they live."""
    if info.get("fingerprint") != fp or recorded_address(info) != chroma.address:
        return False
    if not chroma.server_mode:
        return True
    try:  # the server may have been reset or pointed at another folder since
        return make_client(chroma, None).get_collection(info["collection"]).count() == info.get("entries")
    except NotFoundError:
        return False


def _new_build_id(data_dir: Path, fp: str) -> str:
    """``<time>-<fingerprint>``, sorting after every build already there: a reader falls back from a damaged
    live build to the newest build named before it, so a build made within the same second as the last one
    must not sort by its fingerprint (its time is moved on a second instead)."""
    now = time.time()
    indexes = data_dir / "indexes"
    names = [p.name for p in indexes.iterdir() if not p.name.startswith(".")] if indexes.is_dir() else []
    for name in names:
        if _STAMP.fullmatch(name[:15]):
            try:
                now = max(now, time.mktime(time.strptime(name[:15], "%Y%m%d-%H%M%S")) + 1)
            except ValueError:  # a folder named like a build that is not one ("20241399-…")
                continue
    return f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}-{fp[:8]}"


_STAMP = re.compile(r"\d{8}-\d{6}")


def build_index(
    data_dir: Path,
    passages: list[Passage],
    extras: dict[str, object],
    embeddings: Encoder,
    chroma: ChromaConfig,
    progress: Callable[[int], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    vector_seed: Path | None = None,
    on_total: Callable[[int], None] | None = None,
    derived: Sequence[Derived] = (),
) -> BuildResult:
    """Write a new build beside the live one and switch to it; nothing changes if the content is the same.

    Embeddings are reused, by content, from the live build and from ``vector_seed`` (another build folder
    of the same model, e.g. the repository's own index for a test's fresh folder): only text that
    neither holds is embedded. ``on_total`` receives how many texts will be embedded, ``progress`` each
    batch done, ``on_step`` the name of each step as it starts. Each of ``derived`` is computed from the
    passages and the build's vectors and stored beside ``extras``.

    Crash-safe (see ``vectorstore.builds``): a process killed at any point leaves the previous build live
    and whole. The caller must hold the writer lock (``ingest.pipeline.writer_lock``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    step = on_step or (lambda _s: None)
    cleaned = clean_stale(data_dir, chroma)
    # The encoder is in the fingerprint: a build by another one is rebuilt, not reused.
    encoder = encoder_signature(embeddings)
    fp = fingerprint(passages, extras, encoder, derived)
    live = current_build(data_dir)
    damaged = damage(live, chroma) if live is not None else []
    if live is not None and not damaged and _holds(read_info(live), fp, chroma):
        return BuildResult(live, live.name, changed=False, embedded=0, cleaned=cleaned)

    build_id = _new_build_id(data_dir, fp)
    staging = staging_dir(data_dir, build_id)
    staging.mkdir(parents=True)

    entries = entries_for(passages)
    previous = None
    for seed in (live, vector_seed):
        cache = _reusable_vectors(seed, encoder)
        if cache is not None:
            previous = cache if previous is None else previous.merged(cache)
    step("embedding")
    texts = [e.text for e in entries] + sentence_texts(passages)
    cache, embedded = embed_all(texts, embeddings, previous, progress, on_total)
    cache.save(staging)
    computed: dict[str, object] = {}
    (staging / "extras").mkdir()
    for d in derived:
        step(d.name)
        computed[d.name] = d.compute(passages, cache.get, staging / "extras")

    step("lexical index")
    for lang in LANGUAGES:
        lang_entries = [e for e in entries if e.lang == lang]
        if lang_entries:
            LexicalIndex.build(lang, [e.entry_id for e in lang_entries], [e.text for e in lang_entries]).save(
                staging / "lexical" / lang
            )

    step("chroma")
    name = collection_name(build_id, chroma.server_mode)
    try:
        _write_vectors(chroma, staging / "chroma", name, entries, passages, cache, step)
    except (ChromaError, sqlite3.Error) as exc:  # a full disk or an I/O error inside Chroma's own files
        where = chroma.address or str(staging / "chroma")
        raise StoreError(f"the vectors could not be written to Chroma ({where}): {exc}; "
                         "check the free space and the folder's permissions, then run `assistant ingest` again") from exc

    step("passages")
    with open(staging / "passages.jsonl", "w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(p.model_dump_json() + "\n")
    for key, value in {**extras, **computed}.items():
        (staging / "extras" / f"{key}.json").write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    (staging / "build.json").write_text(
        json.dumps({
            "build_id": build_id, "fingerprint": fp, "schema": SCHEMA_VERSION, "model": embeddings.model_name,
            "encoder": encoder,
            "passages": len(passages), "entries": len(entries), "collection": name,
            "chroma_host": chroma.host, "chroma_address": chroma.address, "created": time.time(),
            "files": file_sizes(staging),
        }, indent=2),
        encoding="utf-8",
    )
    step("sync to disk")
    fsync_tree(staging)
    step("switch")
    final = publish(data_dir, staging, build_id)
    step("clean up")
    # A damaged live build is not worth keeping, unless a server still reads it (``prune`` sees to that).
    cleaned += prune(data_dir, {build_id, live.name if live and not damaged else ""}, chroma)
    return BuildResult(final, build_id, changed=True, embedded=embedded, cleaned=cleaned, repaired=damaged)


def _write_vectors(chroma: ChromaConfig, folder: Path, name: str, entries: list, passages: list, cache,
                   step: Callable[[str], None]) -> None:
    """The build's vectors into its Chroma collection ``name`` (the embedded store's folder, or the server)."""
    client = make_client(chroma, folder)
    collection = client.get_or_create_collection(
        name, configuration={"hnsw": {"space": "cosine", "ef_search": search_breadth(len(entries))}},
        embedding_function=None)
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
        step(f"chroma {start + len(batch)}/{len(entries)}")


def recorded_encoder(info: dict) -> str:
    """The encoder that made a build's vectors (``encoder_signature``); builds from before it was recorded
    were all made by sentence-transformers models, whose signature is their name."""
    return str(info.get("encoder") or info.get("model") or "")


def _reusable_vectors(build: Path | None, encoder: str) -> VectorCache | None:
    """The vectors of ``build`` when ``encoder`` made them and they can be read (a damaged build's may not).
    Vectors are keyed by the text's hash within a build; the build is the encoder's, so together the key
    is (encoder, text)."""
    if build is None or not (build / "vectors.json").is_file():
        return None
    try:
        if recorded_encoder(read_info(build)) != encoder:
            return None
        cache = VectorCache.load(build)
    except (OSError, ValueError, KeyError, EOFError):
        return None
    return cache if cache.matrix.ndim == 2 and cache.matrix.shape[0] == len(cache.keys) else None


# --- read side -----------------------------------------------------------------------------------------


def usable_build(data_dir: Path, chroma: ChromaConfig) -> Path:
    """The build a reader should open: the live one if it is whole, else the newest whole one before it."""
    pointer = data_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexMissingError(f"no index in {data_dir}: run `assistant ingest` first")
    name = pointer.read_text(encoding="utf-8").strip()
    live = data_dir / "indexes" / name
    try:
        where = recorded_address(read_info(live))
    except (OSError, ValueError):
        where = chroma.address  # damage() says what is wrong with it
    if where != chroma.address:
        raise IndexMissingError(
            f"the live index keeps its vectors in {where or 'the embedded store'}, but the settings point to "
            f"{chroma.address or 'the embedded store'}: run `assistant ingest` with these settings")
    problems = damage(live, chroma) if live.is_dir() else ["its folder is missing"]
    if not problems:
        return live
    older = sorted((p for p in (data_dir / "indexes").iterdir() if p.is_dir() and p.name < name
                    and not p.name.startswith(".")), reverse=True) if (data_dir / "indexes").is_dir() else []
    for build in older:
        if not damage(build, chroma) and recorded_address(read_info(build)) == chroma.address:
            log.warning("the live index %s is damaged (%s): serving the previous build %s until "
                        "`assistant ingest` repairs it", name, "; ".join(problems), build.name)
            return build
    raise IndexMissingError(f"the live index {name} is damaged ({'; '.join(problems)}): "
                            f"run `assistant ingest` to rebuild it")


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
        if recorded_address(self.info) != chroma.address:
            raise IndexMissingError(f"the index {build_dir.name} keeps its vectors elsewhere than the settings say")
        self.client = make_client(chroma, build_dir / "chroma")
        try:
            self.collection = self.client.get_collection(self.info["collection"], embedding_function=None)
        except NotFoundError as exc:
            raise ChromaServerError(f"collection {self.info['collection']!r} is missing from the Chroma store at "
                                    f"{chroma.address or build_dir}: run `assistant ingest`") from exc
        self.entry_texts = EntryTexts(self.passages, self.ordered)
        # A build never changes once live: count its entries once rather than on every search.
        self.entries = self.collection.count()

    @classmethod
    def open(cls, data_dir: Path, chroma: ChromaConfig) -> "Index":
        """The live build; when it is damaged, the newest whole build before it (with a warning), else an
        ``IndexMissingError`` of one line that says what is wrong and to run ``assistant ingest``."""
        build = usable_build(data_dir, chroma)
        try:
            index = cls(build, chroma)
        except (OSError, ValueError, KeyError) as exc:  # damage the sizes and counts do not show
            raise IndexMissingError(f"the live index {build.name} cannot be read ({type(exc).__name__}: {exc}): "
                                    f"run `assistant ingest` to rebuild it") from exc
        register_reader(build)
        return index

    @property
    def build_id(self) -> str:
        return self.info["build_id"]

    def check_model(self, model: str) -> None:
        """Raise when this build's vectors were made by another model than ``model`` (``EMBEDDING_MODEL``):
        questions encoded by one model and searched among another's vectors (both 384 wide for the
        packaged models) find noise without any error."""
        built_by = self.info.get("model")
        if built_by and built_by != model:
            raise IndexMissingError(f"the index {self.build_id} was built with the embedding model {built_by!r}, "
                                    f"the settings name {model!r}: run `assistant ingest` with these settings")

    def extra(self, name: str, default: object = None) -> object:
        path = self.build_dir / "extras" / f"{name}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default

    def dense(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Nearest entries by cosine similarity: (entry_id, similarity), equal distances in id order."""
        res = self.collection.query(query_embeddings=[vector.tolist()], n_results=self.fetch_size(k),
                                    include=["distances"])
        ranked = sorted(zip(res["distances"][0], res["ids"][0]))[:k]
        return [(i, 1.0 - float(d)) for d, i in ranked]

    def fetch_size(self, k: int) -> int:
        """How many entries ``dense`` asks Chroma for to return ``k``: a few more, for ties (``TIE_MARGIN``)."""
        return min(k + TIE_MARGIN, max(1, self.entries))

    def vector(self, text: str) -> np.ndarray | None:
        return self.vectors.get(text)

    def count(self) -> int:
        return len(self.passages)
