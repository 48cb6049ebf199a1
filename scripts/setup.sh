#!/bin/bash
# Set up a fresh Debian/Ubuntu machine for s3prober (run as root): system packages, then every
# scripts/setup.d/*.sh fragment in sort order, then npm ci and the build. Idempotent and quiet:
# one line per step; on failure, the step's name and the end of its log.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
mkdir -p .work
LOG=$ROOT/.work/setup.log
: > "$LOG"

step() { # step NAME CMD...: run quietly into the log, fail loudly
  local name=$1; shift
  local t=$SECONDS
  echo "== $name" >> "$LOG"
  if "$@" >> "$LOG" 2>&1; then
    echo "setup: $name ok ($((SECONDS - t))s)"
  else
    local rc=$?
    { echo "setup: FAILED at step '$name' (exit $rc); last lines of $LOG:"; tail -n 25 "$LOG" | sed 's/^/  /'; } >&2
    exit "$rc"
  fi
}

[ "$(id -u)" = 0 ] || { echo "setup: run as root (it installs Debian packages): sudo bash scripts/setup.sh" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "setup: needs a Debian/Ubuntu machine (apt-get not found)" >&2; exit 1; }
. scripts/lib/apt.sh
export DEBIAN_FRONTEND=noninteractive

step "apt-get update" apt-get update -q -o DPkg::Lock::Timeout=600
step "base packages" apt_install curl ca-certificates openssl iproute2 procps util-linux git

node_ok() { command -v node >/dev/null && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; }
if ! command -v node >/dev/null; then
  # The distribution's Node may be new enough (Debian 13, Ubuntu 24.04); if not, the check below says so.
  step "nodejs (distribution package)" apt_install nodejs npm
fi
node_ok || { echo "setup: Node.js >= 20 is required, found $(node --version 2>/dev/null || echo none)." \
  "Install Node 20+ (e.g. the NodeSource or the official binary package) and run this again." >&2; exit 1; }
command -v npm >/dev/null || { echo "setup: npm not found next to node $(node --version)" >&2; exit 1; }

for f in $(find scripts/setup.d -maxdepth 1 -name '*.sh' | LC_ALL=C sort); do
  step "$(basename "$f")" bash "$f"
done

# npm ci wipes node_modules: skip it when the installed tree already matches the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
   [ package.json -nt node_modules/.package-lock.json ]; then
  step "npm ci" npm ci --no-audit --no-fund
fi
step "build" npm run build
echo "setup: done (node $(node --version), log $LOG)"
