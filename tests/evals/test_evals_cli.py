"""The ``evals`` command's exits: 2 with file:line on bad input, 1 with one line when the system cannot run."""

import json
from pathlib import Path

from click.testing import CliRunner

from evals.cli import cli

GOOD = {"id": "x1", "language": "fr", "question": "Q ?", "evidence": ["Festival Novembre Numérique"],
        "answer_facts": [], "answerable": True, "split": "test"}


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_help() -> None:
    result = invoke("-h")
    assert result.exit_code == 0
    for option in ("--gold", "--aids-gold", "--split", "--k", "--json", "--report", "--junit", "--no-baselines",
                   "feedback-export"):
        assert option in result.output


def test_missing_gold_file(tmp_path: Path, clean_settings: Path) -> None:
    result = invoke("--gold", str(tmp_path / "absent.jsonl"))
    assert result.exit_code == 2
    assert result.output.strip() == f"evals: {tmp_path / 'absent.jsonl'}: gold file not found"


def test_invalid_json_line(tmp_path: Path, clean_settings: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps(GOOD) + "\n{not json\n", encoding="utf-8")
    result = invoke("--gold", str(path))
    assert result.exit_code == 2
    assert f"{path}:2: invalid JSON" in result.output and len(result.output.strip().splitlines()) == 1


def test_evidence_missing_from_the_corpus(tmp_path: Path, clean_settings: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps({**GOOD, "evidence": ["nulle part dans le corpus"]}) + "\n", encoding="utf-8")
    result = invoke("--gold", str(path))
    assert result.exit_code == 2 and "evidence not found in the corpus" in result.output


def test_bad_thresholds_file(tmp_path: Path, clean_settings: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("checks:\n  - {metric: hit@5, min: 0.9, max: 1}\n", encoding="utf-8")
    result = invoke("--thresholds", str(path))
    assert result.exit_code == 2 and "exactly one of min, max, beats" in result.output


def test_no_index_is_one_line_exit_1(tmp_path: Path, clean_settings: Path) -> None:
    result = invoke("--no-baselines")
    assert result.exit_code == 1
    assert result.output.strip().startswith("evals: ") and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_an_unreadable_environment_variable_is_named_in_one_line_exit_2(monkeypatch, clean_settings: Path) -> None:
    from assistant.settings import get_settings

    monkeypatch.setenv("EMBEDDING_LANGUAGES", "en,fr")  # a list is written as JSON
    get_settings.cache_clear()
    result = invoke("--no-baselines")
    assert result.exit_code == 2
    assert result.output.strip() == 'evals: invalid EMBEDDING_LANGUAGES: expected a JSON list, e.g. ["en", "fr"]'


# --- the machine refuses: a full disk, a read-only folder, a permission (issue 23) ---------------------------

def _one_line_error(result, *words: str) -> None:
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("evals: ") and "warning" not in line]
    assert len(errors) == 1 and all(word in errors[0] for word in words), result.stderr
    assert "Traceback" not in result.output


def test_feedback_export_onto_a_full_disk_or_a_forbidden_folder_is_one_line(tmp_path: Path, monkeypatch) -> None:
    import errno

    from tests.disk_faults import refuse
    from web.store import Store

    Store(tmp_path / "app.db")
    out = tmp_path / "out" / "candidates.jsonl"
    refuse(monkeypatch, tmp_path / "out")
    _one_line_error(invoke("feedback-export", "--db", str(tmp_path / "app.db"), "--out", str(out)),
                    "No space left on device: ", str(tmp_path / "out"))
    refuse(monkeypatch, tmp_path / "out", errno.EACCES)
    _one_line_error(invoke("feedback-export", "--db", str(tmp_path / "app.db"), "--out", str(out)),
                    "Permission denied: ", str(tmp_path / "out"))


def test_a_report_onto_a_full_disk_is_one_line(tmp_path: Path, clean_settings: Path, built_index, monkeypatch) -> None:
    from evals import gold
    from tests.disk_faults import refuse

    monkeypatch.setenv("DATA_DIR", str(built_index.data_dir))
    gold_path, aids_path = tmp_path / "g.jsonl", tmp_path / "aids.jsonl"
    gold_path.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    aids_path.write_text(gold.DEFAULT_AIDS.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    refuse(monkeypatch, tmp_path / "reports")
    for option in ("--junit", "--report"):
        result = invoke("--gold", str(gold_path), "--aids-gold", str(aids_path), "--no-baselines",
                        option, str(tmp_path / "reports" / "out"))
        _one_line_error(result, "No space left on device: ", str(tmp_path / "reports"))
