"""Root conftest: lets the test suite drive real pytest sessions through ``pytester``.

(litellm and every plugin module are imported once, before any in-process pytester run,
by the autouse fixture in ``tests/conftest.py``: see there why.)
"""

pytest_plugins = ["pytester"]
