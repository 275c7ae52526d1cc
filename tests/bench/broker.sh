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
# With CURVE=1 (the default) the same again with CURVE on every hop, beside
# the plain ones: a second zwfw-broker with a CURVE key and a key registry
# (throwaway keys made with zwfwctl keygen in the run's temporary folder),
# a zwfw-echo for OPEN_SERVICE on it with a `system` key, and a second
# serve ROUTER that is a CURVE server (no ZAP handler: it accepts any key,
# which is all measuring the cipher needs); the clients use an `operator`
# key.
#
# Phases, each measured for PHASE_SECONDS after WARMUP_MS, REPEAT times in
# turn (direct, broker echo, broker zwfw.echo, then with CURVE direct and
# broker OPEN_SERVICE), the median printed:
#   sync16    CLIENTS threads, one DEALER each, one request at a time
#   pipe1000  one thread, INFLIGHT requests kept in flight
# then the open loop: RATE requests/s on a fixed schedule for BENCH_SECONDS
# through the broker to OPEN_SERVICE, latency from each scheduled send time;
# and the same for min(BENCH_SECONDS, 10) s to the direct echo, as reference;
# with CURVE, the open loop for CURVE_SECONDS through the CURVE broker, each
# right after a plain one as long through the plain broker, and the same
# pair for the direct echoes. The CURVE lines give the plain figures
# beside, the cost in requests/s (1 - curve/plain), and the CPU each
# request took (median over the runs) with and without CURVE.
#
# Busy-poll (BUSY_POLL_US, a list of microseconds, e.g. "0 50 200 1000"):
# after everything above, for each value V in turn, a fresh zwfw-broker
# --busy-poll-us V and a fresh zwfw-bench-worker --busy-poll-us V (the
# worker library's busy_poll_us; zwfw-echo's answer) for OPEN_SERVICE, with
# BUSY_WORKERS worker sockets; the open loop through them for BENCH_SECONDS
# with the client's --busy-poll-us V; then IDLE_SECONDS with no traffic, to
# show what each process costs when idle after the load; then the same open
# loop for min(BENCH_SECONDS, 10) s to a fresh direct echo (serve
# --busy-poll-us V). BUSY_POLL_HOPS says which hops take V (the others 0):
# any of broker, worker, client, comma-separated (default all three; the
# direct echo takes the broker's). CPU is read from /proc/PID/stat
# (utime + stime) before and after each stretch.
#
# Environment (defaults): BENCH_SECONDS (60), PHASE_SECONDS (5),
# WARMUP_MS (1000), REPEAT (3), CLIENTS (16), INFLIGHT (1000),
# PIPE_SOCKETS (1), WORKERS (16), RATE (1000), OPEN_SERVICE (zwfw.echo; the
# CURVE runs use it too), CURVE (1; 0 runs plain only), CURVE_SECONDS
# (min(BENCH_SECONDS, 10)),
# BENCH_NICE (unset: run at the caller's priority; e.g. -10 runs every
# process of the benchmark under `nice -n -10`, as root, so that other work
# on a shared machine disturbs it less), BENCH_SPIN (unset; 1 runs two
# `nice -n 19` busy loops during the open loops, so no CPU is ever idle:
# on a virtual machine, waking an idle vCPU costs a large part of a
# millisecond, and this shows how much of the latency that is).
# CLOSED (1; 0 skips sync16 and pipe1000 and their CURVE runs),
# BUSY_POLL_US (unset: no busy-poll runs), BUSY_POLL_HOPS
# (broker,worker,client), BUSY_WORKERS (WORKERS), IDLE_SECONDS (5).
# Quick run: BENCH_SECONDS=5 PHASE_SECONDS=2 REPEAT=1 tests/bench/broker.sh
# Busy-poll only: CLOSED=0 CURVE=0 BUSY_POLL_US="0 200 1000" tests/bench/broker.sh
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
curve=${CURVE:-1}
curve_seconds=${CURVE_SECONDS:-$(( bench_seconds < 10 ? bench_seconds : 10 ))}
closed=${CLOSED:-1}
busy_list=${BUSY_POLL_US:-}
busy_hops=${BUSY_POLL_HOPS:-broker,worker,client}
busy_workers=${BUSY_WORKERS:-$workers}
idle_seconds=${IDLE_SECONDS:-5}
services=(echo zwfw.echo)

die() { echo "broker.sh: $*" >&2; exit 1; }
for v in bench_seconds phase_seconds warmup_ms repeat clients inflight pipe_sockets workers rate curve_seconds busy_workers idle_seconds; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be an integer, got '${!v}'"
  if [ "${!v}" -lt 1 ] && [ "$v" != warmup_ms ]; then die "$v must be at least 1"; fi
done
case $open_service in echo|zwfw.echo) ;; *) die "OPEN_SERVICE must be echo or zwfw.echo" ;; esac
case $curve in 0|1) ;; *) die "CURVE must be 0 or 1, got '$curve'" ;; esac
case $closed in 0|1) ;; *) die "CLOSED must be 0 or 1, got '$closed'" ;; esac
busy_values=()
for v in ${busy_list//,/ }; do
  [[ $v =~ ^[0-9]+$ ]] && [ "$v" -le 100000 ] || die "BUSY_POLL_US: '$v' is not a number of microseconds (0-100000)"
  busy_values+=("$v")
done
declare -A busy_hop=([broker]=0 [worker]=0 [client]=0)
for h in ${busy_hops//,/ }; do
  case $h in broker|worker|client) busy_hop[$h]=1 ;; *) die "BUSY_POLL_HOPS: '$h' is not broker, worker or client" ;; esac
done
niced=()
if [ -n "$bench_nice" ]; then
  [[ $bench_nice =~ ^-?[0-9]+$ ]] || die "BENCH_NICE must be an integer, got '$bench_nice'"
  niced=(nice -n "$bench_nice")
fi

# --- the build: Release only, built when the binaries are missing ---
bins=(zwfw-broker zwfw-echo zwfw-bench-broker)
[ "$curve" = 1 ] && bins+=(zwfwctl)
[ ${#busy_values[@]} -gt 0 ] && bins+=(zwfw-bench-worker)
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
lifetime=$(( repeat * 10 * (phase_seconds + warmup_ms / 1000 + 5) + bench_seconds + 10 + 4 * curve_seconds + 300 \
  + ${#busy_values[@]} * (bench_seconds + idle_seconds + 10 + 3 * warmup_ms / 1000 + 60) ))
start() { # name command...
  local name=$1; shift
  timeout -s TERM "$lifetime" "${niced[@]}" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  tpid[$name]=$!
}

# A free loopback port: nothing answers a connect to it. Drawn below the
# kernel's ephemeral range, where no client socket of this run can hold it
# as its own end (nothing would answer there either, but bind would fail).
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[[ $ephemeral_low =~ ^[0-9]+$ ]] && [ "$ephemeral_low" -gt 21000 ] || ephemeral_low=50000
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % (ephemeral_low - 20000) ))
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
if [ "$curve" = 1 ]; then
  curve_broker_port=$(free_port)
  curve_direct_port=$(free_port)
  # Nothing listens yet, so free_port may repeat itself: draw again.
  while [[ " $broker_port $direct_port " == *" $curve_broker_port "* ]]; do curve_broker_port=$(free_port); done
  while [[ " $broker_port $direct_port $curve_broker_port " == *" $curve_direct_port "* ]]; do curve_direct_port=$(free_port); done
  curve_broker_ep=tcp://127.0.0.1:$curve_broker_port
  curve_direct_ep=tcp://127.0.0.1:$curve_direct_port
fi

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
if [ "$curve" = 1 ]; then
  echo "curve:    also with CURVE on every hop: a CURVE broker (key registry) with zwfw-echo for $open_service, a CURVE direct echo; open loop ${curve_seconds} s"
fi
[ "$closed" = 1 ] || echo "closed:   sync16 and pipe1000 skipped (CLOSED=0)"
if [ ${#busy_values[@]} -gt 0 ]; then
  echo "busy:     busy-poll runs for ${busy_values[*]} us on $busy_hops (others 0): fresh broker + zwfw-bench-worker --workers $busy_workers each, open loop $bench_seconds s, idle ${idle_seconds} s, direct min($bench_seconds, 10) s"
fi
echo

start broker "$bin/zwfw-broker" --endpoint "$broker_ep" --log-level warn
start echo "$bin/zwfw-echo" --endpoint "$broker_ep" --service echo --workers "$workers" --log-level warn
start zwfw-echo "$bin/zwfw-echo" --endpoint "$broker_ep" --service zwfw.echo --workers "$workers" --log-level warn
start direct "$bin/zwfw-bench-broker" serve --endpoint "$direct_ep" --seconds "$lifetime"
daemons=(broker echo zwfw-echo direct)
curve_client=()
if [ "$curve" = 1 ]; then
  # Throwaway keys: the broker's pair, a `system` key for the worker (it
  # serves zwfw.*), an `operator` key for the clients.
  keys=$work/keys
  "$bin/zwfwctl" keygen broker --dir "$keys" >/dev/null 2>&1 || die "zwfwctl keygen failed"
  worker_pub=$("$bin/zwfwctl" keygen worker --dir "$keys" 2>/dev/null) || die "zwfwctl keygen failed"
  client_pub=$("$bin/zwfwctl" keygen bench --dir "$keys" 2>/dev/null) || die "zwfwctl keygen failed"
  cat >"$keys/registry.json" <<EOF
{"keys": [{"name": "worker", "public_key": "$worker_pub", "role": "system", "region": "500152"},
          {"name": "bench", "public_key": "$client_pub", "role": "operator", "region": "500152"}]}
EOF
  curve_client=(--curve-key "$keys/bench.secret" --server-key "$keys/broker.key")
  start curve-broker "$bin/zwfw-broker" --endpoint "$curve_broker_ep" --log-level warn \
    --curve-secret-key-file "$keys/broker.secret" --key-registry-file "$keys/registry.json"
  start curve-worker "$bin/zwfw-echo" --endpoint "$curve_broker_ep" --service "$open_service" \
    --workers "$workers" --log-level warn --key "$keys/worker.secret" --server-key "$keys/broker.key"
  start curve-direct "$bin/zwfw-bench-broker" serve --endpoint "$curve_direct_ep" --seconds "$lifetime" \
    --curve-key "$keys/broker.secret"
  daemons+=(curve-broker curve-worker curve-direct)
fi
run_bench wait --endpoint "$broker_ep" --service echo --service zwfw.echo --seconds 20 >/dev/null
# The direct echo is ready when one request comes back.
run_bench sync --endpoint "$direct_ep" --service echo --clients 1 --seconds 1 --warmup-ms 0 >/dev/null
if [ "$curve" = 1 ]; then
  run_bench wait --endpoint "$curve_broker_ep" --service "$open_service" --seconds 20 "${curve_client[@]}" >/dev/null
  run_bench sync --endpoint "$curve_direct_ep" --service echo --clients 1 --seconds 1 --warmup-ms 0 \
    "${curve_client[@]}" >/dev/null
fi

# CPU used by the daemons (the children of the `timeout`s) during a run.
declare -A proc=()
for n in "${daemons[@]}"; do
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
# CPU seconds process $1 used since cpu_mark.
cpu_s() { awk -v a="${t_before[$1]}" -v b="$(ticks "${proc[$1]}")" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }'; }
# Microseconds of CPU per request: CPU seconds $1 over the requests $2.
per_req() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? 1e6 * c / n : 0) }'; }

# What each target of a phase is: where the client sends, the service it
# names, and the daemons the requests go through (the broker or direct
# server first). curve-* need the CURVE client keys.
declare -A target_ep=([direct]=$direct_ep [echo]=$broker_ep [zwfw.echo]=$broker_ep)
declare -A target_service=([direct]=echo [echo]=echo [zwfw.echo]=zwfw.echo)
declare -A target_procs=([direct]=direct [echo]="broker echo" [zwfw.echo]="broker zwfw-echo")
targets=(direct echo zwfw.echo)
if [ "$curve" = 1 ]; then
  target_ep["curve-direct"]=$curve_direct_ep
  target_ep["curve"]=$curve_broker_ep
  target_service["curve-direct"]="echo"
  target_service["curve"]=$open_service
  target_procs["curve-direct"]="curve-direct"
  target_procs["curve"]="curve-broker curve-worker"
  targets+=(curve-direct curve)
fi

declare -A runs=()
declare -A cpu=()
declare -A front_us=() # per run: CPU per request of the broker or direct server
declare -A all_us=()   # per run: CPU per request of every process on the path, client included
problems=()
note() { # result-line label: remembers lost or bad replies
  local lost bad
  lost=$(field "$1" lost); bad=$(field "$1" bad)
  [ "${lost:-0}" = 0 ] && [ "${bad:-0}" = 0 ] || problems+=("$2: lost $lost, bad $bad")
}

phase() { # name mode args...
  local name=$1 mode=$2; shift 2
  local r target line p label text total sent c
  local -a extra
  for r in $(seq 1 "$repeat"); do
    for target in "${targets[@]}"; do
      extra=()
      [[ $target == curve* ]] && extra=("${curve_client[@]}")
      cpu_mark
      line=$(run_bench "$mode" --endpoint "${target_ep[$target]}" --service "${target_service[$target]}" \
        "$@" "${extra[@]}")
      sent=$(field "$line" sent)
      total=$(field "$line" cpu_s)
      text=""
      label=broker
      [[ $target == *direct ]] && label=server
      for p in ${target_procs[$target]}; do
        c=$(cpu_s "$p")
        [ -z "$text" ] && front_us[$name/$target]+="$(per_req "$c" "$sent") "
        total=$(awk -v a="$total" -v b="$c" 'BEGIN { print a + b }')
        text+="$label $(cpu_pct "$p" "$line"), "
        label=worker
      done
      all_us[$name/$target]+="$(per_req "$total" "$sent") "
      cpu[$name/$target]="${text}client $(client_pct "$line")"
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
  [ "$curve" = 1 ] && report_curve "$name"
  return 0
}

cost() { awk -v c="$1" -v p="$2" 'BEGIN { if (p > 0) printf "%.0f%%", 100 * (1 - c / p); else print "n/a" }'; }

report_curve() { # name: CURVE beside plain, for the broker and for direct
  local name=$1 cb pb cdir pdir
  # shellcheck disable=SC2086
  {
    cb=$(median ${runs[$name/curve]})
    pb=$(median ${runs[$name/$open_service]})
    cdir=$(median ${runs[$name/curve-direct]})
    pdir=$(median ${runs[$name/direct]})
  }
  printf '%-8s %-10s broker: %7d req/s (plain %d, cost %s)  direct: %7d req/s (plain %d, cost %s)\n' \
    "$name" curve "$cb" "$pb" "$(cost "$cb" "$pb")" "$cdir" "$pdir" "$(cost "$cdir" "$pdir")"
  # shellcheck disable=SC2086
  printf '         %-10s cpu per request, median: broker %s us (plain %s), path %s us (plain %s); direct server %s us (plain %s), path %s us (plain %s)\n' \
    curve "$(median ${front_us[$name/curve]})" "$(median ${front_us[$name/$open_service]})" \
    "$(median ${all_us[$name/curve]})" "$(median ${all_us[$name/$open_service]})" \
    "$(median ${front_us[$name/curve-direct]})" "$(median ${front_us[$name/direct]})" \
    "$(median ${all_us[$name/curve-direct]})" "$(median ${all_us[$name/direct]})"
  for s in curve-direct curve; do
    printf '         %-10s runs: %s  cpu (last run, %% of one core): %s\n' "$s" "${runs[$name/$s]}" "${cpu[$name/$s]}"
  done
}

if [ "$closed" = 1 ]; then
  phase "sync$clients" sync --clients "$clients" --seconds "$phase_seconds" --warmup-ms "$warmup_ms"
  report "sync$clients" 0.4
  phase "pipe$inflight" pipe --inflight "$inflight" --sockets "$pipe_sockets" --seconds "$phase_seconds" --warmup-ms "$warmup_ms"
  report "pipe$inflight"
fi

open_line() { # label target-text result-line [phase name]
  local l=$3
  printf '%-8s %-10s %s s: p50 %s ms  p99 %s ms  p99.9 %s ms  max %s ms  (%s)\n' \
    "${4:-open$rate}" "$1" "$(field "$l" seconds)" "$(field "$l" p50_ms)" "$(field "$l" p99_ms)" \
    "$(field "$l" p999_ms)" "$(field "$l" max_ms)" "$2"
  printf '         %-10s sent %s, replies %s, lost %s, bad %s; sender lag p50 %s ms, p99 %s ms, max %s ms\n' \
    "" "$(field "$l" sent)" "$(field "$l" received)" "$(field "$l" lost)" "$(field "$l" bad)" \
    "$(field "$l" lag_p50_ms)" "$(field "$l" lag_p99_ms)" "$(field "$l" lag_max_ms)"
}

spin_pids=()
if [ "$bench_spin" = 1 ]; then
  for _ in 1 2; do
    timeout -s TERM $(( bench_seconds + 4 * curve_seconds + 60 )) nice -n 19 sh -c 'while :; do :; done' &
    pids+=($!)
    spin_pids+=($!)
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

# CURVE's open loops: each right after a plain one of the same length to
# the same kind of server, so the two see the machine in the same state
# (a pair of short samples: the tail figures are noisy, the p50 less so).
if [ "$curve" = 1 ]; then
  vs_plain() { # plain-line curve-line: the plain figures beside CURVE's
    local p c
    p=$(field "$1" p50_ms); c=$(field "$2" p50_ms)
    printf 'plain just before: p50 %s, p99 %s ms; p50 %s ms' "$p" "$(field "$1" p99_ms)" \
      "$(awk -v p="$p" -v c="$c" 'BEGIN { if (p == "inf" || c == "inf") print "n/a"; else printf "%+.3f", c - p }')"
  }
  plain=$(run_bench open --endpoint "$broker_ep" --service "$open_service" --rate "$rate" \
    --seconds "$curve_seconds" --warmup-ms "$warmup_ms")
  note "$plain" "open $open_service (pair)"
  cpu_mark
  line=$(run_bench open --endpoint "$curve_broker_ep" --service "$open_service" --rate "$rate" \
    --seconds "$curve_seconds" --warmup-ms "$warmup_ms" "${curve_client[@]}")
  open_cpu="broker $(cpu_pct curve-broker "$line"), worker $(cpu_pct curve-worker "$line"), client $(client_pct "$line")"
  note "$line" "open curve"
  open_line curve "broker, CURVE; $(vs_plain "$plain" "$line")" "$line"
  printf '         %-10s cpu (%% of one core): %s\n' "" "$open_cpu"
  plain=$(run_bench open --endpoint "$direct_ep" --service "$open_service" --rate "$rate" \
    --seconds "$curve_seconds" --warmup-ms "$warmup_ms")
  note "$plain" "open direct (pair)"
  line=$(run_bench open --endpoint "$curve_direct_ep" --service "$open_service" --rate "$rate" \
    --seconds "$curve_seconds" --warmup-ms "$warmup_ms" "${curve_client[@]}")
  note "$line" "open curve-direct"
  open_line curve-direct "no broker, CURVE; $(vs_plain "$plain" "$line")" "$line"
fi

# The busy loops are for the runs above only: the busy-poll runs below
# keep the CPUs awake themselves, and are measured without help.
for p in "${spin_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${spin_pids[@]}"; do wait "$p" 2>/dev/null || true; done

# --- busy-poll: each value with its own broker, worker and direct echo ---
stop() { # name...: ends those started with `start`, and waits for them
  local n
  for n in "$@"; do kill -TERM "${tpid[$n]}" 2>/dev/null || true; done
  for n in "$@"; do wait "${tpid[$n]}" 2>/dev/null || true; done
}
child_of() { # name: the process `timeout` started for it
  local p=""
  for _ in $(seq 1 50); do
    p=$(pgrep -P "${tpid[$1]}" | head -n 1)
    [ -n "$p" ] && break
    sleep 0.1
  done
  [ -n "$p" ] || { show_logs; die "$1 is not running"; }
  echo "$p"
}
pct() { # ticks-before ticks-after seconds: percent of one core
  awk -v a="$1" -v b="$2" -v hz="$hz" -v w="$3" 'BEGIN { printf "%.1f%%", (w > 0 ? 100 * (b - a) / hz / w : 0) }'
}
busy_of() { [ "${busy_hop[$1]}" = 1 ] && echo "$2" || echo 0; }
for v in "${busy_values[@]}"; do
  vb=$(busy_of broker "$v"); vw=$(busy_of worker "$v"); vc=$(busy_of client "$v")
  bp=$(free_port); dp=$(free_port)
  while [ "$bp" = "$dp" ]; do dp=$(free_port); done
  bep=tcp://127.0.0.1:$bp; dep=tcp://127.0.0.1:$dp
  start "busy-broker-$v" "$bin/zwfw-broker" --endpoint "$bep" --log-level warn --busy-poll-us "$vb"
  start "busy-worker-$v" "$bin/zwfw-bench-worker" --endpoint "$bep" --service "$open_service" \
    --workers "$busy_workers" --busy-poll-us "$vw" --seconds "$lifetime"
  start "busy-direct-$v" "$bin/zwfw-bench-broker" serve --endpoint "$dep" --seconds "$lifetime" --busy-poll-us "$vb"
  run_bench wait --endpoint "$bep" --service "$open_service" --seconds 20 >/dev/null
  run_bench sync --endpoint "$dep" --service echo --clients 1 --seconds 1 --warmup-ms 0 >/dev/null
  bpid=$(child_of "busy-broker-$v"); wpid=$(child_of "busy-worker-$v"); dpid=$(child_of "busy-direct-$v")
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  b0=$(ticks "$bpid"); w0=$(ticks "$wpid")
  line=$(run_bench open --endpoint "$bep" --service "$open_service" --rate "$rate" --seconds "$bench_seconds" \
    --warmup-ms "$warmup_ms" --busy-poll-us "$vc")
  b1=$(ticks "$bpid"); w1=$(ticks "$wpid")
  note "$line" "open busy $v"
  wall=$(field "$line" wall_s)
  sleep "$idle_seconds"
  b2=$(ticks "$bpid"); w2=$(ticks "$wpid")
  p99=$(field "$line" p99_ms)
  verdict=$(awk -v p="$p99" 'BEGIN { print ((p != "inf" && p + 0 < 1.0) ? "met" : "NOT met") }')
  open_line "$open_service" "busy-poll ${vb}/${vw}/${vc} us broker/worker/client; target p99 < 1 ms: $verdict" \
    "$line" "busy$v"
  printf '         %-10s cpu (%% of one core) under load: broker %s, worker %s, client %s; idle %s s after: broker %s, worker %s; load %s\n' \
    "" "$(pct "$b0" "$b1" "$wall")" "$(pct "$w0" "$w1" "$wall")" "$(client_pct "$line")" "$idle_seconds" \
    "$(pct "$b1" "$b2" "$idle_seconds")" "$(pct "$w1" "$w2" "$idle_seconds")" "$load_before"
  d0=$(ticks "$dpid")
  line=$(run_bench open --endpoint "$dep" --service "$open_service" --rate "$rate" --seconds "$ref_seconds" \
    --warmup-ms "$warmup_ms" --busy-poll-us "$vc")
  d1=$(ticks "$dpid")
  note "$line" "open busy $v direct"
  open_line direct "no broker, busy-poll ${vb}/${vc} us server/client, reference" "$line" "busy$v"
  printf '         %-10s cpu (%% of one core) under load: server %s, client %s\n' "" \
    "$(pct "$d0" "$d1" "$(field "$line" wall_s)")" "$(client_pct "$line")"
  stop "busy-broker-$v" "busy-worker-$v" "busy-direct-$v"
done

echo
echo "load:     $(uptime | sed 's/^.*load average/load average/') (after)"
if [ ${#problems[@]} -gt 0 ]; then
  echo "lost or bad replies:"
  printf '  %s\n' "${problems[@]}"
else
  echo "replies:  none lost, none bad"
fi
