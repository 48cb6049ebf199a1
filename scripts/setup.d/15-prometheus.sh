#!/bin/bash
# promtool and amtool (rule/metric/config checks in the tests) from Debian's Prometheus packages.
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"
apt_install prometheus prometheus-alertmanager
# Only the CLIs are needed; the packaged daemons would hold ports 9090/9093.
service_off prometheus prometheus-alertmanager prometheus-node-exporter
promtool --version >/dev/null 2>&1 || { echo "15-prometheus: promtool does not run" >&2; exit 1; }
amtool --version >/dev/null 2>&1 || { echo "15-prometheus: amtool does not run" >&2; exit 1; }
