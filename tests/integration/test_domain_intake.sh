#!/usr/bin/env bash
# Outside-in audit of the catalog and intake against DOMAIN.md:
# domain_intake_client.py (Python, from protocol.md, the .proto schemas and
# RFC 7 alone) drives a real zwfw-intake on a private PostgreSQL database
# through plain-mode brokers, one per role (operator, window, integrator,
# head of the sample catalog's market regulator), on a simulated clock that
# it moves from 2020-09-25 to 2026-09-24. Expected due dates are worked out
# by hand from DOMAIN.md's holiday calendar (see the client's comments).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints
# "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" domain-intake
. "$here/py_stack.sh" test_domain_intake

zs_setup "zwt_domain_intake_$$" zwfw-broker zwfw-intake

declare -A ep
for role in operator window integrator head; do
  dept=""
  [ "$role" = head ] && dept=11500152MB17035173
  zs_broker "$role" "$role" "$dept" "dom-$role" 3000
  ep[$role]=$zs_ep
done
# The shipped calendar and the default working hours (DESIGN.md "Time").
zs_daemon intake --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 --sweep-ms 100 \
  --broker-endpoint "${ep[operator]},${ep[window]},${ep[integrator]},${ep[head]}"

zs_client domain_intake_client.py --gen "$work/gen" \
  --operator "${ep[operator]}" --window "${ep[window]}" --integrator "${ep[integrator]}" \
  --head "${ep[head]}" --sample "$src/deploy/catalog/tongnan-sample.json" \
  --wait 30

zs_check_alive
zs_check_stop
zs_drop_db
zs_finish
