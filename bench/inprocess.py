"""In-process latency: the floor (one query embedding + one Chroma search) and the assistant's calls,
measured taking turns on each question (see ``bench.timing.time_interleaved``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.errors import AssistantError
from assistant.schemas import Turn
from assistant.service import Assistant
from bench.questions import Question
from bench.timing import time_calls, time_interleaved

# The pool HybridSearcher.search asks Chroma for: the floor is the dense call the app really makes.
FLOOR_K = 60


def usable(assistant: Assistant, questions: list[Question],
           limit: int | None = None) -> tuple[list[Question], list[str]]:
    """The questions the assistant accepts (a gold question made only of stopwords is a 4xx by design,
    and would count as an error in the load test), the first ``limit`` of them at most; also warms every
    cache on the way."""
    ok: list[Question] = []
    rejected: list[str] = []
    for q in questions:
        if limit is not None and len(ok) >= limit:
            break
        try:
            assistant.search(q.text, k=10)
        except AssistantError:
            rejected.append(q.id)
            continue
        ok.append(q)
    return ok, rejected


def floor_call(assistant: Assistant) -> Callable[[Question], object]:
    """One query embedding + one Chroma search, as ``HybridSearcher.search`` makes it."""
    encoder, index = assistant.embeddings, assistant.index
    return lambda q: index.dense(encoder.encode([q.text])[0], FLOOR_K)


def latencies(assistant: Assistant, questions: list[Question], with_assistant: bool) -> dict[str, object]:
    """The floor and its parts (query encoding alone; ``Index.dense`` alone, vectors computed before;
    inside it Chroma's ``query`` as it asks it), and with ``with_assistant`` ``Assistant.search`` and
    ``Assistant.answer``, all taking turns on each question."""
    encoder, index = assistant.embeddings, assistant.index
    vectors = {q.text: encoder.encode([q.text])[0] for q in dict.fromkeys(questions)}
    k = index.fetch_size(FLOOR_K)  # what Index.dense asks Chroma for

    def answer(q: Question) -> None:
        assistant.answer(q.text, [Turn(role=r, content=c) for r, c in q.history])  # type: ignore[arg-type]

    fns: dict[str, Callable[[Question], object]] = {
        "floor": floor_call(assistant),
        "encode": lambda q: encoder.encode([q.text]),
        "index_dense": lambda q: index.dense(vectors[q.text], FLOOR_K),
        "chroma_query": lambda q: index.collection.query(query_embeddings=[vectors[q.text].tolist()],
                                                         n_results=k, include=["distances"]),
    }
    if with_assistant:
        fns["search"] = lambda q: assistant.search(q.text, k=10)
        fns["answer"] = answer
    return {"k": FLOOR_K, **time_interleaved(fns, questions)}


def store_write(assistant: Assistant, questions: list[Question], folder: Path) -> dict[str, object]:
    """What ``POST /api/chat`` adds after the answer: storing the exchange in the conversation database
    (``web.store.Store.add_exchange``, one SQLite transaction), in a fresh database under ``folder``."""
    from web.store import Store, new_id

    store = Store.in_data_dir(folder)
    responses = [assistant.answer(q.text) for q in questions[:20]]
    owner = new_id()
    return time_calls(lambda i: store.add_exchange(new_id(), owner, questions[i % len(questions)].text,
                                                   responses[i % len(responses)]), list(range(len(questions))))
