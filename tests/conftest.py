import sys
from pathlib import Path

import pytest

# The rule-case helpers live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _fingerprint_key(monkeypatch):
    """Results written by the CLI in tests carry fingerprints made with a fixed key, never the user's own key
    file (conform.fingerprint)."""
    monkeypatch.setenv("CONFORM_FINGERPRINT_KEY", "conform-test-key-not-secret-0000")
