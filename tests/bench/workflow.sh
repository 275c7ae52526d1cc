#!/usr/bin/env bash
# Workflow benchmark: Act end to end (client -> zwfw-broker -> zwfw-workflow
# -> PostgreSQL, synchronous_commit on, relay and audit chainer running) on
# a private PostgreSQL with a simulated clock, then pgbench running the same
# statements an Act runs, at the same concurrency (-M prepared), on the
# same database in the same run. The ratio is what the daemon, the broker
# and the wire cost on top of the SQL.
#
#   tests/bench/workflow.sh [BUILD_DIR]     (default: build-bench-release/)
#
# Each action (start_special / end_special in turn) locks the instance,
# reads its tracks and pauses and the idempotency record, updates the
# instance and its track, opens or closes a pause, writes a history row, two
# events, an audit entry and the idempotency record: one transaction.
# Environment: CLIENTS (16), INSTANCES per client (8), BENCH_SECONDS (10)
# per phase, REPEAT (3; the two phases alternate), THREADS (zwfw-workflow
# worker threads, 16).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-bench-release}
bin=$build/bin
if [ ! -x "$bin/zwfw-bench-workflow" ] || [ ! -x "$bin/zwfw-workflow" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DZWFW_TESTS=ON >/dev/null
  cmake --build "$build" -j"$(nproc)" --target zwfw-broker zwfw-workflow zwfw-bench-workflow >/dev/null
fi
clients=${CLIENTS:-16}
instances=${INSTANCES:-8}
seconds=${BENCH_SECONDS:-10}
threads=${THREADS:-16}
repeat=${REPEAT:-3}

work=$(mktemp -d /tmp/zwfw-bench-workflow.XXXXXX)
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
sep="tcp://127.0.0.1:$((port + 1))"

# Two plain brokers: the clients' (every caller an approver of the
# department) and one whose callers are `system`, to start the processes.
"$bin/zwfw-broker" --endpoint "$ep" --plain-role approver --plain-department 11500152MB17035173 \
  --log-level warn >"$work/broker.log" 2>&1 &
pids+=($!)
"$bin/zwfw-broker" --endpoint "$sep" --plain-role system --log-level warn >"$work/broker-sys.log" 2>&1 &
pids+=($!)
"$bin/zwfw-workflow" --db-conninfo "$conninfo" --broker-endpoint "$ep,$sep" --clock-mode simulated \
  --migrate true --threads "$threads" --log-level warn >"$work/workflow.log" 2>&1 &
pids+=($!)
for i in $(seq 100); do
  psql "$conninfo" -qtAc "INSERT INTO common.sim_clock (id, now_us) VALUES (1, 1600653600000000)
                          ON CONFLICT (id) DO NOTHING" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "zwfw-workflow: $threads worker threads; $(nproc) CPUs; PostgreSQL $(psql "$conninfo" -tAc 'SHOW server_version')"

# The same statements through pgbench, one client per bench client, each on
# its own instances (those the first bench run made; every bench run makes
# fresh ones).
reply=$(python3 -c 'print("\\x" + "0a" * 600)')
event=$(python3 -c 'print("\\x" + "0a" * 120)')
cat >"$work/act.sql" <<SQL
\set k random(0, $((instances - 1)))
\set c :client_id
SELECT now_us FROM common.sim_clock WHERE id = 1;
BEGIN;
SELECT id, receipt_number, def_code, def_version, item_code, item_version, department, region, waiver, status, outcome, app_state, accepted_us, started_us, closed_us, promised_amount, promised_unit, promised_start_us, statutory_amount, statutory_unit, statutory_start_us, extension_min, extensions, next_seq FROM workflow.instances WHERE receipt_number = 'BENCH1-' || lpad(:c::text, 3, '0') || '-' || lpad(:k::text, 3, '0') FOR UPDATE \gset
SELECT track, name, label, department, state, prev_state, entered_us, entered_seq, done, outcome, limit_amount, limit_unit, clock_start_us FROM workflow.tracks WHERE instance_id = :id ORDER BY track;
SELECT id, track, kind, state, start_us, end_us FROM workflow.pauses WHERE instance_id = :id ORDER BY id;
SELECT type, digest, reply FROM workflow.requests WHERE caller = 'pgbench' AND idempotency_key = :id::text || '-' || :next_seq::text;
UPDATE workflow.instances SET status = 1, outcome = 0, app_state = 9, closed_us = NULL, extension_min = 0, extensions = 0, next_seq = :next_seq + 1, promised_due_us = NULL, promised_warn_us = NULL, statutory_due_us = NULL, statutory_warn_us = NULL, due_us = NULL, next_check_us = 1600761600000000, updated_us = 1600653600000000, waiver = false, sweep_failures = 0, sweep_error = NULL WHERE id = :id;
INSERT INTO workflow.tracks (instance_id, track, name, label, department, state, prev_state, entered_us, entered_seq, done, outcome, limit_amount, limit_unit, clock_start_us, due_us, warn_us, stuck_us) VALUES (:id, 0, '', '', '11500152MB17035173', 'special', 'review', 1600653600000000, :next_seq, false, 0, 0, 0, 0, NULL, NULL, NULL) ON CONFLICT (instance_id, track) DO UPDATE SET name = EXCLUDED.name, label = EXCLUDED.label, department = EXCLUDED.department, state = EXCLUDED.state, prev_state = EXCLUDED.prev_state, entered_us = EXCLUDED.entered_us, entered_seq = EXCLUDED.entered_seq, done = EXCLUDED.done, outcome = EXCLUDED.outcome, limit_amount = EXCLUDED.limit_amount, limit_unit = EXCLUDED.limit_unit, clock_start_us = EXCLUDED.clock_start_us, due_us = EXCLUDED.due_us, warn_us = EXCLUDED.warn_us, stuck_us = EXCLUDED.stuck_us;
INSERT INTO workflow.pauses (instance_id, track, kind, state, start_us, end_us) VALUES (:id, 0, 2, 'special', 1600653600000000, NULL) RETURNING id;
INSERT INTO workflow.history (instance_id, seq, track, branch, action, from_state, to_state, actor, caller_key_id, caller_role, comment, materials, at_us) VALUES (:id, :next_seq, 0, '', 'start_special', 'review', 'special', 'bench', 'local', 2, 'benchmark', NULL, 1600653600000000);
INSERT INTO events.outbox (stream, type, aggregate_id, occurred_at_us, payload) VALUES ('workflow', 'zwfw.v1.ActionTaken', :receipt_number, 1600653600000000, '$event'::bytea);
INSERT INTO events.outbox (stream, type, aggregate_id, occurred_at_us, payload) VALUES ('workflow', 'zwfw.v1.ProcessPaused', :receipt_number, 1600653600000000, '$event'::bytea);
INSERT INTO audit.pending (at_us, actor, caller_key_id, caller_role, action, object_type, object_id, before_digest, after_digest) VALUES (1600653600000000, 'bench', 'local', 'approver', 'workflow.start_special', 'workflow.instance', :receipt_number, '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
INSERT INTO workflow.requests (caller, idempotency_key, type, digest, reply, created_at_us) VALUES ('pgbench', :id::text || '-' || :next_seq::text, 'zwfw.v1.Act', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '$reply'::bytea, 1600653600000000);
END;
SQL
# The two in turn, REPEAT times, so that whatever else the machine does
# weighs on both alike; medians at the end.
ours=()
theirs=()
for r in $(seq "$repeat"); do
  line=$("$bin/zwfw-bench-workflow" --endpoint "$ep" --start-endpoint "$sep" --clients "$clients" \
    --instances "$instances" --seconds "$seconds" --prefix "BENCH$r")
  echo "run $r: $line"
  ours+=("$(echo "$line" | sed -E 's/.*: ([0-9]+) actions\/s.*/\1/')")
  out=$(pgbench -n -M prepared -c "$clients" -j "$(nproc)" -T "$seconds" -f "$work/act.sql" \
    "$conninfo" 2>"$work/pgbench.err") || { cat "$work/pgbench.err" >&2; exit 1; }
  tps=$(echo "$out" | sed -nE 's/^tps = ([0-9]+).*/\1/p')
  lat=$(echo "$out" | sed -nE 's/^latency average = (.*)/\1/p')
  echo "run $r: pgbench, the same statements, $clients clients: $tps tps, latency average $lat"
  theirs+=("$tps")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
m_ours=$(median "${ours[@]}")
m_theirs=$(median "${theirs[@]}")
echo "median: $m_ours actions/s through the broker, $m_theirs tps pgbench:" \
  "ratio $(awk -v a="$m_ours" -v b="$m_theirs" 'BEGIN {printf "%.2f", a / b}')"
