#!/usr/bin/env bash
# kafka:// throughput, from one command (as root): a raw capture of a
# file-heavy workload, then bench/kafka/kafka_bench pinned to one core:
# records/s of -o FILE, -o kafka:// and -w kafka:// (the mock cluster) on
# the same records, in one run.
#   bench/kafka/run.sh [RECORDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/setup.sh
bazel build -c opt //cli:provtrace //bench/kafka:kafka_bench >&2
work=$(mktemp -d /dev/shm/kafka-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/d"
bazel-bin/cli/provtrace -q -w "$work/cap.ptc" -- /bin/sh -c \
  "for i in \$(seq 1 3000); do echo \$i > $work/d/f\$i; cat $work/d/f\$i > /dev/null; mv $work/d/f\$i $work/d/g\$i; done"
taskset -c 0 bazel-bin/bench/kafka/kafka_bench "$work/cap.ptc" "${1:-1000000}" "$work"
