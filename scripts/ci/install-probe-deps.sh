#!/bin/sh
# Install the tools the real-host agent test (test/agent/host.test.ts) exercises:
# nftables + iproute2 (firewall flip inside a network namespace) and clamav-daemon
# (antivirus flip), iptables (legacy tables, custom chains). Idempotent: packages already present are not reinstalled, and a
# missing apt-get or no root simply skips (the host test then skips with a reason).
set -eu

# Area 15 (build/packaging tests): rpm (rpmbuild, rpm --root), msitools + wixl (MSI build and
# inspection), qemu-user with the arm64 libc (run the linux-arm64 agent's --version),
# busybox-static (the /bin/sh of the scratch roots the .deb/.rpm are installed into).
# Before the block below, whose early exits would skip it; another helper may hold the apt lock.
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  pkgs=""
  command -v rpmbuild >/dev/null 2>&1 || pkgs="$pkgs rpm"
  command -v msiinfo >/dev/null 2>&1 || pkgs="$pkgs msitools"
  command -v wixl >/dev/null 2>&1 || pkgs="$pkgs wixl"
  command -v qemu-aarch64 >/dev/null 2>&1 || pkgs="$pkgs qemu-user"
  command -v busybox >/dev/null 2>&1 || pkgs="$pkgs busybox-static"
  [ -d /usr/aarch64-linux-gnu/lib ] || pkgs="$pkgs libc6-arm64-cross libstdc++6-arm64-cross"
  if [ -n "$pkgs" ]; then
    # Package lists may be empty on a fresh machine (.ci/run only updates them when chromium or nft is missing).
    [ -n "$(ls /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] || apt-get update -qq || true
    for i in 1 2 3 4 5; do
      # shellcheck disable=SC2086
      apt-get install -y -q --no-install-recommends $pkgs && break
      sleep 10
    done
  fi
fi

want=""
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || want="$want nftables"
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || want="$want iproute2"
[ -x /usr/sbin/clamd ] || want="$want clamav-daemon"
# iptables (nft and legacy binaries): custom chains and legacy tables behind the nft backend
# (test/agent/host-issue12.test.ts).
[ -x /usr/sbin/iptables-legacy ] || want="$want iptables"

if [ -z "$want" ]; then
  echo "install-probe-deps: all present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-probe-deps: no apt-get; skipping:$want" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install-probe-deps: not root; skipping:$want" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $want
echo "install-probe-deps: installed:$want"

