#!/usr/bin/env bash
# Interop with the 好差评 service (zwfw.rating) as another government system
# writes it: rating_client.py, a Python client built from docs/protocol.md
# (sections 3, 5, 7 and "好差评 ratings"), proto/zwfw/v1/rating.proto and
# DOMAIN.md ("好差评 ratings", "Working days") alone (Debian's python3-zmq
# and python3-protobuf; code generated here by `protoc --python_out`),
# against a real zwfw-broker, zwfw-intake and zwfw-rating on a private
# PostgreSQL database.
#
# A plain-mode broker treats every caller as one configured identity
# (protocol.md section 7), so each identity gets its own broker and both
# daemons register with all eight (the most a worker takes): two
# integrators (the portal and the SMS platform), a window, the market
# department's approver and head, the health department's head, a
# supervisor and an operator. Business time is simulated, so due dates do
# not depend on the day the test runs; zwfw-rating counts cases with
# case_workdays 5.
#
# Found by this test on early builds of zwfw-rating (2026-11-28) and fixed
# since; the checks stay:
#   3.6e, 10x.*  a string with a NUL byte was cut at the NUL and stored
#       (reason "很好\0隐藏" kept as "很好"; likewise staff_id, callback note,
#       follow-up text, appeal reason, decision note, resolution) instead of
#       being refused (now INVALID_ARGUMENT naming the field, for every
#       service: common/mdp_reply.c).
#   5e  of 8 concurrent copies of one SubmitRating (same key, same bytes),
#       one to three were answered ALREADY_EXISTS receipt_number instead of
#       the first reply (protocol.md 5). Timing-dependent: 4 rounds of 8
#       made it show on nearly every run.
#   5f  (added with the fix) 8 concurrent copies of one RecordCallback,
#       AddFollowUp or CloseCase must also give one effect and one reply;
#       before the fix copies recorded a second callback or were answered
#       ALREADY_EXISTS idempotency_key.
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE (the ctest "pg"
# fixture; without it a private cluster is started here). Prints "N passed,
# M failed"; exits non-zero on any failure. RTKEEP_LOGS=DIR keeps the logs.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" interop-rating
. "$here/py_stack.sh" test_interop_rating

zs_setup "zwt_interop_rating_$$" zwfw-broker zwfw-intake zwfw-rating

# Departments of the sample catalog (deploy/catalog/tongnan-sample.json).
market=11500152MB17035173   # 市场监管局
health=11500152MB17028483   # 卫健委
# identity name -> "role department key-id"
# shellcheck disable=SC2034 # read by zs_brokers
declare -A ident=(
  [operator]="operator - py-operator"
  [portal]="integrator - portal"
  [sms]="integrator - sms-platform"
  [window]="window - py-window"
  [supervisor]="supervisor - py-supervisor"
  [approver-market]="approver $market py-approver-market"
  [head-market]="head $market py-head-market"
  [head-health]="head $health py-head-health"
)
zs_brokers --ep-key-id ident 1500

# case_workdays is 5-15 (protocol.md "好差评 ratings"): a deployment set
# outside it must not start counting with it.
for n in 4 16; do
  timeout 15 "$bin/zwfw-rating" --db-conninfo "$dbinfo" --broker-endpoint "${endpoints[0]}" \
    --clock-mode simulated --migrate false --case-workdays "$n" >"$work/cw$n.out" 2>&1
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 124 ] && ! grep -q Sanitizer "$work/cw$n.out"; then
    zs_pass "zwfw-rating --case-workdays $n refuses to start (exit $rc)"
  else
    zs_fail "zwfw-rating --case-workdays $n: exit $rc (124: still running after 15 s): $(tail -n 3 "$work/cw$n.out")"
  fi
done
rating_pub=tcp://127.0.0.1:$(zs_free_port)
zs_stack intake \
  "rating --case-workdays 5 --pub-endpoint $rating_pub --log-level info"

# shellcheck disable=SC2086 # RTCLIENT_ARGS: extra options, split on purpose
zs_client rating_client.py --gen "$work/gen" "${eps_arg[@]}" \
  --sample "$src/deploy/catalog/tongnan-sample.json" --db "$dbinfo" \
  --wait 60 ${RTCLIENT_ARGS:-}

zs_end "${RTKEEP_LOGS:-}" "brokers, intake and rating exited 0" \
  "$work"/intake.log "$work"/rating.log
