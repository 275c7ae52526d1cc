#!/usr/bin/env bash
# Outside-in interop audit of zwfw.catalog, written as an engineer of another
# government system (or the province's catalog platform) would: catalog_client.py
# knows only docs/protocol.md, proto/zwfw/v1/*.proto, DOMAIN.md "Service items"
# and DESIGN.md. It drives a real zwfw-intake (which serves zwfw.catalog) on a
# private PostgreSQL database through plain-mode brokers, one per role
# (operator, window, integrator, supervisor, approver).
#
# A failing check is a finding; those of the client's first run are settled
# (catalog_client.py says how).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (optional). Prints
# "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-catalog
. "$here/py_stack.sh" test_interop_catalog

zs_setup "zwt_interop_catalog_$$" zwfw-broker zwfw-intake

declare -A ep
for role in operator window integrator supervisor approver; do
  dept=""
  [ "$role" = approver ] && dept=11500152MB17035173
  zs_broker "$role" "$role" "$dept" "cat-$role" 3000
  ep[$role]=$zs_ep
done
zs_daemon intake --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 --sweep-ms 100 \
  --broker-endpoint "${ep[operator]},${ep[window]},${ep[integrator]},${ep[supervisor]},${ep[approver]}"

zs_client catalog_client.py --gen "$work/gen" \
  --operator "${ep[operator]}" --window "${ep[window]}" --integrator "${ep[integrator]}" \
  --supervisor "${ep[supervisor]}" --approver "${ep[approver]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --wait 30

zs_check_alive
zs_check_stop
zs_drop_db
zs_finish
