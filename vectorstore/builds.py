"""Build folders on disk: the live pointer, the atomic switch, and the clean-up after a crash.

    data_dir/CURRENT                    name of the live build, replaced with os.replace
    data_dir/indexes/<build>/           a finished build: never modified once renamed into place
    data_dir/indexes/.staging-<build>/  a build being written; only the writer holding the lock owns it

A build is written whole into its staging folder, fsynced, renamed to its final name (the folder and
the rename fsynced too), and only then made live by replacing ``CURRENT``. A process killed at any
point therefore leaves ``CURRENT`` naming a complete build; what it leaves behind (a staging folder, a
pointer temp file, a finished build never switched to, a server collection) is removed by the next
ingest. Readers never lock: they read ``CURRENT`` once and open that folder.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from vectorstore.chroma import ChromaConfig, collection_name, delete_collections

STAGING_PREFIX = ".staging-"


def current_build(data_dir: Path) -> Path | None:
    pointer = data_dir / "CURRENT"
    if not pointer.is_file():
        return None
    build = data_dir / "indexes" / pointer.read_text(encoding="utf-8").strip()
    return build if (build / "build.json").is_file() else None


def read_info(build: Path) -> dict:
    return json.loads((build / "build.json").read_text(encoding="utf-8"))


def recorded_address(info: dict) -> str:
    """Where a build's vectors live: "" (embedded, in the build folder) or the server's host:port."""
    if "chroma_address" in info:
        return str(info["chroma_address"])
    return str(info.get("chroma_host") or "")  # builds written before the address was recorded


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        fsync_dir(path)
    fsync_dir(root)


def staging_dir(data_dir: Path, build_id: str) -> Path:
    return data_dir / "indexes" / f"{STAGING_PREFIX}{build_id}"


def publish(data_dir: Path, staging: Path, build_id: str) -> Path:
    """Rename a complete staging folder to its final name and make it the live build."""
    final = data_dir / "indexes" / build_id
    os.replace(staging, final)
    fsync_dir(final.parent)
    switch(data_dir, build_id)
    return final


def switch(data_dir: Path, build_id: str) -> None:
    tmp = data_dir / f".CURRENT.{os.getpid()}"
    tmp.write_text(build_id, encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, data_dir / "CURRENT")
    fsync_dir(data_dir)


def clean_stale(data_dir: Path, chroma: ChromaConfig) -> list[str]:
    """Remove what a killed ingest left: staging folders (with their server collections, if any) and
    pointer temp files. Returns what was removed. Only the holder of the writer lock may call it."""
    removed: list[str] = []
    indexes = data_dir / "indexes"
    stale = sorted(p for p in indexes.iterdir() if p.name.startswith(STAGING_PREFIX)) if indexes.is_dir() else []
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(f"indexes/{path.name}")
    delete_collections(chroma, [collection_name(p.name[len(STAGING_PREFIX):], True) for p in stale])
    for tmp in sorted(data_dir.glob(".CURRENT.*")):
        tmp.unlink(missing_ok=True)
        removed.append(tmp.name)
    return removed


def prune(data_dir: Path, keep: set[str], chroma: ChromaConfig) -> list[str]:
    """Remove every build but ``keep`` (the live one and the one before it, which a running server may
    still be reading), and their collections on the configured Chroma server. Returns what was removed."""
    removed: list[str] = []
    collections: list[str] = []
    for path in sorted((data_dir / "indexes").iterdir()):
        if path.name in keep or not path.is_dir():
            continue
        try:
            info = read_info(path)
        except (OSError, ValueError):
            info = {}
        if chroma.server_mode and info.get("collection") and recorded_address(info) == chroma.address:
            collections.append(str(info["collection"]))
        shutil.rmtree(path, ignore_errors=True)
        removed.append(f"indexes/{path.name}")
    delete_collections(chroma, collections)
    return removed
