"""The question encoder on ONNX Runtime: the same sentence-transformers model, 2.4× cheaper per question.

sentence-transformers' own ``backend="onnx"`` loads models through optimum-onnx, whose only release
requires transformers < 4.58 while sentence-transformers 6.2 requires transformers >= 5: it cannot be
installed beside this stack. So the model's transformer is exported once with ``torch.onnx`` (cached on
disk, keyed by the model folder's contents) and run on onnxruntime with the model's own tokenizer, mean
pooling and normalisation, which is what the sentence-transformers pipeline of such a model does.
``make bench`` checks that rankings are the same as with torch. Only mean-pooling, normalised models
(all-MiniLM-L6-v2 and its kind) are supported; anything else raises, and the caller uses torch.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from vectorstore.errors import EmbeddingModelError
from vectorstore.text import content_hash

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _model_key(model_dir: Path) -> str:
    files = sorted(p for p in model_dir.rglob("*") if p.is_file())
    return content_hash(*(f"{p.relative_to(model_dir)}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in files))


def _check_pipeline(model_dir: Path) -> None:
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if kinds != ["Transformer", "Pooling", "Normalize"] or not pooling.get("pooling_mode_mean_tokens"):
        raise EmbeddingModelError(f"ONNX encoder supports mean-pooled, normalised models only (got {kinds})")


def export(model_dir: Path, out: Path) -> None:
    """Export the model's transformer to ONNX (dynamic batch and length), atomically."""
    import torch
    from transformers import AutoModel

    class Wrapped(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    model = AutoModel.from_pretrained(str(model_dir)).eval()
    sample = torch.ones((2, 8), dtype=torch.long)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Wrapped(model), (sample, sample, torch.zeros_like(sample)), str(tmp), input_names=list(INPUTS),
            output_names=["last_hidden_state"], opset_version=17, dynamo=False,
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*INPUTS, "last_hidden_state"]},
        )
    os.replace(tmp, out)


class OnnxEmbeddings(Embeddings):
    """Normalised mean-pooled vectors from onnxruntime (cosine similarity = dot product)."""

    def __init__(self, model_name: str, model_dir: Path, cache_dir: Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        if not (model_dir / "modules.json").is_file():
            raise EmbeddingModelError(f"ONNX encoder needs a local sentence-transformers folder, not {model_dir}")
        _check_pipeline(model_dir)
        self.model_name = model_name
        onnx_path = cache_dir / f"{_model_key(model_dir)}.onnx"
        if not onnx_path.is_file():
            export(model_dir, onnx_path)
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_length = int(config.get("max_seq_length", 256))
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(0, threads)
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._wanted = {i.name for i in self.session.get_inputs()}
        self._dimension = int(self.session.get_outputs()[0].shape[-1])

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer(texts[start : start + batch_size], padding=True, truncation="longest_first",
                                 max_length=self.max_length, return_tensors="np")
            feed = {k: v.astype(np.int64) for k, v in enc.items() if k in self._wanted}
            hidden = self.session.run(None, feed)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        if not out:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(out).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
