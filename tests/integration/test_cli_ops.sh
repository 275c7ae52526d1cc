#!/usr/bin/env bash
# zwfwctl as an operator meets it: exit codes (0 done, 1 failed, 2 bad
# usage), messages on stderr that name what is wrong, and what the CLI says
# when there is no broker, a broker that ignores its key, or a broker with
# no worker for the service. Uses a real zwfw-broker (plain and CURVE) on
# free loopback ports; no database and no worker daemons.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" cli-ops
CTL="$bin/zwfwctl"
[[ -x "$CTL" && -x "$bin/zwfw-broker" ]] || {
    echo "FAIL: $CTL or $bin/zwfw-broker is not built" >&2
    echo "0 passed, 1 failed"
    exit 1
}
# Nothing from a local stack: no keys, no endpoint (ctest sets these too).
export ZWFW_HOME="$work/no-home"
unset ZWFW_KEY ZWFW_SERVER_KEY ZWFW_ENDPOINT ZWFW_DB
FAST=(--timeout 400 --retries 0)

. "$here/../harness/cliexpect.sh"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- usage: exit 2, the wrong thing named, before any network -----------
NOWHERE=tcp://127.0.0.1:$(free_port)
expect_err "no command" 2 "usage: zwfwctl COMMAND" "$CTL"
expect_err "unknown command" 2 "unknown command 'bogus'" "$CTL" bogus
expect_out "--help on stdout" "usage: zwfwctl COMMAND" "$CTL" --help
for c in calendar validate db call status audit keygen catalog clock intake workflow report xregion; do
    expect_out "$c --help on stdout" "usage: zwfwctl $c" "$CTL" "$c" --help
done
expect_out "status --help lists --endpoint" "--endpoint EP" "$CTL" status --help

expect_err "report without arguments" 2 "give a period and a date" "$CTL" report
expect_err "report unknown period" 2 "day, week, month, quarter or year" \
    "$CTL" report fortnight 2020-10-09
expect_err "report without a date" 2 "DATE (YYYY-MM-DD) is required" "$CTL" report month
expect_err "report impossible date" 2 "not a valid date" "$CTL" report day 2021-02-29
expect_err "report unknown option" 2 "unknown option '--bogus'" \
    "$CTL" report day 2020-10-09 --bogus
expect_err "intake unknown verb" 2 "unknown command 'bogus'" "$CTL" intake bogus
expect_err "intake get without receipt" 2 "RECEIPT is required" "$CTL" intake get
expect_err "intake credit without verb" 2 "add, remove or show" "$CTL" intake credit
expect_err "intake unknown option last" 2 "unknown option '--bogus'" \
    "$CTL" intake submit X --name 张三 --id 1 --bogus
expect_err "intake option without value" 2 "--name needs a value" "$CTL" intake submit X --name
expect_err "intake --state not a number" 2 "--state: expected a whole number from 1 to 15" \
    "$CTL" intake list --state abc
expect_err "intake --state out of range" 2 "got '99'" "$CTL" intake list --state 99
expect_err "intake --page-size not a number" 2 "--page-size" "$CTL" intake list --page-size x
expect_err "intake --kind unknown" 2 "expected person or organization" \
    "$CTL" intake submit X --name 张三 --id 1 --kind alien
expect_err "intake submit names --id" 2 "--id NUMBER is required" \
    "$CTL" intake submit X --name 张三
expect_err "intake submit names --name" 2 "--name NAME is required" \
    "$CTL" intake submit X --id 11010519491231002X
expect_err "intake submit needs an item" 2 "give ITEM_CODE or --bundle" \
    "$CTL" intake submit --name 张三 --id 1
expect_err "intake submit unknown channel" 2 "--channel" \
    "$CTL" intake submit X --name 张三 --id 1 --channel fax
expect_err "intake material size" 2 "SIZE must be a byte count" \
    "$CTL" intake submit X --name 张三 --id 1 --material "M01:$(printf '%064d' 0):xyz"
expect_err "intake material digest" 2 "SHA256 64 hex digits" \
    "$CTL" intake submit X --name 张三 --id 1 --material M01:abc:12
expect_err "intake material file missing" 2 "No such file or directory" \
    "$CTL" intake submit X --name 张三 --id 1 --material "M01=$work/missing.pdf" \
    --endpoint "$NOWHERE" "${FAST[@]}"

expect_err "clock without verb" 2 "give show, set or advance" "$CTL" clock
expect_err "clock unknown verb" 2 "clock bogus: unknown command" "$CTL" clock bogus
expect_err "clock advance without amount" 2 "needs --minutes N" "$CTL" clock advance
expect_err "clock advance two amounts" 2 "not several" "$CTL" clock advance --days 1 --hours 2
expect_err "clock show with an amount" 2 "go with advance only" "$CTL" clock show --days 1
expect_err "clock set without time" 2 "TIME is required" "$CTL" clock set
expect_err "clock set bad time names both forms" 2 "'YYYY-MM-DD HH:MM'" "$CTL" clock set garbage
expect_err "clock unknown option last" 2 "unknown option '--bogus'" "$CTL" clock show --bogus
expect_err "clock --workdays 0" 2 "from 1 to 1000" "$CTL" clock advance --workdays 0

expect_err "catalog unknown verb" 2 "unknown command 'bogus'" "$CTL" catalog bogus
expect_err "catalog get without code" 2 "CODE is required" "$CTL" catalog get
expect_err "catalog load without file" 2 "FILE.json" "$CTL" catalog load
expect_err "catalog cancel without reason" 2 "--reason is required" "$CTL" catalog cancel X
expect_err "catalog load missing file" 1 "No such file or directory" \
    "$CTL" catalog load "$work/missing.json" --endpoint "$NOWHERE" "${FAST[@]}"

expect_err "workflow get without receipt" 2 "expected 1 argument, got 0" "$CTL" workflow get
expect_err "workflow unknown option last" 2 "unknown option '--bogus'" \
    "$CTL" workflow get X --bogus
expect_err "workflow validate missing file" 1 "No such file or directory" \
    "$CTL" workflow validate "$work/missing.json" --endpoint "$NOWHERE" "${FAST[@]}"

expect_err "call wrong argument count" 2 "expected SERVICE TYPE JSON|-, got 2 arguments" \
    "$CTL" call zwfw.intake zwfw.v1.HealthRequest
expect_err "status unknown option last" 2 "unknown option '--bogus'" "$CTL" status --bogus
expect_err "bad --timeout" 2 "--timeout" "$CTL" status --timeout abc

# --- no broker: exit 1, saying nothing listens ----------------------
expect_err "status, no broker" 1 "nothing accepts connections at $NOWHERE" \
    "$CTL" status --endpoint "$NOWHERE" "${FAST[@]}"
# said at once as UNAVAILABLE, not after the timeouts as DEADLINE_EXCEEDED
expect_err "status, no broker: UNAVAILABLE" 1 "UNAVAILABLE: no broker at $NOWHERE" \
    "$CTL" status --endpoint "$NOWHERE"
expect_err "clock show, no broker, hint" 1 "deploy/zwfw status" \
    "$CTL" clock show --endpoint "$NOWHERE" "${FAST[@]}"
expect_err "intake list, no broker" 1 "DEADLINE_EXCEEDED" \
    "$CTL" intake list --state 12 --endpoint "$NOWHERE" "${FAST[@]}"

# --- a plain broker with no workers --------------------------------------
PLAIN=tcp://127.0.0.1:$(free_port)
"$bin/zwfw-broker" --endpoint "$PLAIN" --plain-role operator --request-wait-ms 300 \
    --log-level warn 2>"$work/broker-plain.log" &
pids+=($!)
for _ in $(seq 50); do
    "$CTL" status --endpoint "$PLAIN" "${FAST[@]}" >/dev/null 2>&1 && break
    sleep 0.1
done
expect_out "status, plain broker" "zwfw.intake    down  no worker registered" \
    "$CTL" status --endpoint "$PLAIN" "${FAST[@]}"
expect_err "clock show, no worker" 1 "UNAVAILABLE: no worker for service zwfw.clock" \
    "$CTL" clock show --endpoint "$PLAIN" --timeout 3000 --retries 0
expect_err "intake list --state reaches the broker" 1 "no worker for service zwfw.intake" \
    "$CTL" intake list --state 12 --endpoint "$PLAIN" --timeout 3000 --retries 0

# --- a CURVE broker: a registered key, a stranger, a plain client --------
mkdir -p "$work/keys"
for k in broker ops stranger; do
    "$CTL" keygen "$k" --dir "$work/keys" >/dev/null 2>&1 || fail "keygen $k"
done
pub() { sed -nE 's/^\s*public-key\s*=\s*"?([^"]+)"?.*/\1/p' "$work/keys/$1.key"; }
cat >"$work/keys.json" <<JSON
{"keys": [{"name": "ops", "public_key": "$(pub ops)", "role": "operator",
           "region": "500152", "department": ""}]}
JSON
CURVE=tcp://127.0.0.1:$(free_port)
"$bin/zwfw-broker" --endpoint "$CURVE" --curve-secret-key-file "$work/keys/broker.secret" \
    --key-registry-file "$work/keys.json" --log-level warn 2>"$work/broker-curve.log" &
pids+=($!)
OPS=(--endpoint "$CURVE" --key "$work/keys/ops.secret" --server-key "$work/keys/broker.key")
for _ in $(seq 50); do
    "$CTL" status "${OPS[@]}" "${FAST[@]}" >/dev/null 2>&1 && break
    sleep 0.1
done
expect_out "status, registered key" "zwfw.clock     down  no worker registered" \
    "$CTL" status "${OPS[@]}" "${FAST[@]}"
expect_err "status, unregistered key names it" 1 "CURVE with key $work/keys/stranger.secret" \
    "$CTL" status --endpoint "$CURVE" --key "$work/keys/stranger.secret" \
    --server-key "$work/keys/broker.key" "${FAST[@]}"
expect_err "status, plain client says it went plain" 1 "sent plain, without CURVE" \
    "$CTL" status --endpoint "$CURVE" "${FAST[@]}"
expect_err "status, --plain says so" 1 "sent plain (--plain)" \
    "$CTL" status --endpoint "$CURVE" --plain "${FAST[@]}"
expect_err "only one half of a key pair" 1 "CURVE needs both" \
    env ZWFW_KEY="$work/keys/ops.secret" "$CTL" status --endpoint "$CURVE" "${FAST[@]}"
expect_err "public key given as --key" 1 "is this the public .key file?" \
    "$CTL" status --endpoint "$CURVE" --key "$work/keys/ops.key" \
    --server-key "$work/keys/broker.key" "${FAST[@]}"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
