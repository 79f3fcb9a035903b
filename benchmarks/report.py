"""The benchmark's table (also written into README.md between markers) and chart.

Left out: measuring (see `run.py`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
ROWS = [  # (label, key, format)
    ("documents / chunks / sentences", None, None),
    ("index from a cold start", "index_s", "{:.1f} s"),
    ("index throughput", None, None),
    ("index peak memory", "index_peak_rss_mb", "{:.0f} MB"),
    ("cold `rag ask` (new process), median of 3", "cold_ask_s", "{:.2f} s"),
    ("`rag serve` ready (HTTP 200), median of 3 / first start", ("serve_ready_s", "serve_ready_first_s"),
     "{:.1f} / {:.1f} s"),
    ("warm `ask`, p50 / p95", ("ask_total_p50_ms", "ask_total_p95_ms"), "{:.1f} / {:.1f} ms"),
    ("  embed the question, p50", "ask_embed_p50_ms", "{:.2f} ms"),
    ("  search (FAISS + BM25), p50", "ask_search_p50_ms", "{:.2f} ms"),
    ("  compose the answer, p50", "ask_answer_p50_ms", "{:.1f} ms"),
    ("retrieval (embed + search), p50 / p95", ("ask_retrieval_p50_ms", "ask_retrieval_p95_ms"), "{:.2f} / {:.2f} ms"),
    ("peer: txtai retrieval, same model and chunks, p50", "peer_retrieval_p50_ms", "{:.2f} ms"),
    ("peer ÷ ours, retrieval p50", "peer_over_ours_retrieval_p50", "{:.1f}×"),
    ("peer: txtai index time (chunks only)", "peer_index_s", "{:.1f} s"),
]


def _cell(run: dict[str, Any], label: str, key: Any, fmt: str | None) -> str:
    if label.startswith("documents"):
        return f"{run['documents']:,} / {run['chunks']:,} / {run['sentences']:,}"
    if label == "index throughput":
        return f"{run['docs_per_s']:.1f} docs/s, {run['texts_per_s']:.0f} texts/s"
    keys = key if isinstance(key, tuple) else (key,)
    if not all(k in run for k in keys):
        return "n/a"
    return fmt.format(*(run[k] for k in keys))


def table(results: dict[str, Any]) -> str:
    """The Markdown table: one column per corpus."""
    runs = results["runs"]
    lines = [f"Measured {results['date']} on {results['machine']} (`make bench`).", "",
             "| measure | " + " | ".join(r["corpus"] for r in runs) + " |",
             "| --- |" + " --- |" * len(runs)]
    lines += [f"| {label} | " + " | ".join(_cell(r, label, key, fmt) for r in runs) + " |"
              for label, key, fmt in ROWS]
    return "\n".join(lines)


def update_readme(results: dict[str, Any], readme: Path) -> str:
    """Put the table between the markers in `readme`; returns the table."""
    text = readme.read_text(encoding="utf-8")
    shown = table(results)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = f"{head}{START}\n{shown}\n{END}{rest.split(END, 1)[1]}"
        readme.write_text(text, encoding="utf-8")
    return shown


def write_chart(results: dict[str, Any], path: Path) -> None:
    """Bars of retrieval p50 (ours and the peer's) and warm ask p50, per corpus."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=120)
    width = 0.27
    for i, (label, key) in enumerate([("retrieval, ours", "ask_retrieval_p50_ms"),
                                      ("retrieval, txtai", "peer_retrieval_p50_ms"),
                                      ("whole ask, ours", "ask_total_p50_ms")]):
        values = [r.get(key, 0.0) for r in runs]
        bars = ax.bar([j + (i - 1) * width for j in range(len(runs))], values, width, label=label)
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(range(len(runs)), [r["corpus"] for r in runs])
    ax.set_ylabel("p50 latency (ms)")
    ax.set_title(f"Query latency, {results['machine']}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
