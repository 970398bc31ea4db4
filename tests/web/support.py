"""Small helpers shared by the web tests."""

from __future__ import annotations

import json
from typing import Any

from assistant.settings import Settings


def settings_with(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update=overrides)


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
