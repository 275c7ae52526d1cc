# shellcheck shell=bash disable=SC2034,SC2154 # globals shared with shtest.sh and the test
# Shared by the shell tests that drive a Python client (test_interop_intake.sh,
# test_interop_workflow.sh, test_domain_intake.sh): PostgreSQL, a fresh
# database, the data key, plain-mode brokers and the zwfw daemons, and the
# client's PASS/FAIL count. Sourced after tests/harness/shtest.sh:
#   here=$(cd "$(dirname "$0")" && pwd)
#   . "$here/../harness/shtest.sh" NAME
#   . "$here/py_stack.sh" test_NAME
# Gives `src` (ZWFW_SOURCE_DIR), `py`, and the zs_* functions below; each
# one that starts a process adds it to shtest.sh's `pids`. Not a test itself
# (ctest runs only test_*.sh).
src=${ZWFW_SOURCE_DIR:-$here/../..}
py=/usr/bin/python3
zs_name=$1

# Setup failed: one counted failure, with the daemons' last words.
fail_setup() {
  echo "$zs_name: $*" >&2
  local f
  for f in "$work"/intake.log "$work"/workflow.log; do
    [ -s "$f" ] && { echo "---- $f" >&2; tail -n 20 "$f" >&2; }
  done
  echo "0 passed, 1 failed"
  exit 1
}

# zs_require BINARY... : python3-zmq, python3-protobuf, protoc, psql and
# the named zwfw binaries. Missing tools fail the test: deploy/setup.sh
# lists them.
zs_require() {
  local b
  $py -c 'import zmq' 2>/dev/null ||
    fail_setup "$py has no zmq module: install python3-zmq (deploy/setup.sh)"
  $py -c 'import google.protobuf' 2>/dev/null ||
    fail_setup "$py has no google.protobuf module: install python3-protobuf (deploy/setup.sh)"
  command -v protoc >/dev/null ||
    fail_setup "no protoc: install protobuf-compiler (deploy/setup.sh)"
  command -v psql >/dev/null ||
    fail_setup "no psql: install postgresql-client (deploy/setup.sh)"
  for b in "$@"; do
    [ -x "$bin/$b" ] || fail_setup "no $b in $bin (set ZWFW_BIN_DIR)"
  done
}

# Code for the schemas in $work/gen, generated now from proto/ as any
# integrator would.
zs_gen_proto() {
  mkdir -p "$work/gen"
  protoc -I "$src/proto" --python_out="$work/gen" "$src"/proto/zwfw/v1/*.proto ||
    fail_setup "protoc --python_out failed"
}

# zs_database DB: PostgreSQL (the ctest "pg" fixture's cluster via
# ZWFW_PG_CONNINFO_FILE, else a private one stopped on exit), a fresh
# database DB in it; sets `conninfo` (the server) and `dbinfo` (DB).
zs_database() {
  zs_db=$1
  conninfo=""
  if [ -n "${ZWFW_PG_CONNINFO_FILE:-}" ] && [ -s "$ZWFW_PG_CONNINFO_FILE" ]; then
    conninfo=$(cat "$ZWFW_PG_CONNINFO_FILE")
  else
    "$here/../harness/pgtmp.sh" start "$work/pg" >"$work/pgtmp.log" 2>&1 ||
      { cat "$work/pgtmp.log" >&2; fail_setup "cannot start PostgreSQL"; }
    conninfo=$(cat "$work/pg/conninfo")
    trap '"$here/../harness/pgtmp.sh" stop "$work/pg" >/dev/null 2>&1; cleanup' EXIT
  fi
  psql "$conninfo" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $zs_db" \
    -c "CREATE DATABASE $zs_db" >"$work/psql.log" 2>&1 ||
    { cat "$work/psql.log" >&2; fail_setup "cannot create database $zs_db"; }
  dbinfo=$(sed -E "s/dbname=[^ ]+/dbname=$zs_db/" <<<"$conninfo")
}

zs_drop_db() {
  psql "$conninfo" -qX -c "DROP DATABASE IF EXISTS $zs_db" >/dev/null 2>&1
}

# The data key for personal data at rest: $work/pii.key, 64 hex digits,
# mode 0600.
zs_pii_key() {
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/pii.key"
  chmod 600 "$work/pii.key"
}

zs_free_port() {
  $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# zs_broker NAME ROLE DEPT KEY_ID WAIT_MS: a plain-mode zwfw-broker whose
# one identity is ROLE of DEPT ("" for none) in region 500152, on a free
# port; sets `zs_ep` to its endpoint. Log: $work/broker-NAME.log.
zs_broker() {
  zs_ep=tcp://127.0.0.1:$(zs_free_port)
  "$bin/zwfw-broker" --endpoint "$zs_ep" --plain-role "$2" --plain-key-id "$4" \
    --plain-region 500152 --plain-department "$3" \
    --heartbeat-ms 250 --request-wait-ms "$5" 2>"$work/broker-$1.log" &
  pids+=($!)
}

# zs_daemon NAME ARG...: $bin/zwfw-NAME ARG... in the background, log
# $work/NAME.log.
zs_daemon() {
  local name=$1
  shift
  "$bin/zwfw-$name" "$@" 2>"$work/$name.log" &
  pids+=($!)
}

# zs_wait_service ENDPOINT SERVICE: waits up to 60 s until the broker at
# ENDPOINT has a worker for SERVICE (RFC 8 mmi.service says 200).
zs_wait_service() {
  $py - "$1" "$2" <<'PY'
import sys, time, zmq
s = zmq.Context().socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[1])
end = time.monotonic() + 60
while time.monotonic() < end:
    s.send_multipart([b"", b"MDPC01", b"mmi.service", sys.argv[2].encode()])
    if s.poll(2000) and s.recv_multipart()[-1] == b"200":
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
}

# zs_client CLIENT.py ARG...: runs the Python client, prints its output and
# adds its "N passed, M failed" into `passed` and `failed`; a client that
# exits non-zero without a counted failure is one more.
zs_client() {
  local client=$1 summary client_rc
  shift
  $py "$here/$client" "$@" >"$work/client.out" 2>&1
  client_rc=$?
  cat "$work/client.out"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/client.out" | tail -n 1)
  if [ -n "$summary" ]; then
    passed=$((passed + $(cut -d' ' -f1 <<<"$summary")))
    failed=$((failed + $(cut -d' ' -f3 <<<"$summary")))
  fi
  if [ $client_rc -ne 0 ] && { [ -z "$summary" ] || [ "$failed" -eq 0 ]; }; then
    echo "FAIL $client exited $client_rc"
    failed=$((failed + 1))
  fi
}

zs_pass() { passed=$((passed + 1)); echo "PASS $*"; }
zs_fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# A check: no daemon has died so far.
zs_check_alive() {
  local pid alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
  if [ $alive -eq ${#pids[@]} ]; then
    zs_pass "every daemon still running after the scenario"
  else
    zs_fail "$((${#pids[@]} - alive)) daemon(s) died during the scenario"
  fi
}

# zs_check_stop [WHAT]: a check that SIGTERM makes every daemon drain and
# exit 0 (under ASan: without leak reports); WHAT ends the PASS line.
# Empties `pids`.
zs_check_stop() {
  local pid st bad=""
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    st=0
    wait "$pid" || st=$?
    [ $st -eq 0 ] || bad="$bad pid $pid exited with $st;"
  done
  pids=()
  if [ -z "$bad" ]; then
    zs_pass "daemons stop cleanly on SIGTERM${1:+: $1}"
  else
    zs_fail "daemons stop cleanly on SIGTERM:$bad"
  fi
}

# zs_finish [LOG...]: on failure the tails of the LOGs (default: every
# $work/*.log); then "N passed, M failed" and the test's status.
zs_finish() {
  local f
  if [ "$failed" -gt 0 ]; then
    [ $# -gt 0 ] || set -- "$work"/*.log
    for f in "$@"; do echo "---- $f"; tail -n 30 "$f"; done
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
