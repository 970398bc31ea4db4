"""Incremental ingest over a real index (real Chroma, the real model): what changed is reflected, and
only new text is embedded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import CorpusError, IngestLockedError
from ingest.pipeline import run_ingest, writer_lock
from tests.conftest import CORPUS
from tests.ingest.corpora import ADDED, NEW_SENTENCE, OLD_SENTENCE, REMOVED, SYNTHETIC_PARAGRAPHS, UPDATED, copy_corpus
from vectorstore.builds import current_build
from vectorstore.chroma import ChromaConfig
from vectorstore.embeddings import LazyEmbeddings
from vectorstore.index import Index

SLOW = pytest.mark.slow  # uses indexes of the real corpus built for these tests
EMBEDDED = ChromaConfig()
# The default model's name with a backend that cannot load: a test using it fails if ingest loads the model.
class _Unloadable(LazyEmbeddings):
    """The default model's name and signature (what the builds record), but loading it fails the test."""

    @property
    def loaded(self):  # type: ignore[override]
        raise AssertionError("the embedding model was loaded")


UNLOADABLE = _Unloadable()


def _keys(build: Path) -> set[str]:
    return set(json.loads((build / "vectors.json").read_text(encoding="utf-8")))


@SLOW
def test_added_updated_and_removed_documents_are_reflected_and_only_new_text_is_embedded(ingested_b, embeddings):
    report, before, data = ingested_b.report, ingested_b.before, ingested_b.data

    assert report.changed
    assert (report.documents_added, report.documents_updated, report.documents_removed) == ([ADDED], [UPDATED], [REMOVED])
    assert report.added > SYNTHETIC_PARAGRAPHS and report.removed > 0 and report.unchanged > 200
    after = current_build(data)
    assert after != before
    # Exactly the texts the previous build lacked were embedded: ~140 new paragraphs and the edited one,
    # out of thousands of texts (passages in three languages, their sentences).
    new_texts = _keys(after) - _keys(before)
    assert report.embedded == len(new_texts)
    assert SYNTHETIC_PARAGRAPHS <= report.embedded <= SYNTHETIC_PARAGRAPHS + 10 < len(_keys(after)) // 10

    index = Index.open(data, EMBEDDED)
    docs = {p.document for p in index.passages.values()}
    assert ADDED in docs and REMOVED not in docs
    texts = " ".join(p.text for p in index.passages.values() if p.document == UPDATED)
    assert NEW_SENTENCE in texts and OLD_SENTENCE not in texts
    assert index.collection.count() == index.info["entries"]
    # the new document is searchable through Chroma
    synthetic = next(p for p in index.ordered if p.document == ADDED)
    hits = index.dense(embeddings.encode([synthetic.text])[0], 3)
    assert hits[0][0] == f"{synthetic.passage_id}:fr"
    # reuse by content hash mixes nothing up: reused rows are what the model gives for that text
    sample = [t for t in (p.text for p in index.ordered[::25]) if index.vector(t) is not None]
    assert len(sample) > 5
    assert np.allclose(np.stack([index.vector(t) for t in sample]), embeddings.encode(sample), atol=1e-4)


@SLOW
def test_an_unchanged_corpus_writes_nothing_and_never_loads_the_model(fresh_data):
    live = current_build(fresh_data)
    listing = sorted(p.name for p in (fresh_data / "indexes").iterdir())
    report = run_ingest(CORPUS, fresh_data, UNLOADABLE, EMBEDDED)
    assert not report.changed and report.embedded == 0 and report.build_id == live.name
    assert sorted(p.name for p in (fresh_data / "indexes").iterdir()) == listing


@SLOW
def test_removing_a_document_rebuilds_without_embedding_or_loading_the_model(fresh_data, tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    manifest = corpus / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "file: ec-international-cultural-cooperation-en.txt", "file: gone.txt"), encoding="utf-8")
    report = run_ingest(corpus, fresh_data, UNLOADABLE, EMBEDDED)
    assert report.changed and report.embedded == 0
    assert report.documents_removed == [REMOVED] and report.removed > 0 and report.added == 0
    assert any("gone.txt" in s and "file not found" in s for s in report.skipped)


@SLOW
def test_leftovers_of_a_killed_ingest_are_removed_by_the_next_one_even_with_nothing_to_do(fresh_data):
    staging = fresh_data / "indexes" / ".staging-20260101-000000-deadbeef"
    (staging / "chroma").mkdir(parents=True)
    (staging / "vectors.npy").write_bytes(b"partial")
    (fresh_data / ".CURRENT.12345").write_text("20260101-000000-deadbeef")
    live = current_build(fresh_data)
    report = run_ingest(CORPUS, fresh_data, LazyEmbeddings(), EMBEDDED)
    assert not report.changed and current_build(fresh_data) == live
    assert not staging.exists() and not (fresh_data / ".CURRENT.12345").exists()
    assert sorted(report.cleaned) == [".CURRENT.12345", f"indexes/{staging.name}"]


@SLOW
def test_a_corpus_with_nothing_readable_keeps_the_current_index(fresh_data, tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    for path in corpus.glob("*.txt"):
        path.write_bytes(b"")
    live = current_build(fresh_data)
    with pytest.raises(CorpusError, match="nothing to index .* the current index is left as it is"):
        run_ingest(corpus, fresh_data, LazyEmbeddings(), EMBEDDED)
    assert current_build(fresh_data) == live


def test_one_writer_at_a_time(tmp_path):
    with writer_lock(tmp_path):
        with pytest.raises(IngestLockedError, match=r"another ingest \(pid \d+\) is writing to"):
            with writer_lock(tmp_path):
                pass
    with writer_lock(tmp_path):  # released on exit
        pass

