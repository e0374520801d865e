"""Sharded CI: --llm-shard partitions the cases; merged shard reports get the gate and
exit status of a single run (``python -m llm_regressions report merge`` / ``gate``)."""

from __future__ import annotations

import json

import pytest

from conftest import MINIMAL_CASE
from gate_support import validate
from llm_regressions.__main__ import main
from llm_regressions.settings import Shard

#: recorded mode: a case passes when its checks fail on ``observed``
CATCHES_NOTHING = MINIMAL_CASE.replace(
    '- not_contains: "30 days"', '- contains: "30 days"'
).replace('- contains: "14 days"', "- max_chars: 1000")


def write_set(write_case, failing: set[int], golden: set[int] = frozenset(), count: int = 12):
    for i in range(count):
        text = (CATCHES_NOTHING if i in failing else MINIMAL_CASE).format(
            id=f"case-{i}", label="stale_policy_retrieval"
        )
        if i in golden:
            text = text.replace("label:", "golden: true\nstatus: fixed\nlabel:")
        elif "status:" not in text:
            text = text.replace("label:", "status: fixed\nlabel:")
        write_case(f"case-{i}.yaml", text)


def recorded(pytester, *args: str):
    return pytester.runpytest(
        "--llm-regressions", "--llm-replay=recorded", "-p", "no:cacheprovider", *args
    )


def test_shards_partition_the_cases_stably():
    ids = [f"case-{i}" for i in range(200)]
    shards = [[i for i in ids if Shard(k, 4).holds(i)] for k in range(1, 5)]
    assert sorted(sum(shards, [])) == sorted(ids)
    assert all(30 < len(s) < 70 for s in shards)  # roughly even
    # a hash of the id, the same on every machine and Python run
    assert Shard(3, 4).holds("refund-window-stale-7f3a2c")


@pytest.mark.parametrize("bad", ["0/4", "5/4", "two/4", "1"])
def test_bad_shard_is_a_usage_error(pytester, write_case, bad):
    write_case("a.yaml")
    result = recorded(pytester, f"--llm-shard={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


@pytest.mark.parametrize(("failing", "ret"), [(set(), 0), ({3}, 1)])
def test_merged_shards_gate_like_a_single_run(pytester, write_case, failing, ret):
    write_set(write_case, failing)
    single = recorded(pytester, "--llm-report=all-single.json")
    assert single.ret == ret
    names = []
    for k in (1, 2, 3):
        shard = recorded(pytester, f"--llm-shard={k}/3", f"--llm-report=s{k}.json")
        assert shard.ret in (0, 1, pytest.ExitCode.NO_TESTS_COLLECTED)
        names.append(str(pytester.path / f"s{k}.json"))
    ids = [
        {c["id"] for c in json.loads((pytester.path / f"s{k}.json").read_text())["cases"]}
        for k in (1, 2, 3)
    ]
    assert set.union(*ids) == {f"case-{i}" for i in range(12)}
    assert sum(map(len, ids)) == 12
    merged = pytester.path / "all.json"
    assert main(["report", "merge", *names, "-o", str(merged)]) == 0
    assert main(["gate", str(merged)]) == ret
    one = json.loads((pytester.path / "all-single.json").read_text())
    two = json.loads(merged.read_text())
    validate(two)
    assert [c["id"] for c in one["cases"]] == [c["id"] for c in two["cases"]]
    assert one["aggregates"]["pass_rate"] == two["aggregates"]["pass_rate"]
    assert two["run"]["merged_from"] == 3


@pytest.mark.parametrize(("min_rate", "ret"), [("0.9", 0), ("0.95", 1)])
def test_gate_command_min_pass_rate_and_golden(pytester, write_case, capsys, min_rate, ret):
    pytester.makeini("[pytest]\nllm_regressions_golden_min = 3\n")
    write_set(write_case, failing={5}, golden={0, 1, 2})
    report = str(pytester.path / "r.json")
    single = recorded(pytester, f"--llm-report={report}", f"--llm-min-pass-rate={min_rate}")
    assert single.ret == ret
    assert main(["gate", report, "--min-pass-rate", min_rate]) == ret
    # golden: cases 0-2 pass; the golden set must hold --golden-min cases
    assert main(["gate", report, "--golden", "--golden-min", "3"]) == 0
    assert main(["gate", report, "--golden"]) == 1
    assert "golden set too small: 3 case(s), needs 20 (17 missing" in capsys.readouterr().out
    golden_run = recorded(pytester, "--llm-golden")
    assert golden_run.ret == 0
    golden_run.assert_outcomes(passed=3, deselected=9)


@pytest.mark.parametrize("value", ["oops", "refunds = lots", "refunds = 2"])
def test_gate_command_bad_label_rate_is_an_error_line(pytester, write_case, capsys, value):
    """A mistyped gate option is ``error: ...`` and exit 2, never a traceback."""
    write_set(write_case, failing=set())
    recorded(pytester, "--llm-report=r.json")
    report = str(pytester.path / "r.json")
    assert main(["gate", report, "--label-min-pass-rate", value]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert "--label-min-pass-rate" in err or "refunds" in err


def test_gate_command_baseline_regression(pytester, write_case, capsys):
    write_set(write_case, failing=set())
    recorded(pytester, "--llm-report=base.json")
    write_set(write_case, failing={4})
    recorded(pytester, "--llm-report=now.json")
    assert (
        main(
            [
                "gate",
                str(pytester.path / "now.json"),
                "--baseline",
                str(pytester.path / "base.json"),
                "--markdown",
                str(pytester.path / "g.md"),
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "  case-4: this case does not detect its recorded failure" in out
    assert "[passed in the baseline]" in out and "gate FAILED (1):" in out
    assert "| regression | `case-4` |" in (pytester.path / "g.md").read_text()


def test_shard_run_compares_with_the_same_shard_of_a_full_baseline(pytester, write_case):
    write_set(write_case, failing=set())
    recorded(pytester, "--llm-report=base.json")
    result = recorded(
        pytester, "--llm-shard=2/3", "--llm-baseline=base.json", "--llm-report=s.json"
    )
    assert result.ret == 0
    cmp = json.loads((pytester.path / "s.json").read_text())["gate"]["baseline"]
    assert cmp["buckets"]["removed"] == [] and cmp["buckets"]["new"] == []


def test_merge_refuses_overlapping_reports(pytester, write_case, capsys):
    write_set(write_case, failing=set(), count=2)
    recorded(pytester, "--llm-report=a.json")
    a = str(pytester.path / "a.json")
    assert main(["report", "merge", a, a, "-o", str(pytester.path / "m.json")]) == 2
    assert "shards must partition the cases" in capsys.readouterr().err
    (pytester.path / "x.json").write_text("{}")
    assert main(["gate", str(pytester.path / "x.json")]) == 2


def test_gate_and_merge_refuse_a_broken_report_in_one_line(pytester, write_case, capsys):
    write_set(write_case, failing=set())
    recorded(pytester, "--llm-report=r.json")
    report = json.loads((pytester.path / "r.json").read_text())
    twice = json.loads(json.dumps({**report, "cases": report["cases"] + report["cases"][:1]}))
    report["cases"][3]["runs"][0]["latency_ms"] = "fast"
    (pytester.path / "bad.json").write_text(json.dumps(report))
    (pytester.path / "twice.json").write_text(json.dumps(twice))
    for argv, message in (
        (["gate", "bad.json"], "bad.json: $.cases[3].runs[0].latency_ms: must be number or null"),
        (["report", "merge", "bad.json", "-o", "m.json"], "bad.json: $.cases[3].runs[0]"),
        (["gate", "twice.json"], "twice.json: case case-0 is listed twice"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
    assert not (pytester.path / "m.json").exists()


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        (["1/2"], "incomplete shard set: 2/2 missing; merge every shard's report"),
        (["1/3", "2/3"], "incomplete shard set: 3/3 missing"),
        (["1/2", "1/3"], "shards of different splits (2, 3 parts)"),
        (["1/2", None], "b.json is not a shard report (no --llm-shard): cannot merge"),
    ],
)
def test_merge_refuses_an_incomplete_or_mixed_shard_set(
    pytester, write_case, capsys, shards, message
):
    write_set(write_case, failing=set(), count=6)
    names = []
    for name, shard in zip("abc", shards, strict=False):
        recorded(
            pytester, *([f"--llm-shard={shard}"] if shard else []), f"--llm-report={name}.json"
        )
        names.append(str(pytester.path / f"{name}.json"))
    if shards[-1] is None:  # the unsharded report must not overlap the shard's cases
        report = json.loads((pytester.path / "b.json").read_text())
        report["cases"] = [c for c in report["cases"] if c["id"] == "__none__"]
        (pytester.path / "b.json").write_text(json.dumps(report))
    assert main(["report", "merge", *names, "-o", str(pytester.path / "m.json")]) == 2
    assert message in capsys.readouterr().err
    assert not (pytester.path / "m.json").exists()


def test_merge_refuses_shards_run_in_different_modes(pytester, write_case, capsys):
    write_set(write_case, failing=set(), count=4)
    recorded(pytester, "--llm-shard=1/2", "--llm-report=a.json")
    recorded(pytester, "--llm-shard=2/2", "--llm-model=openai/gpt-4o", "--llm-report=b.json")
    a, b = (str(pytester.path / n) for n in ("a.json", "b.json"))
    assert main(["report", "merge", a, b, "-o", str(pytester.path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert "ran with --llm-model 'openai/gpt-4o' but" in err and "must share" in err
