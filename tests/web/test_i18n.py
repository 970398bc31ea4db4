"""Interface strings exist in every language; the browser's preference is read correctly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from web import i18n


def test_every_string_in_every_language() -> None:
    for key, entry in {**i18n.STRINGS, **i18n.FACET_LABELS}.items():
        assert set(entry) == set(i18n.LANGS), key
        assert all(v.strip() for v in entry.values()), key
    assert set(i18n.SUGGESTIONS) == set(i18n.LANGS)


def test_templates_use_only_known_strings() -> None:
    used = set()
    for path in (Path(i18n.__file__).parent / "templates").glob("*.html"):
        used |= set(re.findall(r"""ui\(\s*["']([a-z_]+)["']\s*\)""", path.read_text()))
    dynamic = {"vote_up", "vote_down", "facet_sector", "facet_beneficiary", "facet_kind", "facet_operator",
               "facet_stage", "not_found", "bad_request", "server_error",
               "not_found_text", "bad_request_text", "server_error_text"}
    assert used <= set(i18n.STRINGS)
    assert dynamic <= set(i18n.STRINGS)


@pytest.mark.parametrize("header, expected", [
    ("ar-MA,ar;q=0.9,fr;q=0.8", "ar"), ("de,en-US;q=0.7,fr;q=0.8", "fr"), ("en-US,en", "en"),
    ("de", None), ("", None), ("fr;q=0,en;q=0.1", "en"), ("fr;q=abc,en;q=0.5", "en"),
])
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


def test_direction() -> None:
    assert i18n.direction("ar") == "rtl" and i18n.direction("fr") == "ltr"
