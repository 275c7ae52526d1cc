#!/usr/bin/env bash
# Interop with an RFC 7 peer that shares no code with zwfw: mdp_peer.py, a
# Python client and worker written from the specification alone (Debian's
# python3-zmq; /usr/bin/python3 on purpose, as another python3 on PATH may
# lack zmq).
#
#   Python client -> zwfw-broker -> zwfw-echo (zwfw.* and plain services)
#   zwfwctl       -> zwfw-broker -> Python worker (plain, and zwfw.* where
#                                   the broker appends the Caller frame)
#   Python client -> mmi.service (200 and 404)
#
# Env: ZWFW_BIN_DIR (built binaries), ZWFW_SOURCE_DIR. Prints "N passed, M
# failed"; exits non-zero on any failure. Every process started here is
# killed on exit.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop
py=/usr/bin/python3
peer="$py $here/mdp_peer.py"

if ! $py -c 'import zmq' 2>/dev/null; then
  echo "test_interop_python: $py has no zmq module (deploy/setup.sh installs python3-zmq)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

port=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ep=tcp://127.0.0.1:$port
hb=250

"$bin/zwfw-broker" --endpoint "$ep" --heartbeat-ms $hb --request-wait-ms 1500 \
  2>"$work/broker.log" &
pids+=($!)
"$bin/zwfw-echo" --endpoint "$ep" --service zwfw.echo --workers 2 --heartbeat-ms $hb \
  2>"$work/echo-zwfw.log" &
pids+=($!)
"$bin/zwfw-echo" --endpoint "$ep" --service plain.echo --workers 1 --heartbeat-ms $hb \
  2>"$work/echo-plain.log" &
pids+=($!)
$peer worker "$ep" py.echo $hb 2>"$work/py-plain.log" &
pids+=($!)
$peer worker "$ep" zwfw.pyecho $hb 2>"$work/py-zwfw.log" &
pids+=($!)

for svc in zwfw.echo plain.echo py.echo zwfw.pyecho; do
  check "$svc registered" $peer wait-service "$ep" $svc 15
done

# Python client -> zwfw worker.
check "python client: zwfw body through zwfw-echo" $peer check-zwfw-echo "$ep" zwfw.echo
check "python client: HealthRequest answered by the worker library" \
  $peer check-health "$ep" zwfw.echo
check "python client: plain service echoed byte for byte" $peer check-raw-echo "$ep" plain.echo

# MMI.
check "python client: mmi.service 200" $peer mmi "$ep" zwfw.echo 200
check "python client: mmi.service 404" $peer mmi "$ep" zwfw.nobody 404

# zwfw client -> Python worker, plain service: frames come back as sent.
raw_py() {
  local out
  out=$("$bin/zwfwctl" call --raw --endpoint "$ep" py.echo alpha "" hex:00ff10 omega) || return 1
  [ "$out" = $'alpha\n\nhex:00ff10\nomega' ] || { echo "got: $out"; return 1; }
}
check "zwfwctl -> python worker: plain frames" raw_py

# zwfw client -> Python worker on a zwfw.* service: the worker sees the
# broker's Caller as the last (fourth) frame and sends it back as the reply.
caller_py() {
  local out
  out=$("$bin/zwfwctl" call --endpoint "$ep" zwfw.pyecho zwfw.v1.HealthRequest '{}') || return 1
  echo "$out"
  grep -q '"keyId":[[:space:]]*"local"' <<<"$out" &&
    grep -q '"role":[[:space:]]*"ROLE_OPERATOR"' <<<"$out" &&
    grep -q '"region":[[:space:]]*"500152"' <<<"$out"
}
check "zwfwctl -> python worker: Caller frame appended by the broker" caller_py

# An Error written by the python worker decodes on the zwfw side.
error_py() {
  local rc=0
  "$bin/zwfwctl" call --endpoint "$ep" zwfw.pyecho zwfw.v1.Date '"2020-09-25"' 2>"$work/err.txt" || rc=$?
  cat "$work/err.txt"
  [ $rc -eq 1 ] && grep -q '^FAILED_PRECONDITION: python says no$' "$work/err.txt" &&
    grep -q 'detail: py' "$work/err.txt"
}
check "zwfwctl <- python worker: Error reply" error_py

# Python client -> Python worker, through the zwfw broker.
check "python client -> python worker: plain" $peer check-raw-echo "$ep" py.echo

# zwfwctl status sees the python worker's service as up only via MMI; the
# zwfw echo answers health.
status_check() {
  local out
  out=$("$bin/zwfwctl" status --endpoint "$ep" zwfw.echo) || return 1
  echo "$out"
  grep -q '^zwfw.echo .* up .*version' <<<"$out" && grep -q '^zwfw.intake .*down' <<<"$out"
}
check "zwfwctl status" status_check

# A worker that disconnects is forgotten: stop the python plain worker and
# the broker must answer 404 for it.
py_plain=${pids[3]}
kill "$py_plain"
wait "$py_plain" 2>/dev/null
gone() {
  local i
  for i in $(seq 100); do
    $peer mmi "$ep" py.echo 404 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
check "python worker DISCONNECT: service gone (404)" gone

# SIGTERM: every daemon drains and exits 0 (under ASan, also without leaks).
stop_clean() {
  local pid rc=0 st
  for pid in "${pids[@]:0:3}" "${pids[4]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${pids[@]:1:2}" "${pids[4]}" "${pids[0]}"; do
    st=0
    wait "$pid" || st=$?
    [ $st -eq 0 ] || { echo "pid $pid exited with $st"; rc=1; }
  done
  return $rc
}
check "daemons stop cleanly on SIGTERM" stop_clean

if [ $failed -gt 0 ]; then
  for f in "$work"/*.log; do echo "---- $f"; tail -n 20 "$f"; done
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
