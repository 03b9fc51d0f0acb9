"""The Rust reader of clean CSV/TSV tables gives exactly the corpus of the Python reader."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualcore as qc
from qualcore import _tables

CELL = st.sampled_from(["Why?", "Yes, I think so.", "two\r\nlines", "a \"quote\"", "Siân", "李", "  ", "", "tab\there",
                        " padded ", "x\ry", "emoji 👍🏽"])
SPEAKER = st.sampled_from(["Dan", " A1 ", "", "Ólafur", "B2"])
TIME = st.sampled_from(["", "1.5", "00:01:02", "[01:03]", "12", "3,5"])
DOC = st.sampled_from(["d1", "d2", " d3 "])


def _write(path: Path, header: list[str], rows: list[list[str]], sep: str, newline: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def _read(paths: list[Path], fast: bool, **kw: object) -> qc.Corpus | str:
    _tables.FAST = fast
    try:
        return qc.read_transcripts([str(p) for p in paths], **kw)  # type: ignore[arg-type]
    except qc.errors.QualcoreError as e:
        return f"{type(e).__name__}: {e}"
    finally:
        _tables.FAST = True


def _same(a: qc.Corpus | str, b: qc.Corpus | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    pd.testing.assert_frame_equal(a.documents, b.documents)
    pd.testing.assert_frame_equal(a.turns, b.turns)
    assert a.speakers == b.speakers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(DOC, SPEAKER, CELL, TIME, TIME), min_size=0, max_size=12),
    with_doc=st.booleans(),
    with_times=st.booleans(),
    tsv=st.booleans(),
    crlf=st.booleans(),
    missing=st.sampled_from(["raise", "drop", "keep"]),
)
def test_fast_reader_equals_python_reader(tmp_path: Path, rows: list[tuple[str, ...]], with_doc: bool,
                                          with_times: bool, tsv: bool, crlf: bool, missing: str) -> None:
    header = ["Speaker", "Utterance"]
    body = [[r[1], r[2]] for r in rows]
    if with_doc:
        header.insert(0, "doc_id")
        body = [[r[0], *b] for r, b in zip(rows, body)]
    if with_times:
        header += ["Start Time", "End Time"]
        body = [[*b, r[3], r[4]] for r, b in zip(rows, body)]
    sep, ext = ("\t", "tsv") if tsv else (",", "csv")
    paths = []
    for k in range(2):
        p = tmp_path / f"file{k}.{ext}"
        _write(p, header, body[k::2] if with_doc else body, sep, "\r\n" if crlf else "\n")
        paths.append(p)
    if with_doc:  # one document id per file, as ids must differ across files
        paths = paths[:1]
        _write(paths[0], header, body, sep, "\r\n" if crlf else "\n")
    _same(_read(paths, True, missing_text=missing, interviewer=["Dan"]),
          _read(paths, False, missing_text=missing, interviewer=["Dan"]))


def test_fast_reader_is_used_for_clean_files_and_falls_back_with_the_python_messages(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "a.csv"
    good.write_text("speaker,text,start\nDan,Why?,1\nA1,Because.,00:02\n", encoding="utf-8")
    calls: list[int] = []
    slow = _tables.read_table_files
    monkeypatch.setattr(_tables, "read_table_files", lambda *a, **k: calls.append(1) or slow(*a, **k))
    c = qc.read_transcripts([str(good)])
    assert calls == [] and c.turns["text"].tolist() == ["Why?", "Because."]
    assert c.turns["time_start"].tolist() == [1.0, 2.0]
    bad = tmp_path / "b.csv"
    bad.write_text("speaker,text,start\nDan,Why?,soon\nA1,,2\n", encoding="utf-8")
    with pytest.raises(qc.errors.TranscriptFormatError) as e:
        qc.read_transcripts([str(good), str(bad)])
    assert calls == [1]
    assert any("line 2" in p and "'soon'" in p for p in e.value.problems)
    assert any("line 3" in p and "no text" in p for p in e.value.problems)


KEY = st.sampled_from(["speaker", "Speaker", "content", "text", "Start Time", "start", "end", "doc_id", "extra",
                       "Utterance", "time"])
VALUE = st.one_of(CELL, SPEAKER, TIME, st.none(), st.integers(-2, 90), st.floats(0, 100, allow_nan=False),
                  st.booleans(), st.just({"nested": [1]}))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(st.dictionaries(KEY, VALUE, max_size=6), min_size=0, max_size=8),
    shape=st.sampled_from(["list", "meeting_transcripts", "turns", "both"]),
    missing=st.sampled_from(["raise", "drop", "keep"]),
)
def test_fast_json_reader_equals_python_reader(tmp_path: Path, records: list[dict[str, object]], shape: str,
                                               missing: str) -> None:
    import json

    if shape == "list":
        data: object = records
    elif shape == "both":  # RECORD_KEYS order decides, not the order in the file
        data = {"turns": [{"text": "not these"}], "meeting_transcripts": records}
    else:
        data = {"topic_list": [{"topic": "x"}], shape: records}
    p = tmp_path / "m.json"
    p.write_text(json.dumps(data, ensure_ascii=bool(len(records) % 2)), encoding="utf-8")
    _same(_read([p], True, missing_text=missing), _read([p], False, missing_text=missing))


def test_fast_json_reader_reads_the_ami_meetings(monkeypatch: pytest.MonkeyPatch) -> None:
    src = Path(__file__).resolve().parents[2] / "shared" / "data" / "ami" / "Product" / "all"
    files = sorted(src.glob("*.json"))[:10]
    if not files:
        pytest.skip(f"AMI data not found in {src}")
    slow = _read(files, False)
    calls: list[int] = []
    python_reader = _tables.read_table_files
    monkeypatch.setattr(_tables, "read_table_files", lambda *a, **k: calls.append(1) or python_reader(*a, **k))
    fast = _read(files, True)
    assert calls == []  # the Rust reader took them
    _same(fast, slow)
    assert isinstance(fast, qc.Corpus) and len(fast) == 10



@pytest.mark.parametrize("body", [
    'who,said\nA,"hello\nB,bye\n',          # a quoted field left open: pandas reports it
    'who,said\nA,x\n""\nB,y\n',             # a row of one empty quoted cell
    "who,said\nA,x\n   \nB,y\n",            # a line of spaces, which pandas skips
    "who,said\n\t\n",                        # only a blank line after the header
    "who,said\nA,x\n\nB,y\n",               # an empty line
])
@pytest.mark.parametrize("missing", ["raise", "drop", "keep"])
def test_csv_edge_cases_read_as_the_python_reader_reads_them(tmp_path: Path, body: str, missing: str) -> None:
    p = tmp_path / "t.csv"
    p.write_text(body, encoding="utf-8")
    _same(_read([p], True, missing_text=missing), _read([p], False, missing_text=missing))
