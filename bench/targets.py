"""The targets of the issues, checked against measured figures (reported, never fatal).

- load (16 clients, 20 s) on /api/chat and /api/search: 0 errors and at least 40 requests per second;
- sequential warm HTTP p50 within 2x the in-process floor (one query embedding + one Chroma search),
  the floor timed in turn with the requests when it was ("paired"), else the in-process one;
- a start-up that does not grow with the corpus (issue 27): at +100k synthetic passages (the scale
  section), the assistant starts in at most 10 s and its serving process holds at most 1.5 GiB.
"""

from __future__ import annotations

from typing import Any

MIN_REQ_PER_S = 40.0
MAX_FLOOR_RATIO = 2.0
SCALE_PASSAGES = 100_000  # the corpus size the start-up targets are checked at
MAX_STARTUP_S = 10.0
MAX_RSS_MB = 1536.0  # 1.5 GiB, in the MiB the bench reports


def evaluate(floor_p50: float | None, sequential: dict[str, Any], load: dict[str, Any]) -> list[dict[str, object]]:
    """One row per target: what, the measured value, and whether it passes (None: not measured)."""
    rows: list[dict[str, object]] = []
    for endpoint in ("chat", "search"):
        run = load.get(endpoint)
        rows.append(_row(f"load /api/{endpoint}: 0 errors", "0", run and run["errors"],
                         run is not None and run["errors"] == 0 if run else None))
        rows.append(_row(f"load /api/{endpoint}: ≥ {MIN_REQ_PER_S:g} req/s", f"≥ {MIN_REQ_PER_S:g}",
                         run and run["req_per_s"], run["req_per_s"] >= MIN_REQ_PER_S if run else None))
    for endpoint in ("chat", "search"):
        run = sequential.get(endpoint)
        p50 = run["latency_ms"]["p50"] if run else None
        # The floor timed in turn with these very requests, when there is one: the same background load.
        paired = (run or {}).get("paired_floor_ms") or {}
        floor = paired.get("p50", floor_p50)
        limit = floor * MAX_FLOOR_RATIO if floor else None
        ok = p50 <= limit if p50 is not None and limit is not None else None
        ratio = round(p50 / floor, 2) if p50 is not None and floor else None
        rows.append(_row(f"sequential warm /api/{endpoint} p50 ≤ {MAX_FLOOR_RATIO:g} × floor p50",
                         f"≤ {limit:.1f} ms" if limit else "n/a",
                         f"{p50:.1f} ms ({ratio}× floor)" if p50 is not None else None, ok))
    return rows


def evaluate_scale(scale: dict[str, Any]) -> list[dict[str, object]]:
    """The start-up targets, on the scale section's row at ``SCALE_PASSAGES`` synthetic passages (not
    measured by a quick run, which stops at 2k)."""
    row = next((r for r in scale.get("rows", []) if r.get("synthetic_passages") == SCALE_PASSAGES), None)
    size = f"+{SCALE_PASSAGES // 1000}k"
    startup = row.get("startup_s") if row else None
    rss = row.get("rss_serving_mb") if row else None
    return [_row(f"assistant start-up at {size} passages ≤ {MAX_STARTUP_S:g} s", f"≤ {MAX_STARTUP_S:g} s",
                 f"{startup} s" if startup is not None else None, startup <= MAX_STARTUP_S if startup is not None else None),
            _row(f"serving RSS at {size} passages ≤ {MAX_RSS_MB:,.0f} MB", f"≤ {MAX_RSS_MB:,.0f} MB",
                 f"{rss:,.1f} MB" if rss is not None else None, rss <= MAX_RSS_MB if rss is not None else None)]


def _row(name: str, target: str, measured: object, ok: bool | None) -> dict[str, object]:
    return {"target": name, "goal": target, "measured": measured, "pass": ok}
