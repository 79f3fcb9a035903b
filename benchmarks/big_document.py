"""How a very large article is indexed: time, rate and peak memory for one file of N MB.

The article is made here, deterministically, from the paragraphs of seeds/ (each line
numbered so that no line repeats and the cleaner drops nothing), so the benchmark needs no
data from outside the repository. It is indexed with `rag index` in a fresh process (real
model, real FAISS; the progress bar shows on a terminal); the JSON records wall time,
texts embedded, texts/s and peak RSS of that process. Not pass/fail.

    .venv/bin/python benchmarks/big_document.py [--mb 20] [--out benchmarks/results/big_document.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_article(path: Path, megabytes: float) -> int:
    """Write an article of about `megabytes` MB built from the seeds' lines; returns its size."""
    lines = [line for f in sorted((REPO / "seeds").glob("*.txt"))
             for line in f.read_text(encoding="utf-8").splitlines() if len(line.split()) > 6]
    target, size, n = int(megabytes * 1_000_000), 0, 0
    with path.open("w", encoding="utf-8") as out:
        out.write("A very long report\n\n")
        while size < target:
            text = f"Section {n}. {lines[n % len(lines)]}\n\n"
            out.write(text)
            size += len(text.encode("utf-8"))
            n += 1
    return path.stat().st_size


def _ask(index_dir: Path) -> dict[str, float]:
    """Load time and warm `ask` latency (median of a few questions) over the big index."""
    sys.path.insert(0, str(REPO))
    from rag import RAG

    started = time.perf_counter()
    bot = RAG.load(index_dir)
    loaded = time.perf_counter() - started
    questions = ["When did Choe Ryong-hae arrive in Beijing?", "Who is Song Tao?",
                 "What did the envoy bring to Pyongyang?"]
    bot.ask(questions[0])
    times = []
    for question in questions * 2:
        started = time.perf_counter()
        bot.ask(question)
        times.append(time.perf_counter() - started)
    return {"load_s": round(loaded, 2), "ask_median_ms": round(sorted(times)[len(times) // 2] * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of the article in MB")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "big_document.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        size = make_article(folder / "long_report.txt", args.mb)
        rag_bin = Path(sys.executable).parent / "rag"
        started = time.perf_counter()
        subprocess.run([str(rag_bin), "index", str(folder), "--index-dir", str(Path(tmp) / "index"), "--json"],
                       check=True, stdout=subprocess.PIPE, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest_dir = Path(tmp) / "index" / (Path(tmp) / "index" / "CURRENT").read_text().strip()
        counts = json.loads((manifest_dir / "manifest.json").read_text())["counts"]
        asked = _ask(Path(tmp) / "index")
    texts = counts["chunks"] + counts["sentences"]
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "date": time.strftime("%Y-%m-%d"), "file_mb": round(size / 1e6, 2), "seconds": round(seconds, 1),
               "chunks": counts["chunks"], "sentences": counts["sentences"],
               "texts_per_s": round(texts / seconds, 1), "mb_per_min": round(size / 1e6 / seconds * 60, 2),
               "peak_rss_mb": round(peak, 1), **asked}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for key, value in results.items():
        print(f"{key:<12} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
