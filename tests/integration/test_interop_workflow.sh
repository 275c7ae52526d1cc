#!/usr/bin/env bash
# Interop with the approval workflow as another government system writes
# it: workflow_client.py, a Python client built from docs/protocol.md,
# docs/events.md, the .proto schemas, DOMAIN.md and DESIGN.md alone
# (Debian's python3-zmq and python3-protobuf; code generated here by
# `protoc --python_out`), against a real zwfw-broker, zwfw-intake and
# zwfw-workflow on a private PostgreSQL database.
#
# A plain-mode broker treats every caller as one configured identity
# (protocol.md section 7), so each identity (role + department) gets its
# own broker and both daemons register with all of them. Business time is
# simulated so that due dates do not depend on the day the test runs.
#
# Checks named "[BUG] ..." assert what the documents promise and failed when
# this test was written (2026-11-28, audit from the documents alone):
#   1g  ValidateDefinition/PutDefinition accept a definition whose promised
#       limit is longer than its statutory one (DOMAIN.md: never longer;
#       StartProcess does refuse it, detail promised_limit).
#   3b-2 Act with an unknown instance_id: NOT_FOUND with details["detail"]
#       "instance", not the request field "instance_id" (protocol.md 3).
#   3b-4 Act with the receipt of one case and the instance_id of another
#       acts on the instance_id's case, silently.
#   3c-1 Act without idempotency_key is carried out (protocol.md 5: every
#       mutating request carries one; intake refuses it).
#   3c-7/8 Act material references with sha256 "not-a-hash" or size -5
#       are stored (intake refuses the same: "must be 64 lower-case hex").
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-workflow
. "$here/py_stack.sh" test_interop_workflow

zs_require zwfw-broker zwfw-intake zwfw-workflow
zs_gen_proto
zs_database "zwt_interop_workflow_$$"
zs_pii_key

# Departments of the sample catalog (deploy/catalog/tongnan-sample.json).
market=11500152MB17035173   # 市场监管局
health=11500152MB17028483   # 卫健委
# identity name -> "role department"
declare -A ident=(
  [operator]="operator -" [window]="window -" [integrator]="integrator -"
  [supervisor]="supervisor -"
  [approver-market]="approver $market" [head-market]="head $market"
  [approver-health]="approver $health" [head-health]="head $health"
)
endpoints=()
eps_arg=()
for name in "${!ident[@]}"; do
  read -r role dept <<<"${ident[$name]}"
  [ "$dept" = "-" ] && dept=""
  zs_broker "$name" "$role" "$dept" "py-$name" 1500
  endpoints+=("$zs_ep")
  eps_arg+=(--ep "$name=$zs_ep=$role=$dept")
done
all_eps=$(IFS=,; echo "${endpoints[*]}")
intake_pub=tcp://127.0.0.1:$(zs_free_port)
workflow_pub=tcp://127.0.0.1:$(zs_free_port)

zs_daemon intake --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 \
  --pub-endpoint "$intake_pub" --workflow-endpoints "$workflow_pub" \
  --broker-endpoint "$all_eps"
# Both daemons migrate the same database: let intake finish first (it
# serves once its migrations are in).
zs_wait_service "${endpoints[0]}" zwfw.intake || fail_setup "zwfw.intake did not come up"
zs_daemon workflow --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --heartbeat-ms 250 --threads 4 --pub-endpoint "$workflow_pub" \
  --intake-pub-endpoint "$intake_pub" --sweep-ms 200 --clock-poll-ms 50 \
  --broker-endpoint "$all_eps"

# shellcheck disable=SC2086 # WFCLIENT_ARGS: extra options, split on purpose
zs_client workflow_client.py --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --calendar "$src/deploy/calendar/cn.json" \
  --wait 60 ${WFCLIENT_ARGS:-}

zs_check_stop "brokers, intake and workflow exited 0"
if [ -n "${WFKEEP_LOGS:-}" ]; then cp "$work"/*.log "$WFKEEP_LOGS"/ 2>/dev/null; fi
zs_drop_db
zs_finish "$work"/intake.log "$work"/workflow.log
