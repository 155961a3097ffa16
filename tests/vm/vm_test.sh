#!/usr/bin/env bash
# One VM test: boots the 6.1 guest (tools/vm/run.sh) and runs a GoogleTest
# binary of this workspace in it, with its results brought back for Bazel.
#   vm_test.sh [--append KERNEL_ARGS] [NAME=VALUE...] -- TEST_BINARY [ARGS]
set -uo pipefail
append=""
envs=()
while (($#)); do
  case $1 in
    --append) append=$2; shift 2 ;;
    --) shift; break ;;
    *=*) envs+=("$1"); shift ;;
    *) echo "vm_test.sh: unexpected $1" >&2; exit 2 ;;
  esac
done
results=$(mktemp -d "${TEST_TMPDIR:-/tmp}/vm-results.XXXXXX")
tools/vm/run.sh --timeout "${PROVTRACE_VM_TIMEOUT:-840}" --append "$append" --rw "$results" -- \
  env "${envs[@]}" "$@" --gtest_output="xml:$results/test.xml"
status=$?
if [[ -n ${XML_OUTPUT_FILE:-} && -s $results/test.xml ]]; then
  cp "$results/test.xml" "$XML_OUTPUT_FILE"
fi
exit "$status"
