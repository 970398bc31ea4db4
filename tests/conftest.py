"""Shared fixtures: a real index of the real corpus (real Chroma in a temporary folder, the real
embedding model), built once per test session.

Building embeds a few thousand texts; when the repository's own `data/` holds a build of the same
model (``make test`` builds it before pytest), its vectors are reused by content, so the session's
ingest only embeds what differs. Every other step (parsing, translations, Chroma, BM25) runs for real.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.settings import Settings, get_settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"

_ENV_PREFIXES = ("LLM_", "CHROMA_", "DATA_DIR", "CORPUS_DIR", "EMBEDDING_", "RATE_LIMIT", "MAX_", "DATABASE_")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch):
    """A developer's environment or .env never leaks into a test."""
    for key in list(os.environ):
        if key.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def make_settings(data_dir: Path, **overrides) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=CORPUS, **overrides)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from assistant.sentences import derived
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import get_embeddings
    from vectorstore.index import current_build

    settings = make_settings(tmp_path_factory.mktemp("data"))
    embeddings = get_embeddings(settings.embedding_model, settings.embedding_backend)
    report = run_ingest(settings.corpus_dir, settings.data_dir, embeddings, settings.chroma(),
                        vector_seed=current_build(REPO / "data"), derived=[derived()])
    assert report.changed and report.passages > 200
    return settings


@pytest.fixture(scope="session")
def assistant(built_index: Settings):
    from assistant.service import Assistant

    return Assistant.from_settings(built_index)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory):
    """A real PostgreSQL server for the session (Debian's package, ``make postgres``); its admin URL.
    Tests take a database of their own from it (``tests.processes.new_database``)."""
    from tests.processes import postgres_server

    with postgres_server(tmp_path_factory.mktemp("postgres") / "server.log") as url:
        yield url
