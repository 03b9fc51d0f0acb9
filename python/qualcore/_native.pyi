"""Type stubs of the compiled module ``qualcore._native`` (private: use ``qualcore``).

Offsets are Python string indices (code points, 0-based, end-exclusive).  Every heavy call
releases the GIL and runs on rayon; ``threads=None`` uses all cores (one in a forked child).
"""

from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = ["Corpus", "CompiledPatterns", "Tokens", "TermCounts", "tokenize", "default_label_pattern", "files_read", "table_headers",
           "read_tables", "read_json_tables"]

_I64 = npt.NDArray[np.int64]

@final
class Corpus:
    """Documents, turns and speakers held in Rust."""

    @staticmethod
    def build(
        doc_ids: list[str],
        texts: list[Any],
        turns: tuple[
            list[int], list[str | None], list[int], list[int], list[int], list[int], list[float], list[float]
        ]
        | None = None,
    ) -> Corpus:
        """Builds a corpus from str texts (or UTF-8 bytes, consumed: their list slots are set
        to None as they are copied); turn columns are (doc row, speaker, start, end,
        label_start, label_end, time_start, time_end) with code-point offsets, -1 = no label,
        NaN = no time."""
    @staticmethod
    def read_transcripts(
        paths: list[str],
        doc_ids: list[str],
        label_pattern: str,
        formats: list[str] | None = None,
        threads: int | None = None,
    ) -> Corpus:
        """Reads transcripts (UTF-8, or UTF-16 with a BOM; line ends made LF) in parallel and
        splits them into speaker turns; ``formats`` gives each file's format ("text", "vtt",
        "srt")."""
    @staticmethod
    def read_transcripts_collect(
        paths: list[str],
        doc_ids: list[str],
        label_pattern: str,
        formats: list[str] | None = None,
        threads: int | None = None,
    ) -> tuple[Corpus, list[tuple[str, str, str]]]:
        """As ``read_transcripts``; unreadable files are returned as (path, error class,
        message) rows beside the corpus of the others."""
    def line_ends(self) -> list[tuple[_I64, int, str]]:
        """Per document: character offsets of each LF that was CR LF in the file, the number
        of lone CRs made LF, and the line-end style."""
    @staticmethod
    def parse_texts(
        doc_ids: list[str], texts: list[Any], label_pattern: str, threads: int | None = None,
        normalise_newlines: bool = False,
    ) -> Corpus:
        """Splits texts already in memory (str, or UTF-8 bytes, which are consumed: their
        list slots are set to None as they are copied) into speaker turns, as
        ``read_transcripts`` does (line ends made LF and recorded when asked)."""
    def __len__(self) -> int: ...
    def doc_ids(self) -> list[str]:
        """Document ids in order."""
    def texts(self) -> list[str]:
        """Texts in order."""
    def text(self, position: int) -> str:
        """Text of the document at ``position``."""
    def position(self, doc_id: str) -> int:
        """Position of a document by id."""
    def speakers(self) -> list[str]:
        """Speaker names."""
    def doc_stats(self) -> tuple[_I64, _I64]:
        """(length in code points, number of turns) per document."""
    def turns_table(self) -> dict[str, npt.NDArray[Any]]:
        """Turn columns: doc, turn, speaker, start, end, label_start, label_end, time_start, time_end."""
    def select(self, positions: list[int]) -> Corpus:
        """The documents at ``positions``, in that order."""
    def with_speakers(self, speakers: list[str] | None) -> Corpus:
        """The same documents analysed only in the turns of ``speakers``."""
    def speaker_restriction(self) -> list[str] | None:
        """The speakers the corpus is restricted to, or None."""
    def rename_speakers(self, mapping: dict[str, str]) -> Corpus:
        """Speakers renamed by ``mapping``."""
    def tokens(self, lowercase: bool = True, threads: int | None = None) -> Tokens:
        """Tokenises the corpus."""
    def term_counts(self, lowercase: bool, per_document: bool, threads: int | None = None) -> TermCounts:
        """The forms of each document or active unit with their counts, without token ids."""
    def sentences(self, threads: int | None = None) -> dict[str, _I64]:
        """Sentence columns: doc, turn, start, end."""
    def kwic(
        self,
        patterns: list[str],
        valuetype: str = "glob",
        case_insensitive: bool = True,
        window: int = 5,
        within: str = "turn",
        speakers: list[str] | None = None,
        threads: int | None = None,
        compiled: CompiledPatterns | None = None,
    ) -> dict[str, Any]:
        """KWIC columns: doc, turn, pattern, start, end, token_start, token_end (arrays) and
        pre, match, post (lists of str)."""
    def autocode(
        self,
        patterns: list[str],
        pattern_code: list[int],
        unit: str = "match",
        valuetype: str = "glob",
        case_insensitive: bool = True,
        speakers: list[str] | None = None,
        threads: int | None = None,
        code_names: list[str] | None = None,
        compiled: CompiledPatterns | None = None,
    ) -> dict[str, _I64]:
        """Auto-coding columns: doc, code, turn, start, end, hits; ``code_names`` name the code
        of a pattern that does not compile."""
    def align(
        self, docs: list[int], extracts: list[Any], tolerance: float = 0.15, threads: int | None = None
    ) -> dict[str, npt.NDArray[Any]]:
        """Alignment columns: start, end (-1 if not found), method (0 exact, 1 normalized,
        2 fuzzy, 3 not found), candidates, score."""
    def pseudonymise(
        self,
        patterns: list[str],
        replacements: list[str],
        valuetype: str = "glob",
        case_insensitive: bool = True,
        threads: int | None = None,
    ) -> tuple[Corpus, dict[str, _I64]]:
        """Replaces every match of ``patterns`` (labels and speaker names included) and
        returns the new corpus and the replacements (doc, old_start, old_end, new_start,
        new_end, pattern)."""
    def token_counts(self, threads: int | None = None) -> tuple[_I64, _I64]:
        """(tokens, word tokens) per document, without keeping the tokens."""
    def __reduce__(self) -> tuple[Any, ...]: ...
    @staticmethod
    def _from_state(
        ids: list[str],
        texts: list[str],
        turns: list[tuple[int, str | None, int, int, tuple[int, int] | None, float | None, float | None]],
        speakers: list[str] | None,
        line_ends: list[tuple[list[int], int]] | None = None,
    ) -> Corpus:
        """Rebuilds a corpus from its pickled state."""

@final
class CompiledPatterns:
    """Patterns compiled once; pickles as its patterns and options."""

    def __new__(
        cls,
        patterns: list[str],
        valuetype: str = "glob",
        case_insensitive: bool = True,
        pattern_code: list[int] | None = None,
        code_names: list[str] | None = None,
    ) -> CompiledPatterns: ...
    def __len__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class Tokens:
    """A tokenised corpus held in Rust."""

    def columns(self, threads: int | None = None) -> dict[str, _I64]:
        """Token columns: doc, turn, position, start, end, type."""
    def fcm_units(
        self, feature_of_norm: npt.NDArray[np.int64], n: int, per_document: bool, boolean: bool,
        threads: int | None = None,
    ) -> tuple[_I64, _I64, _I64]:
        """Term co-occurrence within documents or turns from the token ids; CSR of counts."""
    def unit_matrix(self, feature_of_norm: npt.NDArray[np.int64], n: int,
                    per_document: bool = True) -> tuple[_I64, _I64, _I64]:
        """Documents (or units) × features counts; CSR."""
    def unit_labels(self) -> tuple[_I64, _I64]:
        """(doc, turn) of every unit (turn -1: outside turns)."""
    def fcm_window(
        self, feature_of_norm: npt.NDArray[np.int64], n: int, weights: list[float], ordered: bool,
        per_document: bool, threads: int | None = None, symmetric: bool = False,
    ) -> tuple[_I64, _I64, npt.NDArray[np.float64] | _I64]:
        """Term co-occurrence within a window inside turns or documents from the token ids; CSR
        (int64 values when all are whole numbers); ``symmetric``: M + M.T of the forward counts."""
    def flat(self, threads: int | None = None) -> dict[str, _I64]:
        """All tokens concatenated: norm (norm id per token), unit_offsets (n_units + 1),
        unit_doc, unit_turn (-1: outside every turn)."""
    def types(self) -> list[str]:
        """Original forms by type id."""
    def type_norms(self) -> _I64:
        """Norm id of every type."""
    def norms(self) -> list[str]:
        """Normalised forms by norm id."""
    def norm_is_word(self) -> npt.NDArray[np.bool_]:
        """True for norms that are words."""
    def norm_ranks(self) -> npt.NDArray[np.uint32]:
        """Rank of each norm in code-point order of the forms."""
    def norm_counts(self) -> npt.NDArray[np.uint64]:
        """Corpus frequency of each norm."""
    def doc_lengths(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """(tokens, word tokens) per document."""
    def ids(self, position: int) -> npt.NDArray[np.uint32]:
        """Type ids of the tokens of one document."""

@final
class TermCounts:
    """The forms of each unit (document or turn) with their counts, held in Rust."""

    def norms(self) -> list[str]:
        """Normalised forms by norm id."""
    def norm_is_word(self) -> npt.NDArray[np.bool_]:
        """True for norms that are words."""
    def norm_ranks(self) -> npt.NDArray[np.uint32]:
        """Rank of each norm in code-point order of the forms."""
    def norm_counts(self) -> npt.NDArray[np.uint64]:
        """Corpus frequency of each norm."""
    def fcm_units(
        self, feature_of_norm: npt.NDArray[np.int64], n: int, per_document: bool, boolean: bool,
        threads: int | None = None,
    ) -> tuple[_I64, _I64, _I64]:
        """Term co-occurrence within the units counted; CSR of counts."""
    def unit_matrix(self, feature_of_norm: npt.NDArray[np.int64], n: int,
                    per_document: bool = True) -> tuple[_I64, _I64, _I64]:
        """Units × features counts; CSR."""
    def unit_labels(self) -> tuple[_I64, _I64]:
        """(doc, turn) of every unit counted (turn -1: a whole document or outside turns)."""

def tokenize(text: str) -> tuple[_I64, _I64]:
    """(start, end) code-point offsets of the tokens of ``text``."""

def files_read() -> int:
    """Files read so far by the running (or last) transcript read."""

def default_label_pattern() -> str:
    """The default speaker-label regex."""

def table_headers(paths: list[str], seps: list[str], threads: int | None = None) -> list[list[str] | None]:
    """Each CSV/TSV file's header (``seps`` ``","`` or ``"\\t"``), None when the Rust table
    reader does not take the file."""

def read_tables(
    paths: list[str],
    seps: list[str],
    columns: list[tuple[int, int, int, int, int]],
    default_ids: list[str],
    missing_text: str,
    separator: str,
    threads: int | None = None,
) -> tuple[Corpus | None, list[list[str]], str]:
    """Clean CSV/TSV utterance tables read into a corpus: ``(corpus, ids per file, "")``, or
    ``(None, [], reason)`` when the Python reader must read them (it reports the problems)."""

def read_json_tables(
    paths: list[str],
    default_ids: list[str],
    records: str | None,
    record_keys: list[str],
    given: list[tuple[str, str | None]],
    names: list[tuple[str, list[str]]],
    missing_text: str,
    separator: str,
    threads: int | None = None,
) -> tuple[Corpus | None, list[list[str]], str]:
    """Clean JSON record files read into a corpus, columns chosen as the Python reader does:
    ``(corpus, ids per file, "")``, or ``(None, [], reason)`` when the Python reader must read
    them."""
