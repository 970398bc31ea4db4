"""`assistant ingest` on a folder of mixed formats, in process through click (the real command and model)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from assistant.cli import main
from tests.ingest.test_corpus import EN, _mixed_folder
from vectorstore.chroma import ChromaConfig
from vectorstore.index import Index


def test_ingest_a_folder_of_mixed_formats_from_the_command_line(tmp_path, monkeypatch, embeddings):
    monkeypatch.chdir(tmp_path)  # no .env from the developer's working directory
    folder, data = _mixed_folder(tmp_path), tmp_path / "data"
    result = CliRunner().invoke(main, ["--data-dir", str(data), "ingest", "--corpus", str(folder), "--json",
                                       "--max-file-mb", "0.005"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["corpus_mode"] == "folder" and report["changed"]
    assert sorted(report["documents_added"]) == ["arabe", "notes", "notes-txt", "page", "reports-2024-annual-report"]
    assert any("big (big.txt): file too large" in s for s in report["skipped"])
    # data on stdout, progress on stderr (one line per step when stderr is not a terminal)
    assert "ingest: reading corpus" in result.stderr and "ingest: switch" in result.stderr

    index = Index.open(data, ChromaConfig())
    hits = index.dense(embeddings.encode([EN])[0], 2)
    assert {index.passages[h.split(":")[0]].document for h, _ in hits} == {"notes-txt", "reports-2024-annual-report"}


def test_ingest_says_in_one_line_when_nothing_can_be_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "ingest", "--corpus", str(folder), "-q"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: nothing to index in {folder} (1 skipped; first: a (a.txt): empty file); "
        f"the current index is left as it is"]


def test_ingest_rebuilds_a_damaged_index_and_serve_refuses_one_in_one_line(tmp_path, monkeypatch, embeddings):
    monkeypatch.chdir(tmp_path)
    folder, data = _mixed_folder(tmp_path), tmp_path / "data"

    def run(*args):
        return CliRunner().invoke(main, ["--data-dir", str(data), *args])

    assert run("ingest", "--corpus", str(folder), "-q").exit_code == 0
    live = data / "indexes" / (data / "CURRENT").read_text()
    size = json.loads((live / "build.json").read_text())["files"]["vectors.npy"]
    (live / "vectors.npy").write_bytes((live / "vectors.npy").read_bytes()[:100])

    served = run("serve", "--port", "1")  # fails before it binds: the index cannot be opened
    assert served.exit_code == 1 and "Traceback" not in served.output
    assert served.stderr.splitlines() == [f"error: the live index {live.name} is damaged (vectors.npy has 100 bytes, "
                                          f"not {size}): run `assistant ingest` to rebuild it"]

    healed = run("ingest", "--corpus", str(folder), "-q")
    assert healed.exit_code == 0, healed.output
    assert "the live index was damaged (vectors.npy has 100 bytes" in healed.stderr and "rebuilt" in healed.stderr
    assert "nothing new" not in healed.stdout and (data / "CURRENT").read_text() != live.name
    assert "nothing new" in run("ingest", "--corpus", str(folder), "-q").stdout


def test_a_full_disk_inside_chromas_own_files_is_one_line(tmp_path):
    """Below Python's file functions (tests/disk_faults.py cannot reach SQLite): the process may write
    no file over 100 KiB, so the vectors and lexical files fit and Chroma's database does not."""
    import os
    import subprocess
    import sys

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").write_text("Le Festival Novembre Numérique est organisé chaque année.\n\n"
                                      "Le CNC soutient le jeu vidéo depuis 2003.\n", encoding="utf-8")

    def small_files() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write over the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, 100 * 1024))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHROMA_", "DATA_DIR", "CORPUS_DIR", "LLM_"))}
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--data-dir", str(tmp_path / "data"), "ingest", "--corpus", str(corpus),
         "-q"], preexec_fn=small_files, capture_output=True, text=True, timeout=300,
        env={**env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Chroma" in result.stderr and "assistant ingest" in result.stderr
