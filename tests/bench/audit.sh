#!/usr/bin/env bash
# Audit chaining benchmark: the two ways to chain concurrent appenders.
#
#   pending: what zwfw does. The state change's transaction INSERTs into
#            audit.pending; a chainer (zwfw-evtest --chain, i.e.
#            zw_audit_chain in a poll loop) hashes and links entries later.
#   lock:    the alternative. The transaction locks the chain head
#            (FOR UPDATE, equivalent to an advisory xact lock), hashes and
#            appends, holding the lock until it commits.
# Each runs as pgbench clients committing a domain row plus the audit entry,
# beside a baseline with no audit at all, at 2 and at CLIENTS clients. The
# server runs with fsync off (pgtmp.sh sets it on the command line), so the
# lock's cost here is contention alone; with real WAL flushes the lock is
# also held through every COMMIT's flush, and group commit cannot help.
#
#   tests/bench/audit.sh [BUILD_DIR]     (default: build/; ~25 s)
# Environment: CLIENTS (default 8), SECS (default 3).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$src/build}" 2>/dev/null && pwd) || { echo "audit.sh: no build dir ${1:-$src/build}" >&2; exit 2; }
bin=$build/bin
for b in zwfw-evtest zwfwctl; do
  [ -x "$bin/$b" ] || { echo "audit.sh: $bin/$b missing: build first" >&2; exit 2; }
done
command -v pgbench >/dev/null || { echo "audit.sh: pgbench not found" >&2; exit 2; }

if [ -z "${ZWFW_TEST_PG:-}" ]; then
  exec "$src/tests/harness/pgtmp.sh" run -- bash "${BASH_SOURCE[0]}" "$build"
fi

db=$ZWFW_TEST_PG
clients=${CLIENTS:-8}
secs=${SECS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/zwfw-bench-audit.XXXXXX")
chainer=
cleanup() {
  [ -n "$chainer" ] && kill "$chainer" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
q() { psql "$db" -XAtq -c "$1"; }

"$bin/zwfw-evtest" --db "$db" --migrate >/dev/null 2>&1
q "CREATE SCHEMA bench_audit;
   CREATE TABLE bench_audit.log (LIKE audit.log INCLUDING ALL);
   CREATE TABLE bench_audit.head (LIKE audit.head INCLUDING ALL);
   INSERT INTO bench_audit.head VALUES (1, 0, repeat('0', 64));"
digest=$(printf 'state' | sha256sum | cut -d' ' -f1)

cat >"$work/none.sql" <<EOF
\set k random(1, 1000000000)
BEGIN;
INSERT INTO evtest.domain (tag, writer, k) VALUES ('audit', 0, :k);
END;
EOF
cat >"$work/pending.sql" <<EOF
\set k random(1, 1000000000)
BEGIN;
INSERT INTO evtest.domain (tag, writer, k) VALUES ('audit', 0, :k);
INSERT INTO audit.pending (at_us, actor, caller_key_id, caller_role, action, object_type, object_id, before_digest, after_digest) VALUES (:k, 'window-07', 'key-window-07', 'window', 'application.accept', 'application', 'APP-' || :k, '', '$digest');
END;
EOF
cat >"$work/lock.sql" <<EOF
\set k random(1, 1000000000)
BEGIN;
INSERT INTO evtest.domain (tag, writer, k) VALUES ('audit', 0, :k);
WITH h AS (SELECT last_seq, last_hash FROM bench_audit.head WHERE id = 1 FOR UPDATE),
n AS (SELECT h.last_seq + 1 AS seq, h.last_hash AS prev, encode(sha256(convert_to(h.last_hash || 'window-07|key-window-07|window|application.accept|application|APP-' || :k || '|$digest', 'UTF8')), 'hex') AS hash FROM h),
i AS (INSERT INTO bench_audit.log SELECT n.seq, :k, 'window-07', 'key-window-07', 'window', 'application.accept', 'application', 'APP-' || :k, '', '$digest', n.prev, n.hash FROM n)
UPDATE bench_audit.head SET last_seq = n.seq, last_hash = n.hash FROM n WHERE id = 1;
END;
EOF
pgb() { pgbench -n -M prepared -c "$2" -j "$2" -T "$secs" -f "$work/$1.sql" "$db" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1; }

"$bin/zwfw-evtest" --db "$db" --chain >"$work/chainer.log" 2>&1 &
chainer=$!

# Waits for the chainer to link everything pending; prints entries/s.
drain() {
  local t0 n0 left
  t0=$(date +%s.%N); n0=$(q "SELECT count(*) FROM audit.pending")
  for _ in $(seq 1 600); do
    left=$(q "SELECT count(*) FROM audit.pending")
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  echo "$n0 $(date +%s.%N) $t0" | awk '{ printf "%d unchained when the run ended, linked %.1f s later", $1, $2 - $3 }'
}

echo "zwfw audit chaining: $(nproc) cores, $secs s per run, fsync $(q 'SHOW fsync')"
for c in 2 "$clients"; do
  echo
  echo "$c clients:"
  echo "  no audit:                  $(pgb none "$c") tx/s"
  echo "  pending + chainer:         $(pgb pending "$c") tx/s ($(drain))"
  echo "  lock around the append:    $(pgb lock "$c") tx/s"
done
echo
t0=$(date +%s.%N)
out=$("$bin/zwfwctl" audit verify --db "$db" | head -n 1)
t1=$(date +%s.%N)
echo "zwfwctl audit verify: $out in $(echo "$t1 $t0" | awk '{ printf "%.2f", $1 - $2 }') s"
