#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: installs what is
# missing, builds, and runs the tiers, each with its own count, then the
# closing line "N passed, N failed".
#   host: unit tests, and runtime tests as root on this machine's kernel
#   vm:   the scenario suite under the LSM, fentry, kprobe and tracepoint
#         backends and the layout check, in a Debian 6.1 kernel under qemu
#         (tools/vm; ~5 minutes)
#   tools/test.sh [--tier host|vm|all] [bazel test options]
set -uo pipefail
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
  local line
  line=$(python3 tools/test_summary.py bazel-testlogs "$status" "$filter" | tee /dev/stderr | tail -n1)
  summaries+=("$name: $line ($((SECONDS - started)) s)")
  [[ $line == *" 0 failed" ]] || failed=1
}

if [[ $tier != vm ]]; then
  run_tier host --exclude=tests/vm //tests/... "$@"
fi
if [[ $tier != host ]]; then
  if tools/vm/fetch_kernel.sh >/dev/null; then
    run_tier vm --only=tests/vm //tests/vm "$@"
  else
    summaries+=("vm: 0 passed, 1 failed (no guest kernel: tools/vm/fetch_kernel.sh failed)")
    failed=1
  fi
fi
echo "=== summary"
for s in "${summaries[@]}"; do echo "$s"; done
python3 - "${summaries[@]}" <<'PY'
import re, sys
passed = failed = 0
for s in sys.argv[1:]:
    m = re.search(r"(\d+) passed, (\d+) failed", s)
    passed += int(m.group(1)); failed += int(m.group(2))
print(f"{passed} passed, {failed} failed")
PY
exit "$failed"
