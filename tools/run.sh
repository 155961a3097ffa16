#!/usr/bin/env bash
# One command from a fresh clone to a capture: installs what a capture
# needs (tools/setup.sh --run: the build's packages, nothing the tests
# use), builds //cli:provtrace and runs it with the given arguments, e.g.
#   tools/run.sh -- ls
# provtrace needs root: in a root shell this runs as it is; otherwise it
# runs itself again through sudo (as `sudo tools/run.sh -- ls` would).
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    exec sudo -- "$(readlink -f "$0")" "$@"
  fi
  echo "run.sh: provtrace needs root, and there is no sudo: run this as root" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
tools/setup.sh --run
bazel build //cli:provtrace >&2
exec bazel-bin/cli/provtrace "$@"
