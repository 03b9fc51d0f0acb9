"""Codings: a golden mini study worked out by hand (counts, saturation, extracts), bad input,
auto-coding, alignment of exported segments (the real PDPilot export and synthetic cases),
and the saturation plot.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualcore as qc
from qualcore.errors import ArgumentError, CodingError, QualcoreError

PDPILOT = Path("/work/shared/data/pdpilot")

TRUST = "Trust"
CRED = "Trust > Credibility"
EVID = "Trust > Evidence base"
COI = "Trust > Conflict of interest"
POWER = "Power"
INST = "Power > Institutions"
NODES = [TRUST, CRED, EVID, COI, POWER, INST]

# --------------------------------------------------------------------------- the mini study
#
# Three interviews; turns joined by "\n\n".  Offsets (worked out by hand, checked below):
#
# A1 (Front-line)  t0 Int  0-21    "Do you trust your GP?"
#                  t1 A1  23-69    "Yes, she is credible and the evidence is good."
#                  t2 Int 71-85    "Any conflicts?"
#                  t3 A1  87-126   "Pharma money is a conflict of interest."
# A2 (Front-line)  t0 Int  0-26    "Tell me about the college."
#                  t1 A2  28-81    "The royal college sets the rules. I find it credible."
# B1 (Leader)      t0 Int  0-17    "Who do you trust?"
#                  t1 B1  19-62    "Credible people. The evidence base matters."
#                  t2 Int 64-81    "And institutions?"
#                  t3 B1  83-116   "The royal college, and conflicts."

ROWS = pd.DataFrame(
    {
        "doc_id": ["A1"] * 4 + ["A2"] * 2 + ["B1"] * 4,
        "speaker": ["Int", "A1", "Int", "A1", "Int", "A2", "Int", "B1", "Int", "B1"],
        "text": [
            "Do you trust your GP?",
            "Yes, she is credible and the evidence is good.",
            "Any conflicts?",
            "Pharma money is a conflict of interest.",
            "Tell me about the college.",
            "The royal college sets the rules. I find it credible.",
            "Who do you trust?",
            "Credible people. The evidence base matters.",
            "And institutions?",
            "The royal college, and conflicts.",
        ],
        "group": ["Front-line"] * 6 + ["Leader"] * 4,
    }
)

CODEBOOK = qc.Codebook.from_dict(
    {"Trust": {"Credibility": None, "Evidence base": None, "Conflict of interest": None}, "Power": {"Institutions": None}}
)

# Coder R1: (doc, start, end, code given by name or path, the coded text)
R1 = [
    ("A1", 35, 43, "Credibility", "credible"),                                     # c1 t1
    ("A1", 48, 68, "Evidence base", "the evidence is good"),                       # c2 t1
    ("A1", 87, 125, "Conflict of interest", "Pharma money is a conflict of interest"),  # c3 t3
    ("A1", 105, 125, COI, "conflict of interest"),                                 # c4 t3, nested in c3
    ("A2", 28, 61, "Institutions", "The royal college sets the rules."),           # c5 t1
    ("A2", 32, 45, "Institutions", "royal college"),                               # c6 t1, nested in c5
    ("A2", 62, 81, "Credibility", "I find it credible."),                          # c7 t1
    ("B1", 11, 16, "Trust", "trust"),                                              # c8 t0 (interviewer), the theme itself
    ("B1", 19, 35, CRED, "Credible people."),                                      # c9 t1
    ("B1", 36, 62, "Evidence base", "The evidence base matters."),                 # c10 t1
    ("B1", 83, 100, "Institutions", "The royal college"),                          # c11 t3
    ("B1", 106, 115, "Conflict of interest", "conflicts"),                         # c12 t3
]
# Coder R2: one span R1 also coded (c9), one new span, one span R1 coded with another code.
R2 = [
    ("B1", 19, 35, "Credibility", "Credible people."),
    ("A1", 0, 21, "Credibility", "Do you trust your GP?"),
    ("A2", 32, 45, "Credibility", "royal college"),
]


def spans(rows) -> pd.DataFrame:
    return pd.DataFrame([r[:4] for r in rows], columns=["doc_id", "start", "end", "code"])


@pytest.fixture(scope="module")
def study() -> qc.Corpus:
    return qc.Corpus.from_frame(ROWS, speaker="speaker", interviewer=["Int"], attributes=["group"])


@pytest.fixture(scope="module")
def r1(study) -> qc.Coding:
    return qc.Coding.from_frame(study, CODEBOOK, spans(R1), coder="R1")


@pytest.fixture(scope="module")
def r2(study) -> qc.Coding:
    return qc.Coding.from_frame(study, CODEBOOK, spans(R2), coder="R2")


def table(m: pd.DataFrame) -> dict[str, list]:
    return {code: row.tolist() for code, row in m.iterrows()}


def test_hand_offsets_are_right(study):
    texts = {d.doc_id: d.text for d in study}
    for doc, s, e, _, expected in R1 + R2:
        assert texts[doc][s:e] == expected
    t = study.turns
    assert t[["doc_id", "turn", "speaker", "start", "end"]].values.tolist() == [
        ["A1", 0, "Int", 0, 21], ["A1", 1, "A1", 23, 69], ["A1", 2, "Int", 71, 85], ["A1", 3, "A1", 87, 126],
        ["A2", 0, "Int", 0, 26], ["A2", 1, "A2", 28, 81],
        ["B1", 0, "Int", 0, 17], ["B1", 1, "B1", 19, 62], ["B1", 2, "Int", 64, 81], ["B1", 3, "B1", 83, 116],
    ]
    assert study.documents["group"].tolist() == ["Front-line", "Front-line", "Leader"]


def test_frame(r1, study):
    f = r1.frame
    assert list(f.columns) == ["doc_id", "start", "end", "code", "coder", "memo", "text", "turn", "speaker", "group"]
    # sorted by document, start, end; codes resolved to full paths
    assert f[["doc_id", "start", "end", "code"]].values.tolist() == [
        ["A1", 35, 43, CRED], ["A1", 48, 68, EVID], ["A1", 87, 125, COI], ["A1", 105, 125, COI],
        ["A2", 28, 61, INST], ["A2", 32, 45, INST], ["A2", 62, 81, CRED],
        ["B1", 11, 16, TRUST], ["B1", 19, 35, CRED], ["B1", 36, 62, EVID], ["B1", 83, 100, INST], ["B1", 106, 115, COI],
    ]
    texts = {d.doc_id: d.text for d in study}
    assert f["text"].tolist() == [texts[d][s:e] for d, s, e in zip(f["doc_id"], f["start"], f["end"])]
    assert f["turn"].tolist() == [1, 1, 3, 3, 1, 1, 1, 0, 1, 1, 3, 3]
    assert f["speaker"].tolist() == ["A1"] * 4 + ["A2"] * 3 + ["Int", "B1", "B1", "B1", "B1"]
    assert f["coder"].tolist() == ["R1"] * 12
    assert f["memo"].isna().all()
    assert f["group"].tolist() == ["Front-line"] * 7 + ["Leader"] * 5
    assert len(r1) == 12
    assert r1.codes() == [TRUST, CRED, EVID, COI, INST]  # codebook order; the theme Trust is used by c8
    assert r1.to_frame().columns.tolist() == ["doc_id", "start", "end", "code", "coder", "memo"]
    assert r1.corpus is study and r1.codebook is CODEBOOK
    assert repr(r1) == "<qualcore.Coding: 12 codings, 5 codes, coders ['R1']>"


def test_to_frame_round_trip(r1, study):
    again = qc.Coding.from_frame(study, CODEBOOK, r1.to_frame(), coder="coder", memo="memo")
    pd.testing.assert_frame_equal(again.to_frame(), r1.to_frame())


# ---- code_matrix


def test_cases_by_group_level_none(r1):
    m = qc.code_matrix(r1, by="group", count="cases")
    assert m.index.tolist() == NODES
    assert m.columns.tolist() == ["Front-line", "Leader", "all"]
    assert table(m) == {
        # A1 has three Trust children, A2 one, B1 the theme itself and three children: one case each
        TRUST: [2, 1, 3],
        CRED: [2, 1, 3],   # A1, A2 | B1
        EVID: [1, 1, 2],   # A1 | B1
        COI: [1, 1, 2],    # A1 (two codings) | B1
        POWER: [1, 1, 2],  # A2 | B1
        INST: [1, 1, 2],   # A2 (two codings) | B1
    }
    assert m.attrs["count"] == "cases"
    assert m.attrs["group_sizes"] == {"Front-line": 2, "Leader": 1, "all": 3}
    # the default is by group, cases, level None
    pd.testing.assert_frame_equal(qc.code_matrix(r1), m)


def test_cases_level_1(r1):
    m = qc.code_matrix(r1, by="group", level=1)
    assert table(m) == {TRUST: [2, 1, 3], POWER: [1, 1, 2]}


def test_cases_level_2(r1):
    # level 2 keeps the level-2 codes; the coding made at the theme itself (c8, in B1) is counted
    # at the theme, which gets a row of its own (never dropped)
    m = qc.code_matrix(r1, by="group", level=2)
    assert table(m) == {TRUST: [0, 1, 1], CRED: [2, 1, 3], EVID: [1, 1, 2], COI: [1, 1, 2], INST: [1, 1, 2]}
    assert table(qc.code_matrix(r1, by="group", level=2, count="units")) == {
        TRUST: [0, 1, 1], CRED: [2, 1, 3], EVID: [1, 1, 2], COI: [1, 1, 2], INST: [1, 1, 2],
    }
    s = qc.saturation(r1, level=2)
    assert s[["doc_id", "n_codes", "new_codes", "cumulative"]].values.tolist() == [
        ["A1", 3, 3, 3], ["A2", 2, 1, 4], ["B1", 5, 1, 5],
    ]
    assert s["new"].tolist() == [[CRED, EVID, COI], [INST], [TRUST]]


def test_level_2_without_theme_codings(r1):
    sub = r1.filter(code="Trust", descendants=False)
    assert len(sub) == 1
    rest = qc.Coding.from_frame(r1.corpus, CODEBOOK, spans([r for r in R1 if r[3] != "Trust"]), coder="R1")
    m = qc.code_matrix(rest, by="group", level=2)
    assert table(m) == {CRED: [2, 1, 3], EVID: [1, 1, 2], COI: [1, 1, 2], INST: [1, 1, 2]}
    # shallower leaves are kept at a deeper level
    cb = qc.Codebook.from_dict({"Solo": None, "Trust": {"Credibility": None}})
    c = qc.Coding.from_frame(r1.corpus, cb, pd.DataFrame({"doc_id": ["A1", "B1"], "start": [0, 0], "end": [2, 3],
                                                          "code": ["Solo", "Credibility"]}))
    assert table(qc.code_matrix(c, level=2)) == {"Solo": [1, 0, 1], "Trust > Credibility": [0, 1, 1]}


def test_units(r1):
    m = qc.code_matrix(r1, by="group", count="units")
    assert m.attrs["count"] == "units"
    assert table(m) == {
        # turns: A1 t1, A1 t3, A2 t1 | B1 t0, B1 t1, B1 t3
        TRUST: [3, 3, 6],
        CRED: [2, 1, 3],   # A1 t1, A2 t1 | B1 t1
        EVID: [1, 1, 2],   # A1 t1 | B1 t1
        COI: [1, 1, 2],    # A1 t3 (c3 and c4 once) | B1 t3
        POWER: [1, 1, 2],  # A2 t1 (c5, c6 once) | B1 t3
        INST: [1, 1, 2],
    }
    assert table(qc.code_matrix(r1, by="group", count="units", level=1)) == {TRUST: [3, 3, 6], POWER: [1, 1, 2]}


def test_segments(r1):
    m = qc.code_matrix(r1, by="group", count="segments")
    assert m.attrs["count"] == "segments"
    assert table(m) == {
        TRUST: [5, 4, 9],  # c1 c2 c3 c4 c7 | c8 c9 c10 c12
        CRED: [2, 1, 3],
        EVID: [1, 1, 2],
        COI: [2, 1, 3],
        POWER: [2, 1, 3],
        INST: [2, 1, 3],
    }


def test_proportions(r1):
    m = qc.code_matrix(r1, by="group", proportions=True)
    expected = {
        TRUST: [1.0, 1.0, 1.0],
        CRED: [1.0, 1.0, 1.0],
        EVID: [0.5, 1.0, 2 / 3],
        COI: [0.5, 1.0, 2 / 3],
        POWER: [0.5, 1.0, 2 / 3],
        INST: [0.5, 1.0, 2 / 3],
    }
    got = table(m)
    assert got.keys() == expected.keys()
    for k in expected:
        assert got[k] == pytest.approx(expected[k])
    assert m.attrs["group_sizes"] == {"Front-line": 2, "Leader": 1, "all": 3}
    with pytest.raises(ArgumentError, match="proportions"):
        qc.code_matrix(r1, count="units", proportions=True)


def test_no_totals(r1):
    m = qc.code_matrix(r1, by="group", totals=False)
    assert m.columns.tolist() == ["Front-line", "Leader"]
    assert m.attrs["group_sizes"] == {"Front-line": 2, "Leader": 1}


def test_by_doc_id(r1):
    m = qc.code_matrix(r1, by="doc_id")
    assert m.columns.tolist() == ["A1", "A2", "B1", "all"]
    assert table(m) == {
        TRUST: [1, 1, 1, 3],
        CRED: [1, 1, 1, 3],
        EVID: [1, 0, 1, 2],
        COI: [1, 0, 1, 2],
        POWER: [0, 1, 1, 2],
        INST: [0, 1, 1, 2],
    }
    assert table(qc.code_matrix(r1, by="doc_id", count="units")) == {
        TRUST: [2, 1, 3, 6], CRED: [1, 1, 1, 3], EVID: [1, 0, 1, 2], COI: [1, 0, 1, 2], POWER: [0, 1, 1, 2], INST: [0, 1, 1, 2],
    }


def test_by_none(r1):
    m = qc.code_matrix(r1, by=None)
    assert m.columns.tolist() == ["all"]
    assert table(m) == {TRUST: [3], CRED: [3], EVID: [2], COI: [2], POWER: [2], INST: [2]}
    assert table(qc.code_matrix(r1, by=None, count="segments")) == {
        TRUST: [9], CRED: [3], EVID: [2], COI: [3], POWER: [3], INST: [3],
    }


def test_code_matrix_bad_arguments(r1):
    with pytest.raises(ArgumentError, match="count"):
        qc.code_matrix(r1, count="words")
    with pytest.raises(ArgumentError, match="region"):
        qc.code_matrix(r1, by="region")
    with pytest.raises(ArgumentError, match="level"):
        qc.code_matrix(r1, level=0)


def test_missing_attribute_values_form_their_own_column(study, r1):
    c = qc.Corpus.from_frame(ROWS.drop(columns="group"), speaker="speaker", interviewer=["Int"]).with_attributes(
        pd.DataFrame({"doc_id": ["A1", "B1"], "group": ["Front-line", "Leader"]})
    )
    coding = qc.Coding.from_frame(c, CODEBOOK, spans(R1), coder="R1")
    m = qc.code_matrix(coding, by="group")
    assert m.columns.tolist() == ["Front-line", "Leader", "(missing)", "all"]
    assert table(m)[POWER] == [0, 1, 1, 2]
    assert m.attrs["group_sizes"] == {"Front-line": 1, "Leader": 1, "(missing)": 1, "all": 3}


# ---- merge and filter


def test_merge_two_coders(r1, r2):
    m = r1.merge(r2)
    assert len(m) == 15
    f = m.frame
    both = f[(f["doc_id"] == "B1") & (f["start"] == 19) & (f["end"] == 35)]
    assert sorted(both["coder"].tolist()) == ["R1", "R2"]
    # exact duplicates are kept once
    assert len(m.merge(r1)) == 15 and len(r1.merge(r1)) == 12 and len(r2.merge(r2, r2)) == 3
    assert Counter(f["coder"]) == {"R1": 12, "R2": 3}
    # still sorted by document, start, end
    assert f["doc_id"].tolist() == sorted(f["doc_id"].tolist())
    for _, g in f.groupby("doc_id"):
        assert list(zip(g["start"], g["end"])) == sorted(zip(g["start"], g["end"]))
    assert repr(m) == "<qualcore.Coding: 15 codings, 5 codes, coders ['R1', 'R2']>"


def test_merged_counts(r1, r2):
    m = r1.merge(r2)
    # a span coded by both coders is one segment; a case is a case
    assert table(qc.code_matrix(m, count="segments"))[CRED] == [4, 1, 5]  # +A1 0-21, +A2 32-45
    assert table(qc.code_matrix(m, count="cases"))[CRED] == [2, 1, 3]
    assert table(qc.code_matrix(m, count="units"))[CRED] == [3, 1, 4]  # + A1 t0
    assert table(qc.code_matrix(m, count="units"))[TRUST] == [4, 3, 7]


def test_merge_different_codebook_is_an_error(r1, study):
    other = qc.Coding.from_frame(study, qc.Codebook.from_dict({"Trust": None}), spans([("A1", 0, 2, "Trust", "")]))
    with pytest.raises(CodingError, match="codebook"):
        r1.merge(other)


def test_filter(r1, r2):
    m = r1.merge(r2)
    assert len(m.filter(coder="R1")) == 12
    assert len(m.filter(coder="R2")) == 3
    assert len(m.filter(coder=["R1", "R2"])) == 15
    assert len(r1.filter(code="Trust")) == 9
    assert r1.filter(code="Trust", descendants=False).frame["text"].tolist() == ["trust"]
    assert len(r1.filter(code="Power")) == 3
    assert len(r1.filter(code="Power", descendants=False)) == 0
    assert r1.filter(code="Institutions").frame["text"].tolist() == [
        "The royal college sets the rules.", "royal college", "The royal college",
    ]
    assert len(r1.filter(doc_id="A2")) == 3
    assert len(r1.filter(doc_id=["A1", "B1"])) == 9
    assert len(m.filter(coder="R2", code="Credibility", doc_id="A1")) == 1
    with pytest.raises(KeyError):
        r1.filter(code="Nope")


# ---- saturation


def test_saturation_corpus_order(r1):
    s = qc.saturation(r1)
    assert s.columns.tolist() == ["doc_id", "position", "n_codes", "new_codes", "cumulative", "new"]
    assert s[["doc_id", "position", "n_codes", "new_codes", "cumulative"]].values.tolist() == [
        ["A1", 1, 4, 4, 4],
        ["A2", 2, 4, 2, 6],
        ["B1", 3, 6, 0, 6],
    ]
    assert s["new"].tolist() == [[TRUST, CRED, EVID, COI], [POWER, INST], []]


def test_saturation_given_order(r1):
    s = qc.saturation(r1, order=["A2", "A1", "B1"])
    assert s[["doc_id", "n_codes", "new_codes", "cumulative"]].values.tolist() == [
        ["A2", 4, 4, 4], ["A1", 4, 2, 6], ["B1", 6, 0, 6],
    ]
    assert s["new"].tolist() == [[TRUST, CRED, POWER, INST], [EVID, COI], []]
    s2 = qc.saturation(r1, order=["B1", "A2"])
    assert s2[["doc_id", "n_codes", "new_codes", "cumulative"]].values.tolist() == [["B1", 6, 6, 6], ["A2", 4, 0, 6]]


def test_saturation_level_1(r1):
    s = qc.saturation(r1, level=1)
    assert s[["doc_id", "n_codes", "new_codes", "cumulative"]].values.tolist() == [
        ["A1", 1, 1, 1], ["A2", 2, 1, 2], ["B1", 2, 0, 2],
    ]
    assert s["new"].tolist() == [[TRUST], [POWER], []]


def test_saturation_bad_order(r1):
    with pytest.raises(ArgumentError, match="Z9"):
        qc.saturation(r1, order=["A1", "Z9"])
    with pytest.raises(ArgumentError, match="twice"):
        qc.saturation(r1, order=["A1", "A1"])


# ---- extracts


def test_extracts(r1):
    e = r1.extracts("Trust", label="({group} {doc_id})", context=5)
    assert e.columns.tolist()[:9] == ["doc_id", "speaker", "code", "start", "end", "text", "context", "label", "quote"]
    assert "group" in e.columns
    assert e["quote"].tolist() == [
        '"credible" (Front-line A1)',
        '"the evidence is good" (Front-line A1)',
        '"Pharma money is a conflict of interest" (Front-line A1)',
        '"conflict of interest" (Front-line A1)',
        '"I find it credible." (Front-line A2)',
        '"trust" (Leader B1)',
        '"Credible people." (Leader B1)',
        '"The evidence base matters." (Leader B1)',
        '"conflicts" (Leader B1)',
    ]
    assert e["speaker"].tolist() == ["A1"] * 4 + ["A2", "Int", "B1", "B1", "B1"]
    assert e["label"].tolist()[4:6] == ["(Front-line A2)", "(Leader B1)"]
    assert e["context"].tolist() == [
        "e is credible and ",  # 30..48
        " and the evidence is good.\n\nAn",
        "ts?\n\nPharma money is a conflict of interest.",
        "is a conflict of interest.",
        "les. I find it credible.",  # ends at the end of the document
        " you trust?\n\nCr",
        "st?\n\nCredible people. The ",
        "ple. The evidence base matters.\n\nAnd",
        " and conflicts.",
    ]


def test_extracts_options(r1):
    e = r1.extracts("Power")
    assert e["label"].tolist() == ["(A2)", "(A2)", "(B1)"]
    assert e["context"].tolist() == e["text"].tolist()
    assert e["quote"].tolist()[0] == '"The royal college sets the rules." (A2)'
    only = r1.extracts("Trust", descendants=False, label="{speaker} in {doc_id}")
    assert only["quote"].tolist() == ['"trust" Int in B1']
    with pytest.raises(ArgumentError, match="region"):
        r1.extracts("Trust", label="({region})")
    with pytest.raises(ArgumentError, match="context"):
        r1.extracts("Trust", context=-1)
    with pytest.raises(KeyError):
        r1.extracts("Nope")


# --------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def ambiguous_cb() -> qc.Codebook:
    return qc.Codebook.from_dict({"Trust": {"Credibility": None, "Other": None}, "Power": {"Institutions": None, "Other": None}})


def test_from_frame_every_problem_reported_together(study, ambiguous_cb):
    df = pd.DataFrame(
        {
            "doc_id": ["Z9", "A1", "A1", "A1", "A2", "A2", "B1", "A1"],
            "start": [0, 0, 0, 10, 40, 1.5, 0, 3],
            "end": [1, 1, 1, 5, 90, 3, None, 4],
            "code": ["Trust", "Nope", "Other", "Trust", "Credibility", "Trust", "Trust", "Trust > Credibility"],
        }
    )
    with pytest.raises(CodingError) as info:
        qc.Coding.from_frame(study, ambiguous_cb, df)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, QualcoreError)
    p = err.problems
    assert len(p) == 7, p
    assert p[0] == "row 0: unknown document 'Z9'"
    assert p[1] == "row 1: unknown code 'Nope'"
    assert p[2] == "row 2: ambiguous code name 'Other'"
    assert p[3] == "row 3: start 10 and end 5 are not a span (0 <= start <= end)"
    assert p[4] == "row 4: span 40..90 is outside document 'A2' (81 characters)"
    assert p[5].startswith("row 5: start 1.5") and "whole number" in p[5]
    assert p[6].startswith("row 6: end ") and "whole number" in p[6]
    assert str(err).startswith("7 problem(s)")
    for line in p:
        assert line in str(err)


def test_from_frame_more_bad_offsets(study):
    df = pd.DataFrame(
        {
            "doc_id": ["A1", "A1", "A1", "A1", "A1"],
            "start": [-1, "3", None, True, 0],
            "end": [2, 4, 5, 6, 126],  # A1 has 126 characters: 0..126 is the whole document
            "code": ["Trust"] * 5,
        }
    )
    with pytest.raises(CodingError) as info:
        qc.Coding.from_frame(study, CODEBOOK, df)
    p = info.value.problems
    assert len(p) == 4, p
    assert p[0].startswith("row 0: start -1") and "not a span" in p[0]
    assert p[1].startswith("row 1: start '3'") and "whole number" in p[1]
    assert p[2].startswith("row 2: start None") and "whole number" in p[2]
    assert p[3].startswith("row 3: start True") and "whole number" in p[3]


def test_from_frame_accepts_whole_floats_and_empty_frames(study):
    c = qc.Coding.from_frame(study, CODEBOOK, pd.DataFrame({"doc_id": ["A1"], "start": [35.0], "end": [43.0], "code": ["Credibility"]}))
    assert c.frame[["start", "end", "text"]].values.tolist() == [[35, 43, "credible"]]
    assert c.frame["start"].dtype == np.int64
    empty = qc.Coding.from_frame(study, CODEBOOK, pd.DataFrame({"doc_id": [], "start": [], "end": [], "code": []}))
    assert len(empty) == 0
    assert table(qc.code_matrix(empty)) == {n: [0, 0, 0] for n in NODES}


def test_from_frame_missing_column(study):
    df = spans(R1).drop(columns="end")
    with pytest.raises(ValueError, match="'end'"):
        qc.Coding.from_frame(study, CODEBOOK, df)
    with pytest.raises(ValueError, match="'section'"):
        qc.Coding.from_frame(study, CODEBOOK, spans(R1), code="section")
    with pytest.raises(ValueError, match="'note'"):
        qc.Coding.from_frame(study, CODEBOOK, spans(R1), memo="note")


def test_from_frame_coder_and_memo_columns(study):
    df = spans(R1[:2]).assign(who=["AB", "CD"], why=["m1", None])
    c = qc.Coding.from_frame(study, CODEBOOK, df, coder="who", memo="why")
    assert c.frame["coder"].tolist() == ["AB", "CD"]
    assert c.frame["memo"].tolist()[0] == "m1" and pd.isna(c.frame["memo"].tolist()[1])


# --------------------------------------------------------------------------- autocode
#
# Offsets of the transcript (worked out by hand; labels excluded from the turns):
# A1 t0 Dan  5-52   "Do you trust the evidence base? Is it credible?"
#              trust 12-17, the 18-21, evidence 22-30, base 31-35, credible 43-51
#              sentences 5-36, 37-52
#    t1 A1  58-142  "Trust, trust, trusting. The evidence base is weak. Conflicts of interest everywhere!"
#              Trust 58-63, trust 65-70, trusting 72-80, The 82-85, evidence 86-94, base 95-99,
#              Conflicts of interest 109-130; sentences 58-81, 82-108, 109-142
#    t2 Dan 149-171 "And the royal college?"  royal college 157-170
#    t3 A1 177-215  "The Royal College is fine. I trust it."  Royal College 181-194, trust 206-211
#              sentences 177-203, 204-215
# B1 t0 Dan  5-11   "Trust?"  Trust 5-10
#    t1 B1  17-49   "No trust here. Evidence, though."  trust 20-25, Evidence 32-40
#              sentences 17-31, 32-49
AC_A1 = (
    "Dan: Do you trust the evidence base? Is it credible?\n\n"
    "A1: Trust, trust, trusting. The evidence base is weak. Conflicts of interest everywhere!\n\n"
    "Dan: And the royal college?\n\n"
    "A1: The Royal College is fine. I trust it.\n"
)
AC_B1 = "Dan: Trust?\n\nB1: No trust here. Evidence, though.\n"

AC_CB = qc.Codebook.from_dict(
    {
        "Trust": {
            "Credibility": ["trust*", "credib*"],
            # three overlapping patterns: their hits merge into one span per occurrence
            "Evidence base": ["evidence base", "the evidence", "evidence"],
            "Conflict of interest": ["conflict* of interest"],  # a phrase with a glob
            "Nothing": None,  # no patterns: never used
        },
        "Power": {"Institutions": ["royal college"]},
    }
)


@pytest.fixture(scope="module")
def transcript(tmp_path_factory) -> qc.Corpus:
    d = tmp_path_factory.mktemp("autocode")
    (d / "A1.txt").write_text(AC_A1, encoding="utf-8")
    (d / "B1.txt").write_text(AC_B1, encoding="utf-8")
    return qc.read_transcripts(d, interviewer=["Dan"])


def ac_rows(coding: qc.Coding) -> list[list]:
    return coding.frame[["doc_id", "start", "end", "code"]].values.tolist()


def test_autocode_hand_offsets(transcript):
    a1, b1 = transcript["A1"].text, transcript["B1"].text
    assert a1[12:17] == "trust" and a1[18:35] == "the evidence base" and a1[43:51] == "credible"
    assert a1[82:99] == "The evidence base" and a1[109:130] == "Conflicts of interest"
    assert a1[157:170] == "royal college" and a1[181:194] == "Royal College" and a1[206:211] == "trust"
    assert b1[5:10] == "Trust" and b1[20:25] == "trust" and b1[32:40] == "Evidence"
    assert transcript.turns[["doc_id", "start", "end"]].values.tolist() == [
        ["A1", 5, 52], ["A1", 58, 142], ["A1", 149, 171], ["A1", 177, 215], ["B1", 5, 11], ["B1", 17, 49],
    ]


MATCH_A1 = [
    ["A1", 12, 17, CRED], ["A1", 18, 35, EVID], ["A1", 43, 51, CRED],
    ["A1", 58, 63, CRED], ["A1", 65, 70, CRED], ["A1", 72, 80, CRED],  # adjacent, not overlapping: three spans
    ["A1", 82, 99, EVID], ["A1", 109, 130, COI],
    ["A1", 157, 170, INST], ["A1", 181, 194, INST], ["A1", 206, 211, CRED],
]
MATCH_B1 = [["B1", 5, 10, CRED], ["B1", 20, 25, CRED], ["B1", 32, 40, EVID]]


def test_autocode_match(transcript):
    c = transcript.autocode(AC_CB)
    assert ac_rows(c) == MATCH_A1 + MATCH_B1
    f = c.frame
    assert f["text"].tolist() == [
        "trust", "the evidence base", "credible", "Trust", "trust", "trusting", "The evidence base",
        "Conflicts of interest", "royal college", "Royal College", "trust", "Trust", "trust", "Evidence",
    ]
    assert f["turn"].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 2, 3, 3, 0, 1, 1]
    assert f["speaker"].tolist() == ["Dan"] * 3 + ["A1"] * 5 + ["Dan", "A1", "A1", "Dan", "B1", "B1"]
    assert set(f["coder"]) == {"autocode"} and f["memo"].isna().all()
    assert c.codes() == [CRED, EVID, COI, INST]  # "Nothing" has no patterns


def test_autocode_sentence(transcript):
    c = transcript.autocode(AC_CB, unit="sentence", coder="dict")
    assert ac_rows(c) == [
        ["A1", 5, 36, CRED], ["A1", 5, 36, EVID],  # two codes on the same sentence
        ["A1", 37, 52, CRED],
        ["A1", 58, 81, CRED],  # three hits, one sentence, coded once
        ["A1", 82, 108, EVID],
        ["A1", 109, 142, COI],
        ["A1", 149, 171, INST],
        ["A1", 177, 203, INST],
        ["A1", 204, 215, CRED],
        ["B1", 5, 11, CRED], ["B1", 17, 31, CRED], ["B1", 32, 49, EVID],
    ]
    assert c.frame["text"].tolist()[3] == "Trust, trust, trusting."
    assert set(c.frame["coder"]) == {"dict"}


TURN_ALL = [
    ["A1", 5, 52, CRED], ["A1", 5, 52, EVID],
    ["A1", 58, 142, CRED], ["A1", 58, 142, EVID], ["A1", 58, 142, COI],
    ["A1", 149, 171, INST],
    ["A1", 177, 215, CRED], ["A1", 177, 215, INST],
    ["B1", 5, 11, CRED],
    ["B1", 17, 49, CRED], ["B1", 17, 49, EVID],
]


def test_autocode_turn(transcript):
    c = transcript.autocode(AC_CB, unit="turn")
    assert ac_rows(c) == TURN_ALL
    assert c.frame["text"].tolist()[0] == "Do you trust the evidence base? Is it credible?"
    # units at a theme: each turn once
    assert table(qc.code_matrix(c, by=None, count="units")) == {
        TRUST: [5], CRED: [5], EVID: [3], COI: [1], "Trust > Nothing": [0], POWER: [2], INST: [2],
    }


def test_autocode_speakers(transcript):
    a1_only = [["A1", 58, 63, CRED], ["A1", 65, 70, CRED], ["A1", 72, 80, CRED], ["A1", 82, 99, EVID],
               ["A1", 109, 130, COI], ["A1", 181, 194, INST], ["A1", 206, 211, CRED]]
    assert ac_rows(transcript.autocode(AC_CB, speakers=["A1"])) == a1_only
    assert ac_rows(transcript.autocode(AC_CB, speakers=["A1", "B1"])) == a1_only + [["B1", 20, 25, CRED], ["B1", 32, 40, EVID]]
    assert ac_rows(transcript.autocode(AC_CB, speakers="B1")) == [["B1", 20, 25, CRED], ["B1", 32, 40, EVID]]
    with pytest.raises(ArgumentError, match="Zed"):
        transcript.autocode(AC_CB, speakers=["Zed"])


def test_autocode_participants_corpus(transcript):
    p = transcript.participants()
    assert p.speaker_restriction == ["A1", "B1"]
    assert ac_rows(p.autocode(AC_CB, unit="turn")) == [
        ["A1", 58, 142, CRED], ["A1", 58, 142, EVID], ["A1", 58, 142, COI],
        ["A1", 177, 215, CRED], ["A1", 177, 215, INST],
        ["B1", 17, 49, CRED], ["B1", 17, 49, EVID],
    ]
    assert ac_rows(p.autocode(AC_CB)) == [
        ["A1", 58, 63, CRED], ["A1", 65, 70, CRED], ["A1", 72, 80, CRED], ["A1", 82, 99, EVID],
        ["A1", 109, 130, COI], ["A1", 181, 194, INST], ["A1", 206, 211, CRED],
        ["B1", 20, 25, CRED], ["B1", 32, 40, EVID],
    ]
    assert ac_rows(p.autocode(AC_CB, unit="sentence")) == [
        ["A1", 58, 81, CRED], ["A1", 82, 108, EVID], ["A1", 109, 142, COI], ["A1", 177, 203, INST], ["A1", 204, 215, CRED],
        ["B1", 17, 31, CRED], ["B1", 32, 49, EVID],
    ]
    # speakers narrow a restricted corpus further; an interviewer stays excluded
    assert ac_rows(p.autocode(AC_CB, unit="turn", speakers=["B1"])) == [["B1", 17, 49, CRED], ["B1", 17, 49, EVID]]
    assert ac_rows(p.autocode(AC_CB, unit="turn", speakers=["Dan"])) == []


def test_autocode_codebook_without_patterns(transcript):
    with pytest.raises(ArgumentError, match="pattern"):
        transcript.autocode(CODEBOOK)
    only = qc.Codebook.from_dict({"A": None, "B": {"C": None, "D": ["royal college"]}})
    assert ac_rows(transcript.autocode(only)) == [["A1", 157, 170, "B > D"], ["A1", 181, 194, "B > D"]]


def test_autocode_case_sensitive(transcript):
    cb = qc.Codebook.from_dict({"T": ["Trust"]})
    assert ac_rows(transcript.autocode(cb, case_insensitive=False)) == [["A1", 58, 63, "T"], ["B1", 5, 10, "T"]]


def test_autocode_counts_roll_up(transcript):
    c = transcript.autocode(AC_CB, unit="sentence")
    m = qc.code_matrix(c, by="doc_id", count="units")  # turns
    assert table(m)[TRUST] == [3, 2, 5]
    assert table(m)[POWER] == [2, 0, 2]
    # distinct sentences: A1 5-36 (two codes, one span), 37-52, 58-81, 82-108, 109-142, 204-215 | B1 three
    assert table(qc.code_matrix(c, by="doc_id", count="segments"))[TRUST] == [6, 3, 9]


# ---- properties

_WORDS = ["trust", "Trusted", "TRUSTING", "evidence", "base", "royal", "college", "conflict", "conflicts", "of",
          "interest", "the", "a", "GP", "data", "said", ".", ",", "?", "!"]
_PHRASES = ["evidence base", "Royal College", "conflict of interest", "conflicts of interest", "trust"]
PROP_CB = qc.Codebook.from_dict(
    {
        "Trust": {"Credibility": ["trust*"], "Evidence base": ["evidence base"], "Conflict": ["conflict* of interest"]},
        "Power": {"Institutions": ["royal college"]},
    }
)
_MATCH_RE = re.compile(r"trust\w*|evidence base|conflicts? of interest|royal college")


@st.composite
def turn_rows(draw):
    n_docs = draw(st.integers(1, 4))
    rows = []
    for d in range(n_docs):
        for t in range(draw(st.integers(1, 4))):
            pieces = draw(st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(_PHRASES)), max_size=14))
            rows.append({"doc_id": f"D{d}", "speaker": draw(st.sampled_from(["Int", "P"])), "text": " ".join(pieces)})
    return pd.DataFrame(rows, columns=["doc_id", "speaker", "text"])


@settings(max_examples=100, deadline=None)
@given(turn_rows(), st.sampled_from(["match", "sentence", "turn"]))
def test_autocode_threads_identical(rows, unit):
    corpus = qc.Corpus.from_frame(rows, speaker="speaker", interviewer=["Int"])
    one = corpus.autocode(PROP_CB, unit=unit, threads=1).to_frame()
    two = corpus.autocode(PROP_CB, unit=unit, threads=2).to_frame()
    pd.testing.assert_frame_equal(one, two)
    if unit == "match":
        texts = {d.doc_id: d.text for d in corpus}
        for d, s, e, code in one[["doc_id", "start", "end", "code"]].values.tolist():
            piece = " ".join(texts[d][s:e].split()).lower()
            assert _MATCH_RE.fullmatch(piece), (d, s, e, code, piece)
        # every keyword occurrence is coded (brute force over the words)
        expected = sum(len(_MATCH_RE.findall(" ".join(r.lower().split()))) for r in rows["text"])
        assert len(one) == expected


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=15)
_MATCH_LOOSE = re.compile(r"trust\S*|evidence\s+base|conflict\S*\s+of\s+interest|royal\s+college", re.S)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.one_of(_TEXT, st.sampled_from(_PHRASES + ["TRUSTworthy", "Evidence\n base"])), max_size=10),
             min_size=1, max_size=6),
    st.sampled_from(["match", "sentence", "turn"]),
)
def test_autocode_threads_identical_random_text(docs, unit):
    corpus = qc.Corpus.from_texts([" ".join(d) for d in docs])
    one = corpus.autocode(PROP_CB, unit=unit, threads=1).to_frame()
    two = corpus.autocode(PROP_CB, unit=unit, threads=2).to_frame()
    pd.testing.assert_frame_equal(one, two)
    texts = {d.doc_id: d.text for d in corpus}
    for d, s, e in one[["doc_id", "start", "end"]].values.tolist():
        assert 0 <= s < e <= len(texts[d])
        if unit == "match":
            assert _MATCH_LOOSE.fullmatch(texts[d][s:e].casefold()), texts[d][s:e]


@settings(max_examples=100, deadline=None)
@given(turn_rows(), st.sampled_from(["match", "sentence", "turn"]))
def test_theme_units_equal_brute_force(rows, unit):
    corpus = qc.Corpus.from_frame(rows, speaker="speaker", interviewer=["Int"])
    coding = corpus.autocode(PROP_CB, unit=unit)
    m = qc.code_matrix(coding, by=None, count="units", level=None)
    turns = corpus.turns[["doc_id", "turn", "start", "end"]].values.tolist()

    def unit_of(doc, start):
        hits = [(d, t) for d, t, s, e in turns if d == doc and s <= start <= e]
        assert len(hits) == 1
        return hits[0]

    f = coding.to_frame()
    for node in PROP_CB.paths:
        under = {node, *PROP_CB.descendants(node)}
        units = {unit_of(d, s) for d, s, c in f[["doc_id", "start", "code"]].values.tolist() if c in under}
        assert m.loc[node, "all"] == len(units), node
        cases = {d for d, c in f[["doc_id", "code"]].values.tolist() if c in under}
        assert qc.code_matrix(coding, by=None).loc[node, "all"] == len(cases)


# --------------------------------------------------------------------------- align: PDPilot


@pytest.fixture(scope="module")
def pdpilot():
    if not PDPILOT.is_dir():
        pytest.skip(f"the PDPilot data folder {PDPILOT} is absent on this machine")
    corpus = qc.read_transcripts(PDPILOT / "transcripts")
    cb = qc.Codebook.read_csv(PDPILOT / "codebook.csv")
    seg = pd.read_csv(PDPILOT / "coded_segments.csv", keep_default_na=False)
    coding, report = corpus.align(seg, doc="document", code="code", text="segment", codebook=cb)
    return corpus, cb, seg, coding, report


def test_pdpilot_all_placed(pdpilot):
    corpus, cb, seg, coding, report = pdpilot
    assert len(seg) == 261 and len(report) == 261 and len(coding) == 261
    assert report.columns.tolist() == ["row", "placed", "doc_id", "code", "method", "start", "end", "candidates", "score", "reason"]
    assert report["placed"].all()
    assert report["row"].tolist() == list(range(261))
    assert (report["candidates"] == 1).all()
    assert set(report["method"]) <= {"exact", "normalized"}
    assert (report["reason"] == "").all()
    assert report["doc_id"].value_counts().to_dict() == {"P7": 49, "P2": 43, "P4": 41, "P1": 34, "P5": 32, "P3": 32, "P6": 30}
    assert set(coding.frame["coder"]) == {"aligned"}


def test_pdpilot_aligned_text_equals_segment(pdpilot):
    corpus, cb, seg, coding, report = pdpilot
    texts = {d.doc_id: d.text for d in corpus}

    def collapse(s: str) -> str:
        return re.sub(r"\s+", " ", s)

    for (i, r), s in zip(report.iterrows(), seg["segment"].tolist()):
        got = texts[r["doc_id"]][r["start"]:r["end"]]
        assert collapse(got) == collapse(s), i
        if r["method"] == "exact":
            assert got == s
    # the coding holds the same spans
    a = sorted(zip(report["doc_id"], report["start"], report["end"], report["code"]))
    b = sorted(coding.to_frame()[["doc_id", "start", "end", "code"]].itertuples(index=False, name=None))
    assert a == b


def test_pdpilot_counts_equal_code_system_frequencies(pdpilot):
    corpus, cb, seg, coding, report = pdpilot
    freq = pd.read_csv(PDPILOT / "codebook.csv", keep_default_na=False).set_index("path")["frequency"].to_dict()
    counts = coding.to_frame()["code"].value_counts().to_dict()
    assert set(counts) <= set(freq)
    assert len(counts) == 76
    for path, f in freq.items():
        if path == "Anonymize":
            assert f == 32 and counts.get(path, 0) == 0
        else:
            assert counts.get(path, 0) == f, path
    assert len(coding) + 32 == 293 == sum(freq.values())
    # codings per top-level branch (SOURCE.md)
    top = coding.to_frame()["code"].str.split(" > ").str[0]
    assert top.value_counts().to_dict() == {
        "Explainability purposes": 21, "Explainability techniques": 56, "PDPilot General Usage": 23,
        "PDPilot Techniques Usage": 60, "PDPilot improvements": 42, "Study limitations": 10,
        "Benefits of PDPilot": 28, "Interaction": 21,
    }
    # rolled up, segments are distinct spans: a passage coded with two codes of a branch counts once
    f = coding.to_frame().assign(top=top)
    distinct = f.drop_duplicates(["top", "doc_id", "start", "end"])["top"].value_counts().to_dict()
    m = qc.code_matrix(coding, by=None, count="segments", level=1)
    assert m["all"].to_dict() == {**{k: distinct.get(k, 0) for k in cb.children()}}
    assert m.loc["Anonymize", "all"] == 0 and m.loc["PDPilot improvements", "all"] < 42
    # cases: every participant raised some improvement; documents per code never exceed 7
    assert qc.code_matrix(coding, by=None, level=1).loc["PDPilot improvements", "all"] == 7


# --------------------------------------------------------------------------- align: synthetic

ALIGN_DOC = (
    "Dan: What do you think about the evidence?\n\n"
    "A1: I think the evidence base for this drug is weak, because the trials were small and the company "
    "paid for all of them, which is a conflict of interest.\n\n"
    "Dan: Say more.\n\n"
    "A1: It's the “gold standard” — or so they say. I agree. I agree.\n"
)
ALIGN_CB = qc.Codebook.from_dict({"Trust": {"Evidence base": None, "COI": None}})


@pytest.fixture(scope="module")
def align_corpus() -> qc.Corpus:
    return qc.Corpus.from_texts([ALIGN_DOC, "Other doc."], doc_ids=["A1", "B1"])


def _align(corpus, rows, **kw):
    ex = pd.DataFrame(rows, columns=["doc_id", "code", "text"])
    return corpus.align(ex, **kw)


def test_align_exact(align_corpus):
    coding, report = _align(align_corpus, [("A1", "Evidence base", "the evidence base for this drug is weak")], codebook=ALIGN_CB)
    s = ALIGN_DOC.index("the evidence base")
    assert report[["placed", "method", "start", "end", "candidates", "reason"]].values.tolist() == [
        [True, "exact", s, s + 39, 1, ""],
    ]
    assert report["score"].tolist() == [1.0]
    assert coding.frame[["code", "text", "coder"]].values.tolist() == [
        [EVID, "the evidence base for this drug is weak", "aligned"],
    ]


def test_align_folding(align_corpus):
    coding, report = _align(
        align_corpus,
        [
            ("A1", "Evidence base", "about the   evidence?\nA1: I think"),       # white space runs, \n for a blank line
            ("A1", "COI", 'It\'s the "gold standard" - or so they say.'),        # straight quotes, hyphen for a dash
            ("A1", "COI", "It’s the “gold standard” – or so they say."),         # curly apostrophe, en dash
        ],
        codebook=ALIGN_CB,
    )
    assert report["method"].tolist() == ["normalized"] * 3
    assert report["placed"].all()
    texts = [ALIGN_DOC[s:e] for s, e in zip(report["start"], report["end"])]
    assert texts == [
        "about the evidence?\n\nA1: I think",
        "It's the “gold standard” — or so they say.",
        "It's the “gold standard” — or so they say.",
    ]


def test_align_fuzzy(align_corpus):
    changed = ("I think the evidence base for this medicine is weak, because the trials were small and the company "
               "paid for all of them")
    coding, report = _align(align_corpus, [("A1", "Evidence base", changed)], codebook=ALIGN_CB)
    r = report.iloc[0]
    assert r["placed"] and r["method"] == "fuzzy"
    assert ALIGN_DOC[r["start"]:r["end"]] == changed.replace("medicine", "drug")
    assert 0.85 <= r["score"] < 1.0
    assert len(coding) == 1


def test_align_not_found_unknown_doc_unknown_code(align_corpus):
    coding, report = _align(
        align_corpus,
        [
            ("A1", "COI", "this sentence is nowhere in the transcript"),
            ("Z9", "COI", "Other doc."),
            ("A1", "Nope", "Say more."),
            ("B1", "COI", "Other doc."),
            ("A1", "COI", None),
        ],
        codebook=ALIGN_CB,
    )
    assert report[["placed", "method", "reason"]].values.tolist() == [
        [False, "not_found", "not found"],
        [False, "not_found", "unknown document"],
        [False, "exact", "unknown code"],
        [True, "exact", ""],
        [False, "not_found", "extract is not text"],
    ]
    assert report["start"].tolist()[:2] == [-1, -1]
    assert coding.frame[["doc_id", "start", "end", "code"]].values.tolist() == [["B1", 0, 10, "Trust > COI"]]


def test_align_ambiguous_uses_the_first(align_corpus):
    coding, report = _align(align_corpus, [("A1", "COI", "I agree.")], codebook=ALIGN_CB)
    first = ALIGN_DOC.index("I agree.")
    assert ALIGN_DOC.index("I agree.", first + 1) > first
    assert report[["placed", "method", "start", "end", "candidates"]].values.tolist() == [[True, "exact", first, first + 8, 2]]


def test_align_default_codebook_is_flat(align_corpus):
    coding, report = _align(align_corpus, [("A1", "Evidence", "Say more."), ("B1", "Other", "Other doc.")])
    assert report["placed"].all()
    assert coding.codebook.paths == ["Evidence", "Other"]
    assert coding.frame["text"].tolist() == ["Say more.", "Other doc."]


def test_align_missing_column(align_corpus):
    ex = pd.DataFrame({"doc_id": ["A1"], "code": ["COI"], "segment": ["Say more."]})
    with pytest.raises(ArgumentError, match="'text'"):
        align_corpus.align(ex)


# --------------------------------------------------------------------------- plot


def test_plot_saturation(r1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = qc.saturation(r1, order=["B1", "A1", "A2"])
    ax = qc.plot.saturation(s)
    try:
        assert isinstance(ax, matplotlib.axes.Axes)
        assert [t.get_text() for t in ax.get_xticklabels()] == ["B1", "A1", "A2"]
        assert list(ax.get_xticks()) == [0, 1, 2]
        assert ax.get_title() == "Code saturation"
        line = ax.get_lines()[0]
        assert list(line.get_ydata()) == [6, 6, 6]
        assert [p.get_height() for p in ax.patches] == [6, 0, 0]
    finally:
        plt.close(ax.figure)
    fig, ax2 = plt.subplots()
    try:
        assert qc.plot.saturation(qc.saturation(r1), ax=ax2, title="T") is ax2
        assert len(ax2.get_xticklabels()) == 3 and ax2.get_title() == "T"
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="new_codes"):
        qc.plot.saturation(pd.DataFrame({"doc_id": ["A1"]}))


def test_code_matrix_by_document_keeps_corpus_order():
    ids = ["P2", "P10", "P1"]
    corpus = qc.Corpus.from_texts(["trust", "trust", "data"], doc_ids=ids)
    coding = corpus.autocode(qc.Codebook.from_dict({"T": ["trust"], "D": ["data"]}))
    m = qc.code_matrix(coding, by="doc_id", count="segments")
    assert list(m.columns) == ids + ["all"]
    assert m.loc["T"].tolist() == [1, 1, 0, 2]
    assert m.loc["D"].tolist() == [0, 0, 1, 1]


def test_compiled_patterns_are_cached_and_pickle():
    import pickle

    from qualcore import _native
    from qualcore._patterns import compiled

    corpus = qc.Corpus.from_texts(["I trust the evidence base.", "No trust."], doc_ids=["A1", "B1"])
    cb = qc.Codebook.from_dict({"Trust": ["trust*"], "Evidence": ["evidence base"]})
    first = corpus.autocode(cb).to_frame()
    c = compiled(["trust*", "evidence base"], "glob", True)
    assert compiled(["trust*", "evidence base"], "glob", True) is c  # compiled once per process
    assert compiled(["trust*", "evidence"], "glob", True) is not c
    back = pickle.loads(pickle.dumps(c))
    assert isinstance(back, _native.CompiledPatterns) and len(back) == 2
    cols = corpus._native.autocode(["trust*", "evidence base"], [0, 1], compiled=back)
    assert cols["start"].tolist() == first["start"].tolist() and cols["end"].tolist() == first["end"].tolist()
    with pytest.raises(ValueError, match="compiled: 2 patterns for 1 pattern codes"):
        corpus._native.autocode(["trust*"], [0], compiled=back)
    # a pattern that does not compile still names its code
    with pytest.raises(qc.errors.PatternError, match="Broken"):
        corpus.autocode(qc.Codebook.from_dict({"Broken": ["(unclosed"]}), valuetype="regex")


def test_compiled_pattern_cache_keys_do_not_collide():
    from qualcore._patterns import compiled

    assert compiled(["a\x1f", "b"], "regex", True) is not compiled(["a", "\x1fb"], "regex", True)
