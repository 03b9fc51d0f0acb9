"""Memory measurement shared by the benchmarks (refi.py, reading.py, cooc.py), Linux /proc based.

:func:`measured` runs one timed call: a garbage collection, the resident memory then as the
base, VmHWM reset (``rss_mb``, ``reset_peak``), the call, and the peak resident memory above
the base (``peak_mb() - base``): what the call itself added.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple


def rss_mb() -> float:
    """The process's resident memory now, in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def reset_peak() -> bool:
    """Reset VmHWM to the current resident memory; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:  # not Linux, or not allowed: the peak then includes what came before
        return False


def peak_mb() -> float:
    """The process's peak resident memory (VmHWM) since start or the last reset, in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1e3
    return float("nan")


class Measured(NamedTuple):
    result: Any
    seconds: float  # wall time of the call
    peak_above_base_mb: float  # peak resident memory during the call above what the process held before it
    peak_reset: bool  # False: the peak could not be reset and includes what came before


def measured(call: Callable[[], Any]) -> Measured:
    """Runs ``call()`` once, after a garbage collection, timed and with its peak memory."""
    gc.collect()
    base = rss_mb()
    reset = reset_peak()
    t = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - t
    return Measured(result, seconds, peak_mb() - base, reset)
