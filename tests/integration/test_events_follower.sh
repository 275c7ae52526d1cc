#!/usr/bin/env bash
# Following zwfw's events from another government system, outside-in:
# events_follower.py (Python, from docs/events.md, docs/protocol.md and the
# .proto schemas alone; Debian's python3-zmq and python3-protobuf, code
# generated here by `protoc --python_out`) subscribes to zwfw-intake's and
# zwfw-workflow's PUB endpoints and catches up through intake's ListChanges
# as the documents prescribe, while ~300 submissions from several integrator
# clients run, zwfw-intake (which holds the event relay) is SIGKILLed and
# restarted 4 times and the follower itself once. Then its copy of the
# intake stream is checked: contiguous, each seq once, every acknowledged
# application's events once, payloads as documented, no personal data.
#
#   events_follower.py run ----> broker "operator"   (plain, operator)   \
#     (load: 6 integrators) ---> broker "integrator" (plain, integrator)  > intake, workflow
#   events_follower.py follow -> broker "supervisor" (plain, supervisor) /
#                          \---> SUB intake PUB, workflow PUB
#
# The first zwfw-intake is started here; the scenario kills it and starts
# (and at the end stops) the next ones with the same arguments, written
# NUL-separated to $work/intake.args.
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here); EVF_SUBMISSIONS,
# EVF_KEEP_LOGS (a folder to copy the logs and the follower's store into).
# Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" events-follower
. "$here/py_stack.sh" test_events_follower

zs_setup "zwt_events_follower_$$" zwfw-broker zwfw-intake zwfw-workflow

# identity name -> "role department"
# shellcheck disable=SC2034 # read by zs_brokers
declare -A ident=([operator]="operator -" [integrator]="integrator -"
  [supervisor]="supervisor -")
zs_brokers ident 2000 evf

intake_pub=tcp://127.0.0.1:$(zs_free_port)
workflow_pub=tcp://127.0.0.1:$(zs_free_port)
common=(--db-conninfo "$dbinfo" --broker-endpoint "$all_eps" --clock-mode simulated
  --heartbeat-ms 250)
intake_argv=("$bin/zwfw-intake" "${common[@]}" --migrate true --pii-key-file "$work/pii.key"
  --threads 4 --pub-endpoint "$intake_pub" --workflow-endpoints "$workflow_pub")
printf '%s\0' "${intake_argv[@]}" >"$work/intake.args"

"${intake_argv[@]}" 2>"$work/intake.log" &
intake_pid=$!
pids+=("$intake_pid")
zs_wait_service "${endpoints[0]}" zwfw.intake || fail_setup "zwfw.intake did not come up"
zs_daemon workflow "${common[@]}" --migrate true --threads 4 --pub-endpoint "$workflow_pub" \
  --intake-pub-endpoint "$intake_pub" --sweep-ms 200 --clock-poll-ms 50
zs_wait_service "${endpoints[0]}" zwfw.workflow || fail_setup "zwfw.workflow did not come up"

zs_client events_follower.py run --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --wait 60 --timeout-ms 3000 \
  --intake-pid "$intake_pid" --intake-args "$work/intake.args" \
  --intake-pub "$intake_pub" --workflow-pub "$workflow_pub" --work "$work" \
  --submissions "${EVF_SUBMISSIONS:-300}"

# The first zwfw-intake died of the scenario's SIGKILL (the ones after it
# were the client's children, stopped by it): reap it and leave the rest to
# the usual end checks.
rest=()
for pid in "${pids[@]}"; do [ "$pid" = "$intake_pid" ] || rest+=("$pid"); done
pids=("${rest[@]}")
# (bash may have reaped it already: then kill -0 fails and wait still
# gives its status)
if kill -0 "$intake_pid" 2>/dev/null &&
  [ "$(sed -E 's/.*\) (.).*/\1/' "/proc/$intake_pid/stat" 2>/dev/null)" != Z ]; then
  kill -KILL "$intake_pid" 2>/dev/null # the scenario stopped before its first kill
  wait "$intake_pid" 2>/dev/null
  zs_fail "the scenario never killed the first zwfw-intake"
else
  st=0
  wait "$intake_pid" 2>/dev/null || st=$?
  if [ "$st" -eq 137 ]; then
    zs_pass "the first zwfw-intake ended by the scenario's SIGKILL"
  else
    zs_fail "the first zwfw-intake ended with status $st, not the scenario's SIGKILL (137)"
  fi
fi

if [ -n "${EVF_KEEP_LOGS:-}" ]; then cp "$work"/follower.db* "$EVF_KEEP_LOGS"/ 2>/dev/null; fi
zs_end "${EVF_KEEP_LOGS:-}" "brokers and workflow exited 0"
