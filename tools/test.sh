#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: installs what is
# missing, builds, runs every test (unit tests, and runtime tests as root)
# and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || exit 1
bazel test //tests/... "$@"
status=$?
python3 tools/test_summary.py bazel-testlogs "$status"
