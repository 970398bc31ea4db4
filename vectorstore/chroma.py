"""Chroma clients: embedded (a folder on disk) or a real Chroma server (``CHROMA_HOST``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings


@dataclass(frozen=True)
class ChromaConfig:
    host: str = ""
    port: int = 8000
    auth_token: str = ""
    ssl: bool = False

    @property
    def server_mode(self) -> bool:
        return bool(self.host)


def make_client(config: ChromaConfig, path: Path | None):
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if config.server_mode:
        headers = {"Authorization": f"Bearer {config.auth_token}"} if config.auth_token else None
        return chromadb.HttpClient(host=config.host, port=config.port, ssl=config.ssl, headers=headers, settings=settings)
    if path is None:
        raise ValueError("an embedded Chroma needs a folder")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def collection_name(build_id: str, server_mode: bool) -> str:
    # Embedded: one Chroma folder per build, so the name can stay fixed. Server: one collection per build.
    return f"passages-{build_id}" if server_mode else "passages"
