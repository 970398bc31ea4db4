"""Reading .txt, .md, .html and .pdf files, and the reasons a file is refused (files made here, no downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import CorpusError
from ingest.formats import read_source, reflow
from tests.ingest.corpora import pdf_bytes

PARAGRAPH = ("Le festival Novembre Numérique est organisé chaque année par les Instituts français dans le monde "
             "entier pour présenter la création numérique au public.")
HTML = f"""<!doctype html><html><head><title>Novembre Numérique | Institut</title>
<meta name="author" content="Institut français"></head><body>
<nav><a href="/">Accueil</a> <a href="/agenda">Agenda</a> <a href="/contact">Contact</a></nav>
<main><article><h1>Le festival Novembre Numérique</h1><p>{PARAGRAPH}</p>
<h2>Programme</h2><p>Des <b>ateliers</b>, des expositions et des rencontres sont proposés au public dans plus de
soixante pays, avec des artistes, des chercheurs et des entreprises du jeu vidéo.</p></article></main>
<footer>© 2024 Mentions légales · Plan du site</footer></body></html>"""


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_text_keeps_the_file_as_is_and_takes_its_first_line_as_title(tmp_path):
    src = read_source(write(tmp_path, "a.txt", f"\n  Rapport d'activité\n\n{PARAGRAPH}\n"))
    assert src.title == "Rapport d'activité" and PARAGRAPH in src.text


def test_markdown_headings_become_plain_lines_at_the_same_offsets(tmp_path):
    raw = f"Intro line that is not a title\n\n# Le festival\n\n{PARAGRAPH}\n\n## Programme\n\nDes ateliers.\n"
    src = read_source(write(tmp_path, "a.md", raw))
    assert src.title == "Le festival"
    assert len(src.text) == len(raw) and "#" not in src.text
    assert src.text.index("Le festival") == raw.index("Le festival")


def test_html_main_text_is_extracted_without_navigation_or_footer(tmp_path):
    src = read_source(write(tmp_path, "page.html", HTML))
    assert PARAGRAPH in src.text and "Programme" in src.text
    assert "Accueil" not in src.text and "Mentions légales" not in src.text
    assert src.title == "Le festival Novembre Numérique" and src.author == "Institut français"


def test_pdf_text_is_extracted_and_its_lines_rejoined_into_paragraphs(tmp_path):
    data = pdf_bytes([["Rapport annuel", "Le festival Novembre Numérique est organisé chaque année par les",
                       "Instituts français dans le monde entier pour présenter la création numé-",
                       "rique au public."], ["Deuxième page, un autre paragraphe."]], title="Rapport 2024")
    src = read_source(write(tmp_path, "r.pdf", data))
    assert src.title == "Rapport 2024"
    assert src.text.split("\n\n") == [
        "Rapport annuel",
        "Le festival Novembre Numérique est organisé chaque année par les Instituts français dans le monde "
        "entier pour présenter la création numérique au public.",
        "Deuxième page, un autre paragraphe.",
    ]


def test_reflow_keeps_headings_and_sentence_ends_apart():
    assert reflow("Titre\nUne phrase complète.\nUne autre phrase.\n\nSuite") == (
        "Titre\n\nUne phrase complète.\n\nUne autre phrase.\n\nSuite")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


@pytest.mark.parametrize("name, data, reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b" \n\t\n", "empty file (whitespace only)"),
    ("image.txt", PNG, "binary file (PNG image) under a text file name"),
    ("photo.md", b"\xff\xd8\xff\xe0\x00\x10JFIF", "binary file (JPEG image)"),
    ("nul.txt", b"text\x00with a NUL", "binary file (NUL bytes)"),
    ("utf16.txt", "texte".encode("utf-16"), "UTF-16 text; save it as UTF-8"),
    ("latin1.txt", "café crème".encode("latin-1"), "not UTF-8 (invalid byte at offset 3)"),
    ("latin1.html", "<p>café</p>".encode("latin-1"), "not UTF-8"),
    ("empty.html", b"<html><head><title>Vide</title></head><body><script>var a = 1;</script></body></html>", "no main text found in the HTML page"),
    ("fake.pdf", b"Just text pretending to be a PDF", "not a PDF (no %PDF- header)"),
    ("image.pdf", PNG, "not a PDF (PNG image)"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "unreadable PDF"),
    ("scan.pdf", pdf_bytes([[]]), "PDF has no extractable text (a scanned document needs OCR first)"),
    ("notes.docx", b"PK\x03\x04", "unsupported file type '.docx'"),
])
def test_unreadable_files_are_refused_with_a_reason(tmp_path, name, data, reason):
    with pytest.raises(CorpusError) as err:
        read_source(write(tmp_path, name, data))
    assert reason in str(err.value)


def test_files_over_the_limit_are_refused_before_being_read(tmp_path):
    path = write(tmp_path, "big.txt", "a" * 2_000)
    with pytest.raises(CorpusError, match=r"file too large \(2000 bytes > limit of 1000\)"):
        read_source(path, max_bytes=1_000)
    assert read_source(path, max_bytes=2_000).text == "a" * 2_000


def test_a_byte_order_mark_is_accepted(tmp_path):
    assert read_source(write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + PARAGRAPH.encode())).text == PARAGRAPH
