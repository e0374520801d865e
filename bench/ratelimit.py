"""Benchmark: a run against a provider's rate limit, ours beside plain litellm.

The loopback stub (``tests/stub_support.py --rpm``) enforces a token bucket and answers
429 with ``retry-after`` / ``retry-after-ms`` and ``x-ratelimit-*`` headers, as OpenAI
does. Measured in one run, whole process, each against a fresh stub:

- ideal:  ``N / limit`` (the bucket's rate; its small burst is the only head start);
- plain:  ``litellm.acompletion`` + ``asyncio.gather`` under a semaphore, with litellm's
  own retries (``num_retries``, which honour ``retry-after``);
- ours:   ``pytest --llm-regressions`` on N generated case files, same ceiling.

Each is timed twice: the whole process (interpreter start, ``import litellm``, which
takes seconds on a busy machine, collection, report), and the calls alone, as the stub
saw them (first request in to last answer out). Target (issue 14): ours within 1.15x of
the ideal with zero cases in error. Default is about a minute and a half; the issue's
workload::

    python bench/ratelimit.py -n 1000 --rpm 600
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
from pathlib import Path

from replay import MODEL, Stub, ours, timed, write_cases

PLAIN_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    N, C, URL, RETRIES = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])

    async def main():
        gate = asyncio.Semaphore(C)

        async def one(i):
            async with gate:
                return await litellm.acompletion(
                    model="MODEL_NAME", api_base=URL, num_retries=RETRIES,
                    messages=[{"role": "user", "content": f"question {i}"}],
                )

        answers = await asyncio.gather(*(one(i) for i in range(N)), return_exceptions=True)
        print("ERRORS", sum(isinstance(a, BaseException) for a in answers))

    asyncio.run(main())
    """
).replace("MODEL_NAME", MODEL)


def against_stub(command: list[str], stub_args: list[str], folder: Path) -> tuple:
    """Run ``command`` (``@STUB@`` replaced) against a fresh stub: wall, stdout, stub stats."""
    stub = Stub(*stub_args)
    try:
        wall, out = timed([part.replace("@STUB@", stub.url) for part in command], folder)
    finally:
        stats = stub.close()
    return wall, out, stats


def plain(n: int, c: int, retries: int, stub_args: list[str], folder: Path) -> tuple:
    command = [sys.executable, "-c", PLAIN_SCRIPT, str(n), str(c), "@STUB@", str(retries)]
    wall, out, stats = against_stub(command, stub_args, folder)
    errors = next(line for line in out.splitlines() if line.startswith("ERRORS")).split()[1]
    return wall, stats, int(errors)


def mine(c: int, retries: int, stub_args: list[str], folder: Path) -> tuple:
    report = folder / "report.json"
    command = [*ours(folder, "@STUB@", c), f"--llm-retries={retries}", f"--llm-report={report}"]
    wall, _, stats = against_stub(command, stub_args, folder)
    return wall, stats, json.loads(report.read_text())


def row(name: str, wall: float, stats: dict, ideal: float, errors: int) -> str:
    span = stats.get("span", float("nan"))
    return (
        f"{name:<22} {wall:>7.1f}s {wall / ideal:>7.2f}x {span:>7.1f}s {span / ideal:>7.2f}x "
        f"{int(stats.get('throttled', -1)):>6} {errors:>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="cases / calls (default 300)")
    parser.add_argument("--rpm", type=float, default=600, help="the stub's requests/minute")
    parser.add_argument("--burst", type=float, default=None, help="bucket size (1 s worth)")
    parser.add_argument("--latency", type=float, default=0.3, help="stub latency, seconds")
    parser.add_argument("--concurrency", type=int, default=32, help="ceiling, both sides")
    parser.add_argument("--retries", type=int, default=2, help="retries, both sides")
    args = parser.parse_args()
    stub_args = [str(args.latency), "--rpm", str(args.rpm)]
    if args.burst is not None:
        stub_args += ["--burst", str(args.burst)]
    ideal = args.n / (args.rpm / 60)

    with tempfile.TemporaryDirectory(prefix="llm-bench-") as tmp:
        folder = Path(tmp)
        write_cases(folder, args.n)
        print(
            f"N={args.n}, limit {args.rpm:g} requests/minute, latency {args.latency}s, "
            f"concurrency {args.concurrency}, retries {args.retries}; whole-process wall"
        )
        plain_wall, plain_stats, plain_errors = plain(
            args.n, args.concurrency, args.retries, stub_args, folder
        )
        our_wall, our_stats, report = mine(args.concurrency, args.retries, stub_args, folder)
    errors = report["aggregates"]["outcomes"]["error"]
    print(f"{'':<22} {'process':>8} {'x ideal':>8} {'calls':>8} {'x ideal':>8} {'429s':>6} "
          f"{'errors':>7}")  # fmt: skip
    print(f"{'ideal (N / limit)':<22} {ideal:>7.1f}s {1:>7.2f}x {ideal:>7.1f}s {1:>7.2f}x")
    print(row("plain litellm+gather", plain_wall, plain_stats, ideal, plain_errors))
    print(row("ours", our_wall, our_stats, ideal, errors))
    print(f"ours: outcomes {report['aggregates']['outcomes']}")
    for entry in report["run"]["rate_limits"]:
        print(
            f"ours: {entry['responses_429']} answers 429, waited {entry['waited_s']:.1f}s, "
            f"settled at concurrency {entry['settled_concurrency']:g} of {entry['ceiling']}"
        )
    met = our_stats.get("span", float("inf")) <= 1.15 * ideal and errors == 0
    print(f"target (calls <= 1.15x ideal, 0 errors): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
