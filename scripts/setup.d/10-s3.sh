#!/bin/bash
# Ceph RGW for the embedded default target and the tests (scripts/rgw-start.sh): 1 mon, 1 OSD, radosgw.
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"
apt_install radosgw ceph-mon ceph-osd ceph-common
# The tests start their own clusters; a packaged one would hold the default ports.
service_off ceph.target ceph-mon.target ceph-osd.target ceph-radosgw.target
for b in radosgw ceph-mon ceph-osd radosgw-admin monmaptool ceph; do
  command -v "$b" >/dev/null || { echo "10-s3: $b missing after install" >&2; exit 1; }
done
