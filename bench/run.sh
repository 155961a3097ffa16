#!/usr/bin/env bash
# The benchmarks, from one command on a fresh clone (as root): builds with
# -c opt, then
#   - bench/overhead.py: slowdown of workloads under the floor, provtrace
#     (to /dev/null, .zst, raw capture) and the peers (bpftrace, auditd);
#     records, losses, the recorder's CPU time and peak RSS; startup time
#   - format_bench: records/s through decode + each format, bytes/record
# and writes the tables to bench/results.md.
#   bench/run.sh [overhead.py options, e.g. --reps 1]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
export DEBIAN_FRONTEND=noninteractive
for p in auditd bpftrace; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    apt-get install -y -qq --no-install-recommends "$p" >&2
done
bazel build -c opt //cli:provtrace //bench:floor //bench:overhead_workload //bench:format_bench >&2
out=bench/results.md
python3 bench/overhead.py --markdown "$out.overhead" "$@"
{
  cat "$out.overhead"
  echo
  echo "Decode + format, single core, 1,000,000 synthetic records (bench/format_bench):"
  echo
  echo '```'
  bazel-bin/bench/format_bench 1000000 "$(mktemp -d)"
  echo '```'
} >"$out"
rm -f "$out.overhead"
echo "bench/run.sh: tables in $out" >&2
