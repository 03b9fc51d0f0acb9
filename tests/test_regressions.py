"""Named regression cases for defects found in review (each failed before its fix)."""

from __future__ import annotations

import pandas as pd
import pytest

import qualcore as qc
from qualcore import _native


def test_document_contexts_skip_left_out_turns() -> None:
    df = pd.DataFrame({"doc_id": ["d"] * 4, "speaker": ["Dan", "A1", "Dan", "A1"],
                       "text": ["I trust the data.", "Evidence matters here", "SECRET interviewer words?", "Base rates, yes."]})
    c = qc.Corpus.from_frame(df, speaker="speaker", interviewer=["Dan"])
    assert c.participants().kwic("here base", window=2, within="document").empty
    post = c.participants().kwic("evidence", window=4, within="document")["post"].tolist()
    assert post == ["matters here"]
    # The unrestricted corpus still reads across turns.
    assert len(c.kwic("here secret", within="document")) == 1


def test_autocode_prefilter_handles_dotted_capital_i() -> None:
    c = qc.Corpus.from_texts(["İstanbul is big. Istanbul too."], doc_ids=["A1"])
    literal_only = c.autocode(qc.Codebook.from_dict({"City": ["i*"]})).frame["text"].tolist()
    assert literal_only == c.kwic("i*", window=0)["match"].tolist() == ["İstanbul", "is", "Istanbul"]


def test_bad_label_span_in_pickled_state_is_an_error_not_a_panic() -> None:
    with pytest.raises(qc.errors.CorpusError, match="label span 1..3"):
        _native.Corpus._from_state(["d"], ["é abc"], [(0, "A", 3, 6, (1, 3), None, None)], None)


def test_bad_pattern_in_autocode_names_its_code() -> None:
    cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust(", "ok"]}})
    with pytest.raises(qc.errors.PatternError, match=r'\(code "Trust > Credibility"\)'):
        qc.Corpus.from_texts(["x"]).autocode(cb, valuetype="regex")


def test_glob_piece_across_tokens_says_how_to_write_it() -> None:
    c = qc.Corpus.from_texts(["My self-esteem and non-profit work."])
    with pytest.raises(qc.errors.PatternError, match='write "self - \\*"'):
        c.kwic("self-*")
    assert c.kwic("self - *", window=0)["match"].tolist() == ["self-esteem"]
    assert c.kwic("non - prof*", window=0)["match"].tolist() == ["non-profit"]


def test_window_bound_in_message() -> None:
    with pytest.raises(ValueError, match="window: must be between 0 and 4294967295"):
        qc.Corpus.from_texts(["x"])._native.kwic(["x"], window=2**40)


def test_duplicate_file_stems_name_the_files(tmp_path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "a.txt").write_text("Dan: hi\n", encoding="utf-8")
    (tmp_path / "two" / "a.txt").write_text("Dan: hello\n", encoding="utf-8")
    with pytest.raises(qc.errors.DuplicateIdError, match=r'"a" would come from 2 files: .*one/a\.txt.*two/a\.txt'):
        qc.read_transcripts([tmp_path / "one", tmp_path / "two"])
