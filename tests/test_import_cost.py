"""A pytest run that does not use the plugin pays nothing for it being installed."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--llm-regressions", "--llm-replay", "recorded"],
        ["--llm-regressions", "--llm-estimate"],  # live, but it sends nothing
    ],
)
def test_heavy_modules_are_not_imported(
    pytester: pytest.Pytester, write_case, args: list[str]
) -> None:
    write_case("refund.yaml")
    pytester.makeconftest(
        """
        import sys

        def pytest_sessionfinish(session):
            heavy = sorted(m for m in ("litellm", "openai", "pydantic", "yaml", "deepdiff", "jsonschema") if m in sys.modules)
            print("\\nHEAVY:", ",".join(heavy) or "none")
        """
    )
    pytester.makepyfile(test_plain="def test_plain(): pass")
    result = pytester.runpytest_subprocess(*args, "-s", "-p", "no:cacheprovider")
    heavy = [line for line in result.outlines if line.startswith("HEAVY:")][-1]
    if args:
        # Recorded replay and the estimate need the case model, but never a model client.
        assert "litellm" not in heavy and "openai" not in heavy
    else:
        assert heavy == "HEAVY: none"
