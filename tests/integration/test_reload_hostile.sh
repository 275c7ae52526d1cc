#!/usr/bin/env bash
# Configuration reload under hostile edits, outside-in, from
# docs/operations.md (sections 4 and 7), docs/broker.md and docs/protocol.md:
# every daemon that reads a config file (zwfw-broker, -intake, -workflow,
# -rating, -xregion, -report) runs from its own JSON file on a private
# PostgreSQL database, and reload_hostile.py edits each file the way an
# operator might (valid changes, broken JSON, bad values, settings that need
# a restart, a missing or unreadable file, a storm of SIGHUPs) and checks
# that a good change takes effect, a bad one is refused with a clear error
# and changes nothing, every daemon keeps answering, and all of them stop
# with status 0 on SIGTERM with no sanitizer report.
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints
# "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" reload-hostile
. "$here/py_stack.sh" test_reload_hostile

zs_require_zmq zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-xregion zwfw-report
command -v psql >/dev/null || fail_setup "no psql: install postgresql-client (deploy/setup.sh)"
zs_database "zwt_reload_hostile_$$"
zs_pii_key

# Sanitizer builds answer more slowly: give the log lines more time.
if ldd "$bin/zwfw-broker" 2>/dev/null | grep -q 'libasan'; then
  export ZWFW_RELOAD_SLOW=1
fi

zs_run_checks FAIL reload_hostile.py --bin "$bin" --work "$work" --db "$dbinfo" \
  --pii-key "$work/pii.key"

zs_drop_db
# On failure, the last lines of each daemon's log (cut: a refused value can
# be long).
for f in "$work"/*.log; do
  tail -n 5 "$f" | cut -c1-400 >"$f.tail"
done
zs_finish "$work"/*.log.tail
