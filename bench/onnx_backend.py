"""The query encoder on ONNX Runtime, measured against torch: latency, vectors and rankings.

sentence-transformers' own ``backend="onnx"`` (what ``EMBEDDING_BACKEND=onnx`` selects) loads models
through optimum-onnx, whose releases (0.1.0 is the latest) require transformers < 4.58, while
sentence-transformers 6.2 requires transformers >= 5: it cannot be installed beside this stack. It is
tried anyway and the reason it fails is recorded. The measurement then compares torch with the
project's own ONNX encoder (``vectorstore/onnx.py``, the default question encoder): the packaged MiniLM
exported with ``torch.onnx`` and run on onnxruntime with the model's tokenizer, mean pooling and
normalisation, as the sentence-transformers pipeline of this model does.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import numpy as np

from assistant.service import Assistant
from bench.questions import Question
from bench.timing import time_calls
from vectorstore.embeddings import get_embeddings
from vectorstore.onnx import OnnxEmbeddings

# The version that exports this model with torch 2.13 here (a build-time need only, not a runtime one).
ONNX_PIN = "onnx==1.23.2"


def sentence_transformers_backend(model: str) -> str | None:
    """None if ``SentenceTransformer(..., backend="onnx")`` loads, else why not (first line)."""
    from vectorstore.embeddings import SentenceEmbeddings

    try:
        SentenceEmbeddings(model, backend="onnx")
    except Exception as exc:  # noqa: BLE001 — any failure is the finding
        return str(exc).strip().splitlines()[0][:300]
    return None


def rankings(assistant: Assistant, torch_encoder: object, encoder: object, questions: list[Question],
             k: int = 10) -> dict[str, object]:
    """Top-``k`` of ``Assistant.search`` with ``torch_encoder`` and with ``encoder``, question by question."""
    serving = assistant.embeddings
    unique = list(dict.fromkeys(q.text for q in questions))

    def top(enc: object) -> dict[str, list[str]]:
        assistant.embeddings = assistant.searcher.embeddings = enc  # type: ignore[assignment]
        return {t: [r.passage_id for r in assistant.search(t, k=k).results] for t in unique}

    try:
        before, after = top(torch_encoder), top(encoder)
    finally:
        assistant.embeddings = assistant.searcher.embeddings = serving
    identical = sum(before[t] == after[t] for t in unique)
    same_set = sum(set(before[t]) == set(after[t]) for t in unique)
    top1 = sum(before[t][:1] == after[t][:1] for t in unique)
    overlaps = [len(set(before[t]) & set(after[t])) / max(1, len(before[t])) for t in unique]
    differing = [t for t in unique if before[t] != after[t]][:5]
    return {
        "questions": len(unique), "k": k, "identical_lists": identical, "same_sets": same_set, "same_top1": top1,
        "mean_overlap": round(float(np.mean(overlaps)), 4) if overlaps else None, "examples_differing": differing,
    }


def recommendation(torch_p50: float, onnx_p50: float, identical_share: float) -> str:
    """The issue's rule: ONNX becomes the default if it is faster with the same rankings (each backend
    at its best thread setting)."""
    faster = onnx_p50 < torch_p50 * 0.9
    same = identical_share >= 0.99
    if faster and same:
        return (f"faster ({onnx_p50:.1f} vs {torch_p50:.1f} ms p50) with the same rankings: keep it the default "
                "question encoder (QUERY_BACKEND=onnx)")
    if faster:
        return (f"faster ({onnx_p50:.1f} vs {torch_p50:.1f} ms p50) but rankings differ on "
                f"{(1 - identical_share):.1%} of questions: keep torch until the differences are understood")
    return f"not faster ({onnx_p50:.1f} vs {torch_p50:.1f} ms p50): keep torch"


def _threads(backend: str, n: int) -> str:
    return f"{backend}_{n}_thread" + ("s" if n > 1 else "")


def measure(assistant: Assistant, questions: list[Question], model_dir: Path, workdir: Path,
            sample_texts: list[str], ranking_questions: list[Question] | None = None) -> dict[str, object]:
    """Latency on ``questions`` (with repeats), rankings on ``ranking_questions`` (each once)."""
    import torch

    result: dict[str, object] = {"sentence_transformers_onnx": "not tried"}
    model_name = assistant.settings.embedding_model
    st_error = sentence_transformers_backend(model_name)
    result["sentence_transformers_onnx"] = "loads" if st_error is None else f"fails: {st_error}"
    if importlib.util.find_spec("onnx") is None:
        result["skipped"] = (f"the `onnx` package is not installed: torch.onnx.export needs it to export the model "
                             f"(pip install {ONNX_PIN}); onnxruntime itself is installed (a chromadb dependency)")
        return result
    from importlib import metadata

    result["onnx_version"] = metadata.version("onnx")
    t0 = time.perf_counter()
    ort_default = OnnxEmbeddings(model_name, model_dir, workdir, threads=0)  # exports into workdir
    result["export_s"] = round(time.perf_counter() - t0, 2)
    result["model_mb"] = round(sum(p.stat().st_size for p in workdir.glob("*.onnx")) / 2**20, 1)
    ort_one = OnnxEmbeddings(model_name, model_dir, workdir, threads=1)

    # The assistant serves with the ONNX encoder by default: torch is loaded apart for the comparison.
    torch_encoder = get_embeddings(model_name, "torch")
    texts = [q.text for q in questions]
    a = torch_encoder.encode(texts)
    b = ort_one.encode(texts)
    cos = (a * b).sum(axis=1)
    result["vectors"] = {"min_cosine": round(float(cos.min()), 6), "max_abs_diff": float(np.abs(a - b).max())}

    serving = torch.get_num_threads()  # what the assistant set (settings.query_threads)
    cores = len(os.sched_getaffinity(0))
    latency: dict[str, object] = {}
    batch: dict[str, float] = {}
    try:
        for n in sorted({1, cores}):
            torch.set_num_threads(n)
            latency[_threads("torch", n)] = time_calls(lambda q: torch_encoder.encode([q.text]), questions)
        # Ingest encodes in batches with torch's default (one thread per core).
        t0 = time.perf_counter()
        torch_encoder.encode(sample_texts, batch_size=64)
        batch[_threads("torch", cores)] = round(len(sample_texts) / (time.perf_counter() - t0), 1)
    finally:
        torch.set_num_threads(serving)
    latency[_threads("onnx", cores)] = time_calls(lambda q: ort_default.encode([q.text]), questions)
    latency[_threads("onnx", 1)] = time_calls(lambda q: ort_one.encode([q.text]), questions)
    result["torch_threads_serving"] = serving
    result["query_encoding"] = latency
    t0 = time.perf_counter()
    ort_default.encode(sample_texts, batch_size=64)
    batch[_threads("onnx", cores)] = round(len(sample_texts) / (time.perf_counter() - t0), 1)
    result["ingest_texts_per_s"] = batch

    result["rankings"] = rankings(assistant, torch_encoder, ort_one, ranking_questions or questions)
    p50 = {name: m["wall_ms"]["p50"] for name, m in latency.items()}  # type: ignore[index]
    torch_p50 = min(v for name, v in p50.items() if name.startswith("torch"))
    onnx_p50 = min(v for name, v in p50.items() if name.startswith("onnx"))
    r = result["rankings"]
    share = r["identical_lists"] / r["questions"] if r["questions"] else 0.0  # type: ignore[index,operator]
    result["recommendation"] = recommendation(torch_p50, onnx_p50, share)
    return result
