"""The thematic map: the codebook tree and code co-occurrence as one networkx graph, with
GraphML / GEXF (Gephi) and DOT (Graphviz) export.  networkx is imported on use
(``pip install qualcore[graph]``)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._codebook import Codebook
from ._util import atomic_write
from .errors import ArgumentError

if TYPE_CHECKING:
    from ._coding import Coding

__all__ = ["thematic_map", "write_graphml", "write_gexf", "to_dot", "PALETTE"]

#: Colours given to themes without one of their own (matplotlib's "tab10"), in codebook order;
#: a code without a colour takes its nearest ancestor's.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _networkx() -> Any:
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the thematic map needs networkx: pip install 'qualcore[graph]' (or pip install networkx)") from None
    return nx


def _hex6(colour: str) -> str:
    """``#RGB`` or ``#RRGGBB`` as lower-case ``#rrggbb``."""
    c = colour.lower()
    return "#" + "".join(ch * 2 for ch in c[1:]) if len(c) == 4 else c


def thematic_map(
    codebook: Codebook,
    coding: Coding,
    unit: str = "sentence",
    min_count: int = 1,
    level: int | None = None,
    by: str | None = None,
    *,
    window: int | None = None,
    within: str = "turn",
) -> Any:
    """The thematic map: a ``networkx.MultiGraph`` of the codebook tree (theme → subtheme →
    code) and the co-occurrence of codes.

    Nodes are code paths, in codebook order, each with ``path``, ``name`` (also as ``label``),
    ``level`` (1 = theme), ``parent`` (``""`` at the top), ``description``, ``colour`` (the
    code's own, else its nearest ancestor's, else a theme colour from :data:`PALETTE`),
    ``cases`` (documents holding the code or a descendant) and ``codings`` (codings of the code
    and its descendants).  Every node of the codebook is there, coded or not; with ``level``
    only the nodes down to that level.

    Edges: ``kind="tree"`` from each node to its parent (edge key ``"tree"``), and
    ``kind="cooccurrence"`` (key ``"cooccurrence"``) with ``weight`` = the
    :func:`~qualcore.cooccurrence` count at ``unit`` (``window``/``within`` as there) for
    every pair of codes (rolled up to ``level``) with at least ``min_count``.  A parent and a
    child that co-occur (codings made at a theme itself) have both edges, hence the
    multigraph: ``G.edges[a, b, "cooccurrence"]["weight"]``.  ``G.graph`` records ``unit``,
    ``min_count`` and, when given, ``level``, ``window``, ``within`` and the ``group``.
    ``by`` (an attribute) gives a dict ``group -> graph``, cases, codings and counts within
    each group.

    ``codebook`` may differ from the coding's own (e.g. the final codebook with its colours),
    as long as it holds every code coded.  Draw it with :func:`qualcore.plot.thematic_map`;
    export with :func:`write_graphml`, :func:`write_gexf` (Gephi) or :func:`to_dot`.

    >>> import qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["I trust the data. They decide.", "Data, data.", "Who decides?"],
    ...                               doc_ids=["A1", "A2", "B1"])
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust"], "Evidence": ["data"]},
    ...                             "Power": {"Decisions": ["decid*"]}})
    >>> g = qc.thematic_map(cb, corpus.autocode(cb), unit="sentence")
    >>> list(g.nodes)
    ['Trust', 'Trust > Credibility', 'Trust > Evidence', 'Power', 'Power > Decisions']
    >>> g.nodes["Trust > Evidence"]["cases"], g.nodes["Trust"]["codings"], g.nodes["Power"]["colour"]
    (2, 4, '#ff7f0e')
    >>> [(a, b, d["weight"]) for a, b, d in g.edges(data=True) if d["kind"] == "cooccurrence"]
    [('Trust > Credibility', 'Trust > Evidence', 1)]
    >>> qc.thematic_map(cb, corpus.autocode(cb), unit="document", level=1).edges["Trust", "Power", "cooccurrence"]
    {'kind': 'cooccurrence', 'weight': 1}
    """
    from ._cooccurrence import _check, cooccurrence

    nx = _networkx()
    if not isinstance(codebook, Codebook):
        raise ArgumentError(f"codebook: expected a qualcore.Codebook, got {type(codebook).__name__}")
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ArgumentError(f"min_count: must be a whole number >= 1, got {min_count!r}")
    if level is not None and (isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 1):
        raise ArgumentError(f"level: must be a whole number >= 1 or None, got {level!r}")
    window = _check(unit, window, within, False)
    if codebook != coding.codebook:
        from ._coding import Coding

        known = set(codebook.paths)
        missing = sorted(set(coding._frame["code"].tolist()) - known)
        if missing:
            more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
            raise ArgumentError(f"codebook: {len(missing)} code(s) of the coding are not in it: {missing[:20]}{more}")
        coding = Coding(coding.corpus, codebook, coding._frame)
    if by is not None:
        docs = coding.corpus.documents
        if by not in docs.columns:
            raise ArgumentError(f"by: no attribute {by!r} (attributes: {list(coding.corpus.attributes.columns)})")
    counts = cooccurrence(coding, unit=unit, level=level, by=by, sparse=True, window=window, within=within)
    meta: dict[str, Any] = {"unit": unit, "min_count": int(min_count)}
    if level is not None:
        meta["level"] = int(level)
    if window is not None:
        meta["window"] = window
        if unit == "window":
            meta["within"] = within
    from ._coding import _rolled

    rolled_rows, _, rolled_node = _rolled(coding, None)  # each coding at its node and every ancestor
    rolled = (rolled_rows, rolled_node)
    if by is None:
        return _graph(nx, coding, rolled, np.arange(len(coding)), counts, level, int(min_count), meta)
    groups = coding.corpus.documents[by]
    pos = coding._doc_positions()
    out = {}
    for g, result in counts.items():
        in_group = np.flatnonzero((groups == g).to_numpy())
        rows = np.flatnonzero(np.isin(pos, in_group))
        out[g] = _graph(nx, coding, rolled, rows, result, level, int(min_count), {**meta, "group": str(g)})
    return out


def _graph(nx: Any, coding: Coding, rolled: tuple[np.ndarray, np.ndarray], rows: np.ndarray, counts: tuple[Any, list[str]],
           level: int | None, min_count: int, meta: dict[str, Any]) -> Any:
    """One map from the codings ``rows`` (``rolled``: each coding's row and node, at its code
    and every ancestor) and their co-occurrence ``counts``."""
    cb = coding.codebook
    shown = [c for c in cb if level is None or c.level <= level]
    index = {p: i for i, p in enumerate(cb.paths)}
    # Codings and cases of every node, rolled up (each coding counts at the node and above).
    sel = np.isin(rolled[0], rows)
    r, node = rolled[0][sel], rolled[1][sel]
    n_all = len(cb)
    codings = np.bincount(node, minlength=n_all)
    doc = coding._doc_positions()[r]
    width = np.int64(max(n_all, 1))
    cases = np.bincount(pd.unique(doc * width + node) % width, minlength=n_all) if len(node) else codings * 0
    colours: dict[str, str] = {}
    theme_rank = {c.path: k for k, c in enumerate(c for c in cb if c.level == 1)}
    g = nx.MultiGraph(**meta)
    for c in shown:
        if c.colour is not None:
            colours[c.path] = _hex6(c.colour)
        elif c.parent is None:
            colours[c.path] = PALETTE[theme_rank[c.path] % len(PALETTE)]
        else:
            colours[c.path] = colours[c.parent]
        i = index[c.path]
        g.add_node(c.path, path=c.path, name=c.name, label=c.name, level=c.level, parent=c.parent or "",
                   description=c.description, colour=colours[c.path], cases=int(cases[i]), codings=int(codings[i]))
    for c in shown:
        if c.parent is not None:
            g.add_edge(c.parent, c.path, key="tree", kind="tree")
    mat, labels = counts
    sel = np.flatnonzero(mat.data >= min_count)  # the cells at min_count, without a COO copy of all
    row = np.searchsorted(mat.indptr, sel, side="right") - 1
    col = mat.indices[sel]
    keep = row < col
    row, col, w = row[keep], col[keep], mat.data[sel][keep]
    order = np.lexsort((col, row))
    for a, b, n in zip(row[order].tolist(), col[order].tolist(), w[order].tolist()):
        g.add_edge(labels[a], labels[b], key="cooccurrence", kind="cooccurrence", weight=int(n))
    return g


# ---------------------------------------------------------------------------- layout


def _radial_layout(graph: Any) -> dict[Any, tuple[float, float]]:
    """Positions of a codebook tree on rings: themes on radius 1, their children on 2, and so
    on; the leaves share the circle evenly in codebook order (with a gap between themes), each
    parent sits at the middle of its children's span."""
    children: dict[Any, list[Any]] = {}
    roots: list[Any] = []
    for n, d in graph.nodes(data=True):
        parent = d.get("parent") or None
        if parent is not None and parent in graph:
            children.setdefault(parent, []).append(n)
        else:
            roots.append(n)
    slots: dict[Any, float] = {}
    counter = [0.0]

    def place(n: Any) -> None:
        kids = children.get(n, [])
        if not kids:
            slots[n] = counter[0]
            counter[0] += 1.0
            return
        for k in kids:
            place(k)
        slots[n] = (slots[kids[0]] + slots[kids[-1]]) / 2

    for i, root in enumerate(roots):
        if i and len(roots) > 1:
            counter[0] += 0.5  # a gap between themes
        place(root)
    total = counter[0] + (0.5 if len(roots) > 1 else 0.0)
    out: dict[Any, tuple[float, float]] = {}
    for n, d in graph.nodes(data=True):
        if len(graph) == 1:
            out[n] = (0.0, 0.0)
            continue
        angle = 2 * math.pi * slots[n] / max(total, 1.0)
        radius = float(d.get("level", 1))
        out[n] = (radius * math.cos(angle), radius * math.sin(angle))
    return out


# ---------------------------------------------------------------------------- export


def _atomic(path: str | os.PathLike[str] | IO[Any], write: Callable[[Any], None], binary: bool) -> None:
    """Writes through ``write`` to ``path`` atomically; a file object is written directly."""
    if hasattr(path, "write"):
        write(path)
        return
    atomic_write(path, write, binary=binary)


def _with_edge_ids(graph: Any) -> Any:
    """A copy whose edges carry unique ``id`` attributes (``tree0``, ``cooccurrence0`` ...):
    GraphML and Gephi need edge ids that differ, a multigraph's keys do not."""
    g = graph.copy()
    seen: dict[str, int] = {}
    if g.is_multigraph():
        for _, _, k, d in g.edges(keys=True, data=True):
            kind = str(d.get("kind", k))
            d["id"] = f"{kind}{seen.get(kind, 0)}"
            seen[kind] = seen.get(kind, 0) + 1
    return g


def write_graphml(graph: Any, path: str | os.PathLike[str] | IO[bytes]) -> None:
    """Writes a thematic map (or any networkx graph of plain attributes) as GraphML, for
    Gephi, Cytoscape, yEd or ``networkx.read_graphml``; edges get unique ids (``tree0``,
    ``cooccurrence0`` ...).  The file is written to a temporary name and renamed at the end.

    >>> import io, networkx as nx, qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["trust the data"])
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust"], "Evidence": ["data"]}})
    >>> buf = io.BytesIO()
    >>> qc.write_graphml(qc.thematic_map(cb, corpus.autocode(cb)), buf)
    >>> g = nx.read_graphml(io.BytesIO(buf.getvalue()), force_multigraph=True)
    >>> g.nodes["Trust > Evidence"]["cases"], sorted(d["kind"] for _, _, d in g.edges(data=True))
    (1, ['cooccurrence', 'tree', 'tree'])
    """
    nx = _networkx()
    g = _with_edge_ids(graph)
    _atomic(path, lambda fh: nx.write_graphml(g, fh, edge_id_from_attribute="id"), binary=True)


def write_gexf(graph: Any, path: str | os.PathLike[str] | IO[bytes]) -> None:
    """Writes a thematic map as GEXF for Gephi, with Gephi's visual attributes: node colour
    (``colour``), size (from ``cases``) and position (the radial layout that
    :func:`qualcore.plot.thematic_map` draws), so Gephi opens it looking like the plot.  The
    file is written to a temporary name and renamed at the end.

    >>> import io, qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["trust the data"])
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust"], "Evidence": ["data"]}})
    >>> buf = io.BytesIO()
    >>> qc.write_gexf(qc.thematic_map(cb, corpus.autocode(cb)), buf)
    >>> b'<viz:color r="31" g="119" b="180"' in buf.getvalue()
    True
    """
    nx = _networkx()
    g = _with_edge_ids(graph)
    pos = _radial_layout(g) if len(g) else {}
    max_cases = max([int(d.get("cases", 0)) for _, d in g.nodes(data=True)] + [1])
    for n, d in g.nodes(data=True):
        viz: dict[str, Any] = {"size": 10.0 + 30.0 * math.sqrt(int(d.get("cases", 0)) / max_cases)}
        colour = d.get("colour")
        if isinstance(colour, str) and colour.startswith("#") and len(colour) in (4, 7):
            c = _hex6(colour)
            viz["color"] = {"r": int(c[1:3], 16), "g": int(c[3:5], 16), "b": int(c[5:7], 16), "a": 1.0}
        x, y = pos[n]
        viz["position"] = {"x": round(100.0 * x, 3), "y": round(100.0 * y, 3), "z": 0.0}
        d["viz"] = viz
    _atomic(path, lambda fh: nx.write_gexf(g, fh), binary=True)


def _dot_quote(value: Any) -> str:
    """A DOT double-quoted string: backslashes doubled, quotes escaped, line breaks as ``\\n``
    (Graphviz's centred line break in labels)."""
    s = str(value).replace("\\", "\\\\").replace('"', '\\"')
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{s}"'


def to_dot(graph: Any, path: str | os.PathLike[str] | IO[str] | None = None, name: str = "thematic map") -> str:
    """A thematic map as Graphviz DOT text (an undirected ``graph``; node ids are code paths),
    written to ``path`` too when given (to a temporary name, renamed at the end).  Every id and
    value is a double-quoted string with backslashes doubled, quotes escaped and line breaks as
    ``\\n``, so any code name is safe.  Nodes carry ``label`` (the name), ``fillcolor``
    (``colour``), a ``width`` growing with ``cases`` and the map's attributes; tree edges are
    solid, co-occurrence edges dashed with ``weight``, ``label`` and ``penwidth`` from the
    count.  Render with e.g. ``neato -Tsvg`` or ``twopi -Tsvg``.  No Graphviz is needed to
    write it.

    >>> import qualcore as qc
    >>> corpus = qc.Corpus.from_texts(["trust the data"])
    >>> cb = qc.Codebook.from_dict({'Say "trust"': ["trust"], "Data": ["data"]})
    >>> print(qc.to_dot(qc.thematic_map(cb, corpus.autocode(cb))), end="")
    graph "thematic map" {
      graph [overlap=false, splines=true, unit="sentence", min_count="1"];
      node [shape=ellipse, style=filled, fontname="Helvetica"];
      "Say \\"trust\\"" [label="Say \\"trust\\"", fillcolor="#1f77b4", width="1.1", path="Say \\"trust\\"", name="Say \\"trust\\"", level="1", parent="", description="", colour="#1f77b4", cases="1", codings="1"];
      "Data" [label="Data", fillcolor="#ff7f0e", width="1.1", path="Data", name="Data", level="1", parent="", description="", colour="#ff7f0e", cases="1", codings="1"];
      "Say \\"trust\\"" -- "Data" [kind="cooccurrence", weight="1", label="1", style=dashed, penwidth="1", color="#b2182b"];
    }
    """
    lines = [f"graph {_dot_quote(name)} {{"]
    gattrs = ", ".join(f"{k}={_dot_quote(v)}" for k, v in graph.graph.items() if v is not None)
    lines.append("  graph [overlap=false, splines=true" + (", " + gattrs if gattrs else "") + "];")
    lines.append('  node [shape=ellipse, style=filled, fontname="Helvetica"];')
    max_cases = max([int(d.get("cases", 0) or 0) for _, d in graph.nodes(data=True)] + [1])
    for n, d in graph.nodes(data=True):
        attrs = {"label": d.get("name", n)}
        if d.get("colour"):
            attrs["fillcolor"] = d["colour"]
        attrs["width"] = f"{0.6 + 0.5 * math.sqrt(int(d.get('cases', 0) or 0) / max_cases):.2g}"
        for k, v in d.items():
            if k not in attrs and k != "label" and v is not None:
                attrs[k] = v
        lines.append(f"  {_dot_quote(n)} [" + ", ".join(f"{k}={_dot_quote(v)}" for k, v in attrs.items()) + "];")
    edges = [(u, v, d) for u, v, d in graph.edges(data=True)]
    top = max([float(d["weight"]) for _, _, d in edges if d.get("kind") == "cooccurrence" and "weight" in d] + [1.0])
    for u, v, d in edges:
        parts = [f"{k}={_dot_quote(val)}" for k, val in d.items() if val is not None]
        if d.get("kind") == "cooccurrence":
            w = float(d.get("weight", 1))
            parts += [f"label={_dot_quote(d.get('weight', ''))}", "style=dashed",
                      f"penwidth={_dot_quote(f'{1.0 + 4.0 * (w - 1.0) / max(top - 1.0, 1.0):.2g}')}", 'color="#b2182b"']
        lines.append(f"  {_dot_quote(u)} -- {_dot_quote(v)} [" + ", ".join(parts) + "];")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    if path is not None:
        _atomic(path, lambda fh: fh.write(text), binary=False)
    return text
