"""The main job on the bundled demo corpus: ``python -m qualcore.demo [--out DIR]``.

Reads the PDPilot interviews, prints a corpus summary (documents, turns and words per speaker),
keyword-in-context lines for a few terms in the participants' words, and a small dictionary
auto-coding of the participants' words (participants per code, saturation), and writes each as
CSV files to ``--out`` (default ``demo-output``).  Ends by writing the analysis report
(``report.html``, :func:`qualcore.report`) and printing where it is.

PDPilot publishes no participant attributes, so the report groups the interviews by *wave*, a
grouping made from the interview order only (the first four interviews, then the last three),
to show how the tables compare groups; it says nothing about the participants.
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


CODEBOOK = {
    "Trust": {
        "description": "Whether participants trust the model and its explanations",
        "children": {"Credibility": ["trust*", "distrust*", "believ*", "confiden*"],
                     "Evidence base": ["evidence", "data", "ground truth"]},
    },
    "Interpretation": {
        "Explaining": ["explain*", "explanation*", "interpret*"],
        "Plots": ["pdp*", "ice plot*", "partial dependence", "plot*"],
    },
    "Power": {"Institutions": ["company", "team*", "organi?ation*", "client*"]},
}

#: The report's grouping: interview waves by interview order (PDPilot has no participant attributes).
WAVES = {"P1": "P1-P4", "P2": "P1-P4", "P3": "P1-P4", "P4": "P1-P4", "P5": "P5-P7", "P6": "P5-P7", "P7": "P5-P7"}


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
    parser.add_argument("--out", default="demo-output",
                        help="folder for the CSV files and report.html (default: demo-output)")
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

    codebook = qc.Codebook.from_dict(CODEBOOK)
    coding = corpus.participants().autocode(codebook, unit="sentence")
    matrix = qc.code_matrix(coding, by=None, count="cases")
    print(f"Auto-coding ({len(coding)} coded sentences): participants per code (of {len(corpus)})")
    print(matrix.to_string(), "\n")
    sat = qc.saturation(coding)
    print("Saturation (codes at every level, in interview order)")
    print(sat[["doc_id", "n_codes", "new_codes", "cumulative"]].to_string(index=False), "\n")
    quote = coding.extracts("Credibility")["quote"].head(2).tolist()
    print("Quotes for Trust > Credibility:", *quote, sep="\n  ")
    print()

    table.to_csv(out / "summary.csv")
    kwic.to_csv(out / "kwic.csv", index=False)
    coding.frame.to_csv(out / "coding.csv", index=False)
    matrix.to_csv(out / "code_matrix.csv")
    sat.to_csv(out / "saturation.csv", index=False)
    files = ", ".join(f.name for f in sorted(out.glob("*.csv")))
    print(f"Wrote {files} to {out}/")

    waves = pd.DataFrame({"doc_id": list(WAVES), "wave": list(WAVES.values())})
    report_path = out / "report.html"
    qc.report(corpus.with_attributes(waves), codebook, coding, report_path, by="wave",
              title="PDPilot interviews: demo analysis report")
    print(f"Done in {time.perf_counter() - t0:.2f} s. The analysis report (one self-contained HTML file; "
          "groups are interview waves by order):")
    print(f"  {report_path}  ({report_path.resolve().as_uri()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
