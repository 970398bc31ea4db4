"""Build folders: staged, switched in atomically, cleaned up after a crash (a small real index)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ingest.parse import parse_page
from tests.processes import free_port
from vectorstore.builds import STAGING_PREFIX, clean_stale, current_build, prune, switch
from vectorstore.chroma import ChromaConfig, make_client
from vectorstore.errors import ChromaServerError, IndexMissingError
from vectorstore.index import Index, VectorCache, build_index

EMBEDDED = ChromaConfig()
PAGE = """Le festival

Le festival Novembre Numérique présente la création numérique au public. Il a lieu chaque année.

Les aides

Le CNC soutient la création de jeux vidéo par des aides sélectives.
"""


@pytest.fixture(scope="module")
def embeddings():
    from vectorstore.embeddings import get_embeddings

    return get_embeddings()


def _passages(text: str = PAGE):
    passages, _ = parse_page(text, "doc", "Doc", "fr")
    return passages


def test_a_build_is_switched_in_whole_and_an_unchanged_one_is_not_rebuilt(tmp_path, embeddings):
    first = build_index(tmp_path, _passages(), {}, embeddings, EMBEDDED)
    assert first.changed and current_build(tmp_path) == first.build_dir
    assert json.loads((first.build_dir / "build.json").read_text())["chroma_address"] == ""
    again = build_index(tmp_path, _passages(), {}, embeddings, EMBEDDED)
    assert not again.changed and again.build_id == first.build_id and again.embedded == 0
    second = build_index(tmp_path, _passages(PAGE + "\nUne ligne de plus, avec du texte nouveau.\n"), {}, embeddings,
                         EMBEDDED)
    assert second.changed and second.embedded == 2  # the new passage (= its only sentence), with its header
    assert sorted(p.name for p in (tmp_path / "indexes").iterdir()) == sorted([first.build_id, second.build_id])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    index = Index.open(tmp_path, EMBEDDED)
    assert index.count() == len(_passages()) + 1 and index.collection.count() == index.info["entries"]


def test_clean_stale_removes_only_what_a_killed_writer_leaves(tmp_path):
    (tmp_path / "indexes" / "20260101-000000-aaaaaaaa").mkdir(parents=True)  # a finished build
    (tmp_path / "indexes" / f"{STAGING_PREFIX}20260101-000001-bbbbbbbb" / "lexical").mkdir(parents=True)
    (tmp_path / ".CURRENT.4242").write_text("x")
    switch(tmp_path, "20260101-000000-aaaaaaaa")
    removed = clean_stale(tmp_path, EMBEDDED)
    assert removed == [f"indexes/{STAGING_PREFIX}20260101-000001-bbbbbbbb", ".CURRENT.4242"]
    assert [p.name for p in (tmp_path / "indexes").iterdir()] == ["20260101-000000-aaaaaaaa"]
    assert (tmp_path / "CURRENT").read_text() == "20260101-000000-aaaaaaaa"


def test_prune_keeps_the_live_build_and_the_one_before(tmp_path):
    for name in ("a", "b", "c", "d"):
        (tmp_path / "indexes" / name).mkdir(parents=True)
    assert prune(tmp_path, {"c", "d"}, EMBEDDED) == ["indexes/a", "indexes/b"]
    assert sorted(p.name for p in (tmp_path / "indexes").iterdir()) == ["c", "d"]


def test_an_index_built_for_one_store_is_not_opened_against_another(tmp_path, embeddings):
    build_index(tmp_path, _passages(), {}, embeddings, EMBEDDED)
    with pytest.raises(IndexMissingError, match="keeps its vectors in the embedded store, but the settings point "
                                                 "to 127.0.0.1:1"):
        Index.open(tmp_path, ChromaConfig(host="127.0.0.1", port=1))


def test_an_unreachable_chroma_server_is_one_clear_error():
    port = free_port()  # a port nobody listens on
    with pytest.raises(ChromaServerError, match=rf"cannot use the Chroma server at 127.0.0.1:{port}: Could not "
                                                r"connect") as err:
        make_client(ChromaConfig(host="127.0.0.1", port=port), None)
    assert "\n" not in str(err.value)


def test_vector_caches_merge_without_duplicates():
    a = VectorCache(["k1", "k2"], np.eye(2, 3, dtype=np.float32))
    b = VectorCache(["k2", "k3"], np.full((2, 3), 7, dtype=np.float32))
    merged = a.merged(b)
    assert merged.keys == ["k1", "k2", "k3"]
    assert np.array_equal(merged.matrix[1], a.matrix[1]) and np.array_equal(merged.matrix[2], b.matrix[1])
    assert a.merged(VectorCache(["k9"], np.zeros((1, 5), dtype=np.float32))) is a  # another dimension: ignored
