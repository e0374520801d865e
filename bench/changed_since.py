"""Benchmark: ``--llm-changed-since`` on the example set after editing one template:
model calls sent against a run of every case, side by side in one run.

The example set (``regressions/``, with the app and its prompt template in
``examples/``) is copied into a fresh git checkout and committed; then the triage
template gets one more sentence, as a pull request would. Against the loopback stub
(``tests/stub_support.py``), real pytest sessions run:

- all:      ``pytest --llm-regressions``                          (every case)
- changed:  ``pytest --llm-regressions --llm-changed-since HEAD`` (affected + golden)
- changed, no golden set: the same checkout with every ``golden: true`` turned off and
  committed before the edit, to show what the change alone selects.

Calls are counted where they arrive, at the stub. Every case is replayed on one OpenAI
model (``--llm-model``) so the stub can answer the Anthropic-pinned ones too.

    python bench/changed_since.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from stub_support import StubServer  # noqa: E402

TEMPLATE = Path("examples/acme_support/prompts/triage.yaml")
EDIT = ("Escape any double quotes", "Never add a comment. Escape any double quotes")
MODEL = "openai/gpt-4o-mini-2024-07-18"


def git(folder: Path, *args: str) -> None:
    identity = ["-c", "user.email=bench@localhost", "-c", "user.name=bench"]
    subprocess.run(["git", *identity, "-c", "commit.gpgsign=false", *args], cwd=folder, check=True)


def checkout(folder: Path, golden: bool) -> None:
    """The example set and app, committed; then the one template edit, uncommitted."""
    shutil.copytree(ROOT / "regressions", folder / "regressions")
    shutil.copytree(ROOT / "examples", folder / "examples")
    if not golden:
        for case in (folder / "regressions").rglob("*.yaml"):
            case.write_text(case.read_text().replace("golden: true", "golden: false"))
    (folder / ".gitignore").write_text("report.json\n__pycache__/\n")
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "example set")
    template = folder / TEMPLATE
    text = template.read_text()
    assert EDIT[0] in text, "the example template changed: update EDIT"
    template.write_text(text.replace(*EDIT))


def run(folder: Path, stub: StubServer, flags: list[str]) -> tuple[int, dict, float]:
    """One pytest session: (calls the stub received, the JSON report, seconds)."""
    before = len(stub.requests)
    report = folder / "report.json"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--llm-regressions"]
        + [f"--llm-api-base={stub.url}", f"--llm-model={MODEL}", "--llm-retries=0"]
        + [f"--llm-report={report}", *flags],
        cwd=folder,
        env={**os.environ, "OPENAI_API_KEY": "sk-bench-not-a-real-key"},
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    return len(stub.requests) - before, json.loads(report.read_text()), seconds


def reasons(report: dict) -> str:
    kinds = Counter(
        reason.partition(":")[0]
        for case in report["cases"]
        for reason in {r.partition(":")[0] for r in case.get("selected_because") or []}
    )
    return ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())


def main() -> None:
    stub = StubServer(latency=0.02).start()
    rows = []
    try:
        for golden in (True, False):
            with tempfile.TemporaryDirectory(prefix="llm-bench-changed-") as tmp:
                folder = Path(tmp)
                checkout(folder, golden)
                everything = run(folder, stub, [])
                changed = run(folder, stub, ["--llm-changed-since=HEAD"])
                rows.append((golden, everything, changed))
    finally:
        stub.stop()
    print(f"example set, one template edited ({TEMPLATE}); calls counted at the stub")
    for golden, everything, changed in rows:
        print("example set as shipped:" if golden else "same set, no golden case:")
        print(line("all cases", everything))
        print(line("--llm-changed-since", changed) + f"  ({reasons(changed[1])})")
        print(f"  calls sent vs all: {changed[0] / everything[0]:.2f} "
              f"({everything[0] - changed[0]} saved)")  # fmt: skip


def line(title: str, outcome: tuple[int, dict, float]) -> str:
    calls, report, seconds = outcome
    return f"  {title:<20} {calls:>3} calls, {len(report['cases'])} cases, {seconds:.1f} s"


if __name__ == "__main__":
    main()
