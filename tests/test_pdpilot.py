"""The real PDPilot interviews: counts documented in /work/shared/data/pdpilot/SOURCE.md.

Two copies are tested: the shared data folder (skipped when absent) and the copy bundled with
the package (``qc.datasets.load_pdpilot()``), which must hold the same files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import qualcore as qc
from qualcore.datasets import load_pdpilot, pdpilot_path

SHARED = Path("/work/shared/data/pdpilot/transcripts")

# SOURCE.md, table "Transcripts": turns, Dan:, Participant:, other, bytes per document
TABLE = {
    "P1": (94, 47, 47, 0, 16_436),
    "P2": (165, 81, 84, 0, 26_326),
    "P3": (121, 61, 60, 0, 22_172),
    "P4": (109, 54, 55, 0, 27_040),
    "P5": (134, 67, 66, 1, 22_322),
    "P6": (99, 50, 49, 0, 20_141),
    "P7": (104, 52, 52, 0, 29_872),
}
IDS = list(TABLE)


def _shared_corpus() -> qc.Corpus:
    if not SHARED.is_dir():
        pytest.skip(f"the PDPilot data folder {SHARED} is absent on this machine")
    return qc.read_transcripts(SHARED, interviewer=["Dan"])


@pytest.fixture(scope="module", params=["shared", "bundled"])
def pd_corpus(request) -> qc.Corpus:
    if request.param == "shared":
        return _shared_corpus()
    return load_pdpilot()


@pytest.fixture(scope="module", params=["shared", "bundled"])
def folder(request) -> Path:
    if request.param == "shared":
        if not SHARED.is_dir():
            pytest.skip(f"the PDPilot data folder {SHARED} is absent on this machine")
        return SHARED
    return pdpilot_path()


def test_bundled_copy_is_identical_to_the_source():
    if not SHARED.is_dir():
        pytest.skip(f"the PDPilot data folder {SHARED} is absent on this machine")
    for doc in IDS:
        assert (pdpilot_path() / f"{doc}.txt").read_bytes() == (SHARED / f"{doc}.txt").read_bytes(), doc
    assert (pdpilot_path() / "LICENSE").is_file()


def test_file_sizes_match_source_md(folder):
    sizes = {doc: (folder / f"{doc}.txt").stat().st_size for doc in IDS}
    assert sizes == {doc: row[4] for doc, row in TABLE.items()}
    assert sum(sizes.values()) == 164_309


def test_documents_and_turn_counts(pd_corpus):
    c = pd_corpus
    assert c.doc_ids == IDS
    assert c.interviewers == frozenset({"Dan"})
    t = c.turns
    assert len(t) == 826
    assert t.groupby("doc_id", sort=False).size().to_dict() == {d: r[0] for d, r in TABLE.items()}
    assert c.documents["n_turns"].tolist() == [r[0] for r in TABLE.values()]
    by = t.groupby(["doc_id", "speaker"]).size()
    for doc, (_, dan, part, other, _) in TABLE.items():
        assert by.get((doc, "Dan"), 0) == dan, doc
        assert by.get((doc, "Participant"), 0) == part, doc
        assert by.get((doc, "Particpant"), 0) == other, doc
    assert t["speaker"].value_counts().to_dict() == {"Participant": 413, "Dan": 412, "Particpant": 1}
    assert c.speakers == ["Dan", "Participant", "Particpant"]
    assert t["interviewer"].sum() == 412
    assert (t["interviewer"] == (t["speaker"] == "Dan")).all()


def test_typo_label_in_p5(pd_corpus):
    t = pd_corpus.turns
    typo = t[t["speaker"] == "Particpant"]
    # SOURCE.md: P5 paragraph 100 (paragraph 1 is the removed title) -> turn 99 -> index 98
    assert typo[["doc_id", "turn", "text"]].values.tolist() == [["P5", 98, "Right."]]
    merged = pd_corpus.rename_speakers({"Particpant": "Participant"})
    assert merged.speakers == ["Dan", "Participant"]
    assert merged.turns["speaker"].value_counts().to_dict() == {"Participant": 414, "Dan": 412}
    assert pd_corpus.participants().speaker_restriction == ["Participant", "Particpant"]
    assert merged.participants().speaker_restriction == ["Participant"]


def test_consecutive_turns_of_one_speaker_stay_separate(pd_corpus):
    t = pd_corpus.turns
    p1 = t[t["doc_id"] == "P1"].set_index("turn")
    # SOURCE.md: P1 paragraphs 37-38 are both "Participant:" -> turns 35 and 36
    assert p1.loc[35, "speaker"] == p1.loc[36, "speaker"] == "Participant"


def test_turns_equal_the_paragraphs_of_the_files(pd_corpus, folder):
    """Independent parse: one turn per paragraph, paragraphs separated by one blank line."""
    t = pd_corpus.turns
    texts = dict(zip(pd_corpus.doc_ids, pd_corpus.texts))
    for doc in IDS:
        raw = (folder / f"{doc}.txt").read_text(encoding="utf-8")
        assert texts[doc] == raw
        paras = raw.rstrip("\n").split("\n\n")
        rows = t[t["doc_id"] == doc]
        assert len(paras) == len(rows) == TABLE[doc][0]
        labels = [p.split(":", 1)[0] for p in paras]
        bodies = [p.split(":", 1)[1].strip() for p in paras]
        assert rows["speaker"].tolist() == labels
        assert rows["text"].tolist() == bodies
        for r in rows.itertuples():
            assert raw[r.start:r.end] == r.text
            assert raw[r.label_start:r.label_end] == r.speaker + ":"


def test_characters_and_curly_apostrophes(pd_corpus):
    # P1 holds the 6 curly apostrophes (3 bytes each in UTF-8): 16,436 - 6 * 2 code points
    assert pd_corpus.documents["n_chars"].tolist() == [16_424] + [r[4] for r in list(TABLE.values())[1:]]
    k = pd_corpus.kwic("*’*")
    assert len(k) == 6 and set(k["doc_id"]) == {"P1"}
    assert all("’" in m and " " not in m for m in k["match"])
    assert "mover’s" in set(k["match"])


def test_word_tokens_against_a_simple_reference(pd_corpus):
    """qualcore's word tokens vs a regex reference: not the same definition, so only close."""
    n_words = pd_corpus.tokens().n_words
    ref_re = re.compile(r"\w+(?:['’.]\w+)*")
    for doc, text in zip(pd_corpus.doc_ids, pd_corpus.texts):
        labels = len(re.findall(r"^\w+:", text, flags=re.M))
        ref = len(ref_re.findall(text)) - labels  # labels are not tokens
        assert abs(n_words[doc] - ref) <= 0.01 * ref, (doc, n_words[doc], ref)
    total = int(n_words.sum())
    # SOURCE.md counts 29,961 whitespace-separated words, labels included (826 labels)
    assert abs(total - (29_961 - 826)) <= 0.03 * 29_961


def test_token_sets_of_a_few_turns(pd_corpus):
    """Tokens of real turns, worked out by hand."""
    tf = pd_corpus.tokens().to_frame()
    t = pd_corpus.turns

    def toks(doc, turn):
        rows = tf[(tf["doc_id"] == doc) & (tf["turn"] == turn)]
        return rows["token"].astype(str).tolist()

    p1 = t[t["doc_id"] == "P1"]
    assert p1["text"].iloc[0].startswith("Okay. So now you can stop sharing your screen")
    assert toks("P1", 1) == ["Okay", "."]
    assert toks("P1", 2) == [
        "Okay", ".", "Okay", ".", "So", "my", "first", "question", "is", "if", "you", "currently",
        "use", "ICE", "plots", "in", "your", "work", "?",
    ]
    assert toks("P1", 3) == [
        "Ah", ",", "yeah", ".", "Not", "all", "the", "time", ",", "so", "it's", "not", "the", "main",
        "thing", "we", "do", ",", "but", "in", "our", "initial", "data", "explorations", ",", "we",
        "tend", "to", "use", "ICE", "plots", ".",
    ]
    assert toks("P5", 98) == ["Right", "."]
    # a turn's tokens all lie inside the turn
    texts = dict(zip(pd_corpus.doc_ids, pd_corpus.texts))
    p1turns = p1.set_index("turn")
    for r in tf[tf["doc_id"] == "P1"].itertuples():
        assert texts["P1"][r.start:r.end] == r.token
        assert p1turns.loc[r.turn, "start"] <= r.start < r.end <= p1turns.loc[r.turn, "end"]


def _token_bounds(tf: pd.DataFrame) -> dict:
    """(doc) -> (starts, ends, turn) lists by position."""
    out = {}
    for doc, g in tf.groupby("doc_id", sort=False, observed=True):
        g = g.sort_values("position")
        assert g["position"].tolist() == list(range(len(g)))
        out[doc] = (g["start"].tolist(), g["end"].tolist(), g["turn"].tolist())
    return out


def test_kwic_unintelligible(pd_corpus):
    window = 3
    k = pd_corpus.kwic("unintelligible", window=window)
    assert len(k) == 40  # SOURCE.md: "(unintelligible)" occurs 40 times
    texts = dict(zip(pd_corpus.doc_ids, pd_corpus.texts))
    assert k.groupby("doc_id").size().to_dict() == {
        doc: texts[doc].count("(unintelligible)") for doc in IDS if "(unintelligible)" in texts[doc]
    }
    bounds = _token_bounds(pd_corpus.tokens().to_frame())
    turns = pd_corpus.turns.set_index(["doc_id", "turn"])
    for r in k.itertuples():
        text = texts[r.doc_id]
        assert text[r.start:r.end] == r.match == "unintelligible"
        assert text[r.start - 1] == "(" and text[r.end] == ")"
        assert r.pre.endswith("(") and r.post.startswith(")")
        assert r.token_end == r.token_start + 1
        starts, ends, tturn = bounds[r.doc_id]
        assert (starts[r.token_start], ends[r.token_end - 1]) == (r.start, r.end)
        # the context stays in the turn: window tokens, fewer at the turn's edges
        same = [i for i in range(len(tturn)) if tturn[i] == r.turn]
        lo, hi = same[0], same[-1] + 1
        first = max(lo, r.token_start - window)
        last = min(hi, r.token_end + window)
        assert r.pre == text[starts[first]:ends[r.token_start - 1]]
        assert r.post == text[starts[r.token_end]:ends[last - 1]]
        tr = turns.loc[(r.doc_id, r.turn)]
        assert tr["start"] <= r.start and r.end <= tr["end"]
        assert r.speaker == tr["speaker"]
    assert k.iloc[0][["pre", "match", "post"]].tolist() == ["color squares (", "unintelligible", ") so we"]


def test_kwic_patterns_are_tokenised_like_the_text(pd_corpus):
    # "(unintelligible)" is a three-token phrase "(" "unintelligible" ")"
    k = pd_corpus.kwic("(unintelligible)", window=0)
    assert len(k) == 40
    assert set(k["match"]) == {"(unintelligible)"}
    assert (k["token_end"] - k["token_start"] == 3).all()
    # "(??)" once: as fixed text it is the phrase ( ? ? ); as a glob "?" is a wildcard inside
    # one token, and a glob piece that the tokeniser would cut into "(", "??", ")" is an error
    # that says how to write it, not a silent empty result
    assert len(pd_corpus.kwic("(??)", valuetype="fixed")) == 1
    with pytest.raises(qc.errors.PatternError, match=r'spans several tokens .*write "\( \?\? \)"'):
        pd_corpus.kwic("(??)")
    assert len(pd_corpus.kwic("( ?? )")) == 0  # "??" as a glob is a two-character word


def test_kwic_redactions(pd_corpus):
    texts = dict(zip(pd_corpus.doc_ids, pd_corpus.texts))
    assert sum(len(re.findall("X{2,}", t)) for t in texts.values()) == 466  # SOURCE.md
    k = pd_corpus.kwic("X{2,}", valuetype="regex", case_insensitive=False, window=0)
    # anchored to whole tokens: one run, in P4, is glued to a letter ("XXXt") and is no match
    assert len(k) == 465
    assert all(set(m) == {"X"} for m in k["match"])
    assert len(pd_corpus.kwic("X{2,}[a-z]", valuetype="regex", case_insensitive=False)) == 1


def test_participants_kwic_excludes_interviewer(pd_corpus):
    p = pd_corpus.participants()
    k_all = pd_corpus.kwic("interpret*", window=2)
    k_p = p.kwic("interpret*", window=2)
    assert set(k_p["speaker"]) <= {"Participant", "Particpant"}
    assert len(k_p) == (k_all["speaker"] != "Dan").sum()
    assert "Dan" not in set(p.tokens().to_frame()["speaker"].dropna())
