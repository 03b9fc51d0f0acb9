"""Tokens: a handle on a tokenised corpus kept in Rust."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import _native
from ._util import categorical, nullable_turn, threads_arg
from .errors import UnknownDocumentError

if TYPE_CHECKING:
    from ._corpus import Corpus

__all__ = ["Tokens"]


class Tokens:
    """The tokens of a corpus, held in Rust as integer ids over a vocabulary.

    Token positions are 0-based per document over all tokens (words and punctuation; speaker
    labels are not tokens); offsets are Python string indices.  Strings are built only when a
    frame is asked for, and then as categoricals (one string per distinct form).

    >>> import qualcore as qc
    >>> t = qc.Corpus.from_texts(["I trust it. Trust!"], doc_ids=["A1"]).tokens()
    >>> t.n_tokens.tolist(), t.n_words.tolist()
    ([6], [4])
    >>> t.counts().head(2).to_dict()
    {'trust': 2, 'i': 1}
    """

    __slots__ = ("_corpus", "_native")

    def __init__(self, corpus: Corpus, native: _native.Tokens) -> None:
        self._corpus = corpus
        self._native = native

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
        counts = self._native.norm_counts().astype(np.int64)
        s = pd.Series(counts, index=self.vocabulary, name="count")
        if words_only:
            s = s[self._native.norm_is_word()]
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

    def __repr__(self) -> str:
        return f"<qualcore.Tokens: {len(self)} tokens, {len(self._native.norms())} forms, {len(self._corpus)} documents>"
