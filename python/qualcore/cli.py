"""The ``qualcore`` command: the library's analyses from a shell, over files, folders and globs.

Each subcommand reads a corpus of transcripts (files, folders of ``*.txt``, globs; see
:func:`qualcore.read_transcripts`), optionally joins an attributes table, calls the library
function of the same name, and writes one table::

    qualcore read transcripts/ --interviewer Dan
    qualcore kwic 'trust*' transcripts/ --interviewer Dan --participants-only -o trust.csv
    qualcore code transcripts/ --codebook codebook.yml --unit sentence -o coding.csv
    qualcore matrix transcripts/ --coding coding.csv --attributes participants.csv --by group
    qualcore cooc transcripts/ --codebook codebook.yml --unit turn --measure jaccard -o - | ...
    qualcore report transcripts/ --codebook codebook.yml --coding coding.csv --attributes participants.csv \
        --by group -o report.html
    qualcore convert transcripts/ --codebook codebook.yml --coding coding.csv --attributes participants.csv -o study.qdpx
    qualcore convert study.qdpx -o coding.csv        # or --table summary; -o codebook.qdc
    qualcore convert codebook.yml -o codebook.qdc    # and back: convert codebook.qdc -o codebook.yml

``report`` writes one self-contained HTML page (:func:`qualcore.report`) and ``convert`` writes
REFI-QDA files or codebooks by the extension of ``-o``; the others write tables.

Output: with no ``-o``, a readable table on the terminal; ``-o FILE`` writes CSV, TSV, Parquet
(needs pyarrow) or JSON Lines by the file's extension (or ``--format``), to a temporary file
renamed at the end, so a failed run never leaves half a file; ``-o -`` writes CSV (or
``--format``) to standard output for pipes.  Messages go to standard error; ``--quiet`` keeps
only errors.

Exit codes: 0 success; 1 an analysis error (a :class:`~qualcore.errors.QualcoreError`, a file
that cannot be read or written, a missing optional dependency), reported on standard error as
``qualcore <command>: error: <what and where>`` without a traceback; 2 a usage error (bad
options, reported by argparse with the usage line).

Threads: ``--threads N`` on any subcommand, else the environment variable
``QUALCORE_THREADS`` (:data:`qualcore.THREADS_ENV`), else every core.

Adding a subcommand: write ``_configure_<name>(parser)``, which adds the subcommand's arguments (reuse
:func:`_add_corpus_arguments`, :func:`_add_output_arguments`, :func:`_add_coding_arguments`,
:func:`_add_autocode_arguments`), and ``_run_<name>(args, ctx) -> int``, which checks its
usage first (:func:`_resolve_output`, :func:`_prepare_coding`), then uses :func:`_load_corpus`,
:func:`_load_codebook`, :func:`_load_coding` and :func:`_write_table`, and raises
:class:`UsageError` (exit 2) or :class:`CommandError` (exit 1); then add
``register(Command("<name>", "<one line>", _configure_<name>, _run_<name>))`` to the registry
block at the end of this module.  The parser is built from the registry, in registration order.

>>> from qualcore.cli import main
>>> from qualcore.datasets import pdpilot_path
>>> main(["kwic", "ICE plot*", str(pdpilot_path() / "P1.txt"), "--speaker", "Participant",
...       "--window", "2", "-o", "-"])
doc_id,turn,speaker,pattern,start,end,token_start,token_end,pre,match,post
P1,3,Participant,ICE plot*,356,365,76,78,to use,ICE plots,.
P1,5,Participant,ICE plot*,447,456,95,97,PDP and,ICE plots,.
0
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from ._util import THREADS_ENV, atomic_write
from .errors import QualcoreError, TranscriptDecodeError, TranscriptError, TranscriptFormatError

if TYPE_CHECKING:
    from ._codebook import Codebook
    from ._coding import Coding
    from ._corpus import Corpus

__all__ = ["main", "build_parser", "register", "Command", "Context", "UsageError", "CommandError"]

PROG = "qualcore"
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

#: Output formats by file extension (``--format`` overrides).
OUTPUT_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "table",
}
OUTPUT_FORMATS = ("csv", "tsv", "parquet", "jsonl", "table")
#: Table inputs (attributes, extracts, codings) by file extension.
TABLE_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
}
#: Codebook readers by file extension (``--codebook-format`` overrides).
CODEBOOK_EXTENSIONS = {".csv": "csv", ".json": "json", ".yml": "yaml", ".yaml": "yaml", ".cat": "wordstat", ".dic": "liwc",
                       ".qdc": "qdc"}
CODEBOOK_FORMATS = ("csv", "json", "yaml", "quanteda", "wordstat", "liwc", "qdc")
LIST_SEPARATOR = "; "

# Errors that concern one transcript file: `read` (and --skip-bad-files) set such files aside.
_PER_FILE_ERRORS = (TranscriptError, TranscriptDecodeError, TranscriptFormatError, OSError)


class UsageError(Exception):
    """A usage error found after parsing (a missing pattern, an unknown output extension):
    exit code 2, reported with the subcommand's usage line.

    >>> from qualcore.cli import UsageError
    >>> str(UsageError("give --coding or --codebook"))
    'give --coding or --codebook'
    """


class CommandError(Exception):
    """An expected failure of a subcommand (a file that cannot be read, a column that is
    missing): exit code 1, reported on standard error without a traceback.

    >>> from qualcore.cli import CommandError
    >>> str(CommandError("--attributes att.csv: no column 'doc_id'"))
    "--attributes att.csv: no column 'doc_id'"
    """


@dataclass
class Context:
    """What a running subcommand needs besides its arguments: the command name (for messages)
    and ``quiet``.  :meth:`info` and :meth:`warn` write to standard error; :meth:`step` writes
    progress only when standard error is a terminal.

    >>> import contextlib, io
    >>> from qualcore.cli import Context
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     Context("kwic").info("wrote 3 rows to out.csv")
    ...     Context("kwic", quiet=True).info("not shown")
    >>> err.getvalue()
    'qualcore kwic: wrote 3 rows to out.csv\\n'
    """

    command: str
    quiet: bool = False

    def info(self, message: str) -> None:
        """An informational message on standard error (not with ``--quiet``)."""
        if not self.quiet:
            print(f"{PROG} {self.command}: {message}", file=sys.stderr)

    def warn(self, message: str) -> None:
        """A warning on standard error (not with ``--quiet``)."""
        if not self.quiet:
            print(f"{PROG} {self.command}: warning: {message}", file=sys.stderr)

    @contextlib.contextmanager
    def step(self, message: str) -> Iterator[None]:
        """Progress of a long step (``reading 4,000 files … 2.1 s``), shown only when standard
        error is a terminal and not with ``--quiet``."""
        show = not self.quiet and _isatty(sys.stderr)
        t0 = time.perf_counter()
        if show:
            print(f"{PROG} {self.command}: {message} …", end="", file=sys.stderr, flush=True)
        try:
            yield
        finally:
            if show:
                print(f" {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Command:
    """A subcommand of ``qualcore``: its ``name``, a one-line ``help``, ``configure(parser)``
    that adds its arguments to its argparse parser, and ``run(args, ctx) -> int`` that does the
    work and returns the exit code.  Add one with :func:`register`.

    >>> from qualcore.cli import Command
    >>> cmd = Command("hello", "say hello", lambda p: None, lambda args, ctx: 0)
    >>> cmd.name, cmd.help
    ('hello', 'say hello')
    """

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Context], int]
    description: str = ""
    usage: str | None = None  # argparse usage line (``%(prog)s`` is ``qualcore <name>``); None: generated


_COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    """Adds ``command`` to the subcommands of ``qualcore`` (in registration order) and returns
    it; a name can be registered once.

    >>> from qualcore.cli import register, Command
    >>> try:
    ...     register(Command("kwic", "again", lambda p: None, lambda a, c: 0))
    ... except ValueError as e:
    ...     print(e)
    subcommand 'kwic' is already registered
    """
    if command.name in _COMMANDS:
        raise ValueError(f"subcommand {command.name!r} is already registered")
    _COMMANDS[command.name] = command
    return command


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``qualcore`` with every registered subcommand (e.g. for
    documentation generators such as sphinx-argparse).

    >>> from qualcore.cli import build_parser
    >>> parser = build_parser()
    >>> args = parser.parse_args(["matrix", "corpus/", "--coding", "coding.csv", "--by", "group"])
    >>> args.command, args.inputs, args.by, args.count
    ('matrix', ['corpus/'], 'group', 'cases')
    """
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Qualitative analysis of interview transcripts: the qualcore library from the shell.",
        epilog=(f"Exit codes: 0 success, 1 analysis error, 2 usage error. Threads: --threads N, else "
                f"${THREADS_ENV}, else all cores. Run '{PROG} COMMAND --help' for a command's options."),
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in _COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.description or cmd.help, allow_abbrev=False,
                           usage=cmd.usage, formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.configure(p)
        p.set_defaults(_command=cmd, _parser=p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``qualcore`` with ``argv`` (default ``sys.argv[1:]``) and returns the exit code: 0
    success, 1 analysis error, 2 usage error.  Errors go to standard error without a traceback.

    >>> from qualcore.cli import main
    >>> from qualcore.datasets import pdpilot_path
    >>> main(["read", str(pdpilot_path()), "--interviewer", "Dan", "--quiet", "-o", "-"])
    corpus,documents,participants,turns,words,speaking_time_s
    all,7,8,414,18260,
    0
    >>> main(["kwic", "trust", "no/such/folder"])   # on stderr: "no such file or folder"
    1
    >>> main(["kwic", "--window", "3", "trust"])     # a pattern but no input: a usage error
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as e:  # --help, --version, usage errors
        return _exit_code(e.code)
    ctx = Context(args.command, quiet=bool(getattr(args, "quiet", False)))
    prefix = f"{PROG} {args.command}: error:"
    try:
        with _threads_env(getattr(args, "threads", None)):
            return int(args._command.run(args, ctx) or 0)
    except UsageError as e:
        args._parser.print_usage(sys.stderr)
        print(f"{prefix} {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader of a pipe went away (`| head`): stop quietly
        _silence_stdout()
        return EXIT_ERROR
    except (CommandError, QualcoreError, OSError, ImportError) as e:
        print(f"{prefix} {_message(e)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"\n{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------------------------------------
# Shared arguments


def _number(kind: type, low: float, high: float | None, expected: str) -> Any:
    """An argparse type: ``kind(text)`` within ``[low, high]``, else a usage error saying
    what was expected."""
    def parse(text: str) -> Any:
        try:
            x = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if x < low or (high is not None and x > high):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return x

    return parse


_positive_int = _number(int, 1, None, "a whole number >= 1")
_non_negative_int = _number(int, 0, None, "a whole number >= 0")
_fraction = _number(float, 0, 1, "a number between 0 and 1")


def _rename(text: str) -> tuple[str, str]:
    old, sep, new = text.partition("=")
    if not sep or not old.strip() or not new.strip():
        raise argparse.ArgumentTypeError(f"expected OLD=NEW, got {text!r}")
    return old.strip(), new.strip()


def _add_corpus_arguments(p: argparse.ArgumentParser, inputs: bool = True) -> None:
    """Inputs (files, folders, globs) and how to read them; attributes; threads."""
    if inputs:
        p.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="transcript files (.txt, .vtt, .srt), folders or globs (quote globs: 'data/**/*.txt')")
    g = p.add_argument_group("reading transcripts")
    g.add_argument("--glob", default=None, metavar="PATTERN",
                   help="which files of a folder to read (default: *.txt, or *.<ext> of --input-format)")
    g.add_argument("--input-format", choices=("text", "vtt", "srt", "docx", "csv", "tsv", "xlsx", "json", "jsonl"),
                   default=None, help="format of every transcript (default: by extension: .vtt, .srt, .docx, .csv, "
                   ".tsv, .xlsx, .json, .jsonl, else text)")
    g.add_argument("--label-pattern", metavar="REGEX", default=None,
                   help="speaker-label regex with a group named 'speaker' (default: qualcore.DEFAULT_LABEL_PATTERN)")
    g.add_argument("--interviewer", action="append", default=[], metavar="NAME",
                   help="a speaker who is an interviewer (repeatable)")
    g.add_argument("--rename-speaker", action="append", type=_rename, default=[], metavar="OLD=NEW",
                   help="rename a speaker, e.g. to fix a typo in a label (repeatable)")
    g.add_argument("--skip-bad-files", action="store_true",
                   help="set aside transcripts that cannot be read (each is reported) instead of stopping")
    g.add_argument("--attributes", metavar="FILE", default=None,
                   help="participant attributes (CSV, TSV, Excel, Parquet, JSON Lines) with a document-id column")
    g.add_argument("--id-column", default="doc_id", metavar="NAME",
                   help="the attributes' document-id column (default: %(default)s)")
    g.add_argument("--unknown-ids", choices=("raise", "warn", "ignore"), default="raise",
                   help="attribute rows whose id is not a document: error, warning, or dropped (default: %(default)s)")
    g.add_argument("--threads", type=_positive_int, default=None, metavar="N",
                   help=f"threads for the parallel work (default: ${THREADS_ENV}, else all cores)")


def _add_output_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("-o", "--output", metavar="PATH", default=None,
                   help="write the table to PATH (.csv, .tsv, .parquet, .jsonl; '-' = CSV on standard output); "
                        "default: a table on the terminal")
    g.add_argument("--format", choices=OUTPUT_FORMATS, default=None,
                   help="output format (default: from the extension of -o)")
    g.add_argument("--max-rows", type=_non_negative_int, default=None, metavar="N",
                   help="rows of a terminal table (default: 50 on a terminal, all otherwise; 0 = all)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress or information messages")


def _add_speaker_arguments(g: Any) -> None:
    g.add_argument("--speaker", "--speakers", dest="speakers", action="append", default=None, metavar="NAME",
                   help="keep to this speaker's turns (repeatable)")
    g.add_argument("--participants-only", action="store_true",
                   help="keep to the turns of speakers who are not interviewers (see --interviewer)")


def _add_pattern_arguments(g: Any) -> None:
    g.add_argument("--valuetype", choices=("glob", "regex", "fixed"), default="glob",
                   help="pattern language (default: %(default)s)")
    g.add_argument("--case-sensitive", action="store_true", help="match case (default: case-insensitive)")


def _add_codebook_arguments(g: Any, required: bool = False) -> None:
    g.add_argument("--codebook", metavar="FILE", required=required, default=None,
                   help="codebook: CSV of code paths, JSON, YAML (quanteda dictionaries too), WordStat .cat, LIWC .dic")
    g.add_argument("--codebook-format", choices=CODEBOOK_FORMATS, default=None,
                   help="codebook format (default: from the extension)")


def _add_coding_arguments(p: argparse.ArgumentParser, autocode: bool = True) -> None:
    """``--coding FILE`` (a coding table) or, with ``autocode``, auto-coding with ``--codebook``."""
    g = p.add_argument_group("codings" + (" (a coding table, or auto-coding with --codebook)" if autocode else ""))
    g.add_argument("--coding", metavar="FILE", default=None, required=not autocode,
                   help="a coding table (doc_id, start, end, code, and coder/memo columns; as 'qualcore code' "
                        "writes it); '-' reads CSV from standard input")
    g.add_argument("--coder-column", default=None, metavar="NAME",
                   help="the coding table's coder column (default: 'coder' when present)")
    _add_codebook_arguments(g)
    if autocode:
        _add_autocode_arguments(p, unit_flag="--code-unit")


def _add_autocode_arguments(p: argparse.ArgumentParser, unit_flag: str) -> None:
    g = p.add_argument_group("auto-coding")
    flags = [unit_flag] if unit_flag == "--code-unit" else [unit_flag, "--code-unit"]
    g.add_argument(*flags, dest="code_unit", choices=("match", "sentence", "turn"), default="match",
                   help="what a pattern match codes: the matched words, its sentence, or its turn (default: %(default)s)")
    g.add_argument("--coder", default="autocode", metavar="NAME", help="coder name of the codings (default: %(default)s)")
    _add_speaker_arguments(g)
    _add_pattern_arguments(g)


# ---------------------------------------------------------------------------------------------
# Loading inputs


def _load_corpus(args: argparse.Namespace, ctx: Context, keep_going: bool | None = None) -> tuple[Corpus, list[tuple[str, str]]]:
    """The corpus of ``args.inputs`` with attributes and renames applied, and the files set
    aside as ``(file, problem)`` (only with ``keep_going``/``--skip-bad-files``)."""
    from ._corpus import _expand_paths, read_transcripts

    keep_going = bool(args.skip_bad_files) if keep_going is None else keep_going
    if args.attributes is not None:
        _table_kind(args.attributes, "--attributes")  # a usage error before the reading
    glob = args.glob or "*" + {None: ".txt", "text": ".txt"}.get(args.input_format, f".{args.input_format}")
    files = _expand_paths(list(args.inputs), glob)
    kw = {"label_pattern": args.label_pattern, "format": args.input_format, "interviewer": list(args.interviewer),
          "speaker_map": dict(args.rename_speaker) or None, "threads": args.threads}
    with ctx.step(f"reading {len(files):,} transcript file(s)"):
        failures: list[tuple[str, str]] = []
        if keep_going:
            corpus, table = read_transcripts(files, errors="collect", progress=False if ctx.quiet else None, **kw)
            failures = list(zip(table["file"].tolist(), table["message"].tolist()))
        else:
            corpus = read_transcripts(files, progress=False if ctx.quiet else None, **kw)
    for f, problem in failures:
        ctx.warn(f"set aside {problem if f in problem else f'{f}: {problem}'}")
    unknown = sorted(set(args.interviewer) - set(corpus.speakers))
    if unknown and len(corpus):
        ctx.warn(f"--interviewer {', '.join(unknown)}: no such speaker in the transcripts (speakers: {corpus.speakers})")
    if args.attributes is not None:
        corpus = _join_attributes(corpus, args, ctx)
    return corpus, failures


def _join_attributes(corpus: Corpus, args: argparse.Namespace, ctx: Context) -> Corpus:
    path = args.attributes
    table = _read_table(path, "--attributes", str_columns=[args.id_column])
    if args.id_column not in table.columns:
        raise CommandError(f"--attributes {path}: no column {args.id_column!r} (columns: {list(table.columns)}); "
                           "name the document-id column with --id-column")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            corpus = corpus.with_attributes(table, on=args.id_column, errors=args.unknown_ids)
        except QualcoreError as e:
            raise CommandError(f"--attributes {path}: {_message(e)}") from e
    for w in caught:
        ctx.warn(f"--attributes {path}: {w.message}")
    return corpus


def _table_kind(path: str, option: str) -> str:
    """The format of a table file by its extension (a usage error when unknown)."""
    if path == "-":
        return "csv"
    ext = Path(path).suffix.lower()
    kind = TABLE_EXTENSIONS.get(ext, "")
    if not kind:
        raise UsageError(f"{option} {path}: cannot tell the table format from the extension {ext or '(none)'!r}; "
                         f"use one of {sorted(TABLE_EXTENSIONS)}")
    return kind


def _read_table(path: str, option: str, str_columns: Sequence[str] = (), all_str: bool = False) -> pd.DataFrame:
    """A table file (CSV, TSV, Excel, Parquet, JSON Lines; ``-`` = CSV on standard input).
    ``str_columns`` (or every column with ``all_str``) are read as text, not numbers."""
    kind = _table_kind(path, option)
    if path == "-":
        source: Any = getattr(sys.stdin, "buffer", sys.stdin)
    else:
        if not os.path.isfile(path):
            raise CommandError(f"{option} {path}: no such file" if not os.path.exists(path) else f"{option} {path}: not a file")
        source = path
    dtype: Any = str if all_str else {c: str for c in str_columns}
    try:
        if kind in ("csv", "tsv"):
            df = pd.read_csv(source, sep="\t" if kind == "tsv" else ",", dtype=dtype, encoding="utf-8-sig",
                             keep_default_na=not all_str)
        elif kind == "excel":
            df = pd.read_excel(source, dtype=dtype, keep_default_na=not all_str)
        elif kind == "parquet":
            _require("pyarrow", "reading Parquet")
            df = pd.read_parquet(source)
        else:
            df = pd.read_json(source, lines=True, dtype=False)
            for c in [c for c in str_columns if c in df.columns]:
                df[c] = df[c].map(lambda v: v if v is None or isinstance(v, str) or v != v else str(v))
    except ImportError as e:
        raise CommandError(f"{option} {path}: {e}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as e:
        if isinstance(e, QualcoreError):
            raise
        raise CommandError(f"{option} {path}: cannot read the table: {e}") from None
    df.columns = [str(c) for c in df.columns]
    return df


def _load_codebook(path: str, fmt: str | None, option: str = "--codebook") -> Codebook:
    """A codebook file by extension (or ``fmt``)."""
    from ._codebook import Codebook

    if fmt is None:
        ext = Path(path).suffix.lower()
        fmt = CODEBOOK_EXTENSIONS.get(ext)
        if fmt is None:
            raise UsageError(f"{option} {path}: cannot tell the codebook format from the extension {ext or '(none)'!r}; "
                             f"use {sorted(CODEBOOK_EXTENSIONS)} or --codebook-format")
    if not os.path.isfile(path):
        raise CommandError(f"{option} {path}: no such file" if not os.path.exists(path) else f"{option} {path}: not a file")
    try:
        if fmt == "csv":
            return Codebook.read_csv(path)
        if fmt == "json":
            return Codebook.read_json(Path(path))
        if fmt in ("yaml", "quanteda"):
            return Codebook.read_yaml(Path(path))
        if fmt == "qdc":
            from ._refi import read_qdc

            return read_qdc(path)
        return Codebook.read_dictionary(Path(path), format=fmt)
    except (QualcoreError, ImportError) as e:
        raise CommandError(_where(f"{option} {path}", path, e)) from e
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise CommandError(f"{option} {path}: cannot read the codebook: {e}") from None


def _prepare_coding(args: argparse.Namespace) -> Codebook | None:
    """Checks the coding options (usage errors first, before any work) and reads ``--codebook``."""
    if args.coding is None and args.codebook is None:
        raise UsageError("give --coding FILE (a coding table) or --codebook FILE (to auto-code)")
    if args.coding is not None and (getattr(args, "speakers", None) or getattr(args, "participants_only", False)):
        raise UsageError("--speaker/--participants-only apply to auto-coding; with --coding, filter the coding table instead")
    return _load_codebook(args.codebook, args.codebook_format) if args.codebook else None


def _load_coding(args: argparse.Namespace, corpus: Corpus, ctx: Context, codebook: Codebook | None,
                 need_coder: bool = False) -> Coding:
    """The codings of ``--coding FILE`` (checked against the corpus and ``codebook``, else the
    codes the file holds), or of auto-coding the corpus with ``codebook``
    (see :func:`_prepare_coding`)."""
    from ._codebook import Code, Codebook
    from ._coding import Coding

    if args.coding is None:
        if codebook is None:
            raise UsageError("give --coding FILE (a coding table) or --codebook FILE (to auto-code)")
        return _autocode(corpus, codebook, args, ctx)
    name = "standard input" if args.coding == "-" else args.coding
    table = _read_table(args.coding, "--coding", all_str=True)
    missing = [c for c in ("doc_id", "start", "end", "code") if c not in table.columns]
    if missing:
        raise CommandError(f"--coding {name}: no column {missing} (columns: {list(table.columns)}); a coding table has "
                           "doc_id, start, end, code and optionally coder and memo, as 'qualcore code' writes it")
    coder_col = args.coder_column
    if coder_col is not None and coder_col not in table.columns:
        raise CommandError(f"--coding {name}: no coder column {coder_col!r} (columns: {list(table.columns)})")
    if coder_col is None and "coder" in table.columns:
        coder_col = "coder"
    if coder_col is None and need_coder:
        raise CommandError(f"--coding {name}: no 'coder' column (columns: {list(table.columns)}); agreement needs "
                           "the coder of each row (name the column with --coder-column)")
    for col in ("start", "end"):
        numbers = pd.to_numeric(table[col], errors="coerce")
        if numbers.notna().all() and (numbers == numbers.round()).all():
            table[col] = numbers.astype("int64")
        else:  # keep the bad cells as they are: Coding.from_frame names each row
            table[col] = [int(n) if math.isfinite(n) and n == round(n) else v
                          for n, v in zip(numbers.tolist(), table[col].astype(object).tolist())]
    if codebook is None:
        codebook = Codebook(Code(c) for c in dict.fromkeys(table["code"].tolist()) if isinstance(c, str) and c.strip())
    try:
        coding = Coding.from_frame(corpus, codebook, table, coder=coder_col,
                                   memo="memo" if "memo" in table.columns else None)
    except QualcoreError as e:
        raise CommandError(f"--coding {name} (row n is line n + 2 of a CSV file): {_message(e)}") from e
    ctx.info(f"{len(coding):,} codings of {len(coding.codes())} codes from {name}")
    return coding


def _autocode(corpus: Corpus, codebook: Codebook, args: argparse.Namespace, ctx: Context) -> Coding:
    corpus = _restrict(corpus, args, ctx)
    with ctx.step(f"auto-coding {len(corpus):,} documents"):
        coding = corpus.autocode(codebook, unit=args.code_unit, speakers=args.speakers, coder=args.coder,
                                 case_insensitive=not args.case_sensitive, valuetype=args.valuetype,
                                 threads=args.threads)
    ctx.info(f"{len(coding):,} codings of {len(coding.codes())} codes in {coding.to_frame()['doc_id'].nunique():,} "
             f"of {len(corpus):,} documents")
    return coding


def _restrict(corpus: Corpus, args: argparse.Namespace, ctx: Context) -> Corpus:
    if getattr(args, "participants_only", False):
        if not corpus.interviewers:
            ctx.warn("--participants-only without --interviewer: every speaker counts as a participant")
        corpus = corpus.participants()
    return corpus


# ---------------------------------------------------------------------------------------------
# Output


@dataclass(frozen=True)
class _Output:
    format: str
    path: str | None  # None: standard output
    max_rows: int | None


def _resolve_output(args: argparse.Namespace) -> _Output:
    """Where and how to write, checked before any work is done."""
    dest, fmt = args.output, args.format
    max_rows = args.max_rows
    if max_rows is None:
        max_rows = 50 if _isatty(sys.stdout) else 0
    if dest is None or dest == "-":
        fmt = fmt or ("table" if dest is None else "csv")
        if fmt == "parquet":
            _require("pyarrow", "writing Parquet")
        return _Output(fmt, None, max_rows or None)
    if fmt is None:
        ext = Path(dest).suffix.lower()
        fmt = OUTPUT_EXTENSIONS.get(ext)
        if fmt is None:
            raise UsageError(f"-o {dest}: cannot tell the output format from the extension {ext or '(none)'!r}; "
                             "use .csv, .tsv, .parquet or .jsonl, or give --format")
    target = Path(dest)
    if target.is_dir():
        raise CommandError(f"-o {dest}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise CommandError(f"-o {dest}: no such folder {str(target.parent)!r}")
    if fmt == "parquet":
        _require("pyarrow", "writing Parquet")
    return _Output(fmt, dest, None)


def _require(module: str, what: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise CommandError(f"{what} needs {module}, which is not installed: pip install {module}")


def _write_table(df: pd.DataFrame, out: _Output, ctx: Context, kind: str = "rows",
                 render: Callable[[pd.DataFrame, int | None], str] | None = None) -> None:
    """Writes ``df`` as ``out`` says: a file (atomically), standard output, or a terminal
    table (``render`` draws it; default: aligned columns)."""
    df = _flat(df)
    if out.path is None:
        if out.format == "table":
            sys.stdout.write((render or _render_table)(df, out.max_rows))
        elif out.format == "parquet":
            sys.stdout.flush()
            df.to_parquet(sys.stdout.buffer, index=False)
            sys.stdout.buffer.flush()
        else:
            _write_text(df, out.format, sys.stdout)
        sys.stdout.flush()
        return
    if out.format == "parquet":
        atomic_write(out.path, lambda fh: df.to_parquet(fh, index=False))
    elif out.format == "table":
        atomic_write(out.path, lambda fh: fh.write((render or _render_table)(df, None)), binary=False, newline="")
    else:
        atomic_write(out.path, lambda fh: _write_text(df, out.format, fh), binary=False, newline="")
    ctx.info(f"wrote {len(df):,} {kind} to {out.path}")


def _write_text(df: pd.DataFrame, fmt: str, f: IO[str]) -> None:
    if fmt == "jsonl":
        text = df.to_json(orient="records", lines=True, force_ascii=False, date_format="iso") if len(df) else ""
        f.write(text if not text or text.endswith("\n") else text + "\n")
    else:
        _lists_joined(df).to_csv(f, sep="\t" if fmt == "tsv" else ",", index=False, lineterminator="\n")


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Meaningful index levels (codes, groups) become columns; a plain row number is dropped."""
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        return df.reset_index(drop=True) if df.index.start != 0 or df.index.step != 1 else df
    if df.index.nlevels == 1 and df.index.name is None:
        return df.reset_index(drop=True)
    out = df.reset_index()
    out.columns = [str(c) for c in out.columns]
    return out


def _lists_joined(df: pd.DataFrame) -> pd.DataFrame:
    """List cells (e.g. saturation's ``new``) joined by ``"; "`` for text formats."""
    cols = {}
    for c in df.columns:
        s = df[c]
        if s.dtype == object:
            present = s.dropna()
            if len(present) and isinstance(present.iloc[0], (list, tuple)):
                cols[c] = s.map(lambda v: LIST_SEPARATOR.join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return df.assign(**cols) if cols else df


def _one_line(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells on one line each, for the terminal."""
    cols = {}
    for c in df.columns:
        s = df[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            cols[c] = s.map(lambda v: v.replace("\r", "").replace("\n", " ⏎ ") if isinstance(v, str) else v)
    return df.assign(**cols) if cols else df


def _render_table(df: pd.DataFrame, max_rows: int | None) -> str:
    if len(df) == 0:
        return f"(no rows; columns: {', '.join(map(str, df.columns))})\n"
    shown = df if not max_rows or len(df) <= max_rows else df.head(max_rows)
    width = shutil.get_terminal_size((120, 24)).columns
    text: str = _one_line(_lists_joined(shown)).to_string(index=False, max_colwidth=60, line_width=width)
    more = f"\n… {len(df) - len(shown):,} more rows of {len(df):,} (write them all with -o FILE)" if len(shown) < len(df) else ""
    return text + more + "\n"


def _render_kwic(df: pd.DataFrame, max_rows: int | None) -> str:
    """Concordance lines: where, left context (right-aligned), keyword, right context."""
    if len(df) == 0:
        return "(no matches)\n"
    shown = df if not max_rows or len(df) <= max_rows else df.head(max_rows)
    width = shutil.get_terminal_size((120, 24)).columns

    def clean(v: Any) -> str:
        return "" if not isinstance(v, str) else " ".join(v.split())

    labels = shown["pattern"].map(clean) if shown["pattern"].nunique() > 1 else pd.Series("", index=shown.index)
    where = [" ".join(x for x in (clean(d), clean(s), f"[{p}]" if p else "") if x)
             for d, s, p in zip(shown["doc_id"], shown["speaker"], labels)]
    where_w = min(max(map(len, where)), 40)
    match = [clean(m) for m in shown["match"]]
    match_w = min(max(map(len, match)), 30)
    pres = [clean(v) for v in shown["pre"]]
    side = max((width - where_w - match_w - 6) // 2, 10)
    pre_w = min(side, max(map(len, pres)))
    lines = []
    for w, pre, m, post in zip(where, pres, match, shown["post"]):
        post = clean(post)
        pre = pre if len(pre) <= pre_w else "…" + pre[-(pre_w - 1):]
        post = post if len(post) <= side else post[: side - 1] + "…"
        lines.append(f"{w[:where_w]:<{where_w}}  {pre:>{pre_w}}  {m:^{match_w}}  {post}".rstrip())
    more = f"\n… {len(df) - len(shown):,} more lines of {len(df):,} (write them all with -o FILE)" if len(shown) < len(df) else ""
    return "\n".join(lines) + more + "\n"


# ---------------------------------------------------------------------------------------------
# Subcommands


def _configure_read(p: argparse.ArgumentParser) -> None:
    _add_corpus_arguments(p)
    g = p.add_argument_group("read")
    g.add_argument("--by", default=None, metavar="ATTRIBUTE",
                   help="summarise per group of this attribute (needs --attributes)")
    g.add_argument("--table", choices=("summary", "documents", "speakers", "failures"), default=None,
                   help="which table to write (default: all on the terminal, 'summary' to a file)")
    _add_output_arguments(p)


def _run_read(args: argparse.Namespace, ctx: Context) -> int:
    out = _resolve_output(args)
    corpus, failures = _load_corpus(args, ctx, keep_going=True)
    failed = pd.DataFrame({"file": [f for f, _ in failures], "problem": [p for _, p in failures]})

    def speakers() -> pd.DataFrame:
        turns = corpus.turns
        turns = turns[turns["speaker"].notna()]
        table = turns.groupby("speaker", sort=False).agg(documents=("doc_id", "nunique"), turns=("turn", "size"))
        table.insert(0, "interviewer", [s in corpus.interviewers for s in table.index])
        return table

    tables: dict[str, Callable[[], pd.DataFrame]] = {
        "summary": lambda: corpus.summary(by=args.by),
        "documents": lambda: corpus.documents,
        "speakers": speakers,
        "failures": lambda: failed,
    }
    if out.format == "table" and out.path is None and args.table is None:  # the overview
        n_turns = int(corpus.documents["n_turns"].sum())
        parts = [f"{len(corpus):,} documents, {n_turns:,} turns, {len(corpus.speakers)} speakers "
                 f"({len(failures)} file(s) could not be read)\n",
                 _render_table(_flat(tables["summary"]()), out.max_rows)]
        sp = tables["speakers"]()
        if len(sp):
            parts.append(_render_table(_flat(sp), out.max_rows))
        if failures:
            parts.append(_render_table(failed, out.max_rows))
        sys.stdout.write("\n".join(parts))
    else:
        _write_table(tables[args.table or "summary"](), out, ctx)
    if failures:
        print(f"{PROG} read: error: {len(failures)} of {len(failures) + len(corpus)} file(s) could not be read",
              file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _configure_kwic(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="[PATTERN] INPUT",
                   help="the pattern (unless given with -e or --codebook), then transcript files, folders or globs")
    g = p.add_argument_group("keyword in context")
    g.add_argument("-e", "--pattern", dest="patterns", action="append", default=None, metavar="PATTERN",
                   help="a pattern (repeatable); white space makes a phrase, * and ? are wildcards")
    g.add_argument("--codebook", metavar="FILE", default=None,
                   help="take the patterns of a codebook, labelled by their code")
    g.add_argument("--codebook-format", choices=CODEBOOK_FORMATS, default=None, help="codebook format (default: by extension)")
    g.add_argument("-w", "--window", type=_non_negative_int, default=5, metavar="N",
                   help="tokens of context either side (default: %(default)s)")
    g.add_argument("--within", choices=("turn", "document"), default="turn",
                   help="contexts stay inside the turn or the document (default: %(default)s)")
    g.add_argument("--sort", action="append", default=None, metavar="KEY",
                   help="sort by context words: L1 (first word left), R1, R2, KW … (repeatable)")
    _add_speaker_arguments(g)
    _add_pattern_arguments(g)
    _add_corpus_arguments(p, inputs=False)
    _add_output_arguments(p)


def _run_kwic(args: argparse.Namespace, ctx: Context) -> int:
    positional = list(args.inputs)
    patterns: Any
    if args.patterns or args.codebook:
        patterns = list(args.patterns or [])
        inputs = positional
    else:
        if len(positional) < 2:
            raise UsageError("give a pattern and at least one input (or patterns with -e/--codebook)")
        patterns, inputs = [positional[0]], positional[1:]
    if args.codebook:
        codebook = _load_codebook(args.codebook, args.codebook_format)
        by_code: dict[str, list[str]] = {}
        for pattern, path in codebook.patterns():
            by_code.setdefault(path, []).append(pattern)
        if not by_code:
            raise CommandError(f"--codebook {args.codebook}: no code has patterns")
        for pat in patterns:
            by_code.setdefault(pat, []).append(pat)
        patterns = by_code
    out = _resolve_output(args)
    args.inputs = inputs
    corpus, _ = _load_corpus(args, ctx)
    corpus = _restrict(corpus, args, ctx)
    with ctx.step(f"searching {len(corpus):,} documents"):
        kwic = corpus.kwic(patterns, window=args.window, within=args.within, speakers=args.speakers,
                           case_insensitive=not args.case_sensitive, valuetype=args.valuetype, threads=args.threads)
    if args.sort:
        kwic = kwic.sort_context(*args.sort)
    _write_table(kwic, out, ctx, kind="lines", render=_render_kwic)
    return EXIT_OK


def _configure_code(p: argparse.ArgumentParser) -> None:
    _add_corpus_arguments(p)
    g = p.add_argument_group("codebook")
    _add_codebook_arguments(g, required=True)
    _add_autocode_arguments(p, unit_flag="--unit")
    _add_output_arguments(p)


def _run_code(args: argparse.Namespace, ctx: Context) -> int:
    out = _resolve_output(args)
    codebook = _load_codebook(args.codebook, args.codebook_format)
    corpus, _ = _load_corpus(args, ctx)
    coding = _autocode(corpus, codebook, args, ctx)
    _write_table(coding.frame, out, ctx, kind="codings")
    return EXIT_OK


def _configure_align(p: argparse.ArgumentParser) -> None:
    _add_corpus_arguments(p)
    g = p.add_argument_group("extracts")
    g.add_argument("--extracts", metavar="FILE", required=True,
                   help="coded extracts exported as text (CSV, TSV, Excel, Parquet, JSON Lines): document, code, text")
    g.add_argument("--doc-column", default="doc_id", metavar="NAME", help="document-id column (default: %(default)s)")
    g.add_argument("--code-column", default="code", metavar="NAME", help="code column (default: %(default)s)")
    g.add_argument("--text-column", default="text", metavar="NAME", help="extract text column (default: %(default)s)")
    _add_codebook_arguments(g)
    g.add_argument("--coder", default="aligned", metavar="NAME", help="coder name of the codings (default: %(default)s)")
    g.add_argument("--tolerance", type=_fraction, default=0.15, metavar="X",
                   help="length tolerance of fuzzy placement (default: %(default)s)")
    g.add_argument("--report", metavar="PATH", default=None,
                   help="write the per-extract report (placed, method, start, end, reason) to PATH")
    g.add_argument("--strict", action="store_true", help="exit with 1 when an extract could not be placed")
    _add_output_arguments(p)


def _run_align(args: argparse.Namespace, ctx: Context) -> int:
    out = _resolve_output(args)
    report_out = None
    if args.report is not None:
        report_out = _resolve_output(argparse.Namespace(output=args.report, format=None, max_rows=None))
        if report_out.path is None:
            raise UsageError("--report: give a file name")
    codebook = _load_codebook(args.codebook, args.codebook_format) if args.codebook else None
    extracts = _read_table(args.extracts, "--extracts", all_str=True)
    missing = [c for c in (args.doc_column, args.code_column, args.text_column) if c not in extracts.columns]
    if missing:
        raise CommandError(f"--extracts {args.extracts}: no column {missing} (columns: {list(extracts.columns)}); "
                           "name them with --doc-column, --code-column, --text-column")
    corpus, _ = _load_corpus(args, ctx)
    with ctx.step(f"aligning {len(extracts):,} extracts"):
        try:
            coding, report = corpus.align(extracts, doc=args.doc_column, code=args.code_column, text=args.text_column,
                                          codebook=codebook, coder=args.coder, tolerance=args.tolerance,
                                          threads=args.threads)
        except QualcoreError as e:
            raise CommandError(f"--extracts {args.extracts}: {_message(e)}") from e
    methods = report.loc[report["placed"], "method"].value_counts()
    n_bad = int((~report["placed"]).sum())
    ctx.info(f"placed {int(report['placed'].sum()):,} of {len(report):,} extracts ("
             + ", ".join(f"{m} {n}" for m, n in methods.items()) + ")"
             + (f"; {n_bad} not placed: {report.loc[~report['placed'], 'reason'].value_counts().to_dict()}" if n_bad else ""))
    if report_out is not None:
        _write_table(report, report_out, ctx, kind="report rows")
    _write_table(coding.frame, out, ctx, kind="codings")
    if n_bad and args.strict:
        print(f"{PROG} align: error: {n_bad} extract(s) could not be placed"
              + ("" if args.report else " (list them with --report FILE)"), file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _configure_cooc(p: argparse.ArgumentParser) -> None:
    _add_corpus_arguments(p)
    _add_coding_arguments(p)
    g = p.add_argument_group("co-occurrence")
    g.add_argument("--unit", choices=("overlap", "sentence", "turn", "document", "case"), default="sentence",
                   help="where two codes co-occur (default: %(default)s)")
    g.add_argument("--measure", choices=("count", "jaccard", "cosine", "lift", "pmi"), default="count",
                   help="cell value (default: %(default)s)")
    g.add_argument("--level", type=_positive_int, default=None, metavar="K", help="roll codes up to level K of the codebook")
    g.add_argument("--by", default=None, metavar="ATTRIBUTE", help="one matrix per group of this attribute")
    g.add_argument("--tidy", action="store_true", help="one row per co-occurring pair (code_a, code_b, n, value)")
    _add_output_arguments(p)


def _run_cooc(args: argparse.Namespace, ctx: Context) -> int:
    from ._cooccurrence import cooccurrence

    out = _resolve_output(args)
    codebook = _prepare_coding(args)
    corpus, _ = _load_corpus(args, ctx)
    coding = _load_coding(args, corpus, ctx, codebook)
    with ctx.step("counting co-occurrences"):
        result = cooccurrence(coding, unit=args.unit, level=args.level, measure=args.measure, by=args.by, tidy=args.tidy)
    if args.by is not None:
        result = pd.concat({str(g): frame for g, frame in result.items()}, names=[args.by]) if result else pd.DataFrame()
        if args.tidy:
            result = result.droplevel(-1)
    _write_table(result, out, ctx)
    return EXIT_OK


def _configure_matrix(p: argparse.ArgumentParser) -> None:
    _add_corpus_arguments(p)
    _add_coding_arguments(p)
    g = p.add_argument_group("code matrix")
    g.add_argument("--by", default=None, metavar="ATTRIBUTE",
                   help="one column per group of this attribute ('doc_id' for documents; default: one column)")
    g.add_argument("--count", choices=("cases", "units", "segments"), default="cases",
                   help="what is counted: participants, turns, or coded spans (default: %(default)s)")
    g.add_argument("--level", type=_positive_int, default=None, metavar="K", help="keep the codes at level K of the codebook")
    g.add_argument("--proportions", action="store_true", help="case counts divided by each group's number of cases")
    g.add_argument("--no-totals", action="store_true", help="no 'all' column")
    _add_output_arguments(p)


def _run_matrix(args: argparse.Namespace, ctx: Context) -> int:
    from ._coding import code_matrix

    out = _resolve_output(args)
    codebook = _prepare_coding(args)
    corpus, _ = _load_corpus(args, ctx)
    coding = _load_coding(args, corpus, ctx, codebook)
    table = code_matrix(coding, by=args.by, count=args.count, level=args.level, proportions=args.proportions,
                        totals=not args.no_totals)
    _write_table(table, out, ctx)
    return EXIT_OK


def _configure_saturation(p: argparse.ArgumentParser) -> None:
    _add_corpus_arguments(p)
    _add_coding_arguments(p)
    g = p.add_argument_group("saturation")
    order = g.add_mutually_exclusive_group()
    order.add_argument("--order", default=None, metavar="ID,ID,...",
                       help="interview order as comma-separated document ids (default: corpus order)")
    order.add_argument("--order-by", default=None, metavar="ATTRIBUTE",
                       help="interview order by an attribute (e.g. the interview date)")
    g.add_argument("--level", type=_positive_int, default=None, metavar="K", help="count the codes at level K only")
    _add_output_arguments(p)


def _run_saturation(args: argparse.Namespace, ctx: Context) -> int:
    from ._coding import saturation

    out = _resolve_output(args)
    codebook = _prepare_coding(args)
    corpus, _ = _load_corpus(args, ctx)
    coding = _load_coding(args, corpus, ctx, codebook)
    order = None
    if args.order is not None:
        order = [x.strip() for x in args.order.split(",") if x.strip()]
    elif args.order_by is not None:
        docs = corpus.documents
        if args.order_by not in docs.columns:
            raise CommandError(f"--order-by: no attribute {args.order_by!r} (attributes: {list(corpus.attributes.columns)})")
        order = docs.sort_values(args.order_by, kind="stable")["doc_id"].tolist()
    _write_table(saturation(coding, order=order, level=args.level), out, ctx)
    return EXIT_OK


def _configure_agreement(p: argparse.ArgumentParser) -> None:
    from ._agreement import MEASURES, UNITS

    _add_corpus_arguments(p)
    _add_coding_arguments(p, autocode=False)
    g = p.add_argument_group("agreement")
    g.add_argument("--coders", default=None, metavar="A,B,...", help="the coders to compare (default: every coder)")
    g.add_argument("--unit", choices=UNITS, default="character", help="what is compared (default: %(default)s)")
    g.add_argument("--measure", action="append", choices=MEASURES, default=None,
                   help="a coefficient (repeatable; default: all)")
    g.add_argument("--by", choices=("code", "document", "none"), default="code",
                   help="one row per code, per document, or pooled only (default: %(default)s)")
    ci = g.add_mutually_exclusive_group()
    ci.add_argument("--ci", type=_fraction, default=0.95, metavar="LEVEL",
                    help="bootstrap confidence level (default: %(default)s)")
    ci.add_argument("--no-ci", action="store_true", help="no bootstrap interval")
    g.add_argument("--n-boot", type=_positive_int, default=1000, metavar="N", help="bootstrap resamples (default: %(default)s)")
    g.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: %(default)s)")
    g.add_argument("--documents", choices=("common", "any"), default="common",
                   help="documents every coder coded, or any coded document (default: %(default)s)")
    g.add_argument("--level", type=_positive_int, default=None, metavar="K", help="roll codes up to level K")
    g.add_argument("--threshold", type=_fraction, default=0.9, metavar="X",
                   help="segment overlap that counts as a match with --unit segment (default: %(default)s)")
    _add_output_arguments(p)


def _run_agreement(args: argparse.Namespace, ctx: Context) -> int:
    from ._agreement import MEASURES, agreement

    out = _resolve_output(args)
    codebook = _prepare_coding(args)
    corpus, _ = _load_corpus(args, ctx)
    coding = _load_coding(args, corpus, ctx, codebook, need_coder=True)
    coders = None if args.coders is None else [c.strip() for c in args.coders.split(",") if c.strip()]
    with ctx.step("computing agreement"):
        table = agreement(coding, coders=coders, unit=args.unit, measure=args.measure or list(MEASURES),
                          by=None if args.by == "none" else args.by, ci=None if args.no_ci else args.ci,
                          n_boot=args.n_boot, seed=args.seed, documents=args.documents, level=args.level,
                          threshold=args.threshold)
    _write_table(table, out, ctx)
    return EXIT_OK


def _configure_report(p: argparse.ArgumentParser) -> None:
    _add_corpus_arguments(p)
    _add_coding_arguments(p)
    p.set_defaults(code_unit="sentence")  # quotes are sentences, not single matched words
    g = p.add_argument_group("report")
    g.add_argument("--by", default=None, metavar="ATTRIBUTE",
                   help="group the tables by this attribute (from --attributes; default: the corpus as one group)")
    g.add_argument("--unit", choices=("overlap", "sentence", "turn", "document", "case"), default="sentence",
                   help="where two codes co-occur, for the heatmap and the thematic map (default: %(default)s)")
    g.add_argument("--level", type=_positive_int, default=None, metavar="K", help="roll codes up to level K of the codebook")
    g.add_argument("--quotes", type=_non_negative_int, default=3, metavar="N",
                   help="quotes per code, from different participants first (default: %(default)s; 0 = none)")
    g.add_argument("--label", default=None, metavar="FORMAT",
                   help="quote labels as a format over the coding columns, e.g. '({group} {doc_id})' "
                        "(default: '({BY} {doc_id})', or '({doc_id})' without --by)")
    g.add_argument("--title", default=None, help="the report's title (default: 'Qualitative analysis report')")
    g.add_argument("--date", default=None, metavar="TEXT",
                   help="a date (any text) shown under the title; nothing else in the page depends on the time")
    o = p.add_argument_group("output")
    o.add_argument("-o", "--output", metavar="PATH", required=True,
                   help="the HTML file to write (.html, .htm; '-' = standard output)")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress or information messages")


def _html_target(dest: str) -> str | None:
    """The checked path of an HTML output (None: standard output)."""
    if dest == "-":
        return None
    ext = Path(dest).suffix.lower()
    if ext not in (".html", ".htm"):
        raise UsageError(f"-o {dest}: the report is an HTML file; give a name ending in .html (or '-' for standard output)")
    _check_target(dest)
    return dest


def _check_target(dest: str) -> None:
    target = Path(dest)
    if target.is_dir():
        raise CommandError(f"-o {dest}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise CommandError(f"-o {dest}: no such folder {str(target.parent)!r}")


def _run_report(args: argparse.Namespace, ctx: Context) -> int:
    from ._report import report

    target = _html_target(args.output)
    if args.codebook is None:
        raise UsageError("give --codebook FILE (the code tree of the report), with --coding FILE for a coding table "
                         "(else the transcripts are auto-coded with the codebook's patterns)")
    codebook = _prepare_coding(args)
    assert codebook is not None
    corpus, _ = _load_corpus(args, ctx)
    if args.by is not None and args.by not in corpus.documents.columns:
        hint = "" if args.attributes else "; give --attributes FILE with that column"
        raise CommandError(f"--by {args.by}: no such attribute (attributes: {list(corpus.attributes.columns)}){hint}")
    coding = _load_coding(args, corpus, ctx, codebook)
    with ctx.step("drawing the report"):
        page = report(corpus, codebook, coding, target, by=args.by, unit=args.unit, quotes=args.quotes,
                      title=args.title, level=args.level, label=args.label, date=args.date)
    if target is None:
        sys.stdout.write(page)
        sys.stdout.flush()
    else:
        ctx.info(f"wrote the report ({len(page.encode('utf-8')) / 1024:,.0f} KB) to {target}")
    return EXIT_OK


#: Codebook files ``convert`` writes, by extension.
CODEBOOK_WRITERS = {".yml": "yaml", ".yaml": "yaml", ".json": "json", ".csv": "csv", ".qdc": "qdc"}
#: Tables ``convert`` writes from a .qdpx (``--table``).
PROJECT_TABLES = ("coding", "summary", "documents", "codebook", "sources", "problems", "warnings")


def _configure_convert(p: argparse.ArgumentParser) -> None:
    _add_corpus_arguments(p)
    g = p.add_argument_group("convert")
    _add_codebook_arguments(g)
    g.add_argument("--coding", metavar="FILE", default=None,
                   help="transcripts -> .qdpx: a coding table (doc_id, start, end, code, coder, memo) to include")
    g.add_argument("--coder-column", default=None, metavar="NAME",
                   help="the coding table's coder column (default: 'coder' when present)")
    g.add_argument("--name", default=None, help="transcripts -> .qdpx: the project's name (default: the file name)")
    g.add_argument("--group-set", dest="group_sets", action="append", default=None, metavar="ATTRIBUTE",
                   help="transcripts -> .qdpx: one set of documents per value of this attribute (repeatable; "
                        "default: group)")
    g.add_argument("--table", choices=PROJECT_TABLES, default="coding",
                   help=".qdpx -> table: which table to write (default: %(default)s)")
    g.add_argument("--by", default=None, metavar="ATTRIBUTE", help=".qdpx -> table: with --table summary, per group")
    g.add_argument("--positions", choices=("auto", "codepoints", "utf16"), default="auto",
                   help=".qdpx -> table: how the file counts text positions (default: %(default)s, decided per source)")
    g.add_argument("--bad-selections", choices=("raise", "collect"), default="raise",
                   help=".qdpx -> table: selections that cannot be placed stop the run, or are left out and listed "
                        "with --table problems (default: %(default)s)")
    g.add_argument("--no-validate", action="store_true", help="do not check .qdpx/.qdc files against the REFI-QDA schema")
    _add_output_arguments(p)


def _run_convert(args: argparse.Namespace, ctx: Context) -> int:
    inputs, dest = list(args.inputs), args.output
    dest_ext = "" if dest in (None, "-") else Path(dest).suffix.lower()
    single = inputs[0] if len(inputs) == 1 and not any(ch in inputs[0] for ch in "*?[") else None
    in_ext = Path(single).suffix.lower() if single is not None and not os.path.isdir(single) else ""
    if dest_ext == ".qdpx":
        if in_ext in (".qdpx", ".qdc"):
            raise UsageError(f"{single}: a .qdpx is made from transcripts (with --codebook, --coding, --attributes)")
        return _convert_to_qdpx(args, ctx, dest)
    if in_ext in (".qdpx", ".qde"):
        assert single is not None
        return _convert_from_qdpx(args, ctx, single)
    if single is not None and (in_ext == ".qdc" or (in_ext in CODEBOOK_EXTENSIONS and dest_ext in CODEBOOK_WRITERS)):
        return _convert_codebook(args, ctx, single)
    raise UsageError("what to convert: transcripts with -o PROJECT.qdpx (and --codebook, --coding, --attributes); "
                     "a .qdpx with -o TABLE (--table coding, summary …) or -o CODEBOOK (.qdc, .yml, .json); "
                     "a codebook file with -o CODEBOOK.qdc, or a .qdc with -o CODEBOOK (.yml, .json, .csv)")


def _convert_to_qdpx(args: argparse.Namespace, ctx: Context, dest: str) -> int:
    from ._codebook import Codebook
    from ._refi import write_qdpx

    _check_target(dest)
    for option in ("table", "by"):
        if getattr(args, option) != {"table": "coding", "by": None}[option]:
            raise UsageError(f"--{option} applies when reading a .qdpx, not when writing one")
    codebook = _load_codebook(args.codebook, args.codebook_format) if args.codebook else None
    corpus, _ = _load_corpus(args, ctx)
    coding = _load_coding(args, corpus, ctx, codebook) if args.coding is not None else None
    if codebook is None:
        codebook = coding.codebook if coding is not None else Codebook([])
    with ctx.step(f"writing {len(corpus):,} documents to {dest}"):
        write_qdpx(corpus, codebook, coding, dest, name=args.name,
                   group_sets=args.group_sets if args.group_sets is not None else "group")
    ctx.info(f"wrote {len(corpus):,} documents, {len(codebook):,} codes and {len(coding or ()):,} codings to {dest}")
    return EXIT_OK


def _convert_from_qdpx(args: argparse.Namespace, ctx: Context, path: str) -> int:
    from ._refi import read_qdpx

    if args.attributes is not None or args.coding is not None or args.codebook is not None:
        raise UsageError("--attributes, --coding and --codebook apply to transcripts -> .qdpx; a .qdpx holds its own")
    with ctx.step(f"reading {path}"):
        project = read_qdpx(path, positions=args.positions, validate=not args.no_validate,
                            speaker_labels=args.label_pattern or True, errors=args.bad_selections)
    for w in project.warnings:
        ctx.warn(f"{path}: {w}")
    corpus = project.corpus
    if args.rename_speaker:
        corpus = corpus.rename_speakers(dict(args.rename_speaker))
    if args.interviewer:
        corpus = corpus._replace(interviewers=set(corpus.interviewers) | set(args.interviewer))
    ctx.info(f"{path}: {len(corpus):,} documents, {len(project.codebook):,} codes, {len(project.coding):,} codings")
    dest_ext = "" if args.output in (None, "-") else Path(args.output).suffix.lower()
    if dest_ext in CODEBOOK_WRITERS and dest_ext != ".csv":
        _write_codebook(project.codebook, args.output, ctx)
        return EXIT_OK
    if args.by is not None and args.table != "summary":
        raise UsageError("--by applies to --table summary")
    out = _resolve_output(args)
    tables: dict[str, Callable[[], pd.DataFrame]] = {
        "coding": lambda: project.coding.frame if len(corpus) else project.coding.to_frame(),
        "summary": lambda: corpus.summary(by=args.by),
        "documents": lambda: corpus.documents,
        "codebook": lambda: _codebook_frame(project.codebook),
        "sources": lambda: project.sources,
        "problems": lambda: project.problems,
        "warnings": lambda: pd.DataFrame({"warning": project.warnings}, dtype=object),
    }
    try:
        table = tables[args.table]()
    except QualcoreError as e:
        raise CommandError(f"--by {args.by}: {_message(e)}") from e
    _write_table(table, out, ctx, kind="codings" if args.table == "coding" else "rows")
    return EXIT_OK


def _codebook_frame(codebook: Codebook) -> pd.DataFrame:
    """A codebook as the CSV table ``Codebook.read_csv`` reads back: path, description, colour,
    patterns (joined by ``"; "``)."""
    f = codebook.to_frame()
    return pd.DataFrame({"path": f["path"], "description": f["description"],
                         "colour": f["colour"].map(lambda c: "" if c is None else c),
                         "patterns": f["patterns"].map(LIST_SEPARATOR.join)})


def _write_codebook(codebook: Codebook, dest: str | None, ctx: Context) -> None:
    """A codebook to ``dest`` by its extension (``.qdc``, ``.yml``, ``.json``, ``.csv``);
    ``-`` writes YAML to standard output, None a table on the terminal.  What the format
    cannot hold (patterns in .qdc, sets outside .qdc) is named in a warning."""
    from ._refi import write_qdc

    if dest is None:
        sys.stdout.write(_render_table(_codebook_frame(codebook), None))
        return
    fmt = "yaml" if dest == "-" else CODEBOOK_WRITERS.get(Path(dest).suffix.lower())
    if fmt is None:
        raise UsageError(f"-o {dest}: cannot tell the codebook format from the extension; use one of "
                         f"{sorted(CODEBOOK_WRITERS)} (or '-' for YAML on standard output)")
    n_patterns = sum(1 for c in codebook if c.patterns)
    if fmt == "qdc" and n_patterns:
        ctx.warn(f"REFI-QDA .qdc has no place for auto-coding patterns: the patterns of {n_patterns} code(s) are "
                 "left out (keep the codebook file, or a .qdpx, for them)")
    if fmt != "qdc" and codebook.sets:
        ctx.warn(f"{fmt} codebooks have no place for code sets: {len(codebook.sets)} set(s) left out (.qdc keeps them)")
    if fmt == "qdc":
        _check_target(dest)
        write_qdc(codebook, dest)
    else:
        if fmt == "yaml":
            text = codebook.to_yaml()
        elif fmt == "json":
            text = codebook.to_json() + "\n"
        else:
            text = _codebook_frame(codebook).to_csv(index=False, lineterminator="\n")
        if dest == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        _check_target(dest)
        _atomic_text(dest, text)
    ctx.info(f"wrote {len(codebook):,} codes to {dest}")


def _atomic_text(dest: str, text: str) -> None:
    atomic_write(dest, lambda fh: fh.write(text), binary=False, newline="")


def _convert_codebook(args: argparse.Namespace, ctx: Context, path: str) -> int:
    from ._refi import read_qdc

    if args.coding is not None or args.attributes is not None:
        raise UsageError("--coding and --attributes apply to transcripts -> .qdpx, not to a codebook")
    if Path(path).suffix.lower() == ".qdc":
        if not os.path.isfile(path):
            raise CommandError(f"{path}: no such file" if not os.path.exists(path) else f"{path}: not a file")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            codebook = read_qdc(path, validate=not args.no_validate)
        for w in caught:
            ctx.warn(f"{path}: {w.message}")
    else:
        codebook = _load_codebook(path, args.codebook_format, option="codebook")  # any readable codebook
    _write_codebook(codebook, args.output, ctx)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# Helpers


def _message(e: BaseException) -> str:
    if isinstance(e, OSError) and not isinstance(e, QualcoreError) and e.strerror and e.filename:
        return f"{e.filename}: {e.strerror}"
    if isinstance(e, KeyError) and not isinstance(e, QualcoreError) and e.args:
        return str(e.args[0])
    return str(e) or type(e).__name__


def _where(label: str, path: str, e: BaseException) -> str:
    """``label: message``, without repeating the file name when the message starts with it."""
    msg = _message(e)
    return f"{label}: {msg}" if path not in msg else msg


def _exit_code(code: Any) -> int:
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_USAGE


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@contextlib.contextmanager
def _threads_env(threads: int | None) -> Iterator[None]:
    """``--threads`` as ``$QUALCORE_THREADS`` for the duration of the command, so that every
    native call (including those without a ``threads=`` argument) uses it."""
    if threads is None:
        yield
        return
    old = os.environ.get(THREADS_ENV)
    os.environ[THREADS_ENV] = str(threads)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(THREADS_ENV, None)
        else:
            os.environ[THREADS_ENV] = old


# ---------------------------------------------------------------------------------------------
# Subcommand registry; see the module docstring for how to add one.

_USAGE = "%(prog)s [options] INPUT [INPUT ...]"
_CODING_USAGE = "%(prog)s (--coding FILE | --codebook FILE) [options] INPUT [INPUT ...]"

register(Command("read", "summarise transcripts: documents, turns, speakers, words, unreadable files",
                 _configure_read, _run_read,
                 "Reads transcripts and summarises them (qualcore.read_transcripts, Corpus.summary). Unreadable\n"
                 "files are set aside and listed; the exit code is then 1.", _USAGE))
register(Command("kwic", "keyword in context", _configure_kwic, _run_kwic,
                 "Keyword-in-context lines of one or more patterns (Corpus.kwic).",
                 "%(prog)s [options] PATTERN INPUT [INPUT ...]\n"
                 "       %(prog)s [options] (-e PATTERN ... | --codebook FILE) INPUT [INPUT ...]"))
register(Command("code", "auto-code transcripts with a codebook", _configure_code, _run_code,
                 "Auto-codes the transcripts with the patterns of a codebook file (Corpus.autocode) and writes\n"
                 "the coding table (doc_id, start, end, code, coder, memo, text, turn, speaker, attributes).",
                 "%(prog)s --codebook FILE [options] INPUT [INPUT ...]"))
register(Command("align", "place coded extracts (MAXQDA, NVivo exports) back on the transcripts", _configure_align,
                 _run_align, "Locates coded extracts exported as text on the transcripts (Corpus.align) and writes\n"
                             "the coding table; --report writes one row per extract.",
                 "%(prog)s --extracts FILE [options] INPUT [INPUT ...]"))
register(Command("cooc", "code x code co-occurrence", _configure_cooc, _run_cooc,
                 "Code x code co-occurrence (qualcore.cooccurrence) of a coding table or of auto-coding.",
                 _CODING_USAGE))
register(Command("matrix", "codes x groups: participants (or turns, spans) per code", _configure_matrix, _run_matrix,
                 "Codes x groups (qualcore.code_matrix) of a coding table or of auto-coding.", _CODING_USAGE))
register(Command("saturation", "new codes per interview and the cumulative count", _configure_saturation,
                 _run_saturation, "Code saturation in interview order (qualcore.saturation).", _CODING_USAGE))
register(Command("agreement", "inter-coder agreement of a coding table with a coder column", _configure_agreement,
                 _run_agreement, "Inter-coder agreement (qualcore.agreement) of a coding table with a coder column.",
                 "%(prog)s --coding FILE [options] INPUT [INPUT ...]"))
register(Command("report", "the analysis report: one self-contained HTML page", _configure_report, _run_report,
                 "Writes the analysis report (qualcore.report): corpus summary and participants per code by group,\n"
                 "co-occurrence heatmap, thematic map, saturation curve and quotes per code with their labels, as\n"
                 "one HTML file that opens offline (inline figures and styles; tables sort on a click).",
                 "%(prog)s --codebook FILE [--coding FILE] [options] -o REPORT.html INPUT [INPUT ...]"))
register(Command("convert", "transcripts and codings to and from REFI-QDA (.qdpx, .qdc) and codebook files",
                 _configure_convert, _run_convert,
                 "Converts by the inputs and the extension of -o:\n"
                 "  transcripts (+ --codebook, --coding, --attributes) -o PROJECT.qdpx   a REFI-QDA project\n"
                 "  PROJECT.qdpx -o TABLE (--table coding|summary|documents|codebook|sources|problems|warnings)\n"
                 "  PROJECT.qdpx -o CODEBOOK.qdc|.yml|.json                            its codebook\n"
                 "  CODEBOOK.yml|.json|.csv|.cat|.dic -o CODEBOOK.qdc, and CODEBOOK.qdc -o CODEBOOK.yml|.json|.csv\n"
                 "NVivo, ATLAS.ti, MAXQDA and QualCoder read and write .qdpx/.qdc (REFI-QDA 1.0).",
                 "%(prog)s INPUT [INPUT ...] -o PROJECT.qdpx [--codebook FILE] [--coding FILE] [--attributes FILE]\n"
                 "       %(prog)s PROJECT.qdpx [-o TABLE | -o CODEBOOK] [--table NAME]\n"
                 "       %(prog)s CODEBOOK -o CODEBOOK"))
