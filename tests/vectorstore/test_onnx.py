"""The ONNX Runtime question encoder gives the torch model's vectors, and refuses models it cannot run."""

import json
from pathlib import Path

import numpy as np
import pytest

from vectorstore.embeddings import MINILM_MODEL, get_embeddings, resolve_model
from vectorstore.errors import EmbeddingModelError
from vectorstore.onnx import OnnxEmbeddings, _check_pipeline

TEXTS = ["Qu'est-ce que le Festival Novembre Numérique ?", "Which grants support video games?",
         "ما هو مهرجان نوفمبر الرقمي؟", "CNC"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def onnx_encoder(cache_dir):
    return OnnxEmbeddings(MINILM_MODEL, Path(resolve_model(MINILM_MODEL)), cache_dir)


def test_onnx_vectors_match_the_torch_model(onnx_encoder):
    torch_vectors = get_embeddings(MINILM_MODEL, "torch").encode(TEXTS)
    onnx_vectors = onnx_encoder.encode(TEXTS)
    assert onnx_vectors.shape == torch_vectors.shape == (4, 384)
    assert np.min(np.sum(onnx_vectors * torch_vectors, axis=1)) > 0.9999
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)


def test_the_export_is_cached(onnx_encoder, cache_dir):
    exported = list(cache_dir.glob("*.onnx"))
    assert len(exported) == 1
    before = exported[0].stat().st_mtime_ns
    OnnxEmbeddings(MINILM_MODEL, Path(resolve_model(MINILM_MODEL)), exported[0].parent)
    assert exported[0].stat().st_mtime_ns == before


def test_a_model_with_another_pooling_is_refused(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"type": "sentence_transformers.models.Transformer"}, {"type": "sentence_transformers.models.Pooling"}]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(EmbeddingModelError):
        _check_pipeline(tmp_path)
