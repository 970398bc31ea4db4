"""The sentence bank: what it knows of the whole corpus is computed at ingest and loaded at start, the
same as reading every sentence of the corpus gives; a passage's sentences are read when first asked for."""

from __future__ import annotations

import json
import logging
import math
import shutil

import numpy as np
import pytest

from assistant.sentences import STATISTICS, SentenceBank, derived, latin_names, statistics_signature
from tests.conftest import REPO
from vectorstore.index import Index, current_build
from vectorstore.text import surface_words

GOLD = REPO / "evals" / "gold" / "qa.jsonl"


def _read_every_sentence(index: Index):
    """idf, words, Latin names of the Arabic text and chance as the bank computed them at start before
    they were stored: every passage read in every language, in order, then a sample of all the vectors."""
    bank = SentenceBank(index)
    counts: dict[str, int] = {}
    df: dict[str, dict[str, int]] = {}
    words: set[str] = set()
    latin: set[str] = set()
    vectors = []
    for p in index.ordered:
        for lang in [p.language, *p.translations]:
            for s in bank.sentences(p, lang):
                counts[lang] = counts.get(lang, 0) + 1
                bucket = df.setdefault(lang, {})
                for t in s.tokens:
                    bucket[t] = bucket.get(t, 0) + 1
                words.update(surface_words(s.text, lang))
                if lang == "ar":
                    latin |= latin_names(s.text)
                if s.vector is not None:
                    vectors.append(s.vector)
    idf = {lang: {t: math.log(1 + (counts[lang] - c + 0.5) / (c + 0.5)) for t, c in bucket.items()}
           for lang, bucket in df.items()}
    matrix = np.stack(vectors)
    a, b = np.random.default_rng(0).integers(0, len(matrix), size=(2, 2000))
    keep = a != b
    chance = float(np.median(np.sum(matrix[a[keep]] * matrix[b[keep]], axis=1)))
    return idf, words, latin, chance


def test_the_build_stores_what_reading_every_sentence_gives_and_the_assistant_loads_it(assistant, caplog):
    index = assistant.index
    assert index.extra(STATISTICS)["signature"] == statistics_signature()
    idf, words, latin, chance = _read_every_sentence(index)
    with caplog.at_level(logging.WARNING, logger="assistant.sentences"):
        bank = SentenceBank(index)
    assert not caplog.records  # loaded, not computed
    for loaded in (bank, assistant.bank):
        assert loaded.idf == idf
        assert loaded.words == words
        assert loaded.latin_in_arabic == latin and "culturetheque" in latin
        assert loaded.chance == chance and 0.05 < chance < 0.5
    assert assistant.vocabulary == frozenset().union(*(t.keys() for t in idf.values()), words)


def test_a_passage_s_sentences_are_read_when_first_asked_for(assistant):
    bank = SentenceBank(assistant.index)
    assert not bank._cache
    p = assistant.index.ordered[10]
    assert [s.text for s in bank.sentences(p, p.language)] == p.sentences_in(p.language)
    assert list(bank._cache) == [(p.passage_id, p.language)]


@pytest.fixture(scope="module")
def unstored(built_index, tmp_path_factory):
    """The same corpus built as before the statistics were stored (without ``derived``)."""
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import get_embeddings

    settings = built_index.model_copy(update={"data_dir": tmp_path_factory.mktemp("unstored")})
    report = run_ingest(settings.corpus_dir, settings.data_dir, get_embeddings(settings.embedding_model),
                        settings.chroma(), vector_seed=current_build(built_index.data_dir))
    assert report.changed and report.embedded == 0
    return settings


def test_a_build_without_the_statistics_computes_the_same_at_start_and_ingest_rebuilds_it(assistant, unstored, caplog, tmp_path):
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import get_embeddings

    index = Index.open(unstored.data_dir, unstored.chroma())
    assert index.extra(STATISTICS) is None
    with caplog.at_level(logging.WARNING, logger="assistant.sentences"):
        bank = SentenceBank(index)
    assert "holds no sentence statistics" in caplog.text
    assert (bank.idf, bank.words, bank.latin_in_arabic, bank.chance) == (
        assistant.bank.idf, assistant.bank.words, assistant.bank.latin_in_arabic, assistant.bank.chance)

    copy = unstored.model_copy(update={"data_dir": tmp_path / "data"})
    shutil.copytree(unstored.data_dir, copy.data_dir)
    report = run_ingest(copy.corpus_dir, copy.data_dir, get_embeddings(copy.embedding_model), copy.chroma(),
                        derived=[derived()])
    assert report.changed and report.embedded == 0  # the same vectors, the statistics added
    assert Index.open(copy.data_dir, copy.chroma()).extra(STATISTICS)["signature"] == statistics_signature()


def test_answers_are_those_of_a_bank_that_read_every_sentence_at_start(assistant, unstored):
    """The assistant as it was: statistics computed at start, every passage's sentences read before the
    first question; and as it is: statistics loaded, sentences read as questions need them."""
    from assistant.service import Assistant

    before = Assistant(Index.open(unstored.data_dir, unstored.chroma()), unstored)
    for p in before.index.ordered:
        for lang in [p.language, *p.translations]:
            before.bank.sentences(p, lang)
    questions = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()][::12]
    assert len(questions) >= 40 and {q["language"] for q in questions} == {"fr", "en", "ar"}
    for q in questions:
        assert assistant.answer(q["question"]).model_dump() == before.answer(q["question"]).model_dump(), q["id"]


def test_the_token_store_holds_what_tokenising_at_start_gives(assistant, unstored):
    """Every passage's kept sentences and tokens, and every entry's tokens, looked up in the build's
    token store, equal what a bank without the store computes from the text."""
    stored = SentenceBank(assistant.index)
    computed = SentenceBank(Index.open(unstored.data_dir, unstored.chroma()))
    assert stored._tokens is not None and computed._tokens is None
    for p in assistant.index.ordered:
        for lang in [p.language, *p.translations]:
            a, b = stored.sentences(p, lang), computed.sentences(p, lang)
            assert [(s.text, s.tokens) for s in a] == [(s.text, s.tokens) for s in b], p.passage_id
            assert stored.entry_tokens(p, lang) == computed.entry_tokens(p, lang), p.passage_id


def test_a_process_keeps_a_bounded_number_of_passages_read():
    from assistant.sentences import Recent

    recent: Recent[str, int] = Recent(3)
    for i, key in enumerate("abcd"):
        recent.put(key, i)
    assert list(recent) == ["b", "c", "d"] and recent.get("a") is None
    assert recent.get("b") == 1  # used: now the most recent
    recent.put("e", 4)
    assert list(recent) == ["d", "b", "e"]
