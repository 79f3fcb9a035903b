"""Scale benchmark: 2k to 100k articles, for faiss exact, faiss ANN (IVF) and milvus-lite.

Per size and store: build time (writing the index from vectors: stores filled, IVF trained,
files and checksums; embedding is not included, see `scale_corpus`), index size on disk,
then in a fresh process: load time (`RAG.load`; the embedding model loads on the first
question and is not counted), RSS after load and after the questions, warm p50/p95 of
retrieval (store searches + BM25 + fusion) and of the whole `ask` (question embedding,
retrieval, answer), and recall@10 of the approximate store against exact search (numpy
over the float16 vectors) for the chunk and the sentence collections. Writes
benchmarks/results/scale.json, docs/scale.png and the README table.

    .venv/bin/python benchmarks/scale.py [--sizes 2000,10000,50000,100000] [--questions 60]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# the archive index the eval caches (`rag eval --suite news-archive`), here or in the main checkout
ARCHIVES = [*sorted((REPO / "eval" / "cache").glob("news-archive-*/index")),
            *sorted((REPO.parent / "main" / "eval" / "cache").glob("news-archive-*/index"))]
QUESTIONS = REPO.parent / "shared" / "data" / "news-archive" / "questions-dev.jsonl"
OUT = REPO / "benchmarks" / "results" / "scale.json"
CHART = REPO / "docs" / "scale.png"
STORES = {"faiss-exact": {"ann_threshold": 1 << 40}, "faiss-ann": {}, "milvus-lite": {"vector_store": "milvus"}}
MAX_SIZE = {"faiss-exact": 50_000, "faiss-ann": 100_000, "milvus-lite": 10_000}  # what fits in 30 min here


def _rss_mb() -> tuple[float, float]:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def child(folder: Path, n_questions: int, recall: bool) -> dict[str, Any]:
    """Load the index in this (fresh) process and measure it."""
    from rag import RAG

    started = time.perf_counter()
    bot = RAG.load(folder)
    load_s = time.perf_counter() - started
    rss_load, _ = _rss_mb()
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    questions = questions[:n_questions]
    for q in questions[:5]:
        bot.ask(q)  # warm: the model, the pages the first questions touch
    search, total = [], []
    for q in questions:
        timings = bot.ask(q).timings
        search.append(timings["search"])
        total.append(sum(timings.values()))
    rss_after, peak = _rss_mb()
    out = {"load_s": load_s, "rss_load_mb": rss_load, "rss_mb": rss_after, "peak_rss_mb": peak,
           "search_p50_ms": _pct(search, 0.5), "search_p95_ms": _pct(search, 0.95),
           "ask_p50_ms": _pct(total, 0.5), "ask_p95_ms": _pct(total, 0.95)}
    if recall:
        out.update(_recall(bot, questions))
    return out


def _recall(bot: Any, questions: list[str]) -> dict[str, float]:
    """recall@10 of each store against exact inner product over the stored float16 vectors."""
    import numpy as np

    data = bot._state.data
    queries = bot.embedder.encode(questions)
    out = {}
    for collection, keys in zip(data.collections(), data.keys()):
        scores = np.full((len(queries), 0), 0.0, dtype=np.float32)
        rows = np.zeros((len(queries), 0), dtype=np.int64)
        for start in range(0, len(keys), 200_000):  # exact top 10, a block at a time
            block = np.asarray(collection.vectors[start:start + 200_000], dtype=np.float32) @ queries.T
            top = np.argsort(-block, axis=0)[:10].T
            scores = np.hstack([scores, np.take_along_axis(block.T, top, axis=1)])
            rows = np.hstack([rows, top + start])
        best = np.take_along_axis(rows, np.argsort(-scores, axis=1)[:, :10], axis=1)
        found = data.stores.get(collection.name).search(queries, 10)[1]
        out[f"recall_{collection.name}"] = float(np.mean(
            [len(set(keys[t].tolist()) & set(f.tolist())) / 10 for t, f in zip(best, found)]))
    return out


def _disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_size(base: Any, size: int, stores: list[str], args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    from rag.index import save_index
    from rag.store.milvus import close_clients
    from scale_corpus import replicate

    copies = max(1, round(size / len(base.documents)))
    started = time.perf_counter()
    data = replicate(base, copies)
    made_s = time.perf_counter() - started
    rows = []
    for name in stores:
        if size > MAX_SIZE[name] and not args.all:
            continue
        folder = tmp / f"{size}-{name}"
        config = base.config.with_overrides(**STORES[name], milvus_collection=f"bench{size}")
        started = time.perf_counter()
        save_index(replace(data, config=config, stores=None), folder)
        build_s = time.perf_counter() - started
        close_clients()  # milvus-lite: the measuring process must open the file
        disk = _disk_bytes(folder)
        proc = subprocess.run([sys.executable, __file__, "--child", str(folder), "--questions", str(args.questions)]
                              + (["--recall"] if name != "faiss-exact" else []),
                              capture_output=True, text=True, timeout=1200)
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{size} {name}: the measuring process failed")
        row = {"size": size, "articles": len(data.documents), "chunks": len(data.chunks),
               "sentences": len(data.sentences), "store": name, "corpus_s": made_s, "build_s": build_s,
               "disk_mb": disk / 2**20, **json.loads(proc.stdout.strip().splitlines()[-1])}
        print(json.dumps(row), flush=True)
        rows.append(row)
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,10000,50000,100000")
    parser.add_argument("--stores", default=",".join(STORES))
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--all", action="store_true", help="every store at every size (past 30 minutes)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--recall", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.questions, args.recall)))
        return
    if not ARCHIVES or not QUESTIONS.exists():
        raise SystemExit(f"needs an archive index in eval/cache (run `rag eval --suite news-archive` once) "
                         f"and {QUESTIONS}")
    from rag.index import load_index
    from scale_report import write_report

    base = load_index(ARCHIVES[0])
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=REPO / "benchmarks") as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            rows += run_size(base, size, args.stores.split(","), args, Path(tmp))
    result = {"rows": rows, "minutes": (time.perf_counter() - started) / 60, "questions": args.questions}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_report(result, CHART, REPO / "README.md")
    print(f"wrote {OUT}, {CHART} and the README table in {result['minutes']:.1f} min")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
