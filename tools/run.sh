#!/usr/bin/env bash
# One command from a fresh clone to a capture: installs what is missing,
# builds //cli:provtrace and runs it with the given arguments, e.g.
#   sudo tools/run.sh -- ls
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
bazel build //cli:provtrace >&2
exec bazel-bin/cli/provtrace "$@"
