"""Large inputs and repeated calls: a 500 MB document, memory that does not grow."""

from __future__ import annotations

import gc
import resource

import pytest

import qualcore as qc


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def test_a_500_mb_single_document() -> None:
    unit = "Participant: I trust the evidence, but not the data. Ólafur said 李 agreed. 👍🏽\n"
    block = unit * 999 + "Dan: What about the evidence base?\n"
    m = 500_000_000 // len(block.encode()) + 1
    text = block * m
    assert len(text.encode()) >= 500_000_000
    corpus = qc.Corpus.from_texts([text], doc_ids=["big"])
    kwic = corpus.kwic(["evidence base"], window=2)
    assert len(kwic) == m
    last = kwic.iloc[-1]
    assert text[last.start : last.end] == "evidence base" == last.match
    assert (last.pre, last.post) == ("about the", "?")
    assert last.start == len(text) - len(" base?\n") - len("evidence")
    n_tokens = corpus.tokens().n_tokens["big"]
    # Participant : I trust the evidence , but not the data . Ólafur said 李 agreed . 👍🏽 -> 18
    # Dan : What about the evidence base ? -> 8
    assert n_tokens == (18 * 999 + 8) * m


def test_repeated_calls_do_not_leak() -> None:
    corpus = qc.datasets.load_pdpilot()

    def work() -> None:
        corpus.kwic(["trust*", "partial dependence"], window=5)
        corpus.tokens().to_frame()
        corpus.turns

    for _ in range(5):
        work()
    gc.collect()
    before = _rss_mb()
    for _ in range(60):
        work()
    gc.collect()
    grown = _rss_mb() - before
    assert grown < 20, f"RSS grew by {grown:.1f} MB over 60 repetitions"


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_results_do_not_depend_on_threads(threads: int) -> None:
    corpus = qc.datasets.load_pdpilot()
    base = corpus.kwic(["*ing", "the model"], window=3, threads=1)
    other = corpus.kwic(["*ing", "the model"], window=3, threads=threads)
    assert base.equals(other)
    t1 = corpus.tokens(threads=1)
    tn = corpus.tokens(threads=threads)
    assert list(t1.vocabulary) == list(tn.vocabulary)
    assert t1.to_frame().equals(tn.to_frame())
