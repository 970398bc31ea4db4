"""Servers the tests start as child processes (a Chroma server, the local LLM server), on loopback."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(command: list[str], ready_url: str, log_path: Path, timeout_s: float, cwd: Path | None = None
            ) -> Iterator[subprocess.Popen]:
    """``command`` running, once ``ready_url`` answers 200; stopped (then killed) on exit. A server that
    exits or does not answer in ``timeout_s`` is a RuntimeError quoting the end of its log."""
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                try:
                    if httpx.get(ready_url, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    why = f"exited with {proc.returncode}" if proc.poll() is not None else f"not ready in {timeout_s:.0f} s"
                    raise RuntimeError(f"{command[0]} {why}: {log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.2)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
