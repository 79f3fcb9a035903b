"""`rag eval --suite`: one suite or all of them, each with its own tables and files.

    run_suites("all", data_dir=None, cache_dir=Path("eval/cache"), out_dir=Path("eval/out"), ...)

`seeds` runs as `rag eval` always has (`runner.run_cli`: the CI set, gated by
`thresholds.json`, results in `out_dir`). An external suite (`suites.py`) builds or reuses its
cached index (`cache.py`), asks every question with the index's default settings (or each
`--compare` spec), prints its tables and writes results.json/.md/.png to `out_dir/<suite>/`.
A suite whose data is absent prints why and is skipped: exit 0. With `as_json` each suite
prints one JSON object on a line of its own.

Left out: gating the external suites (they measure, they do not block).
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from .cache import CachedIndex, cached_index
from .report import Run, metrics_table, results_dict, scores_table, write_outputs
from .runner import evaluate, parse_spec, print_error, run_cli
from .suites import SEEDS, SUITES, SuiteData, SuiteMissing, data_root, load_suite

ALL = "all"


def run_suites(suite: str, *, data_dir: Path | None, cache_dir: Path, out_dir: Path,
               compare: Sequence[str], as_json: bool, set_path: Path | None, index_dir: Path | None,
               sources: Sequence[Path], settings: dict[str, Any] | None = None) -> int:
    """Run `suite` (or every suite, for "all"); the exit code is the worst of theirs.

    The seeds suite scores `index_dir` when given, else a separate index of `sources`.
    `settings` (query settings, e.g. `answerer="llm"`) apply to every run of every suite.
    """
    if suite not in (*SUITES, ALL):
        return print_error(f"unknown suite {suite!r}; expected one of {', '.join(SUITES)} or {ALL}",
                           as_json, code=2)
    codes = []
    for name in SUITES if suite == ALL else (suite,):
        if name == SEEDS:
            codes.append(run_cli(set_path=set_path, out_dir=out_dir, compare=compare,
                                 as_json=as_json, index_dir=index_dir, sources=sources,
                                 cache_root=cache_dir, settings=settings))
        else:
            codes.append(run_external(name, root=data_root(data_dir), cache_root=cache_dir,
                                      out_dir=Path(out_dir) / name, compare=compare,
                                      as_json=as_json, settings=settings))
    return max(codes)


def run_external(name: str, *, root: Path, cache_root: Path, out_dir: Path,
                 compare: Sequence[str], as_json: bool, settings: dict[str, Any] | None = None) -> int:
    """One external suite: 0 when it ran or was skipped, 2 for bad data, 1 if the library fails."""
    from rag import RagError

    try:
        for spec in compare:
            parse_spec(spec)  # fail on a bad spec before the slow part
        data = load_suite(name, root, cache_root)
        say = None if as_json else (lambda message: print(message, file=sys.stderr))
        index = cached_index(name, data.source_dir, cache_root=cache_root, progress=say)
        started = time.perf_counter()
        bot = index.bot.with_settings(**settings) if settings else index.bot
        runs = evaluate(bot, data.questions, compare,
                        progress=not as_json and sys.stderr.isatty())
        about = suite_about(data, index, time.perf_counter() - started)
        paths = write_outputs(out_dir, data.set_path, runs, about)
    except SuiteMissing as exc:
        return _skip(name, str(exc), as_json)
    except (ValueError, OSError) as exc:
        return print_error(f"{name}: {exc}", as_json, code=2)
    except RagError as exc:
        return print_error(f"{name}: {exc}", as_json, code=1)
    _print_results(data, runs, about, paths, as_json)
    return 0


def suite_about(data: SuiteData, index: CachedIndex, ask_seconds: float) -> dict[str, Any]:
    """What the report says about a suite's run: data, index, timings, date and machine."""
    return {
        "suite": data.name, **data.about, "questions": len(data.questions),
        "documents": len(index.bot.documents()), "index": str(index.folder),
        "index_key": index.key,
        "index_built_now": index.built,
        "index_build_seconds": _rounded(index.build_seconds),
        "index_load_seconds": None if index.built else _rounded(index.seconds),
        "ask_seconds": _rounded(ask_seconds),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores",
    }


def _print_results(data: SuiteData, runs: Sequence[Run], about: dict[str, Any],
                   paths: dict[str, Path], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"suite": data.name, **results_dict(data.set_path, runs, about),
                          "files": {k: str(v) for k, v in paths.items()}}, ensure_ascii=False))
        return
    how = ("built now" if about["index_built_now"]
           else f"loaded from the cache in {about['index_load_seconds']} s")
    print(f"## {data.name}: {about['questions']} questions over {about['documents']} documents "
          f"(index {how}; build took {about['index_build_seconds']} s; questions asked in "
          f"{about['ask_seconds']} s)", "", metrics_table(runs), "", sep="\n")
    for run in runs:
        print(f"Per category ({run.label}):", scores_table(run), "", sep="\n")
    print(f"Results in {paths['json']}, {paths['md']} and {paths['png']}")


def _skip(name: str, why: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"suite": name, "skipped": why}, ensure_ascii=False))
    else:
        print(f"Skipped the {name} suite: {why}.")
    return 0


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)
