#!/bin/bash
# The guest's half of one VM test (vm_test.sh boots the guest and runs
# this in it): prints what `provtrace --info` says of this kernel, checks
# the lines the test expects of it, and runs the test binary, or skips it
# when the kernel cannot run the cell's backend, with --info's reason.
#   guest_cell.sh RESULTS BACKEND [--expect LINE]... [--lacks REASON] -- TEST...
# BACKEND: lsm, fentry, kprobe, tracepoint, or - (the cell needs none).
# --expect LINE  a line --info must print (exactly)
# --lacks REASON the kernel cannot run BACKEND: --info must say
#                "  BACKEND: no (...REASON...)"; the test is then skipped.
# TEST...: GoogleTest binaries, run one after the other in the one guest.
# Results (GoogleTest XML, every test's suites in one file) go to
# RESULTS/test.xml; when a test fails, the verifier logs provtrace saved in
# the guest go to RESULTS too.
set -uo pipefail
results=$1 backend=$2
shift 2
expects=() lacks=""
while (($#)); do
  case $1 in
    --expect) expects+=("$2"); shift 2 ;;
    --lacks) lacks=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "guest_cell.sh: unexpected $1" >&2; exit 2 ;;
  esac
done

info=$(cli/provtrace --info 2>&1)
echo "--- provtrace --info in the guest ($(uname -r))" >&2
echo "$info" >&2
echo "---" >&2
failed=0
for line in "${expects[@]}"; do
  if ! grep -Fxq -- "$line" <<<"$info"; then
    echo "guest_cell: provtrace --info does not say: $line" >&2
    failed=1
  fi
done
((failed == 0)) || exit 1

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
if [[ $backend != - ]]; then
  # The backend's line under "backends:" (not "program types:").
  line=$(awk '/^backends:/ { on = 1; next } /^[^ ]/ { on = 0 } on' <<<"$info" |
    grep -E "^  $backend: " | head -n1)
  if [[ -n $lacks ]]; then
    if [[ $line != "  $backend: no ("*"$lacks"*")" ]]; then
      echo "guest_cell: this kernel was expected to lack the $backend backend ($lacks);" \
        "provtrace --info says: ${line:-nothing}" >&2
      exit 1
    fi
    reason="this kernel cannot run the $backend backend: ${line#"  $backend: no "}"
    echo "SKIPPED: $reason" >&2
    message=$(xml_escape <<<"$reason")
    cat >"$results/test.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0" skipped="1">
  <testsuite name="VmCell" tests="1" failures="0" skipped="1">
    <testcase name="$backend" classname="VmCell" result="skipped">
      <skipped message="$message"/>
    </testcase>
  </testsuite>
</testsuites>
EOF
    exit 0
  fi
fi

images() { (cd /var/cache/provtrace && compgen -G 'image-*' | sort); }
images_before=$(images)
status=0 n=0
for test in "$@"; do
  n=$((n + 1))
  "$test" --gtest_output="xml:$results/test-$n.xml" || status=1
done
# One report: each test's <testsuite> elements under one <testsuites>.
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<testsuites>'
  for ((i = 1; i <= n; i++)); do
    [[ -f $results/test-$i.xml ]] && grep -v '^<?xml\|^<testsuites\|^</testsuites' "$results/test-$i.xml"
  done
  echo '</testsuites>'
} >"$results/test.xml"
# Images the guest had to compile itself: the host-made ones (image_cache)
# did not match this kernel. Nothing is wrong with provtrace then, but the
# cell took BCC's time under TCG.
compiled=$(comm -13 <(echo "$images_before") <(images))
if [[ -n $compiled ]]; then
  echo "guest_cell: the guest compiled $(echo $compiled): no host-made image matched" >&2
elif [[ -n $images_before ]]; then
  echo "guest_cell: provtrace reused the host-made image ($(echo $images_before))" >&2
fi
# provtrace saves what the verifier said to /tmp/provtrace-*.log: the
# guest's own are brought back, with their last lines in the test's log.
if ((status != 0)); then
  for log in /run/guest-writes/tmp/provtrace-*.log; do
    [[ -f $log ]] || continue
    echo "--- ${log#/run/guest-writes} (the end)" >&2
    grep -v '^[0-9]*: \|^; ' "$log" | tail -n 4 >&2
    cp "$log" "$results/"
  done
fi
exit "$status"
