import json

from bench.questions import GOLD, Question, cycle, load


def test_load_reads_questions_and_histories(tmp_path):
    path = tmp_path / "qa.jsonl"
    rows = [
        {"id": "fr-1", "language": "fr", "question": "Qu'est-ce que le CNC ?", "answerable": True},
        {"id": "fr-2", "language": "fr", "question": "Et pour la musique ?", "answerable": True,
         "history": [{"role": "user", "content": "Quelles aides ?"}, {"role": "assistant", "content": "Le CNC."}]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    qs = load(path)
    assert [q.id for q in qs] == ["fr-1", "fr-2"]
    assert qs[0].chat_body() == {"message": "Qu'est-ce que le CNC ?"}
    assert qs[1].chat_body()["history"] == rows[1]["history"]


def test_the_gold_set_loads():
    qs = load(GOLD)
    assert len(qs) >= 100 and {q.language for q in qs} == {"fr", "en", "ar"}


def test_cycle_goes_round_in_order():
    qs = [Question(str(i), "en", f"q{i}") for i in range(3)]
    assert [q.id for q in cycle(qs, 7)] == ["0", "1", "2", "0", "1", "2", "0"]
    assert cycle([], 5) == []
