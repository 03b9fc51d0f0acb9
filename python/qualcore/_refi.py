"""REFI-QDA (QDA-XML 1.0) exchange with NVivo, ATLAS.ti, MAXQDA and QualCoder.

``.qdc`` files hold a codebook (``CodeBook`` in namespace ``urn:QDA-XML:codebook:1.0``);
``.qdpx`` files are zips with one ``project.qde`` (``Project`` in ``urn:QDA-XML:project:1.0``)
and a flat ``sources/`` folder.  Both are validated against the official schemas (MIT, bundled
in ``qualcore/schemas``) with lxml; every file is treated as hostile: no DTDs or entities, no
file is read outside the zip unless ``base_path`` allows it, limits on entries and on
uncompressed size, and every reference is checked.

Text positions (``startPosition``/``endPosition``) are half-open and, per the standard, count
code points of the plain-text source with its byte-order mark excluded.  NVivo for Windows
counts UTF-16 units; ATLAS.ti reportedly counts CR LF as one.  :func:`read_qdpx` tries every
reading (code points or UTF-16 units, BOM counted or not, CR LF as one or two) on each source
whose text makes them differ, keeps the one under which the selections land on word
boundaries (or on their quoted names), and reports each source's choice and every selection
whose text changes between readings.

qualcore writes what the standard says: UTF-8 sources without BOM and with LF line ends,
code-point positions, stable GUIDs (UUIDv5 of the project name and each object's key) and a
``qualcore.json`` entry holding what REFI-QDA cannot (speaker turns, interviewers, removed CRs,
auto-coding patterns, attribute dtypes), so qualcore -> qdpx -> qualcore is lossless while
other tools ignore the extra entry.
"""

from __future__ import annotations

import datetime as _dt
import array
import contextlib
import decimal
import hashlib
import json
import math
import os
import re
import unicodedata
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._codebook import PATH_SEPARATOR, Code, Codebook
from ._coding import Coding
from ._corpus import DEFAULT_LABEL_PATTERN, Corpus
from ._util import atomic_write, threads_arg
from .errors import ArgumentError, RefiError

if TYPE_CHECKING:
    pass

__all__ = ["Project", "read_qdc", "read_qdpx", "write_qdc", "write_qdpx"]

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
#: Most entries a .qdpx may have before it is refused as a zip bomb.
MAX_ENTRIES = 100_000
#: Most uncompressed bytes read from one .qdpx (all entries together).
MAX_BYTES = 4 << 30
SIDECAR = "qualcore.json"
_SCHEMA_FILES = {NS_PROJECT: "Project-mrt2019.xsd", NS_CODEBOOK: "Codebook.xsd"}
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_NAMESPACE = uuid.UUID("6f1c2b7e-5a4d-4c0e-9b1a-3d2e8f7a6c50")
_SOURCE_KINDS = ("TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource")
_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")


# ---------------------------------------------------------------------------------------- model


@dataclass
class Project:
    """A REFI-QDA project as qualcore reads it.

    ``corpus`` holds the text sources (PDF sources by their plain-text representation) with
    their variables, their case's name (``case``) and the case's variables as attributes;
    ``codebook`` the code tree with its sets; ``coding`` every coded selection (coder = the
    user's name, memo = the notes and descriptions attached).  The other tables list what the
    standard has and qualcore does not analyse: ``users``, ``cases``, ``sources`` (every
    source, its kind, what was read or skipped and why, and the position reading used),
    ``sets``, ``notes``, ``annotations`` (selections without codes, with their memos),
    ``problems`` (selections that could not be placed, or that change text between
    readings) and ``warnings`` (everything dropped, as section 7 of the standard asks).

    >>> import pandas as pd, qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["Dan: Why?\\nA1: I trust my GP."], doc_ids=["A1"],
    ...                               speaker_labels=True, attributes={"group": ["front-line"]})
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": None}})
    >>> coding = qc.Coding.from_frame(corpus, cb, pd.DataFrame(
    ...     {"doc_id": ["A1"], "start": [16], "end": [28], "code": ["Credibility"]}), coder="AB")
    >>> import tempfile, os; path = os.path.join(tempfile.mkdtemp(), "study.qdpx")
    >>> qc.write_qdpx(corpus, cb, coding, path)
    >>> project = qc.read_qdpx(path)
    >>> project
    <qualcore.Project 'study': 1 text sources, 2 codes, 1 codings, 0 warnings>
    >>> project.coding.frame[["doc_id", "code", "coder", "text"]].values.tolist()
    [['A1', 'Trust > Credibility', 'AB', 'trust my GP.']]
    """

    name: str
    origin: str | None
    corpus: Corpus
    codebook: Codebook
    coding: Coding
    users: pd.DataFrame
    cases: pd.DataFrame
    sources: pd.DataFrame
    sets: pd.DataFrame
    notes: pd.DataFrame
    annotations: pd.DataFrame
    problems: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    description: str = ""

    def __repr__(self) -> str:
        n_text = int((self.sources["status"] == "read").sum()) if len(self.sources) else 0
        return (f"<qualcore.Project {self.name!r}: {n_text} text sources, {len(self.codebook)} codes, "
                f"{len(self.coding)} codings, {len(self.warnings)} warnings>")


# ---------------------------------------------------------------------------------------- XML


def _lxml() -> Any:
    try:
        from lxml import etree
    except ImportError as err:  # pragma: no cover - lxml is a dependency
        raise ImportError("REFI-QDA exchange needs lxml: pip install lxml") from err
    return etree


@lru_cache(maxsize=2)
def _schema(namespace: str) -> Any:
    etree = _lxml()
    path = Path(__file__).with_name("schemas") / _SCHEMA_FILES[namespace]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def _parse_xml(data: bytes, where: str, expected: str, validate: bool) -> Any:
    """Parses REFI-QDA XML safely: a DTD or entity declaration is refused before parsing, the
    parser never loads DTDs, resolves entities or touches the network; the root must be
    ``expected`` (a Clark name) and the document must validate against its schema."""
    etree = _lxml()
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise RefiError(f"{where}: a DTD or entity declaration (<!DOCTYPE …> / <!ENTITY …>) is not allowed in "
                        "REFI-QDA files (refused: external entities and entity expansion are attack vectors)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        line = err.position[0] if getattr(err, "position", None) else getattr(err, "lineno", "?")
        raise RefiError(f"{where} line {line}: not well-formed XML: {err.msg}") from None
    if root.getroottree().docinfo.internalDTD is not None:  # pragma: no cover - refused above
        raise RefiError(f"{where}: a DTD is not allowed in REFI-QDA files")
    if root.tag != expected:
        ns, _, local = expected[1:].partition("}")
        raise RefiError(f"{where} line {root.sourceline}: the root element is {root.tag!r}; expected {local!r} in "
                        f"namespace {ns!r} (QDA-XML 1.0; drafts such as ':0:4' namespaces are not supported)")
    if validate:
        schema = _schema(expected[1:].partition("}")[0])
        if not schema.validate(root.getroottree()):
            errs = [f"{where} line {e.line}: {e.message}" for e in schema.error_log]
            shown = errs[:20]
            more = f"\n  ... and {len(errs) - 20} more" if len(errs) > 20 else ""
            raise RefiError(f"{where} does not validate against the QDA-XML 1.0 schema ({len(errs)} problem(s)); "
                            "pass validate=False to read it anyway:\n  - " + "\n  - ".join(shown) + more, errs)
    return root


def _guid(value: str | None, where: str, problems: list[str]) -> str | None:
    """The canonical form (lower case, no braces) of a GUID attribute."""
    if value is None:
        return None
    m = _GUID.match(value.strip())
    if not m:
        problems.append(f"{where}: {value!r} is not a GUID")
        return value.strip().lower()
    return m.group(1).lower()


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(el: Any, name: str) -> list[Any]:
    return el.findall("{*}" + name)  # type: ignore[no-any-return]


def _child(el: Any, name: str) -> Any:
    return el.find("{*}" + name)


def _text_of(el: Any) -> str:
    return "" if el is None else "".join(el.itertext())


# ---------------------------------------------------------------------------------------- codebook


def _codes_from(codes_el: Any, where: str, problems: list[str], warnings: list[str]) -> tuple[list[Code], dict[str, str]]:
    """Codes (depth first) and guid -> path from a ``Codes`` element."""
    out: list[Code] = []
    by_guid: dict[str, str] = {}

    def walk(el: Any, parent: str | None) -> None:
        used: set[str] = set()
        for c in _children(el, "Code"):
            name = (c.get("name") or "").strip()
            if not name:
                name = "(unnamed code)"
                warnings.append(f"{where} line {c.sourceline}: a code without a name was named {name!r}")
            if PATH_SEPARATOR.strip() in name and PATH_SEPARATOR in name:
                fixed = name.replace(PATH_SEPARATOR, " \u203a ")
                warnings.append(f"{where} line {c.sourceline}: code name {name!r} contains the path separator "
                                f"{PATH_SEPARATOR!r}; renamed {fixed!r}")
                name = fixed
            base, k = name, 2
            while name in used:
                name = f"{base} ({k})"
                k += 1
            if name != base:
                warnings.append(f"{where} line {c.sourceline}: two codes named {base!r} under the same parent; "
                                f"the second is called {name!r}")
            used.add(name)
            path = name if parent is None else parent + PATH_SEPARATOR + name
            guid = _guid(c.get("guid"), f"{where} line {c.sourceline}", problems)
            if guid is not None:
                if guid in by_guid:
                    problems.append(f"{where} line {c.sourceline}: duplicate code GUID {guid}")
                by_guid[guid] = path
            colour = c.get("color")
            desc = _text_of(_child(c, "Description")).strip()
            out.append(Code(path, description=desc, colour=colour))
            walk(c, path)

    if codes_el is not None:
        walk(codes_el, None)
    return out, by_guid


def read_qdc(path: str | os.PathLike[str], validate: bool = True) -> Codebook:
    """Reads a REFI-QDA codebook (``.qdc``): the code tree with descriptions (memos) and
    colours, and the codebook's sets of codes (``cb.sets``).  The file is validated against
    the official schema (``validate=False`` skips it); GUIDs are checked for duplicates.  Two
    sibling codes with one name get ``" (2)"`` … appended, with a warning.

    >>> import os, tempfile, qualcore as qc
    >>> path = os.path.join(tempfile.mkdtemp(), "cb.qdc")
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": None}}).with_sets({"Key": ["Credibility"]})
    >>> qc.write_qdc(cb, path)
    >>> qc.read_qdc(path) == cb
    True
    """
    import warnings as _warnings

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise RefiError(f"{p}: cannot read the codebook: {err.strerror or err}") from None
    root = _parse_xml(data, str(p), f"{{{NS_CODEBOOK}}}CodeBook", validate)
    problems: list[str] = []
    warns: list[str] = []
    codes, by_guid = _codes_from(_child(root, "Codes"), str(p), problems, warns)
    sets: dict[str, list[str]] = {}
    sets_el = _child(root, "Sets")
    for s in _children(sets_el, "Set") if sets_el is not None else []:
        name = _unique_name(s.get("name") or "(unnamed set)", sets)
        members = []
        for m in _children(s, "MemberCode"):
            g = _guid(m.get("guid") or m.get("targetGUID"), f"{p} line {m.sourceline}", problems)
            if g not in by_guid:
                problems.append(f"{p} line {m.sourceline}: set {name!r} refers to code {g}, which is not in the codebook")
            else:
                members.append(by_guid[g])
        sets[name] = members
    if problems:
        raise RefiError(f"{p}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems[:50]), problems)
    for w in warns:
        _warnings.warn(w, stacklevel=2)
    return Codebook(codes, sets)


def _unique_name(name: str, taken: Mapping[str, Any] | set[str]) -> str:
    base, k = name, 2
    while name in taken:
        name = f"{base} ({k})"
        k += 1
    return name


def _stable_guid(project: str, *key: Any) -> str:
    """``uuid.uuid5(_NAMESPACE, name)`` in upper case, computed directly (4x faster)."""
    h = bytearray(hashlib.sha1(_NAMESPACE.bytes + "\x1f".join([project, *map(str, key)]).encode("utf-8", "surrogatepass")).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x50
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex().upper()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _codes_xml(codebook: Codebook, ns: str, guids: Mapping[str, str], codable: Any) -> Any:
    etree = _lxml()
    codes_el = etree.Element(f"{{{ns}}}Codes")
    elements: dict[str | None, Any] = {None: codes_el}
    for c in codebook:
        el = etree.SubElement(elements[c.parent], f"{{{ns}}}Code", guid=guids[c.path], name=_xml_text(c.name),
                              isCodable="true" if codable(c.path) else "false")
        if c.colour:
            el.set("color", c.colour.upper())
        if c.description:
            etree.SubElement(el, f"{{{ns}}}Description").text = _xml_text(c.description)
        elements[c.path] = el
    return codes_el


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(s: str) -> str:
    """Text XML 1.0 can carry (control characters other than tab and line ends cannot)."""
    return _XML_BAD.sub("\ufffd", s)


def write_qdc(codebook: Codebook, path: str | os.PathLike[str], origin: str | None = None) -> None:
    """Writes a codebook as a REFI-QDA ``.qdc`` that validates against the official schema:
    nested codes with names, descriptions, colours and stable GUIDs (the same codebook always
    gets the same GUIDs), and its sets.  Parents count as codable (NVivo, ATLAS.ti and
    MAXQDA let codes with children be applied).  Written atomically.

    >>> import os, tempfile, qualcore as qc
    >>> path = os.path.join(tempfile.mkdtemp(), "cb.qdc")
    >>> qc.write_qdc(qc.Codebook.from_dict({"Trust": {"Credibility": None}}), path)
    >>> b"Credibility" in Path(path).read_bytes()
    True
    """
    etree = _lxml()
    if not isinstance(codebook, Codebook):
        raise ArgumentError(f"codebook: expected a qualcore.Codebook, got {type(codebook).__name__}")
    if len(codebook) == 0:
        raise RefiError("a REFI-QDA codebook needs at least one code (the schema forbids an empty Codes)")
    ns = NS_CODEBOOK
    guids = {p: _stable_guid("codebook", "code", p) for p in codebook.paths}
    root = etree.Element(f"{{{ns}}}CodeBook", nsmap={None: ns})
    root.set("origin", origin or _origin())
    root.append(_codes_xml(codebook, ns, guids, lambda p: True))
    if codebook.sets:
        sets_el = etree.SubElement(root, f"{{{ns}}}Sets")
        for name, members in codebook.sets.items():
            s = etree.SubElement(sets_el, f"{{{ns}}}Set", guid=_stable_guid("codebook", "set", name),
                                 name=_xml_text(name))
            for m in members:
                etree.SubElement(s, f"{{{ns}}}MemberCode", guid=guids[m])
    data = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    _check_valid(data, ns)
    _atomic_write(Path(path), data)


def _origin() -> str:
    from . import __version__

    return f"qualcore {__version__}"


def _check_valid(data: bytes, ns: str) -> None:
    etree = _lxml()
    schema = _schema(ns)
    doc = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    if not schema.validate(doc):  # pragma: no cover - a bug in the writer
        raise RefiError("internal error: the file written does not validate:\n  - "
                        + "\n  - ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:20]))


def _atomic_write(path: Path, data: bytes | None = None, writer: Any = None) -> None:
    def write(fh: Any) -> None:
        if data is not None:
            fh.write(data)
        else:
            writer(fh)

    atomic_write(path, write, error=RefiError)


# ---------------------------------------------------------------------------------------- zip


class _Zip:
    """Read access to a .qdpx that refuses unsafe names and bounds what it decompresses."""

    def __init__(self, path: Path, max_entries: int, max_bytes: int) -> None:
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise RefiError(f"{path}: not a zip file (a .qdpx is a zip holding project.qde and sources/)") from None
        except OSError as err:
            raise RefiError(f"{path}: cannot read: {err.strerror or err}") from None
        infos = self.zf.infolist()
        if len(infos) > max_entries:
            raise RefiError(f"{path}: {len(infos)} entries, more than the limit of {max_entries} (max_entries=)")
        declared = sum(i.file_size for i in infos)
        if declared > max_bytes:
            raise RefiError(f"{path}: the entries would decompress to {declared:,} bytes, more than the limit of "
                            f"{max_bytes:,} (max_bytes=)")
        self.max_bytes = max_bytes
        self.read_bytes = 0
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
                raise RefiError(f"{path}: unsafe entry name {name!r} (absolute or with '..'): refused")
            if info.is_dir():
                continue
            key = unicodedata.normalize("NFC", name.replace("\\", "/")).casefold()
            self.by_name.setdefault(key, info)

    def read(self, info: zipfile.ZipInfo) -> bytes:
        budget = self.max_bytes - self.read_bytes
        try:
            with self.zf.open(info) as fh:
                data = fh.read(budget + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
            raise RefiError(f"{self.path}: entry {info.filename!r} is corrupt or unsupported: {err}") from None
        if len(data) > budget:
            raise RefiError(f"{self.path}: entry {info.filename!r} decompresses past the limit of {self.max_bytes:,} "
                            "bytes (a zip bomb, or raise max_bytes=)")
        self.read_bytes += len(data)
        return data

    @contextlib.contextmanager
    def stream(self, info: zipfile.ZipInfo) -> Iterator[Any]:
        """The entry as a file object that refuses to inflate past the byte budget."""
        zip_self = self

        class Bounded:
            def __init__(self, fh: Any) -> None:
                self.fh = fh

            def read(self, n: int = -1) -> bytes:
                try:
                    data = self.fh.read(n)
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
                    raise RefiError(f"{zip_self.path}: entry {info.filename!r} is corrupt or unsupported: {err}") from None
                zip_self.read_bytes += len(data)
                if zip_self.read_bytes > zip_self.max_bytes:
                    raise RefiError(f"{zip_self.path}: entry {info.filename!r} decompresses past the limit of "
                                    f"{zip_self.max_bytes:,} bytes (a zip bomb, or raise max_bytes=)")
                return data  # type: ignore[no-any-return]

        try:
            fh = self.zf.open(info)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as err:
            raise RefiError(f"{self.path}: entry {info.filename!r} is corrupt or unsupported: {err}") from None
        with fh:
            yield Bounded(fh)

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.by_name.get(unicodedata.normalize("NFC", name).casefold())

    def project_entry(self) -> zipfile.ZipInfo:
        qde = [i for k, i in self.by_name.items() if "/" not in k and k.endswith(".qde")]
        if not qde:
            listed = ", ".join(sorted(i.filename for i in self.by_name.values())[:10]) or "none"
            raise RefiError(f"{self.path}: no project.qde at the top of the zip (entries: {listed})")
        if len(qde) > 1:
            exact = [i for i in qde if i.filename.casefold() == "project.qde"]
            if len(exact) != 1:
                raise RefiError(f"{self.path}: several .qde files at the top of the zip: "
                                f"{sorted(i.filename for i in qde)}")
            return exact[0]
        return qde[0]


# ---------------------------------------------------------------------------------------- positions

#: The readings tried for a source's positions: (name, UTF-16 units, BOM counted, CR LF as one).
_READINGS = (
    ("codepoints", False, False, False),
    ("utf16", True, False, False),
    ("codepoints+bom", False, True, False),
    ("utf16+bom", True, True, False),
    ("codepoints, crlf=1", False, False, True),
    ("utf16, crlf=1", True, False, True),
)
#: Inline PlainTextContent: the XML parser turns CR LF into LF, but the tool that wrote the
#: file may have counted positions on the CR LF text (each line end two code points).
_XML_CRLF = ("codepoints, crlf=2 (inline)", False, False, False)


class _Positions:
    """Converts positions of one reading into code-point offsets of the text (BOM removed)."""

    def __init__(self, text: str, had_bom: bool, inline: bool = False) -> None:
        self.text = text
        self.had_bom = had_bom
        # line ends of inline text that may have been CR LF before XML parsing
        self.xml_lf = (np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
                       if inline and "\n" in text and "\r" not in text else None)
        self.n = len(text)
        self.crlf = np.array([m.start() for m in re.finditer("\r\n", text)], dtype=np.int64) if "\r\n" in text else None
        self._astral: dict[bool, np.ndarray] = {}

    def relevant(self) -> list[tuple[str, bool, bool, bool]]:
        """The readings that differ on this text."""
        out = [_READINGS[0]]
        has_astral = not self.text.isascii() and _ASTRAL.search(self.text) is not None
        if has_astral:
            out.append(_READINGS[1])
        if self.had_bom:
            out += [r for r in _READINGS[2:4] if has_astral or not r[1]]
        if self.crlf is not None and len(self.crlf):
            out += [r for r in _READINGS[4:6] if has_astral or not r[1]]
        if self.xml_lf is not None and len(self.xml_lf):
            out.append(_XML_CRLF)
        return out

    def _astral_u16(self, collapsed: bool) -> np.ndarray:
        """UTF-16 start positions of astral characters in the (CR LF collapsed?) text."""
        if collapsed not in self._astral:
            t = self.text.replace("\r\n", "\n") if collapsed else self.text
            pos = np.array([m.start() for m in _ASTRAL.finditer(t)], dtype=np.int64) if not t.isascii() else np.zeros(0, np.int64)
            self._astral[collapsed] = pos + np.arange(len(pos))
        return self._astral[collapsed]

    def convert(self, pos: np.ndarray, reading: tuple[str, bool, bool, bool]) -> tuple[np.ndarray, np.ndarray]:
        """Code-point offsets into the text and a mask of positions that cannot be converted
        (inside a surrogate pair, inside the BOM, between CR and LF)."""
        name, utf16, bom, crlf1 = reading
        p = pos.astype(np.int64).copy()
        bad = np.zeros(len(p), dtype=bool)
        if name == _XML_CRLF[0] and self.xml_lf is not None:
            # in CR LF coordinates the CR of line end k sits at lf_k + k
            cr = self.xml_lf + np.arange(len(self.xml_lf))
            return p - np.searchsorted(cr, p, side="left"), bad
        if bom:
            bad |= p < 1
            p = p - 1
        if utf16:
            ast = self._astral_u16(crlf1)
            k = np.searchsorted(ast, p, side="left")
            j = np.searchsorted(ast, p - 1, side="left")
            inside = (j < len(ast)) & (ast[np.minimum(j, len(ast) - 1)] == p - 1) if len(ast) else np.zeros(len(p), bool)
            bad |= inside  # p points at the second half of a surrogate pair
            p = p - k
        if crlf1 and self.crlf is not None and len(self.crlf):
            collapsed = self.crlf - np.arange(len(self.crlf))
            p = p + np.searchsorted(collapsed, p, side="left")
        return p, bad


def _boundary_score(text: str, starts: np.ndarray, ends: np.ndarray) -> int:
    """How many span ends fall on a word or line boundary (what a coder selects)."""
    n = len(text)
    score = 0
    for s, e in zip(starts.tolist(), ends.tolist()):
        if 0 <= s <= n and (s == 0 or not (text[s - 1].isalnum() and s < n and text[s].isalnum())):
            score += 1 if s == n or not text[s].isspace() else 0
        if 0 <= e <= n and (e == n or not (e > 0 and text[e - 1].isalnum() and text[e].isalnum())):
            score += 1 if e == 0 or not text[e - 1].isspace() else 0
    return score


def _name_score(text: str, starts: np.ndarray, ends: np.ndarray, names: list[str | None]) -> int:
    score = 0
    for s, e, name in zip(starts.tolist(), ends.tolist(), names):
        if not name or s < 0 or e > len(text) or s > e:
            continue
        quoted = name.rstrip("\u2026").rstrip(".").strip()
        if len(quoted) >= 4 and _squash(text[s:e]).startswith(_squash(quoted)[:60]):
            score += 4
    return score


def _squash(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).split())


def _choose_reading(pos: _Positions, starts: np.ndarray, ends: np.ndarray, names: list[str | None],
                    prior: str) -> tuple[tuple[str, bool, bool, bool], list[tuple[str, bool, bool, bool]]]:
    candidates = pos.relevant()
    if len(candidates) == 1 or len(starts) == 0:
        return next((r for r in candidates if r[0] == prior), candidates[0]), candidates
    best: tuple[int, int, tuple[str, bool, bool, bool]] | None = None
    for r in candidates:
        s, bad_s = pos.convert(starts, r)
        e, bad_e = pos.convert(ends, r)
        inside = (s >= 0) & (e <= pos.n) & (s <= e) & ~bad_s & ~bad_e
        score = 10 * int(inside.sum()) + _name_score(pos.text, s, e, names) + _boundary_score(pos.text, s[inside], e[inside])
        key = (score, 1 if r[0] == prior else 0, r)
        if best is None or key[:2] > best[:2]:
            best = key
    assert best is not None
    return best[2], candidates


def _prior(origin: str | None) -> str:
    o = (origin or "").casefold()
    if o.startswith("nvivo") and "mac" not in o:
        return "utf16"
    if "atlas.ti" in o:
        return "codepoints, crlf=1"
    return "codepoints"


# ---------------------------------------------------------------------------------------- reading


def _decode(data: bytes, where: str) -> tuple[str, bool]:
    """Text of a plain-text source: UTF-8 (BOM dropped and reported), or UTF-16 with a BOM."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, bom = data[3:], True
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), True
        except UnicodeDecodeError as err:
            raise RefiError(f"{where}: not valid UTF-16 at byte {err.start}") from None
    else:
        bom = False
    try:
        return data.decode("utf-8"), bom
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise RefiError(f"{where}: not valid UTF-8 at byte {err.start + (3 if bom else 0)} (line {line}); "
                        "REFI-QDA text sources are UTF-8") from None


def _value(vv: Any, types: Mapping[str, str], names: Mapping[str, str], where: str,
           problems: list[str]) -> tuple[str, Any] | None:
    ref = _child(vv, "VariableRef")
    g = _guid(ref.get("targetGUID") if ref is not None else None, where, problems)
    if g not in names:
        problems.append(f"{where} line {vv.sourceline}: VariableRef {g} refers to no Variable")
        return None
    el = next((c for c in vv if _local(c) in _VALUE_TAGS), None)
    if el is None:
        return names[g], None
    raw = (el.text or "").strip()
    kind = _local(el)
    try:
        if kind == "BooleanValue":
            return names[g], raw in ("true", "1")
        if kind == "IntegerValue":
            return names[g], int(raw)
        if kind == "FloatValue":
            return names[g], float(raw)
        if kind == "DateValue":
            return names[g], pd.Timestamp(raw[:10])
        if kind == "DateTimeValue":
            return names[g], pd.Timestamp(raw)
    except (ValueError, TypeError):
        problems.append(f"{where} line {el.sourceline}: {kind} {raw!r} is not valid")
        return None
    return names[g], el.text or ""


def read_qdpx(
    path: str | os.PathLike[str],
    positions: str = "auto",
    *,
    validate: bool = True,
    speaker_labels: bool | str = True,
    base_path: str | os.PathLike[str] | None = None,
    errors: str = "raise",
    max_entries: int = MAX_ENTRIES,
    max_bytes: int = MAX_BYTES,
) -> Project:
    """Reads a REFI-QDA project (``.qdpx``, or a loose ``.qde`` with its ``sources/`` folder
    beside it) into a :class:`Project`: corpus, codebook (with code sets), coding, users,
    cases, sources, sets, notes, annotations, problems and warnings.

    ``positions`` says how the file counts text positions: ``"auto"`` (default) decides per
    source (see the module documentation), ``"codepoints"`` (the standard) or ``"utf16"``
    (NVivo for Windows) force one, BOM excluded and CR LF counted as two.  Text sources are
    split into speaker turns at speaker labels (``speaker_labels``, as :func:`read_transcripts`)
    unless the file was written by qualcore, whose turns are restored exactly.  Sources outside
    the zip (``relative:///``, ``absolute:///``) are read only under ``base_path`` and never
    outside it.

    Structural problems raise :class:`~qualcore.errors.RefiError` listing all of them: XML that
    does not validate (line and rule), GUIDs referring to nothing, duplicate GUIDs, selections
    outside their source; with ``errors="collect"`` the bad selections are left out and listed
    in ``project.problems`` instead.  Missing or non-text sources are skipped and listed in
    ``project.sources`` and ``project.warnings``, never a crash.

    >>> import pandas as pd, qualcore as qc, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "p.qdpx")
    >>> corpus = qc.Corpus.from_texts(["Honestly 🤷 conflict of interest is real."], doc_ids=["A1"])
    >>> cb = qc.Codebook.from_dict({"Trust": {"Conflict of interest": None}})
    >>> coding = qc.Coding.from_frame(corpus, cb, pd.DataFrame(
    ...     {"doc_id": ["A1"], "start": [11], "end": [40], "code": ["Conflict of interest"]}))
    >>> qc.write_qdpx(corpus, cb, coding, path)
    >>> qc.read_qdpx(path).coding.frame["text"].tolist()
    ['conflict of interest is real.']
    """
    if positions not in ("auto", "codepoints", "utf16"):
        raise ArgumentError(f"positions: {positions!r} is not one of 'auto', 'codepoints', 'utf16'")
    if errors not in ("raise", "collect"):
        raise ArgumentError(f"errors: {errors!r} is not one of 'raise', 'collect'")
    if not isinstance(speaker_labels, bool | str):
        raise ArgumentError(f"speaker_labels: expected True, False or a regex str, got {speaker_labels!r}")
    p = Path(path)
    if not p.exists():
        raise RefiError(f"{p}: no such file")
    if p.suffix.casefold() == ".qde":
        folder = p.parent
        entries: dict[str, Path] = {}
        for sub in ("sources", "Sources"):
            if (folder / sub).is_dir():
                for f in (folder / sub).iterdir():
                    entries.setdefault(unicodedata.normalize("NFC", f"sources/{f.name}").casefold(), f)

        def fetch(name: str) -> bytes | None:
            f = entries.get(unicodedata.normalize("NFC", name).casefold())
            return f.read_bytes() if f is not None else None

        where = str(p)
        sidecar = None
        with p.open("rb") as stream:
            reader = _Reader(where, fetch, sidecar, positions, speaker_labels, base_path, errors)
            _stream_parse(stream, where, f"{{{NS_PROJECT}}}Project", validate, reader, lambda: p.read_bytes())
    else:
        z = _Zip(p, max_entries, max_bytes)
        info = z.project_entry()
        where = f"{p}!{info.filename}"

        def fetch(name: str) -> bytes | None:
            i = z.find(name)
            return z.read(i) if i is not None else None

        side = z.find(SIDECAR)
        sidecar = z.read(side) if side is not None else None
        reader = _Reader(where, fetch, sidecar, positions, speaker_labels, base_path, errors)
        with z.stream(info) as stream:
            _stream_parse(stream, where, f"{{{NS_PROJECT}}}Project", validate, reader, lambda: z.read(info))
    return reader.project()


def _stream_parse(stream: Any, where: str, expected: str, validate: bool, reader: _Reader,
                  whole: Any) -> None:
    """Parses project XML from ``stream`` in chunks, validating as it goes, and hands each
    top-level element (and each source) to ``reader`` before freeing it, so memory stays near
    the size of one source.  ``whole()`` gives the bytes again to list every schema error with
    its line when validation fails."""
    etree = _lxml()
    ns, _, _ = expected[1:].partition("}")
    kwargs: dict[str, Any] = {"resolve_entities": False, "no_network": True, "load_dtd": False,
                              "huge_tree": True, "remove_pis": True, "remove_comments": True}
    if validate:
        kwargs["schema"] = _schema(ns)
    parser = etree.XMLPullParser(events=("start", "end"), **kwargs)
    depth = 0
    checked = False
    first = True
    try:
        while True:
            chunk = stream.read(1 << 20)
            if first:
                first = False
                if re.search(rb"<!\s*(DOCTYPE|ENTITY)", chunk, re.IGNORECASE):
                    raise RefiError(f"{where}: a DTD or entity declaration (<!DOCTYPE …> / <!ENTITY …>) is not allowed "
                                    "in REFI-QDA files (refused: external entities and entity expansion are attack vectors)")
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
            for event, el in parser.read_events():
                if event == "start":
                    depth += 1
                    if not checked:
                        checked = True
                        if el.getroottree().docinfo.doctype:
                            raise RefiError(f"{where}: a DTD is not allowed in REFI-QDA files")
                        if el.tag != expected:
                            raise RefiError(f"{where} line {el.sourceline}: the root element is {el.tag!r}; expected "
                                            f"{expected.partition('}')[2]!r} in namespace {ns!r} (QDA-XML 1.0; drafts "
                                            "such as ':0:4' namespaces are not supported)")
                        reader.start(el)
                    continue
                depth -= 1
                if depth == 2 and _local(el.getparent()) == "Sources":
                    reader.source(el)
                    _free(el)
                elif depth == 1:
                    reader.top(el)
                    _free(el)
            if not chunk:
                break
    except etree.XMLSyntaxError as err:
        if validate and "Element '" in str(err.msg):
            _parse_xml(whole(), where, expected, True)  # lists every schema error with its line
        line = err.position[0] if getattr(err, "position", None) and err.position[0] else err.lineno
        raise RefiError(f"{where} line {line}: not well-formed XML: {err.msg}") from None


def _free(el: Any) -> None:
    el.clear(keep_tail=True)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


class _GuidTable:
    """Every GUID of a project with what it names, in compact arrays (36 bytes and three
    integers an entry, no Python object), for duplicate checks and reference look-ups."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.kind = array.array("q")
        self.line = array.array("q")
        self.aux = array.array("q")
        self.kinds: list[str] = []
        self.kind_index: dict[str, int] = {}
        self.keys: np.ndarray | None = None
        self.order: np.ndarray | None = None

    def add(self, g: str, what: str, line: int | None, aux: int = -1) -> None:
        k = self.kind_index.get(what)
        if k is None:
            k = self.kind_index[what] = len(self.kinds)
            self.kinds.append(what)
        self.buf += g.encode("ascii", "replace")[:36].ljust(36, b" ")
        self.kind.append(k)
        self.line.append(line or 0)
        self.aux.append(aux)
        self.keys = None

    def _index(self) -> tuple[np.ndarray, np.ndarray]:
        if self.keys is None or self.order is None:
            raw = np.frombuffer(bytes(self.buf), dtype="S36")
            self.order = np.argsort(raw, kind="stable")
            self.keys = raw[self.order]
        return self.keys, self.order

    def duplicates(self, where: str) -> list[str]:
        keys, order = self._index()
        if len(keys) < 2:
            return []
        same = np.flatnonzero(keys[1:] == keys[:-1])
        out = []
        for i in same.tolist()[:100]:
            a, b = int(order[i]), int(order[i + 1])
            out.append(f"{where} line {self.line[b]}: duplicate GUID {keys[i + 1].decode().strip()} "
                       f"({self.kinds[self.kind[b]]}; already used by {self.kinds[self.kind[a]]} at line {self.line[a]})")
        return out

    def find(self, g: str | None) -> tuple[str, int] | None:
        """(what, aux) of the object with this GUID, or None."""
        if g is None:
            return None
        keys, order = self._index()
        key = np.array([g.encode("ascii", "replace")[:36].ljust(36, b" ")], dtype="S36")
        i = int(np.searchsorted(keys, key[0]))
        if i < len(keys) and keys[i] == key[0]:
            j = int(order[i])
            return self.kinds[self.kind[j]], int(self.aux[j])
        return None

    def __contains__(self, g: object) -> bool:
        return isinstance(g, str) and self.find(g) is not None


class _Reader:
    """Builds a :class:`Project` from the elements :func:`_stream_parse` hands it.  Selections
    and codings are kept as columns, not objects, so 100,000 of them cost a few megabytes."""

    def __init__(self, where: str, fetch: Any, sidecar: bytes | None, positions: str,
                 speaker_labels: bool | str, base_path: Any, errors: str) -> None:
        self.where = where
        self.fetch = fetch
        self.positions = positions
        self.speaker_labels = speaker_labels
        self.base_path = Path(base_path).resolve() if base_path is not None else None
        self.errors = errors
        self.problems: list[str] = []  # structural: raise
        self.warnings: list[str] = []
        self.selection_problems: list[dict[str, Any]] = []
        self.guids = _GuidTable()  # every GUID: duplicates and references are checked at the end
        self.sidecar: dict[str, Any] | None = None
        if sidecar is not None:
            try:
                self.sidecar = json.loads(sidecar.decode("utf-8"))
                if not isinstance(self.sidecar, dict) or self.sidecar.get("format") != "qualcore-refi":
                    raise ValueError("not a qualcore sidecar")
                bad = _sidecar_problem(self.sidecar)
                if bad:
                    raise ValueError(bad)
            except (ValueError, UnicodeDecodeError) as err:
                self.warnings.append(f"{SIDECAR}: ignored ({err})")
                self.sidecar = None
        self.name = ""
        self.origin: str | None = None
        self.prior = "codepoints"
        self.description = ""
        self.users_rows: list[dict[str, Any]] = []
        self.user_names: dict[str, str] = {}
        self.codes: list[Code] = []
        self.code_paths: dict[str, str] = {}
        self.code_notes: list[tuple[str, str, int]] = []
        self.var_names: dict[str, str] = {}
        self.var_types: dict[str, str] = {}
        self.notes_rows: list[dict[str, Any]] = []
        self.note_text: dict[str, str] = {}
        self.sources_rows: list[dict[str, Any]] = []
        self.docs: list[dict[str, Any]] = []
        self.taken_ids: set[str] = set()
        self.source_doc: dict[str, str] = {}
        # selections as columns
        self.sel_doc = array.array("q")
        self.sel_start = array.array("q")
        self.sel_end = array.array("q")
        self.sel_user: list[str | None] = []
        self.sel_memo: dict[int, list[str]] = {}
        self.sel_note_refs: dict[int, list[tuple[str, int]]] = {}
        self.sel_dropped: set[int] = set()
        # codings as columns
        self.cod_sel = array.array("q")
        self.cod_code = array.array("q")  # index into code_list; -1: refers to no code
        self.cod_coder: list[str | None] = []
        self.cod_guid: dict[str, int] = {}  # only when the sidecar has exact spans
        self.cod_note_refs: dict[int, list[tuple[str, int]]] = {}
        self.cases_rows: list[dict[str, Any]] = []
        self.case_vars: list[tuple[str, list[tuple[str | None, int]], dict[str, Any]]] = []
        self.sets_rows: list[dict[str, Any]] = []
        self.code_sets: dict[str, list[str]] = {}
        self.links: list[tuple[str | None, str | None, int]] = []
        self.refs_to_check: list[tuple[str, int, str]] = []
        self.code_index: dict[str, int] = {}
        self.code_list: list[str] = []
        self.keep_coding_guids = bool((self.sidecar or {}).get("exact"))
        self.restored = False  # the corpus was restored exactly from the sidecar

    def at(self, el: Any) -> str:
        return f"{self.where} line {el.sourceline}"

    def register(self, el: Any, what: str, aux: int = -1) -> str | None:
        g = _guid(el.get("guid"), self.at(el), self.problems)
        if g is None:
            return None
        self.guids.add(g, what, el.sourceline, aux)
        return g

    def ref(self, el: Any, attr: str = "targetGUID") -> str | None:
        return _guid(el.get(attr), self.at(el), self.problems)

    # ------------------------------------------------------------------ elements, in file order

    def start(self, root: Any) -> None:
        self.name = root.get("name") or ""
        self.origin = root.get("origin")
        self.prior = {"auto": _prior(self.origin), "codepoints": "codepoints", "utf16": "utf16"}[self.positions]

    def top(self, el: Any) -> None:
        kind = _local(el)
        handler = {"Users": self.users, "CodeBook": self.codebook, "Variables": self.variables, "Cases": self.cases,
                   "Notes": self.notes, "Links": self.links_el, "Sets": self.sets, "Graphs": self.graphs,
                   "Description": self.project_description}.get(kind)
        if handler is not None:
            handler(el)

    def users(self, el: Any) -> None:
        for u in _children(el, "User"):
            g = self.register(u, "a User")
            nm = u.get("name") or u.get("id") or (g or "")
            self.users_rows.append({"guid": g, "name": nm, "id": u.get("id")})
            if g is not None:
                self.user_names[g] = nm

    def codebook(self, el: Any) -> None:
        self.codes, self.code_paths = _codes_from(_child(el, "Codes"), self.where, self.problems, self.warnings)
        for g in self.code_paths:
            self.guids.add(g, "a Code", None)
        self.code_index = {g: i for i, g in enumerate(self.code_paths)}
        self.code_list = list(self.code_paths.values())
        for c in el.iter(f"{{{NS_PROJECT}}}Code"):
            for nr in _children(c, "NoteRef"):
                self.code_notes.append((self.code_paths.get(_guid(c.get("guid"), self.at(c), []) or "", "?"),
                                        self.ref(nr) or "", nr.sourceline))

    def variables(self, el: Any) -> None:
        for v in _children(el, "Variable"):
            g = self.register(v, "a Variable")
            if g is not None:
                self.var_names[g] = v.get("name") or g
                self.var_types[g] = v.get("typeOfVariable") or "Text"

    def notes(self, el: Any) -> None:
        for n in _children(el, "Note"):
            g = self.register(n, "a Note")
            txt = _text_of(_child(n, "PlainTextContent"))
            if not txt and n.get("plainTextPath"):
                data = self._source_bytes(n.get("plainTextPath"), "note")
                if data is not None:
                    txt = _decode(data, f"note {n.get('name')!r}")[0]
            self.notes_rows.append({"guid": g, "name": n.get("name"), "text": txt,
                                    "creating_user": self.user_names.get(self.ref(n, "creatingUser") or "", None)})
            if g is not None:
                self.note_text[g] = txt

    def links_el(self, el: Any) -> None:
        for ln in _children(el, "Link"):
            self.register(ln, "a Link")
            self.links.append((self.ref(ln, "originGUID"), self.ref(ln, "targetGUID"), ln.sourceline))

    def cases(self, el: Any) -> None:
        for c in _children(el, "Case"):
            g = self.register(c, "a Case")
            cname = c.get("name") or (g or "case")
            cvars: dict[str, Any] = {}
            for vv in _children(c, "VariableValue"):
                got = _value(vv, self.var_types, self.var_names, self.where, self.problems)
                if got is not None:
                    cvars[got[0]] = got[1]
            # Cases come before Sources in the file: their SourceRefs are resolved at the end.
            members = [(self.ref(sr), sr.sourceline) for sr in _children(c, "SourceRef")]
            n_other = len(_children(c, "CodeRef")) + len(_children(c, "SelectionRef"))
            if n_other:
                self.warnings.append(f"{self.at(c)}: case {cname!r}: {n_other} CodeRef/SelectionRef member(s) dropped "
                                     "(qualcore's cases are documents)")
            self.cases_rows.append({"case": cname, "guid": g, "doc_ids": [], **cvars})
            self.case_vars.append((cname, members, cvars))

    def sets(self, el: Any) -> None:
        for st_el in _children(el, "Set"):
            self.register(st_el, "a Set")
            sname = st_el.get("name") or ""
            for m in st_el:
                kind = _local(m)
                if kind not in ("MemberCode", "MemberSource", "MemberNote"):
                    continue
                r = self.ref(m)
                if r is None:
                    continue
                self.refs_to_check.append((r, m.sourceline, f"set {sname!r}: {kind}"))
                member = self.code_paths.get(r) or self.source_doc.get(r) or r
                self.sets_rows.append({"set": sname, "kind": kind[6:].lower(), "member": member, "guid": r})
                if kind == "MemberCode":
                    self.code_sets.setdefault(sname, []).append(member)

    def graphs(self, el: Any) -> None:
        self.warnings.append(f"{len(_children(el, 'Graph'))} Graph(s) dropped (qualcore draws its own thematic maps)")

    def project_description(self, el: Any) -> None:
        self.description = _text_of(el).strip()

    def source(self, s: Any) -> None:
        kind = _local(s)
        if kind not in _SOURCE_KINDS:
            return
        g = self.register(s, f"a {kind}")
        sname = unicodedata.normalize("NFC", s.get("name") or (g or "source"))
        row: dict[str, Any] = {"guid": g, "name": sname, "kind": kind, "doc_id": None, "status": "",
                               "positions": None, "n_selections": 0}
        self.sources_rows.append(row)
        text_el = s
        if kind == "PDFSource":
            text_el = _child(s, "Representation")
            n_pdf_sel = len(_children(s, "PDFSelection"))
            if n_pdf_sel:
                self.warnings.append(f"{self.at(s)}: PDF source {sname!r}: {n_pdf_sel} area selection(s) "
                                     "(PDFSelection) skipped; only the plain-text representation is read")
            if text_el is None:
                row["status"] = "skipped: PDF without a plain-text Representation"
                self.warnings.append(f"{self.at(s)}: PDF source {sname!r} skipped: no plain-text Representation")
                return
            if text_el.get("guid"):
                self.register(text_el, "a PDF Representation")
        elif kind != "TextSource":
            n_sel = sum(1 for c in s.iter() if _local(c).endswith("Selection"))
            row["status"] = f"skipped: {kind[:-6].lower()} source"
            row["n_selections"] = n_sel
            self.warnings.append(f"{self.at(s)}: {kind} {sname!r} skipped with {n_sel} selection(s): qualcore "
                                 "analyses text only")
            for c in s.iter():
                if (_local(c).endswith("Selection") or _local(c) == "Transcript") and c.get("guid"):
                    self.register(c, f"a {_local(c)}")
            return
        content = _child(text_el, "PlainTextContent")
        data: bytes | None = None
        if content is not None:
            text, bom = _text_of(content), False
            if text.startswith("\ufeff"):
                text, bom = text[1:], True
        else:
            tp = text_el.get("plainTextPath")
            if not tp:
                row["status"] = "skipped: no PlainTextContent and no plainTextPath"
                self.warnings.append(f"{self.at(s)}: text source {sname!r} skipped: it has no plain text")
                row["n_selections"] = self._register_selections(text_el)
                return
            data = self._source_bytes(tp, sname)
            if data is None:
                row["status"] = f"skipped: plain text {tp!r} not found"
                nsel = row["n_selections"] = self._register_selections(text_el)
                self.warnings.append(f"{self.at(s)}: text source {sname!r} skipped: its plain text {tp!r} is not "
                                     f"in the project{f' ({nsel} selection(s) dropped)' if nsel else ''}")
                return
            text, bom = _decode(data, f"{self.where}: source {sname!r} ({tp})")
            if data.startswith((b"\xff\xfe", b"\xfe\xff")):
                data = None  # UTF-16: re-encoded below
            elif bom:
                data = data[3:]
        # The corpus is built from UTF-8 bytes: the decoded str lives only while this source's
        # positions are converted (memory stays near the size of the text).
        if data is None:
            data = text.encode("utf-8", "surrogatepass")
        doc_id = _unique_name(_stem(sname) or (g or "source"), self.taken_ids)
        self.taken_ids.add(doc_id)
        row["doc_id"] = doc_id
        row["status"] = "read"
        if g is not None:
            self.source_doc[g] = doc_id
        attrs: dict[str, Any] = {}
        for vv in _children(s, "VariableValue"):
            got = _value(vv, self.var_types, self.var_names, self.where, self.problems)
            if got is not None:
                attrs[got[0]] = got[1]
        d = {"doc_id": doc_id, "text": text, "data": data, "bom": bom, "attrs": attrs, "guid": g, "row": row,
             "inline": content is not None}
        meta = ((self.sidecar or {}).get("documents") or {}).get(g or "")
        if meta is not None:
            if meta.get("crc32") == zlib.crc32(data) and _meta_fits(meta, text):
                d["meta"] = meta
            else:
                self.warnings.append(f"{SIDECAR}: source {doc_id!r} changed since qualcore wrote it; its turns are "
                                     "read from the speaker labels instead")
        di = len(self.docs)
        self.docs.append(d)
        # Selections (positions converted below, per source) and whole-source codings
        first = len(self.sel_start)
        raw_s: list[int] = []
        raw_e: list[int] = []
        names: list[str | None] = []
        lines: list[int] = []
        sel_guids: list[str | None] = []
        for sel in _children(text_el, "PlainTextSelection"):
            sg = self.register(sel, "a PlainTextSelection", len(self.sel_start))
            try:
                a, b = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):
                self.problems.append(f"{self.at(sel)}: positions {sel.get('startPosition')!r}..{sel.get('endPosition')!r} "
                                     "are not integers")
                continue
            k = len(self.sel_start)
            self.sel_doc.append(di)
            self.sel_start.append(a)
            self.sel_end.append(b)
            self.sel_user.append(self.user_names.get(self.ref(sel, "creatingUser") or "", None))
            desc = _text_of(_child(sel, "Description")).strip()
            if desc:
                self.sel_memo[k] = [desc]
            refs = [(self.ref(nr) or "", nr.sourceline) for nr in _children(sel, "NoteRef")]
            if refs:
                self.sel_note_refs[k] = refs
            for cd in _children(sel, "Coding"):
                self._coding(cd, k)
            raw_s.append(a)
            raw_e.append(b)
            names.append(sel.get("name"))
            lines.append(sel.sourceline)
            sel_guids.append(sg)
        self._place(d, first, np.array(raw_s, dtype=np.int64), np.array(raw_e, dtype=np.int64), names, lines, sel_guids)
        whole = _children(text_el, "Coding")
        if whole:
            k = len(self.sel_start)
            self.sel_doc.append(di)
            self.sel_start.append(0)
            self.sel_end.append(len(text))
            self.sel_user.append(None)
            for cd in whole:
                self._coding(cd, k)
        row["n_selections"] = len(self.sel_start) - first
        del d["text"]

    def _coding(self, cd: Any, sel: int) -> None:
        k = len(self.cod_sel)
        g = self.register(cd, "a Coding")
        ref = _child(cd, "CodeRef")
        user = self.ref(cd, "creatingUser")
        if user is not None and user not in self.user_names:
            self.problems.append(f"{self.at(cd)}: creatingUser {user} refers to no User")
        cg = self.ref(ref) if ref is not None else None
        ci = self.code_index.get(cg or "", -1)
        if ci < 0:
            self.problems.append(f"{self.at(cd)}: CodeRef {cg} refers to no code")
        self.cod_sel.append(sel)
        self.cod_code.append(ci)
        self.cod_coder.append(self.user_names.get(user or "", None))
        if self.keep_coding_guids and g is not None:
            self.cod_guid[g] = k
        refs = [(self.ref(nr) or "", nr.sourceline) for nr in _children(cd, "NoteRef")]
        if refs:
            self.cod_note_refs[k] = refs

    def _register_selections(self, text_el: Any) -> int:
        n = 0
        for sel in text_el.iter():
            if _local(sel) in ("PlainTextSelection", "Coding") and sel.get("guid"):
                self.register(sel, f"a {_local(sel)}")
                n += _local(sel) == "PlainTextSelection"
        return n

    def _source_bytes(self, tp: str, what: str) -> bytes | None:
        if tp.startswith("internal://"):
            fname = tp[len("internal://"):]
            if "/" in fname or "\\" in fname or fname in ("", ".", ".."):
                self.problems.append(f"{self.where}: source {what!r}: internal path {tp!r} is not a flat file name")
                return None
            return self.fetch(f"sources/{fname}")  # type: ignore[no-any-return]
        if tp.startswith(("relative:///", "absolute:///")):
            if self.base_path is None:
                self.warnings.append(f"source {what!r}: external file {tp!r} not read (pass base_path= to read files "
                                     "under that folder)")
                return None
            rel = tp.split(":///", 1)[1]
            target = ((self.base_path / rel.lstrip("/")).resolve() if tp.startswith("relative")
                      else Path("/" + rel.lstrip("/")).resolve())
            if self.base_path != target and self.base_path not in target.parents:
                self.problems.append(f"{self.where}: source {what!r}: {tp!r} points outside base_path {self.base_path}")
                return None
            try:
                return target.read_bytes()
            except OSError:
                return None
        self.problems.append(f"{self.where}: source {what!r}: path {tp!r} is not internal://, relative:/// or absolute:///")
        return None

    def _place(self, d: dict[str, Any], first: int, starts: np.ndarray, ends: np.ndarray, names: list[str | None],
               lines: list[int], sel_guids: list[str | None]) -> None:
        """Converts this source's selection positions to code points of its text."""
        text = d["text"]
        pos = _Positions(text, d.get("bom", False), d.get("inline", False))
        if "meta" in d:  # written by qualcore: code points of the LF text, by construction
            reading = _READINGS[0]
            candidates = [reading]
        elif self.positions == "auto":
            reading, candidates = _choose_reading(pos, starts, ends, names, self.prior)
        else:
            reading = next(r for r in _READINGS if r[0] == self.positions)
            candidates = [reading]
        d["row"]["positions"] = reading[0]
        cs, bad_s = pos.convert(starts, reading)
        ce, bad_e = pos.convert(ends, reading)
        others = [r for r in candidates if r != reading]
        alt = [(r[0], pos.convert(starts, r)[0], pos.convert(ends, r)[0]) for r in others]
        n = len(text)
        for i in range(len(starts)):
            st, en = int(cs[i]), int(ce[i])
            problem = None
            if starts[i] > ends[i]:
                problem = f"startPosition {starts[i]} is after endPosition {ends[i]}"
            elif bad_s[i] or bad_e[i]:
                problem = f"position {starts[i]}..{ends[i]} splits a character under the {reading[0]} reading"
            elif st < 0 or en > n:
                problem = f"selection {starts[i]}..{ends[i]} is outside its source ({n} characters)"
            k = first + i
            if problem is not None:
                if self.errors == "raise":
                    self.problems.append(f"{self.where} line {lines[i]}: source {d['doc_id']!r}: {problem}")
                self.selection_problems.append({"doc_id": d["doc_id"], "selection": sel_guids[i], "line": lines[i],
                                                "start": int(starts[i]), "end": int(ends[i]), "problem": problem})
                self.sel_dropped.add(k)
                continue
            self.sel_start[k], self.sel_end[k] = st, en
            if alt:
                changed = [nm for nm, a, b in alt if 0 <= a[i] <= b[i] <= n and text[a[i]:b[i]] != text[st:en]]
                if changed:
                    self.selection_problems.append({
                        "doc_id": d["doc_id"], "selection": sel_guids[i], "line": lines[i], "start": st, "end": en,
                        "problem": f"text differs under the {', '.join(changed)} reading(s); {reading[0]} used"})
        if len(candidates) > 1 and len(starts) and reading[0] != self.prior:
            self.warnings.append(f"source {d['doc_id']!r}: positions read as {reading[0]} (the readings "
                                 f"{', '.join(r[0] for r in candidates)} differ on this text)")

    # ------------------------------------------------------------------ the project

    def project(self) -> Project:
        self.problems.extend(self.guids.duplicates(self.where))
        for r, line, what in self.refs_to_check:
            if r not in self.guids:
                self.problems.append(f"{self.where} line {line}: {what} {r} refers to nothing in the project")
        case_members: list[list[str]] = []
        for (cname, refs, _), row in zip(self.case_vars, self.cases_rows):
            members = []
            for r, line in refs:
                if r in self.source_doc:
                    members.append(self.source_doc[r])
                elif r not in self.guids:
                    self.problems.append(f"{self.where} line {line}: case {cname!r}: SourceRef {r} refers to no source")
            row["doc_ids"] = members
            case_members.append(members)
        # memos: notes referred to by codings and selections, and notes linked to selections
        for k, refs in self.sel_note_refs.items():
            for r, line in refs:
                if r not in self.note_text:
                    self.problems.append(f"{self.where} line {line}: NoteRef {r} refers to no note")
                else:
                    self.sel_memo.setdefault(k, []).append(self.note_text[r])
        cod_memo: dict[int, list[str]] = {}
        for k, refs in self.cod_note_refs.items():
            for r, line in refs:
                if r not in self.note_text:
                    self.problems.append(f"{self.where} line {line}: NoteRef {r} refers to no note")
                else:
                    cod_memo.setdefault(k, []).append(self.note_text[r])
        n_links = 0
        for o, t, line in self.links:
            for a, b in ((o, t), (t, o)):
                target = self.guids.find(b) if a in self.note_text else None
                if target is not None and target[0] == "a PlainTextSelection":
                    self.sel_memo.setdefault(target[1], []).append(self.note_text[a])
                    break
            else:
                n_links += 1
            for r in (o, t):
                if r is not None and r not in self.guids:
                    self.problems.append(f"{self.where} line {line}: Link refers to {r}, which is nothing in the project")
        if n_links:
            self.warnings.append(f"{n_links} Link(s) between objects other than a note and a selection dropped")
        for owner, r, line in self.code_notes:
            if r not in self.note_text:
                self.problems.append(f"{self.where} line {line}: code {owner!r}: NoteRef {r} refers to no note")
        if self.problems:
            shown = self.problems[:50]
            more = f"\n  ... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
            raise RefiError(f"{self.where}: {len(self.problems)} problem(s):\n  - " + "\n  - ".join(shown) + more,
                            list(self.problems))

        # attributes: source variables, then case variables (the case wins) and the case name
        doc_attrs = {d["doc_id"]: d["attrs"] for d in self.docs}
        doc_case: dict[str, list[str]] = {}
        for (cname, _, cvars), members in zip(self.case_vars, case_members):
            for m in members:
                doc_case.setdefault(m, []).append(cname)
                for key, v in cvars.items():
                    old = doc_attrs[m].get(key)
                    if key in doc_attrs[m] and old is not None and v is not None and old != v:
                        self.warnings.append(f"document {m!r}: variable {key!r} is {old!r} on the source and {v!r} on "
                                             f"case {cname!r}; the case's value is kept")
                    if v is not None or key not in doc_attrs[m]:
                        doc_attrs[m][key] = v

        provisional = [d["doc_id"] for d in self.docs]
        corpus, doc_names = self._corpus(doc_attrs, doc_case)
        # the tables name documents by their final ids (the sidecar may have restored others)
        final = dict(zip(provisional, doc_names))
        for row in self.sources_rows:
            row["doc_id"] = final.get(row["doc_id"], row["doc_id"])
        for row in self.sets_rows:
            if row["kind"] == "source":
                row["member"] = final.get(row["member"], row["member"])
        for row in self.cases_rows:
            row["doc_ids"] = [final.get(m, m) for m in row["doc_ids"]]
        for row in self.selection_problems:
            row["doc_id"] = final.get(row["doc_id"], row["doc_id"])
        codebook = Codebook(self.codes)
        patterns = (self.sidecar or {}).get("patterns") or {}
        if patterns:
            codebook = Codebook([Code(c.path, c.description, c.colour, tuple(patterns.get(c.path, ()))) for c in codebook])
        if self.code_sets:
            codebook = codebook.with_sets(self.code_sets)

        # codings as a frame, built from the columns
        sel_doc = np.asarray(self.sel_doc, dtype=np.int64)
        sel_start = np.asarray(self.sel_start, dtype=np.int64)
        sel_end = np.asarray(self.sel_end, dtype=np.int64)
        cod_sel = np.asarray(self.cod_sel, dtype=np.int64)
        keep = np.ones(len(cod_sel), dtype=bool)
        if self.sel_dropped:
            keep &= ~np.isin(cod_sel, np.fromiter(self.sel_dropped, dtype=np.int64))
        # exact spans (between CR and LF) only mean something when the CRs were put back
        exact = ((self.sidecar or {}).get("exact") or {}) if self.restored else {}
        starts = sel_start[cod_sel]
        ends = sel_end[cod_sel]
        if exact:
            for g, k in self.cod_guid.items():
                if g in exact:
                    starts[k], ends[k] = exact[g]
        memos: list[str | None] = []
        for k, s in enumerate(self.cod_sel):
            m = cod_memo.get(k, []) + self.sel_memo.get(s, [])
            memos.append("\n\n".join(m) if m else None)
        idx = np.flatnonzero(keep)
        doc_ids = np.array(doc_names, dtype=object)[sel_doc[cod_sel[idx]]] if len(idx) else np.array([], dtype=object)
        empty = np.array([], dtype=object)
        # object columns stay object (no round trip through pandas' pyarrow strings)
        frame = pd.DataFrame({
            "doc_id": pd.Series(doc_ids, dtype=object),
            "start": starts[idx],
            "end": ends[idx],
            "code": pd.Series(np.array(self.code_list, dtype=object)[np.asarray(self.cod_code, dtype=np.int64)[idx]]
                              if len(idx) else empty, dtype=object),
            "coder": pd.Series(np.array(self.cod_coder, dtype=object)[idx] if len(idx) else empty, dtype=object),
            "memo": pd.Series(np.array(memos, dtype=object)[idx] if len(idx) else empty, dtype=object),
        })
        coding = Coding.from_frame(corpus, codebook, frame, coder="coder", memo="memo")

        # selections without codes are annotations (MAXQDA memos)
        coded = np.zeros(len(sel_start), dtype=bool)
        coded[cod_sel] = True
        annotations = []
        for k in np.flatnonzero(~coded).tolist():
            if k in self.sel_dropped or k not in self.sel_memo:
                continue
            annotations.append({"doc_id": doc_names[self.sel_doc[k]], "start": int(sel_start[k]), "end": int(sel_end[k]),
                                "memo": "\n\n".join(self.sel_memo[k]), "creating_user": self.sel_user[k]})
        if annotations:
            self.warnings.append(f"{len(annotations)} selection(s) without codes kept as annotations (project.annotations)")
        cases = pd.DataFrame(self.cases_rows) if self.cases_rows else pd.DataFrame(columns=["case", "guid", "doc_ids"])
        return Project(
            name=self.name,
            origin=self.origin,
            corpus=corpus,
            codebook=codebook,
            coding=coding,
            users=pd.DataFrame(self.users_rows, columns=["guid", "name", "id"]),
            cases=cases,
            sources=pd.DataFrame(self.sources_rows, columns=["guid", "name", "kind", "doc_id", "status", "positions",
                                                             "n_selections"]),
            sets=pd.DataFrame(self.sets_rows, columns=["set", "kind", "member", "guid"]),
            notes=pd.DataFrame(self.notes_rows, columns=["guid", "name", "text", "creating_user"]),
            annotations=pd.DataFrame(annotations, columns=["doc_id", "start", "end", "memo", "creating_user"]),
            problems=pd.DataFrame(self.selection_problems,
                                  columns=["doc_id", "selection", "line", "start", "end", "problem"]),
            warnings=self.warnings,
            description=self.description,
        )

    def _corpus(self, doc_attrs: Mapping[str, dict[str, Any]], doc_case: Mapping[str, list[str]]) -> tuple[Corpus, list[str]]:
        """The corpus, and the final document id of each source read (in order)."""
        from . import _native

        docs = self.docs
        side = self.sidecar or {}
        all_meta = bool(docs) and all("meta" in d for d in docs)
        self.restored = all_meta
        names = [d["doc_id"] for d in docs]
        if all_meta:
            # Restore the qualcore corpus exactly: CRs, doc ids and turns.
            ids = [d["meta"]["doc_id"] for d in docs]
            texts: list[bytes] = []
            sel_doc = np.asarray(self.sel_doc, dtype=np.int64)
            for i, d in enumerate(docs):
                data = d.pop("data")
                cr = d["meta"].get("cr") or []
                lone = d["meta"].get("lone_cr") or []
                if not cr and not lone:
                    texts.append(data)
                    continue
                text = data.decode("utf-8", "surrogatepass")
                del data
                if lone:  # lone CRs were written as LF (same length); positions are in the LF text
                    chars = list(text)
                    lf_pos = np.asarray(lone, dtype=np.int64)
                    if cr:
                        lf_pos = lf_pos - np.searchsorted(np.asarray(cr, dtype=np.int64), lf_pos, side="left")
                    for q in lf_pos.tolist():
                        chars[q] = "\r"
                    text = "".join(chars)
                if cr:
                    text = _reinsert_cr(text, cr)
                    for k in np.flatnonzero(sel_doc == i).tolist():
                        if k not in self.sel_dropped:
                            self.sel_start[k], self.sel_end[k] = (int(x) for x in _shift_up(
                                np.array([self.sel_start[k], self.sel_end[k]]), cr))
                texts.append(text.encode("utf-8", "surrogatepass"))
            turns: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [])
            for row, d in enumerate(docs):
                for t in d["meta"].get("turns", []):
                    spk, st, en, ls, le, ts, te = t
                    for col, v in zip(turns, (row, spk, st, en, ls, le,
                                              float("nan") if ts is None else ts, float("nan") if te is None else te)):
                        col.append(v)
            native = _native.Corpus.build(ids, texts, turns if turns[0] else None)
            del texts
            corpus = Corpus(native, interviewers=side.get("interviewers", []))
        else:
            if docs and any("meta" in d for d in docs):
                self.warnings.append(f"{SIDECAR}: describes only some sources; all turns are read from speaker labels")
            ids = names
            raw = [d.pop("data") for d in docs]
            if self.speaker_labels is False:
                native = _native.Corpus.build(ids, raw)
            else:
                pattern = DEFAULT_LABEL_PATTERN if self.speaker_labels is True else self.speaker_labels
                native = _native.Corpus.parse_texts(ids, raw, pattern, threads_arg(None))
            del raw
            corpus = Corpus(native)
        from ._corpus import RESERVED_COLUMNS

        reserved = set(RESERVED_COLUMNS) | {"doc_id", "case"}
        renamed: dict[str, str] = {}
        for a in doc_attrs.values():
            for k in a:
                if k in reserved and k not in renamed:
                    renamed[k] = _unique_name(f"{k} (variable)", reserved | set(renamed.values()))
                    self.warnings.append(f"variable {k!r} is a name qualcore's tables use; it is called "
                                         f"{renamed[k]!r}")
        # the case name is an attribute only when it says more than the document id
        say_case = not all_meta and any(doc_case.get(d["doc_id"], [final]) != [final] for d, final in zip(docs, ids))
        rows = []
        for d, final in zip(docs, ids):
            r = {renamed.get(k, k): v for k, v in doc_attrs[d["doc_id"]].items()}
            if say_case and d["doc_id"] in doc_case:
                r["case"] = "; ".join(doc_case[d["doc_id"]])
            r["doc_id"] = final
            rows.append(r)
        frame = pd.DataFrame(rows)
        if len(frame.columns):
            frame = frame[["doc_id", *[c for c in frame.columns if c != "doc_id"]]]
        if len(frame.columns) > 1:
            if all_meta:
                for col, dt in (side.get("dtypes") or {}).items():
                    if col in frame.columns:
                        try:
                            frame[col] = frame[col].astype(dt)
                        except (TypeError, ValueError):
                            pass
                if "columns" in side:
                    cols = [c for c in side["columns"] if c in frame.columns]
                    frame = frame[["doc_id", *cols, *[c for c in frame.columns if c not in cols and c != "doc_id"]]]
            corpus = corpus.with_attributes(frame)
        return corpus, ids


def _sidecar_problem(side: dict[str, Any]) -> str | None:
    """Why a ``qualcore.json`` cannot be trusted (None when its shape is right)."""
    def ints(x: Any) -> bool:
        return isinstance(x, list) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in x)

    docs = side.get("documents", {})
    if not isinstance(docs, dict):
        return "documents is not an object"
    for g, m in docs.items():
        if not isinstance(m, dict) or not isinstance(m.get("doc_id"), str) or not isinstance(m.get("crc32"), int):
            return f"document {g!r}: doc_id or crc32 missing"
        for key in ("cr", "lone_cr"):
            v = m.get(key, [])
            if not ints(v) or any(b <= a for a, b in zip(v, v[1:])):
                return f"document {g!r}: {key} is not a sorted list of offsets"
        for t in m.get("turns", []):
            if not (isinstance(t, list) and len(t) == 7 and (t[0] is None or isinstance(t[0], str))
                    and all(isinstance(v, int) for v in t[1:5])
                    and all(v is None or isinstance(v, (int, float)) for v in t[5:])):
                return f"document {g!r}: a turn is not [speaker, start, end, label_start, label_end, t0, t1]"
    exact = side.get("exact", {})
    if not isinstance(exact, dict) or not all(ints(v) and len(v) == 2 for v in exact.values()):
        return "exact is not an object of [start, end] pairs"
    if not (isinstance(side.get("interviewers", []), list) and all(isinstance(v, str) for v in side.get("interviewers", []))):
        return "interviewers is not a list of names"
    pats = side.get("patterns", {})
    if not isinstance(pats, dict) or not all(isinstance(v, list) and all(isinstance(p, str) for p in v)
                                             for v in pats.values()):
        return "patterns is not an object of pattern lists"
    if not isinstance(side.get("columns", []), list) or not isinstance(side.get("dtypes", {}), dict):
        return "columns or dtypes malformed"
    return None


def _meta_fits(meta: dict[str, Any], text: str) -> bool:
    """True when a sidecar record's removed CRs and lone CRs fit the text (LF where one goes)."""
    n = len(text)
    for k, p in enumerate(meta.get("cr", [])):
        q = p - k
        if not (0 <= q < n and text[q] == "\n"):
            return False
    cr = np.asarray(meta.get("cr", []), dtype=np.int64)
    lone = np.asarray(meta.get("lone_cr", []), dtype=np.int64)
    # lone CR offsets are in the original text: in the LF text they sit that many CRs earlier
    lf = lone - np.searchsorted(cr, lone, side="left")
    return all(0 <= q < n and text[q] == "\n" for q in lf.tolist())


def _stem(name: str) -> str:
    stem = re.split(r"[/\\]", name.strip())[-1].strip()
    for ext in (".txt", ".docx", ".doc", ".rtf", ".pdf", ".odt", ".html", ".htm"):
        if stem.casefold().endswith(ext) and len(stem) > len(ext):
            return stem[: -len(ext)]
    return stem


def _reinsert_cr(text: str, cr: list[int]) -> str:
    """The text with a CR put back at each position of ``cr`` (offsets of the original)."""
    parts = []
    prev = 0
    for k, p in enumerate(cr):
        q = p - k  # position in the LF text
        parts.append(text[prev:q])
        parts.append("\r")
        prev = q
    parts.append(text[prev:])
    return "".join(parts)


def _shift_up(pos: np.ndarray, cr: list[int]) -> np.ndarray:
    """Offsets in the LF text -> offsets in the text with CRs put back."""
    collapsed = np.asarray(cr, dtype=np.int64) - np.arange(len(cr))
    return pos + np.searchsorted(collapsed, pos, side="left")


# ---------------------------------------------------------------------------------------- writing


def _variable_type(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "Boolean"
    if pd.api.types.is_integer_dtype(s):
        return "Integer"
    if pd.api.types.is_float_dtype(s):
        vals = s.dropna()
        if len(vals) and np.all(np.mod(vals, 1) == 0) and s.isna().any():
            return "Integer"  # integers with gaps, as pandas stores them
        return "Float"
    if pd.api.types.is_datetime64_any_dtype(s):
        vals = s.dropna()
        if len(vals) and (vals.dt.normalize() == vals).all():
            return "Date"
        return "DateTime"
    vals = s.dropna().tolist()
    if vals and all(isinstance(v, bool | np.bool_) for v in vals):
        return "Boolean"
    if vals and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in vals):
        return "Integer"
    if vals and all(isinstance(v, _dt.date) and not isinstance(v, _dt.datetime) for v in vals):
        return "Date"
    return "Text"


def _format_value(v: Any, kind: str) -> str:
    if kind == "Boolean":
        return "true" if bool(v) else "false"
    if kind == "Integer":
        return str(int(v))
    if kind == "Float":
        return format(decimal.Decimal(repr(float(v))), "f")
    if kind == "Date":
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    if kind == "DateTime":
        ts = pd.Timestamp(v)
        if ts.tzinfo is not None:
            return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%f").replace(".000000", "")
    return _xml_text(str(v))


def write_qdpx(
    corpus: Corpus,
    codebook: Codebook,
    coding: Coding | None,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    origin: str | None = None,
    group_sets: str | Iterable[str] | None = "group",
) -> None:
    """Writes a REFI-QDA project (``.qdpx``) that NVivo, ATLAS.ti, MAXQDA and QualCoder can
    import and that validates against the official schema (checked before the file is
    written).

    Every document becomes a text source (``sources/<GUID>.txt``, UTF-8 without BOM, LF line
    ends: CRs are removed and positions shifted to match) and a Case of the same name holding
    the attributes as typed Variables (Text, Integer, Float, Boolean, Date, DateTime; missing
    values left out); each attribute in ``group_sets`` also gives one Set of sources per value
    (how MAXQDA and ATLAS.ti show document groups).  Coders become Users; each distinct span
    a PlainTextSelection named after its text, with one Coding per code; memos become Notes
    referred to by their coding.  GUIDs are UUIDv5 of the project name and each object's key,
    so the same project written twice is byte-for-byte the same.  ``qualcore.json`` in the
    zip keeps what the standard cannot hold (turns, interviewers, removed CRs, patterns,
    attribute dtypes) for a lossless read-back.  Written atomically (a temporary file, then
    a rename).

    >>> import qualcore as qc, os, tempfile, zipfile
    >>> path = os.path.join(tempfile.mkdtemp(), "p.qdpx")
    >>> corpus = qc.Corpus.from_texts(["I trust my GP."], doc_ids=["A1"])
    >>> qc.write_qdpx(corpus, qc.Codebook.from_dict({"Trust": None}), None, path)
    >>> sorted(n.split("/")[0] for n in zipfile.ZipFile(path).namelist())
    ['project.qde', 'qualcore.json', 'sources']
    """
    etree = _lxml()
    if not isinstance(corpus, Corpus):
        raise ArgumentError(f"corpus: expected a qualcore.Corpus, got {type(corpus).__name__}")
    if not isinstance(codebook, Codebook):
        raise ArgumentError(f"codebook: expected a qualcore.Codebook, got {type(codebook).__name__}")
    if coding is not None and not isinstance(coding, Coding):
        raise ArgumentError(f"coding: expected a qualcore.Coding or None, got {type(coding).__name__}")
    if coding is not None and coding.corpus.doc_ids != corpus.doc_ids:
        raise ArgumentError("coding: it codes another corpus (its document ids differ from corpus's)")
    if coding is not None:
        unknown = sorted(set(coding.codes()) - set(codebook.paths))
        if unknown:
            raise ArgumentError(f"coding: codes not in the codebook: {unknown[:10]}")
    proj_name = name or Path(path).stem or "qualcore project"
    ns = NS_PROJECT

    def E(parent: Any, tag: str, **attrs: str) -> Any:
        return etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)

    def G(*key: Any) -> str:
        return _stable_guid(proj_name, *key)

    def T(tag: str, **attrs: str) -> Any:
        return etree.Element(f"{{{ns}}}{tag}", attrs, nsmap={None: ns})

    frame = coding.to_frame() if coding is not None else pd.DataFrame(columns=["doc_id", "start", "end", "code", "coder", "memo"])
    ids = corpus.doc_ids
    attrs = corpus.attributes

    # Users
    coders = sorted({str(c) for c in frame["coder"].tolist() if not _missing(c)})
    user_guid = {c: G("user", c) for c in coders}
    code_guid = {p: G("code", p) for p in codebook.paths}
    names = [str(c) for c in attrs.columns]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ArgumentError(f"attributes: column names that are the same as text: {dup} (REFI-QDA variables are "
                            "named by text)")
    var_kind = {col: _variable_type(attrs[col]) for col in attrs.columns}
    source_guid = {d: G("source", d) for d in ids}

    # Codings as columns, in document order (a Coding is sorted by document, start, end)
    doc_index = {d: i for i, d in enumerate(ids)}
    c_doc = np.fromiter((doc_index[d] for d in frame["doc_id"].tolist()), dtype=np.int64, count=len(frame))
    order = np.argsort(c_doc, kind="stable")
    c_doc = c_doc[order]
    c_start = frame["start"].to_numpy(np.int64)[order]
    c_end = frame["end"].to_numpy(np.int64)[order]
    code_col = frame["code"].tolist()
    c_code = [code_col[k] for k in order.tolist()]
    coder_col = frame["coder"].tolist()
    memo_col = frame["memo"].tolist()
    c_coder = [None if _missing(coder_col[k]) else str(coder_col[k]) for k in order.tolist()]
    c_memo = [None if _missing(memo_col[k]) or str(memo_col[k]) == "" else str(memo_col[k]) for k in order.tolist()]
    bounds = np.searchsorted(c_doc, np.arange(len(ids) + 1), side="left")
    del frame

    turns = corpus._turn_table() if len(corpus) else None
    speakers = corpus._native.speakers()
    meta_docs: dict[str, Any] = {}
    exact: dict[str, list[int]] = {}
    notes: list[tuple[str, str, str]] = []

    def source_element(i: int, d: str, lf_text: str, cr: list[int]) -> Any:
        sg = source_guid[d]
        src = T("TextSource", guid=sg, name=_xml_text(f"{d}.txt"), plainTextPath=f"internal://{sg}.txt")
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        if hi > lo:
            orig_st, orig_en = c_start[lo:hi], c_end[lo:hi]
            st, en = orig_st, orig_en
            if cr:
                crs = np.asarray(cr, dtype=np.int64)
                st = st - np.searchsorted(crs, st, side="left")
                en = en - np.searchsorted(crs, en, side="left")
                inexact = (_shift_up(st, cr) != orig_st) | (_shift_up(en, cr) != orig_en)
            else:
                inexact = np.zeros(hi - lo, dtype=bool)
            spans: dict[tuple[int, int], list[int]] = {}
            for k, (a, b) in enumerate(zip(st.tolist(), en.tolist())):
                spans.setdefault((a, b), []).append(k)
            seen_coding: dict[tuple[Any, ...], int] = {}
            for (a, b), rows in spans.items():
                quote = lf_text[a:b]
                label = quote if len(quote) <= 100 else quote[:100] + "\u2026"
                sel = E(src, "PlainTextSelection", guid=G("selection", d, a, b), name=_xml_text(label or "(empty)"),
                        startPosition=str(a), endPosition=str(b))
                for k in rows:
                    code, coder, memo = c_code[lo + k], c_coder[lo + k], c_memo[lo + k]
                    key = (d, a, b, code, coder)
                    n = seen_coding.get(key, 0)
                    seen_coding[key] = n + 1
                    cguid = G("coding", *key, n)
                    c_el = E(sel, "Coding", guid=cguid, **({"creatingUser": user_guid[coder]} if coder is not None else {}))
                    E(c_el, "CodeRef", targetGUID=code_guid[code])
                    if inexact[k]:  # a span that starts or ends between CR and LF
                        exact[cguid.lower()] = [int(orig_st[k]), int(orig_en[k])]
                    if memo is not None:
                        note_guid = G("note", cguid)
                        notes.append((note_guid, f"Memo: {code.rsplit(PATH_SEPARATOR, 1)[-1]} ({d})", memo))
                        E(c_el, "NoteRef", targetGUID=note_guid)
        return src

    def turn_rows(i: int) -> list[list[Any]]:
        out: list[list[Any]] = []
        if turns is None:
            return out
        lo, hi = np.searchsorted(turns["doc"], [i, i + 1])
        for j in range(int(lo), int(hi)):
            spk = int(turns["speaker"][j])
            ts, te = float(turns["time_start"][j]), float(turns["time_end"][j])
            out.append([speakers[spk] if spk >= 0 else None, int(turns["start"][j]), int(turns["end"][j]),
                        int(turns["label_start"][j]), int(turns["label_end"][j]),
                        None if np.isnan(ts) else ts, None if np.isnan(te) else te])
        return out

    def write(fh: Any) -> None:
        fixed = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same project gives the same bytes

        def entry(nm: str) -> zipfile.ZipInfo:
            info = zipfile.ZipInfo(nm, date_time=fixed)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            return info

        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            # The sources first, one at a time, keeping only what project.qde needs about them.
            lf_texts: list[tuple[str, list[int]]] = []
            for i, d in enumerate(ids):
                text = corpus._native.text(i)
                cr = [m.start() for m in re.finditer("\r\n", text)] if "\r" in text else []
                lone = [m.start() for m in re.finditer("\r(?!\n)", text)] if "\r" in text else []
                lf_text = text.replace("\r\n", "\n").replace("\r", "\n") if cr or lone else text
                data = lf_text.encode("utf-8", "surrogatepass")
                zf.writestr(entry(f"sources/{source_guid[d]}.txt"), data, compresslevel=1)
                meta_docs[source_guid[d].lower()] = {"doc_id": d, "crc32": zlib.crc32(data), "cr": cr,
                                                     "lone_cr": lone, "turns": turn_rows(i)}
                del data, text
                lf_texts.append(("", cr))
            # project.qde, streamed: one source element in memory at a time.
            with zf.open(entry("project.qde"), "w") as raw, etree.xmlfile(raw, encoding="utf-8") as xf:
                xf.write_declaration()
                with xf.element(f"{{{ns}}}Project", {"name": _xml_text(proj_name), "origin": origin or _origin()},
                                nsmap={None: ns}):
                    if coders:
                        users = T("Users")
                        for c in coders:
                            E(users, "User", guid=user_guid[c], name=_xml_text(c))
                        xf.write(users, pretty_print=True)
                    if len(codebook):
                        cb_el = T("CodeBook")
                        cb_el.append(_codes_xml(codebook, ns, code_guid, lambda p: True))
                        xf.write(cb_el, pretty_print=True)
                    if var_kind:
                        vars_el = T("Variables")
                        for col, kind in var_kind.items():
                            E(vars_el, "Variable", guid=G("variable", col), name=_xml_text(str(col)), typeOfVariable=kind)
                        xf.write(vars_el, pretty_print=True)
                    if ids:
                        cases_el = T("Cases")
                        for d in ids:
                            case = E(cases_el, "Case", guid=G("case", d), name=_xml_text(d))
                            for col, kind in var_kind.items():
                                v = attrs.at[d, col]
                                if _missing(v) or (kind == "Float" and not math.isfinite(float(v))):
                                    continue  # missing (xsd:decimal has no NaN or infinity)
                                vv = E(case, "VariableValue")
                                E(vv, "VariableRef", targetGUID=G("variable", col))
                                E(vv, f"{kind}Value").text = _format_value(v, kind)
                            E(case, "SourceRef", targetGUID=source_guid[d])
                        xf.write(cases_el, pretty_print=True)
                        with xf.element(f"{{{ns}}}Sources"):
                            for i, d in enumerate(ids):
                                cr = lf_texts[i][1]
                                text = corpus._native.text(i)
                                lf_text = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
                                xf.write(source_element(i, d, lf_text, cr), pretty_print=True)
                    if notes:
                        notes_el = T("Notes")
                        for g, nm, txt in notes:
                            n_el = E(notes_el, "Note", guid=g, name=_xml_text(nm))
                            E(n_el, "PlainTextContent").text = _xml_text(txt)
                        xf.write(notes_el, pretty_print=True)
                    set_specs: list[tuple[str, str, list[str]]] = []
                    for sname, members in codebook.sets.items():
                        set_specs.append((sname, "MemberCode", [code_guid[m] for m in members]))
                    groups = [group_sets] if isinstance(group_sets, str) else list(group_sets or [])
                    for col in groups:
                        if col in attrs.columns:
                            for val, members in attrs.groupby(col, sort=True, observed=True).groups.items():
                                set_specs.append((f"{col}: {val}", "MemberSource", [source_guid[m] for m in members]))
                    set_specs = [x for x in set_specs if x[2]]
                    if set_specs:
                        sets_el = T("Sets")
                        for sname, kind, members in set_specs:
                            s_el = E(sets_el, "Set", guid=G("set", kind, sname), name=_xml_text(sname))
                            for m in members:
                                E(s_el, kind, targetGUID=m)
                        xf.write(sets_el, pretty_print=True)
            sidecar = {
                "format": "qualcore-refi",
                "version": 1,
                "documents": meta_docs,
                "exact": exact,
                "interviewers": sorted(corpus.interviewers),
                "patterns": {c.path: list(c.patterns) for c in codebook if c.patterns},
                "columns": [str(c) for c in attrs.columns],
                "dtypes": {str(c): str(attrs[c].dtype) for c in attrs.columns
                           if str(attrs[c].dtype) in ("category", "string", "boolean", "Int64", "Float64")},
            }
            zf.writestr(entry(SIDECAR), json.dumps(sidecar, ensure_ascii=False, sort_keys=True).encode("utf-8"),
                        compresslevel=1)

    _atomic_write(Path(path), writer=write)


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(isinstance(v, float) and np.isnan(v)) or (not isinstance(v, str) and bool(pd.isna(v)))
    except (TypeError, ValueError):
        return False
