"""The main job on the bundled demo corpus: ``python -m qualcore.demo [--out DIR]``.

Reads the PDPilot interviews, prints a corpus summary (documents, turns and words per speaker)
and keyword-in-context lines for a few terms in the participants' words, and writes both as
CSV files to ``--out`` (default ``demo-output``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

import qualcore as qc

TERMS = {
    "trust": ["trust*", "distrust*", "confiden*"],
    "interpretability": ["interpret*", "explain*", "explanation*"],
    "partial dependence": ["partial dependence", "pdp*"],
}


def summary(corpus: qc.Corpus) -> pd.DataFrame:
    """Turns, words and documents per speaker (the participant-characteristics view)."""
    turns = corpus.turns
    words = corpus.tokens().to_frame()
    words = words[words["kind"] == "word"]
    per_speaker = pd.DataFrame(
        {
            "documents": turns.groupby("speaker")["doc_id"].nunique(),
            "turns": turns.groupby("speaker").size(),
            "words": words.groupby("speaker").size(),
        }
    )
    per_speaker.loc["all"] = [len(corpus), len(turns), len(words)]
    return per_speaker.astype(int)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qualcore.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-output", help="folder for the CSV files (default: demo-output)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    corpus = qc.datasets.load_pdpilot().rename_speakers({"Particpant": "Participant"})
    print(f"{corpus}\n")
    table = summary(corpus)
    print("Corpus summary (PDPilot interviews; interviewer: Dan)")
    print(table.to_string(), "\n")

    kwic = corpus.participants().kwic(TERMS, window=6)
    print(f"KWIC in participants' words: {len(kwic)} lines for {list(TERMS)}")
    print(kwic.groupby("pattern").size().to_string(), "\n")
    with pd.option_context("display.width", 160, "display.max_colwidth", 50):
        for label in TERMS:
            lines = kwic[kwic["pattern"] == label].head(4)
            for r in lines.itertuples():
                print(f"  {r.doc_id:>3} {r.pre[-45:]:>45} [{r.match}] {r.post[:45]}")
        print()

    table.to_csv(out / "summary.csv")
    kwic.to_csv(out / "kwic.csv", index=False)
    print(f"Wrote {out / 'summary.csv'} and {out / 'kwic.csv'} in {time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
