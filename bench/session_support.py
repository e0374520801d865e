"""Shared by the benches that run whole pytest sessions against an in-process stub:
start the loopback stub (``tests/stub_support.py``), run ``pytest --llm-regressions``
in a folder, and read back its JSON report and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from stub_support import Reply, StubServer, tool_call  # noqa: E402

__all__ = ["Reply", "StubServer", "session", "tool_call"]


def session(folder: Path, stub: StubServer, flags: list[str]) -> tuple[dict[str, Any], str, float]:
    """One pytest session on ``folder``'s regressions/ against ``stub``: (the JSON
    report, stdout, seconds)."""
    report = folder / "report.json"
    report.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--llm-regressions"]
        + [f"--llm-api-base={stub.url}", "--llm-retries=0", f"--llm-report={report}", *flags],
        cwd=folder,
        env={**os.environ, "OPENAI_API_KEY": "sk-bench-not-a-real-key"},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    data = json.loads(report.read_text()) if report.exists() else {}
    return data, done.stdout, seconds
