#!/usr/bin/env bash
# 多地联办 with a local part (docs/protocol.md section 4 "Cross-region
# exchange"; docs/decisions.md "A local part of a 多地联办 exchange"): a
# joint exchange received in Tongnan (ts, 500152, the shipped sample
# catalog) with one part for Meishan (ms, 511400, xregion_client.py's
# catalog) and one part naming Tongnan itself. The local part is submitted
# to Tongnan's own zwfw-intake as zwfw-xregion submits a partner's part at
# home (system submission, key xr-<xid>-<part>, window xregion-500152, the
# same scope checks), never over the link; it moves on with the local
# intake's events, and SupplementExchange / WithdrawExchange reach it the
# same way. xregion_local.py runs the checks; xr_stack.sh starts the two
# deployments.
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE. Prints "N
# passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" xregion-local
. "$here/py_stack.sh" test_xregion_local
. "$here/xr_stack.sh"

xr_setup "zwt_xregion_local_$$"
xr_ts_ms

args=(--gen "$work/gen" --wait 60)
for d in ts ms; do
  for role in "${xr_roles[@]}"; do
    args+=(--ep "$d.$role=${xr_ep[$d.$role]}")
  done
done
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" zs_client xregion_local.py "${args[@]}"

xr_end "brokers, intake and xregion of both deployments exited 0"
