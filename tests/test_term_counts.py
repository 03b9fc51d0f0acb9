"""Document- and turn-level counts without token ids (``TermCounts``), and texts taken from
Python without copies left behind.

``Corpus.tokens()`` makes its token ids on first use; ``fcm(context="document"|"turn")`` asked
of tokens not yet used counts each unit's forms in one pass instead.  Both ways must give the
same matrix, whatever the options.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualcore as qc

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORD = st.sampled_from(["Trust", "trust", "TRUST", "power", "évidence", "the", "it's", "3.5", ",", "?", "—"])
SPEAKER = st.sampled_from(["Int", "A1", "Siân"])


def corpus_of(docs: list[tuple[str, list[tuple[str, list[str]]]]]) -> qc.Corpus:
    """Documents of a preamble (text outside turns) and ``Speaker: words`` turns."""
    texts = []
    for pre, turns in docs:
        lines = [pre] + [f"{s}: {' '.join(ws)}" for s, ws in turns]
        texts.append("\n".join(lines))
    return qc.Corpus.from_texts(texts, doc_ids=[f"d{i}" for i in range(len(texts))], speaker_labels=True)


DOCS = st.lists(st.tuples(st.sampled_from(["", "Notes", "Preamble: trust"]),
                          st.lists(st.tuples(SPEAKER, st.lists(WORD, max_size=8)), max_size=4)),
                min_size=1, max_size=5)


@FAST
@given(docs=DOCS, context=st.sampled_from(["document", "turn"]), count=st.sampled_from(["frequency", "boolean"]),
       lowercase=st.booleans(), words_only=st.booleans(), max_features=st.sampled_from([None, 1, 3]),
       stop=st.sampled_from([None, ["the"]]), restrict=st.booleans())
def test_fcm_without_token_ids_equals_fcm_from_them(docs, context, count, lowercase, words_only, max_features, stop,
                                                    restrict):
    c = corpus_of(docs)
    if restrict and "A1" in c.speakers:
        c = c.filter(speakers=["A1"])
    kw = dict(count=count, words_only=words_only, max_features=max_features, stop_words=stop)
    fresh = c.tokens(lowercase=lowercase)
    lazy = fresh.fcm(context, **kw)
    assert fresh._built is None  # no token ids were made
    built = c.tokens(lowercase=lowercase)
    built._native  # the token ids, made now
    eager = built.fcm(context, **kw)
    assert lazy.get_feature_names_out().tolist() == eager.get_feature_names_out().tolist()
    assert (lazy.matrix != eager.matrix).nnz == 0
    assert lazy.matrix.dtype == eager.matrix.dtype == np.int64
    assert lazy.margin.tolist() == eager.margin.tolist()


def test_lazy_tokens_are_made_once_and_only_when_needed():
    c = qc.Corpus.from_texts(["Trust, trust! The evidence.", "Power and trust."])
    t = c.tokens()
    assert t._built is None
    t.fcm("document")
    assert t._built is None
    assert t.counts()["trust"] == 3  # from the form counts
    assert t._built is None
    assert t.n_tokens.tolist() == [7, 4]  # needs the ids
    first = t._built
    assert first is not None
    t.fcm("window", window=2)
    assert t._built is first
    # with the ids made, document counts come from them (the same numbers)
    assert t.fcm("document").to_frame().loc["trust", "power"] == 1


def test_the_document_matrix_of_the_brief_example():
    # two documents; boolean: documents holding both; diagonal: documents with the term twice
    c = qc.Corpus.from_texts(["trust power trust", "trust evidence"])
    f = c.tokens().fcm("document", count="boolean").to_frame()
    assert f.loc["trust", "power"] == 1 and f.loc["trust", "evidence"] == 1
    assert f.loc["power", "evidence"] == 0
    assert f.loc["trust", "trust"] == 1 and f.loc["power", "power"] == 0
    g = c.tokens().fcm("document", count="frequency").to_frame()
    assert g.loc["trust", "power"] == 2 and g.loc["trust", "trust"] == 1  # C(2, 2) in the first


def test_texts_leave_no_utf8_copy_on_the_callers_strings():
    s = "Siân said: trust the évidence. " * 2000  # not ASCII: CPython would cache its UTF-8
    before = sys.getsizeof(s)
    c = qc.Corpus.from_texts([s, "plain ascii"])
    assert sys.getsizeof(s) == before
    assert c.texts[0] == s


def test_texts_over_several_batches_keep_their_order_and_errors_name_the_row():
    big = "a" * (40 << 20)  # two of these exceed one 64 MB batch
    texts = [big, "Siân " * 3, big + "b", "z".encode(), "李"]
    c = qc.Corpus.from_texts(texts, doc_ids=["a", "b", "c", "d", "e"])
    assert [len(t) for t in c.texts] == [len(big), 15, len(big) + 1, 1, 1]
    assert c.texts[3] == "z" and c.texts[4] == "李"
    with pytest.raises(ValueError, match=r'row 2 \(document "c"\) is not valid Unicode: lone surrogate at index 1'):
        qc.Corpus.from_texts([big, big, "a\ud800"], doc_ids=["a", "b", "c"])
    with pytest.raises(ValueError, match=r'row 2 \(document "c"\) is not valid UTF-8 at byte 1'):
        qc.Corpus.from_texts([big, big, b"a\xff"], doc_ids=["a", "b", "c"])


@FAST
@given(docs=DOCS, lowercase=st.booleans(), words_only=st.booleans(), stop=st.sampled_from([None, ["the"], "english"]),
       min_df=st.sampled_from([1, 2, 0.5]), max_df=st.sampled_from([1.0, 0.8, 3]),
       max_features=st.sampled_from([None, 1, 4]), by=st.sampled_from(["document", "group", "turn", "speaker"]),
       built=st.booleans(), restrict=st.booleans())
def test_dfm_by_document_without_the_token_stream_equals_the_general_path(docs, lowercase, words_only, stop, min_df,
                                                                         max_df, max_features, by, built, restrict):
    from qualcore import _terms

    c = corpus_of(docs).with_attributes(
        pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(docs))],
                      "group": [["A", "B", None][i % 3] for i in range(len(docs))]}), on="doc_id")
    if restrict and "A1" in c.speakers:
        c = c.filter(speakers=["A1"])
    kw = dict(by=by, min_df=min_df, max_df=max_df, max_features=max_features, stop_words=stop,
              words_only=words_only)

    def make() -> Any:
        t = c.tokens(lowercase=lowercase)
        if built:
            t._native
        try:
            return t.dfm(**kw)
        except qc.errors.ArgumentError as e:
            return str(e)

    fast = make()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(_terms, "_dfm_by_document", lambda *a, **k: None)
        general = make()
    if isinstance(general, str):
        assert fast == general
        return
    assert fast.get_feature_names_out().tolist() == general.get_feature_names_out().tolist()
    assert fast.index.equals(general.index)
    assert (fast.matrix != general.matrix).nnz == 0
    assert fast.matrix.dtype == general.matrix.dtype == np.int64
    assert fast.matrix.indices.dtype == np.int64


def test_dfm_by_document_memory_path_on_a_small_corpus():
    c = qc.Corpus.from_texts(["Trust, trust! The evidence.", "Power and trust."], doc_ids=["A1", "B1"])
    t = c.tokens()
    d = t.dfm()
    assert t._built is None  # no token ids were made
    assert d.to_frame().loc["A1", "trust"] == 2 and d.to_frame().loc["B1", "power"] == 1
    assert d.get_feature_names_out().tolist() == ["and", "evidence", "power", "the", "trust"]


def test_unit_counts_are_made_once_per_kind_of_unit():
    t = qc.Corpus.from_texts(["Dan: trust it\nA1: trust"], speaker_labels=True).tokens()
    a = t.fcm("document").to_frame()
    first = t._counts[True]
    b = t.fcm("document", count="boolean")
    assert t._counts[True] is first and set(t._counts) == {True}
    t.fcm("turn")
    assert set(t._counts) == {True, False}
    assert a.loc["trust", "it"] == 2 and b.to_frame().loc["trust", "trust"] == 1


def test_the_first_bad_text_is_the_one_named():
    with pytest.raises(ValueError, match=r"row 1 \(document 'doc2'\)|row 1 \(document \"doc2\"\)"):
        qc.Corpus.from_texts(["ok", b"\xff", 5])


def test_str_subclasses_cannot_skip_the_encoding():
    class S(str):
        def isascii(self) -> bool:  # a subclass that lies
            return True

    s = S("Siân said trust " * 200)
    before = sys.getsizeof(s)
    c = qc.Corpus.from_texts([s])
    assert c.texts[0] == s and sys.getsizeof(s) == before
    with pytest.raises(ValueError, match="lone surrogate at index 1"):
        qc.Corpus.from_texts([S("a\ud800")])


def test_weighted_windows_are_exactly_symmetric_with_large_whole_weights():
    t = qc.Corpus.from_texts(["a a a a b"]).tokens()
    m = t.fcm("window", window=3, count="weighted", weights=[1e16, 1.0, 1.0]).matrix
    assert (m != m.T).nnz == 0
    small = t.fcm("window", window=3, count="weighted", weights=[2.0, 1.0, 1.0]).matrix
    assert (small != small.T).nnz == 0 and small.dtype == np.float64
    assert small.toarray().tolist() == [[2 * (3 * 2 + 2 * 1 + 1 * 1), 2 + 1 + 1], [2 + 1 + 1, 0]]


@FAST
@given(docs=DOCS, lowercase=st.booleans(), words_only=st.booleans(), stop=st.sampled_from([None, ["the"]]),
       n=st.sampled_from([None, 1, 2, 20]), by=st.sampled_from([None, "document", "group", "speaker"]),
       built=st.booleans(), restrict=st.booleans())
def test_frequency_by_document_without_the_token_stream_equals_the_general_path(docs, lowercase, words_only, stop, n,
                                                                              by, built, restrict):
    from qualcore import _terms

    c = corpus_of(docs).with_attributes(
        pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(docs))],
                      "group": [["A", "B", None][i % 3] for i in range(len(docs))]}), on="doc_id")
    if restrict and "A1" in c.speakers:
        c = c.filter(speakers=["A1"])

    def make() -> Any:
        t = c.tokens(lowercase=lowercase)
        if built:
            t._native
        return t.frequency(by=by, n=n, stop_words=stop, words_only=words_only)

    fast = make()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(_terms, "_frequency_by_document", lambda *a, **k: None)
        general = make()
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), general.reset_index(drop=True))


def test_frequency_without_the_token_stream_by_hand():
    c = qc.Corpus.from_texts(["trust the data", "the data, the data", "trust"], attributes={"group": ["x", "x", "y"]})
    t = c.tokens()
    f = t.frequency(by="group", n=2)
    assert t._built is None
    assert f.values.tolist() == [["x", "the", 3, 2, 1], ["x", "data", 3, 2, 1], ["y", "trust", 1, 1, 1]]


def test_by_speaker_with_no_speaker_at_all_gives_no_rows():
    # was an IndexError from inside the row mapping
    c = qc.Corpus.from_texts(["no labels here"], speaker_labels=True)
    assert c.speakers == []
    d = c.tokens().dfm(by="speaker")
    assert d.matrix.shape == (0, 0) or d.matrix.shape[0] == 0
    assert len(c.tokens().frequency(by="speaker")) == 0


@FAST
@given(docs=DOCS, lowercase=st.booleans(), words_only=st.booleans(), restrict=st.booleans())
def test_term_counts_without_token_ids_equal_counts_from_them(docs, lowercase, words_only, restrict):
    c = corpus_of(docs)
    if restrict and "A1" in c.speakers:
        c = c.filter(speakers=["A1"])
    fresh = c.tokens(lowercase=lowercase)
    a = fresh.counts(words_only=words_only)
    assert fresh._built is None
    built = c.tokens(lowercase=lowercase)
    built._native
    pd.testing.assert_series_equal(a, built.counts(words_only=words_only))
