#!/bin/sh
# The coverage suite's workload, run under provtrace by coverage_test:
#   coverage.sh DIR FLOWS MECHANISM...
# For each mechanism, DIR/MECHANISM/source (made before the capture began)
# is moved through it to DIR/MECHANISM/sink by `FLOWS` (tests/workload:flows);
# its exit status goes to DIR/status ("MECHANISM STATUS"), its stderr to
# DIR/MECHANISM/err. One after another, so that no two share a moment.
dir=$1
flows=$2
shift 2
for m in "$@"; do
  "$flows" "$m" "$dir/$m/source" "$dir/$m/sink" "$dir/$m" 2>"$dir/$m/err"
  echo "$m $?" >>"$dir/status"
done
