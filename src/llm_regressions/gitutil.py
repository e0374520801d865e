"""Every question the plugin asks git, in one place: subprocess with a timeout, never a
library, and no git at all unless a feature needs it.

Answers are plain values (paths, text). :class:`GitError` says, in one line, what is
missing and how to fix it; callers that can do without git (the JSON report's commit)
catch it and go on, those that cannot (``--llm-changed-since``) turn it into a usage
error.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

#: Seconds any one git command may take (a diff of a large checkout is still well under).
TIMEOUT = 30.0


class GitError(Exception):
    """git is missing, the folder is not a checkout, a ref is unknown, or git failed."""


class GitMissing(GitError):
    """No ``git`` program to run."""


def _git(cwd: Path, *args: str) -> str:
    """stdout of ``git args`` run in ``cwd``; raises GitError with git's own reason."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
        )
    except FileNotFoundError:
        raise GitMissing("git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"'git {' '.join(args)}' took more than {TIMEOUT:g}s") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise GitError(reason)
    return done.stdout


def toplevel(folder: Path) -> Path:
    """The root of the checkout holding ``folder``."""
    try:
        return Path(_git(folder, "rev-parse", "--show-toplevel").strip()).resolve()
    except GitError as exc:
        if "not a git repository" in str(exc):
            raise GitError(f"{folder} is not inside a git checkout") from None
        raise


def resolve_commit(top: Path, ref: str) -> str:
    """The commit ``ref`` names (a branch, tag, remote branch, sha, ``HEAD~3``...)."""
    if ref.startswith("-"):
        raise GitError(f"{ref!r} is not a git ref")
    try:
        found = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(f"unknown git ref {ref!r}") from None
    return found.strip()


def changed_since(top: Path, commit: str) -> set[Path]:
    """Absolute paths of the files that differ between ``commit`` and the working tree
    (committed since, staged or not), plus untracked files git does not ignore. Both
    sides of a rename are listed; deleted files too."""
    diff = _git(top, "diff", "--name-only", "--no-renames", "-z", commit, "--")
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    names = [n for n in (diff + untracked).split("\0") if n]
    return {(top / name).resolve() for name in names}


def file_at(top: Path, commit: str, path: Path) -> str | None:
    """``path``'s content at ``commit``; None when it did not exist there."""
    relative = path.resolve().relative_to(top).as_posix()
    try:
        return _git(top, "show", f"{commit}:{relative}")
    except GitError:
        return None


def head_state(root: Path) -> dict[str, Any] | None:
    """Commit and dirty flag (tracked files only) of the checkout, or None without git."""
    try:
        commit = _git(root, "rev-parse", "HEAD").strip()
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no").strip()
    except GitError:
        return None
    return {"commit": commit, "dirty": bool(dirty)}
