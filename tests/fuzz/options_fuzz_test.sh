#!/bin/bash
# Builds the option parser fuzzer with clang's libFuzzer and
# AddressSanitizer from the sources in the runfiles, and runs it from seed
# command lines for a fixed number of inputs (FUZZ_RUNS, default 20000).
# A crash, a throw, a print, an outcome other than run/help/version/a
# one-line error, or an accepted command line that breaks a rule of
# cli/options.h fails the test. (Bazel's toolchain here is gcc, which has
# no libFuzzer, hence the direct clang build.)
set -euo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
work="${TEST_TMPDIR:-/tmp}/options_fuzz"
mkdir -p "$work/corpus"
# Seeds: command lines that work, one argument per NUL-separated field;
# the fuzzer adds every option followed by every value it knows.
seed=0
add_seed() {
  seed=$((seed + 1))
  printf '%s\0' "$@" > "$work/corpus/seed$seed"
}
add_seed -o x.dot ls -d /tmp
add_seed -v -o out.json -- ls -l /tmp
add_seed --backend tracepoint -d 2.5 --stats
add_seed -c 'make -j2' --only read,write --exclude-path /proc --track pid:1 --track /etc \
  --propagate --on-loss exit --transport ring --max-records 10
add_seed -z 9 -o x.jsonl.zst --rotate-size 10M --rotate-count 3 -- true
add_seed -qz -w cap.raw -o x.prov.json --buffer-pages 262144 -p 1 -p 1
add_seed -r /dev/null -F spade-json --node-filter task,file --relation-filter open
add_seed --info --btf /sys/kernel/btf/vmlinux --cache-dir /tmp
add_seed --help
add_seed -d nan --cgroup '' -x
cd "$root"
sources=(tests/fuzz/options_fuzzer.cc cli/options.cc core/*.cc formats/*.cc)
# pointer-overflow is left out as in fuzz_test.sh (RapidJSON, linked with
# formats/, does null + 0 arithmetic).
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=pointer-overflow \
  -fno-sanitize-recover=all \
  -I. "${sources[@]}" -lzstd -lcgraph -o "$work/options_fuzzer"
cd "$work"
OPTIONS_FUZZER_SEEDS="$work/corpus" "$work/options_fuzzer"
"$work/options_fuzzer" -runs="${FUZZ_RUNS:-20000}" -max_len=512 -seed=1 \
  -dict="$root/tests/fuzz/options.dict" -error_exitcode=1 "$work/corpus" > "$work/log" 2>&1 ||
  { tail -n 30 "$work/log"; exit 1; }
tail -n 3 "$work/log"
