#!/bin/bash
# Builds the capture/decoder fuzzer with clang's libFuzzer and
# AddressSanitizer from the sources in the runfiles, and runs it from real
# seed captures for a fixed number of inputs. Any crash, leak or sanitizer
# report fails the test. (Bazel's toolchain here is gcc, which has no
# libFuzzer, hence the direct clang build.)
set -euo pipefail
root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
work="${TEST_TMPDIR:-/tmp}/fuzz"
mkdir -p "$work/corpus"
"$root/tests/fuzz/make_seeds" "$work/corpus/seed.cap"
# Everything in core/ and formats/ (the parsers and every writer).
cd "$root"
sources=(tests/fuzz/capture_fuzzer.cc core/*.cc formats/*.cc)
# pointer-overflow is left out: RapidJSON 1.1's internal stack does null +
# 0-offset arithmetic (a known, harmless report in the library itself).
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=pointer-overflow \
  -fno-sanitize-recover=all \
  -I. "${sources[@]}" -lzstd -lcgraph -o "$work/capture_fuzzer"
cd "$work"
"$work/capture_fuzzer" -runs="${FUZZ_RUNS:-200000}" -max_len=4096 -seed=1 \
  -error_exitcode=1 "$work/corpus" > "$work/log" 2>&1 || { tail -n 30 "$work/log"; exit 1; }
tail -n 3 "$work/log"
