"""Speed and memory benchmarks: print a table and save benchmarks/results.json.

Measures, on the seeds (or the folders given): index build time (cold, from nothing), an
incremental re-index with nothing changed, warm `ask` latency per retrieval mode (p50/p95
over the eval questions), cold `rag ask` wall time (a new process: imports, model load,
answer), and peak memory of the process. Numbers vary with the machine; they are not pass/fail.

    .venv/bin/python benchmarks/run.py [--repeat 3] [--source seeds]
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _questions() -> list[str]:
    path = REPO / "eval" / "questions.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions per mode")
    parser.add_argument("--source", action="append", default=None, help="document folder (default seeds/)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.json")
    args = parser.parse_args()
    sources = [Path(s) for s in (args.source or [REPO / "seeds"])]
    results: dict[str, object] = {"machine": f"{platform.machine()}, {platform.python_version()}",
                                  "sources": [str(s) for s in sources]}
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        t0 = time.perf_counter()
        import rag

        results["import_rag_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        bot = rag.RAG.build(sources, index_dir=index_dir)
        results["build_index_cold_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rag.RAG.build(sources, index_dir=index_dir)
        results["reindex_unchanged_s"] = time.perf_counter() - t0
        results["documents"] = len(bot.documents())
        results["chunks"] = sum(d.n_chunks for d in bot.documents())
        questions = _questions()
        bot.ask(questions[0])  # warm-up
        for mode in ("dense", "lexical", "hybrid"):
            times = []
            for _ in range(args.repeat):
                for q in questions:
                    t0 = time.perf_counter()
                    bot.ask(q, retrieval=mode)
                    times.append((time.perf_counter() - t0) * 1000)
            results[f"ask_{mode}_p50_ms"] = statistics.median(times)
            results[f"ask_{mode}_p95_ms"] = _percentile(times, 0.95)
        results["hybrid_over_dense_p50"] = results["ask_hybrid_p50_ms"] / results["ask_dense_p50_ms"]
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cold = []
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run([str(Path(sys.executable).parent / "rag"), "ask", "--json", questions[0],
                            "--index-dir", str(index_dir)], check=True, capture_output=True)
            cold.append(time.perf_counter() - t0)
        results["cold_rag_ask_s"] = min(cold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    width = max(len(k) for k in results)
    for key, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")
    print(f"saved {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
