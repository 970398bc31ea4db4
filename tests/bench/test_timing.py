from bench.timing import time_calls, time_interleaved


def test_time_calls_times_every_item_after_the_warm_up():
    seen = []
    result = time_calls(seen.append, [1, 2, 3], warmup=2)
    assert seen == [1, 2, 1, 2, 3] and result["wall_ms"]["n"] == 3 and result["cpu_ms"]["n"] == 3


def test_interleaved_calls_take_turns_in_a_rotating_order():
    order = []
    fns = {name: (lambda item, name=name: order.append((name, item))) for name in ("a", "b", "c")}
    result = time_interleaved(fns, [0, 1, 2], warmup=0)
    assert order == [("a", 0), ("b", 0), ("c", 0), ("b", 1), ("c", 1), ("a", 1), ("c", 2), ("a", 2), ("b", 2)]
    assert {n: r["wall_ms"]["n"] for n, r in result.items()} == {"a": 3, "b": 3, "c": 3}


def test_build_steps_are_timed_from_their_marks_progress_included():
    from bench.scale import _step_durations

    marks = [("embedding", 1.0), ("lexical index", 3.0), ("chroma", 4.0), ("chroma 256/512", 6.0),
             ("chroma 512/512", 8.0), ("passages", 9.0)]
    assert _step_durations(marks, 0.5, 10.0) == {"prepare": 0.5, "embedding": 2.0, "lexical index": 1.0,
                                                 "chroma": 5.0, "passages": 1.0}
