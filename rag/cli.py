"""The `rag` command: index documents, ask questions, chat, evaluate, serve the web chat.

This is the one place (with `ui/`) where library errors become messages for people:
a `RagError` prints `Error: ...` and exits 1, bad input exits 2, never a traceback.
Heavy libraries load only inside the commands that need them, so `rag --help` is instant.
"""
from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

import click

from .api import DEFAULT_INDEX_DIR, DEFAULT_SOURCES, RAG
from .cli_llm import llm_options, llm_settings, print_streamed
from .config import ANSWERERS, READERS, RETRIEVAL_MODES, Config
from .errors import IndexNotFoundError, NoDocumentsError, RagError
from .progress import TerminalProgress
from .types import Answer, IndexReport

EXIT_ERROR, EXIT_USAGE = 1, 2


class _Command(click.Command):
    """Turns library errors into one-line messages with exit codes; every `rag ...` command
    a message suggests is given the `--index-dir` the user chose (`with_index_dir`)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NoDocumentsError as exc:
            _fail(ctx, f"{exc}: put .txt or .md articles there, or index a folder of them with "
                       "`rag index FOLDER`", EXIT_ERROR)
        except RagError as exc:
            _fail(ctx, str(exc), EXIT_ERROR)
        except ValueError as exc:
            _fail(ctx, str(exc), EXIT_USAGE)
        except PermissionError as exc:
            where = exc.filename or "a file"
            _fail(ctx, f"permission denied for {where}: fix its permissions, or choose a folder you "
                       f"can write to with `rag {ctx.info_name} --index-dir FOLDER`", EXIT_ERROR)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            _fail(ctx, f"{exc.strerror or exc}{where}", EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


class _Group(click.Group):
    command_class = _Command


_COMMANDS_WITH_INDEX_DIR = ("index", "remove", "sources", "ask", "chat", "docs", "serve")
_SUGGESTED = re.compile(rf"(?<![\w/.-])rag ({'|'.join(_COMMANDS_WITH_INDEX_DIR)})\b(?![^`)]*--index-dir)")


def with_index_dir(message: str, index_dir: Path | None) -> str:
    """`message` with `--index-dir DIR` added to each `rag ...` command it suggests that lacks
    one, so the fix acts on the folder the user named (nothing added for the default)."""
    if index_dir is None or Path(index_dir) == DEFAULT_INDEX_DIR:
        return message
    return _SUGGESTED.sub(lambda m: f"{m.group()} --index-dir {shlex.quote(str(index_dir))}", message)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    click.echo(f"Error: {with_index_dir(message, ctx.params.get('index_dir'))}", err=True)
    ctx.exit(code)


_say = TerminalProgress()  # messages on stderr, and a progress bar when it is a terminal


index_dir_option = click.option("--index-dir", type=click.Path(path_type=Path), default=DEFAULT_INDEX_DIR,
                                show_default=True, help="Folder of the index.")
sources_option = click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path),
                              help="Document file or folder to add to the index's sources (repeatable; "
                                   "a new index with none indexes seeds/).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rag")
def main() -> None:
    """Offline question answering over a folder of news articles, with cited answers."""


@main.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_dir_option
@click.option("--model", default=None, help="sentence-transformers model name or folder.")
@click.option("--chunk-tokens", type=int, default=None, help="Maximum tokens in a chunk.")
@click.option("--chunk-overlap", type=int, default=None, help="Tokens shared by neighbouring chunks.")
@click.option("--rebuild", is_flag=True, help="Re-embed every document (repairs a damaged index).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def index_cmd(paths: tuple[Path, ...], index_dir: Path, model: str | None, chunk_tokens: int | None,
              chunk_overlap: int | None, rebuild: bool, as_json: bool) -> None:
    """Index PATHS (files or folders) along with the index's own sources; a new index with no
    PATHS indexes seeds/. Only new or changed documents are embedded; nothing is dropped."""
    overrides = {k: v for k, v in {"model": model, "chunk_tokens": chunk_tokens,
                                   "chunk_overlap": chunk_overlap}.items() if v is not None}
    config = _saved_config(index_dir).with_overrides(**overrides)
    bot = RAG.build(list(paths), index_dir=index_dir, config=config, progress=_say, rebuild=rebuild)
    report = bot.last_report or IndexReport()
    _warn_skipped(report)
    if as_json:
        click.echo(json.dumps(_report_dict(report, bot)))
        return
    click.echo(f"Indexed {len(bot.documents())} document(s) in {index_dir}: "
               f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
               f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped"
               + (" (rebuilt)" if report.rebuilt or rebuild else "") + ".")
    for name in report.removed:
        _say(f"Removed {name}: its file is gone.")


@main.command("remove")
@click.argument("items", nargs=-1, required=True)
@index_dir_option
def remove_cmd(items: tuple[str, ...], index_dir: Path) -> None:
    """Take documents (file name or path) or whole source folders out of the index.

    An uploaded file is deleted; a file in one of your folders stays on disk and is left out
    from now on (`rag index FILE` brings it back).
    """
    bot = RAG.load(index_dir)
    report = bot.remove(list(items), progress=_say)
    click.echo(f"Removed {len(report.removed)} document(s) from {index_dir}: "
               f"{', '.join(report.removed) or 'none'}. {len(bot.documents())} remain.")


@main.command("sources")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sources_cmd(index_dir: Path, as_json: bool) -> None:
    """List the index's sources: folders and files it indexes, the upload folder, files left out."""
    sources = RAG.load(index_dir).sources
    if as_json:
        click.echo(json.dumps(sources.to_dict()))
        return
    for path in sources.paths:
        click.echo(f"source    {path}")
    click.echo(f"uploads   {sources.uploads}")
    for path in sources.excluded:
        click.echo(f"left out  {path}")


def _saved_config(index_dir: Path) -> Config:
    path = index_dir / "config.json"
    try:
        return Config.load(path) if path.exists() else Config()
    except (ValueError, OSError):
        return Config()


def _report_dict(report: IndexReport, bot: RAG) -> dict[str, Any]:
    return {"documents": len(bot.documents()), "added": list(report.added), "updated": list(report.updated),
            "removed": list(report.removed), "unchanged": list(report.unchanged),
            "duplicates": list(report.duplicates), "rebuilt": report.rebuilt,
            "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped]}


def _warn_skipped(report: IndexReport) -> None:
    for s in report.skipped:
        _say(f"Warning: skipped {s.path}: {s.reason}")
    for name in report.duplicates:
        _say(f"Warning: {name} has the same text as an indexed document; indexed once.")


def open_bot(index_dir: Path, sources: Sequence[Path] = (), *, refresh: bool = False) -> RAG:
    """The bot over `index_dir`, built first (with a message) if there is none yet."""
    if refresh or sources:
        bot = RAG.open(index_dir, sources=list(sources) or None, progress=_say)
    else:
        try:
            return RAG.load(index_dir)
        except IndexNotFoundError:
            missing = [str(p) for p in DEFAULT_SOURCES if not p.exists()]
            if missing:
                raise IndexNotFoundError(
                    f"no index at {index_dir}, and no {', '.join(missing)}/ folder here to build one "
                    "from: index your articles first with `rag index FOLDER`") from None
            _say(f"No index in {index_dir} yet: building it from "
                 f"{', '.join(map(str, DEFAULT_SOURCES))} (one time)...")
            bot = RAG.build(None, index_dir=index_dir, progress=_say)
    if bot.last_report:
        _warn_skipped(bot.last_report)
    return bot


@main.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-k", "--top-k", type=click.IntRange(1, 100), default=None, help="Passages to retrieve.")
@click.option("--retrieval", type=click.Choice(RETRIEVAL_MODES), default=None, help="Retrieval mode.")
@click.option("--reader", type=click.Choice(READERS), default=None,
              help="Who picks the sentences: the tuned heuristic (default) or the trained reader.")
@llm_options
@click.option("--stream", is_flag=True, help="With --llm: print the reply as it is written, then the checked answer.")
@index_dir_option
@sources_option
def ask_cmd(question: str, as_json: bool, top_k: int | None, retrieval: str | None, reader: str | None,
            llm: bool, llm_url: str | None, llm_model: str | None, stream: bool,
            index_dir: Path, sources: tuple[Path, ...]) -> None:
    """Answer QUESTION from the indexed documents, with numbered citations."""
    if not question.strip():
        raise click.UsageError("the question is empty: ask something about the documents")
    if stream and as_json:
        raise click.UsageError("--stream prints text as it comes; leave out --json (or --stream)")
    settings = {k: v for k, v in {"retrieval": retrieval, "reader": reader}.items() if v}
    settings.update(llm_settings(llm, llm_url, llm_model))
    bot = open_bot(index_dir, sources)
    if stream:
        click.echo(format_answer(print_streamed(bot.ask_stream(question, top_k=top_k, **settings))))
        return
    answer = bot.ask(question, top_k=top_k, **settings)
    click.echo(json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else format_answer(answer))


def format_answer(answer: Answer) -> str:
    """The answer and its numbered sources, as plain text for a terminal."""
    lines = [answer.text]
    for c in answer.citations:
        dated = f", {c.date}" if c.date else ""
        lines.append(f"  [{c.n}] {c.title} ({c.source}{dated}) score {c.score:.2f}")
    lines.extend(f"  note: {n}" for n in answer.notes if n not in answer.text)
    return "\n".join(lines)


@main.command("chat")
@index_dir_option
@sources_option
@llm_options
def chat_cmd(index_dir: Path, sources: tuple[Path, ...], llm: bool, llm_url: str | None,
             llm_model: str | None) -> None:
    """Ask questions in the terminal, one after another (follow-ups use the conversation).
    With --llm the model's reply is printed as it is written, then the checked answer."""
    settings = llm_settings(llm, llm_url, llm_model)
    bot = open_bot(index_dir, sources, refresh=True)
    click.echo(f"{len(bot.documents())} document(s) indexed. Ask a question (empty line or Ctrl-D to quit).")
    history: list[tuple[str, str]] = []
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = print_streamed(bot.ask_stream(question, history=history, **settings))
        except RagError as exc:  # a server that fails once need not end the conversation
            click.echo(f"Error: {exc}", err=True)
            continue
        click.echo(format_answer(answer))
        history.append((question, answer.text))


@main.command("docs")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def docs_cmd(index_dir: Path, as_json: bool) -> None:
    """List the indexed documents."""
    docs = RAG.load(index_dir).documents()
    if as_json:
        click.echo(json.dumps([{"name": d.name, "title": d.title, "date": d.date, "byline": d.byline,
                                "chunks": d.n_chunks, "id": d.id} for d in docs]))
        return
    for d in docs:
        click.echo(f"{d.name}  {d.date or '(no date)'}  {d.n_chunks} chunks  {d.title}")


@main.command("eval")
@click.option("--suite", type=click.Choice(["seeds", "news-archive", "squad2", "all"]), default="seeds",
              show_default=True, help="Question set: the seeds (the CI gate), an external suite, or all.")
@click.option("--set", "set_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Question set (JSONL) for the seeds suite; default: eval/questions.jsonl.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("eval/out"), show_default=True,
              help="Results folder (external suites write to OUT/<suite>/).")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="External suites' data (default: $RAG_EVAL_DATA, else ../shared/data beside the repository).")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where external suites' indexes are cached (default: eval/cache/ in the repository).")
@click.option("--compare", "compare_flag", is_flag=True,
              help='Compare the settings SPECS side by side, e.g. --compare dense hybrid "hybrid,top_k=3".')
@click.argument("specs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (a line per suite).")
@click.option("--index-dir", type=click.Path(path_type=Path), default=None,
              help="Index to score for the seeds suite (default: a separate index of the sources, "
                   "cached in the cache folder, so your own index and uploads never change the scores).")
@sources_option
@click.option("--answerer", type=click.Choice(ANSWERERS), default=None,
              help="Who writes the answers: extractive (default) or llm (with --llm-url/--llm-model).")
@click.option("--llm-url", default=None, metavar="URL", help="OpenAI-compatible server (default: $RAG_LLM_BASE_URL).")
@click.option("--llm-model", default=None, metavar="NAME", help="Model on that server (default: $RAG_LLM_MODEL).")
def eval_cmd(suite: str, set_path: Path | None, out_dir: Path, data_dir: Path | None, cache_dir: Path | None,
             compare_flag: bool, specs: tuple[str, ...], as_json: bool, index_dir: Path | None,
             sources: tuple[Path, ...], answerer: str | None, llm_url: str | None, llm_model: str | None) -> None:
    """Score answers, citations, retrieval and abstention on a question set or eval suite.

    SPECS (with --compare) name settings: a retrieval mode (dense, lexical, hybrid) or
    "default", optionally followed by key=value settings, e.g. "hybrid,abstain_threshold=0.3".
    The external suites (news-archive, squad2) skip with a message when their data is absent.
    """
    from eval.cache import CACHE_ROOT
    from eval.suite_runner import run_suites

    if specs and not compare_flag:
        raise click.UsageError("settings to compare go after --compare, e.g. rag eval --compare dense hybrid")
    if set_path is not None and suite not in ("seeds", "all"):
        raise click.UsageError(f"--set applies to the seeds suite, not to {suite}")
    if set_path is not None and not set_path.is_file():
        raise click.UsageError(f"no question set at {set_path}: give a JSONL file of questions, e.g. one "
                               f"made from thumbs-down answers by `rag feedback --to-eval {set_path}`")
    sys.exit(run_suites(suite, data_dir=data_dir, cache_dir=cache_dir or CACHE_ROOT, out_dir=out_dir,
                        compare=list(specs), as_json=as_json, set_path=set_path, index_dir=index_dir,
                        sources=list(sources) or list(DEFAULT_SOURCES),
                        settings=llm_settings(answerer == "llm", llm_url, llm_model) if answerer else None))


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
@index_dir_option
@sources_option
@click.option("--upload-dir", type=click.Path(path_type=Path), default=None,
              help="Where uploaded files are stored (default: corpus/ inside the index folder).")
@click.option("--feedback-log", type=click.Path(path_type=Path), default=Path("feedback.jsonl"),
              show_default=True)
@click.option("--llm-url", default=None, metavar="URL",
              help="OpenAI-compatible server for generated answers (default: $RAG_LLM_BASE_URL); "
                   "the page then offers them.")
@click.option("--llm-model", default=None, metavar="NAME", help="Model on that server (default: $RAG_LLM_MODEL).")
def serve_cmd(host: str, port: int, index_dir: Path, sources: tuple[Path, ...], upload_dir: Path | None,
              feedback_log: Path, llm_url: str | None, llm_model: str | None) -> None:
    """Start the web chat (builds or updates the index first if needed)."""
    from ui.app import serve

    endpoint = llm_settings(False, llm_url, llm_model)
    if endpoint and len(endpoint) < 2:
        raise click.UsageError("generated answers need both --llm-url URL and --llm-model NAME "
                               "(or $RAG_LLM_BASE_URL and $RAG_LLM_MODEL)")
    serve(host=host, port=port, index_dir=index_dir, sources=list(sources), upload_dir=upload_dir,
          feedback_log=feedback_log, llm=endpoint)


@main.command("feedback")
@click.option("--feedback-log", "log", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("feedback.jsonl"), show_default=True, help="The votes `rag serve` wrote.")
@click.option("--to-eval", "to_eval", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Append each thumbs-down as an eval row to this JSONL file (for `rag eval --set`).")
@click.option("--json", "as_json", is_flag=True, help="Print the thumbs-down records as JSON lines.")
def feedback_cmd(log: Path, to_eval: Path | None, as_json: bool) -> None:
    """List the answers people voted down in the web chat; with --to-eval, make them eval rows
    whose accepted answers a person fills in, so complaints become tests."""
    from ui.feedback import append_eval_rows, read_feedback, thumbs_down

    if not log.is_file():
        raise click.UsageError(f"no feedback log at {log}: the web chat writes votes there "
                               f"(`rag serve --feedback-log {shlex.quote(str(log))}`)")
    down = thumbs_down(read_feedback(log))
    if to_eval is not None:
        written, known = append_eval_rows(down, to_eval)
        click.echo(f"{written} new eval row(s) in {to_eval}" + (f" ({known} already there)" if known else "")
                   + f". Fill in each row's \"answers\" (and check \"docs\" and \"evidence\"), then run "
                   f"`rag eval --set {shlex.quote(str(to_eval))}`.")
        return
    for record in down:
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
            continue
        cited = ", ".join(dict.fromkeys(c["source"] for c in record["citations"])) or "nothing"
        click.echo(f"{record['timestamp']}  {record['question']}\n  answer: {record['answer']}\n"
                   f"  cited: {cited}")
    if not down and not as_json:
        click.echo(f"No thumbs-down answers in {log}.")
