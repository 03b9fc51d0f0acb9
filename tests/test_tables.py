"""Utterance tables (CSV, TSV, Excel, JSON, JSON Lines) as transcripts, and typed participant
attributes (document and speaker level) with every problem reported together.

Expected values come from the fixtures written by hand in each test, and for the AMI meetings
from ../shared/data/ami/SOURCE.md (137 meetings, 73,379 turns, 3,965,044 characters, 823,050
whitespace-separated words, turns per role).
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import qualcore as qc
from qualcore._tables import from_records, read_utterances
from qualcore.errors import (
    CorpusError,
    DuplicateIdError,
    TranscriptDecodeError,
    TranscriptFormatError,
    UnknownDocumentError,
)

AMI = Path(__file__).resolve().parents[2] / "shared" / "data" / "ami" / "Product" / "all"
ROLES = {"Project Manager": 22007, "Marketing": 17865, "Industrial Designer": 17138, "User Interface": 16369}


def write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding))
    return path


def xlsx(path: Path, rows: list[list[object]], title: str | None = None, extra: dict[str, list[list[object]]] | None = None) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.title = title
    for r in rows:
        ws.append(r)
    for name, more in (extra or {}).items():
        other = wb.create_sheet(name)
        for r in more:
            other.append(r)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- AMI (JSON records)


@pytest.fixture(scope="module")
def ami() -> qc.Corpus:
    if not AMI.is_dir():
        pytest.skip("the AMI data (../shared/data/ami) is not present")
    return qc.read_transcripts(AMI, format="json")


def test_ami_counts_match_source(ami: qc.Corpus) -> None:
    assert len(ami) == 137
    ids = ami.doc_ids
    assert ids[0] == "ES2002a" and ids == sorted(ids)
    assert {s: sum(i.startswith(s) for i in ids) for s in ("ES", "IS", "TS")} == {"ES": 60, "IS": 38, "TS": 39}
    t = ami.turns
    assert len(t) == 73379
    assert t["speaker"].value_counts().to_dict() == ROLES
    assert int((t["end"] - t["start"]).sum()) == 3965044
    assert sum(len(x.split()) for x in t["text"]) == 823050
    assert t["time_start"].isna().all() and t["label_start"].eq(-1).all()
    first = json.loads((AMI / "ES2002a.json").read_text(encoding="utf-8"))["meeting_transcripts"]
    es = t[t["doc_id"] == "ES2002a"]
    assert es["text"].tolist() == [r["content"] for r in first]
    assert es["speaker"].tolist() == [r["speaker"] for r in first]
    text = ami["ES2002a"].text
    assert text == qc.TURN_SEPARATOR.join(r["content"] for r in first)
    row = es.iloc[5]
    assert text[row["start"]:row["end"]] == first[5]["content"]


def test_ami_by_glob_and_one_file(ami: qc.Corpus) -> None:
    one = qc.read_transcripts(AMI / "TS3012d.json")
    assert one.doc_ids == ["TS3012d"]
    assert one["TS3012d"].text == ami["TS3012d"].text
    assert len(qc.read_transcripts(str(AMI / "IS*.json"))) == 38


def test_ami_roles_as_speaker_attributes(ami: qc.Corpus) -> None:
    roles = pd.DataFrame({"speaker": list(ROLES), "function": ["management", "marketing", "design", "design"]})
    c = ami.with_attributes(roles, level="speaker")
    t = c.turns
    assert t.groupby("function").size().to_dict() == {"design": 17138 + 16369, "management": 22007, "marketing": 17865}
    k = c.kwic("remote control", window=1)
    assert len(k) > 0 and set(k["function"]) <= {"management", "marketing", "design"}
    assert (k["function"] == k["speaker"].map(dict(zip(roles["speaker"], roles["function"])))).all()
    assert list(c.attributes.columns) == []  # document attributes untouched
    assert c.speaker_attributes.loc["Marketing", "function"] == "marketing"


# --------------------------------------------------------------------------- CSV


CSV = (
    "\ufeffInterview,Speaker,Start Time,End Time,Utterance\r\n"
    "A1,Dan,00:00:01,00:00:04.5,Do you trust it?\r\n"
    'A1,Siân,00:00:05,00:00:09,"Not really,\r\nnot at all."\r\n'
    "B1,Dan,0,2,And you?\r\n"
    "B1,Ólafur,2,3.25,Yes.\r\n"
    "A1,李,10,12,信任\r\n"
)


def test_csv_columns_detected_bom_crlf_and_unicode(tmp_path: Path) -> None:
    c = qc.read_transcripts(write(tmp_path / "study.csv", CSV), interviewer=["Dan"])
    assert c.doc_ids == ["A1", "B1"]
    t = c.turns
    assert t["speaker"].tolist() == ["Dan", "Siân", "李", "Dan", "Ólafur"]
    assert t["text"].tolist() == ["Do you trust it?", "Not really,\nnot at all.", "信任", "And you?", "Yes."]
    assert t["time_start"].tolist() == [1.0, 5.0, 10.0, 0.0, 2.0]
    assert t["time_end"].tolist() == [4.5, 9.0, 12.0, 2.0, 3.25]
    assert t["interviewer"].tolist() == [True, False, False, True, False]
    assert c["A1"].text == "Do you trust it?\n\nNot really,\nnot at all.\n\n信任"
    for r in t.itertuples():
        assert c[r.doc_id].text[r.start:r.end] == r.text


def test_csv_named_columns_and_missing_column(tmp_path: Path) -> None:
    p = write(tmp_path / "x.csv", "who,said,when\nDan,Why?,1\nAna,Because.,2\n")
    c = qc.read_transcripts(p, columns={"speaker": "who", "text": "said", "time": "when"})
    assert c.doc_ids == ["x"]
    assert c.turns[["speaker", "text", "time_start"]].values.tolist() == [["Dan", "Why?", 1.0], ["Ana", "Because.", 2.0]]
    assert c.turns["time_end"].isna().all()
    with pytest.raises(TranscriptFormatError) as err:
        qc.read_transcripts(p, columns={"text": "Utterance"})
    msg = str(err.value)
    assert str(p) in msg and "'Utterance'" in msg and "['who', 'said', 'when']" in msg
    assert isinstance(err.value, ValueError)
    with pytest.raises(TranscriptFormatError, match=r"no text column .*columns found: \['who', 'said', 'when'\]"):
        qc.read_transcripts(p)
    # None: the table has no such column (no speaker here, although 'who' would be found)
    c2 = qc.read_transcripts(p, columns={"speaker": None, "text": "said", "time": None})
    assert c2.turns["speaker"].isna().all() and c2.speakers == []


def test_csv_rows_without_text_reported_by_file_line(tmp_path: Path) -> None:
    p = write(tmp_path / "gaps.csv", 'speaker,text\r\nDan,"Two\r\nlines"\r\nSiân,\r\n\r\nÓlafur,   \r\n李,好\r\n')
    with pytest.raises(TranscriptFormatError) as err:
        qc.read_transcripts(p)
    assert err.value.problems == [
        f"{p}, line 4: no text in column 'text' (fill it, or pass missing_text='drop' or 'keep')",
        f"{p}, line 6: no text in column 'text' (fill it, or pass missing_text='drop' or 'keep')",
    ]
    dropped = qc.read_transcripts(p, missing_text="drop").turns
    assert dropped[["speaker", "text"]].values.tolist() == [["Dan", "Two\nlines"], ["李", "好"]]
    kept = qc.read_transcripts(p, missing_text="keep").turns
    assert kept["text"].tolist() == ["Two\nlines", "", "   ", "好"]
    with pytest.raises(ValueError, match="missing_text"):
        qc.read_transcripts(p, missing_text="skip")


def test_csv_bad_times_and_ids_reported_together(tmp_path: Path) -> None:
    p = write(tmp_path / "t.csv", "doc_id,speaker,start,end,text\nA,Dan,soon,2,Hi\n,Ana,1,2,Yo\nA,Dan,5,4,Back\n")
    with pytest.raises(TranscriptFormatError) as err:
        qc.read_transcripts(p)
    probs = err.value.problems
    assert len(probs) == 3
    assert f"{p}, line 3: no document id in column 'doc_id'" in probs
    assert any(x.startswith(f"{p}, line 2: time_start 'soon'") for x in probs)
    assert f"{p}, line 4: the turn ends (4 s) before it starts (5 s)" in probs


def test_csv_encodings(tmp_path: Path) -> None:
    p16 = write(tmp_path / "u16.csv", "\ufeffspeaker,text\r\nSiân,Diolch.\r\n", encoding="utf-16-le")
    assert qc.read_transcripts(p16).turns["speaker"].tolist() == ["Siân"]
    bad = tmp_path / "latin.csv"
    bad.write_bytes("speaker,text\nDan,ok\nSiân,x\n".encode("latin-1"))
    with pytest.raises(TranscriptDecodeError, match=r"latin\.csv: not valid utf-8 at byte 22 \(line 3\)"):
        qc.read_transcripts(bad)
    assert read_utterances(bad, encoding="latin-1")["speaker"].tolist() == ["Dan", "Siân"]


# --------------------------------------------------------------------------- TSV, JSON, JSON Lines


def test_tsv_with_documents_and_single_time_column(tmp_path: Path) -> None:
    p = write(tmp_path / "focus.tsv", "session\tname\ttimestamp\ttext\nG1\tSiân\t[00:01:02]\tHello\tthere\nG1\tÓlafur\t01:05.5\t\"Hi\r\nall\"\nG2\t李\t3\t好\n")
    with pytest.raises(TranscriptFormatError) as err:
        qc.read_transcripts(p)  # a row with an unquoted tab has one field too many
    assert err.value.problems == [f"{p}, line 2: 5 fields where the header has 4 (quote cells that hold the separator) "
                                  "— not a valid TSV row"]
    p.write_text("session\tname\ttimestamp\ttext\nG1\tSiân\t[00:01:02]\tHello\nG1\tÓlafur\t01:05.5\t\"Hi\r\nall\"\nG2\t李\t3\t好\n",
                 encoding="utf-8", newline="")
    t = qc.read_transcripts(p).turns
    assert t[["doc_id", "speaker", "text", "time_start"]].values.tolist() == [
        ["G1", "Siân", "Hello", 62.0], ["G1", "Ólafur", "Hi\nall", 65.5], ["G2", "李", "好", 3.0]]


def test_json_lists_and_records_key(tmp_path: Path) -> None:
    write(tmp_path / "plain.json", json.dumps([{"speaker": "Siân", "text": "Hi"}, {"speaker": "李", "text": "好"}]))
    write(tmp_path / "nested.json", json.dumps({"meta": {"x": 1}, "session": {"lines": [{"who": "Ólafur", "utterance": "Já"}]}}))
    c = qc.read_transcripts(tmp_path / "plain.json")
    assert c.turns[["speaker", "text"]].values.tolist() == [["Siân", "Hi"], ["李", "好"]]
    with pytest.raises(TranscriptFormatError, match="name the key with records="):
        qc.read_transcripts(tmp_path / "nested.json")
    n = qc.read_transcripts(tmp_path / "nested.json", records="session.lines")
    assert n.turns[["speaker", "text"]].values.tolist() == [["Ólafur", "Já"]]
    write(tmp_path / "gap.json", json.dumps({"turns": [{"speaker": "A", "content": "x"}, {"speaker": "B", "content": None}]}))
    with pytest.raises(TranscriptFormatError, match=r"gap\.json, turns\[1\]: no text in column 'content'"):
        qc.read_transcripts(tmp_path / "gap.json")
    write(tmp_path / "lines.json", '{"speaker": "A", "text": "x"}\n{"speaker": "B", "text": "y"}\n')
    with pytest.raises(TranscriptFormatError, match=r"lines\.json, line 2, column 1: not valid JSON \(Extra data\).*jsonl"):
        qc.read_transcripts(tmp_path / "lines.json")
    assert len(qc.read_transcripts(tmp_path / "lines.json", format="jsonl").turns) == 2


def test_jsonl_lines_reported(tmp_path: Path) -> None:
    p = write(tmp_path / "chat.jsonl", '{"speaker": "Siân", "text": "Hi"}\n\n{"speaker": "Dan"}\n{"speaker": "Dan", "text": "ok"}\n')
    with pytest.raises(TranscriptFormatError, match=r"chat\.jsonl, line 3: no text"):
        qc.read_transcripts(p)
    p.write_text('{"speaker": "Siân", "text": "Hi"}\n{oops\n[1]\n', encoding="utf-8")
    with pytest.raises(TranscriptFormatError) as err:
        qc.read_transcripts(p)
    assert err.value.problems == [f"{p}, line 2, column 2: not valid JSON (Expecting property name enclosed in double quotes)"]


def test_from_records_in_memory() -> None:
    c = from_records({"m1": [{"speaker": "PM", "content": "Okay ."}, {"speaker": "UI", "content": "Mm-hmm ."}],
                      "m2": [{"speaker": "PM", "content": "Right ."}]}, interviewer=["PM"])
    assert c.doc_ids == ["m1", "m2"] and c.turns["interviewer"].tolist() == [True, False, True]
    with pytest.raises(TranscriptFormatError, match=r"m2\[0\]: no text"):
        from_records({"m1": [{"speaker": "PM", "content": "Okay ."}], "m2": [{"speaker": "PM"}]})
    one = from_records([{"doc": "x", "speaker": "A", "text": "a"}, {"doc": "y", "speaker": "B", "text": "b"}])
    assert one.doc_ids == ["x", "y"]


# --------------------------------------------------------------------------- Excel


def test_xlsx_types_rows_and_sheets(tmp_path: Path) -> None:
    p = xlsx(tmp_path / "int.xlsx", [
        ["Speaker", "Time", "Text"],
        ["Dan", dt.time(0, 0, 5), "Do you trust it?"],
        [None, None, None],
        ["Siân", dt.time(0, 1, 23), "Not really,\r\nno."],
        ["李", 90.5, 42],
    ], extra={"Second": [["speaker", "text"], ["Ólafur", "Já"]]})
    t = qc.read_transcripts(p).turns
    assert t[["doc_id", "speaker", "text", "time_start"]].values.tolist() == [
        ["int", "Dan", "Do you trust it?", 5.0], ["int", "Siân", "Not really,\nno.", 83.0], ["int", "李", "42", 90.5]]
    assert qc.read_transcripts(p, sheet="Second").turns["speaker"].tolist() == ["Ólafur"]
    assert qc.read_transcripts(p, sheet=1).turns["text"].tolist() == ["Já"]
    with pytest.raises(TranscriptFormatError, match=r"no sheet 'Third' \(sheets: \['Sheet', 'Second'\]\)"):
        qc.read_transcripts(p, sheet="Third")


def test_xlsx_missing_text_by_sheet_row_and_missing_column(tmp_path: Path) -> None:
    p = xlsx(tmp_path / "gaps.xlsx", [["speaker", "text"], ["Dan", "Why?"], [None, None], ["Siân", None], ["李", "好"]])
    with pytest.raises(TranscriptFormatError) as err:
        qc.read_transcripts(p)
    assert err.value.problems == [f"{p}, row 4: no text in column 'text' (fill it, or pass missing_text='drop' or 'keep')"]
    with pytest.raises(TranscriptFormatError, match=r"no column 'Utterance' .*columns found: \['speaker', 'text'\]"):
        qc.read_transcripts(p, columns={"text": "Utterance"})


def test_xlsx_corrupt_files(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    write(tmp_path / "notzip.xlsx", "speaker,text\nA,b\n")
    with pytest.raises(TranscriptFormatError, match=r"notzip\.xlsx: not an Excel \.xlsx workbook \(the file is not a zip"):
        qc.read_transcripts(tmp_path / "notzip.xlsx")
    with zipfile.ZipFile(tmp_path / "empty.xlsx", "w") as z:
        z.writestr("word/document.xml", "<x/>")
    with pytest.raises(TranscriptFormatError, match=r"empty\.xlsx: not a readable Excel \.xlsx workbook"):
        qc.read_transcripts(tmp_path / "empty.xlsx")


def test_xlsx_without_openpyxl_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "a.xlsx"
    p.write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(ImportError, match=r"pip install 'qualcore\[excel\]'"):
        qc.read_transcripts(p)


# --------------------------------------------------------------------------- dispatch


def test_mixed_formats_in_file_order(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "Dan: Hi.\r\n\r\nP: Hello.\r\n")
    write(tmp_path / "b.csv", "doc_id,speaker,text\nb1,Dan,One\nb2,Siân,Two\nb1,Ólafur,Three\n")
    write(tmp_path / "c.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v 李>好\n")
    c = qc.read_transcripts([tmp_path / "a.txt", tmp_path / "b.csv", tmp_path / "c.vtt"], interviewer=["Dan"],
                            speaker_map={"P": "Participant"})
    assert c.doc_ids == ["a", "b1", "b2", "c"]
    t = c.turns
    assert t[["doc_id", "speaker", "text"]].values.tolist() == [
        ["a", "Dan", "Hi."], ["a", "Participant", "Hello."], ["b1", "Dan", "One"], ["b1", "Ólafur", "Three"],
        ["b2", "Siân", "Two"], ["c", "李", "好"]]
    assert t["label_start"].tolist()[:2] == [0, 10] and t["time_start"].tolist()[-1] == 1.0
    assert t["interviewer"].tolist() == [True, False, True, False, False, False]
    for r in t.itertuples():
        assert c[r.doc_id].text[r.start:r.end] == r.text
    alone = qc.read_transcripts(tmp_path / "a.txt")
    assert c["a"].text == alone["a"].text
    if hasattr(alone._native, "line_ends"):  # line ends recorded by the text reader survive the merge
        merged = qc.read_transcripts([tmp_path / "a.txt", tmp_path / "b.csv", tmp_path / "c.vtt"])
        assert [e[2] for e in merged._native.line_ends()] == ["CRLF", "LF", "LF", "LF"]
        assert merged._native.line_ends()[0][0].tolist() == alone._native.line_ends()[0][0].tolist()
    assert qc.read_transcripts(tmp_path, pattern="*.*").doc_ids == ["a", "b1", "b2", "c"]
    assert qc.read_transcripts(tmp_path, format="csv").doc_ids == ["b1", "b2"]  # folder: *.csv


def test_document_ids_unique_across_files(tmp_path: Path) -> None:
    write(tmp_path / "b1.txt", "Dan: Hi.\n")
    write(tmp_path / "t.csv", "doc_id,speaker,text\nb1,Dan,One\n")
    with pytest.raises(DuplicateIdError, match=r'"b1" would come from 2 files'):
        qc.read_transcripts([tmp_path / "b1.txt", tmp_path / "t.csv"])
    write(tmp_path / "u.csv", "doc_id,speaker,text\nb1,Dan,Two\n")
    with pytest.raises(DuplicateIdError, match=r'"b1" would come from 2 files'):
        qc.read_transcripts([tmp_path / "t.csv", tmp_path / "u.csv"])


def test_columns_argument_checked(tmp_path: Path) -> None:
    p = write(tmp_path / "x.csv", "speaker,text\nA,b\n")
    with pytest.raises(ValueError, match=r"columns: unknown roles \['utterance'\]"):
        qc.read_transcripts(p, columns={"utterance": "text"})
    with pytest.raises(ValueError, match="either 'time'"):
        qc.read_transcripts(p, columns={"time": "t", "time_start": "s"})
    with pytest.raises(ValueError, match="'text' cannot be None"):
        qc.read_transcripts(p, columns={"text": None})


def test_format_argument(tmp_path: Path) -> None:
    p = write(tmp_path / "export.txt", "speaker;text\n")  # not a CSV with a text column
    write(tmp_path / "rows.dat", "speaker,text\nA,x\n")
    assert qc.read_transcripts(tmp_path / "rows.dat", format="csv").turns["text"].tolist() == ["x"]
    with pytest.raises(TranscriptFormatError, match=r"export\.txt: no text column"):
        qc.read_transcripts(p, format="csv")
    with pytest.raises(ValueError, match="format: 'pdf' is not one of 'text', 'vtt', 'srt', 'docx', 'csv'"):
        qc.read_transcripts(p, format="pdf")


def test_every_bad_table_reported_together(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "speaker,text\nA,\n")
    write(tmp_path / "b.csv", "speaker,said\nA,x\n")
    write(tmp_path / "c.csv", "speaker,text\nA,fine\n")
    with pytest.raises(TranscriptFormatError) as err:
        qc.read_transcripts(tmp_path, format="csv")
    assert len(err.value.problems) == 2
    assert "a.csv, line 2" in err.value.problems[0] and "b.csv: no text column" in err.value.problems[1]


# --------------------------------------------------------------------------- attributes: typing


@pytest.fixture
def six() -> qc.Corpus:
    rows = pd.DataFrame({
        "doc_id": ["A1", "A1", "A2", "A3", "B1", "B2", "B3"],
        "speaker": ["Dan", "Siân", "Ólafur", "李", "Ana", "Bo", "Dan"],
        "text": ["Do you trust it?", "I trust my GP.", "No.", "信任", "Evidence.", "Maybe.", "Hm."],
    })
    return qc.Corpus.from_frame(rows, speaker="speaker", interviewer=["Dan"])


PARTICIPANTS = (
    "doc_id,group,age,consent,interviewed,site,score\r\n"
    "A1,front-line,34,yes,2023-01-05,007,1.5\r\n"
    "A2,front-line,51,no,2023-02-11,012,NA\r\n"
    "A3,front-line,,Yes,2023-03-02,007,2\r\n"
    "B1,leader,29,no,2023-03-09,101,\r\n"
    "B2,leader,62,YES,,012,3.25\r\n"
    "B3,leader,45,no,2023-04-20,101,0\r\n"
)


def test_attribute_file_types_inferred(tmp_path: Path, six: qc.Corpus) -> None:
    c = six.with_attributes(write(tmp_path / "p.csv", PARTICIPANTS))
    a = c.attributes
    assert isinstance(a["group"].dtype, pd.CategoricalDtype) and list(a["group"].cat.categories) == ["front-line", "leader"]
    assert a["age"].dtype == np.float64 and a["age"].isna().tolist() == [False, False, True, False, False, False]
    assert a.loc["B2", "age"] == 62
    assert str(a["consent"].dtype) == "boolean" and a["consent"].tolist() == [True, False, True, False, True, False]
    assert a["interviewed"].dtype.kind == "M" and a.loc["A2", "interviewed"] == pd.Timestamp("2023-02-11")
    assert pd.isna(a.loc["B2", "interviewed"])
    assert a["site"].tolist() == ["007", "012", "007", "101", "012", "101"]  # zero-padded codes stay text
    assert a["score"].tolist()[0] == 1.5 and pd.isna(a["score"].tolist()[1])
    assert c.filter(group="leader").doc_ids == ["B1", "B2", "B3"]
    assert c.filter(consent=True).doc_ids == ["A1", "A3", "B2"]
    assert c.summary(by="group").loc["leader", ["documents", "participants"]].tolist() == [3, 2]  # B3: interviewer only


def test_attribute_types_overridden(tmp_path: Path, six: qc.Corpus) -> None:
    p = write(tmp_path / "p.csv", PARTICIPANTS)
    c = six.with_attributes(p, types={"group": "text", "site": "number", "age": "categorical", "consent": "text"})
    a = c.attributes
    assert a["group"].dtype != "category" and a["group"].tolist()[0] == "front-line"
    assert a["site"].tolist() == [7, 12, 7, 101, 12, 101] and a["site"].dtype == np.int64
    assert isinstance(a["age"].dtype, pd.CategoricalDtype) and list(a["age"].cat.categories) == [29, 34, 45, 51, 62]
    assert a["consent"].tolist() == ["yes", "no", "Yes", "no", "YES", "no"]
    with pytest.raises(ValueError, match=r"types: \{'age': 'integer'\}"):
        six.with_attributes(p, types={"age": "integer"})
    with pytest.raises(ValueError, match=r"types: no column \['height'\]"):
        six.with_attributes(p, types={"height": "number"})


def test_attribute_problems_collected_with_lines(tmp_path: Path, six: qc.Corpus) -> None:
    p = write(tmp_path / "bad.csv", (
        "doc_id,group,years\n"
        "A1,front-line,3\n"
        "A2,front-line,forty\n"
        "Z9,leader,20\n"
        "A1,leader,4\n"
        ",leader,5\n"
        "B1,leader,12\n"
    ))
    with pytest.raises(CorpusError) as err:
        six.with_attributes(p, require_all=True)
    probs = err.value.problems
    assert len(probs) == 5, probs
    assert probs[0] == f"{p}: 1 row without an id in column 'doc_id': line 6"
    assert probs[1].startswith(f"{p}: duplicate ids in the attributes: ['A1'] ('A1' at line 2, line 5;")
    assert probs[2] == f"{p}: 1 attribute rows have ids that are not documents of the corpus: ['Z9']"
    assert probs[3] == f"{p}: 3 documents have no attributes: ['A3', 'B2', 'B3']"
    assert probs[4].startswith(f"{p}: column 'years' mixes types (5 number, 1 text): text: 'forty' (line 3)")
    assert str(err.value).startswith("5 problems:\n  - ")
    # without require_all the documents without attributes are a hint beside the unknown ids
    with pytest.raises(CorpusError) as err2:
        six.with_attributes(p)
    assert len(err2.value.problems) == 4
    assert "(documents without attributes: ['A3', 'B2', 'B3'])" in err2.value.problems[2]
    with pytest.warns(UserWarning) as rec:
        c = six.with_attributes(p, errors="warn", require_all=True)
    assert len(rec) == 1 and str(rec[0].message).startswith("5 problems:") and "line 3" in str(rec[0].message)
    a = c.attributes
    assert a["group"].tolist()[:2] == ["front-line", "front-line"]  # the first A1 row is kept
    assert a["years"].tolist()[:2] == ["3", "forty"]  # a mixed column is kept as text
    assert "Z9" not in a.index and a.index.tolist() == c.doc_ids
    # a value that does not fit the type given: missing with errors="warn"
    with pytest.warns(UserWarning, match=r"column 'years' is typed number but 1 value is not: 'forty' \(line 3\)"):
        c2 = six.with_attributes(p, errors="warn", types={"years": "number"})
    assert c2.attributes["years"].tolist()[:2] == [3.0, pytest.approx(np.nan, nan_ok=True)]


def test_only_unknown_ids_raise_unknown_document_error(tmp_path: Path, six: qc.Corpus) -> None:
    p = write(tmp_path / "u.tsv", "id\tgroup\nA1\ta\nZ8\tb\nZ9\tc\n")
    with pytest.raises(UnknownDocumentError, match=r"not documents of the corpus: \['Z8', 'Z9'\]") as err:
        six.with_attributes(p, on="id")
    assert isinstance(err.value, KeyError)
    c = six.with_attributes(p, on="id", errors="ignore")
    assert c.attributes["group"].tolist()[0] == "a"
    with pytest.raises(ValueError, match=r"u\.tsv: on: no column 'doc_id' in the attributes \(columns: \['id', 'group'\]\)"):
        six.with_attributes(p)


def test_attribute_excel_rows(tmp_path: Path, six: qc.Corpus) -> None:
    p = xlsx(tmp_path / "p.xlsx", [
        ["doc_id", "age", "interviewed", "senior"],
        ["A1", 34, dt.datetime(2023, 1, 5), True],
        ["A2", "unknown", dt.datetime(2023, 2, 11), False],
        [None, None, None, None],
        ["B1", 29.0, dt.datetime(2023, 3, 9), True],
    ])
    with pytest.raises(CorpusError, match=r"column 'age' mixes types \(2 number, 1 text\): text: 'unknown' \(row 3\)"):
        six.with_attributes(p)
    c = six.with_attributes(p, types={"age": "text"})
    a = c.attributes
    assert a["age"].tolist()[:2] == ["34", "unknown"] and a.loc["B1", "age"] == "29"  # Excel 29.0 shown as 29
    assert a["age"].isna().tolist() == [False, False, True, False, True, True]
    assert a["interviewed"].dtype.kind == "M" and str(a["senior"].dtype) == "boolean"
    assert a["senior"].tolist()[:2] == [True, False]


def test_dataframe_attributes_keep_dtypes_and_mixed_objects_reported(six: qc.Corpus) -> None:
    att = pd.DataFrame({"doc_id": ["A1", "A2"], "years": [3, 20], "note": pd.Series([1, "x"], dtype=object)})
    with pytest.raises(CorpusError, match=r"attributes: column 'note' mixes types \(1 number, 1 text\): text: 'x' \(row 1\)"):
        six.with_attributes(att)
    c = six.with_attributes(att.drop(columns="note"))
    assert c.attributes["years"].tolist()[:2] == [3, 20]
    c2 = six.with_attributes(att, types={"note": "text", "years": "categorical"})
    assert c2.attributes["note"].tolist()[:2] == ["1", "x"]
    assert list(c2.attributes["years"].cat.categories) == [3, 20]


# --------------------------------------------------------------------------- attributes: speaker level


def test_speaker_attributes_in_results(tmp_path: Path, six: qc.Corpus) -> None:
    roles = write(tmp_path / "roles.csv", "speaker,role,years\nDan,interviewer,10\nSiân,GP,3\nÓlafur,GP,12\n李,nurse,7\nAna,manager,20\nBo,manager,1\n")
    c = six.with_attributes(roles, level="speaker").with_attributes(write(tmp_path / "p.csv", PARTICIPANTS))
    t = c.turns
    assert t["role"].tolist() == ["interviewer", "GP", "GP", "nurse", "manager", "manager", "interviewer"]
    assert t["years"].tolist() == [10, 3, 12, 7, 20, 1, 10]
    assert t["group"].tolist() == ["front-line"] * 4 + ["leader"] * 3  # document level beside it
    k = c.kwic("trust")
    assert k[["speaker", "role"]].values.tolist() == [["Dan", "interviewer"], ["Siân", "GP"]]
    assert c.sentences()["role"].tolist()[:2] == ["interviewer", "GP"]
    assert set(c.tokens().to_frame().groupby("speaker")["role"].first().to_dict().items()) >= {("李", "nurse")}
    cb = qc.Codebook.from_dict({"Trust": ["trust*"]})
    assert c.autocode(cb, unit="turn").frame["role"].tolist() == ["interviewer", "GP"]
    assert "role" not in c.documents.columns
    # derived corpora and pickles keep them
    assert c.participants().turns["role"].tolist() == ["GP", "GP", "nurse", "manager", "manager"]
    assert c.filter(group="leader").turns["role"].tolist() == ["manager", "manager", "interviewer"]
    assert pickle.loads(pickle.dumps(c)).turns["role"].tolist() == t["role"].tolist()


def test_speaker_attribute_problems(tmp_path: Path, six: qc.Corpus) -> None:
    roles = pd.DataFrame({"speaker": ["Siân", "Siân", "Carys"], "role": ["GP", "nurse", "GP"]})
    with pytest.raises(CorpusError) as err:
        six.with_attributes(roles, level="speaker")
    assert len(err.value.problems) == 2
    assert "duplicate ids in the attributes: ['Siân']" in err.value.problems[0]
    assert "not speakers of the corpus: ['Carys']" in err.value.problems[1]
    with pytest.warns(UserWarning, match="Carys"):
        c = six.with_attributes(roles, level="speaker", errors="warn")
    role = c.turns["role"]
    assert pd.isna(role.iloc[0]) and role.iloc[1] == "GP" and role.iloc[1:].notna().sum() == 1  # first Siân row kept
    c2 = six.with_attributes(pd.DataFrame({"speaker": ["Siân"], "role": ["GP"]}), level="speaker")
    with pytest.raises(CorpusError, match=r"attributes already set: \['role'\]"):
        c2.with_attributes(pd.DataFrame({"doc_id": ["A1"], "role": ["x"]}))
    with pytest.raises(CorpusError, match=r"5 speakers have no attributes"):
        six.with_attributes(pd.DataFrame({"speaker": ["Siân"], "role": ["GP"]}), level="speaker", require_all=True)
    with pytest.raises(ValueError, match="level: 'person' is not one of"):
        six.with_attributes(roles, level="person")


def test_a_repeated_column_name_is_an_error_not_a_rename(tmp_path):
    p = tmp_path / "att.csv"
    p.write_text("doc_id,group,group\nA1,a,b\n", encoding="utf-8")
    c = qc.Corpus.from_texts(["x"], doc_ids=["A1"])
    with pytest.raises(qc.QualcoreError, match=r"line 1: column names appear more than once: \['group'\]"):
        c.with_attributes(p)
