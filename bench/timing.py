"""Timing of repeated calls: wall-clock and process CPU time per call, after a warm-up."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from bench.stats import summarize

T = TypeVar("T")


def time_calls(fn: Callable[[T], object], items: Sequence[T], warmup: int = 5) -> dict[str, object]:
    """Call ``fn`` on ``warmup`` items untimed, then on every item, timing each call.

    CPU time is the whole process's (every thread, OpenMP workers included): on a busy machine wall
    time includes waiting for a core, CPU time does not, so the two together tell load from work."""
    for item in items[:warmup]:
        fn(item)
    wall: list[float] = []
    cpu: list[float] = []
    for item in items:
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn(item)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"wall_ms": summarize(wall), "cpu_ms": summarize(cpu)}


def time_interleaved(fns: dict[str, Callable[[T], object]], items: Sequence[T],
                     warmup: int = 5) -> dict[str, dict[str, object]]:
    """Like :func:`time_calls` for several functions at once, taking turns on each item (the order
    rotating from item to item), so that every function meets the same background load: on a shared
    machine, measuring one after the other compares moments as much as functions."""
    names = list(fns)
    for item in items[:warmup]:
        for name in names:
            fns[name](item)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for i, item in enumerate(items):
        for name in names[i % len(names):] + names[: i % len(names)]:
            c0 = time.process_time()
            t0 = time.perf_counter()
            fns[name](item)
            wall[name].append((time.perf_counter() - t0) * 1000)
            cpu[name].append((time.process_time() - c0) * 1000)
    return {n: {"wall_ms": summarize(wall[n]), "cpu_ms": summarize(cpu[n])} for n in names}
