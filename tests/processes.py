"""Servers the tests start as child processes (a Chroma server, the local LLM server, PostgreSQL), on loopback."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(command: list[str], ready: str | Callable[[], bool], log_path: Path, timeout_s: float,
            cwd: Path | None = None, env: dict[str, str] | None = None, user: str | None = None,
            stop: int = signal.SIGTERM) -> Iterator[subprocess.Popen]:
    """``command`` running, once ``ready`` (a URL) answers 200 or (a function) returns True; stopped (then
    killed) on exit. A server that exits or is not ready in ``timeout_s`` is a RuntimeError quoting the end
    of its log."""
    is_ready = ready if callable(ready) else lambda: _answers(ready)
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env, user=user, group=user)
        deadline = time.monotonic() + timeout_s
        try:
            while not is_ready():
                if proc.poll() is not None or time.monotonic() > deadline:
                    why = f"exited with {proc.returncode}" if proc.poll() is not None else f"not ready in {timeout_s:.0f} s"
                    raise RuntimeError(f"{command[0]} {why}: {log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.2)
            yield proc
        finally:
            proc.send_signal(stop)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def postgres_bin(name: str) -> Path:
    """A PostgreSQL server program from Debian's ``postgresql`` package (``make postgres`` installs it)."""
    found = shutil.which(name)
    if found:
        return Path(found)
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: run `make postgres` (Debian's postgresql package)")
    return versions[-1]


@contextmanager
def postgres_server(log_path: Path, timeout_s: float = 60) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port (TCP only, trust auth, fsync off: a test
    cluster, removed on exit); yields the URL of its ``postgres`` database.

    PostgreSQL refuses to run as root: as root (CI here), the cluster belongs to the ``postgres`` user
    the Debian package creates, and its programs run as that user. Stopped with SIGINT (a fast shutdown:
    open connections are closed, not waited for)."""
    user = None
    folder = Path(tempfile.mkdtemp(prefix="pg-test-"))
    if os.getuid() == 0:
        user = "postgres"
        try:
            shutil.chown(folder, user)
        except LookupError:
            raise RuntimeError("no postgres user to run PostgreSQL as: run `make postgres` (Debian's postgresql "
                               "package creates it)") from None
    data, port = folder / "data", free_port()
    try:
        subprocess.run([str(postgres_bin("initdb")), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C.UTF-8"], check=True, capture_output=True, text=True, user=user, group=user)
        command = [str(postgres_bin("postgres")), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                   "-k", "", "-c", "fsync=off", "-c", "max_connections=200"]
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with serving(command, lambda: _accepts(url), log_path, timeout_s, user=user, stop=signal.SIGINT):
            yield url
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"initdb failed: {exc.stderr[-2000:]}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _accepts(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


def new_database(server_url: str) -> str:
    """A new empty database on the server at ``server_url``; its URL."""
    import psycopg

    name = "test_" + secrets.token_hex(6)
    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name
