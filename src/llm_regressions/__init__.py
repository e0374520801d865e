"""pytest-llm-regressions: trace-based regression testing of LLM applications.

The pytest plugin lives in :mod:`llm_regressions.plugin`; importing this package is cheap
(no litellm, no pydantic) so that a pytest run that does not use the plugin pays nothing.
"""

__version__ = "0.1.0"
