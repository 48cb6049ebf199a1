#!/bin/bash
# Start 1 mon + 1 memstore OSD + radosgw (beast) on 127.0.0.1 (Ceph 16.2, auth none inside the
# cluster, one S3 user). Derived from ../shared/reference/ceph-rgw/ceph-start.sh.
#
# Env: BASE (state dir, default .work/rgw), RGW_PORT (7480), MON_PORT (6789),
#      S3_ACCESS_KEY (prober), S3_SECRET_KEY (prober-secret), MEMSTORE_BYTES (2 GiB),
#      RGW_FORCE=1 (restart even if a matching cluster is already running), RGW_DEBUG (debug_rgw, 0/5),
#      ZONE_B_PORT: RGW multisite as Ceph documents it, on this one cluster: a realm with one
#      zonegroup and two zones, a (master, RGW_PORT) and b (ZONE_B_PORT), each served by a radosgw
#      of its own with rgw_zone set, b syncing from a; ready once b's metadata sync has caught up.
# Quiet on success: stdout is exactly one line,
#   RGW_READY endpoint=http://127.0.0.1:PORT access_key=AK base=/abs/base reused=0|1 seconds=N
# (with ZONE_B_PORT, " endpoint_b=http://127.0.0.1:ZONE_B_PORT" after the endpoint)
# (the secret is never printed: callers pass it in, and output may end up in logs).
# Safe to call when already running: a live cluster in BASE with the same ports and keys is reused.
# Every daemon pid is recorded in $BASE/pids; rgw-stop.sh kills exactly those.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-$PWD/.work/rgw}
RGW_PORT=${RGW_PORT:-7480} MON_PORT=${MON_PORT:-6789}
AK=${S3_ACCESS_KEY:-prober} SK=${S3_SECRET_KEY:-prober-secret}
die() { echo "rgw-start: $*" >&2; exit 1; }
ZONE_B_PORT=${ZONE_B_PORT:-}
[[ "$RGW_PORT" =~ ^[0-9]+$ && "$MON_PORT" =~ ^[0-9]+$ && "$ZONE_B_PORT" =~ ^[0-9]*$ ]] || die "RGW_PORT/MON_PORT/ZONE_B_PORT must be numbers"
mkdir -p "$BASE"; BASE=$(cd "$BASE" && pwd)
[ "$BASE" != / ] && [ "$BASE" != "$HOME" ] || die "refusing BASE=$BASE"

# Serialise concurrent starts/stops of the same BASE (the prober and a user may race).
exec 9>"$BASE.lock"; flock -w 180 9 || die "another rgw-start/stop holds $BASE.lock"
# A start that fails before BASE is ours leaves no lock file behind.
drop_lock() { [ -f "$BASE/.s3prober-rgw" ] || rm -f "$BASE.lock"; }
trap drop_lock EXIT

PKGS="radosgw ceph-mon ceph-osd"
for b in $PKGS; do command -v "$b" >/dev/null || MISSING=1; done
if [ -n "${MISSING:-}" ]; then
  [ "$(id -u)" = 0 ] || die "missing $PKGS; install them as root (scripts/setup.sh) or run this as root"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
      install -y -q --no-install-recommends $PKGS; } > "$BASE.apt.log" 2>&1 \
    || die "apt-get install $PKGS failed, see $BASE.apt.log"
fi

STATE="rgw_port=$RGW_PORT zone_b_port=$ZONE_B_PORT mon_port=$MON_PORT keys=$(printf '%s:%s' "$AK" "$SK" | sha256sum | cut -c1-16)"
alive() { # pid is running, not a zombie, and is one of OUR daemons (guards against pid reuse)
  [ -r "/proc/$1/cmdline" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] &&
    tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$BASE/ceph.conf"; }
# A port counts as ours only if our daemon holds it, never another cluster's on the same port.
# Without ss (no iproute2) fall back to "something answers".
if command -v ss >/dev/null; then listens() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"; }
else listens() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }; fi
ready_line() { echo "RGW_READY endpoint=http://127.0.0.1:$RGW_PORT${ZONE_B_PORT:+ endpoint_b=http://127.0.0.1:$ZONE_B_PORT} access_key=$AK base=$BASE reused=$1 seconds=$SECONDS"; }

if [ -f "$BASE/pids" ]; then
  ok=1; while read -r _ pid; do alive "$pid" || ok=0; done < "$BASE/pids"
  if [ $ok = 1 ] && [ "${RGW_FORCE:-0}" != 1 ] && [ "$(cat "$BASE/state" 2>/dev/null)" = "$STATE" ] &&
     listens "$RGW_PORT" "$(awk '$1 == "rgw" {print $2}' "$BASE/pids")" &&
     { [ -z "$ZONE_B_PORT" ] || listens "$ZONE_B_PORT" "$(awk '$1 == "rgw-b" {print $2}' "$BASE/pids")"; } && curl -sf -m 2 -o /dev/null "http://127.0.0.1:$RGW_PORT/"; then
    ready_line 1; exit 0
  fi
  exec 9>&-; "$HERE/rgw-stop.sh" >/dev/null; exec 9>"$BASE.lock"; flock -w 180 9
fi

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for p in "$RGW_PORT" $ZONE_B_PORT "$MON_PORT"; do port_busy "$p" && die "port $p on 127.0.0.1 is already in use"; done

# Wipe only what we created before (marker), never an arbitrary directory someone pointed BASE at.
if [ -n "$(ls -A "$BASE")" ]; then
  [ -f "$BASE/.s3prober-rgw" ] || die "$BASE is not empty and was not created by rgw-start.sh"
  rm -rf "${BASE:?}"/* "${BASE:?}"/.s3prober-rgw
fi
mkdir -p "$BASE"/{run,log,mon.a,osd.0}; touch "$BASE/.s3prober-rgw"; chmod 700 "$BASE"

fail() {
  local rc=$?; [ $rc = 0 ] && return
  echo "rgw-start: FAILED (rc=$rc), logs in $BASE/log; last lines:" >&2
  tail -n 5 "$BASE"/log/*.log "$BASE"/log/*.stdout 2>/dev/null | sed 's/^/  /' >&2 || true
  [ -f "$BASE/pids" ] && while read -r _ pid; do kill -9 "$pid" 2>/dev/null || true; done < "$BASE/pids"
  rm -f "$BASE/pids"
}
trap fail EXIT

CONF=$BASE/ceph.conf FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon_host = [v1:127.0.0.1:$MON_PORT]
public_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $BASE/run
log_file = $BASE/log/\$name.log
crash_dir = $BASE/crash
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_data_avail_warn = 1
mon_warn_on_msgr2_not_enabled = false
auth_allow_insecure_global_id_reclaim = false
paxos_propose_interval = 0.05
# A port taken by someone else fails the start in ~1 s instead of 10 s of bind retries.
ms_bind_retry_count = 1
ms_bind_retry_delay = 1
mon_data = $BASE/mon.\$id
osd_data = $BASE/osd.\$id
osd_objectstore = memstore
memstore_device_bytes = ${MEMSTORE_BYTES:-2147483648}
osd_crush_update_on_start = false
osd_class_update_on_start = false
# Logs stay in BASE and stay small: the embedded target may run for months. The cluster/audit log
# would otherwise go to /var/log/ceph, shared by every cluster (and not writable without root).
mon_cluster_log_to_file = false
# Ceph gathers debug messages up to level 5 in memory even when it writes none (the "0/5"
# defaults): with 0/0 everywhere the daemons serve ~20% more requests on one core.
debug_lockdep = 0/0
debug_context = 0/0
debug_crush = 0/0
debug_buffer = 0/0
debug_timer = 0/0
debug_filer = 0/0
debug_striper = 0/0
debug_objecter = 0/0
debug_rados = 0/0
debug_objectcacher = 0/0
debug_client = 0/0
debug_osd = 0/0
debug_optracker = 0/0
debug_objclass = 0/0
debug_filestore = 0/0
debug_journal = 0/0
debug_ms = 0/0
debug_mon = 0/0
debug_monc = 0/0
debug_paxos = 0/0
debug_tp = 0/0
debug_auth = 0/0
debug_crypto = 0/0
debug_finisher = 0/0
debug_reserver = 0/0
debug_heartbeatmap = 0/0
debug_perfcounter = 0/0
debug_rgw_sync = 0/0
debug_asok = 0/0
debug_throttle = 0/0
debug_refs = 0/0
debug_compressor = 0/0
debug_bluestore = 0/0
debug_bluefs = 0/0
debug_bdev = 0/0
debug_kstore = 0/0
debug_rocksdb = 0/0
debug_leveldb = 0/0
debug_memdb = 0/0
debug_mgr = 0/0
debug_mgrc = 0/0
debug_prioritycache = 0/0
# Nothing here needs the OSD's per-op tracking, or 16 op threads on a one- or two-core box.
osd_enable_op_tracker = false
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
[client]
# Short-lived CLI clients (ceph, radosgw-admin) would otherwise create admin sockets and log files.
admin_socket =
log_file = /dev/null
CONF

# One radosgw: rgw_section NAME FILES PORT [ZONE] (FILES: its socket, log and data are named so)
rgw_section() { cat <<SECTION
[client.rgw.$1]
admin_socket = $BASE/run/$2.asok
log_file = $BASE/log/$2.log
# Level 1 logs every request (~40 MB/day for a prober); errors are level 0. RGW_DEBUG=1/5 for more.
debug_rgw = ${RGW_DEBUG:-0/0}
rgw_frontends = beast endpoint=127.0.0.1:$3 tcp_nodelay=1
rgw_data = $BASE/$2
${4:+rgw_zone = $4}
# Every prober cycle creates and deletes a bucket and lists it: with Pacific's 11 index shards that
# is 11 index objects to create and remove and 11 to read per listing page; one serves the small
# buckets of a prober. Beast yields while it waits on RADOS, so 16 threads (not 512) carry any load
# this box can make. Measured with the prober's cycle mix on one core (BENCHMARKS.md, seventh
# session): ~390 -> ~600 requests a second, with the debug and OSD settings above.
rgw_override_bucket_index_max_shards = 1
rgw_thread_pool_size = 16
rgw_dynamic_resharding = false
SECTION
}
if [ -z "$ZONE_B_PORT" ]; then rgw_section a rgw "$RGW_PORT" >> "$CONF"
else rgw_section a rgw "$RGW_PORT" a >> "$CONF"; rgw_section b rgw-b "$ZONE_B_PORT" b >> "$CONF"; fi

ceph() { timeout 30 /usr/bin/ceph -c "$CONF" --connect-timeout 10 "$@"; }
wait_for() { # wait_for WHAT SECONDS PID CMD...: fail fast if the daemon PID dies meanwhile
  local what=$1 end=$((SECONDS + $2)) pid=$3; shift 3
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || die "$what: the daemon (pid $pid) exited"
    [ $SECONDS -lt $end ] || die "timeout waiting for $what"; sleep 0.05
  done; }
# -c with the conf path puts $BASE in each daemon's cmdline, which is how stop/reuse recognise them.
# stdin from /dev/null and fd 9 closed, so callers reading our output or holding the lock don't hang.
spawn() { local n=$1; shift; "$@" -c "$CONF" -f < /dev/null > "$BASE/log/$n.stdout" 2>&1 9>&- &
  echo "$n $!" >> "$BASE/pids"; }
pid_of() { awk -v n="$1" '$1 == n {print $2}' "$BASE/pids"; }

monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:$MON_PORT]" "$BASE/monmap" >/dev/null
timeout 30 ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" > "$BASE/log/mon-mkfs.log" 2>&1
spawn mon ceph-mon -i a
wait_for "ceph-mon on port $MON_PORT" 20 "$(pid_of mon)" listens "$MON_PORT" "$(pid_of mon)"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(ceph osd new "$OSD_UUID" 2> "$BASE/log/osd-new.log")
timeout 30 ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" > "$BASE/log/osd-mkfs.log" 2>&1
# One ceph CLI process for all cluster commands: each invocation costs ~0.3 s of Python start-up.
{ echo "osd crush add osd.$OSD_ID 1.0 root=default host=localhost"
  zones=default; [ -z "$ZONE_B_PORT" ] || zones="a b"
  for p in .rgw.root $(for z in $zones; do echo $z.rgw.{log,control,meta,buckets.index,buckets.data,buckets.non-ec}; done); do
    echo "osd pool create $p 8 8"; echo "osd pool application enable $p rgw"; done
} | timeout 60 /usr/bin/ceph -c "$CONF" > "$BASE/log/pools.log" 2>&1
spawn osd ceph-osd -i "$OSD_ID"
osd_up() { ceph osd stat | grep -q '1 up'; }
wait_for "ceph-osd up" 30 "$(pid_of osd)" osd_up
admin() { timeout 60 radosgw-admin -c "$CONF" "$@"; }
if [ -n "$ZONE_B_PORT" ]; then
  # Ceph's multisite steps (docs/radosgw/multisite), both zones on this cluster: zone b's gateway
  # pulls a's metadata and data through a's endpoint with the system user's keys.
  SYNC_AK=s3prober-sync SYNC_SK=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  A="http://127.0.0.1:$RGW_PORT" B="http://127.0.0.1:$ZONE_B_PORT"
  { admin realm create --rgw-realm=s3prober --default &&
    admin zonegroup create --rgw-zonegroup=s3prober --rgw-realm=s3prober --endpoints="$A" --master --default &&
    admin zone create --rgw-zonegroup=s3prober --rgw-zone=a --endpoints="$A" --master --default \
      --access-key="$SYNC_AK" --secret="$SYNC_SK" &&
    admin zone create --rgw-zonegroup=s3prober --rgw-zone=b --endpoints="$B" \
      --access-key="$SYNC_AK" --secret="$SYNC_SK" &&
    admin user create --uid=s3prober-sync --display-name="multisite sync" --system \
      --access-key="$SYNC_AK" --secret="$SYNC_SK" &&
    admin period update --commit; } > "$BASE/log/multisite.log" 2>&1 || die "multisite set-up failed, see $BASE/log/multisite.log"
fi
spawn rgw radosgw -n client.rgw.a
admin user create --uid=prober --display-name=prober \
  --access-key="$AK" --secret="$SK" > "$BASE/user.json" 2> "$BASE/log/user-create.log"
chmod 600 "$BASE/user.json"
rgw_up() { listens "$1" "$(pid_of "$2")" && curl -sf -m 2 -o /dev/null "http://127.0.0.1:$1/"; }
wait_for "radosgw on port $RGW_PORT" 60 "$(pid_of rgw)" rgw_up "$RGW_PORT" rgw
if [ -n "$ZONE_B_PORT" ]; then
  spawn rgw-b radosgw -n client.rgw.b
  wait_for "radosgw of zone b on port $ZONE_B_PORT" 60 "$(pid_of rgw-b)" rgw_up "$ZONE_B_PORT" rgw-b
  # b serves S3 with the users of a only once its metadata sync caught up
  synced() { admin sync status --rgw-zone=b > "$BASE/log/sync-status.log" 2>&1
    grep -q 'metadata is caught up with master' "$BASE/log/sync-status.log" || { sleep 1; false; }; }
  wait_for "zone b's metadata sync" 120 "$(pid_of rgw-b)" synced
fi
echo "$STATE" > "$BASE/state"
trap - EXIT
ready_line 0
