"""Small shared helpers (not public)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .errors import ArgumentError

THREADS_ENV = "QUALCORE_THREADS"


def threads_arg(threads: int | None) -> int | None:
    """The thread count for a native call: the argument, else ``$QUALCORE_THREADS``, else all cores."""
    if threads is None:
        env = os.environ.get(THREADS_ENV, "").strip()
        if not env:
            return None
        try:
            threads = int(env)
        except ValueError:
            raise ArgumentError(f"{THREADS_ENV}: expected a whole number, got {env!r}") from None
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ArgumentError(f"threads: expected a whole number >= 1 or None, got {threads!r}")
    return int(threads)


def nullable_turn(turn: np.ndarray) -> pd.arrays.IntegerArray:
    """Turn indices with -1 meaning 'outside every turn' as a nullable Int64 array."""
    turn = np.asarray(turn, dtype=np.int64)
    return pd.arrays.IntegerArray(turn, turn < 0)


def path_stem(path: str) -> str:
    """``pathlib.PurePath(path).stem`` without building a path object (reading 10,000 files
    asks for 10,000 stems).

    >>> [path_stem(p) for p in ("a/b.txt", "x.tar.gz", ".bashrc", "name.", "dir/")]
    ['b', 'x.tar', '.bashrc', 'name.', 'dir']
    """
    name = _last_part(path)
    i = name.rfind(".")
    return name[:i] if 0 < i < len(name) - 1 else name


def path_suffix(path: str) -> str:
    """``pathlib.PurePath(path).suffix``, as :func:`path_stem`.

    >>> [path_suffix(p) for p in ("a/b.TXT", "x.tar.gz", ".bashrc", "name.")]
    ['.TXT', '.gz', '', '']
    """
    name = _last_part(path)
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def _last_part(path: str) -> str:
    """``PurePath(path).name``: the last component, ``"."`` components and trailing slashes
    ignored."""
    parts = [p for p in path.replace(os.sep, "/").split("/") if p and p != "."]
    return parts[-1] if parts else ""


def take_labels(labels: list[str], idx: np.ndarray) -> Any:
    """``labels[idx]`` as the array pandas would make of those strings itself (its default
    string dtype: Arrow-backed ``str`` in pandas 3 with pyarrow, else object), taken from the
    few labels instead of converting every row's string.

    >>> import numpy as np
    >>> list(take_labels(["A1", "B2"], np.array([1, 0, 1])))
    ['B2', 'A1', 'B2']
    """
    idx = np.asarray(idx, dtype=np.intp)
    base = pd.Series(list(labels), dtype=None if labels else object).array
    return base.take(idx)


def categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    """A categorical column from integer codes (no Python string per row)."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=pd.Index(categories, dtype=object))


def atomic_write(path: str | os.PathLike[str], write: Callable[[Any], None], *, binary: bool = True,
                 newline: str | None = "\n", error: type[Exception] = ArgumentError) -> None:
    """Writes through ``write(fh)`` to a temporary file beside ``path`` that replaces it at
    the end, so a failed write leaves the old file (or nothing) in place.  The new file gets
    the old file's permissions, or those of an ordinary new file (0666 less the umask; the
    temporary file's private mode is not kept).  ``error`` is raised, naming the path, when
    ``path`` is a folder or its folder does not exist.  The one place qualcore writes files."""
    target = os.fspath(path)
    if os.path.isdir(target):
        raise error(f"{target}: is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise error(f"{target}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=folder)
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline=newline)) as fh:
            write(fh)
        try:
            mode = os.stat(target).st_mode & 0o777
        except OSError:
            umask = os.umask(0o022)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
