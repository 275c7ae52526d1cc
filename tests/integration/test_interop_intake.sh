#!/usr/bin/env bash
# Interop as another government system writes it: intake_client.py, a
# Python client built from docs/protocol.md, the .proto schemas and RFC 7
# alone (Debian's python3-zmq and python3-protobuf; code generated here by
# `protoc --python_out`), against a real zwfw-broker and zwfw-intake on a
# private PostgreSQL database.
#
#   intake_client.py --> broker "operator"   (plain mode, role operator)   \
#                    --> broker "window"     (plain mode, role window)      > zwfw-intake
#                    --> broker "integrator" (plain mode, role integrator) /
#
# A plain-mode broker treats every caller as one configured identity
# (protocol.md section 7), so each role gets its own broker and zwfw-intake
# registers with all three. Business time is simulated (2020-09-25) so that
# due dates do not depend on the day the test runs.
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure, including a missing python3-zmq,
# python3-protobuf or protoc.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-intake
. "$here/py_stack.sh" test_interop_intake

zs_setup "zwt_interop_intake_$$" zwfw-broker zwfw-intake

declare -A ep
for role in operator window integrator; do
  zs_broker "$role" "$role" "" "py-$role" 1500
  ep[$role]=$zs_ep
done
zs_daemon intake --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 \
  --broker-endpoint "${ep[operator]},${ep[window]},${ep[integrator]}"

zs_client intake_client.py --gen "$work/gen" \
  --operator "${ep[operator]}" --window "${ep[window]}" --integrator "${ep[integrator]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --calendar "$src/deploy/calendar/cn.json" \
  --wait 30

zs_check_stop "broker x3 and intake exited 0"
zs_drop_db
zs_finish
