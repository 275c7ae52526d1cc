#!/usr/bin/env bash
# RFC 7 (MDP/0.1) / RFC 8 (MMI) audit of zwfw-broker: the observable rules
# test_rfc_conformance.sh does not reach (rfc_audit.py says which). Two
# plain brokers on free loopback ports: one with short timings for speed,
# one started with no timing option, for the defaults stock peers assume.
#
# Env: ZWFW_BIN_DIR (built binaries). Extra arguments pick checks by name.
# Prints "N passed, M failed" last; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${ZWFW_BIN_DIR:-$here/../../build/bin}
py=/usr/bin/python3
work=$(mktemp -d /tmp/zwt-rfcaudit-XXXXXX)
pids=()

stop_all() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -9 "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

fail_early() {
  echo "FAIL - test_rfc_audit: $1" >&2
  echo "0 passed, 1 failed"
  exit 1
}

$py -c 'import zmq' 2>/dev/null ||
  fail_early "$py has no zmq module (deploy/setup.sh installs python3-zmq)"
[ -x "$bin/zwfw-broker" ] || fail_early "no $bin/zwfw-broker (set ZWFW_BIN_DIR)"

hb=300
liveness=3
wait_ms=1500

# start_broker NAME ARGS...: sets $ep; a port can be taken between choosing
# and binding it, so a few tries.
start_broker() {
  local name=$1 pid port
  shift
  for _ in 1 2 3 4 5; do
    port=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    ep=tcp://127.0.0.1:$port
    "$bin/zwfw-broker" --endpoint "$ep" "$@" 2>"$work/$name.log" &
    pid=$!
    sleep 0.2
    if kill -0 "$pid" 2>/dev/null; then
      pids+=("$pid")
      eval "${name}_pid=$pid"
      return 0
    fi
    wait "$pid" 2>/dev/null
  done
  cat "$work/$name.log" >&2
  fail_early "zwfw-broker ($name) did not start"
}

start_broker fast --heartbeat-ms $hb --liveness $liveness --request-wait-ms $wait_ms
fast_ep=$ep
start_broker default
default_ep=$ep

$py "$here/rfc_audit.py" "$fast_ep" $hb $liveness $wait_ms "$default_ep" "$@" |
  tee "$work/py.out"
summary=$(tail -n 1 "$work/py.out")
if [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  passed=${BASH_REMATCH[1]}
  failed=${BASH_REMATCH[2]}
else
  passed=0
  failed=1
  echo "FAIL - rfc_audit.py ended without a summary line"
fi

# Both brokers survived the checks and stop cleanly (under ASan a leak
# would show here as a non-zero exit).
for name in fast default; do
  pid_var=${name}_pid
  pid=${!pid_var}
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    st=0
    wait "$pid" || st=$?
    if [ $st -eq 0 ]; then
      passed=$((passed + 1))
      echo "PASS - $name broker alive after the checks, exits 0 on SIGTERM"
    else
      failed=$((failed + 1))
      echo "FAIL - $name broker exited $st on SIGTERM"
    fi
  else
    failed=$((failed + 1))
    echo "FAIL - $name broker died during the checks"
  fi
done
pids=()

if [ "$failed" -gt 0 ]; then
  for name in fast default; do
    echo "---- $name broker log (last 30 lines)"
    tail -n 30 "$work/$name.log"
  done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
