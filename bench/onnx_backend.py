"""The query encoder on ONNX Runtime, measured against torch: latency, vectors and rankings.

sentence-transformers' own ``backend="onnx"`` (what ``EMBEDDING_BACKEND=onnx`` selects) loads models
through optimum-onnx, whose releases (0.1.0 is the latest) require transformers < 4.58, while
sentence-transformers 6.2 requires transformers >= 5: it cannot be installed beside this stack. It is
tried anyway and the reason it fails is recorded. The measurement then runs the same model on
onnxruntime directly: the packaged MiniLM exported with ``torch.onnx`` (which needs the ``onnx``
package; without it this section is skipped and says so), the model's own tokenizer and settings, mean
pooling and normalisation, as the sentence-transformers pipeline of this model does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path

import numpy as np

from assistant.service import Assistant
from bench.questions import Question
from bench.timing import time_calls

# The version that exports this model with torch 2.13 here (a build-time need only, not a runtime one).
ONNX_PIN = "onnx==1.23.2"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OrtEncoder:
    """all-MiniLM-L6-v2 on onnxruntime: tokenizer → transformer → mean pooling → L2 normalisation."""

    def __init__(self, model_dir: Path, onnx_path: Path, model_name: str, threads: int = 0) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.model_name = model_name
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_length = int(config.get("max_seq_length", 256))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.wanted = {i.name for i in self.session.get_inputs()}
        self._dimension = int(self.session.get_outputs()[0].shape[-1])

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer(texts[start : start + batch_size], padding=True, truncation="longest_first",
                                 max_length=self.max_length, return_tensors="np")
            feed = {k: v.astype(np.int64) for k, v in enc.items() if k in self.wanted}
            hidden = self.session.run(None, feed)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        if not out:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(out).astype(np.float32)


def export(model_dir: Path, out: Path) -> float:
    """Export the transformer to ONNX (dynamic batch and length); returns the seconds it took."""
    import warnings

    import torch
    from transformers import AutoModel

    class Wrapped(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    t0 = time.perf_counter()
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    sample = torch.ones((2, 8), dtype=torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Wrapped(model), (sample, sample, torch.zeros_like(sample)), str(out), input_names=list(INPUTS),
            output_names=["last_hidden_state"], opset_version=17, dynamo=False,
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*INPUTS, "last_hidden_state"]},
        )
    return round(time.perf_counter() - t0, 2)


def sentence_transformers_backend(model: str) -> str | None:
    """None if ``SentenceTransformer(..., backend="onnx")`` loads, else why not (first line)."""
    from vectorstore.embeddings import SentenceEmbeddings

    try:
        SentenceEmbeddings(model, backend="onnx")
    except Exception as exc:  # noqa: BLE001 — any failure is the finding
        return str(exc).strip().splitlines()[0][:300]
    return None


def rankings(assistant: Assistant, encoder: object, questions: list[Question], k: int = 10) -> dict[str, object]:
    """Top-``k`` of ``Assistant.search`` with the torch encoder and with ``encoder``, question by question."""
    torch_encoder = assistant.embeddings
    unique = list(dict.fromkeys(q.text for q in questions))
    before = {t: [r.passage_id for r in assistant.search(t, k=k).results] for t in unique}
    assistant.embeddings = assistant.searcher.embeddings = encoder  # type: ignore[assignment]
    try:
        after = {t: [r.passage_id for r in assistant.search(t, k=k).results] for t in unique}
    finally:
        assistant.embeddings = assistant.searcher.embeddings = torch_encoder
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
        return (f"faster ({onnx_p50:.1f} vs {torch_p50:.1f} ms p50) with the same rankings: make it the default "
                "once it can be selected through settings")
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
    onnx_path = workdir / "minilm.onnx"
    result["export_s"] = export(model_dir, onnx_path)
    result["model_mb"] = round(onnx_path.stat().st_size / 2**20, 1)
    ort_default = OrtEncoder(model_dir, onnx_path, model_name, threads=0)
    ort_one = OrtEncoder(model_dir, onnx_path, model_name, threads=1)

    torch_encoder = assistant.embeddings
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

    result["rankings"] = rankings(assistant, ort_one, ranking_questions or questions)
    p50 = {name: m["wall_ms"]["p50"] for name, m in latency.items()}  # type: ignore[index]
    torch_p50 = min(v for name, v in p50.items() if name.startswith("torch"))
    onnx_p50 = min(v for name, v in p50.items() if name.startswith("onnx"))
    r = result["rankings"]
    share = r["identical_lists"] / r["questions"] if r["questions"] else 0.0  # type: ignore[index,operator]
    result["recommendation"] = recommendation(torch_p50, onnx_p50, share)
    return result
