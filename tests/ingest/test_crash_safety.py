"""A real `assistant ingest` (a subprocess, the real model, real Chroma) killed with SIGKILL at ten points of
its work, and two ingests racing for the same data folder.

The kill points are the progress lines the CLI prints on stderr when it is not a terminal (one per step
and per embedded batch): the test reads them and kills right after the chosen one, so each kill lands
in a known phase however fast or loaded the machine is. After each kill, the previous index (or, if the
kill came after the switch, the new one) must open and answer a real search with its own counts, and a
later ingest must complete and leave no staging folder behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest
from tests.ingest.corpora import ADDED
from vectorstore.builds import current_build, read_info
from vectorstore.chroma import ChromaConfig
from vectorstore.index import Index

pytestmark = pytest.mark.slow

EMBEDDED = ChromaConfig()
KILL_AFTER = (  # a regular expression for the progress line after which the process is killed
    r"^ingest: reading corpus$",      # lock held, corpus being parsed
    r"^ingest: embedding$",           # model loading
    r"^ingest: embedded 64/",         # between embedding batches
    r"^ingest: embedded 128/",
    r"^ingest: lexical index$",
    r"^ingest: chroma$",              # collection being created
    r"^ingest: chroma 256/",          # between upserts
    r"^ingest: passages$",
    r"^ingest: sync to disk$",        # everything written, fsync under way
    r"^ingest: switch$",              # renaming into place and replacing CURRENT
)
TIMEOUT_S = 300


def ingest_command(data: Path, corpus: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "--data-dir", str(data), "ingest", "--corpus", str(corpus), *extra]


WORKERS = 2 if (os.cpu_count() or 1) < 4 else 4  # attempts run side by side...
THREADS = str(max(1, (os.cpu_count() or 1) // WORKERS))  # ...each with its share of the cores


def start(cmd: list[str], cwd: Path, threads: str = "") -> subprocess.Popen:
    # cwd: a folder without a .env, so a developer's settings never reach the subprocess
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = threads
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_line(proc: subprocess.Popen, pattern: str) -> list[str]:
    """Read stderr until a line matches; returns the lines read (the process's progress so far)."""
    seen: list[str] = []
    watchdog = threading.Timer(TIMEOUT_S, proc.kill)
    watchdog.start()
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            # progress bars of the model loader use \r: keep the last segment
            line = line.rstrip("\n").split("\r")[-1]
            seen.append(line)
            if re.search(pattern, line):
                return seen
    finally:
        watchdog.cancel()
    proc.wait()
    raise AssertionError(f"exited ({proc.returncode}) before {pattern!r}; stderr:\n" + "\n".join(seen[-20:]))


@dataclass
class Killed:
    point: str
    data: Path
    last_line: str


def kill_at(point: str, data: Path, corpus: Path, cwd: Path) -> Killed:
    proc = start(ingest_command(data, corpus), cwd, THREADS)
    seen = wait_for_line(proc, point)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL, f"{point}: exited with {proc.returncode} before the kill"
    return Killed(point, data, seen[-1])


def assert_serves(data: Path, expected_passages: int, embeddings) -> None:
    index = Index.open(data, EMBEDDED)
    assert index.count() == index.info["passages"] == expected_passages
    assert index.collection.count() == index.info["entries"]
    hits = index.dense(np.asarray(embeddings.embed_query("Festival Novembre Numérique")), 5)
    top = index.passages[hits[0][0].split(":")[0]]
    assert "Novembre Numérique" in top.text_in("fr") + top.text


def test_sigkill_at_ten_points_leaves_a_serving_index_and_the_next_ingest_completes(
        data_a, corpus_b_dir, ingested_b, embeddings, tmp_path):
    passages_a = read_info(current_build(data_a))["passages"]
    passages_b = ingested_b.report.passages
    build_a = current_build(data_a).name

    def attempt(i: int, point: str) -> Killed:
        data = tmp_path / f"data-{i}"
        shutil.copytree(data_a, data)
        return kill_at(point, data, corpus_b_dir, tmp_path)

    # Side by side: each attempt spends most of its time importing torch and loading the model.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        killed = list(pool.map(attempt, range(len(KILL_AFTER)), KILL_AFTER))

    switched = []
    for k in killed:
        live = current_build(k.data)
        assert live is not None, f"{k.point}: no live build after the kill"
        # The kill lands before the switch (the previous index) or after it (the new one, whole): never between.
        if live.name == build_a:
            assert_serves(k.data, passages_a, embeddings)
        else:
            switched.append(k.point)
            assert_serves(k.data, passages_b, embeddings)
        # a later ingest completes (vectors seeded from an earlier run, so no re-embedding here) and cleans up
        report = run_ingest(corpus_b_dir, k.data, embeddings, EMBEDDED, vector_seed=current_build(ingested_b.data))
        assert report.passages == passages_b and report.embedded == 0
        assert_serves(k.data, passages_b, embeddings)
        leftovers = [p.name for p in (k.data / "indexes").iterdir() if p.name.startswith(".")]
        leftovers += [p.name for p in k.data.glob(".CURRENT.*")]
        assert leftovers == [], f"{k.point}: {leftovers}"
        assert len(list((k.data / "indexes").iterdir())) <= 2
    # only the last points can be past the switch
    assert set(switched) <= {KILL_AFTER[-1]}


def test_a_second_ingest_fails_at_once_with_one_line_while_the_first_holds_the_lock(data_a, corpus_b_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(data_a, data)
    first = start(ingest_command(data, corpus_b_dir, "--json"), tmp_path)
    try:
        wait_for_line(first, r"^ingest: reading corpus$")  # printed once the lock is held
        first.send_signal(signal.SIGSTOP)  # hold it there, lock in hand, however slow the second one starts
        second = subprocess.run(ingest_command(data, corpus_b_dir), cwd=tmp_path, capture_output=True, text=True,
                                timeout=TIMEOUT_S, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 1
    assert second.stdout == ""
    assert second.stderr.splitlines() == [
        f"error: another ingest (pid {first.pid}) is writing to {data}; try again when it has finished"]
    # the first one was not disturbed: it completes, and its report says what changed
    out, _ = first.communicate(timeout=TIMEOUT_S)
    assert first.returncode == 0
    report = json.loads(out)
    assert report["changed"] and report["documents_added"] == [ADDED] and report["embedded"] > 100
    assert current_build(data).name == report["build_id"]


def test_the_cli_reports_a_missing_corpus_folder_as_a_usage_error(tmp_path):
    proc = subprocess.run(ingest_command(tmp_path / "data", tmp_path / "nope"), cwd=tmp_path, capture_output=True,
                          text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    assert not (tmp_path / "data" / "indexes").exists()

