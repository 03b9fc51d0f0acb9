"""WebVTT and SRT transcripts: cues to turns, speakers, times, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

import qualcore as qc

VTT = (
    "\ufeffWEBVTT - Teams export\r\n\r\n"
    "NOTE speaker names were added by hand\r\n\r\n"
    "STYLE\r\n::cue { color: yellow }\r\n\r\n"
    "a1\r\n00:00:01.000 --> 00:00:04.000 align:start position:10%\r\n<v Interviewer 1>Do you <b>trust</b> the data?</v>\r\n\r\n"
    "00:00:04.000 --> 00:00:05.500\r\n<v Interviewer 1>Honestly.\r\n\r\n"
    "00:00:05.000 --> 00:00:09.000\r\nSiân: Not &amp; never,\r\nreally.\r\n\r\n"
    "00:00:09.000 --> 00:00:09.500\r\n<v 李></v>\r\n\r\n"
    "00:00:10,000 --> 00:00:12.000\r\n<v 李>Trust is earned.\r\n"
)

SRT = "1\n00:00:01,000 --> 00:00:02,500\nDan: Hello\nthere.\n\n2\n00:00:03.000 --> 00:00:04.000\n<i>[laughs]</i> B3: Yes.\n\n3\n00:00:04,000 --> 00:00:05,000\nB3: Sure.\n"


def write(tmp_path: Path, name: str, content: str) -> Path:
    p = tmp_path / name
    p.write_text(content, encoding="utf-8", newline="")
    return p


def test_vtt_cues_become_turns(tmp_path: Path) -> None:
    c = qc.read_transcripts(write(tmp_path, "int3.vtt", VTT), interviewer=["Interviewer 1"])
    assert c.doc_ids == ["int3"]
    text = c["int3"].text
    assert text == "Interviewer 1: Do you trust the data? Honestly.\n\nSiân: Not & never, really.\n\n李: Trust is earned."
    t = c.turns
    assert t["speaker"].tolist() == ["Interviewer 1", "Siân", "李"]
    assert t["time_start"].tolist() == [1.0, 5.0, 10.0]
    assert t["time_end"].tolist() == [5.5, 9.0, 12.0]  # overlapping cue times are kept as given
    assert t["interviewer"].tolist() == [True, False, False]
    for row in t.itertuples():
        assert text[row.start : row.end] == row.text
        assert text[row.label_start : row.label_end] == f"{row.speaker}:"
    k = c.participants().kwic("trust*")
    assert k["match"].tolist() == ["Trust"]


def test_srt_with_both_millisecond_separators(tmp_path: Path) -> None:
    c = qc.read_transcripts(write(tmp_path, "s.srt", SRT))
    t = c.turns
    # "[laughs] B3: Yes." has text before the label: no speaker prefix at the start of the cue.
    assert t["speaker"].iloc[[0, 2]].tolist() == ["Dan", "B3"]
    assert t["speaker"].isna().tolist() == [False, True, False]
    assert t["text"].tolist() == ["Hello there.", "[laughs] B3: Yes.", "Sure."]
    assert t["time_start"].tolist() == [1.0, 3.0, 4.0]
    assert t["time_end"].tolist() == [2.5, 4.0, 5.0]


def test_format_by_argument_and_mixed_folder(tmp_path: Path) -> None:
    write(tmp_path, "a.vtt", VTT)
    write(tmp_path, "b.txt", "Dan: Hi.\n\nP: Hello.\n")
    c = qc.read_transcripts([tmp_path / "a.vtt", tmp_path / "b.txt"])
    assert c.turns.groupby("doc_id").size().to_dict() == {"a": 3, "b": 2}
    plain = write(tmp_path, "c.captions", SRT)
    assert len(qc.read_transcripts(plain, format="srt").turns) == 3
    with pytest.raises(ValueError, match="format: 'pdf' is not one of"):
        qc.read_transcripts(plain, format="pdf")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("nohead.vtt", "00:00:01.000 --> 00:00:02.000\nHi\n", r"nohead\.vtt, line 1: not a WebVTT file"),
        ("range.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n\n00:00:03.000 --> 00:75:00.000\nBye\n",
         r"range\.vtt, line 6: end time '00:75:00\.000'|range\.vtt, line 6: end time \"00:75:00\.000\""),
        ("back.srt", "1\n00:00:05,000 --> 00:00:02,000\nHi\n", r"back\.srt, line 2: cue ends"),
        ("junk.srt", "1\nhello\n", r"junk\.srt, line 1: expected a subtitle"),
    ],
)
def test_bad_files_name_file_line_and_problem(tmp_path: Path, name: str, content: str, message: str) -> None:
    p = write(tmp_path, name, content)
    with pytest.raises(qc.errors.TranscriptFormatError, match=message) as err:
        qc.read_transcripts(p)
    assert isinstance(err.value, ValueError)


def test_all_bad_files_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "x.vtt", "not vtt\n")
    write(tmp_path, "y.vtt", "also not\n")
    with pytest.raises(qc.errors.TranscriptFormatError) as err:
        qc.read_transcripts(tmp_path, pattern="*.vtt")
    assert len(err.value.problems) == 2
