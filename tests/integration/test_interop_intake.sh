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
src=${ZWFW_SOURCE_DIR:-$here/../..}
py=/usr/bin/python3

fail_setup() {
  echo "test_interop_intake: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

# Missing tools fail the test: they are listed in deploy/setup.sh.
$py -c 'import zmq' 2>/dev/null ||
  fail_setup "$py has no zmq module: install python3-zmq (deploy/setup.sh)"
$py -c 'import google.protobuf' 2>/dev/null ||
  fail_setup "$py has no google.protobuf module: install python3-protobuf (deploy/setup.sh)"
command -v protoc >/dev/null ||
  fail_setup "no protoc: install protobuf-compiler (deploy/setup.sh)"
command -v psql >/dev/null ||
  fail_setup "no psql: install postgresql-client (deploy/setup.sh)"

# Code for the schemas, generated now from proto/ as any integrator would.
mkdir -p "$work/gen"
protoc -I "$src/proto" --python_out="$work/gen" "$src"/proto/zwfw/v1/*.proto ||
  fail_setup "protoc --python_out failed"

# PostgreSQL: the fixture's cluster, else a private one.
conninfo=""
if [ -n "${ZWFW_PG_CONNINFO_FILE:-}" ] && [ -s "$ZWFW_PG_CONNINFO_FILE" ]; then
  conninfo=$(cat "$ZWFW_PG_CONNINFO_FILE")
else
  "$here/../harness/pgtmp.sh" start "$work/pg" >"$work/pgtmp.log" 2>&1 ||
    { cat "$work/pgtmp.log" >&2; fail_setup "cannot start PostgreSQL"; }
  conninfo=$(cat "$work/pg/conninfo")
  trap '"$here/../harness/pgtmp.sh" stop "$work/pg" >/dev/null 2>&1; cleanup' EXIT
fi
db="zwt_interop_intake_$$"
psql "$conninfo" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" \
  -c "CREATE DATABASE $db" >"$work/psql.log" 2>&1 ||
  { cat "$work/psql.log" >&2; fail_setup "cannot create database $db"; }
dbinfo=$(sed -E "s/dbname=[^ ]+/dbname=$db/" <<<"$conninfo")
drop_db() { psql "$conninfo" -qX -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; }

# The data key for personal data at rest (64 hex digits, mode 0600).
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/pii.key"
chmod 600 "$work/pii.key"

free_port() {
  $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
declare -A ep
for role in operator window integrator; do
  ep[$role]=tcp://127.0.0.1:$(free_port)
  "$bin/zwfw-broker" --endpoint "${ep[$role]}" --plain-role "$role" \
    --plain-key-id "py-$role" --plain-region 500152 \
    --heartbeat-ms 250 --request-wait-ms 1500 2>"$work/broker-$role.log" &
  pids+=($!)
done
"$bin/zwfw-intake" --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 \
  --broker-endpoint "${ep[operator]},${ep[window]},${ep[integrator]}" \
  2>"$work/intake.log" &
pids+=($!)

$py "$here/intake_client.py" --gen "$work/gen" \
  --operator "${ep[operator]}" --window "${ep[window]}" --integrator "${ep[integrator]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --calendar "$src/deploy/calendar/cn.json" \
  --wait 30 >"$work/client.out" 2>&1
client_rc=$?
cat "$work/client.out"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/client.out" | tail -n 1)
if [ -n "$summary" ]; then
  passed=$((passed + $(cut -d' ' -f1 <<<"$summary")))
  failed=$((failed + $(cut -d' ' -f3 <<<"$summary")))
fi
if [ $client_rc -ne 0 ] && [ -z "$summary" -o "$failed" -eq 0 ]; then
  echo "FAIL intake_client.py exited $client_rc"
  failed=$((failed + 1))
fi

# SIGTERM: every daemon drains and exits 0 (under ASan: without leaks).
stop_clean() {
  local pid rc=0 st
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    st=0
    wait "$pid" || st=$?
    [ $st -eq 0 ] || { echo "pid $pid exited with $st"; rc=1; }
  done
  return $rc
}
if stop_clean >"$work/stop.out" 2>&1; then
  passed=$((passed + 1))
  echo "PASS daemons stop cleanly on SIGTERM: broker x3 and intake exited 0"
else
  failed=$((failed + 1))
  echo "FAIL daemons stop cleanly on SIGTERM: $(tr '\n' ' ' <"$work/stop.out")"
fi
pids=()
drop_db

if [ $failed -gt 0 ]; then
  for f in "$work"/*.log; do echo "---- $f"; tail -n 30 "$f"; done
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
