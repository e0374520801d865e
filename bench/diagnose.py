"""--llm-diagnose at the engine's full concurrency (issue 11 target).

100 failing cases, each with a system message, a few-shot example, a retrieved document
and an unused tool (4 variants), diagnosed with 5 reruns and 3 runs per variant, run
through a real pytest session against the loopback stub answering every call after a
fixed latency. The physical limit of the calls is ``calls x latency / concurrency``:
the diagnosis cannot end sooner. The stub's serving span (first request in, last
answer out) is compared with it, and the whole session's wall time is printed beside.

    python bench/diagnose.py                       # 100 cases, latency 300 ms, concurrency 32
    python bench/diagnose.py --cases 200 --latency 0.1 --concurrency 64

The same number of plain replay calls (``--llm-repeat=18``, no diagnosis) runs first, in
the same stub: on a small shared machine the client's own CPU time per call, not the
scheduling, is what keeps both from the physical limit; the second ratio isolates what
diagnosis adds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from session_support import Reply, StubServer, session

from prompt_support import prompt_case  # after session_support: it puts tests/ on the path

#: Reruns and runs per variant (the flags' defaults).
RERUNS, VARIANT_RUNS, VARIANTS = 5, 3, 4


def case_yaml(case_id: str) -> str:
    """A failing case whose request holds all four elements a variant removes."""
    doc = f"Policy v1 for {case_id}: returns within 30 days."
    messages = [
        {"role": "system", "content": "You are a support bot."},
        {"role": "user", "content": "Example: can I return shoes?"},
        {"role": "assistant", "content": "Yes, within the return window."},
        {"role": "user", "content": f"Context: {doc}\nQ {case_id}: refund window?"},
    ]
    tools = [{"type": "function", "function": {"name": "escalate", "parameters": {}}}]
    request = {"messages": messages, "tools": tools}
    return prompt_case(case_id, request=request, context={"retrieval": [{"content": doc}]})


def write_cases(folder: Path, count: int) -> None:
    folder.mkdir()
    for case_id in (f"case-{i:04d}" for i in range(count)):
        (folder / f"{case_id}.yaml").write_text(case_yaml(case_id))


def run(folder: Path, stub: StubServer, flags: list[str]) -> tuple[dict, str, float, float]:
    """One session: (report, stdout, wall seconds, seconds from first call to last answer)."""
    stub.first_at, stub.answered = None, 0
    report, out, wall = session(folder, stub, flags)
    return report, out, wall, stub.last_at - (stub.first_at or stub.last_at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("cases", 100), ("latency", 0.3), ("concurrency", 32)):
        parser.add_argument(f"--{flag}", type=type(default), default=default)
    args = parser.parse_args()
    per_case = 1 + RERUNS + VARIANTS * VARIANT_RUNS
    calls = args.cases * per_case
    stub = StubServer(latency=args.latency, record=False).start()
    stub.script("refund window", Reply("30 days"))
    concurrency = f"--llm-concurrency={args.concurrency}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_cases(folder / "regressions", args.cases)
            # the same number of plain replay calls, no diagnosis: what the engine does
            _, _, base_wall, base_span = run(
                folder, stub, [concurrency, f"--llm-repeat={per_case}"]
            )
            base_answered = stub.answered
            report, out, wall, span = run(folder, stub, ["--llm-diagnose", concurrency])
    finally:
        stub.stop()
    cases = report.get("cases", [])
    diagnosed = [c for c in cases if (c.get("diagnosis") or {}).get("applicable")]
    limit = calls * args.latency / args.concurrency
    print(
        f"{args.cases} failing cases, {len(diagnosed)} diagnosed; {stub.answered} calls "
        f"(expected {calls}: 1 verdict + {RERUNS} reruns + {VARIANTS} variants x {VARIANT_RUNS})"
    )
    print(
        f"latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}, "
        f"most in flight at once {stub.max_in_flight}; physical limit {limit:.2f} s"
    )
    print(f"diagnosis run: calls took {span:.2f} s (session {wall:.2f} s)")
    print(
        f"plain replay of {base_answered} calls (--llm-repeat={per_case}, no diagnosis): "
        f"{base_span:.2f} s (session {base_wall:.2f} s)"
    )
    print(f"ratio physical limit / diagnosis span: {limit / span:.2f} (1.00 = the limit)")
    print(f"ratio plain replay span / diagnosis span: {base_span / span:.2f} (1.00 = no slower)")
    ok = len(diagnosed) == args.cases and stub.answered == calls
    if not ok:
        print(out[-3000:])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
