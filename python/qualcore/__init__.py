"""qualcore: fast, reproducible qualitative analysis of interview transcripts.

>>> import qualcore as qc
>>> corpus = qc.datasets.load_pdpilot()
>>> corpus
<qualcore.Corpus: 7 documents, 826 turns, attributes []>
>>> corpus.participants().kwic("interpret*", window=3).shape[0] > 0
True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import datasets, errors, plot
from ._agreement import agreement, disagreements, reliability
from ._codebook import PATH_SEPARATOR, Code, Codebook
from ._cooccurrence import cooccurrence, cooccurrence_units
from ._coding import Coding, code_matrix, saturation
from ._corpus import DEFAULT_LABEL_PATTERN, TURN_SEPARATOR, Corpus, Document, read_transcripts
from ._kwic import KwicFrame
from ._refi import Project, read_qdc, read_qdpx, write_qdc, write_qdpx
from ._report import report
from ._terms import Dfm, Fcm
from ._thematic import thematic_map, to_dot, write_gexf, write_graphml
from ._tokens import Tokens
from ._util import THREADS_ENV
from .errors import QualcoreError

try:
    __version__ = version("qualcore")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"


def tokenize(text: str) -> list[str]:
    """The tokens of one string, as the corpus tokeniser makes them (UAX #29 words, each
    punctuation mark its own token, white space dropped).

    >>> import qualcore as qc
    >>> qc.tokenize("Don't trust U.S. stats, e.g. 3.5%!")
    ["Don't", 'trust', 'U.S', '.', 'stats', ',', 'e.g', '.', '3.5', '%', '!']
    """
    from . import _native

    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    starts, ends = _native.tokenize(text)
    return [text[s:e] for s, e in zip(starts.tolist(), ends.tolist())]


__all__ = [
    "Code",
    "Codebook",
    "Coding",
    "PATH_SEPARATOR",
    "agreement",
    "code_matrix",
    "cooccurrence",
    "cooccurrence_units",
    "thematic_map",
    "to_dot",
    "write_gexf",
    "write_graphml",
    "disagreements",
    "reliability",
    "saturation",
    "Corpus",
    "Document",
    "KwicFrame",
    "Tokens",
    "Dfm",
    "Fcm",
    "Project",
    "report",
    "read_qdc",
    "read_qdpx",
    "write_qdc",
    "write_qdpx",
    "QualcoreError",
    "DEFAULT_LABEL_PATTERN",
    "TURN_SEPARATOR",
    "THREADS_ENV",
    "datasets",
    "plot",
    "errors",
    "read_transcripts",
    "tokenize",
    "__version__",
]
