"""qualcore on Dask: the same analyses, one partition of documents at a time.

``import qualcore.dask as qd`` (needs ``pip install 'qualcore[dask]'``: ``dask[dataframe]`` and
``distributed``).  Nothing here is a second implementation: every partition runs the ordinary
qualcore calls (:meth:`qualcore.Corpus.from_frame`, :meth:`~qualcore.Corpus.kwic`,
:func:`qualcore.code_matrix` …) on a :class:`qualcore.Corpus` built from that partition's
rows, and additive results are summed.

>>> import pandas as pd, qualcore as qc, qualcore.dask as qd
>>> turns = pd.DataFrame({"doc_id": ["A1", "A1", "B1"], "speaker": ["Int", "A1", "B1"],
...                       "text": ["Do you trust it?", "I trust the data.", "No trust."],
...                       "group": ["front-line", "front-line", "leader"]})
>>> dc = qd.from_frame(turns, speaker="speaker", attributes=["group"], npartitions=2)
>>> cb = qc.Codebook.from_dict({"Trust": ["trust"], "Data": ["data"]})
>>> codings = qd.autocode(dc, cb).compute().sort_values(["doc_id", "start"])
>>> codings[["doc_id", "speaker", "code", "text"]].values.tolist()
[['A1', 'Int', 'Trust', 'trust'], ['A1', 'A1', 'Trust', 'trust'], ['A1', 'A1', 'Data', 'data'], ['B1', 'B1', 'Trust', 'trust']]
>>> qd.code_matrix(dc, cb, by="group").to_dict("index")
{'Trust': {'front-line': 1, 'leader': 1, 'all': 2}, 'Data': {'front-line': 1, 'leader': 0, 'all': 1}}

Partitions and documents
------------------------
A partition must hold whole documents: every turn of a document in one partition, in order.
Results that count per document (participants in :func:`code_matrix`, units in
:func:`cooccurrence`, rows of :func:`dfm`) are sums over partitions only then, and a document
cut in two would silently get two sets of offsets.  :func:`from_frame` makes sure of it:

- rows are documents (``speaker=None``): any partitioning keeps documents whole;
- rows are turns and the frame's index is ``doc_id`` with known divisions (``set_index``,
  ``read_parquet(..., index="doc_id", calculate_divisions=True)``): kept as it is — the rows of
  a document must then be in turn order within their partition;
- otherwise the frame is shuffled on ``doc_id`` (hash partitioning: documents land in
  partitions by hash, not in their input order), each partition keeping its rows' input order;
- ``partitioned=True`` skips the shuffle when you know that partitions never split a document
  (e.g. one file or one ``dd.from_map`` item per partition).

The reductions check it anyway: each per-partition result carries its document ids and
:func:`combine` raises :class:`~qualcore.errors.DuplicateIdError` naming the ids found in two
partitions.  The frame-valued results (:func:`kwic`, :func:`autocode`, :func:`align`) are not
checked.  Documents come out in partition order (after a shuffle, not the input order): sort a
result if you need another.

Lazy frames, computed reductions
--------------------------------
:func:`kwic`, :func:`autocode`, :func:`align` and :func:`n_words` return lazy dask
collections with fixed dtypes (declared ``meta``; strings are ``string[pyarrow]``, whose
columns travel between processes as Arrow buffers rather than one Python object per cell).
:func:`code_matrix`, :func:`cooccurrence`, :func:`dfm`, :func:`fcm` and :func:`word_counts` run
a per-partition function, combine the partial results by a tree reduction (``split_every``
partials at a time, default 8) and return the same object the single-machine call returns;
``compute=False`` returns a :class:`dask.delayed.Delayed` instead (so that several results
share one pass: ``dask.compute(a, b)``).  Per-partition results are DataFrames, Series or
``scipy.sparse`` matrices with their labels, never Python dicts or lists (dask serialises those
item by item).

Shipping codebooks once per worker
----------------------------------
Codebooks, KWIC patterns and extracts go to the workers as one :class:`Shared` object per
call: a pickled blob and its content hash, placed once in the task graph.  A worker process
unpickles the blob the first time it meets the hash and keeps the object in a small
per-process cache (:func:`cache_info`, :func:`clear_cache`), so a 100,000-pattern codebook is
rebuilt once per worker, not once per partition.  Corpora pickle too (``Corpus.__reduce__``)
and may be wrapped with :func:`shared`.  The compiled pattern automaton is cached too, by the
patterns' content, in every process (``qualcore._patterns``; a native ``CompiledPatterns``
that pickles as its patterns): a worker compiles a codebook's patterns once (about 0.01 s for
1,000 patterns, 0.5 s for 100,000), whatever the number of its partitions.

Threads
-------
Dask runs one task per worker thread, so the per-partition functions default to
``threads=1``: one rayon thread per task, and :data:`qualcore.THREADS_ENV` set to 1 while the
task runs for the calls that take no ``threads=`` argument.  ``threads=None`` gives qualcore's
default (all cores) — use it with one worker thread per machine.  (Sentence splitting for
``cooccurrence(unit="sentence")`` always runs on qualcore's default pool.)

Ray and Spark
-------------
The per-partition functions (``*_partition``, :func:`corpus_of`) are plain functions of a pandas
frame; :func:`combine` and :func:`finish` turn their partial results into the final object.
Recipes (not run by the tests)::

    # Ray: one task per pandas frame of whole documents
    import ray, functools, qualcore.dask as qd
    cb = ray.put(qd.shared(codebook))                 # shipped once, cached per worker
    opts = qd.ReadOptions(speaker="speaker", attributes=("group",))
    part = ray.remote(qd.code_matrix_partition)
    parts = ray.get([part.remote(frame, cb, opts, by="group") for frame in frames])
    matrix = qd.finish(qd.combine(parts))             # == qc.code_matrix(...)

    # Spark: partition by document, one pandas frame per partition, tree reduction
    import pandas as pd, qualcore.dask as qd
    cb = spark.sparkContext.broadcast(qd.shared(codebook))
    opts = qd.ReadOptions(speaker="speaker", attributes=("group",))
    rdd = sdf.repartition("doc_id").sortWithinPartitions("doc_id", "turn").rdd
    parts = rdd.mapPartitions(lambda rows: [qd.code_matrix_partition(
        pd.DataFrame([r.asDict() for r in rows], columns=sdf.columns), cb.value, opts, by="group")])
    matrix = qd.finish(parts.treeReduce(lambda a, b: qd.combine([a, b]), depth=3))
    # frame-valued results: sdf.groupBy(spark_partition_id()).applyInPandas(
    #     lambda df: qd.kwic_partition(df, ["trust*"], opts), schema=...)

What is tested, and what is not
-------------------------------
Tested (``tests/test_dask.py``): every per-partition function without Dask; graph construction
and results with the synchronous scheduler; every Dask result against the single-process result
on the 137 AMI meetings, on a local cluster of 2 worker processes with 1 thread each; the
per-worker codebook cache.  *Not* tested: clusters of several machines, lost workers and task
retries, spilling to disk under memory pressure, the Ray and Spark recipes above.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from ._codebook import Codebook
from ._coding import Coding, _check_extract_columns, _flat_codebook
from ._coding import code_matrix as _code_matrix
from ._cooccurrence import _check_args as _check_cooc
from ._cooccurrence import _result as _cooc_result
from ._cooccurrence import cooccurrence as _cooccurrence
from ._corpus import TURN_SEPARATOR, Corpus, _check_frame_columns
from ._terms import (
    Dfm,
    Fcm,
    _check_fcm_args,
    _check_max_features,
    _csr64,
    _df_bounds,
    _df_kept,
    _dfm_of,
    _doc_count_limit,
    _fcm_of,
)
from ._util import THREADS_ENV, threads_arg
from .errors import ArgumentError, DuplicateIdError

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "DaskCorpus",
    "ReadOptions",
    "Shared",
    "Partial",
    "CacheInfo",
    "from_frame",
    "kwic",
    "autocode",
    "align",
    "n_words",
    "code_matrix",
    "cooccurrence",
    "dfm",
    "fcm",
    "word_counts",
    "corpus_of",
    "kwic_partition",
    "autocode_partition",
    "align_partition",
    "n_words_partition",
    "code_matrix_partition",
    "cooccurrence_partition",
    "dfm_partition",
    "fcm_partition",
    "word_counts_partition",
    "combine",
    "finish",
    "shared",
    "cache_info",
    "clear_cache",
    "STRING",
]

#: The dtype of every string column of a Dask result (as dask itself converts strings).
STRING = "string[pyarrow]"

_ROW = "__qualcore_row__"  # input order of a row, kept through a shuffle
_SPLIT_EVERY = 8


def _require_dask() -> Any:
    """``dask.dataframe``, or an ImportError that says what to install."""
    try:
        import dask  # noqa: F401
        import dask.dataframe as dd
    except ImportError as err:  # pragma: no cover - exercised only without dask
        raise ImportError(
            "qualcore.dask needs dask: pip install 'qualcore[dask]' (installs dask[dataframe] and distributed); "
            "the *_partition functions, combine() and finish() work without it"
        ) from err
    return dd


# =========================================================================== options


@dataclass(frozen=True)
class ReadOptions:
    """How a partition's rows become a :class:`qualcore.Corpus`: the arguments of
    :meth:`qualcore.Corpus.from_frame`.  Rows are documents when ``speaker`` is None, else
    turns (a document's rows, in frame order, are its turns).

    >>> import qualcore.dask as qd
    >>> qd.ReadOptions(speaker="speaker", attributes=("group",)).speaker
    'speaker'
    """

    text: str = "text"
    doc_id: str = "doc_id"
    speaker: str | None = None
    time_start: str | None = None
    time_end: str | None = None
    attributes: tuple[str, ...] | None = None
    interviewer: tuple[str, ...] = ()
    separator: str = TURN_SEPARATOR

    def attribute_columns(self, columns: Sequence[str]) -> list[str]:
        """The columns of a frame with ``columns`` that become document attributes.

        >>> import qualcore.dask as qd
        >>> qd.ReadOptions().attribute_columns(["doc_id", "text", "group"])
        ['group']
        """
        if self.attributes is not None:
            return list(self.attributes)
        if self.speaker is not None:
            return []
        skip = {self.text, self.doc_id, _ROW}
        return [c for c in columns if c not in skip]


def _options(options: ReadOptions | None) -> ReadOptions:
    if options is None:
        return ReadOptions()
    if not isinstance(options, ReadOptions):
        raise ArgumentError(f"options: expected qualcore.dask.ReadOptions, got {type(options).__name__}")
    return options


def corpus_of(frame: pd.DataFrame, options: ReadOptions | None = None) -> Corpus:
    """The :class:`qualcore.Corpus` of one partition (a pandas frame of whole documents), as
    :meth:`qualcore.Corpus.from_frame` builds it with ``options``.  A ``doc_id`` index is
    used as the id column.

    >>> import pandas as pd, qualcore.dask as qd
    >>> frame = pd.DataFrame({"doc_id": ["A1", "A1"], "speaker": ["Int", "A1"], "text": ["Why?", "Trust."]})
    >>> qd.corpus_of(frame, qd.ReadOptions(speaker="speaker"))
    <qualcore.Corpus: 1 documents, 2 turns, attributes []>
    """
    o = _options(options)
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}")
    if o.doc_id not in frame.columns and frame.index.name == o.doc_id:
        frame = frame.reset_index()
    if _ROW in frame.columns:
        frame = frame.sort_values(_ROW, kind="stable").drop(columns=_ROW)
    if len(frame) == 0:
        # An empty partition (common after a shuffle): plain object columns, which every
        # qualcore call handles (extension arrays cannot always take an empty selection).
        frame = frame.astype(object)
    attrs = list(o.attributes) if o.attributes is not None else None
    return Corpus.from_frame(frame, text=o.text, doc_id=o.doc_id, speaker=o.speaker, time_start=o.time_start,
                             time_end=o.time_end, attributes=attrs, interviewer=o.interviewer, separator=o.separator)


# =========================================================================== shipping objects


class CacheInfo(NamedTuple):
    """Counters of this process's cache of :class:`Shared` objects (as ``functools``'
    ``cache_info``): ``hits`` (found), ``misses`` (unpickled and built), ``maxsize``,
    ``currsize``.

    >>> import qualcore.dask as qd
    >>> qd.clear_cache(); qd.cache_info().misses
    0
    """

    hits: int
    misses: int
    maxsize: int
    currsize: int


_CACHE: OrderedDict[str, Any] = OrderedDict()
_CACHE_MAXSIZE = 8
_CACHE_LOCK = threading.Lock()
_CACHE_COUNTS = [0, 0]  # hits, misses


def _cached(key: str, blob: bytes) -> Any:
    with _CACHE_LOCK:  # held while building: two tasks of one worker never build the same object
        if key in _CACHE:
            _CACHE.move_to_end(key)
            _CACHE_COUNTS[0] += 1
            return _CACHE[key]
        value = pickle.loads(blob)
        _CACHE_COUNTS[1] += 1
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_MAXSIZE:
            _CACHE.popitem(last=False)
        return value


def _restore_shared(key: str, blob: bytes) -> Shared:
    s = Shared.__new__(Shared)
    s.key, s._blob, s._value = key, blob, None
    return s


class Shared:
    """An object shipped to worker processes once and rebuilt there once per process: it
    pickles as its own pickled bytes and their content hash (``key``); in another process,
    :meth:`get` looks the key up in a per-process cache and unpickles the bytes only on a miss.
    Use it for anything expensive to rebuild (codebooks, corpora) that many tasks share; the
    Dask functions here wrap their arguments in it themselves.

    >>> import pickle, qualcore as qc, qualcore.dask as qd
    >>> cb = qc.Codebook.from_dict({"Trust": ["trust*"]})
    >>> s = qd.shared(cb)
    >>> s.get() is cb                      # in this process: the object itself
    True
    >>> qd.clear_cache()
    >>> a, b = pickle.loads(pickle.dumps(s)), pickle.loads(pickle.dumps(s))
    >>> a.get() is b.get(), a.get() == cb  # elsewhere: unpickled once, then cached
    (True, True)
    >>> qd.cache_info().misses, qd.cache_info().hits
    (1, 2)
    """

    __slots__ = ("key", "_blob", "_value")

    def __init__(self, value: Any) -> None:
        if isinstance(value, Shared):
            value = value.get()
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.key: str = f"{type(value).__module__}.{type(value).__qualname__}:" + hashlib.blake2b(blob, digest_size=16).hexdigest()
        self._blob: bytes = blob
        self._value: Any = value

    def get(self) -> Any:
        """The object (built at most once per process for each content hash).

        >>> import qualcore.dask as qd
        >>> qd.shared({"trust": ["trust*"]}).get()
        {'trust': ['trust*']}
        """
        if self._value is not None:
            return self._value
        return _cached(self.key, self._blob)

    @property
    def nbytes(self) -> int:
        """Size of the pickled object in bytes.

        >>> import qualcore.dask as qd
        >>> qd.shared(["trust"]).nbytes > 0
        True
        """
        return len(self._blob)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_shared, (self.key, self._blob))

    def __dask_tokenize__(self) -> Any:
        return ("qualcore.dask.Shared", self.key)

    def __repr__(self) -> str:
        return f"<qualcore.dask.Shared {self.key} ({len(self._blob):,} bytes)>"


def shared(value: Any) -> Shared:
    """``value`` wrapped to travel once and be cached per worker process (see :class:`Shared`).

    >>> import qualcore as qc, qualcore.dask as qd
    >>> qd.shared(qc.Codebook.from_dict({"T": ["trust"]})).key.startswith("qualcore._codebook.Codebook:")
    True
    """
    return value if isinstance(value, Shared) else Shared(value)


def cache_info() -> CacheInfo:
    """This process's cache counters (on a cluster: ``client.run(qualcore.dask.cache_info)``).

    >>> import qualcore.dask as qd
    >>> qd.clear_cache(); qd.cache_info()
    CacheInfo(hits=0, misses=0, maxsize=8, currsize=0)
    """
    with _CACHE_LOCK:
        return CacheInfo(_CACHE_COUNTS[0], _CACHE_COUNTS[1], _CACHE_MAXSIZE, len(_CACHE))


def clear_cache() -> None:
    """Empties this process's cache of :class:`Shared` objects and resets its counters.

    >>> import qualcore.dask as qd
    >>> qd.clear_cache(); qd.cache_info().currsize
    0
    """
    with _CACHE_LOCK:
        _CACHE.clear()
        _CACHE_COUNTS[0] = _CACHE_COUNTS[1] = 0


def _get(value: Any) -> Any:
    return value.get() if isinstance(value, Shared) else value


# =========================================================================== threads


_ENV_LOCK = threading.Lock()
_ENV_STATE: list[Any] = [0, None]  # active tasks, saved value


@contextmanager
def _threads_env(threads: int | None) -> Iterator[None]:
    """Sets :data:`THREADS_ENV` to ``threads`` while any task of this process runs with it, for
    the qualcore calls that take no ``threads=``; restores it when the last one ends."""
    if threads is None:
        yield
        return
    n = threads_arg(threads)  # not None: only checked
    with _ENV_LOCK:
        if _ENV_STATE[0] == 0:
            _ENV_STATE[1] = os.environ.get(THREADS_ENV)
            os.environ[THREADS_ENV] = str(n)
        _ENV_STATE[0] += 1
    try:
        yield
    finally:
        with _ENV_LOCK:
            _ENV_STATE[0] -= 1
            if _ENV_STATE[0] == 0:
                if _ENV_STATE[1] is None:
                    os.environ.pop(THREADS_ENV, None)
                else:
                    os.environ[THREADS_ENV] = _ENV_STATE[1]


# =========================================================================== frame-valued results


_KWIC_COLUMNS: dict[str, Any] = {
    "doc_id": STRING, "turn": "Int64", "speaker": STRING, "pattern": STRING, "start": "int64", "end": "int64",
    "token_start": "int64", "token_end": "int64", "pre": STRING, "match": STRING, "post": STRING,
}
_CODING_COLUMNS: dict[str, Any] = {
    "doc_id": STRING, "start": "int64", "end": "int64", "code": STRING, "coder": STRING, "memo": STRING,
    "text": STRING, "turn": "Int64", "speaker": STRING,
}
_ALIGN_COLUMNS: dict[str, Any] = {
    "row": "int64", "placed": "bool", "doc_id": STRING, "code": STRING, "method": STRING, "start": "int64",
    "end": "int64", "candidates": "int64", "score": "float64", "reason": STRING,
}


def _meta(columns: Mapping[str, Any], attributes: Mapping[str, Any] | None = None) -> pd.DataFrame:
    cols = {**columns, **{k: v for k, v in (attributes or {}).items() if k not in columns}}
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in cols.items()})


def _attribute_dtypes(frame: pd.DataFrame, options: ReadOptions) -> dict[str, Any]:
    cols = [c for c in frame.columns if c != options.doc_id or frame.index.name == options.doc_id]
    return {c: frame.dtypes[c] for c in options.attribute_columns(cols) if c in frame.columns}


def _conform(df: pd.DataFrame, columns: Mapping[str, Any], attributes: Mapping[str, Any]) -> pd.DataFrame:
    """``df`` with exactly the meta's columns, in order, of the meta's dtypes."""
    meta = _meta(columns, attributes)
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for c in meta.columns:
        values = df[c].reset_index(drop=True) if c in df.columns else pd.Series([pd.NA] * len(df), dtype=object)
        dtype = meta.dtypes[c]
        if isinstance(dtype, pd.StringDtype) and values.dtype == object:
            values = values.where(values.notna(), None)
        out[c] = values.astype(dtype)
    return out


def _present_speakers(corpus: Corpus, speakers: Iterable[str] | str | None) -> list[str] | None:
    """The asked-for speakers that speak in this partition (others are ignored here)."""
    if speakers is None:
        return None
    names = [speakers] if isinstance(speakers, str) else list(speakers)
    have = set(corpus.speakers)
    return [s for s in names if s in have]


def kwic_partition(
    frame: pd.DataFrame,
    patterns: Any,
    options: ReadOptions | None = None,
    *,
    window: int = 5,
    within: str = "turn",
    speakers: Iterable[str] | None = None,
    case_insensitive: bool = True,
    valuetype: str = "glob",
    threads: int | None = 1,
) -> pd.DataFrame:
    """KWIC lines of one partition: :meth:`qualcore.Corpus.kwic` on :func:`corpus_of`, as a
    plain DataFrame with the dtypes of :func:`kwic`'s meta.  ``patterns`` may be
    :class:`Shared`; ``speakers`` who do not speak in this partition are ignored.

    >>> import pandas as pd, qualcore.dask as qd
    >>> frame = pd.DataFrame({"doc_id": ["A1"], "text": ["I trust the data."]})
    >>> qd.kwic_partition(frame, "trust", window=1)[["doc_id", "pre", "match", "post"]].values.tolist()
    [['A1', 'I', 'trust', 'the']]
    """
    o = _options(options)
    corpus = corpus_of(frame, o)
    k = corpus.kwic(_get(patterns), window=window, within=within, speakers=_present_speakers(corpus, speakers),
                    case_insensitive=case_insensitive, valuetype=valuetype, threads=threads)
    return _conform(pd.DataFrame(k), _KWIC_COLUMNS, _attribute_dtypes(frame, o))


def _coding(corpus: Corpus, codebook: Codebook, codings: pd.DataFrame | None, auto: Mapping[str, Any],
            threads: int | None) -> Coding:
    """The partition's coding: given rows (those of align's report that were placed), or
    auto-coding with ``codebook``."""
    if codings is None:
        return corpus.autocode(codebook, unit=auto.get("unit", "match"), speakers=_present_speakers(corpus, auto.get("speakers")),
                               coder=auto.get("coder", "autocode"), case_insensitive=auto.get("case_insensitive", True),
                               valuetype=auto.get("valuetype", "glob"), threads=threads)
    if not isinstance(codings, pd.DataFrame):
        raise ArgumentError(f"codings: expected a pandas DataFrame, got {type(codings).__name__}")
    rows = codings
    if "placed" in rows.columns:
        rows = rows[rows["placed"].astype(bool).to_numpy()]
    rows = rows.astype({c: object for c in ("doc_id", "code", "coder", "memo") if c in rows.columns})
    coder = "coder" if "coder" in rows.columns else auto.get("coder", "autocode")
    return Coding.from_frame(corpus, codebook, rows.reset_index(drop=True), coder=coder,
                             memo="memo" if "memo" in rows.columns else None)


def autocode_partition(
    frame: pd.DataFrame,
    codebook: Codebook | Shared,
    options: ReadOptions | None = None,
    *,
    unit: str = "match",
    speakers: Iterable[str] | None = None,
    coder: str = "autocode",
    case_insensitive: bool = True,
    valuetype: str = "glob",
    threads: int | None = 1,
) -> pd.DataFrame:
    """Auto-coding of one partition: ``Coding.frame`` of :meth:`qualcore.Corpus.autocode` on
    :func:`corpus_of` (``doc_id``, ``start``, ``end``, ``code``, ``coder``, ``memo``, ``text``,
    ``turn``, ``speaker`` and the attributes), with the dtypes of :func:`autocode`'s meta.

    >>> import pandas as pd, qualcore as qc, qualcore.dask as qd
    >>> frame = pd.DataFrame({"doc_id": ["A1"], "text": ["I trust the data."]})
    >>> cb = qc.Codebook.from_dict({"Trust": ["trust"]})
    >>> qd.autocode_partition(frame, cb)[["doc_id", "start", "end", "code"]].values.tolist()
    [['A1', 2, 7, 'Trust']]
    """
    o = _options(options)
    corpus = corpus_of(frame, o)
    c = _coding(corpus, _get(codebook), None, {"unit": unit, "speakers": speakers, "coder": coder,
                                                  "case_insensitive": case_insensitive, "valuetype": valuetype}, threads)
    return _conform(c.frame, _CODING_COLUMNS, _attribute_dtypes(frame, o))


def align_partition(
    frame: pd.DataFrame,
    extracts: pd.DataFrame | Shared,
    options: ReadOptions | None = None,
    *,
    doc: str = "doc_id",
    code: str = "code",
    text: str = "text",
    codebook: Codebook | Shared | None = None,
    coder: str = "aligned",
    tolerance: float = 0.15,
    all_doc_ids: pd.Index | None = None,
    threads: int | None = 1,
) -> pd.DataFrame:
    """The report of :meth:`qualcore.Corpus.align` for the extracts whose document is in this
    partition (``row`` is the extract's position in ``extracts``): ``row``, ``placed``,
    ``doc_id``, ``code``, ``method``, ``start``, ``end``, ``candidates``, ``score``,
    ``reason``.  Pass ``codebook`` (default: a flat codebook of every code in ``extracts``, as
    :meth:`~qualcore.Corpus.align` makes).  Give one partition ``all_doc_ids`` (every
    document of the corpus) to report there the extracts whose document is in none.

    >>> import pandas as pd, qualcore.dask as qd
    >>> frame = pd.DataFrame({"doc_id": ["A1"], "text": ["Dan: Why? A1: Because the data said so."]})
    >>> ex = pd.DataFrame({"doc_id": ["A1", "Z9"], "code": ["Evidence", "Evidence"], "text": ["the data", "x"]})
    >>> qd.align_partition(frame, ex)[["row", "method", "start", "end"]].values.tolist()
    [[0, 'exact', 22, 30]]
    >>> qd.align_partition(frame, ex, all_doc_ids=pd.Index(["A1"]))["reason"].tolist()
    ['', 'unknown document']
    """
    o = _options(options)
    ex = _get(extracts)
    if not isinstance(ex, pd.DataFrame):
        raise ArgumentError(f"extracts: expected a pandas DataFrame, got {type(ex).__name__}")
    _check_extract_columns(ex, doc, code, text)
    cb = _flat_codebook(ex, code) if codebook is None else _get(codebook)
    corpus = corpus_of(frame, o)
    ids = pd.Index([str(d) for d in ex[doc].tolist()], dtype=object)
    mine = ids.isin(corpus.doc_ids)
    jobs: list[tuple[np.ndarray, Corpus]] = [(np.flatnonzero(mine), corpus)]
    if all_doc_ids is not None:  # extracts of documents in no partition: reported here, as unknown
        unknown = ~ids.isin(pd.Index(all_doc_ids).astype(str)) & ~mine
        jobs.append((np.flatnonzero(unknown), Corpus.from_texts([], doc_ids=[])))
    frames = []
    for positions, target in jobs:
        if len(positions) == 0:
            continue
        sub = ex.iloc[positions].reset_index(drop=True)
        _, report = target.align(sub, doc=doc, code=code, text=text, codebook=cb, coder=coder, tolerance=tolerance,
                                 threads=threads)
        report["row"] = positions[report["row"].to_numpy()]
        frames.append(report)
    report = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(_ALIGN_COLUMNS))
    report["code"] = report["code"].map(lambda c: c if c is None or isinstance(c, str) else str(c)).astype(object)
    return _conform(report, _ALIGN_COLUMNS, {})


def n_words_partition(frame: pd.DataFrame, options: ReadOptions | None = None, *, threads: int | None = 1) -> pd.Series:
    """Word tokens per document of one partition (:attr:`qualcore.Tokens.n_words`).

    >>> import pandas as pd, qualcore.dask as qd
    >>> qd.n_words_partition(pd.DataFrame({"doc_id": ["A1"], "text": ["I trust it!"]})).to_dict()
    {'A1': 3}
    """
    corpus = corpus_of(frame, _options(options))
    s = corpus.tokens(threads=threads).n_words
    s.index = s.index.astype(STRING)
    return s


# =========================================================================== partial results


@dataclass(frozen=True, eq=False)
class Partial:
    """A per-partition result that :func:`combine` sums with others and :func:`finish` turns
    into the single-machine result.  ``kind`` names the analysis, ``options`` its arguments,
    ``tables`` the pandas / scipy.sparse pieces and ``doc_ids`` the documents it covers
    (checked to be disjoint; None when splitting documents would not matter).

    >>> import pandas as pd, qualcore as qc, qualcore.dask as qd
    >>> p = qd.word_counts_partition(pd.DataFrame({"doc_id": ["A1"], "text": ["trust trust me"]}))
    >>> p.kind, sorted(p.tables)
    ('word_counts', ['counts'])
    """

    kind: str
    options: dict[str, Any]
    tables: dict[str, Any]
    doc_ids: pd.Index | None = field(default=None)


def _doc_index(corpus: Corpus) -> pd.Index:
    return pd.Index(corpus.doc_ids, dtype=object, name="doc_id")


def code_matrix_partition(
    frame: pd.DataFrame,
    codebook: Codebook | Shared,
    options: ReadOptions | None = None,
    *,
    codings: pd.DataFrame | None = None,
    by: str | None = "group",
    count: str = "cases",
    level: int | None = None,
    proportions: bool = False,
    totals: bool = True,
    unit: str = "match",
    speakers: Iterable[str] | None = None,
    coder: str = "autocode",
    case_insensitive: bool = True,
    valuetype: str = "glob",
    threads: int | None = 1,
) -> Partial:
    """:func:`qualcore.code_matrix` of one partition, as a :class:`Partial`.  The coding is
    ``codings`` (this partition's rows of :func:`autocode` or of :func:`align`'s report — rows
    not ``placed`` are left out), or else auto-coding with ``codebook`` (``unit``, ``speakers``,
    ``coder``, ``case_insensitive``, ``valuetype`` as :meth:`qualcore.Corpus.autocode`).
    ``proportions`` and ``totals`` apply in :func:`finish`.

    >>> import pandas as pd, qualcore as qc, qualcore.dask as qd
    >>> cb = qc.Codebook.from_dict({"Trust": ["trust"]})
    >>> f1 = pd.DataFrame({"doc_id": ["A1"], "text": ["I trust it"], "group": ["x"]})
    >>> f2 = pd.DataFrame({"doc_id": ["B1", "B2"], "text": ["trust", "no"], "group": ["y", "y"]})
    >>> parts = [qd.code_matrix_partition(f, cb, proportions=True) for f in (f1, f2)]
    >>> qd.finish(qd.combine(parts)).to_dict("index")
    {'Trust': {'x': 1.0, 'y': 0.5, 'all': 0.6666666666666666}}
    """
    o = _options(options)
    cb = _get(codebook)
    corpus = corpus_of(frame, o)
    coding = _coding(corpus, cb, codings, {"unit": unit, "speakers": speakers, "coder": coder,
                                           "case_insensitive": case_insensitive, "valuetype": valuetype}, threads)
    with _threads_env(threads):
        m = _code_matrix(coding, by=by, count=count, level=level, proportions=False, totals=by is not None)
    sizes = pd.Series(m.attrs["group_sizes"], dtype=np.int64)
    sizes = sizes.drop("all", errors="ignore") if by is not None else sizes
    if by is None or by == "doc_id":
        values = pd.Series(sizes.index, index=sizes.index, dtype=object)
    else:
        docs = corpus.documents
        vals = docs[by].dropna()
        values = pd.Series(list(vals), index=[str(v) for v in vals], dtype=object)
        values = values[~values.index.duplicated()]
    groups = pd.DataFrame({"value": values.reindex(sizes.index), "size": sizes})
    rank = pd.Index(cb.paths).get_indexer(m.index)
    counts = m.copy()
    counts.index = pd.MultiIndex.from_arrays([rank, m.index], names=["rank", "code"])
    counts.attrs = {}
    opts = {"by": by, "count": count, "level": level, "proportions": bool(proportions), "totals": bool(totals)}
    return Partial("code_matrix", opts, {"counts": counts, "groups": groups, "n_docs": pd.Series([len(corpus)])},
                   _doc_index(corpus))


def cooccurrence_partition(
    frame: pd.DataFrame,
    codebook: Codebook | Shared,
    options: ReadOptions | None = None,
    *,
    codings: pd.DataFrame | None = None,
    unit: str = "sentence",
    level: int | None = None,
    measure: str = "count",
    by: str | None = None,
    tidy: bool = False,
    sparse: bool = False,
    window: int | None = None,
    within: str = "turn",
    ordered: bool = False,
    autocode_unit: str = "match",
    speakers: Iterable[str] | None = None,
    coder: str = "autocode",
    case_insensitive: bool = True,
    valuetype: str = "glob",
    threads: int | None = 1,
) -> Partial:
    """:func:`qualcore.cooccurrence` counts of one partition, as a :class:`Partial` (the
    measure, ``tidy`` and ``sparse`` apply in :func:`finish`, on the summed counts).  The
    coding is ``codings`` or auto-coding with ``codebook`` (at ``autocode_unit``), as in
    :func:`code_matrix_partition`.

    >>> import pandas as pd, qualcore as qc, qualcore.dask as qd
    >>> cb = qc.Codebook.from_dict({"Trust": ["trust"], "Data": ["data"]})
    >>> f1 = pd.DataFrame({"doc_id": ["A1"], "text": ["I trust the data."]})
    >>> f2 = pd.DataFrame({"doc_id": ["B1"], "text": ["Trust. Data."]})
    >>> parts = [qd.cooccurrence_partition(f, cb, unit="sentence") for f in (f1, f2)]
    >>> qd.finish(qd.combine(parts)).values.tolist()
    [[2, 1], [1, 2]]
    """
    from ._agreement import _units_table

    o = _options(options)
    window = _check_cooc(unit, window, within, ordered, measure, tidy, sparse)
    cb = _get(codebook)
    corpus = corpus_of(frame, o)
    coding = _coding(corpus, cb, codings, {"unit": autocode_unit, "speakers": speakers, "coder": coder,
                                           "case_insensitive": case_insensitive, "valuetype": valuetype}, threads)
    pairwise = unit == "overlap" or window is not None
    with _threads_env(threads):
        if by is None:
            m, nodes = _cooccurrence(coding, unit=unit, level=level, measure="count", sparse=True, window=window,
                                     within=within, ordered=ordered)
            results = {None: m}
            group_docs: dict[Any, np.ndarray] = {None: np.arange(len(corpus))}
        else:
            res = _cooccurrence(coding, unit=unit, level=level, measure="count", by=by, sparse=True, window=window,
                                within=within, ordered=ordered)
            results = {g: v[0] for g, v in res.items()}
            nodes = next(iter(res.values()))[1] if res else []
            if not res:  # no group (every value missing): the nodes are still the coding's
                nodes = _cooccurrence(coding, unit=unit, level=level, measure="count", sparse=True, window=window,
                                      within=within, ordered=ordered)[1]
            groups = corpus.documents[by]
            group_docs = {g: np.flatnonzero((groups == g).to_numpy()) for g in results}
        keys = list(results)
        n_units = []
        for g in keys:
            if pairwise:
                n_units.append(-1)
            elif unit in ("document", "case"):
                n_units.append(len(group_docs[g]))
            else:
                n_units.append(len(_units_table(coding, unit, group_docs[g].tolist())))
    rank = pd.Index(cb.paths).get_indexer(pd.Index(nodes, dtype=object)) if len(nodes) else np.zeros(0, dtype=np.int64)
    frames = []
    for k, g in enumerate(keys):
        coo = results[g].tocoo()
        frames.append(pd.DataFrame({"g": np.full(coo.nnz, k, dtype=np.int64), "a": rank[coo.row].astype(np.int64),
                                    "b": rank[coo.col].astype(np.int64), "n": coo.data.astype(np.int64)}))
    pairs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({c: pd.Series([], dtype=np.int64) for c in "gabn"})
    group_table = pd.DataFrame({"value": pd.Series(keys, dtype=object), "n_units": np.array(n_units, dtype=np.int64)})
    node_table = pd.Series(pd.Index(nodes, dtype=object), index=pd.Index(rank, name="rank"), name="code", dtype=object)
    opts = {"unit": unit, "level": level, "measure": measure, "by": by, "tidy": bool(tidy), "sparse": bool(sparse),
            "window": window, "within": within, "ordered": bool(ordered)}
    return Partial("cooccurrence", opts, {"pairs": pairs, "groups": group_table, "nodes": node_table}, _doc_index(corpus))


def dfm_partition(
    frame: pd.DataFrame,
    options: ReadOptions | None = None,
    *,
    by: str = "document",
    ngrams: int | tuple[int, int] = 1,
    min_df: float = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
    stop_words: str | Iterable[str] | None = None,
    words_only: bool = True,
    lowercase: bool = True,
    threads: int | None = 1,
) -> Partial:
    """:meth:`qualcore.Tokens.dfm` counts of one partition (every term kept), as a
    :class:`Partial`; ``min_df``, ``max_df`` and ``max_features`` apply in :func:`finish`, to
    the whole corpus.

    >>> import pandas as pd, qualcore.dask as qd
    >>> parts = [qd.dfm_partition(pd.DataFrame({"doc_id": [d], "text": [t]}))
    ...          for d, t in (("A1", "we trust it"), ("B1", "trust me"))]
    >>> d = qd.finish(qd.combine(parts))
    >>> d.get_feature_names_out().tolist(), d.matrix.toarray().tolist()
    (['it', 'me', 'trust', 'we'], [[1, 0, 1, 1], [0, 1, 1, 0]])
    """
    o = _options(options)
    _dfm_limits(min_df, max_df, max_features)
    corpus = corpus_of(frame, o)
    if stop_words is not None and not isinstance(stop_words, str):
        stop_words = list(_get(stop_words))
    with _threads_env(threads):
        d = corpus.tokens(lowercase=lowercase, threads=threads).dfm(by=by, ngrams=ngrams, stop_words=stop_words,
                                                                    words_only=words_only)
    rows = d.rows.reset_index(drop=True)
    opts = {"by": by, "min_df": min_df, "max_df": max_df, "max_features": max_features}
    return Partial("dfm", opts, {"matrix": d.matrix, "features": pd.Index(d.get_feature_names_out(), dtype=object),
                                 "rows": rows}, _doc_index(corpus))


def _dfm_limits(min_df: Any, max_df: Any, max_features: Any) -> None:
    """Checks min_df, max_df and max_features, which apply only to the whole corpus (in finish)."""
    _doc_count_limit(min_df, "min_df", 1)
    _doc_count_limit(max_df, "max_df", 1)
    _check_max_features(max_features)


def fcm_partition(
    frame: pd.DataFrame,
    options: ReadOptions | None = None,
    *,
    context: str = "turn",
    window: int | None = None,
    count: str = "frequency",
    weights: Sequence[float] | None = None,
    ordered: bool = False,
    tri: bool = False,
    within: str | None = None,
    stop_words: str | Iterable[str] | None = None,
    words_only: bool = True,
    max_features: int | None = None,
    lowercase: bool = True,
    threads: int | None = 1,
) -> Partial:
    """:meth:`qualcore.Tokens.fcm` counts of one partition (every term kept, full matrix), as
    a :class:`Partial`; ``max_features`` and ``tri`` apply in :func:`finish`.

    >>> import pandas as pd, qualcore.dask as qd
    >>> parts = [qd.fcm_partition(pd.DataFrame({"doc_id": [d], "text": [t]}), context="document")
    ...          for d, t in (("A1", "a b"), ("B1", "a c"))]
    >>> qd.finish(qd.combine(parts)).to_frame().values.tolist()
    [[0, 1, 1], [1, 0, 0], [1, 0, 0]]
    """
    o = _options(options)
    _check_fcm_args(context, count, window, weights, ordered, tri, within, max_features)
    corpus = corpus_of(frame, o)
    if stop_words is not None and not isinstance(stop_words, str):
        stop_words = list(_get(stop_words))
    with _threads_env(threads):
        f = corpus.tokens(lowercase=lowercase, threads=threads).fcm(
            context, window=window, count=count, weights=weights, ordered=ordered, tri=False, within=within,
            stop_words=stop_words, words_only=words_only)
    opts = {"context": f.context, "count": f.count, "window": f.window, "ordered": f.ordered, "tri": bool(tri),
            "max_features": max_features}
    tables = {"matrix": f.matrix, "features": pd.Index(f.get_feature_names_out(), dtype=object),
              "margin": f.margin.to_numpy(dtype=np.int64),
              "weights": pd.Series(f.weights if f.weights is not None else [], dtype=np.float64)}
    return Partial("fcm", opts, tables, _doc_index(corpus))


def word_counts_partition(
    frame: pd.DataFrame,
    options: ReadOptions | None = None,
    *,
    words_only: bool = True,
    lowercase: bool = True,
    threads: int | None = 1,
) -> Partial:
    """Frequencies of the normalised forms in one partition (:meth:`qualcore.Tokens.counts`),
    in order of first occurrence, as a :class:`Partial`.

    >>> import pandas as pd, qualcore.dask as qd
    >>> p = qd.word_counts_partition(pd.DataFrame({"doc_id": ["A1"], "text": ["b a b ."]}))
    >>> qd.finish(p).to_dict()
    {'b': 2, 'a': 1}
    """
    corpus = corpus_of(frame, _options(options))
    t = corpus.tokens(lowercase=lowercase, threads=threads)
    counts = pd.Series(t._native.norm_counts().astype(np.int64), index=t.vocabulary, name="count")
    if words_only:
        counts = counts[t._native.norm_is_word()]
    return Partial("word_counts", {"words_only": bool(words_only)}, {"counts": counts}, None)


# =========================================================================== combine, finish


def combine(parts: Sequence[Partial]) -> Partial:
    """Sums per-partition results of one analysis (same kind and options) into one
    :class:`Partial`; associative, so it can run as a tree.  Raises
    :class:`~qualcore.errors.DuplicateIdError` when a document appears in two partitions.

    >>> import pandas as pd, qualcore as qc, qualcore.dask as qd
    >>> f = pd.DataFrame({"doc_id": ["A1"], "text": ["trust"]})
    >>> p = qd.dfm_partition(f)
    >>> qd.finish(qd.combine([p])).shape
    (1, 1)
    >>> try:
    ...     qd.combine([p, p])
    ... except qc.errors.DuplicateIdError as e:
    ...     print(str(e)[:56])
    document ids found in more than one partition: ['A1'] (a
    """
    parts = list(parts)
    if not parts:
        raise ArgumentError("parts: nothing to combine")
    if any(not isinstance(p, Partial) for p in parts):
        raise ArgumentError("parts: expected qualcore.dask.Partial results of the *_partition functions")
    kind, opts = parts[0].kind, parts[0].options
    for p in parts[1:]:
        if p.kind != kind or p.options != opts:
            raise ArgumentError(f"parts: cannot combine {kind} results with {p.kind} results or other options")
    if len(parts) == 1:
        return parts[0]
    ids = None
    if parts[0].doc_ids is not None:
        ids = parts[0].doc_ids.append([p.doc_ids for p in parts[1:] if p.doc_ids is not None])
        if ids.has_duplicates:
            dup = ids[ids.duplicated()].unique().tolist()
            raise DuplicateIdError(
                f"document ids found in more than one partition: {dup[:20]} (a document was split across partitions, "
                "or two documents share an id; build the corpus with qualcore.dask.from_frame, which shuffles turns "
                "on doc_id, or make the ids unique)", [f"document {d!r} is in more than one partition" for d in dup])
    return Partial(kind, opts, _KINDS[kind][0]([p.tables for p in parts], opts), ids)


def finish(part: Partial) -> Any:
    """The single-machine result from a combined :class:`Partial`: what
    :func:`qualcore.code_matrix`, :func:`qualcore.cooccurrence`, :meth:`qualcore.Tokens.dfm`,
    :meth:`~qualcore.Tokens.fcm` or :meth:`~qualcore.Tokens.counts` return for the whole
    corpus.

    >>> import pandas as pd, qualcore.dask as qd
    >>> parts = [qd.word_counts_partition(pd.DataFrame({"doc_id": [d], "text": [t]}))
    ...          for d, t in (("A1", "a b"), ("B1", "b c"))]
    >>> qd.finish(qd.combine(parts)).to_dict()
    {'b': 2, 'a': 1, 'c': 1}
    """
    if not isinstance(part, Partial):
        raise ArgumentError(f"part: expected a qualcore.dask.Partial, got {type(part).__name__}")
    return _KINDS[part.kind][1](part.tables, part.options)


def _union_first(indexes: Sequence[pd.Index]) -> pd.Index:
    """The union of ``indexes`` in order of first appearance."""
    nonempty = [i for i in indexes if len(i)]
    if not nonempty:
        return indexes[0][:0]
    out = nonempty[0].append(nonempty[1:]) if len(nonempty) > 1 else nonempty[0]
    return out[~out.duplicated()]


def _combine_code_matrix(tables: list[dict[str, Any]], o: dict[str, Any]) -> dict[str, Any]:
    rows = _union_first([t["counts"].index for t in tables])
    cols = _union_first([t["counts"].columns for t in tables])
    total = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for t in tables:
        total += t["counts"].reindex(index=rows, columns=cols, fill_value=0).to_numpy(dtype=np.int64)
    counts = pd.DataFrame(total, index=rows, columns=cols)
    groups = pd.concat([t["groups"] for t in tables if len(t["groups"])] or [tables[0]["groups"]])
    groups = groups.groupby(level=0, sort=False).agg(value=("value", "first"), size=("size", "sum"))
    n_docs = pd.Series([int(sum(int(t["n_docs"].iloc[0]) for t in tables))])
    return {"counts": counts, "groups": groups, "n_docs": n_docs}


def _finish_code_matrix(t: dict[str, Any], o: dict[str, Any]) -> pd.DataFrame:
    by, totals = o["by"], o["totals"]
    counts = t["counts"].sort_index(level="rank", kind="stable")
    nodes = counts.index.get_level_values("code").tolist()
    groups_t = t["groups"]
    if by is None:
        groups = ["all"]
        totals = False
    elif by == "doc_id":
        groups = [g for g in groups_t.index if g != "(missing)"]
    else:
        present = groups_t[groups_t.index != "(missing)"]
        cats = pd.Categorical(present["value"].tolist()).categories if len(present) else []
        groups = [str(g) for g in cats]
    if by is not None and "(missing)" in groups_t.index:
        groups.append("(missing)")
    values = counts.reindex(columns=groups, fill_value=0).to_numpy(dtype=np.int64)
    out = pd.DataFrame(values, index=pd.Index(nodes, name="code"), columns=pd.Index(groups, name=by or "group"))
    sizes = pd.Series(groups_t["size"].reindex(groups, fill_value=0).to_numpy(dtype=np.int64), index=groups, name="cases")
    if totals:
        out["all"] = counts["all"].to_numpy(dtype=np.int64) if "all" in counts.columns else 0
        sizes["all"] = int(t["n_docs"].iloc[0])
    if o["proportions"]:
        out = out / sizes.replace(0, np.nan)
    out.attrs["count"] = o["count"]
    out.attrs["group_sizes"] = sizes.to_dict()
    return out


def _combine_cooccurrence(tables: list[dict[str, Any]], o: dict[str, Any]) -> dict[str, Any]:
    values = [t["groups"]["value"] for t in tables]
    all_values = pd.concat(values, ignore_index=True)
    # groups in order of first appearance (None: the one group of by=None)
    uniq: list[Any] = []
    seen: set[Any] = set()
    for v in all_values.tolist():
        k = _group_key(v)
        if k not in seen:
            seen.add(k)
            uniq.append(v)
    index_of = {_group_key(v): i for i, v in enumerate(uniq)}
    n_units = np.zeros(len(uniq), dtype=np.int64)
    pairs = []
    for t in tables:
        codes = np.array([index_of[_group_key(v)] for v in t["groups"]["value"].tolist()], dtype=np.int64)
        np.add.at(n_units, codes, t["groups"]["n_units"].to_numpy(dtype=np.int64))
        p = t["pairs"]
        pairs.append(p.assign(g=codes[p["g"].to_numpy()] if len(p) else p["g"]))
    merged = pd.concat(pairs, ignore_index=True)
    merged = merged.groupby(["g", "a", "b"], sort=False, as_index=False)["n"].sum()
    nodes = pd.concat([t["nodes"] for t in tables])
    nodes = nodes[~nodes.index.duplicated()]
    pairwise = o["unit"] == "overlap" or o["window"] is not None
    group_table = pd.DataFrame({"value": pd.Series(uniq, dtype=object),
                                "n_units": np.full(len(uniq), -1, dtype=np.int64) if pairwise else n_units})
    return {"pairs": merged, "groups": group_table, "nodes": nodes}


def _group_key(v: Any) -> Any:
    return ("\0none",) if v is None or (isinstance(v, float) and np.isnan(v)) else v


def _finish_cooccurrence(t: dict[str, Any], o: dict[str, Any]) -> Any:
    from scipy import sparse as sp

    nodes_t = t["nodes"].sort_index(kind="stable")
    nodes = nodes_t.tolist()
    pos = pd.Index(nodes_t.index).get_indexer
    n = len(nodes)
    pairs = t["pairs"]
    out: dict[Any, Any] = {}
    for k, (g, n_units) in enumerate(zip(t["groups"]["value"].tolist(), t["groups"]["n_units"].tolist())):
        p = pairs[pairs["g"].to_numpy() == k]
        counts = sp.csr_matrix((p["n"].to_numpy(dtype=np.int64), (pos(p["a"].to_numpy()), pos(p["b"].to_numpy()))),
                               shape=(n, n))
        counts.sum_duplicates()
        counts.eliminate_zeros()
        total = None if n_units < 0 else int(n_units)
        attrs = {"unit": o["unit"], "window": o["window"], "within": o["within"] if o["unit"] == "window" else None,
                 "ordered": o["ordered"]}
        out[g] = _cooc_result(counts, nodes, o["measure"], total, attrs, o["tidy"], o["sparse"])
    if o["by"] is None:
        return out[next(iter(out))]
    return out


def _embed(m: Any, row_codes: np.ndarray, n_rows: int, col_codes: np.ndarray, n_cols: int) -> Any:
    """``m`` (CSR) placed into an ``n_rows`` × ``n_cols`` matrix: its row i at row_codes[i], its
    column j at col_codes[j] (both injective), without going through COO."""
    from scipy import sparse as sp

    m = m.tocsr()
    if len(row_codes) > 1 and not (np.diff(row_codes) > 0).all():
        order = np.argsort(row_codes, kind="stable")
        m, row_codes = m[order], row_codes[order]
    lengths = np.zeros(n_rows, dtype=np.int64)
    lengths[row_codes] = np.diff(m.indptr)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.asarray(col_codes, dtype=np.int64)[m.indices]
    out = sp.csr_matrix((m.data, indices, indptr), shape=(n_rows, n_cols))
    if len(col_codes) > 1 and not (np.diff(col_codes) > 0).all():
        out.has_sorted_indices = False
        out.sort_indices()
    return out


def _sum_labelled(mats: list[Any], row_codes: list[np.ndarray], n_rows: int, col_codes: list[np.ndarray],
                  n_cols: int, dtype: Any) -> Any:
    """Sum of sparse matrices whose rows and columns are mapped onto shared labels."""
    from scipy import sparse as sp

    acc = None
    for m, rc, cc in zip(mats, row_codes, col_codes):
        part = _embed(m, np.asarray(rc, dtype=np.int64), n_rows, cc, n_cols)
        acc = part if acc is None else acc + part
    if acc is None:
        acc = sp.csr_matrix((n_rows, n_cols), dtype=dtype)
    return _csr64(acc.astype(dtype, copy=False))


def _sorted_union(indexes: Sequence[pd.Index]) -> pd.Index:
    vals = np.concatenate([np.asarray(i, dtype=object) for i in indexes]) if indexes else np.array([], dtype=object)
    return pd.Index(sorted(set(vals.tolist())), dtype=object)


def _combine_dfm(tables: list[dict[str, Any]], o: dict[str, Any]) -> dict[str, Any]:
    by = o["by"]
    features = _sorted_union([t["features"] for t in tables])
    col_codes = [features.get_indexer(t["features"]) for t in tables]
    nonempty = [t["rows"] for t in tables if len(t["rows"])]
    rows_all = pd.concat(nonempty, ignore_index=True) if nonempty else tables[0]["rows"]
    if by in ("document", "turn"):
        rows = rows_all
        starts = np.cumsum([0] + [len(t["rows"]) for t in tables])
        row_codes = [np.arange(starts[k], starts[k + 1], dtype=np.int64) for k in range(len(tables))]
    else:
        key = by
        labels = _union_first([pd.Index(t["rows"][key]) for t in tables if len(t["rows"])] or [pd.Index(rows_all[key])])
        rows = pd.DataFrame({key: labels})
        row_codes = [labels.get_indexer(pd.Index(t["rows"][key])) for t in tables]
    matrix = _sum_labelled([t["matrix"] for t in tables], row_codes, len(rows), col_codes, len(features), np.int64)
    return {"matrix": matrix, "features": features, "rows": rows}


def _finish_dfm(t: dict[str, Any], o: dict[str, Any]) -> Dfm:
    by = o["by"]
    x, features, rows = t["matrix"], np.asarray(t["features"], dtype=object), t["rows"].reset_index(drop=True)
    if by == "document":
        index = pd.Index(rows["doc_id"].to_numpy(dtype=object), name="doc_id", dtype=object)
    elif by == "turn":
        index = pd.MultiIndex.from_frame(rows[["doc_id", "turn"]])
    elif by == "speaker":
        index = pd.Index(rows["speaker"].to_numpy(dtype=object), name="speaker", dtype=object)
    else:
        codes, uniques = pd.factorize(rows[by], sort=True)
        order = np.argsort(codes, kind="stable")
        x = _csr64(x[order])
        index = pd.Index(uniques, name=by)
        rows = pd.DataFrame({by: index})
    low, high = _df_bounds(o["min_df"], o["max_df"], len(rows))
    kept = _df_kept(x, len(features), low, high)
    return _dfm_of(x, kept, features[kept], o["max_features"], rows, by, index)


def _combine_fcm(tables: list[dict[str, Any]], o: dict[str, Any]) -> dict[str, Any]:
    features = _sorted_union([t["features"] for t in tables])
    codes = [features.get_indexer(t["features"]) for t in tables]
    dtype = np.result_type(*[t["matrix"].dtype for t in tables])
    matrix = _sum_labelled([t["matrix"] for t in tables], codes, len(features), codes, len(features), dtype)
    margin = np.zeros(len(features), dtype=np.int64)
    for t, c in zip(tables, codes):
        np.add.at(margin, c, t["margin"])
    weights = next((t["weights"] for t in tables if len(t["weights"])), tables[0]["weights"])
    return {"matrix": matrix, "features": features, "margin": margin, "weights": weights}


def _finish_fcm(t: dict[str, Any], o: dict[str, Any]) -> Fcm:
    m, names, margin = t["matrix"], np.asarray(t["features"], dtype=object), np.asarray(t["margin"], dtype=np.int64)
    max_features = o["max_features"]
    if max_features is not None and len(names) > max_features:
        top = np.sort(np.argsort(-margin, kind="stable")[:max_features])
        m = m[top][:, top]
        names, margin = names[top], margin[top]
    w = t["weights"].to_numpy(dtype=np.float64) if len(t["weights"]) else None
    return _fcm_of(_csr64(m), names, margin, o["context"], o["count"], o["window"], w, o["ordered"], o["tri"])


def _combine_word_counts(tables: list[dict[str, Any]], o: dict[str, Any]) -> dict[str, Any]:
    s = pd.concat([t["counts"] for t in tables]).groupby(level=0, sort=False).sum()
    return {"counts": pd.Series(s.to_numpy(dtype=np.int64), index=pd.Index(s.index, dtype=object, name="norm"), name="count")}


def _finish_word_counts(t: dict[str, Any], o: dict[str, Any]) -> pd.Series:
    return t["counts"].sort_values(ascending=False, kind="stable")


# Partial.kind -> (combine, finish) of its tables
_KINDS: dict[str, tuple[Any, Any]] = {
    "code_matrix": (_combine_code_matrix, _finish_code_matrix),
    "cooccurrence": (_combine_cooccurrence, _finish_cooccurrence),
    "dfm": (_combine_dfm, _finish_dfm),
    "fcm": (_combine_fcm, _finish_fcm),
    "word_counts": (_combine_word_counts, _finish_word_counts),
}


# =========================================================================== Dask


class DaskCorpus:
    """A lazy corpus: a dask DataFrame whose partitions hold whole documents, and the
    :class:`ReadOptions` that turn a partition into a :class:`qualcore.Corpus`.  Make one with
    :func:`from_frame`.

    >>> import pandas as pd, qualcore.dask as qd
    >>> dc = qd.from_frame(pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["Trust.", "Data."]}), npartitions=2)
    >>> dc
    <qualcore.dask.DaskCorpus: 2 partitions, rows are documents, attributes []>
    >>> dc.compute().doc_ids
    ['A1', 'B1']
    """

    __slots__ = ("frame", "options")

    def __init__(self, frame: dd.DataFrame, options: ReadOptions) -> None:
        self.frame = frame
        self.options = _options(options)

    @property
    def npartitions(self) -> int:
        """Number of partitions.

        >>> import pandas as pd, qualcore.dask as qd
        >>> qd.from_frame(pd.DataFrame({"doc_id": ["A1"], "text": ["x"]})).npartitions
        1
        """
        return int(self.frame.npartitions)

    @property
    def attribute_dtypes(self) -> dict[str, Any]:
        """The document attributes (columns) and their dtypes.

        >>> import pandas as pd, qualcore.dask as qd
        >>> qd.from_frame(pd.DataFrame({"doc_id": ["A1"], "text": ["x"], "age": [40]})).attribute_dtypes
        {'age': dtype('int64')}
        """
        return _attribute_dtypes(self.frame._meta, self.options)

    def persist(self, **kwargs: Any) -> DaskCorpus:
        """The same corpus with its frame computed and kept in memory (on the cluster's workers
        when a ``distributed.Client`` is active), so that several analyses read and shuffle it
        once; ``kwargs`` go to ``dask.persist``.

        >>> import pandas as pd, qualcore.dask as qd
        >>> qd.from_frame(pd.DataFrame({"doc_id": ["A1"], "text": ["x"]})).persist().npartitions
        1
        """
        import dask

        (frame,) = dask.persist(self.frame, **kwargs)
        return DaskCorpus(frame, self.options)

    def compute(self, **kwargs: Any) -> Corpus:
        """The whole corpus in this process, as one :class:`qualcore.Corpus` (documents in
        partition order) — for small corpora and for checking results.

        >>> import pandas as pd, qualcore.dask as qd
        >>> qd.from_frame(pd.DataFrame({"doc_id": ["A1"], "text": ["x"]})).compute()
        <qualcore.Corpus: 1 documents, 0 turns, attributes []>
        """
        return corpus_of(self.frame.compute(**kwargs), self.options)

    def __repr__(self) -> str:
        rows = "documents" if self.options.speaker is None else "turns"
        return (f"<qualcore.dask.DaskCorpus: {self.npartitions} partitions, rows are {rows}, "
                f"attributes {list(self.attribute_dtypes)}>")


def _with_row(df: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    number = 0 if partition_info is None else int(partition_info["number"])
    return df.assign(**{_ROW: (np.int64(number) << np.int64(40)) + np.arange(len(df), dtype=np.int64)})


def _rows_in_order(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(_ROW, kind="stable").drop(columns=_ROW)


def from_frame(
    ddf: Any,
    text: str = "text",
    doc_id: str = "doc_id",
    speaker: str | None = None,
    *,
    time_start: str | None = None,
    time_end: str | None = None,
    attributes: Sequence[str] | None = None,
    interviewer: Iterable[str] = (),
    separator: str = TURN_SEPARATOR,
    partitioned: bool | None = None,
    npartitions: int | None = None,
) -> DaskCorpus:
    """A :class:`DaskCorpus` from a dask DataFrame (or a pandas one, split into
    ``npartitions``) whose rows are documents, or turns when ``speaker`` is given — the
    arguments of :meth:`qualcore.Corpus.from_frame`, applied to each partition.

    Partitions must hold whole documents (see the module notes).  ``partitioned=None``
    (default) shuffles turn rows on ``doc_id`` unless the index is ``doc_id`` with known
    divisions; rows that are documents are never shuffled.  ``partitioned=True`` trusts the
    partitioning as it is; ``False`` always shuffles.  The shuffle keeps each document's rows
    in their input order; ``npartitions`` sets the number of partitions it makes (default: as
    many as the input).  Nothing is computed here.

    >>> import pandas as pd, qualcore.dask as qd
    >>> turns = pd.DataFrame({"doc_id": ["A1", "B1", "A1"], "speaker": ["Int", "B1", "A1"],
    ...                       "text": ["Why?", "No.", "Trust."]})
    >>> dc = qd.from_frame(turns, speaker="speaker", npartitions=2)
    >>> dc.compute().turns.sort_values("doc_id")[["doc_id", "speaker", "text"]].values.tolist()
    [['A1', 'Int', 'Why?'], ['A1', 'A1', 'Trust.'], ['B1', 'B1', 'No.']]
    """
    dd = _require_dask()
    from_pandas = isinstance(ddf, pd.DataFrame)
    if from_pandas:
        if npartitions is not None and (isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1):
            raise ArgumentError(f"npartitions: expected a whole number >= 1, got {npartitions!r}")
        ddf = dd.from_pandas(ddf, npartitions=npartitions or 1, sort=False)
    if not isinstance(ddf, dd.DataFrame):
        raise ArgumentError(f"ddf: expected a dask (or pandas) DataFrame, got {type(ddf).__name__}")
    if partitioned not in (None, True, False):
        raise ArgumentError(f"partitioned: expected None, True or False, got {partitioned!r}")
    columns = list(ddf.columns)
    index_is_id = ddf.index.name == doc_id and doc_id not in columns
    if isinstance(attributes, str):
        attributes = [attributes]
    _check_frame_columns(columns, text, doc_id, speaker, time_start, time_end, attributes, id_in_index=index_is_id)
    options = ReadOptions(text=text, doc_id=doc_id, speaker=speaker, time_start=time_start, time_end=time_end,
                          attributes=None if attributes is None else tuple(attributes),
                          interviewer=tuple(str(i) for i in interviewer), separator=separator)
    rows_are_docs = speaker is None
    if partitioned is None:
        shuffle = not (rows_are_docs or (index_is_id and ddf.known_divisions))
    else:
        shuffle = not partitioned
    frame = ddf
    if shuffle:
        if index_is_id:
            frame = frame.reset_index()
        meta = frame._meta
        frame = frame.map_partitions(_with_row, meta=meta.assign(**{_ROW: np.zeros(0, dtype=np.int64)}))
        frame = frame.shuffle(on=doc_id, npartitions=npartitions or ddf.npartitions)
        frame = frame.map_partitions(_rows_in_order, meta=meta)
    elif npartitions is not None and npartitions != ddf.npartitions and not from_pandas:
        if not rows_are_docs:
            raise ArgumentError("npartitions: turn rows can change partitions only by a shuffle (partitioned=False)")
        frame = frame.repartition(npartitions=npartitions)
    return DaskCorpus(frame, options)


def _dask_corpus(corpus: Any) -> DaskCorpus:
    if not isinstance(corpus, DaskCorpus):
        raise ArgumentError(f"corpus: expected a qualcore.dask.DaskCorpus (see from_frame), got {type(corpus).__name__}")
    return corpus


def _broadcast(value: Any) -> Any:
    """``value`` as one literal in the graph (a Delayed of a :class:`Shared`)."""
    from dask import delayed

    s = shared(value)
    return delayed(s, name="qualcore-shared-" + s.key.rsplit(":", 1)[-1], pure=True)


def kwic(
    corpus: DaskCorpus,
    patterns: Any,
    window: int = 5,
    within: str = "turn",
    speakers: Iterable[str] | None = None,
    case_insensitive: bool = True,
    valuetype: str = "glob",
    threads: int | None = 1,
) -> dd.DataFrame:
    """Keyword in context over every partition (:meth:`qualcore.Corpus.kwic`, same arguments),
    as a lazy dask DataFrame of fixed dtypes: ``doc_id``, ``turn`` (Int64), ``speaker``,
    ``pattern``, ``start``, ``end``, ``token_start``, ``token_end``, ``pre``, ``match``,
    ``post`` and the attributes; lines in document order within each partition.  Patterns are
    checked here, on an empty partition, and shipped once (:class:`Shared`).

    >>> import pandas as pd, qualcore.dask as qd
    >>> dc = qd.from_frame(pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["I trust it.", "Trust me."]}), npartitions=2)
    >>> k = qd.kwic(dc, "trust", window=1)
    >>> str(k.dtypes["match"]), k.compute()["pre"].tolist()
    ('string', ['I', ''])
    """
    dc = _dask_corpus(corpus)
    kw: dict[str, Any] = {"window": window, "within": within, "speakers": None if speakers is None else list(speakers),
          "case_insensitive": case_insensitive, "valuetype": valuetype, "threads": threads}
    meta = kwic_partition(dc.frame._meta, patterns, dc.options, **kw)
    return dc.frame.map_partitions(kwic_partition, _broadcast(patterns), dc.options, meta=meta, **kw)


def autocode(
    corpus: DaskCorpus,
    codebook: Codebook,
    unit: str = "match",
    speakers: Iterable[str] | None = None,
    coder: str = "autocode",
    case_insensitive: bool = True,
    valuetype: str = "glob",
    threads: int | None = 1,
) -> dd.DataFrame:
    """Dictionary auto-coding over every partition (:meth:`qualcore.Corpus.autocode`, same
    arguments), as a lazy dask DataFrame of fixed dtypes with the columns of ``Coding.frame``:
    ``doc_id``, ``start``, ``end``, ``code``, ``coder``, ``memo``, ``text``, ``turn`` (Int64),
    ``speaker`` and the attributes.  Its partitions match the corpus's, so it can be given to
    :func:`code_matrix` and :func:`cooccurrence` as ``codings``.

    >>> import pandas as pd, qualcore as qc, qualcore.dask as qd
    >>> dc = qd.from_frame(pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["I trust it.", "Data."]}), npartitions=2)
    >>> cb = qc.Codebook.from_dict({"Trust": ["trust"], "Data": ["data"]})
    >>> qd.autocode(dc, cb).compute()[["doc_id", "code", "text"]].values.tolist()
    [['A1', 'Trust', 'trust'], ['B1', 'Data', 'Data']]
    """
    dc = _dask_corpus(corpus)
    kw: dict[str, Any] = {"unit": unit, "speakers": None if speakers is None else list(speakers), "coder": coder,
          "case_insensitive": case_insensitive, "valuetype": valuetype, "threads": threads}
    meta = autocode_partition(dc.frame._meta, codebook, dc.options, **kw)
    return dc.frame.map_partitions(autocode_partition, _broadcast(codebook), dc.options, meta=meta, **kw)


def _doc_ids_of(frame: pd.DataFrame, options: ReadOptions) -> pd.Index:
    o = options
    ids = frame.index if o.doc_id not in frame.columns and frame.index.name == o.doc_id else frame[o.doc_id]
    return pd.Index(pd.unique(np.asarray([str(d) for d in ids], dtype=object)), dtype=object)


def _concat_ids(parts: list[pd.Index]) -> pd.Index:
    return parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]


def align(
    corpus: DaskCorpus,
    extracts: pd.DataFrame,
    doc: str = "doc_id",
    code: str = "code",
    text: str = "text",
    codebook: Codebook | None = None,
    coder: str = "aligned",
    tolerance: float = 0.15,
    threads: int | None = 1,
) -> dd.DataFrame:
    """Places coded extracts (a pandas frame, shipped once) back onto the transcripts, as
    :meth:`qualcore.Corpus.align` does, and returns its report as a lazy dask DataFrame of
    fixed dtypes: ``row`` (position in ``extracts``), ``placed``, ``doc_id``, ``code``,
    ``method``, ``start``, ``end``, ``candidates``, ``score``, ``reason`` — one row per extract,
    in partition order (sort by ``row`` for the extracts' order; extracts of unknown documents
    come in the last partition).  ``codebook`` defaults to a flat codebook of the extracts'
    codes (as in :meth:`~qualcore.Corpus.align`); its placed rows can be given to
    :func:`code_matrix` and :func:`cooccurrence` as ``codings`` with that codebook.

    >>> import pandas as pd, qualcore.dask as qd
    >>> dc = qd.from_frame(pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["I trust it.", "The data."]}), npartitions=2)
    >>> ex = pd.DataFrame({"doc_id": ["B1", "A1", "Z9"], "code": ["Data", "Trust", "Trust"],
    ...                    "text": ["data", "trust it", "x"]})
    >>> r = qd.align(dc, ex).compute().sort_values("row")
    >>> r[["row", "placed", "start", "end", "reason"]].values.tolist()
    [[0, True, 4, 8, ''], [1, True, 2, 10, ''], [2, False, -1, -1, 'unknown document']]
    """
    from dask import delayed

    dd = _require_dask()
    dc = _dask_corpus(corpus)
    if not isinstance(extracts, pd.DataFrame):
        raise ArgumentError(f"extracts: expected a pandas DataFrame, got {type(extracts).__name__}")
    if codebook is None and code in extracts.columns:
        codebook = _flat_codebook(extracts, code)
    kw: dict[str, Any] = {"doc": doc, "code": code, "text": text, "coder": coder, "tolerance": tolerance, "threads": threads}
    meta = align_partition(dc.frame._meta, extracts, dc.options, codebook=codebook, **kw)
    ex, cb = _broadcast(extracts), _broadcast(codebook)
    frames = dc.frame.to_delayed()
    ids = delayed(_concat_ids, pure=True)([delayed(_doc_ids_of, pure=True)(f, dc.options) for f in frames])
    fn = delayed(align_partition, pure=True)
    parts = [fn(f, ex, dc.options, codebook=cb, all_doc_ids=ids if k == len(frames) - 1 else None, **kw)
             for k, f in enumerate(frames)]
    return dd.from_delayed(parts, meta=meta)


def n_words(corpus: DaskCorpus, threads: int | None = 1) -> dd.Series:
    """Word tokens per document (:attr:`qualcore.Tokens.n_words`), as a lazy dask Series
    indexed by ``doc_id``.

    >>> import pandas as pd, qualcore.dask as qd
    >>> dc = qd.from_frame(pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["I trust it.", "No."]}), npartitions=2)
    >>> qd.n_words(dc).compute().to_dict()
    {'A1': 3, 'B1': 1}
    """
    dc = _dask_corpus(corpus)
    meta = n_words_partition(dc.frame._meta, dc.options, threads=threads)
    return dc.frame.map_partitions(n_words_partition, dc.options, threads=threads, meta=meta)


def _tree(parts: list[Any], split_every: int | None, compute: bool) -> Any:
    """Combines per-partition Delayed results ``split_every`` at a time, then finishes."""
    from dask import delayed

    if split_every is None:
        split_every = _SPLIT_EVERY
    if isinstance(split_every, bool) or not isinstance(split_every, (int, np.integer)) or split_every < 2:
        raise ArgumentError(f"split_every: expected a whole number >= 2 or None, got {split_every!r}")
    step = delayed(combine, pure=True)
    while len(parts) > 1:
        parts = [step(parts[i:i + split_every]) for i in range(0, len(parts), split_every)]
    result = delayed(finish, pure=True)(parts[0])
    return result.compute() if compute else result


def _partials(dc: DaskCorpus, fn: Any, broadcast: Sequence[Any], codings: Any, kw: Mapping[str, Any]) -> list[Any]:
    """One Delayed :class:`Partial` per partition (``fn(frame, *broadcast, options,
    codings=..., **kw)``), after a dry run on an empty partition that checks the arguments."""
    from dask import delayed

    if codings is not None:
        dd = _require_dask()
        if not isinstance(codings, dd.DataFrame):
            raise ArgumentError(f"codings: expected a dask DataFrame (from qualcore.dask.autocode or align), "
                                f"got {type(codings).__name__}")
        if codings.npartitions != dc.npartitions:
            raise ArgumentError(f"codings: {codings.npartitions} partitions for a corpus of {dc.npartitions}; "
                                "codings must come from qualcore.dask.autocode or align on this corpus")
        fn(dc.frame._meta, *broadcast, dc.options, codings=codings._meta, **kw)
        coding_parts = codings.to_delayed()
    else:
        fn(dc.frame._meta, *broadcast, dc.options, **kw)
        coding_parts = [None] * dc.npartitions
    shipped = [_broadcast(b) for b in broadcast]
    call = delayed(fn, pure=True)
    out = []
    for f, c in zip(dc.frame.to_delayed(), coding_parts):
        out.append(call(f, *shipped, dc.options, **({"codings": c} if c is not None else {}), **kw))
    return out


def code_matrix(
    corpus: DaskCorpus,
    codebook: Codebook,
    codings: dd.DataFrame | None = None,
    *,
    by: str | None = "group",
    count: str = "cases",
    level: int | None = None,
    proportions: bool = False,
    totals: bool = True,
    unit: str = "match",
    speakers: Iterable[str] | None = None,
    coder: str = "autocode",
    case_insensitive: bool = True,
    valuetype: str = "glob",
    threads: int | None = 1,
    split_every: int | None = None,
    compute: bool = True,
) -> Any:
    """:func:`qualcore.code_matrix` over the whole corpus: codes × groups counts per
    partition, summed by a tree reduction — the same DataFrame (with its ``attrs``) as the
    single-machine call.  The coding is ``codings`` (the frame of :func:`autocode`, or the
    placed rows of :func:`align`, on this corpus) or else auto-coding with ``codebook`` in the
    same task (``unit``, ``speakers``, ``coder``, ``case_insensitive``, ``valuetype``).
    Participants (cases) are documents, so the per-partition counts add up because a document
    is never split between partitions (checked).  ``compute=False`` returns a Delayed.

    >>> import pandas as pd, qualcore as qc, qualcore.dask as qd
    >>> docs = pd.DataFrame({"doc_id": ["A1", "B1", "B2"], "text": ["COI here", "coi", "nothing"],
    ...                      "group": ["Front-line", "Leader", "Leader"]})
    >>> dc = qd.from_frame(docs, npartitions=2)
    >>> cb = qc.Codebook.from_dict({"Trust": {"Conflict of interest": ["coi"]}})
    >>> qd.code_matrix(dc, cb, by="group").to_dict("index")
    {'Trust': {'Front-line': 1, 'Leader': 1, 'all': 2}, 'Trust > Conflict of interest': {'Front-line': 1, 'Leader': 1, 'all': 2}}
    """
    dc = _dask_corpus(corpus)
    kw: dict[str, Any] = {"by": by, "count": count, "level": level, "proportions": proportions, "totals": totals, "unit": unit,
          "speakers": None if speakers is None else list(speakers), "coder": coder,
          "case_insensitive": case_insensitive, "valuetype": valuetype, "threads": threads}
    return _tree(_partials(dc, code_matrix_partition, [codebook], codings, kw), split_every, compute)


def cooccurrence(
    corpus: DaskCorpus,
    codebook: Codebook,
    codings: dd.DataFrame | None = None,
    *,
    unit: str = "sentence",
    level: int | None = None,
    measure: str = "count",
    by: str | None = None,
    tidy: bool = False,
    sparse: bool = False,
    window: int | None = None,
    within: str = "turn",
    ordered: bool = False,
    autocode_unit: str = "match",
    speakers: Iterable[str] | None = None,
    coder: str = "autocode",
    case_insensitive: bool = True,
    valuetype: str = "glob",
    threads: int | None = 1,
    split_every: int | None = None,
    compute: bool = True,
) -> Any:
    """:func:`qualcore.cooccurrence` over the whole corpus: counts per partition (units,
    windows and overlaps never cross a document), summed by a tree reduction, then the
    measure — the same frame, tidy frame, ``(sparse matrix, labels)`` or dict of them
    (``by``) as the single-machine call.  The coding is ``codings`` or auto-coding with
    ``codebook`` at ``autocode_unit``, as in :func:`code_matrix`.  ``compute=False`` returns
    a Delayed.

    >>> import pandas as pd, qualcore as qc, qualcore.dask as qd
    >>> docs = pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["I trust the data. The data is weak.", "Trust me."]})
    >>> dc = qd.from_frame(docs, npartitions=2)
    >>> cb = qc.Codebook.from_dict({"Trust": ["trust"], "Data": ["data"]})
    >>> qd.cooccurrence(dc, cb, unit="sentence").values.tolist()
    [[2, 1], [1, 2]]
    >>> qd.cooccurrence(dc, cb, unit="document", measure="jaccard").round(2).values.tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    dc = _dask_corpus(corpus)
    kw: dict[str, Any] = {"unit": unit, "level": level, "measure": measure, "by": by, "tidy": tidy, "sparse": sparse,
          "window": window, "within": within, "ordered": ordered, "autocode_unit": autocode_unit,
          "speakers": None if speakers is None else list(speakers), "coder": coder,
          "case_insensitive": case_insensitive, "valuetype": valuetype, "threads": threads}
    return _tree(_partials(dc, cooccurrence_partition, [codebook], codings, kw), split_every, compute)


def dfm(
    corpus: DaskCorpus,
    by: str = "document",
    *,
    ngrams: int | tuple[int, int] = 1,
    min_df: float = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
    stop_words: str | Iterable[str] | None = None,
    words_only: bool = True,
    lowercase: bool = True,
    threads: int | None = 1,
    split_every: int | None = None,
    compute: bool = True,
) -> Any:
    """:meth:`qualcore.Tokens.dfm` of the whole corpus (``corpus.tokens(lowercase).dfm(...)``):
    per-partition counts summed by a tree reduction, then ``min_df``/``max_df``/
    ``max_features`` on the totals — the same :class:`~qualcore._terms.Dfm` (rows in
    partition order).  ``compute=False`` returns a Delayed.

    >>> import pandas as pd, qualcore.dask as qd
    >>> docs = pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["I trust it. Trust!", "Data I trust."]})
    >>> d = qd.dfm(qd.from_frame(docs, npartitions=2), ngrams=(1, 2), min_df=2)
    >>> d.get_feature_names_out().tolist(), d.matrix.toarray().tolist()
    (['i', 'i trust', 'trust'], [[1, 1, 2], [1, 1, 1]])
    """
    dc = _dask_corpus(corpus)
    if stop_words is not None and not isinstance(stop_words, str):
        stop_words = list(stop_words)
    kw: dict[str, Any] = {"by": by, "ngrams": ngrams, "min_df": min_df, "max_df": max_df, "max_features": max_features,
          "stop_words": stop_words, "words_only": words_only, "lowercase": lowercase, "threads": threads}
    return _tree(_partials(dc, dfm_partition, [], None, kw), split_every, compute)


def fcm(
    corpus: DaskCorpus,
    context: str = "turn",
    *,
    window: int | None = None,
    count: str = "frequency",
    weights: Sequence[float] | None = None,
    ordered: bool = False,
    tri: bool = False,
    within: str | None = None,
    stop_words: str | Iterable[str] | None = None,
    words_only: bool = True,
    max_features: int | None = None,
    lowercase: bool = True,
    threads: int | None = 1,
    split_every: int | None = None,
    compute: bool = True,
) -> Any:
    """:meth:`qualcore.Tokens.fcm` of the whole corpus: per-partition term × term counts
    (contexts and windows never cross a document) summed by a tree reduction, then
    ``max_features`` and ``tri`` — the same :class:`~qualcore._terms.Fcm` (weighted counts
    equal up to floating-point rounding).  ``compute=False`` returns a Delayed.

    >>> import pandas as pd, qualcore.dask as qd
    >>> dc = qd.from_frame(pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["a b c a", "a b"]}), npartitions=2)
    >>> qd.fcm(dc, "window", window=2).to_frame().values.tolist()
    [[0, 3, 2], [3, 0, 1], [2, 1, 0]]
    """
    dc = _dask_corpus(corpus)
    if stop_words is not None and not isinstance(stop_words, str):
        stop_words = list(stop_words)
    kw: dict[str, Any] = {"context": context, "window": window, "count": count, "weights": None if weights is None else list(weights),
          "ordered": ordered, "tri": tri, "within": within, "stop_words": stop_words, "words_only": words_only,
          "max_features": max_features, "lowercase": lowercase, "threads": threads}
    return _tree(_partials(dc, fcm_partition, [], None, kw), split_every, compute)


def word_counts(
    corpus: DaskCorpus,
    *,
    words_only: bool = True,
    lowercase: bool = True,
    threads: int | None = 1,
    split_every: int | None = None,
    compute: bool = True,
) -> Any:
    """Corpus frequency of each normalised form, most frequent first (ties in order of first
    occurrence), as a pandas Series: ``corpus.tokens(lowercase).counts(words_only)`` for the
    whole corpus, summed over partitions by a tree reduction.  ``compute=False`` returns a
    Delayed.

    >>> import pandas as pd, qualcore.dask as qd
    >>> dc = qd.from_frame(pd.DataFrame({"doc_id": ["A1", "B1"], "text": ["b a b .", "a c a"]}), npartitions=2)
    >>> qd.word_counts(dc).to_dict()
    {'a': 3, 'b': 2, 'c': 1}
    """
    dc = _dask_corpus(corpus)
    kw: dict[str, Any] = {"words_only": words_only, "lowercase": lowercase, "threads": threads}
    return _tree(_partials(dc, word_counts_partition, [], None, kw), split_every, compute)
