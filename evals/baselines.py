"""The retrievers compared on the same questions: ours (hybrid), and three baselines.

- ``langchain``: the plain LangChain recipe: ``RecursiveCharacterTextSplitter(1000, 200)`` over the raw
  documents of ``corpus/manifest.yaml``, a Chroma collection (cosine) in a temporary folder, the same
  embedding model, top-k by similarity. It has no query rewriting: it gets the question as asked.
- ``dense`` and ``bm25``: the assistant's own index searched one way only (``Assistant.search(mode=…)``).

Ours and the assistant's baselines get a follow-up with its conversation and search it as the chat does.

A retriever returns ``(label, text)`` pairs, best first; a hit is a returned text holding the evidence.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import yaml
from langchain_core.embeddings import Embeddings

from assistant.schemas import Turn
from evals.errors import EvalsError

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


class Retriever(Protocol):
    name: str

    def retrieve(self, query: str, k: int, history: Sequence[Turn] = ()) -> list[tuple[str, str]]: ...


class AssistantRetriever:
    """``Assistant.search`` in one mode. The query language is left to the assistant to detect, as for a user."""

    def __init__(self, assistant: Any, name: str, mode: str) -> None:
        self.assistant = assistant
        self.name = name
        self.mode = mode

    def retrieve(self, query: str, k: int, history: Sequence[Turn] = ()) -> list[tuple[str, str]]:
        response = self.assistant.search(query, k=k, lang=None, mode=self.mode, history=list(history))
        return [(f"{r.document} · {r.passage_id}", r.text) for r in response.results]


class LangChainRecipe:
    """The plain recipe, built in a temporary folder that is removed on :meth:`close`."""

    name = "langchain"

    def __init__(self, corpus_dir: Path, embeddings: Embeddings) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        try:
            from langchain_text_splitters import RecursiveCharacterTextSplitter
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EvalsError("the LangChain baseline needs langchain-text-splitters (pip install -e '.[dev]')") from exc

        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        texts: list[str] = []
        metadatas: list[dict[str, str]] = []
        for doc_id, text in raw_documents(corpus_dir):
            for chunk in splitter.split_text(text):
                texts.append(chunk)
                metadatas.append({"document": doc_id})
        if not texts:
            raise EvalsError(f"{corpus_dir}: no document to build the LangChain baseline from")
        self._tmp = tempfile.TemporaryDirectory(prefix="evals-langchain-")
        self._client = chromadb.PersistentClient(path=self._tmp.name, settings=ChromaSettings(anonymized_telemetry=False))
        self._store = Chroma(
            collection_name=f"baseline-{uuid.uuid4().hex[:8]}",
            embedding_function=embeddings,
            client=self._client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        self._store.add_texts(texts, metadatas=metadatas)
        self.chunks = len(texts)

    def retrieve(self, query: str, k: int, history: Sequence[Turn] = ()) -> list[tuple[str, str]]:
        """The plain recipe has no conversation: ``history`` is not read."""
        docs = self._store.similarity_search(query, k=k)
        return [(f"{d.metadata.get('document', '?')} · chunk", d.page_content) for d in docs]

    def close(self) -> None:
        self._store = None  # type: ignore[assignment]
        self._client = None  # type: ignore[assignment]
        self._tmp.cleanup()

    def __enter__(self) -> "LangChainRecipe":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def raw_documents(corpus_dir: Path) -> list[tuple[str, str]]:
    """``(document id, text)`` of every readable file of the manifest, as they are on disk."""
    manifest = corpus_dir / "manifest.yaml"
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise EvalsError(f"{manifest}: cannot read the corpus manifest ({exc})") from exc
    out = []
    for doc in data.get("documents", []):
        path = corpus_dir / str(doc.get("file", ""))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # ingest skips it too
        if text.strip():
            out.append((str(doc.get("id", path.stem)), text))
    return out
