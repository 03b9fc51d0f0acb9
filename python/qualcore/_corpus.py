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
from ._util import categorical, nullable_turn, path_stem, path_suffix, take_labels, threads_arg
from .errors import (
    ArgumentError,
    CorpusError,
    DuplicateIdError,
    QualcoreError,
    TranscriptError,
    UnknownDocumentError,
)

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

    __slots__ = ("_native", "_attributes", "_interviewers", "_cache", "_speaker_attributes")

    def __init__(
        self,
        native: _native.Corpus,
        attributes: pd.DataFrame | None = None,
        interviewers: Iterable[str] = (),
        speaker_attributes: pd.DataFrame | None = None,
    ) -> None:
        self._native = native
        ids = native.doc_ids()
        if attributes is None:
            attributes = pd.DataFrame(index=pd.Index(ids, name="doc_id", dtype=object))
        self._attributes = attributes
        self._interviewers = frozenset(interviewers)
        self._speaker_attributes = speaker_attributes  # indexed by speaker name; see with_attributes
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
        corpus = cls(native, interviewers=[interviewer] if isinstance(interviewer, str) else [str(i) for i in interviewer])
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
        _check_frame_columns(df.columns, text, doc_id, speaker, time_start, time_end, attributes)
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
    def speaker_attributes(self) -> pd.DataFrame:
        """Speaker-level attributes (``with_attributes(..., level="speaker")``), indexed by
        speaker name (a copy; empty when none are set).

        >>> import pandas as pd, qualcore as qc
        >>> c = qc.Corpus.from_texts(["Dan: Why?\\nA1: Trust."], speaker_labels=True)
        >>> roles = pd.DataFrame({"speaker": ["Dan", "A1"], "role": ["interviewer", "participant"]})
        >>> c.with_attributes(roles, level="speaker").speaker_attributes.to_dict()
        {'role': {'Dan': 'interviewer', 'A1': 'participant'}}
        """
        if self._speaker_attributes is None:
            return pd.DataFrame(index=pd.Index([], name="speaker", dtype=object))
        return self._speaker_attributes.copy()

    @property
    def documents(self) -> pd.DataFrame:
        """One row per document: ``doc_id``, ``n_chars``, ``n_turns`` and the attributes.

        >>> import qualcore as qc
        >>> qc.Corpus.from_texts(["né", "abc"]).documents[["doc_id", "n_chars"]].values.tolist()
        [['doc1', 2], ['doc2', 3]]
        """
        n_chars, n_turns = self._native.doc_stats()
        styles = [style for _, _, style in self._native.line_ends()]
        df = pd.DataFrame({"doc_id": np.array(self.doc_ids, dtype=object), "n_chars": n_chars, "n_turns": n_turns,
                           "line_ends": pd.array(styles, dtype=object)})
        return self._with_attrs(df)

    def original_offsets(self, doc_id: str, offsets: Any) -> np.ndarray:
        """Offsets into the document's text mapped back to the file it was read from (code
        points after any byte-order mark), undoing the CR LF -> LF normalisation of
        :func:`read_transcripts`.  Useful when exporting positions to a tool that reads the
        original file.  Offsets of documents that had no CR LF come back unchanged.

        >>> import qualcore as qc, tempfile, pathlib
        >>> tmp = tempfile.TemporaryDirectory(); p = pathlib.Path(tmp.name) / "A1.txt"
        >>> _ = p.write_bytes(b"Dan: Why?\\r\\nA1: Because.\\r\\n")
        >>> c = qc.read_transcripts(p)
        >>> c.documents[["doc_id", "line_ends"]].values.tolist()
        [['A1', 'CRLF']]
        >>> start = c["A1"].text.index("Because"); start, c.original_offsets("A1", [start]).tolist()
        (14, [15])
        >>> tmp.cleanup()
        """
        pos = self._id_positions().get(str(doc_id))
        if pos is None:
            raise UnknownDocumentError(f"no document with id {doc_id!r}")
        crlf = self._native.line_ends()[pos][0]
        raw = np.asarray(offsets)
        if raw.dtype.kind not in "iu" and not (raw.dtype.kind == "f" and np.all(np.mod(raw, 1) == 0)):
            raise ArgumentError(f"offsets: expected whole numbers, got {raw.dtype}")
        arr = raw.astype(np.int64)
        if len(crlf) == 0:
            return arr.copy()
        # each LF at offset p that was CR LF adds one to every offset after p
        return arr + np.searchsorted(crlf, arr, side="left")

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
        if len(self._attributes.columns):
            df = df.join(self._attributes, on="doc_id")
        sp = self._speaker_attributes
        if sp is not None and len(sp.columns) and "speaker" in df.columns:
            df = df.join(sp, on="speaker")
        return df

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
        attributes: pd.DataFrame | str | os.PathLike[str],
        on: str | None = None,
        errors: str = "raise",
        *,
        level: str = "document",
        types: Mapping[str, str] | None = None,
        require_all: bool = False,
        sheet: str | int | None = None,
    ) -> Corpus:
        """A corpus with participant attributes (group, role, age …) joined by document id, or
        by speaker name with ``level="speaker"``.

        ``attributes`` is a DataFrame or a path to a CSV, TSV or Excel (.xlsx, first sheet or
        ``sheet``) file.  Its column (or index level) ``on`` holds the ids (default
        ``"doc_id"``; ``"speaker"`` for speaker level); every other column becomes an
        attribute, shown as a column of every result that names a document (document level:
        also :attr:`documents` and :attr:`attributes`) or a speaker (speaker level: turns, KWIC,
        tokens, sentences, codings; see :attr:`speaker_attributes`).  Rows or speakers without
        attributes get missing values.

        Types: a file's columns are inferred as ``number``, ``boolean`` (true/false, yes/no),
        ``date`` (ISO 8601 or Excel dates), ``categorical`` (text with few distinct values:
        at most 50 and at most half the filled cells) or ``text``; a DataFrame's columns keep
        their dtypes.  ``types={"age": "number", "group": "categorical"}`` sets any column's
        type.  Empty cells and ``NA``, ``N/A``, ``NaN``, ``null`` in files are missing.

        Problems are collected and reported together, each naming the file and line (CSV,
        TSV) or row (Excel, DataFrame position): ids that are not in the corpus, duplicate ids,
        rows without an id, a column whose values mix types or do not fit the type given, and
        (with ``require_all=True``) documents or speakers without attributes.  With
        ``errors="raise"`` they raise :class:`~qualcore.errors.UnknownDocumentError` (a
        ``KeyError``) when all are unknown ids, else :class:`~qualcore.errors.CorpusError`;
        ``"warn"`` gives one ``UserWarning`` listing them all and joins what it can (unknown
        ids dropped, the first of duplicate rows kept, a mixed column kept as text, values
        that do not fit their type missing); ``"ignore"`` drops unknown ids silently and
        raises the rest.  Attribute names that result columns use, or that are already set,
        always raise.

        >>> import pandas as pd, qualcore as qc
        >>> c = qc.Corpus.from_texts(["a", "b"], doc_ids=["A1", "B1"])
        >>> att = pd.DataFrame({"doc_id": ["A1", "B1"], "group": ["front-line", "leader"]})
        >>> c.with_attributes(att).documents["group"].tolist()
        ['front-line', 'leader']
        >>> rows = pd.DataFrame({"doc_id": ["m1", "m1"], "speaker": ["PM", "UI"], "text": ["Hi .", "Hello ."]})
        >>> roles = pd.DataFrame({"speaker": ["PM", "UI"], "role": ["Project Manager", "User Interface"]})
        >>> t = qc.Corpus.from_frame(rows, speaker="speaker").with_attributes(roles, level="speaker").turns
        >>> t[["speaker", "role"]].values.tolist()
        [['PM', 'Project Manager'], ['UI', 'User Interface']]
        """
        from ._attributes import join_attributes

        doc_attrs, speaker_attrs = join_attributes(
            self, attributes, on=on, errors=errors, level=level, types=types, require_all=require_all,
            sheet=sheet, reserved=RESERVED_COLUMNS,
        )
        return self._replace(attributes=doc_attrs, speaker_attributes=speaker_attrs)

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
        speaker_attrs = self._speaker_attributes
        if speaker_attrs is not None and len(speaker_attrs):
            speaker_attrs = speaker_attrs.rename(index=lambda s: mapping.get(s, s))
            speaker_attrs = speaker_attrs[~speaker_attrs.index.duplicated(keep="first")]
        return self._replace(native=self._native.rename_speakers(dict(mapping)), interviewers=interviewers,
                             speaker_attributes=speaker_attrs)

    def pseudonymise(self, mapping: Any, *, category: str = "PERSON", valuetype: str = "glob",
                     case_insensitive: bool = True, threads: int | None = None) -> tuple[Corpus, pd.DataFrame]:
        """Replaces names, places and organisations in one pass over the corpus (in Rust, in
        parallel) and returns the new corpus and an audit table (``doc_id``, ``start``,
        ``end`` in the old text, ``original``, ``replacement``, ``new_start``, ``new_end``,
        ``pattern``).  The corpus itself, and every file, stay as they are; write the new texts
        with :meth:`write_texts`.

        ``mapping`` is ``{pattern: replacement}`` (``{"Sarah*": "[PERSON 1]"}``), or
        ``{category: [entity, ...]}`` (``{"PERSON": ["Sarah", "Jones"], "PLACE": ["St Mary's"]}``
        gives ``[PERSON 1]``, ``[PERSON 2]``, ``[PLACE 1]``), or a list of entities (numbered
        as ``category``, ``[PERSON 1]`` …).  An entity is a pattern or a list of patterns (its
        spellings and inflections: ``["Sarah", "Sarah's", "Sally"]``).  Patterns are the KWIC
        pattern language (words, phrases, globs; ``valuetype="regex"`` for regexes) matched on
        whole tokens, case-insensitively by default, everywhere in the text: speaker labels
        too, and speaker names, interviewer names and speaker attributes follow.  Overlapping
        matches: the earliest start wins, then the longest.  Offsets of the new corpus refer
        to the new text; turns keep their speakers, times and labels.

        >>> import qualcore as qc
        >>> c = qc.Corpus.from_texts(["Sarah: I saw Dr Jones at St Mary's.\\nDan: And Sarah's GP?"],
        ...                          doc_ids=["A1"], speaker_labels=True, interviewer=["Dan"])
        >>> new, audit = c.pseudonymise({"PERSON": [["Sarah", "Sarah's"], "Dr Jones"], "PLACE": ["St Mary's"]})
        >>> new["A1"].text
        '[PERSON 1]: I saw [PERSON 2] at [PLACE 1].\\nDan: And [PERSON 1] GP?'
        >>> new.speakers, audit[["original", "replacement"]].values.tolist()[:2]
        (['[PERSON 1]', 'Dan'], [['Sarah', '[PERSON 1]'], ['Dr Jones', '[PERSON 2]']])
        """
        from ._pseudonym import pseudonymise

        return pseudonymise(self, mapping, category=category, valuetype=valuetype,
                            case_insensitive=case_insensitive, threads=threads)

    def write_texts(self, folder: str | os.PathLike[str], *, overwrite: bool = False, suffix: str = ".txt") -> list[Path]:
        """Writes each document's text to ``folder/<doc_id><suffix>`` (UTF-8 without byte-order
        mark, the text exactly as the corpus holds it, line ends included), each file
        atomically; refuses to replace existing files unless ``overwrite=True``, and ids that
        would name one file on a case-insensitive file system (``A1``/``a1``).  Returns the paths.  This is the explicit step that puts a
        pseudonymised corpus on disk.

        >>> import qualcore as qc, tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> [p.name for p in qc.Corpus.from_texts(["Hello"], doc_ids=["A1"]).write_texts(tmp.name)]
        ['A1.txt']
        >>> tmp.cleanup()
        """
        from ._pseudonym import write_texts

        return write_texts(self, folder, overwrite=overwrite, suffix=suffix)

    def _replace(self, native: _native.Corpus | None = None, attributes: pd.DataFrame | None = None,
                 interviewers: Iterable[str] | None = None, speaker_attributes: pd.DataFrame | None = None) -> Corpus:
        return Corpus(
            self._native if native is None else native,
            self._attributes if attributes is None else attributes,
            self._interviewers if interviewers is None else interviewers,
            self._speaker_attributes if speaker_attributes is None else speaker_attributes,
        )

    # ------------------------------------------------------------------ analyses

    def tokens(self, lowercase: bool = True, threads: int | None = None) -> Tokens:
        """Tokenises the corpus (UAX #29 words, punctuation as its own kind), in Rust, in
        parallel; see :class:`qualcore.Tokens`.  The token ids are made on first use, and
        document- or turn-level co-occurrence asked first (``fcm(context="document")``) counts
        the forms of each unit without them (the same numbers, less memory).

        >>> import qualcore as qc
        >>> t = qc.Corpus.from_texts(["Trust, trust!"]).tokens()
        >>> t.to_frame()["token"].tolist()
        ['Trust', ',', 'trust', '!']
        """
        from ._tokens import Tokens

        return Tokens(self, lowercase=lowercase, threads=threads_arg(threads))

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
        from ._patterns import compiled

        cols = self._native.kwic(
            pats, valuetype=valuetype, case_insensitive=bool(case_insensitive), window=int(window),
            within=within, speakers=sp, threads=threads_arg(threads),
            compiled=compiled(pats, valuetype, bool(case_insensitive)),
        )
        doc = cols["doc"]
        label_names = list(dict.fromkeys(labels))
        label_codes = np.array([label_names.index(l) for l in labels], dtype=np.int64)
        df = pd.DataFrame(
            {
                "doc_id": take_labels(self.doc_ids, doc),
                "turn": nullable_turn(cols["turn"]),
                "speaker": self._turn_speakers(doc, cols["turn"]),
                "pattern": take_labels(label_names, label_codes[cols["pattern"]]),
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
        return (Corpus, (self._native, self._attributes, sorted(self._interviewers), self._speaker_attributes))

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
    pattern: str | None = None,
    format: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    sheet: str | int | None = None,
    records: str | None = None,
    missing_text: str = "raise",
    encoding: str | None = None,
    errors: str = "raise",
    progress: bool | None = None,
    threads: int | None = None,
) -> Any:
    """Reads transcripts: plain text whose turns start with a speaker label, Word (.docx),
    WebVTT, SRT, and utterance tables (CSV, TSV, Excel, JSON, JSON Lines: one row per turn).

    ``paths`` is a file, a folder (its ``pattern`` files, sorted by name; default ``*.txt``,
    or ``*.csv``, ``*.json`` … when ``format`` is given), a glob, or a list of these.  A line
    that starts with a label (``Dan:``, ``Participant:``, ``Interviewer 1:``, ``B3:``; see
    :data:`DEFAULT_LABEL_PATTERN`, or give ``label_pattern``, a regex with a group named
    ``speaker``) starts a turn; following lines without a label, blank lines included,
    continue it; text before the first label is a unit with no speaker.  Labels may also be
    ``**Name**``, ``[Name]`` or ``Name (00:01:23):``, and a timestamp (``[00:01:23]``,
    ``[01:23]``, ``(00:01:23)``, ``#00:01:23.4#``) before or after a label, or alone on the
    line before it, is the turn's ``time_start`` (a timed turn's ``time_end`` is the next timed
    turn's start).  A turn's offsets exclude its label and surrounding white space.  The
    document id is the file stem.

    Text files are UTF-8 (a byte-order mark is dropped; offsets count from after it) or UTF-16
    LE/BE with a byte-order mark; any other encoding must be named (``encoding="cp1252"``).
    CR LF and lone CR line ends become LF, and the change is recorded per document (the
    ``line_ends`` column of :attr:`Corpus.documents`; :meth:`Corpus.original_offsets` maps
    offsets back to the file).  ``speaker_map`` renames speakers (``{"Particpant":
    "Participant"}``); ``interviewer`` names the interviewers.  Files are read and parsed in
    parallel in Rust; every unreadable file is reported together (file, byte offset and line
    for bad bytes), or, with ``errors="collect"``, left out: the call then returns ``(corpus,
    failures)``, ``failures`` a frame of ``file``, ``error`` (the exception class) and
    ``message``.  A progress bar (tqdm) shows while many files are read when standard error
    is a terminal or in a notebook (``progress=True``/``False`` forces it).

    Word files (``.docx``) are read straight from the zip: paragraphs in order (each a line),
    labels as above or a name in bold at the start of a paragraph, and tables of (speaker,
    text) or (time, speaker, text) rows, one turn per row.

    The format comes from the extension (``.vtt``, ``.srt``, ``.csv``, ``.tsv``, ``.xlsx``,
    ``.json``, ``.jsonl``; anything else is plain text) or ``format=`` (``"text"``, ``"vtt"``,
    ``"srt"``, ``"csv"``, ``"tsv"``, ``"xlsx"``, ``"json"``, ``"jsonl"``).  For WebVTT and
    SRT, cues become turns with ``time_start``/``time_end``: the speaker comes from a
    ``<v Name>`` voice tag or a ``Name:`` prefix, markup and entities are removed, consecutive
    cues of one speaker are merged, and the document text is the turns written as ``Name:
    text`` separated by blank lines (offsets refer to that text).  A file that breaks its
    format raises :class:`~qualcore.errors.TranscriptFormatError` naming the file, line and
    problem (a VTT without its ``WEBVTT`` header, a timestamp out of range, a cue ending
    before it starts).

    Tables: each row (JSON record) is a turn, built by :meth:`Corpus.from_frame` (a
    document's text is its turns' texts joined by :data:`TURN_SEPARATOR`; the speaker is not
    written into the text).  ``columns`` maps roles to column names (``{"document":
    "Interview", "speaker": "Name", "text": "Utterance", "time_start": "In", "time_end":
    "Out"}``, or ``"time"`` for a single start-time column; None: the table has none); roles
    not named are found by common names (``speaker``, ``text``/``content``/``utterance``,
    ``start``/``Start Time`` …; :data:`qualcore._tables.COLUMN_NAMES`).  Without a document
    column a file is one document named by its stem; with one, its values are the ids.
    Times are seconds or ``[hh:]mm:ss[.fff]``; CRLF inside cells becomes LF.  ``sheet`` picks
    an Excel sheet (needs ``openpyxl``: ``pip install 'qualcore[excel]'``); ``records`` the
    key of a JSON object that holds the records (found by itself for e.g. the AMI/QMSum
    ``meeting_transcripts``).  A named column that is missing, rows without text
    (``missing_text="raise"``; ``"drop"`` skips them, ``"keep"`` makes empty turns), rows
    without a document id and bad times raise one
    :class:`~qualcore.errors.TranscriptFormatError` listing each with its file and line
    (CSV, TSV, JSON Lines), sheet row (Excel) or record (JSON).

    >>> import qualcore as qc
    >>> from qualcore.datasets import pdpilot_path
    >>> c = qc.read_transcripts(pdpilot_path(), interviewer=["Dan"])
    >>> len(c), len(c.turns)
    (7, 826)
    >>> import tempfile, pathlib
    >>> tmp = tempfile.TemporaryDirectory()
    >>> p = pathlib.Path(tmp.name) / "A1.csv"
    >>> _ = p.write_text("Speaker,Start,End,Text\\nDan,0,2.5,Why?\\nSiân,2.5,4,Trust.\\n", encoding="utf-8")
    >>> qc.read_transcripts(p).turns[["doc_id", "speaker", "text", "time_start", "time_end"]].values.tolist()
    [['A1', 'Dan', 'Why?', 0.0, 2.5], ['A1', 'Siân', 'Trust.', 2.5, 4.0]]
    >>> tmp.cleanup()
    """
    from . import _tables

    if errors not in ("raise", "collect"):
        raise ArgumentError(f"errors: {errors!r} is not one of 'raise', 'collect'")
    text_formats = ("text", "vtt", "srt", "docx")
    if format is not None and format not in text_formats and format not in _tables.TABLE_FORMATS:
        known = ", ".join(repr(f) for f in (*text_formats, *_tables.TABLE_FORMATS))
        raise ArgumentError(f"format: {format!r} is not one of {known} (or None: by extension)")
    if pattern is None:
        pattern = "*" + {"text": ".txt", "vtt": ".vtt", "srt": ".srt", "docx": ".docx", None: ".txt"}.get(
            format, _tables.TABLE_FORMATS.get(format or "", ".txt"))
    files = _expand_paths(paths, pattern)
    bad_names = [f for f in files if not _is_utf8(f)]
    if bad_names:
        problems = [f"{f!r}: the file name is not valid UTF-8 (rename the file)" for f in bad_names]
        message = problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n  - " + "\n  - ".join(problems)
        raise TranscriptError(message, problems)
    by_ext = {".vtt": "vtt", ".srt": "srt", ".docx": "docx", **_tables.EXTENSIONS}
    formats = [format or by_ext.get(path_suffix(f).lower(), "text") for f in files]
    is_table = [f in _tables.TABLE_FORMATS for f in formats]
    text_files = [f for f, t in zip(files, is_table) if not t]
    ids = [path_stem(f) for f in text_files]
    seen: dict[str, list[str]] = {}
    for f, i in zip(text_files, ids):
        seen.setdefault(i, []).append(f)
    clashes = {i: fs for i, fs in seen.items() if len(fs) > 1}
    if clashes:
        problems = [f'document id "{i}" would come from {len(fs)} files: {fs}' for i, fs in clashes.items()]
        raise DuplicateIdError(
            "document ids (file stems) must be unique; rename the files or read the folders separately:\n  - "
            + "\n  - ".join(problems),
            problems,
        )
    table_corpus = None
    table_error: QualcoreError | None = None
    failures: list[tuple[str, str, str]] = []
    if any(is_table):
        table_files = [f for f, t in zip(files, is_table) if t]
        table_formats = [f for f, t in zip(formats, is_table) if t]
        taken = {i: fs[0] for i, fs in seen.items()}
        fast = _tables._read_fast(table_files, table_formats, columns, missing_text, taken, interviewer, threads,
                                  records)
        if fast is not None:
            table_corpus, table_ids = fast
            frame = None
        elif errors == "collect":
            frames, table_ids = [], []
            for tf, fmt in zip(table_files, table_formats):
                try:
                    fr, tids = _tables.read_table_files([tf], [fmt], columns=columns, sheet=sheet, records=records,
                                                        missing_text=missing_text, taken=taken)
                except QualcoreError as err:
                    failures.append((tf, type(err).__name__, str(err)))
                    is_table[files.index(tf)] = None  # type: ignore[call-overload]
                    continue
                frames.append(fr)
                table_ids.extend(tids)
                for ids_of_file in tids:  # a later file may not reuse these ids
                    for i in ids_of_file:
                        taken.setdefault(i, tf)
            frame = pd.concat(frames, ignore_index=True) if frames else None
        else:
            try:
                frame, table_ids = _tables.read_table_files(
                    table_files, table_formats, columns=columns, sheet=sheet,
                    records=records, missing_text=missing_text, taken=taken,
                )
            except QualcoreError as err:
                table_error = err
                frame = None
        if frame is not None:
            table_corpus = _tables.frame_corpus(frame, interviewer=interviewer)
    if table_error is not None:
        # the text files' problems are reported with the tables' (every bad file at once)
        if text_files:
            label = DEFAULT_LABEL_PATTERN if label_pattern is None else label_pattern
            _, text_failures = _read_text_files(text_files, ids, label, [f for f, t in zip(formats, is_table) if t is False],
                                                encoding, "collect", False, threads)
        else:
            text_failures = []
        if not text_failures:
            raise table_error
        problems = list(table_error.problems) + [m for _, _, m in text_failures]
        raise type(table_error)(f"{len(problems)} problems:\n  - " + "\n  - ".join(problems), problems) \
            if all(c == type(table_error).__name__ for _, c, _ in text_failures) else \
            QualcoreError(f"{len(problems)} problems:\n  - " + "\n  - ".join(problems), problems)
    if text_files:
        label = DEFAULT_LABEL_PATTERN if label_pattern is None else label_pattern
        # `t is False`: a table file that failed above is marked None, and is not a text file
        text_formats_used = [f for f, t in zip(formats, is_table) if t is False]
        native, text_failures = _read_text_files(text_files, ids, label, text_formats_used, encoding, errors,
                                                 progress, threads)
        failures.extend(text_failures)
        if text_failures:
            failed = {f for f, _, _ in text_failures}
            for k, f in enumerate(files):
                if f in failed:
                    is_table[k] = None  # type: ignore[call-overload]
        if table_corpus is not None:
            # documents in file order: a table file's documents in the order of their first row
            order: list[tuple[int, int]] = []
            t_pos = n_text = 0
            t_iter = iter(table_ids)
            for t in is_table:
                if t is None:  # a file that could not be read
                    continue
                if t:
                    for _ in next(t_iter):
                        order.append((1, t_pos))
                        t_pos += 1
                else:
                    order.append((0, n_text))
                    n_text += 1
            native = _tables.concat_natives([native, table_corpus._native], order)
    elif table_corpus is not None:
        native = table_corpus._native
    else:
        native = _native.Corpus.build([], [])
    corpus = Corpus(native, interviewers=interviewer)
    if speaker_map:
        corpus = corpus.rename_speakers(speaker_map)
    if errors == "collect":
        order = {f: k for k, f in enumerate(files)}
        failures.sort(key=lambda r: order.get(r[0], 0))
        return corpus, pd.DataFrame(failures, columns=["file", "error", "message"])
    return corpus


def _read_text_files(files: list[str], ids: list[str], label: str, formats: list[str], encoding: str | None,
                     errors: str, progress: bool | None, threads: int | None) -> tuple[Any, list[tuple[str, str, str]]]:
    """Reads the text-like files (text, VTT, SRT, DOCX) in Rust, with a progress bar polled
    from a thread while the native call runs without the GIL."""
    import codecs

    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ArgumentError(f"encoding: {encoding!r} is not an encoding Python knows") from None
        if codec not in ("utf-8", "utf-8-sig"):
            return _read_encoded(files, ids, label, formats, codec, errors, threads)
    collect = errors == "collect"

    def call() -> tuple[Any, list[tuple[str, str, str]]]:
        if collect:
            native, fails = _native.Corpus.read_transcripts_collect(files, ids, label, formats=formats,
                                                                    threads=threads_arg(threads))
            return native, list(fails)
        return _native.Corpus.read_transcripts(files, ids, label, formats=formats, threads=threads_arg(threads)), []

    return _with_progress(call, len(files), progress)


def _with_progress(call: Callable[[], Any], total: int, progress: bool | None) -> Any:
    import sys
    import threading

    show = progress
    if show is None:
        in_notebook = "ipykernel" in sys.modules
        show = total >= 200 and (in_notebook or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()))
    if not show:
        return call()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return call()
    done = threading.Event()
    bar = tqdm(total=total, unit="file", desc="reading", leave=False)

    def poll() -> None:
        while not done.wait(0.1):
            bar.n = min(_native.files_read(), total)
            bar.refresh()

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        return call()
    finally:
        done.set()
        t.join()
        bar.n = min(_native.files_read(), total)
        bar.close()


def _read_encoded(files: list[str], ids: list[str], label: str, formats: list[str], codec: str, errors: str,
                  threads: int | None) -> tuple[Any, list[tuple[str, str, str]]]:
    """Text files in an encoding the caller named: decoded in Python, parsed in Rust."""
    if any(f != "text" for f in formats):
        raise ArgumentError(f"encoding: {codec!r} applies to plain-text transcripts only (WebVTT, SRT and Word "
                            "files carry their own encoding)")
    texts: list[str] = []
    good_ids: list[str] = []
    failures: list[tuple[str, str, str]] = []
    problems: list[str] = []
    for f, i in zip(files, ids):
        try:
            data = Path(f).read_bytes()
        except OSError as err:
            msg = f"{f}: {err.strerror or err}"
            failures.append((f, "TranscriptError", msg))
            problems.append(msg)
            continue
        try:
            texts.append(data.decode(codec))
            good_ids.append(i)
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            msg = f"{f}: not valid {codec}: invalid byte at offset {err.start} (line {line})"
            failures.append((f, "TranscriptDecodeError", msg))
            problems.append(msg)
    if problems and errors == "raise":
        from .errors import TranscriptDecodeError

        raise TranscriptDecodeError(problems[0] if len(problems) == 1 else
                                    f"{len(problems)} problems:\n  - " + "\n  - ".join(problems), problems)
    native = _native.Corpus.parse_texts(good_ids, texts, label, threads_arg(threads), normalise_newlines=True)
    return native, failures


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
            found = _files_in(s, pattern)
            if not found:
                raise FileNotFoundError(f"no {pattern} files in folder {s!r}")
            files.extend(found)
        elif os.path.isfile(s):
            files.append(s)
        else:
            raise FileNotFoundError(f"no such file or folder: {s!r}")
    return files


def _files_in(folder: str, pattern: str) -> list[str]:
    """The files of ``folder`` matching ``pattern``, sorted, as ``Path(folder).glob(pattern)``
    names them; a pattern without ``/`` or ``**`` is matched on one directory listing (no
    path object, no extra ``stat`` per file)."""
    if "/" in pattern or os.sep in pattern or "**" in pattern:
        return sorted(str(x) for x in Path(folder).glob(pattern) if x.is_file())
    import fnmatch

    base = str(Path(folder))
    prefix = "" if base == "." else base if base.endswith(os.sep) else base + os.sep
    with os.scandir(folder) as entries:
        return sorted(prefix + e.name for e in entries if fnmatch.fnmatchcase(e.name, pattern) and e.is_file())


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_frame_columns(columns: Any, text: str, doc_id: str, speaker: str | None, time_start: str | None,
                         time_end: str | None, attributes: Sequence[str] | None, id_in_index: bool = False) -> None:
    """Raises ArgumentError for the first argument of :meth:`Corpus.from_frame` that names a
    column not in ``columns`` (``doc_id`` may name the index instead when ``id_in_index``)."""
    for arg, col in (("text", text), ("doc_id", doc_id), ("speaker", speaker),
                     ("time_start", time_start), ("time_end", time_end)):
        if col is not None and col not in columns and not (arg == "doc_id" and id_in_index):
            raise ArgumentError(f"{arg}: no column {col!r} in the frame (columns: {list(columns)})")
    if attributes is not None:
        missing = [a for a in attributes if a not in columns]
        if missing:
            raise ArgumentError(f"attributes: no column {missing} in the frame (columns: {list(columns)})")


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
