"""Root conftest: lets the test suite drive real pytest sessions through ``pytester``."""

try:
    # litellm imports the importlib_metadata backport, which adds a finder to
    # sys.meta_path. If that first happened inside an in-process pytester run,
    # pytester's sys.modules restore would orphan the finder and every later run in
    # this process would see no pytest11 entry points (so no plugin options).
    import importlib_metadata  # noqa: F401
except ImportError:  # not installed: nothing can orphan its finder either
    pass

pytest_plugins = ["pytester"]
