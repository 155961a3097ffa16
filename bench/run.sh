#!/usr/bin/env bash
# The benchmarks, from one command on a fresh clone (as root): builds with
# -c opt, then
#   - bench/overhead.py: slowdown of workloads under the floor, provtrace
#     (to /dev/null, a JSON Lines file, .zst, raw capture) and the peers
#     (bpftrace, eAudit, auditd); records and bytes written, losses, the
#     recorder's CPU time and peak RSS; startup time
#   - format_bench: records/s through decode + each format, bytes/record
# and writes the tables to bench/results.md.
#
#   bench/run.sh [--out FILE] [overhead.py options]
#   bench/run.sh --quick [...]   one rep of a few workloads and configurations,
#                                tables to /tmp/provtrace-bench-quick.md, no
#                                format_bench (see overhead.py --help)
#
# eAudit runs when EAUDIT_GIT names a git directory of its repository
# (github.com/seclab-stonybrook/eaudit) and its peer scripts are in
# ../shared/peers/eaudit beside the checkout; otherwise it is skipped, with
# the reason printed and in the tables.
set -euo pipefail
# A relative EAUDIT_GIT means from where the command was typed.
[[ -z ${EAUDIT_GIT:-} ]] || EAUDIT_GIT=$(realpath "$EAUDIT_GIT")
cd "$(dirname "$0")/.."
out=bench/results.md
quick=0
args=()
while (($#)); do
  case $1 in
    --out) out=$2; shift 2 ;;
    --quick) quick=1; args+=("$1"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
if ((quick)) && [[ $out == bench/results.md ]]; then
  out=${TMPDIR:-/tmp}/provtrace-bench-quick.md
fi

tools/setup.sh
export DEBIAN_FRONTEND=noninteractive
for p in auditd bpftrace; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    apt-get install -y -qq --no-install-recommends "$p" >&2
done

# eAudit: its code is not the project's; the peer scripts build it from the
# repository the user brings. Set up once per kernel.
peer=../shared/peers/eaudit
export EAUDIT_DIR=${EAUDIT_DIR:-/opt/eaudit}
unset EAUDIT_SKIP
if [[ ! -x $peer/eaudit-setup.sh ]]; then
  export EAUDIT_SKIP="no eAudit peer scripts in $peer (shared/ beside the checkout)"
elif [[ -z ${EAUDIT_GIT:-} ]]; then
  export EAUDIT_SKIP="EAUDIT_GIT not set (a git directory of github.com/seclab-stonybrook/eaudit)"
elif [[ ! -s $EAUDIT_DIR/ecapd.so || ! -s $EAUDIT_DIR/ksrc-$(uname -r)/include/linux/kconfig.h ]]; then
  # --no-check: its check is a whole-system capture, which loses batches
  # (and fails) on a busy machine; the benchmark reports eAudit's losses.
  if ! EAUDIT_GIT=$EAUDIT_GIT "$peer/eaudit-setup.sh" --no-check >/tmp/eaudit-setup.log 2>&1; then
    tail -5 /tmp/eaudit-setup.log >&2
    export EAUDIT_SKIP="eaudit-setup.sh failed (its log: /tmp/eaudit-setup.log)"
  fi
fi
[[ -z ${EAUDIT_SKIP:-} ]] || echo "bench/run.sh: eAudit skipped: $EAUDIT_SKIP" >&2

bazel build -c opt //cli:provtrace //bench:floor //bench:overhead_workload //bench:format_bench >&2
python3 bench/overhead.py --markdown "$out.overhead" "${args[@]}"
{
  cat "$out.overhead"
  if ((!quick)); then
    echo
    echo "Decode + format, single core, 1,000,000 synthetic records (bench/format_bench):"
    echo
    echo '```'
    bazel-bin/bench/format_bench 1000000 "$(mktemp -d)"
    echo '```'
  fi
} >"$out"
rm -f "$out.overhead"
echo "bench/run.sh: tables in $out" >&2
