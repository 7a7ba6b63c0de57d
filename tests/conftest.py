"""Test-wide settings: a private data directory, so tests never touch the user's."""

import os
import tempfile

os.environ.setdefault("DFTRIAGE_HOME", tempfile.mkdtemp(prefix="dftriage-test-home-"))
