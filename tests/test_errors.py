"""Bad input gives an exception (never a Rust panic) that says what and where."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import qualcore as qc
from qualcore.errors import (
    ArgumentError,
    CorpusError,
    DuplicateIdError,
    PatternError,
    QualcoreError,
    TranscriptDecodeError,
    TranscriptError,
    UnknownDocumentError,
)


@pytest.fixture
def corpus():
    return qc.Corpus.from_texts(["I trust it.", "No trust."], doc_ids=["A1", "B1"],
                                attributes={"group": ["x", "y"]})


# --------------------------------------------------------------------------- texts and ids


def test_non_str_text_names_its_row():
    with pytest.raises(TypeError) as ei:
        qc.Corpus.from_texts(["fine", 3, "ok"])
    msg = str(ei.value)
    assert "row 1" in msg and "doc2" in msg and "int" in msg
    with pytest.raises(TypeError, match="row 2"):
        qc.Corpus.from_texts(["a", "b", None], doc_ids=["x", "y", "z"])
    df = pd.DataFrame({"doc_id": ["x", "y"], "text": ["a", float("nan")]})
    with pytest.raises(TypeError) as ei:
        qc.Corpus.from_frame(df)
    assert "row 1" in str(ei.value) and "y" in str(ei.value)
    df = pd.DataFrame({"doc_id": ["x", "x", "y"], "speaker": ["a", "b", "a"], "text": ["a", "b", b"c"]})
    with pytest.raises(TypeError) as ei:
        qc.Corpus.from_frame(df, speaker="speaker")
    assert "row 2" in str(ei.value) and "'y'" in str(ei.value) and "bytes" in str(ei.value)


def test_duplicate_ids_are_all_listed():
    with pytest.raises(DuplicateIdError) as ei:
        qc.Corpus.from_texts(list("abcdef"), doc_ids=["P1", "P2", "P1", "P3", "P2", "P1"])
    e = ei.value
    assert isinstance(e, ValueError) and isinstance(e, QualcoreError)
    assert str(e) == 'document ids must be unique; duplicated: "P1", "P2"'
    assert e.problems == [str(e)]
    with pytest.raises(ValueError, match='"a"'):
        qc.Corpus.from_frame(pd.DataFrame({"doc_id": ["a", "b", "a"], "text": ["1", "2", "3"]}))
    # ids are compared as strings
    with pytest.raises(DuplicateIdError, match='"1"'):
        qc.Corpus.from_texts(["a", "b"], doc_ids=[1, "1"])


def test_missing_doc_id():
    with pytest.raises(ValueError, match="doc_id"):
        qc.Corpus.from_frame(pd.DataFrame({"doc_id": ["a", None], "text": ["1", "2"]}))
    with pytest.raises(ValueError, match="row 1"):
        qc.Corpus.from_texts(["a", "b"], doc_ids=["a", None])


def test_unknown_document(corpus):
    with pytest.raises(UnknownDocumentError) as ei:
        corpus["nope"]
    assert isinstance(ei.value, KeyError)
    assert str(ei.value) == "no document with id 'nope'"
    with pytest.raises(KeyError, match="nope"):
        corpus.tokens().ids("nope")


# --------------------------------------------------------------------------- files


def test_undecodable_file_names_file_offset_and_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"ok\n\xff")
    with pytest.raises(TranscriptDecodeError) as ei:
        qc.read_transcripts(p)
    msg = str(ei.value)
    assert isinstance(ei.value, ValueError)
    assert str(p) in msg
    assert "offset 3" in msg and "line 2" in msg
    # with a BOM the offset still counts bytes of the file
    p2 = tmp_path / "bom.txt"
    p2.write_bytes(b"\xef\xbb\xbfDan: fine\nA1: \xc3\x28\n")
    with pytest.raises(TranscriptDecodeError, match=r"offset 17 \(line 2\)"):
        qc.read_transcripts(p2)


def test_every_undecodable_file_is_reported(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\xfe")
    (tmp_path / "b.txt").write_bytes(b"Dan: good\n")
    (tmp_path / "c.txt").write_bytes(b"x\ny\nz\x80")
    with pytest.raises(TranscriptDecodeError) as ei:
        qc.read_transcripts(tmp_path)
    probs = ei.value.problems
    assert len(probs) == 2
    assert "a.txt" in probs[0] and "offset 0 (line 1)" in probs[0]
    assert "c.txt" in probs[1] and "offset 5 (line 3)" in probs[1]


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        qc.read_transcripts(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError):
        qc.read_transcripts(tmp_path)  # a folder without .txt files
    with pytest.raises(FileNotFoundError):
        qc.read_transcripts(str(tmp_path / "*.txt"))
    (tmp_path / "ok.txt").write_text("Dan: hi\n")
    with pytest.raises(FileNotFoundError, match="gone.txt"):
        qc.read_transcripts([tmp_path / "ok.txt", tmp_path / "gone.txt"])


@pytest.mark.skipif(os.name != "posix", reason="needs a file name that is not valid UTF-8")
def test_file_name_that_is_not_utf8_is_named(tmp_path):
    bad = os.path.join(os.fsencode(tmp_path), b"b\xff.txt")
    with open(bad, "wb") as fh:
        fh.write(b"Dan: hi\n")
    with pytest.raises(Exception) as ei:  # never a panic (a BaseException)
        qc.read_transcripts(tmp_path)
    assert isinstance(ei.value, (ValueError, OSError))
    assert os.fsdecode(bad) in str(ei.value) or repr(os.fsdecode(bad)) in str(ei.value)


def test_bad_label_pattern(tmp_path):
    (tmp_path / "a.txt").write_text("Dan: hi\n")
    with pytest.raises(PatternError, match=r'"\(unclosed"'):
        qc.read_transcripts(tmp_path, label_pattern="(unclosed")
    with pytest.raises(PatternError, match="capture group"):
        qc.read_transcripts(tmp_path, label_pattern="[A-Z]+:")


# --------------------------------------------------------------------------- patterns and arguments


@pytest.mark.parametrize("pattern,valuetype", [("", "glob"), ("   ", "glob"), ("\t\n", "fixed"), ("", "regex")])
def test_empty_pattern(corpus, pattern, valuetype):
    with pytest.raises(PatternError) as ei:
        corpus.kwic(pattern, valuetype=valuetype)
    e = ei.value
    assert isinstance(e, ValueError)
    assert f'pattern "{pattern}"'.replace("\t", "\\t").replace("\n", "\\n") in str(e)
    assert "empty" in str(e)


def test_invalid_regex_quotes_the_pattern(corpus):
    with pytest.raises(PatternError) as ei:
        corpus.kwic("(unclosed", valuetype="regex")
    assert '"(unclosed"' in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_several_bad_patterns_reported_together(corpus):
    with pytest.raises(PatternError) as ei:
        corpus.kwic(["ok", "", "(bad", "fine", "[z", "  "], valuetype="regex")
    probs = ei.value.problems
    assert len(probs) == 4
    assert 'pattern ""' in probs[0]
    assert '"(bad"' in probs[1]
    assert '"[z"' in probs[2]
    assert 'pattern "  "' in probs[3]
    assert str(ei.value).startswith("4 problems:")


def test_bad_pattern_arguments(corpus):
    with pytest.raises(ValueError, match="patterns"):
        corpus.kwic([])
    with pytest.raises(ValueError, match="patterns"):
        corpus.kwic({"label": []})
    with pytest.raises(TypeError, match="patterns"):
        corpus.kwic(["ok", 3])
    with pytest.raises(TypeError, match="patterns"):
        corpus.kwic(42)


def test_unknown_valuetype_and_within(corpus):
    with pytest.raises(ValueError, match="valuetype") as ei:
        corpus.kwic("trust", valuetype="wildcard")
    assert "wildcard" in str(ei.value)
    with pytest.raises(ValueError, match="within") as ei:
        corpus.kwic("trust", within="sentence")
    assert "sentence" in str(ei.value)


@pytest.mark.parametrize("window", [-1, -100, 1.5, True, "3"])
def test_bad_window(corpus, window):
    with pytest.raises(ValueError, match="window"):
        corpus.kwic("trust", window=window)


def test_unknown_attribute_and_speaker_in_filter(corpus, tmp_path):
    with pytest.raises(ValueError, match="region") as ei:
        corpus.filter(region="north")
    assert isinstance(ei.value, ArgumentError)
    (tmp_path / "a.txt").write_text("Dan: hi\n\nA1: yo\n")
    c = qc.read_transcripts(tmp_path)
    with pytest.raises(ValueError, match="Bob") as ei:
        c.filter(speakers=["A1", "Bob"])
    assert "A1" not in str(ei.value).split("(speakers")[0]


def test_with_attributes_bad_input(corpus):
    with pytest.raises(ValueError, match="DataFrame"):
        corpus.with_attributes({"doc_id": ["A1"]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on"):
        corpus.with_attributes(pd.DataFrame({"id": ["A1"], "g": [1]}))
    with pytest.raises(CorpusError):
        corpus.with_attributes(pd.DataFrame({"doc_id": ["A1"], "group": ["z"]}))  # already set


# --------------------------------------------------------------------------- lone surrogates


def _assert_surrogate_error(excinfo, index: int) -> None:
    e = excinfo.value
    assert isinstance(e, ValueError)
    msg = str(e)
    assert "surrogate" in msg
    assert f"index {index}" in msg or f"position {index}" in msg, msg


def test_lone_surrogate_from_texts():
    # pytest.raises(Exception) does not catch a Rust panic (PanicException is a BaseException)
    with pytest.raises(Exception) as ei:
        qc.Corpus.from_texts(["fine", "a\ud800b"])
    _assert_surrogate_error(ei, 1)
    assert "row 1" in str(ei.value)
    with pytest.raises(Exception) as ei:
        # object dtype: pandas' pyarrow-backed strings cannot even hold a lone surrogate
        qc.Corpus.from_texts(pd.Series(["a\udfffb"], index=["P9"], dtype=object))
    _assert_surrogate_error(ei, 1)
    assert "P9" in str(ei.value)


def test_lone_surrogate_from_frame():
    df = pd.DataFrame({"doc_id": ["x", "y"], "text": ["ok", "a\ud800b"]}, dtype=object)
    with pytest.raises(Exception) as ei:
        qc.Corpus.from_frame(df)
    _assert_surrogate_error(ei, 1)
    # rows are turns: the message names the frame's row and the index in that row's text
    df = pd.DataFrame({"doc_id": ["x", "x"], "speaker": ["s", "t"], "text": ["ab", "a\ud800b"]}, dtype=object)
    with pytest.raises(Exception) as ei:
        qc.Corpus.from_frame(df, speaker="speaker")
    _assert_surrogate_error(ei, 1)
    assert "row 1" in str(ei.value) and "'x'" in str(ei.value).replace('"', "'")


def test_lone_surrogate_elsewhere(corpus):
    with pytest.raises(Exception) as ei:
        qc.tokenize("a\ud800b")
    _assert_surrogate_error(ei, 1)
    with pytest.raises(Exception) as ei:
        corpus.kwic("a\ud800b")
    _assert_surrogate_error(ei, 1)
    with pytest.raises(Exception) as ei:
        qc.Corpus.from_texts(["ok"], doc_ids=["a\ud800"])
    _assert_surrogate_error(ei, 1)


# --------------------------------------------------------------------------- empty input

KWIC_COLUMNS = ["doc_id", "turn", "speaker", "pattern", "start", "end", "token_start", "token_end", "pre", "match", "post"]
TOKEN_COLUMNS = ["doc_id", "turn", "speaker", "position", "start", "end", "token", "norm", "kind"]
TURN_COLUMNS = ["doc_id", "turn", "speaker", "start", "end", "text", "interviewer", "time_start", "time_end",
                "label_start", "label_end"]
SENTENCE_COLUMNS = ["doc_id", "turn", "speaker", "sentence", "start", "end", "text"]


def test_empty_corpus():
    c = qc.Corpus.from_texts([])
    assert len(c) == 0 and c.doc_ids == [] and list(c) == []
    k = c.kwic("trust")
    assert isinstance(k, qc.KwicFrame) and k.empty and list(k.columns) == KWIC_COLUMNS
    t = c.tokens()
    assert len(t) == 0 and t.vocabulary.empty and t.counts().empty
    f = t.to_frame()
    assert f.empty and list(f.columns) == TOKEN_COLUMNS
    assert c.turns.empty and list(c.turns.columns) == TURN_COLUMNS
    assert c.documents.empty and list(c.documents.columns) == ["doc_id", "n_chars", "n_turns", "line_ends"]
    s = c.sentences()
    assert s.empty and list(s.columns) == SENTENCE_COLUMNS
    assert repr(c) == "<qualcore.Corpus: 0 documents, 0 turns, attributes []>"
    assert c.filter(speakers=[]).kwic("x").empty


def test_empty_and_blank_documents():
    c = qc.Corpus.from_texts(["", "   \n\t ", "trust"], doc_ids=["e", "w", "t"])
    k = c.kwic("trust")
    assert k["doc_id"].tolist() == ["t"] and list(k.columns) == KWIC_COLUMNS
    assert c.kwic("nothing").empty
    t = c.tokens()
    assert t.n_tokens.to_dict() == {"e": 0, "w": 0, "t": 1}
    assert t.to_frame()["doc_id"].astype(str).tolist() == ["t"]
    assert c.sentences()["text"].tolist() == ["trust"]
    assert c.documents["n_chars"].tolist() == [0, 6, 5]
    assert c.turns.empty
    assert c["w"].text == "   \n\t "


def test_blank_transcript_file(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"\n\n  \n")
    (tmp_path / "label.txt").write_bytes(b"Dan:\n")
    c = qc.read_transcripts(tmp_path)
    assert c.doc_ids == ["blank", "empty", "label"]
    assert c.turns[["doc_id", "speaker", "text"]].values.tolist() == [["label", "Dan", ""]]
    assert c.kwic("dan").empty
    assert c.tokens().n_tokens.tolist() == [0, 0, 0]
    assert c.sentences().empty


# --------------------------------------------------------------------------- threads


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_bad_threads(corpus, tmp_path, threads):
    with pytest.raises(ValueError, match="threads"):
        corpus.kwic("trust", threads=threads)
    with pytest.raises(ValueError, match="threads"):
        corpus.tokens(threads=threads)
    with pytest.raises(ValueError, match="threads"):
        corpus.tokens().to_frame(threads=threads)
    with pytest.raises(ValueError, match="threads"):
        corpus.sentences(threads=threads)
    (tmp_path / "a.txt").write_text("Dan: hi\n")
    with pytest.raises(ValueError, match="threads"):
        qc.read_transcripts(tmp_path, threads=threads)


@pytest.mark.parametrize("value", ["0", "abc", "-2"])
def test_bad_threads_environment(corpus, monkeypatch, value):
    monkeypatch.setenv(qc.THREADS_ENV, value)
    with pytest.raises(ValueError, match="QUALCORE_THREADS|threads"):
        corpus.kwic("trust")


def test_threads_environment_is_used(corpus, monkeypatch):
    monkeypatch.setenv(qc.THREADS_ENV, "1")
    one = corpus.kwic("trust")
    monkeypatch.setenv(qc.THREADS_ENV, "2")
    pd.testing.assert_frame_equal(one, corpus.kwic("trust"))
    assert corpus.kwic("trust", threads=2).shape == one.shape


def test_errors_are_exceptions_with_problems():
    for cls in (ArgumentError, PatternError, DuplicateIdError, CorpusError, TranscriptDecodeError):
        assert issubclass(cls, ValueError) and issubclass(cls, QualcoreError)
    assert issubclass(UnknownDocumentError, KeyError)
    assert issubclass(TranscriptError, OSError)
    e = PatternError("bad", ["one", "two"])
    assert e.problems == ["one", "two"] and str(e) == "bad"
