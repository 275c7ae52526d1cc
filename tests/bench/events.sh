#!/usr/bin/env bash
# Events benchmark: how fast an event gets from the producer's COMMIT to the
# consumer's committed effect, through the real outbox, relay (PUB) and
# consumer (SUB + cursor compare-and-set), all as zwfw-evtest processes; and,
# in the same run on the same server, pgbench doing the producer's INSERTs
# alone, as the ceiling the database sets.
#
#   tests/bench/events.sh [BUILD_DIR]     (default: build/)
#
# Starts its own PostgreSQL (tests/harness/pgtmp.sh run, fsync off like the
# tests), builds nothing, takes ~25 s. Environment: EVENTS (default 20000)
# for the saturated run, WRITERS (4), RATE (1000 events/s) and PACED_SECS (5)
# for the paced run.
#
# Lag is effect time - occurred_at. The producer takes occurred_at from the
# wall clock in its last statement before COMMIT, and the consumer stamps
# the effect row in its handler, so the lag includes the commit itself, the
# relay's poll (5 ms when idle), the hop through PUB/SUB and the consumer's
# transaction. Everything runs on this one machine.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$src/build}" 2>/dev/null && pwd) || { echo "events.sh: no build dir ${1:-$src/build}" >&2; exit 2; }
bin=$build/bin
for b in zwfw-evtest; do
  [ -x "$bin/$b" ] || { echo "events.sh: $bin/$b missing: build first" >&2; exit 2; }
done
command -v pgbench >/dev/null || { echo "events.sh: pgbench not found" >&2; exit 2; }

if [ -z "${ZWFW_TEST_PG:-}" ]; then
  exec "$src/tests/harness/pgtmp.sh" run -- bash "${BASH_SOURCE[0]}" "$build"
fi

db=$ZWFW_TEST_PG
events=${EVENTS:-20000}
writers=${WRITERS:-4}
rate=${RATE:-1000}
paced_secs=${PACED_SECS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/zwfw-bench-events.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

q() { psql "$db" -XAtq -c "$1"; }

# Waits until the consumer's cursor on $1 reaches $2 (at most 120 s).
wait_cursor() {
  local stream=$1 want=$2 i
  for i in $(seq 1 1200); do
    [ "$(q "SELECT coalesce(max(last_seq), 0) FROM events.cursors WHERE stream = '$stream'")" -ge "$want" ] && return 0
    sleep 0.1
  done
  echo "events.sh: consumer did not reach $want on $stream" >&2
  return 1
}

# Prints events/s (first commit to last effect), then lag p50/p99/max in ms.
report() {
  local stream=$1
  q "SELECT format('%s events in %s s: %s events/s commit->effect; lag p50 %s ms, p99 %s ms, max %s ms',
       count(*), round((max(applied_us) - min(occurred_us)) / 1e6, 2),
       round(count(*) / ((max(applied_us) - min(occurred_us)) / 1e6)),
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY applied_us - occurred_us) / 1000)::numeric, 1),
       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY applied_us - occurred_us) / 1000)::numeric, 1),
       round((max(applied_us - occurred_us) / 1000)::numeric, 1))
     FROM evtest.effect WHERE stream = '$stream'"
}

producer_rate() { sed -n 's/.*"producer finished".*"tx_per_s":"\([0-9]*\)".*/\1/p' "$1" | tail -n 1; }

start() { # name args...
  local name=$1; shift
  "$bin/zwfw-evtest" --db "$db" "$@" >>"$work/$name.log" 2>&1 &
  pids+=($!)
}

"$bin/zwfw-evtest" --db "$db" --migrate >/dev/null 2>&1 || true # nothing to do but set up
echo "zwfw events benchmark: $(nproc) cores, PostgreSQL $(q 'SHOW server_version'), fsync $(q 'SHOW fsync')"

# 1. Saturated: producers as fast as they go, relay and consumer keeping up
#    as they can. events/s is the pipeline's throughput; the lag is mostly
#    time queued behind the backlog.
start relay1 --relay --stream sat --pub "ipc://$work/sat.sock"
start cons1 --consume bench --stream sat --sub "ipc://$work/sat.sock"
sleep 0.5
"$bin/zwfw-evtest" --db "$db" --stream sat --produce "$events" --writers "$writers" \
  >"$work/prod1.log" 2>&1
wait_cursor sat "$events"
echo
echo "saturated ($writers writers, $events events):"
echo "  producer commits:  $(producer_rate "$work/prod1.log") tx/s (domain row + outbox event each)"
echo "  pipeline:          $(report sat)"

# 2. Paced below saturation: the lag an event sees when nothing queues.
start relay2 --relay --stream paced --pub "ipc://$work/paced.sock"
start cons2 --consume bench --stream paced --sub "ipc://$work/paced.sock"
sleep 0.5
paced=$((rate * paced_secs))
"$bin/zwfw-evtest" --db "$db" --stream paced --produce "$paced" --writers "$writers" --rate "$rate" \
  >"$work/prod2.log" 2>&1
wait_cursor paced "$paced"
echo
echo "paced ($rate events/s for ${paced_secs} s):"
echo "  pipeline:          $(report paced)"

# 3. pgbench: the same INSERTs with no relay or consumer running on them.
payload=$(printf '%s' "pgbench-0-000000" | od -An -tx1 | tr -d ' \n')
cat >"$work/outbox.sql" <<EOF
\set k random(1, 1000000000)
INSERT INTO events.outbox (stream, type, aggregate_id, occurred_at_us, payload) VALUES ('bench.pgbench', 'zwfw.evtest.Created', 'pgbench-0-' || :k, 0, '\\x$payload'::bytea);
EOF
cat >"$work/domain.sql" <<EOF
\set k random(1, 1000000000)
BEGIN;
INSERT INTO evtest.domain (tag, writer, k) VALUES ('pgbench', 0, :k);
INSERT INTO events.outbox (stream, type, aggregate_id, occurred_at_us, payload) VALUES ('bench.pgbench', 'zwfw.evtest.Created', 'pgbench-0-' || :k, 0, '\\x$payload'::bytea);
END;
EOF
pgb() { pgbench -n -M prepared -c "$writers" -j "$writers" -T "$2" -f "$1" "$db" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1; }
echo
echo "pgbench, $writers clients, same server:"
echo "  outbox INSERT alone:            $(pgb "$work/outbox.sql" 4) tx/s"
echo "  domain row + outbox event tx:   $(pgb "$work/domain.sql" 4) tx/s (what the producer does)"
echo
echo "relays moved: $(q "SELECT string_agg(stream || ' ' || last_seq, ', ') FROM events.stream_head");" \
  "outbox left for pgbench's stream: $(q "SELECT count(*) FROM events.outbox WHERE stream = 'bench.pgbench'")"
