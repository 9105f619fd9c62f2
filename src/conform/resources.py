"""Where the project's bundled data lives.

Profiles and rule sets sit at the repository root (they are data a reviewer reads, not code), so an editable
install finds them beside the source tree; ``CONFORM_HOME`` points elsewhere when the tree is moved.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("CONFORM_HOME", PACKAGE_DIR.parents[1]))
PROFILES_DIR = HOME / "profiles"
RULES_DIR = HOME / "rules"
TEMPLATES_DIR = HOME / "reports_templates"
TESTPERSONNUMMER_DIR = PACKAGE_DIR / "data" / "testpersonnummer"
SCHEMAS_DIR = PACKAGE_DIR / "schemas"
DEFAULT_PROFILE = "basinformation-1.0"


def profile_dir(name_or_path: str = DEFAULT_PROFILE) -> Path:
    """A profile by bundled name, or a path to a profile folder."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    return PROFILES_DIR / name_or_path


def rules_dir(profile_name: str = DEFAULT_PROFILE) -> Path:
    return RULES_DIR / profile_name
