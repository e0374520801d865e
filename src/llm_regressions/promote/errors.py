"""Why a promotion is refused, with the exit code to end the command with."""

from __future__ import annotations

#: Exit codes: a usage mistake (as pytest's own), and input that cannot be promoted.
USAGE, FAILED = 4, 1


class PromoteError(Exception):
    """A promotion is refused; ``str()`` says why. Nothing has been written."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code
