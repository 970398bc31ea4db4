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
