"""Test configuration.

Hypothesis explores new random examples on every local run (and keeps failures in
``.hypothesis/``).  On CI (``CI`` set in the environment) the examples are derandomized, so a
submission's result does not depend on the luck of the draw; local runs keep searching.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
