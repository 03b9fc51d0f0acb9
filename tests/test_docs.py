"""Every example in the README and in the public docstrings runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    "qualcore",
    "qualcore._corpus",
    "qualcore._tokens",
    "qualcore._kwic",
    "qualcore._codebook",
    "qualcore._coding",
    "qualcore._agreement",
    "qualcore._unitized",
    "qualcore._cooccurrence",
    "qualcore._refi",
    "qualcore._terms",
    "qualcore._thematic",
    "qualcore._tables",
    "qualcore._attributes",
    "qualcore._report",
    "qualcore.dask",
    "qualcore._patterns",
    "qualcore.cli",
    "qualcore.plot",
    "qualcore.errors",
    "qualcore.datasets",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_readme_examples() -> None:
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10
    assert result.failed == 0


def test_every_public_name_has_a_docstring_with_an_example() -> None:
    import qualcore as qc

    missing = []
    for name in qc.__all__:
        obj = getattr(qc, name)
        if name.startswith("__") or isinstance(obj, (str, type(qc))):
            continue
        if ">>>" not in (obj.__doc__ or ""):
            missing.append(name)
        if isinstance(obj, type):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not callable(member) and not isinstance(member, (property, classmethod)):
                    continue
                doc = getattr(member, "__doc__", None) or ""
                if not doc.strip():
                    missing.append(f"{name}.{attr}")
    assert not missing, f"public names without a docstring example: {missing}"
