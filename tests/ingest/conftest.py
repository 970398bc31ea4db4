"""Fixtures for ingest tests: an index of the real corpus built once (vectors seeded from the repository's
own build, as in tests/conftest.py), and the same index after an ingest of ``corpus_b`` (real work: about
140 new texts embedded). Tests that write copy them first (``fresh_data``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO
from tests.ingest.corpora import corpus_b


@pytest.fixture(scope="session")
def embeddings():
    from vectorstore.embeddings import get_embeddings

    return get_embeddings()


@pytest.fixture(scope="session")
def data_a(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Path:
    """A data folder whose live build indexes the real corpus. Never written to: copy it (``fresh_data``)."""
    from ingest.pipeline import run_ingest
    from vectorstore.chroma import ChromaConfig
    from vectorstore.index import current_build

    data = tmp_path_factory.mktemp("data-a") / "data"
    report = run_ingest(CORPUS, data, embeddings, ChromaConfig(), vector_seed=current_build(REPO / "data"))
    assert report.changed and report.passages > 250
    return data


@pytest.fixture(scope="session")
def corpus_b_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus_b(tmp_path_factory.mktemp("corpus-b") / "corpus")


@dataclass
class Ingested:
    data: Path  # never written to
    before: Path  # the build of data_a it replaced
    report: object  # IngestReport


@pytest.fixture(scope="session")
def ingested_b(data_a: Path, corpus_b_dir: Path, embeddings, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """A copy of ``data_a`` after a real ingest of ``corpus_b_dir`` (the incremental path, nothing seeded)."""
    from ingest.pipeline import run_ingest
    from vectorstore.chroma import ChromaConfig
    from vectorstore.index import current_build

    data = tmp_path_factory.mktemp("data-b") / "data"
    shutil.copytree(data_a, data)
    before = current_build(data)
    report = run_ingest(corpus_b_dir, data, embeddings, ChromaConfig())
    return Ingested(data, before, report)


@pytest.fixture
def fresh_data(data_a: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(data_a, dst)
    return dst
