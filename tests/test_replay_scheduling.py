"""Concurrency without losing pytest's semantics: order, -k, -x, --lf, xdist."""

from __future__ import annotations

import subprocess
import sys
import time

from replay_support import live_case
from stub_support import Fault, Reply


def write_cases(write_case, count: int, prefix: str = "case") -> list[str]:
    names = [f"{prefix}{n:02d}" for n in range(count)]
    for name in names:
        write_case(f"{name}.yaml", live_case(name, f"{name} question"))
    return names


def test_calls_run_concurrently_up_to_the_limit(pytester, write_case, llm_stub):
    llm_stub.latency = 0.3
    llm_stub.script("question", Reply("14 days"))
    write_cases(write_case, 12)
    pytester.runpytest(*llm_stub.args("--llm-concurrency=4")).assert_outcomes(passed=12)
    # four calls were in flight together, never more (how fast that makes a run is a
    # benchmark's claim, bench/replay.py, not a test's: shared machines are noisy)
    assert llm_stub.max_in_flight == 4


def test_ini_sets_the_concurrency(pytester, write_case, llm_stub):
    pytester.makeini("[pytest]\nllm_regressions_concurrency = 2\n")
    llm_stub.latency = 0.1
    write_cases(write_case, 6)
    llm_stub.script("question", Reply("14 days"))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(passed=6)
    assert llm_stub.max_in_flight == 2
    result.stdout.fnmatch_lines(["*replay live, concurrency 2*"])


def test_results_are_reported_in_pytest_order(pytester, write_case, llm_stub):
    # the first case answers last; pytest still reports it first
    llm_stub.script("case00", Reply("14 days", latency=0.4))
    llm_stub.script("question", Reply("14 days", latency=0.0))
    names = write_cases(write_case, 4)
    result = pytester.runpytest(*llm_stub.args("-v"))
    result.assert_outcomes(passed=4)
    reported = [line.split("::")[1].split()[0] for line in result.outlines if " PASSED" in line]
    assert reported == names


def test_first_results_are_reported_while_later_calls_are_in_flight(pytester, write_case, llm_stub):
    llm_stub.script("case00", Reply("14 days", latency=0.0))
    llm_stub.script("case01", Reply("14 days", latency=1.5))
    write_cases(write_case, 2)
    pytester.makeconftest(
        """
        import time

        seen = {}

        def pytest_runtest_logreport(report):
            if report.when == "call":
                seen[report.nodeid.rsplit("::", 1)[-1]] = time.perf_counter()

        def pytest_sessionfinish(session):
            print("REPORTED-GAP", round(seen["case01"] - seen["case00"], 2))
        """
    )
    result = pytester.runpytest(*llm_stub.args("-s"))
    result.assert_outcomes(passed=2)
    gap = float(next(line for line in result.outlines if "REPORTED-GAP" in line).split()[-1])
    assert gap > 1.0  # case00 was reported long before case01's answer arrived


def test_nothing_is_sent_for_deselected_cases(pytester, write_case, llm_stub):
    llm_stub.script("question", Reply("14 days"))
    write_cases(write_case, 5)
    pytester.runpytest(*llm_stub.args("-k", "case01 or case03")).assert_outcomes(passed=2)
    sent = sorted(body["messages"][-1]["content"] for body in llm_stub.received())
    assert sent == ["case01 question", "case03 question"]


def test_nothing_new_is_sent_after_x_stops_the_run(pytester, write_case, llm_stub):
    llm_stub.latency = 0.1
    llm_stub.script("question", Reply("14 days"))
    llm_stub.script("case00", Reply("30 days"))
    write_cases(write_case, 10)
    result = pytester.runpytest(*llm_stub.args("-x", "--llm-concurrency=2"))
    result.assert_outcomes(failed=1)
    time.sleep(0.3)  # anything still queued would have been sent by now
    # the first two calls, plus at most the two that replaced them while case00 was
    # being scored; the other six are never sent
    assert len(llm_stub.received()) <= 2 * 2


def test_last_failed_replays_only_the_failures(pytester, write_case, llm_stub):
    llm_stub.script("question", Reply("14 days"))
    llm_stub.script("case02", Reply("30 days"))
    write_cases(write_case, 4)
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=3, failed=1)
    llm_stub.requests.clear()
    pytester.runpytest(*llm_stub.args("--lf")).assert_outcomes(failed=1)
    assert [b["messages"][-1]["content"] for b in llm_stub.received()] == ["case02 question"]


def test_xdist_workers_replay_their_own_cases_once(pytester, write_case, llm_stub):
    llm_stub.latency = 0.05
    llm_stub.script("question", Reply("14 days"))
    llm_stub.script("broken", Fault("status", 500))
    names = write_cases(write_case, 10)
    write_case("broken.yaml", live_case("broken"))
    result = pytester.runpytest_subprocess(
        *llm_stub.args("-n", "2", "--llm-concurrency=3", "--llm-retries=0")
    )
    result.assert_outcomes(passed=10, errors=1)
    sent = sorted(body["messages"][-1]["content"] for body in llm_stub.received())
    assert sent == sorted([*(f"{name} question" for name in names), "broken"])
    assert llm_stub.max_in_flight > 1  # workers queue ahead, not one call per test
    # the controller writes the summary from the workers' reports
    result.stdout.fnmatch_lines(["1 case could not reach openai: server error"])


def test_plain_pytest_run_does_not_import_litellm(pytester):
    pytester.makepyfile(
        test_plain="""
        import sys

        def test_plain():
            assert "litellm" not in sys.modules
            assert "llm_regressions.replay.engine" not in sys.modules
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_recorded_mode_does_not_import_litellm(pytester, write_case):
    write_case("rec.yaml")
    pytester.makeconftest(
        """
        import sys

        def pytest_sessionfinish(session):
            print("LITELLM IMPORTED:", "litellm" in sys.modules)
        """
    )
    result = pytester.runpytest_subprocess("--llm-regressions", "--llm-replay", "recorded", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*LITELLM IMPORTED: False*"])


def test_live_mode_imports_litellm_while_collecting(pytester, write_case, llm_stub):
    """The import starts in pytest_configure, on a background thread; --collect-only,
    which calls nothing, does not import it at all."""
    write_case("a.yaml")
    pytester.makeconftest(
        """
        import sys
        import threading

        def pytest_collection_finish(session):
            running = "llm-import" in [t.name for t in threading.enumerate()]
            print("IMPORTER RUNNING OR DONE:", running or "litellm" in sys.modules)
        """
    )
    result = pytester.runpytest_subprocess(*llm_stub.args("-s"))
    result.stdout.fnmatch_lines(["*IMPORTER RUNNING OR DONE: True*"])
    result = pytester.runpytest_subprocess("--llm-regressions", "--collect-only", "-s")
    result.stdout.fnmatch_lines(["*IMPORTER RUNNING OR DONE: False*"])


def test_only_the_client_module_imports_litellm():
    import pathlib
    import re

    import llm_regressions

    root = pathlib.Path(llm_regressions.__file__).parent
    imports = re.compile(r"^\s*(import litellm|from litellm\b)", re.MULTILINE)
    importers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if imports.search(path.read_text())
    )
    assert importers == ["replay/client.py"]


def test_stub_server_runs_standalone():
    """The benchmark runs the stub as its own process."""
    process = subprocess.Popen(
        [sys.executable, "tests/stub_support.py", "--latency", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=__file__.rsplit("/tests/", 1)[0],
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on ")
    finally:
        process.kill()
        process.wait()
