"""Scale: the real corpus plus N synthetic passages (see ``bench.synthetic``), built through the real
ingest path (``vectorstore.index.build_index``: BM25 with ``LexicalIndex``, Chroma through
``make_client``) in a temporary folder, then opened by the real ``Assistant`` and queried.

Each size runs in two child processes, so that memory is measured cleanly: one builds (ingest
throughput, peak memory of the build), one serves (start-up time, resident memory, query latency). The
real index goes through the same serving child, so every row is comparable with the floor measured in
the same run. ``python -m bench.scale build|query ...`` is the child side.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT_S = 1500


# --- parent side ------------------------------------------------------------------------------------


def embedding_throughput(encoder: object, texts: list[str]) -> dict[str, object]:
    """Texts per second the real model embeds at ingest (batches of 64), on a sample of real entries,
    with torch's default threads (one per core: what ingest uses) and with one thread."""
    import torch

    before = torch.get_num_threads()
    cores = len(os.sched_getaffinity(0))
    rates: dict[int, float] = {}
    try:
        for n in sorted({cores, 1}, reverse=True):
            torch.set_num_threads(n)
            t0 = time.perf_counter()
            encoder.encode(texts, batch_size=64)  # type: ignore[attr-defined]
            rates[n] = len(texts) / (time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)
    rate = rates[cores]
    return {"texts": len(texts), "threads": cores, "texts_per_s": round(rate, 1),
            "texts_per_s_one_thread": round(rates[1], 1), "hours_for_100k_entries": round(100_000 / rate / 3600, 2)}


def run(seed_data: Path, workdir: Path, sizes: list[int], queries: int, question_ids: list[str],
        real_row: bool, log: Path, progress=lambda _m: None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """``question_ids``: the gold questions the assistant accepts (checked by the caller, once)."""
    rows: list[dict[str, object]] = []
    ids = workdir / "scale-questions.json"
    ids.write_text(json.dumps(question_ids), encoding="utf-8")
    ask = ["--queries", str(queries), "--questions", str(ids)]
    if real_row:
        progress("scale: the real index")
        real = _child(["query", "--data-dir", str(seed_data), *ask], workdir, log)
        rows.append({"label": "real", "synthetic_passages": 0, **real})
    build_dir = _live_build(seed_data)
    for size in sizes:
        data = workdir / f"scale-{size}"
        try:
            progress(f"scale: building real + {size:,} synthetic passages")
            built = _child(["build", "--size", str(size), "--seed-build", str(build_dir), "--data-dir", str(data)],
                           workdir, log)
            progress(f"scale: querying real + {size:,} synthetic passages")
            # Profiling the start-up costs time in proportion to the corpus: only on the smaller sizes.
            served = _child(["query", "--data-dir", str(data), *ask, *(["--profile-startup"] if size <= 20_000 else [])],
                            workdir, log)
            rows.append({"label": f"+{_short(size)}", "synthetic_passages": size, "build": built, **served})
        finally:
            shutil.rmtree(data, ignore_errors=True)
    return {"rows": rows}


def _short(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _live_build(data_dir: Path) -> Path:
    from vectorstore.builds import current_build

    build = current_build(data_dir)
    if build is None:
        raise RuntimeError(f"no index in {data_dir}")
    return build


def _child(args: list[str], workdir: Path, log: Path) -> dict[str, object]:
    out = workdir / f"child-{time.monotonic_ns()}.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    with open(log, "ab") as fh:
        proc = subprocess.run([sys.executable, "-m", "bench.scale", *args, "--out", str(out)], cwd=REPO, env=env,
                              stdout=fh, stderr=subprocess.STDOUT, timeout=CHILD_TIMEOUT_S)
    if proc.returncode != 0 or not out.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
        raise RuntimeError(f"bench.scale {args[0]} failed ({proc.returncode}): {tail}")
    result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return result


# --- child side: build ------------------------------------------------------------------------------


def build(size: int, seed_build: Path, data_dir: Path) -> dict[str, object]:
    from assistant.sentences import derived
    from bench.machine import peak_rss_mb
    from bench.synthetic import DerivedEncoder, synthetic_passages
    from vectorstore.chroma import ChromaConfig
    from vectorstore.index import VectorCache, build_index
    from vectorstore.models import Passage

    info = json.loads((seed_build / "build.json").read_text(encoding="utf-8"))
    real = [Passage.model_validate_json(line)
            for line in (seed_build / "passages.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    extras = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((seed_build / "extras").glob("*.json"))}
    known = VectorCache.load(seed_build)
    t0 = time.perf_counter()
    synthetic = synthetic_passages(real, size, seed=size, known=known)
    generate_s = time.perf_counter() - t0

    marks: list[tuple[str, float]] = []
    encoder = DerivedEncoder(known, info["model"])
    t0 = time.perf_counter()
    result = build_index(data_dir, real + synthetic, extras, encoder, ChromaConfig(),
                         on_step=lambda s: marks.append((s, time.perf_counter())), vector_seed=seed_build,
                         derived=[derived()])
    total_s = time.perf_counter() - t0
    steps = _step_durations(marks, t0, t0 + total_s)
    entries = json.loads((result.build_dir / "build.json").read_text(encoding="utf-8"))["entries"]  # type: ignore[operator]
    bm25_s, chroma_s = steps.get("lexical index", 0.0), steps.get("chroma", 0.0)
    return {
        "passages": len(real) + len(synthetic), "entries": entries, "generate_s": round(generate_s, 2),
        "build_s": round(total_s, 2), "steps_s": {k: round(v, 2) for k, v in steps.items()},
        "derived_vectors": encoder.encoded, "derived_without_known_sentence": encoder.misses,
        "entries_per_s_bm25_chroma": round(entries / (bm25_s + chroma_s), 1) if bm25_s + chroma_s else None,
        "entries_per_s_bm25": round(entries / bm25_s, 1) if bm25_s else None,
        "entries_per_s_chroma": round(entries / chroma_s, 1) if chroma_s else None,
        "entries_per_s_whole_build": round(entries / total_s, 1),
        "disk_mb": round(sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()) / 2**20, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def _step_durations(marks: list[tuple[str, float]], start: float, end: float) -> dict[str, float]:
    """Seconds per step from ``on_step`` marks; progress marks ("chroma 256/1000") count in their step."""
    named = [(name, t) for name, t in marks if not name.startswith("chroma ")]
    durations: dict[str, float] = {"prepare": (named[0][1] if named else end) - start}
    for (name, t), (_, nxt) in zip(named, [*named[1:], ("end", end)]):
        durations[name] = durations.get(name, 0.0) + (nxt - t)
    return durations


# --- child side: query ------------------------------------------------------------------------------


def query(data_dir: Path, n: int, question_ids: list[str], profile_startup: bool = False) -> dict[str, object]:
    from assistant.schemas import Turn
    from assistant.service import Assistant
    from bench.inprocess import FLOOR_K
    from bench.machine import peak_rss_mb, rss_mb
    from bench.questions import cycle, load
    from bench.server import bench_settings
    from bench.timing import time_calls
    from vectorstore.embeddings import get_query_encoder
    from vectorstore.index import Index
    from vectorstore.text import tokenize

    settings = bench_settings(data_dir)
    # The question encoder the assistant will use (the same cached instance), so that the floor
    # measures the encoding every search makes, not the ingest encoder.
    encoder = get_query_encoder(settings.embedding_model, settings.query_backend, settings.data_dir / "models",
                                settings.query_threads)
    encoder.encode(["warm-up"])
    rss_before = rss_mb()
    t0 = time.perf_counter()
    index = Index.open(settings.data_dir, settings.chroma())
    index_open_s = time.perf_counter() - t0
    profiler = cProfile.Profile() if profile_startup else None
    t1 = time.perf_counter()
    if profiler:
        profiler.enable()
    assistant = Assistant(index, settings)
    if profiler:
        profiler.disable()
    assistant_init_s = time.perf_counter() - t1
    startup_s = time.perf_counter() - t0
    rss_open = rss_mb()

    wanted = set(question_ids)
    qs = cycle([q for q in load() if q.id in wanted], n)
    vectors = {q.text: encoder.encode([q.text])[0] for q in qs}

    def bm25(q) -> None:  # type: ignore[no-untyped-def]
        lexical = index.lexical.get(q.language)
        if lexical is not None:
            lexical.search(tokenize(q.text, q.language), FLOOR_K)

    def answer(q) -> None:  # type: ignore[no-untyped-def]
        assistant.answer(q.text, [Turn(role=r, content=c) for r, c in q.history])  # type: ignore[arg-type]

    latency = {
        "floor": time_calls(lambda q: index.dense(encoder.encode([q.text])[0], FLOOR_K), qs),
        "chroma_only": time_calls(lambda q: index.dense(vectors[q.text], FLOOR_K), qs),
        "bm25_only": time_calls(bm25, qs),
        "search_dense": time_calls(lambda q: assistant.search(q.text, k=10, mode="dense"), qs),
        "search_lexical": time_calls(lambda q: assistant.search(q.text, k=10, mode="lexical"), qs),
        "search_hybrid": time_calls(lambda q: assistant.search(q.text, k=10, mode="hybrid"), qs),
        "answer": time_calls(answer, qs),
    }
    return {
        "passages": index.count(), "entries": index.collection.count(), "startup_s": round(startup_s, 2),
        "index_open_s": round(index_open_s, 2), "assistant_init_s": round(assistant_init_s, 2),
        "assistant_init_profile": _top_cumulative(profiler) if profiler else None,
        "rss_model_only_mb": rss_before, "rss_serving_mb": rss_open, "rss_after_queries_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(), "queries": len(qs), "latency": latency,
    }


def _top_cumulative(profiler: cProfile.Profile, top: int = 8) -> list[dict[str, object]]:
    """The project's functions with the most cumulative time while the assistant started."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = [(f, line, fn, ct) for (f, line, fn), (_cc, _nc, _tt, ct, _c) in stats.items()
            if any(p in f for p in ("/assistant/", "/vectorstore/"))]
    rows.sort(key=lambda r: -r[3])
    return [{"function": f"{f.split('/work/main/')[-1]}:{line}({fn})", "seconds": round(ct, 2)}
            for f, line, fn, ct in rows[:top]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="child side of the scale benchmark")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--size", type=int, required=True)
    b.add_argument("--seed-build", type=Path, required=True)
    b.add_argument("--data-dir", type=Path, required=True)
    b.add_argument("--out", type=Path, required=True)
    q = sub.add_parser("query")
    q.add_argument("--data-dir", type=Path, required=True)
    q.add_argument("--queries", type=int, default=100)
    q.add_argument("--questions", type=Path, required=True, help="JSON list of the gold question ids to ask")
    q.add_argument("--profile-startup", action="store_true", help="profile the assistant's start (slower)")
    q.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "build":
        result = build(args.size, args.seed_build, args.data_dir)
    else:
        result = query(args.data_dir, args.queries, json.loads(args.questions.read_text(encoding="utf-8")),
                       args.profile_startup)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
