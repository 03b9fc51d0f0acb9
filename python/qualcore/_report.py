"""The analysis report: one self-contained HTML file with the tables, figures and quotes of a
thematic analysis (:func:`report`).

Self-contained means that viewing it needs nothing but the file: the figures are inline SVG
(matplotlib, drawn on figures that never touch pyplot's state or backend), the style sheet and
the small table-sorting script are inline, and a Content-Security-Policy in the file forbids
every fetch and every script but that one (by its hash), so the report opens offline and text
from the transcripts can never run as code.  Every text from the data (transcripts, codes,
attributes, ids) is HTML-escaped.  The same inputs give the same bytes: no timestamp unless
one is passed, SVG ids salted per figure and prefixed so the figures' ids never clash.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import os
import re
import string
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._codebook import PATH_SEPARATOR, Codebook
from ._util import atomic_write
from .errors import ArgumentError

if TYPE_CHECKING:
    from ._coding import Coding
    from ._corpus import Corpus

__all__ = ["report"]

#: Longest quote shown, in characters (longer passages are cut at a word, with "…").
MAX_QUOTE_CHARS = 600
#: Most code pairs listed under the co-occurrence heatmap.
TOP_PAIRS = 20

# The table-sorting script.  Kept byte-for-byte constant: the page's Content-Security-Policy
# allows exactly this script by its SHA-256.  When it has run, <html> carries
# data-sortable="<number of sortable tables>" (the browser test checks it).
_SORT_SCRIPT = """
(function () {
  "use strict";
  function key(cell) {
    var v = cell.getAttribute("data-value");
    return v === null ? cell.textContent.trim() : v;
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    var heads = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      function sort() {
        var body = table.tBodies[0];
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var numeric = th.getAttribute("data-type") === "number";
        var rows = Array.prototype.map.call(body.rows, function (r, i) { return [r, key(r.cells[col]), i]; });
        rows.sort(function (a, b) {
          var x = a[1], y = b[1], c;
          if (numeric) {
            if (x === "" || y === "") { return x === y ? a[2] - b[2] : (x === "" ? 1 : -1); }
            c = parseFloat(x) - parseFloat(y);
          } else {
            c = x.localeCompare(y, undefined, {numeric: true, sensitivity: "base"});
          }
          if (dir === "descending") { c = -c; }
          return c || a[2] - b[2];
        });
        rows.forEach(function (r) { body.appendChild(r[0]); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
  document.documentElement.setAttribute("data-sortable", String(tables.length));
})();
"""

_STYLE = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa; --accent: #0b5394; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 1.5rem 1.25rem 4rem; color: var(--fg);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2.5rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
p.meta, p.note, figcaption, caption, .count, .desc { color: var(--muted); }
nav ul { list-style: none; padding: 0; margin: 1rem 0; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
a { color: var(--accent); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; padding: 0 0 .35rem; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .7rem; text-align: left; vertical-align: top; }
thead th { background: var(--head); border-bottom: 2px solid var(--line); white-space: nowrap; }
table.sortable thead th { cursor: pointer; user-select: none; }
table.sortable thead th::after { content: " \\2195"; color: #afb8c1; font-weight: normal; }
table.sortable thead th[aria-sort="ascending"]::after { content: " \\25B2"; color: var(--accent); }
table.sortable thead th[aria-sort="descending"]::after { content: " \\25BC"; color: var(--accent); }
td.num, th.num { text-align: right; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
th .parent { color: var(--muted); font-weight: normal; }
tbody th { font-weight: 600; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
figure svg * { stroke-linejoin: round; stroke-linecap: butt; }
blockquote { margin: .5rem 0 .75rem; padding: .35rem .9rem; border-left: 4px solid var(--line); }
blockquote p { margin: 0; }
blockquote cite { display: block; font-style: normal; color: var(--muted); font-size: .9rem; }
footer { margin-top: 3rem; font-size: .85rem; color: var(--muted); }
@media print { nav { display: none; } h2 { break-after: avoid; } figure, blockquote { break-inside: avoid; } }
"""


def report(
    corpus: Corpus,
    codebook: Codebook,
    coding: Coding,
    path: str | os.PathLike[str] | None = None,
    *,
    by: str | None = "group",
    unit: str = "sentence",
    quotes: int = 3,
    title: str | None = None,
    level: int | None = None,
    label: str | None = None,
    date: str | None = None,
) -> str:
    """The analysis report as one self-contained HTML page, returned as a str and, with
    ``path``, written there (atomically: a temporary file renamed at the end).

    Sections: the corpus summary per group of ``by`` (:meth:`Corpus.summary`); participants
    per code and group (:func:`~qualcore.code_matrix`, ``count="cases"``); the code
    co-occurrence heatmap at ``unit`` (:func:`~qualcore.cooccurrence`) with the most frequent
    pairs; the thematic map (:func:`~qualcore.thematic_map`); the saturation curve and table
    in interview order (:func:`~qualcore.saturation`); and up to ``quotes`` quotes per code
    with their labels, e.g. ``"(Front-line A1)"`` (from :meth:`Coding.extracts`; ``label``,
    a format string over the coding columns such as ``"({group} {doc_id})"``, replaces the
    default ``"({<by>} {doc_id})"``).  Quotes come from different participants first, and
    passages of a quotable length (a sentence or a few) before very short or long ones;
    passages longer than 600 characters are cut with "…".  ``level`` rolls every table and
    figure up to that level of the codebook (quotes then come from a code and its
    descendants; otherwise each code's own codings).  ``by=None`` reports the corpus as one
    group.  ``date`` (any text) is printed under the title; nothing else in the page depends
    on the time, so the same inputs give the same bytes.  The heatmap and the thematic map grow
    with the number of codes: for a large codebook pass ``level`` (and ``quotes=0`` to leave
    the quotes out).

    ``corpus`` is the corpus with its attributes: ``coding`` is taken onto it (same document
    ids), so a coding made before the attributes were joined still reports by group.
    ``codebook`` may differ from the coding's own (e.g. the final codebook with colours and
    descriptions) as long as it holds every code coded.

    The page needs no network access: figures are inline SVG, styles and the table-sorting
    script (click a column header) are inline, and its Content-Security-Policy forbids any
    fetch and any other script.  All text from the data is HTML-escaped.

    >>> import qualcore as qc
    >>> corpus = qc.Corpus.from_texts(
    ...     ["Dan: Why?\\nA1: I trust my GP. The data convinced me.", "Dan: And you?\\nB1: Data, not trust <b>."],
    ...     doc_ids=["A1", "B1"], speaker_labels=True, attributes={"group": ["Front-line", "Leader"]},
    ...     interviewer=["Dan"])
    >>> cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust"], "Evidence": ["data"]}})
    >>> coding = corpus.participants().autocode(cb, unit="sentence")
    >>> page = qc.report(corpus, cb, coding, title="GP study")
    >>> page.startswith("<!DOCTYPE html>"), "<h1>GP study</h1>" in page
    (True, True)
    >>> "I trust my GP.</p><cite>(Front-line A1)</cite>" in page
    True
    >>> "&lt;b&gt;" in page and "<b>." not in page       # transcript text is escaped
    True
    >>> page == qc.report(corpus, cb, coding, title="GP study")   # deterministic
    True
    """
    from . import __version__
    from ._coding import Coding, code_matrix, saturation
    from ._cooccurrence import _check, cooccurrence
    from ._corpus import Corpus
    from ._thematic import thematic_map

    if not isinstance(corpus, Corpus):
        raise ArgumentError(f"corpus: expected a qualcore.Corpus, got {type(corpus).__name__}")
    if not isinstance(codebook, Codebook):
        raise ArgumentError(f"codebook: expected a qualcore.Codebook, got {type(codebook).__name__}")
    if not isinstance(coding, Coding):
        raise ArgumentError(f"coding: expected a qualcore.Coding, got {type(coding).__name__}")
    if isinstance(quotes, bool) or not isinstance(quotes, (int, np.integer)) or quotes < 0:
        raise ArgumentError(f"quotes: must be a whole number >= 0, got {quotes!r}")
    if level is not None and (isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 1):
        raise ArgumentError(f"level: must be a whole number >= 1 or None, got {level!r}")
    for name, value in (("title", title), ("label", label), ("date", date)):
        if value is not None and not isinstance(value, str):
            raise ArgumentError(f"{name}: expected a str or None, got {type(value).__name__}")
    _check(unit, None, "turn", False)
    if coding.corpus.doc_ids != corpus.doc_ids:
        raise ArgumentError("coding: it codes another corpus (its document ids differ from corpus's)")
    missing = sorted(set(coding.codes()) - set(codebook.paths)) if codebook != coding.codebook else []
    if missing:
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise ArgumentError(f"codebook: {len(missing)} code(s) of the coding are not in it: {missing[:20]}{more}")
    if by is not None and by not in corpus.documents.columns:
        raise ArgumentError(f"by: no attribute {by!r} (attributes: {list(corpus.attributes.columns)}); "
                            "join them with Corpus.with_attributes, or pass by=None")
    # The coding on this corpus (its attributes) and this codebook (its colours, descriptions).
    coding = Coding(corpus, codebook, coding.to_frame())

    summary = corpus.summary(by=by)
    matrix = code_matrix(coding, by=by, count="cases", level=level)
    cooc = cooccurrence(coding, unit=unit, level=level)
    graph = thematic_map(codebook, coding, unit=unit, level=level)
    sat = saturation(coding, level=level)

    n_docs = len(corpus)
    n_codes = len(coding.codes())
    sizes = matrix.attrs.get("group_sizes", {})
    meta = [f"{n_docs:,} documents", f"{len(coding):,} codings", f"{n_codes:,} codes used of {len(codebook):,}",
            f"co-occurrence unit: {unit}"]
    if by is not None:
        meta.insert(0, f"groups by {by}: " + ", ".join(f"{g} ({n})" for g, n in sizes.items() if g != "all"))
    if level is not None:
        meta.append(f"codes rolled up to level {level}")
    heading = title if title is not None else "Qualitative analysis report"

    sections: list[tuple[str, str, str]] = []  # (id, heading, body)

    # Corpus summary: the "all" row in the footer, so sorting leaves it at the bottom.
    shown_summary = summary.dropna(axis=1, how="all")
    body_rows = shown_summary.drop(index="all") if by is not None else shown_summary.iloc[0:0]
    sections.append(("summary", "Corpus", _table(
        body_rows, "summary", index_label=by or "corpus", foot=shown_summary.loc[["all"]],
        caption="Participants are the non-interviewer speakers of each document; turns and words are "
                "theirs" + (" (speaking time where the transcripts have times)" if "speaking_time_s" in shown_summary else "")
                + ".")))

    # Code x group: participants.
    if len(matrix):
        size_note = "; ".join(f"{g}: {n}" for g, n in sizes.items())
        body = _table(matrix, "codes", index_label="code", code_index=True,
                      caption="Participants (cases: documents) holding each code; a theme counts a participant once "
                              f"when any of its codes was applied. Group sizes: {size_note}.")
    else:
        body = '<p class="note">No codings.</p>'
    sections.append(("codes", "Codes by " + (by if by is not None else "corpus"), body))

    # Co-occurrence: heatmap and the most frequent pairs.
    if len(cooc) >= 2:
        figure = _figure(_draw_heatmap, cooc, "cooccurrence")
        tidy, n_pairs = _pairs(cooc)
        body = (f'<figure id="figure-cooccurrence">{figure}<figcaption>Code co-occurrence: the number of '
                f"{html.escape(_unit_words(unit))} holding both codes (the diagonal, each code's own count, is left "
                "blank).</figcaption></figure>")
        if len(tidy):
            body += _table(tidy, "pairs", index=False,
                           caption=f"The {len(tidy)} most frequent pairs of codes (of {n_pairs} that co-occur); "
                                   "both = the number of " + _unit_words(unit) + " holding both; "
                                   "jaccard = both / those holding either.")
        else:
            body += '<p class="note">No two codes co-occur.</p>'
    else:
        body = '<p class="note">Fewer than two codes were applied: nothing can co-occur.</p>'
    sections.append(("cooccurrence", "Co-occurrence", body))

    # Thematic map.
    if graph.number_of_nodes():
        figure = _figure(_draw_thematic_map, graph, "thematic-map")
        body = (f'<figure id="figure-thematic-map">{figure}<figcaption>The codebook tree (grey; themes inside, codes '
                "outside; node area grows with the participants holding the code) and co-occurrence of codes "
                f"(red; width grows with the number of {html.escape(_unit_words(unit))}).</figcaption></figure>")
    else:
        body = '<p class="note">The codebook is empty.</p>'
    sections.append(("thematic-map", "Thematic map", body))

    # Saturation.
    sat_table = sat.set_index("doc_id")[["position", "n_codes", "new_codes", "cumulative", "new"]]
    sat_table = sat_table.assign(new=[", ".join(v) for v in sat_table["new"]])
    last_new = sat.loc[sat["new_codes"] > 0, "position"]
    tail = len(sat) - int(last_new.max()) if len(last_new) else len(sat)
    verdict = (f"No new codes in the last {tail} of {len(sat)} interviews." if tail else
               "The last interview still brought new codes.") if len(sat) else "No interviews."
    figure = _figure(_draw_saturation, sat, "saturation") if len(sat) else ""
    body = (f'<figure id="figure-saturation">{figure}<figcaption>New codes per interview (bars) and the cumulative '
            f"number of codes (line), in interview order. {html.escape(verdict)}</figcaption></figure>" if figure else "")
    body += _table(sat_table, "saturation", index_label="doc_id",
                   caption="Codes per interview, codes first seen there, and the running total.")
    sections.append(("saturation", "Saturation", body))

    # Quotes.
    if quotes:
        sections.append(("quotes", "Quotes", _quotes(coding, matrix, by, level, quotes, label)))

    nav = "".join(f'<li><a href="#{sid}">{html.escape(h)}</a></li>' for sid, h, _ in sections)
    content = "\n".join(f'<section id="{sid}">\n<h2>{html.escape(h)}</h2>\n{b}\n</section>' for sid, h, b in sections)
    script_hash = base64.b64encode(hashlib.sha256(_SORT_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{script_hash}'"
    date_line = f'\n<p class="meta">{html.escape(date)}</p>' if date is not None else ""
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="qualcore {html.escape(__version__)}">
<title>{html.escape(heading)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{html.escape(heading)}</h1>{date_line}
<p class="meta">{html.escape(" · ".join(meta))}</p>
<nav><ul>{nav}</ul></nav>
</header>
<main>
{content}
</main>
<footer>Made with qualcore {html.escape(__version__)}. Click a column header to sort a table. Counts say what they
count: participants are cases (documents), co-occurrence counts {html.escape(_unit_words(unit))}.</footer>
<script>{_SORT_SCRIPT}</script>
</body>
</html>
"""
    if path is not None:
        _write(path, page)
    return page


def _write(path: str | os.PathLike[str], page: str) -> None:
    """Writes ``page`` atomically, readable by others as an ordinary new file would be."""
    atomic_write(path, lambda fh: fh.write(page), binary=False)


# ---------------------------------------------------------------------------------- tables


def _unit_words(unit: str) -> str:
    return {"overlap": "overlapping codings", "sentence": "sentences", "turn": "turns", "document": "documents",
            "case": "participants"}.get(unit, unit)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _cell(v: Any, tag: str = "td", extra: str = "") -> str:
    """One cell: numbers right-aligned, shown with thousands separators and carrying their
    exact value in ``data-value`` (what sorting and tests read); missing values empty."""
    if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v)):
        return f'<{tag} class="num"{extra} data-value="">–</{tag}>'
    if _is_number(v):
        if isinstance(v, (int, np.integer)) or float(v).is_integer():
            shown, exact = f"{int(v):,}", str(int(v)) if isinstance(v, (int, np.integer)) else repr(float(v))
        else:
            shown, exact = f"{float(v):,.3g}" if abs(float(v)) < 1 else f"{float(v):,.2f}", repr(float(v))
        return f'<{tag} class="num"{extra} data-value="{exact}">{shown}</{tag}>'
    return f"<{tag}{extra}>{html.escape(str(v))}</{tag}>"


def _code_label(path: str, tag: str = "th") -> str:
    parent, sep, name = str(path).rpartition(PATH_SEPARATOR)
    inner = (f'<span class="parent">{html.escape(parent + sep)}</span>' if sep else "") + html.escape(name)
    return f'<{tag} scope="row">{inner}</{tag}>'


def _table(df: pd.DataFrame, name: str, *, caption: str = "", index: bool = True, index_label: str = "",
           code_index: bool = False, foot: pd.DataFrame | None = None) -> str:
    """A sortable table of ``df`` (its index as the first, row-header column)."""
    columns = [str(c) for c in df.columns]
    numeric = [bool(len(df)) and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in df.columns]
    if foot is not None and not len(df):
        numeric = [pd.api.types.is_numeric_dtype(foot[c]) for c in foot.columns]
    head = ""
    if index:
        head += f"<th>{html.escape(index_label)}</th>"
    head += "".join(f'<th class="num" data-type="number">{html.escape(c)}</th>' if num else f"<th>{html.escape(c)}</th>"
                    for c, num in zip(columns, numeric))

    def rows(frame: pd.DataFrame) -> str:
        out = []
        for key, values in zip(frame.index.tolist(), frame.itertuples(index=False, name=None)):
            cells = ""
            if index:
                cells += _code_label(key) if code_index else _cell(key, "th", ' scope="row"')
            cells += "".join(_cell(v) for v in values)
            out.append(f"<tr>{cells}</tr>")
        return "\n".join(out)

    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    tfoot = f"<tfoot>\n{rows(foot)}\n</tfoot>" if foot is not None and len(foot) else ""
    return (f'<div class="scroll"><table class="sortable" id="table-{name}" data-table="{name}">{cap}\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{rows(df)}\n</tbody>{tfoot}</table></div>")


def _pairs(cooc: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The most frequent pairs of a co-occurrence count matrix (code_a, code_b, both and
    Jaccard; most first, then in codebook order) and the number of pairs that co-occur."""
    values = cooc.to_numpy(dtype=float)
    codes = [str(c) for c in cooc.index]
    diag = np.diag(values)
    i, j = np.triu_indices(len(codes), k=1)
    n = values[i, j]
    keep = n > 0
    i, j, n = i[keep], j[keep], n[keep]
    n_pairs = len(n)
    order = np.lexsort((j, i, -n))[:TOP_PAIRS]
    i, j, n = i[order], j[order], n[order]
    union = diag[i] + diag[j] - n
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, n / union, np.nan)
    return pd.DataFrame({"code_a": [codes[k] for k in i], "code_b": [codes[k] for k in j],
                         "both": n.astype(np.int64), "jaccard": np.round(jac, 3)}), n_pairs


# ---------------------------------------------------------------------------------- quotes


def _choose(ex: pd.DataFrame, k: int, doc_rank: dict[str, int]) -> pd.DataFrame:
    """Up to ``k`` quotes: one per participant (best first) before a second from anyone; a
    quote is better the closer its length is to a few sentences (60-300 characters)."""
    text = ex["text"].map(lambda t: " ".join(str(t).split()))
    ex = ex.assign(_text=text, _len=text.str.len())
    ex = ex[ex["_len"] > 0].drop_duplicates(["doc_id", "_text"])
    if not len(ex):
        return ex
    length = ex["_len"].to_numpy()
    ex = ex.assign(_bad=np.where((length >= 60) & (length <= 300), 0, np.where(length < 60, 60 - length, length - 300)),
                   _rank=[doc_rank[d] for d in ex["doc_id"].tolist()])
    ex = ex.sort_values(["_bad", "_rank", "start"], kind="stable")
    ex = ex.assign(_nth=ex.groupby("doc_id", sort=False).cumcount())
    chosen = ex.sort_values(["_nth", "_bad", "_rank", "start"], kind="stable").head(k)
    return chosen.sort_values(["_rank", "start"], kind="stable")


def _cut(text: str) -> str:
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    cut = text[:MAX_QUOTE_CHARS]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_QUOTE_CHARS // 2 else cut).rstrip() + " …"


def _label_fields(label: str, columns: list[str]) -> None:
    """Checks that every field of the ``label`` format names a column."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(label) if f is not None]
    except ValueError as e:
        raise ArgumentError(f"label: {label!r} is not a valid format: {e}") from None
    for f in fields:
        root = re.split(r"[.\[]", f, maxsplit=1)[0]
        if root == "" or root.isdigit():
            raise ArgumentError(f"label: {label!r}: name the columns, e.g. '({{group}} {{doc_id}})', not {{{f}}}")
        if root not in columns:
            raise ArgumentError(f"label: {label!r} names {root!r} which is not a column (columns: {columns})")


def _quotes(coding: Coding, matrix: pd.DataFrame, by: str | None, level: int | None, k: int, label: str | None) -> str:
    """Quote blocks: per code (each code's own codings; with ``level``, the codes of the
    matrix with their descendants), up to ``k`` chosen passages with their labels."""
    from ._coding import _missing, _rolled

    frame = coding.frame.reset_index(drop=True)
    if label is not None:
        _label_fields(label, [str(c) for c in frame.columns])
    if level is None:
        positions = frame.groupby("code", sort=False).indices
        codes = [c for c in coding.codes() if c in positions]
    else:
        rows, nodes, node = _rolled(coding, level)
        order = np.argsort(node, kind="stable")
        bounds = np.searchsorted(node[order], np.arange(len(nodes) + 1))
        positions = {nodes[i]: rows[order[bounds[i]:bounds[i + 1]]] for i in range(len(nodes)) if bounds[i] < bounds[i + 1]}
        codes = [str(c) for c in matrix.index if str(c) in positions]
    doc_rank = {d: i for i, d in enumerate(coding.corpus.doc_ids)}
    group_col = by if by not in (None, "doc_id") and by in frame.columns else None
    codebook = coding.codebook
    blocks = []
    for code in codes:
        ex = frame.iloc[np.sort(np.asarray(positions[code]))]
        chosen = _choose(ex, k, doc_rank)
        if not len(chosen):
            continue
        labels = []
        for r in chosen.to_dict("records"):
            if label is not None:
                try:
                    labels.append(label.format(**{str(c): ("" if _missing(v) else v) for c, v in r.items()}))
                except (KeyError, ValueError, IndexError, AttributeError) as err:
                    raise ArgumentError(f"label: {label!r} cannot be filled from the row of document "
                                        f"{r.get('doc_id')!r}: {type(err).__name__}: {err}") from None
            else:
                parts = [r[group_col] if group_col is not None else None, r["doc_id"]]
                labels.append("(" + " ".join(str(x) for x in parts if x is not None and not _missing(x) and str(x)) + ")")
        n_cases = ex["doc_id"].nunique()
        desc = codebook[code].description
        items = "\n".join(f"<blockquote><p>{html.escape(_cut(t))}</p><cite>{html.escape(lab)}</cite></blockquote>"
                          for t, lab in zip(chosen["_text"].tolist(), labels))
        blocks.append(
            f'<article class="code-quotes" data-code="{html.escape(code)}">\n<h3>{html.escape(code)}</h3>\n'
            + (f'<p class="desc">{html.escape(desc)}</p>\n' if desc else "")
            + f'<p class="count">{n_cases} participant{"s" if n_cases != 1 else ""}, {len(ex)} coded '
              f'passage{"s" if len(ex) != 1 else ""}; {len(chosen)} shown.</p>\n{items}\n</article>')
    if not blocks:
        return '<p class="note">No coded passages to quote.</p>'
    return "\n".join(blocks)


# ---------------------------------------------------------------------------------- figures


_SVG_PROLOGUE = re.compile(r"\A\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_SVG_REFS = re.compile(r'(\bid=")([^"]+)(")|(href="#)([^"]+)(")|(url\(#)([^)]+)(\))')


def _figure(draw: Any, data: Any, name: str) -> str:
    """The SVG markup of ``draw(fig, data)``, made for inlining: no XML prologue, comments,
    metadata or style element; every id prefixed with ``name`` (ids are global in an HTML
    page) and the hash salt fixed, so the same figure always gives the same bytes."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the report's figures need matplotlib: pip install matplotlib") from None
    with matplotlib.rc_context({"svg.hashsalt": f"qualcore-{name}", "svg.fonttype": "path", "svg.image_inline": True,
                                "font.family": "DejaVu Sans", "figure.dpi": 100,
                                "text.parse_math": False, "text.usetex": False}):  # "$" in a code name is text
        fig = Figure(layout="constrained")
        draw(fig, data)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = _SVG_PROLOGUE.sub("", buf.getvalue())
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'<style type="text/css">[^<]*</style>\s*', "", svg)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = svg.replace("<defs>\n </defs>", "").replace("<defs>\n  </defs>", "")
    ids = set(re.findall(r'\bid="([^"]+)"', svg))

    def prefix(m: re.Match[str]) -> str:
        for k in (0, 3, 6):
            if m.group(k + 2) is not None:
                ident = m.group(k + 2)
                new = f"{name}-{ident}" if ident in ids else ident
                return f"{m.group(k + 1)}{new}{m.group(k + 3)}"
        return m.group(0)  # pragma: no cover

    svg = _SVG_REFS.sub(prefix, svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(name.replace("-", " "))}" ', 1).strip()


def _draw_heatmap(fig: Any, cooc: pd.DataFrame) -> None:
    from . import plot

    n = len(cooc)
    side = min(max(4.0, 0.45 * n + 2.5), 16.0)
    fig.set_size_inches(side + 1.0, side)
    plot.cooccurrence_heatmap(cooc, ax=fig.add_subplot(), title="")


def _draw_thematic_map(fig: Any, graph: Any) -> None:
    from . import plot

    parents = {d.get("parent") for _, d in graph.nodes(data=True)}
    n_leaves = sum(1 for n in graph if n not in parents)
    side = min(max(6.0, 0.25 * n_leaves + 5.0), 18.0)
    fig.set_size_inches(side, side)
    plot.thematic_map(graph, ax=fig.add_subplot(), title=None)


def _draw_saturation(fig: Any, sat: pd.DataFrame) -> None:
    from . import plot

    fig.set_size_inches(min(max(5.0, 0.45 * len(sat) + 2.0), 16.0), 3.6)
    ax = plot.saturation(sat, ax=fig.add_subplot(), title="")
    if len(sat) > 40:  # a readable number of document labels (every one is in the table below)
        step = math.ceil(len(sat) / 40)
        ticks = list(range(0, len(sat), step))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(sat["doc_id"].iloc[i]) for i in ticks], rotation=90, ha="center", fontsize=7)
