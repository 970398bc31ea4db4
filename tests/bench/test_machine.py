import os

from bench.machine import cpu_seconds, git_commit, peak_rss_mb, rss_mb

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_git_commit_follows_the_ref_file(tmp_path):
    (tmp_path / ".git" / "refs" / "heads").mkdir(parents=True)
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / ".git" / "refs" / "heads" / "main").write_text(SHA + "\n")
    assert git_commit(tmp_path) == SHA


def test_git_commit_reads_packed_refs_and_detached_heads(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / ".git" / "packed-refs").write_text(f"# pack-refs with: peeled\n{SHA} refs/heads/main\n")
    assert git_commit(tmp_path) == SHA
    (tmp_path / ".git" / "HEAD").write_text(SHA)
    assert git_commit(tmp_path) == SHA


def test_git_commit_is_none_outside_a_checkout(tmp_path):
    assert git_commit(tmp_path) is None


def test_process_figures_of_this_process():
    assert rss_mb() > 1 and peak_rss_mb() >= rss_mb()
    assert cpu_seconds(os.getpid()) >= 0
    assert cpu_seconds(2**22 + 12345) is None
