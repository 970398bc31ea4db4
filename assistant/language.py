"""Which language a question is in (fr / en / ar), and how common a word is in general language.

The detector lives in ``vectorstore.text`` (ingest labels documents with the same rules); this module
keeps the assistant's import path.
"""

from __future__ import annotations

import functools

from vectorstore.text import detect_language

__all__ = ["detect_language", "warm_up", "zipf"]


@functools.lru_cache(maxsize=65536)
def zipf(word: str, lang: str) -> float:
    """How frequent ``word`` is in general ``lang`` text: Zipf scale, 0 (unknown) to about 8 ("the")."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, lang)


def warm_up() -> None:
    """Load wordfreq's lists now rather than on the first question (a few hundred ms each)."""
    for lang in ("fr", "en", "ar"):
        zipf("a", lang)
