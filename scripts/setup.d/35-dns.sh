#!/bin/bash
# dnsmasq (the binary only, no service) for the per-node discovery tests: test/support/dns.ts starts
# its own on a free loopback port with a hosts file.
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"
apt_install dnsmasq-base
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || { echo "35-dns: dnsmasq missing after install" >&2; exit 1; }
