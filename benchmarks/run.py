"""Speed and memory benchmarks, against a peer: prints and saves JSON, a chart and the README table.

For each corpus (the seeds; the BBC news archive too when its data is there):
- indexing from a cold start (`rag index` in a new process): wall time, documents/s,
  texts/s (chunks + sentences embedded) and peak memory;
- cold `rag ask` (a new process: imports, index load, model, answer), median of 3;
- `rag serve` ready: seconds from start until the page answers HTTP 200, median of 3 starts
  (the first after indexing also pays for reading gradio's files back into the page cache);
- warm `ask` in one process over the corpus's questions, repeated: p50/p95 of the whole and
  of its parts (embed the question, search FAISS + BM25, compose the answer);
- the peer, txtai (installed only for this: `pip install txtai`), with the same model over
  the same chunks: index time and retrieval (query embedding + search) p50, as a ratio.
Numbers vary with the machine and what else runs on it; they are not pass/fail.

    .venv/bin/python benchmarks/run.py [--repeat 3] [--no-archive] [--no-peer]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RAG_BIN = str(Path(sys.executable).parent / "rag")
OUT = REPO / "benchmarks" / "results.json"
CHART = REPO / "docs" / "bench.png"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed_process(command: list[str], **kwargs: Any) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run `command`; (wall seconds, peak RSS in MB sampled every 50 ms, the result)."""
    import psutil

    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, **kwargs)
    peak = [0.0]

    def sample() -> None:
        try:
            proc = psutil.Process(child.pid)
            while child.poll() is None:
                peak[0] = max(peak[0], proc.memory_info().rss / 2**20)
                time.sleep(0.05)
        except psutil.Error:
            pass

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = child.communicate()
    watcher.join()
    result = subprocess.CompletedProcess(command, child.returncode, out, err)
    if child.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {err.decode()[-2000:]}")
    return time.perf_counter() - started, peak[0], result


def index_corpus(source: Path, index_dir: Path) -> dict[str, Any]:
    """Index `source` from nothing in a new process."""
    seconds, peak, _ = timed_process([RAG_BIN, "index", str(source), "--index-dir", str(index_dir), "--json"])
    live = index_dir / (index_dir / "CURRENT").read_text().strip()
    counts = json.loads((live / "manifest.json").read_text())["counts"]
    texts = counts["chunks"] + counts["sentences"]
    return {"index_s": seconds, "documents": counts["documents"], "chunks": counts["chunks"],
            "sentences": counts["sentences"], "docs_per_s": counts["documents"] / seconds,
            "texts_per_s": texts / seconds, "index_peak_rss_mb": peak}


def cold_ask(index_dir: Path, question: str, runs: int = 3) -> dict[str, Any]:
    """`rag ask` in a new process each time: median wall time and peak memory."""
    walls, peaks = [], []
    for _ in range(runs):
        wall, peak, _ = timed_process([RAG_BIN, "ask", "--json", question, "--index-dir", str(index_dir)])
        walls.append(wall)
        peaks.append(peak)
    return {"cold_ask_s": statistics.median(walls), "cold_ask_peak_rss_mb": max(peaks)}


def serve_ready(index_dir: Path, work: Path) -> float:
    """Seconds from `rag serve` to the page answering HTTP 200."""
    from ui.server import free_port

    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([RAG_BIN, "serve", "--port", str(port), "--index-dir", str(index_dir),
                               "--feedback-log", str(work / "feedback.jsonl")], cwd=work, env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < 300:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    if page.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("rag serve did not answer within 300 s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def warm_ask(index_dir: Path, questions: list[str], repeat: int) -> dict[str, Any]:
    """Warm `ask` over the questions in one process: p50/p95 of the whole and of each part."""
    from rag import RAG

    bot = RAG.load(index_dir)
    bot.ask(questions[0])
    parts: dict[str, list[float]] = {"total": [], "embed": [], "search": [], "answer": [], "retrieval": []}
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            answer = bot.ask(question)
            parts["total"].append((time.perf_counter() - started) * 1000)
            for name in ("embed", "search", "answer"):
                parts[name].append(answer.timings[name])
            parts["retrieval"].append(answer.timings["embed"] + answer.timings["search"])
    out: dict[str, Any] = {"questions": len(questions)}
    for name, values in parts.items():
        out[f"ask_{name}_p50_ms"] = statistics.median(values)
        out[f"ask_{name}_p95_ms"] = percentile(values, 0.95)
    return out


def peer_txtai(index_dir: Path, questions: list[str], repeat: int) -> dict[str, Any]:
    """txtai over the same chunks with the same model: index time and retrieval p50."""
    try:
        from txtai import Embeddings
    except ImportError:
        return {"peer": "txtai not installed (pip install txtai)"}
    from rag.embedding import resolve_model
    from rag.index import load_index

    chunks = [c.text for c in load_index(index_dir).chunks]
    started = time.perf_counter()
    embeddings = Embeddings(path=resolve_model("all-MiniLM-L6-v2"), content=False, backend="faiss")
    embeddings.index(chunks)
    index_s = time.perf_counter() - started
    embeddings.search(questions[0], 5)
    times = []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            embeddings.search(question, 5)
            times.append((time.perf_counter() - started) * 1000)
    from importlib.metadata import version

    return {"peer": f"txtai {version('txtai')}", "peer_index_s": index_s,
            "peer_retrieval_p50_ms": statistics.median(times), "peer_retrieval_p95_ms": percentile(times, 0.95)}


def corpora(archive: bool) -> list[tuple[str, Path, list[str]]]:
    """(name, folder, questions) of each corpus to measure."""
    rows = [json.loads(line) for line in (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    found = [("seeds", REPO / "seeds", [r["question"] for r in rows])]
    data = Path(os.environ.get("RAG_EVAL_DATA", REPO.parent / "shared" / "data")) / "news-archive"
    if archive and (data / "articles").is_dir():
        rows = [json.loads(line) for line in (data / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
        found.append(("news-archive", data / "articles", [r["question"] for r in rows]))
    elif archive:
        print(f"Skipping the news archive: no data at {data}", file=sys.stderr)
    return found


def measure(name: str, source: Path, questions: list[str], repeat: int, peer: bool) -> dict[str, Any]:
    """Every measure for one corpus."""
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        print(f"[{name}] indexing {source}...", file=sys.stderr, flush=True)
        result: dict[str, Any] = {"corpus": name, **index_corpus(source, index_dir)}
        result.update(cold_ask(index_dir, questions[0]))
        starts = [serve_ready(index_dir, Path(tmp)) for _ in range(3)]
        result["serve_ready_s"], result["serve_ready_first_s"] = statistics.median(starts), starts[0]
        print(f"[{name}] asking {len(questions)} questions x {repeat}...", file=sys.stderr, flush=True)
        result.update(warm_ask(index_dir, questions, repeat))
        if peer:
            print(f"[{name}] the peer (txtai)...", file=sys.stderr, flush=True)
            result.update(peer_txtai(index_dir, questions, repeat))
            if "peer_retrieval_p50_ms" in result:
                result["peer_over_ours_retrieval_p50"] = result["peer_retrieval_p50_ms"] / result["ask_retrieval_p50_ms"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    parser.add_argument("--no-archive", action="store_true", help="the seeds only")
    parser.add_argument("--no-peer", action="store_true", help="skip txtai")
    args = parser.parse_args()
    from benchmarks.report import update_readme, write_chart

    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "date": time.strftime("%Y-%m-%d"),
               "runs": [measure(n, s, q, args.repeat, not args.no_peer) for n, s, q in corpora(not args.no_archive)]}
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_chart(results, CHART)
    table = update_readme(results, REPO / "README.md")
    print(table)
    print(f"saved {OUT.relative_to(REPO)}, {CHART.relative_to(REPO)} and the README table")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
