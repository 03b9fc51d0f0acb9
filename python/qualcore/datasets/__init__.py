"""Demo data bundled with qualcore.

The PDPilot interviews (7 semi-structured interviews, P1..P7, interviewer ``Dan``) come from
the PDPilot user study by Kerrigan et al., BSD-3-Clause, © 2023 DanielKerrigan; the licence is
bundled beside the transcripts (``qualcore/datasets/pdpilot/LICENSE``).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._corpus import Corpus

__all__ = ["load_pdpilot", "pdpilot_path"]


def pdpilot_path() -> Path:
    """The folder holding the bundled PDPilot transcripts ``P1.txt`` … ``P7.txt`` and their
    licence.

    >>> from qualcore.datasets import pdpilot_path
    >>> sorted(p.name for p in pdpilot_path().glob("*.txt"))[:2]
    ['P1.txt', 'P2.txt']
    """
    return Path(str(files(__name__).joinpath("pdpilot")))


def load_pdpilot() -> Corpus:
    """The PDPilot interviews as a corpus: 7 documents, 826 turns; ``Dan`` is declared the
    interviewer.  One label in P5 is a typo in the source (``Particpant:``), kept as read;
    fix it with ``.rename_speakers({"Particpant": "Participant"})``.

    >>> import qualcore as qc
    >>> c = qc.datasets.load_pdpilot()
    >>> c.turns.groupby("speaker").size().to_dict()
    {'Dan': 412, 'Participant': 413, 'Particpant': 1}
    """
    from .._corpus import read_transcripts

    return read_transcripts(pdpilot_path(), interviewer=["Dan"])
