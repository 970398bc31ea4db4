"""Where the time of a call goes: cProfile over many calls, internal time summed by area of the stack.

Areas are read from the file (or, for built-ins, the name) of each profiled function, so a reader sees
"query encoder 60 %" rather than a list of torch internals; stdlib and built-in functions (a signature
inspection, a lock) count in the area of the caller that spent the most time in them. Time spent by threads other than the
caller's (OpenMP workers of torch) is not seen by cProfile: it shows as the caller waiting in torch.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# First match wins: (area, substrings of the file path or built-in name).
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("query encoder (torch, transformers, tokenizer)",
     ("/torch/", "/transformers/", "/sentence_transformers/", "/tokenizers/", "torch.", "torch._C", "tokenizers")),
    ("Chroma (query, count)", ("/chromadb/", "Bindings")),
    ("BM25 (bm25s, stemmer)", ("/bm25s/", "Stemmer", "/scipy/")),
    ("retrieval: fusion, rerank (assistant/retrieval.py)", ("assistant/retrieval.py",)),
    ("answer: sentence choice, support (assistant/answer.py, sentences.py)",
     ("assistant/answer.py", "assistant/sentences.py")),
    ("text: tokenise, normalise, detect language (vectorstore/text.py, assistant/language.py)",
     ("vectorstore/text.py", "assistant/language.py", "/regex/", "_sre", "re.py", "/re/")),
    ("glossary, follow-ups, aids (assistant/*)", ("assistant/",)),
    ("pydantic models", ("/pydantic/", "pydantic_core")),
    ("numpy", ("/numpy/", "numpy.")),
)
PROJECT = ("assistant/", "vectorstore/", "web/", "ingest/")
OTHER = "other Python (stdlib, lock waits, glue)"


def area(filename: str, function: str) -> str:
    where = filename if filename != "~" else function
    for name, needles in AREAS:
        if any(n in where for n in needles):
            return name
    return OTHER


def attributed_area(key: tuple[str, int, str], stats: dict, depth: int = 6) -> str:
    """The area of a function; for a stdlib or built-in one (``inspect.signature``, a lock), the area of
    the caller that spent the most time in it, walking up at most ``depth`` frames."""
    seen: set[tuple[str, int, str]] = set()
    current = key
    for _ in range(depth):
        a = area(current[0], current[2])
        if a != OTHER:
            return a
        seen.add(current)
        callers = stats.get(current, (0, 0, 0, 0, {}))[4]
        ranked = sorted(((v[3] if isinstance(v, tuple) else 0.0, c) for c, v in callers.items() if c not in seen),
                        reverse=True)
        if not ranked:
            break
        current = ranked[0][1]
    return OTHER


def profile_calls(fn: Callable[[T], object], items: Sequence[T], top: int = 12) -> dict[str, object]:
    """Profile ``fn`` over ``items``: ms per call by area (internal time), the functions with the most
    internal time, and the project's functions with the most cumulative time."""
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for item in items:
        fn(item)
    profiler.disable()
    wall_ms = (time.perf_counter() - t0) * 1000 / max(1, len(items))
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    n = max(1, len(items))
    by_area: dict[str, float] = {}
    rows = []
    for key, (_cc, calls, tottime, cumtime, _callers) in stats.items():
        filename, line, function = key
        a = attributed_area(key, stats)
        by_area[a] = by_area.get(a, 0.0) + tottime
        rows.append((filename, line, function, calls, tottime, cumtime, a))
    total = sum(by_area.values()) or 1.0
    areas = sorted(({"area": a, "ms_per_call": round(t * 1000 / n, 2), "share": round(t / total, 3)}
                    for a, t in by_area.items()), key=lambda r: -r["ms_per_call"])  # type: ignore[operator]
    own = sorted(rows, key=lambda r: -r[4])[:top]
    project = sorted((r for r in rows if any(p in r[0] for p in PROJECT)), key=lambda r: -r[5])[:top]
    return {
        "calls": len(items),
        "wall_ms_per_call_profiled": round(wall_ms, 2),
        "areas": areas,
        "top_internal": [_row(r, n) for r in own],
        "top_project_cumulative": [_row(r, n) for r in project],
    }


def _row(r: tuple, n: int) -> dict[str, object]:
    filename, line, function, calls, tottime, cumtime, a = r
    short = filename.split("site-packages/")[-1].replace("/work/main/", "")
    return {"function": f"{short}:{line}({function})" if filename != "~" else function,
            "calls_per_call": round(calls / n, 1), "own_ms_per_call": round(tottime * 1000 / n, 3),
            "cumulative_ms_per_call": round(cumtime * 1000 / n, 3), "area": a}
