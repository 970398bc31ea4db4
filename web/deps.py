"""What routes receive: the settings, the assistant and the store built by ``create_app``, and the
browser's owner token (the cookie that scopes its list of conversations).

They only read what is already in memory, so they are ``async``: FastAPI runs a plain ``def``
dependency in its thread pool, a hand-off per dependency per request that costs more than the lookup."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from assistant.service import Assistant
from assistant.settings import Settings
from web.store import Store


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_assistant(request: Request) -> Assistant:
    return cast(Assistant, request.app.state.assistant)


async def get_store(request: Request) -> Store:
    return cast(Store, request.app.state.store)


async def get_owner(request: Request) -> str:
    # Set for every request by middleware.OwnerCookie (a new token when the browser has none).
    return cast(str, request.state.owner)


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
StoreDep = Annotated[Store, Depends(get_store)]
OwnerDep = Annotated[str, Depends(get_owner)]
