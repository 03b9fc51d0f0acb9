"""Plots (matplotlib, imported on use; ``pip install matplotlib``).  Each returns the Axes:
the saturation curve, the co-occurrence heatmap and the thematic map."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["saturation", "cooccurrence_heatmap", "thematic_map"]


def saturation(table: pd.DataFrame, ax: Any = None, title: str = "Code saturation") -> Any:
    """The saturation curve of :func:`qualcore.saturation`: bars of new codes per document
    and the cumulative number of codes, in interview order.

    >>> import qualcore as qc, matplotlib
    >>> matplotlib.use("Agg")
    >>> corpus = qc.Corpus.from_texts(["trust", "data trust"], doc_ids=["P1", "P2"])
    >>> ax = qc.plot.saturation(qc.saturation(corpus.autocode(qc.Codebook.from_dict({"T": ["trust"], "D": ["data"]}))))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['P1', 'P2']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("plots need matplotlib: pip install matplotlib") from None
    for col in ("doc_id", "new_codes", "cumulative"):
        if col not in table.columns:
            raise ValueError(f"table: expected the output of qualcore.saturation (no column {col!r})")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(table) + 2), 3.5))
    x = range(len(table))
    ax.bar(x, table["new_codes"], color="#9ecae1", label="new codes")
    ax.plot(x, table["cumulative"], color="#08519c", marker="o", label="cumulative codes")
    ax.set_xticks(list(x))
    ax.set_xticklabels([str(d) for d in table["doc_id"]], rotation=45 if len(table) > 10 else 0, ha="right" if len(table) > 10 else "center")
    ax.set_xlabel("interview (in order)")
    ax.set_ylabel("codes")
    ax.set_title(title)
    ax.legend(loc="center right")
    return ax


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("plots need matplotlib: pip install matplotlib") from None
    return plt


def _short_labels(paths: list[str]) -> list[str]:
    """The last element of each code path, or the whole path where names repeat."""
    from ._codebook import PATH_SEPARATOR

    names = [str(p).rsplit(PATH_SEPARATOR, 1)[-1] for p in paths]
    dup = {n for n in names if names.count(n) > 1}
    return [str(p) if n in dup else n for p, n in zip(paths, names)]


def cooccurrence_heatmap(
    matrix: Any,
    ax: Any = None,
    labels: str = "name",
    diagonal: bool = False,
    annotate: bool | None = None,
    cluster: bool = False,
    cmap: str = "Blues",
    title: str | None = None,
) -> Any:
    """A heatmap of a code × code matrix of :func:`qualcore.cooccurrence` (a DataFrame, or
    the ``(sparse, labels)`` pair of ``sparse=True``).  ``labels="name"`` shows the last
    element of each path (the full path where names repeat), ``"path"`` the path.  The
    diagonal (each code's own count, which would swamp the colour scale) is left blank unless
    ``diagonal=True``.  Cells carry their values when ``annotate`` (default: up to 20 codes).
    ``cluster=True`` orders the codes by average-linkage clustering (scipy) of their rows
    (cosine distance; a code's own cell taken as its largest other cell), so codes that
    co-occur with the same others sit together.  Rows are ``code_a`` (for an
    ``ordered`` matrix: the earlier code).

    >>> import qualcore as qc, matplotlib
    >>> matplotlib.use("Agg")
    >>> corpus = qc.Corpus.from_texts(["I trust the data.", "Data rules. We decide."], doc_ids=["A1", "B1"])
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust"], "Evidence": ["data"]}, "Power": ["decide"]})
    >>> ax = qc.plot.cooccurrence_heatmap(qc.cooccurrence(corpus.autocode(cb), unit="document"))
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]
    (['Credibility', 'Evidence', 'Power'], ['1', '1', '1', '1'])
    """
    plt = _pyplot()
    if isinstance(matrix, tuple) and len(matrix) == 2:
        mat, names = matrix
        matrix = pd.DataFrame(mat.toarray(), index=pd.Index(names, name="code_a"), columns=pd.Index(names, name="code_b"))
    if not isinstance(matrix, pd.DataFrame) or list(matrix.index) != list(matrix.columns):
        raise ValueError("matrix: expected a code x code DataFrame of qualcore.cooccurrence (same codes on both axes), "
                         "or its (sparse, labels) pair")
    if labels not in ("name", "path"):
        raise ValueError(f"labels: {labels!r} is not one of ['name', 'path']")
    values = matrix.to_numpy(dtype=float)
    paths = [str(p) for p in matrix.index]
    order = np.arange(len(paths))
    if cluster and len(paths) > 2:
        from scipy.cluster.hierarchy import leaves_list, linkage
        from scipy.spatial.distance import pdist

        # Each code's row, its own cell set to its strongest partner's (a code is as close to
        # itself as to its best partner), compared by cosine distance.
        eye = np.eye(len(paths), dtype=bool)
        profile = np.where(eye, 0.0, np.nan_to_num(np.abs(values)))
        profile[eye] = profile.max(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.nan_to_num(pdist(profile, metric="cosine"), nan=1.0)
        order = leaves_list(linkage(dist, method="average", optimal_ordering=True))
    values = values[np.ix_(order, order)]
    paths = [paths[i] for i in order]
    shown = _short_labels(paths) if labels == "name" else paths
    n = len(paths)
    if ax is None:
        side = min(max(4.0, 0.45 * n + 2.5), 16.0)
        _, ax = plt.subplots(figsize=(side + 1.0, side))
    masked = np.ma.masked_invalid(values)
    if not diagonal and n:
        masked[np.eye(n, dtype=bool)] = np.ma.masked
    cm = plt.get_cmap(cmap).with_extremes(bad="#f0f0f0")
    im = ax.imshow(masked, cmap=cm, interpolation="nearest", aspect="equal")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(shown, rotation=45 if n > 3 else 0, ha="right" if n > 3 else "center")
    ax.set_yticklabels(shown)
    ax.set_ylabel(str(matrix.index.name or ""))
    ax.set_xlabel(str(matrix.columns.name or ""))
    measure = matrix.attrs.get("measure", "count")
    ax.figure.colorbar(im, ax=ax, label=str(measure), shrink=0.8)
    if annotate is None:
        annotate = n <= 20
    if annotate and n:
        shown_vals = masked.filled(np.nan)
        finite = shown_vals[np.isfinite(shown_vals)]
        top = float(finite.max()) if finite.size else 0.0
        integral = bool(finite.size == 0 or np.all(finite == np.round(finite)))
        for i in range(n):
            for j in range(n):
                v = shown_vals[i, j]
                if not np.isfinite(v) or v == 0:
                    continue
                ax.text(j, i, f"{int(v)}" if integral else f"{v:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if top and v > 0.6 * top else "black")
    unit = matrix.attrs.get("unit")
    ax.set_title(title if title is not None else "Code co-occurrence" + (f" ({unit})" if unit else ""))
    return ax


def thematic_map(graph: Any, ax: Any = None, pos: dict[Any, Any] | None = None, labels: str = "name",
                 title: str | None = "Thematic map") -> Any:
    """Draws a :func:`qualcore.thematic_map` graph: the codebook tree on rings (themes inside,
    codes outside; thin grey lines), node areas growing with ``cases``, node colours from
    ``colour``, and co-occurrence as red curves through the middle whose width grows with the
    count.  Labels (``labels="name"`` or ``"path"``) sit outside their node, turned along the
    radius when there are many codes, on a white halo.  ``pos`` (node -> (x, y)) replaces the
    layout, e.g. ``networkx.spring_layout(graph)``.

    >>> import qualcore as qc, matplotlib
    >>> matplotlib.use("Agg")
    >>> corpus = qc.Corpus.from_texts(["I trust the data.", "Data rules. We decide."], doc_ids=["A1", "B1"])
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust"], "Evidence": ["data"]}, "Power": ["decide"]})
    >>> ax = qc.plot.thematic_map(qc.thematic_map(cb, corpus.autocode(cb), unit="document"))
    >>> sorted(t.get_text() for t in ax.texts)
    ['Credibility', 'Evidence', 'Power', 'Trust']
    """
    plt = _pyplot()
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.lines import Line2D
    from matplotlib.path import Path

    from ._thematic import _radial_layout

    if labels not in ("name", "path"):
        raise ValueError(f"labels: {labels!r} is not one of ['name', 'path']")
    if ax is None:
        n_leaves = sum(1 for n in graph if not any(d.get("parent") == n for _, d in graph.nodes(data=True)))
        side = min(max(6.0, 0.25 * n_leaves + 5.0), 18.0)
        _, ax = plt.subplots(figsize=(side, side))
    nodes = list(graph.nodes)
    given = pos is not None
    if pos is None:
        pos = _radial_layout(graph)
    missing = [n for n in nodes if n not in pos]
    if missing:
        raise ValueError(f"pos: no position for {missing[:5]}")
    xy = np.array([pos[n] for n in nodes], dtype=float).reshape(-1, 2)
    lo_xy = xy.min(axis=0) if len(xy) else np.zeros(2)
    hi_xy = xy.max(axis=0) if len(xy) else np.zeros(2)
    # Labels point away from, and curves bend towards, the centre (the rings' or the layout's).
    centre = (lo_xy + hi_xy) / 2 if given else np.zeros(2)
    data = dict(graph.nodes(data=True))
    tree, co, widths = [], [], []
    edges = graph.edges(data=True)
    top = max([float(d.get("weight", 1)) for _, _, d in edges if d.get("kind") == "cooccurrence"] + [1.0])
    for u, v, d in edges:
        p, q = np.asarray(pos[u], dtype=float), np.asarray(pos[v], dtype=float)
        if d.get("kind") == "cooccurrence":
            mid = centre + ((p + q) / 2 - centre) * 0.35  # pulled to the centre: curves, not a thicket of chords
            co.append(Path([p, mid, q], [Path.MOVETO, Path.CURVE3, Path.CURVE3]))
            widths.append(0.8 + 5.0 * float(d.get("weight", 1)) / top)
        else:
            tree.append([p, q])
    if tree:
        ax.add_collection(LineCollection(tree, colors="#9e9e9e", linewidths=1.0, zorder=1))
    if co:
        ax.add_collection(PathCollection(co, facecolors="none", edgecolors="#b2182b", linewidths=widths, alpha=0.55,
                                         zorder=2))
    cases = np.array([float(data[n].get("cases", 0) or 0) for n in nodes])
    peak = cases.max() if len(cases) and cases.max() > 0 else 1.0
    sizes = 40.0 + 500.0 * np.sqrt(cases / peak)
    colours = [data[n].get("colour") or "#999999" for n in nodes]
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=colours, edgecolors="white", linewidths=1.2, zorder=3)
    many = len(nodes) > 16
    parents = {dd.get("parent") for dd in data.values()}
    for (x, y), n, size in zip(xy, nodes, sizes):
        d = data[n]
        text = str(d.get("name", n)) if labels == "name" else str(n)
        dx, dy = x - centre[0], y - centre[1]
        r = float(np.hypot(dx, dy))
        ux, uy = (dx / r, dy / r) if r > 1e-9 else (0.0, 1.0)
        left = ux < -1e-9
        is_leaf = n not in parents
        gap = math.sqrt(size) / 2 + 3.0  # points: just outside the marker, whatever its size
        kw: dict[str, Any] = {"fontsize": 9 if is_leaf else 10, "fontweight": "normal" if d.get("level", 1) > 1 else "bold",
                              "zorder": 4, "va": "center", "ha": "right" if left else "left",
                              "bbox": {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}}
        if is_leaf and many:
            angle = math.degrees(math.atan2(uy, ux))
            kw.update(rotation=angle + 180 if left else angle, rotation_mode="anchor")
        ax.annotate(text, xy=(x, y), xytext=(gap * ux, gap * uy), textcoords="offset points", **kw)
    if given:
        span = float((hi_xy - lo_xy).max()) if len(xy) else 0.0
        half = span / 2 if span > 0 else 1.0
    else:
        half = max([float(np.hypot(*row)) for row in xy] + [1.0])  # the outer ring
    pad = 0.3 * half + (0.2 * half if given else 0.2)  # room for the labels
    ax.set_xlim(centre[0] - half - pad, centre[0] + half + pad)
    ax.set_ylim(centre[1] - half - pad, centre[1] + half + pad)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Line2D([], [], color="#9e9e9e", lw=1.0, label="codebook tree")]
    if co:
        handles.append(Line2D([], [], color="#b2182b", lw=3.0, alpha=0.55,
                              label=f"co-occurrence ({graph.graph.get('unit', '')}; max {int(top)})"))
    ax.legend(handles=handles, loc="lower left", frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def heatmap(matrix: Any, ax: Any = None, cluster: bool = False, annotate: bool | None = None, cmap: str = "Blues",
            title: str | None = None, labels: str = "name") -> Any:
    """A heatmap of a co-occurrence matrix (as :func:`cooccurrence_heatmap`) or of any
    labelled table with codes as rows, such as the code × group participant counts of
    :func:`qualcore.code_matrix`.  ``cluster=True`` orders the rows by average-linkage
    clustering (scipy, cosine distance) so codes raised by the same groups sit together;
    cells carry their values when ``annotate`` (default: up to 400 cells).  Returns the Axes.

    >>> import qualcore as qc, matplotlib
    >>> matplotlib.use("Agg")
    >>> corpus = qc.Corpus.from_texts(["I trust the data.", "Data rules."], doc_ids=["A1", "B1"],
    ...                               attributes={"group": ["front-line", "leader"]})
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust"], "Evidence": ["data"]}})
    >>> ax = qc.plot.heatmap(qc.code_matrix(corpus.autocode(cb), by="group"))
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.get_xticklabels()]
    (['Trust', 'Credibility', 'Evidence'], ['front-line', 'leader', 'all'])
    """
    if (isinstance(matrix, tuple) and len(matrix) == 2) or (
            isinstance(matrix, pd.DataFrame) and list(matrix.index) == list(matrix.columns)):
        return cooccurrence_heatmap(matrix, ax=ax, labels=labels, annotate=annotate, cluster=cluster, cmap=cmap,
                                    title=title)
    if not isinstance(matrix, pd.DataFrame):
        raise ValueError(f"matrix: expected a DataFrame (rows: codes), got {type(matrix).__name__}")
    if labels not in ("name", "path"):
        raise ValueError(f"labels: {labels!r} is not one of ['name', 'path']")
    plt = _pyplot()
    numeric = matrix.select_dtypes("number")
    values = numeric.to_numpy(dtype=float)
    rows = [str(p) for p in numeric.index]
    order = np.arange(len(rows))
    if cluster and len(rows) > 2:
        from scipy.cluster.hierarchy import leaves_list, linkage
        from scipy.spatial.distance import pdist

        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.nan_to_num(pdist(np.nan_to_num(values), metric="cosine"), nan=1.0)
        order = leaves_list(linkage(dist, method="average", optimal_ordering=True))
    values = values[order]
    rows = [rows[i] for i in order]
    shown = _short_labels(rows) if labels == "name" else rows
    cols = [str(c) for c in numeric.columns]
    if ax is None:
        _, ax = plt.subplots(figsize=(min(max(4.0, 0.9 * len(cols) + 3), 16.0), min(max(3.0, 0.4 * len(rows) + 1.5), 16.0)))
    im = ax.imshow(np.ma.masked_invalid(values), cmap=plt.get_cmap(cmap), interpolation="nearest", aspect="auto")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=45 if len(cols) > 4 else 0, ha="right" if len(cols) > 4 else "center")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(shown)
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    if annotate is None:
        annotate = values.size <= 400
    if annotate and values.size:
        finite = values[np.isfinite(values)]
        top = float(finite.max()) if finite.size else 0.0
        integral = bool(finite.size == 0 or np.all(finite == np.round(finite)))
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                if np.isfinite(v):
                    ax.text(j, i, f"{int(v)}" if integral else f"{v:.2f}", ha="center", va="center", fontsize=8,
                            color="white" if top and v > 0.6 * top else "black")
    if title is not None:
        ax.set_title(title)
    return ax
