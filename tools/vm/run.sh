#!/usr/bin/env bash
# Runs one command in a Debian kernel under qemu (tools/vm/fetch_kernel.sh),
# with the host's root (read-only, under a tmpfs overlay) and the current
# directory and environment (TMPDIR: a tmpfs); prints its stdout and stderr
# and exits with its status. The guest's /var/cache/provtrace is a tmpfs of
# its own (root's, 0700): empty, or a copy of --cache-dir.
#   tools/vm/run.sh [options] -- COMMAND [ARG...]
# Options:
#   --append ARGS    more kernel command line, e.g. "lsm=landlock,yama"
#   --rw DIR         a host folder the command may write to (repeatable)
#   --timeout SECS   default 1800
#   --mem MIB        default 2048      --cpus N   default 2
#   --kernel K       a kernel name fetch_kernel.sh knows (5.10, 6.1, 6.12),
#                    fetched if need be, or a directory it prepared
#                    (default: its default, 6.1)
#   --cache-dir DIR  a provtrace cache made on the host for this kernel
#                    (tests/vm/image_cache): copied into the guest's
#                    /var/cache/provtrace, so provtrace need not compile
# Exit status: the command's; 124 the timeout struck; 125 no result (the
# VM did not boot or did not finish: the console's tail says why).
# The guest has no usable KVM here, so it runs under TCG.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

append="" timeout_secs=1800 mem=2048 cpus=2 kernel="" cache_dir="" rw=()
while (($#)); do
  case $1 in
    --append) append=$2; shift 2 ;;
    --rw) rw+=("$(realpath "$2")"); shift 2 ;;
    --timeout) timeout_secs=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --cache-dir) cache_dir=$(realpath "$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "run.sh: unknown option $1 (see the header of $0)" >&2; exit 125 ;;
  esac
done
(($#)) || { echo "run.sh: no command given" >&2; exit 125; }

for tool in qemu-system-x86_64 busybox; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (tools/setup.sh installs it)" >&2; exit 125; }
done
busybox_bin=$(command -v busybox)
if ! file -L "$busybox_bin" 2>/dev/null | grep -q "statically linked"; then
  [[ -x /bin/busybox ]] && busybox_bin=/bin/busybox
fi
if [[ ! -d $kernel ]]; then
  kernel=$("$here/fetch_kernel.sh" $kernel) || { echo "run.sh: no kernel" >&2; exit 125; }
fi
if [[ -n $cache_dir && ! -d $cache_dir ]]; then
  echo "run.sh: no directory $cache_dir" >&2
  exit 125
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/provtrace-vm.XXXXXX")
qemu_pid=""
cleanup() {
  if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null
    wait "$qemu_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The initramfs: static busybox, init and the modules it loads.
mkdir -p "$tmp/initramfs"/{bin,modules,proc,sys,dev} "$tmp/share"
cp "$busybox_bin" "$tmp/initramfs/bin/busybox"
cp "$here/init" "$tmp/initramfs/init"
chmod +x "$tmp/initramfs/init"
cp "$kernel"/modules/* "$tmp/initramfs/modules/"
(cd "$tmp/initramfs" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$tmp/initramfs.cpio.gz")

# The command, its directory and environment, for the guest's shell.
{
  echo "#!/bin/bash"
  while read -r name; do
    case $name in
      BASH* | SHELLOPTS | SHLVL | PWD | OLDPWD | _ | TMPDIR) continue ;;
    esac
    printf 'export %s=%q\n' "$name" "${!name}"
  done < <(compgen -e)
  echo "export TMPDIR=/run/tmp"
  printf 'cd %q || exit 125\n' "$PWD"
  printf 'exec'
  printf ' %q' "$@"
  echo
} >"$tmp/share/command"
printf '%s\n' "${rw[@]}" >"$tmp/share/rw"
[[ ${#rw[@]} -gt 0 ]] || rm "$tmp/share/rw"

fsdevs=(
  -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
  -device "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"
  -fsdev "local,id=share,path=$tmp/share,security_model=none"
  -device "virtio-9p-pci,fsdev=share,mount_tag=share"
)
if [[ -n $cache_dir ]]; then
  fsdevs+=(-fsdev "local,id=cache,path=$cache_dir,security_model=none,readonly=on"
    -device "virtio-9p-pci,fsdev=cache,mount_tag=cache")
  touch "$tmp/share/cache"
fi
i=0
for dir in "${rw[@]}"; do
  i=$((i + 1))
  fsdevs+=(-fsdev "local,id=rw$i,path=$dir,security_model=none,multidevs=remap"
    -device "virtio-9p-pci,fsdev=rw$i,mount_tag=rw$i")
done

started=$(date +%s%N)
timeout -k 10 "$timeout_secs" qemu-system-x86_64 \
  -accel tcg -machine pc -cpu max -smp "$cpus" -m "$mem" \
  -nodefaults -nographic -no-reboot -monitor none \
  -serial "file:$tmp/console.log" \
  -kernel "$kernel/vmlinux" -initrd "$tmp/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 quiet $append" \
  "${fsdevs[@]}" </dev/null &
qemu_pid=$!
wait "$qemu_pid"
qemu_status=$?
qemu_pid=""
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
elapsed=$((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000)))

[[ -f $tmp/share/stdout ]] && cat "$tmp/share/stdout"
[[ -f $tmp/share/stderr ]] && cat "$tmp/share/stderr" >&2
console_tail() {
  echo "--- the guest console's last lines ---" >&2
  tail -n 30 "$tmp/console.log" >&2 2>/dev/null
}
if ((qemu_status == 124 || qemu_status == 137)); then
  echo "run.sh: timed out after ${timeout_secs} s" >&2
  console_tail
  exit 124
fi
if [[ ! -f $tmp/share/status ]]; then
  echo "run.sh: no result from the VM (qemu exited with status $qemu_status after ${elapsed} s)" >&2
  console_tail
  exit 125
fi
status=$(cat "$tmp/share/status")
echo "run.sh: $(cat "$kernel/release") under TCG: status $status after ${elapsed} s" >&2
exit "$status"
