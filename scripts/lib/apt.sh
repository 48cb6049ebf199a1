# Sourced by scripts/setup.sh and scripts/setup.d/*.sh. Assumes `apt-get update` already ran
# (setup.sh does it once).

# Install the packages that are not installed yet, quietly; never starts their services (a
# temporary policy-rc.d), since tests run their own instances on free loopback ports.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; own_policy=1; fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 "${missing[@]}" || rc=$?
  [ $own_policy = 1 ] && rm -f "$policy"
  return $rc
}

# Stop and disable a packaged service that an earlier install may have started.
service_off() {
  local s
  for s in "$@"; do
    if [ -d /run/systemd/system ]; then systemctl disable --now "$s" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$s" ] && "/etc/init.d/$s" status >/dev/null 2>&1; then "/etc/init.d/$s" stop >/dev/null 2>&1 || true
    fi
  done
}
