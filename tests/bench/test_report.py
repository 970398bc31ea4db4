import xml.etree.ElementTree as ET

from bench.profiling import OTHER, area, attributed_area, profile_calls
from bench.report import markdown, scale_svg
from bench.svg import figure, panel

MACHINE = {"date": "2026-01-01T00:00:00", "git_commit": "abc", "cpu_model": "cpu", "cores_usable": 2,
           "cores_logical": 2, "ram_total_mb": 2048.0, "python": "3.11", "torch_threads_default": 2, "torch_threads_serving": 1,
           "load_average_at_start": [0.1, 0.1, 0.1], "load_average_at_end": [0.2, 0.2, 0.2]}


def _lat(p50):
    return {"wall_ms": {"n": 10, "p50": p50, "p95": p50 * 2, "p99": p50 * 3}, "cpu_ms": {"p50": p50}}


def test_markdown_renders_every_section_given():
    results = {
        "mode": "quick", "sections_run": ["inprocess", "scale"], "machine": MACHINE, "duration_s": 1.0,
        "index": {"passages": 263, "entries": 789}, "questions": {"gold": 3, "used": 2, "rejected_by_the_assistant": ["x"]},
        "targets": [{"target": "t", "goal": "g", "measured": 1.0, "pass": False}],
        "sections": {
            "inprocess": {"floor": _lat(10.0), "encode": _lat(8.0)},
            "scale": {"embedding_sample": {"texts": 4, "texts_per_s": 50.0, "hours_for_100k_entries": 0.5},
                      "rows": [{"label": "+2k", "passages": 2263, "entries": 2789, "startup_s": 1.0,
                                "rss_serving_mb": 500.0, "latency": {"floor": _lat(12.0), "answer": _lat(40.0)},
                                "build": {"passages": 2263, "entries": 2789, "steps_s": {"lexical index": 1.0, "chroma": 4.0},
                                          "entries_per_s_bm25": 2789.0, "entries_per_s_chroma": 697.0,
                                          "entries_per_s_bm25_chroma": 557.8, "build_s": 6.0, "disk_mb": 30.0,
                                          "peak_rss_mb": 180.0}}]},
        },
    }
    text = markdown(results)
    assert "**FAIL**" in text and "| **floor**: encode + `Index.dense` | 10 | 10.0 | 20.0 |" in text
    assert "| +2k | 2,263 | 2,789 |" in text and "not computed by the model" in text
    assert "| 12.0 / 24.0 | — | — | — | — | — | 40.0 / 80.0 |" in text
    ET.fromstring(scale_svg(results))  # well-formed SVG


def test_no_scale_section_no_plot():
    assert scale_svg({"sections": {}, "machine": MACHINE}) is None


def test_svg_escapes_labels_and_is_well_formed():
    svg = figure([panel({"a<b": [(10, 1.0), (1000, 20.0)]}, "t&t", "x", "y", 0, 0, 400, 300, floor=2.0)], 400, 320)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and "a&lt;b" in svg


def test_profile_areas_and_calls():
    assert area("/x/site-packages/torch/nn/modules/linear.py", "forward").startswith("query encoder")
    assert area("~", "<method 'count' of 'builtins.Bindings' objects>").startswith("Chroma")
    assert area("/work/main/assistant/answer.py", "support").startswith("answer")
    result = profile_calls(lambda n: sum(range(n)), [1000] * 5)
    assert result["calls"] == 5 and abs(sum(a["share"] for a in result["areas"]) - 1) < 0.01


def test_stdlib_time_counts_in_the_area_of_its_caller():
    torch_fn = ("/x/site-packages/transformers/utils/generic.py", 1, "wrapper")
    inspect_fn = ("/usr/lib/python3.11/inspect.py", 2, "signature")
    helper = ("/usr/lib/python3.11/inspect.py", 3, "_signature_from_function")
    lonely = ("/usr/lib/python3.11/json/encoder.py", 4, "encode")
    stats = {
        helper: (1, 1, 0.5, 0.5, {inspect_fn: (1, 1, 0.1, 0.6)}),
        inspect_fn: (1, 1, 0.1, 0.6, {torch_fn: (1, 1, 0.2, 0.8)}),
        torch_fn: (1, 1, 0.2, 0.8, {}),
        lonely: (1, 1, 0.1, 0.1, {}),
    }
    assert attributed_area(helper, stats).startswith("query encoder")
    assert attributed_area(lonely, stats) == OTHER
