"""Attach translations to passages.

Two sources: the project's own unofficial translations in ``corpus/translations/<lang>/*.jsonl`` (one
line per source passage, keyed by the hash of its text, aligned sentence for sentence), and published
translations: a document whose manifest entry says ``translation_of`` is paired with its source
paragraph by paragraph, both ways.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.corpus import DocumentInfo
from ingest.errors import CorpusError
from vectorstore.models import Passage, Translation
from vectorstore.text import LANGUAGES, sentences


def load_translation_files(folder: Path) -> dict[tuple[str, str], Translation]:
    """(source_hash, lang) -> translation, from every ``*.jsonl`` under ``folder``."""
    out: dict[tuple[str, str], Translation] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                sents = [s.strip() for s in row["sentences"] if s.strip()]
                lang = row["lang"]
                key = (row["source_hash"], lang)
            except (ValueError, KeyError, TypeError) as exc:
                raise CorpusError(f"{path}:{lineno}: invalid translation line ({exc})") from exc
            if lang not in LANGUAGES:
                raise CorpusError(f"{path}:{lineno}: unknown language {lang!r}")
            out[key] = Translation(lang=lang, text=" ".join(sents), sentences=sents, origin="project")
    return out


def attach_translations(passages: list[Passage], documents: list[DocumentInfo], folder: Path) -> list[str]:
    """Fill ``passage.translations``; return a report line per passage missing a language."""
    table = load_translation_files(folder)
    for p in passages:
        for lang in LANGUAGES:
            if lang != p.language and (p.source_hash, lang) in table:
                tr = table[(p.source_hash, lang)]
                # Sentence alignment only holds when the counts agree; otherwise keep the text alone.
                if len(tr.sentences) != len(sentences(p.text)):
                    tr = Translation(lang=lang, text=tr.text, sentences=[], origin=tr.origin)
                p.translations[lang] = tr
    report: list[str] = []
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.document, []).append(p)
    for doc in documents:
        if not doc.translation_of or doc.translation_of not in by_doc:
            continue
        src, dst = by_doc[doc.translation_of], by_doc.get(doc.id, [])
        if len(src) != len(dst):
            report.append(f"{doc.id}: {len(dst)} paragraphs vs {len(src)} in {doc.translation_of}; not linked")
            continue
        for a, b in zip(src, dst):
            a.translations[b.language] = Translation(lang=b.language, text=b.text, origin=b.document)
            b.translations[a.language] = Translation(lang=a.language, text=a.text, origin=a.document)
            # The published translation inherits the project's translations of its source (e.g. French).
            for lang, tr in a.translations.items():
                if lang not in b.translations and lang != b.language:
                    b.translations[lang] = Translation(lang=lang, text=tr.text, sentences=[], origin=tr.origin)
    for p in passages:
        missing = [lang for lang in LANGUAGES if lang != p.language and lang not in p.translations]
        if missing:
            report.append(f"{p.document}#{p.order} has no {'/'.join(missing)} translation: {p.text[:50]!r}")
    return report
