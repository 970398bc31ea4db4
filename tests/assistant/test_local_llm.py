"""Joining the test model from its PyPI parts: in order, verified, never left half-written."""

import hashlib

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.local_llm import LocalLLMError, LocalModel, assemble, model_path, server_command


def _venv(tmp_path, chunks: list[bytes]):
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    for i, chunk in enumerate(chunks, 1):
        data = site / f"parts_pkg{i}" / "data"
        data.mkdir(parents=True)
        (data / f"part{i:02d}.bin").write_bytes(chunk)
    return venv


def _model(chunks: list[bytes]) -> LocalModel:
    whole = b"".join(chunks)
    return LocalModel(name="tiny", file="tiny.gguf", parts_package="parts_pkg", parts=len(chunks), size=len(whole),
                      sha256=hashlib.sha256(whole).hexdigest())


CHUNKS = [b"GGUF" + bytes(range(200)), b"second" * 1000, b"end"]


def test_parts_are_joined_in_order_and_verified(tmp_path):
    venv, model = _venv(tmp_path, CHUNKS), _model(CHUNKS)
    path = assemble(venv, model)
    assert path == model_path(venv, model) and path.read_bytes() == b"".join(CHUNKS)
    assert assemble(venv, model) == path  # already there and verified: kept


def test_a_changed_part_is_an_error_and_leaves_no_model(tmp_path):
    model = _model(CHUNKS)
    venv = _venv(tmp_path, [CHUNKS[0], b"tampered" * 750, CHUNKS[2]])
    with pytest.raises(LocalLLMError, match="expected"):
        assemble(venv, model)
    assert not list((venv / "models").iterdir())


def test_a_damaged_model_file_is_rebuilt(tmp_path):
    venv, model = _venv(tmp_path, CHUNKS), _model(CHUNKS)
    path = assemble(venv, model)
    path.write_bytes(b"GGUF truncated")
    assert assemble(venv, model).read_bytes() == b"".join(CHUNKS)


def test_a_missing_part_or_environment_says_what_to_run(tmp_path):
    venv = _venv(tmp_path, CHUNKS[:2])
    with pytest.raises(LocalLLMError, match="part 3 .*make llm"):
        assemble(venv, _model(CHUNKS))
    with pytest.raises(LocalLLMError, match="make llm"):
        server_command(tmp_path / "nowhere", "127.0.0.1", 8090)
    result = CliRunner().invoke(main, ["local-llm", "assemble", "--venv", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "make llm" in result.output
