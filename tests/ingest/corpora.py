"""Corpora and index folders for ingest tests, made from the real corpus (no downloads).

``corpus_b`` is the real corpus with one document removed, one updated and one added, so that an ingest
over an index of the real corpus has real work to do (about 140 new texts to embed) while the rest of its
vectors are reused.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

from tests.conftest import CORPUS

REMOVED = "ec-cultural-cooperation"
UPDATED = "meae-cci-mission"
ADDED = "synthese"
OLD_SENTENCE = "given to 37 embassies of strategic territories"
NEW_SENTENCE = "given to 38 embassies and 4 consulates of strategic territories"
SYNTHETIC_PARAGRAPHS = 140


def copy_corpus(dst: Path) -> Path:
    shutil.copytree(CORPUS, dst)
    return dst


def synthetic_paragraphs(n: int = SYNTHETIC_PARAGRAPHS, seed: int = 7) -> list[str]:
    """New paragraphs made of two sentences of the roadmap: the paragraphs are new text (one embedding
    each), their sentences are not."""
    from vectorstore.text import sentences

    text = (CORPUS / "roadmap-convention-2005-numerique-fr.txt").read_text(encoding="utf-8")
    pool = sorted({s for line in text.splitlines() for s in sentences(line.replace("**", "").strip("-• "))
                   if s.endswith(".") and 40 <= len(s) <= 160 and s[0].isupper()})
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        a, b = rng.sample(pool, 2)
        para = f"{a} {b}"
        if para not in seen:
            seen.add(para)
            out.append(para)
    return out


def corpus_b(dst: Path) -> Path:
    """The real corpus, with REMOVED gone, UPDATED edited and ADDED new."""
    copy_corpus(dst)
    manifest = dst / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    # drop the REMOVED entry (from its "- id:" line to the next one or the end)
    text = re.sub(rf"  - id: {REMOVED}\n(?:    .*\n?)*", "", text)
    text += (f"  - id: {ADDED}\n    file: synthese.txt\n    title: \"Synthèse\"\n    language: fr\n"
             f"    publisher: \"Tests\"\n    date: \"2026\"\n    structure: paragraphs\n")
    manifest.write_text(text, encoding="utf-8")
    (dst / "ec-international-cultural-cooperation-en.txt").unlink()
    updated = dst / "meae-cci-priority-mission-en.txt"
    source = updated.read_text(encoding="utf-8")
    assert OLD_SENTENCE in source
    updated.write_text(source.replace(OLD_SENTENCE, NEW_SENTENCE), encoding="utf-8")
    (dst / "synthese.txt").write_text("\n\n".join(synthetic_paragraphs()) + "\n", encoding="utf-8")
    return dst


def pdf_bytes(pages: list[list[str]], title: str = "") -> bytes:
    """A minimal, valid PDF whose pages show the given lines (Helvetica, WinAnsi: Latin text only)."""

    def literal(s: str) -> bytes:
        raw = s.encode("cp1252")
        return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, lines in enumerate(pages):
        content = b"BT /F1 11 Tf 14 TL 72 760 Td " + b" ".join(literal(line) + b" Tj T*" for line in lines) + b" ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    info_id = None
    if title:
        objects.append(b"<< /Title " + literal(title) + b" >>")
        info_id = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R" + (f" /Info {info_id} 0 R" if info_id else "") + " >>"
    out += b"trailer\n" + trailer.encode() + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
