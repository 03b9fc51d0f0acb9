"""Term counts on a :class:`~qualcore.Tokens` handle: document-term matrices (:class:`Dfm`),
feature co-occurrence matrices (:class:`Fcm`), collocations and frequency tables.

Everything is vectorised over NumPy arrays of token ids: Python loops run over n-gram sizes,
window offsets or collocation sub-patterns, never over tokens.  Strings are built only for the
features that are returned.

Shared rules:

- Terms are the tokens' normalised forms (lower-cased unless the tokens were made with
  ``lowercase=False``); n-grams join them with one space, as scikit-learn does.
- ``words_only=True`` drops punctuation tokens before anything is counted (n-grams and windows
  then close up over them, as scikit-learn's analyzer and quanteda's
  ``tokens(remove_punct = TRUE)`` do); collocations instead never span punctuation.
- ``stop_words``: ``None``, ``"english"`` (:data:`ENGLISH_STOP_WORDS`, the Snowball list as
  R's tm and quanteda use it, with both ``'`` and ``’`` apostrophes) or an iterable of words,
  matched case-insensitively (as quanteda's ``tokens_remove``).  Stop words are removed before
  n-grams and windows are formed (as scikit-learn and quanteda without padding); in
  collocations they are pads, as quanteda recommends.
- No n-gram, window or collocation crosses a turn or a document: each turn, and each stretch
  of text outside turns, is its own unit (a document without turns is one unit).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from ._util import threads_arg
from .errors import ArgumentError

if TYPE_CHECKING:

    from ._tokens import Tokens

__all__ = ["Dfm", "Fcm", "ENGLISH_STOP_WORDS", "dfm", "fcm", "collocations", "frequency"]

_SNOWBALL_ENGLISH = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves what which who whom this that these
those am is are was were be been being have has had having do does did doing would should could
ought i'm you're he's she's it's we're they're i've you've we've they've i'd you'd he'd she'd we'd
they'd i'll you'll he'll she'll we'll they'll isn't aren't wasn't weren't hasn't haven't hadn't
doesn't don't didn't won't wouldn't shan't shouldn't can't cannot couldn't mustn't let's that's
who's what's here's there's when's where's why's how's a an the and but if or because as until
while of at by for with about against between into through during before after above below to from
up down in out on off over under again further then once here there when where why how all any
both each few more most other some such no nor not only own same so than too very
""".split()

#: The Snowball English stop words (174, as R's ``tm::stopwords("english")``), each
#: contraction also with a typographic apostrophe (``don’t``), as transcripts often have.
ENGLISH_STOP_WORDS: frozenset[str] = frozenset(_SNOWBALL_ENGLISH) | frozenset(
    w.replace("'", "\u2019") for w in _SNOWBALL_ENGLISH if "'" in w
)

FCM_CONTEXTS = ("document", "turn", "window")
FCM_COUNTS = ("frequency", "boolean", "weighted")
COLLOCATION_MEASURES = ("lambda", "pmi", "g2")
_BY_BUILTIN = ("document", "turn", "speaker")


# =========================================================================== token stream


class _Stream(NamedTuple):
    """All tokens of the corpus as flat arrays, documents in order."""

    ids: np.ndarray  # norm id of every token (int64)
    seg: np.ndarray  # unit of every token: non-decreasing, a new unit at every turn/document change
    seg_doc: np.ndarray  # document position of every unit
    seg_turn: np.ndarray  # turn of every unit (-1: text outside every turn)


def _stream(tokens: Tokens, threads: int | None = None) -> _Stream:
    """The token stream: norm ids and units from the native ``Tokens.flat()`` (no character
    offsets), on ``threads`` threads (None: ``$QUALCORE_THREADS`` or every core)."""
    d = tokens._native.flat(threads=threads_arg(threads))
    offsets = np.asarray(d["unit_offsets"], dtype=np.int64)
    seg = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
    return _Stream(np.asarray(d["norm"], dtype=np.int64), seg,
                   np.asarray(d["unit_doc"], dtype=np.int64), np.asarray(d["unit_turn"], dtype=np.int64))


def _stop_mask(norms: list[str], stop_words: Any) -> np.ndarray | None:
    """True for the norms that are stop words (case-insensitive), or None for no stop words."""
    if stop_words is None:
        return None
    if isinstance(stop_words, str):
        if stop_words != "english":
            raise ArgumentError(f"stop_words: expected None, 'english' or a list of words, got {stop_words!r}")
        words: frozenset[str] = ENGLISH_STOP_WORDS
    elif isinstance(stop_words, Iterable):
        listed = list(stop_words)
        bad = [w for w in listed if not isinstance(w, str)]
        if bad:
            raise ArgumentError(f"stop_words: expected strings, got {bad[:5]!r}")
        words = frozenset(listed)
    else:
        raise ArgumentError(f"stop_words: expected None, 'english' or a list of words, got {type(stop_words).__name__}")
    lowered = {w.lower() for w in words}
    if not norms:
        return np.zeros(0, dtype=bool)
    return pd.Index(norms, dtype=object).str.lower().isin(list(lowered))  # type: ignore[no-any-return]


def _filtered(tokens: Tokens, st: _Stream, words_only: bool, stop_words: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, seg) of the tokens that are counted: words only, stop words removed."""
    nat = tokens._native
    keep: np.ndarray | None = None
    if words_only:
        keep = np.asarray(nat.norm_is_word(), dtype=bool)
    stop = _stop_mask(nat.norms(), stop_words)
    if stop is not None:
        keep = ~stop if keep is None else keep & ~stop
    if keep is None or len(st.ids) == 0:
        return st.ids, st.seg
    m = keep[st.ids]
    return st.ids[m], st.seg[m]


def _counted_norms(nat: Any, words_only: bool, stop_words: Any) -> tuple[np.ndarray, np.ndarray]:
    """The normalised forms of native tokens or term counts (by id, as an object array) and
    which of them are counted: words only, stop words removed."""
    norms = np.array(nat.norms(), dtype=object)
    keep = np.asarray(nat.norm_is_word(), dtype=bool) if words_only else np.ones(len(norms), dtype=bool)
    stop = _stop_mask(list(norms), stop_words)
    if stop is not None:
        keep &= ~np.asarray(stop, dtype=bool)
    return norms, keep


def _ngram_range(ngrams: Any) -> tuple[int, int]:
    if isinstance(ngrams, (int, np.integer)) and not isinstance(ngrams, bool):
        lo = hi = int(ngrams)
    elif isinstance(ngrams, tuple) and len(ngrams) == 2 and all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in ngrams):
        lo, hi = int(ngrams[0]), int(ngrams[1])
    else:
        raise ArgumentError(f"ngrams: expected a whole number or a (min_n, max_n) tuple, got {ngrams!r}")
    if lo < 1 or hi < lo:
        raise ArgumentError(f"ngrams: expected 1 <= min_n <= max_n, got {ngrams!r}")
    return lo, hi


class _Occ(NamedTuple):
    """n-gram occurrences over a filtered stream."""

    feat: np.ndarray  # feature of every occurrence (compact ids, in order of first occurrence per n)
    start: np.ndarray  # first token of every occurrence (index into the filtered stream)
    feat_start: np.ndarray  # first occurrence of every feature
    feat_len: np.ndarray  # n of every feature


def _first_seen(codes: np.ndarray) -> np.ndarray:
    """Indices where each code of a ``pd.factorize`` result first appears (codes are numbered
    in order of first appearance, so a first appearance exceeds every earlier code)."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    prev = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    new[1:] = codes[1:] > prev[:-1]
    return np.flatnonzero(new)


def _ngrams(ids: np.ndarray, seg: np.ndarray, lo: int, hi: int, n_types: int) -> _Occ:
    """Every n-gram (lo <= n <= hi) inside one unit, and its feature.  An n-gram's code is built
    from the (n-1)-gram's code and the next id, re-numbered densely at each step so that codes
    stay far below 2**63 whatever n is."""
    L = len(ids)
    feats, starts, fstart, flen = [], [], [], []
    offset = 0
    code = ids
    base = np.int64(n_types + 1)
    for n in range(1, hi + 1):
        m = L - n + 1
        if m <= 0:
            break
        if n > 1:
            code = pd.factorize(code[:m] * base + ids[n - 1:])[0].astype(np.int64)
        if n < lo:
            continue
        valid = np.flatnonzero(seg[:m] == seg[n - 1:])
        compact = pd.factorize(code[valid])[0].astype(np.int64)
        first = _first_seen(compact)
        feats.append(compact + offset)
        starts.append(valid)
        fstart.append(valid[first])
        flen.append(np.full(len(first), n, dtype=np.int64))
        offset += len(first)
    if not feats:
        e = np.zeros(0, dtype=np.int64)
        return _Occ(e, e, e, e)
    return _Occ(np.concatenate(feats), np.concatenate(starts), np.concatenate(fstart), np.concatenate(flen))


def _names(ids: np.ndarray, start: np.ndarray, length: np.ndarray, norms: list[str]) -> np.ndarray:
    """The strings of n-grams given by their first token and length (norms joined by a space)."""
    arr = np.array(norms, dtype=object)
    out = arr[ids[start]] if len(start) else np.array([], dtype=object)
    for k in range(1, int(length.max()) if len(length) else 0):
        more = length > k
        out[more] = out[more] + " " + arr[ids[start[more] + k]]
    return out  # type: ignore[no-any-return]


def _csr64(m: Any) -> Any:
    """A canonical CSR matrix with 64-bit indices (DESIGN: matrices are scipy.sparse, 64-bit)."""
    m = m.tocsr()
    m.sum_duplicates()
    m.sort_indices()
    m.indices = m.indices.astype(np.int64)
    m.indptr = m.indptr.astype(np.int64)
    return m


# =========================================================================== rows (by=)


def _rows(tokens: Tokens, st: _Stream, by: Any, allow_turn: bool = True) -> tuple[np.ndarray, pd.DataFrame, pd.Index]:
    """The row of every unit (-1: left out), the row labels as a frame, and as an index."""
    corpus = tokens.corpus
    doc_ids = np.array(corpus.doc_ids, dtype=object)
    allowed = list(_BY_BUILTIN if allow_turn else ("document", "speaker")) + list(corpus.attributes.columns)
    if not isinstance(by, str) or by not in allowed:
        raise ArgumentError(f"by: {by!r} is not one of {allowed}")
    if by == "document":
        rows = pd.DataFrame({"doc_id": doc_ids})
        return st.seg_doc, rows, pd.Index(doc_ids, name="doc_id", dtype=object)
    if by in ("turn", "speaker"):
        t = corpus._turn_table()
        speakers = np.array(corpus._native.speakers(), dtype=object)
        restriction = corpus.speaker_restriction
        spk_ok = np.ones(len(speakers), dtype=bool) if restriction is None else np.isin(speakers, restriction)
        if by == "speaker":
            first = np.searchsorted(t["doc"], np.arange(len(corpus)), side="left")
            code = np.full(len(st.seg_doc), -1, dtype=np.int64)
            inside = st.seg_turn >= 0
            code[inside] = t["speaker"][first[st.seg_doc[inside]] + st.seg_turn[inside]]
            remap = np.cumsum(spk_ok) - 1
            ok = code >= 0
            ok[ok] = spk_ok[code[ok]]
            row = np.full(len(code), -1, dtype=np.int64)  # no speaker at all: every unit left out
            row[ok] = remap[code[ok]]
            names = speakers[spk_ok]
            return row, pd.DataFrame({"speaker": names}), pd.Index(names, name="speaker", dtype=object)
        tdoc, tturn, tspk = (np.asarray(t[k], dtype=np.int64) for k in ("doc", "turn", "speaker"))
        if restriction is None:
            active = np.ones(len(tdoc), dtype=bool)  # every turn, with or without a speaker
        else:
            active = tspk >= 0
            active[active] = spk_ok[tspk[active]]
        na_docs = np.unique(st.seg_doc[st.seg_turn < 0])
        if restriction is None:
            n_turns = np.asarray(corpus._native.doc_stats()[1], dtype=np.int64)
            na_docs = np.union1d(na_docs, np.flatnonzero(n_turns == 0))
        big = np.int64(1) << 32
        keys = np.concatenate([tdoc[active] * big + tturn[active] + 1, na_docs * big])
        spk = np.concatenate([tspk[active], np.full(len(na_docs), -1, dtype=np.int64)])
        order = np.argsort(keys, kind="stable")
        keys, spk = keys[order], spk[order]
        seg_keys = st.seg_doc * big + st.seg_turn + 1
        row = np.searchsorted(keys, seg_keys)
        if len(seg_keys) and (row.max() >= len(keys) or (keys[row] != seg_keys).any()):  # pragma: no cover
            raise AssertionError("internal error: a unit of the tokens is not a turn of the corpus")
        doc = keys // big
        turn = keys % big - 1
        rows = pd.DataFrame({
            "doc_id": doc_ids[doc] if len(doc) else np.array([], dtype=object),
            "turn": pd.arrays.IntegerArray(turn, turn < 0),
            "speaker": np.array([*speakers.tolist(), None], dtype=object)[spk] if len(spk) else np.array([], dtype=object),
        })
        return row.astype(np.int64), rows, pd.MultiIndex.from_frame(rows[["doc_id", "turn"]])
    values = corpus.documents[by]
    codes, uniques = pd.factorize(values, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    row = codes[st.seg_doc] if len(st.seg_doc) else np.zeros(0, dtype=np.int64)
    labels = pd.Index(uniques, name=by)
    return row, pd.DataFrame({by: labels}), labels


# =========================================================================== Dfm, Fcm


class _TermMatrix:
    """What :class:`Dfm` and :class:`Fcm` share: the sparse ``matrix`` and its terms
    (``vocabulary_``: ``{term: column}``; :meth:`get_feature_names_out`).

    >>> import qualcore as qc
    >>> d = qc.Corpus.from_texts(["b a b"]).tokens().dfm()
    >>> d.vocabulary_, d.shape
    ({'a': 0, 'b': 1}, (1, 2))
    """

    __slots__ = ("_features", "matrix", "vocabulary_")

    def __init__(self, matrix: Any, features: np.ndarray) -> None:
        self.matrix = matrix
        self._features = np.asarray(features, dtype=object)
        self.vocabulary_: dict[str, int] = {t: i for i, t in enumerate(self._features.tolist())}

    def get_feature_names_out(self) -> np.ndarray:
        """The terms, one per column (and, in an :class:`Fcm`, one per row): an object array,
        as scikit-learn returns.

        >>> import qualcore as qc
        >>> t = qc.Corpus.from_texts(["b a b"]).tokens()
        >>> t.dfm().get_feature_names_out().tolist(), t.fcm().get_feature_names_out().tolist()
        (['a', 'b'], ['a', 'b'])
        """
        return self._features.copy()

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, terms) of a :class:`Dfm`, (terms, terms) of an :class:`Fcm`.

        >>> import qualcore as qc
        >>> t = qc.Corpus.from_texts(["a b", "b c"]).tokens()
        >>> t.dfm().shape, t.fcm().shape
        ((2, 3), (3, 3))
        """
        return self.matrix.shape  # type: ignore[no-any-return]


class Dfm(_TermMatrix):
    """A document-term matrix: rows (documents, turns, speakers or groups) × terms, with the
    scikit-learn contract of a fitted ``CountVectorizer``.

    - ``matrix``: ``scipy.sparse.csr_matrix`` of int64 counts (64-bit indices);
    - ``vocabulary_``: ``{term: column}``; :meth:`get_feature_names_out`: terms by column,
      sorted by code point as scikit-learn sorts them;
    - ``rows``: a frame labelling the rows (``doc_id``; ``doc_id``, ``turn``, ``speaker``;
      ``speaker``; or the attribute) and :attr:`index` the same as a pandas index.

    >>> import qualcore as qc
    >>> d = qc.Corpus.from_texts(["We trust it.", "Trust me, trust."], doc_ids=["A1", "B1"]).tokens().dfm()
    >>> d
    <qualcore.Dfm: 2 documents × 4 terms, 6 counts>
    >>> d.get_feature_names_out().tolist(), d.vocabulary_["trust"]
    (['it', 'me', 'trust', 'we'], 2)
    >>> d.matrix.toarray().tolist()
    [[1, 0, 1, 1], [0, 1, 2, 0]]
    """

    __slots__ = ("rows", "by")

    def __init__(self, matrix: Any, features: np.ndarray, rows: pd.DataFrame, by: str, index: pd.Index) -> None:
        super().__init__(matrix, features)
        self.rows = rows
        self.rows.index = index
        self.by = by

    @property
    def index(self) -> pd.Index:
        """The row labels: document ids, (doc_id, turn) pairs, speakers or group values.

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["a", "b"], doc_ids=["x", "y"]).tokens().dfm().index.tolist()
        ['x', 'y']
        """
        return self.rows.index

    def to_frame(self, sparse: bool = False) -> pd.DataFrame:
        """The matrix as a labelled DataFrame (dense; ``sparse=True`` gives pandas sparse columns).

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["a b b"], doc_ids=["x"]).tokens().dfm().to_frame().to_dict("index")
        {'x': {'a': 1, 'b': 2}}
        """
        columns = pd.Index(self._features, name="term", dtype=object)
        if sparse:
            return pd.DataFrame.sparse.from_spmatrix(self.matrix, index=self.index, columns=columns)
        return pd.DataFrame(self.matrix.toarray(), index=self.index, columns=columns)

    def __repr__(self) -> str:
        what = {"document": "documents", "turn": "turns", "speaker": "speakers"}.get(self.by, f"groups of {self.by}")
        return f"<qualcore.Dfm: {self.shape[0]} {what} × {self.shape[1]} terms, {int(self.matrix.sum())} counts>"

    def _repr_html_(self) -> str:
        head = self.to_frame(sparse=False).iloc[:10, :20] if self.shape[1] else pd.DataFrame(index=self.index[:10])
        return f"<p>{self!r}</p>" + head.to_html()


def _doc_count_limit(value: Any, name: str, n_rows: int) -> float:
    """A min_df/max_df as a number of rows (scikit-learn: an int is a count, a float in [0, 1]
    a proportion)."""
    if isinstance(value, bool):
        raise ArgumentError(f"{name}: expected a whole number >= 0 or a proportion in [0.0, 1.0], got {value!r}")
    if isinstance(value, numbers.Integral):
        if value < 0:
            raise ArgumentError(f"{name}: expected a whole number >= 0, got {value!r}")
        return float(value)
    if isinstance(value, numbers.Real):
        if not 0.0 <= float(value) <= 1.0:
            raise ArgumentError(f"{name}: a proportion must be in [0.0, 1.0], got {value!r}")
        return float(value) * n_rows
    raise ArgumentError(f"{name}: expected a whole number >= 0 or a proportion in [0.0, 1.0], got {value!r}")


def _df_bounds(min_df: Any, max_df: Any, n_rows: int) -> tuple[float, float]:
    """min_df and max_df as numbers of rows, checked against each other."""
    low = _doc_count_limit(min_df, "min_df", n_rows)
    high = _doc_count_limit(max_df, "max_df", n_rows)
    if high < low and n_rows:
        raise ArgumentError(f"max_df ({max_df!r}) corresponds to fewer rows than min_df ({min_df!r})")
    return low, high


def _check_max_features(max_features: Any) -> None:
    if max_features is not None and (isinstance(max_features, bool) or not isinstance(max_features, numbers.Integral)
                                     or max_features < 1):
        raise ArgumentError(f"max_features: expected a whole number >= 1 or None, got {max_features!r}")


def _df_kept(x: Any, n_features: int, low: float, high: float) -> np.ndarray:
    """The columns of ``x`` (rows × terms counts) in at least one and between low and high rows."""
    dfs = np.bincount(x.indices, minlength=n_features)
    return np.flatnonzero((dfs > 0) & (dfs >= low) & (dfs <= high))


def _dfm_of(x: Any, kept: np.ndarray, names: np.ndarray, max_features: int | None, rows: pd.DataFrame, by: str,
            index: pd.Index) -> Dfm:
    """The Dfm of the columns ``kept`` of ``x`` (terms ``names``, sorted), cut to the
    ``max_features`` most frequent (ties by term)."""
    if max_features is not None and len(kept) > max_features:
        tfs = np.asarray(x.sum(axis=0)).ravel()[kept]
        top = np.sort(np.argsort(-tfs, kind="stable")[:max_features])
        kept, names = kept[top], names[top]
    return Dfm(_csr64(x[:, kept]), names, rows, by, index)


class _Counted(NamedTuple):
    """Single-term counts of documents or units, and the rows they go to."""

    nat: Any  # native Tokens or TermCounts
    per_document: bool  # units are whole documents (else turns and text outside turns)
    codes: np.ndarray  # the row of every document or unit (-1: left out)
    rows: pd.DataFrame  # the rows' labels
    index: pd.Index  # the same as an index
    unit_doc: np.ndarray  # the document of every unit


def _counted_rows(tokens: Tokens, by: Any, allow_turn: bool, threads: int | None) -> _Counted | None:
    """For single-term counts from each document's or unit's form counts: the native counts
    and the row of every document or unit.  ``by``: None (one row, ``"all"``), ``"document"``,
    ``"turn"`` (with ``allow_turn``), ``"speaker"`` or a document attribute; None for
    anything else (the general path names the argument)."""
    corpus = tokens.corpus
    n_docs = len(corpus)
    if by is not None and not isinstance(by, str):
        return None
    per_document = by not in ("turn", "speaker")
    if by == "turn" and not allow_turn:
        return None
    if per_document and by not in (None, "document") and (by in _BY_BUILTIN or by not in corpus.attributes.columns):
        return None
    nat: Any = tokens._unit_counts(per_document, threads_arg(threads))
    unit_doc = np.arange(n_docs, dtype=np.int64)
    if by is None:
        codes = np.zeros(n_docs, dtype=np.int64)
        index = pd.Index(["all"], dtype=object)
        rows = pd.DataFrame({"group": index})
    elif by == "document":
        codes = np.arange(n_docs, dtype=np.int64)
        doc_ids = np.array(corpus.doc_ids, dtype=object)
        rows = pd.DataFrame({"doc_id": doc_ids})
        index = pd.Index(doc_ids, name="doc_id", dtype=object)
    elif per_document:
        codes_, uniques = pd.factorize(corpus.documents[by], sort=True)
        codes = np.asarray(codes_, dtype=np.int64)
        index = pd.Index(uniques, name=by)
        rows = pd.DataFrame({by: index})
    else:
        # the rows of the general path, from the units' (document, turn) labels
        unit_doc, unit_turn = (np.asarray(a, dtype=np.int64) for a in nat.unit_labels())
        empty = np.zeros(0, dtype=np.int64)
        codes, rows, index = _rows(tokens, _Stream(empty, empty, unit_doc, unit_turn), by, allow_turn=allow_turn)
    return _Counted(nat, per_document, codes, rows, index, unit_doc)


def _dfm_by_document(tokens: Tokens, by: Any, min_df: float, max_df: float, max_features: int | None,
                     stop_words: Any, words_only: bool, threads: int | None) -> Dfm | None:
    """Single terms by document, turn, speaker or document attribute, from each document's
    (or unit's) form counts, without the token stream (the general path holds 16 bytes a
    token in numpy arrays); None for an unknown ``by`` (the general path names it)."""
    from scipy import sparse as sp

    if by is None:
        return None  # the general path names the argument
    counted = _counted_rows(tokens, by, True, threads)
    if counted is None:
        return None
    nat, per_document, rows, index = counted.nat, counted.per_document, counted.rows, counted.index
    codes = None if by == "document" else counted.codes  # by document: the rows as they are
    n_rows = len(rows)
    low, high = _df_bounds(min_df, max_df, n_rows)
    norms, keep = _counted_norms(nat, words_only, stop_words)
    cand = np.flatnonzero(keep)
    cand = cand[np.argsort(np.asarray(nat.norm_ranks())[cand])]  # columns sorted by code point
    feature = np.full(len(norms), -1, dtype=np.int64)
    feature[cand] = np.arange(len(cand))
    indptr, indices, data = nat.unit_matrix(feature, len(cand), per_document)
    x = _csr_native(indptr, indices, data, (len(indptr) - 1, len(cand)))
    if codes is not None:
        ok = codes >= 0  # units (documents) without a row are left out
        group = sp.csr_matrix((np.ones(int(ok.sum()), dtype=np.int64), (codes[ok], np.flatnonzero(ok))),
                              shape=(n_rows, len(codes)))
        x = _csr64(group @ x)
    kept = _df_kept(x, len(cand), low, high)
    return _dfm_of(x, kept, norms[cand][kept], max_features, rows, by, index)


def dfm(tokens: Tokens, *, by: str, ngrams: int | tuple[int, int], min_df: float, max_df: float,
        max_features: int | None, stop_words: str | Iterable[str] | None, words_only: bool,
        threads: int | None = None) -> Dfm:
    """Rows × terms counts; see :meth:`qualcore.Tokens.dfm` (which has the defaults)."""
    from scipy import sparse as sp

    lo, hi = _ngram_range(ngrams)
    _check_max_features(max_features)
    if lo == hi == 1:
        fast = _dfm_by_document(tokens, by, min_df, max_df, max_features, stop_words, words_only, threads)
        if fast is not None:
            return fast
    st = _stream(tokens, threads)
    row_of_seg, rows, index = _rows(tokens, st, by)
    n_rows = len(rows)
    low, high = _df_bounds(min_df, max_df, n_rows)
    norms = tokens._native.norms()
    ids, seg = _filtered(tokens, st, words_only, stop_words)
    occ = _ngrams(ids, seg, lo, hi, len(norms))
    r = row_of_seg[seg[occ.start]] if len(occ.start) else np.zeros(0, dtype=np.int64)
    keep = r >= 0
    n_feat = len(occ.feat_start)
    x = _csr64(sp.coo_matrix((np.ones(int(keep.sum()), dtype=np.int64), (r[keep], occ.feat[keep])),
                             shape=(n_rows, n_feat)))
    kept = _df_kept(x, n_feat, low, high)
    names = _names(ids, occ.feat_start[kept], occ.feat_len[kept], norms)
    order = np.argsort(names.astype(str), kind="stable") if len(names) else np.zeros(0, dtype=np.int64)
    return _dfm_of(x, kept[order], names[order], max_features, rows, by, index)


class Fcm(_TermMatrix):
    """A feature co-occurrence matrix: terms × terms, as ``scipy.sparse.csr_matrix``
    (int64 counts, float64 when weighted; 64-bit indices), never dense.

    ``vocabulary_`` / :meth:`get_feature_names_out` label rows and columns (the same terms,
    sorted by code point); ``margin`` holds each term's frequency (as quanteda's ``margin``);
    ``context``, ``count``, ``window``, ``weights``, ``ordered``, ``tri`` say how it was counted.

    >>> import qualcore as qc
    >>> f = qc.Corpus.from_texts(["a b a"]).tokens().fcm()
    >>> f
    <qualcore.Fcm: 2 × 2 terms, context='turn', count='frequency'>
    >>> f.to_frame().values.tolist()
    [[1, 2], [2, 0]]
    """

    __slots__ = ("margin", "context", "count", "window", "weights", "ordered", "tri")

    def __init__(self, matrix: Any, features: np.ndarray, margin: np.ndarray, context: str, count: str,
                 window: int | None, weights: np.ndarray | None, ordered: bool, tri: bool) -> None:
        super().__init__(matrix, features)
        self.margin = pd.Series(margin, index=pd.Index(self._features, name="term", dtype=object), name="frequency")
        self.context = context
        self.count = count
        self.window = window
        self.weights = weights
        self.ordered = ordered
        self.tri = tri

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a dense labelled DataFrame (rows: term, columns: the co-occurring term).

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["a b"]).tokens().fcm("window", window=1).to_frame().to_dict()
        {'a': {'a': 0, 'b': 1}, 'b': {'a': 1, 'b': 0}}
        """
        labels = pd.Index(self._features, dtype=object)
        return pd.DataFrame(self.matrix.toarray(), index=labels.rename("term"), columns=labels.rename("other"))

    def tidy(self) -> pd.DataFrame:
        """The non-zero cells as rows ``term``, ``other``, ``value`` (row-major, in term order;
        each unordered pair once — ``term <= other`` — unless ``ordered``).

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["a b a"]).tokens().fcm("window", window=1).tidy().values.tolist()
        [['a', 'b', 2]]
        """
        coo = self.matrix.tocoo()
        keep = np.ones(coo.nnz, dtype=bool) if self.ordered else coo.row <= coo.col
        r, c, v = coo.row[keep], coo.col[keep], coo.data[keep]
        order = np.lexsort((c, r))
        return pd.DataFrame({"term": self._features[r[order]], "other": self._features[c[order]], "value": v[order]})

    def __repr__(self) -> str:
        w = f", window={self.window}" if self.context == "window" else ""
        o = ", ordered" if self.ordered else ""
        t = ", upper triangle" if self.tri else ""
        return (f"<qualcore.Fcm: {self.shape[0]} × {self.shape[1]} terms, context={self.context!r}, "
                f"count={self.count!r}{w}{o}{t}>")

    def _repr_html_(self) -> str:
        return f"<p>{self!r}</p>" + self.to_frame().iloc[:20, :20].to_html()


def _check_fcm_args(context: str, count: str, window: Any, weights: Sequence[float] | None, ordered: bool, tri: bool,
                    within: str | None, max_features: Any) -> tuple[int | None, str | None, np.ndarray | None]:
    """Checks the arguments of :meth:`qualcore.Tokens.fcm`; returns the window and ``within``
    with their defaults for ``context="window"`` (else as given) and the weight of each
    distance (None unless ``context="window"``)."""
    if context not in FCM_CONTEXTS:
        raise ArgumentError(f"context: {context!r} is not one of {list(FCM_CONTEXTS)}")
    if count not in FCM_COUNTS:
        raise ArgumentError(f"count: {count!r} is not one of {list(FCM_COUNTS)}")
    if context != "window":
        for name, value in (("window", window), ("weights", weights), ("within", within)):
            if value is not None:
                raise ArgumentError(f"{name}: only used with context='window', not {context!r}")
        if ordered:
            raise ArgumentError(f"ordered: only used with context='window', not {context!r}")
        if count == "weighted":
            raise ArgumentError(f"count: 'weighted' needs context='window' (distances), not {context!r}")
    else:
        window = 5 if window is None else window
        if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 1:
            raise ArgumentError(f"window: expected a whole number >= 1, got {window!r}")
        window = int(window)
        within = "turn" if within is None else within
        if within not in ("turn", "document"):
            raise ArgumentError(f"within: {within!r} is not one of ['turn', 'document']")
    if weights is not None and count != "weighted":
        raise ArgumentError(f"weights: only used with count='weighted', not {count!r}")
    if ordered and tri:
        raise ArgumentError("tri: an ordered matrix is not symmetric; use tri=False with ordered=True")
    _check_max_features(max_features)
    w: np.ndarray | None = None
    if context == "window":
        assert window is not None
        if count == "weighted":
            if weights is None:
                w = 1.0 / np.arange(1, window + 1, dtype=np.float64)
            else:
                w = np.asarray(list(weights), dtype=np.float64)
                if w.shape != (window,):
                    raise ArgumentError(f"weights: expected {window} weights (one per distance 1..window), got {len(w)}")
        else:
            w = np.ones(window, dtype=np.float64)
    return window, within, w


def fcm(tokens: Tokens, *, context: str, window: int | None, count: str, weights: Sequence[float] | None,
        ordered: bool, tri: bool, within: str | None, stop_words: str | Iterable[str] | None, words_only: bool,
        max_features: int | None, threads: int | None = None) -> Fcm:
    """Feature co-occurrence; see :meth:`qualcore.Tokens.fcm` (which has the defaults)."""
    window, within, w = _check_fcm_args(context, count, window, weights, ordered, tri, within, max_features)
    if not (context == "window" and count == "boolean"):
        return _fcm_native(tokens, context, count, window, w, ordered, tri, within, stop_words, words_only,
                           max_features, threads)
    st = _stream(tokens, threads)
    norms = tokens._native.norms()
    ids, seg = _filtered(tokens, st, words_only, stop_words)
    # Features: every counted term, sorted by code point; f is each token's feature.
    uniq, f = np.unique(ids, return_inverse=True)
    f = f.astype(np.int64)
    names = np.array(norms, dtype=object)[uniq] if len(uniq) else np.array([], dtype=object)
    order = np.argsort(names.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    f = rank[f] if len(f) else f
    names = names[order]
    margin = np.bincount(f, minlength=len(names)).astype(np.int64)
    if max_features is not None and len(names) > max_features:
        # Keep the most frequent terms (ties by term); the others keep their positions
        # (distances are unchanged), as quanteda's fcm_select after fcm.
        top = np.sort(np.argsort(-margin, kind="stable")[:max_features])
        new = np.full(len(names), -1, dtype=np.int64)
        new[top] = np.arange(len(top))
        f = new[f]
        names, margin = names[top], margin[top]
    n = len(names)
    if n == 0:
        return _fcm_of(None, names, margin, context, count, window, w, ordered, tri)

    # only boolean windows come here (the other counts are native, see _fcm_native)
    assert context == "window" and count == "boolean" and w is not None and window is not None
    unit = seg if within == "turn" else st.seg_doc[seg]
    m = _window_boolean(f, unit, window, n, ordered)
    return _fcm_of(m, names, margin, context, count, window, w, ordered, tri)


def _fcm_native(tokens: Tokens, context: str, count: str, window: int | None, w: np.ndarray | None, ordered: bool,
                tri: bool, within: str | None, stop_words: Any, words_only: bool, max_features: int | None,
                threads: int | None = None) -> Fcm:
    """fcm straight from the token ids in Rust: the features are chosen here from the norms'
    counts (no per-token arrays), the pairs are counted natively, row by row in parallel.
    Document and turn contexts on tokens not yet used come from each unit's form counts."""
    threads = threads_arg(threads)
    nat: Any = tokens._native if context == "window" else tokens._unit_counts(context == "document", threads)
    norms, keep = _counted_norms(nat, words_only, stop_words)
    counts = np.asarray(nat.norm_counts(), dtype=np.int64)
    feature = np.full(len(norms), -2, dtype=np.int64)  # -2: taken out of the stream
    cand = np.flatnonzero(keep & (counts > 0))
    # sorted by code point (ranked in Rust: no fixed-width string array of every form)
    cand = cand[np.argsort(np.asarray(nat.norm_ranks())[cand])]
    names = norms[cand]
    margin = counts[cand]
    feature[cand] = np.arange(len(cand))
    if max_features is not None and len(names) > max_features:
        # the most frequent terms (ties by term); the others keep their places (-1)
        top = np.sort(np.argsort(-margin, kind="stable")[:max_features])
        feature[cand] = -1
        feature[cand[top]] = np.arange(len(top))
        names, margin = names[top], margin[top]
    n = len(names)
    dtype = np.float64 if count == "weighted" else np.int64
    if n == 0:
        return _fcm_of(None, names, margin, context, count, window, w, ordered, tri)
    if context in ("document", "turn"):
        indptr, indices, data = nat.fcm_units(feature, n, context == "document", count == "boolean", threads)
    else:
        assert w is not None
        # counted forwards ("b follows a"); the symmetric matrix is M + M.T (made in Rust), so
        # that weighted sums are exactly symmetric (the same two numbers added)
        indptr, indices, data = nat.fcm_window(feature, n, [float(x) for x in w], True, within == "document",
                                               threads, symmetric=not ordered)
    m = _csr_native(indptr, indices, data.astype(dtype, copy=False), (n, n))
    return _fcm_of(m, names, margin, context, count, window, w, ordered, tri)


def _fcm_of(m: Any, names: np.ndarray, margin: np.ndarray, context: str, count: str, window: int | None,
            w: np.ndarray | None, ordered: bool, tri: bool) -> Fcm:
    """The Fcm of the counts ``m`` (None: no term), its upper triangle when ``tri``; ``window``
    is kept only with ``context="window"``."""
    from scipy import sparse as sp

    if m is None:
        m = _csr64(sp.csr_matrix((0, 0), dtype=np.float64 if count == "weighted" else np.int64))
    elif tri:
        m = _csr64(sp.triu(m))
    return Fcm(m, names, margin, context, count, window if context == "window" else None, w, ordered, tri)


def _csr_native(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int]) -> Any:
    """A CSR matrix over the native arrays as they are (64-bit, canonical: sorted columns, no
    duplicates), without the copies scipy's constructor makes to shrink the index type."""
    from scipy import sparse as sp

    m = sp.csr_matrix(shape, dtype=data.dtype)
    m.data, m.indices, m.indptr = data, indices, indptr
    m.has_sorted_indices = True
    m.has_canonical_format = True
    return m


def _window_boolean(f: np.ndarray, unit: np.ndarray, window: int, n: int, ordered: bool) -> Any:
    """Units in which a and b co-occur within the window (ordered: a before b); unordered, the
    diagonal is doubled as in quanteda (the matrix is S + S.T of the upper-triangle counts)."""
    from scipy import sparse as sp

    us, ps = [], []
    for d in range(1, window + 1):
        if d >= len(f):
            break
        a, b = f[:-d], f[d:]
        ok = (unit[:-d] == unit[d:]) & (a >= 0) & (b >= 0)
        a, b, u = a[ok], b[ok], unit[:-d][ok]
        if not ordered:
            a, b = np.minimum(a, b), np.maximum(a, b)
        us.append(u)
        ps.append(a * np.int64(n) + b)
    if not us:
        return _csr64(sp.csr_matrix((n, n), dtype=np.int64))
    frame = pd.DataFrame({"u": np.concatenate(us), "p": np.concatenate(ps)}).drop_duplicates()
    pair = frame["p"].to_numpy()
    s = sp.coo_matrix((np.ones(len(pair), dtype=np.int64), (pair // n, pair % n)), shape=(n, n)).tocsr()
    return _csr64(s if ordered else s + s.T)


# =========================================================================== collocations


def collocations(tokens: Tokens, *, size: int | Sequence[int], min_count: int, measure: str, smoothing: float,
                 stop_words: str | Iterable[str] | None, words_only: bool, threads: int | None = None) -> pd.DataFrame:
    """Collocations; see :meth:`qualcore.Tokens.collocations` (which has the defaults)."""
    sizes = [size] if isinstance(size, (int, np.integer)) and not isinstance(size, bool) else size
    if not isinstance(sizes, (list, tuple, range)) or not sizes or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in sizes):
        raise ArgumentError(f"size: expected a whole number >= 2 or a list of them, got {size!r}")
    if any(s < 2 for s in sizes) or any(s > 8 for s in sizes):
        raise ArgumentError(f"size: collocation sizes must be between 2 and 8, got {size!r}")
    sizes = sorted({int(s) for s in sizes}, reverse=True)
    if measure not in COLLOCATION_MEASURES:
        raise ArgumentError(f"measure: {measure!r} is not one of {list(COLLOCATION_MEASURES)}")
    if isinstance(min_count, bool) or not isinstance(min_count, numbers.Integral) or min_count < 1:
        raise ArgumentError(f"min_count: expected a whole number >= 1, got {min_count!r}")
    if isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Real) or smoothing < 0:
        raise ArgumentError(f"smoothing: expected a number >= 0, got {smoothing!r}")

    nat = tokens._native
    norms = nat.norms()
    st = _stream(tokens, threads)
    ids, seg = st.ids, st.seg
    L = len(ids)
    marked = ~np.asarray(nat.norm_is_word(), dtype=bool)[ids] if words_only and L else np.zeros(L, dtype=bool)
    stop = _stop_mask(norms, stop_words)
    padded_tok = stop[ids] if stop is not None and L else np.zeros(L, dtype=bool)
    cmark = np.concatenate([[0], np.cumsum(marked)])
    cpad = np.concatenate([[0], np.cumsum(padded_tok)])
    covered = np.zeros(L + 1, dtype=np.int64)  # difference array of positions covered by larger n-grams
    base = np.int64(len(norms) + 1)
    frames = []
    for s in sizes:
        m = L - s + 1
        if m <= 0:
            continue
        ccov = np.concatenate([[0], np.cumsum(np.cumsum(covered)[:L] > 0)])
        i = np.flatnonzero((seg[:m] == seg[s - 1:]) & (cmark[s:] - cmark[:m] == 0))
        padded = cpad[i + s] - cpad[i] > 0
        nested = (ccov[i + s] - ccov[i] > 0) & ~padded
        np.add.at(covered, i[~padded], 1)
        np.add.at(covered, i[~padded] + s, -1)
        n_total = len(i)
        if n_total == 0:
            continue
        full = _tuple_codes(ids, i, range(s), base)  # the s-gram of every occurrence
        count = np.bincount(full)
        cand = np.flatnonzero((count >= min_count) & (np.bincount(full, weights=padded) == 0))
        if len(cand) == 0:
            continue
        rep_occ = _first_seen(full)[cand]  # one occurrence of each candidate
        rep = i[rep_occ]  # and its first token
        # Marginal counts m_S: occurrences agreeing with the candidate on the positions in S.
        marg: dict[int, np.ndarray] = {0: np.full(len(cand), float(n_total))}
        for mask in range(1, 1 << s):
            pos = [k for k in range(s) if mask >> k & 1]
            codes = full if mask == (1 << s) - 1 else _tuple_codes(ids, i, pos, base)
            marg[mask] = np.bincount(codes)[codes[rep_occ]].astype(np.float64)
        # Cell counts n_c (c: the positions that agree exactly) by inclusion-exclusion.
        cells = {}
        for c in range(1 << s):
            tot = np.zeros(len(cand))
            for t in range(1 << s):
                if t & c == c:
                    sign = -1.0 if bin(t ^ c).count("1") % 2 else 1.0
                    tot += sign * marg[t]
            cells[c] = tot
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = np.zeros(len(cand))
            inv = np.zeros(len(cand))
            for c, nc in cells.items():
                sign = -1.0 if (s - bin(c).count("1")) % 2 else 1.0
                lam += sign * np.log(nc + smoothing)
                inv += 1.0 / (nc + smoothing)
            z = lam / np.sqrt(inv)
            single = np.array([marg[1 << k] for k in range(s)])  # (s, n_cand)
            n11 = cells[(1 << s) - 1]
            pmi = np.log2(n11) + (s - 1) * np.log2(float(n_total)) - np.log2(single).sum(axis=0)
            p = single / float(n_total)
            g2 = np.zeros(len(cand))
            for c, nc in cells.items():
                e = float(n_total) * np.prod([p[k] if c >> k & 1 else 1 - p[k] for k in range(s)], axis=0)
                g2 += np.where(nc > 0, nc * np.log(nc / e), 0.0)
            g2 *= 2.0
        frames.append(pd.DataFrame({
            "collocation": _names(ids, rep, np.full(len(rep), s, dtype=np.int64), norms),
            "count": count[cand].astype(np.int64),
            "count_nested": np.bincount(full, weights=nested, minlength=len(count))[cand].astype(np.int64),
            "length": np.int64(s),
            "lambda": lam,
            "z": z,
            "pmi": pmi,
            "g2": g2,
        }))
    cols = ["collocation", "count", "count_nested", "length", "lambda", "z", "pmi", "g2"]
    if not frames:
        out = pd.DataFrame({c: pd.Series(dtype=object if c == "collocation" else (np.int64 if c in (
            "count", "count_nested", "length") else np.float64)) for c in cols})
        return out
    out = pd.concat(frames, ignore_index=True)
    key = "z" if measure == "lambda" else measure
    out["collocation"] = out["collocation"].astype(object)
    out = out.sort_values([key, "collocation"], ascending=[False, True], na_position="last", kind="stable")
    return out.reset_index(drop=True)[cols]


def _tuple_codes(ids: np.ndarray, starts: np.ndarray, positions: Iterable[int], base: np.int64) -> np.ndarray:
    """Dense codes of the tuples ``ids[starts + k] for k in positions``, numbered in order of
    first appearance (so ``np.bincount(codes)[codes]`` counts each occurrence's tuple)."""
    code: np.ndarray | None = None
    for k in positions:
        nxt = ids[starts + k]
        code = nxt if code is None else pd.factorize(code * base + nxt)[0].astype(np.int64)
    assert code is not None
    return pd.factorize(code)[0].astype(np.int64)


# =========================================================================== frequency


def _frequency_by_document(tokens: Tokens, by: Any, n: int | None, stop_words: Any, words_only: bool,
                           threads: int | None) -> pd.DataFrame | None:
    """:func:`frequency` of single terms for all documents, by document, by speaker or by a
    document attribute, from each document's (or unit's) form counts (no token stream: the
    general path holds 16 bytes a token in numpy arrays, and more to find document
    frequencies); None for an unknown ``by`` (the general path names it)."""
    from scipy import sparse as sp

    counted = _counted_rows(tokens, by, False, threads)
    if counted is None:
        return None
    nat, per_document, codes, labels, unit_doc = (counted.nat, counted.per_document, counted.codes, counted.index,
                                                  counted.unit_doc)
    n_docs = len(tokens.corpus)
    norms, keep = _counted_norms(nat, words_only, stop_words)
    # columns are norm ids: ids number the forms in order of first occurrence, the order
    # ties keep
    feature = np.where(keep, np.arange(len(norms), dtype=np.int64), -1)
    indptr, indices, data = nat.unit_matrix(feature, len(norms), per_document)
    x = _csr_native(indptr, indices, data, (len(codes), len(norms)))
    ok = codes >= 0
    group = sp.csr_matrix((np.ones(int(ok.sum()), dtype=np.int64), (codes[ok], np.flatnonzero(ok))),
                          shape=(len(labels), len(codes)))
    # document frequencies: the (group, document) pairs using each term, then pairs per group
    pair_key = codes[ok] * np.int64(max(n_docs, 1)) + unit_doc[ok]
    pairs, pair_of_unit = np.unique(pair_key, return_inverse=True)
    to_pair = sp.csr_matrix((np.ones(len(pair_of_unit), dtype=np.int64), (pair_of_unit.ravel(), np.flatnonzero(ok))),
                            shape=(len(pairs), len(codes)))
    used = _csr64(to_pair @ x)
    used.data = np.ones(len(used.data), dtype=np.int64)
    pair_group = sp.csr_matrix((np.ones(len(pairs), dtype=np.int64), (pairs // max(n_docs, 1), np.arange(len(pairs)))),
                               shape=(len(labels), len(pairs)))
    # counts are positive: both products store the same cells, in the same order once sorted
    freq, docf = _csr64(group @ x), _csr64(pair_group @ used)
    if not (np.array_equal(freq.indptr, docf.indptr) and np.array_equal(freq.indices, docf.indices)):
        raise AssertionError("internal error: frequencies and document frequencies differ in shape")  # pragma: no cover
    g = np.repeat(np.arange(len(labels), dtype=np.int64), np.diff(freq.indptr))
    frame = pd.DataFrame({"g": g, "f": freq.indices, "frequency": freq.data.astype(np.int64),
                          "docfreq": docf.data.astype(np.int64)})
    frame = frame[frame["frequency"] > 0]
    frame = frame.sort_values(["g", "frequency", "f"], ascending=[True, False, True], kind="stable")
    frame["rank"] = frame.groupby("g")["frequency"].rank(method="min", ascending=False).astype(np.int64)
    if n is not None:
        frame = frame.groupby("g", sort=False).head(int(n))
    return pd.DataFrame({
        "group": np.asarray(labels, dtype=object)[frame["g"].to_numpy()] if len(frame) else np.array([], dtype=object),
        "term": norms[frame["f"].to_numpy()] if len(frame) else np.array([], dtype=object),
        "frequency": frame["frequency"].to_numpy(),
        "docfreq": frame["docfreq"].to_numpy(),
        "rank": frame["rank"].to_numpy(),
    })


def frequency(tokens: Tokens, *, by: str | None, n: int | None, ngrams: int | tuple[int, int],
              stop_words: str | Iterable[str] | None, words_only: bool, threads: int | None = None) -> pd.DataFrame:
    """Top terms by group; see :meth:`qualcore.Tokens.frequency` (which has the defaults)."""
    from scipy import sparse as sp

    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
        raise ArgumentError(f"n: expected a whole number >= 1 or None, got {n!r}")
    lo, hi = _ngram_range(ngrams)
    if lo == hi == 1:
        fast = _frequency_by_document(tokens, by, n, stop_words, words_only, threads)
        if fast is not None:
            return fast
    st = _stream(tokens, threads)
    if by is None:
        row_of_seg = np.zeros(len(st.seg_doc), dtype=np.int64)
        labels = pd.Index(["all"], dtype=object)
    else:
        row_of_seg, _, labels = _rows(tokens, st, by, allow_turn=False)
    norms = tokens._native.norms()
    ids, seg = _filtered(tokens, st, words_only, stop_words)
    occ = _ngrams(ids, seg, lo, hi, len(norms))
    useg = seg[occ.start] if len(occ.start) else np.zeros(0, dtype=np.int64)
    g = row_of_seg[useg]
    d = st.seg_doc[useg]
    ok = g >= 0
    g, d, feat = g[ok], d[ok], occ.feat[ok]
    n_feat, n_groups = len(occ.feat_start), len(labels)
    freq = _csr64(sp.coo_matrix((np.ones(len(g), dtype=np.int64), (g, feat)), shape=(n_groups, n_feat)))
    distinct = pd.DataFrame({"g": g, "d": d, "f": feat}).drop_duplicates()
    docf = _csr64(sp.coo_matrix((np.ones(len(distinct), dtype=np.int64), (distinct["g"].to_numpy(),
                                                                          distinct["f"].to_numpy())),
                                shape=(n_groups, n_feat)))
    coo = freq.tocoo()
    frame = pd.DataFrame({"g": coo.row.astype(np.int64), "f": coo.col.astype(np.int64),
                          "frequency": coo.data.astype(np.int64), "docfreq": docf.tocoo().data.astype(np.int64)})
    frame["_first"] = occ.feat_start[frame["f"].to_numpy()]
    frame["_len"] = occ.feat_len[frame["f"].to_numpy()]
    frame = frame.sort_values(["g", "frequency", "_first", "_len"], ascending=[True, False, True, True], kind="stable")
    frame["rank"] = frame.groupby("g")["frequency"].rank(method="min", ascending=False).astype(np.int64)
    if n is not None:
        frame = frame.groupby("g", sort=False).head(int(n))
    fs = frame["f"].to_numpy()
    terms = _names(ids, occ.feat_start[fs], occ.feat_len[fs], norms)
    out = pd.DataFrame({
        "group": np.asarray(labels, dtype=object)[frame["g"].to_numpy()] if len(frame) else np.array([], dtype=object),
        "term": terms,
        "frequency": frame["frequency"].to_numpy(),
        "docfreq": frame["docfreq"].to_numpy(),
        "rank": frame["rank"].to_numpy(),
    })
    return out
