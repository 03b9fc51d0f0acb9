"""Small shared helpers (not public)."""

from __future__ import annotations

import os

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


def categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    """A categorical column from integer codes (no Python string per row)."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=pd.Index(categories, dtype=object))
