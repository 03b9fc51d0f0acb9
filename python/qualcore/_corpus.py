"""The Corpus: documents, speaker turns and participant attributes."""

from __future__ import annotations

import glob as _glob
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _native
from ._util import categorical, nullable_turn, threads_arg
from .errors import ArgumentError, CorpusError, DuplicateIdError, TranscriptError, UnknownDocumentError

if TYPE_CHECKING:
    from ._codebook import Codebook
    from ._coding import Coding
    from ._kwic import KwicFrame
    from ._tokens import Tokens

__all__ = ["Corpus", "Document", "read_transcripts", "TURN_SEPARATOR", "DEFAULT_LABEL_PATTERN"]

#: Separator placed between the texts of consecutive turns when a document is built from turn
#: rows (:meth:`Corpus.from_frame` with ``speaker=``).  Offsets refer to the joined text.
TURN_SEPARATOR = "\n\n"

#: The default speaker-label pattern of :func:`read_transcripts` (a regex matched at the start
#: of each line; group ``speaker`` is the name): one to four words, each starting with a capital
#: letter, digit or ideograph, then a colon.  ``Dan:``, ``Interviewer 1:``, ``B3:``,
#: ``Dr. Siân Jones:``, ``李:`` are labels; ``So the answer is: no`` is not.
DEFAULT_LABEL_PATTERN: str = _native.default_label_pattern()

#: Column names that results already use; attributes may not take them.
RESERVED_COLUMNS = frozenset(
    {
        "doc_id", "turn", "speaker", "interviewer", "start", "end", "text", "label_start",
        "label_end", "time_start", "time_end", "n_chars", "n_turns", "position", "token", "norm",
        "kind", "pattern", "token_start", "token_end", "pre", "match", "post", "sentence",
    }
)


@dataclass(frozen=True)
class Document:
    """One document of a corpus: its id, text and attributes.

    >>> import qualcore as qc
    >>> qc.Corpus.from_texts(["Hello."], doc_ids=["A1"], attributes={"group": ["Front-line"]})["A1"]
    Document(doc_id='A1', text='Hello.', attributes={'group': 'Front-line'})
    """

    doc_id: str
    text: str
    attributes: dict[str, Any] = field(default_factory=dict)


class Corpus:
    """Documents (``doc_id``, text), their speaker turns and participant attributes.

    A corpus is immutable: every method that changes something returns a new corpus.  The texts
    and turns live in Rust; attributes are a pandas DataFrame indexed by ``doc_id``.  Offsets
    everywhere are Python string indices into the document's text (code points, 0-based,
    end-exclusive), so ``text[start:end]`` is always the turn, token or match.

    >>> import qualcore as qc
    >>> c = qc.Corpus.from_texts(["I trust the evidence.", "No trust."], doc_ids=["A1", "B1"],
    ...                          attributes={"group": ["front-line", "leader"]})
    >>> len(c), c.doc_ids
    (2, ['A1', 'B1'])
    >>> c["B1"].text
    'No trust.'
    >>> c.filter(group="leader").doc_ids
    ['B1']
    """

    __slots__ = ("_native", "_attributes", "_interviewers", "_cache")

    def __init__(
        self,
        native: _native.Corpus,
        attributes: pd.DataFrame | None = None,
        interviewers: Iterable[str] = (),
    ) -> None:
        self._native = native
        ids = native.doc_ids()
        if attributes is None:
            attributes = pd.DataFrame(index=pd.Index(ids, name="doc_id", dtype=object))
        self._attributes = attributes
        self._interviewers = frozenset(interviewers)
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_texts(
        cls,
        texts: Sequence[str] | pd.Series,
        doc_ids: Sequence[Any] | None = None,
        attributes: pd.DataFrame | Mapping[str, Sequence[Any]] | None = None,
        speaker_labels: bool | str = False,
        interviewer: Iterable[str] = (),
        threads: int | None = None,
    ) -> Corpus:
        """A corpus of documents, one per text: whole documents without turns by default, or
        split into speaker turns at speaker labels as :func:`read_transcripts` does for files
        when ``speaker_labels`` is True (the default label pattern) or a regex with a group
        named ``speaker``.

        ``doc_ids`` default to ``"doc1"``, ``"doc2"`` … (or the index of a Series); they are
        converted to ``str`` and must be unique.  ``attributes`` is a frame or mapping of
        columns, one value per document, in the same order.  ``interviewer`` names the
        interviewers.

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["one", "two"]).doc_ids
        ['doc1', 'doc2']
        >>> c = qc.Corpus.from_texts(["Dan: Why?\\nA1: Trust."], doc_ids=["A1"], speaker_labels=True,
        ...                          interviewer=["Dan"])
        >>> c.turns[["speaker", "text", "interviewer"]].values.tolist()
        [['Dan', 'Why?', True], ['A1', 'Trust.', False]]
        """
        if isinstance(texts, str):
            raise ArgumentError("texts: expected a sequence of str, got a single str (wrap it in a list)")
        if isinstance(texts, pd.Series):
            if doc_ids is None and not isinstance(texts.index, pd.RangeIndex):
                doc_ids = list(texts.index)
            texts = texts.tolist()
        texts = list(texts)
        ids = [f"doc{i + 1}" for i in range(len(texts))] if doc_ids is None else _as_ids(doc_ids)
        if len(ids) != len(texts):
            raise ArgumentError(f"doc_ids: {len(ids)} ids for {len(texts)} texts")
        if speaker_labels is False:
            native = _native.Corpus.build(ids, texts)
        else:
            bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
            if bad:
                raise ArgumentError(f"texts: item {bad[0]} is {type(texts[bad[0]]).__name__}, not str")
            pattern = DEFAULT_LABEL_PATTERN if speaker_labels is True else speaker_labels
            if not isinstance(pattern, str):
                raise ArgumentError(f"speaker_labels: expected True, False or a regex str, got {speaker_labels!r}")
            native = _native.Corpus.parse_texts(ids, texts, pattern, threads_arg(threads))
        corpus = cls(native, interviewers=[str(i) for i in interviewer])
        if attributes is not None:
            frame = pd.DataFrame(attributes)
            if len(frame) != len(ids):
                raise ArgumentError(f"attributes: {len(frame)} rows for {len(ids)} documents")
            frame = frame.reset_index(drop=True)
            frame.insert(0, "doc_id", ids)
            corpus = corpus.with_attributes(frame)
        return corpus

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        text: str = "text",
        doc_id: str = "doc_id",
        speaker: str | None = None,
        *,
        time_start: str | None = None,
        time_end: str | None = None,
        attributes: Sequence[str] | None = None,
        interviewer: Iterable[str] = (),
        separator: str = TURN_SEPARATOR,
    ) -> Corpus:
        """A corpus from a DataFrame whose rows are documents, or turns when ``speaker`` is given.

        Rows are documents (``speaker=None``): ``doc_id`` values must be unique; the other
        columns become attributes unless ``attributes`` names the ones to keep.

        Rows are turns (``speaker="speaker"``): the rows of a document, in frame order, are its
        turns; its text is their texts joined by ``separator`` (``"\\n\\n"``), and each turn's
        offsets point into that joined text.  ``attributes`` names document-level columns, which
        must hold one value per document.  ``time_start``/``time_end`` name columns of seconds.
        ``interviewer`` names the speakers who are interviewers.

        >>> import pandas as pd, qualcore as qc
        >>> df = pd.DataFrame({"doc_id": ["A1", "A1"], "speaker": ["Dan", "A1"],
        ...                    "text": ["Do you trust it?", "Not really."]})
        >>> c = qc.Corpus.from_frame(df, speaker="speaker", interviewer=["Dan"])
        >>> c["A1"].text
        'Do you trust it?\\n\\nNot really.'
        >>> c.turns[["speaker", "start", "end", "text", "interviewer"]].values.tolist()
        [['Dan', 0, 16, 'Do you trust it?', True], ['A1', 18, 29, 'Not really.', False]]
        """
        if not isinstance(df, pd.DataFrame):
            raise ArgumentError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
        for arg, col in (("text", text), ("doc_id", doc_id), ("speaker", speaker),
                         ("time_start", time_start), ("time_end", time_end)):
            if col is not None and col not in df.columns:
                raise ArgumentError(f"{arg}: no column {col!r} in the frame (columns: {list(df.columns)})")
        if attributes is not None:
            missing = [a for a in attributes if a not in df.columns]
            if missing:
                raise ArgumentError(f"attributes: no column {missing} in the frame (columns: {list(df.columns)})")
        if df[doc_id].isna().any():
            rows = np.flatnonzero(df[doc_id].isna().to_numpy())[:10].tolist()
            raise ArgumentError(f"doc_id: missing ids at rows {rows}")
        ids = _as_ids(df[doc_id])
        if speaker is None:
            texts = df[text].tolist()
            native = _native.Corpus.build(ids, texts)
            keep = [c for c in df.columns if c not in (text, doc_id)] if attributes is None else list(attributes)
            corpus = cls(native, interviewers=interviewer)
            if keep:
                frame = df[keep].reset_index(drop=True)
                frame.insert(0, "doc_id", ids)
                corpus = corpus.with_attributes(frame)
            return corpus

        values = df[text].tolist()
        bad = [i for i, v in enumerate(values) if not isinstance(v, str)]
        if bad:
            i = bad[0]
            raise TypeError(
                f"text: row {i} (document {ids[i]!r}) is not a str but {type(values[i]).__name__}"
                + (f" ({len(bad)} such rows)" if len(bad) > 1 else "")
            )
        order = pd.Index(ids).unique()
        codes = pd.Index(order).get_indexer(ids)
        sorter = np.argsort(codes, kind="stable")
        codes_sorted = codes[sorter]
        texts_sorted = [values[i] for i in sorter]
        lengths = np.fromiter((len(t) for t in texts_sorted), dtype=np.int64, count=len(texts_sorted))
        step = lengths + len(separator)
        cum = np.cumsum(step)
        first_of_doc = np.r_[0, np.flatnonzero(np.diff(codes_sorted)) + 1] if len(codes_sorted) else np.array([], dtype=np.int64)
        doc_base = np.zeros(len(order), dtype=np.int64)
        doc_base[codes_sorted[first_of_doc]] = cum[first_of_doc] - step[first_of_doc]
        starts = cum - step - doc_base[codes_sorted]
        ends = starts + lengths
        doc_texts: list[list[str]] = [[] for _ in range(len(order))]
        for c, t in zip(codes_sorted.tolist(), texts_sorted):
            doc_texts[c].append(t)
        joined = [separator.join(parts) for parts in doc_texts]
        spk = df[speaker].to_numpy()[sorter]
        speakers = [None if _isna(s) else str(s) for s in spk]

        def times(col: str | None) -> list[float]:
            if col is None:
                return [float("nan")] * len(sorter)
            return pd.to_numeric(df[col], errors="raise").astype(float).to_numpy()[sorter].tolist()

        minus = [-1] * len(sorter)
        turns = (codes_sorted.tolist(), speakers, starts.tolist(), ends.tolist(), minus, minus,
                 times(time_start), times(time_end))
        try:
            native = _native.Corpus.build([str(x) for x in order], joined, turns)
        except ValueError as e:
            # The native error points into the joined text of a document; name the frame's row.
            if type(e) is ValueError and "surrogate" in str(e):
                _raise_surrogate_row(values, ids)
            raise
        corpus = cls(native, interviewers=interviewer)
        if attributes:
            frame = df[list(attributes)].copy()
            frame.insert(0, "doc_id", ids)
            counts = frame.groupby("doc_id", sort=False).nunique(dropna=False)
            varying = counts[(counts > 1).any(axis=1)]
            if len(varying):
                cols = {d: [c for c in counts.columns if counts.loc[d, c] > 1] for d in varying.index[:10]}
                raise CorpusError(f"attributes must hold one value per document; these vary within a document: {cols}")
            corpus = corpus.with_attributes(frame.drop_duplicates("doc_id"))
        return corpus

    # ------------------------------------------------------------------ basic access

    def __len__(self) -> int:
        return len(self._native)

    def __iter__(self) -> Iterator[Document]:
        for i, doc_id in enumerate(self.doc_ids):
            yield self._document(i, doc_id)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and doc_id in self._id_positions()

    def __getitem__(self, key: str | int) -> Document:
        """A document by id (``corpus["P1"]``) or by position (``corpus[0]``)."""
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            n = len(self)
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"document position {key} out of range for a corpus of {n}")
            return self._document(i, self.doc_ids[i])
        if not isinstance(key, str):
            raise TypeError(f"documents are indexed by id (str) or position (int), not {type(key).__name__}")
        pos = self._id_positions().get(key)
        if pos is None:
            raise UnknownDocumentError(f"no document with id {key!r}")
        return self._document(pos, key)

    def _document(self, i: int, doc_id: str) -> Document:
        attrs = self._attributes.iloc[i].to_dict() if len(self._attributes.columns) else {}
        return Document(doc_id, self._native.text(i), attrs)

    def _id_positions(self) -> dict[str, int]:
        if "ids" not in self._cache:
            self._cache["ids"] = {d: i for i, d in enumerate(self._native.doc_ids())}
        return self._cache["ids"]  # type: ignore[no-any-return]

    @property
    def doc_ids(self) -> list[str]:
        """Document ids, in corpus order."""
        return list(self._id_positions())

    @property
    def texts(self) -> list[str]:
        """Document texts, in corpus order."""
        return self._native.texts()

    @property
    def speakers(self) -> list[str]:
        """Every speaker name that labels a turn, in order of first appearance."""
        return self._native.speakers()

    @property
    def interviewers(self) -> frozenset[str]:
        """Speakers declared as interviewers."""
        return self._interviewers

    @property
    def speaker_restriction(self) -> list[str] | None:
        """The speakers this corpus is restricted to (see :meth:`filter`), or None."""
        return self._native.speaker_restriction()

    @property
    def attributes(self) -> pd.DataFrame:
        """Participant / document attributes, indexed by ``doc_id`` (a copy)."""
        return self._attributes.copy()

    @property
    def documents(self) -> pd.DataFrame:
        """One row per document: ``doc_id``, ``n_chars``, ``n_turns`` and the attributes.

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["né", "abc"]).documents[["doc_id", "n_chars"]].values.tolist()
        [['doc1', 2], ['doc2', 3]]
        """
        n_chars, n_turns = self._native.doc_stats()
        df = pd.DataFrame({"doc_id": np.array(self.doc_ids, dtype=object), "n_chars": n_chars, "n_turns": n_turns})
        return self._with_attrs(df)

    @property
    def turns(self) -> pd.DataFrame:
        """One row per speaker turn: ``doc_id``, ``turn`` (0-based within the document),
        ``speaker``, ``start``, ``end`` (offsets of the turn's text, label excluded), ``text``,
        ``interviewer``, ``time_start``/``time_end`` (seconds, NaN when unknown), ``label_start``
        / ``label_end`` (the speaker label's offsets, -1 when the text has none) and the
        attributes.  A corpus restricted to some speakers lists only their turns.
        """
        t = self._turn_table()
        texts = self._native.texts()
        doc = t["doc"]
        text_col = [texts[d][s:e] for d, s, e in zip(doc.tolist(), t["start"].tolist(), t["end"].tolist())]
        speakers = self._native.speakers()
        spk_codes = t["speaker"]
        df = pd.DataFrame(
            {
                "doc_id": categorical(doc, self.doc_ids) if len(self) else pd.Categorical([]),
                "turn": t["turn"],
                "speaker": pd.array([speakers[s] if s >= 0 else None for s in spk_codes.tolist()], dtype=object),
                "start": t["start"],
                "end": t["end"],
                "text": np.array(text_col, dtype=object),
                "interviewer": np.array([s >= 0 and speakers[s] in self._interviewers for s in spk_codes.tolist()], dtype=bool),
                "time_start": t["time_start"],
                "time_end": t["time_end"],
                "label_start": t["label_start"],
                "label_end": t["label_end"],
            }
        )
        df["doc_id"] = df["doc_id"].astype(object)
        restriction = self.speaker_restriction
        if restriction is not None:
            df = df[df["speaker"].isin(restriction)].reset_index(drop=True)
        return self._with_attrs(df)

    def _turn_table(self) -> dict[str, np.ndarray]:
        if "turns" not in self._cache:
            self._cache["turns"] = self._native.turns_table()
        return self._cache["turns"]  # type: ignore[no-any-return]

    def _turn_speakers(self, doc: np.ndarray, turn: np.ndarray) -> np.ndarray:
        """Speaker names (object array, None outside turns) for (doc position, turn) pairs."""
        t = self._turn_table()
        first = np.searchsorted(t["doc"], np.arange(len(self)), side="left")
        speakers = np.array(self._native.speakers() + [None], dtype=object)
        codes = np.full(len(doc), -1, dtype=np.int64)
        inside = turn >= 0
        if inside.any():
            codes[inside] = t["speaker"][first[doc[inside]] + turn[inside]]
        return speakers[codes]  # type: ignore[no-any-return]

    def _with_attrs(self, df: pd.DataFrame) -> pd.DataFrame:
        """Appends attribute columns to a frame with a ``doc_id`` column."""
        if len(self._attributes.columns) == 0:
            return df
        return df.join(self._attributes, on="doc_id")

    def summary(self, by: str | None = "group") -> pd.DataFrame:
        """The participant-characteristics table of a methods section: per group of ``by`` (an
        attribute; None for the whole corpus) the number of ``documents``, ``participants``
        (non-interviewer speakers of each document — the cases: a one-to-one interview has one,
        a focus group as many as speak; a document without turns counts as one), ``turns`` (participants' turns), ``words`` (participants' word tokens) and
        ``speaking_time_s`` (sum of their turns' durations where times are known, else NaN),
        with an ``all`` row.

        >>> import pandas as pd, qualcore as qc
        >>> rows = pd.DataFrame({"doc_id": ["A1", "A1", "B1", "B1", "B1"],
        ...                      "speaker": ["Int", "A1", "Int", "B1", "B1"],
        ...                      "text": ["Why?", "Because I trust it.", "And you?", "No.", "Never."],
        ...                      "start": [0, 2, 0, 3, 10], "end": [2, 9, 3, 10, 12]})
        >>> c = qc.Corpus.from_frame(rows, speaker="speaker", time_start="start", time_end="end",
        ...                          interviewer=["Int"])
        >>> c = c.with_attributes(pd.DataFrame({"doc_id": ["A1", "B1"], "group": ["Front-line", "Leader"]}))
        >>> c.summary().to_dict("index")["Leader"]
        {'documents': 1, 'participants': 1, 'turns': 2, 'words': 2, 'speaking_time_s': 9.0}
        """
        turns = self.turns
        part = turns[~turns["interviewer"].astype(bool)]
        docs = self.documents
        if by is not None and by not in docs.columns:
            raise ArgumentError(f"by: no attribute {by!r} (attributes: {list(self._attributes.columns)})")
        tokens = self.participants().tokens() if self._interviewers else self.tokens()
        words = tokens.n_words
        doc_group = docs.set_index("doc_id")[by] if by is not None else pd.Series("all", index=docs["doc_id"])
        no_turn_docs = docs.loc[docs["n_turns"] == 0, "doc_id"]
        part = part.assign(_group=doc_group.reindex(part["doc_id"]).to_numpy(),
                           _dur=(part["time_end"] - part["time_start"]).to_numpy())

        def row(mask_docs: pd.Series) -> dict[str, Any]:
            ids = set(mask_docs)
            p = part[part["doc_id"].isin(ids)]
            speakers = p.drop_duplicates(["doc_id", "speaker"]) if len(p) else p
            n_part = len(speakers) + int(no_turn_docs.isin(ids).sum())
            dur = p["_dur"]
            return {"documents": len(ids), "participants": n_part, "turns": len(p),
                    "words": int(words.reindex(list(ids)).sum()),
                    "speaking_time_s": float(dur.sum()) if len(dur) and dur.notna().all() else float("nan")}

        out: dict[str, dict[str, Any]] = {}
        if by is not None:
            for g in pd.unique(doc_group.dropna()):
                out[str(g)] = row(doc_group.index[(doc_group == g).to_numpy()].to_series())
        out["all"] = row(docs["doc_id"])
        frame = pd.DataFrame.from_dict(out, orient="index")
        frame.index.name = by or "corpus"
        return frame

    # ------------------------------------------------------------------ derived corpora

    def with_attributes(
        self,
        attributes: pd.DataFrame,
        on: str = "doc_id",
        errors: str = "raise",
    ) -> Corpus:
        """A corpus with participant attributes (group, role …) joined by document id.

        ``attributes`` has a column (or index level) ``on`` with document ids; every other
        column becomes an attribute, shown as a column of every result that names a document.
        Duplicate ids are an error.  Ids the corpus does not have raise
        (``errors="raise"``), warn (``"warn"``) or are dropped (``"ignore"``); documents
        without a row get missing values.

        >>> import pandas as pd, qualcore as qc
        >>> c = qc.Corpus.from_texts(["a", "b"], doc_ids=["A1", "B1"])
        >>> att = pd.DataFrame({"doc_id": ["A1", "B1"], "group": ["front-line", "leader"]})
        >>> c.with_attributes(att).documents["group"].tolist()
        ['front-line', 'leader']
        """
        if errors not in ("raise", "warn", "ignore"):
            raise ArgumentError(f"errors: {errors!r} is not one of 'raise', 'warn', 'ignore'")
        if not isinstance(attributes, pd.DataFrame):
            raise ArgumentError(f"attributes: expected a pandas DataFrame, got {type(attributes).__name__}")
        frame = attributes
        if on not in frame.columns:
            if on in (frame.index.names or []):
                frame = frame.reset_index()
            else:
                raise ArgumentError(f"on: no column {on!r} in the attributes (columns: {list(frame.columns)})")
        frame = frame.copy()
        frame[on] = _as_ids(frame[on])
        problems = []
        dup = frame[on][frame[on].duplicated()].unique().tolist()
        if dup:
            problems.append(f"duplicate ids in the attributes: {dup[:20]}")
        reserved = sorted(set(frame.columns) - {on} & RESERVED_COLUMNS)
        if reserved:
            problems.append(f"attribute names already used by result columns: {reserved} (rename them)")
        existing = sorted((set(frame.columns) - {on}) & set(self._attributes.columns))
        if existing:
            problems.append(f"attributes already set: {existing} (drop them first or rename)")
        if problems:
            raise CorpusError("; ".join(problems), problems)
        known = self._id_positions()
        unknown = [d for d in frame[on].tolist() if d not in known]
        if unknown:
            msg = f"{len(unknown)} attribute rows have ids that are not documents of the corpus: {unknown[:20]}"
            if errors == "raise":
                raise UnknownDocumentError(msg)
            if errors == "warn":
                import warnings

                warnings.warn(msg, UserWarning, stacklevel=2)
            frame = frame[frame[on].isin(known)]
        frame = frame.set_index(on)
        frame.index.name = "doc_id"
        merged = self._attributes.join(frame.reindex(self._attributes.index), how="left")
        return self._replace(attributes=merged)

    def filter(
        self,
        mask: Callable[[pd.DataFrame], Any] | Sequence[bool] | np.ndarray | pd.Series | str | None = None,
        /,
        *,
        speakers: Iterable[str] | None = None,
        **equals: Any,
    ) -> Corpus:
        """A corpus of the documents that pass every condition, in corpus order.

        - ``mask``: a boolean sequence (one per document), a callable given
          :attr:`documents` that returns one, or a :meth:`pandas.DataFrame.query` string over it;
        - ``**equals``: attribute equal to a value, or in a list/tuple/set of values;
        - ``speakers``: keep only these speakers' turns for analysis (KWIC, tokens, sentences);
          text outside turns is left out too.  Offsets stay those of the full text.

        >>> import qualcore as qc
        >>> c = qc.datasets.load_pdpilot()
        >>> c.filter(speakers=["Participant"]).kwic("interviewer").shape[0]
        0
        >>> c.filter(lambda d: d["n_turns"] > 120).doc_ids
        ['P2', 'P3', 'P5']
        """
        keep = np.ones(len(self), dtype=bool)
        if mask is not None:
            docs = self.documents
            if isinstance(mask, str):
                sel = docs.eval(mask)
            elif callable(mask):
                sel = mask(docs)
            else:
                sel = mask
            arr = np.asarray(sel)
            if arr.dtype != bool or arr.shape != (len(self),):
                raise ArgumentError(f"mask: expected {len(self)} booleans, got {arr.dtype} of shape {arr.shape}")
            keep &= arr
        for name, value in equals.items():
            if name not in self._attributes.columns:
                raise ArgumentError(f"{name}: no attribute {name!r} (attributes: {list(self._attributes.columns)})")
            col = self._attributes[name]
            if isinstance(value, (list, tuple, set, frozenset)):
                keep &= col.isin(list(value)).to_numpy()
            else:
                keep &= (col == value).fillna(False).to_numpy(dtype=bool)
        corpus = self
        if not keep.all():
            positions = np.flatnonzero(keep).tolist()
            corpus = self._replace(native=self._native.select(positions), attributes=self._attributes.iloc[positions])
        if speakers is not None:
            if isinstance(speakers, str):
                speakers = [speakers]
            names = list(speakers)
            unknown = sorted(set(names) - set(self.speakers))
            if unknown:
                raise ArgumentError(f"speakers: {unknown} are not speakers of the corpus (speakers: {self.speakers})")
            restriction = corpus.speaker_restriction
            if restriction is not None:  # restrictions compose: a filter only narrows
                names = [n for n in names if n in restriction]
            corpus = corpus._replace(native=corpus._native.with_speakers(names))
        return corpus

    def participants(self) -> Corpus:
        """The corpus restricted to the turns of speakers who are not interviewers.

        >>> import qualcore as qc
        >>> qc.datasets.load_pdpilot().participants().speaker_restriction
        ['Participant', 'Particpant']
        """
        return self.filter(speakers=[s for s in self.speakers if s not in self._interviewers])

    def rename_speakers(self, mapping: Mapping[str, str]) -> Corpus:
        """A corpus whose speakers are renamed by ``mapping`` (e.g. to fix a typo in a label);
        speakers that end up with one name are merged.

        >>> import qualcore as qc
        >>> c = qc.datasets.load_pdpilot().rename_speakers({"Particpant": "Participant"})
        >>> c.speakers
        ['Dan', 'Participant']
        """
        interviewers = {mapping.get(s, s) for s in self._interviewers}
        return self._replace(native=self._native.rename_speakers(dict(mapping)), interviewers=interviewers)

    def _replace(self, native: _native.Corpus | None = None, attributes: pd.DataFrame | None = None,
                 interviewers: Iterable[str] | None = None) -> Corpus:
        return Corpus(
            self._native if native is None else native,
            self._attributes if attributes is None else attributes,
            self._interviewers if interviewers is None else interviewers,
        )

    # ------------------------------------------------------------------ analyses

    def tokens(self, lowercase: bool = True, threads: int | None = None) -> Tokens:
        """Tokenises the corpus (UAX #29 words, punctuation as its own kind), in Rust, in
        parallel; see :class:`qualcore.Tokens`.

        >>> import qualcore as qc
        >>> t = qc.Corpus.from_texts(["Trust, trust!"]).tokens()
        >>> t.to_frame()["token"].tolist()
        ['Trust', ',', 'trust', '!']
        """
        from ._tokens import Tokens

        return Tokens(self, self._native.tokens(lowercase=lowercase, threads=threads_arg(threads)))

    def sentences(self, threads: int | None = None) -> pd.DataFrame:
        """UAX #29 sentences inside each unit (turn or text outside turns): ``doc_id``,
        ``turn``, ``speaker``, ``sentence`` (0-based within the document), ``start``, ``end``,
        ``text`` and the attributes.

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["Yes. I think so!"]).sentences()["text"].tolist()
        ['Yes.', 'I think so!']
        """
        cols = self._native.sentences(threads=threads_arg(threads))
        texts = self._native.texts()
        doc = cols["doc"]
        df = pd.DataFrame(
            {
                "doc_id": np.array(self.doc_ids, dtype=object)[doc] if len(doc) else np.array([], dtype=object),
                "turn": nullable_turn(cols["turn"]),
                "speaker": self._turn_speakers(doc, cols["turn"]),
                "sentence": _ranks(doc),
                "start": cols["start"],
                "end": cols["end"],
                "text": np.array([texts[d][s:e] for d, s, e in zip(doc.tolist(), cols["start"].tolist(), cols["end"].tolist())], dtype=object),
            }
        )
        return self._with_attrs(df)

    def kwic(
        self,
        patterns: str | Sequence[str] | Mapping[str, str | Sequence[str]],
        window: int = 5,
        within: str = "turn",
        speakers: Iterable[str] | None = None,
        case_insensitive: bool = True,
        valuetype: str = "glob",
        threads: int | None = None,
    ) -> KwicFrame:
        """Keyword in context: every match of ``patterns`` with ``window`` tokens either side.

        ``patterns`` is a string, a list, or a dict ``label -> pattern(s)``.  A pattern with
        white space is a phrase (consecutive tokens); with ``valuetype="glob"`` (default) ``*``
        and ``?`` are wildcards anchored to the whole token; ``"regex"`` takes regular
        expressions (Rust syntax) anchored to the whole token; ``"fixed"`` literal text.
        Matching is on lower-cased tokens unless ``case_insensitive=False``.  Contexts and
        phrases stay inside the turn (``within="turn"``, text outside turns being a unit of its
        own) or the document (``within="document"``).  ``speakers`` keeps matches in these
        speakers' turns (contexts too).  The window counts tokens, punctuation included.

        Returns a :class:`KwicFrame` (a DataFrame): ``doc_id``, ``turn`` (nullable),
        ``speaker``, ``pattern`` (the pattern, or its label), ``start``, ``end``,
        ``token_start``, ``token_end``, ``pre``, ``match``, ``post`` and the attributes, in
        document, position, pattern order.  ``pre``/``match``/``post`` are slices of the
        original text and ``text[start:end] == match``.

        >>> import qualcore as qc
        >>> c = qc.Corpus.from_texts(["Do you trust them?", "I trust the evidence base."])
        >>> k = c.kwic(["trust", "evidence base"], window=2)
        >>> k[["pre", "match", "post"]].values.tolist()
        [['Do you', 'trust', 'them?'], ['I', 'trust', 'the evidence'], ['trust the', 'evidence base', '.']]
        """
        from ._kwic import KwicFrame

        pats, labels = _pattern_list(patterns)
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 0:
            raise ArgumentError(f"window: expected a whole number >= 0, got {window!r}")
        sp = None
        if speakers is not None:
            sp = [speakers] if isinstance(speakers, str) else list(speakers)
            unknown = sorted(set(sp) - set(self.speakers))
            if unknown:
                raise ArgumentError(f"speakers: {unknown} are not speakers of the corpus (speakers: {self.speakers})")
            restriction = self.speaker_restriction
            if restriction is not None:
                sp = [s for s in sp if s in restriction]
        cols = self._native.kwic(
            pats, valuetype=valuetype, case_insensitive=bool(case_insensitive), window=int(window),
            within=within, speakers=sp, threads=threads_arg(threads),
        )
        doc = cols["doc"]
        label_names = list(dict.fromkeys(labels))
        label_codes = np.array([label_names.index(l) for l in labels], dtype=np.int64)
        df = pd.DataFrame(
            {
                "doc_id": np.array(self.doc_ids, dtype=object)[doc] if len(doc) else np.array([], dtype=object),
                "turn": nullable_turn(cols["turn"]),
                "speaker": self._turn_speakers(doc, cols["turn"]),
                "pattern": np.array(label_names, dtype=object)[label_codes[cols["pattern"]]] if len(doc) else np.array([], dtype=object),
                "start": cols["start"],
                "end": cols["end"],
                "token_start": cols["token_start"],
                "token_end": cols["token_end"],
                "pre": pd.array(cols["pre"], dtype=object),
                "match": pd.array(cols["match"], dtype=object),
                "post": pd.array(cols["post"], dtype=object),
            }
        )
        return KwicFrame(self._with_attrs(df))

    def autocode(
        self,
        codebook: Codebook,
        unit: str = "match",
        speakers: Iterable[str] | None = None,
        coder: str = "autocode",
        case_insensitive: bool = True,
        valuetype: str = "glob",
        threads: int | None = None,
    ) -> Coding:
        """Dictionary auto-coding: every pattern of every code of ``codebook`` compiled into
        one matcher and applied in parallel over documents (in Rust, GIL released).

        ``unit="match"`` codes the matched words (overlapping matches of one code in a turn
        merged into one span); ``"sentence"`` the sentence(s) around a match; ``"turn"`` the
        whole turn (or stretch of text outside turns).  A unit is coded once per code however
        many matches it holds; several codes may code the same text.  ``speakers`` keeps to
        these speakers' turns (e.g. the participants').  Patterns use the language of
        :meth:`kwic`.  The codings get ``coder``.

        >>> import qualcore as qc
        >>> c = qc.Corpus.from_texts(["I trust my GP. The evidence base is weak."], doc_ids=["A1"])
        >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust*"], "Evidence base": ["evidence base"]}})
        >>> c.autocode(cb, unit="sentence").frame[["code", "text"]].values.tolist()
        [['Trust > Credibility', 'I trust my GP.'], ['Trust > Evidence base', 'The evidence base is weak.']]
        """
        from ._coding import autocode

        return autocode(self, codebook, unit=unit, speakers=speakers, coder=coder,
                        case_insensitive=case_insensitive, valuetype=valuetype, threads=threads)

    def align(
        self,
        extracts: pd.DataFrame,
        doc: str = "doc_id",
        code: str = "code",
        text: str = "text",
        codebook: Codebook | None = None,
        coder: str = "aligned",
        tolerance: float = 0.15,
        threads: int | None = None,
    ) -> tuple[Coding, pd.DataFrame]:
        """Locates coded extracts exported as text (MAXQDA, NVivo, Word tables) back onto the
        transcripts and returns ``(coding, report)``.

        Each extract is searched in its document verbatim first, then with white space runs,
        typographic quotes and dashes folded (so a ``\\n`` between turns in an export matches
        the transcript's blank line), then by its head and tail with a length within
        ``tolerance`` of the extract's (``fuzzy``).  ``report`` has one row per extract:
        ``placed``, ``method`` (exact, normalized, fuzzy, not_found), ``start``, ``end``,
        ``candidates`` (2 means the extract fits two or more places; the first is used),
        ``score`` and ``reason`` (why it was not placed: unknown document, unknown code, not
        found).  Codes are paths of ``codebook`` (default: a flat codebook of the codes
        present).

        >>> import pandas as pd, qualcore as qc
        >>> c = qc.Corpus.from_texts(["Dan: Why?\\n\\nA1: Because “the data” said so."], doc_ids=["A1"])
        >>> ex = pd.DataFrame({"doc_id": ["A1", "A1"], "code": ["Evidence", "Evidence"],
        ...                    "text": ['Why?\\nA1: Because "the data"', "not in the text at all"]})
        >>> coding, report = c.align(ex)
        >>> coding.frame["text"].tolist(), report["method"].tolist()
        (['Why?\\n\\nA1: Because “the data”'], ['normalized', 'not_found'])
        """
        from ._coding import align

        return align(self, extracts, doc=doc, code=code, text=text, codebook=codebook, coder=coder,
                     tolerance=tolerance, threads=threads)

    # ------------------------------------------------------------------ pickling, display

    def __reduce__(self) -> tuple[Any, ...]:
        return (Corpus, (self._native, self._attributes, sorted(self._interviewers)))

    def __repr__(self) -> str:
        n_turns = int(self._native.doc_stats()[1].sum()) if len(self) else 0
        attrs = list(self._attributes.columns)
        extra = f", restricted to {self.speaker_restriction}" if self.speaker_restriction is not None else ""
        return f"<qualcore.Corpus: {len(self)} documents, {n_turns} turns, attributes {attrs}{extra}>"


def read_transcripts(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    label_pattern: str | None = None,
    interviewer: Iterable[str] = (),
    speaker_map: Mapping[str, str] | None = None,
    pattern: str = "*.txt",
    format: str | None = None,
    threads: int | None = None,
) -> Corpus:
    """Reads UTF-8 transcripts: plain text whose turns start with a speaker label, WebVTT or SRT.

    ``paths`` is a file, a folder (its ``pattern`` files, sorted by name), a glob, or a list of
    these.  A line that starts with a label (``Dan:``, ``Participant:``, ``Interviewer 1:``,
    ``B3:``; see :data:`DEFAULT_LABEL_PATTERN`, or give ``label_pattern``, a regex with a group
    named ``speaker``) starts a turn; following lines without a label, blank lines included,
    continue it; text before the first label is a unit with no speaker.  A turn's offsets
    exclude its label and surrounding white space.  The document id is the file stem.  A UTF-8
    byte-order mark is dropped (offsets count from after it); CRLF line ends are kept in the
    text.  ``speaker_map`` renames speakers (``{"Particpant": "Participant"}``); ``interviewer``
    names the interviewers.  Files are read and parsed in parallel in Rust; every unreadable
    file is reported together (file, byte offset and line for bad UTF-8).

    The format comes from the extension (``.vtt``, ``.srt``; anything else is plain text) or
    ``format=`` (``"text"``, ``"vtt"``, ``"srt"``).  For WebVTT and SRT, cues become turns
    with ``time_start``/``time_end``: the speaker comes from a ``<v Name>`` voice tag or a
    ``Name:`` prefix, markup and entities are removed, consecutive cues of one speaker are
    merged, and the document text is the turns written as ``Name: text`` separated by blank
    lines (offsets refer to that text).  A file that breaks its format raises
    :class:`~qualcore.errors.TranscriptFormatError` naming the file, line and problem (a VTT
    without its ``WEBVTT`` header, a timestamp out of range, a cue ending before it starts).

    >>> import qualcore as qc
    >>> from qualcore.datasets import pdpilot_path
    >>> c = qc.read_transcripts(pdpilot_path(), interviewer=["Dan"])
    >>> len(c), len(c.turns)
    (7, 826)
    """
    files = _expand_paths(paths, pattern)
    bad_names = [f for f in files if not _is_utf8(f)]
    if bad_names:
        problems = [f"{f!r}: the file name is not valid UTF-8 (rename the file)" for f in bad_names]
        message = problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n  - " + "\n  - ".join(problems)
        raise TranscriptError(message, problems)
    ids = [Path(f).stem for f in files]
    seen: dict[str, list[str]] = {}
    for f, i in zip(files, ids):
        seen.setdefault(i, []).append(f)
    clashes = {i: fs for i, fs in seen.items() if len(fs) > 1}
    if clashes:
        problems = [f'document id "{i}" would come from {len(fs)} files: {fs}' for i, fs in clashes.items()]
        raise DuplicateIdError(
            "document ids (file stems) must be unique; rename the files or read the folders separately:\n  - "
            + "\n  - ".join(problems),
            problems,
        )
    if format is not None and format not in ("text", "vtt", "srt"):
        raise ArgumentError(f"format: {format!r} is not one of 'text', 'vtt', 'srt' (or None: by extension)")
    formats = [format or {".vtt": "vtt", ".srt": "srt"}.get(Path(f).suffix.lower(), "text") for f in files]
    native = _native.Corpus.read_transcripts(
        files, ids, DEFAULT_LABEL_PATTERN if label_pattern is None else label_pattern, formats=formats,
        threads=threads_arg(threads),
    )
    corpus = Corpus(native, interviewers=interviewer)
    if speaker_map:
        corpus = corpus.rename_speakers(speaker_map)
    return corpus


def _expand_paths(paths: Any, pattern: str) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[str] = []
    for p in paths:
        s = os.fspath(p)
        if any(ch in s for ch in "*?[") and not os.path.exists(s):
            matched = sorted(_glob.glob(s, recursive=True))
            if not matched:
                raise FileNotFoundError(f"no file matches {s!r}")
            files.extend(m for m in matched if os.path.isfile(m))
        elif os.path.isdir(s):
            found = sorted(str(x) for x in Path(s).glob(pattern) if x.is_file())
            if not found:
                raise FileNotFoundError(f"no {pattern} files in folder {s!r}")
            files.extend(found)
        elif os.path.isfile(s):
            files.append(s)
        else:
            raise FileNotFoundError(f"no such file or folder: {s!r}")
    return files


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _raise_surrogate_row(values: list[str], ids: list[str]) -> None:
    """Raises the ValueError for the first row of ``values`` with a lone surrogate, if any."""
    import re

    for i, v in enumerate(values):
        m = re.search("[\ud800-\udfff]", v)
        if m is not None:
            raise ValueError(
                f"text: row {i} (document {ids[i]!r}) is not valid Unicode: lone surrogate at index "
                f"{m.start()} (decode the source with errors='replace' or fix the text)"
            ) from None


def _as_ids(values: Iterable[Any]) -> list[str]:
    out = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            out.append(v)
        elif v is None or (isinstance(v, float) and np.isnan(v)):
            raise ArgumentError(f"doc_id: missing id at row {i}")
        else:
            out.append(str(v))
    return out


def _isna(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA


def _ranks(doc: np.ndarray) -> np.ndarray:
    """0-based rank of each row within its (sorted, contiguous) document group."""
    if len(doc) == 0:
        return np.array([], dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(doc)) + 1]
    idx = np.arange(len(doc))
    return idx - np.repeat(starts, np.diff(np.r_[starts, len(doc)]))  # type: ignore[no-any-return]


def _pattern_list(patterns: Any) -> tuple[list[str], list[str]]:
    """Flattens patterns to (patterns, labels)."""
    if isinstance(patterns, str):
        return [patterns], [patterns]
    if isinstance(patterns, Mapping):
        pats, labels = [], []
        for label, value in patterns.items():
            values = [value] if isinstance(value, str) else list(value)
            if not values:
                raise ArgumentError(f"patterns: label {label!r} has no pattern")
            for v in values:
                if not isinstance(v, str):
                    raise TypeError(f"patterns: label {label!r} has a pattern that is not a str: {v!r}")
                pats.append(v)
                labels.append(str(label))
        return pats, labels
    if isinstance(patterns, Iterable):
        pats = list(patterns)
        for v in pats:
            if not isinstance(v, str):
                raise TypeError(f"patterns: {v!r} is not a str")
        if not pats:
            raise ArgumentError("patterns: no pattern given")
        return pats, pats
    raise TypeError(f"patterns: expected a str, a list of str or a dict, got {type(patterns).__name__}")
