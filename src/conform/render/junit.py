"""`conform check --format junit`: the result document as JUnit XML, which GitLab, Jenkins and Azure DevOps show.

One test suite ("conform <profile>"), one test case per rule (classname = the rule's category, name = "CODE name").
A rule fails exactly when `--fail-on` fails it (conform.render.gate): the failure's message carries the count and
a message, its text up to 20 examples (one per line, person-IDs masked as in the document), the fix and the spec
section. Every other rule with findings passes with them in system-out, saying why they do not fail the gate; a
rule without findings passes; a rule that could not be evaluated (its table or column is missing) is skipped.
The shape follows the JUnit XML schema the Jenkins xUnit plugin publishes (junit-10.xsd), which is what these
platforms read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from conform.render.findings import filled
from conform.render.gate import failing_rules
from conform.catalogue import fill, labels, plural

# Characters XML 1.0 cannot carry at all (most C0 controls, surrogates, U+FFFE/FFFF): shown as \xNN / \uNNNN.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def junit_xml(document: dict, fail_on: str = "error") -> str:
    L = labels(document["language"])
    failing = failing_rules(document, fail_on)
    CI = L["ci"]
    profile = document["profile"]
    suite = ET.Element("testsuite", {
        "name": _safe(f"conform {profile['name']}"), "tests": "0", "failures": "0", "errors": "0", "skipped": "0",
        # No timestamp: the same export, options and --as-of give the same file on any day (the JSON result
        # carries the creation time).
        "time": "0",
    })
    properties = ET.SubElement(suite, "properties")
    for name, value in [
        ("profile", profile["name"]), ("profile_version", profile["version"]),
        ("tool_version", document["tool"]["version"]), ("as_of", document["as_of"]),
        ("as_of_source", document["as_of_source"]), ("export", document["export"]["path"]),
        ("verdict", document["summary"]["verdict"]),
        *((f"findings_{s}", str(n)) for s, n in document["summary"]["findings"].items()),
        ("person_ids_masked", str(document["person_ids_masked"]).lower()),
        ("fail_on", fail_on),
    ]:
        ET.SubElement(properties, "property", {"name": name, "value": _safe(value)})

    failures = skipped = 0
    passing = CI["junit_passing"]
    for rule in document["rules"]:
        case = ET.SubElement(suite, "testcase", {"name": _safe(f"{rule['code']} {rule['name']}"),
                                                 "classname": rule["category"], "time": "0"})
        if rule["code"] in failing:
            failures += 1
            failure = ET.SubElement(case, "failure", {"message": _safe(_message(rule, CI)),
                                                      "type": rule["severity"]})
            failure.text = _safe(_details(rule, CI))
        elif rule["not_evaluated_in"] and not rule["count"]:
            skipped += 1
            ET.SubElement(case, "skipped", {"message": _safe(f"{L['not_evaluated']}: "
                                                             f"{', '.join(rule['not_evaluated_in'])}")})
        elif rule["count"]:
            out = ET.SubElement(case, "system-out")
            why = passing["error"] if rule["severity"] == "error" else passing["below"]
            note = fill(plural(why, rule["count"]), count=rule["count"], fail_on=fail_on,
                        severity=L["severity_names"][rule["severity"]])
            out.text = _safe(note + "\n" + _details(rule, CI))
    tests = len(document["rules"])
    if document["summary"]["verdict"] == "provisional":
        # No rule fails for it, but the gate does at every level (exit 3): a test case that a pipeline shows failed.
        tests, failures = tests + 1, failures + 1
        said = CI["junit_provisional"]
        case = ET.SubElement(suite, "testcase", {"name": _safe(said["name"]), "classname": "mapping", "time": "0"})
        ET.SubElement(case, "failure", {"message": _safe(fill(
            said["message"], open=document["summary"]["provisional"]["open_items"],
            file=document["mapping"]["path"])), "type": "provisional"})
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))

    root = ET.Element("testsuites", {"name": "conform", "tests": str(tests),
                                     "failures": str(failures), "errors": "0", "time": "0"})
    root.append(suite)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _message(rule: dict, CI: dict) -> str:
    first = rule["examples"][0]["message"] if rule["examples"] else rule["name"]
    return fill(plural(CI["junit_message"], rule["count"]), count=rule["count"], message=_one_line(first))


def _details(rule: dict, CI: dict) -> str:
    lines = [_example(e) for e in rule["examples"]]
    if rule["count"] > len(rule["examples"]):
        lines.append(CI["junit_more"].replace("{n}", str(rule["count"] - len(rule["examples"]))))
    fix = filled(rule["fix"], rule["examples"][0] if rule["examples"] else None)
    lines.append(f"{CI['junit_fix']}: {_one_line(fix)}")
    lines.append(f"{CI['junit_spec']}: {_one_line(rule['spec'])}")
    return "\n".join(lines)


def _example(e: dict) -> str:
    where = e["table"] + (f":{e['row']}" if e["row"] is not None else "")
    key = f" [{_one_line(e['key'])}]" if e["key"] else ""
    return f"{where}{key} {_one_line(e['message'])}"


def _one_line(text: str | None) -> str:
    return "" if text is None else " ".join(str(text).splitlines())


def _safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
                        str(text))
