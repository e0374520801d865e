"""The HTML report of a --llm-monitor run: written by a real monitor session
(``--llm-report-html``) and by ``python -m llm_regressions report html``, with the
alerts, a chart per metric over its windows and the failing spans with their promote
commands; self-contained, escaped, and clean in a real headless browser."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from browser_support import Browser, require_chromium
from llm_regressions.__main__ import main
from llm_regressions.monitor import report as monitor_report
from llm_regressions.monitor.alerts import evaluate
from llm_regressions.monitor.load import load_monitors
from llm_regressions.monitor.run import monitor
from llm_regressions.monitor.session import _json_report
from llm_regressions.report import html, text
from monitor_support import MONITORS_YAML, write_logs

XSS = '<script>document.title="pwned";window.pwned=1</script><img src=x onerror="window.pwned=2">'


def _report(folder: Path, incident: str | None, logs: bool = True) -> dict[str, Any]:
    """The JSON report a monitor session writes, built in process (1-day windows)."""
    if logs:
        write_logs(folder / "logs", incident)
    rules = folder / "monitors.yaml"
    rules.write_text(MONITORS_YAML, encoding="utf-8")
    monitors = load_monitors(rules)
    run = monitor([folder / "logs"], monitors, 1.0, 86400.0)
    alerts = evaluate(run.windows.summaries(), monitors.config.alerts)
    described = {"paths": ["logs"], "rules_file": str(rules), "sample": 1.0,
                 "window_s": 86400.0, "notes": run.notes}  # fmt: skip
    names = [r.rule.name for r in monitors.rules]
    return _json_report(monitor_report.section(run, alerts, names, described))


def test_a_monitor_session_writes_the_html_report(pytester) -> None:
    write_logs(pytester.path / "logs", "pass_rate")
    pytester.makefile(".yaml", monitors=MONITORS_YAML)
    result = pytester.runpytest(
        "--llm-monitor", "logs", "--llm-monitor-window", "1d",
        "--llm-report", "r.json", "--llm-report-html", "r.html",
    )  # fmt: skip
    result.assert_outcomes(passed=7, failed=1, skipped=1)
    page = (pytester.path / "r.html").read_text(encoding="utf-8")
    assert "<title>LLM monitor FAILED: 1 of 5 alerts fired</title>" in page
    assert re.search(r"<td>eval_pass_rate</td><td class=failed>failed</td><td>eval pass rate "
                     r"88.9% \(80/90\) vs 100.0%", page)  # fmt: skip
    assert "<td>spend_per_tenant</td><td class=passed>passed</td>" in page
    # one chart per metric, one column per window, the newest marked
    assert page.count("<svg class=series") == len(text.WINDOW_METRICS)
    assert page.count('class="col last"') == len(text.WINDOW_METRICS)
    assert "<title>2026-11-08T00:00:00Z: 88.9%</title>" in page
    assert "matched no span: check its match: section" in page
    report = json.loads((pytester.path / "r.json").read_text())
    command = report["monitor"]["failing"][0]["spans"][0]["promote"]
    assert "Failing spans (10)" in page and html.escape(command) in page
    # the report command renders the same page from the JSON report
    assert main(["report", "html", str(pytester.path / "r.json"), "-o", "again.html"]) == 0
    assert Path("again.html").read_text(encoding="utf-8") == page
    # a monitor report written before llm_judge was allowed (no "judge") still renders
    del report["monitor"]["judge"]
    (pytester.path / "old.json").write_text(json.dumps(report), encoding="utf-8")
    assert main(["report", "html", str(pytester.path / "old.json"), "-o", "old.html"]) == 0


def test_the_html_report_needs_a_monitor_or_case_run(pytester) -> None:
    result = pytester.runpytest("--llm-report-html", "r.html")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--llm-report-html needs --llm-regressions or --llm-monitor" in result.stderr.str()


def test_a_quiet_run_passes_and_everything_is_escaped(tmp_path) -> None:
    report = _report(tmp_path, None)
    page = html.render(report)
    assert "LLM monitor passed: no alert fired of 5" in page and "gate pass" in page
    assert "no span failed its rules" in page
    monitor = report["monitor"]
    monitor["alerts"][0]["reason"] = XSS
    monitor["rules"][0]["name"] = XSS
    monitor["windows"][-1]["start"] = XSS
    monitor["paths"] = [XSS]
    monitor["unreadable"] = [{"file": XSS, "where": XSS, "reason": XSS}]
    span = {"file": XSS, "trace_id": XSS, "span_id": XSS, "rule": XSS,
            "failed": [{"check": XSS, "reason": XSS, "yaml": XSS}], "promote": XSS}  # fmt: skip
    monitor["failing"] = [
        {"label": XSS, "checks": [XSS], "size": 1, "rate": 0.5, "excerpt": XSS, "spans": [span]}
    ]
    page = html.render(report)
    assert "<script>document" not in page and "<img" not in page
    assert page.count("&lt;script&gt;document.title=&quot;pwned&quot;") >= 10
    assert len(re.findall("<script>", page)) == 1 and " style=" not in page


def test_no_span_read_is_a_failed_page(tmp_path) -> None:
    report = _report(tmp_path, None, logs=False)
    page = html.render(report)
    assert "LLM monitor FAILED: no span read" in page and "gate fail" in page
    assert "<span class=muted>no data</span>" not in page  # no window, no chart row


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    executable = require_chromium()
    with Browser.start(tmp_path_factory.mktemp("chromium"), executable) as running:
        yield running


def test_the_monitor_page_in_a_browser(browser: Browser, tmp_path) -> None:
    report = _report(tmp_path, "pass_rate")
    report["monitor"]["failing"][0]["excerpt"] = XSS
    path = tmp_path / "monitor.html"
    path.write_text(html.render(report), encoding="utf-8")
    page = browser.open(path.as_uri())
    try:
        assert page.errors() == []
        assert page.evaluate("performance.getEntriesByType('resource').length") == 0
        assert page.evaluate("window.pwned === undefined && !document.title.includes('pwned')")
        assert page.evaluate("document.querySelector('#failing q').textContent") == XSS
        charts = page.evaluate(
            "[...document.querySelectorAll('svg.series')].map(s => "
            "[s.getBoundingClientRect().width, s.querySelectorAll('rect').length])"
        )
        assert len(charts) == len(text.WINDOW_METRICS)
        assert all(width > 50 for width, _ in charts)
        assert [n for _, n in charts][0] == 8  # eval pass rate: one column a day
        failed = page.evaluate(
            "[...document.querySelectorAll('#alerts td.failed')]"
            ".map(td => td.previousElementSibling.textContent)"
        )
        assert failed == ["eval_pass_rate"]
    finally:
        page.close()
