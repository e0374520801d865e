"""Provider trouble -> one line that says what went wrong and what to do.

A failed call is never a regression: it becomes :class:`ProviderTrouble`, which the item
reports as a pytest ERROR without any litellm traceback. Exceptions are recognised by
their HTTP status and class name, so this module does not import litellm.
"""

from __future__ import annotations

import json
import re

RECORDED_HINT = "or run with --llm-replay recorded"


class ProviderTrouble(Exception):
    """A model call that could not produce an answer to score.

    ``provider`` and ``kind`` group the summary ("20 cases could not reach openai: no API
    key"); ``str()`` is the one line shown on the item.
    """

    def __init__(self, provider: str, kind: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.kind = kind


def provider_of(model: str) -> str:
    """``openai/gpt-4o`` -> ``openai``; bare names are grouped under the name's family."""
    if "/" in model:
        return model.split("/", 1)[0]
    if model.startswith(("gpt-", "o1", "o3", "o4", "chatgpt")):
        return "openai"
    if model.startswith("claude"):
        return "anthropic"
    return model


def missing_key(model: str, keys: list[str]) -> ProviderTrouble:
    """Credentials litellm needs for ``model`` are not in the environment."""
    names = " and ".join(keys)
    verb = "is" if len(keys) == 1 else "are"
    return ProviderTrouble(
        provider_of(model),
        "no API key",
        f"{names} {verb} not set for {model}; set it, {RECORDED_HINT}",
    )


def malformed(model: str, what: str) -> ProviderTrouble:
    return ProviderTrouble(
        provider_of(model),
        "malformed response",
        f"{model} answered with a malformed response ({what}); check the endpoint "
        "speaks the OpenAI chat format, or retry later",
    )


def classify(
    exc: BaseException, model: str, *, timeout: float, retries: int, waited: float = 0.0
) -> ProviderTrouble:
    """Turn whatever litellm raised into :class:`ProviderTrouble`. ``waited``: seconds
    the call spent waiting out 429s before this one."""
    provider = getattr(exc, "llm_provider", None) or provider_of(model)
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    detail = _detail(exc)
    after = _after(retries, waited)
    if name == "Timeout" or status == 408 or isinstance(exc, TimeoutError):
        return ProviderTrouble(
            provider,
            "timeout",
            f"{model} did not answer within {timeout:g}s{after}; raise --llm-timeout, "
            "lower --llm-concurrency, or retry later",
        )
    if "missing credentials" in detail.lower():
        return ProviderTrouble(
            provider, "no API key", f"no API key for {model} ({detail}); set it, {RECORDED_HINT}"
        )
    if cannot_connect(exc):
        return unreachable(provider, model, exc)
    if _is_connection_problem(exc, name, detail):
        return ProviderTrouble(
            provider,
            "cannot connect",
            f"cannot connect to {provider} for {model}{after} ({detail}); check the network "
            f"and api_base, {RECORDED_HINT}",
        )
    if quota_exhausted(exc):
        return ProviderTrouble(
            provider,
            "quota exhausted",
            f"{provider} says the quota for {model} is used up (429: {detail}); check the "
            f"plan and billing, {RECORDED_HINT}",
        )
    return _by_status(provider, model, status, name, detail, after)


def _after(retries: int, waited: float) -> str:
    shown = f"{waited:.1f}" if waited < 10 else f"{waited:.0f}"
    parts = [f"waiting {shown}s on rate limits"] if waited > 0 else []
    if retries:
        parts.append(f"{retries} retr{'y' if retries == 1 else 'ies'}")
    return f" after {' and '.join(parts)}" if parts else ""


def unreachable(provider: str, model: str, exc: BaseException) -> ProviderTrouble:
    """No connection could be made (the name does not resolve, nothing listens, no
    route): the same every time, so never retried."""
    return ProviderTrouble(
        provider,
        "cannot connect",
        f"cannot connect to {provider} for {model} ({_connect_detail(exc)}); check the "
        f"network and api_base, {RECORDED_HINT}",
    )


def too_long_to_wait(
    provider: str, model: str, exc: BaseException, asked: float, timeout: float
) -> ProviderTrouble:
    """The provider asks for a longer wait than one call may spend on rate limits."""
    return ProviderTrouble(
        provider,
        "rate limited",
        f"{provider} rate-limited {model} and asks to wait {asked:.0f}s, longer than "
        f"--llm-timeout {timeout:g}s lets a call wait on rate limits (429: {_detail(exc)}); "
        "retry later or raise --llm-timeout",
    )


def _by_status(
    provider: str, model: str, status: int | None, name: str, detail: str, after: str
) -> ProviderTrouble:
    """Provider errors told apart by HTTP status (or litellm's exception class)."""
    if status in (401, 403) or name in ("AuthenticationError", "PermissionDeniedError"):
        kind = "credentials rejected" if status != 403 else "access denied"
        return ProviderTrouble(
            provider,
            kind,
            f"{provider} rejected the credentials for {model} ({status or name}: {detail}); "
            f"check the API key and its access to this model, {RECORDED_HINT}",
        )
    if status == 404 or name == "NotFoundError":
        return ProviderTrouble(
            provider,
            "model not found",
            f"{provider} does not know model {model} (404: {detail}); fix model.name or "
            "--llm-model",
        )
    if status == 429 or name == "RateLimitError":
        return ProviderTrouble(
            provider,
            "rate limited",
            f"{provider} rate-limited {model}{after} (429: {detail}); raise --llm-timeout "
            "(how long a call may wait on rate limits) or --llm-retries, or retry later",
        )
    if _is_malformed(detail):
        return malformed(model, detail)
    if isinstance(status, int) and status >= 500:
        return ProviderTrouble(
            provider,
            "server error",
            f"{provider} failed for {model}{after} ({status}: {detail}); retry later",
        )
    if isinstance(status, int) and 400 <= status < 500:
        return ProviderTrouble(
            provider,
            "request refused",
            f"{provider} refused the request for {model} ({status}: {detail}); check the "
            "case's model.params, tools and response_format",
        )
    return ProviderTrouble(
        provider, "call failed", f"call to {model} failed: {name}: {detail}; retry later"
    )


_PREFIX = re.compile(r"^(litellm\.)?\w+(Error|Exception|Timeout)?:\s*(\w+Exception\s*-\s*)?")
_RETRIED = re.compile(r"\s*(LiteLLM Retried: \d+ times?.*|Received Model Group=.*)$", re.S)


_SSL_OBJECT = re.compile(r"\s*ssl:(?:<[^>]*>|default)")


def _detail(exc: BaseException) -> str:
    """The provider's own message, without litellm's class-name prefixes."""
    text = str(getattr(exc, "message", None) or exc).strip()
    for _ in range(3):
        text = _PREFIX.sub("", text, count=1).strip()
    text = _RETRIED.sub("", text).strip()
    text = _SSL_OBJECT.sub("", text)  # aiohttp shows its SSL context object, even for http://
    text = _error_body_message(text)
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= 160 else first[:157] + "..."


def _error_body_message(text: str) -> str:
    """An OpenAI-style error body (``{"error": {"message": ...}}``) -> its message."""
    if not text.startswith("{"):
        return text
    try:
        error = json.loads(text).get("error")
    except ValueError:
        return text
    message = error.get("message") if isinstance(error, dict) else error
    return str(message) if message else text


def _is_connection_problem(exc: BaseException, name: str, detail: str) -> bool:
    if isinstance(exc, ConnectionError) or name == "APIConnectionError":
        return True
    lowered = detail.lower()
    return any(
        marker in lowered
        for marker in (
            "connection error",
            "connect call failed",
            "connection refused",
            "server disconnected",
        )
    )


def _is_malformed(detail: str) -> bool:
    lowered = detail.lower()
    return any(
        marker in lowered
        for marker in ("expecting value", "json", "unterminated", "invalid control character")
    )


#: Exceptions (anywhere in the cause chain) that mean no connection was made at all.
_NO_CONNECTION = frozenset(
    {
        "gaierror",  # socket: the name does not resolve
        "ClientConnectorDNSError",
        "ClientConnectorError",  # aiohttp: refused, unreachable, no route
        "ConnectionRefusedError",
        "ConnectError",  # httpx's wrapper of the above
    }
)
_NO_CONNECTION_TEXT = (
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "no address associated with hostname",
    "connect call failed",
    "connection refused",
    "no route to host",
    "network is unreachable",
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen, chain = set(), []
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        chain.append(node)
        node = node.__cause__ or node.__context__
    return chain


def cannot_connect(exc: BaseException) -> bool:
    """True when the call never reached a server (DNS failure, connection refused, host
    unreachable): litellm reports these as a 500, but retrying cannot help."""
    for node in _chain(exc):
        if type(node).__name__ in _NO_CONNECTION:
            return True
    text = str(exc).lower()
    return "cannot connect to host" in text and any(m in text for m in _NO_CONNECTION_TEXT)


def _connect_detail(exc: BaseException) -> str:
    """``host nonexistent.invalid:1 not found (Name or service not known)``."""
    text = _detail(exc)
    host = re.search(r"connect to host (\S+)", text)
    where = host.group(1) if host else "the server"
    reason = re.search(r"\[(.+?)\]\s*$", text)
    why = reason.group(1) if reason else text
    lowered = why.lower()
    if any(m in lowered for m in _NO_CONNECTION_TEXT[:4]) or "gaierror" in lowered:
        return f"the host name of {where} does not resolve: {why}"
    if "refused" in lowered or "connect call failed" in lowered:
        return f"nothing accepts connections at {where}: {why}"
    return f"{where}: {why}"


def quota_exhausted(exc: BaseException) -> bool:
    """A 429 that waiting cannot fix: the account's quota or credit is used up."""
    if getattr(exc, "status_code", None) != 429:
        return False
    text = str(exc).lower()
    return "insufficient_quota" in text or "exceeded your current quota" in text
