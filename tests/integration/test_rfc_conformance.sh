#!/usr/bin/env bash
# Conformance of zwfw-broker to ZeroMQ RFC 7 (MDP/0.1) and RFC 8 (MMI),
# checked by rfc_conformance.py: raw pyzmq REQ/DEALER clients and DEALER
# workers built from the specifications alone (Debian's python3-zmq, hence
# /usr/bin/python3). The broker runs plain on a free loopback port with a
# short heartbeat so the timing checks stay quick.
#
# Env: ZWFW_BIN_DIR (built binaries). Extra arguments pick checks by name.
# Prints "N passed, M failed" last; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" rfc
. "$here/py_stack.sh" test_rfc_conformance

zs_require_zmq zwfw-broker

zs_rfc_broker broker
zs_run_checks "not ok" rfc_conformance.py "$zs_ep" "${zs_timings[@]}" "$@"

# The broker survived everything above and stops cleanly.
zs_check_broker "$zs_pid" "ok - broker alive after all checks and exits 0 on SIGTERM" \
  "not ok - broker"
pids=()

if [ "$failed" -gt 0 ]; then
  echo "---- broker log (last 40 lines)"
  tail -n 40 "$work/broker.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
