"""Where the project's bundled data lives.

Profiles, rule sets and templates sit at the top of the repository (they are data a reviewer reads, not code)
and travel inside the package when it is built (pyproject's force-include), so an installed wheel finds them in
the package and an editable checkout beside the source tree. ``CONFORM_HOME`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_PROFILE = "basinformation-1.0"


def _home() -> Path:
    if os.environ.get("CONFORM_HOME"):
        return Path(os.environ["CONFORM_HOME"])
    if (PACKAGE_DIR / "profiles").is_dir():
        return PACKAGE_DIR
    return PACKAGE_DIR.parents[1]


HOME = _home()
PROFILES_DIR = HOME / "profiles"
RULES_DIR = HOME / "rules"
TEMPLATES_DIR = HOME / "reports_templates"
TESTPERSONNUMMER_DIR = PACKAGE_DIR / "data" / "testpersonnummer"
SCHEMAS_DIR = PACKAGE_DIR / "schemas"


def profile_dir(name_or_path: str = DEFAULT_PROFILE) -> Path:
    """A profile by bundled name, or a path to a profile folder."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    return PROFILES_DIR / name_or_path


def rules_dir(profile_name: str = DEFAULT_PROFILE) -> Path:
    return RULES_DIR / profile_name
