"""Replay: how a case's request turns into a :class:`ReplayResult` to score.

``recorded`` mode needs no model call; live and cached modes (litellm) build on the same
result type. Nothing here imports litellm at import time.
"""

from llm_regressions.replay.result import ReplayResult, ToolCall

__all__ = ["ReplayResult", "ToolCall"]
