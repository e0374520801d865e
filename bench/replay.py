"""Benchmark: ``pytest --llm-regressions`` live replay against its physical limit.

Measured in one run, whole process (interpreter start, imports, collection, calls,
report), against the loopback stub server (``tests/stub_support.py``) with a fixed latency:

- physical limit: ``ceil(N / C) * latency``;
- plain:  a script doing ``litellm.acompletion`` + ``asyncio.gather`` under a semaphore;
- ours:   ``pytest --llm-regressions`` on N generated case files.

Then, at zero latency, how many calls per second each drives (CPU is the ceiling on a
small machine), and the peak memory (max RSS) of our run.

Default is small enough for about a minute. The issue's full-size workload::

    python bench/replay.py -n 1000 --latency 0.3 --concurrency 32,64 --repeats 3
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "openai/gpt-4o-mini-2024-07-18"

PLAIN_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys, time
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    N, C, URL = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

    async def main():
        gate = asyncio.Semaphore(C)

        async def one(i):
            async with gate:
                return await litellm.acompletion(
                    model="MODEL_NAME", api_base=URL, num_retries=2,
                    messages=[{"role": "user", "content": f"question {i}"}],
                )

        started, cpu = time.perf_counter(), time.process_time()
        answers = await asyncio.gather(*(one(i) for i in range(N)))
        wall = time.perf_counter() - started
        assert all(a.choices[0].message.content == "ok" for a in answers)
        print(f"CALLS {N / wall:.1f} {1000 * (time.process_time() - cpu) / N:.2f}")

    asyncio.run(main())
    """
).replace("MODEL_NAME", MODEL)

ENGINE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from llm_regressions.replay.engine import CallPolicy, Engine
    from llm_regressions.replay.request import ProviderRequest
    from llm_regressions.replay import client

    N, C, URL = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    client.litellm()
    engine = Engine(CallPolicy(concurrency=C, api_base=URL, retries=2))
    requests = [
        ProviderRequest(model="MODEL_NAME", messages=[{"role": "user", "content": f"question {i}"}])
        for i in range(N)
    ]
    engine.submit(requests[:1])[0].result()  # warm the connection pool, as plain does
    started, cpu = time.perf_counter(), time.process_time()
    results = [f.result() for f in engine.submit(requests[1:])]
    wall = time.perf_counter() - started
    assert all(r.output == "ok" for r in results)
    print(f"CALLS {(N - 1) / wall:.1f} {1000 * (time.process_time() - cpu) / (N - 1):.2f}")
    engine.close()
    """
).replace("MODEL_NAME", MODEL)

CASE = """\
version: 1
id: case-{n:05d}
label: bench_case
status: fixed
model:
  name: {model}
request:
  messages:
    - {{role: user, content: "question {n}"}}
checks:
  - equals: "ok"
"""


class Stub:
    """The loopback stub server as its own process (so it does not share our GIL)."""

    def __init__(self, latency: float, *extra: str) -> None:
        stub = str(ROOT / "tests" / "stub_support.py")
        self.process = subprocess.Popen(
            [sys.executable, stub, "--latency", str(latency), *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        port = int(self.process.stdout.readline().split()[-1])
        self.url = f"http://127.0.0.1:{port}/v1"

    def close(self) -> dict[str, float]:
        """Stop the stub; what it served: ``served``, ``throttled`` (429s) and ``span``
        (seconds from the first request in to the last answer out)."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=10)
        words = (out or "").split()
        return {k: float(v) for k, v in zip(words[::2], words[1::2], strict=False)}


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=child_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"benchmark command failed: {command}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return wall, done.stdout


def write_cases(folder: Path, n: int) -> None:
    cases = folder / "regressions"
    cases.mkdir(parents=True)
    for i in range(n):
        (cases / f"case-{i:05d}.yaml").write_text(CASE.format(n=i, model=MODEL))


def ours(folder: Path, url: str, c: int) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "--llm-regressions", f"--llm-api-base={url}",
        f"--llm-concurrency={c}", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
    ]  # fmt: skip


def median_wall(command: list[str], cwd: Path, repeats: int) -> float:
    return statistics.median(timed(command, cwd)[0] for _ in range(repeats))


def calls_per_second(script: str, n: int, c: int, url: str, cwd: Path) -> tuple[float, float]:
    _, out = timed([sys.executable, "-c", script, str(n), str(c), url], cwd)
    _, rate, cpu_ms = next(line for line in out.splitlines() if line.startswith("CALLS")).split()
    return float(rate), float(cpu_ms)


def peak_rss_mb(command: list[str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    timed(command, cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="cases / calls (default 300)")
    parser.add_argument("--latency", type=float, default=0.3, help="stub latency, seconds")
    parser.add_argument("--concurrency", default="32,64", help="comma-separated C values")
    parser.add_argument("--repeats", type=int, default=1, help="runs per figure (median)")
    parser.add_argument("--rate-n", type=int, default=1000, help="calls for the calls/s test")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    with tempfile.TemporaryDirectory(prefix="llm-bench-") as tmp:
        folder = Path(tmp)
        write_cases(folder, args.n)
        stub = Stub(args.latency)
        try:
            print(
                f"N={args.n} latency={args.latency}s, whole-process wall, median of {args.repeats}"
            )
            print(f"{'C':>4} {'limit':>8} {'plain':>8} {'ours':>8} {'plain/limit':>12} "
                  f"{'ours/limit':>11} {'ours/plain':>11}")  # fmt: skip
            for c in levels:
                limit = math.ceil(args.n / c) * args.latency
                plain = median_wall(
                    [sys.executable, "-c", PLAIN_SCRIPT, str(args.n), str(c), stub.url],
                    folder,
                    args.repeats,
                )
                mine = median_wall(ours(folder, stub.url, c), folder, args.repeats)
                print(f"{c:>4} {limit:>7.1f}s {plain:>7.1f}s {mine:>7.1f}s {plain / limit:>11.2f}x "
                      f"{mine / limit:>10.2f}x {mine / plain:>10.2f}x")  # fmt: skip
            rss = peak_rss_mb(ours(folder, stub.url, levels[-1]), folder)
            print(f"peak RSS of ours (N={args.n}, C={levels[-1]}): {rss:.0f} MB")
        finally:
            stub.close()

        fast = Stub(0.0)
        try:
            c = levels[-1]
            print(f"\nzero latency, {args.rate_n} calls, C={c}: calls/s (CPU ms per call)")
            for name, script in (("plain litellm", PLAIN_SCRIPT), ("our engine", ENGINE_SCRIPT)):
                rate, cpu = calls_per_second(script, args.rate_n, c, fast.url, folder)
                print(f"  {name:<14} {rate:>8.0f} calls/s  ({cpu:.2f} ms CPU/call)")
        finally:
            fast.close()


if __name__ == "__main__":
    main()
