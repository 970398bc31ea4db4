"""``python -m bench.run [--quick] [--only NAME,...]``: measure, then write results.json, RESULTS.md and
scale.svg in ``bench/``. Progress goes to stderr. Missed targets are reported, never fatal; a section
that crashes is recorded with its error and makes the exit code 1.

The live index is copied into a temporary folder first, so an ingest running meanwhile cannot switch
or prune the build under the benchmark, and the app's conversation database stays out of ``data/``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bench.report import nested

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECTIONS = ("floor", "inprocess", "http", "load", "onnx", "scale")


class Plan:
    """How many measurements each section takes: ``make bench`` (about 15 min) or ``--quick`` (< 2 min)."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.questions = 40 if quick else None  # None: every gold question the assistant accepts
        self.floor = 30 if quick else 300  # when only the floor is measured
        self.inprocess = 20 if quick else 250  # floor, its parts, search and answer, taking turns
        self.sequential = 20 if quick else 150
        self.load_s = 5.0 if quick else 20.0
        self.clients = 16
        self.two_worker_variant = not quick
        self.profile = 10 if quick else 100
        self.onnx = 30 if quick else 150
        self.scale_sizes = [2_000] if quick else [10_000, 100_000]
        self.scale_queries = 10 if quick else 60
        self.scale_real_row = not quick  # quick: the +2k row is compared with the floor of this process
        self.embedding_sample = 32 if quick else 192


def _say(message: str) -> None:
    click.echo(f"[{time.strftime('%H:%M:%S')}] {message}", err=True)


def _copy_live_build(data_dir: Path, dest: Path) -> Path:
    from vectorstore.builds import current_build

    build = current_build(data_dir)
    if build is None:
        raise click.ClickException(f"no index in {data_dir}: run `assistant ingest` (or `make index`) first")
    (dest / "indexes").mkdir(parents=True)
    shutil.copytree(build, dest / "indexes" / build.name)
    (dest / "CURRENT").write_text(build.name, encoding="utf-8")
    # The encoders' caches (the ONNX export, the aid cards' vectors), as a server restarted on its data
    # folder finds them: the first start after an ingest makes them in the background (`warm_aids`).
    if (data_dir / "models").is_dir():
        shutil.copytree(data_dir / "models", dest / "models")
    return dest


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--quick", is_flag=True, help="Small samples and a 2k-passage scale run: under two minutes.")
@click.option("--only", default="", metavar="NAME,...", help=f"Run only these sections: {','.join(SECTIONS)}.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=REPO / "data", envvar="DATA_DIR",
              show_default=True, help="Where the live index is (it is copied, never modified).")
@click.option("--out", type=click.Path(path_type=Path), default=HERE, show_default=True,
              help="Folder for results.json, RESULTS.md and scale.svg.")
def main(quick: bool, only: str, data_dir: Path, out: Path) -> None:
    """Benchmark the assistant: latency floor, in-process and HTTP latency, load, ONNX encoder, scale."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    selected = [s.strip() for s in only.split(",") if s.strip()] or list(SECTIONS)
    unknown = sorted(set(selected) - set(SECTIONS))
    if unknown:
        raise click.ClickException(f"unknown section(s) {', '.join(unknown)}; choose among {', '.join(SECTIONS)}")
    plan = Plan(quick)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        results = _measure(selected, plan, data_dir, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["duration_s"] = round(time.monotonic() - started, 1)
    _write(results, out)
    failed = [name for name, section in results["sections"].items() if isinstance(section, dict) and "error" in section]
    _say(f"done in {results['duration_s']:.0f} s; wrote {out / 'results.json'} and {out / 'RESULTS.md'}")
    if failed:
        raise click.ClickException(f"section(s) failed: {', '.join(failed)} (see RESULTS.md)")


def _measure(selected: list[str], plan: Plan, data_dir: Path, workdir: Path) -> dict[str, Any]:
    import torch

    from assistant.service import Assistant
    from bench import inprocess, machine, questions
    from bench.server import bench_settings

    _say("copying the live index")
    data = _copy_live_build(data_dir, workdir / "data")
    results: dict[str, Any] = {
        "mode": "quick" if plan.quick else "full", "sections_run": selected,
        "machine": machine.facts(REPO), "sections": {},
    }
    sections: dict[str, Any] = results["sections"]
    settings = bench_settings(data)
    _say("opening the index and loading the model")
    t0 = time.perf_counter()
    assistant = Assistant.from_settings(settings)
    results["assistant_startup_s"] = round(time.perf_counter() - t0, 2)
    # The assistant sets torch's threads for serving (settings.query_threads): record what it runs with.
    results["machine"]["torch_threads_serving"] = torch.get_num_threads()
    results["index"] = {"build_id": assistant.index.build_id, "passages": assistant.index.count(),
                        "entries": assistant.index.collection.count()}
    gold = questions.load()
    usable, rejected = inprocess.usable(assistant, gold, plan.questions)
    results["questions"] = {"gold": len(gold), "used": len(usable), "rejected_by_the_assistant": rejected}

    def section(name: str, fn: Callable[[], Any]) -> None:
        _say(f"{name}…")
        load_before = machine.load_average()
        t = time.monotonic()
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 — recorded, the other sections still run
            traceback.print_exc()
            value = {"error": f"{type(exc).__name__}: {exc}"}
        if isinstance(value, dict):
            value.setdefault("seconds", round(time.monotonic() - t, 1))
            value.setdefault("load_average", {"before": load_before, "after": machine.load_average()})
        sections[name] = value

    # The floor is what the HTTP and scale figures are compared with: measured whenever they are.
    if {"floor", "inprocess", "http", "load", "scale"} & set(selected):
        def calls() -> dict[str, Any]:
            with_assistant = "inprocess" in selected
            qs = questions.cycle(usable, plan.inprocess if with_assistant else plan.floor)
            out = inprocess.latencies(assistant, qs, with_assistant)
            if with_assistant:
                out["store_write"] = inprocess.store_write(assistant, qs[: max(20, len(qs) // 2)], workdir / "store")
            return out

        section("inprocess", calls)
    if {"http", "load"} & set(selected):
        # Each server gets its own copy of the copy: the very build measured in process, its own app.db.
        section("http", lambda: _http(selected, plan, data, workdir, usable, inprocess.floor_call(assistant)))
    floor_p50 = nested(sections, "inprocess", "floor", "wall_ms", "p50")
    if {"http", "load"} & set(selected) and "error" not in sections.get("http", {}):
        from bench.targets import evaluate

        default = sections["http"].get("as_served", {})
        results["targets"] = evaluate(floor_p50, default.get("sequential", {}), default.get("load", {}))
        if any(row["pass"] is False for row in results["targets"]):
            section("profile", lambda: _profile(assistant, questions.cycle(usable, plan.profile)))
    if "onnx" in selected:
        section("onnx", lambda: _onnx(assistant, questions.cycle(usable, plan.onnx), workdir, usable))
    if "scale" in selected:
        section("scale", lambda: _scale(assistant, plan, data, workdir, usable))
        if "error" not in sections["scale"]:
            from bench.targets import evaluate_scale

            results.setdefault("targets", []).extend(evaluate_scale(sections["scale"]))
    results["machine"]["load_average_at_end"] = machine.load_average()
    return results


def _http(selected: list[str], plan: Plan, data_dir: Path, workdir: Path, usable: list,
          floor: Callable[[Any], object]) -> dict[str, Any]:
    from bench import http_load
    from bench.machine import tree_rss_mb
    from bench.questions import cycle
    from bench.server import running, wait_settled

    out: dict[str, Any] = {}
    variants: list[tuple[str, dict[str, str], int]] = [("as_served", {}, 1)]
    if plan.two_worker_variant:
        # What-if: two worker processes (one per core), torch on one thread in each.
        variants.append(("two_workers", {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}, 2))
    for name, env, workers in variants:
        server_data = _copy_live_build(data_dir, workdir / f"data-{name}")
        _say(f"http ({name}): starting the app")
        with running(server_data, workdir / f"server-{name}.log", env, workers) as server:
            result: dict[str, Any] = {"env": env, "workers": workers, "startup_s": server.started_s,
                                      "sequential": {}, "load": {}}
            # A supervisor and its workers (uvicorn's multiprocess mode; one process otherwise).
            wait_settled(server.pid, 1 if workers == 1 else workers + 1)
            result["server_rss_mb_after_start"] = tree_rss_mb(server.pid)
            if "http" in selected:
                for kind in ("chat", "search", "healthz"):
                    _say(f"http ({name}): sequential {kind}")
                    result["sequential"][kind] = http_load.sequential(
                        server.url, server.pid, kind, cycle(usable, plan.sequential),  # type: ignore[arg-type]
                        floor=floor if kind != "healthz" else None)
            if "load" in selected:
                for kind in ("chat", "search"):
                    _say(f"http ({name}): {plan.clients} clients for {plan.load_s:g} s on /api/{kind}")
                    result["load"][kind] = http_load.load(server.url, server.pid, kind, usable,  # type: ignore[arg-type]
                                                          plan.clients, plan.load_s)
            out[name] = result
    return out


def _profile(assistant: Any, qs: list) -> dict[str, Any]:
    from assistant.schemas import Turn
    from bench.profiling import profile_calls

    def answer(q: Any) -> None:
        assistant.answer(q.text, [Turn(role=r, content=c) for r, c in q.history])

    return {"answer": profile_calls(answer, qs), "search": profile_calls(lambda q: assistant.search(q.text, k=10), qs)}


def _onnx(assistant: Any, qs: list, workdir: Path, usable: list) -> dict[str, Any]:
    from bench.onnx_backend import measure
    from vectorstore.embeddings import resolve_model

    model_dir = Path(resolve_model(assistant.settings.embedding_model))
    sample = list(assistant.index.entry_texts.values())[:128]
    return measure(assistant, qs, model_dir, workdir, sample, usable)


def _scale(assistant: Any, plan: Plan, data: Path, workdir: Path, usable: list) -> dict[str, Any]:
    from bench import scale

    texts = list(assistant.index.entry_texts.values())
    sample = [texts[i % len(texts)] for i in range(plan.embedding_sample)]
    result: dict[str, Any] = {"embedding_sample": scale.embedding_throughput(assistant.embeddings, sample)}
    result.update(scale.run(data, workdir, plan.scale_sizes, plan.scale_queries, [q.id for q in usable],
                            plan.scale_real_row, workdir / "scale.log", _say))
    return result


def _write(results: dict[str, Any], out: Path) -> None:
    from bench.report import markdown, scale_svg

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "RESULTS.md").write_text(markdown(results), encoding="utf-8")
    svg = scale_svg(results)
    if svg:
        (out / "scale.svg").write_text(svg, encoding="utf-8")


if __name__ == "__main__":
    main()
