"""Term counts on Tokens (dfm, fcm, collocations, frequency): scikit-learn's CountVectorizer on
the same token lists, quanteda's golden fcm matrices (tests/testthat/test-fcm.R and the fcm()
help examples), quanteda.textstats' collocation cases (test-textstat_collocations.R), values
worked out by hand, and brute-force references (plain Python loops over tokens) under
hypothesis.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from itertools import product

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

import qualcore as qc
from qualcore._terms import ENGLISH_STOP_WORDS, Dfm, Fcm
from qualcore.errors import ArgumentError

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def toks(texts: list[str], **kw) -> qc.Tokens:
    return qc.Corpus.from_texts(texts, **kw).tokens()


def turn_corpus(docs: dict[str, list[tuple[str, str]]], **kw) -> qc.Corpus:
    """A corpus whose documents are lists of (speaker, text) turns."""
    rows = [(d, s, t) for d, turns in docs.items() for s, t in turns]
    df = pd.DataFrame(rows, columns=["doc_id", "speaker", "text"])
    return qc.Corpus.from_frame(df, speaker="speaker", **kw)


def word_lists(t: qc.Tokens, unit: str = "document") -> list[list[str]]:
    """The reference token lists: the words of each document (or turn, in turn order) as the
    token frame has them."""
    f = t.to_frame()
    f = f[f["kind"] == "word"]
    key = ["doc_id"] if unit == "document" else ["doc_id", "turn"]
    return [g["norm"].astype(str).tolist() for _, g in f.groupby(key, sort=False, observed=True, dropna=False)]


def _as_tokens(d: list[str] | str) -> list[str]:
    """Documents are token lists already; sklearn also tokenises each stop word (a str) to check
    the stop list is consistent."""
    return d.split() if isinstance(d, str) else d


def sk(docs: list[list[str]], **kw) -> CountVectorizer:
    cv = CountVectorizer(analyzer="word", tokenizer=_as_tokens, preprocessor=lambda d: d, token_pattern=None,
                         lowercase=False, **kw)
    cv.fit(docs)
    return cv


def assert_same_as_sklearn(d: Dfm, docs: list[list[str]], **kw) -> None:
    cv = sk(docs, **kw)
    x = cv.transform(docs)
    assert d.get_feature_names_out().tolist() == cv.get_feature_names_out().tolist()
    assert d.vocabulary_ == {k: int(v) for k, v in cv.vocabulary_.items()}
    assert (d.matrix != x).nnz == 0
    assert d.matrix.shape == x.shape


# =========================================================================== dfm


def test_dfm_by_hand():
    t = toks(["I trust it. Trust!", "Data I trust."], doc_ids=["A1", "B1"])
    d = t.dfm()
    assert d.get_feature_names_out().tolist() == ["data", "i", "it", "trust"]
    assert d.matrix.toarray().tolist() == [[0, 1, 1, 2], [1, 1, 0, 1]]
    assert d.index.tolist() == ["A1", "B1"] and d.index.name == "doc_id"
    assert d.matrix.dtype == np.int64
    assert d.matrix.indices.dtype == np.int64 and d.matrix.indptr.dtype == np.int64
    assert isinstance(d.matrix, sp.csr_matrix)
    # Bigrams close up over the dropped punctuation ("it trust"), as CountVectorizer's do.
    d2 = t.dfm(ngrams=2)
    assert d2.get_feature_names_out().tolist() == ["data i", "i trust", "it trust", "trust it"]
    assert d2.to_frame().loc["A1"].tolist() == [0, 1, 1, 1]
    assert repr(d) == "<qualcore.Dfm: 2 documents × 4 terms, 7 counts>"
    assert "<table" in d._repr_html_()


def test_dfm_words_only_false_keeps_punctuation():
    d = toks(["a, b."]).dfm(words_only=False)
    assert d.get_feature_names_out().tolist() == [",", ".", "a", "b"]


def test_dfm_lowercase_as_the_tokens_are():
    c = qc.Corpus.from_texts(["Trust trust"])
    assert c.tokens().dfm().get_feature_names_out().tolist() == ["trust"]
    assert c.tokens(lowercase=False).dfm().get_feature_names_out().tolist() == ["Trust", "trust"]


FIXED = [
    ["the cat sat on the mat", "the dog sat", "a cat and a dog and a cat", ""],
    ["x y z x y z x", "y y y", "z"],
    ["trust the data the data trust", "data data data", "no trust at all"],
]
PARAMS = [
    {},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3)},
    {"min_df": 2},
    {"max_df": 0.5},
    {"min_df": 0.4, "max_df": 2, "ngram_range": (1, 2)},
    {"stop_words": ["the", "a", "and"]},
    {"stop_words": ["the", "a", "and"], "ngram_range": (1, 3)},
    {"max_features": 3},
]


def _ours(p: dict) -> dict:
    out = {k: v for k, v in p.items() if k != "ngram_range"}
    if "ngram_range" in p:
        out["ngrams"] = p["ngram_range"]
    return out


@pytest.mark.parametrize("texts", FIXED)
@pytest.mark.parametrize("params", PARAMS)
def test_dfm_equals_sklearn_fixed(texts, params):
    t = toks(texts)
    docs = [s.split() for s in texts]
    if params.get("max_features") == 3 and texts is FIXED[0]:
        params = {"max_features": 2}  # avoid a tie at the cut (sklearn's argsort is not stable)
    assert_same_as_sklearn(t.dfm(**_ours(params)), docs, **params)


def test_dfm_equals_sklearn_on_the_token_lists_with_punctuation():
    texts = ["I don't trust it. Really, I don't!", "Trust: earned; lost.", "“Quoted” words — here"]
    t = toks(texts)
    docs = word_lists(t)
    assert_same_as_sklearn(t.dfm(ngrams=(1, 3)), docs, ngram_range=(1, 3))


WORDS = st.sampled_from(["a", "b", "c", "d", "e", "trust", "data"])


@FAST
@given(docs=st.lists(st.lists(WORDS, max_size=12), min_size=1, max_size=6),
       lo=st.integers(1, 3), span=st.integers(0, 2),
       min_df=st.one_of(st.integers(1, 3), st.floats(0.0, 1.0)),
       max_df=st.one_of(st.integers(1, 6), st.floats(0.5, 1.0)),
       stop=st.booleans())
def test_dfm_equals_sklearn_random(docs, lo, span, min_df, max_df, stop):
    t = toks([" ".join(d) for d in docs])
    kw = {"ngram_range": (lo, lo + span), "min_df": min_df, "max_df": max_df}
    if stop:
        kw["stop_words"] = ["a", "trust"]
    cv = CountVectorizer(analyzer="word", tokenizer=_as_tokens, preprocessor=lambda d: d, token_pattern=None,
                         lowercase=False, **kw)
    try:
        x = cv.fit_transform(docs)
    except ValueError:  # sklearn: empty vocabulary / nothing left after pruning / max_df < min_df
        low = min_df if isinstance(min_df, int) else min_df * len(docs)
        high = max_df if isinstance(max_df, int) else max_df * len(docs)
        if high < low:
            with pytest.raises(ArgumentError, match="max_df"):
                t.dfm(**_ours(kw))
        else:
            assert t.dfm(**_ours(kw)).shape[1] == 0
        return
    d = t.dfm(**_ours(kw))
    assert d.get_feature_names_out().tolist() == cv.get_feature_names_out().tolist()
    assert (d.matrix != x).nnz == 0


TURNS = {
    "A1": [("Int", "Do you trust the data?"), ("A1", "I trust the data. The data is weak."), ("Int", "Why?"),
           ("A1", "It is weak because the data is old")],
    "B1": [("Int", "And you?"), ("B1", "Old data, new data: the same data")],
}


def test_dfm_by_turn_equals_sklearn_per_turn_and_ngrams_never_cross_turns():
    c = turn_corpus(TURNS, interviewer=["Int"])
    t = c.tokens()
    d = t.dfm(by="turn", ngrams=(1, 3))
    assert_same_as_sklearn(d, word_lists(t, "turn"), ngram_range=(1, 3))
    assert d.rows[["doc_id", "speaker"]].values.tolist() == [["A1", "Int"], ["A1", "A1"], ["A1", "Int"], ["A1", "A1"],
                                                             ["B1", "Int"], ["B1", "B1"]]
    assert d.rows["turn"].tolist() == [0, 1, 2, 3, 0, 1]
    assert d.index.names == ["doc_id", "turn"]
    # "data why" (end of turn 1, start of turn 2) is not an n-gram; a document row is the sum of
    # its turns' rows.
    assert "data why" not in d.vocabulary_ and "data i" not in d.vocabulary_
    by_doc = t.dfm(ngrams=(1, 3))
    assert by_doc.get_feature_names_out().tolist() == d.get_feature_names_out().tolist()
    summed = np.vstack([d.matrix[:4].sum(axis=0), d.matrix[4:].sum(axis=0)])
    assert (by_doc.matrix.toarray() == summed).all()


def test_dfm_by_turn_rows_for_text_outside_turns_and_turnless_documents(tmp_path):
    (tmp_path / "x1.txt").write_text("Interview 3\n\nInt: Hello there\nA1: Hi, I trust it\n", encoding="utf-8")
    c = qc.read_transcripts(tmp_path)
    d = c.tokens().dfm(by="turn")
    assert d.rows["turn"].tolist()[1:] == [0, 1] and pd.isna(d.rows["turn"].iloc[0])
    assert d.rows["speaker"].isna().tolist() == [True, False, False]
    assert d.to_frame().iloc[0].to_dict() == {"3": 1, "hello": 0, "hi": 0, "i": 0, "interview": 1, "it": 0,
                                              "there": 0, "trust": 0}
    # A restricted corpus leaves text outside turns out, so it has no such row.
    assert c.filter(speakers=["A1"]).tokens().dfm(by="turn").rows["speaker"].tolist() == ["A1"]
    # A document without turns is one row with turn <NA>.
    e = qc.Corpus.from_texts(["no turns here", ""], doc_ids=["d2", "d3"]).tokens().dfm(by="turn")
    assert e.rows["doc_id"].tolist() == ["d2", "d3"] and e.rows["turn"].isna().all()
    assert e.matrix.toarray().tolist() == [[1, 1, 1], [0, 0, 0]]


def test_dfm_by_turn_keeps_turns_without_a_speaker():
    df = pd.DataFrame({"doc_id": ["A", "A"], "speaker": [None, "S"], "text": ["hello there", "trust it"]})
    d = qc.Corpus.from_frame(df, speaker="speaker").tokens().dfm(by="turn")
    assert d.rows["turn"].tolist() == [0, 1] and d.rows["speaker"].isna().tolist() == [True, False]
    assert d.to_frame().to_dict("index") == {("A", 0): {"hello": 1, "it": 0, "there": 1, "trust": 0},
                                             ("A", 1): {"hello": 0, "it": 1, "there": 0, "trust": 1}}
    s = qc.Corpus.from_frame(df, speaker="speaker").tokens().dfm(by="speaker")
    assert s.index.tolist() == ["S"] and s.matrix.sum() == 2  # tokens of speaker-less turns: no speaker row


def test_dfm_by_speaker_and_by_group_and_restriction():
    c = turn_corpus(TURNS, interviewer=["Int"])
    c = c.with_attributes(pd.DataFrame({"doc_id": ["A1", "B1"], "group": ["Front-line", "Leader"]}))
    t = c.tokens()
    s = t.dfm(by="speaker")
    assert s.index.tolist() == ["Int", "A1", "B1"]
    assert s.to_frame().loc["Int", "why"] == 1 and s.to_frame().loc["A1", "data"] == 3
    g = t.dfm(by="group")
    assert g.index.tolist() == ["Front-line", "Leader"] and g.index.name == "group"
    assert g.to_frame().loc["Leader", "data"] == 3 and g.to_frame().loc["Front-line", "data"] == 4
    assert repr(g).startswith("<qualcore.Dfm: 2 groups of group ×")
    # Restricted to participants: interviewer turns are not counted, nor listed as rows.
    p = c.participants().tokens()
    assert p.dfm(by="turn").rows["speaker"].tolist() == ["A1", "A1", "B1"]
    assert "why" not in p.dfm().vocabulary_
    assert p.dfm(by="speaker").index.tolist() == ["A1", "B1"]


def test_dfm_group_with_missing_values_leaves_documents_out():
    c = qc.Corpus.from_texts(["a b", "b c", "c d"], doc_ids=["x", "y", "z"],
                             attributes={"g": ["u", None, "u"]})
    d = c.tokens().dfm(by="g")
    assert d.index.tolist() == ["u"]
    assert d.to_frame().to_dict("index") == {"u": {"a": 1, "b": 1, "c": 1, "d": 1}}


def test_dfm_stop_words():
    t = toks(["The data, THE trust; don’t and don't"])
    assert t.dfm(stop_words="english").get_feature_names_out().tolist() == ["data", "trust"]
    assert t.dfm(stop_words=["Data"]).get_feature_names_out().tolist() == ["and", "don't", "don’t", "the", "trust"]
    assert len(set(w for w in ENGLISH_STOP_WORDS if "\u2019" not in w)) == 174


def test_dfm_empty_and_degenerate():
    d = toks(["", "."]).dfm()
    assert d.shape == (2, 0) and d.vocabulary_ == {}
    d = toks(["a b"]).dfm(ngrams=3)
    assert d.shape == (1, 0)
    d = qc.Corpus.from_texts([]).tokens().dfm()
    assert d.shape == (0, 0)


@pytest.mark.parametrize("kw,match", [
    ({"by": "nope"}, "by"), ({"ngrams": 0}, "ngrams"), ({"ngrams": (2, 1)}, "ngrams"), ({"ngrams": "2"}, "ngrams"),
    ({"min_df": -1}, "min_df"), ({"max_df": 1.5}, "max_df"), ({"min_df": True}, "min_df"),
    ({"min_df": 3, "max_df": 2}, "max_df"), ({"stop_words": "german"}, "stop_words"),
    ({"stop_words": [1, 2]}, "stop_words"), ({"max_features": 0}, "max_features"),
])
def test_dfm_bad_arguments(kw, match):
    with pytest.raises(ArgumentError, match=match):
        toks(["a b", "c"]).dfm(**kw)


# =========================================================================== fcm: quanteda

QTXT = "A D A C E A D F E B A C E D"  # quanteda's test-fcm.R / fcm() help example
QTXTS = ["a a a b b c", "a a c e", "a c e f g"]
QORD = ["b a b c", "a a c b e", "a c e f g"]

# (texts, arguments, expected matrix after fcm_sort) from quanteda's tests/testthat/test-fcm.R;
# quanteda's default tri=TRUE is written out.
QUANTEDA_FCM = [
    ("not weighted", [QTXT], {"context": "window", "window": 3, "tri": True},
     [[4, 1, 4, 4, 5, 2], [0, 0, 1, 1, 2, 1], [0, 0, 0, 3, 3, 0], [0, 0, 0, 0, 4, 1], [0, 0, 0, 0, 0, 2],
      [0] * 6]),
    ("weighted by default", [QTXT], {"context": "window", "window": 3, "count": "weighted", "tri": True},
     [[1.67, 1, 2.83, 3.33, 2.83, 0.83], [0, 0, 0.5, 0.33, 1.33, 0.50], [0, 0, 0, 1.33, 2.33, 0],
      [0, 0, 0, 0, 2.33, 1.00], [0, 0, 0, 0, 0, 1.33], [0] * 6]),
    ("customized weights", [QTXT], {"context": "window", "window": 3, "count": "weighted", "weights": [3, 2, 1],
                                    "tri": True},
     [[6, 3, 9, 10, 10, 3], [0, 0, 2, 1, 4, 2], [0, 0, 0, 5, 7, 0], [0, 0, 0, 0, 8, 3], [0, 0, 0, 0, 0, 4],
      [0] * 6]),
    ("ordered window", [QTXT], {"context": "window", "window": 3, "ordered": True},
     [[2, 0, 3, 3, 3, 1], [1, 0, 1, 0, 1, 0], [1, 0, 0, 2, 2, 0], [1, 1, 1, 0, 2, 1], [2, 1, 1, 2, 0, 1],
      [1, 1, 0, 0, 1, 0]]),
    ("unordered window, tri=FALSE", [QTXT], {"context": "window", "window": 3},
     [[4, 1, 4, 4, 5, 2], [1, 0, 1, 1, 2, 1], [4, 1, 0, 3, 3, 0], [4, 1, 3, 0, 4, 1], [5, 2, 3, 4, 0, 2],
      [2, 1, 0, 1, 2, 0]]),
    ("ordered boolean", QORD, {"context": "window", "window": 2, "count": "boolean", "ordered": True},
     [[1, 2, 3, 1, 0, 0], [1, 1, 1, 1, 0, 0], [0, 1, 0, 2, 1, 0], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1],
      [0] * 6]),
    ("unordered boolean", QORD, {"context": "window", "window": 2, "count": "boolean", "tri": True},
     [[2, 2, 3, 1, 0, 0], [0, 2, 2, 1, 0, 0], [0, 0, 0, 2, 1, 0], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1],
      [0] * 6]),
    ("document boolean", QORD, {"context": "document", "count": "boolean", "tri": True},
     [[1, 2, 3, 2, 1, 1], [0, 1, 2, 1, 0, 0], [0, 0, 0, 2, 1, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1],
      [0] * 6]),
    ("window = 2", QTXTS, {"context": "window", "window": 2, "count": "boolean", "tri": True},
     [[4, 1, 2, 2, 0, 0], [0, 2, 1, 0, 0, 0], [0, 0, 0, 2, 1, 0], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1],
      [0] * 6]),
    ("window = 3", QTXTS, {"context": "window", "window": 3, "count": "boolean", "tri": True},
     [[4, 1, 3, 2, 1, 0], [0, 2, 1, 0, 0, 0], [0, 0, 0, 2, 1, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1],
      [0] * 6]),
    # "ordered is working correctly (#1413)"
    ("#1413 w1", ["a b c", "a b c"], {"context": "window", "window": 1, "ordered": True},
     [[0, 2, 0], [0, 0, 2], [0, 0, 0]]),
    ("#1413 w2", ["a b c", "a b c"], {"context": "window", "window": 2, "ordered": True},
     [[0, 2, 2], [0, 0, 2], [0, 0, 0]]),
    ("#1413 reversed w1", ["a b c", "c b a"], {"context": "window", "window": 1, "ordered": True},
     [[0, 1, 0], [1, 0, 1], [0, 1, 0]]),
    ("#1413 reversed w2", ["a b c", "c b a"], {"context": "window", "window": 2, "ordered": True},
     [[0, 1, 1], [1, 0, 1], [1, 1, 0]]),
]


@pytest.mark.parametrize("name,texts,kw,expected", QUANTEDA_FCM, ids=[c[0] for c in QUANTEDA_FCM])
def test_fcm_quanteda_golden(name, texts, kw, expected):
    f = toks(texts).fcm(**kw)
    got = f.matrix.toarray()
    np.testing.assert_allclose(np.round(got, 2), np.array(expected, dtype=float), atol=0.005)
    letters = sorted({w for t in texts for w in t.lower().split()})
    assert f.get_feature_names_out().tolist() == letters


def test_fcm_quanteda_weighted_equals_text2vec_weights():
    # test-fcm.R compares weights 1/(1:3) with text2vec's tcm; that is the default weighting.
    t = toks([QTXT])
    a = t.fcm("window", window=3, count="weighted")
    b = t.fcm("window", window=3, count="weighted", weights=[1, 1 / 2, 1 / 3])
    assert np.allclose(a.matrix.toarray(), b.matrix.toarray())
    assert a.weights.tolist() == pytest.approx([1, 0.5, 1 / 3])


def test_fcm_document_frequency_by_quanteda_definition():
    # quanteda's fcm.dfm: off-diagonal crossprod (n_a * n_b summed over documents), diagonal
    # choose(n_a, 2); fcm() help example fcm(txt2, context = "document", count = "frequency").
    f = toks(QTXTS).fcm("document")
    labels = ["a", "b", "c", "e", "f", "g"]
    upper = {("a", "a"): 3 + 1, ("a", "b"): 3 * 2, ("a", "c"): 3 + 2 + 1, ("a", "e"): 2 + 1, ("a", "f"): 1,
             ("a", "g"): 1, ("b", "b"): 1, ("b", "c"): 2, ("c", "e"): 2, ("c", "f"): 1, ("c", "g"): 1,
             ("e", "f"): 1, ("e", "g"): 1, ("f", "g"): 1}
    want = np.zeros((6, 6), dtype=np.int64)
    for (x, y), v in upper.items():
        want[labels.index(x), labels.index(y)] = want[labels.index(y), labels.index(x)] = v
    assert f.matrix.toarray().tolist() == want.tolist()
    assert f.margin.to_dict() == {"a": 6, "b": 2, "c": 3, "e": 2, "f": 1, "g": 1}


def test_fcm_document_boolean_off_diagonal_as_quanteda():
    # test-fcm.R "fcm.dfm works same as fcm.tokens": the first row of fcm(boolean dfm), features
    # the quick brown fox jumped over lazy dog and ate.  The off-diagonal cells are the
    # documents holding both terms (our boolean diagonal: documents where "the" occurs twice).
    t = toks(["The quick brown fox jumped over the lazy dog.", "The dog jumped and ate the fox."])
    f = t.fcm("document", count="boolean").to_frame()
    order = ["the", "quick", "brown", "fox", "jumped", "over", "lazy", "dog", "and", "ate"]
    assert f.loc["the", order].tolist() == [2, 1, 1, 2, 2, 1, 1, 2, 1, 1]


def test_fcm_brief_example_window_2():
    # "A B C D E C E A D F E B A C E D", window 2, worked out by hand: positions a 0 7 12, b 1 11,
    # c 2 5 13, d 3 8 15, e 4 6 10 14, f 9; the 29 pairs at distance 1 or 2 are
    # a-b 0-1 11-12; a-c 0-2 5-7 12-13; a-d 7-8; a-e 6-7 10-12 12-14; a-f 7-9; b-c 1-2 11-13;
    # b-d 1-3; b-e 10-11; b-f 9-11; c-d 2-3 3-5 13-15; c-e 2-4 4-5 5-6 13-14;
    # d-e 3-4 6-8 8-10 14-15; d-f 8-9; e-e 4-6 (twice on the diagonal); e-f 9-10.
    upper = {("a", "b"): 2, ("a", "c"): 3, ("a", "d"): 1, ("a", "e"): 3, ("a", "f"): 1, ("b", "c"): 2,
             ("b", "d"): 1, ("b", "e"): 1, ("b", "f"): 1, ("c", "d"): 3, ("c", "e"): 4, ("d", "e"): 4,
             ("d", "f"): 1, ("e", "e"): 2, ("e", "f"): 1}
    labels = ["a", "b", "c", "d", "e", "f"]
    want = np.zeros((6, 6), dtype=np.int64)
    for (x, y), v in upper.items():
        want[labels.index(x), labels.index(y)] = want[labels.index(y), labels.index(x)] = v
    f = toks(["A B C D E C E A D F E B A C E D"]).fcm("window", window=2)
    assert f.get_feature_names_out().tolist() == labels
    assert f.matrix.toarray().tolist() == want.tolist()
    assert f.matrix.sum() == 2 * 29


# =========================================================================== fcm: reference


def fcm_reference(units: list[list[str]], window: int, count: str, weights, ordered: bool) -> dict:
    """The definition as plain loops: for every pair of tokens (i < j) at distance <= window in
    one unit, add the weight to (a, b) — and to (b, a) unless ordered (so a pair of one term
    adds twice to the diagonal).  Boolean: each pair once per unit."""
    w = [1.0] * window if count != "weighted" else (list(weights) if weights else [1 / k for k in
                                                                                   range(1, window + 1)])
    out: defaultdict[tuple[str, str], float] = defaultdict(float)
    for toks_ in units:
        seen = set()
        for i in range(len(toks_)):
            for j in range(i + 1, min(i + window + 1, len(toks_))):
                a, b = toks_[i], toks_[j]
                if count == "boolean":
                    seen.add((a, b) if ordered else tuple(sorted((a, b))))
                    continue
                out[(a, b)] += w[j - i - 1]
                if not ordered:
                    out[(b, a)] += w[j - i - 1]
        for a, b in seen:
            out[(a, b)] += 1
            if not ordered:
                out[(b, a)] += 1
    return out


def fcm_doc_reference(units: list[list[str]], count: str) -> dict:
    out: Counter = Counter()
    for toks_ in units:
        n = Counter(toks_)
        for a, b in product(n, n):
            if a != b:
                out[(a, b)] += n[a] * n[b] if count == "frequency" else 1
            else:
                out[(a, a)] += n[a] * (n[a] - 1) // 2 if count == "frequency" else int(n[a] >= 2)
    return out


def dense(cells: dict, labels: list[str]) -> np.ndarray:
    m = np.zeros((len(labels), len(labels)))
    for (a, b), v in cells.items():
        m[labels.index(a), labels.index(b)] += v
    return m


TURN_WORDS = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=7)


@FAST
@given(docs=st.lists(st.lists(TURN_WORDS, min_size=1, max_size=3), min_size=1, max_size=4),
       window=st.integers(1, 4), count=st.sampled_from(["frequency", "boolean", "weighted"]),
       ordered=st.booleans(), within=st.sampled_from(["turn", "document"]))
def test_fcm_window_equals_reference(docs, window, count, ordered, within):
    c = turn_corpus({f"d{i}": [("S", " ".join(t)) for t in turns] for i, turns in enumerate(docs)})
    f = c.tokens().fcm("window", window=window, count=count, ordered=ordered, within=within)
    units = [t for turns in docs for t in turns] if within == "turn" else [sum(turns, []) for turns in docs]
    ref = fcm_reference(units, window, count, None, ordered)
    labels = f.get_feature_names_out().tolist()
    assert labels == sorted({w for turns in docs for t in turns for w in t})
    assert np.allclose(f.matrix.toarray(), dense(ref, labels))
    if not ordered:
        assert (f.matrix != f.matrix.T).nnz == 0
        tri = c.tokens().fcm("window", window=window, count=count, within=within, tri=True)
        assert (tri.matrix != sp.triu(f.matrix)).nnz == 0


@FAST
@given(docs=st.lists(st.lists(TURN_WORDS, min_size=1, max_size=3), min_size=1, max_size=4),
       count=st.sampled_from(["frequency", "boolean"]), context=st.sampled_from(["turn", "document"]))
def test_fcm_document_and_turn_equal_reference(docs, count, context):
    c = turn_corpus({f"d{i}": [("S", " ".join(t)) for t in turns] for i, turns in enumerate(docs)})
    f = c.tokens().fcm(context, count=count)
    units = [t for turns in docs for t in turns] if context == "turn" else [sum(turns, []) for turns in docs]
    labels = f.get_feature_names_out().tolist()
    assert np.array_equal(f.matrix.toarray(), dense(fcm_doc_reference(units, count), labels))
    assert f.matrix.dtype == np.int64


def test_fcm_windows_stay_in_turns_unless_within_document():
    c = turn_corpus({"A1": [("Int", "trust"), ("A1", "data")]})
    t = c.tokens()
    assert t.fcm("window", window=5).to_frame().loc["trust", "data"] == 0
    assert t.fcm("window", window=5, within="document").to_frame().loc["trust", "data"] == 1
    assert t.fcm("turn").to_frame().loc["trust", "data"] == 0
    assert t.fcm("document").to_frame().loc["trust", "data"] == 1


def test_fcm_punctuation_and_stop_words_are_removed_first():
    t = toks(["trust, the data."])
    f = t.fcm("window", window=1, stop_words="english").to_frame()
    assert f.loc["trust", "data"] == 1  # "trust , the data ." -> "trust data"
    g = t.fcm("window", window=1, words_only=False).to_frame()
    assert g.loc["trust", ","] == 1 and g.loc["trust", "the"] == 0


def test_fcm_max_features_keeps_distances():
    t = toks(["a x b a x b a"])
    # a 3, b 2, x 2: the two most frequent, the tie b/x broken by term.  x keeps its place, so
    # a-x-b is not a pair at distance 1; b-a is, twice.
    f = t.fcm("window", window=1, max_features=2)
    assert f.get_feature_names_out().tolist() == ["a", "b"]
    assert f.matrix.toarray().tolist() == [[0, 2], [2, 0]]
    assert f.margin.tolist() == [3, 2]


def test_fcm_api():
    f = toks(["a b a", "b c"]).fcm("window", window=1)
    assert isinstance(f, Fcm) and f.shape == (3, 3)
    assert f.vocabulary_ == {"a": 0, "b": 1, "c": 2}
    assert f.matrix.indices.dtype == np.int64
    assert f.tidy().values.tolist() == [["a", "b", 2], ["b", "c", 1]]
    assert repr(f) == "<qualcore.Fcm: 3 × 3 terms, context='window', count='frequency', window=1>"
    assert "<table" in f._repr_html_()
    assert toks([""]).fcm().shape == (0, 0)
    o = toks(["a b"]).fcm("window", window=1, ordered=True)
    assert o.tidy().values.tolist() == [["a", "b", 1]] and "ordered" in repr(o)


@pytest.mark.parametrize("kw,match", [
    ({"context": "sentence"}, "context"), ({"count": "pmi"}, "count"),
    ({"context": "window", "window": 0}, "window"), ({"context": "window", "window": 2.5}, "window"),
    ({"context": "document", "window": 3}, "window"), ({"context": "document", "ordered": True}, "ordered"),
    ({"context": "turn", "count": "weighted"}, "count"),
    ({"context": "window", "window": 3, "count": "weighted", "weights": [1, 2]}, "weights"),
    ({"context": "window", "weights": [1, 2, 3, 4, 5]}, "weights"),
    ({"context": "window", "ordered": True, "tri": True}, "tri"),
    ({"context": "window", "within": "sentence"}, "within"), ({"max_features": 0}, "max_features"),
])
def test_fcm_bad_arguments(kw, match):
    with pytest.raises(ArgumentError, match=match):
        toks(["a b c"]).fcm(**kw)


# =========================================================================== collocations


def test_collocations_quanteda_golden_ice_cream():
    # test-textstat_collocations.R "works ok with zero-length documents (#940)": punctuation
    # breaks sequences, giving 9 bigrams; every candidate has the table (2, 0, 0, 7).
    t = toks(["I like good ice cream.", "Me too!  I like good ice cream.", ""])
    c = t.collocations(size=2, min_count=2)
    assert c["collocation"].tolist() == ["good ice", "i like", "ice cream", "like good"]
    assert c["count"].tolist() == [2, 2, 2, 2] and c["count_nested"].tolist() == [0, 0, 0, 0]
    assert c["lambda"].round(6).tolist() == [4.317488] * 4
    assert c["z"].round(6).tolist() == [2.027787] * 4
    lam = math.log(2.5 * 7.5 / (0.5 * 0.5))
    assert c.loc[0, "lambda"] == pytest.approx(lam)
    assert c.loc[0, "z"] == pytest.approx(lam / math.sqrt(1 / 2.5 + 2 / 0.5 + 1 / 7.5))


def test_collocations_capital_gains_by_hand():
    # test-textstat_collocations.R "correctness of significant" (smoothing = 0): "other capital"
    # ranks first; its table over the 9 bigrams is n11 = 2, n10 = 1, n01 = 1, n00 = 5.  The
    # commented expectations there: pmi log2(2*9/(2+1)/(2+1)) = 1, G2 2.231.
    t = toks(["capital other capital gains other capital word2 other gains capital"])
    c = t.collocations(min_count=1, smoothing=0)
    top = c.iloc[0]
    assert top["collocation"] == "other capital" and top["count"] == 2
    assert top["lambda"] == pytest.approx(math.log(2 * 5 / (1 * 1)))
    assert top["z"] == pytest.approx(math.log(10) / math.sqrt(1 / 2 + 1 + 1 + 1 / 5))
    assert top["pmi"] == pytest.approx(math.log2(2 * 9 / 3 / 3))
    e = {(1, 1): 3 * 3 / 9, (1, 0): 3 * 6 / 9, (0, 1): 6 * 3 / 9, (0, 0): 6 * 6 / 9}
    o = {(1, 1): 2, (1, 0): 1, (0, 1): 1, (0, 0): 5}
    g2 = 2 * sum(o[k] * math.log(o[k] / e[k]) for k in o)
    assert top["g2"] == pytest.approx(g2) and round(g2, 3) == 2.231
    # A zero cell without smoothing ("word2" occurs once: n10 or n01 is 0): lambda and its
    # sigma are infinite, z undefined, sorted last.
    nan = c[c["z"].isna()]
    assert sorted(nan["collocation"]) == ["capital word2", "word2 other"] and nan.index.tolist() == [len(c) - 2, len(c) - 1]
    # Smoothing 0.5 (the default) ranks it first too (quanteda's "with smoothing" test).
    assert t.collocations(min_count=1).iloc[0]["collocation"] == "other capital"


def test_collocations_stop_words_are_pads():
    # test-textstat_collocations.R "lambda & [ function": capitals kept with padding; here the
    # pads are the stop words a, b, c, x.  17 bigrams, all counted; 'g f': n11 = 1,
    # n10 = 3 (g g, g _, g g), n01 = 0, n00 = 13.
    t = toks(["e e g f a b c e e g g x e e x x g g"])
    c = t.collocations(min_count=1, stop_words=["a", "b", "c", "x"])
    assert c.iloc[0]["collocation"] == "g f"
    assert c.iloc[0]["lambda"] == pytest.approx(math.log(1.5 * 13.5 / (3.5 * 0.5)))
    assert not c["collocation"].str.contains(r"\b[abcx]\b").any()
    assert set(c["collocation"]) == {"e e", "e g", "g f", "g g"}


@pytest.mark.parametrize("texts,sizes,expected", [
    # test-textstat_collocations.R "counts sequences correctly when recursive = FALSE"
    (["a b c . . a b c . . a b c . . . a b c", "a b . . a b . . a b . . a b . a b"], [2, 3],
     {"a b": (9, 4), "b c": (4, 4), "a b c": (4, 0)}),
    ([". . . . a b c . . a b c . . .", "a b . . a b . . a b . . a b . a b", "b c . . b c . b c . . . b c"], [2, 3],
     {"a b": (7, 2), "b c": (6, 2), "a b c": (2, 0)}),
    ([". . . . a b c d . . a b c d . . .", "a b . . a b . . a b . . a b . a b", "b c . . b c . b c . . . b c"],
     [2, 4], {"a b": (7, 2), "b c": (6, 2), "c d": (2, 2), "a b c d": (2, 0)}),
    ([". . . . a b c d . . a b c . . ."], [2, 3, 4],
     {"a b": (2, 2), "b c": (2, 2), "c d": (1, 1), "a b c d": (1, 0), "a b c": (2, 1), "b c d": (1, 1)}),
])
def test_collocations_count_nested_quanteda(texts, sizes, expected):
    c = toks(texts).collocations(size=sizes, min_count=1).set_index("collocation")
    assert set(c.index) == set(expected)
    for k, (n, nested) in expected.items():
        assert (c.loc[k, "count"], c.loc[k, "count_nested"], c.loc[k, "length"]) == (n, nested, len(k.split()))


def test_collocations_never_span_documents_or_turns():
    c = toks(["this is a test", "this also a test"]).collocations(size=[2, 3], min_count=1)
    assert "test this" not in set(c["collocation"]) and "test this also" not in set(c["collocation"])
    assert "this also a" in set(c["collocation"])
    t = turn_corpus({"A1": [("Int", "trust me"), ("A1", "me too")]}).tokens()
    assert "me me" not in set(t.collocations(min_count=1)["collocation"])


def colloc_reference(units: list[list[str]], k: int, smoothing: float) -> dict[str, tuple[int, float, float]]:
    """quanteda's MWEcounts/lambda as loops: every k-gram inside a unit; for each candidate
    the 2^k table of positional agreement; lambda = sum (-1)^(k - |c|) log(n_c + s)."""
    grams = [tuple(u[i:i + k]) for u in units for i in range(len(u) - k + 1)]
    out = {}
    for cand in set(grams):
        cells = Counter(tuple(int(g[p] == cand[p]) for p in range(k)) for g in grams)
        lam = sum((-1) ** (k - sum(c)) * math.log(cells[c] + smoothing) for c in product((0, 1), repeat=k))
        sig = math.sqrt(sum(1 / (cells[c] + smoothing) for c in product((0, 1), repeat=k)))
        out[" ".join(cand)] = (grams.count(cand), lam, lam / sig)
    return out


@FAST
@given(docs=st.lists(st.lists(TURN_WORDS, min_size=1, max_size=3), min_size=1, max_size=3),
       k=st.integers(2, 3))
def test_collocations_equal_reference(docs, k):
    c = turn_corpus({f"d{i}": [("S", " ".join(t)) for t in turns] for i, turns in enumerate(docs)})
    got = c.tokens().collocations(size=k, min_count=1).set_index("collocation")
    ref = colloc_reference([t for turns in docs for t in turns], k, 0.5)
    assert set(got.index) == set(ref)
    for name, (n, lam, z) in ref.items():
        assert got.loc[name, "count"] == n
        assert got.loc[name, "lambda"] == pytest.approx(lam, abs=1e-9)
        assert got.loc[name, "z"] == pytest.approx(z, abs=1e-9)
    assert got["z"].is_monotonic_decreasing


def test_collocations_sorting_and_empty():
    t = toks(["a b a b c d c d c d"])
    assert t.collocations(measure="pmi")["pmi"].is_monotonic_decreasing
    assert t.collocations(measure="g2")["g2"].is_monotonic_decreasing
    e = toks(["a", ""]).collocations(size=[2, 3], min_count=1)
    assert list(e.columns) == ["collocation", "count", "count_nested", "length", "lambda", "z", "pmi", "g2"]
    assert len(e) == 0


@pytest.mark.parametrize("kw,match", [
    ({"size": 1}, "size"), ({"size": [2, 1]}, "size"), ({"size": "2"}, "size"), ({"size": 9}, "size"),
    ({"min_count": 0}, "min_count"), ({"measure": "dice"}, "measure"), ({"smoothing": -1}, "smoothing"),
])
def test_collocations_bad_arguments(kw, match):
    with pytest.raises(ArgumentError, match=match):
        toks(["a b c"]).collocations(**kw)


# =========================================================================== frequency


def test_frequency_by_hand():
    c = qc.Corpus.from_texts(["trust the data", "the data, the data", "trust"], doc_ids=["d1", "d2", "d3"],
                             attributes={"group": ["x", "x", "y"]})
    t = c.tokens()
    f = t.frequency()
    assert list(f.columns) == ["group", "term", "frequency", "docfreq", "rank"]
    assert f.values.tolist() == [["all", "the", 3, 2, 1], ["all", "data", 3, 2, 1], ["all", "trust", 2, 2, 3]]
    g = t.frequency(by="group", n=None)
    assert g.values.tolist() == [["x", "the", 3, 2, 1], ["x", "data", 3, 2, 1], ["x", "trust", 1, 1, 3],
                                 ["y", "trust", 1, 1, 1]]
    assert t.frequency(n=1)["term"].tolist() == ["the"]  # a tie at the cut is cut
    d = t.frequency(by="document", n=1)
    assert d.values.tolist() == [["d1", "trust", 1, 1, 1], ["d2", "the", 2, 1, 1], ["d3", "trust", 1, 1, 1]]
    b = t.frequency(ngrams=2, stop_words=["trust"])
    assert b.values.tolist() == [["all", "the data", 3, 2, 1], ["all", "data the", 1, 1, 2]]


def test_frequency_by_speaker_counts_documents_in_docfreq():
    c = turn_corpus({"A1": [("Int", "trust it"), ("P", "trust trust")], "B1": [("P", "trust")]})
    f = c.tokens().frequency(by="speaker")
    assert f.values.tolist() == [["Int", "trust", 1, 1, 1], ["Int", "it", 1, 1, 1], ["P", "trust", 3, 2, 1]]


def test_frequency_matches_dfm_column_sums():
    t = qc.datasets.load_pdpilot().tokens()
    f = t.frequency(n=None).set_index("term")
    d = t.dfm()
    sums = pd.Series(np.asarray(d.matrix.sum(axis=0)).ravel(), index=d.get_feature_names_out())
    assert f["frequency"].sort_index().to_dict() == sums.sort_index().to_dict()
    dfreq = pd.Series(np.bincount(d.matrix.indices, minlength=d.shape[1]), index=d.get_feature_names_out())
    assert f["docfreq"].sort_index().to_dict() == dfreq.sort_index().to_dict()
    assert (f["frequency"].to_numpy() == t.counts().loc[f.index].to_numpy()).all()


@pytest.mark.parametrize("kw,match", [({"n": 0}, "n"), ({"by": "turn"}, "by"), ({"by": "nope"}, "by")])
def test_frequency_bad_arguments(kw, match):
    with pytest.raises(ArgumentError, match=match):
        toks(["a b"]).frequency(**kw)


# =========================================================================== shared


def test_same_results_with_any_thread_count(monkeypatch):
    t = qc.datasets.load_pdpilot().tokens()
    runs = []
    for threads in ("1", "3"):
        monkeypatch.setenv(qc.THREADS_ENV, threads)
        d = t.dfm(ngrams=(1, 2), min_df=2)
        f = t.fcm("window", window=3, max_features=300)
        runs.append((d.get_feature_names_out().tolist(), d.matrix.toarray(), f.matrix.toarray(),
                     t.collocations().head(50).to_dict("list"), t.frequency(by="document").to_dict("list")))
    a, b = runs
    assert a[0] == b[0] and (a[1] == b[1]).all() and (a[2] == b[2]).all() and a[3] == b[3] and a[4] == b[4]


def test_term_tables_are_the_same_on_one_thread_and_two() -> None:
    c = qc.datasets.load_pdpilot()
    t = c.tokens()
    one, two = t.fcm(context="document", threads=1), t.fcm(context="document", threads=2)
    assert (one.matrix != two.matrix).nnz == 0 and list(one.get_feature_names_out()) == list(two.get_feature_names_out())
    assert (t.dfm(threads=1).matrix != t.dfm(threads=2).matrix).nnz == 0
    pd.testing.assert_frame_equal(t.collocations(threads=1), t.collocations(threads=2))
    pd.testing.assert_frame_equal(t.frequency(threads=1), t.frequency(threads=2))
    with pytest.raises(qc.errors.ArgumentError, match="threads"):
        t.fcm(threads=0)
