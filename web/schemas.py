"""Request bodies of the web API and the answer shape it adds to the assistant's.

Fixed bounds (types, roles, id formats) are checked here by Pydantic; the bounds that come from
settings (message length, history size) by :func:`check_limits`, because a model cannot see settings.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from assistant.schemas import ChatResponse, Role
from assistant.settings import Settings
from vectorstore.text import clean_text
from web.store import ID_PATTERN

Reason = Literal["wrong_source", "missing_source", "wrong_language", "should_have_answered", "should_not_have_answered"]
REASONS: tuple[str, ...] = Reason.__args__  # type: ignore[attr-defined]


def clean_message(text: str) -> str:
    """Drop NUL, control, bidi-override and zero-width characters line by line, keeping line breaks."""
    lines = [clean_text(line) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unicode(text: str) -> str:
    # JSON can escape a lone surrogate (\ud800), which no UTF-8 text holds: the tokenizer and SQLite
    # would fail on it later with a 500. (Constrained strings such as ``message`` are refused by Pydantic.)
    if _SURROGATE.search(text):
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)")
    return text


def _not_blank(text: str) -> str:
    text = clean_message(text)
    if not text:
        raise ValueError("must not be blank")
    return text


CleanText = Annotated[str, AfterValidator(_unicode), AfterValidator(clean_message)]
MessageText = Annotated[str, StringConstraints(min_length=1), AfterValidator(_not_blank)]
ObjectId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class HistoryTurn(BaseModel):
    role: Role
    content: CleanText


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: MessageText
    history: list[HistoryTurn] | None = Field(
        default=None, description="Earlier turns; omitted with a conversation_id, the stored turns are used."
    )
    conversation_id: ObjectId | None = Field(default=None, description="32 hex characters, from an earlier answer.")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: ObjectId
    vote: Literal["up", "down"]
    reasons: list[Reason] = Field(default_factory=list, max_length=len(REASONS))
    comment: Annotated[CleanText, StringConstraints(max_length=2000)] = ""


class ConversationPatch(BaseModel):
    """A conversation's new title (the only thing its owner may change)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[CleanText, StringConstraints(min_length=1, max_length=200), AfterValidator(_not_blank)]


class Problem(BaseModel):
    """Every error of the API: a message, or for a malformed request the list of what is wrong where."""

    detail: str | list[dict[str, Any]]


class WebChatResponse(ChatResponse):
    """The assistant's answer, with where the web app stored it."""

    conversation_id: str
    message_id: str = Field(description="The assistant message's id, for feedback.")


def check_limits(body: ChatRequest, settings: Settings) -> str | None:
    """The reason the request exceeds the configured bounds, or None."""
    if len(body.message) > settings.max_message_chars:
        return f"message is too long ({len(body.message)} characters, at most {settings.max_message_chars})"
    history = body.history or []
    if len(history) > settings.max_history_turns:
        return f"history has too many turns ({len(history)}, at most {settings.max_history_turns})"
    for i, turn in enumerate(history):
        if len(turn.content) > settings.max_turn_chars:
            return f"history turn {i} is too long ({len(turn.content)} characters, at most {settings.max_turn_chars})"
    chars = sum(len(t.content) for t in history)
    if chars > settings.max_history_chars:
        return f"history is too long ({chars} characters, at most {settings.max_history_chars})"
    return None
