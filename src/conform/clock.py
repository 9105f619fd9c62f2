"""The one clock conform reads: the time a document was made, and today where no reference date is given.

Honours SOURCE_DATE_EPOCH (reproducible-builds.org): with it set, the same input and options give the same
bytes on any day, the creation times included.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone


def now() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)


def timestamp() -> str:
    """Now as ISO 8601 in UTC, to the second: the value of a field named for a creation time."""
    return now().replace(microsecond=0).isoformat().replace("+00:00", "Z")


def today() -> date:
    return now().date()
