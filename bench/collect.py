"""Collection and recorded-replay cost of N case files, against pytest's own floor.

Prints, measured in the same run (whole pytest processes, median of --repeats):
  floor      pytest running N trivial parametrized tests
  py-files   pytest --collect-only on N trivial test files (the collection baseline)
  collect    pytest --llm-regressions --collect-only on N case files
  recorded   pytest --llm-regressions --llm-replay recorded on N case files
Targets (issue 2): recorded <= 2x floor; collect <= 2x py-files.

    python bench/collect.py            # N=10000, 3 repeats
    python bench/collect.py --n 2000   # quicker
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASE = """\
version: 1
id: case-{i:05d}
label: stale_policy_retrieval
golden: {golden}
tags: [rag, bench]
model:
  name: openai/gpt-4o-mini-2024-07-18
  params: {{temperature: 0, max_tokens: 200}}
request:
  messages:
    - role: system
      content: |
        You are the support assistant. Answer only from the policy excerpts.
    - {{role: user, content: "Can I return order {i} after 3 weeks?"}}
observed:
  output: "Yes, you have 30 days to return it."
  finish_reason: stop
  usage: {{prompt_tokens: 812, completion_tokens: 14}}
  latency_ms: 1840
expected:
  output: "Orders can be returned within 14 days of delivery."
checks:
  - not_contains: "30 days"
  - contains: "14 days"
  - regex: "\\\\b14 days\\\\b"
  - max_chars: 400
"""


def generate(root: Path, n: int) -> None:
    cases = root / "cases" / "regressions"
    files = root / "pyfiles"
    floor = root / "floor"
    for folder in (cases, files, floor):
        folder.mkdir(parents=True)
    for i in range(n):
        sub = cases / f"group{i // 500:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"case-{i:05d}.yaml").write_text(CASE.format(i=i, golden=str(i % 2 == 0).lower()))
        pysub = files / f"group{i // 500:03d}"
        pysub.mkdir(exist_ok=True)
        (pysub / f"test_{i:05d}.py").write_text("def test_it():\n    pass\n")
    (floor / "test_floor.py").write_text(
        f"import pytest\n\n@pytest.mark.parametrize('i', range({n}))\ndef test_it(i):\n    pass\n"
    )
    for folder in (cases.parent, files, floor):
        (folder / "pytest.ini").write_text("[pytest]\n")


def timed(args: list[str], cwd: Path, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
        )
        samples.append(time.perf_counter() - start)
        if done.returncode not in (0,):
            print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"pytest {' '.join(args)} exited {done.returncode}")
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of cases (default 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="llmreg-bench-"))
    try:
        generate(root, args.n)
        floor = timed([], root / "floor", args.repeats)
        pyfiles = timed(["--collect-only"], root / "pyfiles", args.repeats)
        collect = timed(["--llm-regressions", "--collect-only"], root / "cases", args.repeats)
        recorded = timed(
            ["--llm-regressions", "--llm-replay", "recorded"], root / "cases", args.repeats
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"N = {args.n} cases, median of {args.repeats} whole-process runs")
    print(f"floor     {floor:7.2f} s   pytest running {args.n} trivial parametrized tests")
    print(f"py-files  {pyfiles:7.2f} s   pytest --collect-only on {args.n} trivial test files")
    print(f"collect   {collect:7.2f} s   {collect / pyfiles:5.2f}x py-files (target <= 2x)")
    print(f"recorded  {recorded:7.2f} s   {recorded / floor:5.2f}x floor    (target <= 2x)")


if __name__ == "__main__":
    main()
