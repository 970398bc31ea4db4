"""The records that travel between layers: passages and their translations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["heading", "intro", "measure", "good_practice", "paragraph"]


class Translation(BaseModel):
    """An unofficial translation of a passage, aligned sentence for sentence when possible."""

    lang: str
    text: str
    sentences: list[str] = Field(default_factory=list)
    origin: str = "project"  # "project" (written for this corpus) or a document id (a published translation)


class Passage(BaseModel):
    passage_id: str
    document: str
    title: str
    language: str
    section: str
    kind: Kind
    text: str
    start: int
    end: int
    order: int
    measure: str = ""  # the bold measure a good practice illustrates, if any
    listed: bool = False  # the document writes it as a list item ("- In 2007, …"): a run of them is a list
    source_hash: str = ""  # hash of the passage text alone: the key of its translations
    translations: dict[str, Translation] = Field(default_factory=dict)

    def has_text_in(self, lang: str) -> bool:
        """Written in ``lang``, or translated into it."""
        return lang == self.language or lang in self.translations

    def read_in(self, lang: str) -> str:
        """The language to read the passage in for an asker of ``lang``: theirs if it has text in it,
        else its own."""
        return lang if self.has_text_in(lang) else self.language

    def text_in(self, lang: str) -> str:
        if lang == self.language:
            return self.text
        tr = self.translations.get(lang)
        return tr.text if tr else self.text

    def sentences_in(self, lang: str) -> list[str]:
        from vectorstore.text import sentences

        if lang == self.language or lang not in self.translations:
            return sentences(self.text)
        tr = self.translations[lang]
        return tr.sentences or sentences(tr.text)
