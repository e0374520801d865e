"""Root conftest: lets the test suite drive real pytest sessions through ``pytester``."""

pytest_plugins = ["pytester"]
