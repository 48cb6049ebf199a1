#!/usr/bin/env bash
# Tools the deploy checks (test/deploy) need: container build/run without a registry (podman,
# buildah, runc, debootstrap), compose validation, promtool/amtool, and hclfmt built offline
# from Debian's Go sources. Runs as root after `apt-get update` (scripts/setup.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
. scripts/lib/apt.sh

apt_install podman buildah runc debootstrap docker-compose golang-go golang-github-hashicorp-hcl-v2-dev \
  prometheus prometheus-alertmanager curl ca-certificates xz-utils
# The tests start their own Prometheus/Alertmanager on free loopback ports.
service_off prometheus prometheus-alertmanager prometheus-node-exporter

# hclfmt approximates `terraform fmt -check` (no terraform binary is reachable here).
bin="$root/.work/bin"
mkdir -p "$bin"
if [ ! -x "$bin/hclfmt" ]; then
  mkdir -p "$root/.work/go-cache"
  GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$root/.work/go-cache" \
    go build -o "$bin/hclfmt" github.com/hashicorp/hcl/v2/cmd/hclfmt
fi
# kubectl (with Kustomize) renders deploy/kubernetes in the unit tier; it comes with the machine
# (no Debian package here): say so now rather than in a failing test.
command -v kubectl >/dev/null || echo "30-deploy: WARNING: no kubectl on PATH; test/unit/deploy/kubernetes.test.ts needs it" >&2
echo "30-deploy: podman $(podman --version | awk '{print $3}'), hclfmt at $bin/hclfmt"
