"""Codings: coded spans of a corpus, and the tables a thematic analysis reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._codebook import Code, Codebook
from ._util import nullable_turn, take_labels, threads_arg
from .errors import ArgumentError, CodingError

if TYPE_CHECKING:
    from ._corpus import Corpus

__all__ = ["Coding", "code_matrix", "saturation"]

_COLUMNS = ["doc_id", "start", "end", "code", "coder", "memo"]
_ALIGN_METHODS = np.array(["exact", "normalized", "fuzzy", "not_found"], dtype=object)


class Coding:
    """Coded spans of a corpus: one row per coding with ``doc_id``, ``start``, ``end`` (Python
    string offsets into the document's text), ``code`` (a full codebook path), ``coder`` and
    ``memo``.  Immutable; spans and codes are checked against the corpus and the codebook when
    the coding is made.

    >>> import pandas as pd, qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["I trust my GP.", "Data first."], doc_ids=["A1", "B1"])
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": None, "Evidence base": None}})
    >>> spans = pd.DataFrame({"doc_id": ["A1", "B1"], "start": [2, 0], "end": [13, 4],
    ...                       "code": ["Credibility", "Evidence base"]})
    >>> coding = qc.Coding.from_frame(corpus, cb, spans, coder="AB")
    >>> coding.frame[["doc_id", "code", "text"]].values.tolist()
    [['A1', 'Trust > Credibility', 'trust my GP'], ['B1', 'Trust > Evidence base', 'Data']]
    """

    __slots__ = ("_corpus", "_codebook", "_frame")

    def __init__(self, corpus: Corpus, codebook: Codebook, frame: pd.DataFrame) -> None:
        self._corpus = corpus
        self._codebook = codebook
        self._frame = frame

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_frame(
        cls,
        corpus: Corpus,
        codebook: Codebook,
        df: pd.DataFrame,
        doc_id: str = "doc_id",
        start: str = "start",
        end: str = "end",
        code: str = "code",
        coder: str | None = None,
        memo: str | None = None,
    ) -> Coding:
        """Codings from a frame of spans.  ``coder``/``memo`` name columns; when ``coder`` is
        not a column it is the coder of every row.  Codes are given by path or unique name.
        Every problem (unknown document or code, non-integer offsets, start > end, a span
        outside its document) is collected and raised once as
        :class:`~qualcore.errors.CodingError`; nothing is half-applied.

        >>> import pandas as pd, qualcore as qc
        >>> c = qc.Corpus.from_texts(["abc"], doc_ids=["d"])
        >>> cb = qc.Codebook.from_dict({"T": None})
        >>> try:
        ...     qc.Coding.from_frame(c, cb, pd.DataFrame({"doc_id": ["d", "x"], "start": [2, 0],
        ...                                              "end": [9, 1], "code": ["T", "U"]}))
        ... except qc.errors.CodingError as e:
        ...     print(*e.problems, sep="\\n")
        row 0: span 2..9 is outside document 'd' (3 characters)
        row 1: unknown document 'x'
        row 1: unknown code 'U'
        """
        for arg, col in (("doc_id", doc_id), ("start", start), ("end", end), ("code", code)):
            if col not in df.columns:
                raise ArgumentError(f"{arg}: no column {col!r} in the frame (columns: {list(df.columns)})")
        if memo is not None and memo not in df.columns:
            raise ArgumentError(f"memo: no column {memo!r} in the frame (columns: {list(df.columns)})")
        n = len(df)
        problems: dict[int, list[str]] = {}
        ids = df[doc_id].astype(object).to_numpy()
        doc_pos = pd.Index(corpus.doc_ids, dtype=object).get_indexer(pd.Index([str(d) for d in ids], dtype=object)) if n else np.array([], dtype=np.int64)
        doc_pos = np.asarray(doc_pos, dtype=np.int64)
        for i in np.flatnonzero(doc_pos < 0).tolist():
            problems.setdefault(i, []).append(f"row {i}: unknown document {ids[i]!r}")
        starts, bad_s = _int_column(df[start], "start", problems)
        ends, bad_e = _int_column(df[end], "end", problems)
        lengths = corpus._native.doc_stats()[0]
        ok = ~(bad_s | bad_e)
        not_span = ok & ((starts < 0) | (ends < starts))
        for i in np.flatnonzero(not_span).tolist():
            problems.setdefault(i, []).append(f"row {i}: start {starts[i]} and end {ends[i]} are not a span (0 <= start <= end)")
        known = ok & ~not_span & (doc_pos >= 0)
        doc_len = np.where(doc_pos >= 0, lengths[np.maximum(doc_pos, 0)] if len(lengths) else 0, 0)
        for i in np.flatnonzero(known & (ends > doc_len)).tolist():
            problems.setdefault(i, []).append(
                f"row {i}: span {starts[i]}..{ends[i]} is outside document {ids[i]!r} ({doc_len[i]} characters)"
            )
        codes = df[code].astype(object).to_numpy()
        inverse, uniq = pd.factorize(pd.Series(codes, dtype=object), use_na_sentinel=False)
        resolved_uniq: list[str] = []
        for c in uniq:
            try:
                resolved_uniq.append(codebook.resolve(c) if isinstance(c, str) else "\0unknown")
            except KeyError as err:
                resolved_uniq.append("\0ambiguous" if "ambiguous" in str(err) else "\0unknown")
        resolved_arr = np.array(resolved_uniq, dtype=object)[inverse] if n else np.array([], dtype=object)
        for i in np.flatnonzero(np.array([r.startswith("\0") for r in resolved_uniq], dtype=bool)[inverse] if n else np.array([], dtype=bool)).tolist():
            what = "ambiguous code name" if resolved_arr[i] == "\0ambiguous" else "unknown code"
            problems.setdefault(i, []).append(f"row {i}: {what} {codes[i]!r}")
        resolved = resolved_arr
        if problems:
            flat = [p for i in sorted(problems) for p in problems[i]]
            shown = flat[:50]
            more = f"\n  ... and {len(flat) - 50} more" if len(flat) > 50 else ""
            raise CodingError(f"{len(flat)} problem(s) in the codings:\n  - " + "\n  - ".join(shown) + more, flat)
        coders = df[coder].astype(object).to_numpy() if coder is not None and coder in df.columns else np.full(n, coder, dtype=object)
        memos = df[memo].astype(object).to_numpy() if memo is not None else np.full(n, None, dtype=object)
        # missing coders and memos are None, whatever the frame's string backend made of them
        coders = np.where(pd.isna(coders), None, coders).astype(object) if n else coders
        memos = np.where(pd.isna(memos), None, memos).astype(object) if n else memos
        # object columns stay object (no round trip through pandas' pyarrow strings)
        frame = pd.DataFrame(
            {
                "doc_id": pd.Series(np.array(corpus.doc_ids, dtype=object)[doc_pos] if n else np.array([], dtype=object),
                                    dtype=object),
                "start": starts,
                "end": ends,
                "code": pd.Series(resolved, dtype=object),
                "coder": pd.Series(coders, dtype=object),
                "memo": pd.Series(memos, dtype=object),
            }
        )
        return cls._sorted(corpus, codebook, frame, doc_pos)

    @classmethod
    def _sorted(cls, corpus: Corpus, codebook: Codebook, frame: pd.DataFrame, doc_pos: np.ndarray) -> Coding:
        order = np.lexsort((frame["end"].to_numpy(), frame["start"].to_numpy(), doc_pos))
        return cls(corpus, codebook, frame.iloc[order].reset_index(drop=True))

    # ------------------------------------------------------------------ access

    @property
    def corpus(self) -> Corpus:
        """The corpus the codings refer to."""
        return self._corpus

    @property
    def codebook(self) -> Codebook:
        """The codebook the codes come from."""
        return self._codebook

    def __len__(self) -> int:
        return len(self._frame)

    @property
    def frame(self) -> pd.DataFrame:
        """The codings with their ``text`` (the coded passage), ``turn``, ``speaker`` and the
        corpus attributes, in document, start, end order."""
        f = self._frame.copy()
        pos = self._doc_positions()
        texts = self._corpus._native.texts()
        f["text"] = [texts[p][s:e] for p, s, e in zip(pos.tolist(), f["start"].tolist(), f["end"].tolist())]
        turn = self._turns(pos)
        f["turn"] = nullable_turn(turn)
        f["speaker"] = self._corpus._turn_speakers(pos, turn)
        return self._corpus._with_attrs(f)

    def to_frame(self) -> pd.DataFrame:
        """The six stored columns only (``doc_id``, ``start``, ``end``, ``code``, ``coder``,
        ``memo``), e.g. to save and read back with :meth:`from_frame`.

        >>> import qualcore as qc
        >>> c = qc.Corpus.from_texts(["trust"]).autocode(qc.Codebook.from_dict({"T": ["trust"]}))
        >>> c.to_frame().values.tolist()
        [['doc1', 0, 5, 'T', 'autocode', None]]
        """
        return self._frame.copy()

    def _doc_positions(self) -> np.ndarray:
        if len(self._frame) == 0:
            return np.array([], dtype=np.int64)
        idx = pd.Index(self._corpus.doc_ids, dtype=object).get_indexer(pd.Index(self._frame["doc_id"], dtype=object))
        return np.asarray(idx, dtype=np.int64)

    def _turns(self, pos: np.ndarray) -> np.ndarray:
        """Turn of each coding's start (-1 outside turns)."""
        t = self._corpus._turn_table()
        out = np.full(len(pos), -1, dtype=np.int64)
        if len(t["doc"]) == 0 or len(pos) == 0:
            return out
        big = np.int64(1) << 40
        turn_key = t["doc"] * big + t["start"]
        key = pos * big + self._frame["start"].to_numpy()
        idx = np.searchsorted(turn_key, key, side="right") - 1
        ok = idx >= 0
        idx_ok = idx[ok]
        inside = (t["doc"][idx_ok] == pos[ok]) & (self._frame["start"].to_numpy()[ok] <= t["end"][idx_ok])
        sel = np.flatnonzero(ok)[inside]
        out[sel] = t["turn"][idx[sel]]
        return out

    def codes(self) -> list[str]:
        """The codes used, in codebook order."""
        used = set(self._frame["code"].tolist())
        return [p for p in self._codebook.paths if p in used]

    def filter(self, *, coder: str | Iterable[str] | None = None, code: str | None = None,
               descendants: bool = True, doc_id: str | Iterable[str] | None = None) -> Coding:
        """The codings of some coders, of a code (with its descendants unless
        ``descendants=False``) or of some documents.

        >>> import qualcore as qc
        >>> c = qc.Corpus.from_texts(["we trust data"]).autocode(qc.Codebook.from_dict({"T": {"A": ["trust"], "B": ["data"]}}))
        >>> len(c.filter(code="T")), len(c.filter(code="A"))
        (2, 1)
        """
        mask = np.ones(len(self), dtype=bool)
        if coder is not None:
            mask &= self._frame["coder"].isin([coder] if isinstance(coder, str) else list(coder)).to_numpy()
        if code is not None:
            path = self._codebook.resolve(code)
            keep = [path] + (self._codebook.descendants(path) if descendants else [])
            mask &= self._frame["code"].isin(keep).to_numpy()
        if doc_id is not None:
            mask &= self._frame["doc_id"].isin([doc_id] if isinstance(doc_id, str) else list(doc_id)).to_numpy()
        return Coding(self._corpus, self._codebook, self._frame[mask].reset_index(drop=True))

    def merge(self, *others: Coding) -> Coding:
        """These codings and those of ``others`` (same corpus and codebook), kept apart by
        their ``coder`` column; identical rows are kept once.

        >>> import qualcore as qc
        >>> corpus = qc.Corpus.from_texts(["we trust data"])
        >>> cb = qc.Codebook.from_dict({"T": ["trust"]})
        >>> a = corpus.autocode(cb, coder="A"); b = corpus.autocode(cb, coder="B")
        >>> sorted(a.merge(b, a).frame["coder"].tolist())
        ['A', 'B']
        """
        frames = [self._frame]
        for o in others:
            if o._codebook != self._codebook:
                raise CodingError("merge: the codings use different codebooks")
            if o._corpus._native is not self._corpus._native and o._corpus.doc_ids != self._corpus.doc_ids:
                raise CodingError("merge: the codings refer to different corpora")
            frames.append(o._frame)
        f = pd.concat(frames, ignore_index=True)
        f = f.drop_duplicates(subset=["doc_id", "start", "end", "code", "coder"]).reset_index(drop=True)
        positions = self._corpus._id_positions()
        pos = np.array([positions[d] for d in f["doc_id"].tolist()], dtype=np.int64)
        return Coding._sorted(self._corpus, self._codebook, f, pos)

    # ------------------------------------------------------------------ reporting

    def extracts(self, code: str, context: int = 0, label: str = "({doc_id})", descendants: bool = True) -> pd.DataFrame:
        """The passages coded with ``code`` (and its descendants), ready to quote: ``doc_id``,
        ``speaker``, ``code``, ``start``, ``end``, ``text``, ``context`` (the passage with
        ``context`` characters either side), ``label`` (``label`` formatted with the document's
        attributes, ``doc_id`` and ``speaker``, e.g. ``"({group} {doc_id})"``) and ``quote``
        (``"text" label``).

        >>> import qualcore as qc
        >>> corpus = qc.Corpus.from_texts(["I trust my GP."], doc_ids=["A1"], attributes={"group": ["Front-line"]})
        >>> coding = corpus.autocode(qc.Codebook.from_dict({"Trust": ["trust my gp"]}))
        >>> coding.extracts("Trust", label="({group} {doc_id})")["quote"].tolist()
        ['"trust my GP" (Front-line A1)']
        """
        if context < 0:
            raise ArgumentError(f"context: must be >= 0, got {context}")
        sub = self.filter(code=code, descendants=descendants)
        f = sub.frame
        texts = self._corpus._native.texts()
        pos = sub._doc_positions()
        f["context"] = [
            texts[p][max(0, s - context) : e + context] for p, s, e in zip(pos.tolist(), f["start"].tolist(), f["end"].tolist())
        ]
        records = f.to_dict("records")
        labels = []
        for r in records:
            try:
                labels.append(label.format(**{k: ("" if _missing(v) else v) for k, v in r.items()}))
            except KeyError as e:
                raise ArgumentError(f"label: {label!r} names {e} which is not a column (columns: {list(f.columns)})") from None
        f["label"] = labels
        f["quote"] = ['"' + t.strip() + '" ' + lab for t, lab in zip(f["text"].tolist(), labels)]
        cols = ["doc_id", "speaker", "code", "start", "end", "text", "context", "label", "quote"]
        return f[cols + [c for c in f.columns if c not in cols and c not in ("turn", "coder", "memo")]]

    def __repr__(self) -> str:
        coders = sorted({str(c) for c in self._frame["coder"].tolist()})
        return f"<qualcore.Coding: {len(self)} codings, {len(self.codes())} codes, coders {coders}>"


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _int_column(col: pd.Series, name: str, problems: dict[int, list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers of a column as int64, and a mask of the rows that are not (reported)."""
    n = len(col)
    if pd.api.types.is_integer_dtype(col.dtype) and not col.isna().any():
        return col.to_numpy(dtype=np.int64), np.zeros(n, dtype=bool)
    values = col.astype(object).to_numpy()
    out = np.zeros(n, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    for i, v in enumerate(values.tolist()):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and (v != v or v != int(v))):
            problems.setdefault(i, []).append(f"row {i}: {name} {v!r} is not a whole number")
            bad[i] = True
        else:
            out[i] = int(v)
    return out, bad


# ---------------------------------------------------------------------- counting


_COUNTS = ("cases", "units", "segments")


def _rolled(coding: Coding, level: int | None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(row index into the codings, node paths, node per row): each coding counted at every
    ancestor (level=None) or at its ancestor at ``level``."""
    cb = coding.codebook
    codes = coding._frame["code"].to_numpy()
    inverse, uniq = pd.factorize(pd.Series(codes, dtype=object))
    if level is None:
        nodes = cb.paths
        node_index = {p: i for i, p in enumerate(nodes)}
        depth = max(cb.depth, 1)
        table = np.full((len(uniq), depth), -1, dtype=np.int64)
        for k, c in enumerate(uniq):
            anc = [node_index[a] for a in cb.ancestors(c)]
            table[k, : len(anc)] = anc
        per_row = table[inverse]  # rows x depth
        rows = np.repeat(np.arange(len(codes), dtype=np.int64), depth)
        flat = per_row.reshape(-1)
        keep = flat >= 0
        return rows[keep], nodes, flat[keep]
    if level < 1:
        raise ArgumentError(f"level: must be >= 1 or None, got {level}")
    # Nodes at the level, and shallower nodes that are leaves or carry codings of their own (a
    # coding made at a theme is counted at the theme, never dropped).
    leaves = set(cb.leaves)
    coded = set(uniq)
    nodes = [c.path for c in cb if c.level == level or (c.level < level and (c.path in leaves or c.path in coded))]
    node_index = {p: i for i, p in enumerate(nodes)}
    mapped = np.array([node_index[cb.ancestor(c, level)] for c in uniq], dtype=np.int64)
    return np.arange(len(codes), dtype=np.int64), nodes, mapped[inverse] if len(codes) else np.array([], dtype=np.int64)


def _count_distinct(node: np.ndarray, group: np.ndarray, keys: np.ndarray, n_nodes: int, n_groups: int) -> np.ndarray:
    """``counts[node, group]`` = number of distinct keys (cases, units, spans) per node and group."""
    cells = n_nodes * n_groups
    if len(node) == 0:
        return np.zeros((n_nodes, n_groups), dtype=np.int64)
    if keys.min() < 0 or int(keys.max()) >= (1 << 62) // max(cells, 1):
        keys, _ = pd.factorize(keys)
    combined = keys.astype(np.int64) * cells + node * n_groups + group
    distinct = pd.unique(combined)
    return np.bincount(distinct % cells, minlength=cells).reshape(n_nodes, n_groups)


def _unit_keys(coding: Coding, count: str, rows: np.ndarray) -> np.ndarray:
    """An integer key per rolled row identifying what is counted once."""
    f = coding._frame
    pos = coding._doc_positions()[rows]
    if count == "cases":
        return pos
    if count == "units":
        turn = coding._turns(coding._doc_positions())[rows]
        # Text outside turns: each such coding start is its own unit.
        outside = turn < 0
        key = pos * (np.int64(1) << 32) + np.where(outside, (np.int64(1) << 31) + f["start"].to_numpy()[rows], turn)
        return key
    starts = f["start"].to_numpy()[rows]
    ends = f["end"].to_numpy()[rows]
    # one id per distinct (document, start, end): hashed, so no packing that could overflow
    return pd.DataFrame({"d": pos, "s": starts, "e": ends}).groupby(["d", "s", "e"], sort=False).ngroup().to_numpy(np.int64)


def code_matrix(
    coding: Coding,
    by: str | None = "group",
    count: str = "cases",
    level: int | None = None,
    proportions: bool = False,
    totals: bool = True,
) -> pd.DataFrame:
    """Codes × groups: how many ``cases`` (participants: documents), ``units`` (turns; text
    outside turns counts per coding) or ``segments`` (distinct coded spans) of each group hold
    each code.  Codes roll up the codebook: with ``level=None`` every node counts its own
    codings and its descendants', each case/unit/span once; ``level=k`` keeps the nodes at level
    ``k`` (and shallower leaves).  ``by`` is an attribute (or ``"doc_id"`` for codes ×
    documents; None for one column); ``totals`` adds an ``all`` column;
    ``proportions=True`` divides case counts by each group's number of cases.  The frame's
    ``attrs`` hold ``count`` and ``group_sizes``.

    >>> import qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["COI here", "coi", "nothing"], doc_ids=["A1", "B1", "B2"],
    ...                               attributes={"group": ["Front-line", "Leader", "Leader"]})
    >>> cb = qc.Codebook.from_dict({"Trust": {"Conflict of interest": ["coi"]}})
    >>> qc.code_matrix(corpus.autocode(cb), by="group").to_dict("index")
    {'Trust': {'Front-line': 1, 'Leader': 1, 'all': 2}, 'Trust > Conflict of interest': {'Front-line': 1, 'Leader': 1, 'all': 2}}
    >>> qc.code_matrix(corpus.autocode(cb), by="group", level=2, proportions=True).to_dict("index")
    {'Trust > Conflict of interest': {'Front-line': 1.0, 'Leader': 0.5, 'all': 0.6666666666666666}}
    """
    if count not in _COUNTS:
        raise ArgumentError(f"count: {count!r} is not one of {list(_COUNTS)}")
    if proportions and count != "cases":
        raise ArgumentError("proportions: only case counts can be divided by group sizes (count='cases')")
    corpus = coding.corpus
    rows, nodes, node_arr = _rolled(coding, level)
    keys = _unit_keys(coding, count, rows)
    pos = coding._doc_positions()[rows]
    docs = corpus.documents
    if by is None:
        group_of_doc = np.zeros(len(corpus), dtype=np.int64)
        groups = ["all"]
        totals = False
    else:
        if by not in docs.columns:
            raise ArgumentError(f"by: no attribute {by!r} (attributes: {list(corpus.attributes.columns)})")
        values = docs[by]
        cat = pd.Categorical(values, categories=docs["doc_id"]) if by == "doc_id" else pd.Categorical(values)
        groups = [str(g) for g in cat.categories]
        group_of_doc = cat.codes.astype(np.int64)
        if (group_of_doc < 0).any():
            groups.append("(missing)")
            group_of_doc = np.where(group_of_doc < 0, len(groups) - 1, group_of_doc)
    g = group_of_doc[pos]
    n_groups = len(groups)
    counts = _count_distinct(node_arr, g, keys, len(nodes), n_groups)
    out = pd.DataFrame(counts, index=pd.Index(nodes, name="code"), columns=pd.Index(groups, name=by or "group"))
    sizes = pd.Series(np.bincount(group_of_doc, minlength=n_groups), index=groups, name="cases")
    if totals:
        out["all"] = _count_distinct(node_arr, np.zeros_like(node_arr), keys, len(nodes), 1)[:, 0]
        sizes["all"] = len(corpus)
    if proportions:
        out = out / sizes.replace(0, np.nan)
    out.attrs["count"] = count
    out.attrs["group_sizes"] = sizes.to_dict()
    return out


def saturation(coding: Coding, order: Sequence[str] | None = None, level: int | None = None) -> pd.DataFrame:
    """Code saturation in interview order (corpus order, or ``order``, a list of doc ids):
    per document the codes it holds (``n_codes``), the codes first seen there (``new_codes``,
    ``new``) and the running total (``cumulative``).  Codes roll up as in :func:`code_matrix`
    (``level=None`` counts every node of the tree).  Plot it with
    ``qualcore.plot.saturation(df)``.

    >>> import qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["trust", "trust data", "data"], doc_ids=["P1", "P2", "P3"])
    >>> cb = qc.Codebook.from_dict({"T": ["trust"], "D": ["data"]})
    >>> qc.saturation(corpus.autocode(cb))[["doc_id", "n_codes", "new_codes", "cumulative"]].values.tolist()
    [['P1', 1, 1, 1], ['P2', 2, 1, 2], ['P3', 1, 0, 2]]
    """
    corpus = coding.corpus
    ids = corpus.doc_ids if order is None else list(order)
    unknown = [d for d in ids if d not in corpus]
    if unknown:
        raise ArgumentError(f"order: unknown documents {unknown[:20]}")
    if len(set(ids)) != len(ids):
        raise ArgumentError("order: a document is listed twice")
    rows, nodes, node_arr = _rolled(coding, level)
    doc_ids = coding._frame["doc_id"].to_numpy()[rows]
    rank = {d: i for i, d in enumerate(ids)}
    r = np.array([rank.get(d, -1) for d in doc_ids.tolist()], dtype=np.int64)
    keep = r >= 0
    pairs = pd.DataFrame({"rank": r[keep], "node": node_arr[keep]}).drop_duplicates()
    n_codes = np.bincount(pairs["rank"].to_numpy(), minlength=len(ids)) if len(pairs) else np.zeros(len(ids), dtype=np.int64)
    first = pairs.groupby("node")["rank"].min()
    new_codes = np.bincount(first.to_numpy(), minlength=len(ids)) if len(first) else np.zeros(len(ids), dtype=np.int64)
    new_lists: list[list[str]] = [[] for _ in ids]
    for node, rk in first.sort_index().items():
        new_lists[int(rk)].append(nodes[int(node)])
    return pd.DataFrame(
        {
            "doc_id": ids,
            "position": np.arange(1, len(ids) + 1),
            "n_codes": n_codes.astype(np.int64),
            "new_codes": new_codes.astype(np.int64),
            "cumulative": np.cumsum(new_codes).astype(np.int64),
            "new": new_lists,
        }
    )


def autocode(corpus: Corpus, codebook: Codebook, *, unit: str, speakers: Iterable[str] | None, coder: str,
             case_insensitive: bool, valuetype: str, threads: int | None) -> Coding:
    """See :meth:`Corpus.autocode` (which has the defaults)."""
    pairs = codebook.patterns()
    if not pairs:
        raise ArgumentError("codebook: no code has patterns to auto-code with")
    paths = list(dict.fromkeys(p for _, p in pairs))
    code_index = {p: i for i, p in enumerate(paths)}
    sp = None
    if speakers is not None:
        sp = [speakers] if isinstance(speakers, str) else list(speakers)
        unknown = sorted(set(sp) - set(corpus.speakers))
        if unknown:
            raise ArgumentError(f"speakers: {unknown} are not speakers of the corpus (speakers: {corpus.speakers})")
        if corpus.speaker_restriction is not None:
            sp = [s for s in sp if s in corpus.speaker_restriction]
    from ._patterns import compiled

    pats = [p for p, _ in pairs]
    codes = [code_index[c] for _, c in pairs]
    cols = corpus._native.autocode(
        pats, codes, unit=unit, valuetype=valuetype,
        case_insensitive=bool(case_insensitive), speakers=sp, threads=threads_arg(threads), code_names=paths,
        compiled=compiled(pats, valuetype, bool(case_insensitive), codes, paths),
    )
    doc = cols["doc"]
    n = len(doc)
    # Labels are taken from the few ids and paths, not converted row by row (pandas 3 turns
    # object columns of strings into its string dtype, which costs more than the coding).
    frame = pd.DataFrame(
        {
            "doc_id": take_labels(corpus.doc_ids, doc),
            "start": cols["start"],
            "end": cols["end"],
            "code": take_labels(paths, cols["code"]),
            "coder": take_labels([coder], np.zeros(n, dtype=np.intp)),
            "memo": np.full(n, None, dtype=object),
        }
    )
    return Coding(corpus, codebook, frame)


def _check_extract_columns(extracts: pd.DataFrame, doc: str, code: str, text: str) -> None:
    for arg, col in (("doc", doc), ("code", code), ("text", text)):
        if col not in extracts.columns:
            raise ArgumentError(f"{arg}: no column {col!r} in the extracts (columns: {list(extracts.columns)})")


def _flat_codebook(extracts: pd.DataFrame, code: str) -> Codebook:
    """The codebook :func:`align` uses when given none: the extracts' codes, flat, in order of
    first appearance."""
    return Codebook(Code(str(c)) for c in dict.fromkeys(extracts[code].tolist()))


def align(corpus: Corpus, extracts: pd.DataFrame, *, doc: str, code: str, text: str, codebook: Codebook | None,
          coder: str, tolerance: float, threads: int | None) -> tuple[Coding, pd.DataFrame]:
    """See :meth:`Corpus.align` (which has the defaults)."""
    _check_extract_columns(extracts, doc, code, text)
    if codebook is None:
        codebook = _flat_codebook(extracts, code)
    ids = [str(d) for d in extracts[doc].tolist()]
    positions = corpus._id_positions()
    pos = np.array([positions.get(d, -1) for d in ids], dtype=np.int64)
    texts = extracts[text].tolist()
    bad_text = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    known = pos >= 0
    valid = known.copy()
    valid[bad_text] = False
    idx = np.flatnonzero(valid)
    cols = corpus._native.align(pos[idx].tolist(), [texts[i] for i in idx], tolerance=tolerance, threads=threads_arg(threads))
    n = len(extracts)
    start = np.full(n, -1, dtype=np.int64)
    end = np.full(n, -1, dtype=np.int64)
    method = np.full(n, 3, dtype=np.int64)
    cand = np.zeros(n, dtype=np.int64)
    score = np.zeros(n, dtype=float)
    start[idx], end[idx], method[idx], cand[idx], score[idx] = cols["start"], cols["end"], cols["method"], cols["candidates"], cols["score"]
    reason = np.full(n, "", dtype=object)
    reason[~known] = "unknown document"
    reason[bad_text] = "extract is not text"
    reason[(method == 3) & (reason == "")] = "not found"
    codes = extracts[code].tolist()
    code_ok = np.array([isinstance(c, str) and c in codebook for c in codes], dtype=bool)
    reason[(~code_ok) & (reason == "")] = "unknown code"
    placed = reason == ""
    report = pd.DataFrame(
        {
            "row": np.arange(n),
            "placed": placed,
            "doc_id": ids,
            "code": codes,
            "method": _ALIGN_METHODS[method],
            "start": start,
            "end": end,
            "candidates": cand,
            "score": score,
            "reason": reason,
        }
    )
    spans = pd.DataFrame({"doc_id": np.array(ids, dtype=object)[placed], "start": start[placed], "end": end[placed],
                          "code": np.array(codes, dtype=object)[placed]})
    coding = Coding.from_frame(corpus, codebook, spans, coder=coder)
    return coding, report
