import shutil
from pathlib import Path

from ingest.corpus import parse_corpus
from tests.conftest import CORPUS


def _copy_corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


def test_the_five_documents_are_parsed():
    parsed = parse_corpus(CORPUS)
    assert {d.id for d in parsed.documents} == {
        "roadmap", "moc-international-en", "moc-international-ar", "meae-cci-mission", "ec-cultural-cooperation"}
    assert len(parsed.passages) > 250


def test_unreadable_documents_are_skipped_with_a_reason_and_the_rest_ingested(tmp_path):
    corpus = _copy_corpus(tmp_path)
    (corpus / "meae-cci-priority-mission-en.txt").write_bytes(b"")
    (corpus / "ec-international-cultural-cooperation-en.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (corpus / "moc-international-action-en.txt").write_bytes("caf\xe9".encode("latin-1") * 50)
    parsed = parse_corpus(corpus)
    reasons = "\n".join(parsed.skipped)
    assert "meae-cci-mission" in reasons and "empty file" in reasons
    assert "ec-cultural-cooperation" in reasons and "binary" in reasons
    assert "moc-international-en" in reasons and "not UTF-8" in reasons
    assert {d.id for d in parsed.documents} == {"roadmap", "moc-international-ar"}


def test_a_manifest_entry_cannot_escape_the_corpus_folder(tmp_path):
    corpus = _copy_corpus(tmp_path)
    manifest = corpus / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("file: meae-cci-priority-mission-en.txt", "file: ../../etc/passwd"))
    parsed = parse_corpus(corpus)
    assert any("escapes the corpus folder" in s for s in parsed.skipped)


def test_absolute_paths_and_symbolic_links_in_the_manifest_cannot_escape(tmp_path):
    corpus = _copy_corpus(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("A secret paragraph that must never be indexed by the assistant.\n")
    (corpus / "link.txt").symlink_to(secret)
    manifest = corpus / "manifest.yaml"
    text = manifest.read_text()
    text = text.replace("file: meae-cci-priority-mission-en.txt", f"file: {secret}")
    text = text.replace("file: ec-international-cultural-cooperation-en.txt", "file: link.txt")
    manifest.write_text(text)
    parsed = parse_corpus(corpus)
    escapes = [s for s in parsed.skipped if "escapes the corpus folder" in s]
    assert len(escapes) == 2
    assert not any("secret" in p.text for p in parsed.passages)


# --- a folder without manifest.yaml ----------------------------------------------------------------------

EN = "The festival presents digital creation to the public in more than sixty countries every November."
FR = "Le festival présente la création numérique au public dans plus de soixante pays chaque année."
AR = "يقدم المهرجان الإبداع الرقمي للجمهور في أكثر من ستين بلدا كل عام في شهر نوفمبر."


def _mixed_folder(tmp_path: Path) -> Path:
    from tests.ingest.corpora import pdf_bytes
    from tests.ingest.test_formats import HTML

    folder = tmp_path / "docs"
    (folder / "reports" / "2024").mkdir(parents=True)
    (folder / "notes.txt").write_text(f"Festival notes\n\n{EN}\n")
    (folder / "notes.md").write_text(f"# Notes du festival\n\n{FR}\n")
    (folder / "page.htm").write_text(HTML)
    (folder / "arabe.txt").write_text(f"المهرجان الرقمي\n\n{AR}\n")
    (folder / "reports" / "2024" / "Annual Report.pdf").write_bytes(
        pdf_bytes([["Annual report", EN]], title="Annual report 2024"))
    # refused, each with its reason
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "latin1.md").write_bytes("café crème".encode("latin-1"))
    (folder / "big.txt").write_text(EN * 100)
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04")
    # never read: hidden, and outside the folder through symbolic links
    (folder / ".draft.txt").write_text(EN)
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD.txt").write_text(EN)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("A secret paragraph that must never be indexed by the assistant.\n")
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)
    return folder


def test_a_folder_without_manifest_is_scanned_recursively_with_ids_titles_and_languages(tmp_path):
    parsed = parse_corpus(_mixed_folder(tmp_path), max_file_bytes=5_000)
    docs = {d.id: d for d in parsed.documents}
    assert parsed.mode == "folder"
    # ids come from paths; of notes.md and notes.txt (in path order), the second keeps its extension
    assert set(docs) == {"notes", "notes-txt", "page", "arabe", "reports-2024-annual-report"}
    assert docs["notes"].title == "Notes du festival" and docs["notes"].language == "fr"
    assert docs["notes-txt"].title == "Festival notes" and docs["notes-txt"].language == "en"
    assert docs["page"].title == "Le festival Novembre Numérique" and docs["page"].language == "fr"
    assert docs["arabe"].language == "ar"
    pdf = docs["reports-2024-annual-report"]
    assert (pdf.file, pdf.title, pdf.language) == ("reports/2024/Annual Report.pdf", "Annual report 2024", "en")
    assert any(p.document == pdf.id and p.text == EN for p in parsed.passages)
    assert not any("secret" in p.text for p in parsed.passages)


def test_a_folder_scan_says_why_each_file_was_left_out(tmp_path):
    skipped = "\n".join(parse_corpus(_mixed_folder(tmp_path), max_file_bytes=5_000).skipped)
    for reason in ("empty (empty.txt): empty file",
                   "image (image.txt): binary file (PNG image)",
                   "latin1 (latin1.md): not UTF-8",
                   "big (big.txt): file too large",
                   "secret.txt: symbolic link that escapes the corpus folder",
                   "elsewhere/: symbolic link to a folder that escapes the corpus folder, not followed",
                   "1 file(s) of unsupported types ignored"):
        assert reason in skipped, reason
    assert "draft" not in skipped and "HEAD" not in skipped
