"""Test set-up: every run gets its own FUPIN_HOME so nothing touches a user's data."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("FUPIN_HOME", tempfile.mkdtemp(prefix="fupin-test-"))
os.environ.setdefault("FUPIN_NO_PROGRESS", "1")
