"""Which project files a Python module depends on, read from its source with ``ast``.

Used to tell whether a change can affect a render hook, an app target or a ``python``
check without running (or importing) the user's code: a module name is found on the
import path the way Python's path finder would, each file's ``import`` statements are
parsed, and the walk follows them transitively while they stay in the project (under
``project``, outside any ``site-packages``). Imports anywhere in a file count (inside
functions, ``try`` or ``if TYPE_CHECKING``): a superset is the safe side. Imports built
at run time (``importlib.import_module(name)``) cannot be seen.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

_THIRD_PARTY = frozenset({"site-packages", "dist-packages"})


class ImportGraph:
    """Module names resolved to project files, and their project imports, each worked
    out once per session."""

    def __init__(self, project: Path, search_path: Sequence[str] | None = None) -> None:
        self.project = project.resolve()
        self._search_path = search_path
        self._files: dict[str, Path | None] = {}
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}
        self._imports: dict[Path, set[str]] = {}

    def files_of(self, module: str) -> dict[Path, str]:
        """Every project file importing ``module`` runs: the module, its parent
        packages' ``__init__`` files, and (transitively) what they import from the project.
        Maps each file to the module name it was reached as. Empty when ``module`` is not
        project code (third-party, standard library, or nowhere to be found)."""
        found: dict[Path, str] = {}
        pending = [module]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            for part in _with_parents(name):
                if part in seen:
                    continue
                seen.add(part)
                path = self.file_of(part)
                if path is not None and path not in found:
                    found[path] = part
                    pending.extend(self.imports_of(path, part))
        return found

    def file_of(self, module: str) -> Path | None:
        """The project file defining ``module`` (``__init__.py`` for a package)."""
        if module not in self._files:
            spec = self._spec(module)
            located = spec is not None and spec.has_location and spec.origin
            origin = Path(spec.origin).resolve() if located else None
            self._files[module] = origin if origin and self._in_project(origin) else None
        return self._files[module]

    @property
    def search_path(self) -> list[str]:
        """Where top-level modules are looked for: ``sys.path`` when first needed (after
        pytest added ``pythonpath`` and the rootdir), unless given."""
        if not isinstance(self._search_path, list):
            given = self._search_path if self._search_path is not None else sys.path
            self._search_path = [str(Path(p or ".").resolve()) for p in given]
        return self._search_path

    def _spec(self, module: str) -> importlib.machinery.ModuleSpec | None:
        if module not in self._specs:
            self._specs[module] = self._find(module)
        return self._specs[module]

    def _find(self, module: str) -> importlib.machinery.ModuleSpec | None:
        """Found without importing anything: top-level names on the search path (or by
        the import system's finders, e.g. an editable install's), submodules in their
        parent's folders."""
        parent, _, last = module.rpartition(".")
        try:
            if not parent:
                return importlib.machinery.PathFinder.find_spec(
                    module, self.search_path
                ) or importlib.util.find_spec(module)
            above = self._spec(parent)
            folders = above.submodule_search_locations if above else None
            # by its last part: a dotted name would make the finder look its parent up in
            # sys.modules, which is not imported
            return importlib.machinery.PathFinder.find_spec(last, list(folders or []))
        except (ImportError, ValueError, KeyError):
            return None

    def _in_project(self, path: Path) -> bool:
        return path.is_relative_to(self.project) and not _THIRD_PARTY & set(path.parts)

    def imports_of(self, path: Path, module: str) -> set[str]:
        """Absolute names of the modules ``path`` (module ``module``) imports; for
        ``from pkg import name``, both ``pkg`` and ``pkg.name`` (a submodule or not)."""
        if path not in self._imports:
            self._imports[path] = _parse_imports(path, module)
        return self._imports[path]


def _parse_imports(path: Path, module: str) -> set[str]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return set()  # a broken module cannot be followed; it is reported when imported
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base is not None:
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return {name for name in names if name}


def _absolute(name: str | None, level: int, package: str) -> str | None:
    """``from ..x import y`` in ``package`` -> the absolute name of ``..x``."""
    if level == 0:
        return name
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None  # beyond the top-level package: Python refuses it too
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([name] if name else [])]) or None


def _with_parents(module: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b", "a.b.c"]``: importing a submodule runs its parents."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]
