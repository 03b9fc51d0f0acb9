"""REFI-QDA import and export (.qdc, .qdpx).

Counts of the shared samples were read off the files by hand (see ../shared/data/refi/README.md);
written files are validated with xmlschema, a validator independent of the lxml one qualcore
uses.
"""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualcore as qc
from qualcore.errors import RefiError

REFI = Path("/work/shared/data/refi")
PDPILOT = Path("/work/shared/data/pdpilot")
SCHEMAS = Path(qc.__file__).with_name("schemas")


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent on this machine")
    return path


def validate_with_xmlschema(data: bytes, xsd: str) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(SCHEMAS / xsd))
    schema.validate(io.BytesIO(data))


def qde_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde")


# --------------------------------------------------------------------------- samples


def test_qualcore_minimal_example():
    p = qc.read_qdpx(need(REFI / "samples/qualcore-minimal/example.qdpx"))
    assert p.name == "COI interviews (example)"
    assert p.corpus.doc_ids == ["A1"]
    f = p.coding.frame
    # code points 86-114 (UTF-16 units would be 87-115: the text has an emoji before the span)
    assert f[["start", "end"]].values.tolist() == [[86, 114], [86, 114]]
    assert set(f["text"]) == {"conflict of interest is real"}
    assert f["code"].tolist() == ["Trust > Conflict of interest", "Trust > Conflict of interest > Industry funding"]
    assert f["coder"].tolist()[0] == "Analyst 1" and pd.isna(f["coder"].tolist()[1])
    # the selection's Description and the note linked to the selection are both memos
    assert "participant links COI to funding" in f["memo"][0] and "No new codes after interview B7" in f["memo"][0]
    assert p.sources["positions"].tolist() == ["codepoints"]
    assert p.corpus.attributes.loc["A1", "Group"] == "front-line"
    assert "case" not in p.corpus.attributes  # the case's name is the document id: nothing to add
    assert pd.isna(p.corpus.attributes.loc["A1", "Years in post"])  # VariableRef without a value
    assert p.sets.values.tolist() == [["Front-line interviews", "source", "A1", "50000000-0000-4000-8000-0000000000a1"]]
    assert p.users["name"].tolist() == ["Analyst 1"]
    assert p.description == "Synthetic example written for qualcore notes."
    assert p.notes["name"].tolist() == ["Saturation memo"]


def test_qualcore_minimal_codebook():
    cb = qc.read_qdc(need(REFI / "samples/qualcore-minimal/codebook.qdc"))
    assert cb.paths == ["Trust", "Trust > Conflict of interest", "Trust > Conflict of interest > Industry funding"]
    assert cb["Trust"].colour == "#3366CC" and cb["Trust"].description == "Theme"
    assert cb.sets == {"COI codes": ("Trust > Conflict of interest > Industry funding",)}


def test_annex_a1_codebook_flat_with_braced_guids():
    cb = qc.read_qdc(need(REFI / "spec-examples/annexA1-codebook.qdc"))
    # Topics and Values are parents; Economy/Health care and Conservatives/Liberals their children
    # the annex lists six sibling codes that only look like two groups
    assert cb.paths == ["Topics", "Economy", "Health care", "Values", "Conservatives", "Liberals"]
    assert cb["Economy"].colour == "#ffff00"


@pytest.mark.parametrize("name", ["TestProject.qdpx", "Project.qde"])
def test_atlasti_annex_a2_reports_missing_sources(name):
    p = qc.read_qdpx(need(REFI / "spec-examples/annexA2-atlasti-project" / name))
    assert p.origin.startswith("ATLAS.ti")
    assert len(p.corpus) == 0 and len(p.coding) == 0
    # 6 text sources, 2 PDFs, 1 picture, 1 audio, 2 video; every internal text file is absent
    kinds = p.sources["kind"].value_counts().to_dict()
    assert kinds == {"TextSource": 6, "PDFSource": 2, "VideoSource": 2, "PictureSource": 1, "AudioSource": 1}
    assert p.sources["status"].str.startswith("skipped").all()
    # names compare after NFC normalisation (the file has them decomposed)
    assert unicodedata.normalize("NFC", "Mabêl 2ième.txt") in p.sources["name"].tolist()
    # codes flattened by ATLAS.ti stay flat: "Coke::diet Coke" is a sibling of "Coke"
    assert "Coke::diet Coke" in p.codebook and "Coke" in p.codebook
    assert p.codebook["Coke::diet Coke"].level == 1
    n_sel = p.sources.groupby("kind")["n_selections"].sum().to_dict()
    assert n_sel == {"TextSource": 6, "PDFSource": 2, "PictureSource": 1, "AudioSource": 0, "VideoSource": 2}
    assert any("Graph" in w for w in p.warnings)


def test_atlasti_zip_and_loose_file_give_the_same_model():
    a = qc.read_qdpx(need(REFI / "spec-examples/annexA2-atlasti-project/TestProject.qdpx"))
    b = qc.read_qdpx(need(REFI / "spec-examples/annexA2-atlasti-project/Project.qde"))
    assert a.codebook == b.codebook
    pd.testing.assert_frame_equal(a.sources, b.sources)
    pd.testing.assert_frame_equal(a.sets, b.sets)
    assert len(a.sets) > 0 and set(a.cases.columns) >= {"case", "doc_ids"}


def test_ornio_hand_authored_fixture():
    p = qc.read_qdpx(need(REFI / "samples/ornio-hand-authored/project.qde"))
    assert p.corpus.doc_ids == ["Interview 1", "doc"]  # the PDF is read by its plain-text representation
    f = p.coding.frame
    assert f[["start", "end", "code"]].values.tolist() == [[0, 15, "Topics > Health"], [9, 23, "Topics > Health > Diet"]]
    assert f["text"].tolist()[0] == "Diet and health"
    assert f["coder"].tolist() == ["Researcher A", "Researcher A"]
    assert p.codebook.paths == ["Topics", "Topics > Health", "Topics > Health > Diet", "Topics > Wellbeing"]
    assert p.codebook["Diet"].description == "Food and eating habits"
    attrs = p.corpus.attributes
    assert attrs.loc["Interview 1", "Age"] == 34 and attrs.loc["Interview 1", "Consented"] == True  # noqa: E712
    assert attrs.loc["Interview 1", "case"] == "Participant 1"
    status = dict(zip(p.sources["kind"], p.sources["status"]))
    assert status["PictureSource"].startswith("skipped") and status["AudioSource"].startswith("skipped")
    assert status["PDFSource"] == "read"


def test_nvivo_mac_export():
    p = qc.read_qdpx(need(REFI / "samples-agpl/nvivo-mac-15/nvivo_project.qdpx"))
    assert p.origin.startswith("NVivo")
    assert len(p.codebook) == 262 and p.codebook.depth == 7
    assert len(p.corpus) == 2 and len(p.coding) == 0
    assert p.corpus.texts == ["\n", "\n"]


# --------------------------------------------------------------------------- writing


@pytest.fixture()
def study():
    texts = [
        "Dan: Who funds the panel?\r\nA1: Honestly 🤷 the pharma links worry me; conflict of interest is real.\r\n",
        "Dan: And trust?\nB1: I trust the evidence base, not the Royal College.\n",
    ]
    corpus = qc.Corpus.from_texts(texts, doc_ids=["A1", "B1"], speaker_labels=True, interviewer=["Dan"],
                                  attributes={"group": ["front-line", "leader"], "years": [3, 12],
                                              "senior": [False, True], "score": [0.5, 1.25],
                                              "interviewed": pd.to_datetime(["2024-03-01", "2024-04-02"])})
    cb = qc.Codebook.from_dict({"Trust": {"Conflict of interest": ["conflict* of interest"], "Evidence base": None},
                                "Power": {"Institutions": ["royal college"]}}).with_sets({"Key": ["Evidence base"]})
    a = texts[0].index("conflict")
    b = texts[1].index("evidence")
    spans = pd.DataFrame({
        "doc_id": ["A1", "A1", "B1", "B1"],
        "start": [a, a, b, 0],
        "end": [a + 28, a + 28, b + 18, len(texts[1])],
        "code": ["Conflict of interest", "Conflict of interest", "Evidence base", "Institutions"],
        "coder": ["AB", "CD", "AB", "AB"],
        "memo": ["links COI to funding", None, None, "whole document"],
    })
    coding = qc.Coding.from_frame(corpus, cb, spans, coder="coder", memo="memo")
    return corpus, cb, coding


def test_written_project_validates_and_is_stable(tmp_path, study):
    corpus, cb, coding = study
    a, b = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    qc.write_qdpx(corpus, cb, coding, a, name="study")
    qc.write_qdpx(corpus, cb, coding, b, name="study")
    assert a.read_bytes() == b.read_bytes()  # stable GUIDs and zip timestamps
    validate_with_xmlschema(qde_of(a), "Project-mrt2019.xsd")
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        sources = [n for n in names if n.startswith("sources/")]
        assert len(sources) == 2
        for n in sources:
            data = zf.read(n)
            assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
    qde = qde_of(a).decode()
    assert qde.count("<PlainTextSelection ") == 3  # A1's two codings share one selection
    assert qde.count("<Coding ") == 4 and qde.count("<User ") == 2 and qde.count("<Case ") == 2
    assert 'typeOfVariable="Integer"' in qde and 'typeOfVariable="Boolean"' in qde
    assert 'typeOfVariable="Float"' in qde and 'typeOfVariable="Date"' in qde
    assert "<Set " in qde and 'name="group: front-line"' in qde and 'name="Key"' in qde


def test_positions_in_the_written_file_are_code_points_of_the_lf_text(tmp_path, study):
    corpus, cb, coding = study
    path = tmp_path / "s.qdpx"
    qc.write_qdpx(corpus, cb, coding, path)
    from lxml import etree

    root = etree.fromstring(qde_of(path))
    ns = {"q": "urn:QDA-XML:project:1.0"}
    with zipfile.ZipFile(path) as zf:
        for src in root.iterfind(".//q:TextSource", ns):
            text = zf.read("sources/" + src.get("plainTextPath").split("//")[1]).decode()
            for sel in src.iterfind("q:PlainTextSelection", ns):
                s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
                assert text[s:e].startswith(sel.get("name").rstrip("…"))
    # A1 text has one CRLF before the span: the LF file's offsets are one less
    a = corpus["A1"].text.index("conflict")
    assert f'startPosition="{a - 1}"' in qde_of(path).decode()


def test_round_trip_is_lossless(tmp_path, study):
    corpus, cb, coding = study
    path = tmp_path / "s.qdpx"
    qc.write_qdpx(corpus, cb, coding, path)
    p = qc.read_qdpx(path)
    assert_same(p, corpus, cb, coding)
    assert p.warnings == []


def assert_same(p, corpus, cb, coding):
    assert p.corpus.doc_ids == corpus.doc_ids
    assert p.corpus.texts == corpus.texts
    pd.testing.assert_frame_equal(p.corpus.turns, corpus.turns)
    assert p.corpus.interviewers == corpus.interviewers
    pd.testing.assert_frame_equal(p.corpus.attributes, corpus.attributes, check_dtype=False)
    assert p.codebook == cb
    got = p.coding.to_frame().sort_values(["doc_id", "start", "end", "code", "coder"], na_position="first").reset_index(drop=True)
    want = coding.to_frame().sort_values(["doc_id", "start", "end", "code", "coder"], na_position="first").reset_index(drop=True)
    got["memo"] = got["memo"].where(got["memo"].notna(), None)
    want["memo"] = want["memo"].where(want["memo"].notna(), None)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_codebook_round_trip_and_validation(tmp_path):
    cb = qc.Codebook.from_dict({
        "Trust": {"description": "Theme", "colour": "#3366cc",
                  "children": {"Credibility": None, "Conflict of interest": {"children": {"Industry": None}}}},
        "Power": None,
    }).with_sets({"Mine": ["Industry", "Power"]})
    path = tmp_path / "cb.qdc"
    qc.write_qdc(cb, path)
    validate_with_xmlschema(path.read_bytes(), "Codebook.xsd")
    back = qc.read_qdc(path)
    assert back.paths == cb.paths and back.sets == cb.sets
    assert back["Trust"].description == "Theme" and back["Trust"].colour.upper() == "#3366CC"


def test_pdpilot_aligned_coding_round_trips(tmp_path):
    need(PDPILOT)
    corpus = qc.read_transcripts(PDPILOT / "transcripts", interviewer=["Dan"])
    cb = qc.Codebook.read_csv(PDPILOT / "codebook.csv")
    seg = pd.read_csv(PDPILOT / "coded_segments.csv", keep_default_na=False)
    coding, report = corpus.align(seg, doc="document", code="code", text="segment", codebook=cb)
    assert len(coding) == 261
    path = tmp_path / "pdpilot.qdpx"
    qc.write_qdpx(corpus, cb, coding, path)
    validate_with_xmlschema(qde_of(path), "Project-mrt2019.xsd")
    p = qc.read_qdpx(path)
    assert len(p.coding) == 261
    pd.testing.assert_frame_equal(p.corpus.turns, corpus.turns)
    assert p.codebook.paths == cb.paths
    a = p.coding.to_frame().sort_values(["doc_id", "start", "end", "code"]).reset_index(drop=True)
    b = coding.to_frame().sort_values(["doc_id", "start", "end", "code"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[["doc_id", "start", "end", "code"]], b[["doc_id", "start", "end", "code"]])


# a random corpus with emoji, CRLF, CR-splitting spans, turns, attributes and codings
_chars = st.sampled_from(list("ab cd\n\r\r\n🤷é李.") + ["\r\n", "🙂 ", "Dan: ", "\nA1: "])


@st.composite
def projects(draw):
    n = draw(st.integers(1, 3))
    texts = ["".join(draw(st.lists(_chars, min_size=0, max_size=30))) for _ in range(n)]
    labels = draw(st.booleans())
    corpus = qc.Corpus.from_texts(texts, doc_ids=[f"D{i}" for i in range(n)], speaker_labels=labels,
                                  interviewer=["Dan"] if labels else (),
                                  attributes={"group": draw(st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n)),
                                              "age": draw(st.lists(st.integers(0, 99), min_size=n, max_size=n))})
    cb = qc.Codebook.from_dict({"T": {"A": None, "B": ["b*"]}, "U": None})
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        d = draw(st.integers(0, n - 1))
        L = len(texts[d])
        s = draw(st.integers(0, L))
        e = draw(st.integers(s, L))
        rows.append({"doc_id": f"D{d}", "start": s, "end": e, "code": draw(st.sampled_from(["T", "T > A", "T > B", "U"])),
                     "coder": draw(st.sampled_from(["c1", "c2", None])),
                     "memo": draw(st.sampled_from([None, "memo ✓", "line\nbreak"]))})
    frame = pd.DataFrame(rows, columns=["doc_id", "start", "end", "code", "coder", "memo"])
    return corpus, cb, qc.Coding.from_frame(corpus, cb, frame, coder="coder", memo="memo")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(projects())
def test_round_trip_property(tmp_path, proj):
    corpus, cb, coding = proj
    path = tmp_path / "r.qdpx"
    qc.write_qdpx(corpus, cb, coding, path)
    assert_same(qc.read_qdpx(path), corpus, cb, coding)


# --------------------------------------------------------------------------- NVivo / ATLAS.ti positions


NVIVO_TEXT = "Interviewer: How was it?\r\nP1: Great 🙂 really 👍 great.\r\nInterviewer: And the staff?\r\nP1: The nurses 🙌 were kind.\r\n"
WORDS = ["really", "great", "The nurses", "kind"]


def _utf16_offset(text: str, cp: int) -> int:
    return len(text[:cp].encode("utf-16-le")) // 2


def _vendor_qdpx(path: Path, text: str, spans, origin: str, bom: bool = True, unit: str = "utf16", crlf_one: bool = False,
                 names: bool = False) -> None:
    sels = []
    for k, (s, e) in enumerate(spans):
        base = text.replace("\r\n", "\n") if crlf_one else text
        if crlf_one:
            s, e = s - text[:s].count("\r\n"), e - text[:e].count("\r\n")
        if unit == "utf16":
            s, e = _utf16_offset(base, s), _utf16_offset(base, e)
        name = f' name="{text[spans[k][0]:spans[k][1]]}"' if names else ""
        sels.append(f'<PlainTextSelection guid="5E100000-0000-4000-8000-{k:012d}"{name} startPosition="{s}" endPosition="{e}">'
                    f'<Coding guid="C0D10000-0000-4000-8000-{k:012d}"><CodeRef targetGUID="C0DE0000-0000-4000-8000-000000000001"/>'
                    "</Coding></PlainTextSelection>")
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="vendor" origin="{origin}">
<CodeBook><Codes><Code guid="C0DE0000-0000-4000-8000-000000000001" name="Positive" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="50000000-0000-4000-8000-000000000001" name="P1.txt" plainTextPath="internal://50000000-0000-4000-8000-000000000001.txt">
{''.join(sels)}
</TextSource></Sources></Project>"""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("Sources/50000000-0000-4000-8000-000000000001.txt", (b"\xef\xbb\xbf" if bom else b"") + text.encode())


def _word_spans(text):
    out = []
    pos = 0
    for w in WORDS:
        i = text.index(w, pos)
        out.append((i, i + len(w)))
        pos = i + len(w)
    return out


@pytest.mark.parametrize("origin", ["NVivo for Windows 12.6", "Some other tool"])
def test_nvivo_windows_utf16_offsets_land_on_the_same_words(tmp_path, origin):
    path = tmp_path / "nv.qdpx"
    _vendor_qdpx(path, NVIVO_TEXT, _word_spans(NVIVO_TEXT), origin)
    p = qc.read_qdpx(path)
    assert p.coding.frame["text"].tolist() == WORDS
    assert p.sources["positions"].tolist() == ["utf16"]
    # selections after an emoji change text under the code-point reading: all reported
    assert (p.problems["problem"].str.contains("codepoints")).sum() == 4
    # the text keeps its CRLF and loses its BOM; offsets are Python indices into it
    assert p.corpus.texts == [NVIVO_TEXT]


def test_positions_can_be_forced(tmp_path):
    path = tmp_path / "nv.qdpx"
    _vendor_qdpx(path, NVIVO_TEXT, _word_spans(NVIVO_TEXT), "NVivo for Windows 12.6")
    p = qc.read_qdpx(path, positions="codepoints")
    assert p.coding.frame["text"].tolist() != WORDS
    assert qc.read_qdpx(path, positions="utf16").coding.frame["text"].tolist() == WORDS


def test_atlasti_crlf_counted_once(tmp_path):
    path = tmp_path / "at.qdpx"
    _vendor_qdpx(path, NVIVO_TEXT, _word_spans(NVIVO_TEXT), "ATLAS.ti 9", bom=False, unit="codepoints", crlf_one=True)
    p = qc.read_qdpx(path)
    assert p.coding.frame["text"].tolist() == WORDS
    assert p.sources["positions"].tolist() == ["codepoints, crlf=1"]


def test_selection_names_decide_the_reading(tmp_path):
    # one selection, text where both readings land on word boundaries: the quoted name decides
    text = "🙂 ab cd ef\r\n"
    path = tmp_path / "n.qdpx"
    _vendor_qdpx(path, text, [(5, 7)], "Other", bom=False, unit="utf16", names=True)
    assert qc.read_qdpx(path).coding.frame["text"].tolist() == ["cd"]


def test_bom_counted(tmp_path):
    text = "ab 🙂 cd ef\n"
    path = tmp_path / "b.qdpx"
    s = text.index("cd")
    # positions counting the BOM as one unit, in UTF-16 units
    _vendor_qdpx(path, text, [], "X")
    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde").decode()
    u = _utf16_offset(text, s) + 1
    qde = qde.replace("\n</TextSource>", f'<PlainTextSelection guid="5E100000-0000-4000-8000-000000000009" startPosition="{u}" '
                      f'endPosition="{u + 2}"><Coding guid="C0D10000-0000-4000-8000-000000000009"><CodeRef '
                      'targetGUID="C0DE0000-0000-4000-8000-000000000001"/></Coding></PlainTextSelection></TextSource>')
    rewrite(path, {"project.qde": qde.encode()})
    p = qc.read_qdpx(path)
    assert p.coding.frame["text"].tolist() == ["cd"]
    assert p.sources["positions"].tolist() == ["utf16+bom"]


def rewrite(path: Path, replace: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries.update(replace)
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)


# --------------------------------------------------------------------------- hostile and broken input


def _minimal(tmp_path: Path) -> Path:
    corpus = qc.Corpus.from_texts(["I trust my GP."], doc_ids=["A1"])
    cb = qc.Codebook.from_dict({"Trust": None})
    coding = qc.Coding.from_frame(corpus, cb, pd.DataFrame({"doc_id": ["A1"], "start": [2], "end": [7], "code": ["Trust"]}))
    path = tmp_path / "m.qdpx"
    qc.write_qdpx(corpus, cb, coding, path)
    return path


def _qde(path: Path) -> str:
    return qde_of(path).decode()


def test_xxe_and_billion_laughs_are_refused(tmp_path):
    path = _minimal(tmp_path)
    qde = _qde(path)
    xxe = qde.replace('<?xml version=\'1.0\' encoding=\'utf-8\'?>', '<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    assert "<!DOCTYPE" in xxe
    rewrite(path, {"project.qde": xxe.encode()})
    with pytest.raises(RefiError, match="DTD or entity"):
        qc.read_qdpx(path)
    lol = '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>\n<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;"/>'
    rewrite(path, {"project.qde": lol.encode()})
    with pytest.raises(RefiError, match="DTD or entity"):
        qc.read_qdpx(path)
    qdc = tmp_path / "x.qdc"
    qdc.write_text('<?xml version="1.0"?><!DOCTYPE c [<!ENTITY e SYSTEM "http://example.invalid/">]><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="C0DE0000-0000-4000-8000-000000000001" name="&e;" isCodable="true"/></Codes></CodeBook>')
    with pytest.raises(RefiError, match="DTD or entity"):
        qc.read_qdc(qdc)


def test_zip_slip_entry_is_refused(tmp_path):
    path = _minimal(tmp_path)
    rewrite(path, {"../../evil.txt": b"x"})
    with pytest.raises(RefiError, match="unsafe entry name '../../evil.txt'"):
        qc.read_qdpx(path)
    rewrite(path, {"/etc/passwd": b"x"})
    with pytest.raises(RefiError, match="unsafe entry name"):
        qc.read_qdpx(path)


def test_internal_path_with_traversal_is_refused(tmp_path):
    path = _minimal(tmp_path)
    qde = _qde(path)
    import re

    qde = re.sub(r'plainTextPath="internal://[^"]+"', 'plainTextPath="internal://../../etc/passwd"', qde)
    rewrite(path, {"project.qde": qde.encode()})
    with pytest.raises(RefiError, match="not a flat file name"):
        qc.read_qdpx(path)


def test_external_paths_stay_inside_base_path(tmp_path):
    path = _minimal(tmp_path)
    import re

    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    inside = tmp_path / "media"
    inside.mkdir()
    (inside / "t.txt").write_text("I trust my GP.")
    qde = re.sub(r'plainTextPath="internal://[^"]+"', 'plainTextPath="relative:///t.txt"', _qde(path))
    rewrite(path, {"project.qde": qde.encode()})
    p = qc.read_qdpx(path)  # without base_path nothing outside the zip is read
    assert len(p.corpus) == 0 and any("base_path" in w for w in p.warnings)
    assert qc.read_qdpx(path, base_path=inside).corpus.texts == ["I trust my GP."]
    qde = re.sub(r'plainTextPath="relative:///t.txt"', 'plainTextPath="relative:///../secret.txt"', qde)
    rewrite(path, {"project.qde": qde.encode()})
    with pytest.raises(RefiError, match="outside base_path"):
        qc.read_qdpx(path, base_path=inside)
    qde = qde.replace("relative:///../secret.txt", f"absolute:///{outside}")
    rewrite(path, {"project.qde": qde.encode()})
    with pytest.raises(RefiError, match="outside base_path"):
        qc.read_qdpx(path, base_path=inside)


def test_zip_bomb_limits(tmp_path):
    path = tmp_path / "bomb.qdpx"
    src = _minimal(tmp_path)
    with zipfile.ZipFile(src) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, d in entries.items():
            zf.writestr(n, d)
        zf.writestr("sources/padding.txt", b"\0" * 5_000_000)  # compresses to a few KB
    assert path.stat().st_size < 100_000
    with pytest.raises(RefiError, match="decompress to .* more than the limit"):
        qc.read_qdpx(path, max_bytes=1_000_000)
    with pytest.raises(RefiError, match="entries, more than the limit of 3"):
        qc.read_qdpx(path, max_entries=3)
    assert len(qc.read_qdpx(path).corpus) == 1


def test_lying_zip_header_is_caught(tmp_path):
    # an entry whose header declares a small size but that inflates to more
    path = tmp_path / "lie.qdpx"
    src = _minimal(tmp_path)
    with zipfile.ZipFile(src) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, d in entries.items():
            zf.writestr(n, d)
    data = bytearray(path.read_bytes())
    # shrink every declared uncompressed size of project.qde to 10 bytes (local and central headers)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("project.qde")
    real = info.file_size.to_bytes(4, "little")
    data = data.replace(real, (10).to_bytes(4, "little"))
    path.write_bytes(bytes(data))
    with pytest.raises(RefiError):
        qc.read_qdpx(path)


def test_not_a_zip_and_no_project(tmp_path):
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"this is not a zip")
    with pytest.raises(RefiError, match="not a zip file"):
        qc.read_qdpx(bad)
    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("sources/a.txt", b"x")
    with pytest.raises(RefiError, match="no project.qde"):
        qc.read_qdpx(empty)
    with pytest.raises(RefiError, match="no such file"):
        qc.read_qdpx(tmp_path / "missing.qdpx")


def test_invalid_xml_names_the_line_and_rule(tmp_path):
    path = _minimal(tmp_path)
    qde = _qde(path).replace(' isCodable="true"', "", 1)
    rewrite(path, {"project.qde": qde.encode()})
    with pytest.raises(RefiError) as err:
        qc.read_qdpx(path)
    line = next(i for i, ln in enumerate(qde.splitlines(), 1) if "<Code " in ln)
    assert f"line {line}" in str(err.value) and "isCodable" in str(err.value)
    p = qc.read_qdpx(path, validate=False)  # best effort on request
    assert len(p.coding) == 1
    rewrite(path, {"project.qde": b"<Project"})
    with pytest.raises(RefiError, match="not well-formed"):
        qc.read_qdpx(path)
    rewrite(path, {"project.qde": b'<Project xmlns="urn:QDA-XML:project:0:4" name="x"/>'})
    with pytest.raises(RefiError, match="root element"):
        qc.read_qdpx(path)


def test_dangling_and_duplicate_guids(tmp_path):
    path = _minimal(tmp_path)
    qde = _qde(path)
    import re

    code_guid = re.search(r'<Code guid="([^"]+)"', qde).group(1)
    dangling = qde.replace(f'CodeRef targetGUID="{code_guid}"', 'CodeRef targetGUID="00000000-0000-4000-8000-000000000000"')
    rewrite(path, {"project.qde": dangling.encode()})
    with pytest.raises(RefiError, match="CodeRef 00000000-0000-4000-8000-000000000000 refers to no code"):
        qc.read_qdpx(path)
    sel_guid = re.search(r'<PlainTextSelection guid="([^"]+)"', qde).group(1)
    dup = qde.replace(f'<PlainTextSelection guid="{sel_guid}"', f'<PlainTextSelection guid="{code_guid}"')
    rewrite(path, {"project.qde": dup.encode()})
    with pytest.raises(RefiError, match=f"duplicate GUID {code_guid.lower()}"):
        qc.read_qdpx(path)


def test_selection_outside_its_source(tmp_path):
    path = _minimal(tmp_path)
    qde = _qde(path).replace('endPosition="7"', 'endPosition="700"')
    rewrite(path, {"project.qde": qde.encode()})
    with pytest.raises(RefiError, match=r"selection 2..700 is outside its source \(14 characters\)"):
        qc.read_qdpx(path)
    p = qc.read_qdpx(path, errors="collect")
    assert len(p.coding) == 0
    assert p.problems[["start", "end"]].values.tolist() == [[2, 700]]


def test_write_is_atomic(tmp_path, monkeypatch, study):
    corpus, cb, coding = study
    path = tmp_path / "s.qdpx"
    path.write_bytes(b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", boom)
    with pytest.raises(OSError, match="disk full"):
        qc.write_qdpx(corpus, cb, coding, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["s.qdpx"]


def test_write_checks_its_arguments(tmp_path, study):
    corpus, cb, coding = study
    other = qc.Codebook.from_dict({"X": None})
    with pytest.raises(qc.errors.ArgumentError, match="codes not in the codebook"):
        qc.write_qdpx(corpus, other, coding, tmp_path / "x.qdpx")
    with pytest.raises(qc.errors.ArgumentError, match="another corpus"):
        qc.write_qdpx(qc.Corpus.from_texts(["x"]), cb, coding, tmp_path / "x.qdpx")
    with pytest.raises(RefiError, match="does not exist"):
        qc.write_qdpx(corpus, cb, coding, tmp_path / "no" / "x.qdpx")
    assert not list(tmp_path.iterdir())
    np.testing.assert_equal(len(coding), 4)


# --------------------------------------------------------------------------- review fixes


def test_variables_with_reserved_names_are_renamed(tmp_path):
    corpus = qc.Corpus.from_texts(["x", "y"], doc_ids=["A1", "B1"])
    path = tmp_path / "v.qdpx"
    qc.write_qdpx(corpus, qc.Codebook.from_dict({"T": None}), None, path)
    qde = qde_of(path).decode()
    # a vendor project whose variables are called doc_id and text
    assert "<Cases" in qde
    qde = qde.replace("<Cases", '<Variables><Variable guid="7A000000-0000-4000-8000-000000000001" name="doc_id" '
                      'typeOfVariable="Text"/><Variable guid="7A000000-0000-4000-8000-000000000002" name="text" '
                      'typeOfVariable="Text"/></Variables><Cases', 1)
    import re

    first_case = re.search(r'(<Case guid="[^"]+" name="A1">)', qde).group(1)
    qde = qde.replace(first_case, first_case + '<VariableValue><VariableRef targetGUID="7A000000-0000-4000-8000-000000000001"/>'
                      '<TextValue>B1</TextValue></VariableValue><VariableValue><VariableRef '
                      'targetGUID="7A000000-0000-4000-8000-000000000002"/><TextValue>t</TextValue></VariableValue>', 1)
    rewrite(path, {"project.qde": qde.encode(), "qualcore.json": b"{}"})
    p = qc.read_qdpx(path)
    attrs = p.corpus.attributes
    assert list(attrs.index) == ["A1", "B1"]  # ids are the sources', not the variable's
    assert attrs.loc["A1", "doc_id (variable)"] == "B1" and attrs.loc["A1", "text (variable)"] == "t"
    assert sum("is a name qualcore's tables use" in w for w in p.warnings) == 2


def test_a_tampered_sidecar_is_ignored(tmp_path, study):
    corpus, cb, coding = study
    path = tmp_path / "s.qdpx"
    qc.write_qdpx(corpus, cb, coding, path)
    with zipfile.ZipFile(path) as zf:
        import json

        side = json.loads(zf.read("qualcore.json"))
    first = next(iter(side["documents"]))
    side["documents"][first]["lone_cr"] = [10**6]
    rewrite(path, {"qualcore.json": json.dumps(side).encode()})
    p = qc.read_qdpx(path)
    assert any("qualcore.json" in w for w in p.warnings)
    assert len(p.corpus) == 2 and len(p.coding) == len(coding)  # read like any other project
    side["documents"][first]["turns"] = [["x"]]
    rewrite(path, {"qualcore.json": json.dumps(side).encode()})
    assert any("ignored" in w for w in qc.read_qdpx(path).warnings)


def test_writer_skips_non_finite_floats_and_rejects_clashing_names(tmp_path):
    corpus = qc.Corpus.from_texts(["x", "y", "z"], doc_ids=["A", "B", "C"], attributes={"score": [1.5, np.nan, np.inf]})
    path = tmp_path / "f.qdpx"
    qc.write_qdpx(corpus, qc.Codebook.from_dict({"Tr\x0bust": None}), None, path)  # control character in a name
    validate_with_xmlschema(qde_of(path), "Project-mrt2019.xsd")
    back = qc.read_qdpx(path)
    assert back.corpus.attributes["score"].iloc[0] == 1.5 and back.corpus.attributes["score"].iloc[1:].isna().all()
    frame = pd.DataFrame({"doc_id": ["A", "B", "C"], 1: [1, 2, 3], "1": [4, 5, 6]})
    clash = qc.Corpus.from_texts(["x", "y", "z"], doc_ids=["A", "B", "C"]).with_attributes(frame)
    with pytest.raises(qc.errors.ArgumentError, match="same as text"):
        qc.write_qdpx(clash, qc.Codebook.from_dict({"T": None}), None, tmp_path / "g.qdpx")


def test_a_position_inside_a_surrogate_pair_is_reported(tmp_path):
    text = "ab 🙂 cd\n"
    path = tmp_path / "s.qdpx"
    _vendor_qdpx(path, text, [], "NVivo for Windows 12.6")
    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde").decode()
    # UTF-16 unit 4 is the second half of the emoji
    qde = qde.replace("\n</TextSource>", '<PlainTextSelection guid="5E100000-0000-4000-8000-000000000009" startPosition="4" '
                      'endPosition="8"><Coding guid="C0D10000-0000-4000-8000-000000000009"><CodeRef '
                      'targetGUID="C0DE0000-0000-4000-8000-000000000001"/></Coding></PlainTextSelection></TextSource>')
    rewrite(path, {"project.qde": qde.encode()})
    with pytest.raises(RefiError, match="splits a character"):
        qc.read_qdpx(path, positions="utf16")


def test_project_tables_use_the_final_document_ids(tmp_path):
    corpus = qc.Corpus.from_texts(["x", "y"], doc_ids=["site1/A1", "site2/A1"], attributes={"group": ["a", "b"]})
    path = tmp_path / "ids.qdpx"
    qc.write_qdpx(corpus, qc.Codebook.from_dict({"T": None}), None, path)
    p = qc.read_qdpx(path)
    assert p.corpus.doc_ids == ["site1/A1", "site2/A1"]
    assert p.sources["doc_id"].tolist() == ["site1/A1", "site2/A1"]
    assert sorted(p.sets["member"]) == ["site1/A1", "site2/A1"]
    assert [m for ms in p.cases["doc_ids"] for m in ms] == ["site1/A1", "site2/A1"]


def test_inline_content_counted_with_crlf_lands_on_the_words(tmp_path):
    # a tool wrote the text inline with CR LF and counted positions on it; XML parsing makes
    # the line ends LF, so the positions are one further per line than in the parsed text
    lines = [f"Dan: question {k}?" for k in range(6)] + ["A1: I trust my GP."]
    crlf_text = "\r\n".join(lines) + "\r\n"
    s = crlf_text.index("trust my GP")
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="inline" origin="Some tool">
<CodeBook><Codes><Code guid="C0DE0000-0000-4000-8000-000000000001" name="Trust" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="50000000-0000-4000-8000-000000000001" name="A1.txt"><PlainTextContent>{crlf_text}</PlainTextContent>
<PlainTextSelection guid="5E100000-0000-4000-8000-000000000001" name="trust my GP" startPosition="{s}" endPosition="{s + 11}">
<Coding guid="C0D10000-0000-4000-8000-000000000001"><CodeRef targetGUID="C0DE0000-0000-4000-8000-000000000001"/></Coding>
</PlainTextSelection></TextSource></Sources></Project>"""
    path = tmp_path / "inline.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde.encode())
    p = qc.read_qdpx(path)
    assert p.coding.frame["text"].tolist() == ["trust my GP"]
    assert p.sources["positions"].tolist() == ["codepoints, crlf=2 (inline)"]
