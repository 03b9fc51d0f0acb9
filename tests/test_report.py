"""The HTML report (``qc.report``): its tables equal the DataFrames of the calls it reports,
the page references nothing outside itself, text from the data is escaped, the same inputs
give the same bytes, and a real headless browser (Debian's chromium) loads it without console
errors, runs its sorting script and renders a screenshot.

The browser tests need ``chromium``.  When it is missing and we are root with ``apt-get``, the
``chromium`` fixture installs it once per session (``apt-get update``, then ``apt-get install
-y --no-install-recommends chromium``; set ``QUALCORE_NO_BROWSER_INSTALL=1`` to forbid that);
otherwise those tests are skipped with the reason.  ``QUALCORE_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import qualcore as qc
from qualcore.errors import ArgumentError

GROUPS = {"P1": "Front-line", "P2": "Front-line", "P3": "Leader", "P4": "Leader", "P5": "Leader",
          "P6": "Front-line", "P7": "Leader"}
CODEBOOK = {
    "Trust": {"description": "Whether participants trust the model",
              "children": {"Credibility": ["trust*", "distrust*", "believ*", "confiden*"],
                           "Evidence base": ["evidence", "data", "ground truth"]}},
    "Interpretation": {"Explaining": ["explain*", "explanation*", "interpret*"],
                       "Plots": ["pdp*", "ice plot*", "partial dependence", "plot*"]},
    "Power": {"Institutions": ["company", "team*", "organi?ation*", "client*"]},
}


# ---------------------------------------------------------------------------------------------
# Fixtures and a small HTML reader


@pytest.fixture(scope="module")
def corpus() -> qc.Corpus:
    att = pd.DataFrame({"doc_id": list(GROUPS), "group": list(GROUPS.values())})
    return qc.datasets.load_pdpilot().rename_speakers({"Particpant": "Participant"}).with_attributes(att)


@pytest.fixture(scope="module")
def codebook() -> qc.Codebook:
    return qc.Codebook.from_dict(CODEBOOK)


@pytest.fixture(scope="module")
def coding(corpus: qc.Corpus, codebook: qc.Codebook) -> qc.Coding:
    return corpus.participants().autocode(codebook, unit="sentence")


@pytest.fixture(scope="module")
def page(corpus: qc.Corpus, codebook: qc.Codebook, coding: qc.Coding) -> str:
    return qc.report(corpus, codebook, coding, title="PDPilot <test>")


class Page(HTMLParser):
    """Tables (by ``data-table``: header texts, body and footer rows as the cells'
    ``data-value`` or text), quote blocks, every start tag with its attributes, and all text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict[str, list[Any]]] = {}
        self.quotes: dict[str, list[tuple[str, str]]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._table: str | None = None
        self._part = "body"
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._value: str | None = None
        self._code: str | None = None
        self._quote: list[str] | None = None
        self._cite: list[str] | None = None
        self._pending: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self._table = a.get("data-table") or ""
            self.tables[self._table] = {"head": [], "body": [], "foot": []}
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = {"thead": "head", "tbody": "body", "tfoot": "foot"}[tag]
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._value = [], a.get("data-value")
        elif tag == "article":
            self._code = a.get("data-code")
            self.quotes[self._code or ""] = []
        elif tag == "p" and self._code is not None and a.get("class") is None:
            self._quote = []
        elif tag == "cite":
            self._cite = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = "".join(self._cell).strip()
            self._row.append(text if self._value is None or self._part == "head" else self._value)
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            t = self.tables[self._table]
            (t["head"].extend if self._part == "head" else t[self._part].append)(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "p" and self._quote is not None:
            self._pending, self._quote = "".join(self._quote), None
        elif tag == "cite" and self._cite is not None and self._code is not None:
            self.quotes[self._code].append((self._pending or "", "".join(self._cite)))
            self._cite = None
        elif tag == "article":
            self._code = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for buf in (self._cell, self._quote, self._cite):
            if buf is not None:
                buf.append(data)


def number(cell: str) -> float:
    return float("nan") if cell == "" else float(cell)


def assert_frame_cells(rows: list[list[str]], df: pd.DataFrame) -> None:
    """Table rows (row header, then cells) equal ``df`` (index, then values)."""
    assert [r[0] for r in rows] == [str(i) for i in df.index]
    for r, (_, want) in zip(rows, df.iterrows()):
        got = [number(c) for c in r[1:]]
        exp = [float(v) for v in want.tolist()]
        assert got == pytest.approx(exp, nan_ok=True)


# ---------------------------------------------------------------------------------------------
# Tables against the DataFrames


def test_summary_table_equals_corpus_summary(page: str, corpus: qc.Corpus) -> None:
    want = corpus.summary(by="group").dropna(axis=1, how="all")
    table = Page(page).tables["summary"]
    assert table["head"] == ["group", *want.columns]
    assert_frame_cells(table["body"], want.drop(index="all"))
    assert_frame_cells(table["foot"], want.loc[["all"]])  # the total stays below when sorting


def test_code_table_equals_code_matrix(page: str, coding: qc.Coding) -> None:
    want = qc.code_matrix(coding, by="group", count="cases")
    table = Page(page).tables["codes"]
    assert table["head"] == ["code", "Front-line", "Leader", "all"]
    assert_frame_cells(table["body"], want)
    # pandas reads the same numbers from the page (lxml), thousands separators and all
    (read,) = pd.read_html(io.StringIO(page), attrs={"data-table": "codes"}, index_col=0)
    assert read.index.tolist() == want.index.tolist()
    assert read.to_numpy().tolist() == want.to_numpy().tolist()


def test_pairs_table_equals_cooccurrence(page: str, coding: qc.Coding) -> None:
    cooc = qc.cooccurrence(coding, unit="sentence")
    rows = Page(page).tables["pairs"]["body"]
    assert rows
    pairs = {(a, b): int(cooc.loc[a, b]) for a in cooc.index for b in cooc.columns
             if list(cooc.index).index(a) < list(cooc.columns).index(b) and cooc.loc[a, b] > 0}
    assert len(rows) == min(len(pairs), 20)
    for a, b, both, jaccard in rows:
        assert int(both) == pairs[(a, b)]
        union = cooc.loc[a, a] + cooc.loc[b, b] - pairs[(a, b)]
        assert float(jaccard) == pytest.approx(pairs[(a, b)] / union, abs=5e-4)
    counts = [int(r[2]) for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_saturation_table_equals_saturation(page: str, coding: qc.Coding) -> None:
    want = qc.saturation(coding)
    rows = Page(page).tables["saturation"]["body"]
    assert [r[0] for r in rows] == want["doc_id"].tolist()
    got = [[int(x) for x in r[1:5]] for r in rows]
    assert got == want[["position", "n_codes", "new_codes", "cumulative"]].to_numpy().tolist()
    assert [r[5] for r in rows] == [", ".join(v) for v in want["new"]]


def test_quotes_per_code_with_labels(page: str, coding: qc.Coding) -> None:
    quotes = Page(page).quotes
    assert list(quotes) == coding.codes()
    frame = coding.frame
    for code, shown in quotes.items():
        rows = frame[frame["code"] == code]
        assert 1 <= len(shown) <= 3
        docs = []
        for text, label in shown:
            m = re.fullmatch(r"\((Front-line|Leader) (P\d)\)", label)
            assert m, label
            group, doc = m.groups()
            assert GROUPS[doc] == group
            texts = {" ".join(t.split()) for t in rows.loc[rows["doc_id"] == doc, "text"]}
            assert text.rstrip(" …") in {t[: len(text.rstrip(" …"))] for t in texts}, (code, text)
            docs.append(doc)
        # different participants first: a participant repeats only when too few others have the code
        assert len(set(docs)) == min(len(docs), rows["doc_id"].nunique())


def test_level_and_by_none(corpus: qc.Corpus, codebook: qc.Codebook, coding: qc.Coding) -> None:
    page = Page(qc.report(corpus, codebook, coding, by=None, level=1, quotes=2))
    want = qc.code_matrix(coding, by=None, level=1)
    assert page.tables["codes"]["head"] == ["code", "all"]
    assert_frame_cells(page.tables["codes"]["body"], want)
    assert page.tables["summary"]["body"] == []
    assert_frame_cells(page.tables["summary"]["foot"], corpus.summary(by=None).dropna(axis=1, how="all"))
    assert list(page.quotes) == ["Trust", "Interpretation", "Power"]
    assert all(re.fullmatch(r"\(P\d\)", label) for shown in page.quotes.values() for _, label in shown)
    assert all(len(shown) <= 2 for shown in page.quotes.values())


def test_custom_label_and_no_quotes(corpus: qc.Corpus, codebook: qc.Codebook, coding: qc.Coding) -> None:
    page = Page(qc.report(corpus, codebook, coding, label="[{doc_id}, {speaker}]"))
    labels = {label for shown in page.quotes.values() for _, label in shown}
    assert labels and all(re.fullmatch(r"\[P\d, Participant\]", x) for x in labels)
    assert Page(qc.report(corpus, codebook, coding, quotes=0)).quotes == {}


def test_an_empty_coding_still_reports(corpus: qc.Corpus, codebook: qc.Codebook) -> None:
    empty = corpus.autocode(qc.Codebook.from_dict({"Trust": {"Credibility": ["zzzzqqq"]}}))
    page = qc.report(corpus, codebook, empty)
    assert "nothing can co-occur" in page and "No coded passages" in page
    parsed = Page(page)
    assert_frame_cells(parsed.tables["codes"]["body"], qc.code_matrix(qc.Coding(corpus, codebook, empty.to_frame())))
    assert {c for r in parsed.tables["codes"]["body"] for c in r[1:]} == {"0"}
    assert parsed.tables["saturation"]["body"][-1][4] == "0"


def test_bad_arguments(corpus: qc.Corpus, codebook: qc.Codebook, coding: qc.Coding, tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="by: no attribute 'region'"):
        qc.report(corpus, codebook, coding, by="region")
    with pytest.raises(ArgumentError, match="quotes"):
        qc.report(corpus, codebook, coding, quotes=-1)
    with pytest.raises(ArgumentError, match="unit"):
        qc.report(corpus, codebook, coding, unit="paragraph")
    with pytest.raises(ArgumentError, match="not in it"):
        qc.report(corpus, qc.Codebook.from_dict({"Other": None}), coding)
    other = qc.Corpus.from_texts(["trust"], doc_ids=["X1"])
    with pytest.raises(ArgumentError, match="another corpus"):
        qc.report(other, codebook, coding, by=None)
    with pytest.raises(ArgumentError, match="folder"):
        qc.report(corpus, codebook, coding, tmp_path)
    with pytest.raises(ArgumentError, match="label"):
        qc.report(corpus, codebook, coding, label="({region})")


# ---------------------------------------------------------------------------------------------
# Self-contained, escaped, deterministic


def test_no_external_references(page: str) -> None:
    parsed = Page(page)
    for tag, attrs in parsed.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base", "audio", "video", "source"), tag
        for name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None:  # a fragment of the page, or an image inside it (the heatmap's pixels)
                assert value.startswith(("#", "data:image/png;base64,")), (tag, name, value[:80])
    scripts = [a for t, a in parsed.tags if t == "script"]
    assert scripts == [{}]  # one inline script, no src
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and not re.search(r"url\((?!#)", page)
    # The Content-Security-Policy forbids fetches and allows exactly the inline script.
    (csp,) = [a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert csp == f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'"


def test_figures_are_inline_svg_with_unique_ids(page: str) -> None:
    parsed = Page(page)
    svgs = [a for t, a in parsed.tags if t == "svg"]
    assert [a.get("aria-label") for a in svgs] == ["cooccurrence", "thematic map", "saturation"]
    ids = [a["id"] for _, a in parsed.tags if "id" in a and a["id"] is not None]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1][:5]
    refs = re.findall(r'href="#([^"]+)"|url\(#([^)]+)\)', page)
    assert {a or b for a, b in refs} <= set(ids)  # every reference finds its target
    assert "<?xml" not in page and page.count("<!DOCTYPE") == 1 and "<!--" not in page


HOSTILE = "<script>alert(1)</script>"


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    texts = [f"Dan: Why?\nA1: I trust {HOSTILE} my GP & the data.\n",
             "Dan: And?\nB1: \"Trust\" ' <img src=x onerror=alert(2)> no data --> here.\n"]
    corpus = qc.Corpus.from_texts(texts, doc_ids=['A1"><b>', "B1</td>"], speaker_labels=True, interviewer=["Dan"],
                                  attributes={"group": ["</table><script>alert(3)</script>", "Leader $x$ & co"]})
    cb = qc.Codebook.from_dict({"<b onmouseover=alert(4)>Trust</b>": {"Cred $\\frac$": ["trust"]}, "Data --> x": ["data"]})
    coding = corpus.participants().autocode(cb, unit="sentence")
    page = qc.report(corpus, cb, coding, title=f"</title>{HOSTILE}", date="<i>today</i>")
    parsed = Page(page)
    # Nothing from the data became markup: one script (ours), no event handlers, no stray tags.
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert not [(t, k) for t, a in parsed.tags for k in a if k.startswith("on")]
    assert not {"img", "b", "i"} & {t for t, _ in parsed.tags}
    # ... and it reads back as the very text it was.
    text = "".join(parsed.text)
    for s in (HOSTILE, "<img src=x onerror=alert(2)>", "</table><script>alert(3)</script>", "<i>today</i>",
              "<b onmouseover=alert(4)>Trust</b>", 'A1"><b>', "B1</td>", "Leader $x$ & co"):
        assert s in text, s
    assert html.escape(HOSTILE) in page
    assert parsed.tables["summary"]["body"][0][0] == "</table><script>alert(3)</script>"


def test_same_inputs_same_bytes(page: str, corpus: qc.Corpus, codebook: qc.Codebook, coding: qc.Coding,
                                tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    again = qc.report(corpus, codebook, coding, target, title="PDPilot <test>")
    assert again == page
    assert target.read_bytes() == page.encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary file left
    assert not re.search(r"\b20\d\d-\d\d-\d\d|\d\d:\d\d:\d\d", page)  # no date unless passed
    dated = qc.report(corpus, codebook, coding, title="PDPilot <test>", date="2025-01-31")
    assert dated.replace('\n<p class="meta">2025-01-31</p>', "") == page


def test_same_bytes_in_another_process(page: str, tmp_path: Path) -> None:
    """A new interpreter with another hash seed writes the same file."""
    script = tmp_path / "make.py"
    script.write_text(
        "import sys, pandas as pd, qualcore as qc\n"
        f"GROUPS = {GROUPS!r}\nCODEBOOK = {CODEBOOK!r}\n"
        "att = pd.DataFrame({'doc_id': list(GROUPS), 'group': list(GROUPS.values())})\n"
        "c = qc.datasets.load_pdpilot().rename_speakers({'Particpant': 'Participant'}).with_attributes(att)\n"
        "cb = qc.Codebook.from_dict(CODEBOOK)\n"
        "qc.report(c, cb, c.participants().autocode(cb, unit='sentence'), sys.argv[1], title='PDPilot <test>')\n",
        encoding="utf-8")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = tmp_path / "other.html"
    proc = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == page


def test_written_file_is_readable_like_any_new_file(corpus: qc.Corpus, codebook: qc.Codebook, coding: qc.Coding,
                                                    tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    old = os.umask(0o022)
    try:
        qc.report(corpus, codebook, coding, str(target), quotes=0)
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------------------------------------
# A real browser: Debian's chromium, headless


def _install_chromium() -> str | None:
    """Installs Debian's chromium with apt-get (root only); the reason it could not, or None."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    t0 = time.monotonic()
    for cmd, timeout in ((["apt-get", "update", "-q"], 300),
                         (["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"], 900)):
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return f"'{' '.join(cmd)}' took longer than {timeout} s"
        if proc.returncode != 0:
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            return f"'{' '.join(cmd)}' failed ({proc.returncode}): {tail}"
    print(f"installed chromium with apt-get in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless-capable chromium: ``$QUALCORE_CHROMIUM``, else ``chromium`` on
    the PATH, else Debian's package installed now (root with apt-get only; once per session);
    otherwise the test is skipped, saying why."""
    given = os.environ.get("QUALCORE_CHROMIUM")
    if given:
        found = shutil.which(given)
        if not found:
            pytest.skip(f"QUALCORE_CHROMIUM={given!r} is not an executable")
        return found
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("QUALCORE_NO_BROWSER_INSTALL"):
        pytest.skip("chromium is not installed and QUALCORE_NO_BROWSER_INSTALL forbids installing it")
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get); "
                    "install it with 'apt-get install --no-install-recommends chromium' to run the browser tests")
    problem = _install_chromium()
    found = shutil.which("chromium")
    if problem or not found:
        pytest.skip(f"chromium is not installed and installing it failed: {problem or 'no chromium on the PATH after'}")
    return found


def _browser(chromium: str, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--enable-logging=stderr", "--v=0", f"--user-data-dir={page.parent / 'chromium-profile'}", *args,
           page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def _console(stderr: str) -> list[str]:
    """Console messages and script errors in chromium's log (``INFO:CONSOLE(..)] "..."``)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def _png(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values of the decoded image data."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.fixture(scope="module")
def page_file(page: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_browser_console_capture_works(chromium: str, tmp_path: Path) -> None:
    """The control: a page that logs and throws shows both in the log this test scans."""
    probe = tmp_path / "probe.html"
    probe.write_text('<!DOCTYPE html><html><body><script>console.error("qualcore-probe");'
                     'throw new Error("qualcore-boom");</script></body></html>', encoding="utf-8")
    proc = _browser(chromium, probe, "--dump-dom")
    lines = _console(proc.stderr)
    assert any("qualcore-probe" in x for x in lines) and any("Uncaught Error: qualcore-boom" in x for x in lines), proc.stderr


def test_browser_loads_the_report_and_runs_its_script(chromium: str, page_file: Path) -> None:
    proc = _browser(chromium, page_file, "--dump-dom")
    assert proc.returncode == 0, proc.stderr
    assert _console(proc.stderr) == []  # no console messages, no errors, no CSP refusals
    assert "Refused to" not in proc.stderr and "violates the following Content Security Policy" not in proc.stderr
    dom = proc.stdout
    assert re.search(r'<html lang="en" data-sortable="4"', dom), dom[:300]  # the sorting script ran (CSP allowed it)
    assert dom.count('aria-sort="none"') == sum(len(t["head"]) for t in Page(page_file.read_text()).tables.values())


def test_browser_screenshot(chromium: str, page_file: Path) -> None:
    shot = page_file.parent / "report.png"
    proc = _browser(chromium, page_file, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars")
    assert proc.returncode == 0, proc.stderr
    assert _console(proc.stderr) == []
    assert shot.is_file() and shot.stat().st_size > 20_000, proc.stderr
    width, height, distinct = _png(shot)
    assert (width, height) == (1280, 2000)
    assert distinct > 50  # text, tables and figures, not a blank page


def test_browser_sorts_a_table_on_click(chromium: str, page_file: Path, coding: qc.Coding) -> None:
    """Clicking the 'all' header twice sorts the code table by it, descending, ties kept in
    order.  (A test copy: the click comes from an extra script the page's CSP would refuse.)"""
    text = page_file.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    click = ("<script>var th = document.querySelectorAll('#table-codes thead th')[3]; th.click(); th.click();"
             "document.documentElement.setAttribute('data-order', Array.prototype.map.call("
             "document.querySelectorAll('#table-codes tbody tr'), function (r) { return r.cells[0].textContent; })"
             ".join('|'));</script>")
    copy = page_file.parent / "click.html"
    copy.write_text(text.replace("</body>", click + "</body>"), encoding="utf-8")
    proc = _browser(chromium, copy, "--dump-dom")
    assert _console(proc.stderr) == []
    m = re.search(r'data-order="([^"]*)"', proc.stdout)
    assert m, proc.stdout[:300]
    matrix = qc.code_matrix(coding, by="group")
    want = [code for _, code in sorted(enumerate(matrix.index), key=lambda x: (-matrix["all"].iloc[x[0]], x[0]))]
    assert html.unescape(m.group(1)).split("|") == want
    assert 'aria-sort="descending"' in proc.stdout


# ---------------------------------------------------------------------------------------------
# make demo


def test_demo_ends_by_writing_the_report_and_saying_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qualcore import demo

    out = tmp_path / "demo-output"
    assert demo.main(["--out", str(out)]) == 0
    printed = capsys.readouterr().out.rstrip("\n").splitlines()
    report_file = out / "report.html"
    assert printed[-1].strip() == f"{report_file}  ({report_file.resolve().as_uri()})"
    parsed = Page(report_file.read_text(encoding="utf-8"))
    assert parsed.tables["codes"]["head"] == ["code", "P1-P4", "P5-P7", "all"]
    assert parsed.quotes
