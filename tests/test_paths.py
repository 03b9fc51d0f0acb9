"""File names and folder listings as pathlib gives them (read_transcripts builds ids from them)."""

from __future__ import annotations

from pathlib import Path, PurePath

from hypothesis import given
from hypothesis import strategies as st

from qualcore._corpus import _files_in
from qualcore._util import path_stem, path_suffix

PART = st.sampled_from(["a", "b.txt", ".hidden", "x.tar.gz", "name.", "..", ".", "", "dir", "A1.JSON", "é.csv"])


@given(st.lists(PART, min_size=1, max_size=4), st.booleans(), st.booleans())
def test_stem_and_suffix_equal_pathlib(parts: list[str], absolute: bool, trailing: bool) -> None:
    p = ("/" if absolute else "") + "/".join(parts) + ("/" if trailing else "")
    assert path_stem(p) == PurePath(p).stem
    assert path_suffix(p) == PurePath(p).suffix


def test_folder_listing_equals_path_glob(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", ".hidden.txt", "c.TXT", "d.json", "e.txt.bak"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "sub.txt").mkdir()
    for folder in (str(tmp_path), str(tmp_path) + "/", str(tmp_path / "." / "")):
        for pattern in ("*.txt", "*", "?.json", "[ab].txt"):
            want = sorted(str(x) for x in Path(folder).glob(pattern) if x.is_file())
            assert _files_in(folder, pattern) == want, (folder, pattern)
