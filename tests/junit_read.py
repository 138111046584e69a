"""Reads a JUnit XML file with junitparser (the parser CI tools' plugins use)
and prints what it understood as JSON: the suites' totals and, per test case,
its name, its result (passed, failure, skipped) and the result's message and
type. Run by tests/verdict.rs, which asserts on it; `.ci/run` installs
junitparser from PyPI."""
import json
import sys

from junitparser import Failure, JUnitXml, Skipped

xml = JUnitXml.fromfile(sys.argv[1])
out = {"suites": [], "cases": []}
for suite in xml:
    out["suites"].append(
        {
            "name": suite.name,
            "tests": suite.tests,
            "failures": suite.failures,
            "errors": suite.errors,
            "skipped": suite.skipped,
        }
    )
    for case in suite:
        result, message, kind = "passed", None, None
        for r in case.result:
            if isinstance(r, Failure):
                result, message, kind = "failure", r.message, r.type
            elif isinstance(r, Skipped):
                result, message = "skipped", r.message
        out["cases"].append(
            {
                "name": case.name,
                "classname": case.classname,
                "result": result,
                "message": message,
                "type": kind,
                "system_out": case.system_out,
            }
        )
json.dump(out, sys.stdout)
