"""Files: writes that never leave half a file behind and never clobber by accident,
and paths shown the way the user thinks of them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class FileExistsRefused(FileExistsError):
    """The target exists and the caller did not ask to overwrite it."""


def atomic_write(path: Path, text: str, *, overwrite: bool = False, sync: bool = True) -> None:
    """Write ``text`` to ``path`` through a temp file in the same folder.

    Readers see either the old file or the whole new one. Without ``overwrite`` an
    existing file is refused, atomically (``os.link`` fails if the name is taken).
    ``sync=False`` skips the fsync, for files a crash may lose (caches).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp_name, _mode_for(path))  # mkstemp makes it 0600: not what an editor does
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp_name, path)
            return
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            raise FileExistsRefused(f"{path} already exists; refusing to overwrite it") from None
        except OSError:  # file systems without hard links
            if path.exists():
                raise FileExistsRefused(
                    f"{path} already exists; refusing to overwrite it"
                ) from None
            os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def keep_out_of_git(folder: Path) -> None:
    """A ``.gitignore`` that ignores everything in a cache folder (answers, parsed case
    files: local data, never part of the repository). Raises OSError."""
    if not (folder / ".gitignore").exists():
        atomic_write(folder / ".gitignore", "*\n", overwrite=True)


def _read_umask() -> int:
    # os.umask can only be read by setting it: done once, at import, before any thread
    # of ours could create a file in the moment it is 0
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


_UMASK = _read_umask()


def _mode_for(path: Path) -> int:
    """The mode an editor's save would give: the file's own when it exists, else
    0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


def display_path(path: Path, base: Path | None) -> str:
    """``path`` relative to ``base`` when it lies below it (POSIX separators, so reports
    read the same everywhere), else as given."""
    if base is not None:
        # as written first (``..`` folded, symlinks kept: a linked case file is shown
        # where it was collected), then with every link followed; the common case in
        # plain strings first, as pathlib costs ~0.1 ms a call (one per case)
        text, root = os.path.normpath(path), os.path.normpath(base)
        if text.startswith(root + os.sep):
            return text[len(root) + 1 :].replace(os.sep, "/")
        plain = Path(text), Path(root)
        for inner, outer in (plain, (path.resolve(), base.resolve())):
            if inner.is_relative_to(outer):
                return inner.relative_to(outer).as_posix()
    return str(path)
