"""A loopback OpenAI-compatible chat server for tests and the benchmark.

Real HTTP on 127.0.0.1, so litellm is exercised end to end (its transport, retries and
exception mapping) without the internet. Answers are scripted per request: a rule
matches a substring of the last user message (or of the model name), or a regex anywhere
in the request body (``script_request``), and hands out its answers in order, repeating
the last one; ``script_random`` draws passing/failing answers from a seeded generator.
Faults are answers too.

With :meth:`StubServer.limit` it enforces a token-bucket rate limit as providers do:
a request finding the bucket empty gets a 429 with ``retry-after-ms`` / ``retry-after``
(when the next token is due) and ``x-ratelimit-*`` headers, and is not answered.

Run standalone for the benchmark: ``python tests/stub_support.py --port 0 --latency 0.3``
(``--rpm 600`` to rate-limit) prints ``listening on PORT`` and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: Answers :meth:`StubServer.script_random` draws before repeating the last one.
RANDOM_DRAWS = 1000
_REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many"}


@dataclass
class Reply:
    """A successful chat completion. ``content`` may be a dict (dumped as JSON)."""

    content: str | dict[str, Any] | None = "ok"
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    model: str | None = None  # served model; default: the requested one
    system_fingerprint: str | None = "fp_stub"
    usage: tuple[int, int] = (10, 5)
    latency: float | None = None  # seconds; default: the server's latency


@dataclass
class Fault:
    """A provider failure.

    kind: ``status`` (HTTP ``status`` with an OpenAI error body; ``retry_after`` sets the
    header; ``message`` and ``code`` the error body's), ``slow`` (sleep ``seconds`` before answering), ``drop`` (close the
    connection without answering), ``malformed`` (200 with a non-JSON body),
    ``empty_choices`` (200 with ``choices: []``).
    """

    kind: str
    status: int = 500
    retry_after: float | None = None
    seconds: float = 5.0
    message: str | None = None
    code: str | None = None


Answer = Reply | Fault


class TokenBucket:
    """``rate`` requests per second, ``burst`` at once; refills continuously."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self._at = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else seconds until the next one is due."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self._at) * self.rate)
        self._at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def headers(self, wait: float) -> dict[str, str]:
        """What OpenAI sends: the limit, what is left, when the bucket is full again."""
        full = (self.burst - self.tokens) / self.rate
        headers = {
            "x-ratelimit-limit-requests": str(int(self.burst)),
            "x-ratelimit-remaining-requests": str(int(self.tokens)),
            "x-ratelimit-reset-requests": f"{full:.3f}s",
        }
        if wait:
            headers["retry-after-ms"] = str(math.ceil(wait * 1000))
            headers["retry-after"] = str(math.ceil(wait))
        return headers


def tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    """An OpenAI tool call, as a Reply's ``tool_calls`` entry."""
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


class StubServer:
    """Scripted OpenAI-compatible server; ``requests`` records every parsed body."""

    def __init__(self, latency: float = 0.0, record: bool = True) -> None:
        self.latency = latency
        self.record = record
        self.requests: list[dict[str, Any]] = []
        self._rules: list[tuple[str, Iterator[Answer]]] = []
        self._handler: Callable[[dict[str, Any]], Answer | None] | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._ids = itertools.count()
        self.in_flight = 0
        self.max_in_flight = 0
        self.bucket: TokenBucket | None = None
        self.throttled = 0  # requests answered 429 by the bucket
        self.answered = 0  # requests answered 200
        self.first_at: float | None = None  # when the first request came in
        self.last_at = 0.0  # when the last answer went out

    def limit(self, per_minute: float, burst: float | None = None) -> StubServer:
        """Enforce a token bucket of ``per_minute`` requests (``burst``: at once,
        default one second's worth) on every request from now on."""
        rate = per_minute / 60
        self.bucket = TokenBucket(rate, burst if burst is not None else max(1.0, rate))
        return self

    @property
    def url(self) -> str:
        """The ``api_base`` to give litellm."""
        return f"http://127.0.0.1:{self.port}/v1"

    def args(self, *extra: str, gc_checks: bool = False) -> list[str]:
        """pytest arguments for a live run against this server.

        pytest's unraisable-exception plugin runs several full ``gc.collect()`` per
        session, slow with litellm loaded; it is off unless ``gc_checks``."""
        quick = [] if gc_checks else ["-p", "no:unraisableexception"]
        return [
            "--llm-regressions",
            f"--llm-api-base={self.url}",
            "--llm-timeout=10",  # generous: CI machines are shared and noisy
            "--llm-retries=1",
            *quick,
            *extra,
        ]

    def script(self, match: str, *answers: Answer) -> None:
        """Requests whose last user message (or model) contains ``match`` get ``answers``
        in order; the last one repeats. Later rules win over earlier ones."""
        if not answers:
            raise ValueError("script() needs at least one answer")
        sequence = itertools.chain(answers[:-1], itertools.repeat(answers[-1]))
        with self._lock:
            self._rules.insert(0, (match, sequence))

    def script_request(self, pattern: str, *answers: Answer) -> None:
        """Like :meth:`script`, for requests whose whole body (every message, the tool
        definitions) matches the regex ``pattern``: an answer can depend on whether a
        system message, a document or a tool is in the request."""
        self.script(re.compile(pattern), *answers)  # type: ignore[arg-type]

    def script_random(
        self, match: str, passing: Answer, failing: Answer, rate: float, seed: int
    ) -> list[bool]:
        """Answer requests matching ``match`` with ``passing`` at ``rate`` and
        ``failing`` otherwise, drawn from a seeded generator (an intermittent failure
        that replays the same way every time). Returns the first draws (True: passing),
        in the order requests will get them."""
        rng = random.Random(seed)
        draws = [rng.random() < rate for _ in range(RANDOM_DRAWS)]
        self.script(match, *(passing if ok else failing for ok in draws))
        return draws

    def respond(self, handler: Callable[[dict[str, Any]], Answer | None]) -> None:
        """Let ``handler(body)`` answer first (None: fall through to the rules): a
        scripted agent whose next move depends on the whole conversation, e.g. the last
        tool result and the system prompt (:func:`last_message`, :func:`system_text`)."""
        with self._lock:
            self._handler = handler

    def received(self, match: str = "") -> list[dict[str, Any]]:
        """Recorded request bodies whose last user message contains ``match``."""
        with self._lock:
            return [r for r in self.requests if match in _last_user_text(r)]

    def _answer_for(self, body: dict[str, Any]) -> Answer:
        text = _last_user_text(body)
        with self._lock:
            if self.record:
                self.requests.append(body)
            answer = self._handler(body) if self._handler is not None else None
            if answer is not None:
                return answer
            for match, answers in self._rules:
                if _matches(match, text, body):
                    return next(answers)
        return Reply()

    # -- serving ---------------------------------------------------------------------

    def start(self) -> StubServer:
        """Serve from a daemon thread; returns once the port is bound."""
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._bind())
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="llm-stub", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            others = asyncio.all_tasks() - {asyncio.current_task()}
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(close(), loop)
        if self._thread is not None:
            self._thread.join(5)

    async def _bind(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = _headers(head)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if not await self._respond(head, body, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # stop() cancels open connections; ending quietly keeps CPython 3.11's
            # stream callback from logging the cancellation as an error.
            pass
        finally:
            writer.close()

    async def _respond(self, head: bytes, raw: bytes, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False closes the connection."""
        path = head.split(b" ", 2)[1].decode("latin-1")
        if not path.rstrip("/").endswith("/chat/completions"):
            _write(writer, 404, _error("not found", "invalid_request_error"))
            return True
        try:
            body = json.loads(raw)
        except ValueError:
            _write(writer, 400, _error("request body is not JSON", "invalid_request_error"))
            return True
        if self.first_at is None:
            self.first_at = time.monotonic()
        limits = {}
        if self.bucket is not None:
            wait = self.bucket.take()
            limits = self.bucket.headers(wait)
            if wait:
                self.throttled += 1
                message = f"Rate limit reached for requests: limit {self.bucket.rate * 60:g} RPM"
                _write(writer, 429, _error(message, "requests"), limits)
                return True
        answer = self._answer_for(body)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if isinstance(answer, Fault):
                return await self._fault(answer, body, writer)
            await asyncio.sleep(self.latency if answer.latency is None else answer.latency)
            _write(writer, 200, self._completion(answer, body), limits)
            self.answered += 1
            self.last_at = time.monotonic()
            return True
        finally:
            self.in_flight -= 1

    async def _fault(
        self, fault: Fault, body: dict[str, Any], writer: asyncio.StreamWriter
    ) -> bool:
        if fault.kind == "drop":
            writer.transport.abort()
            return False
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
            _write(writer, 200, self._completion(Reply(), body))
        elif fault.kind == "malformed":
            _write(writer, 200, b'{"id": "x", "choices": [ this is not json')
        elif fault.kind == "empty_choices":
            _write(writer, 200, json.dumps({**self._envelope(body), "choices": []}).encode())
        else:
            extra = {}
            if fault.retry_after is not None:
                extra["Retry-After"] = str(fault.retry_after)
            message = fault.message or f"stub fault {fault.status}"
            _write(writer, fault.status, _error(message, "server_error", fault.code), extra)
        return True

    def _envelope(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1700000000,
            "model": body.get("model", "stub"),
        }

    def _completion(self, reply: Reply, body: dict[str, Any]) -> bytes:
        content = reply.content
        if isinstance(content, dict):
            content = json.dumps(content)
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reply.tool_calls:
            message["tool_calls"] = reply.tool_calls
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        prompt, completion = reply.usage
        payload = {
            **self._envelope(body),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
        if reply.model:
            payload["model"] = reply.model
        if reply.system_fingerprint:
            payload["system_fingerprint"] = reply.system_fingerprint
        return json.dumps(payload).encode()


def _matches(match: str | re.Pattern[str], text: str, body: dict[str, Any]) -> bool:
    """A rule's test: a substring of ``text`` (or the model), or a regex searched in
    the whole request body."""
    if isinstance(match, re.Pattern):
        return match.search(json.dumps(body, ensure_ascii=False)) is not None
    return match in text or match == body.get("model")


def last_message(body: dict[str, Any]) -> dict[str, Any]:
    """The request's last message (a tool result, in an agent's loop)."""
    messages = body.get("messages") or [{}]
    return messages[-1]


def system_text(body: dict[str, Any]) -> str:
    """The request's system prompt(s), joined."""
    return "\n".join(
        str(m.get("content") or "") for m in body.get("messages") or [] if m.get("role") == "system"
    )


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _error(message: str, kind: str, code: str | None = None) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "code": code}}).encode()


def _write(
    writer: asyncio.StreamWriter, status: int, body: bytes, extra: dict[str, str] | None = None
) -> None:
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **(extra or {}),
    }
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--rpm", type=float, help="token-bucket limit, requests per minute")
    parser.add_argument("--burst", type=float, help="requests at once (default: 1 s worth)")
    args = parser.parse_args()
    server = StubServer(latency=args.latency, record=False)
    if args.rpm:
        server.limit(args.rpm, args.burst)

    async def serve() -> None:
        await server._bind(args.port)
        done = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
        print(f"listening on {server.port}", flush=True)
        await done.wait()
        span = server.last_at - (server.first_at or server.last_at)
        print(f"served {server.answered} throttled {server.throttled} span {span:.3f}", flush=True)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
