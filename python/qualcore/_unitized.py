"""Krippendorff's unitized alphas for span codings of a text continuum.

Implements the ``uα`` family of Krippendorff, Mathet, Bouvry & Widlöcher (2016), "On the
reliability of unitizing textual continua: Further developments", *Quality & Quantity*
50:2347-2364 (also Krippendorff, *Content Analysis*, 4th ed. 2019, §12.6): ``uα``, ``|uα``,
``cuα`` and ``(k)uα``.  ATLAS.ti reports members of this family as α-binary (``|uα`` of one
semantic domain), cu-α (``cuα`` within one semantic domain) and Cu-α (``cuα`` with the semantic
domains themselves as the categories).

Everything is vectorised: a sort-and-merge of the spans, one ``searchsorted`` per coder to
lay every coder's units over the elementary intervals of the continuum, and ``bincount``
per pair of coders.  There is no Python loop per span.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["unitized_alphas"]

_REQUIRED = ("coder", "category", "doc_id", "start", "end")
_F = np.float64


def unitized_alphas(
    spans: pd.DataFrame,
    continuum_lengths: Mapping[Hashable, int] | pd.Series,
    categories: Sequence[Hashable] | None = None,
    *,
    coders: Sequence[Hashable] | None = None,
) -> dict[str, Any]:
    r"""Krippendorff's unitized alphas ``uα``, ``|uα``, ``cuα`` and ``(k)uα`` of span codings.

    Parameters
    ----------
    spans
        DataFrame with columns ``coder``, ``category``, ``doc_id``, ``start``, ``end``: one row per
        coded span, ``[start, end)`` in integer offsets (characters or tokens) of document
        ``doc_id``, end exclusive.  Rows with ``start == end`` are empty and ignored.
    continuum_lengths
        ``{doc_id: length}``: the continuum of each document is ``[0, length)``.  Every document
        listed here is part of the reliability data, also one that nobody coded (it is all gap).
        Every coder is taken to have unitized every document listed (the paper has no notion of
        missing data).
    categories
        Optional "semantic domain": only spans of these categories are used (spans of other
        categories are dropped, i.e. treated as gap), and ``k_u_alpha`` has exactly these keys.
        Default: every category in ``spans``.
    coders
        Optional list of all coders.  Default: the coders found in ``spans``.  Give it when a
        coder may have coded nothing at all (that coder's continuum is all gap).

    Returns
    -------
    dict
        ``{"u_alpha": float, "binary_u_alpha": float, "cu_alpha": float,
        "k_u_alpha": {category: float}, "note": str}``.  A coefficient that is undefined for the
        data (e.g. zero expected disagreement) is ``nan`` -- never an exception, never a silent
        1.0 -- and ``note`` says why (``note`` is ``""`` when every value is defined).

    Raises
    ------
    ValueError
        For malformed input: missing columns, fewer than 2 coders, a ``doc_id`` not in
        ``continuum_lengths``, non-integer offsets, ``start > end``, a span outside
        ``[0, length)`` of its document, or two spans of *different* categories by the *same*
        coder that overlap (see below).

    Notes
    -----
    **Data model.**  Each coder ``i`` partitions the continuum into units ``g`` of length
    ``l_ig`` with a value ``c`` (a category) and the gaps between them (value ``∅``, "irrelevant
    matter").  Overlapping spans of the same coder *and* category are first merged into one
    unit (their union); spans that merely touch (``end == next start``) stay separate units.
    The paper requires each coder's units to be mutually exclusive ("partitions of continua
    into mutually exclusive segments"), so overlapping spans of one coder with *different*
    categories raise ``ValueError``; compute such codes separately, e.g. one call per set of
    mutually exclusive categories via ``categories=`` (the way ATLAS.ti uses semantic domains).

    **Several documents** are concatenated into one continuum of length ``L = Σ_d L_d``.  Units
    never cross a document boundary and gaps enter the expected coincidences linearly (see
    below), so this is *exactly* the same as summing the coincidence matrices (and the
    self-pairing sums) over documents.

    **uα** (all values).  With ``m`` coders, observed coincidences are intersection
    lengths over ordered pairs of distinct coders::

        l_ck = 1/(m-1) · Σ_i Σ_{j≠i} Σ_g Σ_h |g_ic ∩ h_jk|        (c, k include ∅)
        l_c. = Σ_k l_ck = total length coded c,   l.. = m·L

    Expected coincidences exclude the pairing of a unit with itself::

        e_ck = l.. · (l_c. l_.k − δ_ck S_c) / (l..² − S),
        S_c  = Σ_i Σ_{g valued c} l_ig²   for c ≠ ∅,
        S_∅  = Σ_i Σ_{gaps g} l_ig        (gaps are structureless: linear, not squared),
        S    = Σ_c S_c

    and ``uα = 1 − D_o/D_e`` with ``D_o = Σ_{c≠k} l_ck`` and ``D_e = Σ_{c≠k} e_ck``
    ``= l.. (l..² − Σ_c l_c.²) / (l..² − S)`` (nominal metric).

    **|uα** (binary: relevant vs irrelevant matter, categories ignored): the same
    ``l`` and ``e`` matrices collapsed to 2×2 (``∅`` vs all values), ``|uα = 1 − l_{∅,¬∅} /
    e_{∅,¬∅}`` with ``e_{∅,¬∅} = l.. l_∅. (l.. − l_∅.) / (l..² − S)``.

    **cuα** (coding of the intersecting valued matter, unitizing ignored): the ``l``
    matrix without the ``∅`` row and column, ``l*_ck = l_ck`` for ``c, k ≠ ∅``, margins
    ``l*_c.`` and total ``l*..``.  The self-pairing term uses each unit's overlap with the
    valued matter of each other coder, ``a_igj = |g_i ∩ (valued matter of j)|``::

        S*_c = 1/(m-1) · Σ_i Σ_{j≠i} Σ_{g valued c} a_igj²
        e*_ck = l*.. · (l*_c. l*_.k − δ_ck S*_c) / (l*..² − S*)
        cuα = 1 − Σ_{c≠k} l*_ck / Σ_{c≠k} e*_ck

    **(k)uα** (one category against the other categories, within the intersecting valued
    matter), from row ``k`` of the same two matrices::

        (k)uα = 1 − (e*_k. / l*_k.) · (l*_k. − l*_kk) / (e*_k. − e*_kk)

    **Sources and a caveat.**  These formulas were checked against two public implementations
    that cite the paper (lindanna/unitized_alpha, Python, which numbers them as the paper's
    eqs. 1, 4, 6, 10, 11 and 13; quallmer's ``reliability_alpha_u``, R, after the 2019 book).
    Both agree on everything above except ``S*`` for ``m > 2`` coders: quallmer squares each
    unit's overlap with the *union* of the other coders' valued matter and does not divide by
    ``m-1``.  For two coders the two forms are identical.  This module follows the
    ``1/(m-1) Σ_{j≠i} a²`` form (lindanna's reading of eq. 10, whose published example output
    the tests reproduce); ``cuα`` and ``(k)uα`` for ``m > 2`` may therefore differ from other
    software.  With very sparse overlaps among ``m > 2`` coders this form can make
    ``l*..² − S*`` non-positive; ``cuα`` and ``(k)uα`` are then ``nan`` with a note (so is a
    ``(k)uα`` whose expected coincidences ``e*_k.`` are not positive, which would exceed 1).

    Examples
    --------
    Two coders, one 10-character document (worked by hand in tests/test_unitized.py):

    >>> import pandas as pd
    >>> spans = pd.DataFrame({
    ...     "coder": ["A", "A", "B", "B"], "category": ["x", "y", "x", "y"],
    ...     "doc_id": "d1", "start": [0, 4, 0, 6], "end": [4, 8, 6, 10]})
    >>> res = unitized_alphas(spans, {"d1": 10})
    >>> round(res["u_alpha"], 4), round(res["binary_u_alpha"], 4), round(res["cu_alpha"], 4)
    (0.4586, 0.1278, 0.6167)
    >>> {k: round(v, 4) for k, v in res["k_u_alpha"].items()}
    {'x': 0.64, 'y': 0.5778}
    >>> unitized_alphas(spans[spans.coder == "A"], {"d1": 10}, coders=["A", "B"])["note"]
    'cu_alpha and k_u_alpha undefined: no valued units of different coders intersect'
    """
    notes: list[str] = []
    frame, coder_names, cat_names, doc_names, doc_len = _validate(spans, continuum_lengths, categories, coders)
    m = len(coder_names)
    n_cat = len(cat_names)
    offsets = np.concatenate(([0], np.cumsum(doc_len)))
    total = int(offsets[-1])
    nan = float("nan")

    result: dict[str, Any] = {
        "u_alpha": nan,
        "binary_u_alpha": nan,
        "cu_alpha": nan,
        "k_u_alpha": {k: nan for k in cat_names},
        "note": "",
    }
    if total == 0:
        result["note"] = "all undefined: the continuum is empty (total length 0)"
        return result

    coder = frame["coder_code"]
    cat = frame["cat_code"] + 1  # 0 is reserved for gaps (∅)
    gstart = offsets[frame["doc_code"]] + frame["start"]
    gend = offsets[frame["doc_code"]] + frame["end"]
    u_coder, u_cat, u_start, u_end = _merge_units(coder, cat, gstart, gend, total)
    _check_no_cross_category_overlap(u_coder, u_cat, u_start, u_end, total, offsets, coder_names, cat_names, doc_names)

    # ---- elementary intervals and each coder's value on them -------------------------------
    bounds = np.sort(np.concatenate(([0, total], u_start, u_end)))
    bounds = bounds[np.concatenate(([True], bounds[1:] != bounds[:-1]))]  # sort-based unique
    width = np.diff(bounds).astype(_F)
    left = bounds[:-1]
    n_int = left.size
    n_units = u_start.size
    value = np.zeros((m, n_int), dtype=np.int64)  # category code per coder & interval, 0 = gap
    unit_of = np.full((m, n_int), -1, dtype=np.int64)  # global unit id per coder & interval
    order = np.lexsort((u_start, u_coder))
    per_coder = np.searchsorted(u_coder[order], np.arange(m + 1))
    for i in range(m):
        ids = order[per_coder[i] : per_coder[i + 1]]  # coder i's units, sorted by start
        if ids.size == 0:
            continue
        pos = np.searchsorted(u_start[ids], left, side="right") - 1
        safe = np.clip(pos, 0, None)
        inside = (pos >= 0) & (u_end[ids][safe] > left)
        unit_of[i] = np.where(inside, ids[safe], -1)
        value[i] = np.where(inside, u_cat[ids][safe], 0)

    # ---- observed coincidences (ordered pairs of distinct coders) --------------------------
    nv = n_cat + 1
    obs = np.zeros((nv, nv), dtype=_F)
    for i in range(m):
        for j in range(i + 1, m):
            pair = np.bincount(value[i] * nv + value[j], weights=width, minlength=nv * nv).reshape(nv, nv)
            obs += pair + pair.T
    obs /= m - 1

    # ---- uα ---------------------------------------------------------------------------------
    u_len = (u_end - u_start).astype(_F)
    self_pairs = np.bincount(u_cat, weights=u_len * u_len, minlength=nv).astype(_F)
    self_pairs[0] = m * total - u_len.sum()  # gaps count linearly
    l_all = float(m * total)
    margins = obs.sum(axis=1)
    denom = l_all * l_all - self_pairs.sum()
    off_diag = ~np.eye(nv, dtype=bool)
    d_o = float(obs[off_diag].sum())
    d_e = l_all * (l_all * l_all - float(np.dot(margins, margins))) / denom
    if d_e > 0:
        result["u_alpha"] = float(1.0 - d_o / d_e)
    else:
        notes.append("u_alpha undefined: all pairable matter carries one value (zero expected disagreement)")

    # ---- |uα --------------------------------------------------------------------------------
    gap_total = margins[0]
    d_o_bin = 2.0 * float(obs[0, 1:].sum())
    d_e_bin = 2.0 * l_all * gap_total * (l_all - gap_total) / denom
    if d_e_bin > 0:
        result["binary_u_alpha"] = float(1.0 - d_o_bin / d_e_bin)
    elif gap_total == 0:
        notes.append("binary_u_alpha undefined: no gaps, every coder coded the whole continuum")
    else:
        notes.append("binary_u_alpha undefined: no coder coded anything")

    # ---- cuα and (k)uα ------------------------------------------------------------------------
    cu_obs = obs[1:, 1:]
    cu_marg = cu_obs.sum(axis=1)
    cu_all = float(cu_marg.sum())
    if n_cat == 0 or cu_all == 0:
        notes.append("cu_alpha and k_u_alpha undefined: no valued units of different coders intersect")
        result["note"] = "; ".join(notes)
        return result
    valued = value > 0
    cu_self = np.zeros(nv, dtype=_F)
    for i in range(m):
        mine = unit_of[i] >= 0
        if not mine.any():
            continue
        for j in range(m):
            if j == i:
                continue
            hit = mine & valued[j]
            overlap = np.bincount(unit_of[i][hit], weights=width[hit], minlength=n_units)
            cu_self += np.bincount(u_cat, weights=overlap * overlap, minlength=nv)
    cu_self = cu_self[1:] / (m - 1)
    cu_denom = cu_all * cu_all - float(cu_self.sum())
    if cu_denom <= 0:
        notes.append(
            "cu_alpha and k_u_alpha undefined: l*..² − S*_total ≤ 0 (too little intersecting valued "
            "matter among more than two coders)"
        )
        result["note"] = "; ".join(notes)
        return result
    cu_d_o = float(cu_obs[~np.eye(n_cat, dtype=bool)].sum())
    cu_d_e = cu_all * (cu_all * cu_all - float(np.dot(cu_marg, cu_marg))) / cu_denom
    if cu_d_e > 0:
        result["cu_alpha"] = float(1.0 - cu_d_o / cu_d_e)
    else:
        notes.append("cu_alpha undefined: the intersecting valued matter carries one category only")

    undefined_k: list[str] = []
    for idx, name in enumerate(cat_names):
        l_k = cu_marg[idx]
        e_k = cu_all * (l_k * cu_all - cu_self[idx]) / cu_denom
        e_off = cu_all * l_k * (cu_all - l_k) / cu_denom  # e*_k. − e*_kk, exactly 0 when k is alone
        if l_k > 0 and e_k > 0 and e_off > 0:
            k_d_o = float(l_k - cu_obs[idx, idx])
            if k_d_o < 0:  # rounding only; l_kk ≤ l_k. always
                k_d_o = 0.0
            result["k_u_alpha"][name] = float(1.0 - (e_k / l_k) * k_d_o / e_off)
        else:
            undefined_k.append(repr(name))
    if undefined_k:
        notes.append(
            "k_u_alpha undefined for "
            + ", ".join(undefined_k)
            + ": the category is absent from the intersecting valued matter, or is the only one there"
        )
    result["note"] = "; ".join(notes)
    return result


def _validate(
    spans: pd.DataFrame,
    continuum_lengths: Mapping[Hashable, int] | pd.Series,
    categories: Sequence[Hashable] | None,
    coders: Sequence[Hashable] | None,
) -> tuple[dict[str, np.ndarray], list[Hashable], list[Hashable], list[Hashable], np.ndarray]:
    """Check the input and encode it as integer arrays (coder, category and document codes)."""
    if not isinstance(spans, pd.DataFrame):
        raise ValueError(f"spans must be a pandas DataFrame, got {type(spans).__name__}")
    missing = [c for c in _REQUIRED if c not in spans.columns]
    if missing:
        raise ValueError(f"spans is missing column(s) {missing}; required: {list(_REQUIRED)}")
    for col in ("coder", "category", "doc_id"):
        if spans[col].isna().any():
            raise ValueError(f"spans[{col!r}] has missing values")

    # documents
    if isinstance(continuum_lengths, pd.Series):
        doc_names = list(continuum_lengths.index)
        raw_len = continuum_lengths.to_numpy()
    elif isinstance(continuum_lengths, Mapping):
        doc_names = list(continuum_lengths.keys())
        raw_len = np.asarray(list(continuum_lengths.values()))
    else:
        raise ValueError("continuum_lengths must be a mapping {doc_id: length} or a pandas Series")
    doc_len = _as_int(raw_len, "continuum_lengths")
    if doc_len.size and doc_len.min() < 0:
        raise ValueError("continuum_lengths must be >= 0")
    doc_index = pd.Index(doc_names)
    if not doc_index.is_unique:
        raise ValueError("continuum_lengths has duplicate doc_ids")
    doc_code = doc_index.get_indexer(spans["doc_id"])
    if (doc_code < 0).any():
        unknown = pd.unique(spans["doc_id"].to_numpy()[doc_code < 0])[:5]
        raise ValueError(f"unknown doc_id(s) not in continuum_lengths: {list(unknown)}")

    # coders
    if coders is None:
        coder_codes, coder_uniques = pd.factorize(spans["coder"], sort=_sortable(spans["coder"]))
        coder_names = list(coder_uniques)
    else:
        coder_index = pd.Index(pd.unique(pd.Series(list(coders), dtype=object)))
        coder_codes = coder_index.get_indexer(spans["coder"])
        if (coder_codes < 0).any():
            extra = pd.unique(spans["coder"].to_numpy()[coder_codes < 0])[:5]
            raise ValueError(f"spans has coder(s) not listed in coders=: {list(extra)}")
        coder_names = list(coder_index)
    if len(coder_names) < 2:
        raise ValueError(f"unitized alpha needs at least 2 coders, got {len(coder_names)}: {coder_names}")

    # offsets
    start = _as_int(spans["start"].to_numpy(), "spans['start']")
    end = _as_int(spans["end"].to_numpy(), "spans['end']")
    bad = start > end
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{int(bad.sum())} span(s) have start > end, e.g. row {r}: start={start[r]}, end={end[r]}")
    outside = (start < 0) | (end > doc_len[doc_code]) if doc_len.size else np.zeros(start.size, bool)
    if outside.any():
        r = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{int(outside.sum())} span(s) lie outside their continuum [0, length), e.g. row {r}: "
            f"doc_id={spans['doc_id'].iloc[r]!r}, start={start[r]}, end={end[r]}, "
            f"length={doc_len[doc_code[r]]}"
        )

    # categories
    if categories is None:
        cat_codes, cat_uniques = pd.factorize(spans["category"], sort=_sortable(spans["category"]))
        cat_names = list(cat_uniques)
    else:
        cat_index = pd.Index(pd.unique(pd.Series(list(categories), dtype=object)))
        cat_codes = cat_index.get_indexer(spans["category"])
        cat_names = list(cat_index)

    keep = (cat_codes >= 0) & (end > start)
    frame = {
        "coder_code": np.asarray(coder_codes, dtype=np.int64)[keep],
        "cat_code": np.asarray(cat_codes, dtype=np.int64)[keep],
        "doc_code": np.asarray(doc_code, dtype=np.int64)[keep],
        "start": start[keep],
        "end": end[keep],
    }
    return frame, coder_names, cat_names, doc_names, doc_len


def _sortable(values: pd.Series) -> bool:
    try:
        sorted(pd.unique(values.to_numpy()))
    except TypeError:
        return False
    return True


def _as_int(values: np.ndarray, what: str) -> np.ndarray:
    """Integer offsets as int64; floats are accepted only when integral."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == "b":
        raise ValueError(f"{what} must be integer offsets, got booleans")
    if arr.dtype.kind not in "iuf":
        try:
            arr = pd.to_numeric(pd.Series(arr, dtype=object), errors="raise").to_numpy(dtype=_F, na_value=np.nan)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{what} must be integer offsets") from exc
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    arr = arr.astype(_F)
    if not (np.isfinite(arr).all() and (arr == np.round(arr)).all()):
        raise ValueError(f"{what} must be integer offsets (no missing values, no fractions)")
    return arr.astype(np.int64)


def _merge_units(
    coder: np.ndarray, cat: np.ndarray, start: np.ndarray, end: np.ndarray, total: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge overlapping spans of the same coder and category into units (sort + running max)."""
    if start.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    order = np.lexsort((start, cat, coder))
    coder, cat, start, end = coder[order], cat[order], start[order], end[order]
    group_change = np.ones(start.size, dtype=bool)
    group_change[1:] = (coder[1:] != coder[:-1]) | (cat[1:] != cat[:-1])
    group = np.cumsum(group_change) - 1
    stride = total + 1
    if (int(group[-1]) + 1) * stride >= 2**62:  # pragma: no cover - astronomically long continua
        raise ValueError("continuum too long for int64 offsets")
    # segmented running maximum of `end`: shift every group above all earlier ones
    run_end = np.maximum.accumulate(group * stride + end)
    new_unit = np.ones(start.size, dtype=bool)
    new_unit[1:] = group[1:] * stride + start[1:] >= run_end[:-1]  # touching spans stay apart
    first = np.flatnonzero(new_unit)
    return coder[first], cat[first], start[first], np.maximum.reduceat(end, first)


def _check_no_cross_category_overlap(
    u_coder: np.ndarray,
    u_cat: np.ndarray,
    u_start: np.ndarray,
    u_end: np.ndarray,
    total: int,
    offsets: np.ndarray,
    coder_names: list[Hashable],
    cat_names: list[Hashable],
    doc_names: list[Hashable],
) -> None:
    """Raise ValueError when one coder's units of different categories overlap."""
    if u_start.size < 2:
        return
    order = np.lexsort((u_start, u_coder))
    stride = total + 1
    key_end = np.maximum.accumulate(u_coder[order] * stride + u_end[order])
    clash = u_coder[order][1:] * stride + u_start[order][1:] < key_end[:-1]
    if not clash.any():
        return
    b = order[int(np.flatnonzero(clash)[0]) + 1]
    same = (u_coder == u_coder[b]) & (u_start < u_start[b]) & (u_end > u_start[b])
    same[b] = False
    a = int(np.flatnonzero(same)[0]) if same.any() else b
    doc = int(np.searchsorted(offsets, u_start[b], side="right") - 1)
    base = int(offsets[doc])
    raise ValueError(
        f"coder {coder_names[u_coder[b]]!r} has overlapping spans of different categories "
        f"({cat_names[u_cat[a] - 1]!r} [{u_start[a] - base}, {u_end[a] - base}) and "
        f"{cat_names[u_cat[b] - 1]!r} [{u_start[b] - base}, {u_end[b] - base}) in doc_id {doc_names[doc]!r}); "
        "Krippendorff's unitized alphas need each coder's units to be mutually exclusive. "
        "Compute overlapping codes separately, e.g. with categories=[...] per set of mutually "
        "exclusive categories"
    )
