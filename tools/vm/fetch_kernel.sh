#!/usr/bin/env bash
# Prints the directory of a Debian 6.1 kernel prepared for tools/vm/run.sh:
# vmlinux (uncompressed, so qemu boots it the fast PVH way), the modules
# the guest's init needs, in load order, and the kernel's config.
# Fetches and prepares it on first use, from Debian's apt (no install into
# the host's /boot: the .deb is only unpacked).
#   PROVTRACE_VM_CACHE   where kernels are kept (default /var/cache/provtrace-vm)
#   PROVTRACE_VM_KERNEL  a package name to use, e.g. linux-image-6.1.0-56-amd64;
#                        default: a prepared 6.1 kernel if there is one, else
#                        the newest apt offers
set -euo pipefail
export LC_ALL=C
cache=${PROVTRACE_VM_CACHE:-/var/cache/provtrace-vm}
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

prepared() { [[ -s $cache/$1/vmlinux && -s $cache/$1/modules/order ]]; }

pkg=${PROVTRACE_VM_KERNEL:-}
if [[ -z $pkg ]]; then
  pkg=$(cd "$cache" && ls -d linux-image-6.1.0-*-amd64 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -z $pkg ]] || ! prepared "$pkg"; then
    list() { apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | cut -d' ' -f1; }
    pkg=$(list | sort -V | tail -n1)
    if [[ -z $pkg ]]; then
      apt-get update -qq >&2
      pkg=$(list | sort -V | tail -n1)
    fi
    [[ -n $pkg ]] || { echo "fetch_kernel: apt offers no linux-image-6.1.0-*-amd64" >&2; exit 1; }
  fi
fi
dir=$cache/$pkg
if prepared "$pkg"; then
  echo "$dir"
  exit 0
fi

echo "fetch_kernel: preparing $pkg in $dir" >&2
work=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$pkg" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
ls "$work"/"$pkg"_*.deb >/dev/null
dpkg-deb -x "$work"/"$pkg"_*.deb "$work/tree"
release=${pkg#linux-image-}
vmlinuz=$work/tree/boot/vmlinuz-$release
[[ -f $vmlinuz ]] || { echo "fetch_kernel: no /boot/vmlinuz-$release in $pkg" >&2; exit 1; }

# The bzImage carries the kernel as an xz stream after the boot code.
offset=$(LC_ALL=C grep -m1 -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1 || true)
[[ -n $offset ]] || { echo "fetch_kernel: no xz stream in $vmlinuz" >&2; exit 1; }
# (tail may die of SIGPIPE when xz stops at the stream's end.)
{ tail -c +$((offset + 1)) "$vmlinuz" || true; } | xz -dc --single-stream >"$work/vmlinux"
[[ $(head -c4 "$work/vmlinux" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] || {
  echo "fetch_kernel: what came out of $vmlinuz is not an ELF vmlinux" >&2
  exit 1
}

# The modules init loads, each after what it depends on (read from each
# module's own .modinfo: the .deb has no modules.dep).
kernel=$work/tree/lib/modules/$release/kernel
mkdir -p "$work/out/modules"
declare -A done_
load() {
  local name=$1 file deps dep
  [[ -n ${done_[$name]:-} ]] && return 0
  file=$(find "$kernel" \( -name "$name.ko" -o -name "$name.ko.xz" \) -print -quit)
  [[ -n $file ]] || { echo "fetch_kernel: module $name not in $pkg" >&2; exit 1; }
  deps=$(tr '\0' '\n' <"$file" | grep -a -m1 '^depends=' | cut -d= -f2 | tr ',' ' ' || true)
  for dep in $deps; do load "$dep"; done
  case $file in
    *.xz) xz -dc "$file" >"$work/out/modules/$name.ko" ;;
    *) cp "$file" "$work/out/modules/$name.ko" ;;
  esac
  echo "$name" >>"$work/out/modules/order"
  done_[$name]=1
}
# 9p for the host's root and the shared folder, overlay for a writable
# root over it, virtio-pci under both.
for m in virtio_pci 9pnet_virtio 9p overlay; do load "$m"; done

mv "$work/vmlinux" "$work/out/vmlinux"
cp "$work/tree/boot/config-$release" "$work/out/config"
echo "$release" >"$work/out/release"
rm -rf "$dir"
mv "$work/out" "$dir"
echo "$dir"
