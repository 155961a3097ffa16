#!/usr/bin/env bash
# One cell of the kernel matrix: boots a Debian guest kernel
# (tools/vm/run.sh) and runs a GoogleTest binary of this workspace in it
# (through guest_cell.sh), with its results brought back for Bazel.
#   vm_test.sh --kernel NAME [--backend B] [--lsm with|without]
#              [--expect LINE]... [--lacks REASON] [NAME=VALUE...] -- TEST...
# --kernel NAME   5.10, 6.1 or 6.12 (tools/vm/fetch_kernel.sh)
# --backend B     the backend the test records with: its program is compiled
#                 here, for the guest kernel's BTF (image_cache), so that
#                 provtrace in the guest need not run BCC under TCG
# --lsm with      boot with bpf added to the kernel's default lsm= list
# --lsm without   boot with bpf left out of it
# --atomics no    the kernel has no BPF atomics (before 5.12): the image is
#                 made as provtrace makes it there
# --expect, --lacks: what `provtrace --info` must say (guest_cell.sh)
# NAME=VALUE      the test's environment
#   PROVTRACE_VM_TIMEOUT  seconds for the guest (default 840)
#   PROVTRACE_VM_CPUS     the guest's CPUs (default 1: two guests at a time
#                         on two host CPUs do more than one guest with two)
set -uo pipefail
kernel_name="" backend="" lsm="" lacks="" atomics=yes guest_args=() envs=()
while (($#)); do
  case $1 in
    --kernel) kernel_name=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --lsm) lsm=$2; shift 2 ;;
    --atomics) atomics=$2; shift 2 ;;
    --expect) guest_args+=("$1" "$2"); shift 2 ;;
    --lacks) lacks=$2 guest_args+=("$1" "$2"); shift 2 ;;
    --) shift; break ;;
    *=*) envs+=("$1"); shift ;;
    *) echo "vm_test.sh: unexpected $1" >&2; exit 2 ;;
  esac
done
[[ -n $kernel_name ]] || { echo "vm_test.sh: --kernel is required" >&2; exit 2; }
cpus=${PROVTRACE_VM_CPUS:-1}
kernel=$(tools/vm/fetch_kernel.sh "$kernel_name") || exit 1
scratch=$(mktemp -d "${TEST_TMPDIR:-/tmp}/vm-test.XXXXXX")
results=$scratch/results
mkdir -p "$results"

append=""
if [[ -n $lsm ]]; then
  # The kernel's own default list (CONFIG_LSM), with or without bpf.
  default=$(sed -n 's/^CONFIG_LSM="\(.*\)"$/\1/p' "$kernel/config")
  without=$(tr ',' '\n' <<<"$default" | grep -vx bpf | paste -sd,)
  case $lsm in
    with) append="lsm=$without,bpf" ;;
    without) append="lsm=$without" ;;
    *) echo "vm_test.sh: --lsm with or without" >&2; exit 2 ;;
  esac
fi

# The guest's provtrace cache: the backend's program image compiled here,
# for the guest's BTF and as many CPUs as the guest has (the image's key
# counts them: image_cache runs where /sys/devices/system/cpu/possible
# says so). Root's, 0700, files 0600, like provtrace's own. (Not for a
# backend the kernel lacks: the cell only checks that it says so.)
cache_args=()
if [[ -n $backend && -z $lacks ]]; then
  cache=$scratch/cache
  mkdir -m 0700 "$cache"
  echo "0-$((cpus - 1))" >"$scratch/possible"
  if unshare --mount sh -c 'mount --bind "$1" /sys/devices/system/cpu/possible && shift && exec "$@"' \
    - "$scratch/possible" tests/vm/image_cache --btf "$kernel/btf" --cache-dir "$cache" \
    --atomics "$atomics" --backend "$backend" >&2; then
    chmod -R go-rwx "$cache"
    cache_args=(--cache-dir "$cache")
  else
    echo "vm_test.sh: no image for $backend on $kernel_name; provtrace in the guest will compile" >&2
  fi
fi

tools/vm/run.sh --kernel "$kernel" --cpus "$cpus" --timeout "${PROVTRACE_VM_TIMEOUT:-840}" \
  --append "$append" "${cache_args[@]}" --rw "$results" -- \
  env "${envs[@]}" tests/vm/guest_cell.sh "$results" "${backend:--}" "${guest_args[@]}" -- "$@"
status=$?
if [[ -n ${XML_OUTPUT_FILE:-} && -s $results/test.xml ]]; then
  cp "$results/test.xml" "$XML_OUTPUT_FILE"
fi
if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]] && ls "$results"/*.log >/dev/null 2>&1; then
  cp "$results"/*.log "$TEST_UNDECLARED_OUTPUTS_DIR/"
  echo "vm_test.sh: the verifier logs are in $TEST_UNDECLARED_OUTPUTS_DIR" >&2
fi
rm -rf "$scratch"
exit "$status"
