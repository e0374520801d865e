"""Benchmark: ``--llm-monitor`` scoring generated production logs with 3 rules.

For each size, logs in the real formats (tests/monitor_support.py: OTLP JSON lines with
LLM and tool spans, litellm payloads, Langfuse observations) are written, then scored in
a fresh process (time and peak RSS), next to a baseline process that only parses every
line with ``json.loads`` (the least any JSON-lines reader can do). Targets: 100,000 spans
under 10 s and 300 MB. Prints figures; asserts nothing.

Run: ``python bench/monitor.py [SPANS ...]`` (default 10000 100000).
"""

from __future__ import annotations

import json
import resource
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

    started = time.perf_counter()
    monitors = load_monitors(folder / "monitors.yaml")
    run = monitor([folder / "logs"], monitors, 1.0, 86400.0)
    evaluate(run.windows.summaries(), monitors.config.alerts)
    return {"seconds": time.perf_counter() - started, "spans": run.spans_read}


def _parse_only(folder: Path) -> dict:
    started, spans = time.perf_counter(), 0
    for path in sorted((folder / "logs").iterdir()):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                json.loads(line)
                spans += 1
    return {"seconds": time.perf_counter() - started, "spans": spans}


def _child(kind: str, folder: Path) -> None:
    figures = (_score if kind == "score" else _parse_only)(folder)
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


def _generate(folder: Path, spans: int) -> float:
    from monitor_support import DAYS, MONITORS_YAML, write_logs

    (folder / "monitors.yaml").write_text(MONITORS_YAML)
    write_logs(folder / "logs", None, per_day=max(1, spans // (4 * DAYS)))
    return sum(p.stat().st_size for p in (folder / "logs").iterdir()) / 1_048_576


def main(sizes: list[int]) -> None:
    print(f"{'spans':>9} {'MB of logs':>10} {'score s':>8} {'parse s':>8} {'x parse':>8} "
          f"{'peak MB':>8} {'parse MB':>9}")  # fmt: skip
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            megabytes = _generate(folder, size)
            score, parse = _run("score", folder), _run("parse", folder)
            print(
                f"{score['spans']:>9,} {megabytes:>10.0f} {score['seconds']:>8.2f} "
                f"{parse['seconds']:>8.2f} {score['seconds'] / parse['seconds']:>8.1f} "
                f"{score['peak_mb']:>8.0f} {parse['peak_mb']:>9.0f}"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], Path(sys.argv[3]))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
