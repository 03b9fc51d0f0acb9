#!/usr/bin/env python3
"""CLI overhead benchmark (issue 8): the `qualcore code` + `qualcore cooc` pipeline end to end
against the same calls made from Python, on the Gutenberg books.

    .venv/bin/python benchmarks/cli_bench.py --size 16mb     # part of `make bench`

Both pipelines run as two fresh processes each, doing the same work: (1) read the folder,
auto-code with a 100-code codebook of the 1,000 standard dictionary patterns (sentence units)
and write the coding table as CSV; (2) read the folder and that CSV again and write the
sentence-level code co-occurrence as CSV.  The Python side calls `qc.read_transcripts`,
`Corpus.autocode`, `Coding.frame.to_csv`, `pd.read_csv`, `Coding.from_frame`,
`qc.cooccurrence`.  Goal: the CLI costs < 10 % more.  Median of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PY_CODE = textwrap.dedent("""
    import sys, qualcore as qc
    folder, cb_path, out = sys.argv[1:4]
    corpus = qc.read_transcripts(folder)
    cb = qc.Codebook.read_json(cb_path)
    corpus.autocode(cb, unit="sentence").frame.to_csv(out, index=False)
""")
PY_COOC = textwrap.dedent("""
    import sys, pandas as pd, qualcore as qc
    folder, cb_path, coding_path, out = sys.argv[1:5]
    corpus = qc.read_transcripts(folder)
    cb = qc.Codebook.read_json(cb_path)
    frame = pd.read_csv(coding_path, keep_default_na=False, dtype={"doc_id": str})
    coding = qc.Coding.from_frame(corpus, cb, frame, coder="coder")
    qc.cooccurrence(coding, unit="sentence").to_csv(out)
""")


def _run(cmd: list[str]) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return secs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=("16mb", "256mb"), default="16mb")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    from run import DATA_DIR, dictionary, ensure_data

    ensure_data(args.size)
    folder = str(DATA_DIR / f"gutenberg-{args.size}")
    mb = sum(p.stat().st_size for p in Path(folder).glob("*.txt")) / 1e6
    pats = dictionary()
    tree = {f"Code {k:03d}": pats[k * 10:(k + 1) * 10] for k in range(len(pats) // 10)}
    py = sys.executable
    times: dict[str, list[float]] = {"cli": [], "python": []}
    with tempfile.TemporaryDirectory() as tmp:
        cb = os.path.join(tmp, "codebook.json")
        Path(cb).write_text(json.dumps(tree), encoding="utf-8")
        for _ in range(args.repeats):
            for kind in ("cli", "python"):
                coding = os.path.join(tmp, f"coding-{kind}.csv")
                cooc = os.path.join(tmp, f"cooc-{kind}.csv")
                if kind == "cli":
                    t = _run([py, "-m", "qualcore", "code", folder, "--codebook", cb, "--unit", "sentence", "-q",
                              "-o", coding])
                    t += _run([py, "-m", "qualcore", "cooc", folder, "--coding", coding, "--codebook", cb, "--unit",
                               "sentence", "-q", "-o", cooc])
                else:
                    t = _run([py, "-c", PY_CODE, folder, cb, coding])
                    t += _run([py, "-c", PY_COOC, folder, cb, coding, cooc])
                times[kind].append(t)
        same = Path(tmp, "cooc-cli.csv").read_text() == Path(tmp, "cooc-python.csv").read_text()
    cli, pyt = statistics.median(times["cli"]), statistics.median(times["python"])
    report = "\n".join([
        f"# CLI overhead — {_dt.date.today()} — {platform.node()} ({os.cpu_count()} cores) — {args.size}",
        "",
        f"`qualcore code` + `qualcore cooc` on {mb:.1f} MB ({len(tree)} codes, {len(pats):,} patterns, sentence "
        f"units), median of {args.repeats}: CLI {cli:.2f} s, the same calls from Python {pyt:.2f} s: "
        f"overhead {100 * (cli / pyt - 1):+.1f} % (goal < 10 %).  Co-occurrence CSVs identical: {same}.",
        "",
        f"All runs (s): CLI {[round(x, 2) for x in times['cli']]}, Python {[round(x, 2) for x in times['python']]}.",
        "",
    ])
    print(report)
    if not args.no_record:
        rec = HERE / "record" / f"{_dt.date.today()}-{platform.node() or 'machine'}-{os.cpu_count()}core-cli-{args.size}.md"
        rec.write_text(report)
        print(f"written: {rec}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
