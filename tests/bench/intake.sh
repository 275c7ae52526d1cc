#!/usr/bin/env bash
# Intake benchmark: SubmitApplication end to end (client -> zwfw-broker ->
# zwfw-intake -> PostgreSQL, synchronous_commit on, relay and audit chainer
# running) on a private PostgreSQL. The clock is real time, as in service,
# when deploy/calendar/cn.json holds this year and the bench item's
# statutory due date (20 working days on), else simulated (2020-10-09);
# CLOCK=simulated forces the latter. A simulated clock is
# read from the database by every request, a real one is not.
#
#   tests/bench/intake.sh [BUILD_DIR]     (default: build-bench-release/)
#
# The cluster runs with fsync=on and synchronous_commit=on (PGTMP_FSYNC=on),
# unlike the test clusters.
#
# Before the phases, ~500 MB of WAL is written and checkpointed so that WAL
# segments are reused as on a server that has been running (see below).
# Phases: the statements one submission costs (log_statement=all over a few
# seconds of one client, every session counted, so the relay's and audit
# chainer's share is in it; one client means batches of one); a closed loop
# with CLIENTS (16) clients for PHASE_SECONDS (10), and the applications
# per transaction it got from the group commit (from the rows' xmin); open
# loops of PHASE_SECONDS at RATE (1000) applications/s (OPEN_RUNS times, 3),
# each followed by PostgreSQL's own latency at that rate (see below), and
# one at half the closed loop's rate; then pgbench on the same cluster:
#   - batched the same way: intake/submit_batch.pgbench, one client per
#     batching lane (LANES), batches of the closed loop's mean size: the
#     target is closed loop >= 0.5 of it;
#   - the same with batches of 64 (the SQL's ceiling with LANES lanes);
#   - one submission per transaction (intake/submit.pgbench), CLIENTS
#     clients: what the daemon did before group commit.
# Each accepted application writes its request record, the application, 2
# materials, 2 history rows, 2 events, 2 audit entries and the applicant's
# materials on file.
# Environment: CLIENTS, PHASE_SECONDS, RATE, OPEN_RUNS, THREADS (intake worker threads,
# 32), BATCH (submit_batch, 64), LANES (submit_lanes, 2).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-bench-release}
bin=$build/bin
bins=(zwfw-broker zwfw-intake zwfw-bench-intake zwfwctl)
for b in "${bins[@]}"; do
  if [ ! -x "$bin/$b" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DZWFW_TESTS=ON >/dev/null
    cmake --build "$build" -j"$(nproc)" --target "${bins[@]}" >/dev/null
    break
  fi
done
clients=${CLIENTS:-16}
seconds=${PHASE_SECONDS:-10}
rate=${RATE:-1000}
open_runs=${OPEN_RUNS:-3}
threads=${THREADS:-32}
batch=${BATCH:-64}
lanes=${LANES:-2}

work=$(mktemp -d /tmp/zwfw-bench-intake.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$src/tests/harness/pgtmp.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

PGTMP_FSYNC=on "$src/tests/harness/pgtmp.sh" start "$work/pg" >/dev/null
conninfo=$(cat "$work/pg/conninfo")
pgdata=$(cat "$work/pg/datadir")
port=$((20000 + RANDOM % 20000))
ep="tcp://127.0.0.1:$port"
(umask 077 && python3 -c 'import os; print(os.urandom(32).hex())' >"$work/data.key")
clock=${CLOCK:-$(python3 - "$src/deploy/calendar/cn.json" <<'PY'
import datetime, json, sys
D = datetime.date
years = {y["year"]: y for y in json.load(open(sys.argv[1]))["years"]}
def days(spec):
    for part in spec:
        a, _, b = part.partition("..")
        d, end = D.fromisoformat(a), D.fromisoformat(b or a)
        while d <= end:
            yield d
            d += datetime.timedelta(days=1)
off = {d for y in years.values() for d in days(y.get("off", []))}
work = {d for y in years.values() for d in days(y.get("work", []))}
today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
# the bench item's statutory due date (20 working days, counted on the
# calendar as intake counts them) must fall in a loaded year
d, left = today, 21
while left and d.year in years:
    d += datetime.timedelta(days=1)
    if d in work or (d.weekday() < 5 and d not in off):
        left -= 1
print("real" if today.year in years and d.year in years else "simulated")
PY
)}

# Two plain brokers: the clients' (every caller a window) and an operator's
# for the clock and the catalog. zwfw-intake serves both.
oport=$((port + 1))
"$bin/zwfw-broker" --endpoint "$ep" --plain-role window --log-level warn >"$work/broker.log" 2>&1 &
pids+=($!)
"$bin/zwfw-broker" --endpoint "tcp://127.0.0.1:$oport" --log-level warn >"$work/broker-op.log" 2>&1 &
pids+=($!)
"$bin/zwfw-intake" --db-conninfo "$conninfo" --broker-endpoint "$ep,tcp://127.0.0.1:$oport" \
  --pii-key-file "$work/data.key" --clock-mode "$clock" --migrate true --threads "$threads" \
  --submit-batch "$batch" --submit-lanes "$lanes" \
  --log-level warn >"$work/intake.log" 2>&1 &
pids+=($!)

# The last failure is kept, to say why if the setup never succeeds.
op() { "$bin/zwfwctl" call --plain --endpoint "tcp://127.0.0.1:$oport" "$@" >/dev/null 2>"$work/op.err"; }
ok=0
item="500T0900100001-500152000000-000-11500152MB17035173-1-00"
for i in $(seq 100); do
  [ "$clock" = real ] && break
  op zwfw.clock zwfw.v1.SetClock \
    '{"idempotencyKey":"bench-clock","actor":"bench","to":"2020-10-09T10:00:00+08:00"}' && ok=1 && break
  sleep 0.1
done
if [ "$clock" != real ] && [ "$ok" != 1 ]; then
  echo "cannot set the clock: $(cat "$work/op.err")" >&2
  exit 1
fi
ok=0
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
    && ok=1 && break
  sleep 0.1
done
if [ "$ok" != 1 ]; then
  echo "cannot put the bench's item: $(cat "$work/op.err")" >&2
  exit 1
fi

# A server that has been running reuses (renames) old WAL segments at its
# checkpoints; a fresh cluster has none and must create and zero-fill a new
# 16 MB file every 16 MB of WAL (~150 MB in a 20 s run at 1,000/s), each a
# 10-20 ms stall of every commit. Write ~500 MB of WAL once and checkpoint,
# so the runs below see the steady state (both zwfw and pgbench).
psql "$conninfo" -qc "ALTER SYSTEM SET min_wal_size = '1GB'" -c "ALTER SYSTEM SET max_wal_size = '4GB'" \
  -c "SELECT pg_reload_conf()" >/dev/null
psql "$conninfo" -qc "CREATE TABLE bench_walprep AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 2000000) g" \
  -c "DROP TABLE bench_walprep" -c "CHECKPOINT" -c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null
echo "WAL segments ready for reuse: $(psql "$conninfo" -tAc "SELECT count(*) FROM pg_ls_waldir()")"

echo "zwfw-intake: $clock clock, $threads worker threads, group commit: batches up to $batch, $lanes lanes; $(nproc) CPUs; PostgreSQL $(psql "$conninfo" -tAc 'SHOW server_version')," \
  "fsync $(psql "$conninfo" -tAc 'SHOW fsync'), synchronous_commit $(psql "$conninfo" -tAc 'SHOW synchronous_commit'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
# The kernel's writeback of dirty data pages competes with the WAL flush
# (docs/performance.md "Intake", latency): say how this host is set.
echo "kernel writeback: vm.dirty_background_bytes $(cat /proc/sys/vm/dirty_background_bytes 2>/dev/null || echo ?)," \
  "dirty_background_ratio $(cat /proc/sys/vm/dirty_background_ratio 2>/dev/null || echo ?)," \
  "dirty_expire_centisecs $(cat /proc/sys/vm/dirty_expire_centisecs 2>/dev/null || echo ?)"

# Statements per submission: log every statement of every session while
# one client submits for 2 s.
"$bin/zwfw-bench-intake" --endpoint "$ep" --item "$item" --clients 1 --seconds 1 --warmup-ms 0 \
  --key-prefix warm >/dev/null
psql "$conninfo" -qc "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
mark=$(wc -l <"$pgdata/server.log")
"$bin/zwfw-bench-intake" --endpoint "$ep" --item "$item" --clients 1 --seconds 2 --warmup-ms 0 \
  --key-prefix count >/dev/null
sleep 0.5
psql "$conninfo" -qc "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
counted=$(psql "$conninfo" -tAc "SELECT count(*) FROM intake.requests WHERE idempotency_key LIKE 'count-%'")
tail -n +"$((mark + 1))" "$pgdata/server.log" >"$work/statements.log"
statements=$(grep -cE 'LOG:  (statement|execute)' "$work/statements.log" || true)
grep -E 'LOG:  (statement|execute)' "$work/statements.log" |
  sed -E 's/.*LOG:  (statement|execute [^:]*): //' | cut -c1-60 | sort | uniq -c | sort -rn |
  awk -v n="$counted" '{c=$1; $1=""; printf "  %5.2f %s\n", c / n, $0}' >"$work/statements.txt"
echo "statements per application: $(awk -v s="$statements" -v n="$counted" 'BEGIN{printf "%.1f", s / n}') ($statements over $counted applications, all sessions); per statement:"
head -n 25 "$work/statements.txt"

# Each measured phase starts from a settled server: the phase before it
# leaves autovacuum work behind (a closed loop inserts ~20,000 applications
# and their rows), which would otherwise land in the next phase's figures.
# Autovacuum that starts during a phase stays in it, as in service.
settle() {
  local waited=0 quiet=0 dirty
  # The phase before left data pages dirty in the page cache; the kernel
  # writes them ~30 s later (vm.dirty_expire_centisecs), in one burst that
  # would land in the next phase and stall its commits (docs/performance.md
  # "Intake"). Write them now, so a phase pays only for its own.
  dirty=$(awk '/^Dirty:/ {print int($2 / 1024)}' /proc/meminfo)
  sync
  while [ "$waited" -lt 60 ] && [ "$quiet" -lt 2 ]; do
    if [ "$(psql "$conninfo" -tAc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ]; then
      quiet=$((quiet + 1))
    else
      quiet=0
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "  (settled: ${dirty} MB of dirty pages written; waited ${waited} s for autovacuum; load $(cut -d' ' -f1 /proc/loadavg))"
}

settle
closed=$("$bin/zwfw-bench-intake" --endpoint "$ep" --item "$item" --clients "$clients" \
  --seconds "$seconds" --key-prefix closed)
echo "$closed"
per_tx() { # key prefix -> applications per transaction (group commit), from the rows' xmin
  psql "$conninfo" -tAc "SELECT round(count(*)::numeric / greatest(count(DISTINCT a.xmin::text), 1), 1)
    FROM intake.applications a JOIN intake.requests r USING (receipt_number)
    WHERE r.idempotency_key LIKE '$1-%'"
}
per_tx=$(per_tx closed)
echo "closed loop: $per_tx applications per transaction (group commit)"
# Open loop at RATE, each run followed by PostgreSQL's own latency at the
# same rate on the same cluster in the same state, the ceiling for it:
#   - pgbench batched alike: intake/submit_batch.pgbench with batches of the
#     closed loop's mean size, LANES clients, RATE / batch transactions/s:
#     zwfw's SQL and commits without the broker and the daemon;
#   - commit alone: one small row per transaction (intake/commit.pgbench),
#     CLIENTS clients, RATE transactions/s: the floor of any durable write.
# pgbench counts each transaction's latency from its scheduled start, as
# the open loop counts each request's.
same=$(awk -v b="$per_tx" 'BEGIN{b = int(b + 0.5); print (b < 1 ? 1 : b)}')
pgbench_rate() { # label clients tps script [batch]
  local out
  rm -f "$work"/pgblog*
  out=$(pgbench -n -M prepared -c "$2" -j "$(( $2 < 2 ? $2 : 2 ))" -R "$3" -T "$seconds" ${5:+-D batch=$5} \
    -l --log-prefix "$work/pgblog" -f "$4" "$conninfo" 2>&1) || { echo "$out" >&2; exit 1; }
  cat "$work"/pgblog* | awk '{print $3}' | sort -n | awk -v label="$1" -v s="$seconds" -v b="${5:-1}" '
    { us[NR] = $1; if ($1 > 5000) over++ }
    END { printf "%-22s %8d transactions %6.0f/s  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %8.2f ms  over 5 ms %5.2f%%\n",
            label, NR, NR / s, us[int(NR * 0.50) + 1] / 1000, us[int(NR * 0.90) + 1] / 1000,
            us[int(NR * 0.99) + 1] / 1000, us[NR] / 1000, 100 * over / NR }'
}
psql "$conninfo" -qc "CREATE TABLE bench_commit (client int, n bigint)" >/dev/null
for r in $(seq "$open_runs"); do
  settle
  "$bin/zwfw-bench-intake" --endpoint "$ep" --item "$item" --rate "$rate" --seconds "$seconds" \
    --key-prefix "open$r"
  open_tx=$(per_tx "open$r")
  b=$(awk -v b="$open_tx" 'BEGIN{b = int(b + 0.5); print (b < 1 ? 1 : b)}')
  echo "open loop: $open_tx applications per transaction"
  settle
  pgbench_rate "pgbench $b/tx at $rate/s" "$clients" "$(awk -v r="$rate" -v b="$b" 'BEGIN{printf "%.1f", r / b}')" \
    "$src/tests/bench/intake/submit_batch.pgbench" "$b"
  settle
  pgbench_rate "commit alone at $rate/s" "$clients" "$rate" "$src/tests/bench/intake/commit.pgbench"
done
rate_closed=$(echo "$closed" | sed -nE 's/.* ([0-9]+)\/s .*/\1/p')
half=$((rate_closed / 2))
if [ "$half" -gt 0 ]; then
  settle
  "$bin/zwfw-bench-intake" --endpoint "$ep" --item "$item" --rate "$half" --seconds "$seconds" \
    --key-prefix half
fi
echo "applications stored: $(psql "$conninfo" -tAc 'SELECT count(*) FROM intake.applications')"

# pgbench on the same cluster, the daemons idle (the relay still drains
# the events pgbench writes).
pgbench_run() { # clients script [batch] -> "tps|latency"
  local out
  out=$(pgbench -n -M prepared -c "$1" -j "$1" -T "$seconds" ${3:+-D batch=$3} -f "$2" "$conninfo" 2>&1) ||
    { echo "$out" >&2; exit 1; }
  echo "$(echo "$out" | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -n 1)|$(echo "$out" | sed -nE 's/^latency average = (.*)$/\1/p')"
}
settle
r=$(pgbench_run "$lanes" "$src/tests/bench/intake/submit_batch.pgbench" "$same")
tps_same=$(awk -v t="${r%%|*}" -v b="$same" 'BEGIN{printf "%.0f", t * b}')
echo "pgbench batched alike   $lanes clients, $same per transaction: $tps_same submissions/s (latency average ${r#*|} per batch)"
settle
r=$(pgbench_run "$lanes" "$src/tests/bench/intake/submit_batch.pgbench" 64)
tps_64=$(awk -v t="${r%%|*}" 'BEGIN{printf "%.0f", t * 64}')
echo "pgbench batched         $lanes clients, 64 per transaction: $tps_64 submissions/s (latency average ${r#*|} per batch)"
settle
r=$(pgbench_run "$clients" "$src/tests/bench/intake/submit.pgbench")
echo "pgbench one per tx     $clients clients: $(printf '%.0f' "${r%%|*}") submissions/s (latency average ${r#*|})"
echo "closed loop / pgbench batched alike: $(awk -v a="$rate_closed" -v b="$tps_same" 'BEGIN{printf "%.2f", a / b}') (target >= 0.5)"

