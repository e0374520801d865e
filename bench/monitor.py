"""Benchmark: ``--llm-monitor`` scoring generated production logs with 3 rules.

For each size, logs in the real formats (tests/monitor_support.py: OTLP JSON lines with
LLM and tool spans, litellm payloads, Langfuse observations) are written, then scored in
a fresh process (time and peak RSS), next to baseline processes that only parse every
line in one process: with ``json.loads`` (``parse s``, the standard library) and with the
parser the readers use (``fast parse s``: msgspec where installed, see
llm_regressions/jsontext.py), the least any JSON-lines reader can do. Targets:
100,000 spans under 10 s and 300 MB. Prints figures (``x parse``: wall time over the
``json.loads`` baseline's; ``x fast``: over the fast parse's; ``cpu x``: CPU time of
every process over the ``json.loads`` baseline's, steadier on a shared machine;
``us/span``: wall time per span, flat when time grows linearly) and asserts nothing.
From 32 MB of input the monitor reads in one worker process per core (``workers``);
``peak MB`` is then the parent's peak plus each worker's (an upper bound: pages a forked
worker shares with the parent count twice).

The records are copies of real exports (about 4.8 KB a span). ``--compact`` writes the
same records without their optional bulk (litellm's price-map copy and null metadata, the
OTel attributes Langfuse copies into an observation: about 2.8 KB a span), clearly
labelled; it is the cheaper way to a 1,000,000-span figure (2.8 GB instead of 4.8 GB).

``--repeat N`` measures each size N times in rounds (score, then both baselines), one row
a round, then the best of the rounds: on a shared machine the least disturbed figure,
with the median beside it.

Run: ``python bench/monitor.py [--compact] [--repeat N] [SPANS ...]`` (default: 10000
100000 1000000; one round).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def _score(folder: Path) -> dict:
    from llm_regressions.monitor.alerts import evaluate
    from llm_regressions.monitor.load import load_monitors
    from llm_regressions.monitor.run import monitor

    started, cpu = time.perf_counter(), time.process_time()
    monitors = load_monitors(folder / "monitors.yaml")
    run = monitor([folder / "logs"], monitors, 1.0, 86400.0)
    evaluate(run.windows.summaries(), monitors.config.alerts)
    figures = _figures(started, cpu, run.spans_read)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures["cpu"] += workers.ru_utime + workers.ru_stime
    figures["workers"] = run.workers
    figures["worker_mb"] = workers.ru_maxrss / 1024 * run.workers if run.workers > 1 else 0
    return figures


def _figures(started: float, cpu: float, spans: int) -> dict:
    """Wall and CPU seconds: on a shared machine the CPU time is the steadier figure."""
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "spans": spans,
    }


def _parse_only(folder: Path, loads) -> dict:
    started, cpu, spans = time.perf_counter(), time.process_time(), 0
    for path in sorted((folder / "logs").iterdir()):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                loads(line)
                spans += 1
    return _figures(started, cpu, spans)


def _child(kind: str, folder: Path) -> None:
    if kind == "score":
        figures = _score(folder)
    else:
        from llm_regressions import jsontext

        figures = _parse_only(folder, jsontext.loads if kind == "fast" else json.loads)
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def _run(kind: str, folder: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(folder)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _generate(folder: Path, spans: int, compact: bool) -> float:
    from monitor_support import DAYS, MONITORS_YAML, write_logs

    (folder / "monitors.yaml").write_text(MONITORS_YAML)
    write_logs(folder / "logs", None, per_day=max(1, spans // (4 * DAYS)), compact=compact)
    return sum(p.stat().st_size for p in (folder / "logs").iterdir()) / 1_048_576


def main(runs: list[tuple[int, bool]], repeat: int = 1) -> None:
    print(f"{'spans':>9} {'KB/span':>7} {'MB of logs':>10} {'score s':>8} {'parse s':>8} "
          f"{'fast parse s':>12} {'x parse':>8} {'x fast':>6} {'cpu x':>6} {'us/span':>8} "
          f"{'workers':>7} {'peak MB':>8} {'parse MB':>9}")  # fmt: skip
    for size, compact in runs:
        scores = []
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            megabytes = _generate(folder, size, compact)
            for _ in range(repeat):
                score, parse, fast = (_run(kind, folder) for kind in ("score", "parse", "fast"))
                _row(megabytes, score, parse, fast, compact)
                scores.append(score["seconds"])
        if repeat > 1:
            print(f"{'':>9} best of {repeat}: {min(scores):.2f} s, median "
                  f"{statistics.median(scores):.2f} s", flush=True)  # fmt: skip


def _row(megabytes: float, score: dict, parse: dict, fast: dict, compact: bool) -> None:
    kilobytes = megabytes * 1024 / score["spans"]
    print(
        f"{score['spans']:>9,} {kilobytes:>7.1f} {megabytes:>10.0f} "
        f"{score['seconds']:>8.2f} {parse['seconds']:>8.2f} {fast['seconds']:>12.2f} "
        f"{score['seconds'] / parse['seconds']:>8.1f} "
        f"{score['seconds'] / fast['seconds']:>6.1f} "
        f"{score['cpu'] / parse['cpu']:>6.1f} {score['seconds'] / score['spans'] * 1e6:>8.0f} "
        f"{score['workers']:>7} {score['peak_mb'] + score['worker_mb']:>8.0f} "
        f"{parse['peak_mb']:>9.0f}" + ("  compact records" if compact else ""),
        flush=True,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], Path(sys.argv[3]))
    else:
        parser = argparse.ArgumentParser(description="--llm-monitor on generated logs")
        parser.add_argument("--compact", action="store_true", help="records without bulk")
        parser.add_argument("--repeat", type=int, default=1, help="rounds per size")
        parser.add_argument("spans", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
        args = parser.parse_args()
        main([(size, args.compact) for size in args.spans], max(1, args.repeat))
