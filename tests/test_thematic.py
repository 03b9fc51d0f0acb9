"""The thematic map (qc.thematic_map): nodes, attributes and edges worked out by hand on a small
study; its exports (GraphML, GEXF, DOT with hostile names); and the two plots
(qc.plot.thematic_map, qc.plot.cooccurrence_heatmap) drawn with the Agg backend.
"""

from __future__ import annotations

import io
import math
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402

import qualcore as qc  # noqa: E402
from qualcore.errors import ArgumentError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# A1: "We trust them. The data is good."       sentences S0 "We trust them.", S1 "The data is good."
# A2: "Data from the board. Trust the board."   S0 "Data from the board.", S1 "Trust the board."
# B1: "Friends at the board."                   S0
CORPUS = qc.Corpus.from_texts(
    ["We trust them. The data is good.", "Data from the board. Trust the board.", "Friends at the board."],
    doc_ids=["A1", "A2", "B1"], attributes={"group": ["Front-line", "Front-line", "Leader"]})
TEXTS = dict(zip(CORPUS.doc_ids, CORPUS.texts))
CB = qc.Codebook.from_dict({
    "Trust": {"description": 'Who is "believed"\nand why', "colour": "#336699",
              "children": {"Credibility": None, "Evidence": {"colour": "#abc"}}},
    "Power": {"Institutions": None, "Networks": {"Friends": None}},
    "Method": None,
})
TRUST, CRED, EVID = "Trust", "Trust > Credibility", "Trust > Evidence"
POWER, INST, NETS, FRIENDS, METHOD = "Power", "Power > Institutions", "Power > Networks", "Power > Networks > Friends", "Method"
ALL = [TRUST, CRED, EVID, POWER, INST, NETS, FRIENDS, METHOD]


def span(doc: str, text: str, code: str, nth: int = 0) -> tuple[str, int, int, str]:
    """The ``nth`` occurrence of ``text`` in document ``doc``, coded ``code``."""
    starts = [m.start() for m in re.finditer(re.escape(text), TEXTS[doc])]
    return doc, starts[nth], starts[nth] + len(text), code


SPANS = [
    span("A1", "trust", "Credibility"),        # 1  A1 S0
    span("A1", "The data is good", "Evidence"),  # 2  A1 S1
    span("A1", "We trust them", "Institutions"),  # 3  A1 S0
    span("A2", "Data", "Evidence"),            # 4  A2 S0
    span("A2", "board", "Institutions"),       # 5  A2 S0
    span("A2", "Trust", "Credibility"),        # 6  A2 S1
    span("A2", "board", "Institutions", 1),    # 7  A2 S1
    span("A2", "Trust the board", "Trust"),    # 8  A2 S1 (coded at the theme itself)
    span("B1", "Friends", "Friends"),          # 9  B1 S0
    span("B1", "board", "Institutions"),       # 10 B1 S0
]


def coding_of(spans, cb=CB):
    return qc.Coding.from_frame(CORPUS, cb, pd.DataFrame(spans, columns=["doc_id", "start", "end", "code"]), coder="X")


CODING = coding_of(SPANS)


def cooc_edges(g) -> dict[tuple[str, str], int]:
    return {(a, b): d["weight"] for a, b, d in g.edges(data=True) if d["kind"] == "cooccurrence"}


def tree_edges(g) -> set[tuple[str, str]]:
    return {tuple(sorted((a, b), key=ALL.index)) for a, b, d in g.edges(data=True) if d["kind"] == "tree"}


# =========================================================================== the graph

def test_nodes_and_attributes_by_hand():
    g = qc.thematic_map(CB, CODING)
    assert isinstance(g, nx.MultiGraph) and not g.is_directed()
    assert list(g.nodes) == ALL  # every node of the codebook, coded or not, in codebook order
    # Codings roll up: Trust = its own 1 + Credibility 2 + Evidence 2; Power = Institutions 4 +
    # Friends 1.  Cases (documents): Institutions in A1, A2, B1; Friends in B1 only.
    codings = {n: d["codings"] for n, d in g.nodes(data=True)}
    cases = {n: d["cases"] for n, d in g.nodes(data=True)}
    assert codings == {TRUST: 5, CRED: 2, EVID: 2, POWER: 5, INST: 4, NETS: 1, FRIENDS: 1, METHOD: 0}
    assert cases == {TRUST: 2, CRED: 2, EVID: 2, POWER: 3, INST: 3, NETS: 1, FRIENDS: 1, METHOD: 0}
    f = g.nodes[FRIENDS]
    assert (f["path"], f["name"], f["label"], f["level"], f["parent"]) == (FRIENDS, "Friends", "Friends", 3, NETS)
    assert g.nodes[TRUST]["parent"] == "" and g.nodes[TRUST]["description"] == 'Who is "believed"\nand why'
    # Colours: Trust its own; Credibility inherits it; Evidence its own (#abc -> #aabbcc);
    # Power and Method have none: the 2nd and 3rd palette colours, inherited below.
    colours = {n: d["colour"] for n, d in g.nodes(data=True)}
    assert colours == {TRUST: "#336699", CRED: "#336699", EVID: "#aabbcc", POWER: qc._thematic.PALETTE[1],
                       INST: qc._thematic.PALETTE[1], NETS: qc._thematic.PALETTE[1], FRIENDS: qc._thematic.PALETTE[1],
                       METHOD: qc._thematic.PALETTE[2]}
    assert (qc._thematic.PALETTE[1], qc._thematic.PALETTE[2]) == ("#ff7f0e", "#2ca02c")
    for _, d in g.nodes(data=True):  # plain Python values (GraphML/GEXF need them)
        assert type(d["cases"]) is int and type(d["codings"]) is int and type(d["level"]) is int
    assert g.graph == {"unit": "sentence", "min_count": 1}


def test_tree_and_cooccurrence_edges_by_hand():
    # Sentences: A1S0 {Cred, Inst}  A1S1 {Evid}  A2S0 {Evid, Inst}  A2S1 {Cred, Inst, Trust}
    #            B1S0 {Friends, Inst}
    # -> Cred-Inst 2, Evid-Inst 1, Trust-Cred 1, Trust-Inst 1, Inst-Friends 1.
    g = qc.thematic_map(CB, CODING, unit="sentence")
    assert tree_edges(g) == {(TRUST, CRED), (TRUST, EVID), (POWER, INST), (POWER, NETS), (NETS, FRIENDS)}
    got = {tuple(sorted(k, key=ALL.index)): w for k, w in cooc_edges(g).items()}
    assert got == {(CRED, INST): 2, (EVID, INST): 1, (TRUST, CRED): 1, (TRUST, INST): 1, (INST, FRIENDS): 1}
    # Trust and Credibility: parent and child that co-occur -> both edges, told apart by key
    assert g.number_of_edges(TRUST, CRED) == 2
    assert g.edges[TRUST, CRED, "tree"] == {"kind": "tree"}
    assert g.edges[TRUST, CRED, "cooccurrence"] == {"kind": "cooccurrence", "weight": 1}
    # the weights are the cells of qc.cooccurrence
    m = qc.cooccurrence(CODING, unit="sentence")
    for (a, b), w in got.items():
        assert m.loc[a, b] == w and type(w) is int


def test_min_count():
    g = qc.thematic_map(CB, CODING, min_count=2)
    assert cooc_edges(g) == {(CRED, INST): 2}
    assert len(tree_edges(g)) == 5 and g.graph["min_count"] == 2
    assert cooc_edges(qc.thematic_map(CB, CODING, min_count=3)) == {}


def test_level():
    # Level 1: nodes Trust, Power, Method; no tree edges.  Sentences holding Trust and Power:
    # A1S0, A2S0, A2S1 -> 3.
    g = qc.thematic_map(CB, CODING, level=1)
    assert list(g.nodes) == [TRUST, POWER, METHOD]
    assert tree_edges(g) == set() and cooc_edges(g) == {(TRUST, POWER): 3}
    assert g.nodes[POWER]["codings"] == 5 and g.nodes[POWER]["cases"] == 3 and g.graph["level"] == 1
    # Level 2: Friends rolls into Networks; Trust's own coding stays at Trust.
    g = qc.thematic_map(CB, CODING, level=2)
    assert list(g.nodes) == [TRUST, CRED, EVID, POWER, INST, NETS, METHOD]
    assert tree_edges(g) == {(TRUST, CRED), (TRUST, EVID), (POWER, INST), (POWER, NETS)}
    got = {tuple(sorted(k, key=ALL.index)): w for k, w in cooc_edges(g).items()}
    assert got == {(CRED, INST): 2, (EVID, INST): 1, (TRUST, CRED): 1, (TRUST, INST): 1, (INST, NETS): 1}


def test_units_and_windows_pass_through():
    # Document: A1 {Cred, Evid, Inst}, A2 {Evid, Inst, Cred, Trust}, B1 {Friends, Inst}
    g = qc.thematic_map(CB, CODING, unit="document", min_count=2)
    got = {tuple(sorted(k, key=ALL.index)): w for k, w in cooc_edges(g).items()}
    assert got == {(CRED, EVID): 2, (CRED, INST): 2, (EVID, INST): 2}
    for kw in ({"unit": "overlap"}, {"unit": "window", "window": 2}, {"unit": "window", "window": 5, "within": "document"},
               {"unit": "turn", "window": 1}):
        g = qc.thematic_map(CB, CODING, **kw)
        m = qc.cooccurrence(CODING, **kw)
        exp = {(a, b): int(m.loc[a, b]) for i, a in enumerate(m.index) for b in m.index[i + 1:] if m.loc[a, b] > 0}
        assert cooc_edges(g) == exp, kw
    g = qc.thematic_map(CB, CODING, unit="window", window=2)
    assert g.graph == {"unit": "window", "min_count": 1, "window": 2, "within": "turn"}
    # overlap: "trust" lies in "We trust them" (Cred-Inst), "Trust" in "Trust the board"
    # (Cred-Trust), "board" in "Trust the board" (Inst-Trust)
    got = {tuple(sorted(k, key=ALL.index)): w for k, w in cooc_edges(qc.thematic_map(CB, CODING, unit="overlap")).items()}
    assert got == {(CRED, INST): 1, (TRUST, CRED): 1, (TRUST, INST): 1}


def test_by_group():
    res = qc.thematic_map(CB, CODING, by="group")
    assert list(res) == ["Front-line", "Leader"]
    front, leader = res["Front-line"], res["Leader"]
    assert list(front.nodes) == ALL and list(leader.nodes) == ALL
    assert front.nodes[INST]["cases"] == 2 and leader.nodes[INST]["cases"] == 1
    assert front.nodes[FRIENDS]["codings"] == 0 and leader.nodes[FRIENDS]["codings"] == 1
    assert leader.nodes[TRUST]["cases"] == 0 and front.nodes[TRUST]["codings"] == 5
    assert {tuple(sorted(k, key=ALL.index)): w for k, w in cooc_edges(leader).items()} == {(INST, FRIENDS): 1}
    assert (CRED, INST) in cooc_edges(front) and cooc_edges(front)[(CRED, INST)] == 2
    assert front.graph["group"] == "Front-line" and leader.graph == {"unit": "sentence", "min_count": 1, "group": "Leader"}


def test_another_codebook_with_the_same_codes():
    # Coded with a bare codebook; the map drawn with the final one (colours, an extra theme).
    bare = qc.Codebook.from_dict({"Trust": {"Credibility": None}, "Power": {"Institutions": None}})
    cod = coding_of([span("A1", "trust", "Credibility"), span("A1", "We trust them", "Institutions")], cb=bare)
    g = qc.thematic_map(CB, cod)
    assert list(g.nodes) == ALL and g.nodes[CRED]["colour"] == "#336699"
    assert cooc_edges(g) == {(CRED, INST): 1}
    # a codebook without a code of the coding: named
    small = qc.Codebook.from_dict({"Trust": {"Credibility": None, "Evidence": None}, "Power": {"Institutions": None}})
    with pytest.raises(ArgumentError, match=r"codebook: 1 code\(s\) of the coding are not in it: \['Power > Networks > Friends'\]"):
        qc.thematic_map(small, CODING)


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        ({"min_count": 0}, r"min_count: must be a whole number >= 1, got 0"),
        ({"min_count": 1.5}, r"min_count: must be a whole number >= 1, got 1.5"),
        ({"min_count": True}, r"min_count: must be a whole number >= 1, got True"),
        ({"level": 0}, r"level: must be a whole number >= 1 or None, got 0"),
        ({"unit": "paragraph"}, r"unit: 'paragraph' is not one of \['overlap', 'sentence', 'turn', 'window', 'document', 'case'\]"),
        ({"unit": "window"}, r"window: unit='window' needs window=N"),
        ({"unit": "sentence", "window": 2}, r"window: only unit='window'"),
        ({"by": "region"}, r"by: no attribute 'region'"),
    ],
)
def test_bad_arguments(kwargs, msg):
    with pytest.raises(ArgumentError, match=msg):
        qc.thematic_map(CB, CODING, **kwargs)


def test_not_a_codebook():
    with pytest.raises(ArgumentError, match=r"codebook: expected a qualcore.Codebook, got dict"):
        qc.thematic_map({"Trust": None}, CODING)


def test_empty_coding():
    g = qc.thematic_map(CB, coding_of([]))
    assert list(g.nodes) == ALL and cooc_edges(g) == {} and len(tree_edges(g)) == 5
    assert all(d["cases"] == 0 and d["codings"] == 0 for _, d in g.nodes(data=True))


# =========================================================================== exports

def test_graphml_round_trip(tmp_path):
    g = qc.thematic_map(CB, CODING)
    path = tmp_path / "map.graphml"
    qc.write_graphml(g, path)
    assert [p.name for p in tmp_path.iterdir()] == ["map.graphml"]  # no temporary file left
    back = nx.read_graphml(path, force_multigraph=True)
    assert list(back.nodes) == ALL
    for n, d in g.nodes(data=True):
        assert {k: back.nodes[n][k] for k in d} == d  # ints stay ints, the newline survives
    kinds = sorted((tuple(sorted((a, b), key=ALL.index)), d["kind"], d.get("weight")) for a, b, d in back.edges(data=True))
    exp = sorted((tuple(sorted((a, b), key=ALL.index)), d["kind"], d.get("weight")) for a, b, d in g.edges(data=True))
    assert kinds == exp
    # edge ids are unique (Gephi keeps one edge per id)
    text = path.read_text(encoding="utf-8")
    ids = re.findall(r'<edge [^>]*id="([^"]+)"', text)
    assert len(ids) == g.number_of_edges() == len(set(ids)) == 10
    assert back.graph["unit"] == "sentence" and back.graph["min_count"] == 1


def test_gexf_round_trip_with_gephi_visuals(tmp_path):
    g = qc.thematic_map(CB, CODING)
    path = tmp_path / "map.gexf"
    qc.write_gexf(g, path)
    back = nx.read_gexf(path, node_type=str)
    assert sorted(back.nodes) == sorted(ALL)
    viz = back.nodes[EVID]["viz"]
    assert viz["color"] == {"r": 0xAA, "g": 0xBB, "b": 0xCC, "a": 1.0}
    # size grows with cases: Institutions (3 cases, the most) 40, Method (0) 10
    assert back.nodes[INST]["viz"]["size"] == pytest.approx(40.0)
    assert back.nodes[METHOD]["viz"]["size"] == pytest.approx(10.0)
    # positions: the radial layout, themes on radius 1 (x 100), Friends on 3
    x, y = back.nodes[TRUST]["viz"]["position"]["x"], back.nodes[TRUST]["viz"]["position"]["y"]
    assert math.hypot(x, y) == pytest.approx(100.0, abs=0.01)
    p = back.nodes[FRIENDS]["viz"]["position"]
    assert math.hypot(p["x"], p["y"]) == pytest.approx(300.0, abs=0.01)
    assert back.number_of_edges() == g.number_of_edges()
    assert "viz" not in g.nodes[EVID]  # the map itself is not changed


def test_failed_export_leaves_the_old_file(tmp_path):
    path = tmp_path / "map.graphml"
    path.write_text("old", encoding="utf-8")
    g = qc.thematic_map(CB, CODING)
    g.nodes[TRUST]["bad"] = {"not": "serialisable"}
    with pytest.raises(Exception):
        qc.write_graphml(g, path)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.graphml"]


def dot_tokens(text: str) -> list[str]:
    """Graphviz's lexer for what to_dot writes: quoted strings (\\" is a quote, any other
    backslash stays), bare words, and punctuation; comments are not written."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j, buf = i + 1, []
            while text[j] != '"':
                if text[j] == "\\" and text[j + 1] in '"\\':
                    buf.append(text[j + 1] if text[j + 1] == '"' else "\\\\")
                    j += 2
                else:
                    buf.append(text[j])
                    j += 1
            out.append("Q" + "".join(buf))
            i = j + 1
        elif text.startswith("--", i):
            out.append("--")
            i += 2
        elif c in "{}[]=,;":
            out.append(c)
            i += 1
        else:
            m = re.match(r"[A-Za-z0-9_.#]+", text[i:])
            assert m, f"unexpected {text[i:i + 20]!r}"
            out.append(m.group())
            i += len(m.group())
    return out


def esc_string(s: str) -> str:
    """Graphviz's reading of an escString label: \\\\ is a backslash, \\n a line break."""
    return re.sub(r"\\(.)", lambda m: {"\\": "\\", "n": "\n"}.get(m.group(1), m.group(0)), s)


def test_dot_quotes_any_name(tmp_path):
    hostile = qc.Codebook.from_dict({
        'Say "no"': {"description": "line one\nline two", "children": {"back\\slash": None, "end\\": None}},
        "Ünïcode ✓ {x}; -- [y]": None,
    })
    c = qc.Corpus.from_texts(["abcdef"], doc_ids=["d"])
    paths = hostile.paths
    cod = qc.Coding.from_frame(c, hostile, pd.DataFrame({"doc_id": ["d"] * 3, "start": [0, 1, 2], "end": [3, 4, 5],
                                                         "code": [paths[1], paths[2], paths[3]]}), coder="X")
    g = qc.thematic_map(hostile, cod, unit="overlap")
    text = qc.to_dot(g)
    toks = dot_tokens(text)
    assert toks[:3] == ["graph", "Qthematic map", "{"] and toks[-1] == "}"
    # node statements: ID [ ... ];  edges: ID -- ID [ ... ];
    nodes, edges, labels = [], [], {}
    k = toks.index("node") + 1
    k = toks.index(";", k) + 1
    while toks[k] != "}":
        end = toks.index(";", k)
        stmt = toks[k:end]
        if len(stmt) > 2 and stmt[1] == "--":
            edges.append((stmt[0][1:], stmt[2][1:], dict(zip(stmt[4:-1:4], stmt[6:-1:4]))))
        else:
            attrs = dict(zip(stmt[2:-1:4], stmt[4:-1:4]))
            nodes.append(stmt[0][1:])
            labels[stmt[0][1:]] = esc_string(attrs["label"][1:])
        k = end + 1
    # every node once, ids consistent between nodes and edges, labels read back as the names
    assert len(nodes) == len(g) == 4
    assert {esc_string(n) for n in nodes} == set(paths)
    assert sorted(labels.values()) == sorted(g.nodes[p]["name"] for p in paths)
    assert all(a in nodes and b in nodes for a, b, _ in edges)
    kinds = sorted(d["kind"][1:] for _, _, d in edges)
    assert kinds == ["cooccurrence", "cooccurrence", "cooccurrence", "tree", "tree"]
    # a backslash just before a closing quote does not swallow it: the name ending in "\"
    assert any(n.endswith("end\\\\") for n in nodes)
    # the description's line break is written as \n: one statement per line
    assert 'description="line one\\nline two"' in text
    lines = text.splitlines()
    assert len(lines) == 3 + len(nodes) + len(edges) + 1 and all(line.startswith("  ") for line in lines[1:-1])
    # written to a file too: the same text, UTF-8
    path = tmp_path / "map.dot"
    assert qc.to_dot(g, path) == text
    assert path.read_text(encoding="utf-8") == text


def test_dot_weights_and_widths():
    text = qc.to_dot(qc.thematic_map(CB, CODING))
    # Cred-Inst (2, the largest) is widest; the others (1) width 1
    assert re.search(r'"Trust > Credibility" -- "Power > Institutions" \[kind="cooccurrence", weight="2", label="2", '
                     r'style=dashed, penwidth="5", color="#b2182b"\];', text)
    assert '"Trust" -- "Trust > Credibility" [kind="tree"];' in text
    assert text.count('kind="tree"') == 5 and text.count('kind="cooccurrence"') == 5
    assert re.search(r'"Method" \[label="Method", fillcolor="#2ca02c", width="0.6",', text)


def test_public_names():
    import qualcore._thematic as t

    assert qc.thematic_map is t.thematic_map and qc.to_dot is t.to_dot
    assert qc.write_graphml is t.write_graphml and qc.write_gexf is t.write_gexf
    assert {"cooccurrence_heatmap", "thematic_map", "saturation"} <= set(qc.plot.__all__)


# =========================================================================== plots

def test_plot_thematic_map():
    g = qc.thematic_map(CB, CODING)
    ax = qc.plot.thematic_map(g)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert sorted(t.get_text() for t in ax.texts) == sorted(d["name"] for _, d in g.nodes(data=True))
    assert ax.get_title() == "Thematic map"
    tree = [c for c in ax.collections if isinstance(c, LineCollection)]
    curves = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_paths()) == 5 and c.get_facecolor().size == 0]
    assert len(tree) == 1 and len(tree[0].get_segments()) == 5
    assert len(curves) == 1
    # widths follow the weights: Cred-Inst (2) is the widest, the four 1s equal
    w = sorted(curves[0].get_linewidths())
    assert w[-1] == pytest.approx(0.8 + 5.0) and w[:4] == pytest.approx([0.8 + 2.5] * 4)
    # node areas grow with cases, colours are the nodes' colours
    nodes = [c for c in ax.collections if isinstance(c, PathCollection) and c not in curves]
    assert len(nodes) == 1
    sizes = dict(zip(g.nodes, nodes[0].get_sizes()))
    assert sizes[INST] == pytest.approx(540.0) and sizes[METHOD] == pytest.approx(40.0)
    assert sizes[CRED] == pytest.approx(40.0 + 500.0 * math.sqrt(2 / 3))
    faces = nodes[0].get_facecolors()
    assert matplotlib.colors.to_hex(faces[ALL.index(EVID)]) == "#aabbcc"
    # labels sit outside their node: Friends is on radius 3, its label further out
    fr = next(t for t in ax.texts if t.get_text() == "Friends")
    assert math.hypot(*fr.xy) == pytest.approx(3.0)
    assert [leg.get_text() for leg in ax.get_legend().get_texts()] == ["codebook tree", "co-occurrence (sentence; max 2)"]


def test_plot_thematic_map_given_axes_and_positions():
    g = qc.thematic_map(CB, CODING, level=1)
    _, ax0 = plt.subplots()
    pos = {TRUST: (0.0, 0.0), POWER: (1.0, 0.0), METHOD: (0.0, 1.0)}
    ax = qc.plot.thematic_map(g, ax=ax0, pos=pos, labels="path", title=None)
    assert ax is ax0 and ax.get_title() == ""
    assert sorted(t.get_text() for t in ax.texts) == sorted([TRUST, POWER, METHOD])
    assert sorted(tuple(t.xy) for t in ax.texts) == sorted(pos.values())
    with pytest.raises(ValueError, match=r"pos: no position for \['Method'\]"):
        qc.plot.thematic_map(g, pos={TRUST: (0, 0), POWER: (1, 0)})
    with pytest.raises(ValueError, match=r"labels: 'id' is not one of \['name', 'path'\]"):
        qc.plot.thematic_map(g, labels="id")


def test_plot_thematic_map_many_codes_turns_leaf_labels():
    cb = qc.Codebook.from_dict({f"T{t}": {f"code {t}.{c}": None for c in range(5)} for t in range(4)})
    c = qc.Corpus.from_texts(["x" * 50], doc_ids=["d"])
    cod = qc.Coding.from_frame(c, cb, pd.DataFrame({"doc_id": ["d"] * 2, "start": [0, 5], "end": [10, 15],
                                                    "code": ["code 0.0", "code 2.3"]}), coder="X")
    ax = qc.plot.thematic_map(qc.thematic_map(cb, cod, unit="overlap"))
    rot = {t.get_text(): t.get_rotation() for t in ax.texts}
    assert len(rot) == 24
    assert all(rot[f"T{t}"] == 0 for t in range(4))  # themes stay level
    assert sum(1 for k, v in rot.items() if k.startswith("code") and v != 0) >= 16  # leaves along their radius


def test_plot_cooccurrence_heatmap_by_hand():
    m = qc.cooccurrence(CODING, unit="sentence")
    ax = qc.plot.cooccurrence_heatmap(m)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Trust", "Credibility", "Evidence", "Institutions", "Friends"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Trust", "Credibility", "Evidence", "Institutions", "Friends"]
    img = ax.get_images()[0].get_array()
    assert img.mask.diagonal().all() and not img.mask[0, 1]  # diagonal blank
    np.testing.assert_array_equal(img.filled(-1), np.where(np.eye(5, dtype=bool), -1, m.to_numpy()))
    # annotations: the non-zero off-diagonal cells, row by row
    off = [(i, j) for i in range(5) for j in range(5) if i != j and m.iat[i, j]]
    assert [t.get_text() for t in ax.texts] == [str(m.iat[i, j]) for i, j in off]
    assert [(t.get_position()) for t in ax.texts] == [(j, i) for i, j in off]
    assert ax.get_title() == "Code co-occurrence (sentence)" and ax.get_ylabel() == "code_a"
    ax = qc.plot.cooccurrence_heatmap(m, diagonal=True, labels="path", annotate=False)
    assert not ax.get_images()[0].get_array().mask.any() and len(ax.texts) == 0
    assert [t.get_text() for t in ax.get_yticklabels()][1] == CRED


def test_plot_heatmap_sparse_measures_and_clustering():
    mat, labels = qc.cooccurrence(CODING, unit="document", sparse=True)
    ax = qc.plot.cooccurrence_heatmap((mat, labels))
    np.testing.assert_array_equal(ax.get_images()[0].get_array().filled(0), mat.toarray() * (1 - np.eye(len(labels))))
    jac = qc.cooccurrence(CODING, unit="document", measure="jaccard")
    ax = qc.plot.cooccurrence_heatmap(jac)
    assert {t.get_text() for t in ax.texts} <= {f"{v:.2f}" for v in np.unique(jac.to_numpy())}
    # documents: Cred in A1 A2, Evid in A1 A2, Inst in A1 A2 B1 -> Cred-Evid 2 / (2 + 2 - 2),
    # Cred-Inst 2 / (2 + 3 - 2)
    assert jac.loc[CRED, EVID] == 1.0 and {"1.00", "0.67"} <= {t.get_text() for t in ax.texts}
    # two blocks that never meet and a code alone: clustering puts each block together
    codes = ["A", "B", "C", "D", "E"]
    block = pd.DataFrame([[3, 0, 2, 0, 0], [0, 3, 0, 2, 0], [2, 0, 3, 0, 0], [0, 2, 0, 3, 0], [0, 0, 0, 0, 1]],
                         index=codes, columns=codes)
    ax = qc.plot.cooccurrence_heatmap(block, cluster=True)
    order = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(order) == codes and order.index("E") in (0, 4)
    rest = [c for c in order if c != "E"]
    assert {frozenset(rest[:2]), frozenset(rest[2:])} == {frozenset("AC"), frozenset("BD")}
    # the cells move with their labels
    img = ax.get_images()[0].get_array()
    i, j = order.index("A"), order.index("C")
    assert img[i, j] == 2 and img[j, i] == 2


def test_heatmap_names_that_repeat_keep_their_paths():
    cb = qc.Codebook.from_dict({"Trust": {"Other": None}, "Power": {"Other": None}})
    m = pd.DataFrame([[1, 1], [1, 1]], index=["Trust > Other", "Power > Other"], columns=["Trust > Other", "Power > Other"])
    assert len(cb) == 4
    ax = qc.plot.cooccurrence_heatmap(m)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Trust > Other", "Power > Other"]


def test_heatmap_bad_input():
    with pytest.raises(ValueError, match=r"matrix: expected a code x code DataFrame"):
        qc.plot.cooccurrence_heatmap(pd.DataFrame([[1, 2]], index=["a"], columns=["a", "b"]))
    with pytest.raises(ValueError, match=r"labels: 'short'"):
        qc.plot.cooccurrence_heatmap(qc.cooccurrence(CODING), labels="short")


def test_plots_write_png():
    ax = qc.plot.thematic_map(qc.thematic_map(CB, CODING))
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = qc.plot.cooccurrence_heatmap(qc.cooccurrence(CODING), cluster=True)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=40)
    assert len(buf.getvalue()) > 1000


def test_plot_heatmap_of_a_code_by_group_matrix():
    import matplotlib

    matplotlib.use("Agg")
    corpus = qc.Corpus.from_texts(["I trust the data.", "Data rules.", "Trust me."], doc_ids=["A1", "B1", "C1"],
                                  attributes={"group": ["front-line", "leader", "leader"]})
    cb = qc.Codebook.from_dict({"Trust": {"Credibility": ["trust"], "Evidence": ["data"]}})
    m = qc.code_matrix(corpus.autocode(cb), by="group")
    ax = qc.plot.heatmap(m, cluster=True)
    cells = {t.get_text() for t in ax.texts}
    assert len(ax.texts) == m.select_dtypes("number").size
    assert cells <= {str(int(v)) for v in m.select_dtypes("number").to_numpy().ravel()}
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(c) for c in m.select_dtypes("number").columns]
    # a square co-occurrence matrix goes to the co-occurrence heatmap (diagonal blank)
    ax2 = qc.plot.heatmap(qc.cooccurrence(corpus.autocode(cb), unit="document"))
    assert ax2.get_title().startswith("Code co-occurrence")
    with pytest.raises(ValueError, match="expected a DataFrame"):
        qc.plot.heatmap([[1, 2]])
