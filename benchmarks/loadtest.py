"""Load test of the web app: concurrent clients asking over HTTP; latency, throughput, memory.

Starts the real server (`python -m rag serve` on a free loopback port, the real model and
index over the seeds, in a temporary folder), then:
1. asks `--solo` questions one at a time and measures the server's CPU-seconds per question,
   so the CPU allows at most cores / CPU-seconds questions a second;
2. runs `--rounds` rounds of `--seconds` each with `--clients` concurrent clients calling the
   `/ask` endpoint (Gradio's `/gradio_api/call/ask`, as `curl` or any program would), until at
   least `--min-questions` are answered, sampling the server's RSS every `--every` questions.
It prints a summary and writes it as JSON (default benchmarks/results/loadtest.json): answers,
errors, p50/p95 latency, throughput and its share of the CPU bound, RSS start/peak/end and
the samples. Numbers vary with the machine; they are not pass/fail (tests/test_load.py runs a
short version that checks answers only).

    .venv/bin/python benchmarks/loadtest.py [--clients 20] [--seconds 30] [--rounds 2]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

REPO = Path(__file__).resolve().parent.parent
OFF_TOPIC = ["What is the capital of Australia?", "How do I bake sourdough bread?"]


def questions() -> Iterator[str]:
    """Endless questions: the eval set and off-topic ones, each repeat made unique (a number),
    so nothing keyed by the question text can be answered from a cache."""
    rows = (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    base = [json.loads(r)["question"] for r in rows if r.strip()] + OFF_TOPIC
    n = 0
    while True:
        q = base[n % len(base)]
        yield q if n < len(base) else f"{q.rstrip('?')} (#{n})?"
        n += 1


def answer_problems(answer: Any) -> list[str]:
    """What is wrong with an `/ask` result (the JSON of `rag ask --json`); [] if well formed:
    a non-empty answer, an abstention without citations, or `[n]` markers matching citations."""
    if not isinstance(answer, dict) or not isinstance(answer.get("answer"), str):
        return [f"not an answer object: {str(answer)[:200]}"]
    problems = [] if answer["answer"].strip() else ["empty answer text"]
    citations = answer.get("citations")
    if not isinstance(answer.get("abstained"), bool) or not isinstance(citations, list):
        return problems + ["abstained/citations missing"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    if answer["abstained"] and citations:
        problems.append("an abstention with citations")
    if not answer["abstained"] and markers != {c.get("n") for c in citations}:
        problems.append(f"markers {sorted(markers)} do not match the citations")
    problems += [f"citation {c.get('n')} is not quoted" for c in citations
                 if not isinstance(c.get("quote"), str) or c["quote"] not in answer["answer"]]
    return problems


async def ask(http: httpx.AsyncClient, url: str, question: str, history: str = "[]",
              settings: str = "{}") -> tuple[str, Any]:
    """One `/ask` call over Gradio's HTTP API: ("complete", answer) or ("error", message)."""
    base = f"{url.rstrip('/')}/gradio_api/call/ask"
    body = json.dumps({"data": [question, history, settings]})  # ASCII: any text, lone surrogates too
    posted = await http.post(base, content=body, headers={"content-type": "application/json"})
    posted.raise_for_status()
    event, data = "", None
    async with http.stream("GET", f"{base}/{posted.json()['event_id']}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line[5:])
                return event, (data[0] if event == "complete" and isinstance(data, list) else data)
    return "error", f"stream ended after event {event!r}"


@dataclass
class Tally:
    """What the clients got back."""

    latencies: list[float] = field(default_factory=list)
    answers: int = 0
    abstentions: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.answers + len(self.errors)


async def _client(http: httpx.AsyncClient, url: str, source: Iterator[str], tally: Tally,
                  stop: Callable[[], bool], after_each: Callable[[], None]) -> None:
    while not stop():
        question = next(source)
        start = time.perf_counter()
        try:
            event, data = await ask(http, url, question)
        except (httpx.HTTPError, ValueError, KeyError) as error:
            event, data = "error", f"{type(error).__name__}: {error}"
        tally.latencies.append(time.perf_counter() - start)
        problems = answer_problems(data) if event == "complete" else [f"error: {data}"]
        if problems:
            tally.errors.append(f"{question[:60]!r}: {'; '.join(problems)}")
        else:
            tally.answers += 1
            tally.abstentions += bool(data["abstained"])
        after_each()


def run_clients(url: str, *, clients: int, seconds: float = 1e9, count: int | None = None,
                source: Iterator[str] | None = None,
                after_each: Callable[[Tally], None] = lambda tally: None) -> Tally:
    """`clients` concurrent clients asking for `seconds`, or until `count` questions were
    asked (each client finishes the question it is on)."""
    source = source or questions()
    tally = Tally()
    deadline = time.perf_counter() + seconds
    started = [0]

    def stop() -> bool:
        if time.perf_counter() > deadline or (count is not None and started[0] >= count):
            return True
        started[0] += 1
        return False

    async def main() -> None:
        limits = httpx.Limits(max_connections=2 * clients + 4)
        async with httpx.AsyncClient(timeout=120, limits=limits, trust_env=False) as http:
            await asyncio.gather(*(_client(http, url, source, tally, stop, lambda: after_each(tally))
                                   for _ in range(clients)))

    asyncio.run(main())
    return tally


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Server:
    """`python -m rag serve` over the seeds in a temporary folder, on a free loopback port."""

    def __init__(self, work: Path, *, index_dir: Path | None = None, env: dict[str, str] | None = None) -> None:
        from ui.server import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / "server.log"
        index = work / "index"
        if index_dir is not None:
            shutil.copytree(index_dir, index)
        command = [sys.executable, "-m", "rag", "serve", "--port", str(self.port), "--index-dir", str(index),
                   "--source", str(REPO / "seeds"), "--upload-dir", str(work / "uploads"),
                   "--feedback-log", str(work / "feedback.jsonl")]
        env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", **(env or {})}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 300) -> None:
        """Wait until the app answers HTTP; `RuntimeError` with its log if it exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/gradio_api/info", timeout=5, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the server did not start in {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def rss_mb(self) -> float:
        """The server's resident memory now, MB."""
        import psutil

        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def peak_rss_mb(self) -> float:
        """The server's peak resident memory so far (Linux VmHWM), MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def cpu_s(self) -> float:
        """CPU-seconds (user + system) the server has used."""
        import psutil

        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def cores(self) -> int:
        """CPU cores the server may run on."""
        return len(os.sched_getaffinity(self.process.pid))

    def stop(self) -> None:
        """End the server process."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure(server: Server, *, clients: int, seconds: float, rounds: int, min_questions: int,
            every: int, solo: int, say: Callable[[str], None] = print) -> dict[str, Any]:
    """The numbers of one run against a started server (see the module docstring)."""
    source = questions()
    samples: list[tuple[int, float]] = [(0, round(server.rss_mb(), 1))]
    run_clients(server.url, clients=1, count=5, source=source)  # warm-up: first-call work
    cpu0 = server.cpu_s()
    alone = run_clients(server.url, clients=1, count=solo, source=source)
    cpu_per_q = (server.cpu_s() - cpu0) / max(alone.done, 1)
    say(f"alone: {alone.done} questions, {cpu_per_q * 1000:.1f} ms server CPU each, "
        f"p50 {statistics.median(alone.latencies) * 1000:.0f} ms")
    loads: list[Tally] = []
    asked = 0
    wall = server_cpu = client_cpu = busy = 0.0
    while len(loads) < rounds or asked < min_questions:
        def sample(tally: Tally, before: int = asked) -> None:
            if (before + tally.done) // every > samples[-1][0] // every:
                samples.append((before + tally.done, round(server.rss_mb(), 1)))

        cpu0, mine0, busy0, t0 = server.cpu_s(), time.process_time(), _busy_cpu_s(), time.perf_counter()
        tally = run_clients(server.url, clients=clients, seconds=seconds, source=source, after_each=sample)
        wall += time.perf_counter() - t0
        server_cpu += server.cpu_s() - cpu0
        client_cpu += time.process_time() - mine0
        busy += _busy_cpu_s() - busy0
        loads.append(tally)
        asked += tally.done
        say(f"round {len(loads)}: {tally.done} questions, {len(tally.errors)} errors, "
            f"RSS {samples[-1][1]:.0f} MB")
    samples.append((asked, round(server.rss_mb(), 1)))
    latencies = [x for t in loads for x in t.latencies]
    errors = [e for t in loads for e in t.errors]
    cores = server.cores()
    throughput = asked / wall
    bound = cores / cpu_per_q
    others = max(0.0, busy - server_cpu - client_cpu) / (wall * cores)  # other programs' share
    return {
        "clients": clients, "rounds": len(loads), "seconds_per_round": seconds, "cores": cores,
        "questions": asked, "answers": sum(t.answers for t in loads),
        "abstentions": sum(t.abstentions for t in loads), "errors": len(errors), "error_examples": errors[:10],
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "throughput_qps": round(throughput, 2),
        "per_round_qps": [round(t.done / seconds, 2) for t in loads],
        "alone_latency_p50_ms": round(statistics.median(alone.latencies) * 1000, 1),
        "server_cpu_s_per_question_alone": round(cpu_per_q, 4),
        "cpu_bound_qps": round(bound, 2), "share_of_cpu_bound": round(throughput / bound, 3),
        "server_cpu_s_per_question_under_load": round(server_cpu / asked, 4),
        "server_cpu_use_under_load": round(server_cpu / (wall * cores), 3),
        "client_cpu_use_under_load": round(client_cpu / (wall * cores), 3),
        "other_programs_cpu_use_under_load": round(others, 3),
        "share_of_cpu_bound_left_by_others": round(throughput / (bound * max(1e-9, 1 - others)), 3),
        # the 20 clients run on the same cores; on a separate machine their CPU would be the server's
        "share_of_cpu_bound_left_by_clients_and_others": round(
            throughput / (bound * max(1e-9, 1 - others - client_cpu / (wall * cores))), 3),
        "rss_start_mb": samples[0][1], "rss_end_mb": samples[-1][1],
        "rss_peak_mb": round(server.peak_rss_mb(), 1),
        "rss_growth_second_half_mb": round(samples[-1][1] - _rss_at(samples, asked // 2), 1),
        "rss_samples": samples,
    }


def _busy_cpu_s() -> float:
    """CPU-seconds all programs of the machine have used (everything but idle and I/O wait)."""
    import psutil

    times = psutil.cpu_times()
    # guest time is already counted in user time
    return (sum(times) - times.idle - getattr(times, "iowait", 0.0) - getattr(times, "guest", 0.0)
            - getattr(times, "guest_nice", 0.0))


def _rss_at(samples: list[tuple[int, float]], n: int) -> float:
    return next(mb for done, mb in samples if done >= n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of a round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--min-questions", type=int, default=2000,
                        help="more rounds until this many were asked (for the memory check)")
    parser.add_argument("--every", type=int, default=100, help="sample the server's RSS every N questions")
    parser.add_argument("--solo", type=int, default=40, help="questions asked alone, for the CPU cost")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "loadtest.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        server = Server(Path(tmp))
        try:
            server.wait_ready()
            result = measure(server, clients=args.clients, seconds=args.seconds, rounds=args.rounds,
                             min_questions=args.min_questions, every=args.every, solo=args.solo)
        finally:
            server.stop()
    result["machine"] = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, value in result.items():
        if key not in ("rss_samples", "error_examples"):
            print(f"{key:>40}: {value}")
    print(f"saved {args.out}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
