"""Code x code co-occurrence (qc.cooccurrence, qc.cooccurrence_units): every unit worked out by
hand on small corpora, the measures from the counts, the output forms, argument errors, and a
brute-force reference (plain Python loops over codings and units) under hypothesis.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse as sp

import qualcore as qc
from qualcore.errors import ArgumentError

UNITS = ("overlap", "sentence", "turn", "document", "case")
MEASURES = ("count", "jaccard", "cosine", "lift", "pmi")


def coding_of(corpus: qc.Corpus, cb: qc.Codebook, spans: list[tuple[str, int, int, str]]) -> qc.Coding:
    df = pd.DataFrame(spans, columns=["doc_id", "start", "end", "code"])
    if not spans:
        df = df.astype({"start": np.int64, "end": np.int64})
    return qc.Coding.from_frame(corpus, cb, df, coder="X")


def cells(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Non-zero cells of a square frame, for compact expectations."""
    return {(a, b): frame.loc[a, b] for a in frame.index for b in frame.columns if frame.loc[a, b] != 0}


def full(labels: list[str], upper: dict[tuple[str, str], int]) -> list[list[int]]:
    """A symmetric matrix from its diagonal and upper cells."""
    m = [[0] * len(labels) for _ in labels]
    for (a, b), v in upper.items():
        i, j = labels.index(a), labels.index(b)
        m[i][j] = m[j][i] = v
    return m


# =========================================================================== 1. unit="overlap"

ALPHA = "abcdefghijklmnopqrstuvwxyz0123456789"  # 36 characters
FLAT = qc.Codebook.from_dict({"A": None, "B": None, "C": None, "D": None})
TWO = qc.Corpus.from_texts([ALPHA, ALPHA], doc_ids=["d1", "d2"])


def overlap(spans, cb=FLAT, corpus=TWO, **kw):
    return qc.cooccurrence(coding_of(corpus, cb, spans), unit="overlap", **kw)


def test_overlap_nested_spans():
    # A 0..10 contains B 2..5: 2 < 10 and 0 < 5 -> one intersecting pair.
    m = overlap([("d1", 0, 10, "A"), ("d1", 2, 5, "B")])
    assert list(m.index) == ["A", "B"] and list(m.columns) == ["A", "B"]
    assert m.values.tolist() == [[1, 1], [1, 1]]
    assert m.index.name == "code_a" and m.columns.name == "code_b"


def test_overlap_identical_spans():
    m = overlap([("d1", 3, 8, "B"), ("d1", 3, 8, "A")])
    assert m.values.tolist() == [[1, 1], [1, 1]]


@pytest.mark.parametrize("first,second", [("A", "B"), ("B", "A")])
def test_overlap_touching_spans_do_not_overlap(first, second):
    # first 0..5, second 5..9: end == start -> 5 < 5 is false -> no pair.
    m = overlap([("d1", 0, 5, first), ("d1", 5, 9, second)])
    assert m.values.tolist() == [[1, 0], [0, 1]]


def test_overlap_one_character_is_enough():
    # A 0..5 and B 4..9 share character 4.
    m = overlap([("d1", 0, 5, "A"), ("d1", 4, 9, "B")])
    assert m.loc["A", "B"] == 1


def test_overlap_zero_length_codings_overlap_nothing():
    # B at 4..4 sits inside A 0..10 but is empty; B 0..0 and 10..10 at A's edges; C 4..4 is
    # empty at the same place as B.  No pair at all; diagonal = number of codings: A 1, B 3, C 1.
    m = overlap([("d1", 0, 10, "A"), ("d1", 4, 4, "B"), ("d1", 0, 0, "B"), ("d1", 10, 10, "B"), ("d1", 4, 4, "C")])
    assert m.values.tolist() == [[1, 0, 0], [0, 3, 0], [0, 0, 1]]


def test_overlap_multiply_coded_span():
    # One passage 0..10 coded A, B, C: every pair intersects once.
    m = overlap([("d1", 0, 10, "A"), ("d1", 0, 10, "B"), ("d1", 0, 10, "C")])
    assert m.values.tolist() == [[1, 1, 1], [1, 1, 1], [1, 1, 1]]


def test_overlap_three_codes_all_overlapping():
    # A 0..10, B 5..15, C 8..20: A-B (5<10), A-C (8<10), B-C (8<15) all intersect.
    m = overlap([("d1", 0, 10, "A"), ("d1", 5, 15, "B"), ("d1", 8, 20, "C")])
    assert m.values.tolist() == [[1, 1, 1], [1, 1, 1], [1, 1, 1]]


def test_overlap_chain_is_not_transitive():
    # A 0..5, B 4..10, C 9..12: A-B yes (4<5), B-C yes (9<10), A-C no (9 >= 5).
    m = overlap([("d1", 0, 5, "A"), ("d1", 4, 10, "B"), ("d1", 9, 12, "C")])
    assert m.values.tolist() == [[1, 1, 0], [1, 1, 1], [0, 1, 1]]


def test_overlap_counts_coding_pairs_not_passages():
    # A 0..10 holds B 1..2 and B 3..4 (two pairs); B 20..30 is elsewhere.
    m = overlap([("d1", 0, 10, "A"), ("d1", 1, 2, "B"), ("d1", 3, 4, "B"), ("d1", 20, 30, "B")])
    assert m.values.tolist() == [[1, 2], [2, 3]]


def test_overlap_same_code_is_not_on_the_diagonal():
    # A 0..10 and A 5..15 overlap each other (a same-code pair: not counted anywhere);
    # B 6..7 lies in both A codings -> A-B = 2.  Diagonal: A 2 codings, B 1.
    m = overlap([("d1", 0, 10, "A"), ("d1", 5, 15, "A"), ("d1", 6, 7, "B")])
    assert m.values.tolist() == [[2, 2], [2, 1]]
    # Only same-code overlaps: the diagonal is still the number of codings.
    m = overlap([("d1", 0, 10, "A"), ("d1", 0, 10, "A"), ("d1", 2, 3, "A")])
    assert m.values.tolist() == [[3]]


def test_overlap_different_documents_never_overlap():
    # Same offsets in d1 and d2: no pair.  A d1 30..36 (the end of d1) and B d2 0..10 are also
    # apart; C d2 12..15 is apart from B.
    m = overlap([("d1", 0, 10, "A"), ("d2", 0, 10, "B"), ("d1", 30, 36, "A"), ("d2", 12, 15, "C")])
    assert m.values.tolist() == [[2, 0, 0], [0, 1, 0], [0, 0, 1]]
    # ... while within d2, B and C do intersect
    m = overlap([("d2", 0, 10, "B"), ("d2", 0, 3, "C"), ("d1", 0, 36, "A")])
    assert cells(m) == {("A", "A"): 1, ("B", "B"): 1, ("C", "C"): 1, ("B", "C"): 1, ("C", "B"): 1}


def test_overlap_labels_in_codebook_order_and_only_used_codes():
    # D and B coded (in that frame order), A/C not: labels B, D (codebook order).
    m = overlap([("d1", 0, 4, "D"), ("d1", 2, 6, "B")])
    assert list(m.index) == ["B", "D"]
    assert m.values.tolist() == [[1, 1], [1, 1]]


def test_overlap_level_roll_up():
    # T>x 0..5, T>y 2..6, D 4..8.  At level 1: nodes T, D; x-y is a T-T pair (not counted);
    # T-D pairs: (x, D) 4<5, (y, D) 4<6 -> 2.  Diagonal T = 2 codings, D = 1.
    cb = qc.Codebook.from_dict({"T": {"x": None, "y": None}, "D": None})
    spans = [("d1", 0, 5, "x"), ("d1", 2, 6, "y"), ("d1", 4, 8, "D")]
    m = overlap(spans, cb=cb, level=1)
    assert list(m.index) == ["T", "D"]
    assert m.values.tolist() == [[2, 2], [2, 1]]
    m = overlap(spans, cb=cb)
    assert list(m.index) == ["T > x", "T > y", "D"]
    assert m.values.tolist() == [[1, 1, 1], [1, 1, 1], [1, 1, 1]]


def test_overlap_empty_coding():
    m = overlap([])
    assert m.shape == (0, 0)


# =========================================================================== 2. units

# Document A: turns "Do you trust it? Tell me." | "Not really. The data is weak." | "Yes."
# joined by "\n\n":  turn A0 0..25, A1 27..56, A2 58..62.
# Sentences: A0 0..16 "Do you trust it?", A1 17..25 "Tell me.", A2 27..38 "Not really.",
#            A3 39..56 "The data is weak.", A4 58..62 "Yes."
# Document B: "Why?" | "Because. Data.":  turns B0 0..4, B1 6..20;
# sentences B0 0..4 "Why?", B1 6..14 "Because.", B2 15..20 "Data."
ROWS = pd.DataFrame(
    {
        "doc_id": ["A", "A", "A", "B", "B"],
        "speaker": ["I", "P", "P", "I", "P"],
        "text": ["Do you trust it? Tell me.", "Not really. The data is weak.", "Yes.", "Why?", "Because. Data."],
        "group": ["g1", "g1", "g1", "g2", "g2"],
    }
)
CORPUS = qc.Corpus.from_frame(ROWS, speaker="speaker", attributes=["group"])
CB = qc.Codebook.from_dict({"T": {"x": None, "y": None}, "D": None, "E": None})
X, Y, D, E = "T > x", "T > y", "D", "E"

SPANS = [
    ("A", 7, 12, "x"),    # 1 "trust"      sentence A0       turn A0
    ("A", 13, 21, "D"),   # 2 "it? Tell"   sentences A0, A1  turn A0
    ("A", 17, 21, "y"),   # 3 "Tell"       sentence A1       turn A0
    ("A", 43, 47, "D"),   # 4 "data"       sentence A3       turn A1
    ("A", 51, 55, "D"),   # 5 "weak"       sentence A3       turn A1  (2nd D in A3)
    ("A", 27, 30, "x"),   # 6 "Not"        sentence A2       turn A1
    ("A", 58, 62, "E"),   # 7 "Yes."       sentence A4       turn A2
    ("B", 0, 4, "y"),     # 8 "Why?"       sentence B0       turn B0
    ("B", 6, 20, "D"),    # 9 "Because. Data." sentences B1, B2  turn B1
    ("B", 15, 19, "y"),   # 10 "Data"      sentence B2       turn B1
    ("A", 17, 24, "x"),   # 11 "Tell me"   sentence A1       turn A0  (x and y in A1)
]
CODING = coding_of(CORPUS, CB, SPANS)


def test_fixture_offsets():
    t = CORPUS.turns
    assert list(zip(t["doc_id"], t["start"], t["end"])) == [("A", 0, 25), ("A", 27, 56), ("A", 58, 62), ("B", 0, 4), ("B", 6, 20)]
    s = CORPUS.sentences()
    assert list(zip(s["doc_id"], s["start"], s["end"])) == [
        ("A", 0, 16), ("A", 17, 25), ("A", 27, 38), ("A", 39, 56), ("A", 58, 62), ("B", 0, 4), ("B", 6, 14), ("B", 15, 20)]
    texts = CODING.frame.set_index(["doc_id", "start"])["text"]
    assert texts[("A", 13)] == "it? Tell" and texts[("B", 6)] == "Because. Data." and texts[("A", 17)].tolist() == ["Tell", "Tell me"]


def test_sentence_unit():
    # Sentences holding each code:
    #   A0 {x, D}  A1 {D, y, x}  A2 {x}  A3 {D}  A4 {E}  B0 {y}  B1 {D}  B2 {D, y}
    # Diagonal: x A0 A1 A2 = 3; y A1 B0 B2 = 3; D A0 A1 A3 B1 B2 = 5 (coding 2 counts in A0
    # and A1, coding 9 in B1 and B2; A3's two D codings count once); E A4 = 1.
    # x-y A1 = 1; x-D A0 A1 = 2; y-D A1 B2 = 2; E with nothing.
    m = qc.cooccurrence(CODING, unit="sentence")
    assert list(m.index) == [X, Y, D, E]
    assert m.values.tolist() == full([X, Y, D, E], {(X, X): 3, (Y, Y): 3, (D, D): 5, (E, E): 1,
                                                    (X, Y): 1, (X, D): 2, (Y, D): 2})
    assert m.attrs["n_units"] == 8
    # sentence is the default unit
    pd.testing.assert_frame_equal(qc.cooccurrence(CODING), m)


def test_sentence_unit_level_roll_up():
    # Level 1: T = x or y.  Sentences holding T: A0 A1 A2 B0 B2 = 5 (A1 holds x and y: once).
    # T-D: A0 A1 B2 = 3 (A1 once, though both x-D and y-D hold there).  D 5, E 1.
    m = qc.cooccurrence(CODING, unit="sentence", level=1)
    assert list(m.index) == ["T", D, E]
    assert m.values.tolist() == [[5, 3, 0], [3, 5, 0], [0, 0, 1]]
    # level 2 (the depth) is the codes as coded
    pd.testing.assert_frame_equal(qc.cooccurrence(CODING, unit="sentence", level=2),
                                  qc.cooccurrence(CODING, unit="sentence"))


def test_turn_unit():
    # Turns: A0 [0,25) {x(1), D(2), y(3), x(11)}; A1 [27,56) {D(4), D(5), x(6)}; A2 {E};
    #        B0 {y}; B1 [6,20) {D(9), y(10)}.
    # Diagonal: x A0 A1 = 2; y A0 B0 B1 = 3; D A0 A1 B1 = 3; E 1.
    # x-y A0 = 1; x-D A0 A1 = 2; y-D A0 B1 = 2.
    m = qc.cooccurrence(CODING, unit="turn")
    assert m.values.tolist() == full([X, Y, D, E], {(X, X): 2, (Y, Y): 3, (D, D): 3, (E, E): 1,
                                                    (X, Y): 1, (X, D): 2, (Y, D): 2})
    assert m.attrs["n_units"] == 5
    # Level 1: T in A0 A1 B0 B1 = 4 (A0 holds x twice and y: once); T-D A0 A1 B1 = 3.
    m = qc.cooccurrence(CODING, unit="turn", level=1)
    assert m.values.tolist() == [[4, 3, 0], [3, 3, 0], [0, 0, 1]]


@pytest.mark.parametrize("unit", ["document", "case"])
def test_document_and_case_units(unit):
    # A holds x, y, D, E; B holds y, D.  Diagonal x 1, y 2, D 2, E 1.
    # x-y 1, x-D 1, x-E 1, y-D 2 (both), y-E 1, D-E 1.
    m = qc.cooccurrence(CODING, unit=unit)
    assert m.values.tolist() == full([X, Y, D, E], {(X, X): 1, (Y, Y): 2, (D, D): 2, (E, E): 1, (X, Y): 1,
                                                    (X, D): 1, (X, E): 1, (Y, D): 2, (Y, E): 1, (D, E): 1})
    assert m.attrs["n_units"] == 2
    m = qc.cooccurrence(CODING, unit=unit, level=1)
    # T in A, B = 2; D 2; E 1 (A); T-D 2; T-E 1; D-E 1.
    assert m.values.tolist() == [[2, 2, 1], [2, 2, 1], [1, 1, 1]]


def test_coding_across_turns_counts_in_both_turns():
    # x 20..30 runs from turn A0 ("me." ...) over the separator into turn A1 ("Not");
    # y 28..29 lies in A1; D 2..3 lies in A0.  Turn: x in A0 and A1 -> x-y 1, x-D 1.
    # Sentence: x covers A1 (17..25) and A2 (27..38); y in A2, D in A0 -> x-y 1, x-D 0.
    cod = coding_of(CORPUS, CB, [("A", 20, 30, "x"), ("A", 28, 29, "y"), ("A", 2, 3, "D")])
    t = qc.cooccurrence(cod, unit="turn")
    assert t.values.tolist() == [[2, 1, 1], [1, 1, 0], [1, 0, 1]]
    s = qc.cooccurrence(cod, unit="sentence")
    assert s.values.tolist() == [[2, 1, 0], [1, 1, 0], [0, 0, 1]]


def test_coding_in_a_gap_holds_no_sentence_or_turn():
    # A 25..27 is the "\n\n" between turns A0 and A1: in no turn and no sentence, but in
    # document A.  A 16..17 is the space between sentences A0 and A1 (inside turn A0).
    cod = coding_of(CORPUS, CB, [("A", 25, 27, "x"), ("A", 16, 17, "y"), ("A", 0, 25, "D")])
    assert qc.cooccurrence(cod, unit="sentence").values.tolist() == [[0, 0, 0], [0, 0, 0], [0, 0, 2]]
    assert qc.cooccurrence(cod, unit="turn").values.tolist() == [[0, 0, 0], [0, 1, 1], [0, 1, 1]]
    assert qc.cooccurrence(cod, unit="document").values.tolist() == [[1, 1, 1], [1, 1, 1], [1, 1, 1]]


def test_turnless_document_is_one_turn():
    # from_texts: no turns, so every document is one turn and "turn" equals "document".
    corpus = qc.Corpus.from_texts(["I trust it. The data is weak.", "Data. Trust."], doc_ids=["a", "b"])
    cb = qc.Codebook.from_dict({"P": None, "Q": None})
    cod = coding_of(corpus, cb, [("a", 2, 7, "P"), ("a", 16, 20, "Q"), ("b", 0, 4, "Q")])
    t = qc.cooccurrence(cod, unit="turn")
    assert t.values.tolist() == [[1, 1], [1, 2]]
    assert t.attrs["n_units"] == 2
    assert qc.cooccurrence(cod, unit="document").values.tolist() == t.values.tolist()
    # sentence: P in "I trust it.", Q in "The data is weak." -> apart
    assert qc.cooccurrence(cod, unit="sentence").values.tolist() == [[1, 0], [0, 2]]


def test_docstring_example():
    corpus = qc.Corpus.from_texts(["I trust the data. The data is weak.", "Trust me."], doc_ids=["A1", "B1"])
    cb = qc.Codebook.from_dict({"Trust": ["trust"], "Data": ["data"]})
    coding = corpus.autocode(cb)
    # Trust: "I trust the data." and "Trust me."; Data: both sentences of A1 -> both in 1.
    assert qc.cooccurrence(coding, unit="sentence").values.tolist() == [[2, 1], [1, 2]]


# =========================================================================== 3. measures

def test_measures_by_hand_sentence():
    # From test_sentence_unit, N = 8 sentences; n_x = 3, n_y = 3, n_D = 5, n_E = 1;
    # n_xy = 1, n_xD = 2, n_yD = 2, others 0.
    N = 8
    n = {X: 3, Y: 3, D: 5, E: 1}
    nab = {(X, Y): 1, (X, D): 2, (Y, D): 2, (X, E): 0, (Y, E): 0, (D, E): 0}
    jac = qc.cooccurrence(CODING, unit="sentence", measure="jaccard")
    cos = qc.cooccurrence(CODING, unit="sentence", measure="cosine")
    lift = qc.cooccurrence(CODING, unit="sentence", measure="lift")
    pmi = qc.cooccurrence(CODING, unit="sentence", measure="pmi")
    # jaccard x-D = 2 / (3 + 5 - 2) = 1/3; x-y = 1 / 5; cosine x-D = 2 / sqrt(15); x-y = 1/3;
    # lift x-D = 2 * 8 / 15 = 16/15; x-y = 8/9; pmi = log2 of those.
    assert jac.loc[X, D] == pytest.approx(1 / 3)
    assert jac.loc[X, Y] == pytest.approx(1 / 5)
    assert cos.loc[X, D] == pytest.approx(2 / math.sqrt(15))
    assert cos.loc[X, Y] == pytest.approx(1 / 3)
    assert lift.loc[X, D] == pytest.approx(16 / 15)
    assert lift.loc[X, Y] == pytest.approx(8 / 9)
    assert pmi.loc[X, Y] == pytest.approx(math.log2(8 / 9))
    for (a, b), c in nab.items():
        for f in (jac, cos, lift, pmi):
            assert f.loc[a, b] == f.loc[b, a]
        assert jac.loc[a, b] == pytest.approx(c / (n[a] + n[b] - c))
        assert cos.loc[a, b] == pytest.approx(c / math.sqrt(n[a] * n[b]))
        assert lift.loc[a, b] == pytest.approx(c * N / (n[a] * n[b]))
        if c:
            assert pmi.loc[a, b] == pytest.approx(math.log2(c * N / (n[a] * n[b])))
        else:
            # documented: cells of codes that never co-occur are 0 for every measure (PMI too)
            assert jac.loc[a, b] == cos.loc[a, b] == lift.loc[a, b] == pmi.loc[a, b] == 0.0
    # Diagonal: jaccard and cosine 1; lift N / n_a; pmi log2(N / n_a).
    for a in n:
        assert jac.loc[a, a] == 1.0 and cos.loc[a, a] == pytest.approx(1.0)
        assert lift.loc[a, a] == pytest.approx(N / n[a])
        assert pmi.loc[a, a] == pytest.approx(math.log2(N / n[a]))
    assert jac.attrs["measure"] == "jaccard" and lift.attrs["n_units"] == 8


def test_measures_by_hand_document():
    # N = 2 documents; n_x 1, n_y 2, n_D 2, n_E 1; x-y 1; y-D 2; x-E 1.
    lift = qc.cooccurrence(CODING, unit="document", measure="lift")
    assert lift.loc[X, Y] == pytest.approx(1 * 2 / (1 * 2))  # 1
    assert lift.loc[Y, D] == pytest.approx(2 * 2 / (2 * 2))  # 1
    assert lift.loc[X, E] == pytest.approx(1 * 2 / (1 * 1))  # 2
    pmi = qc.cooccurrence(CODING, unit="case", measure="pmi")
    assert pmi.loc[X, E] == pytest.approx(1.0)
    assert pmi.loc[Y, D] == pytest.approx(0.0)
    jac = qc.cooccurrence(CODING, unit="document", measure="jaccard")
    assert jac.loc[X, Y] == pytest.approx(1 / (1 + 2 - 1))  # 0.5


def test_measures_overlap():
    # A 0..10, B 2..5, B 20..25, C 3..4: n_A 1, n_B 2, n_C 1; A-B 1, A-C 1, B-C 1.
    spans = [("d1", 0, 10, "A"), ("d1", 2, 5, "B"), ("d1", 20, 25, "B"), ("d1", 3, 4, "C")]
    jac = overlap(spans, measure="jaccard")
    cos = overlap(spans, measure="cosine")
    assert jac.loc["A", "B"] == pytest.approx(1 / (1 + 2 - 1))
    assert jac.loc["A", "C"] == pytest.approx(1.0)
    assert cos.loc["A", "B"] == pytest.approx(1 / math.sqrt(2))
    assert cos.loc["B", "C"] == pytest.approx(1 / math.sqrt(2))
    assert np.diag(jac.values).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("measure", ["lift", "pmi"])
def test_lift_and_pmi_need_units(measure):
    with pytest.raises(ArgumentError, match=rf"measure.*{measure}.*overlap"):
        qc.cooccurrence(CODING, unit="overlap", measure=measure)


# =========================================================================== hypothesis fixtures

SENTS = ["Yes.", "I trust the data.", "No!", "Why not?", "The GP said so.", "Hm"]
HCB = qc.Codebook.from_dict({"T": {"x": None, "y": {"deep": None}}, "U": None, "V": {"z": None}})
HCODES = HCB.paths


@st.composite
def studies(draw):
    """A small corpus (with turns or without) and random codings (possibly empty, possibly
    touching, nested, duplicated), with a group attribute."""
    n_docs = draw(st.integers(1, 3))
    with_turns = draw(st.booleans())
    groups = [draw(st.sampled_from(["g1", "g2"])) for _ in range(n_docs)]
    doc_ids = [f"D{d}" for d in range(n_docs)]
    if with_turns:
        rows = []
        for d in range(n_docs):
            for _ in range(draw(st.integers(1, 3))):
                text = " ".join(draw(st.lists(st.sampled_from(SENTS), min_size=1, max_size=3)))
                rows.append({"doc_id": doc_ids[d], "speaker": draw(st.sampled_from(["I", "P"])),
                             "text": text, "group": groups[d]})
        corpus = qc.Corpus.from_frame(pd.DataFrame(rows), speaker="speaker", attributes=["group"])
    else:
        texts = [" ".join(draw(st.lists(st.sampled_from(SENTS), min_size=1, max_size=5))) for _ in range(n_docs)]
        corpus = qc.Corpus.from_texts(texts, doc_ids=doc_ids, attributes={"group": groups})
    lengths = corpus.documents["n_chars"].tolist()
    spans = []
    for _ in range(draw(st.integers(0, 12))):
        d = draw(st.integers(0, n_docs - 1))
        s = draw(st.integers(0, lengths[d]))
        length = draw(st.one_of(st.just(0), st.integers(1, 6), st.integers(0, lengths[d])))
        spans.append((doc_ids[d], s, min(lengths[d], s + length), draw(st.sampled_from(HCODES))))
        if draw(st.integers(0, 4)) == 0:  # the same span with another (or the same) code
            spans.append((spans[-1][0], spans[-1][1], spans[-1][2], draw(st.sampled_from(HCODES))))
    return corpus, spans


def units_of(corpus: qc.Corpus, unit: str) -> list[tuple[int, int, int]]:
    """(doc position, start, end) of every unit, from the public tables."""
    pos = {d: i for i, d in enumerate(corpus.doc_ids)}
    lengths = corpus.documents["n_chars"].tolist()
    if unit == "sentence":
        s = corpus.sentences()
        return [(pos[d], a, b) for d, a, b in zip(s["doc_id"], s["start"].tolist(), s["end"].tolist())]
    if unit == "turn":
        t = corpus.turns
        out = [(pos[d], a, b) for d, a, b in zip(t["doc_id"], t["start"].tolist(), t["end"].tolist())]
        with_turns = {u[0] for u in out}
        return out + [(i, 0, lengths[i]) for i in range(len(corpus)) if i not in with_turns]
    return [(i, 0, lengths[i]) for i in range(len(corpus))]


def touches(unit: str, unit_span: tuple[int, int, int], doc: int, s: int, e: int) -> bool:
    d, a, b = unit_span
    if d != doc:
        return False
    if unit in ("document", "case"):
        return True
    if s < e:
        return a < e and s < b  # spans intersect
    return a <= s < b  # an empty coding touches the unit it sits in


def reference(corpus: qc.Corpus, spans, unit: str, level: int | None) -> tuple[list[str], np.ndarray, int | None]:
    """Labels, counts and number of units, by loops over codings and units."""
    pos = {d: i for i, d in enumerate(corpus.doc_ids)}
    mapped = [HCB.ancestor(c, level) if level is not None else HCB.resolve(c) for *_, c in spans]
    labels = [p for p in HCB.paths if p in set(mapped)]
    k = {p: i for i, p in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    if unit == "overlap":
        for node in mapped:
            m[k[node], k[node]] += 1
        for (i, (d1, s1, e1, _)), (j, (d2, s2, e2, _)) in combinations(enumerate(spans), 2):
            a, b = k[mapped[i]], k[mapped[j]]
            if d1 == d2 and s1 < e1 and s2 < e2 and s1 < e2 and s2 < e1 and a != b:
                m[a, b] += 1
                m[b, a] += 1
        return labels, m, None
    units = units_of(corpus, unit)
    for u in units:
        held = {mapped[i] for i, (d, s, e, _) in enumerate(spans) if touches(unit, u, pos[d], s, e)}
        for a in held:
            for b in held:
                m[k[a], k[b]] += 1
    return labels, m, len(units)


def measure_of(counts: np.ndarray, measure: str, total: int | None) -> np.ndarray:
    n = np.diag(counts).astype(float)
    out = np.full(counts.shape, np.nan)
    for i in range(len(n)):
        for j in range(len(n)):
            c = float(counts[i, j])
            if measure == "count" or c == 0:  # no co-occurrence: 0 for every measure
                out[i, j] = c
            elif measure == "jaccard":
                den = n[i] + n[j] - c  # may be <= 0 with overlap pair counts
                out[i, j] = c / den if den else math.inf
            elif measure == "cosine":
                out[i, j] = c / math.sqrt(n[i] * n[j])
            else:
                lift = c * total / (n[i] * n[j])
                out[i, j] = lift if measure == "lift" else math.log2(lift)
    return out


# =========================================================================== invariants

@settings(max_examples=40, deadline=None)
@given(studies(), st.sampled_from([None, 1, 2]))
def test_invariants_every_unit(study, level):
    corpus, spans = study
    coding = coding_of(corpus, HCB, spans)
    for unit in UNITS:
        m = qc.cooccurrence(coding, unit=unit, level=level)
        v = m.to_numpy()
        assert list(m.index) == list(m.columns)
        assert v.dtype.kind == "i" or v.size == 0
        assert (v == v.T).all(), unit
        assert (v >= 0).all()
        if unit == "overlap":
            # the diagonal is each node's number of codings; all codings are counted
            assert np.diag(v).sum() == len(spans)
        else:
            # a unit holding a and b holds a: off-diagonal <= both diagonals
            d = np.diag(v)
            assert (v <= np.minimum.outer(d, d)).all(), unit
            assert (d <= m.attrs["n_units"]).all()
        for measure in ("jaccard", "cosine") + (() if unit == "overlap" else ("lift", "pmi")):
            w = qc.cooccurrence(coding, unit=unit, level=level, measure=measure).to_numpy()
            np.testing.assert_array_equal(w, w.T)
            present = np.diag(v) > 0
            if measure in ("jaccard", "cosine"):
                np.testing.assert_allclose(np.diag(w)[present], 1.0)
            # no co-occurrence (also a code on no unit: diagonal 0): 0, never NaN
            assert (w[v == 0] == 0).all(), (unit, measure)
            assert not np.isnan(w).any()
    # document and case are the same unit
    pd.testing.assert_frame_equal(qc.cooccurrence(coding, unit="document", level=level),
                                  qc.cooccurrence(coding, unit="case", level=level), check_like=False)


# =========================================================================== 4. brute force

@settings(max_examples=40, deadline=None)
@given(studies(), st.sampled_from([None, 1, 2, 3]))
def test_brute_force_reference(study, level):
    corpus, spans = study
    coding = coding_of(corpus, HCB, spans)
    for unit in UNITS:
        labels, counts, total = reference(corpus, spans, unit, level)
        got = qc.cooccurrence(coding, unit=unit, level=level)
        assert list(got.index) == labels and list(got.columns) == labels
        np.testing.assert_array_equal(got.to_numpy(), counts, err_msg=f"{unit} {spans}")
        for measure in MEASURES[1:] if unit != "overlap" else ("jaccard", "cosine"):
            val = qc.cooccurrence(coding, unit=unit, level=level, measure=measure).to_numpy()
            np.testing.assert_allclose(val, measure_of(counts, measure, total), rtol=1e-12, equal_nan=True,
                                       err_msg=f"{unit} {measure}")


# =========================================================================== 5. outputs

def test_tidy_rows():
    m = qc.cooccurrence(CODING, unit="sentence", measure="jaccard")
    c = qc.cooccurrence(CODING, unit="sentence")
    t = qc.cooccurrence(CODING, unit="sentence", measure="jaccard", tidy=True)
    assert list(t.columns) == ["code_a", "code_b", "n", "value"]
    order = [X, Y, D, E]
    # the non-zero pairs with code_a <= code_b in codebook order, row by row:
    # (x,x) 3, (x,y) 1, (x,D) 2, (y,y) 3, (y,D) 2, (D,D) 5, (E,E) 1  (E co-occurs with nothing)
    assert list(zip(t["code_a"], t["code_b"])) == [(X, X), (X, Y), (X, D), (Y, Y), (Y, D), (D, D), (E, E)]
    assert t["n"].tolist() == [3, 1, 2, 3, 2, 5, 1]
    assert list(zip(t["code_a"], t["code_b"])) == [(a, b) for i, a in enumerate(order) for b in order[i:] if c.loc[a, b]]
    for a, b, n, v in t.itertuples(index=False):
        assert n == c.loc[a, b]
        assert v == pytest.approx(m.loc[a, b])
    row = t[(t["code_a"] == X) & (t["code_b"] == D)].iloc[0]
    assert row["n"] == 2 and row["value"] == pytest.approx(1 / 3)
    tc = qc.cooccurrence(CODING, unit="overlap", tidy=True)
    assert (tc["n"] == tc["value"]).all()


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("measure", ["count", "cosine"])
def test_sparse_equals_dense(unit, measure):
    dense = qc.cooccurrence(CODING, unit=unit, measure=measure)
    mat, labels = qc.cooccurrence(CODING, unit=unit, measure=measure, sparse=True)
    assert sp.issparse(mat) and mat.format == "csr"
    assert labels == list(dense.index)
    np.testing.assert_allclose(mat.toarray(), dense.to_numpy(), equal_nan=True)
    if measure == "count":
        assert mat.dtype == np.int64
        # stored entries are the non-zero cells
        assert mat.nnz == int((dense.to_numpy() != 0).sum())


def test_sparse_has_64_bit_indices():
    # DESIGN, Outputs: "matrices are scipy.sparse (64-bit indices) with their labels".
    mat, _ = qc.cooccurrence(CODING, unit="sentence", sparse=True)
    assert mat.indices.dtype == np.int64 and mat.indptr.dtype == np.int64


def filtered_reference(coding: qc.Coding, group: str, unit: str, measure: str, level=None):
    """cooccurrence on the corpus and codings of one group, made from scratch."""
    corpus = coding.corpus.filter(group=group)
    f = coding.to_frame()
    f = f[f["doc_id"].isin(corpus.doc_ids)]
    sub = qc.Coding.from_frame(corpus, coding.codebook, f, coder="coder")
    return qc.cooccurrence(sub, unit=unit, measure=measure, level=level)


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("measure", MEASURES)
def test_by_group_equals_filtered_corpus(unit, measure):
    if unit == "overlap" and measure in ("lift", "pmi"):
        return
    res = qc.cooccurrence(CODING, unit=unit, measure=measure, by="group")
    assert isinstance(res, dict) and list(res) == ["g1", "g2"]
    for g, got in res.items():
        exp = filtered_reference(CODING, g, unit, measure)
        # the group's table carries every node of the coding; codes absent in the group are 0
        assert list(got.index) == list(qc.cooccurrence(CODING, unit=unit).index)
        sub = got.loc[exp.index, exp.columns]
        np.testing.assert_allclose(sub.to_numpy(dtype=float), exp.to_numpy(dtype=float), equal_nan=True,
                                   err_msg=f"{g} {unit} {measure}")
        absent = [c for c in got.index if c not in exp.index]
        assert (got.loc[absent].to_numpy() == 0).all() and (got.loc[:, absent].to_numpy() == 0).all()


def test_by_group_by_hand():
    # g1 = document A: sentences A0..A4 -> x 3, y 1, D 3 (A0 A1 A3), E 1; x-y 1; x-D 2; y-D 1.
    # g2 = document B: y B0 B2 = 2, D B1 B2 = 2, y-D 1; x and E absent.
    res = qc.cooccurrence(CODING, unit="sentence", by="group")
    assert res["g1"].values.tolist() == full([X, Y, D, E], {(X, X): 3, (Y, Y): 1, (D, D): 3, (E, E): 1,
                                                            (X, Y): 1, (X, D): 2, (Y, D): 1})
    assert res["g2"].values.tolist() == full([X, Y, D, E], {(Y, Y): 2, (D, D): 2, (Y, D): 1})
    # lift in g1 uses N = 5 sentences of A: x-D = 2 * 5 / (3 * 3) = 10/9.
    lift = qc.cooccurrence(CODING, unit="sentence", measure="lift", by="group")
    assert lift["g1"].loc[X, D] == pytest.approx(10 / 9)
    # g2: N = 3 sentences of B: y-D = 1 * 3 / (2 * 2) = 3/4
    assert lift["g2"].loc[Y, D] == pytest.approx(3 / 4)
    # turns: g1 has 3 turns; x A0 A1 = 2, D A0 A1 = 2, x-D 2 -> lift 2 * 3 / 4 = 1.5
    lt = qc.cooccurrence(CODING, unit="turn", measure="lift", by="group")
    assert lt["g1"].loc[X, D] == pytest.approx(1.5)
    # document: g1 has 1 document -> every lift among present codes is 1
    ld = qc.cooccurrence(CODING, unit="document", measure="lift", by="group")
    assert ld["g1"].loc[X, D] == pytest.approx(1.0)


def test_overlap_fixture_and_by_group_by_hand():
    # Intersecting pairs of SPANS: in A, D 13..21 with y 17..21 and with x 17..24, y 17..21 with
    # x 17..24 (x 7..12 ends before D 13..21 starts; 4, 5, 6, 7 touch nothing); in B, D 6..20
    # with y 15..19.  Codings: x 3, y 3, D 4, E 1 (A: x 3, y 1, D 3, E 1; B: y 2, D 1).
    m = qc.cooccurrence(CODING, unit="overlap")
    assert m.values.tolist() == full([X, Y, D, E], {(X, X): 3, (Y, Y): 3, (D, D): 4, (E, E): 1,
                                                    (X, Y): 1, (X, D): 1, (Y, D): 2})
    res = qc.cooccurrence(CODING, unit="overlap", by="group")
    assert res["g1"].values.tolist() == full([X, Y, D, E], {(X, X): 3, (Y, Y): 1, (D, D): 3, (E, E): 1,
                                                            (X, Y): 1, (X, D): 1, (Y, D): 1})
    assert res["g2"].values.tolist() == full([X, Y, D, E], {(Y, Y): 2, (D, D): 1, (Y, D): 1})


def test_by_group_overlap_second_document():
    # d1 (g1): A 0..5 and A 10..15 apart; d2 (g2): A 0..5 and B 2..8 intersect.
    # g1: A 2 codings, nothing else.  g2: A 1, B 1, A-B 1.
    corpus = qc.Corpus.from_texts([ALPHA, ALPHA], doc_ids=["d1", "d2"], attributes={"group": ["g1", "g2"]})
    cod = coding_of(corpus, FLAT, [("d1", 0, 5, "A"), ("d1", 10, 15, "A"), ("d2", 0, 5, "A"), ("d2", 2, 8, "B")])
    res = qc.cooccurrence(cod, unit="overlap", by="group")
    assert res["g1"].values.tolist() == [[2, 0], [0, 0]]
    assert res["g2"].values.tolist() == [[1, 1], [1, 1]]


def test_by_group_tidy_and_sparse():
    t = qc.cooccurrence(CODING, unit="turn", by="group", tidy=True)
    d = qc.cooccurrence(CODING, unit="turn", by="group")
    for g in ("g1", "g2"):
        for a, b, n, _ in t[g].itertuples(index=False):
            assert n == d[g].loc[a, b] and n > 0
        assert len(t[g]) == int(np.triu(d[g].to_numpy() != 0).sum())
    # g2 (document B): turns B0 {y}, B1 {D, y} -> (y,y) 2, (y,D) 1, (D,D) 1; x and E absent
    assert t["g2"][["code_a", "code_b", "n"]].values.tolist() == [[Y, Y, 2], [Y, D, 1], [D, D, 1]]
    s = qc.cooccurrence(CODING, unit="turn", by="group", sparse=True)
    for g in ("g1", "g2"):
        mat, labels = s[g]
        assert labels == list(d[g].index)
        assert (mat.toarray() == d[g].to_numpy()).all()


@settings(max_examples=30, deadline=None)
@given(studies(), st.sampled_from(UNITS), st.sampled_from(MEASURES))
def test_by_group_brute_force(study, unit, measure):
    if unit == "overlap" and measure in ("lift", "pmi"):
        measure = "cosine"
    corpus, spans = study
    coding = coding_of(corpus, HCB, spans)
    res = qc.cooccurrence(coding, unit=unit, measure=measure, by="group")
    groups = corpus.documents["group"].tolist()
    assert list(res) == list(dict.fromkeys(groups))
    for g, got in res.items():
        exp = filtered_reference(coding, g, unit, measure)
        np.testing.assert_allclose(got.loc[exp.index, exp.columns].to_numpy(dtype=float),
                                   exp.to_numpy(dtype=float), equal_nan=True, err_msg=f"{g} {unit} {measure}")


@pytest.mark.parametrize(
    "kwargs,arg,allowed",
    [
        ({"unit": "paragraph"}, "unit", UNITS),
        ({"unit": "Sentence"}, "unit", UNITS),
        ({"measure": "dice"}, "measure", MEASURES),
        ({"by": "region"}, "by", ("group",)),
    ],
)
def test_bad_arguments(kwargs, arg, allowed):
    with pytest.raises(ArgumentError) as err:
        qc.cooccurrence(CODING, **kwargs)
    msg = str(err.value)
    assert msg.startswith(f"{arg}:")
    assert repr(next(iter(kwargs.values()))) in msg
    for a in allowed:
        assert a in msg


def test_tidy_and_sparse_together():
    with pytest.raises(ArgumentError, match="tidy.*sparse"):
        qc.cooccurrence(CODING, tidy=True, sparse=True)


def test_bad_level():
    with pytest.raises(ArgumentError, match="level"):
        qc.cooccurrence(CODING, level=0)


def test_cooccurrence_units_bad_unit():
    with pytest.raises(ArgumentError, match="unit.*'line'.*overlap"):
        qc.cooccurrence_units(CODING, X, D, unit="line")


# =========================================================================== 6. cooccurrence_units

def test_units_overlap_passages():
    # In d1 (ALPHA): A 0..10, B 2..5 (inside A), B 8..15 (crosses A's end), B 10..12 (touches
    # A: no), B 4..4 (empty: no), C 3..9 (not asked).  In d2: A 0..10 and B 20..22 apart.
    # Cell A-B = 2 with intersections 2..5 "cde" and 8..10 "ij".
    spans = [("d1", 0, 10, "A"), ("d1", 2, 5, "B"), ("d1", 8, 15, "B"), ("d1", 10, 12, "B"), ("d1", 4, 4, "B"),
             ("d1", 3, 9, "C"), ("d2", 0, 10, "A"), ("d2", 20, 22, "B")]
    cod = coding_of(TWO, FLAT, spans)
    cell = qc.cooccurrence(cod, unit="overlap").loc["A", "B"]
    u = qc.cooccurrence_units(cod, "A", "B", unit="overlap")
    assert cell == 2 and len(u) == cell
    assert list(u.columns) == ["doc_id", "start", "end", "text", "span_a", "span_b"]
    assert u[["doc_id", "start", "end", "text"]].values.tolist() == [["d1", 2, 5, "cde"], ["d1", 8, 10, "ij"]]
    assert u["span_a"].tolist() == [(0, 10), (0, 10)]
    assert u["span_b"].tolist() == [(2, 5), (8, 15)]
    # B-C: 2..5 with 3..9 -> "de"; 8..15 with 3..9 -> "i"
    u = qc.cooccurrence_units(cod, "B", "C", unit="overlap")
    assert u["text"].tolist() == ["de", "i"]
    assert len(u) == qc.cooccurrence(cod, unit="overlap").loc["B", "C"]


def test_units_overlap_spans_follow_the_codes():
    # B 0..7 starts before A 5..10: span_a is still A's span (the coding of code_a).
    cod = coding_of(TWO, FLAT, [("d1", 5, 10, "A"), ("d1", 0, 7, "B")])
    u = qc.cooccurrence_units(cod, "A", "B", unit="overlap")
    assert u[["start", "end", "text"]].values.tolist() == [[5, 7, "fg"]]
    assert u["span_a"].tolist() == [(5, 10)] and u["span_b"].tolist() == [(0, 7)]
    u = qc.cooccurrence_units(cod, "B", "A", unit="overlap")
    assert u["span_a"].tolist() == [(0, 7)] and u["span_b"].tolist() == [(5, 10)]


def test_units_sentence_passages():
    # x-D sentences: A0 "Do you trust it?" and A1 "Tell me." (see test_sentence_unit)
    u = qc.cooccurrence_units(CODING, X, D, unit="sentence")
    assert u.values.tolist() == [["A", 0, 16, "Do you trust it?"], ["A", 17, 25, "Tell me."]]
    # y-D: A1 and B2
    u = qc.cooccurrence_units(CODING, Y, D)
    assert u["text"].tolist() == ["Tell me.", "Data."] and u["doc_id"].tolist() == ["A", "B"]
    # a theme counts its descendants: T-D = A0, A1, B2 = the level-1 cell
    u = qc.cooccurrence_units(CODING, "T", D, unit="sentence")
    assert u["text"].tolist() == ["Do you trust it?", "Tell me.", "Data."]
    assert len(u) == qc.cooccurrence(CODING, unit="sentence", level=1).loc["T", D]
    # no co-occurrence: an empty frame
    assert len(qc.cooccurrence_units(CODING, X, E)) == 0


def test_units_turn_and_document_passages():
    u = qc.cooccurrence_units(CODING, X, D, unit="turn")
    assert u.values.tolist() == [["A", 0, 25, "Do you trust it? Tell me."], ["A", 27, 56, "Not really. The data is weak."]]
    u = qc.cooccurrence_units(CODING, Y, D, unit="document")
    assert u["doc_id"].tolist() == ["A", "B"]
    assert u["text"].tolist() == [CORPUS["A"].text, CORPUS["B"].text]
    assert u["end"].tolist() == [62, 20]


@settings(max_examples=40, deadline=None)
@given(studies(), st.sampled_from(UNITS), st.sampled_from(HCODES), st.sampled_from(HCODES))
def test_units_match_cells(study, unit, a, b):
    corpus, spans = study
    coding = coding_of(corpus, HCB, spans)
    # Leaves only so that "code and its descendants" is the code as coded.
    leaves = set(HCB.leaves)
    if a not in leaves or b not in leaves or a == b:
        return
    u = qc.cooccurrence_units(coding, a, b, unit=unit)
    m = qc.cooccurrence(coding, unit=unit)
    cell = m.loc[a, b] if a in m.index and b in m.index else 0
    assert len(u) == cell
    texts = {d: corpus[d].text for d in corpus.doc_ids}
    for row in u.itertuples(index=False):
        assert texts[row.doc_id][row.start:row.end] == row.text
        if unit == "overlap":
            # the intersection of the two spans, both codings of the codes asked for
            (sa, ea), (sb, eb) = row.span_a, row.span_b
            assert (row.start, row.end) == (max(sa, sb), min(ea, eb)) and row.start < row.end
            assert (row.doc_id, sa, ea, a) in spans and (row.doc_id, sb, eb, b) in spans
        else:
            units = units_of(corpus, unit)
            pos = corpus.doc_ids.index(row.doc_id)
            assert (pos, row.start, row.end) in units


# =========================================================================== 7. windows (unit="window", unit="turn" + window)

# "a b c d e f g h i j": token k is the letter at characters 2k..2k+1.
LETTERS = qc.Corpus.from_texts(["a b c d e f g h i j", "ab cd", "a, b."], doc_ids=["L", "W", "P"])


def tok(first: int, last: int) -> tuple[int, int]:
    """Characters of tokens first..last (both included) of document L."""
    return 2 * first, 2 * last + 1


def win(spans, window, corpus=LETTERS, cb=FLAT, **kw):
    return qc.cooccurrence(coding_of(corpus, cb, spans), unit="window", window=window, **kw)


def test_window_fixture_tokens():
    f = LETTERS.tokens().to_frame()
    got = {d: list(zip(g["position"], g["start"], g["end"], g["token"].astype(str))) for d, g in f.groupby("doc_id", observed=True)}
    assert got["L"] == [(k, 2 * k, 2 * k + 1, "abcdefghij"[k]) for k in range(10)]
    assert got["W"] == [(0, 0, 2, "ab"), (1, 3, 5, "cd")]
    assert got["P"] == [(0, 0, 1, "a"), (1, 1, 2, ","), (2, 3, 4, "b"), (3, 4, 5, ".")]


@pytest.mark.parametrize("window", [1, 2, 3, 4, 5])
def test_window_edges_exactly_n_apart_counts(window):
    # A on token 0, B on token 3, C on token 4: A-B are 3 apart, A-C 4, B-C 1.
    m = win([("L", *tok(0, 0), "A"), ("L", *tok(3, 3), "B"), ("L", *tok(4, 4), "C")], window)
    assert m.loc["A", "B"] == int(window >= 3)
    assert m.loc["A", "C"] == int(window >= 4)
    assert m.loc["B", "C"] == 1
    assert np.diag(m.to_numpy()).tolist() == [1, 1, 1]


def test_window_multi_token_codings_measure_from_the_nearest_ends():
    # A tokens 0-2, B tokens 5-6: last token of A (2) to first of B (5) = 3, whichever order.
    for spans in ([("L", *tok(0, 2), "A"), ("L", *tok(5, 6), "B")], [("L", *tok(5, 6), "A"), ("L", *tok(0, 2), "B")]):
        assert win(spans, 2).loc["A", "B"] == 0
        assert win(spans, 3).loc["A", "B"] == 1


def test_window_nested_and_identical_spans():
    # nested: A tokens 0-6 holds B tokens 2-3; identical: C = A.  Distance 0: every window.
    m = win([("L", *tok(0, 6), "A"), ("L", *tok(2, 3), "B"), ("L", *tok(0, 6), "C")], 1)
    assert m.values.tolist() == [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    # ... and neither comes before the other
    o = win([("L", *tok(0, 6), "A"), ("L", *tok(2, 3), "B"), ("L", *tok(0, 6), "C")], 1, ordered=True)
    assert o.values.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_window_touching_spans():
    # "a" 0..1 and " b" 1..3 touch (end == start): no overlap, but adjacent tokens (1 apart).
    spans = [("L", 0, 1, "A"), ("L", 1, 3, "B")]
    assert qc.cooccurrence(coding_of(LETTERS, FLAT, spans), unit="overlap").loc["A", "B"] == 0
    assert win(spans, 1).loc["A", "B"] == 1
    assert win(spans, 1, ordered=True).values.tolist() == [[1, 1], [0, 1]]
    # Touching inside one word ("a" 0..1 and "b" 1..2 of the token "ab"): they share the
    # token, distance 0 -- a window works on whole tokens; neither comes first.
    spans = [("W", 0, 1, "A"), ("W", 1, 2, "B")]
    assert qc.cooccurrence(coding_of(LETTERS, FLAT, spans), unit="overlap").loc["A", "B"] == 0
    assert win(spans, 1).loc["A", "B"] == 1
    assert win(spans, 1, ordered=True).loc["A", "B"] == 0


def test_window_partial_tokens_and_white_space():
    # A = "b c" minus its edges (3..4 is the space, 2..5 covers b, space, c): tokens 1-2.
    # B on token 4 (e): 2 apart from A's last token.  C 3..4 is only white space: no token, no
    # pair.  D is zero-length inside token d: no token either.  Both still count on the diagonal.
    spans = [("L", 2, 5, "A"), ("L", *tok(4, 4), "B"), ("L", 3, 4, "C"), ("L", 6, 6, "D")]
    m = win(spans, 2)
    assert m.values.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert win(spans, 1).loc["A", "B"] == 0
    # A coding that ends inside white space covers the tokens before it: 5..7 is " d" -> token
    # 3 only, 1 before e.  One that starts inside a token covers the token: "ello" of "hello".
    assert win([("L", 5, 7, "A"), ("L", *tok(4, 4), "B")], 1).loc["A", "B"] == 1
    assert win([("L", 5, 6, "A"), ("L", *tok(4, 4), "B")], 1).loc["A", "B"] == 0  # only the space
    assert win([("W", 1, 2, "A"), ("W", 3, 4, "B")], 1).loc["A", "B"] == 1  # "b" of "ab", "c" of "cd"


def test_window_counts_coding_pairs_and_not_same_code_pairs():
    # A on 0; B on 1 and on 2; A again on 9 (far).  A-B: (A0, B1), (A0, B2) = 2 with window 2;
    # B1-B2 and A0-A9 are same-code pairs: not counted.  Diagonal = codings: A 2, B 2.
    spans = [("L", *tok(0, 0), "A"), ("L", *tok(1, 1), "B"), ("L", *tok(2, 2), "B"), ("L", *tok(9, 9), "A")]
    assert win(spans, 2).values.tolist() == [[2, 2], [2, 2]]
    assert win(spans, 1).values.tolist() == [[2, 1], [1, 2]]
    # window 7: B2 and A9 are 7 apart -> 3 pairs
    assert win(spans, 7).values.tolist() == [[2, 3], [3, 2]]


def test_window_multiply_coded_span():
    # One passage (tokens 3-5) coded A, B, C; D on token 8 (3 after).
    spans = [("L", *tok(3, 5), c) for c in "ABC"] + [("L", *tok(8, 8), "D")]
    m = win(spans, 2)
    assert m.values.tolist() == [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 1]]
    m = win(spans, 3)
    assert m.values.tolist() == [[1, 1, 1, 1]] * 4
    o = win(spans, 3, ordered=True)
    # A, B, C all end before D starts; among themselves no order
    assert o.values.tolist() == [[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1], [0, 0, 0, 1]]


def test_window_punctuation_is_a_token():
    # "a, b.": a is token 0, b token 2 (the comma is token 1).
    spans = [("P", 0, 1, "A"), ("P", 3, 4, "B")]
    assert win(spans, 1).loc["A", "B"] == 0
    assert win(spans, 2).loc["A", "B"] == 1


def test_window_never_crosses_documents():
    # A last token of L (9) and B first token of W (0): different documents, any window.
    spans = [("L", *tok(9, 9), "A"), ("W", 0, 2, "B")]
    assert win(spans, 1000).loc["A", "B"] == 0
    assert win(spans, 1000, within="document").loc["A", "B"] == 0


def test_ordered_by_hand():
    # A on 0, B on 2, C on 2, A on 5; window 3.
    # Pairs: A0-B2 (A first), A0-C2 (A first), B2-C2 (same token: neither), B2-A5 (B first, 3
    # apart), C2-A5 (C first), A0-A5 (same code).
    spans = [("L", *tok(0, 0), "A"), ("L", *tok(2, 2), "B"), ("L", *tok(2, 2), "C"), ("L", *tok(5, 5), "A")]
    o = win(spans, 3, ordered=True)
    assert o.values.tolist() == [[2, 1, 1], [1, 1, 0], [1, 0, 1]]
    u = win(spans, 3)
    assert u.values.tolist() == [[2, 2, 2], [2, 1, 1], [2, 1, 1]]
    # unordered = ordered + ordered.T + pairs sharing a token (B-C), off the diagonal
    same = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0]])
    off = ~np.eye(3, dtype=bool)
    assert ((o.to_numpy() + o.to_numpy().T + same)[off] == u.to_numpy()[off]).all()
    assert o.attrs["ordered"] is True and o.attrs["window"] == 3 and o.attrs["within"] == "turn" and o.attrs["n_units"] is None
    # window 2: B2-A5 and C2-A5 are 3 apart -> gone
    assert win(spans, 2, ordered=True).values.tolist() == [[2, 1, 1], [0, 1, 0], [0, 0, 1]]


def test_ordered_tidy_lists_both_directions():
    spans = [("L", *tok(0, 0), "A"), ("L", *tok(2, 2), "B"), ("L", *tok(2, 2), "C"), ("L", *tok(5, 5), "A")]
    t = qc.cooccurrence(coding_of(LETTERS, FLAT, spans), unit="window", window=3, ordered=True, tidy=True)
    assert t[["code_a", "code_b", "n"]].values.tolist() == [
        ["A", "A", 2], ["A", "B", 1], ["A", "C", 1], ["B", "A", 1], ["B", "B", 1], ["C", "A", 1], ["C", "C", 1]]
    mat, labels = qc.cooccurrence(coding_of(LETTERS, FLAT, spans), unit="window", window=3, ordered=True, sparse=True)
    assert labels == ["A", "B", "C"] and mat.toarray().tolist() == [[2, 1, 1], [1, 1, 0], [1, 0, 1]]


# Turns: "a b c" | "d e f" (turn 1 starts at 7), then a turn-less document.
TURNED = qc.Corpus.from_frame(pd.DataFrame({"doc_id": ["T", "T"], "speaker": ["I", "P"], "text": ["a b c", "d e f"]}),
                              speaker="speaker")


def test_window_within_turn_or_document():
    # A on c (last token of turn 0, position 2), B on d (first of turn 1, position 3).
    spans = [("T", 4, 5, "A"), ("T", 7, 8, "B")]
    assert win(spans, 1, corpus=TURNED).loc["A", "B"] == 0
    assert win(spans, 100, corpus=TURNED).loc["A", "B"] == 0
    assert win(spans, 1, corpus=TURNED, within="document").loc["A", "B"] == 1
    assert win(spans, 1, corpus=TURNED, within="document", ordered=True).values.tolist() == [[1, 1], [0, 1]]
    # C over "c\n\nd" reaches from both turns: shares c with A and d with B.  E on f is 2 after
    # C's last token (d), in turn 1.
    spans = [("T", 4, 5, "A"), ("T", 7, 8, "B"), ("T", 4, 8, "C"), ("T", 11, 12, "D")]
    m = win(spans, 2, corpus=TURNED)
    assert m.values.tolist() == [[1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 1, 1], [0, 1, 1, 1]]
    assert win(spans, 1, corpus=TURNED).loc["C", "D"] == 0


def test_window_text_outside_turns_is_its_own_stretch(tmp_path):
    # "Study seven" (outside turns, tokens 0-1), then turns "a b" (2-3) and "c d" (4-5).
    p = tmp_path / "H1.txt"
    p.write_text("Study seven\n\nInt: a b\n\nP1: c d\n", encoding="utf-8")
    corpus = qc.read_transcripts([str(p)])
    text = corpus.texts[0]
    at = {w: text.index(w) for w in ("seven", "a b", "c d")}
    spans = [("H1", at["seven"], at["seven"] + 5, "A"), ("H1", at["a b"], at["a b"] + 1, "B"), ("H1", at["c d"], at["c d"] + 1, "C")]
    m = win(spans, 5, corpus=corpus)
    assert m.values.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    m = win(spans, 2, corpus=corpus, within="document")  # seven (1) - a (2) - c (4)
    assert m.values.tolist() == [[1, 1, 0], [1, 1, 1], [0, 1, 1]]
    # Analysed only in P1's turns: Int's tokens are not tokens of the corpus, positions stay
    # the document's (c is 2 after a).
    only = corpus.filter(speakers=["P1"])
    sub = coding_of(only, FLAT, spans + [("H1", at["c d"] + 2, at["c d"] + 3, "D")])
    m = qc.cooccurrence(sub, unit="window", window=1)
    assert m.values.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]]


def test_window_level_roll_up():
    # T > x on 0, T > y on 1, D on 3.  Level 1: x-y is a T-T pair (not counted); T-D pairs:
    # (y, D) 2 apart, (x, D) 3 apart.
    cb = qc.Codebook.from_dict({"T": {"x": None, "y": None}, "D": None})
    spans = [("L", *tok(0, 0), "x"), ("L", *tok(1, 1), "y"), ("L", *tok(3, 3), "D")]
    assert win(spans, 2, cb=cb, level=1).values.tolist() == [[2, 1], [1, 1]]
    assert win(spans, 3, cb=cb, level=1).values.tolist() == [[2, 2], [2, 1]]
    assert win(spans, 2, cb=cb).values.tolist() == [[1, 1, 0], [1, 1, 1], [0, 1, 1]]


def test_window_measures():
    # A on 0 and 5, B on 1, C on 1: window 1 -> A-B 1, A-C 1, B-C 1; n_A 2, n_B 1, n_C 1.
    spans = [("L", *tok(0, 0), "A"), ("L", *tok(5, 5), "A"), ("L", *tok(1, 1), "B"), ("L", *tok(1, 1), "C")]
    jac = win(spans, 1, measure="jaccard")
    cos = win(spans, 1, measure="cosine")
    assert jac.loc["A", "B"] == pytest.approx(1 / (2 + 1 - 1)) and jac.loc["B", "C"] == pytest.approx(1.0)
    assert cos.loc["A", "B"] == pytest.approx(1 / math.sqrt(2))
    for measure in ("lift", "pmi"):
        with pytest.raises(ArgumentError, match=rf"measure: '{measure}'.*window"):
            win(spans, 1, measure=measure)
        with pytest.raises(ArgumentError, match=rf"measure: '{measure}'.*window"):
            qc.cooccurrence(CODING, unit="turn", window=1, measure=measure)


def test_turn_window_by_hand():
    # CODING's codings by turn: A0: x1 D2 y3 x11 | A1: D4 D5 x6 | A2: E7 | B0: y8 | B1: D9 y10.
    # Window 1 (same or next turn, same document), pairs of different codes:
    #   in A0: x-D 2 (x1 D2, D2 x11), x-y 2 (x1 y3, y3 x11), y-D 1
    #   A0-A1: x-D 5 (x1 D4, x1 D5, x11 D4, x11 D5, D2 x6), y-D 2 (y3 D4, y3 D5), x-y 1 (y3 x6)
    #   in A1: x-D 2;  A1-A2: D-E 2, x-E 1;  B0-B1: y-D 1;  in B1: y-D 1
    # -> x-D 9, x-y 3, y-D 5, D-E 2, x-E 1.  Diagonal: codings x 3, y 3, D 4, E 1.
    m = qc.cooccurrence(CODING, unit="turn", window=1)
    assert m.values.tolist() == full([X, Y, D, E], {(X, X): 3, (Y, Y): 3, (D, D): 4, (E, E): 1,
                                                    (X, Y): 3, (X, D): 9, (Y, D): 5, (D, E): 2, (X, E): 1})
    assert m.attrs["window"] == 2 - 1 and m.attrs["unit"] == "turn" and m.attrs["n_units"] is None
    # Window 2 adds A0-A2: x-E +2 (x1, x11), D-E +1 (D2), y-E +1 (y3).
    m2 = qc.cooccurrence(CODING, unit="turn", window=2)
    assert m2.values.tolist() == full([X, Y, D, E], {(X, X): 3, (Y, Y): 3, (D, D): 4, (E, E): 1,
                                                     (X, Y): 3, (X, D): 9, (Y, D): 5, (D, E): 3, (X, E): 3, (Y, E): 1})
    # Ordered (an earlier turn before a later one; the same turn counts neither way):
    #   A0->A1: x->D 4, D->x 1 (D2 x6), y->D 2, y->x 1;  A1->A2: D->E 2, x->E 1;  B0->B1: y->D 1
    o = qc.cooccurrence(CODING, unit="turn", window=1, ordered=True)
    exp = np.diag([3, 3, 4, 1])
    for (a, b), v in {(X, D): 4, (D, X): 1, (Y, D): 3, (Y, X): 1, (D, E): 2, (X, E): 1}.items():
        exp[[X, Y, D, E].index(a), [X, Y, D, E].index(b)] = v
    assert o.values.tolist() == exp.tolist()
    # the same-turn pairs: A0 x-D 2, x-y 2, y-D 1; A1 x-D 2; B1 y-D 1
    same = np.zeros((4, 4), dtype=int)
    for (a, b), v in {(X, D): 4, (X, Y): 2, (Y, D): 2}.items():
        i, j = [X, Y, D, E].index(a), [X, Y, D, E].index(b)
        same[i, j] = same[j, i] = v
    off = ~np.eye(4, dtype=bool)
    assert ((o.to_numpy() + o.to_numpy().T + same)[off] == m.to_numpy()[off]).all()


def test_turn_window_coding_in_a_gap_and_turnless_documents():
    # A 25..27 is the gap between turns A0 and A1: no turn, no pair.  In a turn-less document
    # every coding is in the one turn: everything pairs at any window.
    cod = coding_of(CORPUS, CB, [("A", 25, 27, "x"), ("A", 0, 3, "D"), ("A", 30, 33, "y")])
    assert qc.cooccurrence(cod, unit="turn", window=1).values.tolist() == [[1, 0, 0], [0, 1, 1], [0, 1, 1]]
    two = qc.Corpus.from_texts(["I trust it. The data is weak.", "Data."], doc_ids=["a", "b"])
    cod = coding_of(two, FLAT, [("a", 2, 7, "A"), ("a", 16, 20, "B"), ("b", 0, 4, "C")])
    assert qc.cooccurrence(cod, unit="turn", window=1).values.tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 1]]


def test_window_by_group():
    # g1 = A, g2 = B; turn window 1 from test_turn_window_by_hand split by document.
    res = qc.cooccurrence(CODING, unit="turn", window=1, by="group")
    assert res["g1"].values.tolist() == full([X, Y, D, E], {(X, X): 3, (Y, Y): 1, (D, D): 3, (E, E): 1,
                                                            (X, Y): 3, (X, D): 9, (Y, D): 3, (D, E): 2, (X, E): 1})
    assert res["g2"].values.tolist() == full([X, Y, D, E], {(Y, Y): 2, (D, D): 1, (Y, D): 2})
    for unit, kw in (("turn", {"window": 1}), ("window", {"window": 3}), ("window", {"window": 2, "ordered": True})):
        res = qc.cooccurrence(CODING, unit=unit, by="group", **kw)
        for g, got in res.items():
            corpus = CORPUS.filter(group=g)
            f = CODING.to_frame()
            sub = qc.Coding.from_frame(corpus, CB, f[f["doc_id"].isin(corpus.doc_ids)], coder="coder")
            exp = qc.cooccurrence(sub, unit=unit, **kw)
            assert got.loc[exp.index, exp.columns].values.tolist() == exp.values.tolist()


def test_window_bad_arguments():
    cases = [
        ({"unit": "window"}, r"window: unit='window' needs window=N"),
        ({"unit": "window", "window": 0}, r"window: must be a whole number >= 1.*got 0"),
        ({"unit": "window", "window": -2}, r"window: must be a whole number >= 1.*got -2"),
        ({"unit": "window", "window": 2.5}, r"window: must be a whole number >= 1.*got 2.5"),
        ({"unit": "window", "window": True}, r"window: must be a whole number >= 1.*got True"),
        ({"unit": "sentence", "window": 3}, r"window: only unit='window' \(N tokens\) and unit='turn' \(N turns\).*'sentence'"),
        ({"unit": "overlap", "window": 3}, r"window: only .*'overlap'"),
        ({"unit": "turn", "ordered": True}, r"ordered: only windows have an order"),
        ({"unit": "sentence", "ordered": True}, r"ordered: only windows"),
        ({"unit": "window", "window": 3, "within": "sentence"}, r"within: 'sentence' is not one of \['turn', 'document'\]"),
        ({"unit": "turn", "window": 3, "within": "document"}, r"within: only unit='window' takes within=, not unit='turn'"),
    ]
    for kwargs, msg in cases:
        with pytest.raises(ArgumentError, match=msg):
            qc.cooccurrence(CODING, **kwargs)
        with pytest.raises(ArgumentError, match=msg):
            qc.cooccurrence_units(CODING, X, D, **kwargs)
    with pytest.raises(ArgumentError, match=r"unit: 'windows' is not one of \['overlap', 'sentence', 'turn', 'window', 'document', 'case'\]"):
        qc.cooccurrence(CODING, unit="windows", window=2)


def test_window_numpy_integer_window():
    spans = [("L", *tok(0, 0), "A"), ("L", *tok(3, 3), "B")]
    assert win(spans, np.int64(3)).loc["A", "B"] == 1
    assert win(spans, np.int64(3)).attrs["window"] == 3


def test_window_empty_coding_and_no_tokens():
    assert win([], 3).shape == (0, 0)
    empty = qc.Corpus.from_texts(["   ", "a"], doc_ids=["s", "t"])
    m = qc.cooccurrence(coding_of(empty, FLAT, [("s", 0, 3, "A"), ("s", 1, 2, "B")]), unit="window", window=5)
    assert m.values.tolist() == [[1, 0], [0, 1]]


# --------------------------------------------------------------------------- drill-down

def test_units_window_passages():
    # A on 0 (a), B on 2 (c), B on 4 (e), C on 2: window 2 -> A-B pairs (a, c) distance 2;
    # (a, e) is 4 apart.
    spans = [("L", *tok(0, 0), "A"), ("L", *tok(2, 2), "B"), ("L", *tok(4, 4), "B"), ("L", *tok(2, 2), "C")]
    cod = coding_of(LETTERS, FLAT, spans)
    u = qc.cooccurrence_units(cod, "A", "B", unit="window", window=2)
    assert list(u.columns) == ["doc_id", "start", "end", "text", "span_a", "span_b", "distance"]
    assert u.values.tolist() == [["L", 0, 5, "a b c", (0, 1), (4, 5), 2]]
    u = qc.cooccurrence_units(cod, "B", "A", unit="window", window=4)
    assert u[["text", "span_a", "span_b", "distance"]].values.tolist() == [
        ["a b c", (4, 5), (0, 1), 2], ["a b c d e", (8, 9), (0, 1), 4]]
    # ordered: B before A never happens; A before B twice; B-C share a token: distance 0
    assert len(qc.cooccurrence_units(cod, "B", "A", unit="window", window=4, ordered=True)) == 0
    assert len(qc.cooccurrence_units(cod, "A", "B", unit="window", window=4, ordered=True)) == 2
    u = qc.cooccurrence_units(cod, "B", "C", unit="window", window=1)
    assert u[["text", "distance"]].values.tolist() == [["c", 0]]
    assert len(qc.cooccurrence_units(cod, "B", "C", unit="window", window=1, ordered=True)) == 0


def test_units_turn_window_passages():
    # x-E with a turn window of 2: x1 (A0) and x6 (A1) with E7 (A2), x11 (A0) with E7.
    u = qc.cooccurrence_units(CODING, X, E, unit="turn", window=2)
    assert u[["doc_id", "start", "end", "span_a", "span_b", "distance"]].values.tolist() == [
        ["A", 7, 62, (7, 12), (58, 62), 2], ["A", 17, 62, (17, 24), (58, 62), 2], ["A", 27, 62, (27, 30), (58, 62), 1]]
    assert u["text"].iloc[2] == CORPUS["A"].text[27:62]
    assert len(u) == qc.cooccurrence(CODING, unit="turn", window=2).loc[X, E]
    assert len(qc.cooccurrence_units(CODING, E, X, unit="turn", window=2, ordered=True)) == 0
    assert len(qc.cooccurrence_units(CODING, X, E, unit="turn", window=1, ordered=True)) == 1


# --------------------------------------------------------------------------- brute force


def window_reference(corpus: qc.Corpus, spans, unit: str, window: int, within: str, ordered: bool,
                     level: int | None) -> tuple[list[str], np.ndarray]:
    """Labels and counts of a window unit, by loops over coding pairs.  Token windows: each
    coding's tokens cut into stretches (runs of tokens of one turn, or the whole document with
    within="document"); two codings pair when, in a stretch they share, the later one's first
    token is at most ``window`` after the earlier one's last.  Turn windows: the same over the
    turns each coding touches."""
    pos = {d: i for i, d in enumerate(corpus.doc_ids)}
    mapped = [HCB.ancestor(c, level) if level is not None else HCB.resolve(c) for *_, c in spans]
    labels = [p for p in HCB.paths if p in set(mapped)]
    k = {p: i for i, p in enumerate(labels)}
    pieces: list[dict[int, tuple[int, int]]] = []  # per coding: stretch -> (first, last)
    if unit == "window":
        toks = corpus.tokens().to_frame()
        by_doc: dict[str, list[tuple[int, int, int, int]]] = {}
        stretch, prev = -1, None
        for d, t, p, a, b in zip(toks["doc_id"].astype(str), toks["turn"].fillna(-1).astype(int), toks["position"],
                                 toks["start"], toks["end"]):
            key = (d, t) if within == "turn" else (d,)
            if key != prev:
                stretch, prev = stretch + 1, key
            by_doc.setdefault(d, []).append((p, a, b, stretch))
        for d, s, e, _ in spans:
            got: dict[int, tuple[int, int]] = {}
            for p, a, b, st_ in by_doc.get(d, []):
                if s < e and a < e and s < b:
                    lo, hi = got.get(st_, (p, p))
                    got[st_] = (min(lo, p), max(hi, p))
            pieces.append(got)
    else:
        turns = sorted(units_of(corpus, "turn"))
        for d, s, e, _ in spans:
            idx = [i for i, u in enumerate(turns) if touches("turn", u, pos[d], s, e)]
            pieces.append({0: (min(idx), max(idx))} if idx else {})
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for node in mapped:
        m[k[node], k[node]] += 1
    for i, j in combinations(range(len(spans)), 2):
        a, b = k[mapped[i]], k[mapped[j]]
        if a == b or spans[i][0] != spans[j][0]:
            continue
        common = set(pieces[i]) & set(pieces[j])
        if ordered:
            for first, second, x, y in ((i, j, a, b), (j, i, b, a)):
                if any(0 < pieces[second][c][0] - pieces[first][c][1] <= window for c in common):
                    m[x, y] += 1
        elif any(max(pieces[j][c][0] - pieces[i][c][1], pieces[i][c][0] - pieces[j][c][1]) <= window for c in common):
            m[a, b] += 1
            m[b, a] += 1
    return labels, m


@settings(max_examples=60, deadline=None)
@given(studies(), st.sampled_from(["window", "turn"]), st.integers(1, 6), st.sampled_from(["turn", "document"]),
       st.booleans(), st.sampled_from([None, 1, 2]))
def test_window_brute_force_reference(study, unit, window, within, ordered, level):
    corpus, spans = study
    coding = coding_of(corpus, HCB, spans)
    if unit == "turn":
        within = "turn"
    labels, counts = window_reference(corpus, spans, unit, window, within, ordered, level)
    got = qc.cooccurrence(coding, unit=unit, window=window, within=within, ordered=ordered, level=level)
    assert list(got.index) == labels and list(got.columns) == labels
    np.testing.assert_array_equal(got.to_numpy(), counts, err_msg=f"{unit} {window} {within} {ordered} {spans}")
    if not ordered:
        assert (counts == counts.T).all()
        # every overlapping pair of codings with a token (a character that is not white space)
        # is a pair of any token window
        texts = {d: corpus[d].text for d in corpus.doc_ids}
        inked = [sp_ for sp_ in spans if texts[sp_[0]][sp_[1]:sp_[2]].strip()]
        if unit == "window" and within == "document" and inked:
            sub = coding_of(corpus, HCB, inked)
            ov = qc.cooccurrence(sub, unit="overlap", level=level)
            w = qc.cooccurrence(sub, unit="window", window=1, within=within, level=level)
            assert (w.to_numpy() >= ov.loc[w.index, w.columns].to_numpy()).all()
    else:
        plain = qc.cooccurrence(coding, unit=unit, window=window, within=within, level=level).to_numpy()
        o = got.to_numpy()
        off = ~np.eye(len(labels), dtype=bool)
        assert ((o + o.T)[off] <= plain[off]).all()


@settings(max_examples=40, deadline=None)
@given(studies(), st.sampled_from(["window", "turn"]), st.integers(1, 4), st.booleans(), st.sampled_from(HCB.leaves),
       st.sampled_from(HCB.leaves))
def test_window_units_match_cells(study, unit, window, ordered, a, b):
    corpus, spans = study
    if a == b:
        return
    coding = coding_of(corpus, HCB, spans)
    u = qc.cooccurrence_units(coding, a, b, unit=unit, window=window, ordered=ordered)
    m = qc.cooccurrence(coding, unit=unit, window=window, ordered=ordered)
    assert len(u) == (m.loc[a, b] if a in m.index and b in m.index else 0)
    texts = {d: corpus[d].text for d in corpus.doc_ids}
    for row in u.itertuples(index=False):
        (sa, ea), (sb, eb) = row.span_a, row.span_b
        assert (row.doc_id, sa, ea, a) in spans and (row.doc_id, sb, eb, b) in spans
        assert (row.start, row.end) == (min(sa, sb), max(ea, eb))
        assert texts[row.doc_id][row.start:row.end] == row.text
        assert 0 <= row.distance <= window
        if ordered:
            assert row.distance >= 1


@pytest.mark.parametrize("kw", [{"unit": "window", "window": 3}, {"unit": "window", "window": 2, "ordered": True},
                                {"unit": "turn", "window": 1}])
def test_window_same_with_any_thread_count(monkeypatch, kw):
    want = qc.cooccurrence(CODING, **kw)
    for threads in ("1", "2", "3"):
        monkeypatch.setenv(qc.THREADS_ENV, threads)
        pd.testing.assert_frame_equal(qc.cooccurrence(CODING, **kw), want)
