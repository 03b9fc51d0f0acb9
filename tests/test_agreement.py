"""Inter-coder agreement: reliability() on published worked examples and against scikit-learn /
krippendorff, agreement() on hand-worked cases for every unit, consistency of agreement() with
reliability() on tables built independently here (hypothesis), bootstrap intervals, bad input,
disagreements(), and a large case.

Every expected number below is worked out by hand in the comments next to it.
"""

from __future__ import annotations

from fractions import Fraction

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

import qualcore as qc
from qualcore.errors import AgreementError, ArgumentError

MEASURES = ["percent", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1"]
CHANCE_CORRECTED = ["cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1"]
ALL = "(all codes)"
nan = np.nan

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _coding(corpus: qc.Corpus, cb: qc.Codebook, rows: list[tuple]) -> qc.Coding:
    """Codings from (doc_id, start, end, code, coder) tuples."""
    df = pd.DataFrame(rows, columns=["doc_id", "start", "end", "code", "coder"])
    return qc.Coding.from_frame(corpus, cb, df, coder="coder")


def _values(res: pd.DataFrame, label: str = ALL, key: str = "code") -> dict[str, float]:
    sub = res[res[key] == label]
    assert sub["measure"].is_unique
    return dict(zip(sub["measure"], sub["value"].astype(float)))


def _row(res: pd.DataFrame, label: str = ALL, measure: str = "percent", key: str = "code") -> pd.Series:
    sub = res[(res[key] == label) & (res["measure"] == measure)]
    assert len(sub) == 1
    return sub.iloc[0]


def _close(got: dict[str, float], want: dict[str, float], tol: float = 1e-12) -> None:
    assert set(got) == set(want), (got, want)
    for k in want:
        g, w = got[k], want[k]
        if np.isnan(w):
            assert np.isnan(g), (k, g, w)
        else:
            assert g == pytest.approx(w, abs=tol, rel=tol), (k, g, w)


def _table(pairs: list[tuple[tuple[int, ...], int]]) -> np.ndarray:
    """A unit x coder table from (row, repetitions) pairs."""
    return np.array([r for r, n in pairs for _ in range(n)], dtype=float)


# =============================================================================================
# 1. reliability(): published worked examples


KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T  # units x observers


def test_krippendorff_worked_example_with_missing_values() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal data with
    # missing values (unit 12 has one value and is not pairable): alpha = 0.743.
    got = qc.reliability(KRIPPENDORFF_2011, "krippendorff_alpha")
    assert list(got) == ["krippendorff_alpha"]
    assert round(got["krippendorff_alpha"], 3) == 0.743
    ref = krippendorff.alpha(reliability_data=KRIPPENDORFF_2011.T, level_of_measurement="nominal")
    assert got["krippendorff_alpha"] == pytest.approx(ref, abs=1e-12)


def test_krippendorff_example_with_string_categories_and_none() -> None:
    # Categories can be any hashable; None marks a missing judgement.
    labels = {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
    data = [[None if np.isnan(x) else labels[int(x)] for x in row] for row in KRIPPENDORFF_2011]
    got = qc.reliability(pd.DataFrame(data, dtype=object), "krippendorff_alpha")["krippendorff_alpha"]
    assert round(got, 3) == 0.743


FLEISS_1971 = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def _expand_counts(counts: np.ndarray) -> np.ndarray:
    """A subject x category count table as a subject x rater table (raters interchangeable)."""
    return np.array([np.repeat(np.arange(1, counts.shape[1] + 1), row) for row in counts], dtype=float)


def test_fleiss_worked_example() -> None:
    # Fleiss (1971) / Wikipedia: 10 subjects, 14 raters, 5 categories.
    # p_j = 0.143, 0.200, 0.279, 0.150, 0.229; P-bar = 0.378; P-bar_e = 0.213; kappa = 0.210.
    table = _expand_counts(FLEISS_1971)
    assert table.shape == (10, 14)
    got = qc.reliability(table, "fleiss_kappa")["fleiss_kappa"]
    assert round(got, 3) == 0.210
    # Exactly: P-bar = 1.0 * sum_i (sum_j n_ij^2 - 14) / (14 * 13) / 10
    sq = (FLEISS_1971**2).sum(axis=1)
    pbar = Fraction(int((sq - 14).sum()), 14 * 13 * 10)
    pj = [Fraction(int(c), 140) for c in FLEISS_1971.sum(axis=0)]
    pe = sum(p * p for p in pj)
    assert got == pytest.approx(float((pbar - pe) / (1 - pe)), abs=1e-12)
    # Shuffling each subject's raters does not change Fleiss' kappa.
    rng = np.random.default_rng(3)
    shuffled = np.array([rng.permutation(r) for r in table])
    assert qc.reliability(shuffled, "fleiss_kappa")["fleiss_kappa"] == pytest.approx(got, abs=1e-12)


# Wikipedia's Cohen example: 50 proposals, A yes & B yes 20, A yes & B no 5, A no & B yes 10,
# both no 15.
COHEN_WIKI = _table([((1, 1), 20), ((1, 0), 5), ((0, 1), 10), ((0, 0), 15)])


def test_cohen_wikipedia_example_all_measures() -> None:
    got = qc.reliability(COHEN_WIKI)
    # percent: Po = 35/50 = 0.7
    # Cohen: pA(yes) = 25/50 = .5, pB(yes) = 30/50 = .6; Pe = .5*.6 + .5*.4 = .5;
    #        kappa = (.7 - .5) / .5 = 0.4
    # Fleiss (Scott's pi for 2 raters): pooled p(yes) = 55/100 = .55; Pe = .55^2 + .45^2 = .505;
    #        P-bar = Po = .7; kappa = .195/.495 = 13/33
    # Krippendorff: 100 values, n_yes = 55, n_no = 45; o_yes,no = o_no,yes = 15 (the 15
    #        disagreeing units, weight 1/(2-1)); alpha = 1 - 99 * 30 / (2 * 55 * 45) = 0.4
    # Gwet AC1: Pe = 2 * .55 * .45 = .495; AC1 = (.7 - .495) / .505 = 41/101
    _close(got, {"percent": 0.7, "cohen_kappa": 0.4, "fleiss_kappa": 13 / 33,
                 "krippendorff_alpha": 0.4, "gwet_ac1": 41 / 101})


def test_gwet_ac1_hand_worked_2x2_table_with_kappa_paradox() -> None:
    # A yes & B yes 80, A yes & B no 5, A no & B yes 10, both no 5 (n = 100): high agreement
    # but skewed marginals, the "kappa paradox".
    table = _table([((1, 1), 80), ((1, 0), 5), ((0, 1), 10), ((0, 0), 5)])
    got = qc.reliability(table, ["percent", "cohen_kappa", "gwet_ac1"])
    # Po = 85/100 = .85
    # Cohen: pA = .85, pB = .90; Pe = .85*.9 + .15*.1 = .78; kappa = .07/.22 = 7/22 = 0.318
    # Gwet: pi(yes) = (.85 + .90)/2 = .875; Pe = sum_k pi_k (1 - pi_k) / (q - 1)
    #       = 2 * .875 * .125 / 1 = .21875; AC1 = (.85 - .21875) / (1 - .21875) = .63125/.78125 = .808
    _close(got, {"percent": 0.85, "cohen_kappa": 7 / 22, "gwet_ac1": 0.808})


def test_gwet_ac1_three_categories_by_hand() -> None:
    # Units (A, B): (a,a) (a,a) (b,b) (c,c) (a,b) (b,c).  Po = 4/6.
    # Category counts over both raters: a 5, b 4, c 3 of 12 -> pi = 5/12, 4/12, 3/12.
    # Pe = (5*7 + 4*8 + 3*9) / 144 / (3 - 1) = 94/288 = 47/144.
    # AC1 = (96/144 - 47/144) / (97/144) = 49/97.
    table = pd.DataFrame([("a", "a"), ("a", "a"), ("b", "b"), ("c", "c"), ("a", "b"), ("b", "c")])
    got = qc.reliability(table, "gwet_ac1")["gwet_ac1"]
    assert got == pytest.approx(49 / 97, abs=1e-12)


def test_reliability_undefined_values_are_nan() -> None:
    # Everyone puts every unit in the same category: no variation, chance agreement is 1.
    same = np.ones((6, 3))
    got = qc.reliability(same)
    for m in CHANCE_CORRECTED:
        assert np.isnan(got[m]), m
    assert got["percent"] == 1.0


labels_2 = st.integers(2, 40).flatmap(
    lambda n: st.tuples(st.lists(st.integers(0, 3), min_size=n, max_size=n),
                        st.lists(st.integers(0, 3), min_size=n, max_size=n))
)


@PROPERTY
@given(labels_2)
def test_cohen_kappa_equals_scikit_learn(ab: tuple[list[int], list[int]]) -> None:
    a, b = ab
    # kappa is undefined only when both coders use one and the same category throughout.
    assume(len(set(a) | set(b)) > 1)
    got = qc.reliability(np.column_stack([a, b]), ["percent", "cohen_kappa"])
    assert got["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-10)
    assert got["percent"] == pytest.approx(np.mean(np.array(a) == np.array(b)), abs=1e-12)


nominal_with_missing = st.tuples(st.integers(2, 4), st.integers(2, 15)).flatmap(
    lambda mn: st.lists(
        st.lists(st.one_of(st.sampled_from([0.0, 1.0, 2.0]), st.just(nan)), min_size=mn[0], max_size=mn[0]),
        min_size=mn[1], max_size=mn[1],
    )
)


@PROPERTY
@given(nominal_with_missing)
def test_krippendorff_alpha_equals_krippendorff_package(rows: list[list[float]]) -> None:
    data = np.array(rows, dtype=float)  # units x coders
    judged = (~np.isnan(data)).sum(axis=1)
    pairable = data[judged >= 2]
    values = pairable[~np.isnan(pairable)]
    assume(len(np.unique(values)) >= 2)
    got = qc.reliability(data, "krippendorff_alpha")["krippendorff_alpha"]
    ref = krippendorff.alpha(reliability_data=data.T, level_of_measurement="nominal")
    assert got == pytest.approx(ref, abs=1e-10)


# =============================================================================================
# 2. agreement() on hand-worked cases

CB = qc.Codebook.from_dict({"T": None, "U": None})

# 20 characters; the first ten are not ASCII, so byte offsets would give 30.
CHAR_TEXT = "ééééééééééabcdefghij"


@pytest.fixture
def char_coding() -> qc.Coding:
    corpus = qc.Corpus.from_texts([CHAR_TEXT], doc_ids=["c1"])
    return _coding(corpus, CB, [
        # A codes T on 0..8 and 6..12 (overlapping: one stretch 0..12) plus an empty coding.
        ("c1", 0, 8, "T", "A"), ("c1", 6, 12, "T", "A"), ("c1", 3, 3, "T", "A"),
        # B codes T on 4..10 and 10..14 (touching: one stretch 4..14).
        ("c1", 4, 10, "T", "B"), ("c1", 10, 14, "T", "B"),
        # Both code U on 15..20.
        ("c1", 15, 20, "U", "A"), ("c1", 15, 20, "U", "B"),
    ])


def test_character_unit_by_hand(char_coding: qc.Coding) -> None:
    res = qc.agreement(char_coding, unit="character", ci=None)
    assert list(res.columns) == ["code", "measure", "value", "ci_low", "ci_high", "n_units",
                                 "n_documents", "n_coders", "uncoded_share", "note"]
    assert res["code"].tolist() == ["T"] * 5 + ["U"] * 5 + [ALL] * 5
    assert res["measure"].tolist() == MEASURES * 3
    # T: both 4..12 = 8 chars, A only 0..4 = 4, B only 12..14 = 2, nobody 14..20 = 6; n = 20.
    #   Po = 14/20 = .7; pA = 12/20 = .6, pB = 10/20 = .5; Pe = .3 + .2 = .5; kappa = .4
    #   pooled p = 22/40 = .55: Fleiss = (.7 - .505)/.495 = 13/33; AC1 = (.7 - .495)/.505 = 41/101
    #   alpha = 1 - 39 * (2 * 6) / (2 * 22 * 18) = 1 - 468/792 = 9/22
    _close(_values(res, "T"), {"percent": 0.7, "cohen_kappa": 0.4, "fleiss_kappa": 13 / 33,
                               "krippendorff_alpha": 9 / 22, "gwet_ac1": 41 / 101})
    t = _row(res, "T")
    assert (t.n_units, t.n_documents, t.n_coders) == (20, 1, 2)
    assert t.uncoded_share == pytest.approx(6 / 20)
    # U: both 15..20 = 5 chars, nobody 15: perfect agreement; kappa = 1 (pA = pB = .25).
    assert _values(res, "U")["percent"] == 1.0
    assert _values(res, "U")["cohen_kappa"] == pytest.approx(1.0)
    assert _row(res, "U").uncoded_share == pytest.approx(15 / 20)
    # All codes pooled: 40 items; both 13, A only 4, B only 2, nobody 21.
    #   Po = 34/40 = .85; pA = 17/40, pB = 15/40; Pe = (17*15 + 23*25)/1600 = 830/1600;
    #   kappa = (1360 - 830)/(1600 - 830) = 530/770 = 53/77
    pooled = _values(res, ALL)
    assert pooled["percent"] == pytest.approx(0.85)
    assert pooled["cohen_kappa"] == pytest.approx(53 / 77)
    assert _row(res, ALL).n_units == 40
    assert _row(res, ALL).uncoded_share == pytest.approx(21 / 40)
    # Every value equals reliability() on the per-character table written out by hand.
    t_table = _table([((1, 1), 8), ((1, 0), 4), ((0, 1), 2), ((0, 0), 6)])
    u_table = _table([((1, 1), 5), ((0, 0), 15)])
    _close(_values(res, "T"), qc.reliability(t_table))
    _close(_values(res, ALL), qc.reliability(np.vstack([t_table, u_table])))
    assert (res["note"] == "").all()


def test_character_unit_by_none_and_by_document(char_coding: qc.Coding) -> None:
    pooled = qc.agreement(char_coding, unit="character", ci=None, by=None)
    assert pooled["code"].tolist() == [ALL] * 5
    by_code = qc.agreement(char_coding, unit="character", ci=None)
    pd.testing.assert_frame_equal(pooled, by_code[by_code["code"] == ALL].reset_index(drop=True))
    by_doc = qc.agreement(char_coding, unit="character", ci=None, by="document")
    assert by_doc.columns[0] == "doc_id"
    assert by_doc["doc_id"].tolist() == ["c1"] * 5
    _close(_values(by_doc, "c1", key="doc_id"), _values(pooled))
    assert (by_doc["n_documents"] == 1).all()


def test_character_unit_one_measure_as_string(char_coding: qc.Coding) -> None:
    res = qc.agreement(char_coding, unit="character", measure="cohen_kappa", ci=None, by=None)
    assert res["measure"].tolist() == ["cohen_kappa"]
    assert res["value"].iloc[0] == pytest.approx(53 / 77)


# Sentences: "Yes." 0-4, "No." 5-8, "Maybe." 9-15, "Sure." 16-21, "Fine." 22-27.
SENT_TEXT = "Yes. No. Maybe. Sure. Fine."
SENTENCES = [(0, 4), (5, 8), (9, 15), (16, 21), (22, 27)]


def _sentence_corpus() -> qc.Corpus:
    corpus = qc.Corpus.from_texts([SENT_TEXT], doc_ids=["s1"])
    s = corpus.sentences()
    assert list(zip(s["start"], s["end"])) == SENTENCES
    return corpus


def test_sentence_unit_two_coders_by_hand() -> None:
    coding = _coding(_sentence_corpus(), CB, [
        ("s1", 0, 5, "T", "A"),    # "Yes. " -> s0 only (ends where s1 starts)
        ("s1", 9, 10, "T", "A"),   # s2
        ("s1", 22, 22, "T", "A"),  # empty coding at the start of s4: touches s4
        ("s1", 2, 6, "T", "B"),    # s0 and s1 (one character of "No.")
        ("s1", 16, 27, "T", "B"),  # s3 and s4
    ])
    res = qc.agreement(coding, unit="sentence", ci=None)
    # s0 AB, s1 B, s2 A, s3 B, s4 AB -> Po = 2/5; pA = 3/5, pB = 4/5;
    # Pe = 12/25 + 2/25 = 14/25; kappa = (10/25 - 14/25) / (11/25) = -4/11
    t = _values(res, "T")
    assert t["percent"] == pytest.approx(0.4)
    assert t["cohen_kappa"] == pytest.approx(-4 / 11)
    table = np.array([[1, 1], [0, 1], [1, 0], [0, 1], [1, 1]])
    _close(t, qc.reliability(table))
    assert _row(res, "T").n_units == 5
    # Only T is used, so the pooled row is the T row.
    assert res["code"].unique().tolist() == ["T", ALL]
    _close(_values(res, ALL), t)
    assert _row(res, "T").uncoded_share == 0.0


def test_sentence_unit_three_coders_by_hand() -> None:
    coding = _coding(_sentence_corpus(), CB, [
        ("s1", 0, 5, "T", "A"), ("s1", 9, 10, "T", "A"), ("s1", 23, 24, "T", "A"),
        ("s1", 2, 6, "T", "B"), ("s1", 16, 27, "T", "B"),
        ("s1", 0, 27, "T", "C"),
    ])
    res = qc.agreement(coding, unit="sentence", ci=None, by=None)
    # Table (A, B, C): s0 111, s1 011, s2 101, s3 011, s4 111.
    # percent: AB 2/5, AC 3/5, BC 4/5 -> mean .6
    # Cohen (Light): AB -4/11; AC and BC: C coded everything, Pe = Po -> 0; mean = -4/33
    # Fleiss: n1 = 3,2,2,2,3 -> P_i = 1, 1/3, 1/3, 1/3, 1 -> P-bar = .6; p = 12/15 = .8;
    #         Pe = .64 + .04 = .68; kappa = (.6 - .68)/.32 = -.25
    # Gwet: Pe = 2 * .8 * .2 = .32; AC1 = .28/.68 = 7/17
    # alpha: 15 values, n1 = 12, n0 = 3; o10 = 3 units * (2*1)/(3-1) = 3;
    #        alpha = 1 - 14 * 6 / (2 * 12 * 3) = -1/6
    want = {"percent": 0.6, "cohen_kappa": -4 / 33, "fleiss_kappa": -0.25,
            "krippendorff_alpha": -1 / 6, "gwet_ac1": 7 / 17}
    _close(_values(res), want)
    _close(want, qc.reliability(np.array([[1, 1, 1], [0, 1, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]])))
    assert _row(res).n_coders == 3
    # A subset of the coders: the A-B table only.
    ab = qc.agreement(coding, coders=["A", "B"], unit="sentence", ci=None, by=None)
    assert _values(ab)["cohen_kappa"] == pytest.approx(-4 / 11)
    assert ab.attrs["coders"] == ["A", "B"]


def _turn_corpus() -> qc.Corpus:
    rows = pd.DataFrame({
        "doc_id": ["A1", "A1", "A1", "A2", "A2"],
        "speaker": ["Int", "A1", "A1", "Int", "A2"],
        "text": ["Do you trust it?", "Yes. I do.", "Mostly.", "And you?", "No."],
    })
    corpus = qc.Corpus.from_frame(rows, speaker="speaker")
    # A1 = "Do you trust it?\n\nYes. I do.\n\nMostly.": turns 0-16, 18-28, 30-37
    # A2 = "And you?\n\nNo.": turns 0-8, 10-13
    t = corpus.turns
    assert list(zip(t["doc_id"], t["start"], t["end"])) == [
        ("A1", 0, 16), ("A1", 18, 28), ("A1", 30, 37), ("A2", 0, 8), ("A2", 10, 13)]
    return corpus


def test_turn_unit_by_hand() -> None:
    coding = _coding(_turn_corpus(), CB, [
        ("A1", 19, 20, "T", "A"),  # turn 1 ("Yes.")
        ("A1", 35, 37, "T", "A"),  # turn 2
        ("A2", 10, 11, "T", "A"),  # turn 1
        ("A1", 0, 5, "T", "B"),    # turn 0
        ("A1", 24, 25, "T", "B"),  # turn 1 ("I do.": another sentence of the same turn)
        ("A2", 0, 13, "T", "B"),   # both turns
    ])
    res = qc.agreement(coding, unit="turn", ci=None, by="code")
    # turns: A1/0 B, A1/1 AB, A1/2 A, A2/0 B, A2/1 AB -> Po = 2/5; pA = 3/5, pB = 4/5 -> kappa -4/11
    t = _values(res, "T")
    assert t["percent"] == pytest.approx(0.4)
    assert t["cohen_kappa"] == pytest.approx(-4 / 11)
    _close(t, qc.reliability(np.array([[0, 1], [1, 1], [1, 0], [0, 1], [1, 1]])))
    assert _row(res, "T").n_units == 5
    assert _row(res, "T").n_documents == 2
    # At sentence level the turn "Yes. I do." is two units, coded by A and B on different ones:
    # sentences A1: 0-16 B, 18-22 A, 23-28 B, 30-37 A; A2: 0-8 B, 10-13 AB -> Po = 1/6
    s = qc.agreement(coding, unit="sentence", ci=None, by=None, measure="percent")
    assert s["value"].iloc[0] == pytest.approx(1 / 6)
    # Per document: A1 has turns B, AB, A -> Po = 1/3; A2 has B, AB -> Po = 1/2.
    by_doc = qc.agreement(coding, unit="turn", ci=None, by="document", measure="percent")
    assert by_doc["doc_id"].tolist() == ["A1", "A2"]
    assert by_doc["value"].tolist() == pytest.approx([1 / 3, 1 / 2])
    assert by_doc["n_units"].tolist() == [3, 2]


def test_turn_unit_without_turns_is_the_document() -> None:
    corpus = qc.Corpus.from_texts(["one two", "three four", "five six"], doc_ids=["d1", "d2", "d3"])
    coding = _coding(corpus, CB, [
        ("d1", 0, 3, "T", "A"), ("d1", 4, 7, "T", "B"),
        ("d2", 0, 3, "T", "A"), ("d2", 0, 3, "U", "B"),
        ("d3", 0, 3, "U", "A"), ("d3", 0, 3, "U", "B"),
    ])
    turn = qc.agreement(coding, unit="turn", ci=None)
    doc = qc.agreement(coding, unit="document", ci=None)
    pd.testing.assert_frame_equal(turn, doc)


def test_document_unit_by_hand() -> None:
    corpus = qc.Corpus.from_texts(["a b", "c d", "e f", "g h", "i j"], doc_ids=["d1", "d2", "d3", "d4", "d5"])
    coding = _coding(corpus, CB, [
        ("d1", 0, 1, "T", "A"), ("d1", 2, 3, "T", "B"),
        ("d2", 0, 1, "T", "A"), ("d2", 0, 1, "U", "B"),
        ("d3", 0, 1, "U", "A"), ("d3", 2, 3, "T", "B"),
        ("d4", 0, 1, "U", "A"), ("d4", 0, 3, "U", "B"),
        ("d5", 0, 1, "T", "A"),  # only A: not a common document
    ])
    res = qc.agreement(coding, unit="document", ci=None)
    # T: d1 11, d2 10, d3 01, d4 00 -> Po = .5; pA = pB = .5 -> Pe = .5 -> kappa 0
    # U: d1 00, d2 01, d3 10, d4 11 -> the same
    for code in ("T", "U", ALL):
        v = _values(res, code)
        assert v["percent"] == pytest.approx(0.5)
        assert v["cohen_kappa"] == pytest.approx(0.0, abs=1e-12)
    assert _row(res, "T").n_units == 4
    assert _row(res, ALL).n_units == 8
    assert _row(res, "T").n_documents == 4
    assert res.attrs["documents"] == ["d1", "d2", "d3", "d4"]
    # documents="any" adds d5 where only A is present: with two coders it has no pair, so no
    # coefficient moves, but the document is counted.
    anyd = qc.agreement(coding, unit="document", ci=None, documents="any")
    assert _row(anyd, "T").n_documents == 5
    assert _row(anyd, "T").n_units == 5
    for code in ("T", "U", ALL):
        _close(_values(anyd, code), _values(res, code))


def test_segment_unit_threshold() -> None:
    text = "x" * 400
    corpus = qc.Corpus.from_texts([text, text], doc_ids=["g1", "g2"])
    coding = _coding(corpus, CB, [
        ("g1", 0, 100, "T", "A"), ("g1", 5, 100, "T", "B"),      # overlap 95 of 100: match
        ("g1", 200, 300, "T", "A"), ("g1", 220, 300, "T", "B"),  # overlap 80 of 100: no match
        ("g2", 0, 100, "U", "A"), ("g2", 300, 400, "U", "B"),    # no overlap
        ("g2", 0, 100, "T", "B"),                                # A coded U here, not T
    ])
    res = qc.agreement(coding, unit="segment")
    assert res["code"].tolist() == ["T", "U", ALL]
    assert (res["measure"] == "percent").all()
    # T: 1 matched pair; unmatched: A 200-300, B 220-300, B g2 0-100 -> 1/(1 + 3)
    t = _row(res, "T")
    assert (t.matched, t.unmatched) == (1, 3)
    assert t.value == pytest.approx(1 / 4)
    u = _row(res, "U")
    assert (u.matched, u.unmatched, u.value) == (0, 2, 0.0)
    a = _row(res, ALL)
    assert (a.matched, a.unmatched) == (1, 5)
    assert a.value == pytest.approx(1 / 6)
    assert a.n_units == 6
    # threshold 0.8: the 80 % pair matches too.
    t8 = _row(qc.agreement(coding, unit="segment", threshold=0.8), "T")
    assert (t8.matched, t8.unmatched) == (2, 1)
    assert t8.value == pytest.approx(2 / 3)
    # threshold 1: only identical spans.
    t1 = _row(qc.agreement(coding, unit="segment", threshold=1.0), "T")
    assert (t1.matched, t1.unmatched) == (0, 5)
    # by=None: the pooled row only; by="document": one row per document.
    assert qc.agreement(coding, unit="segment", by=None)["code"].tolist() == [ALL]
    by_doc = qc.agreement(coding, unit="segment", by="document")
    assert by_doc["doc_id"].tolist() == ["g1", "g2"]
    assert by_doc["matched"].tolist() == [1, 0]
    assert by_doc["unmatched"].tolist() == [2, 3]
    assert by_doc["value"].tolist() == pytest.approx([1 / 3, 0.0])
    assert by_doc["n_documents"].tolist() == [1, 1]


@pytest.mark.parametrize("threshold", [0.55, 0.9, 0.95])
def test_segment_overlap_of_exactly_the_threshold_matches(threshold: float) -> None:
    # "at least threshold of the longer": an overlap of exactly threshold * 100 characters
    # of a 100-character segment matches, whatever the rounding of threshold * 100.
    corpus = qc.Corpus.from_texts(["x" * 300], doc_ids=["g"])
    k = int(Fraction(str(threshold)) * 100)
    coding = _coding(corpus, CB, [("g", 100, 200, "T", "A"), ("g", 200 - k, 200, "T", "B")])
    r = _row(qc.agreement(coding, unit="segment", threshold=threshold), "T")
    assert (r.matched, r.unmatched, r.value) == (1, 0, 1.0)


def test_segment_unit_three_coders_and_duplicates() -> None:
    corpus = qc.Corpus.from_texts(["x" * 200], doc_ids=["g"])
    coding = _coding(corpus, CB, [
        ("g", 0, 100, "T", "A"), ("g", 0, 100, "T", "B"), ("g", 2, 100, "T", "B"),
        ("g", 0, 100, "T", "C"),
    ])
    r = _row(qc.agreement(coding, unit="segment"), "T")
    # A-B: A 0-100 matches one of B's (the larger overlap, 0-100); B 2-100 unmatched.
    # A-C: matched.  B-C: C matches B 0-100; B 2-100 unmatched.
    # matched pairs 3, unmatched 2 -> 3/5
    assert (r.matched, r.unmatched) == (3, 2)
    assert r.value == pytest.approx(3 / 5)


TREE = qc.Codebook.from_dict({"Trust": {"Cred": None, "Evid": None}, "Power": None})
CRED, EVID = "Trust > Cred", "Trust > Evid"


def test_level_rolls_codes_up() -> None:
    coding = _coding(_sentence_corpus(), TREE, [
        ("s1", 0, 4, "Cred", "A"), ("s1", 5, 8, "Evid", "A"),
        ("s1", 0, 4, "Evid", "B"), ("s1", 5, 8, "Cred", "B"),
        ("s1", 9, 15, "Power", "A"), ("s1", 9, 15, "Power", "B"), ("s1", 16, 21, "Power", "B"),
    ])
    leaf = qc.agreement(coding, unit="sentence", ci=None)
    assert leaf["code"].unique().tolist() == [CRED, EVID, "Power", ALL]
    # Cred: s0 A, s1 B, others none -> Po = 3/5
    assert _values(leaf, CRED)["percent"] == pytest.approx(3 / 5)
    rolled = qc.agreement(coding, unit="sentence", ci=None, level=1)
    assert rolled["code"].unique().tolist() == ["Trust", "Power", ALL]
    # Trust: s0 AB, s1 AB, s2-s4 none -> Po = 1, kappa = 1 (pA = pB = 2/5)
    tr = _values(rolled, "Trust")
    assert tr["percent"] == 1.0
    assert tr["cohen_kappa"] == pytest.approx(1.0)
    # Power: s2 AB, s3 B -> Po = 4/5; pA = 1/5, pB = 2/5; Pe = 2/25 + 12/25; kappa = (20-14)/(25-14)
    assert _values(rolled, "Power")["cohen_kappa"] == pytest.approx(6 / 11)
    # pooled over Trust and Power: 10 items
    assert _row(rolled).n_units == 10


def test_level_at_character_unit_counts_each_character_once() -> None:
    corpus = qc.Corpus.from_texts(["abcdefghijklmnopqrst"], doc_ids=["d"])
    coding = _coding(corpus, TREE, [
        ("d", 0, 10, "Cred", "A"), ("d", 5, 15, "Evid", "A"),  # Trust 0..15 for A
        ("d", 0, 15, "Trust", "B"),
    ])
    res = qc.agreement(coding, unit="character", ci=None, level=1, by=None)
    # Trust: both 15, nobody 5 -> perfect agreement, kappa 1
    v = _values(res)
    assert v["percent"] == 1.0
    assert v["cohen_kappa"] == pytest.approx(1.0)
    assert _row(res).uncoded_share == pytest.approx(5 / 20)
    # Without roll-up, Cred: A 0-10 vs nobody; Evid: A 5-15 vs nobody; Trust: B 0-15 vs nobody.
    leaf = qc.agreement(coding, unit="character", ci=None, measure="percent")
    assert _values(leaf, CRED)["percent"] == pytest.approx(10 / 20)
    assert _values(leaf, EVID)["percent"] == pytest.approx(10 / 20)
    assert _values(leaf, "Trust")["percent"] == pytest.approx(5 / 20)


def _partial_coding() -> qc.Coding:
    # d1: A, B and C; d2: A and B only.  One code T; 4 sentences per document.
    corpus = qc.Corpus.from_texts(["Aa. Bb. Cc. Dd.", "Ee. Ff. Gg. Hh."], doc_ids=["d1", "d2"])
    return _coding(corpus, CB, [
        ("d1", 0, 3, "T", "A"), ("d1", 0, 3, "T", "B"), ("d1", 4, 7, "T", "C"), ("d1", 8, 11, "T", "A"),
        ("d2", 0, 3, "T", "A"), ("d2", 4, 7, "T", "B"), ("d2", 8, 11, "T", "A"), ("d2", 8, 11, "T", "B"),
    ])


# the same as a unit x coder table (C missing in d2)
PARTIAL_TABLE = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0],
                          [1, 0, nan], [0, 1, nan], [1, 1, nan], [0, 0, nan]])


def test_documents_common_keeps_documents_every_coder_coded() -> None:
    res = qc.agreement(_partial_coding(), unit="sentence", ci=None, by=None)
    assert res.attrs["documents"] == ["d1"]
    assert _row(res).n_documents == 1
    assert _row(res).n_units == 4
    _close(_values(res), qc.reliability(PARTIAL_TABLE[:4]))


def test_documents_any_alpha_uses_partial_units_others_complete_ones() -> None:
    res = qc.agreement(_partial_coding(), unit="sentence", ci=None, by=None, documents="any")
    assert res.attrs["documents"] == ["d1", "d2"]
    assert _row(res).n_documents == 2
    v = _values(res)
    # Krippendorff's alpha keeps the units C did not judge ...
    alpha = qc.reliability(PARTIAL_TABLE, "krippendorff_alpha")["krippendorff_alpha"]
    assert v["krippendorff_alpha"] == pytest.approx(alpha, abs=1e-12)
    ref = krippendorff.alpha(reliability_data=PARTIAL_TABLE.T, level_of_measurement="nominal")
    assert v["krippendorff_alpha"] == pytest.approx(ref, abs=1e-12)
    assert alpha != pytest.approx(qc.reliability(PARTIAL_TABLE[:4], "krippendorff_alpha")["krippendorff_alpha"])
    # ... percent, Cohen, Fleiss and Gwet use the units every coder saw.
    complete = qc.reliability(PARTIAL_TABLE[:4])
    for m in ("percent", "cohen_kappa", "fleiss_kappa", "gwet_ac1"):
        assert v[m] == pytest.approx(complete[m], abs=1e-12), m


def test_documents_any_character_unit_matches_reliability_with_missing() -> None:
    corpus = qc.Corpus.from_texts(["abcdef", "ghij"], doc_ids=["d1", "d2"])
    coding = _coding(corpus, CB, [
        ("d1", 0, 3, "T", "A"), ("d1", 2, 5, "T", "B"), ("d1", 0, 1, "U", "C"),
        ("d2", 0, 2, "T", "A"), ("d2", 1, 4, "T", "C"),
    ])
    res = qc.agreement(coding, unit="character", ci=None, documents="any")
    # T per character (A, B, C): d1 a 1 0 0, b 1 0 0, c 1 1 0, d 0 1 0, e 0 1 0, f 0 0 0;
    # d2 (B absent) g 1 nan 0, h 1 nan 1, i 0 nan 1, j 0 nan 1
    table = np.array([[1, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 0], [0, 0, 0],
                      [1, nan, 0], [1, nan, 1], [0, nan, 1], [0, nan, 1]])
    v = _values(res, "T")
    assert v["krippendorff_alpha"] == pytest.approx(qc.reliability(table)["krippendorff_alpha"], abs=1e-12)
    complete = qc.reliability(table[:6])
    for m in ("percent", "cohen_kappa", "fleiss_kappa", "gwet_ac1"):
        assert v[m] == pytest.approx(complete[m], abs=1e-12, nan_ok=True), m
    assert _row(res, "T").n_units == 10


def test_coder_ids_need_not_be_strings() -> None:
    corpus = qc.Corpus.from_texts([SENT_TEXT], doc_ids=["s1"])
    df = pd.DataFrame({"doc_id": ["s1", "s1"], "start": [0, 0], "end": [4, 8], "code": ["T", "T"], "coder": [1, 2]})
    coding = qc.Coding.from_frame(corpus, CB, df, coder="coder")
    res = qc.agreement(coding, unit="sentence", ci=None, by=None, measure="percent")
    # s0 both, s1 coder 2 only, s2-s4 nobody -> 4/5
    assert res["value"].iloc[0] == pytest.approx(4 / 5)
    assert res.attrs["coders"] == ["1", "2"]
    assert len(qc.disagreements(coding)) == 1


# =============================================================================================
# 3. consistency of agreement() with reliability() on independently built tables

SENT_TEXTS = ["Yes. No way! Maybe so? Sure.", "I trust it. Data first.", "Ölä ist gut. 日本語です。 Fine."]
SENT_CORPUS = qc.Corpus.from_texts(SENT_TEXTS, doc_ids=["p1", "p2", "p3"])
CODES3 = qc.Codebook.from_dict({"K0": None, "K1": None, "K2": None})
CODE_NAMES = ["K0", "K1", "K2"]


def _random_codings(texts: list[str]) -> st.SearchStrategy:
    def one(m: int) -> st.SearchStrategy:
        coding = st.integers(0, len(texts) - 1).flatmap(
            lambda d: st.tuples(st.just(d), st.integers(0, len(texts[d]) - 1)).flatmap(
                lambda ds: st.tuples(
                    st.just(ds[0]), st.just(ds[1]), st.integers(ds[1] + 1, len(texts[ds[0]])),
                    st.integers(0, 2), st.integers(0, m - 1),
                )
            )
        )
        return st.tuples(st.just(m), st.lists(coding, min_size=m, max_size=25))
    return st.integers(2, 3).flatmap(one)


def _build(corpus: qc.Corpus, ids: list[str], m: int, raw: list[tuple]) -> tuple[qc.Coding, list[str], list[int]]:
    coders = ["A", "B", "C"][:m]
    rows = [(ids[d], s, e, CODE_NAMES[k], coders[c]) for d, s, e, k, c in raw]
    coding = _coding(corpus, CODES3, rows)
    common = [d for d in range(len(ids)) if all(any(r[0] == d and r[4] == c for r in raw) for c in range(m))]
    return coding, coders, common


def _check_against_tables(res: pd.DataFrame, tables: dict[str, np.ndarray]) -> None:
    assert res["code"].unique().tolist() == [*tables, ALL]
    for k, tab in tables.items():
        _close(_values(res, k), qc.reliability(tab), tol=1e-9)
        assert _row(res, k).n_units == len(tab)
        for m in MEASURES:
            r = _row(res, k, m)
            assert np.isfinite(r.value) == (r.note == ""), (k, m, r.value, r.note)
    _close(_values(res), qc.reliability(np.vstack(list(tables.values()))), tol=1e-9)


@PROPERTY
@given(_random_codings(SENT_TEXTS))
def test_sentence_agreement_equals_reliability_on_the_sentence_table(case: tuple[int, list[tuple]]) -> None:
    m, raw = case
    assume(len({r[4] for r in raw}) == m)
    coding, coders, common = _build(SENT_CORPUS, ["p1", "p2", "p3"], m, raw)
    sents = SENT_CORPUS.sentences()
    pos = {"p1": 0, "p2": 1, "p3": 2}
    used = sorted({r[3] for r in raw})

    def tables_for(docs: list[int]) -> dict[str, np.ndarray]:
        # coded = 1 when a coding of the code by the coder overlaps the sentence; NaN when the
        # coder coded nothing in the document
        units = [(pos[d], s, e) for d, s, e in zip(sents["doc_id"], sents["start"], sents["end"]) if pos[d] in docs]
        out = {}
        for k in used:
            tab = np.zeros((len(units), m))
            for u, (d, us, ue) in enumerate(units):
                for c in range(m):
                    if not any(r[0] == d and r[4] == c for r in raw):
                        tab[u, c] = nan
                for d2, s, e, k2, c in raw:
                    if d2 == d and k2 == k and s < ue and us < e:
                        tab[u, c] = 1
            out[CODE_NAMES[k]] = tab
        return out

    # documents="any": alpha on every unit (absent coders missing), the others on complete units
    anyd = qc.agreement(coding, unit="sentence", ci=None, documents="any")
    any_docs = sorted({r[0] for r in raw})
    tables = tables_for(any_docs)
    for k, tab in [*tables.items(), (ALL, np.vstack(list(tables.values())))]:
        got = _values(anyd, k)
        want = qc.reliability(tab[~np.isnan(tab).any(axis=1)])
        want["krippendorff_alpha"] = qc.reliability(tab, "krippendorff_alpha")["krippendorff_alpha"]
        _close(got, want, tol=1e-9)
        assert _row(anyd, k).n_units == len(tab)

    if not common:
        with pytest.raises(AgreementError):
            qc.agreement(coding, unit="sentence", ci=None)
        return
    res = qc.agreement(coding, unit="sentence", ci=None)
    _check_against_tables(res, tables_for(common))


CHAR_TEXTS = ["Tröst mich, bitte.", "ab😀cd ef", "Yes no"]
CHAR_CORPUS = qc.Corpus.from_texts(CHAR_TEXTS, doc_ids=["q1", "q2", "q3"])


@PROPERTY
@given(_random_codings(CHAR_TEXTS))
def test_character_agreement_equals_reliability_on_the_character_table(case: tuple[int, list[tuple]]) -> None:
    m, raw = case
    assume(len({r[4] for r in raw}) == m)
    coding, coders, common = _build(CHAR_CORPUS, ["q1", "q2", "q3"], m, raw)
    if not common:
        with pytest.raises(AgreementError):
            qc.agreement(coding, unit="character", ci=None)
        return
    res = qc.agreement(coding, unit="character", ci=None)
    used = sorted({r[3] for r in raw})
    tables = {}
    for k in used:
        rows = []
        for d in common:
            for p in range(len(CHAR_TEXTS[d])):
                rows.append([float(any(d2 == d and k2 == k and c2 == c and s <= p < e for d2, s, e, k2, c2 in raw))
                             for c in range(m)])
        tables[CODE_NAMES[k]] = np.array(rows)
    _check_against_tables(res, tables)
    # uncoded_share: items nobody coded
    for k, tab in tables.items():
        assert _row(res, k).uncoded_share == pytest.approx((tab.sum(axis=1) == 0).mean())


# =============================================================================================
# 4. bootstrap confidence intervals


@pytest.fixture(scope="module")
def noisy_coding() -> qc.Coding:
    rng = np.random.default_rng(7)
    sentence = "This is one sentence. "
    texts = [sentence * 10 for _ in range(30)]
    corpus = qc.Corpus.from_texts(texts, doc_ids=[f"d{i:02d}" for i in range(30)])
    rows = []
    L = len(sentence)
    for d in range(30):
        for s in range(10):
            for k, p in (("T", 0.4), ("U", 0.3)):
                a = rng.random() < p
                b = a if rng.random() < 0.85 else not a
                for coder, yes in (("A", a), ("B", b)):
                    if yes:
                        rows.append((f"d{d:02d}", s * L, s * L + L - 1, k, coder))
        rows += [(f"d{d:02d}", 0, 1, "U", "A"), (f"d{d:02d}", 0, 1, "U", "B")]  # every coder in every document
    return _coding(corpus, CB, rows)


@pytest.mark.parametrize("unit", ["sentence", "character"])
def test_ci_contains_the_value(noisy_coding: qc.Coding, unit: str) -> None:
    res = qc.agreement(noisy_coding, unit=unit, ci=0.95, n_boot=300, seed=1)
    assert res["value"].notna().all()
    assert (res["ci_low"] <= res["value"]).all()
    assert (res["value"] <= res["ci_high"]).all()
    assert (res["ci_low"] < res["ci_high"]).all()
    assert (res["ci_low"] >= -1).all() and (res["ci_high"] <= 1).all()
    pct = res[res["measure"] == "percent"]
    assert ((pct["ci_low"] >= 0) & (pct["ci_high"] <= 1)).all()
    # the values do not depend on the interval
    pd.testing.assert_series_equal(res["value"], qc.agreement(noisy_coding, unit=unit, ci=None)["value"])


def test_ci_narrower_at_lower_level(noisy_coding: qc.Coding) -> None:
    wide = qc.agreement(noisy_coding, unit="sentence", ci=0.95, n_boot=300, by=None)
    narrow = qc.agreement(noisy_coding, unit="sentence", ci=0.5, n_boot=300, by=None)
    assert ((wide["ci_high"] - wide["ci_low"]) > (narrow["ci_high"] - narrow["ci_low"])).all()


def test_ci_is_seeded(noisy_coding: qc.Coding) -> None:
    a = qc.agreement(noisy_coding, unit="sentence", n_boot=200, seed=5)
    b = qc.agreement(noisy_coding, unit="sentence", n_boot=200, seed=5)
    pd.testing.assert_frame_equal(a, b)
    c = qc.agreement(noisy_coding, unit="sentence", n_boot=200, seed=6)
    pd.testing.assert_series_equal(a["value"], c["value"])
    assert not np.array_equal(a[["ci_low", "ci_high"]].to_numpy(), c[["ci_low", "ci_high"]].to_numpy())


def test_ci_none_gives_nan_intervals(noisy_coding: qc.Coding) -> None:
    for unit in ("sentence", "character", "segment"):
        res = qc.agreement(noisy_coding, unit=unit, ci=None)
        assert res["ci_low"].isna().all() and res["ci_high"].isna().all()


def test_ci_of_one_document_resamples_units(noisy_coding: qc.Coding) -> None:
    res = qc.agreement(noisy_coding, unit="sentence", by="document", n_boot=200, measure="percent")
    assert len(res) == 30
    assert res["ci_low"].notna().all()
    assert (res["ci_low"] <= res["value"]).all() and (res["value"] <= res["ci_high"]).all()
    # A document's units are resampled: the interval of a document with disagreements has width.
    assert ((res["ci_high"] - res["ci_low"]) > 0).any()


# =============================================================================================
# 5. bad input


@pytest.fixture
def two_coders() -> qc.Coding:
    corpus = qc.Corpus.from_texts([SENT_TEXT, "Other doc."], doc_ids=["s1", "s2"])
    return _coding(corpus, CB, [("s1", 0, 4, "T", "A"), ("s1", 0, 8, "T", "B"), ("s2", 0, 5, "U", "A")])


def test_one_coder_is_an_error_naming_the_coder() -> None:
    corpus = qc.Corpus.from_texts([SENT_TEXT], doc_ids=["s1"])
    coding = _coding(corpus, CB, [("s1", 0, 4, "T", "Alice"), ("s1", 5, 8, "U", "Alice")])
    for unit in ("character", "sentence", "segment"):
        with pytest.raises(AgreementError, match="Alice") as err:
            qc.agreement(coding, unit=unit)
        assert isinstance(err.value, ValueError)
    with pytest.raises(AgreementError, match="Alice"):
        qc.disagreements(coding)


def test_one_coder_chosen_is_an_error(two_coders: qc.Coding) -> None:
    with pytest.raises(AgreementError, match="two coders"):
        qc.agreement(two_coders, coders=["A"])


def test_no_document_in_common() -> None:
    corpus = qc.Corpus.from_texts(["one", "two"], doc_ids=["d1", "d2"])
    coding = _coding(corpus, CB, [("d1", 0, 3, "T", "A"), ("d2", 0, 3, "T", "B")])
    with pytest.raises(AgreementError, match="no document in common"):
        qc.agreement(coding)
    with pytest.raises(AgreementError, match="no document in common"):
        qc.disagreements(coding)
    # with documents="any" the coders never meet: nothing can be computed, and it says so
    res = qc.agreement(coding, documents="any", unit="document", ci=None, by=None)
    assert res["value"].isna().all()
    assert (res["note"] != "").all()


def test_unknown_coder(two_coders: qc.Coding) -> None:
    with pytest.raises(AgreementError, match="Zoe") as err:
        qc.agreement(two_coders, coders=["A", "Zoe"])
    assert isinstance(err.value, ValueError)
    with pytest.raises(AgreementError, match="Zoe"):
        qc.disagreements(two_coders, coders=["A", "Zoe"])
    with pytest.raises(ArgumentError, match="coders"):
        qc.agreement(two_coders, coders=["A", "A", "B"])


@pytest.mark.parametrize(
    ("kwargs", "arg", "allowed"),
    [
        ({"unit": "paragraph"}, "unit", ["character", "sentence", "turn", "document", "segment"]),
        ({"measure": "scott_pi"}, "measure", MEASURES),
        ({"measure": ["percent", "kappa"]}, "measure", MEASURES),
        ({"by": "speaker"}, "by", ["code", "document"]),
        ({"documents": "all"}, "documents", ["common", "any"]),
    ],
)
def test_unknown_argument_values(two_coders: qc.Coding, kwargs: dict, arg: str, allowed: list[str]) -> None:
    with pytest.raises(ArgumentError) as err:
        qc.agreement(two_coders, **kwargs)
    msg = str(err.value)
    assert msg.startswith(f"{arg}:")
    assert repr(next(iter(kwargs.values()))) in msg or "kappa" in msg
    for a in allowed:
        assert a in msg, (a, msg)
    assert isinstance(err.value, ValueError)


def test_empty_measure_list(two_coders: qc.Coding) -> None:
    with pytest.raises(ArgumentError, match="measure"):
        qc.agreement(two_coders, measure=[])


@pytest.mark.parametrize("threshold", [0, -0.5, 1.01, 90])
def test_threshold_out_of_range(two_coders: qc.Coding, threshold: float) -> None:
    with pytest.raises(ArgumentError, match="threshold"):
        qc.agreement(two_coders, unit="segment", threshold=threshold)


@pytest.mark.parametrize(("kwargs", "arg"), [({"ci": 1.0}, "ci"), ({"ci": 0}, "ci"), ({"ci": 95}, "ci"),
                                             ({"n_boot": 0}, "n_boot")])
def test_bad_ci_arguments(two_coders: qc.Coding, kwargs: dict, arg: str) -> None:
    with pytest.raises(ArgumentError, match=arg):
        qc.agreement(two_coders, **kwargs)


def test_reliability_bad_input() -> None:
    with pytest.raises(AgreementError, match="two coders"):
        qc.reliability(np.array([[1.0], [2.0]]))
    with pytest.raises(ArgumentError, match="measure"):
        qc.reliability(COHEN_WIKI, "kappa")


def test_disagreements_bad_unit(two_coders: qc.Coding) -> None:
    with pytest.raises(ArgumentError, match="unit"):
        qc.disagreements(two_coders, unit="segment")


@pytest.mark.parametrize("unit", ["character", "sentence", "document"])
def test_code_nobody_used_is_nan_with_a_note(unit: str) -> None:
    corpus = qc.Corpus.from_texts([SENT_TEXT], doc_ids=["s1"])
    # U is only used by C; between A and B nobody applied it.
    coding = _coding(corpus, CB, [("s1", 0, 4, "T", "A"), ("s1", 0, 8, "T", "B"), ("s1", 9, 15, "U", "C")])
    res = qc.agreement(coding, coders=["A", "B"], unit=unit, ci=0.95, n_boot=50)
    for m in CHANCE_CORRECTED:
        r = _row(res, "U", m)
        assert np.isnan(r.value), (m, r.value)
        assert "no coder applied the code" in r.note
        assert np.isnan(r.ci_low) and np.isnan(r.ci_high)
    assert _row(res, "U").uncoded_share == 1.0


@pytest.mark.parametrize("unit", ["character", "sentence", "turn", "document"])
def test_everyone_coded_everything_is_nan_with_a_note(unit: str) -> None:
    corpus = qc.Corpus.from_texts([SENT_TEXT, "Two. Three."], doc_ids=["s1", "s2"])
    coding = _coding(corpus, CB, [("s1", 0, 27, "T", c) for c in "ABC"] + [("s2", 0, 11, "T", c) for c in "ABC"])
    res = qc.agreement(coding, unit=unit, ci=0.95, n_boot=50, by=None)
    for m in CHANCE_CORRECTED:
        r = _row(res, ALL, m)
        assert np.isnan(r.value), (m, r.value)
        assert r.note != "" and "every coder coded every unit" in r.note
        assert np.isnan(r.ci_low) and np.isnan(r.ci_high)
    # The same through reliability(): a table of ones.
    for m in CHANCE_CORRECTED:
        assert np.isnan(qc.reliability(np.ones((5, 3)))[m])


# =============================================================================================
# 6. disagreements()


def test_disagreements_sentence_side_by_side() -> None:
    coding = _coding(_sentence_corpus(), CB, [
        ("s1", 0, 4, "T", "A"), ("s1", 0, 4, "T", "B"),          # s0: agree on T
        ("s1", 5, 8, "T", "A"), ("s1", 5, 8, "U", "B"),          # s1: A T, B U
        ("s1", 9, 15, "T", "A"), ("s1", 9, 15, "U", "A"), ("s1", 12, 15, "U", "B"),  # s2: A T+U, B U
        ("s1", 16, 21, "U", "A"), ("s1", 16, 21, "U", "B"),      # s3: agree on U
        # s4: nobody
    ])
    d = qc.disagreements(coding)
    assert list(d.columns) == ["doc_id", "start", "end", "text", "A", "B", "differs_on"]
    assert d[["start", "end", "text"]].values.tolist() == [[5, 8, "No."], [9, 15, "Maybe."]]
    assert d["A"].tolist() == [["T"], ["T", "U"]]
    assert d["B"].tolist() == [["U"], ["U"]]
    assert d["differs_on"].tolist() == [["T", "U"], ["T"]]
    # code= keeps to one code
    du = qc.disagreements(coding, code="U")
    assert du["text"].tolist() == ["No."]
    assert du["A"].tolist() == [[]] and du["B"].tolist() == [["U"]]
    assert du["differs_on"].tolist() == [["U"]]


def test_disagreements_document_unit_three_coders() -> None:
    corpus = qc.Corpus.from_texts(["a b", "c d"], doc_ids=["d1", "d2"])
    coding = _coding(corpus, CB, [
        ("d1", 0, 1, "T", "A"), ("d1", 0, 1, "T", "B"), ("d1", 0, 1, "T", "C"),
        ("d2", 0, 1, "T", "A"), ("d2", 0, 1, "U", "B"), ("d2", 2, 3, "T", "C"),
    ])
    d = qc.disagreements(coding, unit="document")
    assert d[["doc_id", "A", "B", "C", "differs_on"]].values.tolist() == [["d2", ["T"], ["U"], ["T"], ["T", "U"]]]
    d2 = qc.disagreements(coding, coders=["A", "C"], unit="document")
    assert d2.empty
    assert list(d2.columns) == ["doc_id", "start", "end", "text", "A", "C", "differs_on"]


def test_disagreements_code_filter_keeps_coders_who_did_not_use_the_code() -> None:
    # The docstring case: B never applied Doubt, which is exactly the disagreement on Doubt.
    corpus = qc.Corpus.from_texts(["I trust it. I doubt it."], doc_ids=["A1"])
    cb = qc.Codebook.from_dict({"Trust": None, "Doubt": None})
    coding = _coding(corpus, cb, [("A1", 0, 11, "Trust", "A"), ("A1", 12, 23, "Doubt", "A"),
                                  ("A1", 0, 11, "Trust", "B")])
    d = qc.disagreements(coding, code="Doubt")
    assert d[["text", "A", "B", "differs_on"]].values.tolist() == [["I doubt it.", ["Doubt"], [], ["Doubt"]]]
    dc = qc.disagreements(coding, unit="character", code="Doubt")
    assert dc[["code", "start", "end", "coded_by", "not_coded_by"]].values.tolist() == [
        ["Doubt", 12, 23, ["A"], ["B"]]]
    assert qc.disagreements(coding, code="Trust").empty


def test_disagreements_character_stretches() -> None:
    corpus = qc.Corpus.from_texts([CHAR_TEXT], doc_ids=["c1"])
    coding = _coding(corpus, CB, [
        ("c1", 0, 12, "T", "A"), ("c1", 4, 14, "T", "B"),
        ("c1", 0, 5, "U", "A"), ("c1", 5, 10, "U", "B"),   # adjacent, different coders
        ("c1", 15, 20, "U", "A"), ("c1", 15, 20, "U", "B"),  # agreed: not listed
    ])
    d = qc.disagreements(coding, unit="character")
    assert list(d.columns) == ["doc_id", "code", "start", "end", "text", "coded_by", "not_coded_by"]
    assert d[["code", "start", "end", "coded_by", "not_coded_by"]].values.tolist() == [
        ["T", 0, 4, ["A"], ["B"]],
        ["T", 12, 14, ["B"], ["A"]],
        ["U", 0, 5, ["A"], ["B"]],
        ["U", 5, 10, ["B"], ["A"]],
    ]
    assert d["text"].tolist() == ["éééé", "cd", "ééééé", "ééééé"]
    du = qc.disagreements(coding, unit="character", code="U")
    assert du["code"].tolist() == ["U", "U"]


def test_disagreements_character_three_coders() -> None:
    corpus = qc.Corpus.from_texts(["abcdefghijkl"], doc_ids=["d"])
    coding = _coding(corpus, CB, [
        ("d", 0, 10, "T", "A"), ("d", 0, 5, "T", "B"), ("d", 0, 5, "T", "C"), ("d", 5, 8, "T", "C"),
        ("d", 11, 12, "U", "C"),
    ])
    d = qc.disagreements(coding, coders=["A", "B", "C"], unit="character")
    # 0-5 all three (agreed); 5-8 A and C; 8-10 A only; U 11-12 C only.
    assert d[["code", "start", "end", "text", "coded_by", "not_coded_by"]].values.tolist() == [
        ["T", 5, 8, "fgh", ["A", "C"], ["B"]],
        ["T", 8, 10, "ij", ["A"], ["B", "C"]],
        ["U", 11, 12, "l", ["C"], ["A", "B"]],
    ]


# =============================================================================================
# 7. a larger case


def test_large_random_codings_three_coders() -> None:
    rng = np.random.default_rng(11)
    n_docs, length, n = 1000, 10_000, 100_000
    sentence = "We trust the data. I doubt it! Is it so? "
    text = (sentence * (length // len(sentence) + 1))[:length]
    ids = [f"d{i:04d}" for i in range(n_docs)]
    corpus = qc.Corpus.from_texts([text] * n_docs, doc_ids=ids)
    codes = [f"C{i}" for i in range(8)]
    cb = qc.Codebook.from_dict({c: None for c in codes})
    doc = rng.integers(0, n_docs, n)
    start = rng.integers(0, length - 200, n)
    end = start + rng.integers(1, 200, n)
    code = rng.integers(0, len(codes), n)
    coder = rng.integers(0, 3, n)
    df = pd.DataFrame({"doc_id": np.array(ids)[doc], "start": start, "end": end,
                       "code": np.array(codes)[code], "coder": np.array(["A", "B", "C"])[coder]})
    coding = qc.Coding.from_frame(corpus, cb, df, coder="coder")

    res = qc.agreement(coding, unit="character", n_boot=200)
    assert res["code"].unique().tolist() == [*codes, ALL]
    per_code = res[res["code"] != ALL]
    assert (per_code["n_units"] == n_docs * length).all()
    assert res["value"].notna().all()
    # Independent random coders: chance-corrected agreement is about 0.
    kappa = res[res["measure"].isin(["cohen_kappa", "fleiss_kappa", "krippendorff_alpha"])]["value"]
    assert (kappa.abs() < 0.05).all()
    assert ((res["ci_low"] <= res["value"]) & (res["value"] <= res["ci_high"])).all()

    # Brute force for code C0: per-character coded flags of each coder over all documents.
    flags = np.zeros((3, n_docs * length + 1), dtype=np.int32)
    sel = code == 0
    base = doc[sel] * length
    np.add.at(flags, (coder[sel], base + start[sel]), 1)
    np.add.at(flags, (coder[sel], base + end[sel]), -1)
    coded = np.cumsum(flags, axis=1)[:, :-1] > 0
    pairs = [(0, 1), (0, 2), (1, 2)]
    po = np.mean([np.mean(coded[i] == coded[j]) for i, j in pairs])
    ks = []
    for i, j in pairs:
        pi, pj = coded[i].mean(), coded[j].mean()
        pe = pi * pj + (1 - pi) * (1 - pj)
        ks.append((np.mean(coded[i] == coded[j]) - pe) / (1 - pe))
    n1 = coded.sum(axis=0)
    pbar = np.mean((n1 * n1 + (3 - n1) ** 2 - 3) / 6)
    p1 = n1.mean() / 3
    pe_f = p1 * p1 + (1 - p1) ** 2
    c0 = _values(res, "C0")
    assert c0["percent"] == pytest.approx(po, abs=1e-9)
    assert c0["cohen_kappa"] == pytest.approx(np.mean(ks), abs=1e-9)
    assert c0["fleiss_kappa"] == pytest.approx((pbar - pe_f) / (1 - pe_f), abs=1e-9)
    assert _row(res, "C0").uncoded_share == pytest.approx(np.mean(n1 == 0), abs=1e-12)

    sres = qc.agreement(coding, unit="sentence", n_boot=200, by=None)
    assert sres["value"].notna().all()
    assert _row(sres).n_units == len(codes) * len(corpus.sentences())


def test_segment_unit_reports_unmatched_segments_of_each_coder():
    # A: [0,100) [100,120) [150,170); B: [0,95) [50,60).  A[0,100) and B[0,95) overlap by 95 of
    # the longer 100 (>= 90 %): one matched pair; A has 2 unmatched segments, B has 1.
    corpus = qc.Corpus.from_texts(["x" * 200], doc_ids=["d"])
    cb = qc.Codebook.from_dict({"T": None})
    spans = pd.DataFrame({"doc_id": ["d"] * 5, "start": [0, 0, 100, 150, 50], "end": [100, 95, 120, 170, 60],
                          "code": ["T"] * 5, "coder": ["A", "B", "A", "A", "B"]})
    coding = qc.Coding.from_frame(corpus, cb, spans, coder="coder")
    r = qc.agreement(coding, unit="segment", by=None)
    assert r[["value", "matched", "unmatched", "unmatched_A", "unmatched_B"]].values.tolist() == [[0.25, 1.0, 3.0, 2.0, 1.0]]
