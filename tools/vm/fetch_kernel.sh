#!/usr/bin/env bash
# Prints the directory of a Debian kernel prepared for tools/vm/run.sh:
# vmlinux (uncompressed, so qemu boots it the fast PVH way), its BTF (the
# .BTF section, byte for byte what the guest's /sys/kernel/btf/vmlinux
# holds), the modules the guest's init needs, in load order, and the
# kernel's config. Fetches and prepares it on first use and reuses it after
# that without the network; nothing is installed (the .deb is only
# unpacked).
#   tools/vm/fetch_kernel.sh [NAME]
# NAME (default $PROVTRACE_VM_KERNEL, else 6.1):
#   5.10   Debian 11 (bullseye, bullseye-security)
#   6.1    Debian 12 (bookworm, bookworm-security)
#   6.12   Debian 12 backports (bookworm-backports)
#   or a package name of one of those, e.g. linux-image-6.1.0-57-amd64
# Each suite is read through a private apt configuration under the cache
# (never the system's sources or lists). The flavours are tried smallest
# first (cloud, then generic); one is taken only if its config has BTF, BPF
# LSM, PVH boot and 9p/virtio/overlay for run.sh, and the reason another
# was passed over is printed and remembered.
#   PROVTRACE_VM_CACHE   where kernels are kept (default /var/cache/provtrace-vm)
# To move a NAME to a newer package: rm $PROVTRACE_VM_CACHE/NAME.current
set -euo pipefail
export LC_ALL=C
cache=${PROVTRACE_VM_CACHE:-/var/cache/provtrace-vm}
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

die() { echo "fetch_kernel: $*" >&2; exit 1; }

request=${1:-${PROVTRACE_VM_KERNEL:-6.1}}
pkg=""
case $request in
  linux-image-5.10.0-*) name=5.10 pkg=$request ;;
  linux-image-6.1.0-*) name=6.1 pkg=$request ;;
  linux-image-6.12.*) name=6.12 pkg=$request ;;
  *) name=$request ;;
esac
debian=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
case $name in
  5.10)
    sources=("$debian bullseye main" "$security bullseye-security main")
    pattern='^linux-image-5\.10\.0-[0-9]+-FLAVOUR$' ;;
  6.1)
    sources=("$debian bookworm main" "$security bookworm-security main")
    pattern='^linux-image-6\.1\.0-[0-9]+-FLAVOUR$' ;;
  6.12)
    sources=("$debian bookworm-backports main")
    pattern='^linux-image-6\.12\.[0-9]+\+deb12-FLAVOUR$' ;;
  *) die "unknown kernel '$request' (5.10, 6.1, 6.12 or a package of theirs)" ;;
esac
flavours=(cloud-amd64 amd64)

prepared() { [[ -s $cache/$1/vmlinux && -s $cache/$1/btf && -s $cache/$1/release ]]; }

current=$cache/$name.current
if [[ -z $pkg && -s $current ]] && prepared "$(cat "$current")"; then
  echo "$cache/$(cat "$current")"
  exit 0
fi
if [[ -n $pkg ]] && prepared "$pkg"; then
  echo "$cache/$pkg"
  exit 0
fi

# The private apt configuration: its own sources, lists, package cache and
# an empty dpkg status, so that nothing of the system's apt is read or
# changed.
apt_dir=$cache/apt/$name
mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,sources.list.d,preferences.d}
: >"$apt_dir/status"
for s in "${sources[@]}"; do
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $s"
done >"$apt_dir/sources.list"
apt_options=(
  -o "Dir::Etc::sourcelist=$apt_dir/sources.list"
  -o "Dir::Etc::sourceparts=$apt_dir/sources.list.d"
  -o "Dir::Etc::preferences=$apt_dir/preferences"
  -o "Dir::Etc::preferencesparts=$apt_dir/preferences.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Acquire::Languages=none"
  -o "APT::Architectures=amd64"
)
updated=""
apt_update() {
  [[ -n $updated ]] && return 0
  echo "fetch_kernel: reading the $name suites (${sources[*]})" >&2
  apt-get "${apt_options[@]}" -qq update >&2 || die "apt-get update failed for ${sources[*]}"
  updated=1
}
newest() {  # FLAVOUR: the newest package of that flavour the lists offer
  local p=${pattern/FLAVOUR/$1}
  apt-cache "${apt_options[@]}" search --names-only "$p" 2>/dev/null | cut -d' ' -f1 | sort -V | tail -n1
}
compgen -G "$apt_dir/lists/*_Packages*" >/dev/null || apt_update

work=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

download() {  # PACKAGE: its .deb into $work, fresh lists if the archive moved on
  rm -f "$work"/*.deb
  (cd "$work" && apt-get "${apt_options[@]}" -qq download "$1" 2>&1 |
    grep -v "^W: Download is performed unsandboxed" >&2) || true
  ls "$work"/*.deb >/dev/null 2>&1
}

# What a kernel lacks for run.sh and for provtrace's backends, by its
# config; nothing printed: it will do.
unusable() {
  local config=$1 option
  for option in DEBUG_INFO_BTF BPF_LSM PVH DEVTMPFS BLK_DEV_INITRD RD_GZIP SERIAL_8250_CONSOLE; do
    grep -q "^CONFIG_$option=y" "$config" || echo "CONFIG_$option is not y"
  done
  for option in NET_9P NET_9P_VIRTIO 9P_FS VIRTIO_PCI OVERLAY_FS; do
    grep -q "^CONFIG_$option=[ym]" "$config" || echo "CONFIG_$option is not set"
  done
}

choose() {  # sets pkg to the first flavour that will do, leaving its .deb in $work
  local flavour candidate reason
  for flavour in "${flavours[@]}"; do
    candidate=$(newest "$flavour")
    [[ -n $candidate ]] || { apt_update; candidate=$(newest "$flavour"); }
    [[ -n $candidate ]] || { echo "fetch_kernel: the $name suites offer no $flavour kernel" >&2; continue; }
    if [[ -s $cache/rejected/$candidate ]]; then
      echo "fetch_kernel: passing over $candidate: $(paste -sd';' "$cache/rejected/$candidate")" >&2
      continue
    fi
    download "$candidate" || { apt_update; candidate=$(newest "$flavour"); download "$candidate"; } ||
      die "cannot download $candidate"
    rm -rf "$work/config"
    mkdir -p "$work/config"
    dpkg-deb --fsys-tarfile "$work"/*.deb | tar -x -C "$work/config" --wildcards './boot/config-*'
    reason=$(unusable "$work"/config/boot/config-*)
    if [[ -z $reason ]]; then
      pkg=$candidate
      return 0
    fi
    mkdir -p "$cache/rejected"
    echo "$reason" >"$cache/rejected/$candidate"
    echo "fetch_kernel: passing over $candidate: $(echo "$reason" | paste -sd';')" >&2
  done
  die "no $name kernel will do for tools/vm/run.sh"
}

if [[ -n $pkg ]]; then
  download "$pkg" || { apt_update; download "$pkg"; } || die "cannot download $pkg"
else
  choose
fi
dir=$cache/$pkg
if prepared "$pkg"; then
  echo "$pkg" >"$current"
  echo "$dir"
  exit 0
fi

echo "fetch_kernel: preparing $pkg in $dir" >&2
dpkg-deb -x "$work"/*.deb "$work/tree"
release=${pkg#linux-image-}
config=$work/tree/boot/config-$release
vmlinuz=$work/tree/boot/vmlinuz-$release
[[ -f $vmlinuz && -f $config ]] || die "no /boot/vmlinuz-$release or config in $pkg"
reason=$(unusable "$config")
[[ -z $reason ]] || die "$pkg will not do: $(echo "$reason" | paste -sd';')"

# The bzImage's setup header says where the compressed kernel is
# (payload_offset, payload_length, after the setup sectors); its last 4
# bytes are the uncompressed size, not part of the stream.
python3 - "$vmlinuz" "$work/payload" <<'PY'
import struct, sys
image = open(sys.argv[1], "rb").read()
setup_sects = image[0x1F1] or 4
offset, length = struct.unpack_from("<II", image, 0x248)
start = (setup_sects + 1) * 512 + offset
open(sys.argv[2], "wb").write(image[start:start + length - 4])
PY
magic=$(od -An -tx1 -N4 "$work/payload" | tr -d ' \n')
case $magic in
  fd377a58) xz -dc --single-stream "$work/payload" >"$work/vmlinux" ;;
  28b52ffd) zstd -dcq "$work/payload" >"$work/vmlinux" ;;
  *) die "$vmlinuz: compressed with something other than xz or zstd (magic $magic)" ;;
esac
rm "$work/payload"
[[ $(head -c4 "$work/vmlinux" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] ||
  die "what came out of $vmlinuz is not an ELF vmlinux"
mkdir -p "$work/out"
objcopy -O binary --only-section=.BTF "$work/vmlinux" "$work/out/btf"
[[ -s $work/out/btf ]] || die "$pkg's vmlinux has no .BTF section"
chmod 0644 "$work/out/btf"

# The modules init loads, each after what it depends on (read from each
# module's own .modinfo: the .deb has no modules.dep); what the kernel has
# built in (modules.builtin) is left out.
modules=$work/tree/lib/modules/$release
mkdir -p "$work/out/modules"
: >"$work/out/modules/order"
declare -A done_
load() {
  local name=$1 file deps dep pattern
  [[ -n ${done_[$name]:-} ]] && return 0
  done_[$name]=1
  pattern=$(echo "$name" | sed 's/[-_]/[-_]/g')
  if grep -Eq "/$pattern\.ko\$" "$modules/modules.builtin"; then return 0; fi
  file=$(find "$modules/kernel" -regextype posix-extended \
    -regex ".*/$pattern\.ko(\.xz|\.zst)?" -print -quit)
  [[ -n $file ]] || die "module $name is neither in $pkg nor built in"
  case $file in
    *.xz) xz -dc "$file" >"$work/out/modules/$name.ko" ;;
    *.zst) zstd -dcq "$file" >"$work/out/modules/$name.ko" ;;
    *) cp "$file" "$work/out/modules/$name.ko" ;;
  esac
  deps=$(tr '\0' '\n' <"$work/out/modules/$name.ko" | grep -a -m1 '^depends=' | cut -d= -f2 | tr ',' ' ' || true)
  for dep in $deps; do load "$dep"; done
  echo "$name" >>"$work/out/modules/order"
}
# 9p for the host's root and the shared folder, overlay for a writable
# root over it, virtio-pci under both.
for m in virtio_pci 9pnet_virtio 9p overlay; do load "$m"; done

mv "$work/vmlinux" "$work/out/vmlinux"
cp "$config" "$work/out/config"
echo "$release" >"$work/out/release"
echo "$name" >"$work/out/name"
rm -rf "$dir"
mv "$work/out" "$dir"
echo "$pkg" >"$current"
echo "$dir"
