#!/usr/bin/env bash
# zwfw-broker --busy-poll-us: a broker that busy-polls after traffic still
# serves requests correctly (plain RFC 7 and zwfw.*, one at a time and in
# a stream), still heartbeats and expires workers on time, refuses values
# out of range, and goes back to sleep when traffic stops: its CPU time
# over 2 s idle, right after a load, stays far below what spinning would
# cost (generous bound: < 0.5 s of CPU in 2 s; a broker that never stopped
# spinning would use ~2 s).
#
# Env: ZWFW_BIN_DIR (built binaries). Prints "N passed, M failed"; exits
# non-zero on any failure. Every process started here is killed on exit.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" busypoll

for b in zwfw-broker zwfw-echo zwfwctl; do
  [ -x "$bin/$b" ] || { echo "test_broker_busypoll: $bin/$b is missing" >&2; echo "0 passed, 1 failed"; exit 1; }
done

# A free loopback port below the ephemeral range: nothing answers there.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( 20000 + RANDOM % 12000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# --- bad values are refused before anything binds ---
refused() { # VALUE
  local rc=0
  "$bin/zwfw-broker" --endpoint "tcp://127.0.0.1:$(free_port)" --busy-poll-us "$1" \
    >"$work/refused.out" 2>&1 || rc=$?
  cat "$work/refused.out"
  [ $rc -ne 0 ] && grep -q 'busy_poll_us' "$work/refused.out"
}
check "--busy-poll-us -1 refused, naming the setting" refused -1
check "--busy-poll-us 100001 refused, naming the setting" refused 100001
check "--busy-poll-us abc refused, naming the setting" refused abc

port=$(free_port)
ep=tcp://127.0.0.1:$port
hb=250 # liveness 3: a silent worker is gone after 750 ms

"$bin/zwfw-broker" --endpoint "$ep" --heartbeat-ms $hb --busy-poll-us 1000 2>"$work/broker.log" &
broker=$!
pids+=($broker)
"$bin/zwfw-echo" --endpoint "$ep" --service zwfw.echo --workers 2 --heartbeat-ms $hb \
  2>"$work/echo-zwfw.log" &
pids+=($!)
"$bin/zwfw-echo" --endpoint "$ep" --service plain.echo --workers 1 --heartbeat-ms $hb \
  2>"$work/echo-plain.log" &
plain_echo=$!
pids+=($plain_echo)

# Both services answer (the broker may need a moment to bind).
ready() {
  local i
  for i in $(seq 150); do
    "$bin/zwfwctl" call --raw --endpoint "$ep" --timeout 200 --retries 0 plain.echo ping 2>/dev/null |
      grep -qx ping &&
      "$bin/zwfwctl" status --endpoint "$ep" --timeout 200 --retries 0 zwfw.echo 2>/dev/null |
      grep -q '^zwfw.echo .* up' && return 0
    sleep 0.1
  done
  "$bin/zwfwctl" status --endpoint "$ep" zwfw.echo
  return 1
}
check "broker with --busy-poll-us 1000 serves both workers" ready

config_logged() {
  grep '"broker started"' "$work/broker.log" | grep -q 'busy_poll_us[^0-9]*1000'
}
check "the effective busy_poll_us is logged at start" config_logged

raw_echo() {
  local out
  out=$("$bin/zwfwctl" call --raw --endpoint "$ep" plain.echo alpha "" hex:00ff10 omega) || return 1
  [ "$out" = $'alpha\n\nhex:00ff10\nomega' ] || { echo "got: $out"; return 1; }
}
check "plain service: frames come back as sent" raw_echo

caller_echo() {
  local out
  out=$("$bin/zwfwctl" call --endpoint "$ep" zwfw.echo zwfw.v1.Caller '{}') || return 1
  echo "$out"
  grep -q '"keyId":[[:space:]]*"local"' <<<"$out" && grep -q '"role":[[:space:]]*"ROLE_OPERATOR"' <<<"$out"
}
check "zwfw service: reply carries the Caller the broker appended" caller_echo

# Requests back to back: each arrives while the broker is still polling
# after the previous one. Every reply must be the right one.
sequence() {
  local i out
  for i in $(seq 1 40); do
    out=$("$bin/zwfwctl" call --raw --endpoint "$ep" plain.echo "req-$i" "x$i") || return 1
    [ "$out" = $'req-'"$i"$'\nx'"$i" ] || { echo "request $i got: $out"; return 1; }
  done
}
check "40 requests in a row, each answered with its own frames" sequence

# A stream from the raw-libzmq load generator (built with the tests), when
# this build has it: an open loop and concurrent clients, every reply
# checked frame by frame, none lost.
if [ -x "$bin/zwfw-bench-broker" ]; then
  stream() {
    local open sync
    open=$("$bin/zwfw-bench-broker" open --endpoint "$ep" --service zwfw.echo --rate 500 --seconds 2 \
      --warmup-ms 100) || return 1
    echo "$open"
    grep -q ' sent=1000 received=1000 lost=0 bad=0 ' <<<"$open" || return 1
    sync=$("$bin/zwfw-bench-broker" sync --endpoint "$ep" --service plain.echo --clients 4 --seconds 1 \
      --warmup-ms 100) || return 1
    echo "$sync"
    grep -q ' lost=0 bad=0' <<<"$sync" && ! grep -q ' ok=0 ' <<<"$sync"
  }
  check "a stream (open loop 500/s, 4 concurrent clients): no reply lost or wrong" stream
fi

# Idle: right after the traffic above the broker polls for at most 1 ms,
# then sleeps in zmq_poll; heartbeats (every 250 ms, 3 workers) must not
# keep it spinning. utime + stime from /proc, in clock ticks.
idle_cpu() {
  local hz a b used
  hz=$(getconf CLK_TCK)
  sleep 0.2
  a=$(awk '{ print $14 + $15 }' "/proc/$broker/stat") || return 1
  sleep 2
  b=$(awk '{ print $14 + $15 }' "/proc/$broker/stat") || return 1
  used=$(awk -v a="$a" -v b="$b" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }')
  echo "broker CPU over 2 s idle: $used s"
  awk -v u="$used" 'BEGIN { exit !(u < 0.5) }'
}
check "idle broker sleeps: < 0.5 s CPU in 2 s" idle_cpu

# After 2 s idle (well past liveness x heartbeat) the workers are still
# registered: heartbeats went both ways while the broker was idle.
still_served() {
  raw_echo && caller_echo
}
check "workers still registered after idle (heartbeats kept)" still_served

# A worker killed without a word is deleted by the timers, as without
# busy-poll: at the next heartbeat the broker sends it (its connection is
# gone: "worker lost") or after heartbeat x liveness (750 ms) of silence
# ("worker expired").
expired() {
  kill -9 "$plain_echo"
  wait "$plain_echo" 2>/dev/null
  local i
  for i in $(seq 60); do
    grep -Eq '"worker (expired|lost)"' "$work/broker.log" && return 0
    sleep 0.1
  done
  echo "no 'worker expired' or 'worker lost' line within 6 s"
  return 1
}
check "a killed worker is deleted by the timers" expired

# SIGTERM: exits 0 at once, also while it might be polling (under ASan,
# also without leaks).
stop_clean() {
  local st=0
  kill "$broker"
  wait "$broker" || st=$?
  [ $st -eq 0 ] || { echo "broker exited with $st"; return 1; }
}
check "broker stops cleanly on SIGTERM" stop_clean

# The RFC 7 / RFC 8 conformance checks (tests/integration/rfc_conformance.py,
# the same as test_rfc_conformance.sh runs) against a broker that
# busy-polls: heartbeats at the interval, idle and busy workers, expiry
# after heartbeat_ms x liveness and not before, request expiry after
# request_wait_ms, and every frame as the RFCs say.
py=/usr/bin/python3
if ! $py -c 'import zmq' 2>/dev/null; then
  failed=$((failed + 1))
  echo "not ok - RFC conformance with busy-poll: $py has no zmq module (deploy/setup.sh installs python3-zmq)"
else
  rfc_port=$(free_port)
  rfc_ep=tcp://127.0.0.1:$rfc_port
  "$bin/zwfw-broker" --endpoint "$rfc_ep" --heartbeat-ms 300 --liveness 3 --request-wait-ms 1500 \
    --busy-poll-us 1000 2>"$work/rfc-broker.log" &
  rfc_broker=$!
  pids+=($rfc_broker)
  $py "$here/rfc_conformance.py" "$rfc_ep" 300 3 1500 >"$work/rfc.out" 2>&1
  sed 's/^/    rfc: /' "$work/rfc.out"
  summary=$(tail -n 1 "$work/rfc.out")
  if [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] && [ "${BASH_REMATCH[2]}" = 0 ] &&
    [ "${BASH_REMATCH[1]}" -gt 0 ]; then
    passed=$((passed + 1))
    echo "ok - RFC 7/8 conformance with --busy-poll-us 1000 ($summary)"
  else
    failed=$((failed + 1))
    echo "not ok - RFC 7/8 conformance with --busy-poll-us 1000 ($summary)"
  fi
  st=0
  kill "$rfc_broker"
  wait "$rfc_broker" || st=$?
  check "busy-polling RFC broker exits 0 on SIGTERM" test $st -eq 0
fi

if [ $failed -gt 0 ]; then
  for f in "$work"/*.log; do echo "---- $f"; tail -n 20 "$f"; done
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
