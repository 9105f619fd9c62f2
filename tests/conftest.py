import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

# The rule-case helpers live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _fingerprint_key(monkeypatch):
    """Results written by the CLI in tests carry fingerprints made with a fixed key, never the user's own key
    file (conform.result.fingerprint)."""
    monkeypatch.setenv("CONFORM_FINGERPRINT_KEY", "conform-test-key-not-secret-0000")


@pytest.fixture(autouse=True)
def _shifted_clock():
    """CONFORM_TEST_CLOCK_SHIFT_DAYS=N runs a test with the clock N days ahead (tests/test_reproducible.py runs
    the golden comparisons a year from now this way): no output may depend on the day it is made."""
    days = os.environ.get("CONFORM_TEST_CLOCK_SHIFT_DAYS")
    if not days:
        yield
        return
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=int(days)), tick=True):
        yield


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for a test module (tests/browser.py); the module says it needs Playwright."""
    from browser import Browser

    b = Browser()
    yield b
    b.close()
