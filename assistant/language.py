"""Deterministic language identification for questions (fr / en / ar).

The detector lives in ``vectorstore.text`` (ingest labels documents with the same rules); this module
keeps the assistant's import path.
"""

from __future__ import annotations

from vectorstore.text import detect_language

__all__ = ["detect_language"]
