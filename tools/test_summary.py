#!/usr/bin/env python3
"""Summarizes GoogleTest results from bazel-testlogs: every skipped test
with its reason, then the closing line "N passed, N failed".
  test_summary.py TESTLOGS [BAZEL_STATUS] [--only=PREFIX | --exclude=PREFIX]
PREFIX (e.g. tests/vm) selects the targets of one tier."""
import pathlib
import sys
import xml.etree.ElementTree as ET


def main():
    root = pathlib.Path(sys.argv[1])
    bazel_status = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    only = exclude = None
    for arg in sys.argv[3:]:
        if arg.startswith("--only="):
            only = arg[len("--only="):]
        elif arg.startswith("--exclude="):
            exclude = arg[len("--exclude="):]
    passed = failed = skipped = 0
    for xml in sorted(root.glob("**/test.xml")):
        target = str(xml.parent.relative_to(root))
        if only and not target.startswith(only):
            continue
        if exclude and target.startswith(exclude):
            continue
        try:
            tree = ET.parse(xml)
        except ET.ParseError as e:
            print(f"FAILED {target}: unreadable results ({e})")
            failed += 1
            continue
        cases = tree.getroot().iter("testcase")
        for case in cases:
            name = f"{target}: {case.get('classname')}.{case.get('name')}"
            fault = case.find("failure")
            if fault is None:
                fault = case.find("error")
            if fault is not None:
                failed += 1
                # The first line of what failed: a CI log may keep no more.
                why = (fault.get("message") or fault.text or "").strip()
                why = why.splitlines()[0][:200] if why else ""
                print(f"FAILED {name}" + (f": {why}" if why else ""))
            elif case.get("result") == "skipped" or case.find("skipped") is not None:
                skipped += 1
                reason = case.find("skipped")
                message = reason.get("message", "") if reason is not None else ""
                message = " ".join(message.split())
                print(f"SKIPPED {name}: {message or 'no reason given'}")
            else:
                passed += 1
    if bazel_status != 0 and failed == 0:
        # A target that did not build or crashed before writing results.
        print(f"FAILED bazel test exited with status {bazel_status}")
        failed += 1
    if skipped:
        print(f"{skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
