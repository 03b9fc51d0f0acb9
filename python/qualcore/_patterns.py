"""Compiled patterns, cached by content: a codebook's patterns are compiled once per process
(and so once per Dask worker), however many corpora or partitions they are applied to."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

from . import _native

__all__ = ["compiled"]

_MAX = 8
_cache: OrderedDict[tuple[str, int, str, bool], _native.CompiledPatterns] = OrderedDict()
_lock = threading.Lock()


def compiled(patterns: Sequence[str], valuetype: str, case_insensitive: bool,
             pattern_code: Sequence[int] | None = None,
             code_names: Sequence[str] | None = None) -> _native.CompiledPatterns:
    """The compiled form of ``patterns`` (from the cache when the same patterns, value type and
    case folding were compiled before in this process).  ``pattern_code``/``code_names`` only
    name a code whose pattern does not compile.

    >>> from qualcore._patterns import compiled
    >>> a = compiled(["trust*", "evidence base"], "glob", True)
    >>> a is compiled(["trust*", "evidence base"], "glob", True), len(a)
    (True, 2)
    """
    h = hashlib.sha1()
    for p in patterns:  # length-prefixed: no two lists of patterns give the same bytes
        b = p.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    key = (h.hexdigest(), len(patterns), valuetype, bool(case_insensitive))
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    made = _native.CompiledPatterns(list(patterns), valuetype, bool(case_insensitive),
                                    None if pattern_code is None else list(pattern_code),
                                    None if code_names is None else list(code_names))
    with _lock:
        _cache[key] = made
        while len(_cache) > _MAX:
            _cache.popitem(last=False)
    return made
