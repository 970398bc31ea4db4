"""Measures on small hand-made inputs: a miss is a miss, folding is symmetric, alternatives count."""

import pytest

from evals import metrics as m

EVIDENCE = ["Le Festival Novembre Numérique est organisé chaque année"]


def test_evidence_match_ignores_case_accents_whitespace_and_apostrophes() -> None:
    text = "…   le FESTIVAL novembre   numerique est organise\nchaque année par l’Institut français."
    assert m.contains_any(text, EVIDENCE)
    assert m.contains_any("l'Institut français", ["l’institut FRANCAIS"])


def test_a_near_miss_is_a_miss() -> None:
    assert not m.contains_any("Le Festival Novembre Numérique est organisé", EVIDENCE)
    assert not m.contains_any("", EVIDENCE)
    assert not m.contains_any(None, EVIDENCE)


def test_any_alternative_is_a_hit() -> None:
    assert m.contains_any("Creative Europe funds culture", ["absent text", "creative europe"])


def test_rank_hit_and_reciprocal_rank() -> None:
    texts = ["nothing", "still nothing", "Le festival Novembre Numérique est organisé chaque année partout"]
    rank = m.first_hit_rank(texts, EVIDENCE)
    assert rank == 3
    assert not m.hit_at(rank, 1) and m.hit_at(rank, 3) and m.hit_at(rank, 5)
    assert m.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert m.first_hit_rank(["nothing"] * 12, EVIDENCE) is None
    assert m.reciprocal_rank(None) == 0.0
    # beyond the MRR depth nothing counts
    assert m.first_hit_rank(["x"] * 10 + [EVIDENCE[0]], EVIDENCE) is None


def test_key_fact_coverage_with_alternatives() -> None:
    answer = "Le CNC soutient le jeu vidéo depuis 2003 [1]."
    assert m.key_fact_coverage(answer, ["2003", "CNC|Centre national du cinéma"]) == 1.0
    assert m.key_fact_coverage(answer, ["2003", "Bpifrance"]) == 0.5
    assert m.key_fact_coverage(answer, ["jeu video"]) == 1.0  # accents folded
    assert m.key_fact_coverage(answer, ["2004|2005"]) == 0.0
    assert m.key_fact_coverage(answer, []) is None


def test_cited_evidence_looks_at_text_and_translation() -> None:
    assert m.cites_evidence(["autre chose", "The festival is organised every year"], ["festival is organised"])
    assert m.cites_evidence([None, "le festival est organisé"], ["Festival est organise"])
    assert not m.cites_evidence([None, "sans rapport"], ["festival"])
    assert not m.cites_evidence([], ["festival"])


def test_markers_and_dangling_markers() -> None:
    answer = "Une phrase [1]. Une autre [2][3]. Encore [1, 4]. Pas un marqueur [a] ni [ 5 ]."
    assert m.markers(answer) == [1, 2, 3, 1, 4]
    assert m.dangling_markers(answer, [1, 2, 3]) == 1
    assert m.dangling_markers(answer, [1, 2]) == 2
    assert m.dangling_markers("Pas de marqueur.", []) == 0
    assert m.dangling_markers("Réponse [1].", []) == 1


def test_refusal_correctness() -> None:
    assert m.refusal_correct(abstained=True, answerable=False)
    assert m.refusal_correct(abstained=False, answerable=True)
    assert not m.refusal_correct(abstained=True, answerable=True)
    assert not m.refusal_correct(abstained=False, answerable=False)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Le CNC soutient le jeu vidéo depuis 2003, dans le cadre de la feuille de route [1].", "fr"),
        ("The CNC has supported video games since 2003, as part of the roadmap [1].", "en"),
        ("يدعم المركز الوطني للسينما (CNC) ألعاب الفيديو منذ عام 2003 [1].", "ar"),
        ("D'après les documents : The CNC supports video games and the creation of works [1].", "en"),
        ("[1] 2003", None),
    ],
)
def test_answer_language(text: str, lang: str | None) -> None:
    assert m.answer_language(text) == lang


def _question(split: str, language: str, slices: list[str], answerable: bool, rank: int | None, *,
              abstained: bool = False, facts: float | None = 1.0, cited: bool = True, answer_lang: str | None = None,
              dangling: int = 0) -> m.QuestionResult:
    q = m.QuestionResult("q", "question?", language, split, slices, answerable)
    q.retrieval["ours"] = m.Retrieved(rank=rank, lengths=[100, 300])
    q.retrieval["bm25"] = m.Retrieved(rank=None, lengths=[1000])
    q.answer = m.Answered(answer="texte", abstained=abstained, standalone="question?", key_facts=facts,
                          cited_evidence=cited, language=answer_lang or language, dangling=dangling)
    return q


def test_summarize_groups_with_their_n() -> None:
    records = [
        _question("test", "fr", [], True, 1),
        _question("test", "fr", ["cross-lingual"], True, 7, facts=0.5, cited=False),
        _question("test", "ar", ["off-topic"], False, None, abstained=True, facts=None, cited=False, dangling=2),
        _question("dev", "en", ["off-topic"], False, None, abstained=False, facts=None, cited=False),
    ]
    summary = m.summarize(records, [*m.retrieval_metrics(5), *m.ANSWER_METRICS], ["ours", "bm25"])
    assert set(summary) == {"dev", "test", "all"}
    test = summary["test"]
    assert list(test) == ["overall", "language:fr", "language:ar", "slice:cross-lingual", "slice:off-topic",
                          "intent:factoid"]
    overall = test["overall"]
    assert overall["n"] == 3
    ours = overall["metrics"]["ours"]
    assert ours["hit@5"] == {"value": 0.5, "n": 2}  # off-topic questions are not retrieval questions
    assert ours["hit@10"] == {"value": 1.0, "n": 2}
    assert ours["mrr@10"]["value"] == pytest.approx((1 + 1 / 7) / 2)
    assert ours["passage_chars"] == {"value": 200.0, "n": 3}
    assert ours["key_facts"] == {"value": 0.75, "n": 2}
    assert ours["cited_evidence"] == {"value": 0.5, "n": 2}
    assert ours["declined_offtopic"] == {"value": 1.0, "n": 1}
    assert ours["wrongly_declined"] == {"value": 0.0, "n": 2}
    assert ours["dangling_markers"] == {"value": 2.0, "n": 3}  # a sum, not a mean
    # baselines get retrieval measures only
    bm25 = overall["metrics"]["bm25"]
    assert bm25["hit@5"] == {"value": 0.0, "n": 2} and "key_facts" not in bm25
    assert test["slice:off-topic"]["metrics"]["ours"]["hit@5"] == {"value": None, "n": 0}
    assert summary["dev"]["overall"]["metrics"]["ours"]["declined_offtopic"] == {"value": 0.0, "n": 1}
    assert summary["all"]["overall"]["n"] == 4


def test_aid_recall_at_5() -> None:
    a = m.AidResult("a", "profil", "fr", "test", ["x", "y"], ["z", "x", "q", "r", "s", "y"])
    assert a.recall == 0.5  # y is sixth
    summary = m.summarize([a], m.AID_METRICS, ["ours"])
    assert summary["test"]["overall"]["metrics"]["ours"]["recall@5"] == {"value": 0.5, "n": 1}


def test_missing_facts_and_sections() -> None:
    answer = "Le CNC soutient le jeu vidéo depuis 2003 [1]."
    assert m.missing_facts(answer, ["2003", "CNC|Centre national du cinéma", "Bpifrance|BPI"]) == ["Bpifrance|BPI"]
    assert m.missing_facts(answer, []) == []
    path = "Axe 1 : Créer › Objectif 2 : Soutenir › Bonne pratique"
    assert m.under_section(path, ["objectif 2 : SOUTENIR"])  # folded
    assert not m.under_section(path, ["Objectif 3"])
    assert not m.under_section("", ["Objectif 2"]) and not m.under_section(path, [])
    assert m.on_evidence(["autre", None], path, ["absent"], ["Axe 1"])
    assert m.on_evidence([None, "Le jeu vidéo"], "", ["jeu video"], [])
    assert not m.on_evidence(["autre"], path, ["absent"], ["Axe 2"])


def _whole(language: str, answerable: bool, *, intent: str = "factoid", slices: list[str] | None = None,
           abstained: bool = False, uncited: bool = False, missing: list[str] | None = None,
           sentences: int = 0, precise: int = 0) -> m.QuestionResult:
    q = m.QuestionResult("q", "question?", language, "test", slices or ([] if answerable else ["off-topic"]),
                         answerable, intent=intent)
    q.answer = m.Answered(answer="texte", abstained=abstained, standalone="question?", key_facts=None,
                          cited_evidence=False, language=language, dangling=0, uncited=uncited, missing_facts=missing,
                          sentences=sentences, precise=precise)
    return q


def test_whole_answer_measures_per_intent_and_language() -> None:
    records = [
        _whole("fr", True, intent="list", missing=[], sentences=3, precise=3),  # complete, all precise
        _whole("fr", True, intent="list", missing=["2003"], sentences=2, precise=1),  # a fact missing
        _whole("en", True, intent="outline", missing=["x"], abstained=True),  # declined: not complete
        _whole("en", True, intent="outline", missing=None, sentences=5, precise=1),  # no facts: no completeness
        _whole("ar", True, uncited=True, missing=[], sentences=1, precise=0),  # uncited: declined
        _whole("ar", False, slices=["off-topic", "near-miss"]),  # answered a near-miss
        _whole("fr", False, slices=["off-topic", "near-miss"], abstained=True),
        _whole("en", False, slices=["off-topic", "injection"], uncited=True),  # capabilities reply: declined
    ]
    summary = m.summarize(records, m.ANSWER_METRICS, ["ours"])["test"]
    assert list(summary)[-3:] == ["intent:factoid", "intent:list", "intent:outline"]

    def got(group: str, metric: str) -> m.Value:
        return summary[group]["metrics"]["ours"][metric]  # type: ignore[index]

    assert got("overall", "complete_answers") == {"value": 0.25, "n": 4}
    assert got("intent:list", "complete_answers") == {"value": 0.5, "n": 2}
    assert got("intent:outline", "complete_answers") == {"value": 0.0, "n": 1}
    # pooled over sentences, not averaged over questions (the mean of 1, 0.5, 0.2 would be 0.567)
    assert got("overall", "precision") == {"value": 5 / 10, "n": 10}
    assert got("language:fr", "precision") == {"value": 4 / 5, "n": 5}
    assert got("language:ar", "precision") == {"value": None, "n": 0}  # its one answer was declined
    assert got("overall", "answerable_declined") == {"value": 0.4, "n": 5}
    assert got("overall", "wrongly_declined") == {"value": 0.2, "n": 5}  # abstained only, as before
    assert got("overall", "unanswerable_declined")["value"] == pytest.approx(2 / 3)
    assert got("overall", "declined_offtopic")["value"] == pytest.approx(1 / 3)  # abstained only, as before
    assert got("slice:near-miss", "unanswerable_declined") == {"value": 0.5, "n": 2}
    assert got("slice:injection", "unanswerable_declined") == {"value": 1.0, "n": 1}


def test_pooled_aggregate() -> None:
    assert m.aggregate([m.Pooled(1, 2), None, m.Pooled(2, 2)], "pooled") == {"value": 0.75, "n": 4}
    assert m.aggregate([m.Pooled(0, 0)], "pooled") == {"value": None, "n": 0}
    assert m.aggregate([], "pooled") == {"value": None, "n": 0}
