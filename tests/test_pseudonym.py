"""Pseudonymisation (Corpus.pseudonymise) and writing texts (Corpus.write_texts).

Golden cases worked out by hand (mapping forms, whole-token matching, case, globs, phrases,
regexes, non-ASCII names and emoji, overlaps, speakers and their attributes, the audit table,
CR LF files), and properties against a pure-Python reference: tokenise with the corpus
tokeniser, match lowercased token sequences, keep the leftmost then longest match.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualcore as qc
from qualcore import _native
from qualcore.errors import ArgumentError, PatternError

AUDIT_COLUMNS = ["doc_id", "start", "end", "original", "replacement", "new_start", "new_end", "pattern"]


def corpus(*texts, ids=None, labels=True, **kw):
    ids = ids or [f"D{i + 1}" for i in range(len(texts))]
    return qc.Corpus.from_texts(list(texts), doc_ids=ids, speaker_labels=labels, **kw)


def text_of(c):
    assert len(c) == 1
    return c[0].text


def pseudo(text, mapping, **kw):
    """The pseudonymised text of one document without speaker labels, and the audit."""
    new, audit = corpus(text, labels=False).pseudonymise(mapping, **kw)
    return text_of(new), audit


# ---------------------------------------------------------------------------- references


def tokens(text):
    s, e = _native.tokenize(text)
    return list(zip(s.tolist(), e.tolist()))


def _glob_re(piece, ci):
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in piece)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ci else 0))


def ref_find(text, patterns, case_insensitive=True, valuetype="glob"):
    """Non-overlapping matches as (start, end, pattern index) in code points: whole tokens,
    consecutive tokens for phrases, earliest start first, then longest, then first pattern."""
    norm = (lambda s: s.lower()) if case_insensitive else (lambda s: s)
    toks = tokens(text)
    words = [norm(text[s:e]) for s, e in toks]
    compiled = []
    for p in patterns:
        pieces = []
        for part in p.split():
            if valuetype == "regex":
                pieces.append(re.compile(part, re.DOTALL | (re.IGNORECASE if case_insensitive else 0)))
            elif "*" in part or "?" in part:
                pieces.append(_glob_re(norm(part), case_insensitive))
            else:
                pieces.extend(norm(part[s:e]) for s, e in tokens(part))
        compiled.append(pieces)

    def ok(piece, word):
        return piece == word if isinstance(piece, str) else piece.fullmatch(word) is not None

    found = []
    for i in range(len(toks)):
        for pi, pieces in enumerate(compiled):
            n = len(pieces)
            if i + n <= len(toks) and all(ok(pieces[j], words[i + j]) for j in range(n)):
                found.append((i, i + n, pi))
    found.sort(key=lambda f: (f[0], -f[1], f[2]))
    out, covered = [], 0
    for i, j, pi in found:
        if i < covered:
            continue
        covered = j
        out.append((toks[i][0], toks[j - 1][1], pi))
    return out


def ref_apply(text, found, replacements):
    """The new text and (start, end, new_start, new_end, pattern index) per replacement."""
    parts, rows, prev, pos = [], [], 0, 0
    for s, e, pi in found:
        parts.append(text[prev:s])
        pos += s - prev
        r = replacements[pi]
        parts.append(r)
        rows.append((s, e, pos, pos + len(r), pi))
        pos += len(r)
        prev = e
    parts.append(text[prev:])
    return "".join(parts), rows


def apply_rows(text, lo, hi, rows):
    """text[lo:hi] with the audit rows that lie inside it applied."""
    out, prev = [], lo
    for s, e, r in rows:
        if s >= lo and e <= hi:
            out.append(text[prev:s])
            out.append(r)
            prev = e
    out.append(text[prev:hi])
    return "".join(out)


def check_audit(old, new, audit):
    """Audit rows agree with both texts, and the new text is the old one with them applied."""
    assert list(audit.columns) == AUDIT_COLUMNS
    old_texts = dict(zip(old.doc_ids, old.texts))
    new_texts = dict(zip(new.doc_ids, new.texts))
    for row in audit.itertuples(index=False):
        assert old_texts[row.doc_id][row.start:row.end] == row.original
        assert new_texts[row.doc_id][row.new_start:row.new_end] == row.replacement
    for d in old.doc_ids:
        rows = audit[audit["doc_id"] == d]
        assert rows["start"].is_monotonic_increasing
        assert (rows["start"].to_numpy()[1:] >= rows["end"].to_numpy()[:-1]).all()
        triples = list(zip(rows["start"], rows["end"], rows["replacement"]))
        assert apply_rows(old_texts[d], 0, len(old_texts[d]), triples) == new_texts[d]


def check_turns(old, new, audit):
    """Each new turn (and label) is the old one with the audit's replacements applied; speakers
    follow the replacements of their labels; times are kept."""
    ot, nt = old.turns, new.turns
    assert len(ot) == len(nt)
    assert ot["doc_id"].tolist() == nt["doc_id"].tolist()
    assert ot["turn"].tolist() == nt["turn"].tolist()
    old_texts = dict(zip(old.doc_ids, old.texts))
    new_texts = dict(zip(new.doc_ids, new.texts))
    by_doc = {d: list(zip(g["start"], g["end"], g["replacement"])) for d, g in audit.groupby("doc_id")}
    for o, n in zip(ot.itertuples(index=False), nt.itertuples(index=False)):
        rows = by_doc.get(o.doc_id, [])
        # no replacement straddles a turn's or label's edge in these texts
        for s, e, _ in rows:
            for lo, hi in ((o.start, o.end), (o.label_start, o.label_end)):
                if lo >= 0:
                    assert e <= lo or s >= hi or (lo <= s and e <= hi)
        assert n.text == apply_rows(old_texts[o.doc_id], o.start, o.end, rows)
        assert new_texts[n.doc_id][n.start:n.end] == n.text
        if o.label_start >= 0:
            old_label = old_texts[o.doc_id][o.label_start:o.label_end]
            new_label = new_texts[n.doc_id][n.label_start:n.label_end]
            assert new_label == apply_rows(old_texts[o.doc_id], o.label_start, o.label_end, rows)
            # "Sarah:" with speaker "Sarah" -> "[PERSON 1]:" with speaker "[PERSON 1]"
            assert old_label.startswith(o.speaker) and new_label.startswith(n.speaker)
            assert old_label[len(o.speaker):] == new_label[len(n.speaker):]
    for col in ("time_start", "time_end"):
        np.testing.assert_array_equal(ot[col].to_numpy(), nt[col].to_numpy())


# ---------------------------------------------------------------------------- mapping forms

DOC = "Sarah: I saw Dr Jones at St Mary's.\nDan: And Sarah's GP? Sally and Jonesy came from Leeds.\n"


def test_pattern_to_replacement_dict():
    c = corpus(DOC, interviewer=["Dan"])
    new, audit = c.pseudonymise({"Sarah*": "Anne", "Dr Jones": "the doctor", "Leeds": "[CITY]"})
    assert text_of(new) == ("Anne: I saw the doctor at St Mary's.\nDan: And Anne GP? Sally and Jonesy came "
                            "from [CITY].\n")
    assert audit[["original", "replacement", "pattern"]].values.tolist() == [
        ["Sarah", "Anne", "Sarah*"],
        ["Dr Jones", "the doctor", "Dr Jones"],
        ["Sarah's", "Anne", "Sarah*"],
        ["Leeds", "[CITY]", "Leeds"],
    ]
    assert new.speakers == ["Anne", "Dan"]
    check_audit(c, new, audit)
    check_turns(c, new, audit)


def test_category_to_entities_with_spellings():
    c = corpus(DOC, interviewer=["Dan"])
    mapping = {"PERSON": [["Sarah", "Sarah's", "Sally"], ["Dr Jones", "Jonesy"]], "PLACE": ["St Mary's", ["Leeds"]]}
    new, audit = c.pseudonymise(mapping)
    assert text_of(new) == ("[PERSON 1]: I saw [PERSON 2] at [PLACE 1].\nDan: And [PERSON 1] GP? [PERSON 1] and "
                            "[PERSON 2] came from [PLACE 2].\n")
    assert audit[["original", "replacement", "pattern"]].values.tolist() == [
        ["Sarah", "[PERSON 1]", "Sarah"],
        ["Dr Jones", "[PERSON 2]", "Dr Jones"],
        ["St Mary's", "[PLACE 1]", "St Mary's"],
        ["Sarah's", "[PERSON 1]", "Sarah's"],
        ["Sally", "[PERSON 1]", "Sally"],
        ["Jonesy", "[PERSON 2]", "Jonesy"],
        ["Leeds", "[PLACE 2]", "Leeds"],
    ]
    assert new.speakers == ["[PERSON 1]", "Dan"]
    check_audit(c, new, audit)
    check_turns(c, new, audit)


def test_plain_list_numbered_as_category():
    c = corpus(DOC)
    new, audit = c.pseudonymise(["Leeds", ("Sarah", "Sarah's")], category="SITE")
    assert text_of(new) == ("[SITE 2]: I saw Dr Jones at St Mary's.\nDan: And [SITE 2] GP? Sally and Jonesy came "
                            "from [SITE 1].\n")
    assert audit["replacement"].tolist() == ["[SITE 2]", "[SITE 2]", "[SITE 1]"]
    # default category
    new2, _ = c.pseudonymise(["Leeds"])
    assert text_of(new2).endswith("came from [PERSON 1].\n")


def test_one_dict_can_mix_both_forms():
    new, audit = pseudo("Sarah lives in Leeds near York.", {"Sarah": "Anne", "PLACE": ["York", "Leeds"]})
    assert new == "Anne lives in [PLACE 2] near [PLACE 1]."
    assert audit["pattern"].tolist() == ["Sarah", "Leeds", "York"]


def test_numbering_is_stable_mapping_order_not_text_order():
    mapping = {"PERSON": ["Sarah", "Jones", ["Ólafur", "Oli"]]}
    a, _ = pseudo("Oli met Jones. Jones met Sarah.", mapping)
    b, _ = pseudo("Sarah met Ólafur.", mapping)
    assert a == "[PERSON 3] met [PERSON 2]. [PERSON 2] met [PERSON 1]."
    assert b == "[PERSON 1] met [PERSON 3]."
    # a second call, and a corpus of both texts, number the same way
    c = corpus("Oli met Jones. Jones met Sarah.", "Sarah met Ólafur.", labels=False)
    new, _ = c.pseudonymise(mapping)
    assert new.texts == [a, b]
    assert c.pseudonymise(mapping)[0].texts == new.texts


@pytest.mark.parametrize(
    "mapping, words",
    [
        (5, ["dict or a list", "int"]),
        ("Sarah", ["dict or a list", "str"]),
        (None, ["dict or a list", "NoneType"]),
        ({}, ["nothing to replace"]),
        ([], ["nothing to replace"]),
        ({"": "x"}, ["keys", "''"]),
        ({3: "x"}, ["keys", "3"]),
        ({"Sarah": 3}, ["'Sarah'", "int"]),
        ({"Sarah": None}, ["'Sarah'", "NoneType"]),
        ({"PERSON": ["Sarah", ""]}, ["PERSON item 2", "''"]),
        ({"PERSON": ["Sarah", []]}, ["PERSON item 2", "[]"]),
        ({"PERSON": [["Sarah", 7]]}, ["PERSON item 1", "7"]),
        ({"PERSON": [["Sarah", "  "]]}, ["PERSON item 1", "'  '"]),
        (["Sarah", None], ["item 2", "None"]),
        (["Sarah", "Jones", " "], ["item 3", "' '"]),
        ([["Sarah", 1.5]], ["item 1", "1.5"]),
    ],
)
def test_bad_mappings_name_the_item(mapping, words):
    c = corpus("Sarah met Jones.", labels=False)
    with pytest.raises(ArgumentError) as e:
        c.pseudonymise(mapping)
    for w in words:
        assert w in str(e.value)
    assert str(e.value).startswith("mapping")


def test_bad_patterns_and_valuetype():
    c = corpus("Sarah met Jones.", labels=False)
    with pytest.raises(PatternError, match=r"Sa\*rah-x\*"):
        c.pseudonymise(["Sarah", "Sa*rah-x*"])
    with pytest.raises(PatternError, match=r"unclosed group"):
        c.pseudonymise(["Sar(ah"], valuetype="regex")
    with pytest.raises(ArgumentError, match="valuetype"):
        c.pseudonymise(["Sarah"], valuetype="words")


# ---------------------------------------------------------------------------- matching


def test_whole_words_only():
    text = "Jones, Jonesy and Jones's dog; Sarah, Sarahs, SarahJones, Sarah's and Sarah."
    new, audit = pseudo(text, {"Jones": "J", "Sarah": "S"})
    assert new == "J, Jonesy and Jones's dog; S, Sarahs, SarahJones, Sarah's and S."
    assert audit["original"].tolist() == ["Jones", "Sarah", "Sarah"]
    assert audit["start"].tolist() == [0, 31, 70]
    # a hyphen separates tokens: a double-barrelled name is replaced part by part
    assert pseudo("Mrs Jones-Smith", {"Jones": "J"})[0] == "Mrs J-Smith"


def test_case_insensitive_by_default_case_sensitive_when_asked():
    text = "Sarah, SARAH, sarah, Siân, SIÂN, siân, Ólafur, ÓLAFUR"
    mapping = {"Sarah": "[A]", "Siân": "[B]", "ólafur": "[C]"}
    assert pseudo(text, mapping)[0] == "[A], [A], [A], [B], [B], [B], [C], [C]"
    new, audit = pseudo(text, mapping, case_insensitive=False)
    assert new == "[A], SARAH, sarah, [B], SIÂN, siân, Ólafur, ÓLAFUR"
    assert audit["original"].tolist() == ["Sarah", "Siân"]
    # case-sensitive globs too
    assert pseudo(text, {"SAR*": "[A]"}, case_insensitive=False)[0].startswith("Sarah, [A], sarah,")


def test_globs_for_inflections():
    text = "Sarah, Sarahs, Sarah's, SARAHS, Sara and Sar."
    assert pseudo(text, {"Sarah*": "S"})[0] == "S, S, S, S, Sara and Sar."
    assert pseudo(text, {"Sar?h": "S"})[0] == "S, Sarahs, Sarah's, SARAHS, Sara and Sar."
    assert pseudo("Johnson, Jameson and Sonia", {"*son": "X"})[0] == "X, X and Sonia"
    # with valuetype="fixed" a star is literal and matches nothing here
    assert pseudo(text, {"Sarah*": "S"}, valuetype="fixed")[0] == text


def test_phrases():
    text = "St Mary's, st mary's, St  Mary's, St Marys, Mary's, Saint Mary's; Dr Jonesy, Dr Jones."
    new, audit = pseudo(text, {"St Mary's": "[H]", "Dr Jones": "[D]"})
    assert new == "[H], [H], [H], St Marys, Mary's, Saint Mary's; Dr Jonesy, [D]."
    assert audit["original"].tolist() == ["St Mary's", "st mary's", "St  Mary's", "Dr Jones"]
    # phrases with a glob piece
    assert pseudo("Dr Sarah's notes", {"dr sarah*": "[D]"})[0] == "[D] notes"


def test_regex_valuetype():
    text = "Sarah, Sara, sara, Sarahs, Dr Jone and Dr Jones."
    new, audit = pseudo(text, {r"Sar(ah|a)": "S", r"dr jones?": "D"}, valuetype="regex")
    assert new == "S, S, S, Sarahs, D and D."
    assert audit["pattern"].tolist() == ["Sar(ah|a)"] * 3 + ["dr jones?"] * 2
    # anchored to whole tokens
    assert pseudo("Sarahs", {"Sarah": "S"}, valuetype="regex")[0] == "Sarahs"
    new, _ = pseudo(text, {r"Sar(ah|a)": "S"}, valuetype="regex", case_insensitive=False)
    assert new == "S, S, sara, Sarahs, Dr Jone and Dr Jones."


def test_non_ascii_names_and_emoji_offsets_are_code_points():
    text = "😀😀 Siân met Ólafur and 李, 👍🏽Siân.\n🙂李: hi"
    c = corpus(text, labels=False)
    new, audit = c.pseudonymise({"PERSON": ["Siân", "Ólafur", "李"]})
    assert text_of(new) == "😀😀 [PERSON 1] met [PERSON 2] and [PERSON 3], 👍🏽[PERSON 1].\n🙂[PERSON 3]: hi"
    assert audit["start"].tolist() == [3, 12, 23, 28, 35]
    assert audit["end"].tolist() == [7, 18, 24, 32, 36]
    assert audit["original"].tolist() == ["Siân", "Ólafur", "李", "Siân", "李"]
    assert audit["new_start"].tolist() == [3, 18, 33, 47, 60]
    check_audit(c, new, audit)
    # replacements with emoji and non-ASCII: new offsets count code points too
    new, audit = c.pseudonymise({"Siân": "🦊 Ré", "李": "王"})
    assert text_of(new) == "😀😀 🦊 Ré met Ólafur and 王, 👍🏽🦊 Ré.\n🙂王: hi"
    assert audit["new_start"].tolist() == [3, 23, 28, 35]
    assert audit["new_end"].tolist() == [7, 24, 32, 36]
    check_audit(c, new, audit)


def test_overlaps_earliest_start_then_longest():
    # candidates: "Dr Sarah" at 0-2, "Sarah Jones" at 1-3, "Jones Smith" at 2-4 (tokens)
    mapping = {"Sarah Jones": "[SJ]", "Dr Sarah": "[DS]", "Jones Smith": "[JS]"}
    new, audit = pseudo("Dr Sarah Jones Smith", mapping)
    assert new == "[DS] [JS]"
    assert audit["pattern"].tolist() == ["Dr Sarah", "Jones Smith"]
    # at one start the longest wins, whatever the order of the mapping
    for mapping in ({"Sarah": "1", "Sarah Jones": "2", "Sarah Jones Smith": "3"},
                    {"Sarah Jones Smith": "3", "Sarah": "1", "Sarah Jones": "2"}):
        assert pseudo("Sarah Jones Smith said", mapping)[0] == "3 said"
        assert pseudo("Sarah Jones said", mapping)[0] == "2 said"
    # a glob and a word matching the same token: same length, the first pattern wins
    assert pseudo("Sarah", {"sarah": "A", "Sar*": "B"})[0] == "A"
    assert pseudo("Sarah", {"Sar*": "B", "sarah": "A"})[0] == "B"
    # one pass: replacements are not replaced again
    assert pseudo("Sarah Jones", {"Sarah": "Jones", "Jones": "Smith"})[0] == "Jones Smith"


def test_empty_replacement_and_nothing_found():
    new, audit = pseudo("Sarah met Jones.", {"Sarah": ""})
    assert new == " met Jones."
    assert audit[["start", "end", "new_start", "new_end"]].values.tolist() == [[0, 5, 0, 0]]
    c = corpus("Nobody here.", "Or here.", labels=False)
    new, audit = c.pseudonymise(["Sarah"])
    assert new.texts == c.texts
    assert list(audit.columns) == AUDIT_COLUMNS and len(audit) == 0


# ---------------------------------------------------------------------------- speakers


def test_labels_speakers_interviewers_and_speaker_attributes_follow():
    text = ("Sarah: Hello Dan.\nDan: Hi Sarah, how is Leeds?\nSARAH: Fine.\nSiân Jones: I am Siân.\n"
            "Dan: Thanks.\n")
    c = corpus(text, ids=["A1"], interviewer=["Dan"])
    c = c.with_attributes(pd.DataFrame({"doc_id": ["A1"], "site": ["Leeds"]}))
    roles = pd.DataFrame({"speaker": ["Sarah", "Dan", "SARAH", "Siân Jones"],
                          "role": ["nurse", "researcher", "manager", "doctor"]})
    c = c.with_attributes(roles, level="speaker")
    assert c.speakers == ["Sarah", "Dan", "SARAH", "Siân Jones"]
    new, audit = c.pseudonymise({"PERSON": ["Sarah", "Dan", "Siân"], "PLACE": ["Leeds"]})
    assert text_of(new) == ("[PERSON 1]: Hello [PERSON 2].\n[PERSON 2]: Hi [PERSON 1], how is [PLACE 1]?\n"
                            "[PERSON 1]: Fine.\n[PERSON 3] Jones: I am [PERSON 3].\n[PERSON 2]: Thanks.\n")
    # "Sarah" and "SARAH" become one speaker; "Siân Jones" keeps the part not in the mapping
    assert new.speakers == ["[PERSON 1]", "[PERSON 2]", "[PERSON 3] Jones"]
    assert new.interviewers == frozenset({"[PERSON 2]"})
    t = new.turns
    assert t["speaker"].tolist() == ["[PERSON 1]", "[PERSON 2]", "[PERSON 1]", "[PERSON 3] Jones", "[PERSON 2]"]
    assert t["interviewer"].tolist() == [False, True, False, False, True]
    # speaker attributes follow their speakers (the first of merged speakers is kept)
    assert new.speaker_attributes["role"].to_dict() == {"[PERSON 1]": "nurse", "[PERSON 2]": "researcher",
                                                         "[PERSON 3] Jones": "doctor"}
    assert t["role"].tolist() == ["nurse", "researcher", "nurse", "doctor", "researcher"]
    # document attributes are kept as they are (they are not pseudonymised)
    assert new.attributes["site"].tolist() == ["Leeds"]
    assert t["site"].tolist() == ["Leeds"] * 5
    labels = [text_of(new)[a:b] for a, b in zip(t["label_start"], t["label_end"])]
    assert labels == ["[PERSON 1]:", "[PERSON 2]:", "[PERSON 1]:", "[PERSON 3] Jones:", "[PERSON 2]:"]
    check_audit(c, new, audit)
    check_turns(c, new, audit)


def test_speakers_without_labels_in_the_text_and_times_kept():
    df = pd.DataFrame({"doc_id": ["m1", "m1", "m1", "m2"], "speaker": ["Sarah", "Dan", "Sarah", "Ólafur"],
                       "text": ["Hi Dan.", "Hello Sarah.", "Bye.", "Hæ."], "t0": [1.0, 2.5, 4.0, 0.5],
                       "t1": [2.0, 3.5, 5.0, np.nan], "site": ["Leeds", "Leeds", "Leeds", "York"]})
    c = qc.Corpus.from_frame(df, speaker="speaker", time_start="t0", time_end="t1", attributes=["site"],
                             interviewer=["Dan"])
    new, audit = c.pseudonymise({"PERSON": ["Sarah", "Dan", "Ólafur"], "PLACE": ["Leeds"]})
    t = new.turns
    assert t["speaker"].tolist() == ["[PERSON 1]", "[PERSON 2]", "[PERSON 1]", "[PERSON 3]"]
    assert t["text"].tolist() == ["Hi [PERSON 2].", "Hello [PERSON 1].", "Bye.", "Hæ."]
    assert t["interviewer"].tolist() == [False, True, False, False]
    np.testing.assert_array_equal(t["time_start"], [1.0, 2.5, 4.0, 0.5])
    np.testing.assert_array_equal(t["time_end"], [2.0, 3.5, 5.0, np.nan])
    assert t["site"].tolist() == ["Leeds", "Leeds", "Leeds", "York"]
    check_audit(c, new, audit)
    check_turns(c, new, audit)


def test_speaker_restriction_follows():
    c = corpus("Sarah: One.\nDan: Two Sarah.\nJones: Three.\n", interviewer=["Dan"])
    r = c.filter(speakers=["Sarah", "Jones"])
    new, _ = r.pseudonymise({"Sarah": "[S]"})
    assert new.speaker_restriction == ["[S]", "Jones"]
    assert new.turns["text"].tolist() == ["One.", "Three."]
    assert new.participants().speaker_restriction == ["[S]", "Jones"]


def test_vtt_turn_times_kept(tmp_path):
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Sarah Jones>Hello, I am Sarah.\n\n"
           "00:00:03.000 --> 00:00:04.000\n<v Dan>Hi Sarah Jones.\n")
    (tmp_path / "m.vtt").write_text(vtt, encoding="utf-8")
    c = qc.read_transcripts(tmp_path / "m.vtt")
    new, audit = c.pseudonymise({"PERSON": [["Sarah Jones", "Sarah"], "Dan"]})
    t = new.turns
    assert t["speaker"].tolist() == ["[PERSON 1]", "[PERSON 2]"]
    assert t["text"].tolist() == ["Hello, I am [PERSON 1].", "Hi [PERSON 1]."]
    assert t["time_start"].tolist() == [1.0, 3.0] and t["time_end"].tolist() == [2.5, 4.0]
    assert "Sarah" not in text_of(new) and "Dan" not in text_of(new)
    check_audit(c, new, audit)
    check_turns(c, new, audit)


# ---------------------------------------------------------------------------- audit and turns


def test_audit_one_row_per_replacement_with_doc_ids():
    texts = ["Sarah: Sarah and sarah.\nDan: Jones?\n", "No names.", "Dan: Jones, Jones; Sarah's.\n"]
    c = corpus(*texts, ids=["P1", "P2", "P3"], interviewer=["Dan"])
    new, audit = c.pseudonymise({"PERSON": ["Sarah", "Jones"]}, threads=2)
    assert audit["doc_id"].tolist() == ["P1"] * 4 + ["P3"] * 2
    assert audit["original"].tolist() == ["Sarah", "Sarah", "sarah", "Jones", "Jones", "Jones"]
    assert audit["start"].tolist() == [0, 7, 17, 29, 5, 12]
    assert audit["end"].tolist() == [5, 12, 22, 34, 10, 17]
    assert audit["new_start"].tolist() == [0, 12, 27, 44, 5, 17]
    assert audit["new_end"].tolist() == [10, 22, 37, 54, 15, 27]
    assert audit["replacement"].tolist() == ["[PERSON 1]"] * 3 + ["[PERSON 2]"] * 3
    for col in ("start", "end", "new_start", "new_end"):
        assert audit[col].dtype == np.int64
    assert new.texts[1] == "No names."
    check_audit(c, new, audit)
    check_turns(c, new, audit)
    # the same in one thread
    new1, audit1 = c.pseudonymise({"PERSON": ["Sarah", "Jones"]}, threads=1)
    assert new1.texts == new.texts
    pd.testing.assert_frame_equal(audit1, audit)


def test_original_corpus_and_files_unchanged(tmp_path):
    files = {"A1.txt": b"Sarah: Hi Dan.\r\nDan: Hi Sarah.\r\n", "B1.txt": b"Dan: Jones?\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    c = qc.read_transcripts(tmp_path, interviewer=["Dan"])
    c = c.with_attributes(pd.DataFrame({"speaker": ["Sarah", "Dan"], "role": ["nurse", "researcher"]}),
                          level="speaker")
    before = (c.texts, c.turns.copy(), c.speakers, c.interviewers, c.speaker_attributes, c.documents.copy())
    new, _ = c.pseudonymise({"PERSON": ["Sarah", "Dan", "Jones"]})
    assert "Sarah" not in "".join(new.texts)
    assert c.texts == before[0]
    pd.testing.assert_frame_equal(c.turns, before[1])
    assert c.speakers == before[2] and c.interviewers == before[3]
    pd.testing.assert_frame_equal(c.speaker_attributes, before[4])
    pd.testing.assert_frame_equal(c.documents, before[5])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data
        assert (tmp_path / name).stat().st_mtime_ns == stamps[name]


def test_crlf_documents_from_files(tmp_path):
    raw = "Dan: Hello Siân.\r\nSiân: Hi 😀 Ólafur.\r\n\r\nDan: Thanks Siân.\r\nBye.\r\n"
    (tmp_path / "A1.txt").write_bytes(raw.encode())
    c = qc.read_transcripts(tmp_path, interviewer=["Dan"])
    assert c.documents["line_ends"].tolist() == ["CRLF"]
    new, audit = c.pseudonymise({"PERSON": ["Siân", "Ólafur"]})
    assert new.documents["line_ends"].tolist() == ["CRLF"]
    assert text_of(new) == "Dan: Hello [PERSON 1].\n[PERSON 1]: Hi 😀 [PERSON 2].\n\nDan: Thanks [PERSON 1].\nBye.\n"
    old_text, new_text = text_of(c), text_of(new)
    first = int(audit["start"].min())
    assert first == old_text.index("Siân")
    xs = np.arange(first + 1)
    np.testing.assert_array_equal(new.original_offsets("A1", xs), c.original_offsets("A1", xs))
    # every offset outside the replaced spans keeps its count of CR LF before it
    spans = list(zip(audit["start"], audit["end"], audit["new_start"], audit["new_end"]))
    old_x, new_x = [], []
    for x in range(len(old_text) + 1):
        if any(s < x < e for s, e, _, _ in spans):
            continue
        before = [(e, ne) for s, e, _, ne in spans if e <= x]
        old_x.append(x)
        new_x.append(x + (before[-1][1] - before[-1][0]) if before else x)
    old_x, new_x = np.array(old_x), np.array(new_x)
    kept = [i for i, x in enumerate(old_x[:-1]) if not any(s <= x < e for s, e, _, _ in spans)]
    assert len(kept) == len(old_text) - sum(e - s for s, e, _, _ in spans)
    assert [new_text[new_x[i]] for i in kept] == [old_text[old_x[i]] for i in kept]
    np.testing.assert_array_equal(new.original_offsets("A1", new_x) - new_x, c.original_offsets("A1", old_x) - old_x)
    # the end of the text maps to the end of the file
    assert new.original_offsets("A1", [len(new_text)]).tolist() == [len(new_text) + 5]
    check_turns(c, new, audit)


# ---------------------------------------------------------------------------- write_texts


def test_write_texts_exact_utf8_without_bom(tmp_path):
    texts = ["Sarah: Siân 😀 李.\nDan: ok\n", "line one\r\nline two\r\n", ""]
    c = corpus(*texts, ids=["A1", "B1", "C1"])
    out = tmp_path / "new" / "deep"
    paths = c.write_texts(out)
    assert paths == [out / "A1.txt", out / "B1.txt", out / "C1.txt"]
    for p, t in zip(paths, texts):
        data = p.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        assert data == t.encode("utf-8")
    assert sorted(os.listdir(out)) == ["A1.txt", "B1.txt", "C1.txt"]  # no temporary files left
    md = c.write_texts(tmp_path / "md", suffix=".md")
    assert [p.name for p in md] == ["A1.md", "B1.md", "C1.md"]


def test_write_texts_refuses_to_overwrite(tmp_path):
    c = corpus("Sarah: hi\n", "Dan: ho\n", ids=["A1", "B1"])
    (tmp_path / "B1.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError) as e:
        c.write_texts(tmp_path)
    assert str(tmp_path / "B1.txt") in str(e.value) and "overwrite=True" in str(e.value)
    assert "A1.txt" not in str(e.value)
    # nothing was written
    assert (tmp_path / "B1.txt").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "A1.txt").exists()
    c.write_texts(tmp_path, overwrite=True)
    assert (tmp_path / "B1.txt").read_text(encoding="utf-8") == "Dan: ho\n"
    assert (tmp_path / "A1.txt").read_text(encoding="utf-8") == "Sarah: hi\n"


@pytest.mark.parametrize("doc_id", ["../evil", "a/b", "..", ".hidden", "", "x\\y", "nul\0byte"])
def test_write_texts_refuses_ids_that_are_not_file_names(tmp_path, doc_id):
    c = corpus("hi", ids=[doc_id], labels=False)
    out = tmp_path / "out"
    with pytest.raises(ArgumentError, match="not plain file names"):
        c.write_texts(out)
    assert sorted(p.name for p in tmp_path.rglob("*")) == []


def test_write_texts_round_trips_with_read_transcripts(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "A1.txt").write_bytes(b"Sarah: Hi Dan, I'm from Leeds.\r\nDan: Hello Sarah.\r\n")
    (src / "B1.txt").write_text("Ólafur: Siân said 李 was there.\nDan: And Ólafur?\n", encoding="utf-8")
    c = qc.read_transcripts(src, interviewer=["Dan"])
    new, _ = c.pseudonymise({"PERSON": ["Sarah", "Dan", "Ólafur", "Siân", "李"], "PLACE": ["Leeds"]})
    new.write_texts(tmp_path / "out")
    back = qc.read_transcripts(tmp_path / "out")
    assert back.doc_ids == new.doc_ids and back.texts == new.texts
    assert back.turns["text"].tolist() == new.turns["text"].tolist() == [
        "Hi [PERSON 2], I'm from [PLACE 1].", "Hello [PERSON 1].", "[PERSON 4] said [PERSON 5] was there.",
        "And [PERSON 3]?"]
    for name in ("Sarah", "Dan", "Ólafur", "Siân", "李", "Leeds"):
        assert name not in "".join(back.texts)
        assert not any(name in s for s in back.speakers)


# ---------------------------------------------------------------------------- segments


def test_phrase_across_a_turn_boundary_is_not_a_match():
    # a match stays inside one label, one turn's content or one stretch outside turns
    c = corpus("Ann: I saw Sarah\nJones: she was fine.\n")
    new, audit = c.pseudonymise({"Sarah Jones": "[P]"})
    assert audit.empty and text_of(new) == text_of(c)
    t = new.turns
    assert (t["start"].to_numpy()[1:] >= t["end"].to_numpy()[:-1]).all()
    assert (t["label_end"].to_numpy() <= t["start"].to_numpy()).all()
    # inside one turn the same phrase is replaced
    new, audit = corpus("Ann: I saw Sarah Jones.\n").pseudonymise({"Sarah Jones": "[P]"})
    assert audit["original"].tolist() == ["Sarah Jones"]


def test_phrase_across_a_label_start_is_not_a_match():
    c = corpus("Interview with Sarah\nJones: hi there\nDan: ok")
    new, audit = c.pseudonymise({"Sarah Jones": "[P]", "dan : ok": "[Q]"})
    assert audit.empty
    t = new.turns
    labels = [text_of(new)[a:b] for a, b in zip(t["label_start"], t["label_end"])]
    assert labels == [f"{s}:" for s in t["speaker"]] == ["Jones:", "Dan:"]


# ---------------------------------------------------------------------------- properties

POOL = ["Sarah", "Sarah's", "Sarahs", "Jones", "Jonesy", "Dr", "St", "Mary's", "Siân", "Ólafur", "李", "the",
        "and", "nurse", "Dan", "Leeds"]
SEPS = [" ", " ", " ", ", ", ". ", "\r\n", "\n", "\n\n", " 😀", "😀", "👍🏽 ", "-", " (", ") ", "", "? "]
REPLACEMENTS = ["[P 1]", "Anon", "", "匿名", "🦊x", "[PLACE 2]"]

words = st.builds(lambda w, case: [w, w.upper(), w.lower()][case], st.sampled_from(POOL), st.integers(0, 2))
texts = st.builds(lambda ws, ss: "".join(w + s for w, s in zip(ws, ss)),
                  st.lists(words, max_size=30), st.lists(st.sampled_from(SEPS), min_size=30, max_size=30))
alpha = [w for w in POOL if w.isalpha() and w != "李"]  # "李*" is rejected: an ideograph is a token of its own
patterns = st.one_of(
    words,
    st.builds(lambda a, b: f"{a} {b}", words, words),
    st.builds(lambda a, b, c: f"{a} {b} {c}", words, words, words),
    st.builds(lambda w, k: w[:k] + "*", st.sampled_from(alpha), st.integers(1, 4)),
    st.builds(lambda w, k: "*" + w[-k:], st.sampled_from(alpha), st.integers(1, 3)),
    st.builds(lambda w, k: w[:k] + "?" + w[k + 1:], st.sampled_from([w for w in alpha if len(w) > 2]),
              st.integers(0, 2)),
)
mappings = st.lists(st.tuples(patterns, st.sampled_from(REPLACEMENTS)), min_size=1, max_size=5)


@st.composite
def docs_and_mappings(draw):
    """Texts, and patterns of which many are runs of 1-3 words of the texts (so that matches
    start at one token with several lengths, and overlap), the others from the pool."""
    docs = draw(st.lists(st.tuples(st.lists(words, max_size=30),
                                   st.lists(st.sampled_from(SEPS), min_size=30, max_size=30)),
                         min_size=1, max_size=3))
    seen = [w for ws, _ in docs for w in ws]
    pairs = draw(mappings)
    if seen:
        for _ in range(draw(st.integers(0, 4))):
            i = draw(st.integers(0, len(seen) - 1))
            n = draw(st.integers(1, 3))
            run = [draw(st.sampled_from([w, w.upper(), w.lower()])) for w in seen[i:i + n]]
            pairs.insert(draw(st.integers(0, len(pairs))), (" ".join(run), draw(st.sampled_from(REPLACEMENTS))))
            if len(run) > 1 and draw(st.booleans()):  # a shorter pattern at the same start
                k = draw(st.integers(1, len(run) - 1))
                pairs.insert(draw(st.integers(0, len(pairs))), (" ".join(run[:k]), draw(st.sampled_from(REPLACEMENTS))))
    texts = ["".join(w + s for w, s in zip(ws, ss)) for ws, ss in docs]
    return texts, pairs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs_and_mappings(), st.booleans())
def test_matches_the_reference(docs_pairs, ci):
    docs, pairs = docs_pairs
    mapping = dict(pairs)
    pats, reps = list(mapping), list(mapping.values())
    c = corpus(*docs, labels=False)
    new, audit = c.pseudonymise(mapping, case_insensitive=ci)
    rows = []
    for d, text in zip(c.doc_ids, docs):
        found = ref_find(text, pats, case_insensitive=ci)
        ref_text, ref_rows = ref_apply(text, found, reps)
        assert new[d].text == ref_text
        rows += [[d, s, e, text[s:e], reps[p], ns, ne, pats[p]] for s, e, ns, ne, p in ref_rows]
    assert audit.values.tolist() == rows
    check_audit(c, new, audit)


speaker_names = st.sampled_from(["Sarah", "Dan", "Siân", "Jones", "Dr Jones", "Ólafur", "李", "Interviewer 1"])
lines = st.builds(lambda name, body: f"{name}: {body}", speaker_names, texts.map(lambda t: t.replace("\n", " ")))
transcripts = st.builds(lambda ls, crlf: ("\r\n" if crlf else "\n").join(ls), st.lists(lines, min_size=1, max_size=6),
                        st.booleans())
single_token_patterns = st.one_of(
    words,
    st.builds(lambda w, k: w[:k] + "*", st.sampled_from(alpha), st.integers(1, 4)),
)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(transcripts, min_size=1, max_size=3),
       st.lists(st.tuples(single_token_patterns, st.sampled_from(REPLACEMENTS[:2] + ["[PERSON 3]"])), min_size=1,
                max_size=4))
def test_turns_labels_and_speakers_follow_the_reference(docs, pairs):
    mapping = dict(pairs)
    pats, reps = list(mapping), list(mapping.values())
    c = corpus(*docs, interviewer=["Dan"])
    new, audit = c.pseudonymise(mapping)
    for d, text in zip(c.doc_ids, docs):
        assert new[d].text == ref_apply(text, ref_find(text, pats), reps)[0]
    check_audit(c, new, audit)
    check_turns(c, new, audit)

    def rename(name):
        return ref_apply(name, ref_find(name, pats), reps)[0]

    assert new.turns["speaker"].tolist() == [rename(s) for s in c.turns["speaker"]]
    assert new.interviewers == {rename(s) for s in c.interviewers}
    assert new.turns["interviewer"].tolist() == [rename(s) in new.interviewers for s in c.turns["speaker"]]


def test_write_texts_refuses_ids_that_clash_on_case_insensitive_file_systems(tmp_path):
    c = qc.Corpus.from_texts(["a", "b"], doc_ids=["A1", "a1"])
    with pytest.raises(qc.errors.ArgumentError, match="case-insensitive"):
        c.write_texts(tmp_path)
    assert not list(tmp_path.iterdir())
