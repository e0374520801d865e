"""Secret redaction, applied to everything a promoted case holds before it is written.

Findings name where and what kind of secret was removed, never the secret itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: (kind, pattern, group holding the secret (0 = the whole match), needles). Order
#: matters: the more specific key formats run before the generic ones. A pattern only
#: runs on text holding one of its needles (case-folded), which every match contains:
#: most text holds none, and a regex that cannot start from a literal scans slowly.
#: The needles are found in one pass, so none may contain another.
PATTERNS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    # a PEM block, or its start when the text was cut before the END line
    (
        "private-key",
        r"(?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)",
        0,
        ("private key-----",),
    ),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", 0, ("eyj",)),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{16,}", 0, ("sk-",)),
    # 16+ key characters, or 8 to 15 with a digit among them (sk-proj-abc123, not sk-learn)
    (
        "openai-key",
        r"\bsk-(?:[A-Za-z0-9_-]{16,}|(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{8,15})",
        0,
        ("sk-",),
    ),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}", 0, ("k_live_", "k_test_")),
    ("slack-token", r"\bxox[abposr]-[0-9A-Za-z][0-9A-Za-z-]{8,}", 0, ("xox",)),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}", 0, ("hf_",)),
    ("aws-access-key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", 0, ("akia", "asia")),
    (
        "aws-secret-key",
        r"(?i)\baws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        1,
        ("secret",),
    ),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b", 0, ("aiza",)),
    (
        "github-token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{36,})",
        0,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    ("bearer-token", r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})", 1, ("bearer",)),
    (
        "authorization-header",
        r"(?i)\b(?:authorization|proxy-authorization|x-api-key|api-key)[\"']?\s*[:=]\s*"
        r"[\"']?((?:basic|bearer|token)?\s*[^\s\"',;}]+)",
        1,
        ("authorization", "api-key"),
    ),
    ("url-password", r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@", 1, ("://",)),
    # a credential in a URL's query string: ?api_key=..., &access_token=..., &sig=...
    (
        "url-query-secret",
        r"(?i)[?&][a-z0-9_.-]*(?:key|token|secret|password|passwd|auth|sig|signature)"
        r"=([^&#\s\"'<>]+)",
        1,
        ("key=", "token=", "secret", "password=", "passwd=", "auth=", "sig=", "signature="),
    ),
)
_SECRET_NAME = re.compile(
    r"(?i)(?:^|[_.-])(?:api[_-]?key|apikey|secret|secret[_-]?key|client[_-]?secret|password|"
    r"passwd|pwd|token|access[_-]?token|refresh[_-]?token|auth[_-]?token|id[_-]?token|"
    r"authorization|credentials?|private[_-]?key|session[_-]?token|cookie)$"
)


@dataclass
class Finding:
    where: str
    kind: str


@dataclass
class Redactor:
    """Applies the built-in patterns plus ``extra`` user regular expressions."""

    extra: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._patterns = [(kind, re.compile(p), g, set(n)) for kind, p, g, n in PATTERNS]
        for index, pattern in enumerate(self.extra):
            self._patterns.append((f"custom-pattern-{index + 1}", re.compile(pattern), 0, set()))
        needles = sorted({n for *_, found in PATTERNS for n in found})
        self._needles = re.compile("|".join(map(re.escape, needles)))

    def text(self, value: str) -> tuple[str, list[str]]:
        """``value`` with secrets replaced by ``[REDACTED:<kind>]``, and the kinds found."""
        kinds: list[str] = []
        present = set(self._needles.findall(value.lower()))
        for kind, pattern, group, needles in self._patterns:
            if needles and not needles & present:
                continue
            value, count = pattern.subn(lambda m, k=kind, g=group: _replace(m, k, g), value)
            kinds += [kind] * count
        return value, kinds

    def data(self, value: Any, where: str = "") -> tuple[Any, list[Finding]]:
        """A redacted copy of plain data (dicts, lists, strings), with findings."""
        findings: list[Finding] = []
        return self._walk(value, where, findings), findings

    def _walk(self, value: Any, where: str, findings: list[Finding]) -> Any:
        if isinstance(value, str):
            redacted, kinds = self.text(value)
            findings += [Finding(where, k) for k in kinds]
            return redacted
        if isinstance(value, list):
            return [self._walk(v, f"{where}[{i}]", findings) for i, v in enumerate(value)]
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and _SECRET_NAME.search(key) and _is_secret_value(item):
                    findings.append(Finding(path, "secret-named field"))
                    kept[key] = "[REDACTED:secret-named-field]"
                else:
                    kept[key] = self._walk(item, path, findings)
            return kept
        return value


def _is_secret_value(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) != ""


def _replace(match: re.Match[str], kind: str, group: int) -> str:
    if group == 0:
        return f"[REDACTED:{kind}]"
    start, end = match.start(group) - match.start(), match.end(group) - match.start()
    whole = match.group(0)
    return whole[:start] + f"[REDACTED:{kind}]" + whole[end:]


def summary(findings: list[Finding]) -> list[str]:
    """One line per finding: where and what kind (never the value)."""
    return [f"{f.where}: {f.kind}" for f in findings]
