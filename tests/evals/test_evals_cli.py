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
