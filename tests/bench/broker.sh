#!/usr/bin/env bash
# Broker benchmark: requests/s and latency through zwfw-broker, against the
# same load sent straight to a ROUTER echo (no broker), in one run on this
# machine. See docs/performance.md for figures and how to read them.
#
#   tests/bench/broker.sh [BUILD_DIR]     (default: build-bench-release/)
#
# BUILD_DIR must be a Release build without sanitizers; when its binaries
# are missing it is configured (-DCMAKE_BUILD_TYPE=Release -DZWFW_TESTS=ON)
# and they are built. Nothing but 127.0.0.1 is used.
#
# Processes: zwfw-broker; two zwfw-echo workers (the worker library), one
# for the plain RFC 7 service "echo" and one for "zwfw.echo", each with
# WORKERS worker sockets; zwfw-bench-broker serve, a single-threaded ROUTER
# that sends every message back as it came (the direct case); and
# zwfw-bench-broker as the client (raw libzmq DEALERs speaking MDPC01).
#
# Phases, each measured for PHASE_SECONDS after WARMUP_MS, REPEAT times in
# turn (direct, broker echo, broker zwfw.echo), the median printed:
#   sync16    CLIENTS threads, one DEALER each, one request at a time
#   pipe1000  one thread, INFLIGHT requests kept in flight
# then the open loop: RATE requests/s on a fixed schedule for BENCH_SECONDS
# through the broker to OPEN_SERVICE, latency from each scheduled send time;
# and the same for min(BENCH_SECONDS, 10) s to the direct echo, as reference.
#
# Environment (defaults): BENCH_SECONDS (60), PHASE_SECONDS (5),
# WARMUP_MS (1000), REPEAT (3), CLIENTS (16), INFLIGHT (1000),
# PIPE_SOCKETS (1), WORKERS (16), RATE (1000), OPEN_SERVICE (zwfw.echo),
# BENCH_NICE (unset: run at the caller's priority; e.g. -10 runs every
# process of the benchmark under `nice -n -10`, as root, so that other work
# on a shared machine disturbs it less), BENCH_SPIN (unset; 1 runs two
# `nice -n 19` busy loops during the open loops, so no CPU is ever idle:
# on a virtual machine, waking an idle vCPU costs a large part of a
# millisecond, and this shows how much of the latency that is).
# Quick run: BENCH_SECONDS=5 PHASE_SECONDS=2 REPEAT=1 tests/bench/broker.sh
#
# Prints figures only; exits 0 unless something failed to run.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$src/build-bench-release}
bench_seconds=${BENCH_SECONDS:-60}
phase_seconds=${PHASE_SECONDS:-5}
warmup_ms=${WARMUP_MS:-1000}
repeat=${REPEAT:-3}
clients=${CLIENTS:-16}
inflight=${INFLIGHT:-1000}
pipe_sockets=${PIPE_SOCKETS:-1}
workers=${WORKERS:-16}
rate=${RATE:-1000}
open_service=${OPEN_SERVICE:-zwfw.echo}
bench_nice=${BENCH_NICE:-}
bench_spin=${BENCH_SPIN:-}
services=(echo zwfw.echo)

die() { echo "broker.sh: $*" >&2; exit 1; }
for v in bench_seconds phase_seconds warmup_ms repeat clients inflight pipe_sockets workers rate; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be an integer, got '${!v}'"
  if [ "${!v}" -lt 1 ] && [ "$v" != warmup_ms ]; then die "$v must be at least 1"; fi
done
case $open_service in echo|zwfw.echo) ;; *) die "OPEN_SERVICE must be echo or zwfw.echo" ;; esac
niced=()
if [ -n "$bench_nice" ]; then
  [[ $bench_nice =~ ^-?[0-9]+$ ]] || die "BENCH_NICE must be an integer, got '$bench_nice'"
  niced=(nice -n "$bench_nice")
fi

# --- the build: Release only, built when the binaries are missing ---
bins=(zwfw-broker zwfw-echo zwfw-bench-broker)
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" 2>/dev/null; }
check_build() {
  local type sanitize
  type=$(cache_value CMAKE_BUILD_TYPE)
  sanitize=$(cache_value ZWFW_SANITIZE)
  [ "$type" = Release ] || die "$build is a '$type' build: figures come from Release builds only"
  case ${sanitize:-OFF} in ON|on|TRUE|true|1) die "$build is a sanitizer build" ;; esac
}
[ -f "$build/CMakeCache.txt" ] && check_build
missing=0
for b in "${bins[@]}"; do [ -x "$build/bin/$b" ] || missing=1; done
if [ $missing = 1 ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "broker.sh: configuring $build (Release)" >&2
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DZWFW_TESTS=ON >&2 || die "cmake configure failed"
  fi
  echo "broker.sh: building ${bins[*]} in $build" >&2
  cmake --build "$build" -j2 --target "${bins[@]}" >&2 || die "build failed"
fi
build=$(cd "$build" && pwd)
bin=$build/bin
check_build
build_type=$(cache_value CMAKE_BUILD_TYPE)

# --- children: each under `timeout`, so none outlives a killed script ---
work=$(mktemp -d "${TMPDIR:-/tmp}/zwfw-bench-broker.XXXXXX")
pids=()
declare -A tpid=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Every child stops by itself after the longest this run can take.
lifetime=$(( repeat * 6 * (phase_seconds + warmup_ms / 1000 + 5) + bench_seconds + 10 + 300 ))
start() { # name command...
  local name=$1; shift
  timeout -s TERM "$lifetime" "${niced[@]}" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  tpid[$name]=$!
}

# A free loopback port: nothing answers a connect to it.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  die "no free port found"
}

show_logs() {
  local f
  for f in "$work"/*.err; do
    [ -s "$f" ] && { echo "--- $(basename "$f")" >&2; tail -n 20 "$f" >&2; }
  done
  return 0
}

# Runs zwfw-bench-broker; prints its result line, or fails the run.
run_bench() {
  local out
  if ! out=$("${niced[@]}" "$bin/zwfw-bench-broker" "$@" 2>"$work/bench.err"); then
    cat "$work/bench.err" >&2
    show_logs
    die "zwfw-bench-broker $* failed"
  fi
  grep -E '^(result|usage) ' <<<"$out" | paste -sd ' '
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v b="$1" -v d="$2" 'BEGIN { if (d > 0) printf "%.2f", b / d; else print "n/a" }'; }

broker_port=$(free_port)
direct_port=$(free_port)
[ "$broker_port" != "$direct_port" ] || direct_port=$(free_port)
broker_ep=tcp://127.0.0.1:$broker_port
direct_ep=tcp://127.0.0.1:$direct_port

# --- what this run is ---
echo "== zwfw broker benchmark =="
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c | sed 's/^ *//' | paste -sd ';')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
echo "libzmq:   $("$bin/zwfw-bench-broker" version | sed 's/^libzmq //')"
echo "build:    $build ($build_type)"
echo "load:     $(uptime | sed 's/^.*load average/load average/') (before)"
echo "workers:  zwfw-echo --workers $workers (worker library) for 'echo' (plain RFC 7) and 'zwfw.echo' (broker adds the Caller frame)"
echo "direct:   zwfw-bench-broker serve: single-threaded ROUTER echo, same frames back (ZeroMQ's ceiling here)"
echo "clients:  zwfw-bench-broker, raw libzmq DEALERs speaking MDPC01"
echo "payload:  zwfw three-frame body of 100 bytes (request id 16 B, type 17 B, payload 67 B)"
echo "phases:   ${phase_seconds} s each after ${warmup_ms} ms warm-up, median of $repeat; open loop $rate req/s for $bench_seconds s"
if [ -n "$bench_nice" ]; then
  echo "priority: every process under nice -n $bench_nice"
else
  echo "priority: as started (BENCH_NICE unset)"
fi
if [ "$bench_spin" = 1 ]; then
  echo "spin:     two nice -n 19 busy loops keep both CPUs awake during the open loops"
fi
echo

start broker "$bin/zwfw-broker" --endpoint "$broker_ep" --log-level warn
start echo "$bin/zwfw-echo" --endpoint "$broker_ep" --service echo --workers "$workers" --log-level warn
start zwfw-echo "$bin/zwfw-echo" --endpoint "$broker_ep" --service zwfw.echo --workers "$workers" --log-level warn
start direct "$bin/zwfw-bench-broker" serve --endpoint "$direct_ep" --seconds "$lifetime"
run_bench wait --endpoint "$broker_ep" --service echo --service zwfw.echo --seconds 20 >/dev/null
# The direct echo is ready when one request comes back.
run_bench sync --endpoint "$direct_ep" --service echo --clients 1 --seconds 1 --warmup-ms 0 >/dev/null

# CPU used by the daemons (the children of the `timeout`s) during a run.
declare -A proc=()
for n in broker echo zwfw-echo direct; do
  proc[$n]=$(pgrep -P "${tpid[$n]}" | head -n 1)
  [ -n "${proc[$n]}" ] || { show_logs; die "$n is not running"; }
done
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
declare -A t_before=()
cpu_mark() { local n; for n in "${!proc[@]}"; do t_before[$n]=$(ticks "${proc[$n]}"); done; }
# Percent of one core that process $1 used over the client's wall time in $2.
cpu_pct() {
  awk -v a="${t_before[$1]}" -v b="$(ticks "${proc[$1]}")" -v hz="$hz" -v w="$(field "$2" wall_s)" \
    'BEGIN { printf "%.0f%%", (w > 0 ? 100 * (b - a) / hz / w : 0) }'
}
client_pct() { awk -v c="$(field "$1" cpu_s)" -v w="$(field "$1" wall_s)" 'BEGIN { printf "%.0f%%", (w > 0 ? 100 * c / w : 0) }'; }

declare -A runs=()
declare -A cpu=()
problems=()
note() { # result-line label: remembers lost or bad replies
  local lost bad
  lost=$(field "$1" lost); bad=$(field "$1" bad)
  [ "${lost:-0}" = 0 ] && [ "${bad:-0}" = 0 ] || problems+=("$2: lost $lost, bad $bad")
}

phase() { # name mode args...
  local name=$1 mode=$2; shift 2
  local r target line
  for r in $(seq 1 "$repeat"); do
    for target in direct echo zwfw.echo; do
      cpu_mark
      if [ "$target" = direct ]; then
        line=$(run_bench "$mode" --endpoint "$direct_ep" --service echo "$@")
        cpu[$name/$target]="server $(cpu_pct direct "$line"), client $(client_pct "$line")"
      else
        line=$(run_bench "$mode" --endpoint "$broker_ep" --service "$target" "$@")
        cpu[$name/$target]="broker $(cpu_pct broker "$line"), worker $(cpu_pct "${target/./-}" "$line"), client $(client_pct "$line")"
      fi
      note "$line" "$name $target run $r"
      runs[$name/$target]+="$(field "$line" rate) "
    done
  done
}

report() { # name [ratio target]: the medians, and each run's figure
  local name=$1 target=${2:-} d b s note
  # shellcheck disable=SC2086
  d=$(median ${runs[$name/direct]})
  for s in "${services[@]}"; do
    # shellcheck disable=SC2086
    b=$(median ${runs[$name/$s]})
    note=reported
    if [ -n "$target" ]; then
      note="target >= $target: $(awk -v b="$b" -v d="$d" -v t="$target" 'BEGIN { print ((d > 0 && b / d >= t) ? "met" : "NOT met") }')"
    fi
    printf '%-8s %-10s broker: %7d req/s  direct: %7d req/s  ratio: %s (%s)\n' \
      "$name" "$s" "$b" "$d" "$(ratio "$b" "$d")" "$note"
  done
  for s in direct "${services[@]}"; do
    printf '         %-10s runs: %s  cpu (last run, %% of one core): %s\n' "$s" "${runs[$name/$s]}" "${cpu[$name/$s]}"
  done
}

phase "sync$clients" sync --clients "$clients" --seconds "$phase_seconds" --warmup-ms "$warmup_ms"
report "sync$clients" 0.4
phase "pipe$inflight" pipe --inflight "$inflight" --sockets "$pipe_sockets" --seconds "$phase_seconds" --warmup-ms "$warmup_ms"
report "pipe$inflight"

open_line() { # label target-text result-line
  local l=$3
  printf '%-8s %-10s %s s: p50 %s ms  p99 %s ms  p99.9 %s ms  max %s ms  (%s)\n' \
    "open$rate" "$1" "$(field "$l" seconds)" "$(field "$l" p50_ms)" "$(field "$l" p99_ms)" \
    "$(field "$l" p999_ms)" "$(field "$l" max_ms)" "$2"
  printf '         %-10s sent %s, replies %s, lost %s, bad %s; sender lag p50 %s ms, p99 %s ms, max %s ms\n' \
    "" "$(field "$l" sent)" "$(field "$l" received)" "$(field "$l" lost)" "$(field "$l" bad)" \
    "$(field "$l" lag_p50_ms)" "$(field "$l" lag_p99_ms)" "$(field "$l" lag_max_ms)"
}

if [ "$bench_spin" = 1 ]; then
  for _ in 1 2; do
    timeout -s TERM $(( bench_seconds + 30 )) nice -n 19 sh -c 'while :; do :; done' &
    pids+=($!)
  done
fi
cpu_mark
line=$(run_bench open --endpoint "$broker_ep" --service "$open_service" --rate "$rate" --seconds "$bench_seconds" --warmup-ms "$warmup_ms")
open_cpu="broker $(cpu_pct broker "$line"), worker $(cpu_pct "${open_service/./-}" "$line"), client $(client_pct "$line")"
note "$line" "open $open_service"
p99=$(field "$line" p99_ms)
verdict=$(awk -v p="$p99" 'BEGIN { print ((p != "inf" && p + 0 < 1.0) ? "met" : "NOT met") }')
open_line "$open_service" "broker; target p99 < 1 ms: $verdict" "$line"
printf '         %-10s cpu (%% of one core): %s\n' "" "$open_cpu"
ref_seconds=$(( bench_seconds < 10 ? bench_seconds : 10 ))
line=$(run_bench open --endpoint "$direct_ep" --service "$open_service" --rate "$rate" --seconds "$ref_seconds" --warmup-ms "$warmup_ms")
note "$line" "open direct"
open_line direct "no broker, reference" "$line"

echo
echo "load:     $(uptime | sed 's/^.*load average/load average/') (after)"
if [ ${#problems[@]} -gt 0 ]; then
  echo "lost or bad replies:"
  printf '  %s\n' "${problems[@]}"
else
  echo "replies:  none lost, none bad"
fi
