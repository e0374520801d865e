"""Collection and recorded-replay cost of N case files, against pytest's own floor.

Prints, measured in the same run (whole pytest processes, taken in turn so that a drift
of the machine's speed hits every figure alike; min / median / max of --repeats):
  floor      pytest running N trivial parametrized tests
  py-files   pytest --collect-only on N trivial test files (the collection baseline)
  collect    pytest --llm-regressions --collect-only on N case files
  recorded   pytest --llm-regressions --llm-replay recorded on N case files
  cold       the same, with the store of parsed case files removed first (a first run,
             or a CI job that does not keep the cache folder): every file is parsed
and the ratios run by run (collect / py-files, recorded / floor, cold / floor), of wall
time and of CPU time (user + system: on a shared machine the steadier of the two).
Targets (issues 2 and 14): recorded <= 2x floor; collect <= 2x py-files.

Every process runs as pytest runs on a developer's machine or a CI runner: Python
caches bytecode (and pytest its assertion-rewritten modules, this plugin's among them)
in ``__pycache__``, so after the warm-up round nothing is compiled again. Where
PYTHONDONTWRITEBYTECODE is set (as on the machines this project is built on), the
children run without it; ``--no-bytecode`` keeps it set, so that every process compiles
every module it imports, which costs this plugin (~100 modules) about a second.

The cases are copies of the example set in regressions/ (tool definitions, long system
prompts, ~100 YAML lines each) under new ids, or with ``--shape small`` a 25-line case.

    python bench/collect.py                  # N=10000, 3 repeats, example-shaped cases
    python bench/collect.py --n 2000         # quicker
    python bench/collect.py --shape small    # the short case of issue 2
    python bench/collect.py --no-bytecode    # every process compiles what it imports
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMALL_CASE = """\
version: 1
id: case
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
_ID_LINE = re.compile(r"^id: *(\S+)$", re.MULTILINE)


def case_texts(shape: str, root: Path) -> list[str]:
    """The case files to copy N times round, each with one top-level ``id:`` line."""
    if shape == "small":
        return [SMALL_CASE.format(i=i, golden=str(i % 2 == 0).lower()) for i in range(2)]
    texts = [p.read_text("utf-8") for p in sorted((REPO / "regressions").rglob("*.yaml"))]
    # the example set's template case renders examples/acme_support/prompts/triage.yaml
    shutil.copytree(
        REPO / "examples" / "acme_support" / "prompts",
        root / "examples" / "acme_support" / "prompts",
    )
    return [t for t in texts if len(_ID_LINE.findall(t)) == 1]


def generate(root: Path, n: int, shape: str) -> float:
    """Write the four trees; returns the mean number of lines of a case file."""
    cases = root / "cases" / "regressions"
    files = root / "pyfiles"
    floor = root / "floor"
    for folder in (cases, files, floor):
        folder.mkdir(parents=True)
    texts = case_texts(shape, root / "cases")
    lines = 0
    for i in range(n):
        text = _ID_LINE.sub(rf"id: \1-{i:05d}", texts[i % len(texts)], count=1)
        lines += text.count("\n")
        sub = cases / f"group{i // 500:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"case-{i:05d}.yaml").write_text(text)
        pysub = files / f"group{i // 500:03d}"
        pysub.mkdir(exist_ok=True)
        (pysub / f"test_{i:05d}.py").write_text("def test_it():\n    pass\n")
    (floor / "test_floor.py").write_text(
        f"import pytest\n\n@pytest.mark.parametrize('i', range({n}))\ndef test_it(i):\n    pass\n"
    )
    for folder in (cases.parent, files, floor):
        (folder / "pytest.ini").write_text("[pytest]\n")
    return lines / n


def child_env(bytecode: bool) -> dict[str, str]:
    """The environment of every measured process: with Python's bytecode caches, or
    (``bytecode=False``) without, whatever this process was started with."""
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """One whole pytest process: its wall and CPU (user + system) seconds; it must pass.
    CPU time is what other sessions on a shared machine disturb least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"pytest {' '.join(args)} exited {done.returncode}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu


def spread(values: list[float], unit: str = "") -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:6.2f}{unit} (min {low:.2f}, max {high:.2f})"


COMMANDS = {
    "floor": ([], "floor"),
    "py-files": (["--collect-only"], "pyfiles"),
    "collect": (["--llm-regressions", "--collect-only"], "cases"),
    "recorded": (["--llm-regressions", "--llm-replay", "recorded"], "cases"),
    "cold": (["--llm-regressions", "--llm-replay", "recorded"], "cases"),
}
WHAT = {
    "floor": "pytest running {n} trivial parametrized tests",
    "py-files": "pytest --collect-only on {n} trivial test files",
    "collect": "--llm-regressions --collect-only on {n} case files",
    "recorded": "--llm-regressions --llm-replay recorded on {n} case files",
    "cold": "the same, every case file parsed (no store of parsed files)",
}


def measure(root: Path, repeats: int, bytecode: bool) -> dict[str, list[tuple[float, float]]]:
    """Each command ``repeats`` times, in turn, after one warm-up round."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    env = child_env(bytecode)
    for counted in [False] + [True] * repeats:
        for name, (argv, folder) in COMMANDS.items():
            if name == "cold":
                shutil.rmtree(root / folder / ".llm_regressions_cache", ignore_errors=True)
            figures = timed(argv, root / folder, env)
            if counted:
                runs[name].append(figures)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of cases (default 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure")
    parser.add_argument("--shape", choices=("example", "small"), default="example")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="run every process with PYTHONDONTWRITEBYTECODE=1 (no bytecode caches)",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="llmreg-bench-"))
    try:
        lines = generate(root, args.n, args.shape)
        runs = measure(root, args.repeats, bytecode=not args.no_bytecode)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"N = {args.n} {args.shape} cases ({lines:.0f} YAML lines each on average), "
        f"{args.repeats} whole-process runs each, taken in turn: median (min, max); "
        + ("no bytecode caches" if args.no_bytecode else "bytecode cached after the warm-up")
    )
    for column, kind in enumerate(("wall", "cpu")):
        for name, samples in runs.items():
            figures = [sample[column] for sample in samples]
            print(f"{name:9} {kind:4} {spread(figures, ' s')}   {WHAT[name].format(n=args.n)}")
    for column, kind in enumerate(("wall", "cpu")):
        for name, base in (("collect", "py-files"), ("recorded", "floor"), ("cold", "floor")):
            ratios = [a[column] / b[column] for a, b in zip(runs[name], runs[base], strict=True)]
            print(f"{name + ' / ' + base:19} {kind:4} {spread(ratios, 'x')}   (target <= 2x)")


if __name__ == "__main__":
    main()
