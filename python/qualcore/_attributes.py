"""Participant attributes: reading attribute tables, typing their columns, validating them
against a corpus (the work behind :meth:`qualcore.Corpus.with_attributes`).

A column of a file is typed by inference: ``number``, ``boolean`` (true/false, yes/no),
``date`` (ISO 8601, or Excel dates), ``categorical`` (text whose distinct values are few: at
most 50 and at most half the filled cells) or ``text``; ``types=`` overrides any column.  A
DataFrame's columns keep their dtypes unless ``types=`` names them.

>>> import pandas as pd
>>> from qualcore._attributes import infer_types
>>> infer_types(pd.DataFrame({"age": ["34", "51", "", "29"], "consent": ["yes", "no", "yes", "Yes"],
...                           "group": ["A", "A", "B", "B"], "born": ["1990-01-02", "", "1971-12-31", "NA"]}))
{'age': 'number', 'consent': 'boolean', 'group': 'categorical', 'born': 'date'}
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._tables import _cell_str, read_raw
from .errors import ArgumentError, CorpusError, UnknownDocumentError

if TYPE_CHECKING:
    from ._corpus import Corpus

__all__ = ["TYPES", "MISSING_VALUES", "infer_types", "read_attributes", "join_attributes"]

#: The attribute types.
TYPES = ("text", "number", "date", "boolean", "categorical")

#: Cell values of a file that mean "no value" (after stripping white space).
MISSING_VALUES = frozenset({"", "NA", "N/A", "n/a", "#N/A", "NaN", "nan", "NULL", "null"})

#: Inferred booleans; an explicit ``boolean`` type also takes 1/0, y/n and t/f.
_TRUE, _FALSE = frozenset({"true", "yes"}), frozenset({"false", "no"})
_TRUE_ALL, _FALSE_ALL = _TRUE | {"1", "y", "t"}, _FALSE | {"0", "n", "f"}
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_LEADING_ZERO = re.compile(r"^[+-]?0\d")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_MAX_CATEGORIES = 50
_MAX_LISTED = 20
_TABLE_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
                     ".json": "json", ".jsonl": "jsonl"}


@dataclass
class _Table:
    """Attribute rows with a way to name a row's place (``line 5``, ``row 5``)."""

    frame: pd.DataFrame
    where: Callable[[int], str]
    source: str
    from_file: bool


# --------------------------------------------------------------------------- typing values


def _is_missing(v: Any, parse: bool) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)) and math.isnan(v):
        return True
    return parse and isinstance(v, str) and v.strip() in MISSING_VALUES


def _kind(v: Any, parse: bool) -> str:
    """The type a non-missing value looks like; strings are parsed when ``parse`` (file cells)."""
    if isinstance(v, (bool, np.bool_)):
        return "boolean"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(v, (_dt.date, pd.Timestamp, np.datetime64)):
        return "date"
    if isinstance(v, str) and parse:
        s = v.strip()
        low = s.lower()
        if low in _TRUE or low in _FALSE:
            return "boolean"
        if _NUMBER.match(s):
            return "code" if _LEADING_ZERO.match(s) else "number"
        if _ISO_DATE.match(s):
            return "date"
    return "text"


def _infer(values: list[Any], parse: bool) -> tuple[str, dict[str, list[int]]]:
    """The inferred type of a column and the rows of each kind found."""
    kinds: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        if not _is_missing(v, parse):
            kinds.setdefault(_kind(v, parse), []).append(i)
    if "code" in kinds:  # zero-padded digits (02134, 007): codes, so the column is text
        rows = kinds.pop("code") + kinds.pop("text", []) + (kinds.pop("number", []) if set(kinds) <= {"number"} else [])
        kinds["text"] = sorted(rows)
    if len(kinds) != 1:
        return ("text" if len(kinds) <= 1 else "mixed"), kinds
    (kind, rows), = kinds.items()
    if kind == "text":
        distinct = len({str(values[i]).strip() for i in rows})
        if distinct <= _MAX_CATEGORIES and distinct * 2 <= len(rows):
            return "categorical", kinds
    return kind, kinds


def infer_types(frame: pd.DataFrame) -> dict[str, str]:
    """The type each column of a table of cells (strings as read from a file, or Excel
    values) would get: ``number``, ``boolean``, ``date``, ``categorical``, ``text``, or
    ``mixed`` when its values disagree.  Cells in :data:`MISSING_VALUES` are ignored.

    >>> import pandas as pd
    >>> from qualcore._attributes import infer_types
    >>> infer_types(pd.DataFrame({"years": ["3", "20", "forty"], "zip": ["02134", "10001", "02139"],
    ...                           "name": ["Siân", "Ólafur", "李"]}))
    {'years': 'mixed', 'zip': 'text', 'name': 'text'}
    """
    return {str(c): _infer(frame[c].tolist(), True)[0] for c in frame.columns}


def _convert(values: list[Any], kind: str, parse: bool) -> tuple[Any, list[int]]:
    """Values converted to ``kind`` (an array or Categorical) and the rows that would not convert."""
    bad: list[int] = []
    n = len(values)
    missing = [_is_missing(v, parse) for v in values]
    if kind == "categorical":
        base, _ = _infer(values, parse)
        base = "text" if base in ("mixed", "categorical") else base
        converted, bad = _convert(values, base, parse)
        return pd.Categorical(converted), bad
    if kind == "number":
        out = np.full(n, np.nan)
        for i, v in enumerate(values):
            if missing[i]:
                continue
            if isinstance(v, (bool, np.bool_)):
                bad.append(i)
            elif isinstance(v, (int, float, np.integer, np.floating)):
                out[i] = float(v)
            elif isinstance(v, str) and _NUMBER.match(v.strip()):
                out[i] = float(v.strip())
            else:
                bad.append(i)
        filled = ~np.isnan(out)
        if filled.all() and n and np.all(out == np.round(out)) and np.all(np.abs(out) < 2**53):
            return out.astype(np.int64), bad
        return out, bad
    if kind == "boolean":
        bools: list[Any] = [None] * n
        for i, v in enumerate(values):
            if missing[i]:
                continue
            if isinstance(v, (bool, np.bool_)):
                bools[i] = bool(v)
            elif isinstance(v, (int, float, np.integer, np.floating)) and v in (0, 1):
                bools[i] = bool(v)
            elif isinstance(v, str) and v.strip().lower() in _TRUE_ALL:
                bools[i] = True
            elif isinstance(v, str) and v.strip().lower() in _FALSE_ALL:
                bools[i] = False
            else:
                bad.append(i)
        return pd.array(bools, dtype="boolean"), bad
    if kind == "date":
        stamps: list[Any] = [pd.NaT] * n
        for i, v in enumerate(values):
            if missing[i]:
                continue
            if isinstance(v, (_dt.date, pd.Timestamp, np.datetime64)):
                stamps[i] = pd.Timestamp(v)
            elif isinstance(v, str):
                try:
                    stamps[i] = pd.Timestamp(v.strip())
                except (ValueError, TypeError):
                    bad.append(i)
            else:
                bad.append(i)
        if any(isinstance(s, pd.Timestamp) and s.tz is not None for s in stamps):
            return pd.array(stamps, dtype=object), bad
        return pd.to_datetime(pd.Series(stamps, dtype=object)).to_numpy(), bad
    if kind == "text":
        texts = [None if missing[i] else (v.strip() if parse and isinstance(v, str) else _cell_str(v))
                 for i, v in enumerate(values)]
        return np.array(texts, dtype=object), bad
    raise ArgumentError(f"types: {kind!r} is not one of {list(TYPES)}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s" if not word.endswith("y") else f"{n} {word[:-1]}ies"


def _type_column(table: _Table, col: str, forced: str | None, problems: list[str]) -> Any:
    """The typed values of one column, adding its problems (mixed types, unconvertible values)."""
    series = table.frame[col]
    parse = table.from_file
    if not parse and forced is None:
        if series.dtype == object:
            values = series.tolist()
            kinds: dict[str, list[int]] = {}
            for i, v in enumerate(values):
                if not _is_missing(v, False):
                    kinds.setdefault(_kind(v, False), []).append(i)
            if len(kinds) > 1:
                problems.append(_mixed_message(table, col, values, kinds))
        return series.array
    values = series.tolist()
    if forced is None:
        kind, kinds = _infer(values, parse)
        if kind == "mixed":
            problems.append(_mixed_message(table, col, values, kinds))
            kind = "text"
    else:
        kind = forced
    converted, bad = _convert(values, kind, parse)
    if bad:
        shown = ", ".join(f"{values[i]!r} ({table.where(i)})" for i in bad[:_MAX_LISTED])
        more = f" and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
        problems.append(f"{table.source}: column {col!r} is typed {kind} but {_plural(len(bad), 'value')} "
                        f"{'is' if len(bad) == 1 else 'are'} not: {shown}{more}")
    return converted


def _mixed_message(table: _Table, col: str, values: list[Any], kinds: dict[str, list[int]]) -> str:
    order = sorted(kinds, key=lambda k: -len(kinds[k]))
    counts = ", ".join(f"{len(kinds[k])} {k}" for k in order)
    examples = "; ".join(
        f"{k}: " + ", ".join(f"{values[i]!r} ({table.where(i)})" for i in kinds[k][:3]) for k in order[1:]
    )
    return (f"{table.source}: column {col!r} mixes types ({counts}): {examples}; "
            f"fix the cells or give its type with types={{{col!r}: ...}}")


# --------------------------------------------------------------------------- reading


def _load(attributes: Any, sheet: str | int | None, encoding: str | None) -> _Table:
    if isinstance(attributes, pd.DataFrame):
        return _Table(attributes, lambda i: f"row {i}", "attributes", False)
    if isinstance(attributes, (str, os.PathLike)):
        path = os.fspath(attributes)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"attributes: no such file: {path!r}")
        fmt = _TABLE_EXTENSIONS.get(Path(path).suffix.lower())
        if fmt is None:
            raise ArgumentError(f"attributes: {path}: expected a .csv, .tsv, .xlsx, .json or .jsonl file")
        raw = read_raw(path, fmt, sheet=sheet, encoding=encoding)
        dup = sorted({c for c in raw.columns if raw.columns.count(c) > 1})
        if dup:
            raise CorpusError(f"{path}: column names appear more than once: {dup} (rename them)")
        frame = pd.DataFrame({c: pd.Series(raw.column(c), dtype=object) for c in raw.columns},
                             columns=pd.Index(raw.columns, dtype=object))
        return _Table(frame, raw.where, path, True)
    raise ArgumentError(
        f"attributes: expected a pandas DataFrame or a path to a CSV, TSV or Excel file, got {type(attributes).__name__}"
    )


def read_attributes(
    path: str | os.PathLike[str],
    *,
    types: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """An attribute table read from a CSV, TSV, Excel (.xlsx) or JSON file with its columns
    typed (inferred, or as ``types`` says), as :meth:`qualcore.Corpus.with_attributes` reads
    it, without joining it to a corpus: the way to check the types first.  Cells that do not
    fit their column's type raise :class:`~qualcore.errors.CorpusError` listing each with its
    line (CSV/TSV) or row (Excel).

    >>> import os, pathlib, tempfile
    >>> from qualcore._attributes import read_attributes
    >>> fd, p = tempfile.mkstemp(suffix=".csv"); os.close(fd)
    >>> _ = pathlib.Path(p).write_text("doc_id,age,consent\\nA1,34,yes\\nB1,,no\\n", encoding="utf-8")
    >>> t = read_attributes(p)
    >>> str(t["age"].dtype), str(t["consent"].dtype), t["age"].tolist()
    ('float64', 'boolean', [34.0, nan])
    >>> os.remove(p)
    """
    table = _load(os.fspath(path), sheet, encoding)
    forced = _check_types(types, list(table.frame.columns), "")
    problems: list[str] = []
    out = {c: _type_column(table, c, forced.get(c), problems) for c in table.frame.columns}
    if problems:
        raise CorpusError(_message(problems), problems)
    return pd.DataFrame(out, columns=table.frame.columns)


def _check_types(types: Mapping[str, str] | None, columns: list[Any], on: str) -> dict[str, str]:
    if types is None:
        return {}
    if not isinstance(types, Mapping):
        raise ArgumentError(f"types: expected a dict of column -> type, got {type(types).__name__}")
    bad = {c: t for c, t in types.items() if t not in TYPES}
    if bad:
        raise ArgumentError(f"types: {bad} — types are {list(TYPES)}")
    unknown = [c for c in types if c not in columns]
    if unknown:
        raise ArgumentError(f"types: no column {unknown} in the attributes (columns: {list(columns)})")
    if on in types:
        raise ArgumentError(f"types: {on!r} is the id column (on=); ids are always text")
    return dict(types)


def _message(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems:\n  - " + "\n  - ".join(problems)


# --------------------------------------------------------------------------- joining


def join_attributes(
    corpus: Corpus,
    attributes: Any,
    *,
    on: str | None,
    errors: str,
    level: str,
    types: Mapping[str, str] | None,
    require_all: bool,
    sheet: str | int | None,
    reserved: frozenset[str],
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The corpus's new (document attributes, speaker attributes) after joining
    ``attributes``; see :meth:`qualcore.Corpus.with_attributes` for the rules."""
    if errors not in ("raise", "warn", "ignore"):
        raise ArgumentError(f"errors: {errors!r} is not one of 'raise', 'warn', 'ignore'")
    if level not in ("document", "speaker"):
        raise ArgumentError(f"level: {level!r} is not one of 'document', 'speaker'")
    if on is None:
        on = "doc_id" if level == "document" else "speaker"
    table = _load(attributes, sheet, None)
    frame = table.frame
    if on not in frame.columns:
        if not table.from_file and on in (frame.index.names or []):
            frame = frame.reset_index()
            table = _Table(frame, table.where, table.source, False)
        else:
            where = f"{table.source}: " if table.from_file else ""
            raise ArgumentError(f"{where}on: no column {on!r} in the attributes (columns: {list(frame.columns)})")
    columns = [c for c in frame.columns if c != on]
    forced = _check_types(types, list(frame.columns), on)

    # structural problems: always raised
    speaker_attrs = getattr(corpus, "_speaker_attributes", None)
    present = set(corpus._attributes.columns) | (set(speaker_attrs.columns) if speaker_attrs is not None else set())
    structural = []
    reserved_used = sorted({str(c) for c in columns} & reserved)
    if reserved_used:
        structural.append(f"attribute names already used by result columns: {reserved_used} (rename them)")
    existing = sorted({str(c) for c in columns} & {str(c) for c in present})
    if existing:
        structural.append(f"attributes already set: {existing} (drop them first or rename)")

    # data problems: collected; errors= decides
    problems: list[tuple[str, str]] = []  # (kind, message)
    prefix = f"{table.source}: " if table.from_file else ""
    raw_ids = frame[on].tolist()
    ids: list[str | None] = []
    for v in raw_ids:
        if _is_missing(v, table.from_file):
            ids.append(None)
        else:
            s = _cell_str(v)
            ids.append(s.strip() if table.from_file and s is not None else s)
    no_id = [i for i, d in enumerate(ids) if d is None]
    if no_id:
        problems.append(("no_id", f"{prefix}{_plural(len(no_id), 'row')} without an id in column {on!r}: "
                                  + ", ".join(table.where(i) for i in no_id[:_MAX_LISTED])))
    rows_of: dict[str, list[int]] = {}
    for i, d in enumerate(ids):
        if d is not None:
            rows_of.setdefault(d, []).append(i)
    dups = {d: rows for d, rows in rows_of.items() if len(rows) > 1}
    if dups:
        listed = list(dups.items())[:_MAX_LISTED]
        shown = "; ".join(f"{d!r} at {', '.join(table.where(i) for i in rows)}" for d, rows in listed)
        more = f" and {len(dups) - _MAX_LISTED} more" if len(dups) > _MAX_LISTED else ""
        problems.append(("duplicate", f"{prefix}duplicate ids in the attributes: {[d for d, _ in listed]}{more} "
                                      f"({shown}; errors='warn' keeps the first row of each)"))
    if level == "document":
        known = corpus._id_positions()
        what, whose = "documents", "documents"
    else:
        known = {s: i for i, s in enumerate(corpus.speakers)}
        what, whose = "speakers", "speakers"
    unknown = [d for d in rows_of if d not in known]
    covered = set(rows_of)
    without = [k for k in known if k not in covered]
    if unknown:
        msg = f"{prefix}{len(unknown)} attribute rows have ids that are not {what} of the corpus: {unknown[:_MAX_LISTED]}"
        if without and not require_all:
            msg += f" ({whose} without attributes: {without[:_MAX_LISTED]})"
        problems.append(("unknown", msg))
    if require_all and without:
        problems.append(("without", f"{prefix}{len(without)} {whose} have no attributes: {without[:_MAX_LISTED]}"))
    typing: list[str] = []
    typed = {c: _type_column(table, c, forced.get(c), typing) for c in columns}
    problems.extend(("type", p) for p in typing)

    if structural:
        all_problems = structural + [m for _, m in problems]
        raise CorpusError(_message(all_problems), all_problems)
    to_raise = [(k, m) for k, m in problems if not (errors == "ignore" and k == "unknown")]
    if to_raise:
        messages = [m for _, m in to_raise]
        if errors != "warn":
            cls = UnknownDocumentError if all(k == "unknown" for k, _ in to_raise) else CorpusError
            raise cls(_message(messages), messages)
        warnings.warn(_message(messages), UserWarning, stacklevel=3)

    keep = [rows[0] for d, rows in rows_of.items() if d in known]
    index = pd.Index([ids[i] for i in keep], dtype=object, name="doc_id" if level == "document" else "speaker")
    out = pd.DataFrame({c: _take(typed[c], keep) for c in columns}, index=index, columns=pd.Index(columns, dtype=object))
    if level == "document":
        merged = corpus._attributes.join(out.reindex(corpus._attributes.index), how="left")
        return merged, speaker_attrs
    if speaker_attrs is None or len(speaker_attrs.columns) == 0:
        return corpus._attributes, out
    return corpus._attributes, speaker_attrs.join(out, how="outer")


def _take(values: Any, rows: list[int]) -> Any:
    if isinstance(values, pd.Categorical):
        return values.take(rows) if rows else values[:0]
    if isinstance(values, pd.api.extensions.ExtensionArray):
        return values.take(np.asarray(rows, dtype=np.intp))
    return np.asarray(values)[rows] if len(rows) else np.asarray(values)[:0]
