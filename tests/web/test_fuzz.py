"""Fuzzing: schemathesis over the app's own OpenAPI schema, against the real assistant, never a 5xx.

Every operation of the schema is fuzzed with data that fits it (positive) and data that does not
(negative), in process through the ASGI app. The run is bounded and reproducible: a fixed number of
examples per operation and mode (``derandomize`` makes Hypothesis draw the same ones every run), no
example database, no deadline (an answer takes tens of milliseconds, sometimes more on a busy machine).

Budgets follow cost: ``POST /api/chat`` and its stream run the whole answerer (query embedding, search,
answer), so they get fewer examples; lookups and validation-heavy operations get more. The test counts
the requests it actually sent and requires at least 1,000 across the API. Operations without
parameters (``/healthz``) exhaust their few distinct examples at once; that is expected.

Checks: no server error, and each response matches the schema documented for its status.
"""

from __future__ import annotations

import time
from collections import Counter

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from assistant.settings import Settings
from web import create_app
from web.store import Store

MIN_CASES = 1_000
DEFAULT_BUDGET = 100  # examples per operation and generation mode
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
BUDGETS = {  # (operation, mode) -> examples; the answerer is the slow part, lookups are cheap
    ("POST /api/chat", POSITIVE): 50,
    ("POST /api/chat", NEGATIVE): 80,
    ("POST /api/chat/stream", POSITIVE): 40,
    ("POST /api/chat/stream", NEGATIVE): 80,
    ("GET /api/search", POSITIVE): 120,
    ("GET /api/search", NEGATIVE): 120,
    ("GET /api/conversations/{conversation_id}", POSITIVE): 150,
    ("GET /api/conversations/{conversation_id}", NEGATIVE): 150,
    ("GET /api/conversations/{conversation_id}/export.md", POSITIVE): 150,
    ("GET /api/conversations/{conversation_id}/export.md", NEGATIVE): 150,
    ("POST /api/feedback", POSITIVE): 200,
    ("POST /api/feedback", NEGATIVE): 200,
    ("GET /api/aids/{aid_id}", POSITIVE): 150,
    ("GET /api/aids/{aid_id}", NEGATIVE): 150,
}
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def app(web_settings: Settings, assistant, store: Store) -> FastAPI:
    return create_app(web_settings, assistant=assistant, store=store)


Sent = Counter[tuple[str, int]]  # (operation, status) -> requests


def fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, examples: int, sent: Sent) -> None:
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call()
        sent[operation.label, response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.slow
def test_the_api_never_answers_with_a_server_error(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    sent: Sent = Counter()
    failures: dict[str, str] = {}
    lines = []
    for result in schema.get_all_operations():
        operation = result.ok()
        takes_input = bool(operation.body) or any(True for _ in operation.iter_parameters())
        # Without parameters or body there is nothing to get wrong: no negative case exists.
        for mode in (POSITIVE, NEGATIVE) if takes_input else (POSITIVE,):
            name = f"{operation.label} ({mode.value})"
            before, start = sum(sent.values()), time.perf_counter()
            try:
                fuzz(operation, mode, BUDGETS.get((operation.label, mode), DEFAULT_BUDGET), sent)
            except (Exception, FailureGroup) as exc:  # keep going: one report for every failing operation
                failures[name] = f"{type(exc).__name__}: {exc}"[:4000]
            lines.append(f"{name:60} {sum(sent.values()) - before:5} requests {time.perf_counter() - start:6.1f} s")

    statuses: Counter[int] = Counter()
    for (_, status), n in sent.items():
        statuses[status] += n
    print("\n" + "\n".join(lines) + f"\n{sum(sent.values())} requests, by status: {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
    assert sum(sent.values()) >= MIN_CASES, dict(sent)
