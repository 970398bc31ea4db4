"""Small helpers shared by the web tests."""

from __future__ import annotations

import json
import re
from typing import Any

from assistant.settings import Settings


def settings_with(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update=overrides)


def form_token(client: Any, page: str = "/") -> dict[str, str]:
    """The hidden ``csrf`` field of a page's forms, as a browser posts it (loading the page first)."""
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text)
    assert match, "the page has no form token"
    return {"csrf": match.group(1)}


def parse_events(body: str) -> list[tuple[str, object]]:
    events = []
    for block in body.strip().split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events
