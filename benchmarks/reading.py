#!/usr/bin/env python3
"""Reading benchmark (issue 3): reading files and splitting them into speaker turns, qualcore
against what a Python programmer would write without it.

    .venv/bin/python benchmarks/reading.py                 # 256 MB Gutenberg set + AMI
    .venv/bin/python benchmarks/reading.py --size 16mb     # quicker

Data sets (all read from files, the page cache warmed first):

- Gutenberg books (``benchmarks/.data/gutenberg-SIZE``, unpacked by run.py's ``ensure_data``):
  plain UTF-8 text, one document per book.  Books have few speaker labels, so this mostly
  measures reading, decoding and scanning lines for labels.
- AMI meetings (``../shared/data/ami``, 137 QMSum JSON files, 11 MB) written three ways, each
  once (x1) and replicated ``--ami-copies`` times (xN, file names suffixed so ids stay unique):
  as plain-text transcripts (``Speaker: content`` one turn a line, a blank line between turns),
  as CSV utterance tables (``speaker,text``) and as the original JSON.

Tools, each in a fresh child process:

- ``qualcore``: ``qc.read_transcripts(folder)`` (default threads: every core), and
  ``qualcore-1t`` (``threads=1``) for the text sets, to tell parallelism from per-core speed.
- ``python-re`` (text): ``open(f, encoding="utf-8").read()`` and ``re.finditer`` over the text
  with qualcore's default label pattern translated to ``re`` (``re`` has no ``\\p{Lu}``: the
  name words are matched with ``[^\\W_]`` and the ones starting in lower case (or holding ``_``)
  are dropped after the match, which accepts exactly the labels qualcore accepts on these data, checked); each
  turn as (speaker, start, end, time) with the content trimmed as qualcore trims it, and
  time_end filled from the next timed turn.  (Not done: a timestamp alone on the line before a
  label; neither data set has one.)
- ``pandas`` (CSV): ``pd.concat([pd.read_csv(f).assign(doc_id=stem) for f in files])``.
- ``python-json`` (JSON): ``json.load`` per file, a list of (doc_id, speaker, content): the
  bare parse, no frame and no corpus.
- ``pandas-json`` (JSON): the pandas way to a frame of the records, as ``pandas`` does for CSV
  (the issue names pandas as the baseline for the table formats; ``pd.read_json`` cannot take
  the records under a key): ``pd.concat([pd.DataFrame(json.load(fh)["meeting_transcripts"])
  .assign(doc_id=stem) ...])``.  The goal is judged against it; the bare ``json.load`` row
  stays beside it.

A child runs its tool at least ``--repeats`` times and until the runs add up to 2 s (at most
25), and reports the median wall time.  Peak memory is VmHWM, reset with /proc/self/clear_refs
just before each run, minus the resident memory just before it (the imports and the
interpreter are not counted), the largest over the runs.  "x text" divides it by the bytes of
the input files.  After timing, each child digests its answer (text sets: every turn's
doc_id, speaker, start and end; tables: doc_id, speaker and text) and the parent checks that
qualcore and the baseline agree.  Goals (issue 3): qualcore >= 5x the plain-Python baseline,
peak memory < 2x the text.  The result is printed and written to
``benchmarks/record/DATE-MACHINE-reading.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _measure import measured

MARK = "@@READING@@ "
MIN_TIMED_S = 2.0
MAX_RUNS = 25
AMI_DIRS = [Path("/work/shared/data/ami"), REPO.parent / "shared" / "data" / "ami"]


# --------------------------------------------------------------------------- the re baseline

# qualcore's DEFAULT_LABEL_PATTERN (src/corpus.rs) in Python `re`: the same alternatives and
# timestamps; `[^\W_]` for a name word's first character ([\p{Lu}\p{Lt}\p{Lo}\p{N}] in Rust,
# the case is checked after the match) and `[\w\u0300-\u036f'’.\-]` for the rest
# ([\p{L}\p{M}\p{N}'’.\-]; names with `_`, which `\w` has and Rust's class has not, are dropped).
_TS = (r"\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\]|\(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\)"
       r"|#\d{1,2}:\d{2}:\d{2}(?:[.,\-]\d{1,3})?#")
_TS2 = r"\(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\)|\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\]"
_NAME = r"[^\W_][\w\u0300-\u036f'’.\-]*(?:[ \t]+[^\W_][\w\u0300-\u036f'’.\-]*){0,3}"
LABEL_RE = (
    rf"^[ \t]*(?:(?P<time>{_TS})[ \t]*)?"
    rf"(?:\*\*[ \t]*(?P<speaker>{_NAME})[ \t]*:?[ \t]*\*\*[ \t]*:?"
    rf"|\[(?P<speaker2>{_NAME})\][ \t]*:?"
    rf"|(?P<speaker3>{_NAME})(?:[ \t]*(?P<time2>{_TS2}))?[ \t]*:)"
    rf"(?:[ \t]*(?P<time3>{_TS})[ \t]*:?)?(?:[ \t]+|$)"
)
ANNOTATIONS = frozenset({
    "inaudible", "unclear", "crosstalk", "cross talk", "laughs", "laughter", "laughing", "pause",
    "long pause", "silence", "overlapping", "overtalk", "music", "noise", "applause", "redacted",
    "removed", "indistinct", "background noise", "coughs", "sighs", "break", "end",
    "end of interview", "end of recording", "interruption",
})


def parse_ts(stamp: str) -> float | None:
    """Seconds of a timestamp, None when minutes or seconds are out of range (as qualcore)."""
    m = re.fullmatch(r"([\d:]+)(?:[.,\-](\d+))?", stamp.strip("[]()# \t"))
    if m is None:
        return None
    parts = [int(p) for p in m[1].split(":")]
    h, mi, s = (0, *parts) if len(parts) == 2 else parts
    if s > 59 or (len(parts) == 3 and mi > 59):
        return None
    return h * 3600 + mi * 60 + s + (int(m[2]) / 10 ** len(m[2]) if m[2] else 0.0)


def python_re_read(files: list[str]) -> list[tuple[str, str, list[tuple[str, int, int, float | None, float | None]]]]:
    """Plain Python: read each file, find the labels with `re`, cut the turns."""
    label = re.compile(LABEL_RE, re.MULTILINE)
    docs = []
    for f in files:
        with open(f, encoding="utf-8") as fh:  # universal newlines: CR LF and CR become LF
            text = fh.read()
        turns: list[list[Any]] = []
        for m in label.finditer(text):
            name = m["speaker"] or m["speaker2"] or m["speaker3"]
            if "_" in name or any(w[0].islower() for w in name.split()):  # `\w` has "_", Rust's class not
                continue
            if m["speaker2"] is not None and name.lower() in ANNOTATIONS:
                continue
            stamp = m["time"] or m["time2"] or m["time3"]
            turns.append([name, m.end(), m.start(), parse_ts(stamp) if stamp else None, None])
        # each turn runs to the start of the next label's line; content trimmed
        out = []
        for k, (name, start, _, t0, _) in enumerate(turns):
            cut = turns[k + 1][2] if k + 1 < len(turns) else len(text)
            body = text[start:cut]
            stripped = body.strip()
            s = start + (len(body) - len(body.lstrip())) if stripped else start
            out.append([name, s, s + len(stripped), t0, None])
        nxt = None
        for t in reversed(out):  # a timed turn ends where the next timed turn starts
            if t[3] is not None:
                if nxt is not None and nxt >= t[3]:
                    t[4] = nxt
                nxt = t[3]
        docs.append((Path(f).stem, text, [tuple(t) for t in out]))  # type: ignore[misc]
    return docs  # type: ignore[return-value]


# --------------------------------------------------------------------------- child


def _digest(rows: Any) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update("\x1f".join(map(str, r)).encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest()


def child(tool: str, folder: str, fmt: str, repeats: int) -> None:
    files = sorted(str(p) for p in Path(folder).glob(f"*.{fmt}"))
    if tool.startswith("qualcore"):
        import qualcore as qc

        threads = 1 if tool == "qualcore-1t" else None
        kwargs: dict[str, Any] = {"progress": False, "threads": threads}
        if fmt != "txt":
            kwargs["format"] = fmt

        def run() -> Any:
            return qc.read_transcripts(folder, **kwargs)
    elif tool == "python-re":
        def run() -> Any:
            return python_re_read(files)
    elif tool == "pandas":
        import pandas as pd

        def run() -> Any:
            return pd.concat([pd.read_csv(f).assign(doc_id=Path(f).stem) for f in files], ignore_index=True)
    elif tool == "python-json":
        def run() -> Any:
            docs = []
            for f in files:
                with open(f, encoding="utf-8") as fh:
                    data = json.load(fh)
                stem = Path(f).stem
                docs.append([(stem, r["speaker"], r["content"]) for r in data["meeting_transcripts"]])
            return docs
    elif tool == "pandas-json":
        import pandas as pd

        def run() -> Any:
            frames = []
            for f in files:
                with open(f, encoding="utf-8") as fh:
                    data = json.load(fh)
                frames.append(pd.DataFrame(data["meeting_transcripts"]).assign(doc_id=Path(f).stem))
            return pd.concat(frames, ignore_index=True)
    else:
        raise SystemExit(f"unknown tool {tool}")

    times: list[float] = []
    peaks: list[float] = []
    reset = True
    result: Any = None
    while len(times) < repeats or (sum(times) < MIN_TIMED_S and len(times) < MAX_RUNS):
        result = None  # the last run's result is freed before the next is measured
        result, secs, peak, peak_reset = measured(run)
        times.append(secs)
        peaks.append(peak)
        reset = peak_reset and reset

    out: dict[str, Any] = {"tool": tool, "times": times, "seconds": statistics.median(times),
                           "peak_above_base_mb": max(peaks), "peak_reset": reset}
    if tool.startswith("qualcore"):
        c = result
        t = c.turns
        out["n_docs"], out["n_turns"] = len(c), len(t)
        if fmt == "txt":
            rows: list[tuple[Any, ...]] = list(zip(t["doc_id"], t["speaker"], t["start"].tolist(), t["end"].tolist()))
        else:
            rows = list(zip(t["doc_id"], t["speaker"], t["text"]))
        out["digest"] = _digest(sorted(rows))
    elif tool == "python-re":
        out["n_docs"] = len(result)
        out["n_turns"] = sum(len(d[2]) for d in result)
        out["digest"] = _digest(sorted((d[0], s, a, b) for d in result for (s, a, b, _, _) in d[2]))
    elif tool in ("pandas", "pandas-json"):
        text = result["text" if tool == "pandas" else "content"]
        out["n_docs"] = int(result["doc_id"].nunique())
        out["n_turns"] = len(result)
        out["digest"] = _digest(sorted(zip(result["doc_id"], result["speaker"], text)))
    else:
        out["n_docs"] = len(result)
        out["n_turns"] = sum(len(d) for d in result)
        out["digest"] = _digest(sorted(r for d in result for r in d))
    print(MARK + json.dumps(out))


# --------------------------------------------------------------------------- data


def ami_source() -> Path:
    for d in AMI_DIRS:
        if (d / "Product" / "all").is_dir():
            return d / "Product" / "all"
    raise SystemExit(f"AMI data not found in {[str(d) for d in AMI_DIRS]}")


def write_ami(root: Path, copies: int) -> dict[str, Path]:
    """The AMI meetings as text, CSV and JSON folders, `copies` times over (x1 and xN)."""
    src = sorted(ami_source().glob("*.json"))
    meetings: list[tuple[str, bytes, bytes, bytes]] = []
    for f in src:
        raw = f.read_bytes()
        recs = json.loads(raw)["meeting_transcripts"]
        text = "".join(f"{r['speaker']}: {r['content']}\n\n" for r in recs)
        buf = _csv_bytes(recs)
        meetings.append((f.stem, text.encode("utf-8"), buf, raw))
    out: dict[str, Path] = {}
    for n in sorted({1, copies}):
        for fmt in ("txt", "csv", "json"):
            d = root / f"ami-x{n}-{fmt}"
            d.mkdir(parents=True, exist_ok=True)
            for c in range(n):
                for stem, as_text, as_csv, as_json in meetings:
                    name = stem if n == 1 else f"{stem}_r{c:03d}"
                    (d / f"{name}.{fmt}").write_bytes({"txt": as_text, "csv": as_csv, "json": as_json}[fmt])
            out[f"ami-x{n}-{fmt}"] = d
    return out


def _csv_bytes(recs: list[dict[str, str]]) -> bytes:
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["speaker", "text"])
    for r in recs:
        w.writerow([r["speaker"], r["content"]])
    return buf.getvalue().encode("utf-8")


def folder_bytes(folder: Path, fmt: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(f"*.{fmt}"))


def warm(folder: Path, fmt: str) -> None:
    for p in folder.glob(f"*.{fmt}"):
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass


def loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------------- parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=["16mb", "256mb"], default="256mb")
    ap.add_argument("--ami-copies", type=int, default=20, help="replicas of the AMI set for the xN rows")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per tool, at least")
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--format", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.folder, args.format, args.repeats)
        return 0

    from run import ensure_data

    started = time.time()
    load_start = loadavg()
    gut = ensure_data(args.size)
    results: list[dict[str, Any]] = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="qualcore-reading-") as tmp:
        print(f"writing the AMI folders (x1, x{args.ami_copies}) ...", file=sys.stderr, flush=True)
        ami = write_ami(Path(tmp), args.ami_copies)
        sets: list[tuple[str, Path, str, list[str]]] = [
            (f"Gutenberg {args.size} (text)", gut, "txt", ["qualcore", "qualcore-1t", "python-re"]),
        ]
        for n in sorted({1, args.ami_copies}):
            sets += [
                (f"AMI x{n} (text)", ami[f"ami-x{n}-txt"], "txt", ["qualcore", "qualcore-1t", "python-re"]),
                (f"AMI x{n} (CSV)", ami[f"ami-x{n}-csv"], "csv", ["qualcore", "pandas"]),
                (f"AMI x{n} (JSON)", ami[f"ami-x{n}-json"], "json", ["qualcore", "python-json", "pandas-json"]),
            ]
        for name, folder, fmt, tools in sets:
            warm(folder, fmt)
            nbytes = folder_bytes(folder, fmt)
            nfiles = len(list(folder.glob(f"*.{fmt}")))
            by_tool: dict[str, dict[str, Any]] = {}
            for tool in tools:
                print(f"{name}: {tool} ...", file=sys.stderr, flush=True)
                proc = subprocess.run([sys.executable, __file__, "--child", tool, "--folder", str(folder), "--format",
                                       fmt, "--repeats", str(args.repeats)], capture_output=True, text=True, check=False)
                line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)), None)
                if proc.returncode != 0 or line is None:
                    print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
                    ok = False
                    continue
                res = json.loads(line[len(MARK):])
                res.update(set=name, format=fmt, mb=nbytes / 1e6, files=nfiles)
                by_tool[tool] = res
                results.append(res)
            base = by_tool.get(tools[-1])
            for tool, res in by_tool.items():
                res["same_answer"] = base is not None and res["digest"] == base["digest"]
                res["speedup"] = base["seconds"] / res["seconds"] if base else float("nan")
                res["speedup_best"] = min(base["times"]) / min(res["times"]) if base else float("nan")
                if not res["same_answer"]:
                    ok = False
    load_end = loadavg()

    lines = [
        ("| data | files | MB | tool | seconds (median) | best | MB/s | x baseline (goal >= 5) | x baseline, best runs | "
         "peak above start, MB | x text (goal < 2) | turns | same turns |"),
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['set']} | {r['files']} | {r['mb']:.1f} | {r['tool']} | {r['seconds']:.3f} | {min(r['times']):.3f} | "
            f"{r['mb'] / r['seconds']:.0f} | {r['speedup']:.1f} | {r['speedup_best']:.1f} | {r['peak_above_base_mb']:.0f} | "
            f"{r['peak_above_base_mb'] / r['mb']:.2f} | "
            f"{r['n_turns']:,} | {'yes' if r['same_answer'] else 'NO'} |"
        )
    notes = []
    for name in dict.fromkeys(r["set"] for r in results):
        q = next((r for r in results if r["set"] == name and r["tool"] == "qualcore"), None)
        bare = next((r for r in results if r["set"] == name and r["tool"] == "python-json"), None)
        if q and bare:
            notes.append(f"- {name}: qualcore against the bare `json.load` (no frame, no corpus): "
                         f"{bare['seconds'] / q['seconds']:.1f}x (median), "
                         f"{min(bare['times']) / min(q['times']):.1f}x (best runs).")
    report = "\n".join([
        f"# Reading and turn parsing — {_dt.date.today()} — {platform.node()} ({os.cpu_count()} cores)",
        "",
        (f"qualcore {_version()}, Python {platform.python_version()}.  Load average (1, 5, 15 min) "
         f"{load_start} at the start and {load_end} at the end: the cores are shared with other work, so "
         f"times carry that noise.  Median of >= {args.repeats} runs (more for short runs, until 2 s), each tool "
         f"in its own process; files in the page cache.  \"x baseline\" is the last tool of each data set "
         f"(plain Python `re`, pandas `read_csv`, or pandas frames of the `json.load` records) divided by the row's time (median, and best run "
         f"against best run, the steadier figure when other work takes the cores).  Peak = VmHWM "
         f"above the resident memory just before the call; \"x text\" = peak / input bytes.  "
         f"\"same turns\": the row's turns digest equals the baseline's.  Total {time.time() - started:.0f} s."),
        "",
        *lines,
        "",
        *notes,
        "",
    ])
    print(report)
    if not args.no_record:
        suffix = "" if args.size == "256mb" else f"-{args.size}"
        rec = HERE / "record" / f"{_dt.date.today()}-{platform.node() or 'machine'}-{os.cpu_count()}core-reading{suffix}.md"
        rec.parent.mkdir(exist_ok=True)
        slim = [{k: v for k, v in r.items() if k != "digest"} for r in results]
        rec.write_text(report + "\n```json\n" + json.dumps(slim, indent=1) + "\n```\n")
        print(f"written: {rec}")
    return 0 if ok else 1


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qualcore")
    except PackageNotFoundError:  # pragma: no cover
        return "?"


if __name__ == "__main__":
    sys.exit(main())
