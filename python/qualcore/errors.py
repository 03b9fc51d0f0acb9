"""qualcore's exceptions.

Every error raised by qualcore derives from :class:`QualcoreError`, and also from the standard
exception users would reach for (``ValueError`` for bad input, ``KeyError`` for an unknown
document id, ``OSError`` for unreadable files), so ``except ValueError`` keeps working.
Errors found while validating a whole input are collected and raised once; the list is in
``err.problems``.

>>> import qualcore as qc
>>> try:
...     qc.Corpus.from_texts(["a", "b"], doc_ids=["x", "x"])
... except qc.errors.DuplicateIdError as e:
...     print(e)
document ids must be unique; duplicated: "x"
"""

from __future__ import annotations

__all__ = [
    "QualcoreError",
    "ArgumentError",
    "PatternError",
    "DuplicateIdError",
    "UnknownDocumentError",
    "CorpusError",
    "TranscriptError",
    "TranscriptDecodeError",
    "TranscriptFormatError",
    "CodebookError",
    "DictionaryError",
    "CodingError",
    "AgreementError",
    "RefiError",
]


class QualcoreError(Exception):
    """Base class of qualcore's errors.  ``problems`` lists every problem found.

    >>> import qualcore as qc
    >>> try:
    ...     qc.Corpus.from_texts(["x"]).kwic(["", "(a"], valuetype="regex")
    ... except qc.QualcoreError as e:
    ...     print(len(e.problems), isinstance(e, ValueError))
    2 True
    """

    problems: list[str]

    def __init__(self, message: str = "", problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ArgumentError(QualcoreError, ValueError):
    """An argument outside its allowed values (the message names the argument)."""


class PatternError(QualcoreError, ValueError):
    """A pattern that cannot be compiled (the message quotes the pattern)."""


class DuplicateIdError(QualcoreError, ValueError):
    """Document ids that are not unique (all of them are listed)."""


class UnknownDocumentError(QualcoreError, KeyError):
    """A document id the corpus does not hold."""


class CorpusError(QualcoreError, ValueError):
    """Documents or turns that do not fit together (the message names the document)."""


class TranscriptError(QualcoreError, OSError):
    """A transcript file that cannot be read (the message names the file)."""


class TranscriptDecodeError(QualcoreError, ValueError):
    """A transcript that is not valid text in its encoding (file, byte offset and line)."""


class TranscriptFormatError(QualcoreError, ValueError):
    """A transcript that does not follow its format (file, line and what was expected)."""


class CodebookError(QualcoreError, ValueError):
    """A codebook that is not a valid tree (every problem is listed)."""


class DictionaryError(QualcoreError, ValueError):
    """A dictionary or codebook file with a syntax error (file and line)."""


class CodingError(QualcoreError, ValueError):
    """Codings that do not fit the corpus or the codebook (every problem is listed)."""


class AgreementError(QualcoreError, ValueError):
    """Codings on which agreement cannot be computed (one coder, no common document …)."""


class RefiError(QualcoreError, ValueError):
    """A REFI-QDA file (.qdpx, .qde, .qdc) that cannot be read or written: not a zip, no
    project.qde, XML that does not validate (line and rule), unsafe or oversized entries, GUID
    references to nothing, duplicate GUIDs, selections outside their source."""
