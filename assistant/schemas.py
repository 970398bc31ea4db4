"""What the assistant returns: the shapes of the JSON API, the CLI's --json and the evals' input."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Role = Literal["user", "assistant"]


class Turn(BaseModel):
    role: Role
    content: str


class SearchResult(BaseModel):
    passage_id: str
    document: str
    title: str
    section: str
    kind: str
    language: str
    text: str
    score: float
    matched_via: list[str] = Field(description="'original' or 'translation:<lang>' entries that matched")
    url: str


class SearchResponse(BaseModel):
    query: str
    lang: str
    results: list[SearchResult]


class Citation(BaseModel):
    n: int
    passage_id: str
    document: str
    title: str
    section: str
    date: str = ""
    text: str = Field(description="the passage's original text")
    language: str
    translation: str | None = Field(default=None, description="the unofficial translation the answer quoted")
    translation_lang: str | None = None
    url: str


class AnswerSentence(BaseModel):
    text: str
    citations: list[int]
    support: float


class Suggestion(BaseModel):
    section: str
    passage_id: str
    url: str


class ChatResponse(BaseModel):
    conversation_id: str | None = None
    answer: str
    abstained: bool
    language: str
    standalone_question: str
    answerer: Literal["extractive", "llm", "none"] = "extractive"
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(default_factory=list)
    aids: list[dict] = Field(default_factory=list)
