#!/usr/bin/env bash
# Interop with the cross-region exchange (zwfw.xregion: 跨省通办 / 川渝通办 /
# 跨区县通办) as a partner city's or another government system's engineer
# writes it: xregion_client.py, a Python client built from docs/protocol.md
# (sections 3, 4 "Cross-region exchange", 5, 7 and 10 "Partner links"),
# proto/zwfw/v1/xregion.proto (with common, catalog and intake) and DOMAIN.md
# ("Cross-region", "Intake and the clock") alone, with Debian's python3-zmq
# and python3-protobuf and code generated here by `protoc --python_out`.
#
# Three partner deployments on one PostgreSQL server (xr_stack.sh: each its
# own database, plain-mode brokers one per role, zwfw-intake and
# zwfw-xregion with a CURVE link key of its own): Tongnan 500152 (ts, the
# receiving side, with the shipped sample catalog), Meishan 511400 (ms) and
# Ziyang 512000 (zy), whose small catalogs the client writes into $work
# (`xregion_client.py catalogs`). ts is linked with ms and with zy; ms and
# zy are not linked with each other. Business time is simulated, every
# deployment's clock set to the same moment (xr_stack.sh), so due dates do
# not depend on the day the test runs.
#
# Found by this test on the first build of zwfw-xregion (2026-11-28) and
# fixed since; the checks stay:
#   1d', 6a'  a replay (same key, same bytes) of PutPartner or
#       ForwardApplication answers replayed false (the protocol's meaning
#       of `replayed`: protocol.md section 4 "Approval workflow", "returns
#       the first reply (`replayed` true)"; intake.proto
#       SubmitApplicationReply.replayed).
#   3b  after the home window's SupplementMaterials the home application is
#       accepted with nothing missing, and the part moves to state 3, but
#       keeps `missing` ["M02"] from the one-time notice (protocol.md
#       "Cross-region exchange": `missing` is for a one-time notice).
#   3d  an unknown item at home: the part is REJECTED NOT_FOUND with
#       details["detail"] "impl_code", not "item_code" (protocol.md
#       "Cross-region exchange", PartStage REJECTED).
#   6b  of 8 concurrent copies of one ForwardApplication (same key, same
#       bytes) one is answered ALREADY_EXISTS idempotency_key "was used for
#       another request" instead of the first reply (protocol.md 5), on
#       nearly every round (now: copies of one key wait for the first,
#       common/idem.c zw_idem_lock).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure. XRKEEP_LOGS=DIR keeps the logs.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-xregion
. "$here/py_stack.sh" test_interop_xregion
. "$here/xr_stack.sh"

zs_require zwfw-broker zwfw-intake zwfw-xregion zwfw-report zwfwctl
command -v pg_dump >/dev/null || fail_setup "no pg_dump: install postgresql-client (deploy/setup.sh)"
zs_gen_proto
zs_database "zwt_interop_xregion_$$"

# Catalogs of the two partner cities, written by the client from the
# catalog format (the sample's) and checked with zwfwctl before loading.
$py "$here/xregion_client.py" catalogs --out "$work" >"$work/catalogs.out" 2>&1 ||
  { cat "$work/catalogs.out" >&2; fail_setup "xregion_client.py catalogs failed"; }
for d in ms zy; do
  bad=""
  while read -r code; do
    "$bin/zwfwctl" validate impl "$code" --regions "$src/deploy/regions.json" \
      >>"$work/validate.out" 2>&1 || bad="$bad $code"
  done < <($py -c 'import json, sys
for it in json.load(open(sys.argv[1]))["items"]:
    print(it["implCode"])' "$work/catalog-$d.json")
  if [ -z "$bad" ]; then
    zs_pass "$d catalog: every implementation code passes zwfwctl validate impl"
  else
    zs_fail "$d catalog: zwfwctl validate impl refuses:$bad ($(tail -n 2 "$work/validate.out"))"
  fi
done

xr_deployment ts 500152
xr_deployment ms 511400
xr_deployment zy 512000
xr_catalog ts "$src/deploy/catalog/tongnan-sample.json"
xr_catalog ms "$work/catalog-ms.json"
xr_catalog zy "$work/catalog-zy.json"
xr_link ts ms
xr_link ts zy
# zwfw-report of the two sides the client compares with ListExchanges (8e)
for d in ts ms; do
  "$bin/zwfw-report" --db-conninfo "${xr_db[$d]}" --broker-endpoint "${xr_eps[$d]}" \
    --heartbeat-ms 250 "${xr_clock_args[@]}" 2>"$work/$d-report.log" &
  pids+=($!)
done

args=(--gen "$work/gen" --work "$work"
  --catalog "ts=$src/deploy/catalog/tongnan-sample.json"
  --catalog "ms=$work/catalog-ms.json" --catalog "zy=$work/catalog-zy.json")
for d in ts ms zy; do
  args+=(--deployment "$d=${xr_region[$d]}=${xr_link_ep[$d]}=${xr_link_pk[$d]}"
    --db "$d=${xr_db[$d]}")
  for role in "${xr_roles[@]}"; do
    args+=(--ep "$d.$role=${xr_ep[$d.$role]}")
  done
done

# shellcheck disable=SC2086 # XRCLIENT_ARGS: extra options, split on purpose
zs_client xregion_client.py scenario "${args[@]}" --wait 60 ${XRCLIENT_ARGS:-}

zs_check_alive
zs_check_stop "brokers, intake, xregion and report of the deployments exited 0"
if [ -n "${XRKEEP_LOGS:-}" ]; then cp "$work"/*.log "$XRKEEP_LOGS"/ 2>/dev/null; fi
xr_drop_dbs
zs_drop_db
zs_finish "$work"/ts-xregion.log "$work"/ms-xregion.log "$work"/zy-xregion.log \
  "$work"/ts-intake.log "$work"/ms-intake.log "$work"/zy-intake.log
