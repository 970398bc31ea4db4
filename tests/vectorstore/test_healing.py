"""A damaged live build is seen, rebuilt by the next ingest, and never opened as if it were whole; a build a
running server reads is kept (issue 23: 9 kinds of damage, 7 restarts with a traceback, none repaired)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.parse import parse_page
from vectorstore.builds import builds_in_use, current_build, damage, prune, read_info
from vectorstore.chroma import ChromaConfig, make_client
from vectorstore.errors import IndexMissingError
from vectorstore.index import Index, build_index

EMBEDDED = ChromaConfig()
PAGE = """Le festival

Le festival Novembre Numérique présente la création numérique au public. Il a lieu chaque année.

Les aides

Le CNC soutient la création de jeux vidéo par des aides sélectives.
"""
EXTRAS = {"aids": [{"id": "a"}], "glossary": []}


@pytest.fixture(scope="module")
def embeddings():
    from vectorstore.embeddings import get_embeddings

    return get_embeddings()


def _passages(text: str = PAGE):
    return parse_page(text, "doc", "Doc", "fr")[0]


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _drop_collection(build: Path) -> None:
    make_client(EMBEDDED, build / "chroma").delete_collection(read_info(build)["collection"])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated-vectors": lambda b: _truncate(b / "vectors.npy"),
    "missing-vector-keys": lambda b: (b / "vectors.json").unlink(),
    "missing-chroma-folder": lambda b: shutil.rmtree(b / "chroma"),
    "missing-chroma-sqlite": lambda b: (b / "chroma" / "chroma.sqlite3").unlink(),
    "missing-collection": _drop_collection,
    "missing-passages": lambda b: (b / "passages.jsonl").unlink(),
    "passages-cut-by-a-line": lambda b: (b / "passages.jsonl").write_text(
        "".join((b / "passages.jsonl").read_text().splitlines(keepends=True)[:-1])),
    "corrupt-build-json": lambda b: (b / "build.json").write_text("{not json"),
    "build-json-a-list": lambda b: (b / "build.json").write_text("[]"),
    "missing-lexical": lambda b: shutil.rmtree(b / "lexical" / "fr"),
    "missing-aids": lambda b: (b / "extras" / "aids.json").unlink(),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_ingest_rebuilds_a_damaged_live_build(tmp_path: Path, embeddings, kind: str) -> None:
    first = build_index(tmp_path, _passages(), EXTRAS, embeddings, EMBEDDED)
    assert damage(first.build_dir, EMBEDDED) == []
    DAMAGE[kind](first.build_dir)
    assert damage(first.build_dir, EMBEDDED)
    with pytest.raises(IndexMissingError, match=r"^the live index \S+ is damaged \(.+\): run `assistant ingest`"):
        Index.open(tmp_path, EMBEDDED)  # the only build: a one-line error, not a traceback

    again = build_index(tmp_path, _passages(), EXTRAS, embeddings, EMBEDDED)
    assert again.changed and again.repaired and again.build_id != first.build_id  # not "unchanged"
    live = current_build(tmp_path)
    assert live == again.build_dir and damage(live, EMBEDDED) == []
    assert Index.open(tmp_path, EMBEDDED).count() == len(_passages())
    assert not build_index(tmp_path, _passages(), EXTRAS, embeddings, EMBEDDED).changed  # and whole again


def test_a_reader_falls_back_to_the_last_good_build(tmp_path: Path, embeddings, caplog) -> None:
    good = build_index(tmp_path, _passages(), EXTRAS, embeddings, EMBEDDED)
    newer = build_index(tmp_path, _passages(PAGE + "\nUne ligne de plus, avec du texte nouveau.\n"), EXTRAS,
                        embeddings, EMBEDDED)
    _truncate(newer.build_dir / "vectors.npy")
    index = Index.open(tmp_path, EMBEDDED)
    assert index.build_id == good.build_id
    assert any("is damaged" in r.getMessage() and good.build_id in r.getMessage() for r in caplog.records)


def test_a_build_a_running_process_reads_is_kept(tmp_path: Path, embeddings) -> None:
    first = build_index(tmp_path, _passages(), EXTRAS, embeddings, EMBEDDED)
    reader = subprocess.Popen(["sleep", "60"])  # a server that opened the first build
    try:
        (tmp_path / "readers").mkdir(exist_ok=True)
        (tmp_path / "readers" / f"{reader.pid}-{first.build_id}").touch()
        for n in range(2):  # two ingests: the first build is no longer the live one nor the one before it
            build_index(tmp_path, _passages(PAGE + f"\nUne ligne de plus, numéro {n}, avec du texte.\n"), EXTRAS,
                        embeddings, EMBEDDED)
        assert first.build_dir.is_dir() and first.build_id in builds_in_use(tmp_path)
    finally:
        reader.kill()
        reader.wait()
    prune(tmp_path, {current_build(tmp_path).name}, EMBEDDED)
    assert not first.build_dir.exists() and not (tmp_path / "readers" / f"{reader.pid}-{first.build_id}").exists()


def test_opening_a_build_registers_this_process_as_its_reader(tmp_path: Path, embeddings) -> None:
    import os

    first = build_index(tmp_path, _passages(), EXTRAS, embeddings, EMBEDDED)
    Index.open(tmp_path, EMBEDDED)
    assert (tmp_path / "readers" / f"{os.getpid()}-{first.build_id}").is_file()
    assert json.loads((first.build_dir / "build.json").read_text())["files"]["vectors.npy"] > 0
