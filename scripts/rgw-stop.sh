#!/bin/bash
# Stop what rgw-start.sh started in $BASE (pids in $BASE/pids) and wipe $BASE.
# Data is thrown away, so SIGKILL (a memstore OSD needs ~5 s for a graceful exit).
# KEEP_DATA=1: SIGTERM with a 10 s grace, then SIGKILL, and keep $BASE.
# Only pids whose command line names $BASE/ceph.conf are signalled (a recycled pid is left alone).
# Quiet: prints one line, "RGW_STOPPED base=... pids=..." (or "pids=none").
set -uo pipefail
BASE=${BASE:-$PWD/.work/rgw}
[ -d "$BASE" ] || { echo "RGW_STOPPED base=$BASE pids=none"; exit 0; }
BASE=$(cd "$BASE" && pwd)
exec 9>"$BASE.lock"; flock -w 60 9 || { echo "rgw-stop: $BASE.lock is held" >&2; exit 1; }
ours() { [ -r "/proc/$1/cmdline" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] &&
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$BASE/ceph.conf"; }
PIDS=()
if [ -f "$BASE/pids" ]; then while read -r _ pid; do ours "$pid" && PIDS+=("$pid"); done < "$BASE/pids"; fi
if [ ${#PIDS[@]} -gt 0 ]; then
  if [ "${KEEP_DATA:-0}" = 1 ]; then SIG=TERM; GRACE=100; else SIG=KILL; GRACE=50; fi
  kill -s $SIG "${PIDS[@]}" 2>/dev/null
  for _ in $(seq 1 $GRACE); do
    alive=0; for p in "${PIDS[@]}"; do ours "$p" && alive=1; done
    [ $alive = 0 ] && break; sleep 0.1
  done
  for p in "${PIDS[@]}"; do ours "$p" && kill -9 "$p" 2>/dev/null; done
  # Wait until the kernel has released them (ports free) before reporting stopped.
  for _ in $(seq 1 50); do
    alive=0; for p in "${PIDS[@]}"; do ours "$p" && alive=1; done
    [ $alive = 0 ] && break; sleep 0.1
  done
fi
rm -f "$BASE/pids" "$BASE/state"
if [ "${KEEP_DATA:-0}" != 1 ] && [ -f "$BASE/.s3prober-rgw" ]; then rm -rf "$BASE"; fi
[ -f "$BASE/.s3prober-rgw" ] || rm -f "$BASE.lock"
echo "RGW_STOPPED base=$BASE pids=${PIDS[*]:-none}"
