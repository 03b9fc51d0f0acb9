"""Code × code co-occurrence at the unit the analyst chooses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._util import threads_arg
from .errors import ArgumentError

if TYPE_CHECKING:
    from ._coding import Coding

__all__ = ["cooccurrence", "cooccurrence_units", "COOCCURRENCE_UNITS", "COOCCURRENCE_MEASURES", "COOCCURRENCE_WITHIN"]

#: Units :func:`cooccurrence` counts at.
COOCCURRENCE_UNITS = ("overlap", "sentence", "turn", "window", "document", "case")
#: Measures :func:`cooccurrence` reports.
COOCCURRENCE_MEASURES = ("count", "jaccard", "cosine", "lift", "pmi")
#: What a token window may not cross (``within=``).
COOCCURRENCE_WITHIN = ("turn", "document")

# Coding pairs are made and counted this many at a time (bounded memory whatever the window).
_PAIR_CHUNK = 1 << 22
_BIG = np.int64(1) << 40  # doc position * _BIG + offset: one sortable key over the corpus


def _nodes(coding: Coding, level: int | None) -> tuple[list[str], np.ndarray]:
    """Node paths and the node of every coding (codes as coded, or rolled up to ``level``)."""
    cb = coding.codebook
    inverse, uniq = pd.factorize(pd.Series(coding._frame["code"].to_numpy(), dtype=object))
    if level is not None and level < 1:
        raise ArgumentError(f"level: must be >= 1 or None, got {level}")
    mapped = [c if level is None else cb.ancestor(c, level) for c in uniq]
    used = set(mapped)
    nodes = [p for p in cb.paths if p in used]
    index = {p: i for i, p in enumerate(nodes)}
    node_of = np.array([index[c] for c in mapped], dtype=np.int64)[inverse] if len(inverse) else np.array([], dtype=np.int64)
    return nodes, node_of


def _unit_pairs(coding: Coding, unit: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(row, unit id) for every unit each coding in ``rows`` touches, and the number of units
    (the total for lift/PMI): sentences and turns of the corpus, documents, or cases."""
    from ._agreement import _units_table

    corpus = coding.corpus
    pos = coding._doc_positions()[rows]
    if unit in ("document", "case"):
        return rows, pos, len(corpus)
    docs = list(range(len(corpus)))
    units = _units_table(coding, unit, docs)
    f = coding._frame
    ukey_start = units["doc"].to_numpy() * _BIG + units["start"].to_numpy()
    ukey_end = units["doc"].to_numpy() * _BIG + units["end"].to_numpy()
    s = pos * _BIG + f["start"].to_numpy()[rows]
    e = pos * _BIG + f["end"].to_numpy()[rows]
    first = np.searchsorted(ukey_end, s, side="right")
    last = np.searchsorted(ukey_start, np.maximum(e, s + 1), side="left")
    counts = np.maximum(last - first, 0)
    rep = np.repeat(np.arange(len(rows)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows[rep], first[rep] + offs, len(units)


def _chunks(counts: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Position pairs (k, k + 1 + m) for m < counts[k], a bounded number at a time."""
    cum = np.cumsum(counts)
    n = len(counts)
    start = 0
    while start < n:
        base = int(cum[start - 1]) if start else 0
        end = max(int(np.searchsorted(cum, base + _PAIR_CHUNK, side="right")), start + 1)
        c = counts[start:end]
        k = int(c.sum())
        if k:
            i = np.repeat(np.arange(start, end), c)
            j = i + 1 + (np.arange(k) - np.repeat(np.cumsum(c) - c, c))
            yield i, j
        start = end


def _overlap_order(coding: Coding, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codings among ``rows`` in (document, start) order, and for each how many of the next
    ones intersect it (touching is not overlapping; empty codings overlap nothing): with
    :func:`_chunks`, every intersecting pair once."""
    f = coding._frame
    pos = coding._doc_positions()[rows]
    st = f["start"].to_numpy()[rows]
    en = f["end"].to_numpy()[rows]
    keep = np.flatnonzero(en > st)
    order = keep[np.lexsort((st[keep], pos[keep]))]
    ks = pos[order] * _BIG + st[order]
    ke = pos[order] * _BIG + en[order]
    # Codings after i (in start order) that start before i ends intersect it.
    upto = np.searchsorted(ks, ke, side="left")
    counts = np.maximum(upto - np.arange(len(order)) - 1, 0)
    return rows[order], counts


def _intervals(coding: Coding, unit: str, window: int, within: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Each coding as an interval ``[lo, hi]`` (both included) of positions on one line through
    the corpus, where codings that may pair are at their true distance and any others more
    than the window apart; a mask of the codings that have a position; and the window.

    Token windows: the positions are the tokens' document positions; a new document (and with
    ``within="turn"`` a new turn, or text outside turns) starts ``window + 1`` further on.
    Turn windows: the positions are the turns (a turn-less document is one turn); a new
    document starts ``window + 1`` further on."""
    from ._agreement import _units_table

    f = coding._frame
    pos = coding._doc_positions()
    start = f["start"].to_numpy(dtype=np.int64)
    end = f["end"].to_numpy(dtype=np.int64)
    s = pos * _BIG + start
    e = pos * _BIG + end
    if unit == "window":
        threads = threads_arg(None)
        cols = coding.corpus._native.tokens(lowercase=False, threads=threads).columns(threads=threads)
        tdoc, tturn, tpos = cols["doc"], cols["turn"], cols["position"]
        if len(tdoc) == 0:
            none = np.zeros(len(f), dtype=np.int64)
            return none, none, np.zeros(len(f), dtype=bool), window
        n = min(window, int(tpos.max()) + 1)  # a wider window changes nothing
        same = np.zeros(len(tdoc), dtype=bool)
        same[1:] = tdoc[1:] == tdoc[:-1]
        if within == "turn":
            same[1:] &= tturn[1:] == tturn[:-1]
        step = np.where(same, np.diff(tpos, prepend=tpos[:1]), n + 1)
        line = np.cumsum(step)
        # Tokens the span intersects: token.end > start and token.start < end.
        first = np.searchsorted(tdoc * _BIG + cols["end"], s, side="right")
        stop = np.searchsorted(tdoc * _BIG + cols["start"], e, side="left")
        ok = (end > start) & (stop > first)
    else:
        units = _units_table(coding, "turn", list(range(len(coding.corpus))))
        udoc = units["doc"].to_numpy()
        if len(udoc) == 0:
            none = np.zeros(len(f), dtype=np.int64)
            return none, none, np.zeros(len(f), dtype=bool), window
        n = min(window, len(udoc) + 1)
        line = np.arange(len(udoc), dtype=np.int64) + udoc * (n + 1)
        # Turns the span overlaps; an empty coding touches the turn it sits in (as unit="turn").
        first = np.searchsorted(udoc * _BIG + units["end"].to_numpy(), s, side="right")
        stop = np.searchsorted(udoc * _BIG + units["start"].to_numpy(), np.maximum(e, s + 1), side="left")
        ok = stop > first
    m = len(line)
    lo = line[np.clip(first, 0, m - 1)]
    hi = line[np.clip(stop - 1, 0, m - 1)]
    return lo, hi, ok, n


def _window_order(lo: np.ndarray, hi: np.ndarray, rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codings among ``rows`` in (lo, hi) order, and for each how many of the next ones lie at
    most ``n`` after it: with :func:`_chunks`, every pair within the window once, the first of
    a pair never starting after the second (so only it can come before)."""
    l_, h_ = lo[rows], hi[rows]
    order = np.lexsort((h_, l_))
    upto = np.searchsorted(l_[order], h_[order] + n, side="right")
    counts = np.maximum(upto - np.arange(len(order)) - 1, 0)
    return rows[order], counts


def _pair_counts(sorted_rows: np.ndarray, counts: np.ndarray, node_of: np.ndarray, diag: np.ndarray, n_nodes: int,
                 before: tuple[np.ndarray, np.ndarray] | None) -> Any:
    """Counts of the coding pairs given by ``sorted_rows`` and ``counts`` (see
    :func:`_chunks`) by node: symmetric (each pair in both cells), or with ``before`` = (lo,
    hi) only pairs whose first coding ends before the second starts, in cell (first, second).
    Pairs of one node are not counted; ``diag`` goes on the diagonal."""
    from scipy import sparse as sp

    node_s = node_of[sorted_rows]
    if before is not None:
        lo_s, hi_s = before[0][sorted_rows], before[1][sorted_rows]
    width = np.int64(max(n_nodes, 1))
    cells = int(width) * int(width)
    dense = np.zeros(cells, dtype=np.int64) if cells <= _PAIR_CHUNK else None  # few nodes: bincount
    acc = sp.csr_matrix((n_nodes, n_nodes), dtype=np.int64)
    for i, j in _chunks(counts):
        a, b = node_s[i], node_s[j]
        if before is not None:
            keep = hi_s[i] < lo_s[j]
            a, b = a[keep], b[keep]
        if dense is not None:
            dense += np.bincount(a * width + b, minlength=cells)
        else:
            part = sp.csr_matrix((np.ones(len(a), dtype=np.int64), (a, b)), shape=(n_nodes, n_nodes))
            part.sum_duplicates()
            acc = acc + part
    if dense is not None:
        acc = sp.csr_matrix(dense.reshape(int(width), int(width))[:n_nodes, :n_nodes])
    if before is None:
        acc = acc + acc.T
    coo = acc.tocoo()
    off = coo.row != coo.col  # pairs of one node are not counted
    idx = np.arange(n_nodes)
    m = sp.coo_matrix((np.concatenate([coo.data[off].astype(np.int64), diag.astype(np.int64)]),
                       (np.concatenate([coo.row[off], idx]), np.concatenate([coo.col[off], idx]))),
                      shape=(n_nodes, n_nodes)).tocsr()
    m.eliminate_zeros()  # a node on no unit of the scope (e.g. absent from a group): no cell
    return m


def _measure(counts: Any, measure: str, total: int | None) -> Any:
    """The measure on the non-zero cells of the sparse counts (cells without co-occurrence stay
    0, also for PMI, where they would be -inf)."""
    if measure == "count":
        return counts
    coo = counts.tocoo()
    n = counts.diagonal().astype(float)
    c = coo.data.astype(float)
    na, nb = n[coo.row], n[coo.col]
    with np.errstate(invalid="ignore", divide="ignore"):
        if measure == "jaccard":
            v = c / (na + nb - c)
        elif measure == "cosine":
            v = c / np.sqrt(na * nb)
        else:
            v = c * float(total) / (na * nb)  # type: ignore[arg-type]
            if measure == "pmi":
                v = np.log2(v)
    from scipy import sparse as sp

    return sp.csr_matrix((v, (coo.row, coo.col)), shape=counts.shape)


def _check(unit: str, window: Any, within: str, ordered: bool) -> int | None:
    """Validates the unit and its window arguments; the window as an int (or None)."""
    if unit not in COOCCURRENCE_UNITS:
        raise ArgumentError(f"unit: {unit!r} is not one of {list(COOCCURRENCE_UNITS)}")
    if within not in COOCCURRENCE_WITHIN:
        raise ArgumentError(f"within: {within!r} is not one of {list(COOCCURRENCE_WITHIN)}")
    if window is not None:
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            raise ArgumentError(f"window: must be a whole number >= 1 (tokens for unit='window', turns for unit='turn'), got {window!r}")
        if unit not in ("window", "turn"):
            raise ArgumentError(f"window: only unit='window' (N tokens) and unit='turn' (N turns) take a window, not unit={unit!r}")
        window = int(window)
    elif unit == "window":
        raise ArgumentError("window: unit='window' needs window=N, the largest token distance (N >= 1)")
    if within != "turn" and unit != "window":
        raise ArgumentError(f"within: only unit='window' takes within=, not unit={unit!r}")
    if ordered and window is None:
        raise ArgumentError("ordered: only windows have an order: unit='window', or unit='turn' with window=N")
    return window


def _check_args(unit: str, window: Any, within: str, ordered: bool, measure: str, tidy: bool, sparse: bool) -> int | None:
    """Validates the arguments of :func:`cooccurrence` (but ``level`` and ``by``); the window
    as an int (or None)."""
    window = _check(unit, window, within, ordered)
    if measure not in COOCCURRENCE_MEASURES:
        raise ArgumentError(f"measure: {measure!r} is not one of {list(COOCCURRENCE_MEASURES)}")
    if (unit == "overlap" or window is not None) and measure in ("lift", "pmi"):
        what = "'overlap'" if unit == "overlap" else f"a window (unit={unit!r}, window={window})"
        raise ArgumentError(f"measure: {measure!r} needs a unit with a number of units (sentence, turn, document, case), not {what}")
    if tidy and sparse:
        raise ArgumentError("tidy and sparse: choose one")
    return window


def cooccurrence(
    coding: Coding,
    unit: str = "sentence",
    level: int | None = None,
    measure: str = "count",
    by: str | None = None,
    tidy: bool = False,
    sparse: bool = False,
    *,
    window: int | None = None,
    within: str = "turn",
    ordered: bool = False,
) -> Any:
    """Code × code co-occurrence.

    Units (``unit``), each defined exactly:

    - ``"overlap"``: codings of a and b whose spans intersect (``start < other.end`` and
      ``other.start < end``; touching spans do not; zero-length codings intersect nothing).
      The cell counts intersecting coding pairs; the diagonal is each code's number of codings.
    - ``"sentence"``, ``"turn"``: a unit holds a code when a coding of it overlaps the unit (a
      turn-less document is one turn); the cell counts units holding both codes, the diagonal
      the units holding the code.
    - ``"document"``, ``"case"``: the same with documents (a case is a participant: a document).
    - ``"window"`` with ``window=N``: codings of a and b at most N tokens apart.  A coding
      covers the tokens its span intersects (words and punctuation, as :meth:`Corpus.tokens`
      makes them; speaker labels are not tokens).  The distance between two codings is
      ``first token of the later one − last token of the earlier one`` (token positions), or
      0 when they share a token; they co-occur when it is ``<= N``.  So ``window=1`` pairs
      adjacent tokens, and two one-token codings co-occur exactly when their positions differ
      by at most N (as quanteda's ``fcm(window=N)`` counts tokens): *exactly N apart counts,
      N + 1 does not*; N − 1 tokens may lie between them.  A window never crosses a turn (text
      outside turns is its own stretch) unless ``within="document"``, and never a document;
      a coding over several turns reaches from each of them.  Codings that cover no token
      (zero-length, or only white space) pair with nothing.
    - ``"turn"`` with ``window=N``: codings of a and b at most N turns apart: the turns a
      coding overlaps as in ``unit="turn"`` (a zero-length coding: the turn it sits in), the
      distance ``first turn of the later − last turn of the earlier``, 0 when they share a
      turn, counting every turn of the document (interviewer turns too).
    - Window units count coding pairs, as ``"overlap"`` does: the cell is the number of
      (a coding, b coding) pairs within the window, the diagonal each code's number of codings
      (pairs of one code are not counted).  Every overlapping pair of codings with tokens is
      also a pair of any token window.

    ``ordered=True`` (window units only) counts "a before b": cell (a, b) is the number of
    pairs whose a coding ends before the b coding starts (last token, or turn, of a < first of
    b) within the window; pairs that share a token (or turn) count in neither direction, so
    ``ordered + ordered.T`` plus those pairs gives the unordered matrix off the diagonal.

    ``level`` rolls codes up the codebook first (a unit counts once per node).  ``measure``:
    ``count``; ``jaccard`` (= ATLAS.ti's c-coefficient, n_ab / (n_a + n_b − n_ab));
    ``cosine`` (n_ab / √(n_a n_b)); ``lift`` (n_ab · N / (n_a n_b), N = number of units);
    ``pmi`` (log2 of lift).  Lift and PMI need a unit with a total (not ``"overlap"`` or a
    window).

    Counting is sparse throughout.  Returns a full DataFrame labelled by code paths (symmetric
    unless ``ordered``; rows are the earlier code then), whose ``attrs`` hold ``unit``,
    ``measure``, ``n_units``, ``window``, ``within`` and ``ordered``; cells of codes that never
    co-occur are 0 for every measure.  ``tidy=True`` gives the non-zero pairs as rows
    (``code_a``, ``code_b``, ``n``, ``value``; code_a <= code_b in codebook order unless
    ``ordered``) and ``sparse=True`` ``(scipy.sparse.csr_matrix, labels)``, neither of which
    builds a dense matrix — use them with many codes.  ``by`` (an attribute) gives a
    dict ``group -> result``, one per group of documents.

    >>> import qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["I trust the data. The data is weak.", "Trust me."], doc_ids=["A1", "B1"])
    >>> cb = qc.Codebook.from_dict({"Trust": ["trust"], "Data": ["data"]})
    >>> coding = corpus.autocode(cb)
    >>> qc.cooccurrence(coding, unit="sentence").values.tolist()   # sentences: both in 1
    [[2, 1], [1, 2]]
    >>> qc.cooccurrence(coding, unit="document", measure="jaccard").round(2).values.tolist()
    [[1.0, 0.5], [0.5, 1.0]]

    Windows: "trust" is token 1 of A1, "data" tokens 3 and 6 — 2 and 5 tokens on.

    >>> qc.cooccurrence(coding, unit="window", window=2).values.tolist()
    [[2, 1], [1, 2]]
    >>> qc.cooccurrence(coding, unit="window", window=5).values.tolist()
    [[2, 2], [2, 2]]
    >>> qc.cooccurrence(coding, unit="window", window=5, ordered=True).values.tolist()  # trust before data
    [[2, 2], [0, 2]]
    """
    window = _check_args(unit, window, within, ordered, measure, tidy, sparse)
    pairwise = unit == "overlap" or window is not None
    nodes, node_of = _nodes(coding, level)
    iv = _intervals(coding, unit, window, within) if window is not None else None
    opts = {"unit": unit, "window": window, "within": within if unit == "window" else None, "ordered": bool(ordered)}
    if by is not None:
        docs = coding.corpus.documents
        if by not in docs.columns:
            raise ArgumentError(f"by: no attribute {by!r} (attributes: {list(coding.corpus.attributes.columns)})")
        groups = docs[by]
        pos = coding._doc_positions()
        out: dict[Any, Any] = {}
        for g in pd.unique(groups.dropna()):
            in_group = np.flatnonzero((groups == g).to_numpy())
            rows = np.flatnonzero(np.isin(pos, in_group))
            if unit in ("document", "case"):
                total: int | None = len(in_group)
            elif pairwise:
                total = None
            else:
                from ._agreement import _units_table

                total = len(_units_table(coding, unit, in_group.tolist()))
            out[g] = _one(coding, opts, rows, nodes, node_of, measure, tidy, sparse, total, iv)
        return out
    return _one(coding, opts, np.arange(len(coding)), nodes, node_of, measure, tidy, sparse, None, iv)


def _one(coding: Coding, opts: dict[str, Any], rows: np.ndarray, nodes: list[str], node_of: np.ndarray, measure: str,
         tidy: bool, sparse: bool, total_override: int | None,
         iv: tuple[np.ndarray, np.ndarray, np.ndarray, int] | None) -> Any:
    unit, ordered = opts["unit"], opts["ordered"]
    n_nodes = len(nodes)
    total: int | None
    if unit == "overlap" or iv is not None:
        diag = np.bincount(node_of[rows], minlength=n_nodes)
        if iv is None:
            counts = _pair_counts(*_overlap_order(coding, rows), node_of, diag, n_nodes, None)
        else:
            lo, hi, ok, reach = iv
            sorted_rows, k = _window_order(lo, hi, rows[ok[rows]], reach)
            counts = _pair_counts(sorted_rows, k, node_of, diag, n_nodes, (lo, hi) if ordered else None)
        total = None
    else:
        r, u, total = _unit_pairs(coding, unit, rows)
        if total_override is not None:
            total = total_override
        node = node_of[r]
        key = np.sort(u * np.int64(max(n_nodes, 1)) + node)
        key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
        uu, nn = key // max(n_nodes, 1), key % max(n_nodes, 1)
        # Units x codes incidence (each unit once per code); its Gram matrix counts the units
        # holding both codes, and its diagonal the units holding each code.
        from scipy import sparse as sp

        units_used, row = np.unique(uu, return_inverse=True)
        incidence = sp.csr_matrix((np.ones(len(nn), dtype=np.int64), (row, nn)), shape=(len(units_used), n_nodes))
        counts = (incidence.T @ incidence).tocsr()
        counts.eliminate_zeros()
    return _result(counts, nodes, measure, total, opts, tidy, sparse)


def _result(counts: Any, nodes: list[str], measure: str, total: int | None, opts: dict[str, Any], tidy: bool,
            sparse: bool) -> Any:
    """What :func:`cooccurrence` returns for the code × code ``counts`` (sparse): the measure as
    ``(sparse matrix, labels)``, tidy rows or a labelled frame whose ``attrs`` hold ``opts``
    (``unit``, ``window``, ``within``, ``ordered``), the measure and ``total`` (``n_units``)."""
    ordered = opts["ordered"]
    values = _measure(counts, measure, total)
    if sparse:
        values.indices = values.indices.astype(np.int64)
        values.indptr = values.indptr.astype(np.int64)
        return values, list(nodes)
    if tidy:
        up = values.tocoo()
        keep = np.ones(len(up.row), dtype=bool) if ordered else up.row <= up.col
        ra, cb_ = up.row[keep], up.col[keep]
        order = np.lexsort((cb_, ra))
        ra, cb_ = ra[order], cb_[order]
        n = np.asarray(counts[ra, cb_]).reshape(-1)
        return pd.DataFrame({"code_a": np.array(nodes, dtype=object)[ra], "code_b": np.array(nodes, dtype=object)[cb_],
                             "n": n.astype(np.int64), "value": np.asarray(up.data[keep][order], dtype=float)})
    frame = pd.DataFrame(values.toarray(), index=pd.Index(nodes, name="code_a"), columns=pd.Index(nodes, name="code_b"))
    frame.attrs.update({"unit": opts["unit"], "measure": measure, "n_units": total, "window": opts["window"],
                        "within": opts["within"], "ordered": ordered})
    return frame


def cooccurrence_units(coding: Coding, code_a: str, code_b: str, unit: str = "sentence", *, window: int | None = None,
                       within: str = "turn", ordered: bool = False) -> pd.DataFrame:
    """The passages behind one cell of :func:`cooccurrence` (same ``unit``, ``window``,
    ``within`` and ``ordered``): for unit ``"overlap"`` each pair of intersecting codings
    (``doc_id``, ``start``/``end`` of their intersection, ``text``, both codings' spans
    ``span_a``/``span_b``); for windows each pair of codings within the window (``start`` of
    the earlier to ``end`` of the later, ``text``, ``span_a``, ``span_b`` and ``distance`` in
    tokens or turns, 0 when they share one; with ``ordered=True`` only pairs where the a
    coding comes first); for other units each unit holding both codes (or their descendants)
    with its ``doc_id``, ``start``, ``end`` and ``text``.

    >>> import qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["I trust the data. The data is weak."], doc_ids=["A1"])
    >>> coding = corpus.autocode(qc.Codebook.from_dict({"Trust": ["trust"], "Data": ["data"]}))
    >>> qc.cooccurrence_units(coding, "Trust", "Data")["text"].tolist()
    ['I trust the data.']
    >>> qc.cooccurrence_units(coding, "Trust", "Data", unit="window", window=5)[["text", "distance"]].values.tolist()
    [['trust the data', 2], ['trust the data. The data', 5]]
    """
    window = _check(unit, window, within, ordered)
    cb = coding.codebook
    a_set = {cb.resolve(code_a), *cb.descendants(code_a)}
    b_set = {cb.resolve(code_b), *cb.descendants(code_b)}
    codes = coding._frame["code"]
    in_a = codes.isin(a_set).to_numpy()
    in_b = codes.isin(b_set).to_numpy()
    texts = coding.corpus._native.texts()
    ids = coding.corpus.doc_ids
    f = coding._frame
    pos = coding._doc_positions()
    fs = f["start"].to_numpy()
    fe = f["end"].to_numpy()
    if unit == "overlap" or window is not None:
        rows = np.flatnonzero(in_a | in_b)
        if window is None:
            sorted_rows, k = _overlap_order(coding, rows)
        else:
            lo, hi, ok, n = _intervals(coding, unit, window, within)
            sorted_rows, k = _window_order(lo, hi, rows[ok[rows]], n)
        chunks = list(_chunks(k))
        i = sorted_rows[np.concatenate([c[0] for c in chunks])] if chunks else np.array([], dtype=np.int64)
        j = sorted_rows[np.concatenate([c[1] for c in chunks])] if chunks else np.array([], dtype=np.int64)
        if window is not None:
            dist = np.maximum(lo[j] - hi[i], 0)  # lo[i] <= lo[j]: i can only be the earlier
        ab = in_a[i] & in_b[j]
        if ordered:
            keep = ab & (hi[i] < lo[j])
            swap = np.zeros(int(keep.sum()), dtype=bool)
        else:
            keep = ab | (in_b[i] & in_a[j])
            swap = ~ab[keep]  # span_a is the coding of code_a
        i, j = i[keep], j[keep]
        i, j = np.where(swap, j, i), np.where(swap, i, j)
        d = pos[i]
        if window is None:
            s, e = np.maximum(fs[i], fs[j]), np.minimum(fe[i], fe[j])
        else:
            s, e = np.minimum(fs[i], fs[j]), np.maximum(fe[i], fe[j])
        out = pd.DataFrame({"doc_id": [ids[x] for x in d], "start": s, "end": e,
                            "text": [texts[x][p:q] for x, p, q in zip(d.tolist(), s.tolist(), e.tolist())],
                            "span_a": list(zip(fs[i].tolist(), fe[i].tolist())),
                            "span_b": list(zip(fs[j].tolist(), fe[j].tolist()))})
        if window is None:
            return out
        out["distance"] = dist[keep].astype(np.int64)
        order = np.lexsort((fe[j], fs[j], fe[i], fs[i], e, s, d))
        return out.iloc[order].reset_index(drop=True)
    rows = np.flatnonzero(in_a | in_b)
    r, u, _ = _unit_pairs(coding, unit, rows)
    has_a = pd.Series(in_a[r]).groupby(u).any()
    has_b = pd.Series(in_b[r]).groupby(u).any()
    both = has_a.index[(has_a & has_b).to_numpy()].to_numpy()
    if unit in ("document", "case"):
        lengths = coding.corpus._native.doc_stats()[0]
        return pd.DataFrame({"doc_id": [ids[x] for x in both], "start": 0, "end": lengths[both],
                             "text": [texts[x] for x in both]})
    from ._agreement import _units_table

    units = _units_table(coding, unit, list(range(len(coding.corpus))))
    d = units["doc"].to_numpy()[both]
    s = units["start"].to_numpy()[both]
    e = units["end"].to_numpy()[both]
    return pd.DataFrame({"doc_id": [ids[x] for x in d], "start": s, "end": e,
                         "text": [texts[x][p:q] for x, p, q in zip(d.tolist(), s.tolist(), e.tolist())]})
