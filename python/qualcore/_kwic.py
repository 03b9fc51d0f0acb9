"""KwicFrame: the DataFrame that :meth:`Corpus.kwic` returns."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from . import _native
from .errors import ArgumentError

__all__ = ["KwicFrame"]


def _context_tokens(text: str, side: str, n: int) -> list[str]:
    """The ``n`` tokens of ``text`` nearest the keyword (left: last first), lower-cased."""
    starts, ends = _native.tokenize(text)
    toks = [text[s:e].lower() for s, e in zip(starts.tolist(), ends.tolist())]
    if side == "L":
        toks = toks[::-1]
    return toks[:n] + [""] * max(0, n - len(toks))


class KwicFrame(pd.DataFrame):
    """A DataFrame of keyword-in-context lines (see :meth:`qualcore.Corpus.kwic`).

    In Jupyter it shows as aligned concordance lines with the keyword highlighted; it sorts by
    context words as AntConc does (:meth:`sort_context`).  Every pandas operation works on it.

    >>> import qualcore as qc
    >>> k = qc.Corpus.from_texts(["We trust them."]).kwic("trust", window=1)
    >>> type(k).__name__, k["match"].tolist()
    ('KwicFrame', ['trust'])
    >>> "<mark>" in k._repr_html_()
    True
    """

    @property
    def _constructor(self) -> type[KwicFrame]:  # type: ignore[override]
        return KwicFrame

    def sort_context(self, *keys: str) -> KwicFrame:
        """Sorts lines by context words: ``"L1"`` is the first token left of the keyword,
        ``"R2"`` the second to its right, ``"KW"`` the keyword itself (lower-cased; ties keep
        their order).

        >>> import qualcore as qc
        >>> c = qc.Corpus.from_texts(["b trust z. a trust y."])
        >>> c.kwic("trust", window=1).sort_context("L1")["pre"].tolist()
        ['a', 'b']
        >>> c.kwic("trust", window=1).sort_context("R1")["post"].tolist()
        ['y', 'z']
        """
        if not keys:
            raise ArgumentError("sort_context: give at least one key such as 'L1', 'R1' or 'KW'")
        for col in ("pre", "match", "post"):
            if col not in self.columns:
                raise ArgumentError(f"sort_context: the frame has no {col!r} column")
        sort_cols: dict[str, list[str]] = {}
        for key in keys:
            k = key.upper()
            if k == "KW":
                sort_cols[key] = [m.lower() for m in self["match"].tolist()]
                continue
            if len(k) < 2 or k[0] not in "LR" or not k[1:].isdigit() or int(k[1:]) < 1:
                raise ArgumentError(f"sort_context: {key!r} is not 'KW' or L/R followed by a number >= 1")
            n = int(k[1:])
            source = self["pre"] if k[0] == "L" else self["post"]
            sort_cols[key] = [_context_tokens(t, k[0], n)[n - 1] for t in source.tolist()]
        order = pd.DataFrame(sort_cols).sort_values(list(sort_cols), kind="stable").index.to_numpy()
        return self.iloc[order]  # type: ignore[return-value]

    def _repr_html_(self) -> str | None:
        if not {"pre", "match", "post"} <= set(self.columns):
            return super()._repr_html_()  # type: ignore[no-any-return]
        max_rows = pd.get_option("display.max_rows") or 60
        rows = []
        head = self.head(max_rows)
        for rec in head[[c for c in ("doc_id", "speaker", "pre", "match", "post") if c in head.columns]].itertuples(index=False):
            d = rec._asdict()
            where = html.escape(" ".join(str(d[c]) for c in ("doc_id", "speaker") if c in d and _present(d[c])))
            pre = html.escape(str(d["pre"]).replace("\n", " "))
            post = html.escape(str(d["post"]).replace("\n", " "))
            rows.append(
                f"<tr><td style='color:#666;text-align:left'>{where}</td>"
                f"<td style='text-align:right;white-space:nowrap'>{pre}</td>"
                f"<td style='text-align:center;white-space:nowrap'><mark><b>{html.escape(str(d['match']))}</b></mark></td>"
                f"<td style='text-align:left;white-space:nowrap'>{post}</td></tr>"
            )
        more = f"<p>{len(self) - len(head)} more lines not shown.</p>" if len(self) > len(head) else ""
        return (
            f"<p>{len(self)} KWIC lines</p><table class='qualcore-kwic'>"
            "<thead><tr><th>document</th><th style='text-align:right'>pre</th><th>match</th>"
            "<th style='text-align:left'>post</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + more
        )


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and np.isnan(v)) and v is not pd.NA
