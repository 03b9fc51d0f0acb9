"""Codebooks: every documented input shape, tree navigation, round trips, dictionary formats
(LIWC, WordStat, quanteda YAML), the PDPilot code system, and error reporting.

Expected values are worked out by hand from the small inputs written in each test.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcore import Code, Codebook
from qualcore.errors import CodebookError, DictionaryError, QualcoreError

PDPILOT = Path("/work/shared/data/pdpilot")

# The thematic-analysis codebook of DESIGN.md, as a nested dict of patterns.
STUDY = {
    "Power": {
        "Professional value": None,
        "Institutions": ["institution*", "royal college"],
    },
    "Trust": {
        "Credibility": ["credib*", "believ*"],
        "Evidence base": "evidence",
        "Conflict of interest": ["conflict* of interest", "coi"],
    },
}


def as_patterns(cb: Codebook) -> dict[str, list[str]]:
    """path -> patterns, in codebook order."""
    return {c.path: list(c.patterns) for c in cb}


def _pdpilot() -> Path:
    if not PDPILOT.is_dir():
        pytest.skip(f"the PDPilot data folder {PDPILOT} is absent on this machine")
    return PDPILOT


# --------------------------------------------------------------------------- from_dict shapes


def test_from_dict_lists_strings_and_none():
    cb = Codebook.from_dict(STUDY)
    assert cb.paths == [
        "Power", "Power > Professional value", "Power > Institutions",
        "Trust", "Trust > Credibility", "Trust > Evidence base", "Trust > Conflict of interest",
    ]
    assert len(cb) == 7
    assert as_patterns(cb) == {
        "Power": [],
        "Power > Professional value": [],
        "Power > Institutions": ["institution*", "royal college"],
        "Trust": [],
        "Trust > Credibility": ["credib*", "believ*"],
        "Trust > Evidence base": ["evidence"],  # a str is one pattern
        "Trust > Conflict of interest": ["conflict* of interest", "coi"],
    }
    assert all(c.description == "" and c.colour is None for c in cb)
    assert cb.patterns() == [
        ("institution*", "Power > Institutions"), ("royal college", "Power > Institutions"),
        ("credib*", "Trust > Credibility"), ("believ*", "Trust > Credibility"),
        ("evidence", "Trust > Evidence base"),
        ("conflict* of interest", "Trust > Conflict of interest"), ("coi", "Trust > Conflict of interest"),
    ]
    # a top-level code with patterns and no children
    flat = Codebook.from_dict({"Trust": ["trust*"], "Power": None})
    assert flat.paths == ["Trust", "Power"]
    assert flat["Trust"].patterns == ("trust*",) and flat["Power"].patterns == ()


def test_from_dict_node_dicts():
    cb = Codebook.from_dict({
        "Trust": {
            "description": "Who is believed, and why",
            "colour": "#336699",
            "patterns": ["trust*"],
            "children": {
                "Credibility": {"memo": "the source is believable", "color": "#F00", "patterns": "credib*"},
                "Evidence base": ["evidence", "data"],
                "Conflict of interest": {"description": "money", "children": {"Pharma": ["pharma*"]}},
            },
        },
        "Power": {"children": {"Institutions": None}},
    })
    assert cb.paths == [
        "Trust", "Trust > Credibility", "Trust > Evidence base", "Trust > Conflict of interest",
        "Trust > Conflict of interest > Pharma", "Power", "Power > Institutions",
    ]
    assert cb["Trust"] == Code("Trust", "Who is believed, and why", "#336699", ("trust*",))
    # memo/color are accepted as synonyms of description/colour; a str pattern is one pattern
    assert cb["Credibility"] == Code("Trust > Credibility", "the source is believable", "#F00", ("credib*",))
    assert cb["Evidence base"].patterns == ("evidence", "data")
    assert cb["Conflict of interest"].description == "money"
    assert cb["Pharma"].patterns == ("pharma*",)
    assert cb["Power"] == Code("Power") and cb["Institutions"] == Code("Power > Institutions")


def test_from_dict_maxqda_named_nodes():
    tree = {
        "name": "Code System",
        "frequency": 12,
        "children": [
            {"name": "Trust", "memo": "who is believed", "frequency": 0, "children": [
                {"name": "Credibility", "memo": "", "frequency": 5, "children": []},
                {"name": "Evidence base", "memo": "data, trials", "frequency": 3, "children": [
                    {"name": "Trials", "memo": "", "frequency": 1, "children": []},
                ]},
            ]},
            {"name": "Anonymize", "memo": "", "frequency": 3, "children": []},
        ],
    }
    cb = Codebook.from_dict(tree)
    # the root is a container, not a code
    assert cb.paths == ["Trust", "Trust > Credibility", "Trust > Evidence base", "Trust > Evidence base > Trials", "Anonymize"]
    assert cb["Trust"].description == "who is believed"
    assert cb["Evidence base"].description == "data, trials"
    assert cb["Credibility"].description == ""
    assert all(c.patterns == () and c.colour is None for c in cb)
    assert cb.depth == 3


def test_missing_parents_are_added():
    cb = Codebook([Code("Trust > Evidence base > Trials", patterns=("trial*",)), Code("Power > Institutions")])
    assert cb.paths == [
        "Trust", "Trust > Evidence base", "Trust > Evidence base > Trials", "Power", "Power > Institutions",
    ]
    assert cb["Trust"] == Code("Trust") and cb["Trust > Evidence base"] == Code("Trust > Evidence base")
    assert cb["Trials"].patterns == ("trial*",)
    # a parent listed after its child keeps its own details
    cb2 = Codebook([Code("T > C"), Code("T", "the theme")])
    assert cb2.paths == ["T", "T > C"]
    assert cb2["T"].description == "the theme"
    # the same from a frame of paths
    cb3 = Codebook.from_frame(pd.DataFrame({"path": ["A > B > C", "A > D"]}))
    assert cb3.paths == ["A", "A > B", "A > B > C", "A > D"]


def test_depth_first_order_children_in_first_appearance_order():
    codes = [Code("B > y"), Code("A > x"), Code("B"), Code("A > w"), Code("B > y > deep"), Code("A"), Code("C"), Code("B > z")]
    cb = Codebook(codes)
    assert cb.paths == ["B", "B > y", "B > y > deep", "B > z", "A", "A > x", "A > w", "C"]
    assert cb.children() == ["B", "A", "C"]


# --------------------------------------------------------------------------- navigation


@pytest.fixture
def tree() -> Codebook:
    return Codebook.from_dict({
        "Trust": {"Credibility": None, "Evidence base": {"Trials": None, "Data": None}, "Other": None},
        "Power": {"Institutions": None, "Other": None},
        "Solo": ["solo"],
    })


def test_resolve_by_path_and_unique_name(tree):
    assert tree.resolve("Trust > Evidence base > Trials") == "Trust > Evidence base > Trials"
    assert tree.resolve("Trials") == "Trust > Evidence base > Trials"
    assert tree.resolve("Evidence base") == "Trust > Evidence base"
    assert tree.resolve("Trust") == "Trust"
    assert tree["Trials"].path == "Trust > Evidence base > Trials"
    assert "Trials" in tree and "Trust > Other" in tree
    assert "Other" not in tree and "Nothing" not in tree and 3 not in tree


def test_resolve_ambiguous_name(tree):
    with pytest.raises(KeyError, match="ambiguous") as info:
        tree.resolve("Other")
    assert "Trust > Other" in str(info.value) and "Power > Other" in str(info.value)
    with pytest.raises(KeyError, match="ambiguous"):
        tree["Other"]
    # full paths work
    assert tree["Power > Other"].parent == "Power"


def test_resolve_unknown_name(tree):
    with pytest.raises(KeyError, match="Nothing"):
        tree.resolve("Nothing")
    with pytest.raises(KeyError):
        tree["Trust > Nothing"]
    with pytest.raises(KeyError):
        tree.descendants("Nothing")
    with pytest.raises(KeyError):
        tree.ancestors("Nothing")


def test_code_properties(tree):
    c = tree["Trials"]
    assert c.name == "Trials" and c.level == 3 and c.parent == "Trust > Evidence base"
    assert tree["Trust"].level == 1 and tree["Trust"].parent is None


def test_ancestor_ancestors(tree):
    t = "Trust > Evidence base > Trials"
    assert tree.ancestor(t, 1) == "Trust"
    assert tree.ancestor("Trials", 2) == "Trust > Evidence base"
    assert tree.ancestor(t, 3) == t
    assert tree.ancestor(t, 7) == t  # at or above the level: the code itself
    assert tree.ancestor("Trust", 2) == "Trust"
    with pytest.raises(ValueError):
        tree.ancestor(t, 0)
    assert tree.ancestors("Trials") == [t, "Trust > Evidence base", "Trust"]
    assert tree.ancestors("Solo") == ["Solo"]


def test_descendants_children_leaves_depth(tree):
    assert tree.descendants("Trust") == [
        "Trust > Credibility", "Trust > Evidence base", "Trust > Evidence base > Trials",
        "Trust > Evidence base > Data", "Trust > Other",
    ]
    assert tree.descendants("Evidence base") == ["Trust > Evidence base > Trials", "Trust > Evidence base > Data"]
    assert tree.descendants("Solo") == []
    assert tree.children() == ["Trust", "Power", "Solo"]
    assert tree.children(None) == ["Trust", "Power", "Solo"]
    assert tree.children("Trust") == ["Trust > Credibility", "Trust > Evidence base", "Trust > Other"]
    assert tree.children("Trials") == []
    assert tree.leaves == [
        "Trust > Credibility", "Trust > Evidence base > Trials", "Trust > Evidence base > Data",
        "Trust > Other", "Power > Institutions", "Power > Other", "Solo",
    ]
    assert tree.depth == 3
    assert Codebook([]).depth == 0 and len(Codebook([])) == 0
    assert Codebook.from_dict({"A": None}).depth == 1


def test_children_is_a_copy(tree):
    kids = tree.children("Trust")
    kids.append("junk")
    assert tree.children("Trust") == ["Trust > Credibility", "Trust > Evidence base", "Trust > Other"]


def test_to_frame(tree):
    f = Codebook.from_dict({"T": {"description": "d", "colour": "#abc", "children": {"C": ["x", "y"]}}}).to_frame()
    assert list(f.columns) == ["path", "name", "level", "parent", "description", "colour", "patterns"]
    assert f["path"].tolist() == ["T", "T > C"] and f["name"].tolist() == ["T", "C"]
    assert f["level"].tolist() == [1, 2]
    assert f["parent"].isna().tolist() == [True, False] and f.loc[1, "parent"] == "T"
    assert f["description"].tolist() == ["d", ""]
    assert f.loc[0, "colour"] == "#abc" and pd.isna(f.loc[1, "colour"])
    assert f["patterns"].tolist() == [[], ["x", "y"]]


# --------------------------------------------------------------------------- round trips


RICH = {
    "Trust": {
        "description": "Who is believed",
        "colour": "#336699",
        "children": {
            "Credibility": ["credib*", "believ*"],
            "Evidence base": {"description": "trials, data", "patterns": ["evidence base"]},
            "Conflict of interest": {"colour": "#c00", "children": {"Pharma": None}},
        },
    },
    "Power": {"Institutions": ["royal college"], "Social networks": None},
    "Anonymize": None,
}


def test_to_dict_shape_and_round_trip():
    cb = Codebook.from_dict(RICH)
    assert cb.to_dict() == {
        "Trust": {
            "description": "Who is believed",
            "colour": "#336699",
            "children": {
                "Credibility": ["credib*", "believ*"],
                "Evidence base": {"description": "trials, data", "patterns": ["evidence base"]},
                "Conflict of interest": {"colour": "#c00", "children": {"Pharma": None}},
            },
        },
        "Power": {"children": {"Institutions": ["royal college"], "Social networks": None}},
        "Anonymize": None,
    }
    assert Codebook.from_dict(cb.to_dict()) == cb
    assert hash(Codebook.from_dict(cb.to_dict())) == hash(cb)


def test_yaml_round_trip_string_and_file(tmp_path):
    cb = Codebook.from_dict(RICH)
    text = cb.to_yaml()
    assert text.startswith("Trust:\n  description: Who is believed\n")
    assert Codebook.read_yaml(text) == cb
    f = tmp_path / "codebook.yml"
    f.write_text(text, encoding="utf-8")
    assert Codebook.read_yaml(f) == cb
    assert Codebook.read_yaml(str(f)) == cb
    assert Codebook.read_dictionary(f) == cb


def test_json_round_trip_string_and_file(tmp_path):
    cb = Codebook.from_dict(RICH)
    text = cb.to_json()
    assert json.loads(text) == cb.to_dict()
    assert Codebook.read_json(text) == cb
    f = tmp_path / "codebook.json"
    f.write_text(text, encoding="utf-8")
    assert Codebook.read_json(f) == cb
    assert Codebook.read_json(str(f)) == cb
    assert Codebook.read_dictionary(f) == cb
    # non-ASCII kept as is
    u = Codebook.from_dict({"Confiança": {"description": "É crível", "patterns": ["crível"]}})
    assert "Confiança" in u.to_json() and Codebook.read_json(u.to_json()) == u
    assert Codebook.read_yaml(u.to_yaml()) == u


# Names: no " > " inside and no white space at either end (both are rejected or split);
# patterns: non-empty after stripping.
_NAME = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters=">"),
    min_size=1, max_size=12,
).filter(lambda s: s == s.strip() and s != "")
_PATTERN = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=10).filter(
    lambda s: s.strip() != ""
)
_COLOUR = st.one_of(st.none(), st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True), st.from_regex(r"#[0-9a-fA-F]{3}", fullmatch=True))
# (PyYAML does not round-trip control characters such as NEL U+0085: keep to printable text.)
_DESC = st.one_of(st.just(""), st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=20))


@st.composite
def random_codebooks(draw):
    codes: list[Code] = []

    def level(parent: str | None, depth: int) -> None:
        names = draw(st.lists(_NAME, min_size=1 if parent is None else 0, max_size=4, unique=True))
        for n in names:
            path = n if parent is None else f"{parent} > {n}"
            codes.append(Code(path, draw(_DESC), draw(_COLOUR), tuple(draw(st.lists(_PATTERN, max_size=3)))))
            if depth < 3:
                level(path, depth + 1)

    level(None, 1)
    return Codebook(codes)


@settings(max_examples=100, deadline=None)
@given(random_codebooks())
def test_round_trip_random_trees(cb):
    assert Codebook.from_dict(cb.to_dict()) == cb
    assert Codebook.read_json(cb.to_json()) == cb
    assert Codebook.read_yaml(cb.to_yaml()) == cb
    # the frame has what from_frame needs
    f = cb.to_frame()
    f["patterns"] = [";".join(p) for p in f["patterns"]]
    if not any(";" in p for c in cb for p in c.patterns) and all(p == p.strip() for c in cb for p in c.patterns):
        assert Codebook.from_frame(f) == cb


def test_names_that_are_node_keys_round_trip():
    # children named like node keys stay children inside a "children" dict
    cb = Codebook([Code("T", patterns=("a",)), Code("T > description"), Code("T > patterns", "d"),
                   Code("T > children"), Code("T > name"), Code("T > colour", patterns=("c",))])
    assert Codebook.from_dict(cb.to_dict()) == cb


def test_names_with_angle_brackets_keep_the_tree_consistent():
    # A name ending in " >" makes the path "A > > B": either reject it or keep a consistent tree.
    try:
        cb = Codebook.from_dict({"A >": {"B": None}})
    except CodebookError:
        return
    for c in cb:
        anc = cb.ancestors(c.path)
        assert anc[0] == c.path
        assert (anc[1] if len(anc) > 1 else None) == c.parent, (c.path, anc, c.parent)
    assert cb.children() == ["A >"], cb.paths


# --------------------------------------------------------------------------- CSV / frames / PDPilot


def test_read_csv_pdpilot_codebook():
    d = _pdpilot()
    cb = Codebook.read_csv(d / "codebook.csv")
    assert len(cb) == 91
    assert Counter(c.level for c in cb) == {1: 9, 2: 46, 3: 36}
    assert sum(1 for c in cb if c.description) == 22
    raw = pd.read_csv(d / "codebook.csv", keep_default_na=False)
    assert cb.paths == raw["path"].tolist()  # export order is already depth first
    assert [c.name for c in cb] == raw["name"].tolist()
    assert [c.level for c in cb] == raw["level"].tolist()
    assert [c.description for c in cb] == raw["memo"].tolist()
    assert cb.children() == [
        "Explainability purposes", "Explainability techniques", "PDPilot General Usage",
        "PDPilot Techniques Usage", "PDPilot improvements", "Study limitations",
        "Benefits of PDPilot", "Interaction", "Anonymize",
    ]
    # 14 codes with children (all frequency 0), 77 leaves
    assert len(cb.leaves) == 77
    freq = dict(zip(raw["path"], raw["frequency"]))
    assert {p for p in cb.paths if p not in cb.leaves} == {p for p, f in freq.items() if f == 0}
    assert cb["Anonymize"].level == 1 and "Anonymize" in cb.leaves
    # equal to the nested JSON of the same code system
    assert Codebook.read_json(d / "codebook.json") == cb
    assert Codebook.read_dictionary(d / "codebook.json") == cb


def test_from_frame_columns_and_patterns():
    df = pd.DataFrame({
        "path": ["Trust", "Trust > Credibility", "Trust > Evidence base"],
        "description": ["theme", "", "data"],
        "color": ["#123456", "", None],
        "patterns": [None, "credib*; believ* ;", "evidence"],
    })
    cb = Codebook.from_frame(df)
    assert list(cb) == [
        Code("Trust", "theme", "#123456", ()),
        Code("Trust > Credibility", "", None, ("credib*", "believ*")),
        Code("Trust > Evidence base", "data", None, ("evidence",)),
    ]
    # list-valued patterns and explicit column names
    df2 = pd.DataFrame({"code": ["A", "A > B"], "notes": ["n", "m"], "kw": [[], ["x y", "z*"]]})
    cb2 = Codebook.from_frame(df2, path="code", description="notes", patterns="kw", colour=None)
    assert list(cb2) == [Code("A", "n"), Code("A > B", "m", None, ("x y", "z*"))]
    with pytest.raises(CodebookError, match="nope"):
        Codebook.from_frame(df2, path="nope")
    with pytest.raises(CodebookError, match="nope"):
        Codebook.from_frame(df2, path="code", description="nope")


@pytest.mark.parametrize("sep", ["\\", "/", "::", " / ", " | "])
def test_from_frame_other_separators(sep):
    df = pd.DataFrame({"path": ["Trust", f"Trust{sep}Evidence base", f"Trust{sep}Evidence base{sep}Trials", f"Power{sep}Institutions"]})
    cb = Codebook.from_frame(df, separator=sep)
    assert cb.paths == [
        "Trust", "Trust > Evidence base", "Trust > Evidence base > Trials", "Power", "Power > Institutions",
    ]


def test_from_frame_separator_is_taken_as_given():
    # with separator " / ", a "/" without the spaces is part of a name
    df = pd.DataFrame({"path": ["Trust / Evidence and/or data", "Trust / Pros/cons"]})
    cb = Codebook.from_frame(df, separator=" / ")
    assert cb.paths == ["Trust", "Trust > Evidence and/or data", "Trust > Pros/cons"]


def test_read_csv_from_file_and_stream(tmp_path):
    import io

    text = "path,memo,colour,patterns\nA,,#fff,\nA > B,memo b,,b*;bb\n"
    f = tmp_path / "cb.csv"
    f.write_text(text, encoding="utf-8")
    expected = [Code("A", "", "#fff"), Code("A > B", "memo b", None, ("b*", "bb"))]
    assert list(Codebook.read_csv(f)) == expected
    assert list(Codebook.read_csv(io.StringIO(text))) == expected


# --------------------------------------------------------------------------- dictionaries

LIWC = (
    "%\n"
    "1\tposemo\n"
    "2\tnegemo\n"
    "3\tsocial\n"
    "%\n"
    "good\t1\n"
    "happ*\t1\n"
    "bad\t2\n"
    "\n"
    "friend*\t1\t3\n"
    "hate\t2\n"
    "thank you\t1\t3\n"
)

WORDSTAT = (
    "EMOTIONS\n"
    "\tPOSITIVE\n"
    "\t\tGOOD (1)\n"
    "\t\tHAPP* (1)\n"
    "\t\tWELL DONE (1)\n"
    "\tNEGATIVE\n"
    "\t\tBAD (1)\n"
    "\n"
    "\t\tHATE* ( 2 )\n"
    "TOPICS\n"
    "\tMONEY (1)\n"
    "\tBUDGET* (1)\n"
)

QUANTEDA = (
    "economy:\n"
    "  - tax*\n"
    "  - job*\n"
    "politics:\n"
    "  domestic:\n"
    "    - congress\n"
    "    - senate\n"
    "  foreign: [war, peace]\n"
    "misc: neutral\n"
)


def test_read_dictionary_liwc(tmp_path):
    f = tmp_path / "emotions.dic"
    f.write_text(LIWC, encoding="utf-8")
    cb = Codebook.read_dictionary(f)
    assert as_patterns(cb) == {
        "posemo": ["good", "happ*", "friend*", "thank you"],
        "negemo": ["bad", "hate"],
        "social": ["friend*", "thank you"],
    }
    assert Codebook.read_dictionary(str(f)) == cb
    assert Codebook.read_dictionary(LIWC, format="liwc") == cb
    assert cb.to_dict() == as_patterns(cb)


def test_read_dictionary_wordstat(tmp_path):
    f = tmp_path / "topics.cat"
    f.write_text(WORDSTAT, encoding="utf-8")
    cb = Codebook.read_dictionary(f)
    assert as_patterns(cb) == {
        "EMOTIONS": [],
        "EMOTIONS > POSITIVE": ["good", "happ*", "well done"],
        "EMOTIONS > NEGATIVE": ["bad", "hate*"],
        "TOPICS": ["money", "budget*"],
    }
    assert Codebook.read_dictionary(WORDSTAT, format="wordstat") == cb
    # spaces instead of tabs give the same tree
    spaces = WORDSTAT.replace("\t", "    ")
    assert Codebook.read_dictionary(spaces, format="wordstat") == cb


def test_read_dictionary_quanteda_yaml(tmp_path):
    for name in ("dict.yml", "dict.yaml"):
        f = tmp_path / name
        f.write_text(QUANTEDA, encoding="utf-8")
        cb = Codebook.read_dictionary(f)
        assert as_patterns(cb) == {
            "economy": ["tax*", "job*"],
            "politics": [],
            "politics > domestic": ["congress", "senate"],
            "politics > foreign": ["war", "peace"],
            "misc": ["neutral"],
        }
    assert Codebook.read_dictionary(QUANTEDA, format="quanteda") == cb
    assert Codebook.read_dictionary(QUANTEDA, format="yaml") == cb


def test_read_dictionary_format_errors(tmp_path):
    f = tmp_path / "dict.txt"
    f.write_text(QUANTEDA, encoding="utf-8")
    with pytest.raises(DictionaryError, match="format"):
        Codebook.read_dictionary(f)
    with pytest.raises(DictionaryError, match="format"):
        Codebook.read_dictionary(QUANTEDA, format="nvivo")
    assert Codebook.read_dictionary(f, format="yaml").paths[0] == "economy"


def test_liwc_unknown_category_names_file_and_line(tmp_path):
    f = tmp_path / "bad.dic"
    f.write_text("%\n1\tposemo\n2\tnegemo\n%\ngood\t1\nbad\t2\nugly\t7\n", encoding="utf-8")
    with pytest.raises(DictionaryError) as info:
        Codebook.read_dictionary(f)
    msg = str(info.value)
    assert str(f) in msg and "line 7" in msg and "'7'" in msg and "ugly" in msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, QualcoreError)


def test_liwc_other_syntax_errors(tmp_path):
    f = tmp_path / "nodelim.dic"
    f.write_text("1\tposemo\ngood\t1\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="nodelim.dic.*'%'"):
        Codebook.read_dictionary(f)
    g = tmp_path / "noid.dic"
    g.write_text("%\n1\tposemo\n%\ngood\t1\nlonely\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"noid\.dic: line 5: .*lonely"):
        Codebook.read_dictionary(g)


def test_liwc_collects_every_problem(tmp_path):
    # DESIGN.md: readers collect all problems and raise once with the list.
    f = tmp_path / "two.dic"
    f.write_text("%\n1\tposemo\n%\ngood\t1\nugly\t7\nnice\t1\nawful\t9\n", encoding="utf-8")
    with pytest.raises(DictionaryError) as info:
        Codebook.read_dictionary(f)
    probs = info.value.problems
    assert len(probs) == 2, probs
    assert "line 5" in probs[0] and "'7'" in probs[0]
    assert "line 7" in probs[1] and "'9'" in probs[1]


def test_wordstat_entry_outside_category_names_file_and_line(tmp_path):
    f = tmp_path / "bad.cat"
    f.write_text("\n\nGOOD (1)\n", encoding="utf-8")
    with pytest.raises(DictionaryError) as info:
        Codebook.read_dictionary(f)
    assert str(f) in str(info.value) and "line 3" in str(info.value) and "outside" in str(info.value)
    g = tmp_path / "dedent.cat"
    g.write_text("EMO\n\tPOS\n\t\tGOOD (1)\nBAD (1)\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"dedent\.cat: line 4: .*BAD"):
        Codebook.read_dictionary(g)


def test_wordstat_repeated_category(tmp_path):
    f = tmp_path / "twice.cat"
    f.write_text("EMO\n\tGOOD (1)\nEMO\n\tBAD (1)\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"twice\.cat: line 3: .*EMO"):
        Codebook.read_dictionary(f)


def test_yaml_bad_indentation_names_file_and_line(tmp_path):
    f = tmp_path / "bad.yml"
    f.write_text("economy:\n  - tax*\n  - job*\n politics:\n  - war\n", encoding="utf-8")
    with pytest.raises(DictionaryError) as info:
        Codebook.read_dictionary(f)
    assert str(f) in str(info.value) and "line 4" in str(info.value)
    with pytest.raises(DictionaryError, match="<string>: line 4"):
        Codebook.read_yaml("economy:\n  - tax*\n  - job*\n politics:\n  - war\n")


def test_json_error_line_and_column(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text('{\n  "a": [1,\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(DictionaryError) as info:
        Codebook.read_json(f)
    assert str(f) in str(info.value) and "line 3, column 3" in str(info.value)
    with pytest.raises(DictionaryError, match="line 3, column 3"):
        Codebook.read_dictionary(f)


def test_missing_files():
    with pytest.raises(FileNotFoundError, match="missing.yml"):
        Codebook.read_yaml("/nonexistent/folder/missing.yml")
    with pytest.raises(FileNotFoundError):
        Codebook.read_dictionary("/nonexistent/folder/missing.yml")
    with pytest.raises(FileNotFoundError):
        Codebook.read_json(Path("/nonexistent/folder/missing.json"))
    with pytest.raises(FileNotFoundError):
        Codebook.read_dictionary("/nonexistent/folder/missing.dic")


def test_not_a_dict():
    with pytest.raises(CodebookError):
        Codebook.from_dict(["Trust"])  # type: ignore[arg-type]
    with pytest.raises(CodebookError, match="Trust"):
        Codebook.from_dict({"Trust": 3})
    with pytest.raises(TypeError):
        Codebook(["Trust"])  # type: ignore[list-item]


# --------------------------------------------------------------------------- validation


def test_codebook_error_collects_every_problem():
    with pytest.raises(CodebookError) as info:
        Codebook([
            Code("Trust"),
            Code("Trust"),                                 # duplicate path
            Code("Power >  > Institutions"),               # empty name
            Code("Power > Other", colour="blue"),          # bad colour
            Code("Power > Kw", patterns=("ok", "  ")),     # empty pattern
            Code("Power > Kw2", colour="#12345"),          # bad colour (5 digits)
        ])
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, QualcoreError)
    probs = err.problems
    assert len(probs) == 5, probs
    assert any("duplicate" in p and "'Trust'" in p for p in probs)
    assert any("empty name" in p and "Power >  > Institutions" in p for p in probs)
    assert any("colour" in p and "'blue'" in p for p in probs)
    assert any("empty pattern" in p and "Power > Kw" in p for p in probs)
    assert any("colour" in p and "'#12345'" in p for p in probs)
    assert str(err).startswith("5 problem(s)")


def test_codebook_error_from_dict_shapes():
    with pytest.raises(CodebookError) as info:
        Codebook.from_dict({"A": {"": None}, "B": {"colour": "red"}, "C": [""], " D": None})
    probs = info.value.problems
    assert len(probs) == 4, probs
    assert any("empty name" in p for p in probs)
    assert any("'red'" in p for p in probs)
    assert any("empty pattern" in p for p in probs)
    assert any("white space" in p for p in probs)


def test_valid_colours():
    cb = Codebook([Code("A", colour="#abc"), Code("B", colour="#A0B1C2")])
    assert [c.colour for c in cb] == ["#abc", "#A0B1C2"]


# --------------------------------------------------------------------------- display


def test_repr_html_contains_every_name():
    cb = Codebook.from_dict({
        "Trust & <credibility>": {"description": "who's believed", "colour": "#336699",
                                  "children": {"Evidence base": ["evidence"], "Conflict of interest": None}},
        "Power": {"Institutions": ["royal college"]},
    })
    out = cb._repr_html_()
    for c in cb:
        assert html.escape(c.name) in out
    assert "<credibility>" not in out  # escaped
    assert "#336699" in out and "royal college" in out and html.escape("who's believed") in out
    assert "5 codes" in out and "2 levels" in out
    assert repr(cb) == "<qualcore.Codebook: 5 codes, 2 levels>"


def test_repr_html_pdpilot():
    cb = Codebook.read_csv(_pdpilot() / "codebook.csv")
    out = cb._repr_html_()
    assert all(html.escape(c.name) in out for c in cb)
    assert "91 codes" in out and "3 levels" in out
