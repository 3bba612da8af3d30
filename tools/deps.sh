#!/bin/sh
# Installs, idempotently, the Debian packages zonevisor needs to build and test.
set -eu
PACKAGES="gcc make binutils libc6-dev gnu-efi ovmf qemu-system-x86 python3 coreutils
	bochs bochs-term bochsbios vgabios bsdutils
	nftables dnsmasq-base pyflakes3
	mmdebstrap erofs-utils umoci skopeo e2fsprogs git kmod"
# nftables and dnsmasq-base: their binaries and libraries are copied into the
# control-zone initramfs (tools/mkinitramfs --control); neither starts a
# service on the build machine (nftables.service is disabled by default,
# dnsmasq-base has none).

# `deps.sh fuzz` adds what `make fuzz` needs (clang's libFuzzer runtime).
[ "${1:-}" = fuzz ] && PACKAGES="$PACKAGES clang libclang-rt-14-dev"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
