"""``--llm-estimate`` against the real spend of the same run (issue 14 target: within
25%), side by side in one run.

Cases shaped like production ones carry recorded token usage (``observed.usage``); the
loopback stub answers each with usage that differs from the recorded one by up to
+-30% (a model never answers twice at the same length), and litellm prices what comes
back. The estimate is printed by ``--llm-estimate`` (nothing sent); the spend is the
live run's total cost in its JSON report.

    python bench/estimate.py              # 200 cases, repeat 2
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
from pathlib import Path

import yaml
from session_support import Reply, StubServer, session

MODEL = "openai/gpt-4o-mini-2024-07-18"


def case(case_id: str, tokens_in: int, tokens_out: int, repeat: int) -> dict:
    return {
        "version": 1,
        "id": case_id,
        "label": "stale_policy_retrieval",
        "status": "fixed",
        "repeat": repeat,
        "model": {"name": MODEL},
        "request": {"messages": [{"role": "user", "content": case_id}]},
        "checks": [{"contains": "14 days"}],
        "observed": {
            "output": "30 days",
            "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    stub = StubServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "regressions").mkdir()
            for i in range(args.cases):
                case_id = f"case-{i:04d}"
                tokens_in, tokens_out = rng.randint(200, 4000), rng.randint(20, 600)
                text = yaml.safe_dump(case(case_id, tokens_in, tokens_out, args.repeat))
                (folder / "regressions" / f"{case_id}.yaml").write_text(text)
                answers = [
                    Reply(
                        "14 days",
                        usage=(
                            round(tokens_in * rng.uniform(0.7, 1.3)),
                            round(tokens_out * rng.uniform(0.7, 1.3)),
                        ),
                    )
                    for _ in range(args.repeat)
                ]
                stub.script(case_id, *answers)
            _, out, _ = session(folder, stub, ["--llm-estimate"])
            sent_before = len(stub.requests)
            report, _, seconds = session(folder, stub, [])
    finally:
        stub.stop()
    found = re.search(r"estimate, nothing sent: (\d+) calls for \d+ case\(s\), \$([\d.]+)", out)
    if not found or sent_before:
        sys.exit(f"the estimate run printed no estimate or sent calls:\n{out}")
    calls, estimate = int(found[1]), float(found[2])
    spent = report["aggregates"]["cost_usd"]["total"]
    ratio = estimate / spent
    print(f"{args.cases} cases x {args.repeat} runs on {MODEL}")
    print(f"estimate: {calls} calls, ${estimate:.6f} (nothing sent)")
    print(f"real run: {len(report['cases'])} cases in {seconds:.1f} s, spent ${spent:.6f}")
    print(f"estimate / spend = {ratio:.3f} (target within 25%: 0.75-1.25)")
    sys.exit(0 if 0.75 <= ratio <= 1.25 else 1)


if __name__ == "__main__":
    main()
