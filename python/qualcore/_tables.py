"""Utterance tables as transcripts: CSV, TSV, Excel (.xlsx), JSON and JSON Lines.

One row (record) is one speaker turn.  Each file is read into a table of ``doc_id``,
``speaker``, ``text``, ``time_start``, ``time_end`` (:func:`read_utterances`), and the rows
become a corpus through :meth:`qualcore.Corpus.from_frame`, so a table-built corpus has exactly
the turns ``from_frame`` makes: a document's text is its turns' texts joined by
:data:`~qualcore.TURN_SEPARATOR`, each turn's offsets pointing into it.
:func:`qualcore.read_transcripts` dispatches here by extension (``.csv``, ``.tsv``, ``.xlsx``,
``.json``, ``.jsonl``) or ``format=``; :func:`from_records` builds a corpus from records in
memory.

>>> import qualcore as qc
>>> from qualcore._tables import from_records
>>> c = from_records([{"speaker": "Dan", "content": "Why?"}, {"speaker": "Siân", "content": "Trust."}],
...                  doc_id="A1", interviewer=["Dan"])
>>> c.turns[["doc_id", "speaker", "text", "interviewer"]].values.tolist()
[['A1', 'Dan', 'Why?', True], ['A1', 'Siân', 'Trust.', False]]
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import os
import re
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import (
    ArgumentError,
    DuplicateIdError,
    QualcoreError,
    TranscriptDecodeError,
    TranscriptError,
    TranscriptFormatError,
)

if TYPE_CHECKING:
    from ._corpus import Corpus

__all__ = ["TABLE_FORMATS", "COLUMN_NAMES", "read_utterances", "from_records"]

#: Table formats and the extension that selects each (``.tab`` is TSV, ``.xlsm`` Excel,
#: ``.ndjson`` JSON Lines as well).
TABLE_FORMATS: dict[str, str] = {"csv": ".csv", "tsv": ".tsv", "xlsx": ".xlsx", "json": ".json", "jsonl": ".jsonl"}
EXTENSIONS: dict[str, str] = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
}

#: Column names recognised for each role when ``columns=`` does not name the column, in order
#: of preference.  Names are compared after lower-casing, dropping a parenthesised unit
#: (``Start (s)``) and turning spaces, hyphens and dots into ``_`` (``Start Time`` is
#: ``start_time``).  ``time`` is a single time column (the turn's start).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "document": ("doc_id", "document", "document_id", "doc", "docid", "file", "filename", "file_name",
                 "transcript_id", "interview", "interview_id", "meeting", "meeting_id", "session",
                 "session_id", "conversation", "conversation_id"),
    "speaker": ("speaker", "speaker_name", "speaker_label", "speaker_id", "name", "participant", "who",
                "role", "person", "spk"),
    "text": ("text", "content", "utterance", "utterance_text", "transcript", "transcription", "message",
             "body"),
    "time_start": ("time_start", "start", "start_time", "starttime", "begin", "begin_time", "start_s",
                   "start_sec", "start_seconds", "start_timestamp"),
    "time_end": ("time_end", "end", "end_time", "endtime", "stop", "stop_time", "end_s", "end_sec",
                 "end_seconds", "end_timestamp"),
    "time": ("time", "timestamp", "timecode", "time_code", "tc"),
}
ROLES = ("document", "speaker", "text", "time", "time_start", "time_end")

#: Keys of a JSON object that hold its records, in order of preference (else the only key
#: whose value is a list of objects with a text field).
RECORD_KEYS = ("meeting_transcripts", "transcript", "transcripts", "turns", "utterances", "segments",
               "monologues", "records", "rows", "data", "items", "messages", "dialogue", "conversation")

MISSING_TEXT = ("raise", "drop", "keep")

_TIME = re.compile(r"^\s*[\[(]?\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)\s*[\])]?\s*$")
_MAX_LISTED = 20


# --------------------------------------------------------------------------- raw tables


@dataclass
class RawTable:
    """The cells of one file before the roles are chosen: column names in order, a getter of
    one column's values (one per row), the row count and a function naming a row's place in
    the file (``line 7``, ``row 7``, ``meeting_transcripts[12]``)."""

    path: str
    columns: list[str]
    n_rows: int
    column: Callable[[str], list[Any]]
    where: Callable[[int], str]


def decode(path: str, data: bytes, encoding: str | None) -> str:
    """The text of a file's bytes: UTF-8 (a BOM is dropped) or UTF-16 with a BOM when
    ``encoding`` is None, else that encoding.  Bad bytes raise
    :class:`~qualcore.errors.TranscriptDecodeError` naming the file, byte offset and line.

    >>> decode("a.csv", b"\\xef\\xbb\\xbfspeaker,text\\n", None)
    'speaker,text\\n'
    >>> decode("a.csv", "Siân".encode("utf-16"), None)
    'Siân'
    """
    skip = 0
    if encoding is None:
        if data.startswith(b"\xef\xbb\xbf"):
            enc, skip = "utf-8", 3
        elif data.startswith(b"\xff\xfe"):
            enc, skip = "utf-16-le", 2
        elif data.startswith(b"\xfe\xff"):
            enc, skip = "utf-16-be", 2
        else:
            enc = "utf-8"
    else:
        enc = encoding
    body = memoryview(data)[skip:]
    try:
        text = bytes(body).decode(enc)
    except LookupError:
        raise ArgumentError(f"encoding: unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as e:
        line = bytes(body[: e.start]).decode(enc, errors="replace").count("\n") + 1
        msg = (f"{path}: not valid {enc} at byte {e.start + skip} (line {line}): {e.reason}; "
               "name the file's encoding with encoding=")
        raise TranscriptDecodeError(msg) from None
    if encoding is not None and text.startswith("\ufeff"):
        text = text[1:]
    return text


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise
    except OSError as e:
        raise TranscriptError(f"{path}: cannot be read ({e.strerror or e})") from None


def read_delimited(path: str, sep: str, encoding: str | None = None) -> RawTable:
    """A CSV (``sep=","``) or TSV (``sep="\\t"``) file: a header row, then one row per record;
    every cell a string (empty cells ``""``).  Quoted cells may hold separators and line
    breaks; rows are located by the file line they start on.

    >>> import os, pathlib, tempfile
    >>> fd, p = tempfile.mkstemp(suffix=".csv"); os.close(fd)
    >>> _ = pathlib.Path(p).write_text('who,said\\nA,"x\\r\\ny"\\nB,z\\n', encoding="utf-8", newline="")
    >>> t = read_delimited(p, ",")
    >>> t.columns, t.column("said"), t.where(1)
    (['who', 'said'], ['x\\r\\ny', 'z'], 'line 4')
    >>> os.remove(p)
    """
    text = decode(path, _read_bytes(path), encoding)
    if not text.strip():
        raise TranscriptFormatError(f"{path}: the file is empty (expected a header row, then one row per turn)")
    kind = "TSV" if sep == "\t" else "CSV"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                                skip_blank_lines=True, index_col=False, engine="c")
        except pd.errors.ParserError as e:
            problems = _long_rows(path, text, sep, kind) or [f"{path}: not a valid {kind} file: {e}"]
            raise TranscriptFormatError(_message(problems), problems) from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        problems = _long_rows(path, text, sep, kind) or [f"{path}: not a valid {kind} file: {caught[0].message}"]
        raise TranscriptFormatError(_message(problems), problems)
    # the header as written (pandas renames a repeated name to `name.1`)
    import csv

    header = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 if "\n" in text else len(text)]), delimiter=sep), [])
    if len(header) == len(frame.columns) and len(set(header)) < len(header):
        dup = sorted({c for c in header if header.count(c) > 1})
        raise TranscriptFormatError(f"{path}, line 1: column names appear more than once: {dup} (rename them)")
    columns = [str(c) for c in frame.columns]
    frame.columns = pd.Index(columns, dtype=object)
    lines: list[int] = []

    def where(i: int) -> str:
        if not lines:
            lines.extend(_record_lines(text, sep))
            if len(lines) != len(frame):  # the two parsers disagree: fall back to data rows
                lines[:] = list(range(2, len(frame) + 2))
        return f"line {lines[i]}"

    return RawTable(path, columns, len(frame), lambda c: frame[c].tolist(), where)


def _long_rows(path: str, text: str, sep: str, kind: str) -> list[str]:
    """The rows with more fields than the header, each by its line (a separator inside an
    unquoted cell)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    problems: list[str] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        width, prev = None, 0
        for record in reader:
            start, prev = prev + 1, reader.line_num
            if not record:
                continue
            if width is None:
                width = len(record)
            elif len(record) > width:
                problems.append(f"{path}, line {start}: {len(record)} fields where the header has {width} "
                                f"(quote cells that hold the separator) — not a valid {kind} row")
    except csv.Error as e:
        problems.append(f"{path}, line {prev + 1}: not a valid {kind} file ({e})")
    finally:
        csv.field_size_limit(limit)
    return problems[:_MAX_LISTED]


def _record_lines(text: str, sep: str) -> list[int]:
    """The 1-based line on which each data record (after the header) starts."""
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        starts, prev = [], 0
        for record in reader:
            start, prev = prev + 1, reader.line_num
            if record:
                starts.append(start)
    except csv.Error:
        return []
    finally:
        csv.field_size_limit(limit)
    return starts[1:]


def read_excel(path: str, sheet: str | int | None = None) -> RawTable:
    """The first sheet of an Excel workbook (or ``sheet``, a name or 0-based position): its
    first non-empty row is the header; later empty rows are skipped.  Cells keep their Excel
    types (numbers, dates, times, booleans, strings; empty cells None); rows are located by
    their row number in the sheet.  Needs ``openpyxl`` (``pip install 'qualcore[excel]'``).

    >>> import os, tempfile, openpyxl
    >>> wb = openpyxl.Workbook(); wb.active.append(["speaker", "text"]); wb.active.append(["李", "好"])
    >>> fd, p = tempfile.mkstemp(suffix=".xlsx"); os.close(fd); wb.save(p)
    >>> t = read_excel(p)
    >>> t.columns, t.column("speaker"), t.where(0)
    (['speaker', 'text'], ['李'], 'row 2')
    >>> os.remove(p)
    """
    openpyxl = _import_openpyxl(path)
    if not zipfile.is_zipfile(path):
        raise TranscriptFormatError(f"{path}: not an Excel .xlsx workbook (the file is not a zip archive)")
    with open(path, "rb") as f:
        try:
            wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises KeyError, InvalidFileException, XML errors ...
            raise TranscriptFormatError(f"{path}: not a readable Excel .xlsx workbook ({type(e).__name__}: {e})") from None
        try:
            names = wb.sheetnames
            if sheet is None:
                ws = wb.worksheets[0]
            elif isinstance(sheet, str):
                if sheet not in names:
                    raise TranscriptFormatError(f"{path}: no sheet {sheet!r} (sheets: {names})")
                ws = wb[sheet]
            elif isinstance(sheet, int) and not isinstance(sheet, bool):
                if not -len(names) <= sheet < len(names):
                    raise TranscriptFormatError(f"{path}: no sheet {sheet} (the workbook has {len(names)}: {names})")
                ws = wb.worksheets[sheet]
            else:
                raise ArgumentError(f"sheet: expected a sheet name or position, got {sheet!r}")
            rows: list[tuple[Any, ...]] = []
            numbers: list[int] = []
            header: tuple[Any, ...] | None = None
            for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    continue
                if header is None:
                    header = row
                else:
                    rows.append(row)
                    numbers.append(n)
        finally:
            wb.close()
    if header is None:
        raise TranscriptFormatError(f"{path}: the sheet {ws.title!r} is empty (expected a header row, then one row per turn)")
    columns = [("" if v is None else str(v).strip()) for v in header]
    index: dict[str, int] = {}
    for j, c in enumerate(columns):
        index.setdefault(c, j)

    def column(name: str) -> list[Any]:
        j = index[name]
        return [r[j] if j < len(r) else None for r in rows]

    prefix = "" if sheet is None else f"sheet {ws.title!r}, "
    return RawTable(path, columns, len(rows), column, lambda i: f"{prefix}row {numbers[i]}")


def _import_openpyxl(path: str) -> Any:
    try:
        import openpyxl
    except ImportError:
        raise ImportError(
            f"{path}: reading Excel files needs openpyxl, an optional dependency: "
            "pip install 'qualcore[excel]' (or pip install openpyxl)"
        ) from None
    return openpyxl


def read_json(path: str, records: str | None = None, encoding: str | None = None) -> RawTable:
    """A JSON file holding a list of records (objects), or an object one of whose keys holds
    it: ``records`` names the key (a dotted path for nested objects), else the first of
    :data:`RECORD_KEYS` present, else the only key whose value is a list of objects with a
    text field (the AMI/QMSum meetings: ``meeting_transcripts``).  Records are located as
    ``key[i]`` (0-based).

    >>> import os, pathlib, tempfile
    >>> fd, p = tempfile.mkstemp(suffix=".json"); os.close(fd)
    >>> _ = pathlib.Path(p).write_text('{"topics": [], "turns": [{"speaker": "A", "content": "Hi ."}]}', encoding="utf-8")
    >>> t = read_json(p)
    >>> t.columns, t.column("content"), t.where(0)
    (['speaker', 'content'], ['Hi .'], 'turns[0]')
    >>> os.remove(p)
    """
    text = decode(path, _read_bytes(path), encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        hint = " (one record per line is JSON Lines: use the .jsonl extension or format='jsonl')" if e.msg == "Extra data" else ""
        raise TranscriptFormatError(f"{path}, line {e.lineno}, column {e.colno}: not valid JSON ({e.msg}){hint}") from None
    key, recs = _find_records(path, data, records)
    label = f"{key}[{{}}]" if key else "record {}"
    return _records_table(path, recs, lambda i: label.format(i))


def _find_records(path: str, data: Any, records: str | None) -> tuple[str, list[Any]]:
    if records is not None:
        node = data
        for part in records.split("."):
            if not isinstance(node, Mapping) or part not in node:
                found = list(node) if isinstance(node, Mapping) else type(node).__name__
                raise TranscriptFormatError(f"{path}: no key {records!r} holding the records (found: {found})")
            node = node[part]
        if not isinstance(node, list):
            raise TranscriptFormatError(f"{path}: {records!r} holds a {type(node).__name__}, expected a list of records")
        return records, node
    if isinstance(data, list):
        return "", data
    if isinstance(data, Mapping):
        for k in RECORD_KEYS:
            if isinstance(data.get(k), list):
                return k, data[k]
        text_names = set(COLUMN_NAMES["text"])
        candidates = [
            k for k, v in data.items()
            if isinstance(v, list) and v and isinstance(v[0], Mapping) and any(_norm(c) in text_names for c in v[0])
        ]
        if len(candidates) == 1:
            return candidates[0], data[candidates[0]]
        what = f"several keys hold records: {candidates}" if candidates else f"keys: {list(data)[:20]}"
        raise TranscriptFormatError(
            f"{path}: expected a list of records or an object holding one ({what}); name the key with records="
        )
    raise TranscriptFormatError(f"{path}: expected a list of records, found a JSON {type(data).__name__}")


def read_jsonl(path: str, encoding: str | None = None) -> RawTable:
    """A JSON Lines file: one record (object) per line, blank lines skipped; every bad line is
    reported together, by line number.

    >>> import os, pathlib, tempfile
    >>> fd, p = tempfile.mkstemp(suffix=".jsonl"); os.close(fd)
    >>> _ = pathlib.Path(p).write_text('{"speaker": "A", "text": "Hi"}\\n\\n{"speaker": "B", "text": "Yo"}\\n', encoding="utf-8")
    >>> t = read_jsonl(p)
    >>> t.column("text"), t.where(1)
    (['Hi', 'Yo'], 'line 3')
    >>> os.remove(p)
    """
    text = decode(path, _read_bytes(path), encoding)
    recs: list[Any] = []
    numbers: list[int] = []
    problems: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError as e:
            problems.append(f"{path}, line {n}, column {e.colno}: not valid JSON ({e.msg})")
            continue
        numbers.append(n)
    if problems:
        raise TranscriptFormatError(_message(problems), problems)
    return _records_table(path, recs, lambda i: f"line {numbers[i]}")


def _records_table(path: str, recs: Sequence[Any], where: Callable[[int], str]) -> RawTable:
    bad = [i for i, r in enumerate(recs) if not isinstance(r, Mapping)]
    if bad:
        problems = [f"{path}, {where(i)}: expected an object (a record), found {type(recs[i]).__name__}" for i in bad]
        raise TranscriptFormatError(_message(problems), problems)
    columns: dict[str, None] = {}
    for r in recs:
        for k in r:
            columns.setdefault(str(k), None)
    return RawTable(path, list(columns), len(recs), lambda c: [r.get(c) for r in recs], where)


def read_raw(path: str, format: str, *, sheet: str | int | None = None, records: str | None = None,
             encoding: str | None = None) -> RawTable:
    """The raw table of one file in one of :data:`TABLE_FORMATS`."""
    if format == "csv":
        return read_delimited(path, ",", encoding)
    if format == "tsv":
        return read_delimited(path, "\t", encoding)
    if format == "xlsx":
        return read_excel(path, sheet)
    if format == "json":
        return read_json(path, records, encoding)
    if format == "jsonl":
        return read_jsonl(path, encoding)
    raise ArgumentError(f"format: {format!r} is not one of {list(TABLE_FORMATS)}")


# --------------------------------------------------------------------------- roles and rows


def _norm(name: Any) -> str:
    s = re.sub(r"\(.*?\)|\[.*?\]", "", str(name)).strip().lower()
    return re.sub(r"[\s\-.]+", "_", s).strip("_")


def check_columns(columns: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """Validates a ``columns=`` mapping (role -> column name, or None for "no such column")."""
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise ArgumentError(f"columns: expected a dict of role -> column name, got {type(columns).__name__}")
    unknown = [k for k in columns if k not in ROLES]
    if unknown:
        raise ArgumentError(f"columns: unknown roles {unknown} (roles: {list(ROLES)})")
    for k, v in columns.items():
        if v is not None and not isinstance(v, str):
            raise ArgumentError(f"columns: {k!r} must name a column (a str) or be None, got {v!r}")
    if columns.get("time") is not None and columns.get("time_start") is not None:
        raise ArgumentError("columns: give either 'time' (a single time column) or 'time_start'/'time_end', not both")
    if columns.get("text", "") is None:
        raise ArgumentError("columns: 'text' cannot be None (every turn has a text)")
    return dict(columns)


def resolve_columns(raw: RawTable, columns: Mapping[str, str | None]) -> tuple[dict[str, str | None], list[str]]:
    """Chooses the column of each role: the one ``columns`` names, else the first name of
    :data:`COLUMN_NAMES` found; a named column missing from the table is a problem naming the
    file, the column expected and the columns found."""
    chosen: dict[str, str | None] = {}
    problems = []
    by_norm: dict[str, str] = {}
    for c in raw.columns:
        by_norm.setdefault(_norm(c), c)
    taken: set[str] = set(v for v in columns.values() if v is not None)
    for role in ("document", "speaker", "text", "time_start", "time_end", "time"):
        if role in columns:
            name = columns[role]
            if name is not None and name not in raw.columns:
                problems.append(f"{raw.path}: no column {name!r} (the {role} column named by columns=); "
                                f"columns found: {raw.columns}")
                name = None
            chosen[role] = name
            continue
        if role == "time_start" and columns.get("time") is not None:
            chosen[role] = None  # the single time column named by columns= is the start
            continue
        if role == "time" and (chosen["time_start"] is not None or "time_start" in columns):
            chosen[role] = None
            continue
        found = next((by_norm[n] for n in COLUMN_NAMES[role] if n in by_norm and by_norm[n] not in taken), None)
        if found is not None:
            taken.add(found)
        chosen[role] = found
    if chosen["text"] is None and "text" not in columns:
        problems.append(
            f"{raw.path}: no text column (expected one named {', '.join(repr(n) for n in COLUMN_NAMES['text'][:5])} …, "
            f"or name it with columns={{'text': ...}}); columns found: {raw.columns}"
        )
    if chosen.get("time") is not None and chosen.get("time_start") is None:
        chosen["time_start"] = chosen["time"]
    chosen.pop("time", None)
    return chosen, problems


def _cell_str(v: Any) -> str | None:
    """A cell as text, None when empty; whole floats lose their ``.0`` (Excel numbers)."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (dict, list)):
        return None if not v else json.dumps(v, ensure_ascii=False)
    return str(v)


def _strings(values: list[Any]) -> list[str | None]:
    """Cells as text (see :func:`_cell_str`); a column of strings is returned as it is."""
    if all(type(v) is str for v in values):
        return values
    return [_cell_str(v) for v in values]


def parse_time(v: Any) -> float | None:
    """Seconds from a time cell: a number of seconds, ``[hh:]mm:ss[.fff]`` (``,`` as decimal
    mark too; in brackets or parentheses), an Excel time or a timedelta.  NaN when empty, None
    when the value is not a time.

    >>> [parse_time(x) for x in (12.5, "83.2", "01:23", "[00:01:23,5]", "1:02:03", "", "soon")]
    [12.5, 83.2, 83.0, 83.5, 3723.0, nan, None]
    """
    if v is None or v is pd.NA:
        return float("nan")
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return f if math.isnan(f) or f >= 0 else None
    if isinstance(v, _dt.time):
        return v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6
    if isinstance(v, _dt.timedelta):
        return v.total_seconds()
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return float("nan")
        try:
            f = float(s)
        except ValueError:
            pass
        else:
            return f if f >= 0 and math.isfinite(f) else None
        m = _TIME.match(s)
        if m is None:
            return None
        h, mi, sec = m.groups()
        minutes, seconds = int(mi), float(sec.replace(",", "."))
        if (h is not None and minutes >= 60) or seconds >= 60:
            return None
        return (int(h) if h else 0) * 3600 + minutes * 60 + seconds
    return None


def _times(raw: RawTable, col: str | None, role: str, problems: list[str]) -> np.ndarray:
    if col is None:
        return np.full(raw.n_rows, np.nan)
    values = raw.column(col)
    try:  # fast path: every cell a number of seconds (or a numeric string)
        if not any(v is True or v is False for v in values):
            fast = np.array(values, dtype=float)
            if not (fast < 0).any() and np.isfinite(fast[~np.isnan(fast)]).all():
                return fast
    except (TypeError, ValueError):
        pass
    out = np.empty(raw.n_rows)
    bad = []
    for i, v in enumerate(values):
        t = parse_time(v)
        if t is None:
            bad.append(i)
            out[i] = np.nan
        else:
            out[i] = t
    for i in bad[:_MAX_LISTED]:
        problems.append(f"{raw.path}, {raw.where(i)}: {role} {values[i]!r} in column {col!r} is not a time "
                        "(expected seconds or [hh:]mm:ss[.fff])")
    if len(bad) > _MAX_LISTED:
        problems.append(f"{raw.path}: {len(bad) - _MAX_LISTED} more rows with a bad {role} in column {col!r}")
    return out


def utterances(raw: RawTable, columns: Mapping[str, str | None], *, doc_id: str | list[str],
               missing_text: str = "raise") -> tuple[pd.DataFrame, list[str]]:
    """The utterance rows of a raw table and the problems found (all of them, each naming the
    file and row): ``doc_id`` (``doc_id`` when the table has no document column), ``speaker``
    (None when empty or absent), ``text`` (CRLF and CR normalised to LF), ``time_start``,
    ``time_end`` (seconds, NaN when unknown).  A list ``doc_id`` gives each row's document
    (no document column is looked for)."""
    if isinstance(doc_id, list):
        columns = {**columns, "document": None}
    chosen, problems = resolve_columns(raw, columns)
    if problems:
        return pd.DataFrame(), problems
    n = raw.n_rows
    if n == 0:
        return pd.DataFrame(), [f"{raw.path}: the table has a header but no rows (expected one row per turn)"]
    text_col = chosen["text"]
    assert text_col is not None
    texts: list[Any] = _strings(raw.column(text_col))
    missing = [i for i, t in enumerate(texts) if not t or t.isspace()]
    keep = np.ones(n, dtype=bool)
    if missing:
        if missing_text == "raise":
            for i in missing[:_MAX_LISTED]:
                problems.append(f"{raw.path}, {raw.where(i)}: no text in column {text_col!r} "
                                "(fill it, or pass missing_text='drop' or 'keep')")
            if len(missing) > _MAX_LISTED:
                rest = ", ".join(raw.where(i) for i in missing[_MAX_LISTED:])
                problems.append(f"{raw.path}: {len(missing) - _MAX_LISTED} more rows without text: {rest}")
        elif missing_text == "drop":
            keep[missing] = False
        else:
            for i in missing:
                texts[i] = texts[i] or ""
    texts = [t if t is None or ("\r" not in t) else t.replace("\r\n", "\n").replace("\r", "\n") for t in texts]
    spk_col = chosen["speaker"]
    if spk_col is None:
        speakers: list[str | None] = [None] * n
    else:
        speakers = [(s.strip() or None) if s is not None else None for s in _strings(raw.column(spk_col))]
    doc_col = chosen["document"]
    if isinstance(doc_id, list):
        docs: list[str | None] = list(doc_id)
    elif doc_col is None:
        docs = [doc_id] * n
    else:
        docs = [(s.strip() or None) if s is not None else None for s in _strings(raw.column(doc_col))]
        no_doc = [i for i in range(n) if docs[i] is None and keep[i]]
        for i in no_doc[:_MAX_LISTED]:
            problems.append(f"{raw.path}, {raw.where(i)}: no document id in column {doc_col!r}")
        if len(no_doc) > _MAX_LISTED:
            problems.append(f"{raw.path}: {len(no_doc) - _MAX_LISTED} more rows without a document id")
    start = _times(raw, chosen["time_start"], "time_start", problems)
    end = _times(raw, chosen["time_end"], "time_end", problems)
    backwards = np.flatnonzero(end < start)
    for i in backwards[:_MAX_LISTED].tolist():
        problems.append(f"{raw.path}, {raw.where(i)}: the turn ends ({end[i]:g} s) before it starts ({start[i]:g} s)")
    frame = pd.DataFrame({
        "doc_id": pd.Series(docs, dtype=object),
        "speaker": pd.Series(speakers, dtype=object),
        "text": pd.Series(texts, dtype=object),
        "time_start": start,
        "time_end": end,
    })
    if not keep.all():
        frame = frame[keep].reset_index(drop=True)
    return frame, problems


def _message(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems:\n  - " + "\n  - ".join(problems)


def _check_missing_text(missing_text: str) -> None:
    if missing_text not in MISSING_TEXT:
        raise ArgumentError(f"missing_text: {missing_text!r} is not one of {list(MISSING_TEXT)}")


def read_utterances(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    sheet: str | int | None = None,
    records: str | None = None,
    encoding: str | None = None,
    missing_text: str = "raise",
) -> pd.DataFrame:
    """One utterance table (CSV, TSV, Excel, JSON, JSON Lines) as the rows
    :func:`qualcore.read_transcripts` turns into a corpus: ``doc_id``, ``speaker``, ``text``,
    ``time_start``, ``time_end`` (seconds, NaN when unknown), one row per turn in file order.

    The format comes from the extension or ``format=``.  ``columns`` maps roles
    (``"document"``, ``"speaker"``, ``"text"``, ``"time_start"``, ``"time_end"``, or
    ``"time"``, a single start-time column) to column names, None meaning "the table has
    none"; roles not named are looked up in :data:`COLUMN_NAMES` (``text``, ``content``,
    ``utterance`` …; ``Speaker``, ``Start Time`` …).  Without a document column the file stem
    is the document id.  Times are seconds or ``[hh:]mm:ss[.fff]``.  Text line ends (CRLF, CR)
    become LF.  A missing column, rows without text (``missing_text="raise"``; or ``"drop"``
    them, or ``"keep"`` them as empty turns), rows without a document id and bad times raise
    :class:`~qualcore.errors.TranscriptFormatError` listing every one with its line (CSV,
    TSV, JSON Lines), sheet row (Excel) or record index (JSON).  Files are UTF-8 (BOM
    optional) or UTF-16 with a BOM unless ``encoding`` names another.

    >>> import os, pathlib, tempfile
    >>> fd, p = tempfile.mkstemp(suffix=".csv"); os.close(fd)
    >>> _ = pathlib.Path(p).write_text("Speaker,Start Time,Utterance\\nDan,00:00:01,Why?\\nÓlafur,00:00:03.5,Trust.\\n", encoding="utf-8")
    >>> read_utterances(p).drop(columns="doc_id").values.tolist()
    [['Dan', 'Why?', 1.0, nan], ['Ólafur', 'Trust.', 3.5, nan]]
    >>> os.remove(p)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    fmt = _format_of(path, format)
    _check_missing_text(missing_text)
    raw = read_raw(path, fmt, sheet=sheet, records=records, encoding=encoding)
    frame, problems = utterances(raw, check_columns(columns), doc_id=Path(path).stem, missing_text=missing_text)
    if problems:
        raise TranscriptFormatError(_message(problems), problems)
    return frame


def _format_of(path: str, format: str | None) -> str:
    if format is not None:
        if format not in TABLE_FORMATS:
            raise ArgumentError(f"format: {format!r} is not one of {list(TABLE_FORMATS)}")
        return format
    fmt = EXTENSIONS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ArgumentError(f"{path}: cannot tell the table format from the extension; pass format= (one of {list(TABLE_FORMATS)})")
    return fmt


def read_table_files(
    files: Sequence[str],
    formats: Sequence[str],
    *,
    columns: Mapping[str, str | None] | None = None,
    sheet: str | int | None = None,
    records: str | None = None,
    missing_text: str = "raise",
    taken: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, list[list[str]]]:
    """Reads table files into one utterance frame; returns it and each file's document ids in
    order.  Every problem of every file is collected and raised once (the class of the
    problems when they share one, else :class:`~qualcore.errors.TranscriptFormatError`);
    a document id that two files (or a file and ``taken``: id -> file) both give raises
    :class:`~qualcore.errors.DuplicateIdError`."""
    _check_missing_text(missing_text)
    spec = check_columns(columns)
    frames: list[pd.DataFrame] = []
    ids: list[list[str]] = []
    problems: list[str] = []
    kinds: set[type[QualcoreError]] = set()
    for f, fmt in zip(files, formats):
        try:
            raw = read_raw(f, fmt, sheet=sheet, records=records)
        except (TranscriptFormatError, TranscriptDecodeError, TranscriptError) as e:
            problems.extend(e.problems)
            kinds.add(type(e))
            ids.append([])
            continue
        frame, found = utterances(raw, spec, doc_id=Path(f).stem, missing_text=missing_text)
        if found:
            problems.extend(found)
            kinds.add(TranscriptFormatError)
            ids.append([])
            continue
        frames.append(frame)
        ids.append(pd.unique(frame["doc_id"]).tolist() if len(frame) else [])
    if problems:
        cls = kinds.pop() if len(kinds) == 1 else TranscriptFormatError
        raise cls(_message(problems), problems)
    owner: dict[str, list[str]] = {d: [f] for d, f in (taken or {}).items()}
    for f, doc_ids in zip(files, ids):
        for d in doc_ids:
            owner.setdefault(d, []).append(f)
    clashes = {d: fs for d, fs in owner.items() if len(fs) > 1}
    if clashes:
        dup = [f'document id "{d}" would come from {len(fs)} files: {fs}' for d, fs in clashes.items()]
        raise DuplicateIdError(
            "document ids must be unique across files; rename the files or the ids, or read them separately:\n  - "
            + "\n  - ".join(dup),
            dup,
        )
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"doc_id": [], "speaker": [], "text": [], "time_start": [], "time_end": []})
    return frame, ids


#: False reads every table with the Python reader (the tests compare the two readers).
FAST = True


def _read_fast(files: Sequence[str], formats: Sequence[str], columns: Mapping[str, str | None] | None,
               missing_text: str, taken: Mapping[str, str] | None, interviewer: Iterable[str],
               threads: int | None, records: str | None = None) -> tuple[Corpus, list[list[str]]] | None:
    """The corpus of table files and each file's document ids, as :func:`read_table_files`
    and :func:`frame_corpus` make them, read in Rust straight into documents (in parallel,
    without a frame) when every file is a clean CSV/TSV file, or every one a clean JSON file;
    None otherwise (a file with anything to report, other formats, a mix, a document id
    already ``taken``): the caller then reads them with the Python reader, which reports
    every problem with its line."""
    from . import _native
    from ._corpus import TURN_SEPARATOR, Corpus
    from ._util import path_stem, threads_arg

    if not FAST or not files:
        return None
    _check_missing_text(missing_text)
    spec = check_columns(columns)
    stems = [path_stem(f) for f in files]
    if all(f == "json" for f in formats):
        native, ids, _why = _native.read_json_tables(
            list(files), stems, records, list(RECORD_KEYS), list(spec.items()),
            [(role, list(COLUMN_NAMES[role])) for role in ROLES], missing_text, TURN_SEPARATOR,
            threads=threads_arg(threads))
    elif all(f in ("csv", "tsv") for f in formats):
        native, ids = _read_fast_delimited(files, formats, spec, stems, missing_text, threads)
    else:
        return None
    if native is None:
        return None
    if taken and any(i in taken for file_ids in ids for i in file_ids):
        return None  # the Python reader names the clashing files
    return Corpus(native, interviewers=interviewer), ids


def _read_fast_delimited(files: Sequence[str], formats: Sequence[str], spec: dict[str, str | None],
                         stems: list[str], missing_text: str, threads: int | None) -> tuple[Any, list[list[str]]]:
    from . import _native
    from ._corpus import TURN_SEPARATOR
    from ._util import threads_arg

    seps = ["," if f == "csv" else "\t" for f in formats]
    headers = _native.table_headers(list(files), seps, threads=threads_arg(threads))
    cols: list[tuple[int, int, int, int, int]] = []
    for f, header in zip(files, headers):
        # pandas renames repeated and empty names: such headers take the Python reader
        if header is None or len(set(header)) < len(header) or any(not h for h in header):
            return None, []
        raw = RawTable(f, list(header), 0, lambda c: [], lambda i: "")
        chosen, problems = resolve_columns(raw, spec)
        if problems:
            return None, []

        def pos(name: str | None, header: list[str] = header) -> int:
            return -1 if name is None else header.index(name)

        cols.append((pos(chosen["text"]), pos(chosen["speaker"]), pos(chosen["document"]),
                     pos(chosen["time_start"]), pos(chosen["time_end"])))
    native, ids, _why = _native.read_tables(list(files), seps, cols, stems, missing_text, TURN_SEPARATOR,
                                            threads=threads_arg(threads))
    return native, ids


def frame_corpus(frame: pd.DataFrame, interviewer: Iterable[str] = ()) -> Corpus:
    """The corpus of an utterance frame, built by :meth:`Corpus.from_frame` (rows = turns)."""
    from ._corpus import Corpus

    return Corpus.from_frame(frame, text="text", doc_id="doc_id", speaker="speaker", time_start="time_start",
                             time_end="time_end", interviewer=interviewer)


def from_records(
    records: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    doc_id: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    missing_text: str = "raise",
    interviewer: Iterable[str] = (),
    speaker_map: Mapping[str, str] | None = None,
) -> Corpus:
    """A corpus from records in memory, one record (a dict) per turn: a list of records (one
    document, ``doc_id``, default ``"doc1"``, unless a record field is the document column)
    or a dict ``doc_id -> list of records`` (one document each, in dict order).

    Fields take roles as the columns of :func:`read_utterances` do (``columns=``, else the
    usual names: ``speaker``, ``text``/``content``/``utterance``, ``start``/``end`` …).
    Problems are reported together, each naming the record (``from_records, ES2002a[12]:
    no text in column 'content'``).

    >>> from qualcore._tables import from_records
    >>> meetings = {"ES2002a": [{"speaker": "Project Manager", "content": "Okay ."},
    ...                         {"speaker": "Marketing", "content": "Mm-hmm ."}]}
    >>> c = from_records(meetings)
    >>> c.doc_ids, c.speakers
    (['ES2002a'], ['Project Manager', 'Marketing'])
    >>> c["ES2002a"].text
    'Okay .\\n\\nMm-hmm .'
    """
    _check_missing_text(missing_text)
    spec = check_columns(columns)
    if isinstance(records, Mapping):
        if doc_id is not None:
            raise ArgumentError("doc_id: not used when records is a dict of doc_id -> records")
        groups = [(str(k), v) for k, v in records.items()]
    elif isinstance(records, (str, bytes)) or not isinstance(records, Iterable):
        raise ArgumentError(f"records: expected a list of dicts or a dict of doc_id -> list of dicts, got {type(records).__name__}")
    else:
        groups = [("records", records)]
    flat: list[Any] = []
    places: list[str] = []
    docs: list[str] = []
    problems = []
    for name, recs in groups:
        if isinstance(recs, (str, bytes, Mapping)) or not isinstance(recs, Iterable):
            problems.append(f"{name}: expected a list of records, got {type(recs).__name__}")
            continue
        recs = list(recs)
        flat.extend(recs)
        places.extend(f"{name}[{i}]" for i in range(len(recs)))
        docs.extend([name] * len(recs))
    if problems:
        raise TranscriptFormatError(_message(problems), problems)
    raw = _records_table("from_records", flat, places.__getitem__)
    ids: str | list[str] = docs if isinstance(records, Mapping) else ("doc1" if doc_id is None else str(doc_id))
    frame, problems = utterances(raw, spec, doc_id=ids, missing_text=missing_text)
    if problems:
        raise TranscriptFormatError(_message(problems), problems)
    corpus = frame_corpus(frame, interviewer=interviewer)
    if speaker_map:
        corpus = corpus.rename_speakers(speaker_map)
    return corpus


def concat_natives(parts: Sequence[Any], order: Sequence[tuple[int, int]]) -> Any:
    """One native corpus holding the documents of several: ``order`` lists (part, position)
    pairs in the wanted document order.  Each part's pickled state is cut into documents and
    rebuilt, so texts, turns, labels, times and recorded line ends are carried over as they
    are."""
    from . import _native

    states = [part.__reduce__()[1] for part in parts]
    per_doc: list[list[list[Any]]] = []
    for state in states:
        by_doc: list[list[Any]] = [[] for _ in state[0]]
        for turn in state[2]:
            by_doc[turn[0]].append(turn)
        per_doc.append(by_doc)
    ids: list[str] = []
    texts: list[str] = []
    turns: list[Any] = []
    ends: list[Any] = []
    with_ends = all(len(state) > 4 for state in states)
    for row, (p, pos) in enumerate(order):
        state = states[p]
        ids.append(state[0][pos])
        texts.append(state[1][pos])
        turns.extend((row, *turn[1:]) for turn in per_doc[p][pos])
        if with_ends:
            ends.append(state[4][pos] if state[4] is not None else ([], 0))
    if with_ends:
        return _native.Corpus._from_state(ids, texts, turns, None, ends)
    return _native.Corpus._from_state(ids, texts, turns, None)  # type: ignore[call-arg]
