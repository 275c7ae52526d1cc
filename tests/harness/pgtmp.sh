#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for tests.
#
#   pgtmp.sh start STATEDIR   initdb + start on a free loopback port; writes
#                             STATEDIR/conninfo (a libpq connection string)
#   pgtmp.sh stop STATEDIR    stop the server and remove everything
#   pgtmp.sh halt STATEDIR    stop the server, keep its data
#   pgtmp.sh restart STATEDIR (re)start it on the same port
#   pgtmp.sh run -- CMD...    start, run CMD with ZWFW_TEST_PG set, stop
#                             (also when CMD fails or is interrupted)
#
# PGTMP_FSYNC=on makes the cluster durable (benchmarks); tests keep the
# default fsync=off.
#
# The cluster lives in a fresh folder under ${TMPDIR:-/tmp}. PostgreSQL
# refuses to run as root, so as root the cluster belongs to the `postgres`
# user that Debian's package creates; otherwise to the current user.
set -euo pipefail

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/initdb" ] || { echo "pgtmp: no PostgreSQL server binaries (install postgresql)" >&2; exit 2; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local state=$1
  mkdir -p "$state"
  local data
  data=$(mktemp -d "${TMPDIR:-/tmp}/zwfw-pg.XXXXXX")
  chmod 0755 "$data"
  [ "$(id -u)" = 0 ] && chown postgres: "$data"
  echo "$data" > "$state/datadir"
  as_owner "$bindir/initdb" -D "$data/db" -U zwfw --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$data/initdb.log" 2>&1 || { cat "$data/initdb.log" >&2; return 1; }
  local tries=0 port
  while :; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if port_free "$port" &&
       as_owner "$bindir/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 \
         -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$data -c fsync=${PGTMP_FSYNC:-off} -c max_connections=300 -c shared_buffers=128MB" \
         start >/dev/null 2>&1; then
      break
    fi
    tries=$((tries + 1))
    if [ $tries -ge 10 ]; then cat "$data/server.log" >&2; return 1; fi
  done
  as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U zwfw zwfw
  echo "$port" > "$state/port"
  echo "host=127.0.0.1 port=$port user=zwfw dbname=zwfw" > "$state/conninfo"
  echo "pgtmp: PostgreSQL on 127.0.0.1:$port, data in $data"
}

stop() {
  local state=$1
  [ -f "$state/datadir" ] || return 0
  local data
  data=$(cat "$state/datadir")
  if [ -d "$data/db" ]; then
    as_owner "$bindir/pg_ctl" -D "$data/db" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
  rm -f "$state/datadir" "$state/port" "$state/conninfo"
}

restart() {
  local state=$1 data port
  data=$(cat "$state/datadir")
  port=$(cat "$state/port")
  as_owner "$bindir/pg_ctl" -D "$data/db" -m fast -w stop >/dev/null 2>&1 || true
  as_owner "$bindir/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$data -c fsync=${PGTMP_FSYNC:-off} -c max_connections=300 -c shared_buffers=128MB" \
    start >/dev/null
}

# Stops the server without removing it (to test reconnects); `restart`
# brings it back on the same port.
halt() {
  local data
  data=$(cat "$1/datadir")
  as_owner "$bindir/pg_ctl" -D "$data/db" -m fast -w stop >/dev/null
}

case "${1:-}" in
  start) start "${2:?state dir}" ;;
  restart) restart "${2:?state dir}" ;;
  halt) halt "${2:?state dir}" ;;
  stop) stop "${2:?state dir}" ;;
  run)
    shift; [ "${1:-}" = "--" ] && shift
    state=$(mktemp -d "${TMPDIR:-/tmp}/zwfw-pgstate.XXXXXX")
    trap 'stop "$state"; rm -rf "$state"' EXIT INT TERM
    start "$state"
    ZWFW_TEST_PG=$(cat "$state/conninfo") "$@"
    ;;
  *) echo "usage: pgtmp.sh start|stop STATEDIR | run -- CMD..." >&2; exit 2 ;;
esac
