# shellcheck shell=bash disable=SC2034,SC2154 # globals shared with shtest.sh and the test
# Shared by the shell tests that drive a Python client (test_interop_*.sh,
# test_domain_*.sh, test_rfc_*.sh): PostgreSQL, a fresh database, the data
# key, plain-mode brokers and the zwfw daemons, and the client's PASS/FAIL
# count. Sourced after tests/harness/shtest.sh:
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

# zs_require_zmq BINARY...: python3-zmq and the named zwfw binaries, all a
# test of bare brokers needs. Missing ones fail the test: deploy/setup.sh
# lists them.
zs_require_zmq() {
  local b
  $py -c 'import zmq' 2>/dev/null ||
    fail_setup "$py has no zmq module: install python3-zmq (deploy/setup.sh)"
  for b in "$@"; do
    [ -x "$bin/$b" ] || fail_setup "no $b in $bin (set ZWFW_BIN_DIR)"
  done
}

# zs_require BINARY... : python3-zmq, python3-protobuf, protoc, psql and
# the named zwfw binaries.
zs_require() {
  zs_require_zmq "$@"
  $py -c 'import google.protobuf' 2>/dev/null ||
    fail_setup "$py has no google.protobuf module: install python3-protobuf (deploy/setup.sh)"
  command -v protoc >/dev/null ||
    fail_setup "no protoc: install protobuf-compiler (deploy/setup.sh)"
  command -v psql >/dev/null ||
    fail_setup "no psql: install postgresql-client (deploy/setup.sh)"
}

# zs_setup DB BINARY...: what a test of one deployment needs first:
# zs_require BINARY..., the schemas' Python code, the fresh database DB
# (zs_database) and the data key.
zs_setup() {
  local db=$1
  shift
  zs_require "$@"
  zs_gen_proto
  zs_database "$db"
  zs_pii_key
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

# zs_start_broker NAME ARG...: a zwfw-broker with ARGs on a free loopback
# port, log $work/NAME.log. A port can be taken between choosing and
# binding it, so up to five tries. Sets `zs_ep` and `zs_pid`.
zs_start_broker() {
  local name=$1 pid
  shift
  for _ in 1 2 3 4 5; do
    zs_ep=tcp://127.0.0.1:$(zs_free_port)
    "$bin/zwfw-broker" --endpoint "$zs_ep" "$@" 2>"$work/$name.log" &
    pid=$!
    sleep 0.2
    if kill -0 "$pid" 2>/dev/null; then
      pids+=("$pid")
      zs_pid=$pid
      return 0
    fi
    wait "$pid" 2>/dev/null
  done
  cat "$work/$name.log" >&2
  fail_setup "zwfw-broker ($name) did not start"
}

# zs_brokers [--ep-key-id] IDENTS WAIT_MS [KEY_PREFIX]: a plain-mode broker
# treats every caller as its one configured identity (protocol.md section
# 7), so one broker (zs_broker) per entry of the associative array named
# IDENTS: name -> "role department [key-id]", department "-" for none,
# key-id KEY_PREFIX-name when not given. Sets `endpoints`, `all_eps` (all
# of them, comma-separated, for the daemons) and `eps_arg`, the client's
# --ep name=endpoint=role=department options (=key-id added with
# --ep-key-id).
zs_brokers() {
  local with_key=""
  if [ "$1" = --ep-key-id ]; then
    with_key=1
    shift
  fi
  local -n zs_idents=$1
  local wait_ms=$2 prefix=${3:-} name role dept key_id
  endpoints=()
  eps_arg=()
  for name in "${!zs_idents[@]}"; do
    read -r role dept key_id <<<"${zs_idents[$name]}"
    [ "$dept" = "-" ] && dept=""
    [ -n "$key_id" ] || key_id=$prefix-$name
    zs_broker "$name" "$role" "$dept" "$key_id" "$wait_ms"
    endpoints+=("$zs_ep")
    eps_arg+=(--ep "$name=$zs_ep=$role=$dept${with_key:+=$key_id}")
  done
  all_eps=$(IFS=,; echo "${endpoints[*]}")
}

# zs_stack "SERVICE [OPTION...]"...: the zwfw daemons named (intake,
# workflow, rating, report), on simulated time and registered with every
# broker of zs_brokers, in the order given; each is waited for on the
# first broker before the next starts, since they migrate the same
# database one after the other (zwfw-report never migrates: give it last).
# OPTIONs (split on spaces) are added to that daemon's; rating needs
# --case-workdays. intake publishes on `intake_pub` and workflow on
# `workflow_pub`, free ports set here; intake is told of workflow's when
# both run.
zs_stack() {
  local spec name opts common
  intake_pub=tcp://127.0.0.1:$(zs_free_port)
  workflow_pub=tcp://127.0.0.1:$(zs_free_port)
  for spec in "$@"; do
    read -r name opts <<<"$spec"
    common=(--db-conninfo "$dbinfo" --broker-endpoint "$all_eps" --clock-mode simulated
      --heartbeat-ms 250)
    case $name in
      intake)
        common+=(--migrate true --pii-key-file "$work/pii.key" --threads 4
          --pub-endpoint "$intake_pub")
        [[ " $* " == *" workflow "* ]] && common+=(--workflow-endpoints "$workflow_pub") ;;
      workflow)
        common+=(--migrate true --threads 4 --pub-endpoint "$workflow_pub"
          --intake-pub-endpoint "$intake_pub" --sweep-ms 200 --clock-poll-ms 50) ;;
      rating) common+=(--migrate true --sweep-ms 200 --clock-poll-ms 50) ;;
      report) ;;
      *) fail_setup "zs_stack: no daemon $name" ;;
    esac
    # shellcheck disable=SC2086 # opts: the caller's options, split on purpose
    zs_daemon "$name" "${common[@]}" $opts
    zs_wait_service "${endpoints[0]}" "zwfw.$name" || {
      case $name in
        intake | workflow) ;; # fail_setup shows their logs
        *) echo "---- $name.log" >&2; tail -n 30 "$work/$name.log" >&2 ;;
      esac
      fail_setup "zwfw.$name did not come up"
    }
  done
}

# zs_rfc_broker NAME: zs_start_broker with the short timings that keep the
# RFC 7 checks quick, given in `zs_timings` as rfc_conformance.py and
# rfc_audit.py take them (HEARTBEAT_MS LIVENESS REQUEST_WAIT_MS).
zs_rfc_broker() {
  zs_timings=(300 3 1500)
  zs_start_broker "$1" --heartbeat-ms 300 --liveness 3 --request-wait-ms 1500
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

# zs_run_checks BAD SCRIPT ARG...: runs $here/SCRIPT, its output shown as it
# comes, and takes `passed` and `failed` from its last line "N passed, M
# failed"; without that line none passed and one failed, printed as
# "BAD - SCRIPT ended without a summary line" (BAD: the test's word for a
# failed check).
zs_run_checks() {
  local bad=$1 script=$2 summary
  shift 2
  $py "$here/$script" "$@" | tee "$work/py.out"
  summary=$(tail -n 1 "$work/py.out")
  if [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=${BASH_REMATCH[1]}
    failed=${BASH_REMATCH[2]}
  else
    passed=0
    failed=1
    echo "$bad - $script ended without a summary line"
  fi
}

# zs_check_broker PID OK_LINE BAD: a check that the broker PID survived the
# checks and exits 0 on SIGTERM (under ASan a leak shows here as a non-zero
# exit). Prints OK_LINE, or "BAD exited N on SIGTERM" or "BAD died during
# the checks". The caller then drops PID from `pids`.
zs_check_broker() {
  local st=0
  if ! kill -0 "$1" 2>/dev/null; then
    failed=$((failed + 1))
    echo "$3 died during the checks"
    return
  fi
  kill -TERM "$1"
  wait "$1" || st=$?
  if [ $st -eq 0 ]; then
    passed=$((passed + 1))
    echo "$2"
  else
    failed=$((failed + 1))
    echo "$3 exited $st on SIGTERM"
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

# zs_end KEEP WHAT LOG...: the end of a stack test: the checks that no
# daemon died and that all stop cleanly (zs_check_stop WHAT), the logs
# copied into the folder KEEP when it is not "", the database dropped, and
# zs_finish LOG....
zs_end() {
  local keep=$1
  zs_check_alive
  zs_check_stop "$2"
  shift 2
  if [ -n "$keep" ]; then cp "$work"/*.log "$keep"/ 2>/dev/null; fi
  zs_drop_db
  zs_finish "$@"
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
