"""What a test needs from the machine, said once: where it is missing, a local run skips the test, and a CI
run (``.ci/run`` sets ``CI``) fails it, naming what to install — a missing package can never pass as green."""

from __future__ import annotations

import os

import pytest

__all__ = ["need"]


def need(present: object, what: str) -> None:
    """Go on when ``present`` is true; else fail in CI or skip here, saying ``what`` is missing and how to
    get it (e.g. ``"Debian's chromium (apt-get install chromium)"``)."""
    if present:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide {what} (.ci/run)")
    pytest.skip(f"missing: {what}")
