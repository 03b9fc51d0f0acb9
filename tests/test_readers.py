"""Transcript readers as researchers' files really are (issue 3): speaker-label styles, inline
timestamps, encodings and byte-order marks, CR LF, Word files, broken files, ``errors="collect"``,
the progress bar and a 200 MB transcript.

Utterance tables (CSV, TSV, Excel, JSON) are tested in test_tables.py, WebVTT and SRT in
test_formats.py.  Every expected value here was worked out by hand from the fixture text.
"""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import qualcore as qc
from qualcore.errors import (
    ArgumentError,
    TranscriptDecodeError,
    TranscriptFormatError,
    UnknownDocumentError,
)

docx = pytest.importorskip("docx")


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def rows(c: qc.Corpus, *cols: str) -> list[tuple]:
    t = c.turns
    return [tuple(None if (isinstance(v, float) and math.isnan(v)) else v for v in r)
            for r in t[list(cols)].itertuples(index=False)]


def labels(c: qc.Corpus, doc_id: str) -> list[str]:
    text = c[doc_id].text
    t = c.turns
    t = t[t["doc_id"] == doc_id]
    return [text[a:b] for a, b in zip(t["label_start"], t["label_end"])]


def check_offsets(c: qc.Corpus) -> None:
    """Every turn's offsets cut its text out of its document."""
    for r in c.turns.itertuples():
        assert c[r.doc_id].text[r.start:r.end] == r.text


# --------------------------------------------------------------------------- label styles

STYLES = (
    "Interview with P4, 3 May\n"
    "\n"
    "Dan: Why do you trust it?\n"
    "PARTICIPANT: Shouting, in capitals.\n"
    "**SIÂN** Bold, no colon.\n"
    "**Ólafur:** Bold with a colon inside.\n"
    "**Dan**: Bold with the colon outside.\n"
    "[李] Bracketed.\n"
    "[Inaudible] and [crosstalk] are annotations, still 李.\n"
    "Interviewer 1 (00:01:23): A timed label.\n"
    "Dr. Siân Jones: Four words at most.\n"
)


def test_label_styles(tmp_path: Path) -> None:
    c = qc.read_transcripts(write_text(tmp_path / "p4.txt", STYLES))
    assert rows(c, "speaker", "text") == [
        ("Dan", "Why do you trust it?"),
        ("PARTICIPANT", "Shouting, in capitals."),
        ("SIÂN", "Bold, no colon."),
        ("Ólafur", "Bold with a colon inside."),
        ("Dan", "Bold with the colon outside."),
        ("李", "Bracketed.\n[Inaudible] and [crosstalk] are annotations, still 李."),
        ("Interviewer 1", "A timed label."),
        ("Dr. Siân Jones", "Four words at most."),
    ]
    assert labels(c, "p4") == ["Dan:", "PARTICIPANT:", "**SIÂN**", "**Ólafur:**", "**Dan**:", "[李]",
                               "Interviewer 1 (00:01:23):", "Dr. Siân Jones:"]
    assert rows(c, "time_start")[6] == (83.0,)
    check_offsets(c)
    # the header before the first label is text outside every turn
    text = c["p4"].text
    assert c.turns["label_start"].iloc[0] == text.index("Dan:") == len("Interview with P4, 3 May\n\n")
    # the same parse from memory
    mem = qc.Corpus.from_texts([STYLES], doc_ids=["p4"], speaker_labels=True)
    assert rows(mem, "speaker", "text", "start", "end") == rows(c, "speaker", "text", "start", "end")


def test_label_inside_a_sentence_is_not_a_turn_and_unlabelled_lines_continue(tmp_path: Path) -> None:
    text = (
        "Dan: Did the board decide?\n"
        "Siân: So the answer is: no, said Dan: maybe.\n"
        "Dan said: I trust it.\n"           # a name starting a sentence, lower-case verb: not a label
        "and the next line has no label\n"
        "\n"
        "  nor this one, indented.\n"
        "Ólafur: Yes.\n"
    )
    c = qc.read_transcripts(write_text(tmp_path / "s.txt", text))
    assert rows(c, "speaker", "text") == [
        ("Dan", "Did the board decide?"),
        ("Siân", ("So the answer is: no, said Dan: maybe.\nDan said: I trust it.\n"
                  "and the next line has no label\n\n  nor this one, indented.")),
        ("Ólafur", "Yes."),
    ]
    check_offsets(c)


def test_label_with_no_text(tmp_path: Path) -> None:
    text = "Dan: Anything else?\nSiân:\nÓlafur:   \n\n李: No.\nDan:"
    c = qc.read_transcripts(write_text(tmp_path / "e.txt", text))
    assert rows(c, "speaker", "text") == [("Dan", "Anything else?"), ("Siân", ""), ("Ólafur", ""), ("李", "No."),
                                          ("Dan", "")]
    t = c.turns
    assert (t["start"] <= t["end"]).all()
    assert labels(c, "e") == ["Dan:", "Siân:", "Ólafur:", "李:", "Dan:"]
    # an empty turn sits where its label ends
    assert t["start"].iloc[1] == t["end"].iloc[1] == text.index("Siân:") + len("Siân:")
    assert t["end"].iloc[4] == len(text)


def test_non_ascii_names(tmp_path: Path) -> None:
    nfd = "Sia\u0302n"  # Siân with a combining circumflex
    text = f"Siân: a\nÓlafur Ragnar Grímsson: b\n李: c\n李小龍: d\n{nfd}: e\nΑλέξης: f\nÉMILIE: g\n"
    c = qc.read_transcripts(write_text(tmp_path / "n.txt", text))
    assert rows(c, "speaker", "text") == [("Siân", "a"), ("Ólafur Ragnar Grímsson", "b"), ("李", "c"), ("李小龍", "d"),
                                          (nfd, "e"), ("Αλέξης", "f"), ("ÉMILIE", "g")]
    assert c.speakers == ["Siân", "Ólafur Ragnar Grímsson", "李", "李小龍", nfd, "Αλέξης", "ÉMILIE"]
    check_offsets(c)


# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("line", "seconds"),
    [
        ("[00:01:23] A1: x", 83.0),
        ("[01:23] A1: x", 83.0),
        ("[1:02:03] A1: x", 3723.0),
        ("[99:59] A1: x", 5999.0),          # minutes may pass 59 when there are no hours
        ("(00:01:23) A1: x", 83.0),
        ("#00:01:23.4# A1: x", 83.4),
        ("#00:01:23-4# A1: x", 83.4),       # f4/f5 write tenths after a hyphen
        ("[00:01:23,5] A1: x", 83.5),
        ("[00:01:23.250] A1: x", 83.25),
        ("A1: [00:01:23] x", 83.0),          # after the label
        ("A1 (00:01:23): x", 83.0),          # inside the label
        ("A1 [00:01:23]: x", 83.0),
        ("**A1** [00:01:23] x", 83.0),
        ("[A1] (01:23) x", 83.0),
        ("  [00:01:23]   A1:   x", 83.0),    # indented
    ],
)
def test_timestamp_forms(line: str, seconds: float) -> None:
    c = qc.Corpus.from_texts([line + "\n"], doc_ids=["t"], speaker_labels=True)
    assert rows(c, "speaker", "text") == [("A1", "x")]
    assert c.turns["time_start"].iloc[0] == pytest.approx(seconds)
    assert math.isnan(c.turns["time_end"].iloc[0])  # no next timed turn


def test_timestamps_give_start_and_end_times(tmp_path: Path) -> None:
    text = (
        "[00:00:05] Dan: First.\n"
        "Siân: Untimed, between.\n"
        "#00:00:12.5#\n"                     # alone on a line: times the turn on the next line
        "Ólafur: Second timed.\n"
        "[00:01:00]\n"
        "\n"                                  # a blank line between stamp and label is allowed
        "李: Third timed.\n"
        "[00:02:00]\n"
        "Not a label, so the stamp line above times nothing.\n"
        "Dan: Last (00:03:00) stamps after the label start are text.\n"
    )
    c = qc.read_transcripts(write_text(tmp_path / "t.txt", text))
    assert rows(c, "speaker", "text", "time_start", "time_end") == [
        ("Dan", "First.", 5.0, 12.5),
        ("Siân", "Untimed, between.", None, None),
        ("Ólafur", "Second timed.", 12.5, 60.0),
        ("李", "Third timed.\n[00:02:00]\nNot a label, so the stamp line above times nothing.", 60.0, None),
        ("Dan", "Last (00:03:00) stamps after the label start are text.", None, None),
    ]
    # the stamp line belongs to the turn it times: it is inside neither turn's text
    t = c.turns
    assert "#" not in t["text"].iloc[1]
    assert t["label_start"].iloc[2] == text.index("Ólafur:")
    check_offsets(c)


def test_time_end_only_when_the_next_time_is_not_earlier() -> None:
    c = qc.Corpus.from_texts(["[00:02:00] A1: a\n[00:01:00] B2: b\n[00:03:00] A1: c\n"], speaker_labels=True)
    assert rows(c, "time_start", "time_end") == [(120.0, None), (60.0, 180.0), (180.0, None)]


def test_out_of_range_timestamps_give_no_time(tmp_path: Path) -> None:
    # An inline timestamp with minutes or seconds above 59 is not a time: the label is still a
    # label, and the turn has no time (a stamp alone on its line stays text of the turn before).
    text = (
        "[00:61:00] Dan: Minutes out of range.\n"
        "[01:60] Siân: Seconds out of range.\n"
        "Ólafur (00:00:75): In the label.\n"
        "#00:75:00.0#\n"
        "李: After an out-of-range stamp line.\n"
        "[00:00:59] Dan: In range.\n"
    )
    c = qc.read_transcripts(write_text(tmp_path / "r.txt", text))
    assert rows(c, "speaker", "text", "time_start") == [
        ("Dan", "Minutes out of range.", None),
        ("Siân", "Seconds out of range.", None),
        ("Ólafur", "In the label.\n#00:75:00.0#", None),
        ("李", "After an out-of-range stamp line.", None),
        ("Dan", "In range.", 59.0),
    ]
    assert labels(c, "r")[:3] == ["[00:61:00] Dan:", "[01:60] Siân:", "Ólafur (00:00:75):"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("m.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n\n00:60:00.000 --> 01:00:01.000\nBye\n",
         r"m\.vtt, line 6: start time .00:60:00\.000. is not"),
        ("s.srt", "1\n00:00:01,000 --> 00:00:61,000\nDan: hi\n", r"s\.srt, line 2: end time .00:00:61,000. is not"),
    ],
)
def test_out_of_range_cue_times_raise(tmp_path: Path, name: str, content: str, message: str) -> None:
    with pytest.raises(TranscriptFormatError, match=message):
        qc.read_transcripts(write_text(tmp_path / name, content))


# --------------------------------------------------------------------------- encodings and line ends

SRC = "Interview\r\n\r\nSiân: Line one,\r\nline two.\r\n李: 🙂 ok\rÓlafur: c\n"
NORMALISED = "Interview\n\nSiân: Line one,\nline two.\n李: 🙂 ok\nÓlafur: c\n"
TURNS = [("Siân", "Line one,\nline two."), ("李", "🙂 ok"), ("Ólafur", "c")]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("plain", SRC.encode("utf-8")),
        ("bom8", b"\xef\xbb\xbf" + SRC.encode("utf-8")),
        ("le16", b"\xff\xfe" + SRC.encode("utf-16-le")),
        ("be16", b"\xfe\xff" + SRC.encode("utf-16-be")),
    ],
)
def test_bom_utf16_and_line_ends(tmp_path: Path, name: str, data: bytes) -> None:
    p = tmp_path / f"{name}.txt"
    p.write_bytes(data)
    c = qc.read_transcripts(p)
    assert c[name].text == NORMALISED  # no BOM, no CR
    assert rows(c, "speaker", "text") == TURNS
    d = c.documents
    assert d["line_ends"].tolist() == ["mixed"]
    assert d["n_chars"].tolist() == [len(NORMALISED)]
    # offsets back into the file's text (code points after the BOM) give the turns as written
    t = c.turns
    o = c.original_offsets(name, t[["start", "end"]].to_numpy())
    assert o.shape == (3, 2)
    assert [SRC[a:b] for a, b in o.tolist()] == ["Line one,\r\nline two.", "🙂 ok", "c"]
    lo = c.original_offsets(name, t["label_start"])
    assert [SRC[a:a + len(s)] for a, s in zip(lo.tolist(), t["speaker"])] == ["Siân", "李", "Ólafur"]


@pytest.mark.parametrize(
    ("text", "style"),
    [("Dan: a\nB: b\n", "LF"), ("Dan: a\r\nB: b\r\n", "CRLF"), ("Dan: a\rB: b\r", "CR"),
     ("Dan: a\r\nB: b\n", "mixed"), ("Dan: no line end", "LF")],
)
def test_line_end_styles(tmp_path: Path, text: str, style: str) -> None:
    c = qc.read_transcripts(write_text(tmp_path / "x.txt", text))
    assert c.documents["line_ends"].tolist() == [style]
    assert "\r" not in c["x"].text
    # every character maps back to itself, an LF to the CR (or CR LF) it was; lone CRs do not
    # move offsets, CR LF pairs do
    norm = c["x"].text
    orig = c.original_offsets("x", np.arange(len(norm) + 1)).tolist()
    assert orig[-1] == len(text)
    assert [text[o] for o in orig[:-1]] == [ch if ch != "\n" or text[o] == "\n" else "\r"
                                           for ch, o in zip(norm, orig)]


def test_original_offsets_round_trip_on_a_long_crlf_transcript(tmp_path: Path) -> None:
    turns = [(["Dan", "Siân", "Ólafur", "李"][i % 4], f"Turn {i}: é🙂 trust\r\nsecond line {i}.") for i in range(300)]
    src = "Header\r\n\r\n" + "".join(f"{s}: {t}\r\n\r\n" for s, t in turns)
    p = tmp_path / "long.txt"
    p.write_bytes(b"\xef\xbb\xbf" + src.encode("utf-8"))
    c = qc.read_transcripts(p)
    t = c.turns
    assert len(t) == 300
    o = c.original_offsets("long", t[["start", "end"]].to_numpy())
    assert [src[a:b] for a, b in o.tolist()] == [x for _, x in turns]
    assert c.documents["line_ends"].tolist() == ["CRLF"]
    # a document read without CR LF maps to itself; an unknown id is an error
    c2 = qc.Corpus.from_texts(["Dan: a"], doc_ids=["m"])
    assert c2.original_offsets("m", [0, 3, 6]).tolist() == [0, 3, 6]
    with pytest.raises(UnknownDocumentError, match="nope"):
        c.original_offsets("nope", [0])


def test_named_encoding_cp1252(tmp_path: Path) -> None:
    src = "Renée: Café – “quoted” €5\r\nDan: Ça va?\r\nÓlafur: Já.\r\n"
    p = tmp_path / "w.txt"
    p.write_bytes(src.encode("cp1252"))
    # not UTF-8: the error names the file, the byte and the line ("é" is byte 3)
    with pytest.raises(TranscriptDecodeError, match=r"w\.txt: not valid UTF-8: invalid byte at offset 3 \(line 1\)"):
        qc.read_transcripts(p)
    for enc in ("cp1252", "windows-1252", "CP1252"):
        c = qc.read_transcripts(p, encoding=enc)
        assert rows(c, "speaker", "text") == [("Renée", "Café – “quoted” €5"), ("Dan", "Ça va?"), ("Ólafur", "Já.")]
        assert c.documents["line_ends"].tolist() == ["CRLF"]
        o = c.original_offsets("w", c.turns[["start", "end"]].to_numpy())
        assert [src[a:b] for a, b in o.tolist()] == ["Café – “quoted” €5", "Ça va?", "Já."]
    # a named encoding that the bytes do not fit, and one Python does not know
    with pytest.raises(TranscriptDecodeError, match=r"w\.txt: not valid ascii: invalid byte at offset 3 \(line 1\)"):
        qc.read_transcripts(p, encoding="ascii")
    with pytest.raises(ArgumentError, match="encoding: 'klingon' is not an encoding"):
        qc.read_transcripts(p, encoding="klingon")
    # latin-1 reads anything: a wrong guess is the caller's to make
    assert qc.read_transcripts(p, encoding="latin-1")["w"].text.startswith("Renée: Café \x96")


def test_named_encoding_applies_to_plain_text_only(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("Dan: hi")
    doc.save(tmp_path / "a.docx")
    with pytest.raises(ArgumentError, match="applies to plain-text transcripts only"):
        qc.read_transcripts(tmp_path / "a.docx", encoding="cp1252")


def test_bad_utf16(tmp_path: Path) -> None:
    p = tmp_path / "lone.txt"
    p.write_bytes(b"\xff\xfe" + "Dan: a\n".encode("utf-16-le") + b"\x00\xd8" + "b".encode("utf-16-le"))
    with pytest.raises(TranscriptDecodeError, match=r"lone\.txt: not valid UTF-16LE: invalid byte at offset 16 \(line 2\)"):
        qc.read_transcripts(p)
    odd = tmp_path / "odd.txt"
    odd.write_bytes(b"\xfe\xff" + "Dan: a".encode("utf-16-be") + b"\x00")
    with pytest.raises(TranscriptDecodeError, match=r"odd\.txt: not valid UTF-16BE: invalid byte at offset 14"):
        qc.read_transcripts(odd)


def test_bad_utf16_offset_after_astral_characters(tmp_path: Path) -> None:
    p = tmp_path / "emoji.txt"
    # BOM (2 bytes) + two surrogate pairs (8) + LF (2): the lone surrogate is at byte 12
    p.write_bytes(b"\xff\xfe" + "🙂🙂\n".encode("utf-16-le") + b"\x00\xd8" + "b".encode("utf-16-le"))
    with pytest.raises(TranscriptDecodeError, match=r"invalid byte at offset 12 \(line 2\)"):
        qc.read_transcripts(p)


# --------------------------------------------------------------------------- Word (.docx)


def bold_para(doc, name: str, rest: str) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    p.add_run(name).bold = True
    p.add_run(rest)


def add_table(doc, cells: list[tuple[str, ...]]) -> None:  # type: ignore[no-untyped-def]
    tbl = doc.add_table(rows=len(cells), cols=len(cells[0]))
    for i, row in enumerate(cells):
        for j, v in enumerate(row):
            tbl.cell(i, j).text = v


def test_docx_paragraphs_bold_labels_and_line_breaks(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("Interview 7 — transcript")
    bold_para(doc, "Siân", " Why do you trust it?")             # bold name, no colon
    bold_para(doc, "Ólafur:", " Because & <it> works.")         # bold name with its colon
    bold_para(doc, "DAN", ": In capitals, colon outside.")     # the typed label DAN: wins
    doc.add_paragraph("李: 我相信证据。")                         # a typed label
    p = doc.add_paragraph("Dan: first line")
    p.runs[0].add_break()                                        # Shift+Enter: a new line, a new label
    p.add_run("Ólafur: second line")
    doc.add_paragraph("The trust said Dan: no, not a label.")
    doc.add_paragraph("")
    doc.add_paragraph("A paragraph without a label continues the turn.")
    doc.add_paragraph("B3:")                                     # a label with no text
    p = doc.add_paragraph()
    p.add_run("Siân").bold = True
    p.add_run(" Tab\there, ")
    p.add_run("bold later").bold = True                          # bold after the start is no label
    p.add_run(" is text.")
    doc.save(tmp_path / "int7.docx")

    c = qc.read_transcripts(tmp_path / "int7.docx")
    assert c.doc_ids == ["int7"]
    assert c["int7"].text == (
        "Interview 7 — transcript\nSiân Why do you trust it?\nÓlafur: Because & <it> works.\n"
        "DAN: In capitals, colon outside.\n李: 我相信证据。\nDan: first line\nÓlafur: second line\n"
        "The trust said Dan: no, not a label.\n\nA paragraph without a label continues the turn.\nB3:\n"
        "Siân Tab\there, bold later is text.\n"
    )
    assert rows(c, "speaker", "text") == [
        ("Siân", "Why do you trust it?"),
        ("Ólafur", "Because & <it> works."),
        ("DAN", "In capitals, colon outside."),
        ("李", "我相信证据。"),
        ("Dan", "first line"),
        ("Ólafur", ("second line\nThe trust said Dan: no, not a label.\n\n"
                    "A paragraph without a label continues the turn.")),
        ("B3", ""),
        ("Siân", "Tab\there, bold later is text."),
    ]
    assert labels(c, "int7") == ["Siân", "Ólafur:", "DAN:", "李:", "Dan:", "Ólafur:", "B3:", "Siân"]
    assert c.documents["line_ends"].tolist() == ["LF"]
    check_offsets(c)


def test_docx_tables_of_turns(tmp_path: Path) -> None:
    doc = docx.Document()
    add_table(doc, [("Speaker", "Text"), ("Dan", "Table turn."), ("Siân", "Second\u00a0row & more."),
                    ("Ólafur", ""), ("", "No speaker.")])
    doc.add_paragraph("Between the tables: continues the last row's turn.")
    add_table(doc, [("00:01:05", "Dan", "Timed one."), ("[00:01:30]", "李", "Timed two."),
                    ("00:02:00.5", "Siân", "Timed three.")])
    doc.save(tmp_path / "tables.docx")
    c = qc.read_transcripts(tmp_path / "tables.docx")
    assert c["tables"].text == (
        "Speaker\tText\nDan\tTable turn.\nSiân\tSecond\u00a0row & more.\nÓlafur\t\n\tNo speaker.\n"
        "Between the tables: continues the last row's turn.\n"
        "00:01:05\tDan\tTimed one.\n[00:01:30]\t李\tTimed two.\n00:02:00.5\tSiân\tTimed three.\n"
    )
    assert rows(c, "speaker", "text", "time_start", "time_end") == [
        ("Dan", "Table turn.", None, None),
        ("Siân", "Second\u00a0row & more.", None, None),
        ("Ólafur", "", None, None),
        (None, "No speaker.\nBetween the tables: continues the last row's turn.", None, None),
        ("Dan", "Timed one.", 65.0, 90.0),
        ("李", "Timed two.", 90.0, 120.5),
        ("Siân", "Timed three.", 120.5, None),
    ]
    assert labels(c, "tables")[:3] == ["Dan", "Siân", "Ólafur"]
    assert labels(c, "tables")[4:] == ["00:01:05\tDan", "[00:01:30]\t李", "00:02:00.5\tSiân"]
    check_offsets(c)


def test_docx_cell_with_two_paragraphs_and_a_line_break(tmp_path: Path) -> None:
    doc = docx.Document()
    tbl = doc.add_table(rows=1, cols=2)
    tbl.cell(0, 0).text = "Siân"
    tbl.cell(0, 1).text = "First paragraph."
    tbl.cell(0, 1).add_paragraph("Second paragraph.")
    tbl.cell(0, 1).paragraphs[1].runs[0].add_break()
    tbl.cell(0, 1).paragraphs[1].add_run("After a break.")
    doc.save(tmp_path / "cell.docx")
    c = qc.read_transcripts(tmp_path / "cell.docx")
    # inside a table row, paragraphs and breaks are spaces: the row stays one line
    assert c["cell"].text == "Siân\tFirst paragraph. Second paragraph. After a break.\n"
    assert rows(c, "speaker", "text") == [("Siân", "First paragraph. Second paragraph. After a break.")]


def test_docx_header_row_after_a_turn_is_not_turn_text(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("Dan: Before the table.")
    add_table(doc, [("Speaker", "Text"), ("Siân", "In the table.")])
    doc.save(tmp_path / "h.docx")
    c = qc.read_transcripts(tmp_path / "h.docx")
    assert rows(c, "speaker", "text") == [("Dan", "Before the table."), ("Siân", "In the table.")]


def test_docx_timed_table_header_row_is_skipped(tmp_path: Path) -> None:
    doc = docx.Document()
    add_table(doc, [("Time", "Speaker", "Text"), ("00:01:05", "Dan", "Timed one.")])
    doc.save(tmp_path / "h3.docx")
    c = qc.read_transcripts(tmp_path / "h3.docx")
    assert rows(c, "speaker", "text", "time_start") == [("Dan", "Timed one.", 65.0)]


def _tracked(doc, before: str, deleted: str, after: str, inserted: str) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run(tag: str, text: str):  # type: ignore[no-untyped-def]
        r = OxmlElement("w:r")
        t = OxmlElement(tag)
        t.text = text
        t.set(qn("xml:space"), "preserve")
        r.append(t)
        return r

    p = doc.add_paragraph(before)
    d = OxmlElement("w:del")
    d.set(qn("w:id"), "1")
    d.set(qn("w:author"), "Coder A")
    d.append(run("w:delText", deleted))
    p._p.append(d)
    p.add_run(after)
    ins = OxmlElement("w:ins")
    ins.set(qn("w:id"), "2")
    ins.set(qn("w:author"), "Coder A")
    ins.append(run("w:t", inserted))
    p._p.append(ins)


def test_docx_tracked_deletions_are_skipped_insertions_kept(tmp_path: Path) -> None:
    doc = docx.Document()
    _tracked(doc, "Dan: kept ", "deleted words ", "text", " inserted")
    doc.add_paragraph("Siân: Next.")
    doc.save(tmp_path / "tracked.docx")
    with zipfile.ZipFile(tmp_path / "tracked.docx") as z:
        assert b"<w:delText" in z.read("word/document.xml")  # the fixture really has a deletion
    c = qc.read_transcripts(tmp_path / "tracked.docx")
    assert c["tracked"].text == "Dan: kept text inserted\nSiân: Next.\n"
    assert rows(c, "speaker", "text") == [("Dan", "kept text inserted"), ("Siân", "Next.")]


def test_docx_folder_and_non_ascii_file_names(tmp_path: Path) -> None:
    for stem, line in [("Siân", "Siân: Helo."), ("Ólafur", "Ólafur: Halló."), ("李", "李: 你好。")]:
        d = docx.Document()
        d.add_paragraph(line)
        d.save(tmp_path / f"{stem}.docx")
    (tmp_path / "notes.txt").write_text("Not read: the pattern is *.docx\n")
    c = qc.read_transcripts(tmp_path, format="docx")
    assert sorted(c.doc_ids) == sorted(["Siân", "Ólafur", "李"])
    assert dict(zip(c.turns["doc_id"], c.turns["text"])) == {"Siân": "Helo.", "Ólafur": "Halló.", "李": "你好。"}


def _good_docx(path: Path) -> bytes:
    d = docx.Document()
    for i in range(30):
        d.add_paragraph(f"Dan: question {i} about trust and evidence.")
    d.save(path)
    return path.read_bytes()


def _zip(entries: dict[str, str | bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _bad_docx(kind: str, tmp_path: Path) -> bytes:
    good = _good_docx(tmp_path / "source.docx")
    if kind == "not-a-zip":
        return b"Dan: plain text saved with a .docx name\n"
    if kind == "empty":
        return b""
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "no-document-xml":
        return _zip({"[Content_Types].xml": "<Types/>", "word/styles.xml": "<w:styles/>"})
    if kind == "bad-xml":
        return _zip({"word/document.xml": '<w:document xmlns:w="x"><w:body><w:p></w:body></w:document>'})
    if kind == "dtd":
        return _zip({"word/document.xml": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d/>'})
    if kind == "corrupt-member":  # deflate data of word/document.xml overwritten
        data = bytearray(good)
        off = zipfile.ZipFile(io.BytesIO(good)).getinfo("word/document.xml").header_offset
        n, m = struct.unpack("<HH", data[off + 26:off + 30])
        start = off + 30 + n + m
        for k in range(start + 10, start + 40):
            data[k] ^= 0xFF
        return bytes(data)
    if kind == "bad-checksum":  # stored, one character changed: the CRC no longer fits
        with zipfile.ZipFile(io.BytesIO(good)) as z:
            data = bytearray(_zip({i.filename: z.read(i.filename) for i in z.infolist()},
                                  zipfile.ZIP_STORED))
        i = data.find(b"question 7")
        data[i] = ord("Q")
        return bytes(data)
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not-a-zip", r"bad\.docx: not a Word \(\.docx\) file: not a readable zip archive"),
        ("empty", r"bad\.docx: not a Word \(\.docx\) file: not a readable zip archive"),
        ("truncated", r"bad\.docx: not a Word \(\.docx\) file: not a readable zip archive"),
        ("no-document-xml", r"bad\.docx: not a Word \(\.docx\) file: the zip has no word/document\.xml"),
        ("bad-xml", r"bad\.docx, line 1: word/document\.xml is not well-formed XML"),
        ("dtd", r"bad\.docx, line 1: word/document\.xml has a DTD"),
        ("corrupt-member", r"bad\.docx: word/document\.xml is corrupt in the zip"),
        ("bad-checksum", r"bad\.docx: word/document\.xml is corrupt in the zip"),
    ],
)
def test_docx_broken_files_name_the_file_and_the_problem(tmp_path: Path, kind: str, message: str) -> None:
    p = tmp_path / "bad.docx"
    p.write_bytes(_bad_docx(kind, tmp_path))
    with pytest.raises(TranscriptFormatError, match=message) as err:
        qc.read_transcripts(p)
    assert str(p) in str(err.value)
    assert isinstance(err.value, ValueError)


# --------------------------------------------------------------------------- errors="collect"


def _mixed_folder(folder: Path) -> None:
    write_text(folder / "a_good.txt", "Dan: Hello.\r\nSiân: Hi.\r\n")
    (folder / "b_bad.txt").write_bytes(b"Dan: ok\nSi\xe2n: caf\xe9\n")
    write_text(folder / "c_good.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Dan>Hi there.\n")
    write_text(folder / "d_nohead.vtt", "00:00:01.000 --> 00:00:02.000\nDan: Hi\n")
    write_text(folder / "e_good.csv", "speaker,text\nDan,From a table.\n")
    write_text(folder / "f_nocol.csv", "speaker,words\nDan,From a table.\n")
    (folder / "g_bad.docx").write_bytes(b"not a zip")
    d = docx.Document()
    d.add_paragraph("Ólafur: From Word.")
    d.save(folder / "h_good.docx")
    write_text(folder / "i_range.srt", "1\n00:00:01,000 --> 00:61:00,000\nDan: hi\n")


def test_collect_returns_good_documents_and_a_failure_table(tmp_path: Path) -> None:
    _mixed_folder(tmp_path)
    c, failures = qc.read_transcripts(tmp_path, pattern="*.*", errors="collect")
    assert c.doc_ids == ["a_good", "c_good", "e_good", "h_good"]
    assert rows(c, "doc_id", "speaker", "text") == [
        ("a_good", "Dan", "Hello."), ("a_good", "Siân", "Hi."), ("c_good", "Dan", "Hi there."),
        ("e_good", "Dan", "From a table."), ("h_good", "Ólafur", "From Word."),
    ]
    assert c.documents["line_ends"].tolist()[0] == "CRLF"
    assert list(failures.columns) == ["file", "error", "message"]
    assert [Path(f).name for f in failures["file"]] == ["b_bad.txt", "d_nohead.vtt", "f_nocol.csv", "g_bad.docx",
                                                          "i_range.srt"]
    assert failures["error"].tolist() == ["TranscriptDecodeError", "TranscriptFormatError", "TranscriptFormatError",
                                          "TranscriptFormatError", "TranscriptFormatError"]
    msg = dict(zip([Path(f).name for f in failures["file"]], failures["message"]))
    assert msg["b_bad.txt"].endswith("b_bad.txt: not valid UTF-8: invalid byte at offset 10 (line 2)")
    assert "d_nohead.vtt, line 1: not a WebVTT file" in msg["d_nohead.vtt"]
    assert "f_nocol.csv: no text column" in msg["f_nocol.csv"] and "['speaker', 'words']" in msg["f_nocol.csv"]
    assert "g_bad.docx: not a Word (.docx) file" in msg["g_bad.docx"]
    assert "i_range.srt, line 2: end time" in msg["i_range.srt"]
    for f, m in zip(failures["file"], failures["message"]):
        assert m.startswith(f)  # every message names its file


def test_raise_is_the_default_and_names_the_file(tmp_path: Path) -> None:
    _mixed_folder(tmp_path)
    with pytest.raises(qc.QualcoreError, match="f_nocol.csv"):  # with every other bad file
        qc.read_transcripts(tmp_path, pattern="*.*")
    # the text-like files alone: every bad one reported together
    files = sorted(p for p in tmp_path.iterdir() if p.suffix in (".txt", ".vtt", ".docx", ".srt"))
    with pytest.raises(qc.QualcoreError) as err:
        qc.read_transcripts(files)
    assert len(err.value.problems) == 4
    for name, problem in zip(["b_bad.txt", "d_nohead.vtt", "g_bad.docx", "i_range.srt"], err.value.problems):
        assert problem.startswith(str(tmp_path / name))


def test_raise_reports_every_bad_file_of_a_mixed_folder(tmp_path: Path) -> None:
    _mixed_folder(tmp_path)
    with pytest.raises(qc.QualcoreError) as err:
        qc.read_transcripts(tmp_path, pattern="*.*")
    assert len(err.value.problems) == 5


def test_collect_with_nothing_wrong_and_with_everything_wrong(tmp_path: Path) -> None:
    write_text(tmp_path / "a.txt", "Dan: fine.\n")
    c, failures = qc.read_transcripts(tmp_path / "a.txt", errors="collect")
    assert c.doc_ids == ["a"] and failures.empty and list(failures.columns) == ["file", "error", "message"]
    (tmp_path / "b.docx").write_bytes(b"")
    write_text(tmp_path / "c.csv", "who,words\nx,y\n")
    c, failures = qc.read_transcripts([tmp_path / "b.docx", tmp_path / "c.csv"], errors="collect")
    assert len(c) == 0 and len(failures) == 2
    with pytest.raises(ArgumentError, match="errors: 'ignore' is not one of 'raise', 'collect'"):
        qc.read_transcripts(tmp_path / "a.txt", errors="ignore")


def test_collect_with_a_named_encoding(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes("Renée: oui\n".encode("cp1252"))
    (tmp_path / "b.txt").write_bytes("Dan: \x81 is undefined in cp1252\n".encode("latin-1"))
    c, failures = qc.read_transcripts(tmp_path, encoding="cp1252", errors="collect")
    assert rows(c, "doc_id", "speaker", "text") == [("a", "Renée", "oui")]
    assert failures["error"].tolist() == ["TranscriptDecodeError"]
    assert failures["message"].iloc[0].endswith("b.txt: not valid cp1252: invalid byte at offset 5 (line 1)")


# --------------------------------------------------------------------------- progress bar


def test_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(5):
        write_text(tmp_path / f"t{i}.txt", f"Dan: {i}\n")
    qc.read_transcripts(tmp_path, progress=False)
    qc.read_transcripts(tmp_path)  # not a terminal: silent
    assert capsys.readouterr().err == ""
    c = qc.read_transcripts(tmp_path, progress=True)
    err = capsys.readouterr().err
    assert "reading" in err and "/5" in err and "file" in err
    assert len(c) == 5


# --------------------------------------------------------------------------- a 200 MB transcript

BIG_BLOCK = (
    "[00:01:23] Interviewer 1: How did the team decide what to trust?\r\n"
    "\r\n"
    "Siân: We looked at the evidence — Ólafur said 李 agreed, and the data were clear.\r\n"
    "It went on for a while, and the board asked again.\r\n"
    "\r\n"
)

_BIG_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    import qualcore as qc
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    c = qc.read_transcripts(sys.argv[1])
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    d = c.documents
    turns = c.turns
    ends = c.original_offsets("big", turns["end"].iloc[[0, -1]].to_numpy())
    print(json.dumps({
        "peak_above_base_kb": peak - base, "seconds": seconds, "n_docs": len(c),
        "n_turns": int(d["n_turns"].iloc[0]), "n_chars": int(d["n_chars"].iloc[0]),
        "line_ends": d["line_ends"].iloc[0], "rows": len(turns),
        "first": [turns["speaker"].iloc[0], turns["text"].iloc[0], float(turns["time_start"].iloc[0]),
                  float(turns["time_end"].iloc[0])],
        "last": [turns["speaker"].iloc[-1], turns["text"].iloc[-1], int(turns["start"].iloc[-1]),
                 int(turns["end"].iloc[-1])],
        "speakers": sorted(c.speakers), "original_ends": ends.tolist(),
    }))
    """
)


@pytest.fixture(scope="module")
def big_read(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("big") / "big.txt"
    block = BIG_BLOCK.encode("utf-8")
    n = 200_000_000 // len(block) + 1
    chunk = block * 10_000
    with path.open("wb") as f:  # written in chunks of about 2 MB
        for _ in range(n // 10_000):
            f.write(chunk)
        f.write(block * (n % 10_000))
    size = path.stat().st_size
    r = subprocess.run([sys.executable, "-c", _BIG_CHILD, str(path)], capture_output=True, text=True, timeout=120,
                       check=False)
    path.unlink()
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out.update(n_blocks=n, size=size)
    return out


@pytest.mark.slow
def test_a_200_mb_transcript(big_read: dict) -> None:
    r = big_read
    n = r["n_blocks"]
    assert r["size"] >= 200_000_000
    assert (r["n_docs"], r["n_turns"], r["rows"]) == (1, 2 * n, 2 * n)
    assert r["line_ends"] == "CRLF"
    assert r["n_chars"] == n * len(BIG_BLOCK.replace("\r\n", "\n"))
    assert r["first"] == ["Interviewer 1", "How did the team decide what to trust?", 83.0, 83.0]
    speaker, text, _, end = r["last"]
    assert speaker == "Siân"
    assert text == ("We looked at the evidence — Ólafur said 李 agreed, and the data were clear.\n"
                    "It went on for a while, and the board asked again.")
    assert end == r["n_chars"] - 2  # two LFs after the last turn
    assert r["original_ends"] == [BIG_BLOCK.index("?") + 1, n * len(BIG_BLOCK) - 4]
    assert r["speakers"] == ["Interviewer 1", "Siân"]
    # (memory: see the next test)


@pytest.mark.slow
def test_a_200_mb_transcript_reads_in_near_its_size(big_read: dict) -> None:
    # the bytes become the text without a copy, lines are scanned lazily: what remains is the
    # text, the Rust corpus and the turns
    ratio = big_read["peak_above_base_kb"] * 1e3 / big_read["size"]
    assert ratio < 2.5, f"reading a {big_read['size'] / 1e6:.0f} MB transcript took {ratio:.1f}x its size in memory"
