"""Chroma clients: embedded (a folder on disk) or a real Chroma server (``CHROMA_HOST``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import chromadb
from chromadb.errors import NotFoundError
from chromadb.config import Settings as ChromaSettings

from vectorstore.errors import ChromaServerError


@dataclass(frozen=True)
class ChromaConfig:
    host: str = ""
    port: int = 8000
    auth_token: str = ""
    ssl: bool = False

    @property
    def server_mode(self) -> bool:
        return bool(self.host)

    @property
    def address(self) -> str:
        """Where the vectors live, as recorded in a build: "" for the embedded store, else host:port."""
        return f"{self.host}:{self.port}" if self.server_mode else ""


def make_client(config: ChromaConfig, path: Path | None):
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if config.server_mode:
        headers = {"Authorization": f"Bearer {config.auth_token}"} if config.auth_token else None
        try:
            return chromadb.HttpClient(host=config.host, port=config.port, ssl=config.ssl, headers=headers,
                                       settings=settings)
        # chromadb says "Could not connect" with a ValueError, and lets HTTP and auth errors through as is.
        except Exception as exc:
            raise ChromaServerError(f"cannot use the Chroma server at {config.address}: {exc}") from exc
    if path is None:
        raise ValueError("an embedded Chroma needs a folder")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def collection_name(build_id: str, server_mode: bool) -> str:
    # Embedded: one Chroma folder per build, so the name can stay fixed. Server: one collection per build.
    return f"passages-{build_id}" if server_mode else "passages"


def delete_collections(config: ChromaConfig, names: list[str]) -> list[str]:
    """Drop server collections of builds that are gone (best effort); returns the names that failed."""
    if not config.server_mode or not names:
        return []
    failed = []
    try:
        client = make_client(config, None)
    except ChromaServerError:
        return list(names)
    for name in names:
        try:
            client.delete_collection(name)
        except NotFoundError:
            pass
        except Exception:  # a server hiccup must not fail an ingest that has already switched
            failed.append(name)
    return failed
