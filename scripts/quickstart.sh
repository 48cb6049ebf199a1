#!/bin/bash
# Quick start on a fresh Debian/Ubuntu machine (as root): install everything (scripts/setup.sh),
# then run the exporter on the embedded default target, a Ceph RGW on 127.0.0.1 that s3prober
# starts and stops itself. Metrics: http://localhost:10340/metrics, status page: http://localhost:10340/
# Extra arguments go to `s3prober run` (e.g. --config my.yaml --listen 127.0.0.1:10340).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "quickstart: starting s3prober; metrics on http://localhost:10340/metrics, status on http://localhost:10340/ (Ctrl-C stops it)"
# through its first line (#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=8): its memory settings
exec dist/src/cli/main.js run "$@"
