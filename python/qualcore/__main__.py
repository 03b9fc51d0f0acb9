"""``python -m qualcore``: the ``qualcore`` command line (see :mod:`qualcore.cli`).

The demo job stays its own module: ``python -m qualcore.demo``.
"""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
