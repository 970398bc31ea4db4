"""Build folders on disk: the live pointer, the atomic switch, and the clean-up after a crash.

    data_dir/CURRENT                    name of the live build, replaced with os.replace
    data_dir/indexes/<build>/           a finished build: never modified once renamed into place
    data_dir/indexes/.staging-<build>/  a build being written; only the writer holding the lock owns it

    data_dir/readers/<pid>-<build>      a process reading that build (a server): the build is kept while it lives

A build is written whole into its staging folder, fsynced, renamed to its final name (the folder and
the rename fsynced too), and only then made live by replacing ``CURRENT``. A process killed at any
point therefore leaves ``CURRENT`` naming a complete build; what it leaves behind (a staging folder, a
pointer temp file, a finished build never switched to, a server collection) is removed by the next
ingest. Readers never lock: they read ``CURRENT`` once, open that folder and leave a reader file, so
that a later ingest keeps the build for as long as they run (``prune``).

A build can still be damaged after the fact (a disk error, a hand-deleted file): ``build.json`` records
the size of every file written, and :func:`damage` says what no longer matches, which ingest rebuilds
and a server refuses to open.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from vectorstore.chroma import ChromaConfig, collection_name, delete_collections, make_client

STAGING_PREFIX = ".staging-"


def current_build(data_dir: Path) -> Path | None:
    pointer = data_dir / "CURRENT"
    if not pointer.is_file():
        return None
    build = data_dir / "indexes" / pointer.read_text(encoding="utf-8").strip()
    return build if (build / "build.json").is_file() else None


def read_info(build: Path) -> dict:
    info = json.loads((build / "build.json").read_text(encoding="utf-8"))
    if not isinstance(info, dict):
        raise ValueError("build.json is not an object")
    return info


def file_sizes(build: Path) -> dict[str, int]:
    """Size of every file of a build folder but Chroma's own (which Chroma may rewrite when it opens)."""
    return {path.relative_to(build).as_posix(): path.stat().st_size for path in sorted(build.rglob("*"))
            if path.is_file() and path.name != "build.json" and path.relative_to(build).parts[0] != "chroma"}


def damage(build: Path, chroma: ChromaConfig) -> list[str]:
    """What is wrong with a build folder, in a few words each; empty when it is whole: ``build.json``
    readable, every file it recorded there at its size, as many passages, vectors and Chroma entries as
    it counted."""
    try:
        info = read_info(build)
        passages, entries, collection = int(info["passages"]), int(info["entries"]), str(info["collection"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"build.json is missing or unreadable ({type(exc).__name__})"]
    problems = []
    sizes = info.get("files")
    expected = sizes if isinstance(sizes, dict) else dict.fromkeys(("passages.jsonl", "vectors.npy", "vectors.json"))
    for name, size in expected.items():
        path = build / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif size is not None and path.stat().st_size != size:
            problems.append(f"{name} has {path.stat().st_size} bytes, not {size}")
    if problems:
        return problems
    with open(build / "passages.jsonl", "rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    if lines != passages:
        problems.append(f"passages.jsonl holds {lines} passages, not {passages}")
    if not chroma.server_mode and not (build / "chroma" / "chroma.sqlite3").is_file():
        return [*problems, "the Chroma folder is missing"]  # opening it would create an empty one
    try:
        count = make_client(chroma, build / "chroma").get_collection(collection).count()
    except Exception as exc:  # noqa: BLE001 — whatever Chroma raises on a damaged store, the build is damaged
        return [*problems, f"the Chroma collection cannot be read ({type(exc).__name__})"]
    if count != entries:
        problems.append(f"the Chroma collection holds {count} entries, not {entries}")
    return problems


# --- readers ----------------------------------------------------------------------------------------------


def register_reader(build: Path) -> None:
    """Record that this process reads ``build``: ``prune`` keeps it while the process lives."""
    readers = build.parent.parent / "readers"
    try:
        readers.mkdir(exist_ok=True)
        (readers / f"{os.getpid()}-{build.name}").touch()
    except OSError:  # a read-only data folder: nothing prunes it either
        pass


def builds_in_use(data_dir: Path) -> set[str]:
    """Builds a living process reads (see ``register_reader``); forgets the files of dead ones."""
    used: set[str] = set()
    readers = data_dir / "readers"
    for path in sorted(readers.iterdir()) if readers.is_dir() else []:
        pid, _, build = path.name.partition("-")
        if pid.isdigit() and build and _alive(int(pid)):
            used.add(build)
        else:
            path.unlink(missing_ok=True)
    return used


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


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
    """Remove every build but ``keep`` (the live one and the one before it) and those a running process
    still reads (``builds_in_use``), and their collections on the configured Chroma server. Returns what
    was removed."""
    removed: list[str] = []
    collections: list[str] = []
    keep = keep | builds_in_use(data_dir)
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
