"""Krippendorff's unitized alphas (qualcore._unitized.unitized_alphas).

Reference values come from (a) a case worked by hand below, (b) the published example output of
the public implementation lindanna/unitized_alpha (README, 3 coders), (c) the `krippendorff`
package on data where unitized alpha reduces to ordinary nominal alpha (every unit one character
long), and (d) a deliberately naive per-character implementation in this file.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcore._unitized import unitized_alphas

COLS = ["coder", "category", "doc_id", "start", "end"]


def frame(rows: list[tuple[object, object, object, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS)


def values(res: dict) -> list[float]:
    return [res["u_alpha"], res["binary_u_alpha"], res["cu_alpha"], *res["k_u_alpha"].values()]


def same(a: float, b: float, tol: float = 1e-9) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


# --------------------------------------------------------------------------------------------
# (a) A tiny case worked by hand.
#
# One document of length 10, two coders (m = 2, so 1/(m-1) = 1):
#   A: x [0,4)  y [4,8)  gap [8,10)
#   B: x [0,6)  y [6,10)
#   positions 0-3: x|x   4-5: y|x   6-7: y|y   8-9: ∅|y
# Observed coincidences (both orders of the pair (A,B)):
#   l_xx = 2*4 = 8, l_xy = l_yx = 2, l_yy = 2*2 = 4, l_y∅ = l_∅y = 2, l_∅∅ = 0
#   margins l_x. = 10, l_y. = 8, l_∅. = 2, l.. = m*L = 20
# Self-pairings: S_x = 4² + 6² = 52, S_y = 4² + 4² = 32, S_∅ = 2 (gaps linear), S = 86
#   l..² − S = 400 − 86 = 314
# uα:  D_o = 2+2+2+2 = 8;  D_e = 20 * (400 − (10² + 8² + 2²)) / 314 = 4640/314
#      uα = 1 − 8*314/4640 = 133/290
# |uα: D_o = l_∅,¬∅ + l_¬∅,∅ = 4;  D_e = 2 * 20 * 2 * 18 / 314 = 1440/314
#      |uα = 1 − 4*314/1440 = 23/180
# cuα: l* = [[8, 2], [2, 4]], l*_x. = 10, l*_y. = 6, l*.. = 16
#      overlap of each unit with the other coder's valued matter: A.x 4, A.y 4, B.x 6, B.y 2
#      S*_x = 4² + 6² = 52, S*_y = 4² + 2² = 20, S* = 72, l*..² − S* = 184
#      D_o = 4, D_e = 16 * (256 − (100 + 36)) / 184 = 1920/184, cuα = 1 − 4*184/1920 = 37/60
# (x)uα: e*_x. = 16*(10*16 − 52)/184 = 1728/184, e*_x. − e*_xx = 16*10*6/184 = 960/184
#      (x)uα = 1 − (1728/184 / 10) * (10 − 8) / (960/184) = 1 − 3456/9600 = 16/25
# (y)uα: e*_y. = 16*(6*16 − 20)/184 = 1216/184, e*_y. − e*_yy = 960/184
#      (y)uα = 1 − (1216/184 / 6) * (6 − 4) / (960/184) = 1 − 2432/5760 = 26/45
# --------------------------------------------------------------------------------------------
HAND = frame([("A", "x", "d", 0, 4), ("A", "y", "d", 4, 8), ("B", "x", "d", 0, 6), ("B", "y", "d", 6, 10)])


def test_hand_computed_two_coders() -> None:
    res = unitized_alphas(HAND, {"d": 10})
    assert res["u_alpha"] == pytest.approx(133 / 290, abs=1e-12)
    assert res["binary_u_alpha"] == pytest.approx(23 / 180, abs=1e-12)
    assert res["cu_alpha"] == pytest.approx(37 / 60, abs=1e-12)
    assert res["k_u_alpha"] == pytest.approx({"x": 16 / 25, "y": 26 / 45}, abs=1e-12)
    assert res["note"] == ""
    assert all(type(v) is float for v in values(res))


def test_hand_case_one_category_gives_nan_cu_not_one() -> None:
    # A: x [0,4), B: x [2,6) on L = 10.  l_xx = 4, l_x∅ = l_∅x = 4, l_∅∅ = 8, l.. = 20,
    # S = 4² + 4² + 6 + 6 = 44, D_o = 8, D_e = 20 * (400 − 64 − 144) / 356, uα = 1 − 2848/3840.
    res = unitized_alphas(frame([("A", "x", "d", 0, 4), ("B", "x", "d", 2, 6)]), {"d": 10})
    assert res["u_alpha"] == pytest.approx(31 / 120, abs=1e-12)
    assert res["binary_u_alpha"] == pytest.approx(31 / 120, abs=1e-12)
    assert math.isnan(res["cu_alpha"]) and math.isnan(res["k_u_alpha"]["x"])
    assert "one category" in res["note"] and "'x'" in res["note"]


# --------------------------------------------------------------------------------------------
# (b) Golden values of a public reference implementation.
# lindanna/unitized_alpha (GitHub), unitized_alpha.py, which cites Krippendorff et al. (2016)
# equations 1, 4, 6, 10, 11, 13.  Its README prints, for the example in its __main__ block
# (3 coders, continuum length 20):
#   u alpha: 0.474, bu_alpha: 0.433, cu_alpha: 0.779 covering 38.33 % of the continuum,
#   ku_alpha for label 1: 0.769, for label 2: 0.787
# The full-precision numbers below are what that code returns on the same input (checked by
# running it locally); the module reproduces the README to its printed 3 decimals.
# --------------------------------------------------------------------------------------------
LINDANNA = frame(
    [
        ("Alex", "1", "t", 2, 5),
        ("Alex", "1", "t", 9, 11),
        ("Alex", "2", "t", 12, 20),
        ("Paul", "1", "t", 2, 5),
        ("Paul", "2", "t", 7, 15),
        ("Susan", "1", "t", 2, 5),
        ("Susan", "2", "t", 10, 15),
    ]
)


def test_golden_lindanna_unitized_alpha_three_coders() -> None:
    res = unitized_alphas(LINDANNA, {"t": 20})
    assert round(res["u_alpha"], 3) == 0.474
    assert round(res["binary_u_alpha"], 3) == 0.433
    assert round(res["cu_alpha"], 3) == 0.779
    assert round(res["k_u_alpha"]["1"], 3) == 0.769
    assert round(res["k_u_alpha"]["2"], 3) == 0.787
    assert res["u_alpha"] == pytest.approx(0.4739130434782609, abs=1e-12)
    assert res["binary_u_alpha"] == pytest.approx(0.4328125, abs=1e-12)
    assert res["cu_alpha"] == pytest.approx(0.7788819875776397, abs=1e-12)
    assert res["k_u_alpha"]["1"] == pytest.approx(0.7692517006802722, abs=1e-12)
    assert res["k_u_alpha"]["2"] == pytest.approx(0.7869714285714285, abs=1e-12)


# --------------------------------------------------------------------------------------------
# (c) Reduction to ordinary nominal alpha.  When every unit is one character long, S_c = l_c.,
# so e_ck = l_c.(l_.k − δ_ck)/(l.. − 1): uα is Krippendorff's nominal alpha over the m x L
# reliability matrix (gap = its own value), |uα the same on the binarised matrix, and, for two
# coders, cuα is nominal alpha with gaps as missing values.
# --------------------------------------------------------------------------------------------
def _char_units(matrix: np.ndarray) -> pd.DataFrame:
    rows = [
        (f"c{i}", f"k{v}", "d", x, x + 1)
        for i in range(matrix.shape[0])
        for x in range(matrix.shape[1])
        if matrix[i, x] > 0
        for v in [int(matrix[i, x])]
    ]
    return frame(rows)


@pytest.mark.parametrize("m, seed", [(2, 0), (2, 1), (3, 2), (4, 3), (5, 4)])
def test_one_character_units_match_krippendorff_package(m: int, seed: int) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(seed)
    n_pos, n_cat = 60, 3
    truth = rng.integers(0, n_cat + 1, n_pos)
    matrix = np.where(rng.random((m, n_pos)) < 0.7, truth, rng.integers(0, n_cat + 1, (m, n_pos)))
    res = unitized_alphas(_char_units(matrix), {"d": n_pos}, coders=[f"c{i}" for i in range(m)])
    domain = list(range(n_cat + 1))
    expected_u = krippendorff.alpha(matrix.astype(float), value_domain=domain, level_of_measurement="nominal")
    expected_bin = krippendorff.alpha(
        (matrix > 0).astype(float), value_domain=[0, 1], level_of_measurement="nominal"
    )
    assert res["u_alpha"] == pytest.approx(expected_u, abs=1e-10)
    assert res["binary_u_alpha"] == pytest.approx(expected_bin, abs=1e-10)
    if m == 2:
        with_missing = np.where(matrix > 0, matrix, np.nan).astype(float)
        expected_cu = krippendorff.alpha(with_missing, value_domain=domain[1:], level_of_measurement="nominal")
        assert res["cu_alpha"] == pytest.approx(expected_cu, abs=1e-10)


# --------------------------------------------------------------------------------------------
# (d) A naive per-character reference, written independently of the module: label arrays per
# coder, explicit loops over ordered coder pairs and over units.
# --------------------------------------------------------------------------------------------
def naive(units: list[tuple[int, int, int, int]], length: int, m: int, n_cat: int) -> list[float]:
    label = np.zeros((m, length), dtype=int)
    for i, c, s, e in units:
        label[i, s:e] = c
    nv = n_cat + 1
    obs = np.zeros((nv, nv))
    for i in range(m):
        for j in range(m):
            if i != j:
                np.add.at(obs, (label[i], label[j]), 1.0)
    obs /= m - 1
    self_pairs = np.zeros(nv)
    for _, c, s, e in units:
        self_pairs[c] += (e - s) ** 2
    self_pairs[0] = (label == 0).sum()
    total = obs.sum()
    marg = obs.sum(axis=1)
    exp = total * (np.outer(marg, marg) - np.diag(self_pairs)) / (total**2 - self_pairs.sum())

    def alpha(o: np.ndarray, e: np.ndarray) -> float:
        d_o = o.sum() - np.trace(o)
        d_e = e.sum() - np.trace(e)
        return float("nan") if d_e <= 1e-9 else float(1 - d_o / d_e)

    out = [alpha(obs, exp)]
    collapse = np.array([[1.0] + [0.0] * n_cat, [0.0] + [1.0] * n_cat])
    out.append(alpha(collapse @ obs @ collapse.T, collapse @ exp @ collapse.T))

    cu = obs[1:, 1:]
    cu_total = cu.sum()
    cu_marg = cu.sum(axis=1)
    cu_self = np.zeros(n_cat)
    for i, c, s, e in units:
        for j in range(m):
            if j != i:
                cu_self[c - 1] += ((label[j, s:e] > 0).sum()) ** 2 / (m - 1)
    cu_den = cu_total**2 - cu_self.sum()
    if cu_total <= 0 or cu_den <= 1e-9:
        return out + [float("nan")] * (1 + n_cat)
    cu_exp = cu_total * (np.outer(cu_marg, cu_marg) - np.diag(cu_self)) / cu_den
    out.append(alpha(cu, cu_exp))
    for k in range(n_cat):
        e_k, e_kk, l_k, l_kk = cu_exp[k].sum(), cu_exp[k, k], cu_marg[k], cu[k, k]
        # Undefined (nan) when the expected coincidences of k are not positive: with more than
        # two coders e*_k. can be <= 0, and the formula would give a value above 1.
        ok = l_k > 0 and e_k > 1e-12 and e_k - e_kk > 1e-9
        out.append(float(1 - (e_k / l_k) * (l_k - l_kk) / (e_k - e_kk)) if ok else float("nan"))
    return out


@st.composite
def codings(draw: st.DrawFn, max_coders: int = 4) -> tuple[list[tuple[int, int, int, int]], int, int, int]:
    m = draw(st.integers(2, max_coders))
    n_cat = draw(st.integers(1, 3))
    length = draw(st.integers(1, 40))
    units = []
    for i in range(m):
        pos = 0
        for gap, size, cat in draw(
            st.lists(st.tuples(st.integers(0, 6), st.integers(1, 9), st.integers(1, n_cat)), max_size=8)
        ):
            pos += gap
            if pos + size > length:
                break
            units.append((i, cat, pos, pos + size))
            pos += size
    return units, length, m, n_cat


def run(units: list[tuple[int, int, int, int]], length: int, m: int, n_cat: int, names: list[str] | None = None):
    names = names or [f"c{i}" for i in range(m)]
    df = frame([(names[i], f"k{c}", "d", s, e) for i, c, s, e in units])
    return unitized_alphas(df, {"d": length}, categories=[f"k{c}" for c in range(1, n_cat + 1)], coders=names)


@settings(deadline=None, max_examples=60)
@given(codings())
def test_matches_naive_reference(case: tuple[list[tuple[int, int, int, int]], int, int, int]) -> None:
    units, length, m, n_cat = case
    got = values(run(units, length, m, n_cat))
    ref = naive(units, length, m, n_cat)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert same(g, r, 1e-7), (got, ref)


@settings(deadline=None, max_examples=50)
@given(codings(max_coders=5), st.randoms(use_true_random=False))
def test_random_inputs_bounded_and_symmetric_in_coders(case, rnd) -> None:
    units, length, m, n_cat = case
    res = run(units, length, m, n_cat)
    for v in values(res):
        assert math.isnan(v) or v <= 1.0 + 1e-12
    if any(math.isnan(v) for v in values(res)):
        assert res["note"]
    else:
        assert res["note"] == ""
    # relabel the coders by a random permutation: nothing may change
    perm = list(range(m))
    rnd.shuffle(perm)
    swapped = [(perm[i], c, s, e) for i, c, s, e in units]
    again = run(swapped, length, m, n_cat, names=[f"z{i}" for i in range(m)])
    for a, b in zip(values(res), values(again)):
        assert same(a, b, 1e-12)


# --------------------------------------------------------------------------------------------
# Invariants and data handling
# --------------------------------------------------------------------------------------------
def test_perfect_agreement_is_one() -> None:
    rows = []
    for coder in ["A", "B", "C"]:
        rows += [(coder, "x", "d1", 0, 5), (coder, "y", "d1", 7, 12), (coder, "x", "d2", 3, 4), (coder, "z", "d2", 4, 9)]
    res = unitized_alphas(frame(rows), {"d1": 20, "d2": 10})
    assert values(res) == [1.0] * 6
    assert res["note"] == ""


def test_swapping_two_coders_gives_same_values() -> None:
    swapped = HAND.assign(coder=HAND["coder"].map({"A": "B", "B": "A"}))
    assert values(unitized_alphas(swapped, {"d": 10})) == pytest.approx(values(unitized_alphas(HAND, {"d": 10})))
    rev = LINDANNA.iloc[::-1].reset_index(drop=True)
    assert values(unitized_alphas(rev, {"t": 20})) == pytest.approx(values(unitized_alphas(LINDANNA, {"t": 20})))


def test_documents_are_concatenated_into_one_continuum() -> None:
    two_docs = frame(
        [("A", "x", "p", 0, 4), ("A", "y", "q", 2, 8), ("B", "x", "p", 1, 4), ("B", "y", "q", 0, 9), ("B", "x", "q", 9, 12)]
    )
    one_doc = frame(
        [("A", "x", "s", 0, 4), ("A", "y", "s", 12, 18), ("B", "x", "s", 1, 4), ("B", "y", "s", 10, 19), ("B", "x", "s", 19, 22)]
    )
    split = unitized_alphas(two_docs, {"p": 10, "q": 15})
    joined = unitized_alphas(one_doc, {"s": 25})
    assert values(split) == pytest.approx(values(joined), abs=1e-12)
    # an uncoded document is part of the continuum (more agreed-upon gap)
    more = unitized_alphas(two_docs, pd.Series({"p": 10, "q": 15, "empty": 30}))
    assert more["binary_u_alpha"] > split["binary_u_alpha"]


def test_overlapping_spans_of_same_coder_and_category_are_merged() -> None:
    base = unitized_alphas(HAND, {"d": 10})
    messy = pd.concat(
        [HAND, frame([("A", "x", "d", 1, 3), ("A", "x", "d", 2, 4), ("B", "y", "d", 6, 10), ("B", "y", "d", 7, 7)])]
    )
    assert values(unitized_alphas(messy, {"d": 10})) == pytest.approx(values(base), abs=1e-12)
    pieces = frame([("A", "x", "d", 0, 3), ("A", "x", "d", 2, 4), ("A", "y", "d", 4, 8), ("B", "x", "d", 0, 6), ("B", "y", "d", 6, 10)])
    assert values(unitized_alphas(pieces, {"d": 10})) == pytest.approx(values(base), abs=1e-12)


def test_touching_spans_stay_separate_units() -> None:
    # [0,4) + [4,8) of one category is two units (self-pairing 16+16), not one of length 8 (64)
    split = frame([("A", "x", "d", 0, 4), ("A", "x", "d", 4, 8), ("B", "x", "d", 0, 8), ("B", "y", "d", 8, 10)])
    whole = frame([("A", "x", "d", 0, 8), ("B", "x", "d", 0, 8), ("B", "y", "d", 8, 10)])
    assert unitized_alphas(split, {"d": 10})["u_alpha"] != pytest.approx(unitized_alphas(whole, {"d": 10})["u_alpha"])


def test_overlapping_categories_of_one_coder_raise_unless_filtered() -> None:
    rows = frame([("A", "x", "d", 0, 5), ("A", "y", "d", 3, 8), ("B", "x", "d", 0, 5), ("B", "y", "d", 5, 8)])
    with pytest.raises(ValueError, match="overlapping spans of different categories"):
        unitized_alphas(rows, {"d": 10})
    only_x = unitized_alphas(rows, {"d": 10}, categories=["x"])
    assert only_x["u_alpha"] == 1.0 and list(only_x["k_u_alpha"]) == ["x"]


def test_listed_category_that_never_occurs_is_nan_with_note() -> None:
    res = unitized_alphas(HAND, {"d": 10}, categories=["x", "y", "w"])
    assert math.isnan(res["k_u_alpha"]["w"])
    assert "'w'" in res["note"]
    assert res["cu_alpha"] == pytest.approx(37 / 60)


def test_coder_who_coded_nothing() -> None:
    res = unitized_alphas(HAND[HAND.coder == "A"], {"d": 10}, coders=["A", "B"])
    assert res["u_alpha"] < 0.5
    assert math.isnan(res["cu_alpha"]) and "intersect" in res["note"]


def test_undefined_values_are_nan_never_exceptions() -> None:
    nothing = unitized_alphas(frame([]), {"d": 10}, coders=["A", "B"])
    assert all(math.isnan(v) for v in values(nothing)) and nothing["k_u_alpha"] == {}
    assert "u_alpha undefined" in nothing["note"] and "binary_u_alpha undefined" in nothing["note"]
    full = frame([("A", "x", "d", 0, 10), ("B", "x", "d", 0, 4), ("B", "y", "d", 4, 10)])
    res = unitized_alphas(full, {"d": 10})
    assert math.isnan(res["binary_u_alpha"]) and "no gaps" in res["note"]
    assert not math.isnan(res["u_alpha"])
    empty = unitized_alphas(frame([]), {"d": 0}, coders=["A", "B"])
    assert all(math.isnan(v) for v in values(empty)) and "empty" in empty["note"]
    # more than two coders with almost no intersecting valued matter: l*..² − S* ≤ 0
    sparse = frame([("A", "x", "d", 0, 5), ("B", "y", "d", 0, 5)])
    res = unitized_alphas(sparse, {"d": 10}, coders=["A", "B", "C"])
    assert math.isnan(res["cu_alpha"]) and "S*" in res["note"]


@pytest.mark.parametrize(
    "rows, lengths, kwargs, message",
    [
        ([("A", "x", "d", 5, 3), ("B", "x", "d", 0, 3)], {"d": 10}, {}, "start > end"),
        ([("A", "x", "d", 5, 11), ("B", "x", "d", 0, 3)], {"d": 10}, {}, "outside their continuum"),
        ([("A", "x", "d", -1, 3), ("B", "x", "d", 0, 3)], {"d": 10}, {}, "outside their continuum"),
        ([("A", "x", "d", 0, 3), ("A", "y", "d", 5, 6)], {"d": 10}, {}, "at least 2 coders"),
        ([("A", "x", "d", 0, 3), ("B", "x", "e", 0, 3)], {"d": 10}, {}, "unknown doc_id"),
        ([("A", "x", "d", 0.5, 3), ("B", "x", "d", 0, 3)], {"d": 10}, {}, "integer offsets"),
        ([("A", "x", "d", 0, 3), ("B", "x", "d", 0, 3)], {"d": 10}, {"coders": ["A"]}, "not listed"),
        ([("A", "x", "d", 0, 3), ("B", "x", "d", 0, 3)], {"d": -1}, {}, ">= 0"),
    ],
)
def test_bad_input_raises_value_error(rows, lengths, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        unitized_alphas(frame(rows), lengths, **kwargs)


def test_missing_columns_raise() -> None:
    with pytest.raises(ValueError, match="missing column"):
        unitized_alphas(HAND.drop(columns="doc_id"), {"d": 10})


@pytest.mark.slow
def test_speed_one_million_spans_thousand_documents_three_coders() -> None:
    rng = np.random.default_rng(7)
    m, n_docs, per = 3, 1000, 334  # 1,002,000 spans
    rows = m * n_docs * per
    gap, size = rng.integers(0, 40, rows), rng.integers(1, 60, rows)
    end = np.cumsum((gap + size).reshape(m * n_docs, per), axis=1).ravel()
    doc = np.repeat(np.tile(np.arange(n_docs), m), per)
    spans = pd.DataFrame(
        {
            "coder": np.repeat(np.array(["ann", "bob", "cy"]), n_docs * per),
            "category": rng.integers(0, 8, rows),
            "doc_id": doc,
            "start": end - size,
            "end": end,
        }
    )
    lengths = (pd.Series(end).groupby(doc).max() + 25).to_dict()
    res = unitized_alphas(spans, lengths)
    assert all(math.isfinite(v) and v <= 1 for v in values(res))
    assert len(res["k_u_alpha"]) == 8


def test_docstring_example_runs() -> None:
    import doctest

    import qualcore._unitized as mod

    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
