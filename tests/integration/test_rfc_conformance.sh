#!/usr/bin/env bash
# Conformance of zwfw-broker to ZeroMQ RFC 7 (MDP/0.1) and RFC 8 (MMI),
# checked by rfc_conformance.py: raw pyzmq REQ/DEALER clients and DEALER
# workers built from the specifications alone (Debian's python3-zmq, hence
# /usr/bin/python3). The broker runs plain on a free loopback port with a
# short heartbeat so the timing checks stay quick.
#
# Env: ZWFW_BIN_DIR (built binaries). Extra arguments pick checks by name.
# Prints "N passed, M failed" last; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${ZWFW_BIN_DIR:-$here/../../build/bin}
py=/usr/bin/python3
work=$(mktemp -d /tmp/zwt-rfc-XXXXXX)
broker=

cleanup() {
  if [ -n "$broker" ] && kill -0 "$broker" 2>/dev/null; then
    kill "$broker" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$broker" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$broker" 2>/dev/null
    wait "$broker" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if ! $py -c 'import zmq' 2>/dev/null; then
  echo "test_rfc_conformance: $py has no zmq module (deploy/setup.sh installs python3-zmq)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -x "$bin/zwfw-broker" ]; then
  echo "test_rfc_conformance: no $bin/zwfw-broker (set ZWFW_BIN_DIR)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

hb=300
liveness=3
wait_ms=1500

# A port can be taken between choosing and binding it: try a few.
for _ in 1 2 3 4 5; do
  port=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  ep=tcp://127.0.0.1:$port
  "$bin/zwfw-broker" --endpoint "$ep" --heartbeat-ms $hb --liveness $liveness \
    --request-wait-ms $wait_ms 2>"$work/broker.log" &
  broker=$!
  sleep 0.2
  kill -0 "$broker" 2>/dev/null && break
  wait "$broker" 2>/dev/null
  broker=
done
if [ -z "$broker" ]; then
  echo "test_rfc_conformance: zwfw-broker did not start" >&2
  cat "$work/broker.log" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

$py "$here/rfc_conformance.py" "$ep" $hb $liveness $wait_ms "$@" | tee "$work/py.out"
summary=$(tail -n 1 "$work/py.out")
if [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  passed=${BASH_REMATCH[1]}
  failed=${BASH_REMATCH[2]}
else
  passed=0
  failed=1
  echo "not ok - rfc_conformance.py ended without a summary line"
fi

# The broker survived everything above and stops cleanly (under ASan this
# is also where leaks would show as a non-zero exit).
if kill -0 "$broker" 2>/dev/null; then
  kill -TERM "$broker"
  st=0
  wait "$broker" || st=$?
  broker=
  if [ $st -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok - broker alive after all checks and exits 0 on SIGTERM"
  else
    failed=$((failed + 1))
    echo "not ok - broker exited $st on SIGTERM"
  fi
else
  failed=$((failed + 1))
  echo "not ok - broker died during the checks"
  broker=
fi

if [ "$failed" -gt 0 ]; then
  echo "---- broker log (last 40 lines)"
  tail -n 40 "$work/broker.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
