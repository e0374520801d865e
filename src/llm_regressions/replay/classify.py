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


def classify(exc: BaseException, model: str, *, timeout: float, retries: int) -> ProviderTrouble:
    """Turn whatever litellm raised into :class:`ProviderTrouble`."""
    provider = getattr(exc, "llm_provider", None) or provider_of(model)
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    detail = _detail(exc)
    after = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
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
    if _is_connection_problem(exc, name, detail):
        return ProviderTrouble(
            provider,
            "cannot connect",
            f"cannot connect to {provider} for {model}{after} ({detail}); check the network "
            f"and api_base, {RECORDED_HINT}",
        )
    return _by_status(provider, model, status, name, detail, after)


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
            f"{provider} rate-limited {model}{after} (429: {detail}); lower --llm-concurrency "
            "or raise --llm-retries",
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
