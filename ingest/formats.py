"""One corpus file as text: ``.txt``, ``.md``, ``.html``/``.htm`` (trafilatura) and ``.pdf`` (pypdf).

Every refusal is a ``CorpusError`` whose message is the reason printed in the ingest report: empty,
too large, binary under a text name, not UTF-8, not really a PDF, encrypted, no text to extract.
Nothing here touches the network: trafilatura only ever receives the file's own text.

The text returned is what passage offsets (``start``/``end``) point into: the file itself for ``.txt``
and ``.md`` (markdown heading marks are blanked, not removed, so offsets still match the file), the
extracted text for HTML and PDF.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import CorpusError
from vectorstore.text import clean_text

SUFFIXES = {".txt": "text", ".md": "markdown", ".html": "html", ".htm": "html", ".pdf": "pdf"}

MAX_FILE_BYTES = 20_000_000

# Signatures of common binary formats, to say what a mis-named file really is.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive or Office document"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "executable"),
    (b"\xff\xfe", "UTF-16 text; save it as UTF-8"),
    (b"\xfe\xff", "UTF-16 text; save it as UTF-8"),
)
_ATX_HEADING = re.compile(r"^(?P<marks>#{1,6})(?=\s)", re.MULTILINE)
_TERMINAL = re.compile(r"[.!?:;»)\]؟]$")


@dataclass(frozen=True)
class SourceText:
    text: str
    title: str  # first heading, metadata title or first line; "" when there is none
    author: str = ""


def read_source(path: Path, max_bytes: int = MAX_FILE_BYTES) -> SourceText:
    """The text of one supported file, or a ``CorpusError`` saying why it is skipped."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise CorpusError(f"unsupported file type {path.suffix or '(none)'!r} (supported: {', '.join(SUFFIXES)})")
    raw = _read_bytes(path, max_bytes)
    if kind == "pdf":
        return _pdf(raw)
    text = decode_text(raw)
    if kind == "html":
        return _html(text)
    if kind == "markdown":
        return _markdown(text)
    return SourceText(text, _first_line(text))


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    if not path.is_file():
        raise CorpusError("file not found")
    size = path.stat().st_size
    if size == 0:
        raise CorpusError("empty file")
    if size > max_bytes:
        raise CorpusError(f"file too large ({size} bytes > limit of {max_bytes})")
    with open(path, "rb") as fh:
        raw = fh.read(max_bytes + 1)  # the file may have grown since stat()
    if len(raw) > max_bytes:
        raise CorpusError(f"file too large (more than the limit of {max_bytes} bytes)")
    return raw


def _binary_kind(raw: bytes) -> str | None:
    for magic, name in _MAGIC:
        if raw.startswith(magic):
            return name
    return "NUL bytes" if b"\x00" in raw[:8192] else None


def decode_text(raw: bytes) -> str:
    """UTF-8 text (a byte-order mark is allowed), refusing binary content and blank files."""
    kind = _binary_kind(raw)
    if kind is not None:
        raise CorpusError(f"binary file ({kind}) under a text file name")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not UTF-8 (invalid byte at offset {exc.start})") from exc
    if not text.strip():
        raise CorpusError("empty file (whitespace only)")
    return text


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = clean_text(line.replace("**", "").strip("#*_-•| \t"))
        if sum(ch.isalpha() for ch in line) >= 3:
            return line[:200]
    return ""


def _markdown(text: str) -> SourceText:
    # Blank the heading marks (same length) so offsets into the file stay right; the page parser then
    # sees a short unpunctuated line followed by text: a heading.
    plain = _ATX_HEADING.sub(lambda m: " " * len(m.group("marks")), text)
    heading = _ATX_HEADING.search(text)
    title = _first_line(text[heading.start():]) if heading else _first_line(text)
    return SourceText(plain, title)


def _html(text: str) -> SourceText:
    import trafilatura

    extracted = trafilatura.extract(text, output_format="markdown", include_formatting=True, include_comments=False)
    if not extracted or not extracted.strip():
        # Short pages fall under trafilatura's precision threshold; recall mode keeps their text.
        extracted = trafilatura.extract(text, output_format="markdown", include_formatting=True,
                                        include_comments=False, favor_recall=True)
    if not extracted or not extracted.strip():
        raise CorpusError("no main text found in the HTML page")
    source = _markdown(extracted)
    meta = trafilatura.extract_metadata(text)
    title = clean_text(meta.title or "") if meta is not None else ""
    author = clean_text(meta.author or "") if meta is not None else ""
    return SourceText(source.text, title[:200] or source.title, author)


def _pdf(raw: bytes) -> SourceText:
    if b"%PDF-" not in raw[:1024]:
        kind = _binary_kind(raw)
        raise CorpusError(f"not a PDF ({kind or 'no %PDF- header'})")
    from pypdf import PdfReader

    # pypdf raises many exception types on damaged files; each one means the same thing here.
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusError("encrypted PDF (a password is needed)")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        title = clean_text(str(meta.title or "")) if meta is not None else ""
        author = clean_text(str(meta.author or "")) if meta is not None else ""
    except CorpusError:
        raise
    except Exception as exc:
        raise CorpusError(f"unreadable PDF ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
    text = "\n\n".join(p for p in (reflow(page) for page in pages) if p)
    if not text.strip():
        raise CorpusError("PDF has no extractable text (a scanned document needs OCR first)")
    return SourceText(text, title[:200] or _first_line(text), author)


def reflow(page: str) -> str:
    """Rejoin the lines of a PDF page into paragraphs, one per line, separated by blank lines.

    A line continues the previous one when that one filled the width of the page, or did not end a
    sentence and the next starts in lower case; a word hyphenated across lines is rejoined."""
    lines = [clean_text(line) for line in page.splitlines()]
    widths = sorted(len(line) for line in lines if line)
    if not widths:
        return ""
    full = widths[math.ceil(0.9 * (len(widths) - 1))] * 0.85  # a line this long filled the page's width
    paragraphs: list[str] = []
    current, last = "", ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = last = ""
            continue
        open_end = bool(current) and not _TERMINAL.search(current)
        continues = open_end and (len(last) >= full or line[0].islower() or line[0].isdigit())
        if continues and current.endswith("-") and line[0].islower():
            current = current[:-1] + line
        elif continues:
            current = f"{current} {line}"
        else:
            if current:
                paragraphs.append(current)
            current = line
        last = line
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)
