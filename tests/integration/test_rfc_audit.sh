#!/usr/bin/env bash
# RFC 7 (MDP/0.1) / RFC 8 (MMI) audit of zwfw-broker: the observable rules
# test_rfc_conformance.sh does not reach (rfc_audit.py says which). Two
# plain brokers on free loopback ports: one with short timings for speed,
# one started with no timing option, for the defaults stock peers assume.
#
# Env: ZWFW_BIN_DIR (built binaries). Extra arguments pick checks by name.
# Prints "N passed, M failed" last; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" rfcaudit
. "$here/py_stack.sh" test_rfc_audit

zs_require_zmq zwfw-broker

zs_rfc_broker fast
fast_ep=$zs_ep fast_pid=$zs_pid
zs_start_broker default
default_ep=$zs_ep default_pid=$zs_pid

zs_run_checks FAIL rfc_audit.py "$fast_ep" "${zs_timings[@]}" "$default_ep" "$@"

# Both brokers survived the checks and stop cleanly.
zs_check_broker "$fast_pid" "PASS - fast broker alive after the checks, exits 0 on SIGTERM" \
  "FAIL - fast broker"
zs_check_broker "$default_pid" \
  "PASS - default broker alive after the checks, exits 0 on SIGTERM" "FAIL - default broker"
pids=()

if [ "$failed" -gt 0 ]; then
  for name in fast default; do
    echo "---- $name broker log (last 30 lines)"
    tail -n 30 "$work/$name.log"
  done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
