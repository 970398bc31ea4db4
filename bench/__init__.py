"""Benchmarks: latency floor, in-process and HTTP latency, load, the ONNX query encoder, and scale.

``python -m bench.run [--quick] [--only NAME,...]`` (``make bench``) writes ``bench/results.json``,
``bench/RESULTS.md`` and ``bench/scale.svg``. Targets are reported as pass/fail; a miss never fails
the process. One module per concept:

    run           the command: sections, sample sizes (full or --quick), writing the results
    inprocess     the floor (one query embedding + one Chroma search), Assistant.search / .answer
    server        the real app under uvicorn in a child process, on a loopback socket
    http_load     sequential warm requests and the 16-client load test against that server
    targets       the issues' targets checked against the figures
    profiling     where the time of an answer goes (cProfile, summed by area), when a target is missed
    onnx_backend  the query encoder on ONNX Runtime: latency, vectors and rankings against torch
    synthetic     synthetic corpora from the real one, with vectors derived from cached sentence vectors
    scale         real + 10k / 100k synthetic passages through the real ingest path, then queried
    report, svg   RESULTS.md and the plot
    machine, stats, timing, questions   machine facts, percentiles, timed calls, the gold questions

``bench`` sits on top, beside ``evals``: it uses ``assistant``, ``vectorstore`` and ``web``; nothing uses it.
"""
