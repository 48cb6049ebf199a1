#!/bin/bash
# The peer prober of `npm run bench -- peer` (bench/peers/seed_prober.py): boto3 and
# prometheus_client from Debian's archive (PyPI is out of reach here, and Debian's are what a
# Debian host would run).
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"
apt_install python3-boto3 python3-prometheus-client
/usr/bin/python3 -c 'import boto3, prometheus_client' || { echo "50-bench-peer: boto3/prometheus_client do not import" >&2; exit 1; }
