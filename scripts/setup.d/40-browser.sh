#!/bin/bash
# Chromium for the status page's browser test (headless, driven by playwright-core from npm; no
# browser download: Debian's build is the one the test launches, /usr/bin/chromium).
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"
apt_install chromium fonts-dejavu-core
chromium --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 || chromium --version >/dev/null 2>&1 ||
  { echo "40-browser: chromium does not run" >&2; exit 1; }
