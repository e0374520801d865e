"""The HTML report in a real headless browser (Debian's ``chromium``, driven over the
DevTools protocol by browser_support.py): it loads with no console error, fetches
nothing, its filters work, a model's ``<script>`` stays text, it reads with scripts off,
and a 500-case report is readable on screen. Skipped with the reason where no browser
is installed, except on CI (``CI`` set: .ci/run installs one), where that fails."""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_support import Browser, BrowserError, Page, require_chromium
from html_support import record, sample_records, sample_report
from llm_regressions.report import html

XSS = '<script>document.title="pwned";window.pwned=1</script><img src=x onerror="window.pwned=2">'
SHOWN = "document.getElementById('shown').textContent"
VISIBLE = "[...document.querySelectorAll('#list details.case')].filter(r => !r.hidden)"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    executable = require_chromium()
    with Browser.start(tmp_path_factory.mktemp("chromium"), executable) as running:
        yield running


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return sample_records(500)


@pytest.fixture(scope="module")
def report(records) -> dict:
    return sample_report(records)


@pytest.fixture(scope="module")
def report_page(browser: Browser, report, tmp_path_factory) -> Iterator[Page]:
    """The 500-case report with a baseline comparison, loaded once for the module."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    page = browser.open(path.as_uri())
    yield page
    page.close()


@pytest.fixture
def page(report_page: Page) -> Iterator[Page]:
    """The shared report, loaded afresh after each test (filters off, rows as they open,
    1280 wide): a failing test leaves nothing behind for the next."""
    yield report_page
    report_page.resize(1280, 900)
    report_page.reload()


def _open(browser: Browser, tmp_path: Path, report: dict, **options) -> Page:
    path = tmp_path / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    return browser.open(path.as_uri(), **options)


def _choose(page: Page, key: str, value: str) -> None:
    """Pick ``value`` in the filter ``key`` as a user would (a change event follows)."""
    page.evaluate(
        f"(s => {{ s.value = {value!r}; s.dispatchEvent(new Event('change')); }})"
        f"(document.getElementById('f-{key}'))"
    )


def _visible(page: Page, attribute: str = "id") -> list[str]:
    return page.evaluate(f"{VISIBLE}.map(r => r.{attribute})")


def test_the_report_loads_with_no_error_and_fetches_nothing(page, records):
    assert page.errors() == []
    assert page.evaluate("performance.getEntriesByType('resource').length") == 0
    assert page.evaluate("document.querySelectorAll('#list details.case').length") == 500
    assert page.evaluate("document.getElementById('filters').hidden") is False
    assert page.evaluate(SHOWN) == "500 of 500 cases shown"
    # the first rows needing a look are open, the passing ones closed
    opened = page.evaluate(f"{VISIBLE}.filter(r => r.open).map(r => r.dataset.verdict)")
    assert 0 < len(opened) <= 5 and "passed" not in opened


def test_each_filter_shows_exactly_its_cases(page, records, report):
    by = {key: Counter(r[key] for r in records) for key in ("label", "verdict")}
    golden = sum(r["golden"] for r in records)
    buckets = report["gate"]["baseline"]["buckets"]
    checks = [("label", "tool_misuse", by["label"]["tool_misuse"])]
    checks += [("verdict", v, by["verdict"][v]) for v in ("failed", "inconclusive", "flaky")]
    checks += [("golden", "yes", golden), ("golden", "no", len(records) - golden)]
    checks += [("bucket", b, len(buckets[b])) for b in ("inconclusive", "still_failing", "fixed")]
    for key, value, expected in checks:
        _choose(page, key, value)
        assert page.evaluate(SHOWN) == f"{expected} of 500 cases shown", (key, value)
        assert set(page.evaluate(f"{VISIBLE}.map(r => r.dataset.{key})")) == {value}
        _choose(page, key, "")
    # two filters at once: their intersection
    _choose(page, "label", "tool_misuse")
    _choose(page, "verdict", "passed")
    both = sum(r["label"] == "tool_misuse" and r["verdict"] == "passed" for r in records)
    assert len(_visible(page)) == both
    page.evaluate("document.getElementById('f-reset').click()")
    assert page.evaluate(SHOWN) == "500 of 500 cases shown"
    assert page.errors() == []


def test_diff_buckets_filter_and_link_to_their_cases(page):
    regressed = page.evaluate(
        "[...document.querySelectorAll('#list details[data-bucket=regressed]')].map(r => r.id)"
    )
    assert regressed
    # "show in the list" next to a bucket filters the list to it
    page.evaluate("document.querySelector('a[data-filter=\"bucket=regressed\"]').click()")
    assert page.evaluate("document.getElementById('f-bucket').value") == "regressed"
    assert _visible(page) == regressed  # regressions come first, in order
    # a case id in the diff table opens its row, even when a filter hides it
    _choose(page, "bucket", "new")
    target = regressed[-1]
    page.evaluate(f"document.querySelector('#diff a[href=\"#{target}\"]').click()")
    page.wait_until(f"document.getElementById({target!r}).open")
    assert page.evaluate(f"document.getElementById({target!r}).hidden") is False
    page.evaluate("document.getElementById('f-reset').click()")
    assert page.errors() == []


def test_search_and_expand_work_on_what_is_shown(page, records):
    wanted = records[123]["id"]
    page.evaluate(
        f"(q => {{ q.value = {wanted.upper()!r}; q.dispatchEvent(new Event('input')); }})"
        "(document.getElementById('f-q'))"
    )
    page.wait_until(f"{SHOWN} === '1 of 500 cases shown'")
    assert _visible(page) == [f"c-{wanted}"]
    page.evaluate("document.getElementById('f-open').click()")
    assert page.evaluate(f"document.getElementById('c-{wanted}').open") is True
    page.evaluate("document.getElementById('f-reset').click()")
    assert page.evaluate(SHOWN) == "500 of 500 cases shown"
    assert page.errors() == []


def test_a_models_script_stays_text(browser, tmp_path):
    bad = record(0, "failed", __import__("random").Random(1))
    bad["runs"][0]["output_excerpt"] = XSS
    bad["runs"][1]["output_excerpt"] = "ok " + XSS  # shown inside a word diff
    bad["runs"][0]["checks"][0]["reason"] = XSS
    bad["problem"] = bad["trace_id"] = XSS
    page = _open(browser, tmp_path, sample_report([bad], baseline=False))
    assert page.evaluate("window.pwned === undefined") is True
    assert page.evaluate("document.title").startswith("LLM regressions")
    assert page.evaluate("document.querySelectorAll('#list script, #list img').length") == 0
    shown = page.evaluate("document.getElementById('list').textContent")
    assert shown.count('<script>document.title="pwned"') >= 4
    assert page.errors() == []
    page.close()


def test_the_policy_would_block_an_escaping_bug(browser, tmp_path):
    """The harness sees console errors, and the page's policy refuses any script but its
    own: an unescaped ``<script>`` slipped into the page does not run."""
    page_source = html.render(sample_report(sample_records(3), baseline=False))
    injected = page_source.replace("<div id=list>", f"<div id=list>{XSS}", 1)
    (tmp_path / "bad.html").write_text(injected, encoding="utf-8")
    page = browser.open((tmp_path / "bad.html").as_uri())
    assert page.evaluate("window.pwned === undefined") is True
    errors = page.errors()
    assert any("Content Security Policy" in e for e in errors), errors
    page.close()


def test_the_report_reads_with_scripts_off(browser, tmp_path, records):
    page = _open(browser, tmp_path, sample_report(records[:60]), scripts=False)
    assert page.evaluate("document.querySelectorAll('#list details.case').length") == 60
    # the evaluation above runs from the protocol; the page's own script did not run
    assert page.evaluate("document.getElementById('filters').hidden") is True
    assert page.evaluate("document.querySelectorAll('#list details[open]').length") > 0
    assert page.evaluate("document.querySelectorAll('#diff tr').length") == 9
    page.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("width", [1280, 800])
def test_a_500_case_report_is_readable_on_screen(page, tmp_path, width):
    """Screenshots of the top and of the case list: text at a readable size, nothing
    wider than the window, the gate and the first case in view, no overlapping lines."""
    page.resize(width, 900)
    page.evaluate("window.scrollTo(0, 0)")
    top = page.screenshot(tmp_path / f"top-{width}.png")
    assert _png_size(top) == (width, 900) and len(top) > 20_000  # drawn, not blank
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "14px"
    gate = page.evaluate("document.querySelector('.gate h2').getBoundingClientRect().top")
    assert 0 < gate < 300
    page.evaluate("document.getElementById('cases').scrollIntoView()")
    cases = page.screenshot(tmp_path / f"cases-{width}.png")
    assert _png_size(cases) == (width, 900)
    # the first open case: its text at 11px or more (badges), body text 14px, no two pieces drawn over each other
    boxes = page.evaluate(
        "[...document.querySelector('#list details[open]')"
        ".querySelectorAll('summary > *, dl.facts > *, pre, h4')]"
        ".flatMap(e => [...e.getClientRects()].map(b =>"
        " [b.left, b.top, b.right, b.bottom, parseFloat(getComputedStyle(e).fontSize)]))"
    )
    assert len(boxes) > 10 and all(size >= 11 for *_, size in boxes)
    overlaps = [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
    ]
    assert overlaps == []
    assert page.errors() == []


def test_without_a_browser_the_tests_skip_except_on_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    for ci in (None, "", "false", "0"):
        if ci is None:
            monkeypatch.delenv("CI", raising=False)
        else:
            monkeypatch.setenv("CI", ci)
        with pytest.raises(pytest.skip.Exception, match="install Debian's 'chromium'"):
            require_chromium()
    for ci in ("true", "1"):
        monkeypatch.setenv("CI", ci)
        with pytest.raises(pytest.fail.Exception, match="CI is set but no Chromium found"):
            require_chromium()


def test_a_browser_that_dies_fails_with_its_last_words(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    fake.chmod(0o755)
    with Browser.start(tmp_path / "profile", str(fake)) as browser:
        with pytest.raises(BrowserError) as error:
            browser.send("Browser.getVersion", timeout=10)
    assert "closed the pipe (waiting for Browser.getVersion" in str(error.value)
    assert "exited with code 3" in str(error.value) and "cannot open display" in str(error.value)
