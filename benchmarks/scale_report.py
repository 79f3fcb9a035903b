"""The scale benchmark's chart (docs/scale.png) and README table, from its JSON."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- scale-table -->", "<!-- /scale-table -->"


def table(result: dict[str, Any]) -> str:
    """The README table: one row per size and store."""
    lines = ["| articles | chunks / sentences | store | build s | disk MB | load s | RSS MB | retrieval p50 / p95 ms "
             "| ask p50 / p95 ms | recall@10 chunks / sentences |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        recall = f"{r['recall_chunks']:.3f} / {r['recall_sentences']:.3f}" if "recall_chunks" in r else "exact"
        lines.append(f"| {r['articles']:,} | {r['chunks']:,} / {r['sentences']:,} | {r['store']} | {r['build_s']:.1f} "
                     f"| {r['disk_mb']:,.0f} | {r['load_s']:.2f} | {r['rss_mb']:,.0f} | {r['search_p50_ms']:.1f} / "
                     f"{r['search_p95_ms']:.1f} | {r['ask_p50_ms']:.1f} / {r['ask_p95_ms']:.1f} | {recall} |")
    return "\n".join(lines)


def chart(result: dict[str, Any], path: Path) -> None:
    """Retrieval p50, ask p50, RSS and load time against the number of articles, per store."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(17, 4))
    panels = [("search_p50_ms", "retrieval p50 (ms)"), ("ask_p50_ms", "ask p50 (ms)"),
              ("rss_mb", "RSS after questions (MB)"), ("load_s", "load (s)")]
    for store in dict.fromkeys(r["store"] for r in result["rows"]):
        rows = [r for r in result["rows"] if r["store"] == store]
        for ax, (key, label) in zip(axes, panels):
            ax.plot([r["articles"] for r in rows], [r[key] for r in rows], marker="o", label=store)
            ax.set_xscale("log")
            ax.set_xlabel("articles")
            ax.set_title(label)
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def write_report(result: dict[str, Any], chart_path: Path, readme: Path) -> None:
    """Write the chart and put the table between the README's scale-table markers."""
    chart(result, chart_path)
    text = readme.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        body = f"{BEGIN}\n{table(result)}\n{END}"
        readme.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _m: body, text, flags=re.S),
                          encoding="utf-8")
