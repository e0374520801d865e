"""The HTML report (``--llm-report-html``, ``python -m llm_regressions report html``):
written by real sessions next to the JSON report, rendered from the JSON report dict,
self-contained, escaped, and tolerant of reports written before issue 13's fields.
The browser half is in test_html_browser.py."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re

import pytest

from gate_support import run, validate, write_cases
from html_support import record, sample_records, sample_report
from llm_regressions.__main__ import main
from llm_regressions.report import baseline, html, html_diff, json_report, text
from stub_support import Reply

XSS = '<script>document.title="pwned";window.pwned=1</script><img src=x onerror="window.pwned=2">'


def _inline(page: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)


def _hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


def test_page_is_self_contained_and_allows_only_its_own_script_and_style():
    page = html.render(sample_report(sample_records(40)))
    scripts, styles = _inline(page, "script"), _inline(page, "style")
    assert len(scripts) == 1 and len(styles) == 1
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1]
    assert policy.startswith("default-src 'none';")
    assert f"script-src '{_hash(scripts[0])}'" in policy
    assert f"style-src '{_hash(styles[0])}'" in policy
    # offline: nothing is fetched (no URL, no external reference, no inline handler)
    for needle in ("http://", "https://", "src=", "url(", "@import"):
        assert needle not in page.replace(policy, ""), needle
    assert not re.search(r"<[^>]*\son\w+\s*=", page)
    assert " style=" not in page  # inline style attributes would be blocked


def test_untrusted_text_is_escaped_everywhere():
    bad = record(0, "failed", __import__("random").Random(1))
    bad["id"] = 'x"><b>id'
    bad["label"] = "l<i>"
    bad["problem"] = XSS
    bad["trace_id"] = XSS
    bad["expected_excerpt"] = XSS
    bad["runs"][0]["output_excerpt"] = XSS
    bad["runs"][1]["output_excerpt"] = "ok " + XSS  # a failed run: shown as a word diff
    bad["runs"][0]["checks"][0]["reason"] = XSS
    bad["runs"][0]["tool_calls"] = [XSS]
    bad["prompt_run"] = {"mode": "current", "rendered": XSS, "changed": True, "diff": XSS}
    bad["target_runs"] = [{"run": 1, "calls": [{"model": XSS, "output": XSS}]}]
    bad["diagnosis"] = {"applicable": False, "attribution": XSS}
    report = sample_report([bad], baseline=False)
    report["gate"]["failures"].append(XSS)
    page = html.render(report)
    assert "<script>document" not in page and "<img" not in page and "<b>id" not in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;" in page
    assert len(_inline(page, "script")) == 1


def test_summary_gate_charts_comparison_and_cases():
    records = sample_records(120)
    report = sample_report(records)
    page = html.render(report)
    agg = report["aggregates"]
    # what the pass rate counts and leaves out, worded as the terminal words it
    assert text.pass_rate_line(agg).removeprefix("pass rate: ") in page
    assert "open not counted" in page
    assert "adaptive repeats</dt><dd>" in page and "calls saved" in page
    assert "gate FAILED" in page and "regression: " in page
    assert page.count("<svg width=") == 3  # by label, by verdict, latency
    cmp = report["gate"]["baseline"]
    assert f"paired test: {cmp['paired']['summary']}" in page
    # every bucket, in the comparison's order, each case with its likely causes
    assert list(html.BUCKETS) == list(baseline.BUCKETS)
    shown = re.findall(r"<tr><td><b>([a-z ]+)</b>", page)
    assert shown == [b.replace("_", " ") for b in baseline.BUCKETS]
    for bucket, ids in cmp["buckets"].items():
        for case_id in ids[: html.MAX_LINKS]:
            why = cmp["causes"].get(case_id)
            link = "" if bucket == "removed" else "</a>"  # removed cases have no row
            assert f"<code>{case_id}</code>{link}" + (f" ({', '.join(why)})" if why else "") in page
    assert '<option value="inconclusive">inconclusive</option>' in page
    assert '<option value="inconclusive">inconclusive</option></select>' not in page  # verdict
    assert page.count('<details id="c-') == len(records)
    # regressions first, then the other failures, then errors, inconclusive, flaky...
    order = re.findall(r'data-verdict="(\w+)" data-golden="\w+" data-bucket="(\w+)"', page)
    assert order[0] == ("failed", "regressed")
    verdicts = [v for v, _ in order]
    firsts = [verdicts.index(v) for v in ("failed", "error", "inconclusive", "flaky", "passed")]
    assert firsts == sorted(firsts)
    # each case's pass rate with its interval; adaptive repeats, decision, trace id
    inconclusive = next(r for r in records if r["verdict"] == "inconclusive")
    low, high = inconclusive["interval"]
    assert f"2/3 runs (67%), 95% interval {low:.0%}–{high:.0%}" in page
    assert "3 used (adaptive, 2 to 3)" in page and "tr-00000000" in page
    assert "inconclusive: too few runs to tell, run more repeats" in page


def test_sample_reports_are_real_reports():
    """The shapes the HTML tests and benchmark use are the published schema's."""
    validate(sample_report(sample_records(120)))


def test_reports_written_before_issue_13_still_render(tmp_path, capsys):
    """A report of an older plugin: no interval, decision, repeat, expected excerpt or
    trace id, a comparison of flat id lists. The loader upgrades it; the page shows its
    buckets and says the paired test was not computed."""
    report = sample_report(sample_records(60))
    regressed = report["gate"]["baseline"]["buckets"]["regressed"]
    for r in report["cases"]:
        for key in ("interval", "decision", "repeat", "pinned", "expected_excerpt", "trace_id"):
            del r[key]
        r["verdict"] = "failed" if r["verdict"] == "inconclusive" else r["verdict"]
    for key in ("not_counted", "inconclusive", "repeats"):
        del report["aggregates"][key]
    del report["run"]["prompt"]
    cmp = report["gate"]["baseline"]  # before buckets: five flat lists of case ids
    for key in ("buckets", "causes", "paired"):
        del cmp[key]
    cmp.update(regressions=regressed, fixed=[], new=[], removed=["gone"], newly_flaky=[])
    json_report.write(tmp_path / "old.json", report)
    assert main(["report", "html", str(tmp_path / "old.json"), "-o", str(tmp_path / "o.html")]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'o.html'} (60 cases)\n"
    page = (tmp_path / "o.html").read_text(encoding="utf-8")
    assert page.count('data-bucket="regressed"') == len(regressed)
    assert "paired test: not computed by the plugin version that wrote this report" in page
    assert "95% interval" not in page and "inconclusive</option>" not in page
    assert "<code>gone</code>" in page


def test_recorded_runs_diff_production_against_the_expected_answer():
    """Recorded mode: the runs are production's answer and the expected one."""
    recorded = copy.deepcopy(sample_records(1)[0])
    recorded["runs"] = [
        {**recorded["runs"][0], "name": "observed", "passed": False, "output_excerpt": "30 days"},
        {**recorded["runs"][0], "name": "expected", "passed": True, "output_excerpt": "14 days"},
    ]
    recorded["pass_rate"] = recorded["interval"] = recorded["expected_excerpt"] = None
    page = html.render(sample_report([recorded], baseline=False))
    assert "<del>14 </del><ins>30 </ins>days" in page


def test_rate_limits_are_in_the_summary():
    report = sample_report(sample_records(5), baseline=False)
    limited = {"model": "openai/gpt-4o-mini", "responses_429": 12, "waited_s": 3.25}
    report["run"]["rate_limits"] = [{**limited, "settled_concurrency": 4.0, "ceiling": 8}]
    page = html.render(report)
    assert (
        "<dt>rate limits</dt><dd>openai/gpt-4o-mini: waited 3.2s, 12 answers 429, "
        "settled at concurrency 4 (ceiling 8)</dd>"
    ) in page


def test_a_merged_report_without_a_gate_says_so():
    report = sample_report(sample_records(5), baseline=False)
    report["gate"] = None
    report["complete"], report["incomplete"] = False, "shard-2.json: interrupted"
    page = html.render(report)
    assert "no gate in this report" in page
    assert "incomplete run (shard-2.json: interrupted): no gate passes on it" in page


def test_word_diff_marks_whole_words_and_escapes():
    diff = html_diff.words("within 14 days of delivery", "within 30 days <b>of</b> delivery")
    # a word carries its trailing space: "of " and "of" differ
    assert (
        diff
        == "within <del>14 </del><ins>30 </ins>days <del>of </del><ins>&lt;b&gt;of&lt;/b&gt; </ins>delivery"
    )
    assert html_diff.words("same", "same") == "same"
    udiff = html_diff.unified("--- a\n+++ b\n@@ -1 +1 @@\n-<old>\n+new\n ctx")
    assert (
        '<span class="rm">-&lt;old&gt;</span>' in udiff and '<span class="add">+new</span>' in udiff
    )
    assert '<span class="head">--- a</span>' in udiff and '<span class="hunk">' in udiff


def test_session_writes_the_html_report_next_to_the_json_one(pytester, write_case, llm_stub):
    """A live run with repeats: the page holds every case and its runs, the terminal
    lists it, and the CLI renders the same page from the JSON report."""
    llm_stub.script("good", Reply("Orders: 14 days."))
    llm_stub.script("bad", Reply("You have 30 days."))
    llm_stub.script("wobbly", Reply("14 days"), Reply("30 days"), Reply("14 days"))
    write_cases(
        write_case,
        ("good", {"golden": True}),
        ("bad", {"label": "tool_misuse"}),
        ("wobbly", {"repeat": 3, "min_pass_rate": 0.6}),
    )
    result, report = run(pytester, llm_stub, "--llm-report-html=out/r.html")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["wrote r.json", "wrote out/r.html"])
    page = (pytester.path / "out" / "r.html").read_text(encoding="utf-8")
    assert page == html.render(report)
    assert page.count('<details id="c-') == 3
    assert 'data-verdict="flaky"' in page and "2/3 runs (67%)" in page
    assert "missing &#x27;14 days&#x27; in output &#x27;You have 30 days.&#x27;" in page
    assert "gpt-4o-mini-2024-07-18" in page and "regressions/bad.yaml:1" in page
    assert "commit " not in page or report["git"]  # git state only when there is one
    assert main(["report", "html", str(pytester.path / "r.json"), "-o", "cli.html"]) == 0
    assert (pytester.path / "cli.html").read_text(encoding="utf-8") == page


def test_a_run_against_its_baseline_shows_buckets_intervals_and_the_paired_test(
    pytester, write_case, llm_stub
):
    """Two real sessions: the second regresses one case and cannot tell on another."""
    llm_stub.script("steady", Reply("14 days"))
    llm_stub.script("turns", Reply("14 days"))
    llm_stub.script("unsure", Reply("14 days"))
    write_cases(
        write_case,
        ("steady", {}),
        ("turns", {}),
        ("unsure", {"repeat": {"min": 2, "max": 2}, "min_pass_rate": 0.75}),
    )
    run(pytester, llm_stub, report="base.json")[0].assert_outcomes(passed=3)
    llm_stub.script("turns", Reply("30 days"))
    llm_stub.script("unsure", Reply("14 days"), Reply("30 days"))
    result, report = run(pytester, llm_stub, "--llm-baseline=base.json", "--llm-report-html=p.html")
    result.assert_outcomes(passed=1, failed=2)
    page = (pytester.path / "p.html").read_text(encoding="utf-8")
    assert page == html.render(report)
    cmp = report["gate"]["baseline"]
    assert cmp["buckets"]["regressed"] == ["turns"] and cmp["buckets"]["inconclusive"] == ["unsure"]
    assert 'id="c-turns" class="case" data-label' in page
    assert 'data-verdict="failed" data-golden="no" data-bucket="regressed"' in page
    assert 'data-verdict="inconclusive" data-golden="no" data-bucket="inconclusive"' in page
    assert "1/2 runs (50%), 95% interval 9%–91%" in page
    assert f"paired test: {html_diff.escape(cmp['paired']['summary'])}" in page
    assert '<option value="inconclusive">inconclusive</option>' in page


def test_recorded_run_writes_the_html_report_alone(pytester, write_case):
    write_case("refund.yaml", id="refund-window")
    result = pytester.runpytest(
        "--llm-regressions", "--llm-replay", "recorded", "--llm-report-html", "r.html"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["wrote r.html"])
    page = (pytester.path / "r.html").read_text(encoding="utf-8")
    assert "refund-window" in page and "replay recorded" in page
    # production's answer fails its checks (the case catches its bug): shown as a word
    # diff against the expected one, which passes
    assert "<del>Orders can be returned within 14 </del><ins>Yes, you have 30 </ins>days" in page
    assert "<pre class=out>Orders can be returned within 14 days of delivery.</pre>" in page


def test_an_unwritable_html_report_fails_the_gate(pytester, write_case):
    write_case("refund.yaml", id="refund-window")
    (pytester.path / "taken").write_text("a file, not a folder")
    result = pytester.runpytest(
        "--llm-regressions", "--llm-replay", "recorded", "--llm-report-html", "taken/r.html"
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*could not write a report:*"])


def test_html_flag_needs_the_master_flag(pytester):
    result = pytester.runpytest("--llm-report-html", "r.html")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--llm-report-html needs --llm-regressions*"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "error: missing.json: cannot read a JSON report"),
        ("{not json", "error: bad.json: cannot read a JSON report"),
        (json.dumps({"format": "other"}), "error: bad.json: not a pytest-llm-regressions report"),
    ],
)
def test_cli_refuses_an_unreadable_report(pytester, capsys, content, message):
    name = "missing.json" if content is None else "bad.json"
    if content is not None:
        (pytester.path / name).write_text(content)
    assert main(["report", "html", name, "-o", "out.html"]) == 2
    assert capsys.readouterr().err.startswith(message)
    assert not (pytester.path / "out.html").exists()
