"""Web fixtures: the real app over the real assistant (the session's index), with a fresh
conversations database per test so tests never see each other's conversations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.settings import Settings
from web import create_app
from web.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "app.db")


@pytest.fixture
def web_settings(built_index: Settings) -> Settings:
    return built_index


@pytest.fixture
def client(web_settings: Settings, assistant, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings, assistant=assistant, store=store)) as c:
        yield c
