"""Session cases against their ideal: N agent runs of K model calls each, every call
taking L seconds at the stub, replayed live with concurrency N.

A step is queued as soon as the answer before it arrives, so all N runs advance side by
side: the ideal is K x L (the chain of one run), plus pytest's own start-up, measured in
the same run as a session of one single-call case. Stepping one item at a time (what
pytest's order alone would give) would take about L + N x (K - 1) x L.

    python bench/sessions.py                  # 16 runs x 4 steps, 0.3 s a call
    python bench/sessions.py --cases 40 --steps 6 --latency 0.2
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import yaml
from session_support import Reply, StubServer, session, tool_call

LOOKUP = {"order_id": "A-100001"}


def agent(steps: int):
    """Looks the order up until it has ``steps - 1`` results, then answers."""

    def answer(body: dict[str, Any]) -> Reply:
        fed = sum(m.get("role") == "tool" for m in body.get("messages") or [])
        if fed < steps - 1:
            return Reply(None, tool_calls=[tool_call("lookup_order", LOOKUP)])
        return Reply("Order A-100001 is processing.")

    return answer


def case(case_id: str, steps: int) -> str:
    recorded: list[dict[str, Any]] = []
    for i in range(steps - 1):
        call = {"id": f"c{i}", "name": "lookup_order", "arguments": LOOKUP}
        recorded += [
            {"model": {"tool_calls": [call]}},
            {"tool": {"id": f"c{i}", "name": "lookup_order", "result": {"status": "processing"}}},
        ]
    recorded.append({"model": {"output": "Order A-100001 is processing."}})
    data = {
        "version": 1,
        "id": case_id,
        "label": "stuck_tool_loop",
        "status": "fixed",
        "model": {"name": "openai/gpt-4o-mini-2024-07-18"},
        "request": {"messages": [{"role": "user", "content": f"{case_id}: where is A-100001?"}]},
        "session": {"steps": recorded},
        "checks": [{"max_steps": steps}, {"final_answer": {"contains": "processing"}}],
    }
    return yaml.safe_dump(data, sort_keys=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=16, help="session cases (N)")
    parser.add_argument("--steps", type=int, default=4, help="model calls per run (K)")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds a call (L)")
    args = parser.parse_args()
    stub = StubServer(latency=args.latency, record=False).start()
    stub.respond(agent(args.steps))
    with tempfile.TemporaryDirectory() as tmp:
        cases = Path(tmp) / "regressions"
        cases.mkdir(parents=True)
        for i in range(args.cases):
            (cases / f"s{i}.yaml").write_text(case(f"s{i:03d}", args.steps))
        report, out, seconds = session(cases.parent, stub, [f"--llm-concurrency={args.cases}"])
    stub.stop()
    passed = sum(c["verdict"] == "passed" for c in report.get("cases", []))
    if passed != args.cases:
        raise SystemExit(f"only {passed}/{args.cases} cases passed:\n{out}")
    ideal = args.steps * args.latency
    one_by_one = args.latency + args.cases * (args.steps - 1) * args.latency
    spent = stub.last_at - (stub.first_at or stub.last_at)
    print(f"{args.cases} sessions x {args.steps} model calls, {args.latency:.2f} s a call")
    print(f"first request to last answer: {spent:.2f} s (whole pytest run {seconds:.2f} s)")
    print(f"ideal (one run's chain): {ideal:.2f} s -> ratio {spent / ideal:.2f}")
    print(f"one item at a time would be about {one_by_one:.2f} s ({one_by_one / spent:.1f}x)")


if __name__ == "__main__":
    main()
