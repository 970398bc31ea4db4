"""``evals``: run the gold sets against the assistant and the baselines, print the tables, enforce the
thresholds. Exit codes: 0 all thresholds met, 1 a threshold failed (or the system could not be run),
2 bad input (a gold or thresholds file missing or malformed)."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn

import click

from evals import gold, tables
from evals.errors import EvalsError, FeedbackError, GoldError, ThresholdsError
from evals.thresholds import DEFAULT_THRESHOLDS, Outcome, evaluate, failed, load_thresholds, targets_not_met

SPLITS = ("test", "dev", "all")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"evals: {message}", err=True)
    sys.exit(code)


def _settings():  # type: ignore[no-untyped-def]
    from assistant.settings import ConfigError, get_settings

    try:
        return get_settings()
    except ConfigError as exc:
        _fail(str(exc), 2)


class _Commands(click.Group):
    """Every command's OSError (a full disk, a read-only folder, a permission) is one line and exit code 1,
    not a traceback; a closed stdout (EPIPE) is left to click, which exits quietly."""

    def invoke(self, ctx: click.Context) -> Any:
        from assistant.cli import os_error_line

        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            _fail(os_error_line(exc), 1)


@click.group(cls=_Commands, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--gold", "gold_path", type=click.Path(path_type=Path, dir_okay=False), default=gold.DEFAULT_QA,
              envvar="EVALS_GOLD", show_default=True, help="Gold questions (JSON lines).")
@click.option("--aids-gold", "aids_path", type=click.Path(path_type=Path, dir_okay=False), default=gold.DEFAULT_AIDS,
              envvar="EVALS_AIDS_GOLD", show_default=True, help="Gold aid profiles (JSON lines).")
@click.option("--split", type=click.Choice(SPLITS), default="all", show_default=True,
              help="Which questions to run; thresholds apply to the split named in the thresholds file.")
@click.option("--k", "k", type=click.IntRange(1, 50), default=5, show_default=True, help="Cut-off for hit@k.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@click.option("--report", "report_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write a self-contained HTML report to this file.")
@click.option("--junit", "junit_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the threshold checks as JUnit XML to this file (one testcase per check).")
@click.option("--no-baselines", is_flag=True, help="Skip the LangChain, dense-only and BM25-only baselines.")
@click.option("--thresholds", "thresholds_path", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_THRESHOLDS, envvar="EVALS_THRESHOLDS", show_default=True, help="Thresholds file.")
@click.option("--without-translations", is_flag=True,
              help="Ingest the corpus without corpus/translations/ into a temporary folder and evaluate that index "
                   "(what documents nobody translated get).")
@click.option("--typos", is_flag=True,
              help="Ask every question with one typing error in its longest word (evals/typos.py): how the system "
                   "holds up when people type fast. Same questions every run.")
@click.option("--answerer", type=click.Choice(["extractive", "llm"]), default="extractive", show_default=True,
              help="llm: answer the gold questions through the configured LLM endpoint (LLM_BASE_URL, LLM_MODEL) "
                   "and the extractive answerer, and show both side by side with the LLM checks' counts and the "
                   "time per answer (no baselines, aids or thresholds).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="With --answerer llm: this many questions, spread evenly over the split.")
@click.pass_context
def cli(ctx: click.Context, gold_path: Path, aids_path: Path, split: str, k: int, as_json: bool,
        report_path: Path | None, junit_path: Path | None, no_baselines: bool, thresholds_path: Path,
        without_translations: bool, typos: bool, answerer: str, limit: int | None) -> None:
    """Measure retrieval, answers, refusals and the aid finder on the gold sets; exit 1 below thresholds."""
    if ctx.invoked_subcommand is not None:
        return
    if limit is not None and answerer != "llm":
        raise click.UsageError("--limit goes with --answerer llm (thresholds are checked on whole splits)")
    settings = _settings()
    if answerer == "llm" and not settings.llm_enabled:
        _fail("--answerer llm needs an endpoint: set LLM_BASE_URL and LLM_MODEL (e.g. `make llm-server`)", 2)
    try:
        thresholds = load_thresholds(thresholds_path, k)
        qa_items = gold.select_split(gold.load_qa(gold_path), split)
        aid_items = gold.select_split(gold.load_aids(aids_path), split)
        corpus = gold.CorpusText.load(settings.corpus_dir)
        gold.check_evidence(qa_items, corpus, gold_path)
    except (GoldError, ThresholdsError) as exc:
        _fail(str(exc), 2)
    if not qa_items and not aid_items:
        _fail(f"no question in the {split} split", 2)
    if typos:
        from evals.typos import with_typos

        qa_items, slipped = with_typos(qa_items)
        click.echo(f"evals: {slipped} of {len(qa_items)} questions asked with a typing error", err=True)
    if without_translations:
        settings = _without_translations(ctx, settings)
    if answerer == "llm":
        _compare_answerers(settings, qa_items, corpus, split, limit, as_json)
        return

    try:
        run = _run(settings, qa_items, aid_items, corpus, split, k, no_baselines, [str(gold_path), str(aids_path)])
    except EvalsError as exc:
        _fail(str(exc), 1)
    except Exception as exc:  # the system under test could not start (no index, bad model): one line
        if exc.__class__.__module__.split(".")[0] in ("assistant", "vectorstore"):
            _fail(f"{exc}", 1)
        raise

    summaries = {"qa": run.qa_summary(), "aids": run.aid_summary()}
    outcomes = evaluate(thresholds, summaries)
    if as_json:
        click.echo(json.dumps(_as_json(run, summaries, outcomes, thresholds.split), ensure_ascii=False, indent=2))
    else:
        _print(run, summaries, outcomes, thresholds.split)
    if report_path is not None:
        from evals.report import write_report

        write_report(report_path, run, outcomes, thresholds.split)
        click.echo(f"report written to {report_path}", err=True)
    if junit_path is not None:
        from evals.junit import write_junit

        write_junit(junit_path, outcomes, thresholds.split)
        click.echo(f"JUnit XML written to {junit_path}", err=True)
    bad = failed(outcomes)
    if bad:
        click.echo(f"evals: {len(bad)} threshold(s) failed on the {thresholds.split} split:", err=True)
        for o in bad:
            click.echo(f"  FAIL {o.describe()}", err=True)
        sys.exit(1)


def _without_translations(ctx: click.Context, settings: Any) -> Any:
    """Settings reading a copy of the corpus without ``translations/``, ingested into a temporary data folder
    (embedded Chroma) that is removed when the command ends. Vectors the live build already holds for the
    same encoder are reused."""
    import shutil
    import tempfile
    import time

    from assistant.sentences import derived
    from ingest.errors import IngestError
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import get_embeddings
    from vectorstore.errors import StoreError
    from vectorstore.index import current_build

    root = Path(tempfile.mkdtemp(prefix="evals-untranslated-"))
    ctx.call_on_close(lambda: shutil.rmtree(root, ignore_errors=True))
    source = Path(settings.corpus_dir)
    shutil.copytree(source, root / "corpus", ignore=lambda folder, _names: ["translations"] if Path(folder) == source else [])
    untranslated = settings.model_copy(update={"corpus_dir": root / "corpus", "data_dir": root / "data", "chroma_host": ""})
    click.echo("evals: ingesting the corpus without its translations…", err=True)
    start = time.perf_counter()
    try:
        report = run_ingest(untranslated.corpus_dir, untranslated.data_dir,
                            get_embeddings(settings.embedding_model, settings.embedding_backend), untranslated.chroma(),
                            vector_seed=current_build(Path(settings.data_dir)), derived=[derived()])
    except (IngestError, StoreError) as exc:
        _fail(str(exc), 1)
    click.echo(f"evals: {report.passages} passages ingested without translations/, {report.embedded} texts embedded, "
               f"in {time.perf_counter() - start:.1f} s", err=True)
    return untranslated


def _compare_answerers(settings: Any, qa_items: list[gold.QAItem], corpus: gold.CorpusText, split: str,
                       limit: int | None, as_json: bool) -> None:
    from assistant.service import Assistant
    from evals import answerers

    items = answerers.spread(qa_items, limit)
    if not items:
        _fail(f"no question in the {split} split", 2)
    try:
        assistant = Assistant.from_settings(settings)
    except Exception as exc:  # no index, a bad model: one line
        if exc.__class__.__module__.split(".")[0] in ("assistant", "vectorstore"):
            _fail(f"{exc}", 1)
        raise
    click.echo(f"evals: {len(items)} questions, each answered by the extractive answerer and by "
               f"{settings.llm_model} at {settings.llm_base_url}…", err=True)
    with click.progressbar(length=len(items), label="answering", file=sys.stderr) as bar:
        run = answerers.compare(assistant, items, corpus, split, settings.llm_model, bar.update)
    if as_json:
        click.echo(json.dumps(answerers.as_json(run), ensure_ascii=False, indent=2))
    else:
        _print_tables([answerers.overall_table(run), answerers.groups_table(run), answerers.checks_table(run)])
    if run.checks.get("calls") and run.checks.get("fallback_error") == run.checks.get("calls"):
        _fail(f"the LLM endpoint failed on every question it was given ({settings.llm_base_url})", 1)


def _console() -> Any:
    from rich.console import Console

    # Piped into a file or a CI log, rich would assume 80 columns and cut the tables.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 140)


def _show(console: Any, t: tables.Table) -> None:
    from rich import box
    from rich.table import Table as RichTable

    rt = RichTable(title=t.title, box=box.SIMPLE_HEAVY, caption=t.note or None)
    for i, h in enumerate(t.headers):
        rt.add_column(h, justify="left" if i == 0 else "right")
    for row in t.rows:
        rt.add_row(*row)
    console.print(rt)


def _print_tables(tables_: list[tables.Table]) -> None:
    console = _console()
    for t in tables_:
        _show(console, t)


def _run(settings: Any, qa_items: list[gold.QAItem], aid_items: list[gold.AidItem], corpus: gold.CorpusText,
         split: str, k: int, no_baselines: bool, gold_files: list[str]) -> Any:
    from assistant.service import Assistant
    from evals import runner
    from evals.baselines import AssistantRetriever, LangChainRecipe

    assistant = Assistant.from_settings(settings)
    systems = ["ours"] if no_baselines else ["ours", "langchain", "dense", "bm25"]
    run = runner.EvalRun(k=k, split=split, systems=systems)
    run.info = {"gold": ", ".join(gold_files), "index build": getattr(assistant.index, "build_id", "?"),
                "embedding model": settings.embedding_model}
    passages = [p.text for p in assistant.index.ordered]
    unreachable = runner.unreachable(qa_items, passages)
    if unreachable:
        run.info["evidence in no indexed passage"] = ", ".join(unreachable)
        click.echo(f"evals: warning: {len(unreachable)} question(s) whose evidence no indexed passage holds: "
                   f"{', '.join(unreachable)}", err=True)
    unplaced = runner.unplaced(qa_items, [p.section for p in assistant.index.ordered])
    if unplaced:
        run.info["section under which no indexed passage lies"] = ", ".join(unplaced)
        click.echo(f"evals: warning: {len(unplaced)} question(s) naming a section no indexed passage lies under: "
                   f"{', '.join(unplaced)}", err=True)
    with ExitStack() as stack:
        baselines: list[Any] = []
        if not no_baselines:
            from vectorstore.embeddings import get_embeddings

            click.echo("evals: building the LangChain baseline…", err=True)
            recipe = stack.enter_context(LangChainRecipe(
                settings.corpus_dir, get_embeddings(settings.embedding_model, settings.embedding_backend)))
            run.info["langchain baseline"] = f"{recipe.chunks} chunks of ≤ 1000 characters, overlap 200"
            baselines = [recipe, AssistantRetriever(assistant, "dense", "dense"), AssistantRetriever(assistant, "bm25", "lexical")]
        ours = AssistantRetriever(assistant, "ours", "hybrid")
        with click.progressbar(length=len(qa_items) + len(aid_items), label="evaluating", file=sys.stderr) as bar:
            run.questions = runner.run_questions(qa_items, corpus, assistant, ours, baselines, k, bar.update)
            run.aids = runner.run_aids(aid_items, assistant, bar.update)
    return run


def _as_json(run: Any, summaries: dict[str, Any], outcomes: list[Outcome], split: str) -> dict[str, Any]:
    return {
        "k": run.k,
        "split": run.split,
        "systems": run.systems,
        "info": run.info,
        "qa": summaries["qa"],
        "aids": summaries["aids"],
        "thresholds": {"split": split, "passed": not failed(outcomes), "checks": [o.as_dict() for o in outcomes]},
        "questions": [dataclasses.asdict(q) for q in run.questions],
        "aid_profiles": [{**dataclasses.asdict(a), "recall": a.recall} for a in run.aids],
    }


def _print(run: Any, summaries: dict[str, Any], outcomes: list[Outcome], split: str) -> None:
    from rich.markup import escape

    console = _console()

    def show(t: tables.Table) -> None:
        _show(console, t)

    for s, summary in summaries["qa"].items():
        show(tables.retrieval_table(s, summary, run.k))
        show(tables.answers_table(s, summary))
        show(tables.whole_answers_table(s, summary, "language"))
        show(tables.whole_answers_table(s, summary, "intent"))
        if len(run.systems) > 1:
            show(tables.baselines_table(s, summary, run.systems, run.k))
    for s, summary in summaries["aids"].items():
        show(tables.aids_table(s, summary))
    if outcomes and all(o.status == "skip" for o in outcomes) and len({o.reason for o in outcomes}) == 1:
        console.print(f"Thresholds ({split} split): none checked ({outcomes[0].reason}).")
        return
    console.print(f"Thresholds ({split} split):")
    for o in outcomes:
        style = {"pass": "green", "fail": "bold red", "skip": "dim"}[o.status]
        console.print(f"  [{style}]{o.status.upper():4}[/{style}] {escape(o.describe())}", markup=True)
    short = targets_not_met(outcomes)
    if short:
        console.print(f"{len(short)} target(s) not met yet (reported, not enforced): "
                      + ", ".join(f"{o.check.metric} [{o.group}]" for o in short))


@cli.command("calibrate")
@click.option("--max-wrong", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="Largest share of answerable dev questions a threshold may decline.")
@click.option("--write", "write_file", is_flag=True,
              help="Write the model to assistant/abstention.json (with --aids: assistant/aidmatch.json).")
@click.option("--aids", "aids", is_flag=True, help="Fit the aid finder's model on the dev profiles instead.")
@click.pass_context
def calibrate_command(ctx: click.Context, max_wrong: float, write_file: bool, aids: bool) -> None:
    """Fit the refusal model on the dev split (leave-one-out threshold); with --aids, the aid finder's."""
    from assistant.service import ABSTENTION_FILE
    from evals import calibrate

    parent = ctx.parent.params if ctx.parent else {}
    if aids:
        _calibrate_aids(parent.get("aids_path", gold.DEFAULT_AIDS), write_file)
        return
    items, assistant = _calibration_inputs(gold.load_qa, parent.get("gold_path", gold.DEFAULT_QA))
    points = calibrate.measure(assistant, [item for item in items if not item.validation])
    try:
        model, held_out, blind_held_out = calibrate.calibrate(points, max_wrong)
    except ValueError as exc:
        _fail(str(exc), 1)
    summary: dict[str, dict[str, list[int]]] = {}

    def report(name: str, group: list[calibrate.Point], declined: list[bool], how: str) -> None:
        off, on = calibrate.rates(group, declined)
        summary[name] = {"offtopic_declined": list(off), "answerable_declined": list(on)}
        click.echo(f"{name}: declines {off[0]}/{off[1]} off-topic and {on[0]}/{on[1]} answerable dev questions {how}")

    declined = [bool(p < model.threshold) for p in held_out]
    for lang in ("fr", "en", "ar", "all"):
        mine = [i for i, p in enumerate(points) if lang in (p.lang, "all")]
        if mine:
            report(lang, [points[i] for i in mine], [declined[i] for i in mine], "(leave-one-out)")
    assert model.blind is not None
    blind = model.blind
    report("blind", points, [bool(p < blind.threshold) for p in blind_held_out],
           "(leave-one-out, as if no passage could be read in the question's language)")
    checked = calibrate.measure(assistant, [item for item in items if item.validation])
    if checked:
        report("validation", checked, [not model.answers(p.features) for p in checked], "held out of the fit")
    weights = ", ".join(f"{name} {c:+.3f}" for name, c in zip(calibrate.FEATURES, model.coef))
    click.echo(f"model: intercept {model.intercept:+.3f}, {weights}; answer when P >= {model.threshold}")
    weights = ", ".join(f"{name} {c:+.3f}" for name, c in zip(calibrate.FEATURES, blind.coef))
    click.echo(f"blind model: intercept {blind.intercept:+.3f}, {weights}; answer when P >= {blind.threshold}")
    if write_file:
        calibrate.write(model, ABSTENTION_FILE, len(points), summary)
        click.echo(f"written to {ABSTENTION_FILE}")


def _calibration_inputs(load: Any, path: Path) -> tuple[list[Any], Any]:
    """(the dev items of the gold file at ``path``, the assistant on the built index), or a one-line exit."""
    from assistant.service import Assistant
    from vectorstore.errors import StoreError

    try:
        items = gold.select_split(load(path), "dev")
    except GoldError as exc:
        _fail(str(exc), 2)
    try:
        return items, Assistant.from_settings(_settings())
    except StoreError as exc:
        _fail(str(exc), 1)


def _calibrate_aids(path: Path, write_file: bool) -> None:
    import numpy as np

    from assistant.aidmatch import FEATURES, MODEL_FILE
    from evals import calibrate

    items, assistant = _calibration_inputs(gold.load_aids, path)
    try:
        model, groups = calibrate.calibrate_aids(calibrate.measure_aids(assistant, items))
    except ValueError as exc:
        _fail(str(exc), 1)
    scores = [calibrate.profile_score(p, y, model.threshold) for p, y in groups.values()]
    held_out = float(np.mean(scores))
    click.echo(f"{len(groups)} dev profiles: mean F{calibrate.AID_BETA:g} (an empty list for a profile no card fits) "
               f"{held_out:.3f} (leave one profile out)")
    weights = ", ".join(f"{name} {c:+.3f}" for name, c in zip(FEATURES, model.coef))
    click.echo(f"model: intercept {model.intercept:+.3f}, {weights}; a card fits when P >= {model.threshold}")
    if write_file:
        calibrate.write_aids(model, MODEL_FILE, len(groups), held_out)
        click.echo(f"written to {MODEL_FILE}")


@cli.command("feedback-export")
@click.option("--db", "db_path", default=None,
              help="The web app's store: a SQLite file or a postgresql:// URL (default: DATABASE_URL, else DATA_DIR/app.db).")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the candidate lines here (default: stdout).")
@click.pass_context
def feedback_export(ctx: click.Context, db_path: str | None, out_path: Path | None) -> None:
    """Turn down-voted answers into candidate gold lines (``needs_review: true``, evidence to fill in)."""
    from evals.feedback import candidates, read_feedback

    settings = _settings()
    db = (db_path if "://" in db_path else Path(db_path)) if db_path else default_feedback_db(settings)
    known: set[str] = set()
    gold_path = ctx.parent.params.get("gold_path") if ctx.parent else None
    if gold_path is not None and Path(gold_path).is_file():
        try:
            known = {item.question for item in gold.load_qa(Path(gold_path))}
        except GoldError as exc:
            _fail(str(exc), 2)
    try:
        lines = candidates(read_feedback(db), known)
    except FeedbackError as exc:
        _fail(str(exc), 1)
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    if out_path is None:
        click.echo(text, nl=False)
    else:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text, encoding="utf-8")
    click.echo(f"evals: {len(lines)} candidate line(s) from down-voted answers; fill in evidence and answer_facts, "
               f"remove needs_review, then add them to the gold", err=True)


def default_feedback_db(settings: Any) -> Path | str:
    """Where the web app keeps its store (``web.store.Store.for_settings``)."""
    return settings.database_url or Path(settings.data_dir) / "app.db"


def main() -> None:
    # One query at a time: torch's intra-op threads only contend (on a busy 2-core machine a query
    # embedding took 0.9 s with them, 0.03 s without; the measures are the same).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cli(prog_name="evals")


if __name__ == "__main__":
    main()
