"""The ``qualcore`` command line: every subcommand's output equals the library call it wraps,
exit codes are 0 / 1 / 2, and errors are one line of what and where on stderr (no traceback)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import qualcore as qc
from qualcore import cli
from qualcore.cli import main
from qualcore.datasets import pdpilot_path

DATA = str(pdpilot_path())
CODEBOOK_YAML = """\
Trust:
  Credibility: [trust*, distrust*, believ*]
  Evidence base: [evidence, data, ground truth]
Power:
  Institutions: [company, team*, "organi?ation*"]
"""
CODEBOOK = {
    "Trust": {"Credibility": ["trust*", "distrust*", "believ*"], "Evidence base": ["evidence", "data", "ground truth"]},
    "Power": {"Institutions": ["company", "team*", "organi?ation*"]},
}
GROUPS = {"P1": "Front-line", "P2": "Front-line", "P3": "Leader", "P4": "Leader", "P5": "Leader",
          "P6": "Front-line", "P7": "Leader"}


@pytest.fixture(scope="module")
def corpus() -> qc.Corpus:
    return qc.read_transcripts(DATA, interviewer=["Dan"])


@pytest.fixture(scope="module")
def codebook() -> qc.Codebook:
    return qc.Codebook.from_dict(CODEBOOK)


@pytest.fixture
def cb_file(tmp_path: Path) -> str:
    path = tmp_path / "codebook.yml"
    path.write_text(CODEBOOK_YAML, encoding="utf-8")
    return str(path)


@pytest.fixture
def att_file(tmp_path: Path) -> str:
    path = tmp_path / "participants.csv"
    pd.DataFrame({"doc_id": list(GROUPS), "group": list(GROUPS.values())}).to_csv(path, index=False)
    return str(path)


def attributes() -> pd.DataFrame:
    return pd.DataFrame({"doc_id": list(GROUPS), "group": list(GROUPS.values())})


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(text: str, **kw: object) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# read


def test_read_csv_to_stdout_equals_corpus_summary(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus) -> None:
    code, out, err = run(capsys, "read", DATA, "--interviewer", "Dan", "-o", "-")
    assert code == 0
    got = read_csv(out, index_col=0)
    want = corpus.summary(by=None)
    assert got.index.name == "corpus" and got.index.tolist() == ["all"]
    assert got[["documents", "participants", "turns", "words"]].values.tolist() == \
        want[["documents", "participants", "turns", "words"]].values.tolist()
    assert got["speaking_time_s"].isna().all() and want["speaking_time_s"].isna().all()
    assert err == ""  # nothing to say: no file written, no failure


def test_read_overview_on_the_terminal(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus) -> None:
    code, out, _ = run(capsys, "read", DATA, "--interviewer", "Dan")
    assert code == 0
    assert out.startswith("7 documents, 826 turns, 3 speakers (0 file(s) could not be read)")
    n = corpus.turns.groupby("speaker").size().to_dict()
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["Dan"] == ["Dan", "True", "7", str(n["Dan"])]
    assert lines["Participant"] == ["Participant", "False", "7", str(n["Participant"])]
    assert lines["Particpant"] == ["Particpant", "False", "1", "1"]


def test_read_by_group_with_attributes_and_renamed_speaker(capsys: pytest.CaptureFixture[str], att_file: str) -> None:
    code, out, _ = run(capsys, "read", DATA, "--interviewer", "Dan", "--rename-speaker", "Particpant=Participant",
                       "--attributes", att_file, "--by", "group", "--format", "csv")
    assert code == 0
    want = (qc.read_transcripts(DATA, interviewer=["Dan"], speaker_map={"Particpant": "Participant"})
            .with_attributes(attributes()).summary(by="group"))
    got = read_csv(out, index_col="group")
    assert got.index.tolist() == want.index.tolist() == ["Front-line", "Leader", "all"]
    cols = ["documents", "participants", "turns", "words"]
    assert got[cols].values.tolist() == want[cols].values.tolist()
    assert got.loc["all", "participants"] == 7  # the typo label merged into Participant


def test_read_documents_and_speakers_tables(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus) -> None:
    code, out, _ = run(capsys, "read", DATA, "--table", "documents", "-o", "-")
    assert code == 0
    got = read_csv(out)
    want = corpus.documents
    assert got.values.tolist() == want.values.tolist()
    code, out, _ = run(capsys, "read", DATA, "--interviewer", "Dan", "--table", "speakers", "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0] == {"speaker": "Dan", "interviewer": True, "documents": 7, "turns": 412}


def test_read_sets_aside_unreadable_files_and_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "A1.txt").write_text("Int: Why?\n\nA1: Because I trust it.\n", encoding="utf-8")
    (folder / "A2.txt").write_bytes(b"Int: Why?\n\nA2: \xff no\n")
    (folder / "B1.txt").write_text("Int: And you?\n\nB1: No.\n", encoding="utf-8")
    (folder / "B2.vtt").write_text("WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nhi\n", encoding="utf-8")
    code, out, err = run(capsys, "read", str(folder), str(folder / "*.vtt"), "--interviewer", "Int",
                         "--table", "failures", "-o", "-")
    assert code == 1
    failures = read_csv(out)
    assert [Path(f).name for f in failures["file"]] == ["A2.txt", "B2.vtt"]
    assert "not valid UTF-8" in failures["problem"][0] and "(line 3)" in failures["problem"][0]
    assert "line 3" in failures["problem"][1]
    assert "A2.txt" in err and "2 of 4 file(s) could not be read" in err and "Traceback" not in err
    # The summary covers the files that could be read.
    code, out, _ = run(capsys, "read", str(folder), "--interviewer", "Int", "-o", "-", "-q")
    assert code == 1
    assert read_csv(out)[["documents", "participants", "turns", "words"]].values.tolist() == [[2, 2, 2, 5]]


# ---------------------------------------------------------------------------------------------
# kwic


def test_kwic_rows_equal_corpus_kwic(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus) -> None:
    code, out, err = run(capsys, "kwic", "trust*", DATA, "--interviewer", "Dan", "--participants-only", "-w", "4",
                         "-o", "-")
    assert code == 0
    got = read_csv(out, keep_default_na=False)
    want = corpus.participants().kwic("trust*", window=4)
    assert len(got) == len(want) > 0
    assert list(got.columns) == list(want.columns)
    for col in ("doc_id", "speaker", "pattern", "pre", "match", "post"):
        assert got[col].tolist() == want[col].tolist(), col
    for col in ("start", "end", "token_start", "token_end", "turn"):
        assert got[col].astype(int).tolist() == want[col].astype(int).tolist(), col
    assert err == ""


def test_kwic_several_patterns_speakers_and_sort(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                 tmp_path: Path) -> None:
    out_file = tmp_path / "k.jsonl"
    code, _, err = run(capsys, "kwic", "-e", "ICE plot*", "-e", "partial dependence", DATA, "--speaker", "Participant",
                       "--window", "2", "--sort", "R1", "-o", str(out_file))
    assert code == 0
    assert f"wrote 10 lines to {out_file}" in err or "lines to" in err
    got = pd.read_json(out_file, lines=True, dtype=False)
    want = corpus.kwic(["ICE plot*", "partial dependence"], window=2, speakers=["Participant"]).sort_context("R1")
    assert got[["doc_id", "pattern", "start", "match", "post"]].values.tolist() == \
        want[["doc_id", "pattern", "start", "match", "post"]].values.tolist()


def test_kwic_with_codebook_patterns_labelled_by_code(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                      codebook: qc.Codebook, cb_file: str) -> None:
    code, out, _ = run(capsys, "kwic", DATA, "--codebook", cb_file, "-w", "1", "-o", "-")
    assert code == 0
    got = read_csv(out, keep_default_na=False)
    patterns: dict[str, list[str]] = {}
    for pattern, path in codebook.patterns():
        patterns.setdefault(path, []).append(pattern)
    want = corpus.kwic(patterns, window=1)
    assert got[["doc_id", "pattern", "start", "end"]].values.tolist() == \
        want[["doc_id", "pattern", "start", "end"]].values.tolist()


def test_kwic_terminal_concordance(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus) -> None:
    want = corpus.kwic("trust*", window=3)
    assert len(want) > 1
    code, out, _ = run(capsys, "kwic", "trust*", DATA, "-w", "3", "--max-rows", "1")
    assert code == 0
    first, *rest = out.splitlines()
    row = want.iloc[0]
    assert first.split() == [row["doc_id"], row["speaker"], *row["pre"].split(), row["match"], *row["post"].split()]
    assert rest == [f"… {len(want) - 1} more lines of {len(want)} (write them all with -o FILE)"]


# ---------------------------------------------------------------------------------------------
# code, align


def test_code_writes_the_coding_of_corpus_autocode(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                  codebook: qc.Codebook, cb_file: str, tmp_path: Path) -> None:
    out_file = tmp_path / "coding.csv"
    code, out, err = run(capsys, "code", DATA, "--codebook", cb_file, "--unit", "sentence", "--interviewer", "Dan",
                         "--participants-only", "-o", str(out_file))
    assert code == 0 and out == ""
    want = corpus.participants().autocode(codebook, unit="sentence").frame
    got = pd.read_csv(out_file, keep_default_na=False)
    cols = ["doc_id", "start", "end", "code", "coder", "text", "speaker"]
    assert got[cols].values.tolist() == want[cols].values.tolist()
    assert f"wrote {len(want)} codings to {out_file}" in err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("kind", ["json", "csv", "liwc", "wordstat"])
def test_code_reads_every_codebook_format(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus, tmp_path: Path,
                                         kind: str) -> None:
    if kind == "json":
        path = tmp_path / "cb.json"
        path.write_text(json.dumps({"Trust": {"Credibility": ["trust*"]}, "Data": ["data"]}), encoding="utf-8")
        cb = qc.Codebook.read_json(path)
    elif kind == "csv":
        path = tmp_path / "cb.csv"
        path.write_text("path,patterns\nTrust > Credibility,trust*\nData,data\n", encoding="utf-8")
        cb = qc.Codebook.read_csv(path)
    elif kind == "liwc":
        path = tmp_path / "cb.dic"
        path.write_text("%\n1\tCredibility\n2\tData\n%\ntrust*\t1\ndata\t2\n", encoding="utf-8")
        cb = qc.Codebook.read_dictionary(path)
    else:
        path = tmp_path / "cb.cat"
        path.write_text("TRUST\n\tTRUST* (1)\nDATA\n\tDATA (1)\n", encoding="utf-8")
        cb = qc.Codebook.read_dictionary(path)
    code, out, _ = run(capsys, "code", DATA, "--codebook", str(path), "-o", "-", "-q")
    assert code == 0
    got = read_csv(out, keep_default_na=False)
    want = corpus.autocode(cb).frame
    assert len(want) > 0
    assert got[["doc_id", "start", "end", "code"]].values.tolist() == want[["doc_id", "start", "end", "code"]].values.tolist()


def test_align_places_extracts_and_writes_the_report(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                     codebook: qc.Codebook, tmp_path: Path) -> None:
    coded = corpus.autocode(codebook, unit="sentence").frame.head(6)
    extracts = coded[["doc_id", "code", "text"]].copy()
    extracts.loc[len(extracts)] = ["P1", "Trust > Credibility", "a sentence nobody said"]
    extracts.loc[len(extracts)] = ["P9", "Trust > Credibility", "trust"]
    ex_file = tmp_path / "extracts.csv"
    extracts.to_csv(ex_file, index=False)
    report_file = tmp_path / "report.csv"
    code, out, err = run(capsys, "align", DATA, "--extracts", str(ex_file), "--report", str(report_file), "-o", "-")
    assert code == 0
    want_coding, want_report = corpus.align(extracts)
    got = read_csv(out, keep_default_na=False)
    assert got[["doc_id", "start", "end", "code", "coder"]].values.tolist() == \
        want_coding.frame[["doc_id", "start", "end", "code", "coder"]].values.tolist()
    assert got[["start", "end"]].values.tolist() == coded[["start", "end"]].values.tolist()
    report = pd.read_csv(report_file, keep_default_na=False)
    assert report["method"].tolist() == want_report["method"].tolist()
    assert report["reason"].tolist()[-2:] == ["not found", "unknown document"]
    assert "placed 6 of 8 extracts" in err
    code, _, err = run(capsys, "align", DATA, "--extracts", str(ex_file), "--strict", "-q", "-o", str(tmp_path / "a.csv"))
    assert code == 1 and "2 extract(s) could not be placed" in err


def test_align_names_missing_columns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ex_file = tmp_path / "extracts.csv"
    pd.DataFrame({"Document": ["P1"], "Code": ["X"], "Segment": ["hello"]}).to_csv(ex_file, index=False)
    code, _, err = run(capsys, "align", DATA, "--extracts", str(ex_file))
    assert code == 1
    assert f"--extracts {ex_file}: no column ['doc_id', 'code', 'text']" in err and "--doc-column" in err


# ---------------------------------------------------------------------------------------------
# matrix, cooc, saturation, agreement


@pytest.fixture
def coding_file(tmp_path: Path, corpus: qc.Corpus, codebook: qc.Codebook) -> str:
    path = tmp_path / "coding.csv"
    corpus.participants().autocode(codebook, unit="sentence").frame.to_csv(path, index=False)
    return str(path)


def test_matrix_from_a_coding_file_equals_code_matrix(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                      codebook: qc.Codebook, coding_file: str, att_file: str,
                                                      cb_file: str) -> None:
    code, out, _ = run(capsys, "matrix", DATA, "--coding", coding_file, "--codebook", cb_file,
                       "--attributes", att_file, "--by", "group", "-o", "-")
    assert code == 0
    coding = corpus.with_attributes(attributes()).participants().autocode(codebook, unit="sentence")
    want = qc.code_matrix(coding, by="group")
    got = read_csv(out, index_col="code")
    assert got.index.tolist() == want.index.tolist()
    assert list(got.columns) == list(want.columns) == ["Front-line", "Leader", "all"]
    assert got.values.tolist() == want.values.tolist()


def test_matrix_by_auto_coding_equals_matrix_of_the_coding_file(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                                codebook: qc.Codebook, coding_file: str,
                                                                cb_file: str) -> None:
    code, auto, _ = run(capsys, "matrix", DATA, "--codebook", cb_file, "--code-unit", "sentence", "--interviewer", "Dan",
                        "--participants-only", "--count", "units", "--by", "doc_id", "-o", "-")
    assert code == 0
    # Without --codebook the codes come from the file (parents implied by the paths).
    code, from_file, _ = run(capsys, "matrix", DATA, "--coding", coding_file, "--count", "units", "--by", "doc_id",
                             "-o", "-")
    assert code == 0
    want = qc.code_matrix(corpus.participants().autocode(codebook, unit="sentence"), by="doc_id", count="units")
    a, b = read_csv(auto, index_col="code"), read_csv(from_file, index_col="code")
    assert a.values.tolist() == want.values.tolist()
    assert b.loc[want.index].values.tolist() == want.values.tolist()
    assert sorted(b.index) == sorted(want.index)


def test_cooc_equals_cooccurrence(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus, codebook: qc.Codebook,
                                  coding_file: str, cb_file: str, att_file: str) -> None:
    coding = corpus.with_attributes(attributes()).participants().autocode(codebook, unit="sentence")
    code, out, _ = run(capsys, "cooc", DATA, "--coding", coding_file, "--codebook", cb_file, "--unit", "turn",
                       "--measure", "jaccard", "-o", "-")
    assert code == 0
    want = qc.cooccurrence(coding, unit="turn", measure="jaccard")
    got = read_csv(out, index_col="code_a")
    assert got.index.tolist() == list(got.columns) == want.index.tolist()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())

    code, out, _ = run(capsys, "cooc", DATA, "--coding", coding_file, "--codebook", cb_file, "--unit", "document",
                       "--tidy", "--attributes", att_file, "--by", "group", "-o", "-")
    assert code == 0
    got = read_csv(out)
    per_group = qc.cooccurrence(coding, unit="document", tidy=True, by="group")
    want = pd.concat([f.assign(group=g) for g, f in per_group.items()], ignore_index=True)
    assert got[["group", "code_a", "code_b", "n"]].values.tolist() == want[["group", "code_a", "code_b", "n"]].values.tolist()


def test_saturation_equals_saturation(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus, codebook: qc.Codebook,
                                      cb_file: str, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "saturation", DATA, "--codebook", cb_file, "--order", "P7,P6,P5,P4,P3,P2,P1", "-o", "-")
    assert code == 0
    want = qc.saturation(corpus.autocode(codebook), order=["P7", "P6", "P5", "P4", "P3", "P2", "P1"])
    got = read_csv(out, keep_default_na=False)
    assert got[["doc_id", "n_codes", "new_codes", "cumulative"]].values.tolist() == \
        want[["doc_id", "n_codes", "new_codes", "cumulative"]].values.tolist()
    assert got["new"].tolist() == ["; ".join(v) for v in want["new"]]
    # JSON Lines keeps the lists.
    out_file = tmp_path / "sat.jsonl"
    assert main(["saturation", DATA, "--codebook", cb_file, "--level", "1", "-q", "-o", str(out_file)]) == 0
    rows = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert [r["new"] for r in rows] == qc.saturation(corpus.autocode(codebook), level=1)["new"].tolist()


@pytest.fixture
def two_coders(tmp_path: Path, corpus: qc.Corpus, codebook: qc.Codebook) -> tuple[str, pd.DataFrame]:
    a = corpus.autocode(codebook, unit="sentence", coder="A").to_frame()
    b = corpus.autocode(codebook, unit="turn", coder="B").to_frame()
    both = pd.concat([a, b], ignore_index=True)
    path = tmp_path / "two.csv"
    both.to_csv(path, index=False)
    return str(path), both


def test_agreement_equals_agreement(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus, codebook: qc.Codebook,
                                    cb_file: str, two_coders: tuple[str, pd.DataFrame]) -> None:
    path, frame = two_coders
    code, out, _ = run(capsys, "agreement", DATA, "--coding", path, "--codebook", cb_file, "--unit", "sentence",
                       "--no-ci", "-o", "-")
    assert code == 0
    coding = qc.Coding.from_frame(corpus, codebook, frame, coder="coder")
    want = qc.agreement(coding, unit="sentence", ci=None)
    got = read_csv(out)
    assert got[["code", "measure"]].values.tolist() == want[["code", "measure"]].values.tolist()
    np.testing.assert_allclose(got["value"].to_numpy(), want["value"].to_numpy())
    code, out, _ = run(capsys, "agreement", DATA, "--coding", path, "--unit", "document", "--by", "none",
                       "--measure", "percent", "--n-boot", "50", "-o", "-")
    assert code == 0
    flat = qc.Coding.from_frame(corpus, qc.Codebook(qc.Code(c) for c in dict.fromkeys(frame["code"])), frame, coder="coder")
    want = qc.agreement(flat, unit="document", by=None, measure=["percent"], n_boot=50)
    got = read_csv(out)
    np.testing.assert_allclose(got[["value", "ci_low", "ci_high"]].to_numpy(), want[["value", "ci_low", "ci_high"]].to_numpy())


def test_agreement_needs_a_coder_column_and_two_coders(capsys: pytest.CaptureFixture[str], coding_file: str,
                                                       tmp_path: Path) -> None:
    code, _, err = run(capsys, "agreement", DATA, "--coding", coding_file)
    assert code == 1 and "agreement needs at least two coders" in err
    no_coder = tmp_path / "nocoder.csv"
    pd.read_csv(coding_file).drop(columns="coder").to_csv(no_coder, index=False)
    code, _, err = run(capsys, "agreement", DATA, "--coding", str(no_coder))
    assert code == 1 and f"--coding {no_coder}: no 'coder' column" in err
    code, _, err = run(capsys, "agreement", DATA)
    assert code == 2 and "--coding" in err


# ---------------------------------------------------------------------------------------------
# Outputs


def test_output_formats_by_extension(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus, tmp_path: Path) -> None:
    want = corpus.kwic("ICE", window=1)
    for name, reader in (("k.csv", lambda p: pd.read_csv(p, keep_default_na=False)),
                         ("k.tsv", lambda p: pd.read_csv(p, sep="\t", keep_default_na=False)),
                         ("k.jsonl", lambda p: pd.read_json(p, lines=True, dtype=False))):
        assert main(["kwic", "ICE", DATA, "-w", "1", "-q", "-o", str(tmp_path / name)]) == 0
        got = reader(tmp_path / name)
        assert got[["doc_id", "start", "end", "pre", "match", "post"]].values.tolist() == \
            want[["doc_id", "start", "end", "pre", "match", "post"]].values.tolist(), name
    assert main(["kwic", "ICE", DATA, "-w", "1", "-q", "--format", "tsv", "-o", "-"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split("\t")[:3] == ["doc_id", "turn", "speaker"]
    assert main(["read", DATA, "-q", "-o", str(tmp_path / "summary.txt")]) == 0
    assert (tmp_path / "summary.txt").read_text(encoding="utf-8").split("\n")[1].split()[:2] == ["all", "7"]


def test_parquet_output(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus, tmp_path: Path) -> None:
    target = tmp_path / "k.parquet"
    code, _, err = run(capsys, "kwic", "ICE", DATA, "-o", str(target))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert code == 1
        assert "writing Parquet needs pyarrow, which is not installed: pip install pyarrow" in err
        assert not target.exists()
        return
    assert code == 0  # pragma: no cover - with pyarrow installed
    assert pd.read_parquet(target)["start"].tolist() == corpus.kwic("ICE")["start"].tolist()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for argv, message in (
        ([], "the following arguments are required: COMMAND"),
        (["nonsense"], "invalid choice: 'nonsense'"),
        (["kwic", "trust"], "give a pattern and at least one input"),
        (["kwic", "trust", DATA, "--window", "-2"], "argument -w/--window: expected a whole number >= 0"),
        (["kwic", "trust", DATA, "--threads", "0"], "argument --threads: expected a whole number >= 1"),
        (["kwic", "trust", DATA, "-o", str(tmp_path / "out.xyz")], "cannot tell the output format from the extension '.xyz'"),
        (["matrix", "no-such-input"], "give --coding FILE (a coding table) or --codebook FILE"),  # before reading
        (["read", DATA, "--attributes", str(tmp_path / "att.docx")], "cannot tell the table format"),
        (["code", DATA], "the following arguments are required: --codebook"),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2, argv
        assert message in err, (argv, err)
        assert "usage:" in err and "Traceback" not in err and out == ""
    assert main(["--help"]) == 0
    assert "Exit codes: 0 success, 1 analysis error, 2 usage error" in " ".join(capsys.readouterr().out.split())


def test_analysis_errors_exit_1_and_say_what_and_where(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       coding_file: str) -> None:
    bad_yaml = tmp_path / "bad.yml"
    bad_yaml.write_text("Trust:\n  Credibility: [trust*\n", encoding="utf-8")
    bad_rows = tmp_path / "bad_rows.csv"
    pd.DataFrame({"doc_id": ["P1", "P9", "P1"], "start": [0, 0, "x"], "end": [5, 5, 9],
                  "code": ["A", "A", "B"]}).to_csv(bad_rows, index=False)
    dup = tmp_path / "dup.csv"
    dup.write_text("doc_id,group\nP1,a\nP1,b\n", encoding="utf-8")
    for argv, messages in (
        (["kwic", "trust", str(tmp_path / "missing")], ["no such file or folder", "missing"]),
        (["kwic", "(a", DATA, "--valuetype", "regex"], ['invalid pattern "(a"']),
        (["kwic", "trust", DATA, "--speaker", "Bob"], ["speakers: ['Bob'] are not speakers of the corpus"]),
        (["code", DATA, "--codebook", str(bad_yaml)], [str(bad_yaml), "line 3"]),
        (["code", DATA, "--codebook", str(tmp_path / "none.yml")], [f"--codebook {tmp_path / 'none.yml'}: no such file"]),
        (["matrix", DATA, "--coding", str(bad_rows)],
         [f"--coding {bad_rows}", "row 1: unknown document 'P9'", "row 2: start 'x' is not a whole number"]),
        (["read", DATA, "--attributes", str(dup)], [f"--attributes {dup}: duplicate ids in the attributes: ['P1']"]),
        (["read", DATA, "--by", "group"], ["by: no attribute 'group'"]),
        (["read", DATA, "-o", str(tmp_path / "no" / "dir.csv")], ["no such folder"]),
        (["matrix", DATA, "--coding", coding_file, "--by", "group"], ["by: no attribute 'group'"]),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 1, (argv, err)
        assert err.startswith(f"qualcore {argv[0]}: error: ") or f"\nqualcore {argv[0]}: error: " in err, err
        for m in messages:
            assert m in err, (argv, m, err)
        assert "Traceback" not in err and out == ""


def test_failed_run_leaves_no_partial_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous\n", encoding="utf-8")
    assert main(["kwic", "(a", DATA, "--valuetype", "regex", "-o", str(target)]) == 1
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_threads_option_and_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                        corpus: qc.Corpus) -> None:
    monkeypatch.delenv(qc.THREADS_ENV, raising=False)
    code, one, _ = run(capsys, "kwic", "data", DATA, "--threads", "1", "-o", "-")
    assert code == 0
    assert qc.THREADS_ENV not in os.environ  # restored after the run
    code, many, _ = run(capsys, "kwic", "data", DATA, "--threads", "2", "-o", "-")
    assert one == many and len(read_csv(one)) == len(corpus.kwic("data"))
    monkeypatch.setenv(qc.THREADS_ENV, "several")
    code, _, err = run(capsys, "kwic", "data", DATA)
    assert code == 1 and "QUALCORE_THREADS: expected a whole number, got 'several'" in err
    code, _, _ = run(capsys, "kwic", "data", DATA, "--threads", "1", "-o", "-")  # the option wins
    assert code == 0 and os.environ[qc.THREADS_ENV] == "several"


def test_quiet_and_warnings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "kwic", "trust", DATA, "--participants-only", "--interviewer", "Bob",
                       "-o", str(tmp_path / "k.csv"))
    assert code == 0
    assert "warning: --interviewer Bob: no such speaker" in err
    assert "wrote" in err
    code, _, err = run(capsys, "kwic", "trust", DATA, "--participants-only", "-q", "-o", str(tmp_path / "k.csv"))
    assert code == 0 and err == ""
    code, _, err = run(capsys, "kwic", "trust", DATA, "--participants-only", "-o", "-")
    assert "warning: --participants-only without --interviewer" in err


def test_attributes_unknown_ids(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    att = tmp_path / "att.tsv"
    att.write_text("id\tgroup\nP1\ta\nP99\tb\n", encoding="utf-8")
    code, _, err = run(capsys, "read", DATA, "--attributes", str(att), "--id-column", "id")
    assert code == 1 and "not documents of the corpus: ['P99']" in err
    code, out, err = run(capsys, "read", DATA, "--attributes", str(att), "--id-column", "id", "--unknown-ids", "warn",
                         "--table", "documents", "-o", "-")
    assert code == 0 and "warning" in err and "P99" in err
    assert read_csv(out, keep_default_na=False)["group"].tolist() == ["a", "", "", "", "", "", ""]
    code, _, err = run(capsys, "read", DATA, "--attributes", str(att))
    assert code == 1 and "no column 'doc_id'" in err and "--id-column" in err


def test_coding_from_standard_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                    corpus: qc.Corpus, coding_file: str) -> None:
    data = Path(coding_file).read_bytes()

    class Stdin(io.TextIOWrapper):
        pass

    monkeypatch.setattr(sys, "stdin", Stdin(io.BytesIO(data), encoding="utf-8"))
    code, out, _ = run(capsys, "matrix", DATA, "--coding", "-", "-o", "-")
    assert code == 0
    monkeypatch.undo()
    code, out2, _ = run(capsys, "matrix", DATA, "--coding", coding_file, "-o", "-")
    assert out == out2 and len(out.splitlines()) == 6


# ---------------------------------------------------------------------------------------------
# The registry, and `python -m qualcore`


def test_registry_hook_for_later_subcommands(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    names = list(cli._COMMANDS)
    assert names == ["read", "kwic", "code", "align", "cooc", "matrix", "saturation", "agreement", "report", "convert"]
    monkeypatch.setattr(cli, "_COMMANDS", dict(cli._COMMANDS))

    def configure(p: object) -> None:
        cli._add_corpus_arguments(p)  # type: ignore[arg-type]
        cli._add_output_arguments(p)  # type: ignore[arg-type]

    def run_docs(args: object, ctx: cli.Context) -> int:
        corpus, _ = cli._load_corpus(args, ctx)  # type: ignore[arg-type]
        cli._write_table(corpus.documents, cli._resolve_output(args), ctx)  # type: ignore[arg-type]
        return 0

    cli.register(cli.Command("docs", "list documents", configure, run_docs))
    code, out, _ = run(capsys, "docs", DATA, "-o", "-")
    assert code == 0 and read_csv(out)["doc_id"].tolist() == [f"P{i}" for i in range(1, 8)]


def _python_m(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != qc.THREADS_ENV}
    return subprocess.run([sys.executable, "-m", "qualcore", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_python_m_qualcore_pipes_csv(corpus: qc.Corpus) -> None:
    proc = _python_m("kwic", "partial dependence", DATA, "--window", "3", "-o", "-")
    assert proc.returncode == 0, proc.stderr
    got = read_csv(proc.stdout, keep_default_na=False)
    want = corpus.kwic("partial dependence", window=3)
    assert got[["doc_id", "start", "pre", "match", "post"]].values.tolist() == \
        want[["doc_id", "start", "pre", "match", "post"]].values.tolist()


def test_python_m_qualcore_exit_codes() -> None:
    proc = _python_m("read", "no-such-folder")
    assert proc.returncode == 1
    assert proc.stderr == "qualcore read: error: no such file or folder: 'no-such-folder'\n"
    proc = _python_m("read", DATA, "--bogus")
    assert proc.returncode == 2 and "unrecognized arguments: --bogus" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = _python_m("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("qualcore ")


# ---------------------------------------------------------------------------------------------
# report


def test_report_from_a_coding_file_equals_qc_report(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                    codebook: qc.Codebook, coding_file: str, cb_file: str,
                                                    att_file: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, stdout, err = run(capsys, "report", DATA, "--codebook", cb_file, "--coding", coding_file, "--attributes",
                            att_file, "--by", "group", "--interviewer", "Dan", "--title", "Study", "--quotes", "2",
                            "-o", str(out))
    assert code == 0, err
    assert stdout == "" and "wrote the report" in err and str(out) in err
    grouped = corpus.with_attributes(attributes())
    want = qc.report(grouped, codebook, grouped.participants().autocode(codebook, unit="sentence"), by="group",
                     title="Study", quotes=2)
    assert out.read_text(encoding="utf-8") == want


def test_report_auto_codes_sentences_and_writes_to_stdout(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                          codebook: qc.Codebook, cb_file: str) -> None:
    code, stdout, _ = run(capsys, "report", DATA, "--codebook", cb_file, "--interviewer", "Dan", "--participants-only",
                          "--unit", "turn", "--level", "1", "--date", "2025-01-31", "-q", "-o", "-")
    assert code == 0
    coding = corpus.participants().autocode(codebook, unit="sentence")  # --code-unit defaults to sentence here
    assert stdout == qc.report(corpus, codebook, coding, by=None, unit="turn", level=1, date="2025-01-31")


def test_report_usage_and_analysis_errors(capsys: pytest.CaptureFixture[str], cb_file: str, tmp_path: Path) -> None:
    code, _, err = run(capsys, "report", DATA, "--codebook", cb_file)
    assert code == 2 and "-o/--output" in err
    code, _, err = run(capsys, "report", DATA, "--codebook", cb_file, "-o", str(tmp_path / "r.txt"))
    assert code == 2 and "ending in .html" in err
    code, _, err = run(capsys, "report", DATA, "-o", str(tmp_path / "r.html"))
    assert code == 2 and "give --codebook FILE" in err
    code, _, err = run(capsys, "report", DATA, "--codebook", cb_file, "--by", "group", "-o", str(tmp_path / "r.html"))
    assert code == 1 and err.strip().endswith("--by group: no such attribute (attributes: []); give --attributes FILE "
                                              "with that column")
    code, _, err = run(capsys, "report", DATA, "--codebook", cb_file, "--label", "({region})", "-o",
                       str(tmp_path / "r.html"))
    assert code == 1 and "label" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codebook.yml"]  # nothing written, not even half a file


# ---------------------------------------------------------------------------------------------
# convert


def test_convert_transcripts_and_coding_to_qdpx_and_back(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                         codebook: qc.Codebook, coding_file: str, cb_file: str,
                                                         att_file: str, tmp_path: Path) -> None:
    project_file = tmp_path / "study.qdpx"
    code, _, err = run(capsys, "convert", DATA, "--codebook", cb_file, "--coding", coding_file, "--attributes",
                       att_file, "--interviewer", "Dan", "-o", str(project_file))
    assert code == 0, err
    coding = corpus.participants().autocode(codebook, unit="sentence")
    project = qc.read_qdpx(project_file)
    assert project.codebook == codebook
    assert project.corpus.texts == corpus.texts and project.corpus.interviewers == {"Dan"}
    keys = ["doc_id", "start", "end", "code", "coder"]
    assert project.coding.to_frame()[keys].values.tolist() == coding.to_frame()[keys].values.tolist()
    assert project.corpus.documents["group"].tolist() == list(GROUPS.values())

    back = tmp_path / "coding.csv"
    code, _, err = run(capsys, "convert", str(project_file), "-o", str(back))
    assert code == 0 and f"wrote {len(coding)} codings to {back}" in err
    got = pd.read_csv(back, keep_default_na=False)
    assert got[keys].values.tolist() == coding.to_frame()[keys].values.tolist()
    assert got["text"].tolist() == coding.frame["text"].tolist()

    code, out, _ = run(capsys, "convert", str(project_file), "--table", "summary", "--by", "group", "-o", "-")
    assert code == 0
    want = corpus.with_attributes(attributes()).summary(by="group")
    assert read_csv(out, index_col="group")[["documents", "participants", "turns", "words"]].values.tolist() == \
        want[["documents", "participants", "turns", "words"]].values.tolist()


def test_convert_codebooks_to_and_from_qdc(capsys: pytest.CaptureFixture[str], codebook: qc.Codebook, cb_file: str,
                                           tmp_path: Path) -> None:
    qdc = tmp_path / "codebook.qdc"
    code, _, err = run(capsys, "convert", cb_file, "-o", str(qdc))
    assert code == 0 and "patterns of 3 code(s) are left out" in err
    assert qc.read_qdc(qdc).paths == codebook.paths
    yml = tmp_path / "back.yml"
    code, _, _ = run(capsys, "convert", str(qdc), "-o", str(yml))
    assert code == 0 and qc.Codebook.read_yaml(yml).paths == codebook.paths
    code, out, _ = run(capsys, "convert", str(qdc), "-o", "-")
    assert code == 0 and out == yml.read_text(encoding="utf-8")
    # codebook files among themselves keep the patterns
    csv, js = tmp_path / "cb.csv", tmp_path / "cb.json"
    assert run(capsys, "convert", cb_file, "-o", str(csv))[0] == 0
    assert run(capsys, "convert", str(csv), "-o", str(js))[0] == 0
    assert qc.Codebook.read_csv(csv) == codebook and qc.Codebook.read_json(js) == codebook
    # a .qdc serves as --codebook anywhere
    code, out, _ = run(capsys, "matrix", DATA, "--codebook", str(qdc), "--coding", str(_coding_csv(tmp_path, codebook)),
                       "-o", "-")
    assert code == 0 and read_csv(out)["code"].tolist() == codebook.paths


def _coding_csv(tmp_path: Path, codebook: qc.Codebook) -> Path:
    path = tmp_path / "coding.csv"
    qc.read_transcripts(DATA).autocode(codebook, unit="sentence").frame.to_csv(path, index=False)
    return path


def test_convert_qdpx_codebook_and_usage_errors(capsys: pytest.CaptureFixture[str], corpus: qc.Corpus,
                                                codebook: qc.Codebook, att_file: str, tmp_path: Path) -> None:
    project_file = tmp_path / "p.qdpx"
    qc.write_qdpx(corpus, codebook, corpus.autocode(codebook), project_file)
    code, _, _ = run(capsys, "convert", str(project_file), "-o", str(tmp_path / "cb.qdc"))
    assert code == 0 and qc.read_qdc(tmp_path / "cb.qdc").paths == codebook.paths
    code, _, err = run(capsys, "convert", DATA, "-o", str(tmp_path / "x.csv"))
    assert code == 2 and "what to convert" in err
    code, _, err = run(capsys, "convert", str(project_file), "--attributes", att_file, "-o", str(tmp_path / "x.csv"))
    assert code == 2 and "apply to transcripts" in err
    code, _, err = run(capsys, "convert", str(project_file), "-o", str(tmp_path / "again.qdpx"))
    assert code == 2
    code, _, err = run(capsys, "convert", str(tmp_path / "missing.qdpx"), "-o", "-")
    assert code == 1 and "no such file" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cb.qdc", "p.qdpx", "participants.csv"]


def test_input_format_picks_the_glob(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("not a table", encoding="utf-8")
    (tmp_path / "A1.csv").write_text("speaker,text\nDan,Why?\nA1,Because.\n", encoding="utf-8")
    code, out, err = run(capsys, "read", str(tmp_path), "--input-format", "csv", "-o", "-", "-q")
    assert code == 0, err
    assert read_csv(out)[["documents", "turns"]].values.tolist()[0][0] == 1
