"""The LLM answerer against a real model (llama.cpp server, Qwen2.5-Coder-0.5B-Instruct, on loopback).

A small model does what the checks exist for: it writes markers before its sentences, cites the wrong
passage, says the question back, invents an answer where NO_ANSWER was due, answers Arabic in
English. These tests assert what the user is shown whatever it writes: every sentence shown cites a
passage that backs it, in the question's language, or the extractive answer takes over; the bounds
(deadline, concurrency) hold against a real server. Nothing here asserts the model's wording.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from assistant.llm import MIN_SUPPORT, assistant_support, in_language
from assistant.service import Assistant
from tests.web.server import running
from tests.web.support import parse_events
from vectorstore.text import detect_language
from web import create_app
from web.store import Store

pytestmark = pytest.mark.real_llm

FRENCH = "Qu'est-ce que le Festival Novembre Numérique ?"
ENGLISH = "What is Culturethèque?"
ARABIC = "ما هو برنامج Micro-Folies؟"
LIST = "Quels sont les trois axes de la feuille de route ?"


def _settings(built_index, server, **bounds):
    return built_index.model_copy(update={
        "llm_base_url": server.base_url, "llm_model": server.model, "llm_api_key": "",
        "llm_timeout": 120.0, "llm_deadline": 240.0, **bounds})


@pytest.fixture(scope="module")
def llm_assistant(built_index, local_llm) -> Assistant:
    return Assistant.from_settings(_settings(built_index, local_llm))


@pytest.fixture(scope="module")
def app_url(llm_assistant, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("llm-web") / "app.db")
    with running(create_app(llm_assistant.settings, assistant=llm_assistant, store=store)) as url:
        yield url


def _shown_sentences_are_backed(assistant: Assistant, answer: dict) -> None:
    """Every sentence shown cites a passage of the answer, and that passage backs it (measured again
    here, from the passage the citation links to), in the question's language."""
    numbers = {c["n"]: c for c in answer["citations"]}
    assert answer["sentences"], "an LLM answer with no sentence"
    for sentence in answer["sentences"]:
        assert sentence["citations"] and set(sentence["citations"]) <= set(numbers)
        passages = [assistant.index.passages[numbers[n]["passage_id"]] for n in sentence["citations"]]
        # in the question's language, the names its passages give aside (what the answerer checks)
        assert in_language(sentence["text"], passages, answer["language"]), sentence
        vector = assistant.embeddings.encode([sentence["text"]])[0]
        best = max(assistant_support(assistant, sentence["text"], vector, p, answer["language"]) for p in passages)
        assert best >= MIN_SUPPORT, sentence


def test_the_stream_arrives_and_shows_only_cited_backed_sentences(app_url, llm_assistant):
    by = {}
    with httpx.Client(base_url=app_url, timeout=300) as http:
        for question in (FRENCH, ENGLISH):
            r = http.post("/api/chat/stream", json={"message": question})
            assert r.status_code == 200
            events = parse_events(r.text)
            kinds = [k for k, _ in events]
            assert kinds[-1] == "done" and "citations" in kinds and kinds.index("token") < kinds.index("citations")
            final = next(v for k, v in events if k == "citations")
            streamed = "".join(v for k, v in events if k == "token")
            by[question] = final["answerer"]
            if final["answerer"] == "llm":
                _shown_sentences_are_backed(llm_assistant, final)
                assert streamed.split() == final["answer"].split()  # what was streamed is what was checked
    assert "llm" in by.values(), f"the model answered none of the easy questions: {by}"


def test_json_answers_in_the_questions_language_with_backed_sentences(app_url, llm_assistant):
    with httpx.Client(base_url=app_url, timeout=300) as http:
        for question in (LIST, ARABIC):
            answer = http.post("/api/chat", json={"message": question}).json()
            assert answer["language"] == detect_language(question)
            if answer["answerer"] == "llm" and not answer["abstained"]:
                _shown_sentences_are_backed(llm_assistant, answer)
            else:  # the model's reply had nothing to show: the extractive answer, cited
                assert answer["answerer"] in ("extractive", "none") and answer["citations"]


def test_a_question_the_passages_do_not_answer_gets_no_invention(llm_assistant):
    # The refusal model is bypassed: the model is handed passages that say nothing of Mongolia.
    a = llm_assistant
    frame = a.understand("Quelle est la capitale de la Mongolie ?", [], None)
    context = a.assemble(frame, a.retrieve(frame))
    assert not any("Mongoli" in p.text_in("fr") for p in context.passages())
    before = a.llm.stats.snapshot()
    gen = a.llm.stream(a, context, [], False)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        response = stop.value
    after = a.llm.stats.snapshot()
    assert after["calls"] == before["calls"] + 1
    if response is not None and not response.abstained:  # what is shown is the passages' own claims
        assert not any("Mongoli" in s.text or "Oulan" in s.text for s in response.sentences)
        _shown_sentences_are_backed(a, response.model_dump())


def test_a_deadline_shorter_than_the_model_falls_back_and_frees_the_slot(built_index, local_llm):
    slow = Assistant.from_settings(_settings(built_index, local_llm, llm_deadline=0.01, llm_max_concurrency=1))
    res = slow.answer(ENGLISH)
    assert res.answerer == "extractive" and not res.abstained and res.citations
    assert slow.llm.stats.snapshot()["fallback_timeout"] == 1
    res = slow.answer(ENGLISH)  # the only slot was released
    assert slow.llm.stats.snapshot()["fallback_busy"] == 0 and res.answerer == "extractive"


def test_a_full_house_answers_extractively_at_once_and_the_slot_comes_back(built_index, local_llm):
    import time

    capped = Assistant.from_settings(_settings(built_index, local_llm, llm_max_concurrency=1))
    first = {}
    holder = threading.Thread(target=lambda: first.update(res=capped.answer(FRENCH)), daemon=True)
    holder.start()
    deadline = time.monotonic() + 60
    while capped.llm.stats.snapshot()["calls"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)  # the first question has taken the one slot (the model reads for seconds)
    other = capped.answer(ENGLISH)
    assert other.answerer == "extractive" and other.citations
    assert capped.llm.stats.snapshot()["fallback_busy"] == 1 and holder.is_alive()
    holder.join(300)
    assert first["res"].answerer in ("llm", "extractive")
    capped.answer(ENGLISH)  # the slot came back
    assert capped.llm.stats.snapshot()["fallback_busy"] == 1
