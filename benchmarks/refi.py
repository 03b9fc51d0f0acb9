#!/usr/bin/env python3
"""REFI-QDA benchmark (issue 6): write and read back a project of 1,000 transcripts (about 50 MB
of Gutenberg text cut into equal pieces) with 100,000 random codings of 100 codes by 2 coders.

    .venv/bin/python benchmarks/refi.py            # part of `make bench`

Goals: each of write and read under 10 s, peak memory under 3x the text.  Write and read run in
separate child processes; each measures its own peak resident memory (VmHWM, reset with
/proc/self/clear_refs just before the call) above the resident memory it had just before (the
corpus and coding to write, or nothing to read), so the figure is what the call itself costs.
The read-back is checked: same texts, same codings.  The result is printed and written to
``benchmarks/record/DATE-MACHINE-refi.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import measured

N_DOCS = 1000
N_CODINGS = 100_000
TEXT_MB = 50.0


def project():  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    import qualcore as qc
    from run import ensure_data, load_books

    ensure_data("256mb")
    _, texts, _, _ = load_books("256mb", cap_mb=TEXT_MB)
    whole = "".join(texts)
    del texts
    size = len(whole) // N_DOCS
    docs = [whole[i * size:(i + 1) * size] for i in range(N_DOCS)]
    del whole
    ids = [f"T{i:04d}" for i in range(N_DOCS)]
    corpus = qc.Corpus.from_texts(docs, doc_ids=ids, attributes={"group": ["A" if i % 2 else "B" for i in range(N_DOCS)]})
    text_mb = sum(len(t.encode("utf-8")) for t in docs) / 1e6
    del docs
    cb = qc.Codebook.from_dict({f"Theme {k}": {f"Code {k}.{j}": None for j in range(10)} for k in range(10)})
    rng = np.random.default_rng(0)
    d = rng.integers(0, N_DOCS, N_CODINGS)
    s = rng.integers(0, size - 500, N_CODINGS)
    e = s + rng.integers(1, 500, N_CODINGS)
    codes = [p for p in cb.paths if ">" in p]
    frame = pd.DataFrame({"doc_id": np.array(ids, dtype=object)[d], "start": s, "end": e,
                          "code": rng.choice(codes, N_CODINGS), "coder": rng.choice(["AB", "CD"], N_CODINGS)})
    return corpus, cb, qc.Coding.from_frame(corpus, cb, frame, coder="coder"), text_mb


def child(mode: str, path: str) -> None:
    import qualcore as qc

    out: dict[str, object] = {"mode": mode}
    if mode == "write":
        corpus, cb, coding, text_mb = project()
        out["text_mb"] = text_mb
        m = measured(lambda: qc.write_qdpx(corpus, cb, coding, path))
        out["peak_reset"], out["seconds"] = m.peak_reset, m.seconds
        out["file_mb"] = os.path.getsize(path) / 1e6
    else:
        m = measured(lambda: qc.read_qdpx(path))
        p = m.result
        out["peak_reset"], out["seconds"] = m.peak_reset, m.seconds
        out["codings"] = len(p.coding)
        out["documents"] = len(p.corpus)
        out["warnings"] = len(p.warnings)
    out["peak_above_base_mb"] = m.peak_above_base_mb
    if mode == "read":
        # checked after the measurement: the same texts and codings as the writer made
        corpus, cb, coding, _ = project()
        out["same_texts"] = p.corpus.texts == corpus.texts
        a = p.coding.to_frame().sort_values(["doc_id", "start", "end", "code", "coder"]).reset_index(drop=True)
        b = coding.to_frame().sort_values(["doc_id", "start", "end", "code", "coder"]).reset_index(drop=True)
        out["same_codings"] = bool(a[["doc_id", "start", "end", "code", "coder"]].equals(b[["doc_id", "start", "end", "code", "coder"]]))
    print("@@REFI@@ " + json.dumps(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=["write", "read"], help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.path)
        return 0
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.qdpx")
        for mode in ("write", "read"):
            r = subprocess.run([sys.executable, __file__, "--child", mode, "--path", path], capture_output=True, text=True)
            if r.returncode != 0:
                print(r.stdout, r.stderr, file=sys.stderr)
                return 1
            line = next(ln for ln in r.stdout.splitlines() if ln.startswith("@@REFI@@ "))
            results[mode] = json.loads(line[len("@@REFI@@ "):])
    text_mb = float(results["write"]["text_mb"])  # type: ignore[arg-type]
    rows = [
        "| step | seconds (goal < 10) | peak above start, MB | x text (goal < 3) |",
        "|---|---:|---:|---:|",
    ]
    for mode in ("write", "read"):
        r = results[mode]
        rows.append(f"| {mode} | {r['seconds']:.2f} | {r['peak_above_base_mb']:.0f} | "
                    f"{float(r['peak_above_base_mb']) / text_mb:.2f} |")  # type: ignore[arg-type]
    ok = results["read"]["same_texts"] and results["read"]["same_codings"]
    report = "\n".join([
        f"# REFI-QDA write/read — {_dt.date.today()} — {platform.node()} ({os.cpu_count()} cores)",
        "",
        f"{N_DOCS} transcripts, {text_mb:.1f} MB of UTF-8 text, {N_CODINGS:,} codings; .qdpx of "
        f"{float(results['write']['file_mb']):.1f} MB.  Read-back identical: {ok}.",  # type: ignore[arg-type]
        "",
        *rows,
        "",
    ])
    print(report)
    if not args.no_record:
        rec = HERE / "record" / f"{_dt.date.today()}-{platform.node() or 'machine'}-{os.cpu_count()}core-refi.md"
        rec.parent.mkdir(exist_ok=True)
        rec.write_text(report + "\n```json\n" + json.dumps(results, indent=1) + "\n```\n")
        print(f"written: {rec}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
