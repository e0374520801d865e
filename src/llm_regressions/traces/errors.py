"""Why a trace file could not be read: one message naming the file and the problem."""

from __future__ import annotations


class TraceError(Exception):
    """A trace file cannot be used. ``str()`` is the user-facing message."""


class Declined(Exception):
    """A reader does not accept a document; the message says why (listed on refusal)."""


class BadTrace(TraceError):
    """The document is in a reader's format, but a value in it cannot be used. The
    message names the span and the field, not the file (the caller adds it)."""
