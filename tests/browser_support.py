"""A real headless browser for the HTML report's tests and benchmark: Chromium driven
over the Chrome DevTools Protocol on ``--remote-debugging-pipe`` (the child reads
commands on fd 3 and writes answers on fd 4, NUL-separated JSON). Standard library only:
no driver, no websocket client, nothing downloaded.

    with Browser.start(tmp_path) as browser:
        page = browser.open(path.as_uri())
        page.evaluate("document.title")

:func:`find_chromium` says which browser would run, or None; :func:`require_chromium`
skips a test without one, except on CI (``CI`` set), where a missing browser fails it.
Every wait has a deadline and says what it waited for, with the browser's last words.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SKIP_REASON = (
    "no Chromium found on PATH (tried: " + ", ".join(NAMES) + "): install Debian's "
    "'chromium' package to run the browser tests (.ci/run does)"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
)


# The browser expects fds 3 and 4: a small Python moves the pipe ends there, then
# becomes the browser (subprocess cannot renumber fds; preexec_fn is unsafe in threads;
# dash cannot redirect fds above 9).
_TRAMPOLINE = """
import os, sys
r, w = int(sys.argv[1]), int(sys.argv[2])
if w == 3:
    w = os.dup(w)
os.dup2(r, 3)
os.dup2(w, 4)
for fd in {r, w} - {3, 4}:
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""


def find_chromium() -> str | None:
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_chromium() -> str:
    """The browser to run; without one, skip the test, or fail it on CI (where .ci/run
    installs one, so a missing browser is a broken job, not a reason to skip)."""
    path = find_chromium()
    if path:
        return path
    if on_ci():
        pytest.fail(f"CI is set but {SKIP_REASON}", pytrace=False)
    pytest.skip(SKIP_REASON)


class BrowserError(RuntimeError):
    """The browser answered with an error, or not in time."""


class Browser:
    """One Chromium process and its DevTools pipe; events are kept until read."""

    def __init__(
        self, process: subprocess.Popen, to_browser: int, from_browser: int, log: Path
    ) -> None:
        self.process = process
        self.log = log
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._ids = iter(range(1, 1 << 30))
        self.events: list[dict[str, Any]] = []

    @classmethod
    def start(cls, profile: Path, executable: str | None = None) -> Browser:
        """Start a fresh headless browser with its own profile folder."""
        executable = executable or find_chromium()
        if executable is None:
            raise BrowserError(SKIP_REASON)
        commands_r, commands_w = os.pipe()
        answers_r, answers_w = os.pipe()
        profile.mkdir(parents=True, exist_ok=True)
        log = profile / "chromium.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-c", _TRAMPOLINE, str(commands_r), str(answers_w), executable]
                + [*FLAGS, f"--user-data-dir={profile}"],
                pass_fds=(commands_r, answers_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        os.close(commands_r)
        os.close(answers_w)
        return cls(process, commands_w, answers_r, log)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Send one command and wait for its answer (events seen meanwhile are kept)."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._next(deadline, f"{method} (waited {timeout:g} s)")
            if answer.get("id") == message_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(
        self,
        method: str,
        session: str | None,
        timeout: float = 60.0,
        match: Callable[[dict], bool] = lambda params: True,
    ) -> dict:
        """The first event ``method`` of ``session`` whose params ``match`` (already
        received, or to come)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if (
                    event.get("method") == method
                    and event.get("sessionId") == session
                    and match(event.get("params", {}))
                ):
                    return self.events.pop(i)
            self.events.append(self._next(deadline, f"event {method} (waited {timeout:g} s)"))

    def _next(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._in], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"no answer to {waiting_for} in time{self._last_words()}")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise BrowserError(
                    f"the browser closed the pipe (waiting for {waiting_for}){self._last_words()}"
                )
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _last_words(self) -> str:
        """The end of the browser's stderr, for an error message."""
        try:
            lines = self.log.read_text(errors="replace").strip().splitlines()
            tail = [line for line in lines if "dbus" not in line][-5:]  # no bus in a container
        except OSError:
            tail = []
        try:  # a closed pipe means the browser is exiting: let it finish, briefly
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        exited = "" if code is None else f"; it exited with code {code}"
        return exited + ("; its stderr ends:\n  " + "\n  ".join(tail) if tail else "")

    def open(self, url: str, width: int = 1280, height: int = 900, scripts: bool = True) -> Page:
        """A new tab showing ``url``, loaded (its load event fired); ``scripts=False``
        loads it as a browser with JavaScript turned off would."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session, target)
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        page.send("Page.setLifecycleEventsEnabled", {"enabled": True})
        page.resize(width, height)
        if not scripts:
            page.send("Emulation.setScriptExecutionDisabled", {"value": True})
        page.navigate(url)
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (BrowserError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass


class Page:
    """One tab, attached in flat mode (commands carry its session id)."""

    def __init__(self, browser: Browser, session: str, target: str) -> None:
        self.browser = browser
        self.session = session
        self.target = target
        self.url = "about:blank"
        self.load_seconds = 0.0

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})

    def send(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        return self.browser.send(method, params, self.session, timeout)

    def navigate(self, url: str, timeout: float = 60.0) -> None:
        """Go to ``url`` and wait for this navigation's load event (not an earlier one's)."""
        start = time.perf_counter()
        answer = self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise BrowserError(f"cannot open {url}: {answer['errorText']}")
        loader = answer.get("loaderId")
        if loader is None:  # only the #fragment changed: no load to wait for
            raise BrowserError(f"{url} is this page with another #fragment: use reload()")
        self.browser.wait_for(
            "Page.lifecycleEvent",
            self.session,
            timeout,
            lambda params: params.get("name") == "load" and params.get("loaderId") == loader,
        )
        self.load_seconds = time.perf_counter() - start
        self.url = url

    def reload(self) -> None:
        """Load the page afresh from the URL it was opened on (state and #fragment go)."""
        url = self.url
        self.navigate("about:blank")
        self.navigate(url)

    def resize(self, width: int, height: int) -> None:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.send("Emulation.setDeviceMetricsOverride", metrics)

    def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        """The JSON value of ``expression``; a thrown exception raises BrowserError."""
        answer = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout,
        )
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_until(self, condition: str, timeout: float = 10.0) -> None:
        """Wait for the JavaScript ``condition`` to hold (checked in the page after each
        task); past ``timeout`` raise BrowserError naming it."""
        script = (
            "new Promise((resolve, reject) => { const end = performance.now() + "
            f"{timeout * 1000:.0f}; (function check() {{ if ({condition}) {{ resolve(true); }}"
            " else if (performance.now() > end) { reject(new Error('timed out')); }"
            " else { setTimeout(check, 10); } })(); })"
        )
        try:
            self.evaluate(script, timeout + 5)
        except BrowserError as error:
            raise BrowserError(f"{condition!r} did not hold within {timeout:g} s") from error

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (a CSP violation
        is one) of this page so far."""
        self.evaluate("0")  # a round trip: events sent before its answer are in
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found

    def screenshot(self, path: Path) -> bytes:
        """A PNG of the viewport, saved to ``path``."""
        data = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        path.write_bytes(data)
        return data
