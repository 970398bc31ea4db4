"""The real web app in a child process: ``create_app(Settings(...))`` under uvicorn, as ``assistant serve``
runs it, on a loopback socket the parent binds (a free port, no race) and hands over.

Run by :func:`running`; ``python -m bench.server --data-dir D --fd N [--workers W]`` is its child side.
With several workers (a what-if: ``assistant serve`` runs one), uvicorn's supervisor hands the same
socket to each worker process.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 240


@dataclass
class Server:
    url: str
    pid: int
    started_s: float  # from spawn to the first healthy /healthz


def bench_settings(data_dir: Path):
    """Settings for every measurement: this data folder, the extractive answerer, no rate limit."""
    from assistant.settings import Settings

    return Settings(_env_file=None, data_dir=data_dir, llm_base_url="", llm_model="", rate_limit_per_minute=0)


@contextmanager
def running(data_dir: Path, log_path: Path, env: dict[str, str] | None = None, workers: int = 1) -> Iterator[Server]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    child_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                 **(env or {})}
    started = time.monotonic()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--data-dir", str(data_dir), "--fd", str(sock.fileno()),
             "--workers", str(workers)],
            cwd=REPO, env=child_env, pass_fds=[sock.fileno()], stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log_path, started)
        yield Server(url, proc.pid, round(time.monotonic() - started, 2))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        sock.close()


def wait_settled(pid: int, processes: int, timeout_s: float = 120.0) -> None:
    """Wait until the server's process tree counts ``processes`` and its memory stops growing (every
    worker has loaded the model): /healthz answers as soon as the first worker is up."""
    from bench.machine import descendants, tree_rss_mb

    deadline = time.monotonic() + timeout_s
    previous = -1.0
    while time.monotonic() < deadline:
        rss = tree_rss_mb(pid) or 0.0
        if len(descendants(pid)) >= processes and abs(rss - previous) < max(5.0, 0.01 * rss):
            return
        previous = rss
        time.sleep(1.0)


def _wait_healthy(url: str, proc: subprocess.Popen, log_path: Path, started: float) -> None:
    while time.monotonic() - started < START_TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): {_tail(log_path)}")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the server was not healthy after {START_TIMEOUT_S} s: {_tail(log_path)}")


def _tail(path: Path, chars: int = 1500) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


def app_from_environment():  # type: ignore[no-untyped-def]
    """The app factory each worker process calls (``--workers`` > 1): its data folder comes by environment."""
    from web.app import create_app

    return create_app(bench_settings(Path(os.environ["BENCH_DATA_DIR"])))


def main(argv: list[str] | None = None) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--fd", type=int, required=True, help="a bound loopback socket inherited from the parent")
    parser.add_argument("--workers", type=int, default=1, help="worker processes sharing the socket")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    os.environ["BENCH_DATA_DIR"] = str(args.data_dir)
    # log_level "info" with the access log, as `assistant serve` runs it.
    config = uvicorn.Config("bench.server:app_from_environment", factory=True, log_level="info",
                            workers=args.workers)
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
