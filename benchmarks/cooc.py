#!/usr/bin/env python3
"""Term co-occurrence benchmark (issue 5) on the Gutenberg books, one book = one document.

    .venv/bin/python benchmarks/cooc.py --size 16mb     # part of `make bench`
    .venv/bin/python benchmarks/cooc.py --size 256mb    # part of `make bench-full`

Three questions, each tool in its own child process, starting from the books as Python strings:

1. Document-level co-occurrence of the 5,000 most frequent terms (binary: documents holding
   both): qualcore (`Corpus.from_texts` + `tokens()` + `fcm(context="document",
   count="boolean", max_features=5000)`) against scikit-learn (`CountVectorizer(binary=True,
   max_features=5000)` + `X.T @ X`).  Goal: >= 20x faster, >= 3x less memory.
2. The document-term matrix of every term (``tokens().dfm()``) against scikit-learn's
   ``CountVectorizer().fit_transform`` (no goal in the issue; the same shape of work as 1).
3. Co-occurrence within +-5 tokens over every term: qualcore (`fcm(context="window",
   window=5, within="document")`) against a numpy/scipy implementation (regex tokens, ids by
   dict, one sparse COO batch per distance) and a pure-Python one (a dict of pair counts;
   timed on the first 4 MB only and reported per MB); the window task reads at most the first
   64 MB of the set.  Goal: >= 50x the numpy one.

Time is wall time of the whole pipeline from the strings, with each tool's modules imported
beforehand (``IMPORTS``: importing pandas, scipy or scikit-learn is not co-occurrence work and
costs 0.3-0.6 s a process); memory is the peak resident memory
above what the process held with the books loaded (VmHWM, reset with /proc/self/clear_refs
just before the timed call).  The tools tokenise differently (UAX #29 words vs. scikit-learn's
``\\b\\w\\w+\\b`` vs. ``\\w+``), so their vocabularies differ slightly; the shape of the work is the
same.  Each tool runs ``--repeat`` times (default 3), each run in a fresh process, and the run of
median time is kept.  Results go to ``benchmarks/record/DATE-MACHINE-cooc-SIZE.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import measured

TOP = 5000
WINDOW = 5
PY_CAP_MB = 4.0
WINDOW_CAP_MB = 64.0  # the window task runs on the first 64 MB (the numpy peer needs ~40 bytes a token per distance)
WORD = re.compile(r"\w+")


def doc_qualcore(ids, texts):  # type: ignore[no-untyped-def]
    import qualcore as qc

    corpus = qc.Corpus.from_texts(texts, doc_ids=ids)
    f = corpus.tokens().fcm(context="document", count="boolean", max_features=TOP)
    return {"nnz": int(f.matrix.nnz), "features": len(f.get_feature_names_out())}


def doc_sklearn(ids, texts):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import CountVectorizer

    cv = CountVectorizer(binary=True, max_features=TOP)
    x = cv.fit_transform(texts)
    m = (x.T @ x).tocsr()
    return {"nnz": int(m.nnz), "features": len(cv.get_feature_names_out())}


def dfm_qualcore(ids, texts):  # type: ignore[no-untyped-def]
    import qualcore as qc

    d = qc.Corpus.from_texts(texts, doc_ids=ids).tokens().dfm()
    return {"nnz": int(d.matrix.nnz), "features": len(d.get_feature_names_out())}


def dfm_sklearn(ids, texts):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import CountVectorizer

    cv = CountVectorizer()
    x = cv.fit_transform(texts)
    return {"nnz": int(x.nnz), "features": len(cv.get_feature_names_out())}


def window_qualcore(ids, texts):  # type: ignore[no-untyped-def]
    import qualcore as qc

    corpus = qc.Corpus.from_texts(texts, doc_ids=ids)
    f = corpus.tokens().fcm(context="window", window=WINDOW, within="document")
    return {"nnz": int(f.matrix.nnz), "features": len(f.get_feature_names_out())}


def window_numpy(ids, texts):  # type: ignore[no-untyped-def]
    import numpy as np
    from scipy import sparse as sp

    vocab: dict[str, int] = {}
    seqs = []
    for t in texts:
        toks = WORD.findall(t.lower())
        seqs.append(np.fromiter((vocab.setdefault(w, len(vocab)) for w in toks), dtype=np.int64, count=len(toks)))
    n = len(vocab)
    acc = sp.csr_matrix((n, n), dtype=np.int64)
    for d in range(1, WINDOW + 1):
        rows = [s[:-d] for s in seqs if len(s) > d]
        cols = [s[d:] for s in seqs if len(s) > d]
        if rows:
            r, c = np.concatenate(rows), np.concatenate(cols)
            acc = acc + sp.coo_matrix((np.ones(len(r), dtype=np.int64), (r, c)), shape=(n, n)).tocsr()
    m = acc + acc.T
    return {"nnz": int(m.nnz), "features": n}


def window_python(ids, texts):  # type: ignore[no-untyped-def]
    counts: dict[tuple[str, str], int] = {}
    for t in texts:
        toks = WORD.findall(t.lower())
        for i, a in enumerate(toks):
            for b in toks[i + 1:i + 1 + WINDOW]:
                counts[(a, b)] = counts.get((a, b), 0) + 1
                counts[(b, a)] = counts.get((b, a), 0) + 1
    return {"nnz": len(counts), "features": len({a for a, _ in counts})}


# What each tool imports before it is timed (the same for every tool of a task).
IMPORTS = {
    "doc/qualcore": ["qualcore", "scipy.sparse"],
    "doc/scikit-learn": ["sklearn.feature_extraction.text", "scipy.sparse"],
    "dfm/qualcore": ["qualcore", "scipy.sparse"],
    "dfm/scikit-learn": ["sklearn.feature_extraction.text", "scipy.sparse"],
    "window/qualcore": ["qualcore", "scipy.sparse"],
    "window/numpy-scipy": ["numpy", "scipy.sparse"],
    "window/pure-python": [],
}

TOOLS = {
    "doc/qualcore": doc_qualcore,
    "doc/scikit-learn": doc_sklearn,
    "dfm/qualcore": dfm_qualcore,
    "dfm/scikit-learn": dfm_sklearn,
    "window/qualcore": window_qualcore,
    "window/numpy-scipy": window_numpy,
    "window/pure-python": window_python,
}


def _less_or_more(ratio: float) -> str:
    """``ratio`` = the peer's memory / qualcore's, in words."""
    return f"{ratio:.1f}x less memory" if ratio >= 1 else f"{1 / ratio:.1f}x more memory"


def child(tool: str, size: str) -> None:
    from run import ensure_data, load_books

    ensure_data(size)
    cap = PY_CAP_MB if tool == "window/pure-python" else WINDOW_CAP_MB if tool.startswith("window/") else None
    ids, texts, nbytes, _ = load_books(size, cap_mb=cap)
    import importlib

    for module in IMPORTS[tool]:
        importlib.import_module(module)
    out, secs, peak, _ = measured(lambda: TOOLS[tool](ids, texts))
    out.update({"tool": tool, "seconds": secs, "mb": nbytes / 1e6, "mb_per_s": nbytes / 1e6 / secs,
                "peak_above_base_mb": peak})
    print("@@COOC@@ " + json.dumps(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=("16mb", "256mb"), default="16mb")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool, each in a fresh process; the median is kept")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.size)
        return 0
    from run import ensure_data

    ensure_data(args.size)
    results = {}
    for tool in args.tools.split(","):
        runs = []
        for _ in range(args.repeat):
            r = subprocess.run([sys.executable, __file__, "--child", tool, "--size", args.size], capture_output=True,
                               text=True)
            line = next((ln for ln in r.stdout.splitlines() if ln.startswith("@@COOC@@ ")), None)
            if r.returncode != 0 or line is None:
                print(f"{tool} failed:\n{r.stdout}\n{r.stderr}", file=sys.stderr)
                return 1
            runs.append(json.loads(line[len("@@COOC@@ "):]))
            print(f"  {tool}: {runs[-1]['seconds']:.2f} s, {runs[-1]['peak_above_base_mb']:.0f} MB", file=sys.stderr)
        # the run of median time (each run in a fresh process), with every run's time kept
        runs.sort(key=lambda x: x["seconds"])
        results[tool] = dict(runs[len(runs) // 2], all_seconds=[round(x["seconds"], 3) for x in runs])
    rows = ["| task | tool | MB | seconds | MB/s | peak above start, MB | features | nnz |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for tool, r in results.items():
        task, name = tool.split("/")
        rows.append(f"| {task} | {name} | {r['mb']:.1f} | {r['seconds']:.2f} | {r['mb_per_s']:.2f} | "
                    f"{r['peak_above_base_mb']:.0f} | {r['features']:,} | {r['nnz']:,} |")
    notes = []

    def ratio(a: str, b: str, key: str) -> float | None:
        if a in results and b in results:
            return float(results[b][key]) / float(results[a][key])
        return None

    sp = ratio("doc/qualcore", "doc/scikit-learn", "seconds")
    mem = ratio("doc/qualcore", "doc/scikit-learn", "peak_above_base_mb")
    if sp is not None and mem is not None:
        notes.append(f"- document level, top {TOP:,} terms: qualcore is {sp:.1f}x faster than scikit-learn "
                     f"(goal 20x) with {_less_or_more(mem)} (goal 3x less).")
        q = results["doc/qualcore"]
        notes.append(f"- the matrix qualcore returns is {q['nnz'] * 16 / 1e6:.0f} MB by itself (int64 values and "
                     f"64-bit indices, as DESIGN.md has scipy matrices; scikit-learn's has 32-bit indices: "
                     f"{results['doc/scikit-learn']['nnz'] * 12 / 1e6:.0f} MB), and the corpus holds the "
                     f"{q['mb']:.0f} MB of text: a third of scikit-learn's peak "
                     f"({results['doc/scikit-learn']['peak_above_base_mb'] / 3:.0f} MB) is below what the result "
                     f"and the text take.")
    d = ratio("dfm/qualcore", "dfm/scikit-learn", "seconds")
    dm = ratio("dfm/qualcore", "dfm/scikit-learn", "peak_above_base_mb")
    if d is not None and dm is not None:
        notes.append(f"- document-term matrix, every term: qualcore is {d:.1f}x faster than scikit-learn's "
                     f"`CountVectorizer().fit_transform` with {_less_or_more(dm)} (no goal in the issue; "
                     f"qualcore's corpus holds a copy of the text).")
    if "window/qualcore" in results and "window/numpy-scipy" in results:
        w = results["window/qualcore"]["mb_per_s"] / results["window/numpy-scipy"]["mb_per_s"]
        notes.append(f"- window +-{WINDOW}: qualcore {results['window/qualcore']['mb_per_s']:.1f} MB/s is {w:.1f}x the "
                     f"numpy/scipy implementation (goal 50x)"
                     + (f" and {results['window/qualcore']['mb_per_s'] / results['window/pure-python']['mb_per_s']:.0f}x "
                        "pure Python (per MB; Python timed on the first 4 MB)." if "window/pure-python" in results else "."))
    report = "\n".join([
        f"# Term co-occurrence — {_dt.date.today()} — {platform.node()} ({os.cpu_count()} cores) — {args.size}",
        "", *rows, "", *notes, ""])
    print(report)
    if not args.no_record:
        rec = HERE / "record" / f"{_dt.date.today()}-{platform.node() or 'machine'}-{os.cpu_count()}core-cooc-{args.size}.md"
        rec.write_text(report + "\n```json\n" + json.dumps(results, indent=1) + "\n```\n")
        print(f"written: {rec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
