#!/usr/bin/env bash
# 多地联办 with a local 承诺件 decided by this deployment's zwfw-workflow
# (docs/protocol.md section 4 "Cross-region exchange", "A part handled
# here", and "Approval workflow"): a joint exchange received in Tongnan
# (ts, 500152, the shipped sample catalog) with one part for Meishan (ms,
# 511400, a 即办件 of xregion_client.py's catalog, finished at its counter)
# and one part naming Tongnan itself whose item, 户口迁移, is a 承诺件 of
# Tongnan's public security bureau. The local intake accepts it, Tongnan's
# zwfw-workflow (the shipped promised-default definition) is driven by
# that bureau's approver and head to 办结(通过) (then 撤销) and 办结(不通过)
# (with a 补正 on the way, carried by SupplementExchange, during which
# Tongnan's clock moves one working day), and a withdrawal after
# acceptance goes on to workflow; zwfw-xregion must follow each state the
# local intake takes over from workflow and close the part and the
# exchange. xregion_local_workflow.py runs the checks; xr_stack.sh starts
# the two deployments, Tongnan with zwfw-workflow (XR_WORKFLOW).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE. Prints "N
# passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" xregion-local-workflow
. "$here/py_stack.sh" test_xregion_local_workflow
. "$here/xr_stack.sh"

# 重庆市潼南区公安局, the department of the local item (户口迁移)
police=11500152MB1700340F
XR_WORKFLOW="ts=$police"
xr_setup "zwt_xregion_lwf_$$" zwfw-workflow
xr_ts_ms

args=(--gen "$work/gen" --wait 60 --dept "$police" --ts-db "${xr_db[ts]}")
for d in ts ms; do
  for role in ${xr_dep_roles[$d]}; do
    args+=(--ep "$d.$role=${xr_ep[$d.$role]}")
  done
done
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" zs_client xregion_local_workflow.py "${args[@]}"

xr_end "brokers, intake, workflow and xregion of both deployments exited 0"
