"""What the summary and reports add for N cases (issue 6 target: under 1 s for 10,000).

Times, on N synthetic case records with three runs each: the controller folding the
records in (finish_record), aggregates, the gate (golden + min pass rate + baseline
compare), the JSON report written atomically, the Markdown and terminal summaries.

    python bench/report.py            # N=10000
    python bench/report.py --n 50000
"""

from __future__ import annotations

import argparse
import copy
import random
import tempfile
import time
from pathlib import Path

from llm_regressions.report import json_report, markdown, terminal  # noqa: E402
from llm_regressions.report.gate import evaluate  # noqa: E402
from llm_regressions.run.record import finish_record  # noqa: E402
from llm_regressions.settings import GateSettings  # noqa: E402


def synthetic(n: int, seed: int = 7) -> list[tuple[dict, str]]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        runs = []
        for r in range(3):
            ok = rng.random() > 0.05
            runs.append(
                {
                    "name": f"run {r + 1}/3",
                    "passed": ok,
                    "checks": [
                        {"check": "contains", "passed": ok, "applicable": True, "reason": "x"},
                        {"check": "json_valid", "passed": True, "applicable": True, "reason": "y"},
                    ],
                    "output_excerpt": "Orders can be returned within 14 days of delivery.",
                    "tool_calls": [],
                    "model": "gpt-4o-mini-2024-07-18",
                    "latency_ms": rng.uniform(200, 3000),
                    "tokens_in": 800,
                    "tokens_out": 40,
                    "cost_usd": 0.00015,
                }
            )
        passed = sum(run["passed"] for run in runs)
        record = {
            "id": f"case-{i:05d}",
            "nodeid": f"regressions/case-{i:05d}.yaml::case-{i:05d}",
            "file": f"regressions/case-{i:05d}.yaml",
            "file_hash": "0123456789abcdef",
            "line": 1,
            "label": f"label_{i % 12}",
            "golden": i % 50 == 0,
            "status": "fixed" if i % 10 else "open",
            "tags": ["rag"],
            "model": "openai/gpt-4o-mini-2024-07-18",
            "prompt": "support-bot@v12",
            "prompt_run": None,
            "target_runs": None,
            "min_pass_rate": 0.66,
            "check_kinds": ["contains", "json_valid"],
            "problem": "",
            "runs": runs,
            "pass_rate": passed / 3,
            "flaky": 0 < passed < 3,
            "cost_usd": 0.00045,
            "drift": None,
            "trouble": None,
        }
        outcome = "passed" if passed >= 2 else "failed"
        if record["status"] == "open":
            outcome = "failed" if passed >= 2 else "xfailed"
        records.append((record, outcome))
    return records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    n = parser.parse_args().n
    raw = synthetic(n)
    baseline = {"cases": [finish_record(copy.deepcopy(r), o, 0.0) for r, o in raw]}
    settings = GateSettings(golden=False, min_pass_rate=0.9, max_p95_increase=0.3)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        records = [finish_record(r, o, 0.01) for r, o in raw]
        gate = evaluate(records, settings, baseline)
        golden = evaluate(records, GateSettings(golden=True), None)
        report = json_report.build(records, {"replay": "live"}, gate.to_dict(), None)
        json_report.write(Path(tmp) / "r.json", report)
        md = markdown.render(report)
        lines = terminal.section(records, report["aggregates"], gate.to_dict(), gate.case_failures)
        elapsed = time.perf_counter() - start
        size = (Path(tmp) / "r.json").stat().st_size
    print(
        f"{n} cases x 3 runs: summary + gates + JSON ({size / 1e6:.1f} MB) + Markdown "
        f"({len(md)} chars) + terminal ({len(lines)} lines) in {elapsed:.3f} s"
        f" (golden gate {'passed' if golden.passed else 'failed'}, target < 1 s for 10,000)"
    )


if __name__ == "__main__":
    main()
