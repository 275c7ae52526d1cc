#!/usr/bin/env bash
# Outside-in audit of DOMAIN.md's rules across the services:
# domain_rules_client.py (Python, written from DOMAIN.md, docs/protocol.md,
# docs/events.md and the .proto schemas alone) drives a real zwfw-broker,
# zwfw-intake, zwfw-workflow, zwfw-rating and zwfw-report on a private
# PostgreSQL database, on a simulated clock moved from 2020-01-02 to
# 2026-12-21. It checks the working-day calendar of all four years day by
# day, due times across every kind of holiday, DOMAIN.md's 32.5-hour pause
# example as a 补正 through intake, the statutory 20 (+10) and joint 45
# (+15) limits, dates outside the loaded years, and the 好差评 rules with
# case_workdays 15 (the top of the configurable 5-15).
#
# A plain-mode broker treats every caller as one identity (protocol.md
# section 7), so each identity gets its own broker and every daemon
# registers with all seven.
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure. DRKEEP_LOGS=DIR keeps the logs;
# DRCLIENT_ARGS adds client options.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" domain-rules
. "$here/py_stack.sh" test_domain_rules

zs_require zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-report
zs_gen_proto
zs_database "zwt_domain_rules_$$"
zs_pii_key

market=11500152MB17035173        # 市场监管局 (sample catalog)
construction=11500152MB1701474U  # 住建委: lead of parallel-engineering
declare -A ident=(
  [operator]="operator -" [window]="window -" [portal]="integrator -"
  [supervisor]="supervisor -"
  [approver-market]="approver $market" [head-market]="head $market"
  [head-construction]="head $construction"
)
endpoints=()
eps_arg=()
for name in "${!ident[@]}"; do
  read -r role dept <<<"${ident[$name]}"
  [ "$dept" = "-" ] && dept=""
  zs_broker "$name" "$role" "$dept" "dr-$name" 3000
  endpoints+=("$zs_ep")
  eps_arg+=(--ep "$name=$zs_ep=$role=$dept")
done
all_eps=$(IFS=,; echo "${endpoints[*]}")
intake_pub=tcp://127.0.0.1:$(zs_free_port)
workflow_pub=tcp://127.0.0.1:$(zs_free_port)

zs_daemon intake --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --pii-key-file "$work/pii.key" --heartbeat-ms 250 --threads 4 --sweep-ms 100 \
  --pub-endpoint "$intake_pub" --workflow-endpoints "$workflow_pub" \
  --broker-endpoint "$all_eps"
# The daemons migrate the same database: one after the other.
zs_wait_service "${endpoints[0]}" zwfw.intake || fail_setup "zwfw.intake did not come up"
zs_daemon workflow --db-conninfo "$dbinfo" --migrate true --clock-mode simulated \
  --heartbeat-ms 250 --threads 4 --pub-endpoint "$workflow_pub" \
  --intake-pub-endpoint "$intake_pub" --sweep-ms 200 --clock-poll-ms 50 \
  --broker-endpoint "$all_eps"
zs_wait_service "${endpoints[0]}" zwfw.workflow || fail_setup "zwfw.workflow did not come up"
zs_daemon rating --db-conninfo "$dbinfo" --broker-endpoint "$all_eps" \
  --clock-mode simulated --migrate true --case-workdays 15 --sweep-ms 200 \
  --clock-poll-ms 50 --heartbeat-ms 250
zs_wait_service "${endpoints[0]}" zwfw.rating || fail_setup "zwfw.rating did not come up"
zs_daemon report --db-conninfo "$dbinfo" --broker-endpoint "$all_eps" \
  --clock-mode simulated --heartbeat-ms 250
zs_wait_service "${endpoints[0]}" zwfw.report || fail_setup "zwfw.report did not come up"

# shellcheck disable=SC2086 # DRCLIENT_ARGS: extra options, split on purpose
zs_client domain_rules_client.py --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --wait 60 ${DRCLIENT_ARGS:-}

zs_check_alive
zs_check_stop "brokers, intake, workflow, rating and report exited 0"
if [ -n "${DRKEEP_LOGS:-}" ]; then cp "$work"/*.log "$DRKEEP_LOGS"/ 2>/dev/null; fi
zs_drop_db
zs_finish "$work"/intake.log "$work"/workflow.log "$work"/rating.log "$work"/report.log
