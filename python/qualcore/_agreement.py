"""Inter-coder agreement: several units, several coefficients, bootstrap confidence intervals.

Every unit type reduces the codings to a *histogram*: for each code and document, how many
units (characters, sentences, turns, documents) carry each pattern of coders — which coders
coded the unit with the code and which coders were present.  Every coefficient is a function of
that histogram, so character-level agreement over millions of characters costs a sort of the
codings' boundaries, not a pass over the characters, and the bootstrap resamples documents by
reweighting their histograms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._util import threads_arg
from .errors import AgreementError, ArgumentError

if TYPE_CHECKING:
    from ._coding import Coding

__all__ = ["agreement", "disagreements", "reliability", "MEASURES", "UNITS"]

#: Coefficients :func:`agreement` computes.
MEASURES = ("percent", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")
#: Units :func:`agreement` compares codings on.
UNITS = ("character", "sentence", "turn", "document", "segment")
ALL_CODES = "(all codes)"


# ---------------------------------------------------------------------------------------------
# Histograms


class _Histogram:
    """Weights of coder patterns: ``weights[row, doc, pattern]`` units, where pattern ``p`` has
    coded mask ``coded[p]`` and present mask ``present[p]`` (bit i = coder i)."""

    def __init__(self, coded: np.ndarray, present: np.ndarray, weights: np.ndarray) -> None:
        self.coded = coded
        self.present = present
        self.weights = weights  # (rows, docs, patterns)


def _merge_intervals(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unions of overlapping or touching spans within each integer ``group``: (group, start,
    end) of the merged spans, sorted by group then start."""
    if len(group) == 0:
        return group, start, end
    order = np.lexsort((start, group))
    g, s, e = group[order], start[order], end[order]
    # Running max of the ends within each group: offset groups so the running max resets.
    big = np.int64(e.max()) + 1
    run = np.maximum.accumulate(e + g * big) - g * big
    prev = np.empty_like(run)
    prev[0] = -1
    prev[1:] = run[:-1]
    new = np.ones(len(g), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (s[1:] > prev[1:])
    firsts = np.flatnonzero(new)
    return g[firsts], s[firsts], np.maximum.reduceat(e, firsts)


def _scope(coding: Coding, coders: list[str], documents: str) -> tuple[list[int], np.ndarray]:
    """Document positions in scope and, per document, the mask of coders present."""
    f = coding._frame
    pos = coding._doc_positions()
    n_docs = len(coding.corpus)
    present = np.zeros(n_docs, dtype=np.int64)
    for i, c in enumerate(coders):
        docs_c = np.unique(pos[(f["coder"] == c).to_numpy()])
        present[docs_c] |= 1 << i
    full = (1 << len(coders)) - 1
    if documents == "common":
        docs = np.flatnonzero(present == full)
        if len(docs) == 0:
            raise AgreementError(
                f"coders {coders} have no document in common (each must have coded at least one "
                "passage of a document for it to count); use documents='any' to treat absent "
                "coders as missing"
            )
    elif documents == "any":
        docs = np.flatnonzero(present != 0)
    else:
        raise ArgumentError(f"documents: {documents!r} is not one of 'common', 'any'")
    return docs.tolist(), present


def _char_histogram(coding: Coding, coders: list[str], codes: list[str], code_of_row: np.ndarray,
                    docs: list[int], present: np.ndarray) -> _Histogram:
    f = coding._frame
    pos = coding._doc_positions()
    coder_idx = pd.Index(coders).get_indexer(f["coder"])
    in_scope = np.isin(pos, docs) & (coder_idx >= 0) & (code_of_row >= 0)
    n_codes = max(len(codes), 1)
    m = len(coders)
    n_pat = 1 << m
    doc_arr, code_arr, coder_arr = pos[in_scope], code_of_row[in_scope], coder_idx[in_scope]
    st, en = f["start"].to_numpy()[in_scope], f["end"].to_numpy()[in_scope]
    nonempty = en > st
    group = ((doc_arr * n_codes + code_arr) * m + coder_arr)[nonempty]
    group, st, en = _merge_intervals(group, st[nonempty], en[nonempty])
    coder_of = group % m
    dc = group // m  # doc * n_codes + code
    doc_slot = np.full(len(coding.corpus), -1, dtype=np.int64)
    doc_slot[docs] = np.arange(len(docs))
    lengths = coding.corpus._native.doc_stats()[0]
    # Patterns: (coded mask, present mask) -> id = present * n_pat + coded
    weights = np.zeros((len(codes), len(docs), n_pat * n_pat), dtype=np.float64)
    if len(group):
        bit = np.left_shift(np.int64(1), coder_of)
        big = np.int64(lengths.max()) + 1
        key = np.concatenate([dc * big + st, dc * big + en])
        delta = np.concatenate([bit, -bit])
        order = np.argsort(key, kind="stable")
        key, delta = key[order], delta[order]
        firsts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        key = key[firsts]
        delta = np.add.reduceat(delta, firsts)
        # Every (doc, code) block of events sums to zero, so one running sum is each block's mask.
        mask = np.cumsum(delta)
        blk = key // big
        at = key % big
        same = blk[1:] == blk[:-1]
        seg_len = np.where(same, at[1:] - at[:-1], 0)
        seg_mask = mask[:-1]
        keep = (seg_mask > 0) & (seg_len > 0)
        blk_k, len_k, mask_k = blk[:-1][keep], seg_len[keep], seg_mask[keep]
        doc_k = blk_k // n_codes
        code_k = blk_k % n_codes
        pid = present[doc_k] * n_pat + mask_k
        np.add.at(weights, (code_k, doc_slot[doc_k], pid), len_k.astype(np.float64))
    # Characters nobody coded.
    for j, d in enumerate(docs):
        pid0 = int(present[d]) * n_pat
        covered = weights[:, j, :].sum(axis=1)
        weights[:, j, pid0] += lengths[d] - covered
    pattern = np.arange(n_pat * n_pat)
    return _Histogram(pattern % n_pat, pattern // n_pat, weights)


def _units_table(coding: Coding, unit: str, docs: list[int]) -> pd.DataFrame:
    """Units of the documents in scope: doc (position), start, end, sorted by doc and start."""
    corpus = coding.corpus
    lengths = corpus._native.doc_stats()[0]
    docs_arr = np.asarray(docs, dtype=np.int64)
    if unit == "document":
        return pd.DataFrame({"doc": docs_arr, "start": np.zeros(len(docs_arr), dtype=np.int64), "end": lengths[docs_arr]})
    if unit == "sentence":
        cols = corpus._native.sentences(threads=threads_arg(None))
        doc, start, end = cols["doc"], cols["start"], cols["end"]
    else:
        tt = corpus._turn_table()
        # Documents without turns are one unit each.
        no_turns = np.setdiff1d(docs_arr, tt["doc"])
        doc = np.concatenate([tt["doc"], no_turns])
        start = np.concatenate([tt["start"], np.zeros(len(no_turns), dtype=np.int64)])
        end = np.concatenate([tt["end"], lengths[no_turns]])
        order = np.lexsort((start, doc))
        doc, start, end = doc[order], start[order], end[order]
    in_scope = np.zeros(len(lengths), dtype=bool)
    in_scope[docs_arr] = True
    keep = in_scope[doc]
    return pd.DataFrame({"doc": doc[keep], "start": start[keep], "end": end[keep]})


def _unit_histogram(coding: Coding, unit: str, coders: list[str], codes: list[str], code_of_row: np.ndarray,
                    docs: list[int], present: np.ndarray) -> tuple[_Histogram, pd.DataFrame, pd.DataFrame]:
    """Histogram over units, plus the units and the (code, unit, mask) triples of the units some
    coder coded (the others have mask 0)."""
    units = _units_table(coding, unit, docs)
    f = coding._frame
    pos = coding._doc_positions()
    coder_idx = pd.Index(coders).get_indexer(f["coder"])
    keep = np.isin(pos, docs) & (coder_idx >= 0) & (code_of_row >= 0)
    big = np.int64(1) << 40
    ukey_start = units["doc"].to_numpy() * big + units["start"].to_numpy()
    ukey_end = units["doc"].to_numpy() * big + units["end"].to_numpy()
    c_start = pos[keep] * big + f["start"].to_numpy()[keep]
    c_end = pos[keep] * big + f["end"].to_numpy()[keep]
    # Units overlapping [start, end): unit.end > start and unit.start < end (an empty coding
    # touches the unit it sits in).
    first = np.searchsorted(ukey_end, c_start, side="right")
    last = np.searchsorted(ukey_start, np.maximum(c_end, c_start + 1), side="left")
    counts = np.maximum(last - first, 0)
    rows = np.repeat(np.arange(len(first)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    unit_id = first[rows] + offs
    code_id = code_of_row[keep][rows]
    coder_of = coder_idx[keep][rows]
    n_units = len(units)
    key = code_id * np.int64(max(n_units, 1)) + unit_id
    inv, uniq = pd.factorize(key)
    uniq = np.asarray(uniq, dtype=np.int64)
    masks = np.zeros(len(uniq), dtype=np.int64)
    for i in range(len(coders)):
        hit = np.bincount(inv[coder_of == i], minlength=len(uniq)) > 0
        masks |= hit.astype(np.int64) << i
    coded = pd.DataFrame({"code": uniq // max(n_units, 1), "unit": uniq % max(n_units, 1), "mask": masks})
    m = len(coders)
    n_pat = 1 << m
    unit_doc = units["doc"].to_numpy()
    doc_slot = np.full(len(coding.corpus), -1, dtype=np.int64)
    doc_slot[docs] = np.arange(len(docs))
    n_cells = n_pat * n_pat
    u_doc = unit_doc[coded["unit"].to_numpy()]
    pid = present[u_doc] * n_pat + coded["mask"].to_numpy()
    flat = (coded["code"].to_numpy() * len(docs) + doc_slot[u_doc]) * n_cells + pid
    weights = np.bincount(flat, minlength=len(codes) * len(docs) * n_cells).astype(np.float64)
    weights = weights.reshape(len(codes), len(docs), n_cells)
    # Units nobody coded with the code.
    per_doc = np.bincount(doc_slot[unit_doc], minlength=len(docs)).astype(np.float64)
    for j, d in enumerate(docs):
        pid0 = int(present[d]) * n_pat
        weights[:, j, pid0] += per_doc[j] - weights[:, j, :].sum(axis=1)
    pattern = np.arange(n_pat * n_pat)
    return _Histogram(pattern % n_pat, pattern // n_pat, weights), units, coded


# ---------------------------------------------------------------------------------------------
# Coefficients (vectorised over a leading axis of weight vectors)


def _popcount(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.int64)
    out = np.zeros_like(x)
    while np.any(x):
        out += x & 1
        x = x >> 1
    return out


def _coefficients(w: np.ndarray, coded: np.ndarray, present: np.ndarray, m: int, measures: Sequence[str]) -> dict[str, np.ndarray]:
    """Coefficients for weight vectors ``w`` (..., patterns)."""
    out: dict[str, np.ndarray] = {}
    full = (1 << m) - 1
    n1 = _popcount(coded & present)
    mu = _popcount(present)
    n0 = mu - n1
    complete = present == full
    pairs = list(combinations(range(m), 2))

    def pairwise() -> tuple[np.ndarray, np.ndarray]:
        po_list, k_list = [], []
        for i, j in pairs:
            both = complete.astype(np.int64)  # units every coder saw, as documented
            ci = (coded >> i) & 1
            cj = (coded >> j) & 1
            ww = w * both
            n = ww.sum(-1)
            a = (ww * (ci & cj)).sum(-1)
            d = (ww * ((1 - ci) & (1 - cj))).sum(-1)
            pi1 = (ww * ci).sum(-1)
            pj1 = (ww * cj).sum(-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                po = (a + d) / n
                pe = (pi1 * pj1 + (n - pi1) * (n - pj1)) / (n * n)
                k = (po - pe) / (1 - pe)
            po_list.append(po)
            k_list.append(k)
        return np.mean(po_list, axis=0), np.mean(k_list, axis=0)

    if "percent" in measures or "cohen_kappa" in measures:
        po, k = pairwise()
        if "percent" in measures:
            out["percent"] = po
        if "cohen_kappa" in measures:
            out["cohen_kappa"] = k
    if "fleiss_kappa" in measures or "gwet_ac1" in measures:
        wc = w * complete
        n = wc.sum(-1)
        p_i = (n1 * n1 + n0 * n0 - m) / (m * (m - 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            pbar = (wc * p_i).sum(-1) / n
            p1 = (wc * n1).sum(-1) / (n * m)
            if "fleiss_kappa" in measures:
                pe = p1 * p1 + (1 - p1) * (1 - p1)
                out["fleiss_kappa"] = (pbar - pe) / (1 - pe)
            if "gwet_ac1" in measures:
                pe = 2 * p1 * (1 - p1)
                # one category only (p = 0 or 1): undefined, as in reliability() (q = 1)
                out["gwet_ac1"] = np.where((p1 > 0) & (p1 < 1), (pbar - pe) / (1 - pe), np.nan)
    if "krippendorff_alpha" in measures:
        pairable = mu >= 2
        denom = np.where(pairable, mu - 1, 1)
        o11 = (w * np.where(pairable, n1 * (n1 - 1) / denom, 0)).sum(-1)
        o00 = (w * np.where(pairable, n0 * (n0 - 1) / denom, 0)).sum(-1)
        o10 = (w * np.where(pairable, n1 * n0 / denom, 0)).sum(-1)
        nv1 = o11 + o10
        nv0 = o00 + o10
        n = nv1 + nv0
        with np.errstate(invalid="ignore", divide="ignore"):
            out["krippendorff_alpha"] = 1 - (n - 1) * (2 * o10) / (2 * nv0 * nv1)
    return out


def _why_nan(w: np.ndarray, coded: np.ndarray, present: np.ndarray, m: int) -> str:
    full = (1 << m) - 1
    total = w.sum()
    if total == 0:
        return "no units"
    coded_any = w[(coded & present) != 0].sum()
    if coded_any == 0:
        return "no coder applied the code: agreement is undefined (not 1.0)"
    if w[((coded & present) == present) & (present == full)].sum() == total:
        return "every coder coded every unit: no variation, agreement is undefined"
    return "no variation in the values: the chance agreement is 1"


# ---------------------------------------------------------------------------------------------
# Public functions


def _str_coders(coding: Coding) -> Coding:
    """The coding with its coder ids as strings (the form :func:`_resolve` gives them)."""
    f = coding._frame
    uniq = pd.unique(f["coder"].astype(object).to_numpy())
    if all(isinstance(c, str) for c in uniq):
        return coding
    codes, values = pd.factorize(f["coder"].astype(object), use_na_sentinel=False)
    as_str = np.array([str(v) for v in values], dtype=object)
    return type(coding)(coding.corpus, coding.codebook, f.assign(coder=as_str[codes]))


def _resolve(coding: Coding, coders: Iterable[str] | None) -> list[str]:
    present = [str(c) for c in pd.unique(coding._frame["coder"].astype(object).to_numpy())]
    if coders is None:
        coders = present
    else:
        coders = [str(c) for c in coders]
        missing = [c for c in coders if c not in present]
        if missing:
            raise AgreementError(f"coders {missing} have no codings (coders present: {present})")
        if len(set(coders)) != len(coders):
            raise ArgumentError("coders: a coder is listed twice")
    if len(coders) < 2:
        raise AgreementError(
            f"agreement needs at least two coders; the coding has {present or 'no coder'}"
        )
    if len(coders) > 16:
        raise ArgumentError("coders: at most 16 coders")
    return list(coders)


def _codes(coding: Coding, level: int | None) -> tuple[list[str], np.ndarray]:
    cb = coding.codebook
    raw = coding._frame["code"].to_numpy()
    inverse, uniq = pd.factorize(pd.Series(raw, dtype=object))
    mapped = [c if level is None else cb.ancestor(c, level) for c in uniq]
    codes = [p for p in cb.paths if p in set(mapped)]
    idx = {c: i for i, c in enumerate(codes)}
    return codes, np.array([idx[c] for c in mapped], dtype=np.int64)[inverse] if len(raw) else np.array([], dtype=np.int64)


def agreement(
    coding: Coding,
    coders: Iterable[str] | None = None,
    unit: str = "character",
    measure: str | Sequence[str] = MEASURES,
    by: str | None = "code",
    ci: float | None = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    documents: str = "common",
    level: int | None = None,
    threshold: float = 0.9,
) -> pd.DataFrame:
    """Inter-coder agreement of ``coders`` (default: every coder of the coding).

    Units (``unit``):

    - ``"character"``: every character of the documents in scope is a unit, coded or not by
      each coder with each code (as NVivo and QualCoder compare).  Characters nobody coded count
      as agreement on "not coded" and inflate percent agreement — their share is reported
      (``uncoded_share``) so readers know.
    - ``"sentence"``, ``"turn"``, ``"document"``: a coder codes a unit with a code when any of
      their codings of that code overlaps it (a turn-less document is one turn).
    - ``"segment"``: MAXQDA / QDA Miner style — two coders' segments of a code match when they
      overlap by at least ``threshold`` (default 90 %) of the longer one; ``percent`` is
      matched / (matched + unmatched), and the matched pairs, the unmatched segments and the
      unmatched segments of each coder (``unmatched_<coder>``) are reported.

    Coefficients (``measure``), on the binary value "coded with the code" per unit:
    ``percent`` (mean pairwise observed agreement), ``cohen_kappa`` ((Po − Pe)/(1 − Pe) with
    each coder's own marginals; the mean over pairs — Light's kappa — for more than two
    coders), ``fleiss_kappa`` (Fleiss 1971: P̄ from the per-unit agreeing pairs, Pe = Σ p_j²),
    ``krippendorff_alpha`` (nominal; 1 − (n − 1)·D_o/D_e from the coincidence matrix, units
    with a missing coder kept as Krippendorff does) and ``gwet_ac1`` (Pe = 2π(1 − π)).  Percent,
    Cohen, Fleiss and Gwet use units that every coder saw.

    ``documents="common"`` (default) keeps the documents that every coder coded; ``"any"``
    keeps every coded document and treats a coder absent from a document as missing there.
    ``by="code"`` gives one row per code (``level`` rolls codes up the codebook first) and one
    for all codes pooled (``"(all codes)"``: every unit × code is an item); ``by="document"``
    one row per document (codes pooled); ``by=None`` the pooled row only.  ``ci`` adds a
    bootstrap interval (percentile, ``n_boot`` resamples of the documents, seeded) — units
    within a document are not independent, so documents are what is resampled; a row of one
    document resamples its units.  A coefficient that is undefined (nobody used the code, no
    variation) is NaN with the reason in ``note`` — never a silent 1.0.

    Returns a tidy frame: ``code`` (or ``doc_id``), ``measure``, ``value``, ``ci_low``,
    ``ci_high``, ``n_units`` (characters or units), ``n_documents``, ``n_coders``,
    ``uncoded_share``, ``note``; with ``unit="segment"`` also ``matched``, ``unmatched``.

    >>> import pandas as pd, qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["I trust the data. Not the GP."], doc_ids=["A1"])
    >>> cb = qc.Codebook.from_dict({"Trust": None})
    >>> spans = pd.DataFrame({"doc_id": ["A1", "A1"], "start": [0, 0], "end": [17, 11],
    ...                       "code": ["Trust", "Trust"], "coder": ["A", "B"]})
    >>> coding = qc.Coding.from_frame(corpus, cb, spans, coder="coder")
    >>> r = qc.agreement(coding, unit="character", ci=None, by=None)   # 29 characters: 11 coded by
    >>> # both, 6 by A only, 12 by nobody; Po = 23/29, Pe = (17·11 + 12·18)/29², κ = 0.603
    >>> r.set_index("measure")["value"].round(3).to_dict()
    {'percent': 0.793, 'cohen_kappa': 0.603, 'fleiss_kappa': 0.586, 'krippendorff_alpha': 0.593, 'gwet_ac1': 0.587}
    >>> float(r["uncoded_share"].iloc[0]).__round__(3)
    0.414
    """
    if unit not in UNITS:
        raise ArgumentError(f"unit: {unit!r} is not one of {list(UNITS)}")
    measures = [measure] if isinstance(measure, str) else list(measure)
    bad = [x for x in measures if x not in MEASURES]
    if bad or not measures:
        raise ArgumentError(f"measure: {bad or measures} not among {list(MEASURES)}")
    if by not in ("code", "document", None):
        raise ArgumentError(f"by: {by!r} is not one of 'code', 'document', None")
    if ci is not None and not 0 < ci < 1:
        raise ArgumentError(f"ci: must be between 0 and 1 (e.g. 0.95) or None, got {ci}")
    if n_boot < 1:
        raise ArgumentError(f"n_boot: must be >= 1, got {n_boot}")
    coding = _str_coders(coding)
    coders = _resolve(coding, coders)
    docs, present = _scope(coding, coders, documents)
    codes, code_of_row = _codes(coding, level)
    if unit == "segment":
        return _segment_agreement(coding, coders, codes, code_of_row, docs, threshold, by)
    if unit == "character":
        hist = _char_histogram(coding, coders, codes, code_of_row, docs, present)
    else:
        hist, _, _ = _unit_histogram(coding, unit, coders, codes, code_of_row, docs, present)
    m = len(coders)
    doc_ids = np.array(coding.corpus.doc_ids, dtype=object)[docs]
    rows: list[tuple[str, np.ndarray]] = []  # (label, weights (docs, patterns))
    if by == "code":
        rows += [(c, hist.weights[k]) for k, c in enumerate(codes)]
        rows.append((ALL_CODES, hist.weights.sum(axis=0)))
    elif by == "document":
        pooled = hist.weights.sum(axis=0)
        rows += [(str(d), pooled[j : j + 1]) for j, d in enumerate(doc_ids)]
    else:
        rows.append((ALL_CODES, hist.weights.sum(axis=0)))
    rng = np.random.default_rng(seed)
    records = []
    for label, wd in rows:
        w = wd.sum(axis=0)
        values = _coefficients(w, hist.coded, hist.present, m, measures)
        lo = hi = {k: np.nan for k in measures}
        if ci is not None:
            if wd.shape[0] >= 2:
                idx = rng.integers(0, wd.shape[0], size=(n_boot, wd.shape[0]))
                counts = np.zeros((n_boot, wd.shape[0]))
                np.add.at(counts, (np.repeat(np.arange(n_boot), wd.shape[0]), idx.reshape(-1)), 1.0)
                wb = counts @ wd
            else:
                total = int(round(w.sum()))
                wb = rng.multinomial(total, w / w.sum(), size=n_boot).astype(float) if total > 0 else np.zeros((n_boot, len(w)))
            boot = _coefficients(wb, hist.coded, hist.present, m, measures)
            alpha = (1 - ci) / 2
            lo, hi = {}, {}
            for k in measures:
                b = boot[k][np.isfinite(boot[k])]
                lo[k] = float(np.quantile(b, alpha)) if len(b) else np.nan
                hi[k] = float(np.quantile(b, 1 - alpha)) if len(b) else np.nan
        total = float(w.sum())
        uncoded = float(w[(hist.coded & hist.present) == 0].sum()) / total if total else np.nan
        for k in measures:
            v = float(values[k])
            note = "" if np.isfinite(v) else _why_nan(w, hist.coded, hist.present, m)
            records.append({
                ("doc_id" if by == "document" else "code"): label, "measure": k, "value": v,
                "ci_low": lo[k], "ci_high": hi[k], "n_units": total,
                "n_documents": int(wd.shape[0]) if by != "document" else 1, "n_coders": m,
                "uncoded_share": uncoded, "note": note,
            })
    out = pd.DataFrame.from_records(records)
    out.attrs.update({"unit": unit, "coders": coders, "documents": doc_ids.tolist()})
    return out


def _hits_and_misses(keys: np.ndarray, hit: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """Per distinct key: how many rows are hits and how many are not."""
    if len(keys) == 0:
        return [], [], []
    uniq, inv = np.unique(keys, return_inverse=True)
    hits = np.bincount(inv, weights=hit.astype(float), minlength=len(uniq)).astype(int)
    total = np.bincount(inv, minlength=len(uniq))
    return uniq.tolist(), hits.tolist(), (total - hits).tolist()


def _segment_agreement(coding: Coding, coders: list[str], codes: list[str], code_of_row: np.ndarray,
                       docs: list[int], threshold: float, by: str | None) -> pd.DataFrame:
    if not 0 < threshold <= 1:
        raise ArgumentError(f"threshold: must be in (0, 1], got {threshold}")
    f = coding._frame
    pos = coding._doc_positions()
    keep = np.isin(pos, docs)
    seg = pd.DataFrame({"doc": pos[keep], "code": code_of_row[keep], "coder": f["coder"].to_numpy()[keep],
                        "start": f["start"].to_numpy()[keep], "end": f["end"].to_numpy()[keep]})
    # cell = [matched segments, unmatched segments, then unmatched segments of each coder]
    width = 2 + len(coders)
    per_code: dict[int, list[int]] = {}
    per_doc: dict[int, list[int]] = {}
    for a, b in combinations(coders, 2):
        sa = seg[seg["coder"] == a].reset_index(drop=True).rename_axis("ia").reset_index()
        sb = seg[seg["coder"] == b].reset_index(drop=True).rename_axis("ib").reset_index()
        pairs = sa.merge(sb, on=["doc", "code"], suffixes=("_a", "_b"))
        ov = np.minimum(pairs["end_a"], pairs["end_b"]) - np.maximum(pairs["start_a"], pairs["start_b"])
        longer = np.maximum(pairs["end_a"] - pairs["start_a"], pairs["end_b"] - pairs["start_b"])
        ok = (ov > 0) & (ov / longer.where(longer > 0) >= threshold)
        cand = pairs[ok].assign(ov=ov[ok]).sort_values(["ov", "ia", "ib"], ascending=[False, True, True], kind="stable")
        used_a: set[int] = set()
        used_b: set[int] = set()
        for ia, ib in zip(cand["ia"].tolist(), cand["ib"].tolist()):
            if ia not in used_a and ib not in used_b:
                used_a.add(ia)
                used_b.add(ib)
        ma = np.zeros(len(sa), dtype=bool)
        ma[list(used_a)] = True
        mb = np.zeros(len(sb), dtype=bool)
        mb[list(used_b)] = True
        for coder, frame, mask in ((a, sa, ma), (b, sb, mb)):
            slot = 2 + coders.index(coder)
            for table, col in ((per_code, "code"), (per_doc, "doc")):
                keys = frame[col].to_numpy()
                for key, hits, misses in zip(*_hits_and_misses(keys, mask)):
                    cell = table.setdefault(int(key), [0] * width)
                    cell[0] += hits
                    cell[1] += misses
                    cell[slot] += misses
    records = []

    def row(label_key: str, label: str, cell: list[int]) -> dict[str, Any]:
        matched_pairs = cell[0] / 2
        unmatched = cell[1]
        denom = matched_pairs + unmatched
        v = matched_pairs / denom if denom else np.nan
        rec = {label_key: label, "measure": "percent", "value": v, "ci_low": np.nan, "ci_high": np.nan,
               "n_units": denom, "n_documents": 1 if label_key == "doc_id" else len(docs), "n_coders": len(coders),
               "uncoded_share": np.nan, "note": "" if denom else "no segments", "matched": matched_pairs,
               "unmatched": unmatched}
        rec.update({f"unmatched_{c}": cell[2 + i] for i, c in enumerate(coders)})
        return rec

    if by == "document":
        for d in docs:
            records.append(row("doc_id", coding.corpus.doc_ids[d], per_doc.get(d, [0] * width)))
    else:
        if by == "code":
            for k, c in enumerate(codes):
                records.append(row("code", c, per_code.get(k, [0] * width)))
        tot = np.array(list(per_code.values())).sum(axis=0).tolist() if per_code else [0] * width
        records.append(row("code", ALL_CODES, [int(x) for x in tot]))
    out = pd.DataFrame.from_records(records)
    out.attrs.update({"unit": "segment", "coders": coders, "threshold": threshold})
    return out


def disagreements(
    coding: Coding,
    coders: Sequence[str] | None = None,
    unit: str = "sentence",
    code: str | None = None,
    documents: str = "common",
) -> pd.DataFrame:
    """The passages where coders differ, with each coder's codes side by side — the agenda of a
    reconciliation meeting.

    With ``unit="sentence"``, ``"turn"`` or ``"document"``: one row per unit whose set of codes
    differs between coders: ``doc_id``, ``start``, ``end``, ``text``, a column per coder with
    the codes they applied to the unit, and ``differs_on`` (the codes not applied by all).
    With ``unit="character"``: one row per stretch of text and code where some but not all
    coders applied the code: ``doc_id``, ``code``, ``start``, ``end``, ``text``,
    ``coded_by``, ``not_coded_by``.  ``code`` keeps to one code (and its descendants).

    >>> import pandas as pd, qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["I trust it. I doubt it."], doc_ids=["A1"])
    >>> cb = qc.Codebook.from_dict({"Trust": None, "Doubt": None})
    >>> spans = pd.DataFrame({"doc_id": ["A1"] * 3, "start": [0, 12, 12], "end": [11, 23, 23],
    ...                       "code": ["Trust", "Doubt", "Trust"], "coder": ["A", "A", "B"]})
    >>> coding = qc.Coding.from_frame(corpus, cb, spans, coder="coder")
    >>> qc.disagreements(coding)[["text", "A", "B", "differs_on"]].values.tolist()
    [['I trust it.', ['Trust'], [], ['Trust']], ['I doubt it.', ['Doubt'], ['Trust'], ['Trust', 'Doubt']]]
    """
    if unit not in ("character", "sentence", "turn", "document"):
        raise ArgumentError(f"unit: {unit!r} is not one of 'character', 'sentence', 'turn', 'document'")
    coding = _str_coders(coding)
    coders = _resolve(coding, coders)
    docs, present = _scope(coding, coders, documents)
    if code is not None:
        coding = coding.filter(code=code)
    codes, code_of_row = _codes(coding, None)
    texts = coding.corpus._native.texts()
    ids = coding.corpus.doc_ids
    m = len(coders)
    if unit == "character":
        return _char_disagreements(coding, coders, codes, code_of_row, docs, texts, ids)
    _, units, coded = _unit_histogram(coding, unit, coders, codes, code_of_row, docs, present)
    full = (1 << m) - 1
    unit_present = present[units["doc"].to_numpy()][coded["unit"].to_numpy()]
    coded = coded.assign(differs=coded["mask"].to_numpy() != (full & unit_present))
    records = []
    for u, g in coded.groupby("unit", sort=True):
        if not g["differs"].any():
            continue
        d, s, e = int(units["doc"].iat[u]), int(units["start"].iat[u]), int(units["end"].iat[u])
        rec: dict[str, Any] = {"doc_id": ids[d], "start": s, "end": e, "text": texts[d][s:e]}
        g = g.sort_values("code")
        for i, c in enumerate(coders):
            rec[c] = [codes[k] for k, mk in zip(g["code"].tolist(), g["mask"].tolist()) if mk >> i & 1]
        rec["differs_on"] = [codes[k] for k, dif in zip(g["code"].tolist(), g["differs"].tolist()) if dif]
        records.append(rec)
    return pd.DataFrame.from_records(records, columns=["doc_id", "start", "end", "text", *coders, "differs_on"])


def _char_disagreements(coding: Coding, coders: list[str], codes: list[str], code_of_row: np.ndarray,
                        docs: list[int], texts: list[str], ids: list[str]) -> pd.DataFrame:
    f = coding._frame
    pos = coding._doc_positions()
    coder_idx = pd.Index(coders).get_indexer(f["coder"])
    keep = np.isin(pos, docs) & (coder_idx >= 0)
    m = len(coders)
    n_codes = max(len(codes), 1)
    group = (pos[keep] * n_codes + code_of_row[keep]) * m + coder_idx[keep]
    group, st, en = _merge_intervals(group, f["start"].to_numpy()[keep], f["end"].to_numpy()[keep])
    spans = pd.DataFrame({"doc": group // m // n_codes, "code": group // m % n_codes, "coder": group % m,
                          "start": st, "end": en})
    records = []
    full = (1 << len(coders)) - 1
    for (d, k), g in spans.groupby(["doc", "code"], sort=True):
        bits = (1 << g["coder"].to_numpy()).astype(np.int64)
        at = np.concatenate([g["start"].to_numpy(), g["end"].to_numpy()])
        delta = np.concatenate([bits, -bits])
        order = np.argsort(at, kind="stable")
        at, delta = at[order], delta[order]
        mask = np.cumsum(delta)
        run_start = None
        run_mask = 0
        for i in range(len(at) - 1):
            seg_mask = int(mask[i])
            if at[i + 1] == at[i]:
                continue
            if seg_mask not in (0, full) and (run_start is None or seg_mask != run_mask):
                if run_start is not None:
                    records.append((d, k, run_start, int(at[i]), run_mask))
                run_start, run_mask = int(at[i]), seg_mask
            elif seg_mask in (0, full) and run_start is not None:
                records.append((d, k, run_start, int(at[i]), run_mask))
                run_start = None
        if run_start is not None:
            records.append((d, k, run_start, int(at[-1]), run_mask))
    return pd.DataFrame.from_records(
        [
            {"doc_id": ids[d], "code": codes[k], "start": s, "end": e, "text": texts[d][s:e],
             "coded_by": [c for i, c in enumerate(coders) if mk >> i & 1],
             "not_coded_by": [c for i, c in enumerate(coders) if not mk >> i & 1]}
            for d, k, s, e, mk in records
        ],
        columns=["doc_id", "code", "start", "end", "text", "coded_by", "not_coded_by"],
    )


def reliability(data: Any, measure: str | Sequence[str] = MEASURES) -> dict[str, float]:
    """Agreement coefficients of a reliability table: one row per unit, one column per coder,
    nominal values (any hashable; NaN/None = the coder did not judge the unit).

    The formulas are those of :func:`agreement`, for any number of categories: ``percent``
    (mean over coder pairs of the share of jointly judged units they agree on), ``cohen_kappa``
    (mean over pairs; Cohen 1960 for two coders), ``fleiss_kappa`` (Fleiss 1971, units judged
    by every coder), ``krippendorff_alpha`` (nominal, missing values allowed; Krippendorff 2011)
    and ``gwet_ac1`` (Gwet 2008: Pe = Σ π_k(1 − π_k)/(q − 1)).  Undefined values are NaN.

    Krippendorff's worked example (4 observers, 12 units, missing values) gives α = 0.743:

    >>> import numpy as np, qualcore as qc
    >>> nan = np.nan
    >>> data = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...                  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...                  [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...                  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]).T
    >>> round(qc.reliability(data, "krippendorff_alpha")["krippendorff_alpha"], 3)
    0.743
    """
    measures = [measure] if isinstance(measure, str) else list(measure)
    bad = [x for x in measures if x not in MEASURES]
    if bad:
        raise ArgumentError(f"measure: {bad} not among {list(MEASURES)}")
    frame = pd.DataFrame(data)
    if frame.shape[1] < 2:
        raise AgreementError(f"reliability needs at least two coders (columns); got {frame.shape[1]}")
    codes_, cats = pd.factorize(pd.Series(frame.to_numpy().reshape(-1)), use_na_sentinel=True)
    v = codes_.reshape(frame.shape)  # -1 = missing
    q = len(cats)
    n_units, m = v.shape
    # counts[u, k]: coders who put unit u in category k
    counts = np.zeros((n_units, max(q, 1)), dtype=np.float64)
    uu, cc = np.nonzero(v >= 0)
    np.add.at(counts, (uu, v[uu, cc]), 1.0)
    mu = counts.sum(axis=1)
    out: dict[str, float] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        if "percent" in measures or "cohen_kappa" in measures:
            pos, ks = [], []
            for i, j in combinations(range(m), 2):
                both = (v[:, i] >= 0) & (v[:, j] >= 0)
                a, b = v[both, i], v[both, j]
                n = len(a)
                po = np.mean(a == b) if n else np.nan
                pa = np.bincount(a, minlength=q) / n if n else np.zeros(q)
                pb = np.bincount(b, minlength=q) / n if n else np.zeros(q)
                pe = float(pa @ pb)
                pos.append(po)
                ks.append((po - pe) / (1 - pe) if n else np.nan)
            if "percent" in measures:
                out["percent"] = float(np.mean(pos))
            if "cohen_kappa" in measures:
                out["cohen_kappa"] = float(np.mean(ks))
        complete = mu == m
        cc_ = counts[complete]
        if "fleiss_kappa" in measures or "gwet_ac1" in measures:
            n = len(cc_)
            p_i = ((cc_ ** 2).sum(axis=1) - m) / (m * (m - 1))
            pbar = p_i.mean() if n else np.nan
            pj = cc_.sum(axis=0) / (n * m) if n else np.full(q, np.nan)
            if "fleiss_kappa" in measures:
                pe = float((pj ** 2).sum())
                out["fleiss_kappa"] = float((pbar - pe) / (1 - pe))
            if "gwet_ac1" in measures:
                pe = float((pj * (1 - pj)).sum() / (q - 1)) if q > 1 else np.nan
                out["gwet_ac1"] = float((pbar - pe) / (1 - pe))
        if "krippendorff_alpha" in measures:
            pairable = mu >= 2
            c = counts[pairable]
            w = 1.0 / (mu[pairable] - 1)
            o = (c[:, :, None] * c[:, None, :]) * w[:, None, None]
            idx = np.arange(o.shape[1])
            o[:, idx, idx] -= c * w[:, None]
            o = o.sum(axis=0)
            nk = o.sum(axis=1)
            n = nk.sum()
            do = o.sum() - np.trace(o)
            de = (n * n - (nk ** 2).sum()) / (n - 1)
            out["krippendorff_alpha"] = float(1 - do / de) if de else np.nan
    return out
