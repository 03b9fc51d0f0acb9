"""Code × code co-occurrence at the unit the analyst chooses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import ArgumentError

if TYPE_CHECKING:
    from ._coding import Coding

__all__ = ["cooccurrence", "cooccurrence_units", "COOCCURRENCE_UNITS", "COOCCURRENCE_MEASURES"]

#: Units :func:`cooccurrence` counts at.
COOCCURRENCE_UNITS = ("overlap", "sentence", "turn", "document", "case")
#: Measures :func:`cooccurrence` reports.
COOCCURRENCE_MEASURES = ("count", "jaccard", "cosine", "lift", "pmi")


def _nodes(coding: Coding, level: int | None) -> tuple[list[str], np.ndarray]:
    """Node paths and the node of every coding (codes as coded, or rolled up to ``level``)."""
    cb = coding.codebook
    inverse, uniq = pd.factorize(pd.Series(coding._frame["code"].to_numpy(), dtype=object))
    if level is not None and level < 1:
        raise ArgumentError(f"level: must be >= 1 or None, got {level}")
    mapped = [c if level is None else cb.ancestor(c, level) for c in uniq]
    nodes = [p for p in cb.paths if p in set(mapped)]
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
    big = np.int64(1) << 40
    ukey_start = units["doc"].to_numpy() * big + units["start"].to_numpy()
    ukey_end = units["doc"].to_numpy() * big + units["end"].to_numpy()
    s = pos * big + f["start"].to_numpy()[rows]
    e = pos * big + f["end"].to_numpy()[rows]
    first = np.searchsorted(ukey_end, s, side="right")
    last = np.searchsorted(ukey_start, np.maximum(e, s + 1), side="left")
    counts = np.maximum(last - first, 0)
    rep = np.repeat(np.arange(len(rows)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows[rep], first[rep] + offs, len(units)


def _overlap_pairs(coding: Coding, rows: np.ndarray, node_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j) of codings (indices into ``rows``) whose spans intersect (touching is not
    overlapping; empty codings overlap nothing), each unordered pair once."""
    f = coding._frame
    pos = coding._doc_positions()[rows]
    st = f["start"].to_numpy()[rows]
    en = f["end"].to_numpy()[rows]
    keep = np.flatnonzero(en > st)
    order = keep[np.lexsort((st[keep], pos[keep]))]
    big = np.int64(1) << 40
    ks = pos[order] * big + st[order]
    ke = pos[order] * big + en[order]
    # Codings after i (in start order) that start before i ends intersect it.
    upto = np.searchsorted(ks, ke, side="left")
    counts = upto - np.arange(len(order)) - 1
    counts = np.maximum(counts, 0)
    i = np.repeat(np.arange(len(order)), counts)
    j = i + 1 + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    return order[i], order[j]


def _matrix(pairs_a: np.ndarray, pairs_b: np.ndarray, diag: np.ndarray, n_nodes: int) -> Any:
    """Symmetric sparse counts: each (a, b) pair counted in both cells; ``diag`` on the diagonal."""
    from scipy import sparse as sp

    rows = np.concatenate([pairs_a, pairs_b, np.arange(n_nodes)])
    cols = np.concatenate([pairs_b, pairs_a, np.arange(n_nodes)])
    data = np.concatenate([np.ones(2 * len(pairs_a), dtype=np.int64), diag.astype(np.int64)])
    m = sp.coo_matrix((data, (rows, cols)), shape=(n_nodes, n_nodes)).tocsr()
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


def cooccurrence(
    coding: Coding,
    unit: str = "sentence",
    level: int | None = None,
    measure: str = "count",
    by: str | None = None,
    tidy: bool = False,
    sparse: bool = False,
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

    ``level`` rolls codes up the codebook first (a unit counts once per node).  ``measure``:
    ``count``; ``jaccard`` (= ATLAS.ti's c-coefficient, n_ab / (n_a + n_b − n_ab));
    ``cosine`` (n_ab / √(n_a n_b)); ``lift`` (n_ab · N / (n_a n_b), N = number of units);
    ``pmi`` (log2 of lift).  Lift and PMI need a unit with a total (not ``"overlap"``).

    Counting is sparse throughout.  Returns a full symmetric DataFrame labelled by code paths
    (cells of codes that never co-occur are 0 for every measure); ``tidy=True`` gives the
    non-zero pairs as rows (``code_a``, ``code_b``, ``n``, ``value``; code_a <= code_b in
    codebook order) and ``sparse=True`` ``(scipy.sparse.csr_matrix, labels)``, neither of which
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
    """
    if unit not in COOCCURRENCE_UNITS:
        raise ArgumentError(f"unit: {unit!r} is not one of {list(COOCCURRENCE_UNITS)}")
    if measure not in COOCCURRENCE_MEASURES:
        raise ArgumentError(f"measure: {measure!r} is not one of {list(COOCCURRENCE_MEASURES)}")
    if unit == "overlap" and measure in ("lift", "pmi"):
        raise ArgumentError(f"measure: {measure!r} needs a unit with a number of units (sentence, turn, document, case), not 'overlap'")
    if tidy and sparse:
        raise ArgumentError("tidy and sparse: choose one")
    nodes, node_of = _nodes(coding, level)
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
                total = len(in_group)
            elif unit == "overlap":
                total = None
            else:
                from ._agreement import _units_table

                total = len(_units_table(coding, unit, in_group.tolist()))
            out[g] = _one(coding, unit, rows, nodes, node_of, measure, tidy, sparse, total)
        return out
    return _one(coding, unit, np.arange(len(coding)), nodes, node_of, measure, tidy, sparse, None)


def _one(coding: Coding, unit: str, rows: np.ndarray, nodes: list[str], node_of: np.ndarray, measure: str,
         tidy: bool, sparse: bool, total_override: int | None) -> Any:
    n_nodes = len(nodes)
    if unit == "overlap":
        i, j = _overlap_pairs(coding, rows, node_of)
        a, b = node_of[rows[i]], node_of[rows[j]]  # i, j index ``rows``
        cross = a != b
        lo, hi = np.minimum(a[cross], b[cross]), np.maximum(a[cross], b[cross])
        diag = np.bincount(node_of[rows], minlength=n_nodes)
        counts = _matrix(lo, hi, diag, n_nodes)
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
    values = _measure(counts, measure, total)
    if sparse:
        values.indices = values.indices.astype(np.int64)
        values.indptr = values.indptr.astype(np.int64)
        return values, list(nodes)
    if tidy:
        up = values.tocoo()
        keep = up.row <= up.col
        ra, cb_ = up.row[keep], up.col[keep]
        order = np.lexsort((cb_, ra))
        ra, cb_ = ra[order], cb_[order]
        n = np.asarray(counts[ra, cb_]).reshape(-1)
        return pd.DataFrame({"code_a": np.array(nodes, dtype=object)[ra], "code_b": np.array(nodes, dtype=object)[cb_],
                             "n": n.astype(np.int64), "value": np.asarray(up.data[keep][order], dtype=float)})
    frame = pd.DataFrame(values.toarray(), index=pd.Index(nodes, name="code_a"), columns=pd.Index(nodes, name="code_b"))
    frame.attrs.update({"unit": unit, "measure": measure, "n_units": total})
    return frame


def cooccurrence_units(coding: Coding, code_a: str, code_b: str, unit: str = "sentence") -> pd.DataFrame:
    """The passages behind one cell of :func:`cooccurrence`: for unit ``"overlap"`` each pair of
    intersecting codings (``doc_id``, ``start``/``end`` of their intersection, ``text``,
    both codings' spans); for other units each unit holding both codes (or their descendants)
    with its ``doc_id``, ``start``, ``end`` and ``text``.

    >>> import qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["I trust the data. The data is weak."], doc_ids=["A1"])
    >>> coding = corpus.autocode(qc.Codebook.from_dict({"Trust": ["trust"], "Data": ["data"]}))
    >>> qc.cooccurrence_units(coding, "Trust", "Data")["text"].tolist()
    ['I trust the data.']
    """
    if unit not in COOCCURRENCE_UNITS:
        raise ArgumentError(f"unit: {unit!r} is not one of {list(COOCCURRENCE_UNITS)}")
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
    if unit == "overlap":
        rows = np.flatnonzero(in_a | in_b)
        i, j = _overlap_pairs(coding, rows, np.zeros(len(coding), dtype=np.int64))
        i, j = rows[i], rows[j]
        ok = (in_a[i] & in_b[j]) | (in_b[i] & in_a[j])
        i, j = i[ok], j[ok]
        swap = ~(in_a[i] & in_b[j])  # span_a is the coding of code_a
        i, j = np.where(swap, j, i), np.where(swap, i, j)
        s = np.maximum(f["start"].to_numpy()[i], f["start"].to_numpy()[j])
        e = np.minimum(f["end"].to_numpy()[i], f["end"].to_numpy()[j])
        d = pos[i]
        return pd.DataFrame({"doc_id": [ids[x] for x in d], "start": s, "end": e,
                             "text": [texts[x][p:q] for x, p, q in zip(d.tolist(), s.tolist(), e.tolist())],
                             "span_a": list(zip(f["start"].to_numpy()[i].tolist(), f["end"].to_numpy()[i].tolist())),
                             "span_b": list(zip(f["start"].to_numpy()[j].tolist(), f["end"].to_numpy()[j].tolist()))})
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
