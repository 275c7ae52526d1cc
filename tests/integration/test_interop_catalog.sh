#!/usr/bin/env bash
# Outside-in interop audit of zwfw.catalog, written as an engineer of another
# government system (or the province's catalog platform) would: catalog_client.py
# knows only docs/protocol.md, proto/zwfw/v1/*.proto, DOMAIN.md "Service items"
# and DESIGN.md. It drives a real zwfw-intake (which serves zwfw.catalog) on a
# private PostgreSQL database through plain-mode brokers, one per role
# (operator, window, integrator, supervisor, approver).
#
# A failing check is marked "[BUG]" in the client's output; the findings of
# its first run are settled (catalog_client.py says how).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (optional). Prints
# "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-catalog
src=${ZWFW_SOURCE_DIR:-$here/../..}
py=/usr/bin/python3

fail_setup() {
  echo "test_interop_catalog: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

$py -c 'import zmq' 2>/dev/null || fail_setup "$py has no zmq module: install python3-zmq"
$py -c 'import google.protobuf' 2>/dev/null ||
  fail_setup "$py has no google.protobuf module: install python3-protobuf"
command -v protoc >/dev/null || fail_setup "no protoc: install protobuf-compiler"
command -v psql >/dev/null || fail_setup "no psql: install postgresql-client"
[ -x "$bin/zwfw-broker" ] && [ -x "$bin/zwfw-intake" ] ||
  fail_setup "no zwfw-broker / zwfw-intake in $bin (set ZWFW_BIN_DIR)"

mkdir -p "$work/gen"
protoc -I "$src/proto" --python_out="$work/gen" "$src"/proto/zwfw/v1/*.proto ||
  fail_setup "protoc --python_out failed"

conninfo=""
if [ -n "${ZWFW_PG_CONNINFO_FILE:-}" ] && [ -s "$ZWFW_PG_CONNINFO_FILE" ]; then
  conninfo=$(cat "$ZWFW_PG_CONNINFO_FILE")
else
  "$here/../harness/pgtmp.sh" start "$work/pg" >"$work/pgtmp.log" 2>&1 ||
    { cat "$work/pgtmp.log" >&2; fail_setup "cannot start PostgreSQL"; }
  conninfo=$(cat "$work/pg/conninfo")
  trap '"$here/../harness/pgtmp.sh" stop "$work/pg" >/dev/null 2>&1; cleanup' EXIT
fi
db="zwt_interop_catalog_$$"
psql "$conninfo" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" \
  -c "CREATE DATABASE $db" >"$work/psql.log" 2>&1 ||
  { cat "$work/psql.log" >&2; fail_setup "cannot create database $db"; }
dbinfo=$(sed -E "s/dbname=[^ ]+/dbname=$db/" <<<"$conninfo")
drop_db() { psql "$conninfo" -qX -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; }

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/pii.key"
chmod 600 "$work/pii.key"

free_port() {
  $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
declare -A ep
roles="operator window integrator supervisor approver"
for role in $roles; do
  ep[$role]=tcp://127.0.0.1:$(free_port)
  dept=""
  [ "$role" = approver ] && dept=11500152MB17035173
  "$bin/zwfw-broker" --endpoint "${ep[$role]}" --plain-role "$role" \
    --plain-key-id "cat-$role" --plain-region 500152 --plain-department "$dept" \
    --heartbeat-ms 250 --request-wait-ms 3000 2>"$work/broker-$role.log" &
  pids+=($!)
done
"$bin/zwfw-intake" --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 --sweep-ms 100 \
  --broker-endpoint "${ep[operator]},${ep[window]},${ep[integrator]},${ep[supervisor]},${ep[approver]}" \
  2>"$work/intake.log" &
pids+=($!)

$py "$here/catalog_client.py" --gen "$work/gen" \
  --operator "${ep[operator]}" --window "${ep[window]}" --integrator "${ep[integrator]}" \
  --supervisor "${ep[supervisor]}" --approver "${ep[approver]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --wait 30 >"$work/client.out" 2>&1
client_rc=$?
cat "$work/client.out"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/client.out" | tail -n 1)
if [ -n "$summary" ]; then
  passed=$((passed + $(cut -d' ' -f1 <<<"$summary")))
  failed=$((failed + $(cut -d' ' -f3 <<<"$summary")))
fi
if [ $client_rc -ne 0 ] && { [ -z "$summary" ] || [ "$failed" -eq 0 ]; }; then
  echo "FAIL catalog_client.py exited $client_rc"
  failed=$((failed + 1))
fi

alive=0
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
if [ $alive -eq ${#pids[@]} ]; then
  passed=$((passed + 1)); echo "PASS every daemon still running after the scenario"
else
  failed=$((failed + 1)); echo "FAIL $((${#pids[@]} - alive)) daemon(s) died during the scenario"
fi
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
bad=""
for pid in "${pids[@]}"; do
  rc=0
  wait "$pid" || rc=$?
  [ $rc -eq 0 ] || bad="$bad pid $pid exited $rc;"
done
pids=()
if [ -z "$bad" ]; then
  passed=$((passed + 1)); echo "PASS daemons stop cleanly on SIGTERM"
else
  failed=$((failed + 1)); echo "FAIL daemons stop cleanly on SIGTERM:$bad"
fi
drop_db

if [ $failed -gt 0 ]; then
  for f in "$work"/*.log; do echo "---- $f"; tail -n 20 "$f"; done
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
