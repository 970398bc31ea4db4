"""A file system that refuses: writes (a full disk, a read-only folder) or every access (a permission
error) below one folder fail with a real ``OSError`` and its errno, as the kernel would answer.

Root ignores file modes and tests cannot mount a tiny tmpfs, so the refusal is made at Python's file
functions: ``open`` (which ``Path.write_text``, ``numpy.save`` and the like use), ``os.open`` and
``os.mkdir``. SQLite opens its files itself and is not covered.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path

import pytest

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def refuse(monkeypatch: pytest.MonkeyPatch, under: Path, code: int = errno.ENOSPC, *, reads: bool = False) -> None:
    """From now on, writing below ``under`` (and reading too with ``reads``) fails with ``code``."""
    root = os.path.realpath(under)
    real_open, real_os_open, real_mkdir = io.open, os.open, os.mkdir

    def refused(path: object) -> bool:
        if isinstance(path, int):
            return False
        where = os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]
        return where == root or where.startswith(root + os.sep)

    def fail(path: object) -> OSError:
        return OSError(code, os.strerror(code), os.fsdecode(path))  # type: ignore[arg-type]

    def fake_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if refused(file) and (reads or any(c in mode for c in "wax+")):
            raise fail(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if refused(path) and (reads or flags & WRITE_FLAGS):
            raise fail(path)
        return real_os_open(path, flags, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if refused(path):
            raise fail(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
