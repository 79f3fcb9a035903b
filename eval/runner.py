"""The runner: asks every question of a set through the public `rag` API and reports the scores.

    run_cli(set_path=None, out_dir=Path("eval/out"), compare=["dense", "hybrid"],
            as_json=False, index_dir=Path("index"), sources=[Path("seeds")])

A *spec* names one group of settings: a preset (a retrieval mode, or `default` for the
index's own settings) optionally followed by `key=value` query settings, e.g.
`"hybrid,abstain_threshold=0.3"`. Follow-up questions are asked with the first question and
the answer this run gave it as history. Latency is measured warm: one untimed question loads
the model first.

Left out: parallel asking, caching answers between runs.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from .gate import check_thresholds, load_thresholds
from .metrics import Outcome, aggregate, per_category, score
from .report import Run, category_table, metrics_table, results_dict, write_outputs
from .schema import DEFAULT_SET, Question, load_questions

DEFAULT_PRESET = "default"
PRESETS = (DEFAULT_PRESET, "dense", "lexical", "hybrid")


def parse_value(text: str) -> bool | int | float | str:
    """A setting's value from text: true/false, then int, then float, else the string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_spec(spec: str) -> dict[str, Any]:
    """The settings a spec names: `"hybrid,top_k=3"` -> `{"retrieval": "hybrid", "top_k": 3}`."""
    parts = [p.strip() for p in spec.split(",")]
    if not spec.strip() or not all(parts):
        raise ValueError(f"empty setting in spec {spec!r}")
    settings: dict[str, Any] = {}
    if "=" not in parts[0]:
        preset = parts.pop(0)
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r} in spec {spec!r}; "
                             f"expected one of {', '.join(PRESETS)} or key=value")
        if preset != DEFAULT_PRESET:
            settings["retrieval"] = preset
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value in spec {spec!r}, got {part!r}")
        settings[key.strip()] = parse_value(value)
    return settings


def ask_all(bot: Any, questions: Sequence[Question], *, label: str = "",
            progress: bool = False) -> list[Outcome]:
    """Ask every question in order (follow-ups with their first turn) and score the answers."""
    from tqdm import tqdm

    if questions:
        bot.ask(questions[0].question)  # warm-up: loads the model outside the timings
    answers: dict[str, Any] = {}
    by_id = {q.id: q for q in questions}
    outcomes = []
    for question in tqdm(questions, desc=label or "eval", unit="q", file=sys.stderr,
                         disable=not progress):
        history = None
        if question.follows is not None:
            first = by_id[question.follows]
            history = [(first.question, answers[first.id].text)]
        started = time.perf_counter()
        answer = bot.ask(question.question, history=history)
        elapsed_ms = (time.perf_counter() - started) * 1000
        answers[question.id] = answer
        outcomes.append(score(question, answer, elapsed_ms))
    return outcomes


def evaluate(bot: Any, questions: Sequence[Question], specs: Sequence[str], *,
             thresholds: dict[str, float] | None = None, progress: bool = False) -> list[Run]:
    """One run per spec (no specs: one run with the bot's own settings).

    With `thresholds`, runs with the bot's own settings are gated against them.
    """
    runs = []
    for spec in specs or [DEFAULT_PRESET]:
        settings = parse_spec(spec)
        variant = bot.with_settings(**settings) if settings else bot
        outcomes = ask_all(variant, questions, label=spec, progress=progress)
        metrics = aggregate(outcomes)
        gated = thresholds is not None and not settings
        runs.append(Run(label=spec, settings=settings, config=_config_dict(variant),
                        outcomes=tuple(outcomes), metrics=metrics,
                        per_category=per_category(outcomes),
                        gate_failures=tuple(check_thresholds(metrics, thresholds)) if gated else None))
    return runs


def run_cli(*, set_path: Path | None, out_dir: Path, compare: Sequence[str], as_json: bool,
            index_dir: Path | None, sources: Sequence[Path], cache_root: Path | None = None,
            settings: dict[str, Any] | None = None) -> int:
    """`rag eval`: run the set, write results.json/.md/.png into `out_dir`, print the table.

    Returns the exit code: 0 when the run completed, 2 for a bad set or spec, 1 when the
    library fails (no index, model missing). The gate (thresholds) applies to the default set
    with default settings and is reported, not enforced: `make test` enforces it.
    """
    from rag import RagError

    try:
        path = Path(set_path) if set_path is not None else DEFAULT_SET
        questions = load_questions(path)
        for spec in compare:
            parse_spec(spec)  # fail on a bad spec before the slow part
        default_set = path.resolve() == DEFAULT_SET.resolve()
        thresholds = load_thresholds() if default_set else None
        say = None if as_json else (lambda message: print(message, file=sys.stderr))
        bot = _bot(index_dir, sources, cache_root, say)
        bot = bot.with_settings(**settings) if settings else bot
        runs = evaluate(bot, questions, compare, thresholds=thresholds,
                        progress=not as_json and sys.stderr.isatty())
        paths = write_outputs(Path(out_dir), path, runs)
    except (ValueError, OSError) as exc:
        return print_error(str(exc), as_json, code=2)
    except RagError as exc:
        return print_error(str(exc), as_json, code=1)
    if as_json:
        print(json.dumps({**results_dict(path, runs), "files": {k: str(v) for k, v in paths.items()}},
                         ensure_ascii=False))
        return 0
    print(metrics_table(runs), "", category_table(runs), "", sep="\n")
    for run in runs:
        if run.gate_failures:
            print(f"Below thresholds ({run.label}): " + "; ".join(run.gate_failures))
    failed = sum(run.metrics["n_failed"] for run in runs)
    print(f"{failed} failed question(s) listed in {paths['md']}; "
          f"results in {paths['json']} and {paths['png']}")
    return 0


def _bot(index_dir: Path | None, sources: Sequence[Path], cache_root: Path | None, say: Any) -> Any:
    """The bot to score: over `index_dir` (with `sources` added) when given; else over an index
    of exactly `sources`, cached by their content, so a user's own index and uploads never
    change the scores."""
    from rag import RAG

    from .cache import CACHE_ROOT, cached_index

    if index_dir is not None:
        return RAG.open(index_dir=index_dir, sources=list(sources), progress=say)
    if len(sources) == 1 and Path(sources[0]).is_dir():
        return cached_index("seeds", Path(sources[0]), cache_root=cache_root or CACHE_ROOT, progress=say).bot
    tmp = Path(tempfile.mkdtemp(prefix="rag-eval-"))
    return RAG.build(list(sources), index_dir=tmp / "index", progress=say)


def _config_dict(bot: Any) -> dict[str, Any]:
    config = getattr(bot, "config", None)
    return dataclasses.asdict(config) if dataclasses.is_dataclass(config) else {}


def print_error(message: str, as_json: bool, *, code: int) -> int:
    """Print an error (as JSON with `as_json`, else on stderr) and return the exit code."""
    if as_json:
        print(json.dumps({"error": message}))
    else:
        print(f"error: {message}", file=sys.stderr)
    return code
