"""Adaptive repeats against a fixed repeat, side by side in one run (issue 13 target:
at least 40% fewer calls, the same verdicts on the clear cases).

A set of live cases, each with a known pass probability (the loopback stub answers a
seeded random pass/fail sequence per case), runs twice through real pytest sessions:

- fixed:    ``--llm-repeat=MAX``                       (every case MAX calls)
- adaptive: ``--llm-repeat=MIN --llm-repeat-max=MAX``  (stop once pass or fail is clear)

Both runs see the same answer sequence per case. "Clear" cases are those whose true
pass probability is at least 0.2 away from the case's ``min_pass_rate``; borderline
ones are listed with both verdicts (adaptive may stop earlier and say less).

    python bench/repeats.py                   # 60 cases, repeat 2..10
    python bench/repeats.py --cases 200 --max 20
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import textwrap
from pathlib import Path

from session_support import Reply, StubServer, session

NEED = 0.8
#: (share of the set, true pass probability)
MIX = ((0.6, 1.0), (0.1, 0.97), (0.15, 0.0), (0.05, 0.3), (0.1, 0.75))

CASE = """\
version: 1
id: {case_id}
label: stale_policy_retrieval
status: fixed
min_pass_rate: {need}
model: {{name: openai/gpt-4o-mini-2024-07-18}}
request:
  messages:
    - {{role: user, content: "{case_id}"}}
checks:
  - contains: "14 days"
"""


def case_set(count: int, seed: int) -> dict[str, list[bool]]:
    """case id -> its answer sequence (True: the answer passes)."""
    rng = random.Random(seed)
    cases: dict[str, list[bool]] = {}
    for share, rate in MIX:
        for _ in range(max(1, round(share * count))):
            case_id = f"case-{len(cases):04d}-p{round(rate * 100):03d}"
            cases[case_id] = [rng.random() < rate for _ in range(200)]
    return cases


def run(folder: Path, stub: StubServer, cases: dict[str, list[bool]], flags: list[str]):
    """One pytest session; returns (calls sent, {case id: decision}, seconds)."""
    for case_id, answers in cases.items():
        stub.script(case_id, *(Reply("14 days" if ok else "30 days") for ok in answers))
    before = len(stub.requests)
    report, _, seconds = session(folder, stub, flags)
    decisions = {c["id"]: c["decision"] for c in report["cases"]}
    return len(stub.requests) - before, decisions, seconds


def true_rate(case_id: str) -> float:
    return int(case_id.rsplit("-p", 1)[1]) / 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--min", type=int, default=2)
    parser.add_argument("--max", type=int, default=10)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    cases = case_set(args.cases, args.seed)
    stub = StubServer(latency=0.02).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "regressions").mkdir()
            for case_id in cases:
                text = CASE.format(case_id=case_id, need=NEED)
                (folder / "regressions" / f"{case_id}.yaml").write_text(textwrap.dedent(text))
            fixed = run(folder, stub, cases, [f"--llm-repeat={args.max}"])
            adaptive = run(
                folder, stub, cases, [f"--llm-repeat={args.min}", f"--llm-repeat-max={args.max}"]
            )
    finally:
        stub.stop()
    summarise(cases, fixed, adaptive, args)


def summarise(cases, fixed, adaptive, args) -> None:
    (fixed_calls, fixed_verdicts, fixed_s), (ad_calls, ad_verdicts, ad_s) = fixed, adaptive
    clear = [c for c in cases if abs(true_rate(c) - NEED) >= 0.2 - 1e-9]
    differ = [c for c in clear if fixed_verdicts[c] != ad_verdicts[c]]
    borderline = [c for c in cases if c not in clear]
    saved = 1 - ad_calls / fixed_calls
    print(f"{len(cases)} cases, min_pass_rate {NEED}, repeat {args.min}..{args.max}")
    print(f"fixed repeat {args.max}: {fixed_calls} calls in {fixed_s:.1f} s")
    print(f"adaptive {args.min}..{args.max}: {ad_calls} calls in {ad_s:.1f} s")
    print(f"calls saved: {saved:.0%} (target >= 40%); ratio adaptive/fixed {1 - saved:.2f}")
    print(f"clear cases ({len(clear)}): verdicts differ on {len(differ)} {differ or ''}")
    for case_id in borderline:
        both = f"fixed {fixed_verdicts[case_id]}, adaptive {ad_verdicts[case_id]}"
        print(f"  borderline {case_id}: {both}")
    ok = saved >= 0.4 and not differ
    print("target met" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
