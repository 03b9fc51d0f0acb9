"""Corpus construction, transcripts, attributes, filtering, access and pickling.

Expected values are worked out by hand from the small inputs written in each test.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import qualcore as qc
from qualcore.errors import CorpusError, DuplicateIdError, UnknownDocumentError

TURN_COLUMNS = [
    "doc_id", "turn", "speaker", "start", "end", "text", "interviewer",
    "time_start", "time_end", "label_start", "label_end",
]


# --------------------------------------------------------------------------- from_texts


def test_from_texts_default_ids_and_texts():
    c = qc.Corpus.from_texts(["one", "two", "three"])
    assert c.doc_ids == ["doc1", "doc2", "doc3"]
    assert c.texts == ["one", "two", "three"]
    assert len(c) == 3
    assert c.speakers == []
    assert c.turns.empty
    assert list(c.attributes.columns) == []


def test_from_texts_explicit_ids_are_strings():
    c = qc.Corpus.from_texts(["a", "b"], doc_ids=[10, 20])
    assert c.doc_ids == ["10", "20"]
    assert c["10"].text == "a"


def test_from_texts_series_uses_its_index():
    s = pd.Series(["I trust it.", "No."], index=["A1", "B1"])
    c = qc.Corpus.from_texts(s)
    assert c.doc_ids == ["A1", "B1"]
    assert c.texts == ["I trust it.", "No."]
    # a Series with a RangeIndex gets the default ids
    c2 = qc.Corpus.from_texts(pd.Series(["x", "y"]))
    assert c2.doc_ids == ["doc1", "doc2"]
    # explicit ids win over the index
    c3 = qc.Corpus.from_texts(s, doc_ids=["p", "q"])
    assert c3.doc_ids == ["p", "q"]


def test_from_texts_attributes_mapping_and_frame():
    c = qc.Corpus.from_texts(
        ["a", "b", "c"], doc_ids=["A1", "A2", "B1"],
        attributes={"group": ["front-line", "front-line", "leader"], "years": [3, 5, 20]},
    )
    att = c.attributes
    assert att.index.name == "doc_id"
    assert att.index.tolist() == ["A1", "A2", "B1"]
    assert att["group"].tolist() == ["front-line", "front-line", "leader"]
    assert att["years"].tolist() == [3, 5, 20]
    # a frame with any index is taken in order
    frame = pd.DataFrame({"group": ["x", "y", "z"]}, index=[7, 8, 9])
    c2 = qc.Corpus.from_texts(["a", "b", "c"], attributes=frame)
    assert c2.attributes["group"].tolist() == ["x", "y", "z"]
    assert c2.attributes.index.tolist() == ["doc1", "doc2", "doc3"]


def test_from_texts_rejects_a_single_string_and_length_mismatch():
    with pytest.raises(ValueError, match="single str"):
        qc.Corpus.from_texts("just one text")
    with pytest.raises(ValueError, match="doc_ids"):
        qc.Corpus.from_texts(["a", "b"], doc_ids=["x"])
    with pytest.raises(ValueError, match="attributes"):
        qc.Corpus.from_texts(["a", "b"], attributes={"g": [1]})


# --------------------------------------------------------------------------- from_frame


def test_from_frame_rows_are_documents():
    df = pd.DataFrame(
        {"id": ["A1", "B1"], "body": ["I trust it.", "No trust."], "group": ["fl", "sl"], "age": [30, 40]},
        index=[5, 3],
    )
    c = qc.Corpus.from_frame(df, text="body", doc_id="id")
    assert c.doc_ids == ["A1", "B1"]
    assert c.texts == ["I trust it.", "No trust."]
    assert list(c.attributes.columns) == ["group", "age"]
    assert c.attributes.loc["B1", "group"] == "sl"
    assert c.turns.empty
    c2 = qc.Corpus.from_frame(df, text="body", doc_id="id", attributes=["age"])
    assert list(c2.attributes.columns) == ["age"]
    assert c2.attributes["age"].tolist() == [30, 40]


def test_from_frame_rows_are_turns():
    # Documents interleaved in the frame; a non-default index; an emoji (astral code point).
    df = pd.DataFrame(
        {
            "doc_id": ["A1", "B1", "A1", "B1", "A1"],
            "speaker": ["Dan", "Dan", "A1", "B1", "A1"],
            "text": ["Do you 👍🏽 trust it?", "Hi.", "Not really, né.", "Yes.", "Why?"],
            "t0": [0.0, 1.0, 2.5, 3.0, np.nan],
            "t1": [1.0, 2.0, 3.5, 4.0, np.nan],
            "group": ["front-line", "leader", "front-line", "leader", "front-line"],
        },
        index=[40, 30, 20, 10, 0],
    )
    c = qc.Corpus.from_frame(df, speaker="speaker", time_start="t0", time_end="t1",
                             attributes=["group"], interviewer=["Dan"])
    assert c.doc_ids == ["A1", "B1"]  # order of first appearance
    assert c["A1"].text == "Do you 👍🏽 trust it?\n\nNot really, né.\n\nWhy?"
    assert c["B1"].text == "Hi.\n\nYes."
    t = c.turns
    assert list(t.columns) == TURN_COLUMNS + ["group"]
    assert t["doc_id"].tolist() == ["A1", "A1", "A1", "B1", "B1"]
    assert t["turn"].tolist() == [0, 1, 2, 0, 1]
    assert t["speaker"].tolist() == ["Dan", "A1", "A1", "Dan", "B1"]
    # hand-computed code-point offsets: "Do you 👍🏽 trust it?" is 19 code points
    # (the thumbs-up and its skin tone are two code points)
    assert t["start"].tolist() == [0, 21, 38, 0, 5]
    assert t["end"].tolist() == [19, 36, 42, 3, 9]
    assert t["text"].tolist() == ["Do you 👍🏽 trust it?", "Not really, né.", "Why?", "Hi.", "Yes."]
    texts = dict(zip(c.doc_ids, c.texts))
    for row in t.itertuples():
        assert texts[row.doc_id][row.start:row.end] == row.text
    assert t["interviewer"].tolist() == [True, False, False, True, False]
    assert t["time_start"].tolist()[:2] == [0.0, 2.5]
    assert np.isnan(t["time_start"].iloc[2]) and np.isnan(t["time_end"].iloc[2])
    assert t["time_end"].tolist()[3:] == [2.0, 4.0]
    assert (t["label_start"] == -1).all() and (t["label_end"] == -1).all()
    assert t["group"].tolist() == ["front-line"] * 3 + ["leader"] * 2
    assert c.attributes["group"].to_dict() == {"A1": "front-line", "B1": "leader"}
    assert c.interviewers == frozenset({"Dan"})
    assert c.speakers == ["Dan", "A1", "B1"]


def test_from_frame_custom_separator_and_missing_speaker():
    df = pd.DataFrame({"doc_id": ["d", "d"], "speaker": [None, "B"], "text": ["ab", "cde"]})
    c = qc.Corpus.from_frame(df, speaker="speaker", separator=" | ")
    assert c["d"].text == "ab | cde"
    t = c.turns
    assert t["start"].tolist() == [0, 5]
    assert t["end"].tolist() == [2, 8]
    assert pd.isna(t["speaker"].iloc[0])
    assert t["speaker"].iloc[1] == "B"


def test_from_frame_attribute_varying_within_a_document_is_an_error():
    df = pd.DataFrame({"doc_id": ["A1", "A1", "B1"], "speaker": ["Dan", "A1", "Dan"],
                       "text": ["q", "a", "q"], "group": ["x", "y", "z"], "site": [1, 1, 2]})
    with pytest.raises(CorpusError) as ei:
        qc.Corpus.from_frame(df, speaker="speaker", attributes=["group", "site"])
    msg = str(ei.value)
    assert "A1" in msg and "group" in msg
    assert "B1" not in msg and "site" not in msg
    assert isinstance(ei.value, ValueError)


def test_from_frame_unknown_columns():
    df = pd.DataFrame({"doc_id": ["a"], "text": ["x"]})
    with pytest.raises(ValueError, match="speaker"):
        qc.Corpus.from_frame(df, speaker="who")
    with pytest.raises(ValueError, match="attributes"):
        qc.Corpus.from_frame(df, attributes=["nope"])


# --------------------------------------------------------------------------- read_transcripts

A_TXT = (
    "Pilot interview, site 3\n"
    "(recorded 2024)\n"
    "\n"
    "Dan: Hello there.\n"
    "\n"
    "Interviewer 1: Second question?\n"
    "still the interviewer\n"
    "\n"
    "B3: Answer one.\n"
    "\n"
    "So the answer is: no.\n"
    "Siân: Welsh name here.\n"
    "李: 你好。\n"
    "Ólafur:\n"
    "Dan: Last one.\n"
)
A_TURNS = [
    ("Dan", "Dan:", "Hello there."),
    ("Interviewer 1", "Interviewer 1:", "Second question?\nstill the interviewer"),
    ("B3", "B3:", "Answer one.\n\nSo the answer is: no."),
    ("Siân", "Siân:", "Welsh name here."),
    ("李", "李:", "你好。"),
    ("Ólafur", "Ólafur:", ""),
    ("Dan", "Dan:", "Last one."),
]
B_BYTES = b"Dan: crlf one.\r\nstill Dan.\r\n\r\nA1: two\r\n"
C_BYTES = b"\xef\xbb\xbfDan: bom text\n"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "a.txt").write_bytes(A_TXT.encode("utf-8"))
    (tmp_path / "b.txt").write_bytes(B_BYTES)
    (tmp_path / "c.txt").write_bytes(C_BYTES)
    (tmp_path / "notes.md").write_bytes(b"Dan: not a transcript\n")
    return tmp_path


def test_read_transcripts_folder(folder):
    c = qc.read_transcripts(folder, interviewer=["Dan", "Interviewer 1"])
    assert c.doc_ids == ["a", "b", "c"]  # sorted by name, .md left out, id = stem
    assert c["a"].text == A_TXT
    assert c["b"].text == B_BYTES.decode("utf-8").replace("\r\n", "\n")  # CRLF made LF, and recorded:
    assert c["c"].text == "Dan: bom text\n"  # BOM dropped
    t = c.turns
    assert list(t.columns) == TURN_COLUMNS
    texts = dict(zip(c.doc_ids, c.texts))
    for row in t.itertuples():
        doc = texts[row.doc_id]
        assert doc[row.start:row.end] == row.text
        assert doc[row.label_start:row.label_end] == row.speaker + ":"
    a = t[t["doc_id"] == "a"]
    assert a["turn"].tolist() == list(range(7))
    assert a["speaker"].tolist() == [s for s, _, _ in A_TURNS]
    assert a["text"].tolist() == [x for _, _, x in A_TURNS]
    assert [A_TXT[s:e] for s, e in zip(a["label_start"], a["label_end"])] == [lab for _, lab, _ in A_TURNS]
    assert a["interviewer"].tolist() == [True, True, False, False, False, False, True]
    assert a["time_start"].isna().all() and a["time_end"].isna().all()
    # the label with no text: an empty turn right after its label
    olafur = a[a["speaker"] == "Ólafur"].iloc[0]
    assert olafur["start"] == olafur["end"]
    assert A_TXT[olafur["label_start"]:olafur["label_end"]] == "Ólafur:"
    assert c.documents["line_ends"].tolist() == ["LF", "CRLF", "LF"]
    # hand-computed offsets in the normalised text "Dan: crlf one.\nstill Dan.\n\nA1: two\n":
    # "Dan:" 0..4, content "crlf one.\nstill Dan." 5..25, "\n\n", "A1:" 27..30, "two" 31..34
    b = t[t["doc_id"] == "b"]
    assert b["speaker"].tolist() == ["Dan", "A1"]
    assert b["start"].tolist() == [5, 31]
    assert b["end"].tolist() == [25, 34]
    assert b["label_start"].tolist() == [0, 27]
    assert b["label_end"].tolist() == [4, 30]
    assert b["text"].tolist() == ["crlf one.\nstill Dan.", "two"]
    # ... and the same offsets in the file: "Dan:" 0..4, content 5..26, "A1:" 30..33, "two" 34..37
    assert c.original_offsets("b", b["start"]).tolist() == [5, 34]
    assert c.original_offsets("b", b["end"]).tolist() == [26, 37]
    assert c.original_offsets("b", b["label_start"]).tolist() == [0, 30]
    assert B_BYTES.decode()[34:37] == "two" and B_BYTES.decode()[5:26] == "crlf one.\r\nstill Dan."
    assert c.original_offsets("a", [3, 7]).tolist() == [3, 7]
    # BOM file: offsets count from after the BOM
    cc = t[t["doc_id"] == "c"]
    assert cc[["start", "end", "label_start", "label_end"]].values.tolist() == [[5, 13, 0, 4]]
    assert c.speakers == ["Dan", "Interviewer 1", "B3", "Siân", "李", "Ólafur", "A1"]
    assert c.documents["n_turns"].tolist() == [7, 2, 1]


def test_header_before_first_label_is_a_unit_without_speaker(folder):
    c = qc.read_transcripts(folder / "a.txt")
    tf = c.tokens().to_frame()
    header = tf[tf["turn"].isna()]
    assert header["token"].astype(str).tolist() == [
        "Pilot", "interview", ",", "site", "3", "(", "recorded", "2024", ")"
    ]
    assert header["speaker"].isna().all()
    # labels are not tokens: "Dan" occurs only as a label in a.txt
    assert "Dan" not in set(tf["token"].astype(str))
    k = c.kwic("pilot")
    assert len(k) == 1 and pd.isna(k["turn"].iloc[0]) and pd.isna(k["speaker"].iloc[0])
    s = c.sentences()
    # a line feed ends a UAX #29 sentence
    assert s["text"].tolist()[:3] == ["Pilot interview, site 3", "(recorded 2024)", "Hello there."]
    assert s["turn"].isna().tolist()[:3] == [True, True, False]


def test_read_transcripts_glob_list_and_pattern(folder):
    c = qc.read_transcripts(str(folder / "*.txt"))
    assert c.doc_ids == ["a", "b", "c"]
    c2 = qc.read_transcripts([folder / "c.txt", str(folder / "a.txt")])
    assert c2.doc_ids == ["c", "a"]  # list order kept
    assert c2["a"].text == A_TXT
    c3 = qc.read_transcripts(folder, pattern="*.md")
    assert c3.doc_ids == ["notes"]
    assert c3.turns["text"].tolist() == ["not a transcript"]
    c4 = qc.read_transcripts(folder / "b.txt")
    assert c4.doc_ids == ["b"]


def test_read_transcripts_speaker_map_and_label_pattern(folder):
    c = qc.read_transcripts(folder / "a.txt", speaker_map={"Interviewer 1": "Dan"}, interviewer=["Interviewer 1"])
    assert c.speakers == ["Dan", "B3", "Siân", "李", "Ólafur"]
    assert c.interviewers == frozenset({"Dan"})
    assert c.turns["speaker"].tolist()[:3] == ["Dan", "Dan", "B3"]
    # a custom label pattern: only "[NAME]" labels
    p = folder / "brackets.txt"
    p.write_text("[IV] Hello?\n[P] Hi: yes.\nmore\n", encoding="utf-8")
    c2 = qc.read_transcripts(p, label_pattern=r"^\[(?P<speaker>[A-Z]+)\]\s*")
    t = c2.turns
    assert t["speaker"].tolist() == ["IV", "P"]
    assert t["text"].tolist() == ["Hello?", "Hi: yes.\nmore"]


def test_read_transcripts_duplicate_stems(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "P1.txt").write_text("Dan: a\n")
    (tmp_path / "y" / "P1.txt").write_text("Dan: b\n")
    with pytest.raises(DuplicateIdError, match='"P1"'):
        qc.read_transcripts([tmp_path / "x", tmp_path / "y"])


# --------------------------------------------------------------------------- attributes


@pytest.fixture
def three():
    return qc.Corpus.from_texts(["I trust it.", "No trust.", "Maybe"], doc_ids=["A1", "A2", "B1"])


def test_with_attributes_join(three):
    att = pd.DataFrame({"doc_id": ["B1", "A1"], "group": ["leader", "front-line"], "years": [20, 3]})
    c = three.with_attributes(att)
    g = c.attributes["group"]
    assert g.index.tolist() == ["A1", "A2", "B1"]
    assert g.iloc[0] == "front-line" and pd.isna(g.iloc[1]) and g.iloc[2] == "leader"
    docs = c.documents
    assert list(docs.columns) == ["doc_id", "n_chars", "n_turns", "line_ends", "group", "years"]
    assert docs["doc_id"].tolist() == ["A1", "A2", "B1"]
    assert docs["n_chars"].tolist() == [11, 9, 5]
    assert docs["years"].iloc[0] == 3 and pd.isna(docs["years"].iloc[1]) and docs["years"].iloc[2] == 20
    assert c["B1"].attributes == {"group": "leader", "years": 20}
    # attributes are in every result that names a document
    assert "group" in c.kwic("trust").columns
    k = c.kwic("trust")
    assert k["doc_id"].tolist() == ["A1", "A2"]
    assert k["group"].iloc[0] == "front-line" and pd.isna(k["group"].iloc[1])
    # the index may carry the ids
    c2 = three.with_attributes(att.set_index("doc_id"))
    assert c2.attributes.loc["A1", "group"] == "front-line"
    # the original corpus is unchanged
    assert list(three.attributes.columns) == []


def test_with_attributes_duplicate_ids_listed(three):
    att = pd.DataFrame({"doc_id": ["A1", "A1", "B1", "B1", "A2"], "g": list("abcde")})
    with pytest.raises(CorpusError) as ei:
        three.with_attributes(att)
    assert "A1" in str(ei.value) and "B1" in str(ei.value) and "A2" not in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_with_attributes_unknown_ids(three):
    att = pd.DataFrame({"doc_id": ["A1", "Z9"], "g": ["x", "y"]})
    with pytest.raises(UnknownDocumentError, match="Z9"):
        three.with_attributes(att)
    with pytest.raises(KeyError):
        three.with_attributes(att, errors="raise")
    with pytest.warns(UserWarning, match="Z9"):
        c = three.with_attributes(att, errors="warn")
    assert c.attributes.loc["A1", "g"] == "x"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c2 = three.with_attributes(att, errors="ignore")
    assert c2.attributes["g"].iloc[0] == "x" and pd.isna(c2.attributes["g"].iloc[1])
    assert "Z9" not in c2.attributes.index
    with pytest.raises(ValueError, match="errors"):
        three.with_attributes(att, errors="skip")


@pytest.mark.parametrize("name", ["speaker", "text", "start", "turn", "match"])
def test_with_attributes_reserved_names(three, name):
    att = pd.DataFrame({"doc_id": ["A1"], name: ["x"]})
    with pytest.raises(CorpusError, match=name):
        three.with_attributes(att)


def test_with_attributes_already_set(three):
    c = three.with_attributes(pd.DataFrame({"doc_id": ["A1"], "g": ["x"]}))
    with pytest.raises(CorpusError, match="g"):
        c.with_attributes(pd.DataFrame({"doc_id": ["A2"], "g": ["y"]}))


# --------------------------------------------------------------------------- filter and speakers

TRANSCRIPTS = {
    "A1": "Dan: Do you trust it?\n\nA1: Not really.\n\nDan: Why?\n\nA1: Bias.\n",
    "A2": "Dan: Trust?\n\nA2: Yes, I trust it.\n",
    "B1": "Dan: And you?\n\nB1: Depends.\n\nObserver: (note)\n",
}


@pytest.fixture
def tc(tmp_path):
    for name, text in TRANSCRIPTS.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    c = qc.read_transcripts(tmp_path, interviewer=["Dan"])
    att = pd.DataFrame({"doc_id": ["A1", "A2", "B1"], "group": ["front-line", "front-line", "leader"],
                        "years": [3, 10, 20]})
    return c.with_attributes(att)


def test_filter_by_attribute(tc):
    assert tc.filter(group="leader").doc_ids == ["B1"]
    assert tc.filter(group=["leader", "nobody"]).doc_ids == ["B1"]
    assert tc.filter(group=("front-line",)).doc_ids == ["A1", "A2"]
    assert tc.filter(group="front-line", years=10).doc_ids == ["A2"]
    assert tc.filter(group="nobody").doc_ids == []
    f = tc.filter(group="leader")
    assert f.attributes.index.tolist() == ["B1"]
    assert f["B1"].attributes == {"group": "leader", "years": 20}
    assert f.turns["doc_id"].tolist() == ["B1", "B1", "B1"]


def test_filter_by_mask_callable_and_query(tc):
    assert tc.filter([True, False, True]).doc_ids == ["A1", "B1"]
    assert tc.filter(np.array([False, True, False])).doc_ids == ["A2"]
    assert tc.filter(lambda d: d["n_turns"] >= 3).doc_ids == ["A1", "B1"]
    assert tc.filter("years > 5 and group == 'front-line'").doc_ids == ["A2"]
    assert tc.filter(lambda d: d["years"] > 5, group="leader").doc_ids == ["B1"]
    with pytest.raises(ValueError, match="mask"):
        tc.filter([True, False])


def test_filter_speakers(tc):
    f = tc.filter(speakers=["A1", "A2"])
    assert f.speaker_restriction == ["A1", "A2"]
    assert f.doc_ids == ["A1", "A2", "B1"]  # documents stay; only turns are restricted
    assert f.turns["text"].tolist() == ["Not really.", "Bias.", "Yes, I trust it."]
    k = f.kwic("trust")
    assert k["speaker"].tolist() == ["A2"]
    # offsets stay those of the full text
    assert tc["A2"].text[k["start"].iloc[0]:k["end"].iloc[0]] == "trust"
    assert tc.filter(speakers="B1").turns["text"].tolist() == ["Depends."]


def test_filter_speakers_then_filter_again_narrows(tc):
    # Restrictions compose: restricting an already restricted corpus can only narrow it (as
    # kwic(speakers=...) on a restricted corpus does).
    p = tc.participants()
    assert set(p.speaker_restriction) == {"A1", "A2", "B1", "Observer"}
    assert p.filter(speakers=["Dan"]).kwic("trust").empty
    assert p.kwic("trust", speakers=["Dan"]).empty
    assert tc.filter(speakers=["A1"]).filter(speakers=["A1", "A2"]).speaker_restriction == ["A1"]


def test_participants(tc):
    p = tc.participants()
    assert p.speaker_restriction == ["A1", "A2", "B1", "Observer"]
    assert "Dan" not in set(p.turns["speaker"])
    assert p.kwic("trust")["speaker"].tolist() == ["A2"]
    assert tc.kwic("trust")["speaker"].tolist() == ["Dan", "Dan", "A2"]
    assert p.interviewers == frozenset({"Dan"})


def test_rename_speakers_merges(tc):
    r = tc.rename_speakers({"A1": "P", "A2": "P", "B1": "P"})
    assert r.speakers == ["Dan", "P", "Observer"]
    assert r.turns.groupby("speaker").size().to_dict() == {"Dan": 4, "Observer": 1, "P": 4}
    assert r.kwic("trust")["speaker"].tolist() == ["Dan", "Dan", "P"]
    # renaming the interviewer keeps them an interviewer
    r2 = tc.rename_speakers({"Dan": "Interviewer"})
    assert r2.interviewers == frozenset({"Interviewer"})
    assert r2.turns["interviewer"].sum() == 4
    # a restriction follows the rename
    r3 = tc.filter(speakers=["A1"]).rename_speakers({"A1": "P"})
    assert r3.speaker_restriction == ["P"]
    assert r3.turns["text"].tolist() == ["Not really.", "Bias."]


# --------------------------------------------------------------------------- access


def test_len_iter_contains_getitem(tc):
    assert len(tc) == 3
    docs = list(tc)
    assert [d.doc_id for d in docs] == ["A1", "A2", "B1"]
    assert [d.text for d in docs] == list(TRANSCRIPTS.values())
    assert docs[2].attributes == {"group": "leader", "years": 20}
    assert isinstance(docs[0], qc.Document)
    assert "A2" in tc and "Z" not in tc and 0 not in tc
    assert tc["A2"].text == TRANSCRIPTS["A2"]
    assert tc[0].doc_id == "A1"
    assert tc[-1].doc_id == "B1"
    assert tc[np.int64(1)].doc_id == "A2"
    with pytest.raises(KeyError):
        tc["Z"]
    with pytest.raises(UnknownDocumentError, match="Z"):
        tc["Z"]
    with pytest.raises(IndexError):
        tc[3]
    with pytest.raises(IndexError):
        tc[-4]
    with pytest.raises(TypeError):
        tc[1.5]


def test_documents_columns(tc):
    d = tc.documents
    assert list(d.columns) == ["doc_id", "n_chars", "n_turns", "line_ends", "group", "years"]
    assert d["doc_id"].tolist() == ["A1", "A2", "B1"]
    assert d["n_chars"].tolist() == [len(t) for t in TRANSCRIPTS.values()]
    assert d["n_turns"].tolist() == [4, 2, 3]
    plain = qc.Corpus.from_texts(["né", "abc", ""]).documents
    assert list(plain.columns) == ["doc_id", "n_chars", "n_turns", "line_ends"]
    assert plain["n_chars"].tolist() == [2, 3, 0]
    assert plain["n_turns"].tolist() == [0, 0, 0]


def test_repr(tc):
    assert repr(tc) == "<qualcore.Corpus: 3 documents, 9 turns, attributes ['group', 'years']>"


# --------------------------------------------------------------------------- pickling


def _same(a: qc.Corpus, b: qc.Corpus) -> None:
    assert a.doc_ids == b.doc_ids
    assert a.texts == b.texts
    pd.testing.assert_frame_equal(a.turns, b.turns)
    pd.testing.assert_frame_equal(a.attributes, b.attributes)
    assert a.speaker_restriction == b.speaker_restriction
    assert a.interviewers == b.interviewers
    assert a.speakers == b.speakers
    pd.testing.assert_frame_equal(a.kwic("trust*"), b.kwic("trust*"))


def test_pickle_round_trip(tc):
    _same(tc, pickle.loads(pickle.dumps(tc)))
    restricted = tc.filter(group="front-line").participants()
    back = pickle.loads(pickle.dumps(restricted))
    _same(restricted, back)
    assert back.doc_ids == ["A1", "A2"]
    assert back.speaker_restriction == ["A1", "A2"]
    assert back.turns["text"].tolist() == ["Not really.", "Bias.", "Yes, I trust it."]


def test_pickle_round_trip_from_frame_with_times():
    df = pd.DataFrame({"doc_id": ["d", "d"], "speaker": ["Dan", "P"], "text": ["Trust 👍🏽?", "né trust."],
                       "a": [1.5, 2.0], "b": [2.0, np.nan]})
    c = qc.Corpus.from_frame(df, speaker="speaker", time_start="a", time_end="b", interviewer=["Dan"])
    back = pickle.loads(pickle.dumps(c, protocol=pickle.HIGHEST_PROTOCOL))
    _same(c, back)
    assert back.turns["time_start"].tolist() == [1.5, 2.0]


def test_summary_by_group_counts_participants_turns_words_and_time():
    rows = pd.DataFrame({
        "doc_id": ["A1", "A1", "A1", "FG", "FG", "FG", "FG"],
        "speaker": ["Int", "A1", "A1", "Int", "Siân", "Ólafur", "Siân"],
        "text": ["Why?", "I trust it.", "Really.", "And you?", "No way.", "Yes!", "Maybe so"],
        "t0": [0.0, 2.0, 5.0, 0.0, 1.0, 3.0, 4.0],
        "t1": [2.0, 5.0, 6.0, 1.0, 3.0, 4.0, 8.0],
    })
    c = qc.Corpus.from_frame(rows, speaker="speaker", time_start="t0", time_end="t1", interviewer=["Int"])
    c = c.with_attributes(pd.DataFrame({"doc_id": ["A1", "FG"], "group": ["Front-line", "Leader"]}))
    s = c.summary()
    # A1: 1 participant, 2 turns, words I trust it Really = 4, time 3 + 1 = 4 s
    # FG: 2 participants (Siân, Ólafur), 3 turns, words No way Yes Maybe so = 5, time 2 + 1 + 4 = 7 s
    assert s.loc["Front-line"].tolist() == [1, 1, 2, 4, 4.0]
    assert s.loc["Leader"].tolist() == [1, 2, 3, 5, 7.0]
    assert s.loc["all"].tolist() == [2, 3, 5, 9, 11.0]
    assert list(s.columns) == ["documents", "participants", "turns", "words", "speaking_time_s"]
    assert qc.Corpus.from_texts(["a b", "c"]).summary(by=None).loc["all"].tolist()[:4] == [2, 2, 0, 3]
    with pytest.raises(ValueError, match="by: no attribute 'role'"):
        c.summary(by="role")
