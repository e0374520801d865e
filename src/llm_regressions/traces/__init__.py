"""Reading real trace files: one neutral span model, one reader per format."""

from llm_regressions.traces.detect import read_trace
from llm_regressions.traces.errors import TraceError
from llm_regressions.traces.model import Span, Trace

__all__ = ["Span", "Trace", "TraceError", "read_trace"]
