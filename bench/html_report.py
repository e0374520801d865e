"""What the HTML report costs for N cases (issue 13 target: 10,000 cases written in
under 2 s, and the page opens in a browser).

Times, on N synthetic case records shaped like a real session's (three runs with
answers, checks and reasons, intervals, a baseline comparison with every bucket): the
page rendered and written (``--llm-report-html``), against the JSON report of the same
dict written in the same run (``--llm-report``), best of three each. Then, when a
Chromium is installed, the page opened in it headless: load time, and one filter.

    python bench/html_report.py            # N=10000
    python bench/html_report.py --n 50000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# the report shapes and the browser driver are the tests' own
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser_support import Browser, find_chromium  # noqa: E402
from html_support import sample_records, sample_report  # noqa: E402
from llm_regressions.fsutil import atomic_write  # noqa: E402
from llm_regressions.report import html, json_report  # noqa: E402


def best_of(times: int, work: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def in_browser(page_path: Path, profile: Path, n: int) -> str:
    """Load time of the page in headless Chromium, and of one filter over all rows."""
    executable = find_chromium()
    if executable is None:
        return "browser: no Chromium installed, not opened"
    with Browser.start(profile, executable) as browser:
        page = browser.open(page_path.as_uri())
        rows = page.evaluate("document.querySelectorAll('#list details.case').length")
        errors = page.errors()
        filtered = page.evaluate(
            "(() => { const s = document.getElementById('f-verdict'), t = performance.now();"
            " s.value = 'failed'; s.dispatchEvent(new Event('change'));"
            " document.body.offsetHeight; return performance.now() - t; })()"
        )
    assert rows == n, f"{rows} rows in the page, {n} cases"
    return (
        f"browser: opened in {page.load_seconds:.2f} s (load event), {rows} rows, "
        f"{len(errors)} console errors; the verdict filter over all rows took {filtered:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    n = parser.parse_args().n
    report = sample_report(sample_records(n))
    with tempfile.TemporaryDirectory() as tmp:
        json_path, html_path = Path(tmp) / "r.json", Path(tmp) / "r.html"
        json_s = best_of(3, lambda: json_report.write(json_path, report))
        html_s = best_of(3, lambda: atomic_write(html_path, html.render(report), overwrite=True))
        json_mb, html_mb = json_path.stat().st_size / 1e6, html_path.stat().st_size / 1e6
        print(
            f"{n} cases x 3 runs: HTML report written in {html_s:.3f} s ({html_mb:.1f} MB), "
            f"JSON report of the same run in {json_s:.3f} s ({json_mb:.1f} MB): "
            f"{html_s / json_s:.1f}x the JSON's time, {html_mb / json_mb:.2f}x its size "
            f"(target: under 2 s for 10,000)"
        )
        print(in_browser(html_path, Path(tmp) / "chromium", n))


if __name__ == "__main__":
    main()
