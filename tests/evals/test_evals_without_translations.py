"""``evals --without-translations``: the corpus is ingested without ``translations/`` into a folder of its
own, evaluated there, and the folder is gone afterwards; the configured index is neither read nor written."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from click.testing import CliRunner

from assistant.settings import Settings, get_settings
from evals.cli import _without_translations, cli
from vectorstore.index import Index
from vectorstore.text import content_hash

E5 = "packaged:multilingual-e5-small"  # loads in a fraction of MiniLM's time
SOURCE = "Le CNC soutient la création de jeux vidéo par des aides sélectives."


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    (corpus / "translations" / "en").mkdir(parents=True)
    (corpus / "doc.txt").write_text(f"Les aides\n\n{SOURCE}\n", encoding="utf-8")
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - {id: doc, file: doc.txt, language: fr, title: Doc, publisher: Test, date: '2024'}\n", encoding="utf-8")
    (corpus / "translations" / "en" / "doc.jsonl").write_text(json.dumps(
        {"source_hash": content_hash(SOURCE), "lang": "en", "unofficial": True,
         "sentences": ["The CNC supports video game creation with selective grants."]}) + "\n", encoding="utf-8")
    return corpus


def test_the_index_evaluated_has_no_translation_and_is_removed_at_the_end(tmp_path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", corpus_dir=_corpus(tmp_path), embedding_model=E5)
    with click.Context(cli) as ctx:
        untranslated = _without_translations(ctx, settings)
        index = Index.open(untranslated.data_dir, untranslated.chroma())
        assert [p.text for p in index.ordered] == ["Les aides", SOURCE]
        assert all(not p.translations for p in index.ordered)
        assert not (untranslated.corpus_dir / "translations").exists() and (settings.corpus_dir / "translations").is_dir()
    assert not untranslated.data_dir.exists() and not (tmp_path / "data").exists()


def test_the_option_evaluates_that_index(tmp_path, monkeypatch) -> None:
    corpus = _corpus(tmp_path)
    gold = tmp_path / "qa.jsonl"
    gold.write_text(json.dumps({"id": "q1", "language": "en", "question": "Who supports video games?",
                                "evidence": ["jeux vidéo"], "answerable": True, "split": "test"}) + "\n",
                    encoding="utf-8")
    aids = tmp_path / "aids.jsonl"
    aids.write_text(json.dumps({"id": "p1", "language": "fr", "profile": "Je suis éditrice", "expected": ["x"],
                                "split": "test"}) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("EMBEDDING_MODEL", E5)
    get_settings.cache_clear()
    before = set(Path(tempfile.gettempdir()).glob("evals-untranslated-*"))

    result = CliRunner().invoke(cli, ["--gold", str(gold), "--aids-gold", str(aids), "--no-baselines", "--json",
                                      "--split", "test", "--without-translations"])

    assert result.exit_code in (0, 1), result.output  # ran (thresholds of the real gold may fail on one question)
    assert "2 passages ingested without translations/" in result.stderr
    assert json.loads(result.stdout)["qa"]["test"]["overall"]["n"] == 1
    assert not data.exists()  # the configured data folder was never touched
    assert set(Path(tempfile.gettempdir()).glob("evals-untranslated-*")) == before  # removed at the end
