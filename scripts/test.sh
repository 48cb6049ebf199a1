#!/bin/bash
# `npm test`: build, run the unit tier (test/unit/: needs neither RGW nor root), then start a Ceph
# RGW for the tests and run every other test file. `npm run test:unit` (--unit): the unit tier only,
# no RGW. Each tier runs one file at a time; a failing unit tier does not stop the RGW tier.
# Arguments narrow the run: a file runs if its path contains any argument (or matches it, for
# arguments with glob characters), e.g. `npm test -- fault` or `npm test -- 'test/support/*'`.
# Env: S3PROBER_TEST_ACCESS_KEY / S3PROBER_TEST_SECRET_KEY (keys of the test RGW user),
#      S3PROBER_TEST_TIMEOUT_MS (per test and per file, default 600000: the container file builds
#      two images from a bare Debian in its before hook, minutes on a loaded machine), S3PROBER_SKIP_BUILD=1.
set -uo pipefail
cd "$(dirname "$0")/.."
die() { echo "test.sh: $*" >&2; exit 1; }
UNIT_ONLY=0
if [ "${1:-}" = --unit ]; then UNIT_ONLY=1; shift; fi

if [ "${S3PROBER_SKIP_BUILD:-0}" != 1 ]; then npm run --silent build || die "build failed"; fi

# Test files come from the TypeScript sources, so a stale dist/ file of a deleted test never runs.
UNIT=() RGW_TIER=()
while IFS= read -r src; do
  js="dist/${src%.ts}.js"
  if [ $# -gt 0 ]; then
    hit=0; for a in "$@"; do
      case "$a" in *[*?[]*) [[ "$src" == $a || "$js" == $a ]] && hit=1 ;; *) [[ "$src" == *"$a"* ]] && hit=1 ;; esac
    done; [ $hit = 1 ] || continue
  fi
  unit=0; [[ "$src" == test/unit/* ]] && unit=1
  [ $UNIT_ONLY = 1 ] && [ $unit = 0 ] && continue
  [ -f "$js" ] || die "$js missing after build (source $src)"
  if [ $unit = 1 ]; then UNIT+=("$js"); else RGW_TIER+=("$js"); fi
done < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | LC_ALL=C sort)
[ $((${#UNIT[@]} + ${#RGW_TIER[@]})) -gt 0 ] || die "no $([ $UNIT_ONLY = 1 ] && echo "unit ")test files match: ${*:-(all)}"

NODE_TEST=(node --test --test-concurrency=1 --test-timeout="${S3PROBER_TEST_TIMEOUT_MS:-600000}" --test-reporter=spec)
unit_rc=0
if [ ${#UNIT[@]} -gt 0 ]; then
  echo "test.sh: unit tier, no RGW and no privileges; ${#UNIT[@]} test file(s)"
  # What makes a unit test is enforced, not assumed: no test RGW in the environment and, when run
  # as root, no capabilities either (uid 0 still owns the checkout), so one that needs them fails.
  DROP=(); [ "$(id -u)" = 0 ] && DROP=(setpriv --inh-caps=-all --bounding-set=-all)
  "${DROP[@]}" env -u S3PROBER_TEST_ENDPOINT -u S3PROBER_TEST_ACCESS_KEY -u S3PROBER_TEST_SECRET_KEY \
    "${NODE_TEST[@]}" "${UNIT[@]}"
  unit_rc=$?
fi
[ ${#RGW_TIER[@]} -gt 0 ] || exit $unit_rc

# One RGW per concurrent `npm test`: slot 0 is .work/rgw-test on 17480/16789. A run moves to the
# next slot when a slot's lock is taken (another run in this tree) or, after stopping this tree's
# own stale cluster there, its ports are still busy (another checkout, another service).
mkdir -p .work
export S3PROBER_TEST_ACCESS_KEY=${S3PROBER_TEST_ACCESS_KEY:-prober}
export S3PROBER_TEST_SECRET_KEY=${S3PROBER_TEST_SECRET_KEY:-prober-secret}
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for slot in $(seq 0 15); do
  [ "$slot" = 15 ] && die "no free test RGW slot (ports 17480-17494 / 16789-16803 busy or locked)"
  exec 8>".work/rgw-test.$slot.lock"
  flock -n 8 || { exec 8>&-; continue; }
  suffix=$([ "$slot" = 0 ] || echo "-$slot")
  RGW_ENV=(BASE="$PWD/.work/rgw-test$suffix" RGW_PORT=$((17480 + slot)) MON_PORT=$((16789 + slot))
    S3_ACCESS_KEY="$S3PROBER_TEST_ACCESS_KEY" S3_SECRET_KEY="$S3PROBER_TEST_SECRET_KEY")
  env "${RGW_ENV[@]}" scripts/rgw-stop.sh >/dev/null 8>&-
  port_busy $((17480 + slot)) || port_busy $((16789 + slot)) || break
  exec 8>&-
done

trap 'env "${RGW_ENV[@]}" scripts/rgw-stop.sh >/dev/null 8>&-' EXIT
trap 'exit 130' INT; trap 'exit 143' TERM
# Fresh cluster every run (RGW_FORCE): no state leaks from an earlier, interrupted run.
line=$(env "${RGW_ENV[@]}" RGW_FORCE=1 scripts/rgw-start.sh 8>&-) || die "could not start RGW"
export S3PROBER_TEST_ENDPOINT="http://127.0.0.1:$((17480 + slot))"
echo "test.sh: RGW tier, ${line#RGW_READY }; ${#RGW_TIER[@]} test file(s)"

"${NODE_TEST[@]}" "${RGW_TIER[@]}" 8>&-
rc=$?
if [ $unit_rc != 0 ]; then
  echo "test.sh: the unit tier failed (exit $unit_rc; its output is above the RGW tier's)" >&2
  [ $rc != 0 ] || rc=$unit_rc
fi
exit $rc
