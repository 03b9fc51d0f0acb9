"""qualcore.dask: per-partition functions without Dask, graphs on the synchronous scheduler, and
every Dask result against the single-process result on the AMI meetings, on a local cluster of 2
worker processes with 1 thread each."""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import qualcore as qc
import qualcore.dask as qd
from qualcore.errors import ArgumentError, DuplicateIdError

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

ROOT = Path(__file__).resolve().parents[1]
AMI = ROOT.parent / "shared" / "data" / "ami" / "Product" / "all"

CODEBOOK = qc.Codebook.from_dict({
    "Design": {"Remote": ["remote*", "control*"], "Buttons": ["button*"], "Shape": ["shape*", "round"]},
    "Money": {"Cost": ["cost*", "price*", "euro*"], "Budget": ["budget"]},
    "Talk": {"Fillers": ["um", "uh"], "Agree": ["yeah", "okay", "mm-hmm"]},
})


def _values(df: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
    """Rows as plain Python values (string dtypes and missing values made comparable)."""
    out = df[columns].astype(object)
    return out.where(out.notna(), None).values.tolist()


def _same_sparse(a: Any, b: Any, exact: bool = True) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.indices.dtype == np.int64 and a.indptr.dtype == np.int64
    diff = abs(a - b)
    assert diff.nnz == 0 or (not exact and diff.max() < 1e-9)
    assert a.nnz == b.nnz


def _same_cooc(a: Any, b: Any) -> None:
    if isinstance(b, dict):
        assert list(a) == list(b)
        for k in b:
            _same_cooc(a[k], b[k])
    elif isinstance(b, tuple):
        assert a[1] == b[1]
        _same_sparse(a[0], b[0], exact=False)
    else:
        pd.testing.assert_frame_equal(a, b)
        assert a.attrs == b.attrs


def _same_dfm(a: qc.Dfm, b: qc.Dfm) -> None:
    assert a.get_feature_names_out().tolist() == b.get_feature_names_out().tolist()
    _same_sparse(a.matrix, b.matrix)
    pd.testing.assert_index_equal(a.index, b.index, exact=False)
    assert _values(a.rows, list(b.rows.columns)) == _values(b.rows, list(b.rows.columns))
    assert repr(a) == repr(b)


def _same_fcm(a: qc.Fcm, b: qc.Fcm) -> None:
    assert a.get_feature_names_out().tolist() == b.get_feature_names_out().tolist()
    _same_sparse(a.matrix, b.matrix, exact=a.count != "weighted")
    pd.testing.assert_series_equal(a.margin, b.margin)
    assert repr(a) == repr(b)


# =========================================================================== without Dask


@pytest.fixture(scope="module")
def pdpilot() -> tuple[pd.DataFrame, list[pd.DataFrame], qc.Corpus, qd.ReadOptions]:
    """PDPilot turns with a group attribute, cut into three frames of whole documents, and the
    single-process corpus of all of them (documents in the same order)."""
    turns = qc.datasets.load_pdpilot().turns[["doc_id", "speaker", "text"]].astype(object)
    turns["group"] = np.where(turns["doc_id"].isin(["P1", "P2", "P3"]), "early", "late").astype(object)
    opts = qd.ReadOptions(speaker="speaker", attributes=("group",), interviewer=("Dan",))
    frames = [turns[turns["doc_id"].isin(ids)] for ids in (["P1", "P2", "P3"], ["P4", "P5"], ["P6", "P7"])]
    ref = qc.Corpus.from_frame(turns, speaker="speaker", attributes=["group"], interviewer=["Dan"])
    return turns, frames, ref, opts


PD_CODEBOOK = qc.Codebook.from_dict({
    "Tool": {"Plots": ["plot*", "chart*", "graph*"], "Data": ["data*", "dataset*"]},
    "Model": {"Predictions": ["predict*"], "Features": ["feature*"]},
    "Talk": {"Agree": ["yeah", "okay", "right"]},
})


def test_import_does_not_need_dask_and_partition_functions_run_without_it() -> None:
    code = textwrap.dedent("""
        import sys, pandas as pd, qualcore as qc, qualcore.dask as qd
        f = pd.DataFrame({"doc_id": ["A1", "A1"], "speaker": ["I", "A1"], "text": ["Why?", "I trust it."]})
        o = qd.ReadOptions(speaker="speaker")
        cb = qc.Codebook.from_dict({"T": ["trust"]})
        assert len(qd.kwic_partition(f, "trust", o)) == 1
        assert qd.finish(qd.combine([qd.code_matrix_partition(f, cb, o, by=None)])).loc["T", "all"] == 1
        assert "dask" not in sys.modules, sorted(m for m in sys.modules if m.startswith("dask"))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr


def test_frame_partition_functions_equal_single_process(pdpilot: Any) -> None:
    turns, frames, ref, opts = pdpilot
    k = pd.concat([qd.kwic_partition(f, ["data*", "feature importance"], opts, window=3) for f in frames], ignore_index=True)
    kr = ref.kwic(["data*", "feature importance"], window=3)
    assert list(k.columns) == list(kr.columns) and len(k) > 50
    assert _values(k, list(kr.columns)) == _values(kr, list(kr.columns))
    a = pd.concat([qd.autocode_partition(f, PD_CODEBOOK, opts, unit="sentence", speakers=["Participant"]) for f in frames],
                  ignore_index=True)
    ar = ref.autocode(PD_CODEBOOK, unit="sentence", speakers=["Participant"]).frame
    assert list(a.columns) == list(ar.columns) and len(a) > 50
    assert _values(a, list(ar.columns)) == _values(ar, list(ar.columns))
    extracts = ar.sample(40, random_state=1)[["doc_id", "code", "text"]].reset_index(drop=True)
    extracts.loc[3, "doc_id"] = "P99"
    extracts.loc[5, "text"] = "words that are in no transcript at all"
    known = pd.Index(turns["doc_id"].unique())
    r = pd.concat([qd.align_partition(f, extracts, opts, codebook=PD_CODEBOOK, all_doc_ids=known if i == 0 else None)
                   for i, f in enumerate(frames)], ignore_index=True).sort_values("row")
    _, rr = ref.align(extracts, codebook=PD_CODEBOOK)
    assert _values(r, list(rr.columns)) == _values(rr, list(rr.columns))
    assert r["reason"].tolist().count("unknown document") == 1 and r["placed"].sum() >= 38
    n = pd.concat([qd.n_words_partition(f, opts) for f in frames])
    assert n.to_dict() == ref.tokens().n_words.to_dict()
    for df, columns in ((k, qd._KWIC_COLUMNS), (a, qd._CODING_COLUMNS), (r, qd._ALIGN_COLUMNS)):
        assert {c: str(df.dtypes[c]) for c in columns} == {c: str(pd.Series([], dtype=t).dtype) for c, t in columns.items()}


def test_partials_combine_to_single_process_results(pdpilot: Any) -> None:
    _, frames, ref, opts = pdpilot
    coding = ref.autocode(PD_CODEBOOK)

    def whole(fn: Any, *args: Any, **kw: Any) -> Any:
        return qd.finish(qd.combine([fn(f, *args, **kw) for f in frames]))

    for kw in ({"by": "group"}, {"by": "doc_id", "count": "units"}, {"by": None, "level": 1},
               {"by": "group", "proportions": True, "totals": False}):
        m, mr = whole(qd.code_matrix_partition, PD_CODEBOOK, opts, **kw), qc.code_matrix(coding, **kw)
        pd.testing.assert_frame_equal(m, mr)
        assert m.attrs == mr.attrs
    for kw in ({"unit": "sentence"}, {"unit": "turn", "measure": "lift", "by": "group"},
               {"unit": "window", "window": 4, "ordered": True, "tidy": True}, {"unit": "overlap", "sparse": True},
               {"unit": "turn", "window": 2, "level": 1}, {"unit": "case", "measure": "cosine"}):
        _same_cooc(whole(qd.cooccurrence_partition, PD_CODEBOOK, opts, **kw), qc.cooccurrence(coding, **kw))
    tokens = ref.tokens()
    for kw in ({}, {"by": "turn"}, {"by": "speaker"}, {"by": "group", "ngrams": (1, 2), "min_df": 2, "max_features": 50},
               {"stop_words": "english", "max_df": 0.5}):
        _same_dfm(whole(qd.dfm_partition, opts, **kw), tokens.dfm(**kw))
    for kw in ({}, {"context": "document", "count": "boolean", "max_features": 100},
               {"context": "window", "window": 3, "count": "weighted", "tri": True}):
        _same_fcm(whole(qd.fcm_partition, opts, **kw), tokens.fcm(**kw))
    pd.testing.assert_series_equal(whole(qd.word_counts_partition, opts), tokens.counts())
    # given codings (rows of autocode / placed rows of align) instead of auto-coding
    parts = [qd.code_matrix_partition(f, PD_CODEBOOK, opts, codings=qd.autocode_partition(f, PD_CODEBOOK, opts), by="group")
             for f in frames]
    pd.testing.assert_frame_equal(qd.finish(qd.combine(parts)), qc.code_matrix(coding, by="group"))


def test_code_matrix_segments_equal_single_process(pdpilot: Any) -> None:
    _, frames, ref, opts = pdpilot
    parts = [qd.code_matrix_partition(f, PD_CODEBOOK, opts, by=None, count="segments") for f in frames]
    pd.testing.assert_frame_equal(qd.finish(qd.combine(parts)),
                                  qc.code_matrix(ref.autocode(PD_CODEBOOK), by=None, count="segments"))


def test_combine_refuses_a_split_document_and_mixed_parts(pdpilot: Any) -> None:
    turns, _, _, opts = pdpilot
    p1 = turns[turns["doc_id"] == "P1"]
    half = len(p1) // 2
    parts = [qd.code_matrix_partition(p1.iloc[:half], PD_CODEBOOK, opts), qd.code_matrix_partition(p1.iloc[half:], PD_CODEBOOK, opts)]
    with pytest.raises(DuplicateIdError, match=r"\['P1'\]"):
        qd.combine(parts)
    with pytest.raises(ArgumentError, match="cannot combine"):
        qd.combine([parts[0], qd.dfm_partition(p1, opts)])
    with pytest.raises(ArgumentError, match="cannot combine"):
        qd.combine([parts[0], qd.code_matrix_partition(p1, PD_CODEBOOK, opts, by=None)])


def test_empty_partition_gives_empty_results_of_the_right_types(pdpilot: Any) -> None:
    turns, frames, ref, opts = pdpilot
    empty = turns.iloc[:0].astype({"doc_id": qd.STRING, "speaker": qd.STRING, "text": qd.STRING, "group": qd.STRING})
    assert len(qd.kwic_partition(empty, "data", opts)) == 0
    assert list(qd.autocode_partition(empty, PD_CODEBOOK, opts).columns) == list(ref.autocode(PD_CODEBOOK).frame.columns)
    parts = [qd.code_matrix_partition(empty, PD_CODEBOOK, opts)] + [qd.code_matrix_partition(f, PD_CODEBOOK, opts) for f in frames]
    pd.testing.assert_frame_equal(qd.finish(qd.combine(parts)), qc.code_matrix(ref.autocode(PD_CODEBOOK)))
    parts = [qd.dfm_partition(f, opts, by="group") for f in [empty, *frames]]
    _same_dfm(qd.finish(qd.combine(parts)), ref.tokens().dfm(by="group"))
    kw = {"unit": "turn", "by": "group", "measure": "lift"}
    parts = [qd.cooccurrence_partition(f, PD_CODEBOOK, opts, **kw) for f in [*frames, empty]]
    _same_cooc(qd.finish(qd.combine(parts)), qc.cooccurrence(ref.autocode(PD_CODEBOOK), **kw))


def test_shared_objects_are_built_once_per_process() -> None:
    corpus = qc.datasets.load_pdpilot()
    for obj in (PD_CODEBOOK, corpus):
        s = qd.shared(obj)
        blob = pickle.dumps(s)
        assert len(blob) < s.nbytes + 500  # the pickled object, once, and its key
        qd.clear_cache()
        first, second = pickle.loads(blob), pickle.loads(blob)
        assert first.get() is second.get()
        assert qd.cache_info()[:2] == (1, 1)
    assert pickle.loads(pickle.dumps(PD_CODEBOOK)) == PD_CODEBOOK
    assert pickle.loads(pickle.dumps(corpus)).texts == corpus.texts
    # a per-partition function given the shipped codebook twice rebuilds it once
    f = corpus.turns[["doc_id", "speaker", "text"]]
    shipped = pickle.dumps(qd.shared(PD_CODEBOOK))
    qd.clear_cache()
    for _ in range(2):
        qd.autocode_partition(f, pickle.loads(shipped), qd.ReadOptions(speaker="speaker"))
    assert qd.cache_info()[:2] == (1, 1)
    assert qd.shared(PD_CODEBOOK).key == qd.shared(qc.Codebook.from_dict(PD_CODEBOOK.to_dict())).key


def test_threads_env_is_set_during_a_task_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(qc.THREADS_ENV, raising=False)
    with qd._threads_env(1):
        assert os.environ[qc.THREADS_ENV] == "1"
        with qd._threads_env(1):
            pass
        assert os.environ[qc.THREADS_ENV] == "1"
    assert qc.THREADS_ENV not in os.environ
    monkeypatch.setenv(qc.THREADS_ENV, "3")
    with qd._threads_env(1):
        assert os.environ[qc.THREADS_ENV] == "1"
    assert os.environ[qc.THREADS_ENV] == "3"
    with pytest.raises(ArgumentError), qd._threads_env(0):
        pass


# =========================================================================== graphs, synchronous scheduler


@pytest.fixture()
def sync() -> Any:
    with dask.config.set(scheduler="sync"):
        yield


def test_from_frame_partitions_documents_whole(sync: Any, pdpilot: Any) -> None:
    turns, _, _, _ = pdpilot
    ddf = dd.from_pandas(turns, npartitions=5, sort=False)  # row chunks: documents cut at the chunk edges

    def owners(frame: Any) -> pd.Series:
        return frame.map_partitions(lambda p: pd.Series(p["doc_id"].unique(), dtype=object), meta=(None, object)).compute()

    assert not owners(ddf).is_unique
    dc = qd.from_frame(ddf, speaker="speaker", attributes=["group"])
    assert dc.npartitions == 5 and owners(dc.frame).is_unique and set(owners(dc.frame)) == set(turns["doc_id"])
    got = dc.compute()
    want = qc.Corpus.from_frame(turns, speaker="speaker", attributes=["group"])
    assert {d.doc_id: d.text for d in got} == {d.doc_id: d.text for d in want}
    # rows that are documents, and a doc_id index with known divisions: not shuffled
    docs = pd.DataFrame({"doc_id": want.doc_ids, "text": want.texts})
    assert qd.from_frame(dd.from_pandas(docs, npartitions=3)).frame.npartitions == 3
    indexed = dd.from_pandas(turns.set_index("doc_id"), npartitions=3)
    assert indexed.known_divisions and qd.from_frame(indexed, speaker="speaker").frame is indexed
    assert qd.from_frame(ddf, speaker="speaker", partitioned=True).frame is ddf
    with pytest.raises(ArgumentError, match="no column 'who'"):
        qd.from_frame(ddf, speaker="who")


def test_graph_results_and_meta_with_the_synchronous_scheduler(sync: Any, pdpilot: Any) -> None:
    turns, _, ref, opts = pdpilot
    dc = qd.from_frame(turns, speaker="speaker", attributes=["group"], interviewer=["Dan"], npartitions=4)
    assert dc.options == opts
    order = dc.compute().doc_ids
    k = qd.kwic(dc, "plot*", window=2)
    a = qd.autocode(dc, PD_CODEBOOK)
    r = qd.align(dc, ref.autocode(PD_CODEBOOK).frame[["doc_id", "code", "text"]].head(30), codebook=PD_CODEBOOK)
    for lazy in (k, a, r):
        assert lazy.npartitions == dc.npartitions
        computed = lazy.compute()
        pd.testing.assert_series_equal(computed.dtypes, lazy.dtypes)
    assert sorted(_values(k.compute(), ["doc_id", "start", "match"])) == sorted(_values(ref.kwic("plot*", window=2), ["doc_id", "start", "match"]))
    assert r.compute()["placed"].all()
    # a reduction is a tree of combine tasks, split_every at a time
    lazy = qd.code_matrix(dc, PD_CODEBOOK, by="group", split_every=2, compute=False)
    names = [key[0] if isinstance(key, tuple) else key for key in dict(lazy.__dask_graph__())]
    assert sum(str(n).startswith("combine-") for n in names) == 3  # 4 partitions: 2 + 1
    pd.testing.assert_frame_equal(lazy.compute(), qc.code_matrix(ref.autocode(PD_CODEBOOK), by="group"))
    # the codings of autocode (or align) can be counted instead of auto-coding again
    pd.testing.assert_frame_equal(qd.code_matrix(dc, PD_CODEBOOK, a, by="group"), qc.code_matrix(ref.autocode(PD_CODEBOOK), by="group"))
    m = qd.code_matrix(dc, PD_CODEBOOK, by="doc_id")
    assert list(m.columns) == [*order, "all"]
    # argument errors surface when the graph is built, not when it runs
    with pytest.raises(ArgumentError, match="no attribute 'nope'"):
        qd.code_matrix(dc, PD_CODEBOOK, by="nope", compute=False)
    with pytest.raises(qc.errors.PatternError):
        qd.kwic(dc, "[unclosed", valuetype="regex")
    with pytest.raises(ArgumentError, match="partitions"):
        qd.code_matrix(dc, PD_CODEBOOK, a.repartition(npartitions=2))
    with pytest.raises(ArgumentError, match="split_every"):
        qd.word_counts(dc, split_every=1)


# =========================================================================== local cluster, AMI


@pytest.fixture(scope="module")
def client() -> Any:
    distributed = pytest.importorskip("distributed")
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                           silence_logs=logging.ERROR)
    except Exception as err:  # pragma: no cover - depends on the machine
        pytest.skip(f"a local Dask cluster (2 worker processes) could not start here: {type(err).__name__}: {err}")
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def ami(client: Any) -> tuple[qd.DaskCorpus, qc.Corpus]:
    """The 137 AMI meetings read by qc.read_transcripts (with a 'series' attribute: ES, IS, TS),
    and the same turns as a dask frame indexed by doc_id, in 5 partitions held by the workers."""
    if not AMI.is_dir():
        pytest.skip(f"the AMI meetings are not at {AMI} (shared test data)")
    corpus = qc.read_transcripts(AMI, format="json")
    series = pd.DataFrame({"doc_id": corpus.doc_ids, "series": [d[:2] for d in corpus.doc_ids]})
    corpus = corpus.with_attributes(series)
    turns = corpus.turns[["doc_id", "speaker", "text", "series"]]
    ddf = dd.from_pandas(turns.set_index("doc_id"), npartitions=5)
    dc = qd.from_frame(ddf, speaker="speaker", attributes=["series"]).persist()
    return dc, corpus


def test_cluster_frames_equal_single_process(ami: Any, client: Any) -> None:
    dc, corpus = ami
    k = qd.kwic(dc, ["remote control", "button*", "euro*"], window=4).compute()
    kr = corpus.kwic(["remote control", "button*", "euro*"], window=4)
    assert len(k) > 1000 and _values(k, list(kr.columns)) == _values(kr, list(kr.columns))
    client.run(qd.clear_cache)
    a = qd.autocode(dc, CODEBOOK, unit="turn").compute()
    # the codebook went to each worker once and was reused by the worker's later partitions
    info = client.run(qd.cache_info)
    assert all(i.misses <= 1 for i in info.values()), info
    assert sum(i.hits + i.misses for i in info.values()) == dc.npartitions, info
    coding = corpus.autocode(CODEBOOK, unit="turn")
    ar = coding.frame
    assert len(a) > 10000 and _values(a, list(ar.columns)) == _values(ar, list(ar.columns))
    extracts = corpus.autocode(CODEBOOK).frame.sample(500, random_state=0)[["doc_id", "code", "text"]]
    extracts = extracts.reset_index(drop=True)
    extracts.loc[7, "doc_id"] = "XX9999z"
    r = qd.align(dc, extracts, codebook=CODEBOOK).compute().sort_values("row")
    _, rr = corpus.align(extracts, codebook=CODEBOOK)
    assert _values(r, list(rr.columns)) == _values(rr, list(rr.columns))
    n = qd.n_words(dc).compute()
    assert n.to_dict() == corpus.tokens().n_words.to_dict()
    assert set(client.run(lambda: os.environ.get(qc.THREADS_ENV)).values()) == {None}


def test_cluster_reductions_equal_single_process(ami: Any, client: Any) -> None:
    dc, corpus = ami
    coding = corpus.autocode(CODEBOOK)
    for kw in ({"by": "series"}, {"by": "doc_id", "count": "units"}, {"by": None, "level": 1, "proportions": True}):
        m, mr = qd.code_matrix(dc, CODEBOOK, **kw), qc.code_matrix(coding, **kw)
        pd.testing.assert_frame_equal(m, mr)
        assert m.attrs == mr.attrs
    placed = qd.align(dc, coding.frame.head(2000)[["doc_id", "code", "text"]], codebook=CODEBOOK)
    aligned, _ = corpus.align(coding.frame.head(2000)[["doc_id", "code", "text"]], codebook=CODEBOOK)
    pd.testing.assert_frame_equal(qd.code_matrix(dc, CODEBOOK, placed, by="series"), qc.code_matrix(aligned, by="series"))
    for kw in ({"unit": "sentence", "measure": "jaccard"}, {"unit": "turn", "by": "series", "measure": "pmi"},
               {"unit": "window", "window": 5, "tidy": True}, {"unit": "overlap", "sparse": True},
               {"unit": "document", "level": 1}):
        _same_cooc(qd.cooccurrence(dc, CODEBOOK, **kw), qc.cooccurrence(coding, **kw))
    tokens = corpus.tokens()
    for kw in ({}, {"by": "speaker", "ngrams": 2, "min_df": 2}, {"by": "series", "stop_words": "english", "max_features": 2000}):
        _same_dfm(qd.dfm(dc, **kw), tokens.dfm(**kw))
    for kw in ({"context": "window", "window": 3, "max_features": 3000}, {"context": "turn", "stop_words": "english"}):
        _same_fcm(qd.fcm(dc, **kw), tokens.fcm(**kw))
    pd.testing.assert_series_equal(qd.word_counts(dc), tokens.counts())


def test_cluster_shuffled_turns_give_the_same_counts(ami: Any, client: Any) -> None:
    """Turn rows in no particular partitioning are shuffled on doc_id (p2p on the cluster);
    results match the single-process ones up to document order."""
    _, corpus = ami
    turns = corpus.turns[["doc_id", "speaker", "text", "series"]]
    shuffled = qd.from_frame(dd.from_pandas(turns, npartitions=6, sort=False), speaker="speaker", attributes=["series"])
    coding = corpus.autocode(CODEBOOK)
    pd.testing.assert_frame_equal(qd.code_matrix(shuffled, CODEBOOK, by="series"), qc.code_matrix(coding, by="series"))
    m = qd.code_matrix(shuffled, CODEBOOK, by="doc_id")
    pd.testing.assert_frame_equal(m[corpus.doc_ids + ["all"]], qc.code_matrix(coding, by="doc_id"))
    a = qd.autocode(shuffled, CODEBOOK).compute().sort_values(["doc_id", "start", "end", "code"])
    ar = coding.frame.sort_values(["doc_id", "start", "end", "code"])
    assert _values(a, ["doc_id", "start", "end", "code", "speaker", "turn"]) == _values(ar, ["doc_id", "start", "end", "code", "speaker", "turn"])


def test_patterns_compile_once_per_process_across_partitions():
    # the per-partition autocode goes through the content-keyed cache of compiled patterns
    from qualcore import _patterns

    frame = pd.DataFrame({"doc_id": ["A1", "B1", "C1"], "text": ["I trust it.", "No trust.", "Data."]})
    cb = qc.Codebook.from_dict({"Trust": ["trust*"], "Data": ["data"]})
    _patterns._cache.clear()
    for part in (frame.iloc[:1], frame.iloc[1:2], frame.iloc[2:]):
        qd.autocode_partition(part, cb, qd.ReadOptions())
    assert len(_patterns._cache) == 1
