"""Codebooks: trees of codes (theme > subtheme > code) with memos, colours and patterns."""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import CodebookError, DictionaryError

__all__ = ["Code", "Codebook", "PATH_SEPARATOR"]

#: How code paths join names from the top level down (as MAXQDA, NVivo and ATLAS.ti exports do).
PATH_SEPARATOR = " > "

_NODE_KEYS = {"description", "memo", "colour", "color", "patterns", "children", "name"}
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


@dataclass(frozen=True)
class Code:
    """One node of a codebook.

    >>> import qualcore as qc
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["credib*"]}})
    >>> cb["Credibility"]
    Code(path='Trust > Credibility', description='', colour=None, patterns=('credib*',))
    >>> cb["Credibility"].name, cb["Credibility"].level, cb["Credibility"].parent
    ('Credibility', 2, 'Trust')
    """

    path: str
    description: str = ""
    colour: str | None = None
    patterns: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """The last element of the path."""
        return self.path.rsplit(PATH_SEPARATOR, 1)[-1]

    @property
    def level(self) -> int:
        """Depth in the tree: 1 for a theme (top level)."""
        return self.path.count(PATH_SEPARATOR) + 1

    @property
    def parent(self) -> str | None:
        """Path of the parent, or None at the top level."""
        return self.path.rsplit(PATH_SEPARATOR, 1)[0] if PATH_SEPARATOR in self.path else None


class Codebook:
    """A tree of codes of any depth; each code has a path (``"Trust > Credibility"``), a
    description (memo), a colour and optional auto-coding patterns (the pattern language of
    :meth:`Corpus.kwic`).  Counts roll up the tree: a count at a theme counts its descendants,
    each unit once.

    Build one with :meth:`from_dict`, :meth:`from_frame`, :meth:`read_csv`, :meth:`read_json`,
    :meth:`read_yaml` or :meth:`read_dictionary` (quanteda YAML, WordStat ``.cat``, LIWC
    ``.dic``).  Every problem (duplicate paths, empty names, bad colours, patterns that do not
    compile) is collected and raised once as :class:`~qualcore.errors.CodebookError`.

    >>> import qualcore as qc
    >>> cb = qc.Codebook.from_dict({
    ...     "Power": {"Institutions": ["institution*", "royal college"], "Social networks": None},
    ...     "Trust": {"Credibility": ["credib*"], "Conflict of interest": ["conflict* of interest"]},
    ... })
    >>> len(cb), cb.paths[:3]
    (6, ['Power', 'Power > Institutions', 'Power > Social networks'])
    >>> cb.ancestor("Trust > Credibility", 1)
    'Trust'
    """

    __slots__ = ("_codes", "_index", "_by_name", "_children", "_sets")

    def __init__(self, codes: Iterable[Code], sets: Mapping[str, Iterable[str]] | None = None) -> None:
        codes = list(codes)
        problems: list[str] = []
        index: dict[str, int] = {}
        for i, c in enumerate(codes):
            if not isinstance(c, Code):
                raise TypeError(f"codes: item {i} is not a Code but {type(c).__name__}")
            names = c.path.split(PATH_SEPARATOR)
            if any(not n.strip() for n in names):
                problems.append(f"code {i} ({c.path!r}): empty name in its path")
            elif any(n != n.strip() for n in names):
                problems.append(f"code {i} ({c.path!r}): names may not start or end with white space")
            elif any(n.startswith(">" + " ") or n.endswith(" " + ">") for n in names):
                problems.append(f"code {i} ({c.path!r}): a name starting with '> ' or ending with ' >' makes the path ambiguous")
            if c.path in index:
                problems.append(f"duplicate code path {c.path!r}")
            index.setdefault(c.path, i)
            if c.colour is not None and not _COLOUR.match(c.colour):
                problems.append(f"code {c.path!r}: colour {c.colour!r} is not #RRGGBB or #RGB")
            for p in c.patterns:
                if not isinstance(p, str) or not p.strip():
                    problems.append(f"code {c.path!r}: empty pattern {p!r}")
        # Parents that are not listed are added (a path implies its ancestors).
        full: list[Code] = []
        seen: set[str] = set()
        for c in codes:
            parts = c.path.split(PATH_SEPARATOR)
            for k in range(1, len(parts)):
                anc = PATH_SEPARATOR.join(parts[:k])
                if anc not in index and anc not in seen:
                    full.append(Code(anc))
                    seen.add(anc)
            if c.path not in seen:
                full.append(c)
                seen.add(c.path)
        if problems:
            raise CodebookError(f"{len(problems)} problem(s) in the codebook:\n  - " + "\n  - ".join(problems), problems)
        # Order: depth-first, children in order of first appearance.
        children: dict[str | None, list[str]] = {}
        by_path = {c.path: c for c in full}
        for c in full:
            children.setdefault(c.parent, []).append(c.path)
        ordered: list[Code] = []

        def walk(parent: str | None) -> None:
            for p in children.get(parent, []):
                ordered.append(by_path[p])
                walk(p)

        walk(None)
        self._codes = ordered
        self._index = {c.path: i for i, c in enumerate(ordered)}
        self._children = children
        by_name: dict[str, list[str]] = {}
        for c in ordered:
            by_name.setdefault(c.name, []).append(c.path)
        self._by_name = by_name
        self._sets: dict[str, tuple[str, ...]] = {}
        if sets:
            set_problems: list[str] = []
            for name, members in sets.items():
                if not isinstance(name, str) or not name.strip():
                    set_problems.append(f"set {name!r}: a set needs a non-empty name")
                    continue
                resolved: list[str] = []
                for m in members:
                    try:
                        resolved.append(self.resolve(m))
                    except KeyError as err:
                        set_problems.append(f"set {name!r}: {err.args[0]}")
                self._sets[name] = tuple(dict.fromkeys(resolved))
            if set_problems:
                raise CodebookError(f"{len(set_problems)} problem(s) in the codebook's sets:\n  - " + "\n  - ".join(set_problems), set_problems)

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_dict(cls, tree: Mapping[str, Any]) -> Codebook:
        """A codebook from a nested dict.  A value that is a list or a str gives the patterns of
        a code; None a code without patterns; a dict either describes the node (keys among
        ``description``/``memo``, ``colour``/``color``, ``patterns``, ``children``) or maps
        child names to values.  A dict with ``name`` and a ``children`` list (MAXQDA-style
        JSON, e.g. the PDPilot ``codebook.json``) is read as a tree of named nodes whose root
        is a container.

        >>> import qualcore as qc
        >>> cb = qc.Codebook.from_dict({"Trust": {"description": "Who is believed", "colour": "#336699",
        ...                                       "children": {"Evidence base": ["evidence", "data"]}}})
        >>> cb["Trust"].description, cb["Trust > Evidence base"].patterns
        ('Who is believed', ('evidence', 'data'))
        """
        if not isinstance(tree, Mapping):
            raise CodebookError(f"expected a dict, got {type(tree).__name__}")
        codes: list[Code] = []
        if "name" in tree and isinstance(tree.get("children"), list):
            for child in tree["children"]:
                _named_node(child, None, codes)
            return cls(codes)
        _children(tree, None, codes)
        return cls(codes)

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        path: str = "path",
        description: str | None = "auto",
        colour: str | None = "auto",
        patterns: str | None = "auto",
        separator: str = PATH_SEPARATOR,
    ) -> Codebook:
        """A codebook from a frame with one row per code and its path (``Theme > Subtheme >
        Code``); optional columns give descriptions (``description`` or ``memo``), colours and
        patterns (a list, or a str split on ``;``).  ``"auto"`` picks the usual column name
        when present.  ``separator`` is how the frame's paths join names.

        >>> import pandas as pd, qualcore as qc
        >>> df = pd.DataFrame({"path": ["Trust", "Trust > Credibility"], "memo": ["", "believable"]})
        >>> qc.Codebook.from_frame(df)["Credibility"].description
        'believable'
        """
        if path not in df.columns:
            raise CodebookError(f"path: no column {path!r} (columns: {list(df.columns)})")

        def pick(arg: str | None, names: Sequence[str]) -> str | None:
            if arg == "auto":
                return next((n for n in names if n in df.columns), None)
            if arg is not None and arg not in df.columns:
                raise CodebookError(f"no column {arg!r} (columns: {list(df.columns)})")
            return arg

        dcol = pick(description, ("description", "memo"))
        ccol = pick(colour, ("colour", "color"))
        pcol = pick(patterns, ("patterns",))
        codes = []
        for i, row in enumerate(df.to_dict("records")):
            p = row[path]
            if not isinstance(p, str):
                raise CodebookError(f"row {i}: path {p!r} is not a str")
            p = PATH_SEPARATOR.join(part.strip() for part in p.split(separator)) if separator != PATH_SEPARATOR else p
            pats: Any = row.get(pcol) if pcol else None
            if isinstance(pats, str):
                pats = [x.strip() for x in pats.split(";") if x.strip()]
            elif pats is None or (isinstance(pats, float) and np.isnan(pats)):
                pats = []
            desc = row.get(dcol) if dcol else ""
            col = row.get(ccol) if ccol else None
            codes.append(
                Code(
                    p,
                    "" if desc is None or (isinstance(desc, float) and np.isnan(desc)) else str(desc),
                    None if col is None or (isinstance(col, float) and np.isnan(col)) or col == "" else str(col),
                    tuple(pats),
                )
            )
        return cls(codes)

    @classmethod
    def read_csv(cls, path: str | os.PathLike[str], **kwargs: Any) -> Codebook:
        """A codebook from a CSV file of code paths (see :meth:`from_frame`), e.g. the PDPilot
        ``codebook.csv``.

        >>> import io, qualcore as qc
        >>> qc.Codebook.read_csv(io.StringIO("path,memo\\nA > B,x\\n")).paths
        ['A', 'A > B']
        """
        return cls.from_frame(pd.read_csv(path, keep_default_na=False, dtype=str), **kwargs)

    @classmethod
    def read_json(cls, source: str | os.PathLike[str]) -> Codebook:
        """A codebook from a JSON file (or string) in :meth:`from_dict`'s shapes.

        >>> import qualcore as qc
        >>> qc.Codebook.read_json('{"Trust": ["trust*"]}').paths
        ['Trust']
        """
        text = _read_source(source)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise DictionaryError(f"{_name(source)}: line {e.lineno}, column {e.colno}: {e.msg}") from None
        return cls.from_dict(data)

    @classmethod
    def read_yaml(cls, source: str | os.PathLike[str]) -> Codebook:
        """A codebook from a YAML file (or string) in :meth:`from_dict`'s shapes — quanteda's
        YAML dictionaries included.  Needs PyYAML.

        >>> import qualcore as qc
        >>> qc.Codebook.read_yaml("Trust:\\n  Credibility: [credib*, believ*]\\n")["Credibility"].patterns
        ('credib*', 'believ*')
        """
        try:
            import yaml
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("reading YAML needs PyYAML: pip install pyyaml") from None
        text = _read_source(source)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            raise DictionaryError(f"{_name(source)}: {where}{getattr(e, 'problem', e)}") from None
        return cls.from_dict(data or {})

    @classmethod
    def read_dictionary(cls, source: str | os.PathLike[str], format: str = "auto") -> Codebook:
        """A codebook from a content-analysis dictionary: quanteda YAML (``.yml``/``.yaml``),
        WordStat (``.cat``: indented categories, entries with an optional ``(1)`` weight) or
        LIWC (``.dic``: ``%``-delimited category table, then ``word<TAB>ids``).  Syntax errors
        name the file and line.

        >>> import qualcore as qc
        >>> dic = "%\\n1\\tposemo\\n2\\tnegemo\\n%\\ngood\\t1\\nbad*\\t2\\n"
        >>> qc.Codebook.read_dictionary(dic, format="liwc").to_dict()
        {'posemo': ['good'], 'negemo': ['bad*']}
        """
        name = _name(source)
        if format == "auto":
            # A missing file still has its extension (and _read_source raises FileNotFoundError).
            s = name if hasattr(source, "read") else os.fspath(source)
            suffix = Path(s).suffix.lower() if "\n" not in s else ""
            format = {".yml": "yaml", ".yaml": "yaml", ".cat": "wordstat", ".dic": "liwc", ".json": "json"}.get(suffix, "")
            if not format:
                raise DictionaryError(f"{name}: cannot tell the dictionary format from the extension; give format=")
        if format in ("yaml", "quanteda"):
            return cls.read_yaml(source)
        if format == "json":
            return cls.read_json(source)
        text = _read_source(source)
        if format == "wordstat":
            return cls(_parse_wordstat(text, name))
        if format == "liwc":
            return cls(_parse_liwc(text, name))
        raise DictionaryError(f"format: {format!r} is not one of 'auto', 'yaml', 'quanteda', 'wordstat', 'liwc', 'json'")

    # ------------------------------------------------------------------ access

    def __len__(self) -> int:
        return len(self._codes)

    def __iter__(self) -> Iterator[Code]:
        return iter(self._codes)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self._index or len(self._by_name.get(key, [])) == 1)

    def __getitem__(self, key: str) -> Code:
        """A code by path (``"Trust > Credibility"``) or by name when the name is unique."""
        return self._codes[self._index[self.resolve(key)]]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Codebook) and self._codes == other._codes and self._sets == other._sets

    def __hash__(self) -> int:
        return hash(tuple(self._codes))

    def resolve(self, key: str) -> str:
        """The full path of a code given by path or unique name; KeyError otherwise.

        >>> import qualcore as qc
        >>> qc.Codebook.from_dict({"A": {"X": None}, "B": {"X": None}}).resolve("A > X")
        'A > X'
        """
        if key in self._index:
            return key
        paths = self._by_name.get(key, [])
        if len(paths) == 1:
            return paths[0]
        if paths:
            raise KeyError(f"code name {key!r} is ambiguous: {paths}; give the full path")
        raise KeyError(f"no code {key!r} in the codebook")

    @property
    def sets(self) -> dict[str, tuple[str, ...]]:
        """Named groups of codes across the tree (REFI-QDA code Sets, e.g. "COI codes"): set
        name -> code paths.  Empty unless given.

        >>> import qualcore as qc
        >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": None}, "Power": None})
        >>> cb.with_sets({"Key codes": ["Credibility", "Power"]}).sets
        {'Key codes': ('Trust > Credibility', 'Power')}
        """
        return dict(self._sets)

    def with_sets(self, sets: Mapping[str, Iterable[str]]) -> Codebook:
        """The same codes with these named sets of codes (paths or unique names) in place of
        the current ones; unknown codes raise :class:`~qualcore.errors.CodebookError`.

        >>> import qualcore as qc
        >>> qc.Codebook.from_dict({"A": None}).with_sets({"S": ["A"]}).sets
        {'S': ('A',)}
        """
        return Codebook(self._codes, sets)

    @property
    def paths(self) -> list[str]:
        """All code paths, depth first."""
        return [c.path for c in self._codes]

    @property
    def leaves(self) -> list[str]:
        """Paths of codes without children."""
        return [c.path for c in self._codes if c.path not in self._children]

    def children(self, path: str | None = None) -> list[str]:
        """Paths of the children of ``path`` (the top-level codes for None)."""
        return list(self._children.get(None if path is None else self.resolve(path), []))

    def descendants(self, path: str) -> list[str]:
        """Paths of every code below ``path``, depth first."""
        path = self.resolve(path)
        out: list[str] = []
        stack = list(reversed(self._children.get(path, [])))
        while stack:
            p = stack.pop()
            out.append(p)
            stack.extend(reversed(self._children.get(p, [])))
        return out

    def ancestor(self, path: str, level: int) -> str:
        """The ancestor of ``path`` at ``level`` (1 = theme); the code itself when it is at or
        above that level."""
        if level < 1:
            raise ValueError(f"level: must be >= 1, got {level}")
        parts = self.resolve(path).split(PATH_SEPARATOR)
        return PATH_SEPARATOR.join(parts[:level])

    def ancestors(self, path: str) -> list[str]:
        """The path itself and every ancestor, from the code up to its theme."""
        parts = self.resolve(path).split(PATH_SEPARATOR)
        return [PATH_SEPARATOR.join(parts[:k]) for k in range(len(parts), 0, -1)]

    @property
    def depth(self) -> int:
        """Number of levels."""
        return max((c.level for c in self._codes), default=0)

    def patterns(self) -> list[tuple[str, str]]:
        """Every (pattern, code path) pair, for auto-coding."""
        return [(p, c.path) for c in self._codes for p in c.patterns]

    # ------------------------------------------------------------------ export

    def to_frame(self) -> pd.DataFrame:
        """One row per code: ``path``, ``name``, ``level``, ``parent``, ``description``,
        ``colour``, ``patterns`` (a list).

        >>> import qualcore as qc
        >>> f = qc.Codebook.from_dict({"T": {"C": ["x"]}}).to_frame()
        >>> f[["path", "level"]].values.tolist(), f["parent"].isna().tolist()
        ([['T', 1], ['T > C', 2]], [True, False])
        """
        return pd.DataFrame(
            {
                "path": [c.path for c in self._codes],
                "name": [c.name for c in self._codes],
                "level": [c.level for c in self._codes],
                "parent": np.array([c.parent for c in self._codes], dtype=object),
                "description": [c.description for c in self._codes],
                "colour": np.array([c.colour for c in self._codes], dtype=object),
                "patterns": [list(c.patterns) for c in self._codes],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """The tree as a nested dict that :meth:`from_dict` reads back: a code with only
        patterns becomes its list of patterns, a node with details a dict with ``children``.

        >>> import qualcore as qc
        >>> cb = qc.Codebook.from_dict({"T": {"description": "d", "children": {"C": ["x"]}}})
        >>> cb.to_dict()
        {'T': {'description': 'd', 'children': {'C': ['x']}}}
        >>> qc.Codebook.from_dict(cb.to_dict()) == cb
        True
        """

        def node(path: str) -> Any:
            c = self._codes[self._index[path]]
            kids = self._children.get(path, [])
            if not kids and not c.description and c.colour is None:
                return list(c.patterns) if c.patterns else None
            d: dict[str, Any] = {}
            if c.description:
                d["description"] = c.description
            if c.colour is not None:
                d["colour"] = c.colour
            if c.patterns:
                d["patterns"] = list(c.patterns)
            if kids:
                d["children"] = {self._codes[self._index[k]].name: node(k) for k in kids}
            return d

        return {self._codes[self._index[p]].name: node(p) for p in self._children.get(None, [])}

    def to_yaml(self) -> str:
        """The tree as YAML (the :meth:`to_dict` shape).  Needs PyYAML.

        >>> import qualcore as qc
        >>> print(qc.Codebook.from_dict({"T": {"C": ["x"]}}).to_yaml(), end="")
        T:
          children:
            C:
            - x
        """
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def to_json(self) -> str:
        """The tree as JSON (the :meth:`to_dict` shape).

        >>> import qualcore as qc
        >>> qc.Codebook.from_dict({"T": ["x"]}).to_json()
        '{"T": ["x"]}'
        """
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def _repr_html_(self) -> str:
        def render(parent: str | None) -> str:
            items = []
            for p in self._children.get(parent, []):
                c = self._codes[self._index[p]]
                swatch = f"<span style='color:{c.colour}'>&#9632;</span> " if c.colour else ""
                desc = f" <i style='color:#666'>{html.escape(c.description)}</i>" if c.description else ""
                pats = f" <code>{html.escape(', '.join(c.patterns))}</code>" if c.patterns else ""
                items.append(f"<li>{swatch}<b>{html.escape(c.name)}</b>{desc}{pats}{render(p)}</li>")
            return "<ul>" + "".join(items) + "</ul>" if items else ""

        return f"<div class='qualcore-codebook'><p>Codebook: {len(self)} codes, {self.depth} levels</p>{render(None)}</div>"

    def __repr__(self) -> str:
        return f"<qualcore.Codebook: {len(self)} codes, {self.depth} levels>"


_FILE_SUFFIXES = (".yml", ".yaml", ".json", ".cat", ".dic", ".csv", ".txt")


def _read_source(source: str | os.PathLike[str] | Any) -> str:
    """The text of a file-like object, a path, or a string that is the content itself.  A
    one-line string ending in a dictionary file extension is taken as a path."""
    if hasattr(source, "read"):
        return str(source.read())
    s = os.fspath(source)
    looks_like_path = isinstance(source, os.PathLike) or ("\n" not in s and s.lower().endswith(_FILE_SUFFIXES))
    if looks_like_path or ("\n" not in s and os.path.isfile(s)):
        if not os.path.isfile(s):
            raise FileNotFoundError(f"no such file: {s!r}")
        with open(s, encoding="utf-8-sig") as f:
            return f.read()
    return s


def _name(source: Any) -> str:
    if hasattr(source, "read"):
        return str(getattr(source, "name", "<stream>"))
    s = os.fspath(source)
    return s if "\n" not in s and os.path.exists(s) else "<string>"


def _children(tree: Mapping[str, Any], parent: str | None, out: list[Code]) -> None:
    for name, value in tree.items():
        if not isinstance(name, str):
            raise CodebookError(f"code names must be str, got {name!r} under {parent!r}")
        path = name if parent is None else f"{parent}{PATH_SEPARATOR}{name}"
        _node(path, value, out)


def _node(path: str, value: Any, out: list[Code]) -> None:
    if value is None:
        out.append(Code(path))
    elif isinstance(value, str):
        out.append(Code(path, patterns=(value,)))
    elif isinstance(value, (list, tuple)):
        out.append(Code(path, patterns=tuple(str(v) for v in value)))
    elif isinstance(value, Mapping):
        keys = set(value)
        if keys and keys <= _NODE_KEYS and not isinstance(value.get("children", {}), list):
            pats = value.get("patterns") or ()
            out.append(
                Code(
                    path,
                    str(value.get("description", value.get("memo", "")) or ""),
                    value.get("colour", value.get("color")),
                    (pats,) if isinstance(pats, str) else tuple(str(p) for p in pats),
                )
            )
            kids = value.get("children") or {}
            if not isinstance(kids, Mapping):
                raise CodebookError(f"code {path!r}: children must be a dict, got {type(kids).__name__}")
            _children(kids, path, out)
        else:
            out.append(Code(path))
            _children(value, path, out)
    else:
        raise CodebookError(f"code {path!r}: expected patterns, a dict or None, got {type(value).__name__}")


def _named_node(node: Any, parent: str | None, out: list[Code]) -> None:
    if not isinstance(node, Mapping) or "name" not in node:
        raise CodebookError(f"under {parent!r}: a node must be a dict with a 'name', got {node!r}")
    path = node["name"] if parent is None else f"{parent}{PATH_SEPARATOR}{node['name']}"
    pats = node.get("patterns") or ()
    out.append(Code(path, str(node.get("description", node.get("memo", "")) or ""),
                    node.get("colour", node.get("color")), tuple(pats)))
    for child in node.get("children") or []:
        _named_node(child, path, out)


def _parse_wordstat(text: str, name: str) -> list[Code]:
    codes: list[Code] = []
    stack: list[tuple[int, str]] = []
    entries: dict[str, list[str]] = {}
    order: list[str] = []
    entry_re = re.compile(r"^(.*?)\s*\(\s*\d+\s*\)\s*$")
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip("\t "))
        body = raw.strip()
        m = entry_re.match(body)
        is_entry = m is not None
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if is_entry:
            if not stack:
                raise DictionaryError(f"{name}: line {lineno}: entry {body!r} is outside any category")
            word = m.group(1).strip() if m else body
            if not word:
                raise DictionaryError(f"{name}: line {lineno}: empty entry")
            entries[stack[-1][1]].append(word.lower())
        else:
            path = body if not stack else f"{stack[-1][1]}{PATH_SEPARATOR}{body}"
            if path in entries:
                raise DictionaryError(f"{name}: line {lineno}: category {path!r} appears twice")
            entries[path] = []
            order.append(path)
            stack.append((indent, path))
    for path in order:
        codes.append(Code(path, patterns=tuple(entries[path])))
    return codes


def _parse_liwc(text: str, name: str) -> list[Code]:
    lines = text.splitlines()
    delims = [i for i, l in enumerate(lines) if l.strip() == "%"]
    if len(delims) < 2:
        raise DictionaryError(f"{name}: line {len(lines)}: expected the category table between two '%' lines")
    cats: dict[str, str] = {}
    for i in range(delims[0] + 1, delims[1]):
        line = lines[i].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise DictionaryError(f"{name}: line {i + 1}: expected '<id> <category>', got {line!r}")
        cats[parts[0]] = parts[1].strip()
    words: dict[str, list[str]] = {c: [] for c in cats.values()}
    problems: list[str] = []
    for i in range(delims[1] + 1, len(lines)):
        line = lines[i].strip()
        if not line:
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        word, ids = parts[0].strip(), [p.strip() for p in parts[1:] if p.strip()]
        if not ids:
            problems.append(f"{name}: line {i + 1}: entry {word!r} has no category id")
        for cid in ids:
            if cid not in cats:
                problems.append(f"{name}: line {i + 1}: unknown category id {cid!r} for {word!r}")
            else:
                words[cats[cid]].append(word)
    if problems:
        msg = problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n  - " + "\n  - ".join(problems)
        raise DictionaryError(msg, problems)
    return [Code(c, patterns=tuple(w)) for c, w in words.items()]
