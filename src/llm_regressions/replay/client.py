"""The only module that imports litellm: lazily, configured for a test runner.

litellm is imported on first use (or early, in a background thread, while pytest
collects: :func:`begin_import`), with its model cost map read from the installed
package rather than fetched, its telemetry and debug banners off, and its per-call
bookkeeping that a test runner never reads switched off (see :func:`_configure`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from llm_regressions.gcutil import long_lived
from llm_regressions.replay import waits
from llm_regressions.replay.classify import (
    ProviderTrouble,
    cannot_connect,
    classify,
    malformed,
    provider_of,
    quota_exhausted,
    too_long_to_wait,
)
from llm_regressions.replay.limits import Limits, ModelLimit
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult, ToolCall

#: How long the session's end waits for a background import still under way.
IMPORT_WAIT_SECONDS = 60.0

_lock = threading.Lock()
_module: ModuleType | None = None
_importer: threading.Thread | None = None

#: Environment read by litellm at import or call time. Set only if the user has not.
LITELLM_ENV = {
    # The cost table ships with litellm; never download it at import.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    # OpenAI-compatible calls through litellm's own HTTP handler on its aiohttp
    # transport, not through the openai SDK's request/response models: the same wire
    # format for about 20% less CPU per call and ~1 s less import, and litellm's
    # num_retries then counts retries exactly. Set it to "false" to use the SDK path.
    "EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER": "true",
}


def begin_import() -> None:
    """Start importing litellm in a daemon thread, so the ~2 s import overlaps with
    pytest's collection. Safe to call more than once."""
    global _importer
    with _lock:
        if _module is not None or _importer is not None:
            return
        _importer = threading.Thread(target=_quiet_load, name="llm-import", daemon=True)
        _importer.start()


def finish_import() -> None:
    """Wait for a background import still under way (a session that ends before its
    first call, or an xdist worker given no case), so that it never runs on into
    interpreter shutdown, after pytest has dropped the session's warning filters."""
    importer = _importer
    if importer is not None and importer.is_alive():
        importer.join(IMPORT_WAIT_SECONDS)


def _quiet_load() -> None:
    try:
        litellm()
    except Exception:  # noqa: BLE001 - the first real use imports again and reports it
        pass


def litellm() -> ModuleType:
    """The configured litellm module (imported on first call)."""
    global _module
    if _module is not None:
        return _module
    with _lock:
        if _module is None:
            for name, value in LITELLM_ENV.items():
                os.environ.setdefault(name, value)
            # The import makes ~300k objects that live as long as the process: keep the
            # cyclic collector off them (~15% of the import's CPU, and every later full
            # collection would walk them again, holding the GIL the calls need).
            with long_lived():
                import litellm as module
            _configure(module)
            _module = module
    return _module


def _configure(module: ModuleType) -> None:
    """Turn off what a test runner does not need: it costs CPU on every call."""
    module.telemetry = False
    module.suppress_debug_info = True
    module.set_verbose = False
    # Retries are asked for per call (num_retries); a global setting would double them.
    module.num_retries = None


async def aclose() -> None:
    """Close what litellm keeps on the engine's loop: its cached HTTP clients and its
    background logging worker.

    litellm caches clients per event loop, keyed by the loop's ``id()``: a later loop
    in the same process (pytest run in-process twice) can get the same id and would be
    handed a client bound to this closed loop."""
    if _module is None:
        return
    try:
        await _module.close_litellm_async_clients()
        _module.in_memory_llm_clients_cache.flush_cache()
    except Exception:  # noqa: BLE001 - a litellm without them: nothing cached to close
        pass
    try:
        from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER

        await GLOBAL_LOGGING_WORKER.stop()
    except Exception:  # noqa: BLE001 - an older/newer litellm without it: nothing to stop
        pass


def missing_credentials(model: str) -> tuple[str, ...]:
    """API key variables litellm needs for ``model`` that are not set (local check)."""
    try:
        report = litellm().validate_environment(model=model)
    except Exception:  # noqa: BLE001 - unknown provider: let the call itself report it
        return ()
    return tuple(k for k in report.get("missing_keys", []) if k.endswith(("_API_KEY", "_TOKEN")))


async def complete(
    request: ProviderRequest,
    *,
    api_base: str | None,
    timeout: float,
    retries: int,
    limits: Limits,
    ready: Callable[[], None] | None = None,
) -> ReplayResult:
    """Send one request within ``limits``; return the scored-ready result or raise
    ProviderTrouble. ``ready`` is called as each attempt gets its slot and may raise to
    send nothing. The latency is the answered attempt's, without rate-limit waits."""
    kwargs = request.call_kwargs()
    if api_base and "api_base" not in kwargs and "base_url" not in kwargs:
        kwargs["api_base"] = api_base
    if kwargs.get("tools") and not any(t.get("type") == "mcp" for t in kwargs["tools"]):
        # Plain function tools: skip litellm's MCP bridge, which would import the
        # optional `mcp` package (and fail without it) on every call that offers tools.
        kwargs["_skip_mcp_handler"] = True
    attempts = _Attempts(litellm(), request.model, timeout, retries, limits)
    attempts.ready = ready
    response, latency_ms = await attempts.send(kwargs)
    return to_result(response, request, latency_ms)


class _Attempts:
    """One call's attempts: each holds a slot of its model; a 429 waits what the
    provider asks without using a retry while the call has waited less than ``timeout``
    on rate limits; other failures use litellm's retry rule (:func:`_retriable`)."""

    def __init__(
        self, module: ModuleType, model: str, timeout: float, retries: int, limits: Limits
    ) -> None:
        self.module, self.model, self.limits = module, model, limits
        self.timeout, self.retries = timeout, retries
        self.used = 0  # retries used
        self.rejections = 0  # 429s
        self._since: float | None = None  # when the first 429 came back
        self._first = False  # a retry goes ahead of the calls waiting for a slot
        self.ready: Callable[[], None] | None = None

    async def send(self, kwargs: dict[str, Any]) -> tuple[Any, float]:
        module = self.module
        while True:
            sent_in = await self.limits.slot(self.model, self._first)
            if self.ready is not None:
                try:
                    self.ready()
                except BaseException:
                    self.limits.done(self.model).release()
                    raise
            started = time.perf_counter()
            try:
                response = await module.acompletion(
                    # caching=False: litellm's own cache (an app target's, in cached
                    # mode, or one the user's code set) never answers a replay.
                    **kwargs,
                    timeout=self.timeout,
                    num_retries=0,
                    caching=False,
                )
            except asyncio.CancelledError:  # the engine's close: the slot goes back
                self.limits.done(self.model).release()
                raise
            except Exception as exc:  # noqa: BLE001 - every provider failure becomes one line
                limit = self.limits.done(self.model)
                self._after_failure(exc, limit, sent_in)
                self._first = True
                continue
            limit = self.limits.done(self.model)
            limit.succeeded()
            hidden = getattr(response, "_hidden_params", None) or {}
            _heed(limit, hidden.get("additional_headers"))
            return response, (time.perf_counter() - started) * 1000

    def _after_failure(self, exc: BaseException, limit: ModelLimit, sent_in: int) -> None:
        """Count the failure against the model's limit, or raise ProviderTrouble."""
        if getattr(exc, "status_code", None) == 429 and not quota_exhausted(exc):
            if self._since is None:
                self._since = time.perf_counter()
            self._rate_limited(exc, limit, sent_in)
            return
        limit.release()
        if self.used == self.retries or not _retriable(self.module, exc):
            raise self._trouble(exc)
        self.used += 1

    def _rate_limited(self, exc: BaseException, limit: ModelLimit, sent_in: int) -> None:
        """Pause the model for what the provider asks (else litellm's exponential
        backoff); the next attempt gets its slot once the pause is over."""
        headers = _headers(exc)
        asked = provider_wait(self.module, headers)
        self.rejections += 1
        _heed(limit, headers, pause=False)
        if asked is not None and asked > self.timeout:
            limit.rejected(sent_in, None)
            provider = getattr(exc, "llm_provider", None) or provider_of(self.model)
            raise too_long_to_wait(provider, self.model, exc, asked, self.timeout) from None
        if asked is None:  # the provider did not say: litellm's exponential backoff
            asked = float(self.module.utils._calculate_retry_after(0, self.rejections - 1))
        limit.rejected(sent_in, asked)
        if self.waited + asked > self.timeout:
            if self.used == self.retries:
                raise self._trouble(exc)
            self.used += 1

    @property
    def waited(self) -> float:
        """Seconds since the call's first 429 (0 before any)."""
        return 0.0 if self._since is None else time.perf_counter() - self._since

    def _trouble(self, exc: BaseException) -> ProviderTrouble:
        return classify(
            exc, self.model, timeout=self.timeout, retries=self.used, waited=self.waited
        )


def _heed(limit: ModelLimit, headers: Any, pause: bool = True) -> None:
    """What a response's ``x-ratelimit-*`` headers say about the model's quota: how
    fast it refills (the model's pace), and, once used up, how long until the next call
    (``pause``; a 429's own wait is its retry-after)."""
    found = waits.refill(headers)
    if found is not None:
        limit.refill(*found)
    wait = waits.quota_wait(headers) if pause else None
    if wait:
        limit.pause(wait)


def _retriable(module: ModuleType, exc: BaseException) -> bool:
    """litellm's own rule (OpenAI's): retry 408, 409, 429 and 5xx, never another 4xx (a
    bad request, a rejected key, an unknown model fail the same way every time). A
    failure without a status (a dropped connection) is retried; a call that reached no
    server (litellm says 500) and a used-up quota (429) are not: retrying cannot help."""
    if cannot_connect(exc) or quota_exhausted(exc):
        return False
    status = getattr(exc, "status_code", None)
    return not isinstance(status, int) or bool(module._should_retry(status))


def _headers(exc: BaseException) -> Any:
    """The 429's response headers, wherever this litellm keeps them."""
    headers = getattr(exc, "litellm_response_headers", None)
    if headers:
        return headers
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None) or getattr(exc, "headers", None)


def provider_wait(module: ModuleType, headers: Any) -> float | None:
    """Seconds the provider asks to wait (retry-after-ms, retry-after in seconds or as
    an HTTP date, x-ratelimit-* of a used-up quota), None when it does not say."""
    wait = waits.retry_after(headers)
    if wait is None and waits.header(headers, "retry-after"):
        # the HTTP-date form: litellm's parser (-1 when it cannot read it)
        parsed = module.utils._get_retry_after_from_exception_header(headers)
        wait = float(parsed) if parsed is not None and parsed >= 0 else None
    return wait if wait is not None else waits.quota_wait(headers)


def to_result(response: Any, request: ProviderRequest, latency_ms: float) -> ReplayResult:
    """litellm's ModelResponse -> ReplayResult. Keeps nothing else of the response."""
    choices = getattr(response, "choices", None)
    if not choices:
        raise malformed(request.model, "no choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    if message is None:
        raise malformed(request.model, "choice without a message")
    raw_calls = getattr(message, "tool_calls", None) or []
    usage = _usage(getattr(response, "usage", None))
    return ReplayResult(
        output=getattr(message, "content", None),
        tool_calls=[ToolCall.from_openai(_plain(call)) for call in raw_calls],
        finish_reason=getattr(choice, "finish_reason", None),
        usage=usage,
        latency_ms=round(latency_ms, 1),
        cost_usd=_cost(response, request.model, usage),
        model=getattr(response, "model", None),
        system_fingerprint=getattr(response, "system_fingerprint", None),
    )


def _plain(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return value.model_dump() if hasattr(value, "model_dump") else dict(value)


def _usage(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    fields = ("prompt_tokens", "completion_tokens", "total_tokens")
    found = {name: getattr(usage, name, None) for name in fields}
    return {name: int(value) for name, value in found.items() if isinstance(value, int)}


def _cost(response: Any, model: str, usage: dict[str, int] | None) -> float | None:
    """Cost from litellm's local price table; None for models it has no price for."""
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost")
    if isinstance(cost, (int, float)):
        return float(cost)
    if not usage:
        return None
    try:
        prompt, completion = litellm().cost_per_token(
            model=model,
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
        )
    except Exception:  # noqa: BLE001 - an unpriced (local) model has no cost
        return None
    return float(prompt + completion)


def forwarding_logger(sink: Any) -> Any:
    """A litellm ``CustomLogger`` (callback API) that hands each call's events to
    ``sink.started(kwargs)``, ``sink.succeeded(kwargs, response, start, end)`` and
    ``sink.failed(kwargs, exception)``: how app targets' own calls are captured."""
    litellm()
    from litellm.integrations.custom_logger import CustomLogger

    class _Forward(CustomLogger):
        def log_pre_api_call(self, model: Any, messages: Any, kwargs: Any) -> None:
            sink.started(kwargs)

        # litellm passes these by keyword: the parameter names are part of its API.
        def log_success_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            sink.succeeded(kwargs, response_obj, start_time, end_time)

        async def async_log_success_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            sink.succeeded(kwargs, response_obj, start_time, end_time)

        def log_failure_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            sink.failed(kwargs, kwargs.get("exception"))

        async def async_log_failure_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            sink.failed(kwargs, kwargs.get("exception"))

    return _Forward()


def add_callback(logger: Any) -> None:
    litellm().logging_callback_manager.add_litellm_callback(logger)


def remove_callback(logger: Any) -> None:
    """Unregister ``logger`` from every list litellm promoted it into."""
    module = litellm()
    # by list, not remove_callback_from_all_lists: that arrived after our litellm floor
    for callbacks in (
        module.callbacks,
        module.input_callback,
        module.success_callback,
        module.failure_callback,
        module._async_success_callback,
        module._async_failure_callback,
    ):
        module.logging_callback_manager.remove_callback_from_list_by_object(
            callbacks, logger, require_self=False
        )


__all__ = [
    "ProviderTrouble",
    "aclose",
    "add_callback",
    "begin_import",
    "complete",
    "forwarding_logger",
    "litellm",
    "missing_credentials",
    "remove_callback",
]


@contextlib.contextmanager
def response_cache(backend: Any) -> Iterator[None]:
    """litellm's response cache (``litellm.cache``) over ``backend`` (an object with the
    methods ``litellm.Cache`` calls on its backend) for the duration; the previous
    setting is restored after. The engine's calls never use it (``caching=False``)."""
    module = litellm()
    from litellm.caching.caching import Cache

    cache = Cache(type="local")
    cache.cache = backend
    saved, module.cache = module.cache, cache
    try:
        yield
    finally:
        module.cache = saved


#: Two identical offline calls with litellm's cache on: the second one is a hit.
_CACHE_HIT_PROBE = """
import litellm
from litellm.caching.caching import Cache
litellm.cache = Cache(type="local")
for _ in range(2):
    litellm.completion(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "p"}],
                       mock_response="ok", api_key="probe")
"""


def cache_hit_problem() -> str | None:
    """Why the installed litellm cannot serve a cache hit (None when it can): litellm
    1.102+ needs its proxy extra for one (BerriAI/litellm#42195). Tried in a child
    process, so the probe's calls never reach callbacks the user's code registered."""
    version = importlib.metadata.version("litellm")
    env = {**os.environ, **LITELLM_ENV}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CACHE_HIT_PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"litellm {version}'s cache could not be tried ({exc})"
    if done.returncode == 0:
        return None
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    return f"litellm {version} cannot serve a cached answer here ({last[:200]})"
