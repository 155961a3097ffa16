#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: installs what is
# missing, builds, and runs the tiers, each with its own count, then the
# closing line "N passed, N failed".
#   host: unit tests, and runtime tests as root on this machine's kernel
#   vm:   the kernel matrix (tests/vm): on Debian's 5.10, 6.1 and 6.12
#         under qemu (tools/vm), the scenario suite under the LSM, fentry,
#         kprobe and tracepoint backends and the layout check, two guests
#         at a time (PROVTRACE_VM_JOBS)
#   tools/test.sh [--tier host|vm|all] [bazel test options]
# The runtime tests load BPF programs, which needs root: in a root shell
# this runs as it is; otherwise it runs itself again through sudo (as
# `sudo tools/test.sh` would), like tools/run.sh.
set -uo pipefail
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    exec sudo -- "$(readlink -f "$0")" "$@"
  fi
  echo "test.sh: the runtime tests need root, and there is no sudo: run this as root" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
tier=all
if [[ ${1:-} == --tier ]]; then
  tier=$2
  shift 2
fi
case $tier in host | vm | all) ;; *) echo "test.sh: --tier host, vm or all" >&2; exit 2 ;; esac
tools/setup.sh || exit 1

summaries=()
failed=0
run_tier() {
  local name=$1 filter=$2
  shift 2
  echo "=== tier $name"
  local started=$SECONDS
  bazel test "$@"
  local status=$?
  local report line
  report=$(python3 tools/test_summary.py bazel-testlogs "$status" "$filter")
  echo "$report"
  line=$(tail -n1 <<<"$report")
  summaries+=("$name: $line ($((SECONDS - started)) s)")
  # The closing lines are what a CI log keeps: name what failed there too.
  while IFS= read -r failure; do
    summaries+=("  $failure")
  done < <(grep '^FAILED ' <<<"$report")
  [[ $line == *" 0 failed" ]] || failed=1
}

if [[ $tier != vm ]]; then
  run_tier host --exclude=tests/vm //tests/... "$@"
fi
if [[ $tier != host ]]; then
  # Each kernel is fetched and prepared once (then cached); the cells
  # boot one single-CPU guest each, two at a time on this 2-CPU machine.
  missing=""
  for kernel in 5.10 6.1 6.12; do
    tools/vm/fetch_kernel.sh "$kernel" >/dev/null || missing+=" $kernel"
  done
  if [[ -z $missing ]]; then
    run_tier vm --only=tests/vm --local_test_jobs="${PROVTRACE_VM_JOBS:-2}" //tests/vm:vm "$@"
  else
    summaries+=("vm: 0 passed, 1 failed (no guest kernel$missing: tools/vm/fetch_kernel.sh failed)")
    failed=1
  fi
fi
echo "=== summary"
for s in "${summaries[@]}"; do echo "$s"; done
python3 - "${summaries[@]}" <<'PY'
import re, sys
passed = failed = 0
for s in sys.argv[1:]:
    m = re.search(r"^\w+: (\d+) passed, (\d+) failed", s)
    if not m:
        continue  # a failed test's name under its tier
    passed += int(m.group(1)); failed += int(m.group(2))
print(f"{passed} passed, {failed} failed")
PY
exit "$failed"
