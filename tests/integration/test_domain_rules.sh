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
# Each identity gets its own plain-mode broker and every daemon registers
# with all seven (py_stack.sh zs_brokers).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure. DRKEEP_LOGS=DIR keeps the logs;
# DRCLIENT_ARGS adds client options.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" domain-rules
. "$here/py_stack.sh" test_domain_rules

zs_setup "zwt_domain_rules_$$" zwfw-broker zwfw-intake zwfw-workflow \
  zwfw-rating zwfw-report

market=11500152MB17035173        # 市场监管局 (sample catalog)
construction=11500152MB1701474U  # 住建委: lead of parallel-engineering
# shellcheck disable=SC2034 # read by zs_brokers
declare -A ident=(
  [operator]="operator -" [window]="window -" [portal]="integrator -"
  [supervisor]="supervisor -"
  [approver-market]="approver $market" [head-market]="head $market"
  [head-construction]="head $construction"
)
zs_brokers ident 3000 dr
zs_stack "intake --sweep-ms 100" workflow "rating --case-workdays 15" report

# shellcheck disable=SC2086 # DRCLIENT_ARGS: extra options, split on purpose
zs_client domain_rules_client.py --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --wait 60 ${DRCLIENT_ARGS:-}

zs_end "${DRKEEP_LOGS:-}" "brokers, intake, workflow, rating and report exited 0" \
  "$work"/intake.log "$work"/workflow.log "$work"/rating.log "$work"/report.log
