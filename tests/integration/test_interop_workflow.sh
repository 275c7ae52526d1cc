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

zs_setup "zwt_interop_workflow_$$" zwfw-broker zwfw-intake zwfw-workflow

# Departments of the sample catalog (deploy/catalog/tongnan-sample.json).
market=11500152MB17035173   # 市场监管局
health=11500152MB17028483   # 卫健委
# identity name -> "role department"
# shellcheck disable=SC2034 # read by zs_brokers
declare -A ident=(
  [operator]="operator -" [window]="window -" [integrator]="integrator -"
  [supervisor]="supervisor -"
  [approver-market]="approver $market" [head-market]="head $market"
  [approver-health]="approver $health" [head-health]="head $health"
)
zs_brokers ident 1500 py
zs_stack intake workflow

# shellcheck disable=SC2086 # WFCLIENT_ARGS: extra options, split on purpose
zs_client workflow_client.py --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --calendar "$src/deploy/calendar/cn.json" \
  --wait 60 ${WFCLIENT_ARGS:-}

zs_check_stop "brokers, intake and workflow exited 0"
if [ -n "${WFKEEP_LOGS:-}" ]; then cp "$work"/*.log "$WFKEEP_LOGS"/ 2>/dev/null; fi
zs_drop_db
zs_finish "$work"/intake.log "$work"/workflow.log
