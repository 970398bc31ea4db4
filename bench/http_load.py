"""HTTP latency and load against the running app: sequential warm requests, then concurrent clients.

The load generator runs in this process (httpx's AsyncClient, one connection per client, loopback
only) and competes with the server for the same cores; its CPU time is reported beside the server's.
Server CPU and memory are those of the whole process tree (a supervisor and its workers).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Callable
from typing import Literal

import httpx

from bench.machine import tree_cpu_seconds, tree_rss_mb
from bench.questions import Question
from bench.stats import summarize

Kind = Literal["chat", "search", "healthz"]  # healthz: what HTTP alone costs (no model, no search)
REQUEST_TIMEOUT_S = 30.0


def _request(kind: Kind, q: Question) -> dict[str, object]:
    if kind == "chat":
        return {"method": "POST", "url": "/api/chat", "json": q.chat_body()}
    if kind == "healthz":
        return {"method": "GET", "url": "/healthz"}
    return {"method": "GET", "url": "/api/search", "params": {"q": q.text, "k": 10}}


def sequential(url: str, pid: int, kind: Kind, questions: list[Question], warmup: int = 5,
               floor: Callable[[Question], object] | None = None) -> dict[str, object]:
    """One request at a time on a kept-alive connection: the latency a lone user sees.

    With ``floor`` (the in-process floor call), the floor is also timed on each question just before
    its request, so that the two are compared under the same background load ("paired floor")."""
    latencies: list[float] = []
    floors: list[float] = []
    errors: Counter[str] = Counter()
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        for q in questions[:warmup]:
            client.request(**_request(kind, q))  # type: ignore[arg-type]
        cpu0 = tree_cpu_seconds(pid)
        for q in questions:
            if floor is not None:
                t0 = time.perf_counter()
                floor(q)
                floors.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            try:
                r = client.request(**_request(kind, q))  # type: ignore[arg-type]
                status = str(r.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != "200":
                errors[status] += 1
        cpu1 = tree_cpu_seconds(pid)
    return {
        "requests": len(questions),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "latency_ms": summarize(latencies),
        "paired_floor_ms": summarize(floors) if floors else None,
        "server_cpu_ms_per_request": _per_request(cpu0, cpu1, len(questions)),
    }


def load(url: str, pid: int, kind: Kind, questions: list[Question], clients: int = 16,
         seconds: float = 20.0) -> dict[str, object]:
    """``clients`` concurrent clients sending requests back to back for ``seconds`` (then the requests in
    flight finish, each bounded by a timeout). Every non-200 answer or transport error is an error."""
    cpu0, own0 = tree_cpu_seconds(pid), time.process_time()
    records, elapsed = asyncio.run(_load(url, kind, questions, clients, seconds))
    cpu1, own1 = tree_cpu_seconds(pid), time.process_time()
    ok = [ms for _, ms, status in records if status == "200"]
    errors = Counter(status for _, _, status in records if status != "200")
    return {
        "clients": clients,
        "duration_s": round(elapsed, 2),
        "requests": len(records),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "req_per_s": round(len(ok) / elapsed, 2) if elapsed else 0.0,
        "latency_ms": summarize(ok),
        "server_cpu_ms_per_request": _per_request(cpu0, cpu1, len(records)),
        "server_cpu_cores_used": round((cpu1 - cpu0) / elapsed, 2) if cpu0 is not None and cpu1 is not None else None,
        "client_cpu_cores_used": round((own1 - own0) / elapsed, 2),
        "server_rss_mb": tree_rss_mb(pid),
        "server_peak_rss_mb": tree_rss_mb(pid, peak=True),
    }


async def _load(url: str, kind: Kind, questions: list[Question], clients: int,
                seconds: float) -> tuple[list[tuple[float, float, str]], float]:
    records: list[tuple[float, float, str]] = []  # (start offset s, latency ms, status)
    counter = itertools.count()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                q = questions[next(counter) % len(questions)]
                t0 = time.perf_counter()
                try:
                    r = await client.request(**_request(kind, q))  # type: ignore[arg-type]
                    status = str(r.status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                records.append((t0 - start, (time.perf_counter() - t0) * 1000, status))

        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return records, elapsed


def _per_request(cpu0: float | None, cpu1: float | None, n: int) -> float | None:
    if cpu0 is None or cpu1 is None or not n:
        return None
    return round((cpu1 - cpu0) * 1000 / n, 2)
