#!/usr/bin/env bash
# Interop with the approval workflow as another government system writes
# it: workflow_client.py, a Python client built from docs/protocol.md,
# docs/events.md, the .proto schemas, DOMAIN.md and DESIGN.md alone
# (Debian's python3-zmq and python3-protobuf; code generated here by
# `protoc --python_out`), against a real zwfw-broker, zwfw-intake and
# zwfw-workflow on a private PostgreSQL database.
#
# A plain-mode broker treats every caller as one configured identity
# (protocol.md section 7), so each identity (role + department) gets its
# own broker and both daemons register with all of them. Business time is
# simulated so that due dates do not depend on the day the test runs.
#
# Checks named "[BUG] ..." assert what the documents promise and failed when
# this test was written (2026-11-28, audit from the documents alone):
#   1g  ValidateDefinition/PutDefinition accept a definition whose promised
#       limit is longer than its statutory one (DOMAIN.md: never longer;
#       StartProcess does refuse it, detail promised_limit).
#   3b-2 Act with an unknown instance_id: NOT_FOUND with details["detail"]
#       "instance", not the request field "instance_id" (protocol.md 3).
#   3b-4 Act with the receipt of one case and the instance_id of another
#       acts on the instance_id's case, silently.
#   3c-1 Act without idempotency_key is carried out (protocol.md 5: every
#       mutating request carries one; intake refuses it).
#   3c-7/8 Act material references with sha256 "not-a-hash" or size -5
#       are stored (intake refuses the same: "must be 64 lower-case hex").
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-workflow
src=${ZWFW_SOURCE_DIR:-$here/../..}
py=/usr/bin/python3

fail_setup() {
  echo "test_interop_workflow: $*" >&2
  for f in "$work"/intake.log "$work"/workflow.log; do
    [ -s "$f" ] && { echo "---- $f" >&2; tail -n 20 "$f" >&2; }
  done
  echo "0 passed, 1 failed"
  exit 1
}

$py -c 'import zmq' 2>/dev/null ||
  fail_setup "$py has no zmq module: install python3-zmq (deploy/setup.sh)"
$py -c 'import google.protobuf' 2>/dev/null ||
  fail_setup "$py has no google.protobuf module: install python3-protobuf (deploy/setup.sh)"
command -v protoc >/dev/null ||
  fail_setup "no protoc: install protobuf-compiler (deploy/setup.sh)"
command -v psql >/dev/null ||
  fail_setup "no psql: install postgresql-client (deploy/setup.sh)"

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
db="zwt_interop_workflow_$$"
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

# Departments of the sample catalog (deploy/catalog/tongnan-sample.json).
market=11500152MB17035173   # 市场监管局
health=11500152MB17028483   # 卫健委
plan=11500152MB17025308     # 规划自然资源局
build=11500152MB1701474U    # 住建委
# identity name -> "role department"
declare -A ident=(
  [operator]="operator -" [window]="window -" [integrator]="integrator -"
  [supervisor]="supervisor -"
  [approver-market]="approver $market" [head-market]="head $market"
  [approver-health]="approver $health" [head-health]="head $health"
)
endpoints=()
eps_arg=()
for name in "${!ident[@]}"; do
  read -r role dept <<<"${ident[$name]}"
  [ "$dept" = "-" ] && dept=""
  e=tcp://127.0.0.1:$(free_port)
  "$bin/zwfw-broker" --endpoint "$e" --plain-role "$role" --plain-key-id "py-$name" \
    --plain-region 500152 --plain-department "$dept" \
    --heartbeat-ms 250 --request-wait-ms 1500 2>"$work/broker-$name.log" &
  pids+=($!)
  endpoints+=("$e")
  eps_arg+=(--ep "$name=$e=$role=$dept")
done
all_eps=$(IFS=,; echo "${endpoints[*]}")
intake_pub=tcp://127.0.0.1:$(free_port)
workflow_pub=tcp://127.0.0.1:$(free_port)

"$bin/zwfw-intake" --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 \
  --pub-endpoint "$intake_pub" --workflow-endpoints "$workflow_pub" \
  --broker-endpoint "$all_eps" 2>"$work/intake.log" &
pids+=($!)
# Both daemons migrate the same database: let intake finish first (it
# serves once its migrations are in).
$py - "${endpoints[0]}" <<'PY' || fail_setup "zwfw.intake did not come up"
import sys, time, zmq
s = zmq.Context().socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[1])
end = time.monotonic() + 60
while time.monotonic() < end:
    s.send_multipart([b"", b"MDPC01", b"mmi.service", b"zwfw.intake"])
    if s.poll(2000) and s.recv_multipart()[-1] == b"200":
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
"$bin/zwfw-workflow" --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --heartbeat-ms 250 --threads 4 --pub-endpoint "$workflow_pub" \
  --intake-pub-endpoint "$intake_pub" --sweep-ms 200 --clock-poll-ms 50 \
  --broker-endpoint "$all_eps" 2>"$work/workflow.log" &
pids+=($!)

$py "$here/workflow_client.py" --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --calendar "$src/deploy/calendar/cn.json" \
  --wait 60 ${WFCLIENT_ARGS:-} >"$work/client.out" 2>&1
client_rc=$?
cat "$work/client.out"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/client.out" | tail -n 1)
if [ -n "$summary" ]; then
  passed=$((passed + $(cut -d' ' -f1 <<<"$summary")))
  failed=$((failed + $(cut -d' ' -f3 <<<"$summary")))
fi
if [ $client_rc -ne 0 ] && [ -z "$summary" -o "$failed" -eq 0 ]; then
  echo "FAIL workflow_client.py exited $client_rc"
  failed=$((failed + 1))
fi

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
  echo "PASS daemons stop cleanly on SIGTERM: brokers, intake and workflow exited 0"
else
  failed=$((failed + 1))
  echo "FAIL daemons stop cleanly on SIGTERM: $(tr '\n' ' ' <"$work/stop.out")"
fi
pids=()
if [ -n "${WFKEEP_LOGS:-}" ]; then cp "$work"/*.log "$WFKEEP_LOGS"/ 2>/dev/null; fi
drop_db

if [ $failed -gt 0 ]; then
  for f in "$work"/intake.log "$work"/workflow.log; do echo "---- $f"; tail -n 30 "$f"; done
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
