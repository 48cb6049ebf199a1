#!/usr/bin/env bash
# Tools the deploy checks (test/deploy) need: container build/run without a registry,
# compose validation, promtool/amtool, and hclfmt built offline from Debian's Go sources.
# Runs as root after `apt-get update` (scripts/setup.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

pkgs=(podman buildah runc debootstrap docker-compose golang-go golang-github-hashicorp-hcl-v2-dev
      prometheus prometheus-alertmanager curl ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

# The Debian-packaged services would otherwise keep ports 9090/9093 busy and write to /var/lib;
# the tests start their own instances on free loopback ports.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus prometheus-alertmanager prometheus-node-exporter 2>/dev/null || true
fi

# hclfmt approximates `terraform fmt -check` (no terraform binary is reachable here).
bin="$root/.work/bin"
mkdir -p "$bin"
if [ ! -x "$bin/hclfmt" ]; then
  gocache="$root/.work/go-cache"
  mkdir -p "$gocache"
  GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$gocache" GOFLAGS=-mod=mod \
    go build -o "$bin/hclfmt" github.com/hashicorp/hcl/v2/cmd/hclfmt
fi
echo "30-deploy: ok ($(command -v podman) $("$bin/hclfmt" -version 2>/dev/null || echo hclfmt))"
