"""A check result as JUnit XML (``azora-infra check --format junit``), for CI test reports.

One ``<testsuite>`` per stack; one ``<testcase>`` per policy per resource that failed it
(``classname`` = the resource's URN, ``name`` = the policy). A mandatory violation is a
``<failure>``; an advisory one (including "can't run during preview") is a passing test case whose
``<system-out>`` holds the message, so it is visible without failing the report. A clean check
has a single passing test case, so the report is never empty. The layout is the common Ant/Jenkins
one that GitHub, GitLab and Jenkins read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .run import CheckResult, Violation


def _key(v: Violation) -> tuple[str, str]:
    return (v.urn, v.policy)


def to_junit(result: CheckResult) -> str:
    """The JUnit XML document (a string, with an XML declaration)."""
    cases: dict[tuple[str, str], list[Violation]] = {}
    for v in result.violations:
        cases.setdefault(_key(v), []).append(v)
    failures = sum(1 for items in cases.values() if any(v.mandatory for v in items))
    total_time = f"{result.timings.get('total', 0.0):.3f}"
    suites = ET.Element("testsuites", name=f"azora-infra check {result.stack}", tests=str(max(1, len(cases))),
                        failures=str(failures), errors="0", time=total_time)
    suite = ET.SubElement(suites, "testsuite", name=f"{result.pack_name}@{result.pack_version} on {result.stack}",
                          tests=str(max(1, len(cases))), failures=str(failures), errors="0", skipped="0",
                          time=total_time)
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="stack", value=result.stack)
    ET.SubElement(props, "property", name="resourcesChecked", value=str(result.resources_checked))
    ET.SubElement(props, "property", name="policies", value=str(len(result.policies)))
    if not cases:
        ET.SubElement(suite, "testcase", classname=result.stack, name="no policy violations", time="0")
    for (urn, policy), items in cases.items():
        case = ET.SubElement(suite, "testcase", classname=urn or result.stack, name=policy, time="0")
        text = "\n\n".join(v.message for v in items)
        mandatory = [v for v in items if v.mandatory]
        if mandatory:
            head = mandatory[0].message.splitlines()[-1] if mandatory[0].message else policy
            failure = ET.SubElement(case, "failure", message=head[:1000], type=mandatory[0].enforcement_level)
            failure.text = f"{items[0].resource_type} {urn}\n{text}"
        else:
            ET.SubElement(case, "system-out").text = f"{items[0].enforcement_level}: {text}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


__all__ = ["to_junit"]
