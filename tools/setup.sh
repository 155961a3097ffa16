#!/usr/bin/env bash
# Installs what provtrace needs, from Debian 12's packages only, and does
# nothing when it is all there already.
#   tools/setup.sh --run   what building and running a capture needs
#                          (tools/run.sh)
#   tools/setup.sh         that, and what the tests need (tools/test.sh)
set -euo pipefail

run_packages=(
  bazel-bootstrap bazel-rules-java   # the build (offline; see WORKSPACE)
  g++ libc6-dev
  libbpfcc-dev libbpf-dev            # BCC, libbpf (BTF, btf_dump)
  libzstd-dev libcli11-dev rapidjson-dev libgraphviz-dev
  librdkafka-dev                     # kafka:// (-o, -w, -r)
)
test_packages=(
  kcat                               # kafka:// tests: an independent consumer
  libgtest-dev libgmock-dev
  python3                            # tools/test_summary.py
  python3-prov graphviz jq zstd      # the tests check outputs with their real consumers
  tmux man-db                        # tests/terminal: a terminal's view, the man page's examples
  clang libclang-rt-14-dev           # the libFuzzer target (tests/fuzz)
  qemu-system-x86 busybox-static     # the VM tier (tools/vm, tests/vm):
  xz-utils binutils util-linux       #   kernels unpacked, .BTF extracted, unshare
)

case ${1:-} in
  --run) packages=("${run_packages[@]}") ;;
  "") packages=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "setup: usage: tools/setup.sh [--run]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
