#!/usr/bin/env bash
# Intake benchmark: SubmitApplication end to end (client -> zwfw-broker ->
# zwfw-intake -> PostgreSQL, synchronous_commit on, relay and audit chainer
# running) on a private PostgreSQL, simulated clock.
#
#   tests/bench/intake.sh [BUILD_DIR]     (default: build-bench-release/)
#
# Phases: a closed loop with CLIENTS (16) clients for PHASE_SECONDS (10), then an
# open loop at RATE (1000) applications/s for PHASE_SECONDS. Each accepted
# application writes its record, the application, 2 materials, 2 history
# rows, 2 events and 2 audit entries in one transaction.
# Environment: CLIENTS, PHASE_SECONDS, RATE, THREADS (intake worker threads, 16).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-bench-release}
bin=$build/bin
if [ ! -x "$bin/zwfw-bench-intake" ] || [ ! -x "$bin/zwfw-intake" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DZWFW_TESTS=ON >/dev/null
  cmake --build "$build" -j"$(nproc)" --target zwfw-broker zwfw-intake zwfw-bench-intake >/dev/null
fi
clients=${CLIENTS:-16}
seconds=${PHASE_SECONDS:-10}
rate=${RATE:-1000}
threads=${THREADS:-16}

work=$(mktemp -d /tmp/zwfw-bench-intake.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$src/tests/harness/pgtmp.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$src/tests/harness/pgtmp.sh" start "$work/pg" >/dev/null
conninfo=$(cat "$work/pg/conninfo")
port=$((20000 + RANDOM % 20000))
ep="tcp://127.0.0.1:$port"
(umask 077 && python3 -c 'import os; print(os.urandom(32).hex())' >"$work/data.key")

# Two plain brokers: the clients' (every caller a window) and an operator's
# for the clock and the catalog. zwfw-intake serves both.
oport=$((port + 1))
"$bin/zwfw-broker" --endpoint "$ep" --plain-role window --log-level warn >"$work/broker.log" 2>&1 &
pids+=($!)
"$bin/zwfw-broker" --endpoint "tcp://127.0.0.1:$oport" --log-level warn >"$work/broker-op.log" 2>&1 &
pids+=($!)
"$bin/zwfw-intake" --db-conninfo "$conninfo" --broker-endpoint "$ep,tcp://127.0.0.1:$oport" \
  --pii-key-file "$work/data.key" --clock-mode simulated --migrate true --threads "$threads" \
  --log-level warn >"$work/intake.log" 2>&1 &
pids+=($!)

op() { "$bin/zwfwctl" call --plain --endpoint "tcp://127.0.0.1:$oport" "$@" >/dev/null 2>&1; }
item="500T0900100001-500152000000-000-11500152MB17035173-1-00"
for i in $(seq 100); do
  op zwfw.clock zwfw.v1.SetClock \
    '{"idempotencyKey":"bench-clock","actor":"bench","to":"2020-10-09T10:00:00+08:00"}' && break
  sleep 0.1
done
for i in $(seq 100); do
  op zwfw.catalog zwfw.v1.PutItem \
    "{\"idempotencyKey\":\"bench-item\",\"actor\":\"bench\",\"item\":{\"basicCode\":\"500T0900100001\",
      \"implCode\":\"$item\",\"name\":\"基准测试事项\",\"type\":\"ITEM_TYPE_LICENSING\",
      \"departmentCode\":\"11500152MB17035173\",\"departmentName\":\"市场监督管理局\",
      \"regionCode\":\"500152000000\",\"handling\":\"HANDLING_TYPE_PROMISED\",
      \"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},
      \"promisedLimit\":{\"amount\":5,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},
      \"materials\":[{\"code\":\"M1\",\"name\":\"申请表\",\"required\":true},
                     {\"code\":\"M2\",\"name\":\"申请人身份证明\",\"required\":true}]}}" \
    && break
  sleep 0.1
done

echo "zwfw-intake: $threads worker threads; $(nproc) CPUs; PostgreSQL $(psql "$conninfo" -tAc 'SHOW server_version')"
"$bin/zwfw-bench-intake" --endpoint "$ep" --item "$item" --clients "$clients" --seconds "$seconds" \
  --key-prefix closed
"$bin/zwfw-bench-intake" --endpoint "$ep" --item "$item" --rate "$rate" --seconds "$seconds" \
  --key-prefix open
echo "applications stored: $(psql "$conninfo" -tAc 'SELECT count(*) FROM intake.applications')"
