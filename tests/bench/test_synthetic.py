import numpy as np

from bench.synthetic import DerivedEncoder, entry_languages, sentence_pools, synthetic_passages
from vectorstore.index import VectorCache
from vectorstore.models import Passage, Translation
from vectorstore.text import content_hash, sentences


def _passage(i, text, lang="fr", kind="paragraph", translations=None):
    return Passage(passage_id=f"p{i}", document="roadmap", title="T", language=lang, section="Axe 1", kind=kind,
                   text=text, start=0, end=len(text), order=i, translations=translations or {})


REAL = [
    _passage(0, "Axe 1", kind="heading"),
    _passage(1, "Le CNC soutient le jeu vidéo. Il aide les studios. Les aides sont annuelles.",
             translations={"en": Translation(lang="en", text="The CNC supports video games. It helps studios.")}),
    _passage(2, "La feuille de route date de 2022. Elle a trois axes. Un groupe d'experts l'a préparée."),
]


def _cache(texts):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((len(texts), 8)).astype(np.float32)
    return VectorCache([content_hash(t) for t in texts], m / np.linalg.norm(m, axis=1, keepdims=True))


def test_pools_hold_body_sentences_per_language_not_headings():
    pools = sentence_pools(REAL)
    assert "Axe 1" not in pools["fr"] and "Il aide les studios." in pools["fr"]
    assert pools["en"] == ["The CNC supports video games.", "It helps studios."]
    assert entry_languages(REAL) == {"fr": 3, "en": 1}


def test_synthetic_passages_are_deterministic_and_split_back_into_real_sentences():
    a = synthetic_passages(REAL, 50, seed=3)
    assert [p.model_dump() for p in a] == [p.model_dump() for p in synthetic_passages(REAL, 50, seed=3)]
    pools = sentence_pools(REAL)
    for p in a:
        assert p.passage_id not in {r.passage_id for r in REAL}
        assert all(s in pools[p.language] for s in sentences(p.text))
    assert len({p.passage_id for p in a}) == 50
    assert {p.language for p in a} <= {"fr", "en"}


def test_derived_vectors_are_normalised_means_of_known_sentences():
    known = _cache(["Il aide les studios.", "Elle a trois axes.", "Axe 1"])
    enc = DerivedEncoder(known, "model")
    v = enc.encode(["Axe 1\nIl aide les studios. Elle a trois axes.", "Rien de connu ici"])
    expected = known.matrix.mean(axis=0)
    assert np.allclose(v[0], expected / np.linalg.norm(expected), atol=1e-6)
    assert np.isclose(np.linalg.norm(v[1]), 1.0) and enc.misses == 1 and enc.dimension == 8
