"""Tokens: a handle on a tokenised corpus kept in Rust."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import _native
from ._util import categorical, nullable_turn, threads_arg
from .errors import UnknownDocumentError

if TYPE_CHECKING:
    from ._corpus import Corpus
    from ._terms import Dfm, Fcm

__all__ = ["Tokens"]


class Tokens:
    """The tokens of a corpus, held in Rust as integer ids over a vocabulary.

    Token positions are 0-based per document over all tokens (words and punctuation; speaker
    labels are not tokens); offsets are Python string indices.  Strings are built only when a
    frame is asked for, and then as categoricals (one string per distinct form).

    The ids (4 bytes a token) are made on first use.  Document- or turn-level co-occurrence
    (``fcm("document")``, ``fcm("turn")``) asked of tokens not used yet counts each unit's
    forms in one pass without them: the same numbers, in a few bytes per distinct form of a
    unit.

    >>> import qualcore as qc
    >>> t = qc.Corpus.from_texts(["I trust it. Trust!"], doc_ids=["A1"]).tokens()
    >>> t.n_tokens.tolist(), t.n_words.tolist()
    ([6], [4])
    >>> t.counts().head(2).to_dict()
    {'trust': 2, 'i': 1}
    """

    __slots__ = ("_built", "_corpus", "_counts", "_lowercase", "_threads")

    def __init__(self, corpus: Corpus, native: _native.Tokens | None = None, *, lowercase: bool = True,
                 threads: int | None = None) -> None:
        # The token ids are made on first use (``_native``): document- and turn-level counts
        # (``fcm(context="document"|"turn")``) asked of tokens not yet used count the forms of
        # each unit in one pass instead, without the corpus's token ids (4 bytes a token).
        self._corpus = corpus
        self._built = native
        self._counts: dict[bool, _native.TermCounts] = {}  # per_document -> the units' form counts
        self._lowercase = lowercase
        self._threads = threads

    @property
    def _native(self) -> _native.Tokens:
        """The tokens in Rust, tokenised on first use."""
        if self._built is None:
            self._built = self._corpus._native.tokens(lowercase=self._lowercase, threads=self._threads)
        return self._built

    def _unit_counts(self, per_document: bool, threads: int | None) -> _native.Tokens | _native.TermCounts:
        """What document- or turn-level counts are made from: the token ids once they exist,
        otherwise each unit's forms with their counts (the same numbers, by form)."""
        if self._built is not None:
            return self._built
        if per_document not in self._counts:
            self._counts[per_document] = self._corpus._native.term_counts(
                lowercase=self._lowercase, per_document=per_document, threads=threads)
        return self._counts[per_document]

    @property
    def corpus(self) -> Corpus:
        """The corpus these tokens come from."""
        return self._corpus

    @property
    def vocabulary(self) -> pd.Index:
        """Normalised forms (lower-cased unless ``lowercase=False``) in order of first
        occurrence; a form's position is its id."""
        return pd.Index(self._native.norms(), dtype=object, name="norm")

    @property
    def n_tokens(self) -> pd.Series:
        """Number of tokens (words and punctuation) per document."""
        n, _ = self._native.doc_lengths()
        return pd.Series(n.astype(np.int64), index=pd.Index(self._corpus.doc_ids, name="doc_id"), name="n_tokens")

    @property
    def n_words(self) -> pd.Series:
        """Number of word tokens (with a letter, digit or ideograph) per document."""
        _, w = self._native.doc_lengths()
        return pd.Series(w.astype(np.int64), index=pd.Index(self._corpus.doc_ids, name="doc_id"), name="n_words")

    def __len__(self) -> int:
        return int(self._native.doc_lengths()[0].sum())

    def counts(self, words_only: bool = True) -> pd.Series:
        """Corpus frequency of each normalised form, most frequent first (ties in order of
        first occurrence); punctuation is left out unless ``words_only=False``.

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["b a b ."]).tokens().counts(words_only=False).to_dict()
        {'b': 2, 'a': 1, '.': 1}
        """
        # from each document's form counts while the ids are not made (the same vocabulary)
        nat = self._unit_counts(True, self._threads)
        counts = nat.norm_counts().astype(np.int64)
        s = pd.Series(counts, index=pd.Index(nat.norms(), dtype=object, name="norm"), name="count")
        if words_only:
            s = s[nat.norm_is_word()]
        return s.sort_values(ascending=False, kind="stable")

    def ids(self, doc_id: str) -> np.ndarray:
        """Vocabulary ids (positions in :attr:`vocabulary`) of a document's tokens.

        >>> import qualcore as qc
        >>> t = qc.Corpus.from_texts(["a b A"], doc_ids=["d"]).tokens()
        >>> t.ids("d").tolist()
        [0, 1, 0]
        """
        pos = self._corpus._id_positions().get(doc_id)
        if pos is None:
            raise UnknownDocumentError(f"no document with id {doc_id!r}")
        return self._native.type_norms()[self._native.ids(pos)]  # type: ignore[no-any-return]

    def to_frame(self, threads: int | None = None) -> pd.DataFrame:
        """One row per token: ``doc_id``, ``turn`` (nullable), ``speaker``, ``position``,
        ``start``, ``end``, ``token`` (original form), ``norm``, ``kind`` (``word`` or
        ``punct``) and the attributes.  ``token``, ``norm`` and ``doc_id`` are categoricals.

        >>> import qualcore as qc
        >>> f = qc.Corpus.from_texts(["Siân: Don't!"]).tokens().to_frame()
        >>> f[["token", "norm", "start", "end", "kind"]].values.tolist()
        [['Siân', 'siân', 0, 4, 'word'], [':', ':', 4, 5, 'punct'], ["Don't", "don't", 6, 11, 'word'], ['!', '!', 11, 12, 'punct']]
        """
        cols = self._native.columns(threads=threads_arg(threads))
        types = self._native.types()
        type_norm = self._native.type_norms()
        norms = self._native.norms()
        is_word = self._native.norm_is_word()
        ty = cols["type"]
        norm_codes = type_norm[ty] if len(ty) else np.array([], dtype=np.int64)
        df = pd.DataFrame(
            {
                "doc_id": categorical(cols["doc"], self._corpus.doc_ids),
                "turn": nullable_turn(cols["turn"]),
                "speaker": self._corpus._turn_speakers(cols["doc"], cols["turn"]),
                "position": cols["position"],
                "start": cols["start"],
                "end": cols["end"],
                "token": categorical(ty, types),
                "norm": categorical(norm_codes, norms),
                "kind": categorical(np.where(is_word[norm_codes], 0, 1) if len(ty) else np.array([], dtype=np.int64), ["word", "punct"]),
            }
        )
        return self._corpus._with_attrs(df)

    # ------------------------------------------------------------------ term counts

    def dfm(
        self,
        by: str = "document",
        *,
        ngrams: int | tuple[int, int] = 1,
        min_df: float = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        stop_words: str | Iterable[str] | None = None,
        words_only: bool = True,
        threads: int | None = None,
    ) -> Dfm:
        """Document-term matrix: counts of each term per document (``by="document"``), per turn
        (``"turn"``: one row per turn of the corpus, plus a row ``turn=<NA>`` per document for
        its text outside turns, or for a document without turns), per speaker (``"speaker"``)
        or per group of documents (an attribute name; groups sorted, documents with a missing
        value left out).  Returns a :class:`~qualcore._terms.Dfm` with the scikit-learn
        contract (``matrix``, ``vocabulary_``, ``get_feature_names_out()``) and row labels.

        Counting follows ``CountVectorizer`` on the same token lists: terms are the norms
        (lower-cased as the tokens are), sorted by code point; ``ngrams=2`` or ``(1, 2)`` joins
        norms with a space; stop words (``"english"`` or a list, case-insensitive) are removed
        before n-grams are formed; ``min_df``/``max_df`` keep terms by the number of rows that
        contain them (an int is a count, a float in [0, 1] a proportion of the rows);
        ``max_features`` keeps the most frequent (ties by term).  Unlike ``CountVectorizer``,
        no n-gram crosses a turn or a document, and punctuation is dropped unless
        ``words_only=False``.  ``threads`` sets the threads of the native work (None:
        ``$QUALCORE_THREADS`` or every core); results do not depend on it.

        >>> import qualcore as qc
        >>> t = qc.Corpus.from_texts(["I trust it. Trust!", "Data I trust."], doc_ids=["A1", "B1"]).tokens()
        >>> d = t.dfm(ngrams=(1, 2), min_df=2)
        >>> d.get_feature_names_out().tolist(), d.matrix.toarray().tolist()
        (['i', 'i trust', 'trust'], [[1, 1, 2], [1, 1, 1]])
        >>> t.dfm(stop_words="english").to_frame().to_dict("index")
        {'A1': {'data': 0, 'trust': 2}, 'B1': {'data': 1, 'trust': 1}}
        """
        from ._terms import dfm

        return dfm(self, by=by, ngrams=ngrams, min_df=min_df, max_df=max_df, max_features=max_features,
                   stop_words=stop_words, words_only=words_only, threads=threads)

    def fcm(
        self,
        context: str = "turn",
        *,
        window: int | None = None,
        count: str = "frequency",
        weights: Sequence[float] | None = None,
        ordered: bool = False,
        tri: bool = False,
        within: str | None = None,
        stop_words: str | Iterable[str] | None = None,
        words_only: bool = True,
        max_features: int | None = None,
        threads: int | None = None,
    ) -> Fcm:
        """Feature co-occurrence matrix (terms × terms, scipy.sparse, never dense), with
        quanteda's ``fcm()`` numbers for the same tokens.  Returns a
        :class:`~qualcore._terms.Fcm`; terms are sorted by code point.

        ``context``:

        - ``"turn"`` (default) or ``"document"``: ``count="frequency"`` gives n_a·n_b summed over
          the units (turns — each stretch of text outside turns is its own unit — or
          documents), and on the diagonal C(n_a, 2), the pairs of occurrences of a term;
          ``"boolean"`` the number of units holding both, and on the diagonal the units where
          the term occurs at least twice.
        - ``"window"``: tokens within ``window`` (default 5) positions of each other, inside
          one turn (``within="document"`` lets windows cross turns).  The cell (a, b) counts
          the pairs of tokens (i, j), i ≠ j, |i − j| <= window, with a at i and b at j —
          so an unordered pair of different terms counts once in (a, b) and once in (b, a),
          and a pair of the same term twice on the diagonal (quanteda's diagonal).
          ``count="weighted"`` weighs a pair at distance k by ``weights[k-1]`` (default 1/k);
          ``"boolean"`` counts the units (turns, or documents with ``within="document"``)
          where the pair occurs in a window (diagonal doubled as in quanteda).
          ``ordered=True`` counts only b after a in cell (a, b) (diagonal not doubled).

        Differences from quanteda: the default ``context`` is ``"turn"`` (quanteda:
        ``"document"``; they agree on documents without turns) and the full symmetric
        matrix is returned (``tri=True`` keeps the upper triangle with the diagonal,
        quanteda's default); terms are sorted (quanteda: first occurrence — compare after
        ``fcm_sort``); windows never cross turns unless asked; ``tri=True`` with
        ``ordered=True`` is an error (quanteda ignores ``tri``); ``weights`` without
        ``count="weighted"`` is an error (quanteda ignores them).  Punctuation and stop words
        are removed before windows are formed (quanteda's ``tokens_remove`` without padding);
        ``max_features`` keeps the most frequent terms afterwards, their distances unchanged
        (quanteda's ``fcm_select``).  ``threads`` as in :meth:`dfm`.

        >>> import qualcore as qc
        >>> t = qc.Corpus.from_texts(["a b c a"]).tokens()
        >>> t.fcm("window", window=2).to_frame().values.tolist()
        [[0, 2, 2], [2, 0, 1], [2, 1, 0]]
        >>> t.fcm("document").to_frame().values.tolist()
        [[1, 2, 2], [2, 0, 1], [2, 1, 0]]
        """
        from ._terms import fcm

        return fcm(self, context=context, window=window, count=count, weights=weights, ordered=ordered, tri=tri,
                   within=within, stop_words=stop_words, words_only=words_only, max_features=max_features,
                   threads=threads)

    def collocations(
        self,
        size: int | Sequence[int] = 2,
        min_count: int = 2,
        *,
        measure: str = "lambda",
        smoothing: float = 0.5,
        stop_words: str | Iterable[str] | None = None,
        words_only: bool = True,
        threads: int | None = None,
    ) -> pd.DataFrame:
        """Multi-word expressions scored as quanteda.textstats' ``textstat_collocations``: one
        row per sequence of ``size`` adjacent words (or each size of a list) seen at least
        ``min_count`` times, with ``collocation``, ``count``, ``count_nested`` (occurrences
        inside an occurrence of a longer size asked for), ``length``, ``lambda`` and ``z``
        (Blaheta & Johnson's K-way interaction of the 2^K table of agreements with the
        candidate over every K-gram, each cell plus ``smoothing``; z its Wald statistic),
        ``pmi`` (log2 of count · N^(K−1) / ∏ positional word counts) and ``g2`` (likelihood
        ratio G² of the table against independence, unsmoothed).  Sorted by ``measure``
        (``"lambda"`` sorts by its z, as quanteda; ``"pmi"``, ``"g2"``), then collocation.

        No sequence crosses a turn, a document or (with ``words_only=True``) a non-word token:
        such sequences are not counted at all, as quanteda ignores sequences holding a
        punctuation token (quanteda: tokens matching ``^\\p{P}+$``; here also symbols and
        emoji).  Stop words are pads, as quanteda recommends: sequences with them count in the
        tables but are not candidates.

        >>> import qualcore as qc
        >>> t = qc.Corpus.from_texts(["I like good ice cream.", "Me too!  I like good ice cream."]).tokens()
        >>> c = t.collocations()
        >>> c["collocation"].tolist()
        ['good ice', 'i like', 'ice cream', 'like good']
        >>> c["count"].tolist(), c.loc[0, ["lambda", "z"]].astype(float).round(6).tolist()
        ([2, 2, 2, 2], [4.317488, 2.027787])
        """
        from ._terms import collocations

        return collocations(self, size=size, min_count=min_count, measure=measure, smoothing=smoothing,
                            stop_words=stop_words, words_only=words_only, threads=threads)

    def frequency(
        self,
        by: str | None = None,
        n: int | None = 20,
        *,
        ngrams: int | tuple[int, int] = 1,
        stop_words: str | Iterable[str] | None = None,
        words_only: bool = True,
        threads: int | None = None,
    ) -> pd.DataFrame:
        """The ``n`` most frequent terms (all with ``n=None``) per group, as quanteda.textstats'
        ``textstat_frequency``: a tidy frame ``group``, ``term``, ``frequency``, ``docfreq``
        (documents of the group using the term), ``rank`` (1 = most frequent; ties share the
        lowest rank).  ``by``: None (one group ``"all"``), ``"document"``, ``"speaker"`` or an
        attribute.  Within a group, ties are in order of first occurrence in the corpus; a
        tie at the cut is cut.

        >>> import qualcore as qc
        >>> c = qc.Corpus.from_texts(["trust the data", "the data, the data", "trust"],
        ...                          attributes={"group": ["x", "x", "y"]})
        >>> c.tokens().frequency(by="group", n=2).values.tolist()
        [['x', 'the', 3, 2, 1], ['x', 'data', 3, 2, 1], ['y', 'trust', 1, 1, 1]]
        """
        from ._terms import frequency

        return frequency(self, by=by, n=n, ngrams=ngrams, stop_words=stop_words, words_only=words_only,
                         threads=threads)

    def __repr__(self) -> str:
        return f"<qualcore.Tokens: {len(self)} tokens, {len(self._native.norms())} forms, {len(self._corpus)} documents>"
