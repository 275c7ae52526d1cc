#!/usr/bin/env bash
# zwfwctl xregion supplement / withdraw (SupplementExchange,
# WithdrawExchange: docs/protocol.md section 4 "Cross-region exchange") as
# a receiving window runs them, on two deployments of xr_stack.sh: Tongnan
# (ts, 500152, the shipped sample catalog) receives, Meishan (ms, 511400,
# xregion_client.py's catalog) decides. A Tongnan window forwards with
# `zwfwctl call`, then supplements and withdraws with `zwfwctl xregion`;
# each outcome is checked on the home side (Meishan's intake and its view
# of the exchange) and in `zwfwctl xregion exchange` on Tongnan. Also the
# commands' usage errors (exit 2), refusals (exit 1), --json, a repeated
# idempotency key, and a supplement of a 多地联办 part Tongnan handles
# itself (a local part).
#
# Env: ZWFW_BIN_DIR, ZWFW_SOURCE_DIR, ZWFW_PG_CONNINFO_FILE. Prints "N
# passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" cli-xregion
. "$here/../harness/cliexpect.sh"
. "$here/py_stack.sh" test_cli_xregion
. "$here/xr_stack.sh"
CTL="$bin/zwfwctl"
export ZWFW_HOME="$work/no-home"
unset ZWFW_KEY ZWFW_SERVER_KEY ZWFW_ENDPOINT ZWFW_DB ZWFW_ACTOR

zs_require zwfw-broker zwfw-intake zwfw-xregion zwfwctl
XID0=XR50015220260302-000001

# --- usage errors: exit 2, nothing sent ----------------------------------
expect_err "supplement without ID" 2 "ID (an exchange id, XR...) is required" \
    "$CTL" xregion supplement
expect_err "supplement: its usage line" 2 "usage: zwfwctl xregion supplement ID --part N" \
    "$CTL" xregion supplement
expect_err "supplement: a bad ID" 2 "ID: an exchange id (XR + division code" \
    "$CTL" xregion supplement 12345 --part 1 --material M01=/etc/hostname
expect_err "supplement without --part" 2 "--part N (the part to supplement, 1-8) is required" \
    "$CTL" xregion supplement "$XID0" --material M01=/etc/hostname
expect_err "supplement --part 0" 2 "--part 0 is for withdraw" \
    "$CTL" xregion supplement "$XID0" --part 0 --material M01=/etc/hostname
expect_err "supplement without --material" 2 "at least one --material is required" \
    "$CTL" xregion supplement "$XID0" --part 1
expect_err "--part out of range" 2 "--part: a part number from 1 to 8" \
    "$CTL" xregion withdraw "$XID0" --part 9
expect_err "--part not a number" 2 "--part: a part number from 1 to 8" \
    "$CTL" xregion withdraw "$XID0" --part one
expect_err "withdraw takes no --material" 2 "--material is not an option of withdraw" \
    "$CTL" xregion withdraw "$XID0" --material M01=/etc/hostname
expect_err "supplement takes no --reason" 2 "--reason is not an option of supplement" \
    "$CTL" xregion supplement "$XID0" --part 1 --material M01=/etc/hostname --reason x
expect_err "exchanges takes no --part" 2 "--part is not an option of exchanges" \
    "$CTL" xregion exchanges --part 1
expect_err "--reason needs a value" 2 "--reason needs a value" "$CTL" xregion withdraw "$XID0" --reason
expect_err "withdraw: an extra argument" 2 "unexpected argument" \
    "$CTL" xregion withdraw "$XID0" 2
expect_err "--material: an unreadable file" 2 "--material: cannot read $work/none" \
    "$CTL" xregion supplement "$XID0" --part 1 --material "M01=$work/none" --plain \
    --endpoint tcp://127.0.0.1:1 --timeout 300 --retries 0
expect_err "--material: a bad SHA-256" 2 "SHA256 64 hex digits" \
    "$CTL" xregion supplement "$XID0" --part 1 --material M01:abc:12 --plain \
    --endpoint tcp://127.0.0.1:1 --timeout 300 --retries 0
expect_err "--material without a code" 2 "expected [ITEM/]CODE=FILE or [ITEM/]CODE:SHA256:SIZE" \
    "$CTL" xregion supplement "$XID0" --part 1 --material =/etc/hostname
expect_out "--help lists supplement and withdraw" "zwfwctl xregion withdraw ID [--part N]" \
    "$CTL" xregion --help
expect_err "an unknown command: the usage, with supplement and withdraw" 2 \
    "zwfwctl xregion withdraw ID" "$CTL" xregion bogus
expect_err "supplement --help is not an option value" 2 "--part needs a value" \
    "$CTL" xregion supplement "$XID0" --part

# --- two deployments -----------------------------------------------------
zs_database "zwt_cli_xregion_$$"
xr_ts_ms

# Meishan's 个体工商户变更登记 (承诺件, 川渝通办; M01, M02 required)
MS_ITEM=$($py -c 'import json, sys
print([i["implCode"] for i in json.load(open(sys.argv[1]))["items"] if i["basicCode"] == "511A0100100000"][0])' \
    "$work/catalog-ms.json")
TS_ITEM=500G0400100000-500152000000-000-11500152MB1701968K-1-00 # 结婚登记, 即办件, 多地联办
for f in m01 m02 m03; do echo "材料 $f $$" >"$work/$f.pdf"; done

# as D's ROLE: zwfwctl ARGS... against D's plain broker of that role
as() { "$CTL" "${@:3}" --plain --endpoint "${xr_ep[$1.$2]}"; }
json() { # FILE PYTHON-EXPRESSION-ON-d
    $py -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
mat() { # CODE FILE [ITEM]: a MaterialRef in JSON
    printf '{"materialCode":"%s","sha256":"%s","size":"%s","uri":"file://%s"%s}' "$1" \
        "$(sha256sum "$2" | cut -d' ' -f1)" "$(stat -c %s "$2")" "$2" "${3:+,\"itemCode\":\"$3\"}"
}
n_person=0
applicant() { # ID number N: a fresh applicant each, so no material is reused from a file
    $py -c 'import sys
sys.path.insert(0, sys.argv[1])
from zwfw_py import gb11643
print(gb11643("51140219850301%03d" % int(sys.argv[2])))' "$here" "$1"
}
# forward NAME MODE PARTS MATERIALS: a Tongnan window's ForwardApplication;
# the exchange id into $work/NAME.xid
forward() {
    local idn
    n_person=$((n_person + 1))
    idn=$(applicant "$n_person")
    as ts window call zwfw.xregion zwfw.v1.ForwardApplication "{
        \"idempotencyKey\": \"fwd-$1\", \"actor\": \"潼南窗口:李四\", \"mode\": \"$2\",
        \"channel\": \"CHANNEL_WINDOW\", \"windowId\": \"TN-W07\", \"parts\": [$3],
        \"applicant\": {\"kind\": \"APPLICANT_KIND_PERSON\", \"identity\": {\"name\": \"申请人$1\",
            \"idType\": \"ID_TYPE_RESIDENT_ID\", \"idNumber\": \"$idn\"}},
        \"materials\": [$4], \"identityChecked\": true}" >"$work/$1.json" ||
        { cat "$work/$1.json"; return 1; }
    json "$work/$1.json" 'd["exchange"]["exchangeId"]' >"$work/$1.xid"
}
# wait_part XID PART STAGE STATE [TEXT]: Tongnan's `xregion exchange` shows
# part PART at STAGE, state STATE (and TEXT); its output in $work/ex.out
wait_part() {
    local i
    for i in $(seq 100); do
        as ts operator xregion exchange "$1" >"$work/ex.out" 2>&1 &&
            $py - "$work/ex.out" "$2" "$3" "$4" "${5:-}" <<'PY' && return 0
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"^part %s .*?(?=^part |^history|\Z)" % sys.argv[2], text, re.S | re.M)
ok = m and re.search(r"^  stage +%s$" % sys.argv[3], m.group(0), re.M) \
    and re.search(r"^  state +%s " % sys.argv[4], m.group(0), re.M) and sys.argv[5] in m.group(0)
sys.exit(0 if ok else 1)
PY
        sleep 0.2
    done
    cat "$work/ex.out"
    return 1
}
# home_app RECEIPT: Meishan's (or Tongnan's) application as JSON in $work/app.json
home_app() {
    as "$1" window call zwfw.intake zwfw.v1.GetApplication "{\"receiptNumber\": \"$2\"}" \
        >"$work/app.json" || { cat "$work/app.json"; return 1; }
}
receipt_of() { # PART: its receipt in $work/ex.out
    $py - "$work/ex.out" "$1" <<'PY'
import re, sys
m = re.search(r"^part %s .*?(?=^part |^history|\Z)" % sys.argv[2], open(sys.argv[1]).read(),
              re.S | re.M)
r = m and re.search(r"^  receipt +(\S+)$", m.group(0), re.M)
print(r.group(1) if r else "")
PY
}

# --- supplement ------------------------------------------------------------
check "a Tongnan window forwards 异地代收代办 to Meishan without M02 (zwfwctl call)" \
    forward s CROSS_MODE_PROXY "{\"region\":\"511400\",\"itemCode\":\"$MS_ITEM\"}" \
    "$(mat M01 "$work/m01.pdf")"
XS=$(cat "$work/s.xid" 2>/dev/null)
check "Meishan's one-time notice comes back: part 1 submitted, state 1, missing M02" \
    wait_part "$XS" 1 submitted 1 "missing    M02"
R1=$(receipt_of 1)

supplement() {
    as ts window xregion supplement "$XS" --part 1 --material "M02=$work/m02.pdf" \
        --actor 潼南窗口:李四 --idempotency-key supp-1 >"$work/supp.out" 2>&1 ||
        { cat "$work/supp.out"; return 1; }
    grep -q "^supplement of part 1 (511400) sent: 1 sent, 0 answered so far$" "$work/supp.out" &&
        grep -q "^exchange *$XS  (outbound" "$work/supp.out" &&
        grep -q "supplement sent$" "$work/supp.out" || { cat "$work/supp.out"; return 1; }
}
check "zwfwctl xregion supplement ID --part 1 --material M02=FILE: sent (1 sent)" supplement
check "Tongnan's view: the home application accepted (3), actions 1 sent, 1 answered" \
    wait_part "$XS" 1 submitted 3 "actions    1 sent, 1 answered"
home_supplemented() {
    home_app ms "$R1" || return 1
    [[ $(json "$work/app.json" 'd["application"]["state"]') == APPLICATION_STATE_ACCEPTED ]] &&
        [[ $(json "$work/app.json" '[m["sha256"] for m in d["application"]["materials"] if m["materialCode"] == "M02"]') == "['$(sha256sum "$work/m02.pdf" | cut -d' ' -f1)']" ]] &&
        [[ $(json "$work/app.json" 'd["application"]["history"][-1]["actor"]') == "xregion:500152:潼南窗口:李四" ]] ||
        { cat "$work/app.json"; return 1; }
    as ms operator xregion exchange "$XS" >"$work/ms-ex.out" 2>&1 &&
        grep -q "^exchange *$XS  (inbound" "$work/ms-ex.out" &&
        grep -q "^  state *3 " "$work/ms-ex.out" || { cat "$work/ms-ex.out"; return 1; }
}
check "home side: Meishan's application accepted with FILE's SHA-256 as M02, by the window's actor" \
    home_supplemented

again() {
    as ts window xregion supplement "$XS" --part 1 --material "M02=$work/m02.pdf" \
        --actor 潼南窗口:李四 --idempotency-key supp-1 >"$work/again.out" 2>&1 ||
        { cat "$work/again.out"; return 1; }
    grep -q "^supplement of part 1 (511400) sent before (a repeated request): 1 sent" \
        "$work/again.out" || { cat "$work/again.out"; return 1; }
}
check "the same --idempotency-key again: the first answer, nothing sent twice" again

refused_json() {
    as ts window xregion supplement "$XS" --part 1 --json \
        --material "Z99:$(printf 'ab%.0s' {1..32}):100" >"$work/supp2.json" 2>&1 ||
        { cat "$work/supp2.json"; return 1; }
    [[ $(json "$work/supp2.json" '(d["exchange"]["exchangeId"], d["exchange"]["parts"][0]["actionsSent"])') == "('$XS', 2)" ]] ||
        { cat "$work/supp2.json"; return 1; }
    wait_part "$XS" 1 submitted 3 "actions    2 sent, 2 answered" || return 1
    grep -q "^  refused    INVALID_ARGUMENT: .*Z99" "$work/ex.out" || { cat "$work/ex.out"; return 1; }
}
check "supplement --json of a material Meishan's item does not list: the refusal shows on the part" \
    refused_json

# --- withdraw --------------------------------------------------------------
check "a second exchange to Meishan without M02" \
    forward w CROSS_MODE_PROXY "{\"region\":\"511400\",\"itemCode\":\"$MS_ITEM\"}" \
    "$(mat M01 "$work/m01.pdf")"
XW=$(cat "$work/w.xid" 2>/dev/null)
check "its part submitted at home, state 1" wait_part "$XW" 1 submitted 1
R2=$(receipt_of 1)
withdraw() {
    as ts window xregion withdraw "$XW" --reason 申请人不再办理 >"$work/wd.out" 2>&1 ||
        { cat "$work/wd.out"; return 1; }
    grep -q "^withdrawal of part 1 (511400) sent: 1 sent" "$work/wd.out" ||
        { cat "$work/wd.out"; return 1; }
}
check "zwfwctl xregion withdraw ID --reason R (every open part)" withdraw
check "Tongnan's view: the part closed, 2 已撤件, exchange done" wait_part "$XW" 1 closed 2
home_withdrawn() {
    grep -q "^done *yes" "$work/ex.out" || { cat "$work/ex.out"; return 1; }
    home_app ms "$R2" || return 1
    [[ $(json "$work/app.json" 'd["application"]["state"]') == APPLICATION_STATE_WITHDRAWN_UNACCEPTED ]] ||
        { cat "$work/app.json"; return 1; }
}
check "home side: Meishan's application withdrawn before acceptance (2)" home_withdrawn

# --- refusals: exit 1 with CODE: message -----------------------------------
TS_WINDOW=(--plain --endpoint "${xr_ep[ts.window]}")
expect_err "withdraw of a closed part: FAILED_PRECONDITION" 1 "FAILED_PRECONDITION" \
    "$CTL" xregion withdraw "$XW" --part 1 "${TS_WINDOW[@]}"
expect_err "an exchange never forwarded: NOT_FOUND" 1 "NOT_FOUND" \
    "$CTL" xregion withdraw XR50015220200101-999999 "${TS_WINDOW[@]}"
expect_err "an operator may not supplement: PERMISSION_DENIED" 1 "PERMISSION_DENIED" \
    "$CTL" xregion supplement "$XS" --part 1 --material "M02=$work/m02.pdf" --plain \
    --endpoint "${xr_ep[ts.operator]}"
expect_err "a part the exchange does not have: NOT_FOUND" 1 "NOT_FOUND" \
    "$CTL" xregion supplement "$XS" --part 5 --material "M02=$work/m02.pdf" "${TS_WINDOW[@]}"

# --- a local part of a 多地联办 exchange --------------------------------------
check "a 多地联办 exchange: Meishan's item and Tongnan's own 结婚登记 without M03" \
    forward j CROSS_MODE_JOINT \
    "{\"region\":\"511400\",\"itemCode\":\"$MS_ITEM\"},{\"region\":\"500152\",\"itemCode\":\"$TS_ITEM\"}" \
    "$(mat M01 "$work/m01.pdf"),$(mat M02 "$work/m02.pdf")"
XJ=$(cat "$work/j.xid" 2>/dev/null)
check "the local part submitted to Tongnan's own intake: state 1, missing M03" \
    wait_part "$XJ" 2 submitted 1 "missing    M03"
R3=$(receipt_of 2)
check "xregion exchange names it local" grep -q "^part 2 *500152 .*(local: this deployment decides)" \
    "$work/ex.out"
local_supplement() {
    as ts window xregion supplement "$XJ" --part 2 --material "$TS_ITEM/M03=$work/m03.pdf" \
        >"$work/lsupp.out" 2>&1 || { cat "$work/lsupp.out"; return 1; }
    grep -q "^supplement of part 2 (500152) sent: 1 sent" "$work/lsupp.out" ||
        { cat "$work/lsupp.out"; return 1; }
    wait_part "$XJ" 2 closed 11 "actions    1 sent, 1 answered" || return 1
    home_app ts "$R3" || return 1
    [[ $(json "$work/app.json" 'd["application"]["state"]') == APPLICATION_STATE_APPROVED ]] ||
        { cat "$work/app.json"; return 1; }
}
check "supplement of the local part: Tongnan's intake finishes the 即办件 (11), the part closed" \
    local_supplement

xr_end "brokers, intake and xregion of both deployments exited 0"
