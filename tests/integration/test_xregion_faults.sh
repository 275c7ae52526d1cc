#!/usr/bin/env bash
# Faults on the cross-region link (docs/protocol.md section 4 "Cross-region
# exchange" and section 10 "Partner links"; DESIGN.md "Cross-region
# links"): two deployments on one machine (xr_stack.sh), Tongnan (ts,
# 500152, the sample catalog: its 川渝 items list Meishan 511400 among
# their partner regions) and Meishan (ms, 511400), whose windows forward
# applications for Tongnan items. The checks are in xregion_faults.py
# (one phase per run, written from the documents and the schemas alone);
# this script stops, kills and restarts the daemons between and during
# the phases:
#   1. store and forward: ts's zwfw-xregion stopped (SIGTERM), ms forwards
#      20 (QUEUED, link DOWN, 20 queued); ts's back: all SUBMITTED, ts's
#      intake holds each once.
#   2. SIGKILL: ms forwards 60 one by one (Lazy Pirate) while both
#      zwfw-xregion daemons are SIGKILLed in turn every 1-2 s (each stopped
#      0.3-0.5 s first, so it dies with work in hand) and started again at
#      once; then each forward is one exchange on both sides, SUBMITTED,
#      one home application each, statuses back, no refusal. Then
#      simultaneous copies of one ForwardApplication.
#   3. hostile input on ts's link endpoint from a Python CURVE client: an
#      unregistered key, a registered test partner (512000) sending
#      malformed and duplicate messages and 200 batches of random frames,
#      then disabled.
#   4. the client plays partner 512000's link socket for ms: garbage
#      answers, NAKs, statuses (newer, older, malformed, oversized).
#   5. every daemon alive, SIGTERM stops each with status 0, and (ASan
#      builds) no sanitizer report in any log.
#
# Found by this test on the first build of zwfw-xregion (2026-11-28) and
# fixed since; the checks stay:
#   2.9b  simultaneous copies of one ForwardApplication (a Lazy Pirate retry
#       that overlaps its first try): one exchange is made (2.9a), but
#       every copy but one is answered ALREADY_EXISTS idempotency_key "was
#       used for another request" instead of the first result (protocol.md
#       5). Every round of 8 copies shows it: services/xregion/service.c
#       s_tx finds no record, runs the body, and zw_idem_put then meets the
#       other copy's committed record. PutPartner goes the same way.
#   3.4k  a message id with a NUL byte ("<id>\0tail") is committed under
#       the id cut at the NUL and answered ACK with that shorter id, which
#       the partner never sent; two ids differing after a NUL are taken
#       for one (the second dropped as a duplicate). link.c s_on_router
#       reads the id with s_text and uses it as a C string.
#   3.4m  a message refused for a message id that is not UTF-8 is answered
#       NAK but not kept in the message log ("message log not written":
#       PostgreSQL refuses the text), though every exchanged message is to
#       be logged (DESIGN.md "Cross-region links").
#   4.5b  a partner's NAK whose text is not UTF-8 is never recorded
#       ("acknowledgement not recorded": xr_outbound_done fails on the
#       text), so the part stays QUEUED and the message is sent again
#       forever, where protocol.md 10 says a NAK makes the part REJECTED.
# Fixes: copies of one key wait for the first (common/idem.c
# zw_idem_lock); message ids and types must be tokens (NAK otherwise) and
# are logged in a printable form; a partner's text is made well-formed
# UTF-8 before it is stored; statuses are checked field by field (sizes,
# state, times: a time at the int64 limits overflowed, found by
# test_hostile_input's author).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). XF_KEEP_LOGS=DIR
# keeps the logs; XF_ARGS adds
# options to every xregion_faults.py run (e.g. --seed N to repeat a fuzz
# run). Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" xregion-faults
. "$here/py_stack.sh" test_xregion_faults
. "$here/xr_stack.sh"

xr_setup "zwt_xrfault_$$"
started=$SECONDS

xr_deployment ts 500152
xr_deployment ms 511400
xr_catalog ts "$src/deploy/catalog/tongnan-sample.json"
xr_link ts ms
echo "# two deployments up in $((SECONDS - started)) s"

# xregion_faults.py's view of the stack
xf_args=(--gen "$work/gen" --state "$work/xf-state.json" --run "r$$"
  --sample "$src/deploy/catalog/tongnan-sample.json")
for d in ts ms; do
  for role in operator window supervisor; do
    xf_args+=(--ep "$d.$role=${xr_ep[$d.$role]}")
  done
  xf_args+=(--db "$d=${xr_db[$d]}" --link "$d=${xr_link_ep[$d]}=${xr_link_pk[$d]}")
done
# shellcheck disable=SC2206 # XF_ARGS: extra options, split on purpose
xf_args+=(${XF_ARGS:-})

# xf_forget PID: PID is no longer one of ours to stop (it was stopped or
# killed on purpose).
xf_forget() {
  local q keep=()
  for q in "${pids[@]}"; do [ "$q" = "$1" ] || keep+=("$q"); done
  pids=("${keep[@]}")
}

# xf_kill9 D: SIGKILL D's zwfw-xregion and start it again at once. It is
# stopped (SIGSTOP) for 0.3-0.5 s first, so that it dies with work in hand:
# the broker keeps handing it requests (its heartbeats are not yet overdue)
# and the partner keeps sending on the link.
xf_kill9() {
  local old=${xr_pid[$1.xregion]}
  kill -STOP "$old" 2>/dev/null
  sleep "0.$((3 + RANDOM % 3))"
  kill -9 "$old" 2>/dev/null
  wait "$old" 2>/dev/null
  xf_forget "$old"
  xr_start_xregion "$1"
}

# xf_count OUT RC: a background client's output, counted as zs_client does.
xf_count() {
  local summary
  cat "$1"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
  if [ -n "$summary" ]; then
    passed=$((passed + $(cut -d' ' -f1 <<<"$summary")))
    failed=$((failed + $(cut -d' ' -f3 <<<"$summary")))
  fi
  if [ "$2" -ne 0 ] && { [ -z "$summary" ] || [ "$failed" -eq 0 ]; }; then
    zs_fail "xregion_faults.py exited $2"
  fi
}

# ---- 1. store and forward
echo "# 1. store and forward"
old=${xr_pid[ts.xregion]}
kill -TERM "$old"
st=0
wait "$old" || st=$?
xf_forget "$old"
if [ $st -eq 0 ]; then
  zs_pass "1.0 ts's zwfw-xregion drains and exits 0 on SIGTERM"
else
  zs_fail "1.0 ts's zwfw-xregion exited $st on SIGTERM"
fi
zs_client xregion_faults.py "${xf_args[@]}" --phase sf-forward --count 20
xr_start_xregion ts
zs_client xregion_faults.py "${xf_args[@]}" --phase sf-deliver
echo "# phase 1 done at $((SECONDS - started)) s"

# ---- 2. SIGKILL both sides in turn while forwarding
echo "# 2. SIGKILL while forwarding"
$py "$here/xregion_faults.py" "${xf_args[@]}" --phase kill-forward --count 60 --pace 0.2 \
  --timeout-ms 1500 >"$work/kill-forward.out" 2>&1 &
fwd=$!
declare -A kills=([ts]=0 [ms]=0)
victim=ts
deadline=$((SECONDS + 120))
while kill -0 "$fwd" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
  sleep "1.$((RANDOM % 10))"
  kill -0 "$fwd" 2>/dev/null || break
  xf_kill9 "$victim"
  kills[$victim]=$((kills[$victim] + 1))
  [ "$victim" = ts ] && victim=ms || victim=ts
done
st=0
wait "$fwd" || st=$?
if [ "${kills[ts]}" -ge 2 ] && [ "${kills[ms]}" -ge 2 ]; then
  zs_pass "2.0a SIGKILLed ts's zwfw-xregion ${kills[ts]} times and ms's ${kills[ms]} times while forwarding"
else
  zs_fail "2.0a only ${kills[ts]} SIGKILLs of ts's and ${kills[ms]} of ms's zwfw-xregion: the forwards ended too soon"
fi
# a forward whose request died with ms's zwfw-xregion was sent again
retried=$(grep -cE '^forward [0-9]+: XR[0-9-]+ tries ([2-9]|[1-9][0-9]+)' "$work/kill-forward.out")
if [ "$retried" -ge 1 ]; then
  zs_pass "2.0b $retried forwards timed out with a killed daemon and were sent again (same request id and key)"
else
  zs_fail "2.0b no forward needed a second try: no request was in flight when ms's zwfw-xregion died"
fi
xf_count "$work/kill-forward.out" "$st"
zs_client xregion_faults.py "${xf_args[@]}" --phase kill-check
zs_client xregion_faults.py "${xf_args[@]}" --phase retries
echo "# phase 2 done at $((SECONDS - started)) s"

# ---- 3. hostile input on ts's link endpoint
echo "# 3. hostile link input"
ts_x=${xr_pid[ts.xregion]}
zs_client xregion_faults.py "${xf_args[@]}" --phase link --pid "ts=$ts_x"
if kill -0 "$ts_x" 2>/dev/null; then
  zs_pass "3.9 ts's zwfw-xregion (pid $ts_x) is still running after the hostile input"
else
  zs_fail "3.9 ts's zwfw-xregion (pid $ts_x) died during the hostile input"
fi
echo "# phase 3 done at $((SECONDS - started)) s"

# ---- 4. a hostile home partner, played by the client, for ms's DEALER
echo "# 4. hostile partner on ms's side of the link"
ms_x=${xr_pid[ms.xregion]}
zs_client xregion_faults.py "${xf_args[@]}" --phase fake-home --pid "ms=$ms_x"
if kill -0 "$ms_x" 2>/dev/null; then
  zs_pass "4.9 ms's zwfw-xregion (pid $ms_x) is still running after the hostile partner"
else
  zs_fail "4.9 ms's zwfw-xregion (pid $ms_x) died talking to the hostile partner"
fi
echo "# phase 4 done at $((SECONDS - started)) s"

# ---- 5. every daemon alive, clean stop, no sanitizer report
zs_check_alive
zs_check_stop "brokers, intakes and zwfw-xregion of both deployments exited 0"
reports=$(grep -lE 'Sanitizer|runtime error:' "$work"/*.log 2>/dev/null)
if [ -z "$reports" ]; then
  zs_pass "no sanitizer report in any daemon log"
else
  zs_fail "sanitizer reports in: $reports"
  for f in $reports; do
    echo "---- $f"
    grep -E -A 12 'Sanitizer|runtime error:' "$f" | head -n 40
  done
fi
echo "# whole test: $((SECONDS - started)) s"
if [ -n "${XF_KEEP_LOGS:-}" ]; then cp "$work"/*.log "$work"/*.out "$XF_KEEP_LOGS"/ 2>/dev/null; fi
xr_drop_dbs
zs_drop_db
zs_finish "$work"/ts-xregion.log "$work"/ms-xregion.log "$work"/ts-intake.log
