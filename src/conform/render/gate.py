"""What `--fail-on` fails, read from the result document, so that the CI formats mark as failing exactly the
rules that make the exit code 1 (conform.model.CheckResult.exit_code).

At level error the verdict under the requirements decides: only the krav rules that block godkänt fail (those
violated in a skall set that is not met); a krav finding within a tolerance passes. At level warning or info,
every rule with a finding at or above that level fails.
"""

from __future__ import annotations

from conform.model import SEVERITY_RANK, ExitCode

LEVELS = ("error", "warning", "info")


def failing_rules(document: dict, fail_on: str = "error") -> set[str]:
    if fail_on not in LEVELS:
        raise ValueError(f"fail_on must be one of {LEVELS}, not {fail_on!r}")
    if fail_on == "error":
        return set(document["summary"]["blocking_rules"])
    floor = SEVERITY_RANK[fail_on]
    return {r["code"] for r in document["rules"] if r["count"] and SEVERITY_RANK[r["severity"]] >= floor}


def exit_code(document: dict, fail_on: str = "error") -> ExitCode:
    """The exit code the result's check gave (conform.model.CheckResult.exit_code), from the document alone."""
    if document["summary"]["verdict"] == "provisional":
        return ExitCode.PROVISIONAL
    return ExitCode.FINDINGS if failing(document, fail_on) else ExitCode.OK


def failing(document: dict, fail_on: str = "error") -> bool:
    """Whether the result fails at `fail_on`, as its exit code said (conform.model.CheckResult.exit_code): at
    error the verdict under the requirements decides, below it any finding at or above the level. A provisional
    verdict fails at every level: no pipeline passes a guess nobody has reviewed."""
    if document["summary"]["verdict"] == "provisional":
        return True
    if fail_on == "error":
        return document["summary"]["verdict"] == "nonconformant"
    floor = SEVERITY_RANK[fail_on]
    return any(n for severity, n in document["summary"]["findings"].items() if SEVERITY_RANK[severity] >= floor)
