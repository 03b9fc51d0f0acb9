"""Keyword in context: golden results worked out by hand on a small transcript, and properties."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualcore as qc

KWIC_COLUMNS = ["doc_id", "turn", "speaker", "pattern", "start", "end", "token_start", "token_end",
                "pre", "match", "post"]

# Token positions of A1 (worked out by hand; offsets are code points):
#   header (no turn):  0 pilot 0-5 | 1 interview 6-15 | 2 , 15-16 | 3 role 17-21 | 4 play 22-26
#   turn 0 (Dan):      5 Do 33-35 | 6 you 36-39 | 7 trust 40-45 | 8 the 46-49 | 9 evidence 50-58
#                      10 base 59-63 | 11 ? 63-64
#   turn 1 (A1):       12 Trust 70-75 | 13 ? 75-76 | 14 Evidence 77-85 | 15 base 86-90 | 16 . 90-91
#                      17 I 92-93 | 18 trusted 94-101 | 19 my 102-104 | 20 role 105-109 | 21 . 109-110
A1 = "pilot interview, role play\n\nDan: Do you trust the evidence base?\n\nA1: Trust? Evidence base. I trusted my role.\n"
# B1: turn 0 (Dan): 0 Trust 5-10 | 1 me 11-13 | 2 . 13-14 ; turn 1 (B1): 3 No 20-22 | 4 trust 23-28 | 5 here 29-33 | 6 . 33-34
B1 = "Dan: Trust me.\n\nB1: No trust here.\n"


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "A1.txt").write_text(A1, encoding="utf-8")
    (tmp_path / "B1.txt").write_text(B1, encoding="utf-8")
    c = qc.read_transcripts(tmp_path, interviewer=["Dan"])
    return c.with_attributes(pd.DataFrame({"doc_id": ["A1", "B1"], "group": ["front-line", "leader"]}))


@pytest.fixture
def a1(corpus):
    return corpus.filter(group="front-line")


def rows(k, cols=("pre", "match", "post")):
    return k[list(cols)].values.tolist()


def test_hand_offsets_are_right():
    # the comments above, checked against the text itself
    assert A1[40:45] == "trust" and A1[70:75] == "Trust" and A1[105:109] == "role" and A1[17:21] == "role"
    assert B1[23:28] == "trust"


def test_columns_and_basic_hits(corpus):
    k = corpus.kwic("trust", window=2)
    assert isinstance(k, qc.KwicFrame)
    assert list(k.columns) == KWIC_COLUMNS + ["group"]
    assert k["doc_id"].tolist() == ["A1", "A1", "B1", "B1"]
    assert k["turn"].tolist() == [0, 1, 0, 1]
    assert k["speaker"].tolist() == ["Dan", "A1", "Dan", "B1"]
    assert k["pattern"].tolist() == ["trust"] * 4
    assert k["start"].tolist() == [40, 70, 5, 23]
    assert k["end"].tolist() == [45, 75, 10, 28]
    assert k["token_start"].tolist() == [7, 12, 0, 4]
    assert k["token_end"].tolist() == [8, 13, 1, 5]
    assert rows(k) == [
        ["Do you", "trust", "the evidence"],
        ["", "Trust", "? Evidence"],  # a turn starts with the match: no left context
        ["", "Trust", "me."],
        ["No", "trust", "here."],
    ]
    assert k["group"].tolist() == ["front-line", "front-line", "leader", "leader"]
    assert str(k["turn"].dtype) == "Int64"


def test_window_counts_punctuation_tokens(a1):
    k = a1.kwic("evidence base", window=1)
    assert rows(k) == [["the", "evidence base", "?"], ["?", "Evidence base", "."]]
    assert k["start"].tolist() == [50, 77] and k["end"].tolist() == [63, 90]
    assert k["token_start"].tolist() == [9, 14] and k["token_end"].tolist() == [11, 16]
    k0 = a1.kwic("evidence base", window=0)
    assert rows(k0) == [["", "evidence base", ""], ["", "Evidence base", ""]]
    k5 = a1.kwic("role", window=5)
    assert rows(k5) == [["pilot interview,", "role", "play"], ["base. I trusted my", "role", "."]]


def test_within_document_crosses_turns(a1):
    k = a1.kwic("trust", window=2, within="document")
    assert rows(k) == [["Do you", "trust", "the evidence"], ["base?", "Trust", "? Evidence"]]
    k = a1.kwic("base", window=2, within="document")
    assert rows(k) == [["the evidence", "base", "?\n\nA1: Trust"], ["? Evidence", "base", ". I"]]  # the label is in the slice
    k = a1.kwic("base", window=2)
    assert rows(k) == [["the evidence", "base", "?"], ["? Evidence", "base", ". I"]]


def test_phrases_do_not_cross_turns_unless_within_document(a1):
    assert a1.kwic("play do").empty
    k = a1.kwic("play do", within="document", window=1)
    assert k["match"].tolist() == ["play\n\nDan: Do"]  # the label lies between the two tokens
    assert k["start"].tolist() == [22] and k["end"].tolist() == [35]
    assert pd.isna(k["turn"].iloc[0]) and pd.isna(k["speaker"].iloc[0])
    assert rows(k) == [["role", "play\n\nDan: Do", "you"]]
    assert a1.kwic("? trust", valuetype="fixed").empty
    k = a1.kwic("? trust", valuetype="fixed", within="document")
    assert k[["turn", "start", "end", "match"]].values.tolist() == [[0, 63, 75, "?\n\nA1: Trust"]]


def test_text_outside_turns_has_no_turn(a1):
    k = a1.kwic("role")
    assert k["start"].tolist() == [17, 105]
    assert pd.isna(k["turn"].iloc[0]) and pd.isna(k["speaker"].iloc[0])
    assert k["turn"].iloc[1] == 1 and k["speaker"].iloc[1] == "A1"


def test_speaker_filter(a1, corpus):
    k = a1.kwic("trust*", speakers=["A1"])
    assert k["match"].tolist() == ["Trust", "trusted"]
    assert k["speaker"].tolist() == ["A1", "A1"]
    assert k["start"].tolist() == [70, 94]
    assert a1.kwic("trust*", speakers="Dan")["match"].tolist() == ["trust"]
    assert corpus.kwic("trust", speakers=["B1"])[["doc_id", "match"]].values.tolist() == [["B1", "trust"]]
    # the header has no speaker: a speaker filter leaves it out
    assert a1.kwic("role", speakers=["A1", "Dan"])["start"].tolist() == [105]


def test_speaker_filter_keeps_token_positions(a1):
    # Token positions are per document over all its tokens: filtering speakers selects rows,
    # it does not renumber the tokens of the rows it keeps.
    full = a1.kwic("trust*", window=2)
    only = a1.kwic("trust*", window=2, speakers=["A1"])
    expected = full[full["speaker"] == "A1"].reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.DataFrame(only), pd.DataFrame(expected))
    assert only["token_start"].tolist() == [12, 18]


def test_globs(a1):
    k = a1.kwic("trust*", window=0)
    assert k["match"].tolist() == ["trust", "Trust", "trusted"]
    assert k["token_start"].tolist() == [7, 12, 18]
    k = a1.kwic("?ole", window=0)
    assert k["match"].tolist() == ["role", "role"]
    assert a1.kwic("?rust").shape[0] == 2  # "trust", "Trust"; not "trusted"
    assert a1.kwic("*ust*")["match"].tolist() == ["trust", "Trust", "trusted"]
    assert a1.kwic("rust*").empty  # anchored at the start of the token
    # "?" alone: any one-character token, punctuation included
    assert a1.kwic("?")["match"].tolist() == [",", "?", "?", ".", "I", "."]
    assert a1.kwic("evid* ba?e")["match"].tolist() == ["evidence base", "Evidence base"]


def test_regex(a1):
    assert a1.kwic("trust(ed)?", valuetype="regex")["token_start"].tolist() == [7, 12, 18]
    assert a1.kwic("rust", valuetype="regex").empty  # anchored to the whole token
    assert a1.kwic("evid.*", valuetype="regex")["match"].tolist() == ["evidence", "Evidence"]
    assert a1.kwic("[A-Z].*", valuetype="regex", case_insensitive=False)["match"].tolist() == [
        "Do", "Trust", "Evidence", "I"
    ]
    assert a1.kwic("t.* e.*", valuetype="regex")["match"].tolist() == ["the evidence"]


def test_fixed(a1):
    assert a1.kwic("?", valuetype="fixed")["start"].tolist() == [63, 75]
    assert a1.kwic("trust*", valuetype="fixed").empty  # "trust" then "*": no such phrase
    assert a1.kwic("base?", valuetype="fixed")["match"].tolist() == ["base?"]  # two tokens
    assert a1.kwic("Evidence base.", valuetype="fixed")["match"].tolist() == ["Evidence base."]


def test_case_sensitivity(a1):
    assert a1.kwic("TRUST")["match"].tolist() == ["trust", "Trust"]
    assert a1.kwic("Trust", case_insensitive=False)["match"].tolist() == ["Trust"]
    assert a1.kwic("trust", case_insensitive=False)["match"].tolist() == ["trust"]
    assert a1.kwic("TRUST*", case_insensitive=False).empty
    assert a1.kwic("T*", case_insensitive=False)["match"].tolist() == ["Trust"]


def test_case_insensitive_greek_final_sigma():
    # Case-insensitive matching must not depend on the pattern type: "ΟΔΟΣ" (capitals) is
    # the word "οδος", found by the glob "οδο?" and so by the plain word too.
    c = qc.Corpus.from_texts(["ΟΔΟΣ και οδος"])
    assert c.kwic("οδο?")["match"].tolist() == ["ΟΔΟΣ", "οδος"]
    assert c.kwic("οδος")["match"].tolist() == ["ΟΔΟΣ", "οδος"]
    assert c.kwic("ΟΔΟΣ")["match"].tolist() == ["ΟΔΟΣ", "οδος"]


def test_dict_of_labels_and_order(a1):
    k = a1.kwic({"trust": ["trust*"], "ev": "evidence base", "ev1": "evidence"}, window=0)
    assert k["pattern"].tolist() == ["trust", "ev", "ev1", "trust", "ev", "ev1", "trust"]
    assert k["token_start"].tolist() == [7, 9, 9, 12, 14, 14, 18]
    assert k["match"].tolist() == ["trust", "evidence base", "evidence", "Trust", "Evidence base", "Evidence", "trusted"]
    # at one position, patterns come in the order given
    k = a1.kwic({"b": "evidence", "a": "evidence base"})
    assert k["pattern"].tolist() == ["b", "a", "b", "a"]
    # a list: the pattern itself is the label
    k = a1.kwic(["role", "trust"])
    assert k["pattern"].tolist() == ["role", "trust", "trust", "role"]
    # two labels sharing a pattern each get their row
    k = a1.kwic({"x": "role", "y": ["ro?e"]})
    assert k["pattern"].tolist() == ["x", "y", "x", "y"]


def test_order_documents_positions_patterns(corpus):
    k = corpus.kwic(["me", "trust", "t*"])
    assert k[["doc_id", "token_start", "pattern"]].values.tolist() == [
        ["A1", 7, "trust"], ["A1", 7, "t*"], ["A1", 8, "t*"], ["A1", 12, "trust"], ["A1", 12, "t*"],
        ["A1", 18, "t*"],
        ["B1", 0, "trust"], ["B1", 0, "t*"], ["B1", 1, "me"], ["B1", 4, "trust"], ["B1", 4, "t*"],
    ]


def test_sort_context(corpus):
    k = corpus.kwic("trust", window=2)
    # L1: "you", "", "", "no"; R1: "the", "?", "me", "here"
    assert k.sort_context("L1").index.tolist() == [1, 2, 3, 0]
    assert k.sort_context("R1").index.tolist() == [1, 3, 2, 0]
    assert k.sort_context("L2").index.tolist() == [1, 2, 3, 0]  # "do", "", "", ""
    assert isinstance(k.sort_context("R1"), qc.KwicFrame)
    k2 = corpus.filter(group="front-line").kwic(["trust*", "?ole"], window=1)
    # matches: role, trust, Trust, trusted, role -> by keyword (lower-cased), ties keep order
    assert k2.sort_context("KW").index.tolist() == [0, 4, 1, 2, 3]
    assert k2.sort_context("KW", "R1").index.tolist() == [4, 0, 2, 1, 3]  # role: ".", "play"; trust: "?" , "the"
    with pytest.raises(ValueError):
        k.sort_context("X1")
    with pytest.raises(ValueError):
        k.sort_context()


def test_repr_html(corpus):
    c = qc.Corpus.from_texts(["a <b>bold</b> & trust x"])
    html = c.kwic("trust", window=20)._repr_html_()
    assert "<mark><b>trust</b></mark>" in html
    assert "a &lt;b&gt;bold&lt;/b&gt; &amp;" in html and "<b>bold" not in html
    assert "<mark>" in corpus.kwic("trust")._repr_html_()
    assert "0 KWIC lines" in corpus.kwic("absent")._repr_html_()


def test_kwic_frame_stays_a_kwic_frame(corpus):
    k = corpus.kwic("trust")
    assert isinstance(k[k["doc_id"] == "A1"], qc.KwicFrame)
    assert isinstance(k.head(1), qc.KwicFrame)


# --------------------------------------------------------------------------- properties


def _check_hits(c: qc.Corpus, k: pd.DataFrame, window: int, within: str) -> None:
    texts = dict(zip(c.doc_ids, c.texts))
    tf = c.tokens().to_frame()
    turns = c.turns.set_index(["doc_id", "turn"])
    by_doc = {d: g.sort_values("position") for d, g in tf.groupby("doc_id", sort=False, observed=True)}
    for r in k.itertuples():
        text = texts[r.doc_id]
        assert text[r.start:r.end] == r.match
        g = by_doc[r.doc_id]
        starts, ends = g["start"].tolist(), g["end"].tolist()
        turn_of = g["turn"].tolist()
        assert starts[r.token_start] == r.start and ends[r.token_end - 1] == r.end
        assert g["norm"].astype(str).iloc[r.token_start] == "trust"
        if within == "turn":
            same = [i for i, t in enumerate(turn_of) if (pd.isna(t) and pd.isna(r.turn)) or t == r.turn]
            lo, hi = same[0], same[-1] + 1
        else:
            lo, hi = 0, len(starts)
        first = max(lo, r.token_start - window)
        last = min(hi, r.token_end + window)
        assert r.pre == (text[starts[first]:ends[r.token_start - 1]] if first < r.token_start else "")
        assert r.post == (text[starts[r.token_end]:ends[last - 1]] if last > r.token_end else "")
        assert text[:r.start].endswith(r.pre + text[ends[r.token_start - 1]:r.start] if r.pre else "")
        if not pd.isna(r.turn):
            tr = turns.loc[(r.doc_id, r.turn)]
            assert r.speaker == tr["speaker"]
            assert tr["start"] <= r.start and r.end <= tr["end"]
    n_trust = int((tf["norm"].astype(str) == "trust").sum())
    assert len(k) == n_trust


turn_text = st.tuples(st.text(max_size=25), st.booleans(), st.text(max_size=25)).map(
    lambda t: t[0] + (" trust " if t[1] else " ") + t[2]
)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), turn_text), min_size=1, max_size=8),
    st.integers(0, 4),
    st.sampled_from(["turn", "document"]),
)
def test_property_kwic_slices(turn_rows, window, within):
    df = pd.DataFrame(
        {
            "doc_id": [f"d{d}" for d, _ in turn_rows],
            "speaker": [f"S{i % 2}" for i in range(len(turn_rows))],
            "text": [t for _, t in turn_rows],
        }
    )
    c = qc.Corpus.from_frame(df, speaker="speaker")
    k1 = c.kwic("trust", window=window, within=within, threads=1)
    k2 = c.kwic("trust", window=window, within=within, threads=2)
    pd.testing.assert_frame_equal(k1, k2)
    inserted = sum(" trust " in t for _, t in turn_rows)
    assert len(k1) >= inserted
    _check_hits(c, k1, window, within)


@settings(max_examples=120, deadline=None)
@given(st.lists(turn_text, min_size=1, max_size=5), st.integers(0, 3))
def test_property_kwic_slices_whole_documents(texts, window):
    c = qc.Corpus.from_texts(texts)
    k1 = c.kwic(["trust", "trust*"], window=window, threads=1)
    k2 = c.kwic(["trust", "trust*"], window=window, threads=2)
    pd.testing.assert_frame_equal(k1, k2)
    exact = k1[k1["pattern"] == "trust"]
    _check_hits(c, exact, window, "turn")
    for r in k1.itertuples():
        assert c[r.doc_id].text[r.start:r.end] == r.match
