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
# Each identity gets its own plain-mode broker and every daemon registers
# with all seven (py_stack.sh zs_brokers).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure. RPKEEP_LOGS=DIR keeps the logs.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-report
. "$here/py_stack.sh" test_interop_report

zs_setup "zwt_interop_report_$$" zwfw-broker zwfw-intake zwfw-workflow \
  zwfw-rating zwfw-report

# Departments of the sample catalog (deploy/catalog/tongnan-sample.json):
# A is 市场监管局, B is 卫健委.
dept_a=11500152MB17035173
dept_b=11500152MB17028483
# identity name -> "role department key-id"
# shellcheck disable=SC2034 # read by zs_brokers
declare -A ident=(
  [operator]="operator - rp-operator"
  [window]="window - rp-window"
  [portal]="integrator - portal"
  [approver-a]="approver $dept_a rp-approver-a"
  [head-a]="head $dept_a rp-head-a"
  [head-b]="head $dept_b rp-head-b"
  [supervisor]="supervisor - rp-supervisor"
)
zs_brokers ident 1500
zs_stack intake workflow "rating --case-workdays 5" report

# shellcheck disable=SC2086 # RPCLIENT_ARGS: extra options, split on purpose
zs_client report_client.py --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --wait 60 ${RPCLIENT_ARGS:-}

zs_end "${RPKEEP_LOGS:-}" "brokers, intake, workflow, rating and report exited 0" \
  "$work"/intake.log "$work"/workflow.log "$work"/rating.log "$work"/report.log
