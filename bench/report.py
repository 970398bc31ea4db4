"""Render results: ``RESULTS.md`` (tables a person reads) and ``scale.svg`` (latency and memory by size)."""

from __future__ import annotations

from typing import Any

from bench.svg import figure, panel

SCALE_NOTE = (
    "Synthetic corpora: the real corpus plus N passages made of 2–5 real sentences drawn at random "
    "(one language each, languages in the real proportions), built through the real ingest path "
    "(`build_index`: BM25 + Chroma in a temporary folder). **Their vectors are not computed by the model**: "
    "each is the mean of the real model's cached vectors of its sentences, renormalised (embedding 100k "
    "passages with MiniLM on 2 cores would take hours, see the embedding throughput below). A synthetic "
    "passage is one index entry; a real passage is three (original + two translations), so +100k synthetic "
    "passages ≈ the entry count of a 33k-passage trilingual corpus. Queries are the gold questions, whose "
    "evidence is still in the corpus."
)


def _v(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text}{unit}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_v(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _lat(m: dict[str, Any] | None) -> list[Any]:
    """n, p50, p95, p99, CPU p50 of a time_calls result."""
    if not m or "wall_ms" not in m:
        return [None] * 5
    w, c = m["wall_ms"], m.get("cpu_ms", {})
    return [w.get("n"), w.get("p50"), w.get("p95"), w.get("p99"), c.get("p50")]


def nested(d: Any, *keys: str) -> Any:
    """d[k1][k2]… or None where a key is missing."""
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def markdown(r: dict[str, Any]) -> str:
    m, s = r["machine"], r["sections"]
    commit = (m.get("git_commit") or "unknown")[:12]
    out = ["# Benchmark results\n",
           f"Written by `python -m bench.run{' --quick' if r['mode'] == 'quick' else ''}` "
           f"(sections: {', '.join(r['sections_run'])}); the machine-readable figures are in `results.json`.\n",
           f"- **When**: {m['date']} · commit `{commit}` · {r['mode']} run, {_v(r.get('duration_s'))} s",
           f"- **Machine**: {m['cpu_model']} · {m['cores_usable']} usable cores ({m['cores_logical']} logical) · "
           f"{_v(m['ram_total_mb'] / 1024 if m.get('ram_total_mb') else None)} GiB RAM · Python {m['python']} · "
           f"torch threads {m.get('torch_threads_default')} by default, {m.get('torch_threads_serving')} while serving "
           "(`QUERY_THREADS`)",
           f"- **Load average** (1/5/15 min) at start {m.get('load_average_at_start')}, at end "
           f"{m.get('load_average_at_end')}: {_load_note(m)}",
           f"- **Index**: {_v(nested(r, 'index', 'passages'))} passages, {_v(nested(r, 'index', 'entries'))} entries "
           f"(each passage in FR/EN/AR); assistant start-up {_v(r.get('assistant_startup_s'))} s",
           f"- **Questions**: {nested(r, 'questions', 'used')} of the {nested(r, 'questions', 'gold')} gold questions "
           f"(the others are refused by design: {', '.join(nested(r, 'questions', 'rejected_by_the_assistant') or []) or 'none'})\n"]
    if r.get("targets"):
        out.append("## Targets (issues 3, 4, 7, 27)\n")
        out.append(_table(["target", "goal", "measured", "result"],
                          [[t["target"], t["goal"], _v(t["measured"]),
                            "**pass**" if t["pass"] else "**FAIL**" if t["pass"] is False else "not measured"]
                           for t in r["targets"]]))
    if "inprocess" in s:
        out.append("## In-process latency (ms)\n")
        out.append("Warm, one call at a time, questions drawn in turn from the gold set; the measures take turns "
                   "on each question, so they meet the same background load. The **floor** is one query "
                   "embedding plus one Chroma search (`Index.dense`, k = 60 as the searcher asks). "
                   "CPU = the process's CPU time per call, all threads.\n")
        rows = []
        f = s.get("inprocess", {})
        for key, label in (("floor", "**floor**: encode + `Index.dense`"), ("encode", "query encoding alone"),
                           ("index_dense", "`Index.dense` alone"), ("chroma_query", "Chroma `query` alone")):
            if key in f:
                rows.append([label, *_lat(f[key])])
        for key, label in (("search", "`Assistant.search` (hybrid, k = 10)"),
                           ("answer", "`Assistant.answer` (extractive)"),
                           ("store_write", "`Store.add_exchange` (what `/api/chat` stores after answering; "
                                           "measured apart)")):
            if key in f:
                rows.append([label, *_lat(f[key])])
        out.append(_table(["measure", "n", "p50", "p95", "p99", "CPU p50"], rows))
        out.append(_error(s, "inprocess"))
    if "http" in s:
        out.append(_http(s["http"], nested(s, "inprocess", "floor", "wall_ms", "p50")))
    if "profile" in s:
        out.append(_profile(s["profile"]))
    if "onnx" in s:
        out.append(_onnx(s["onnx"]))
    if "scale" in s:
        out.append(_scale(s["scale"]))
    return "\n".join(x for x in out if x) + "\n"


def _load_note(m: dict[str, Any]) -> str:
    loads = (m.get("load_average_at_start") or [])[:1] + (m.get("load_average_at_end") or [])[:1]
    if loads and max(loads) > (m.get("cores_usable") or 1):
        return ("above the core count: other processes shared the CPU, so wall times are pessimistic "
                "(CPU times are given beside them).")
    return "at or below the core count: the machine was not crowded by other work."


def _error(s: dict[str, Any], name: str) -> str:
    e = nested(s, name, "error")
    return f"**{name} failed**: `{e}`\n" if e else ""


def _http(h: dict[str, Any], floor: float | None) -> str:
    if "error" in h:
        return f"## HTTP\n\n**failed**: `{h['error']}`\n"
    out = ["## HTTP (the real app under uvicorn, loopback)\n",
           "`create_app(Settings(...))` served by uvicorn in a child process as `assistant serve` runs it "
           "(access log on, one process); extractive answerer, no rate limit. *two workers* is a what-if: the same "
           "app in two uvicorn worker processes sharing the socket, torch on one thread in each "
           "(`OMP_NUM_THREADS=1`). The targets are checked on *as served*.\n"]
    seq_rows, load_rows = [], []
    for variant, v in h.items():
        if not isinstance(v, dict) or "sequential" not in v:
            continue
        name = variant.replace("_", " ")
        for kind, q in v["sequential"].items():
            lat = q["latency_ms"]
            paired = nested(q, "paired_floor_ms", "p50")
            ref = paired or floor
            seq_rows.append([name, "`/healthz`" if kind == "healthz" else f"`/api/{kind}`", q["requests"], q["errors"],
                             lat["p50"], lat["p95"], lat["p99"], paired,
                             f"{lat['p50'] / ref:.2f}×" if ref and kind != "healthz" else "—",
                             q.get("server_cpu_ms_per_request")])
        for kind, q in v["load"].items():
            lat = q["latency_ms"]
            load_rows.append([name, f"`/api/{kind}`", q["clients"], q["duration_s"], q["requests"], q["errors"],
                              q["req_per_s"], lat.get("p50"), lat.get("p95"), lat.get("p99"),
                              q.get("server_cpu_ms_per_request"), q.get("server_cpu_cores_used"),
                              q.get("client_cpu_cores_used"), q.get("server_peak_rss_mb")])
    if seq_rows:
        out.append("### Sequential, warm (ms)\n")
        out.append("*paired floor*: the in-process floor timed just before each request, in the benchmark "
                   "process, so both meet the same background load; *p50 / floor* uses it.\n")
        out.append(_table(["server", "endpoint", "requests", "errors", "p50", "p95", "p99", "paired floor p50",
                           "p50 / floor", "server CPU ms/req"], seq_rows))
    if load_rows:
        out.append("### Load: concurrent clients sending back to back\n")
        out.append("The load generator runs on the same machine and its CPU is shown (client cores).\n")
        out.append(_table(["server", "endpoint", "clients", "s", "requests", "errors", "req/s", "p50 ms", "p95 ms",
                           "p99 ms", "server CPU ms/req", "server cores", "client cores", "server peak RSS MB"],
                          load_rows))
    starts = [f"{k.replace('_', ' ')}: {v['startup_s']} s, RSS {v.get('server_rss_mb_after_start')} MB"
              for k, v in h.items() if isinstance(v, dict) and "startup_s" in v]
    if starts:
        out.append("Server start (spawn to first healthy `/healthz`) and memory after start: " + "; ".join(starts) + ".\n")
    return "\n".join(out)


def _profile(p: dict[str, Any]) -> str:
    if "error" in p:
        return f"## Where the time goes\n\n**failed**: `{p['error']}`\n"
    out = ["## Where the time goes (cProfile, in process)\n",
           "Run because a target was missed. Internal time per call, summed by area; torch's worker threads are "
           "not seen by cProfile (their time shows as the caller waiting inside torch).\n"]
    for name in ("answer", "search"):
        prof = p.get(name)
        if not prof:
            continue
        out.append(f"### `Assistant.{name}` ({prof['calls']} calls, {prof['wall_ms_per_call_profiled']} ms per call "
                   "under the profiler)\n")
        out.append(_table(["area", "ms per call", "share"],
                          [[a["area"], a["ms_per_call"], f"{a['share']:.0%}"] for a in prof["areas"]]))
        out.append("Functions with the most internal time:\n")
        out.append(_table(["function", "calls per call", "own ms", "area"],
                          [[f"`{f['function']}`", f["calls_per_call"], f["own_ms_per_call"], f["area"]]
                           for f in prof["top_internal"][:8]]))
        out.append("Project functions by cumulative time:\n")
        out.append(_table(["function", "calls per call", "cumulative ms", "own ms"],
                          [[f"`{f['function']}`", f["calls_per_call"], f["cumulative_ms_per_call"], f["own_ms_per_call"]]
                           for f in prof["top_project_cumulative"][:8]]))
    return "\n".join(out)


def _onnx(o: dict[str, Any]) -> str:
    out = ["## ONNX Runtime query encoder\n",
           f"- sentence-transformers `backend=\"onnx\"` (what `EMBEDDING_BACKEND=onnx` selects): "
           f"{o.get('sentence_transformers_onnx')}"]
    if "error" in o:
        return "\n".join(out) + f"\n\n**failed**: `{o['error']}`\n"
    if "skipped" in o:
        return "\n".join(out) + f"\n- direct onnxruntime measurement skipped: {o['skipped']}\n"
    out.append(f"- measured instead (`onnx` {o.get('onnx_version') or 'installed'}, needed for the export): "
               f"the packaged MiniLM exported with `torch.onnx` ({o.get('export_s')} s, "
               f"{o.get('model_mb')} MB) run by onnxruntime with the model's tokenizer, mean pooling and "
               f"normalisation")
    vec = o.get("vectors", {})
    out.append(f"- vectors against torch: lowest cosine {vec.get('min_cosine')}, largest difference "
               f"{vec.get('max_abs_diff'):.2e}" if vec.get("max_abs_diff") is not None else "")
    rk = o.get("rankings", {})
    if rk:
        out.append(f"- rankings (top-{rk['k']} of `Assistant.search`, {rk['questions']} questions): identical lists "
                   f"{rk['identical_lists']}, same sets {rk['same_sets']}, same first result {rk['same_top1']}, "
                   f"mean overlap {rk['mean_overlap']}")
    out.append(f"- ingest batches (texts/s, batch 64): {o.get('ingest_texts_per_s')}")
    out.append(f"- **recommendation**: {o.get('recommendation')}\n")
    rows = [[name.replace("_", " "), *_lat(m)] for name, m in o.get("query_encoding", {}).items()]
    out.append("Query encoding, one question at a time (ms):\n")
    out.append(_table(["encoder", "n", "p50", "p95", "p99", "CPU p50"], rows))
    return "\n".join(x for x in out if x is not None)


def _scale(sc: dict[str, Any]) -> str:
    if "error" in sc:
        return f"## Scale\n\n**failed**: `{sc['error']}`\n"
    emb = sc.get("embedding_sample", {})
    out = ["## Scale\n", SCALE_NOTE + "\n",
           f"Embedding throughput of the real model at ingest (torch, batch 64, {emb.get('texts')} real entries): "
           f"**{emb.get('texts_per_s')} texts/s** with {emb.get('threads')} threads (what ingest uses), "
           f"{emb.get('texts_per_s_one_thread')} with one; i.e. {emb.get('hours_for_100k_entries')} h for 100k "
           "entries (plus every sentence, embedded too for the answerer).\n"]
    rows = sc.get("rows", [])
    builds = [[r["label"], r["build"]["passages"], r["build"]["entries"], r["build"]["steps_s"].get("lexical index"),
               r["build"]["steps_s"].get("chroma"), r["build"]["entries_per_s_bm25"], r["build"]["entries_per_s_chroma"],
               r["build"]["entries_per_s_bm25_chroma"], r["build"]["build_s"], r["build"]["disk_mb"],
               r["build"]["peak_rss_mb"]] for r in rows if "build" in r]
    if builds:
        out.append("### Ingest (vectors derived, not embedded)\n")
        out.append(_table(["corpus", "passages", "entries", "BM25 s", "Chroma s", "BM25 entries/s", "Chroma entries/s",
                           "**BM25 + Chroma entries/s**", "whole build s", "disk MB", "peak RSS MB"], builds))
    serve = []
    for r in rows:
        lat = r.get("latency", {})

        def p(key: str, q: str = "p50") -> Any:
            return nested(lat, key, "wall_ms", q)

        def pair(key: str) -> str:
            return f"{_v(p(key))} / {_v(p(key, 'p95'))}" if p(key) is not None else "—"

        serve.append([r["label"], r.get("passages"), r.get("entries"), r.get("startup_s"), r.get("rss_serving_mb"),
                      pair("floor"), p("chroma_only"), p("bm25_only"), pair("search_dense"), pair("search_lexical"),
                      pair("search_hybrid"), pair("answer")])
    if serve:
        out.append("### Serving: start-up, memory, query latency (ms, p50 / p95)\n")
        out.append("*floor* = encode + `Index.dense` on that corpus; *Chroma* / *BM25* = the engines alone "
                   "(no encoding); *dense*, *lexical*, *hybrid* = `Assistant.search` in that mode (every mode "
                   "encodes the question); RSS = resident memory of the serving process after opening the index "
                   "(model included).\n")
        out.append(_table(["corpus", "passages", "entries", "start-up s", "RSS MB", "floor", "Chroma p50",
                           "BM25 p50", "dense", "lexical", "hybrid", "answer"], serve))
        starts = [f"{r['label']}: index {r.get('index_open_s')} s + assistant {r.get('assistant_init_s')} s"
                  for r in rows if r.get("index_open_s") is not None]
        if starts:
            out.append("Start-up split: opening the index (passages, BM25, vectors, Chroma) then building the "
                       "assistant (sentence bank, glossary, aids): " + "; ".join(starts) + ".\n")
        for r in rows:
            prof = r.get("assistant_init_profile")
            if prof:
                out.append(f"Where the assistant's start goes at {r['label']} (cumulative seconds, profiled): "
                           + ", ".join(f"`{x['function']}` {x['seconds']}" for x in prof[:6]) + ".\n")
        out.append("![latency and memory by corpus size](scale.svg)\n")
    return "\n".join(out)


def scale_svg(r: dict[str, Any]) -> str | None:
    rows = nested(r, "sections", "scale", "rows")
    if not rows:
        return None
    series: dict[str, list[tuple[float, float]]] = {}
    for key, label in (("chroma_only", "Chroma alone"), ("bm25_only", "BM25 alone"), ("search_dense", "search dense"),
                       ("search_lexical", "search lexical"), ("search_hybrid", "search hybrid"), ("answer", "answer")):
        series[label] = [(float(x["entries"]), float(nested(x, "latency", key, "wall_ms", "p50") or 0)) for x in rows]
    floor = nested(r, "sections", "inprocess", "floor", "wall_ms", "p50")
    memory = {"serving RSS": [(float(x["entries"]), float(x.get("rss_serving_mb") or 0)) for x in rows],
              "ingest peak RSS": [(float(x["build"]["entries"]), float(x["build"]["peak_rss_mb"] or 0))
                                  for x in rows if "build" in x]}
    width, height = 1100, 400
    return figure([
        panel(series, "Query latency p50 by corpus size", "index entries", "ms", 0, 0, 620, height - 20, floor=floor),
        panel(memory, "Process memory", "index entries", "MB", 620, 0, 480, height - 20, logy=False),
    ], width, height, caption=f"{r['machine']['date']} · {r['machine']['cores_usable']} cores · vectors of synthetic "
                              "passages derived from cached sentence vectors (see RESULTS.md)")
