#!/usr/bin/env bash
# Interop with the supervision reports (zwfw.report) as another system
# writes it: report_client.py, a Python client built from docs/protocol.md
# (sections 3, 5, 7, "Submitting an application", "Approval workflow",
# "好差评 ratings" and "Supervision reports"), proto/zwfw/v1/report.proto
# and DOMAIN.md (application states, working days and the 2020 calendar)
# alone (Debian's python3-zmq and python3-protobuf; code generated here by
# `protoc --python_out`), against a real zwfw-broker, zwfw-intake,
# zwfw-workflow, zwfw-rating and zwfw-report on a private PostgreSQL
# database.
#
# The client builds a small known world on simulated dates around the 2020
# National Day holiday (applications of every outcome, 承诺件 moved and left
# overdue by workflow, a bundle, cross-region items, two departments,
# ratings with a closed case and an upheld appeal) and checks every figure
# of PeriodReport for a day, ISO week, month, quarter and year against what
# it did, worked out in the client.
#
# Two findings of this test when it was written (2026-11-28, from the
# documents alone) were fixed in the daemon and the documents: a
# department whose only figures were alarms or overdue_open came back
# without its name, and overdue_open counted every case open now in any
# period; protocol.md now says it counts those received in the period,
# which the client checks in every report.
#
# A plain-mode broker treats every caller as one configured identity
# (protocol.md section 7), so each identity gets its own broker and every
# daemon registers with all seven.
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure. RPKEEP_LOGS=DIR keeps the logs.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-report
. "$here/py_stack.sh" test_interop_report

zs_require zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-report
zs_gen_proto
zs_database "zwt_interop_report_$$"
zs_pii_key

# Departments of the sample catalog (deploy/catalog/tongnan-sample.json):
# A is 市场监管局, B is 卫健委.
dept_a=11500152MB17035173
dept_b=11500152MB17028483
# identity name -> "role department key-id"
declare -A ident=(
  [operator]="operator - rp-operator"
  [window]="window - rp-window"
  [portal]="integrator - portal"
  [approver-a]="approver $dept_a rp-approver-a"
  [head-a]="head $dept_a rp-head-a"
  [head-b]="head $dept_b rp-head-b"
  [supervisor]="supervisor - rp-supervisor"
)
endpoints=()
eps_arg=()
for name in "${!ident[@]}"; do
  read -r role dept key_id <<<"${ident[$name]}"
  [ "$dept" = "-" ] && dept=""
  zs_broker "$name" "$role" "$dept" "$key_id" 1500
  endpoints+=("$zs_ep")
  eps_arg+=(--ep "$name=$zs_ep=$role=$dept")
done
all_eps=$(IFS=,; echo "${endpoints[*]}")
intake_pub=tcp://127.0.0.1:$(zs_free_port)
workflow_pub=tcp://127.0.0.1:$(zs_free_port)

# Every daemon but zwfw-report migrates the same database: one after the
# other (each serves once its migrations are in); zwfw-report never
# migrates, so it starts last.
zs_daemon intake --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 \
  --pub-endpoint "$intake_pub" --workflow-endpoints "$workflow_pub" \
  --broker-endpoint "$all_eps"
zs_wait_service "${endpoints[0]}" zwfw.intake || fail_setup "zwfw.intake did not come up"
zs_daemon workflow --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --heartbeat-ms 250 --threads 4 --pub-endpoint "$workflow_pub" \
  --intake-pub-endpoint "$intake_pub" --sweep-ms 200 --clock-poll-ms 50 \
  --broker-endpoint "$all_eps"
zs_wait_service "${endpoints[0]}" zwfw.workflow || fail_setup "zwfw.workflow did not come up"
zs_daemon rating --db-conninfo "$dbinfo" --broker-endpoint "$all_eps" \
  --clock-mode simulated --migrate true --case-workdays 5 --sweep-ms 200 \
  --clock-poll-ms 50 --heartbeat-ms 250
zs_wait_service "${endpoints[0]}" zwfw.rating || fail_setup "zwfw.rating did not come up"
zs_daemon report --db-conninfo "$dbinfo" --broker-endpoint "$all_eps" \
  --clock-mode simulated --heartbeat-ms 250
zs_wait_service "${endpoints[0]}" zwfw.report || fail_setup "zwfw.report did not come up"

# shellcheck disable=SC2086 # RPCLIENT_ARGS: extra options, split on purpose
zs_client report_client.py --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --wait 60 ${RPCLIENT_ARGS:-}

zs_check_alive
zs_check_stop "brokers, intake, workflow, rating and report exited 0"
if [ -n "${RPKEEP_LOGS:-}" ]; then cp "$work"/*.log "$RPKEEP_LOGS"/ 2>/dev/null; fi
zs_drop_db
zs_finish "$work"/intake.log "$work"/workflow.log "$work"/rating.log "$work"/report.log
