"""Pseudonymisation of a corpus: names, places and organisations replaced in one pass."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._util import atomic_write, threads_arg
from .errors import ArgumentError

if TYPE_CHECKING:
    from ._corpus import Corpus

__all__ = ["pseudonymise", "write_texts"]


def _plan(mapping: Any, category: str) -> tuple[list[str], list[str]]:
    """(patterns, replacements) from the forms :meth:`Corpus.pseudonymise` accepts."""
    patterns: list[str] = []
    replacements: list[str] = []

    def entity(item: Any, replacement: str, where: str) -> None:
        items = [item] if isinstance(item, str) else list(item) if isinstance(item, Sequence) else None
        if not items or not all(isinstance(p, str) and p.strip() for p in items):
            raise ArgumentError(f"mapping: {where}: expected a pattern or a list of patterns, got {item!r}")
        for p in items:
            patterns.append(p)
            replacements.append(replacement)

    if isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if not isinstance(key, str) or not key.strip():
                raise ArgumentError(f"mapping: keys must be non-empty str, got {key!r}")
            if isinstance(value, str):  # pattern -> replacement
                entity(key, value, repr(key))
            elif isinstance(value, Sequence):  # category -> entities
                for n, item in enumerate(value, 1):
                    entity(item, f"[{key} {n}]", f"{key} item {n}")
            else:
                raise ArgumentError(f"mapping: the value of {key!r} must be a replacement str or a list of "
                                    f"entities, got {type(value).__name__}")
    elif isinstance(mapping, Sequence) and not isinstance(mapping, str):
        for n, item in enumerate(mapping, 1):
            entity(item, f"[{category} {n}]", f"item {n}")
    else:
        raise ArgumentError(f"mapping: expected a dict or a list, got {type(mapping).__name__}")
    if not patterns:
        raise ArgumentError("mapping: nothing to replace")
    return patterns, replacements


def pseudonymise(corpus: Corpus, mapping: Any, category: str = "PERSON", valuetype: str = "glob",
                 case_insensitive: bool = True, threads: int | None = None) -> tuple[Corpus, pd.DataFrame]:
    """See :meth:`Corpus.pseudonymise`."""
    patterns, replacements = _plan(mapping, category)
    native, cols = corpus._native.pseudonymise(patterns, replacements, valuetype=valuetype,
                                              case_insensitive=case_insensitive, threads=threads_arg(threads))
    from ._corpus import Corpus

    # interviewers and speaker-level attributes follow their speakers' new names
    def rename(name: str) -> str:
        n, _ = _single(name, patterns, replacements, valuetype, case_insensitive)
        return n

    interviewers = {rename(s) for s in corpus.interviewers}
    speaker_attrs = corpus._speaker_attributes
    if speaker_attrs is not None and len(speaker_attrs):
        speaker_attrs = speaker_attrs.rename(index=rename)
        speaker_attrs = speaker_attrs[~speaker_attrs.index.duplicated(keep="first")]
    new = Corpus(native, corpus._attributes, interviewers, speaker_attrs)
    old_texts = corpus._native.texts()
    doc = cols["doc"]
    ids = np.array(corpus.doc_ids, dtype=object)
    audit = pd.DataFrame({
        "doc_id": ids[doc] if len(doc) else np.array([], dtype=object),
        "start": cols["old_start"],
        "end": cols["old_end"],
        "original": np.array([old_texts[d][s:e] for d, s, e in zip(doc.tolist(), cols["old_start"].tolist(),
                                                                     cols["old_end"].tolist())], dtype=object),
        "replacement": np.array(replacements, dtype=object)[cols["pattern"]] if len(doc) else np.array([], dtype=object),
        "new_start": cols["new_start"],
        "new_end": cols["new_end"],
        "pattern": np.array(patterns, dtype=object)[cols["pattern"]] if len(doc) else np.array([], dtype=object),
    })
    return new, audit


def _single(text: str, patterns: list[str], replacements: list[str], valuetype: str,
            case_insensitive: bool) -> tuple[str, Any]:
    from . import _native

    native = _native.Corpus.build(["x"], [text])
    out, cols = native.pseudonymise(patterns, replacements, valuetype=valuetype, case_insensitive=case_insensitive)
    return out.texts()[0], cols


def write_texts(corpus: Corpus, folder: str | os.PathLike[str], overwrite: bool = False,
                suffix: str = ".txt") -> list[Path]:
    """See :meth:`Corpus.write_texts`."""
    out = Path(folder)
    names = [f"{d}{suffix}" for d in corpus.doc_ids]
    # Each file must land directly in `folder`: no separators ("../x", "a/b"), no hidden or
    # special names, no NUL.  (Checked on the name itself: `out / "../x.txt"` has the harmless
    # looking `.name` "x.txt" but is outside the folder.)
    seps = {"/", "\\", "\0"} | ({os.sep} | ({os.altsep} if os.altsep else set()))
    bad = [n for n in names if not n or n.startswith(".") or any(s in n for s in seps)]
    if bad:
        raise ArgumentError(f"document ids that are not plain file names (with suffix {suffix!r}): {bad[:5]}")
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / n for n in names]
    import unicodedata

    folded: dict[str, str] = {}
    clash = []
    for d in corpus.doc_ids:
        key = unicodedata.normalize("NFC", d).casefold()
        if key in folded:
            clash.append(f"{folded[key]!r} and {d!r}")
        folded.setdefault(key, d)
    if clash:
        raise ArgumentError(f"document ids that name the same file on a case-insensitive file system: {clash[:5]}")
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{len(existing)} file(s) exist already (pass overwrite=True): {existing[:5]}")
    for p, text in zip(paths, corpus._native.texts()):
        atomic_write(p, lambda fh, text=text: fh.write(text.encode("utf-8", "surrogatepass")))
    return paths
