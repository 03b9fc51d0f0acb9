"""Plots (matplotlib, imported on use; ``pip install matplotlib``).  Each returns the Axes."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["saturation"]


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
