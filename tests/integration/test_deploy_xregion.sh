#!/usr/bin/env bash
# deploy/zwfw with zwfw-xregion, as two partner cities on one machine: two
# local stacks, each `up` on a fresh private home and private ports (its
# own PostgreSQL; as root that runs as `postgres`), the first Tongnan (the
# default region, 500152), the second Meishan (ZWFW_REGION=511400). `up`
# configures and starts zwfw-xregion like the other daemons and makes the
# link key; the operators of both link them with `zwfwctl xregion
# partner-put`, each registering the other's `zwfwctl xregion link-key`,
# and `zwfwctl xregion partners` shows the link up. A window of Meishan
# forwards an application (全程网办) for an item of Tongnan's catalog, and
# Tongnan's intake accepts it: `zwfwctl xregion exchange` on the Meishan
# side shows Tongnan's receipt, and Tongnan's own intake holds that
# application. `restart` keeps the link key and the link; `down` stops
# both. Also zwfwctl xregion's usage errors (exit 2). Runs the binaries of
# this build (ZWFW_NO_BUILD=1): no package set-up, no build.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" deploy-xregion
. "$here/../harness/cliexpect.sh"
src=${ZWFW_SOURCE_DIR:-$here/../..}
DEPLOY="$src/deploy/zwfw"
CTL="$bin/zwfwctl"
for b in zwfwctl zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-xregion; do
    [[ -x "$bin/$b" ]] || {
        echo "not ok - $bin/$b is not built"
        echo "0 passed, 1 failed"
        exit 1
    }
done
t0=$SECONDS

# --- zwfwctl xregion: usage errors exit 2 before any network -------------
unset ZWFW_REGION ZWFW_XREGION_LINK_PORT ZWFW_XREGION_PUB_PORT
export ZWFW_HOME="$work/no-home"
unset ZWFW_KEY ZWFW_SERVER_KEY ZWFW_ENDPOINT ZWFW_DB
expect_err "xregion without a command" 2 "usage: zwfwctl xregion partners" "$CTL" xregion
expect_err "xregion unknown command" 2 "unknown command 'bogus'" "$CTL" xregion bogus
expect_out "xregion --help on stdout" "usage: zwfwctl xregion partners" "$CTL" xregion --help
expect_err "xregion exchange without ID" 2 "ID (an exchange id, XR...) is required" \
    "$CTL" xregion exchange
expect_err "xregion exchange: its usage line" 2 "usage: zwfwctl xregion exchange ID" \
    "$CTL" xregion exchange
expect_err "xregion partners takes no argument" 2 "unexpected argument" \
    "$CTL" xregion partners 511400
expect_err "xregion partner-put without its arguments" 2 \
    "REGION NAME ENDPOINT PUBLIC_KEY are required" "$CTL" xregion partner-put 511400 眉山市
expect_err "xregion partner-put: a bad region" 2 "REGION: a 6-digit division code, got '5114'" \
    "$CTL" xregion partner-put 5114 眉山市 tcp://127.0.0.1:5570 "$(printf 'a%.0s' {1..40})"
expect_err "xregion partner-put: a bad key" 2 "'notakey' is neither a public key" \
    "$CTL" xregion partner-put 511400 眉山市 tcp://127.0.0.1:5570 notakey
expect_err "xregion: an option of another command" 2 "--open is not an option of partners" \
    "$CTL" xregion partners --open
expect_err "xregion exchanges: --inbound and --outbound" 2 "--inbound or --outbound, not both" \
    "$CTL" xregion exchanges --inbound --outbound
expect_err "xregion messages: --limit 0" 2 "--limit: expected a whole number from 1" \
    "$CTL" xregion messages --limit 0
expect_err "xregion: --region not a division code" 2 "--region: a 6-digit division code" \
    "$CTL" xregion exchanges --region 51
expect_err "xregion: unknown option" 2 "unknown option '--bogus'" "$CTL" xregion partners --bogus
expect_err "xregion link-key takes no --json" 2 "--json is not an option of link-key" \
    "$CTL" xregion link-key --json

# --- two stacks -----------------------------------------------------------
# PostgreSQL, run as `postgres` under root, must reach each home's pg/.
chmod 0755 "$work"
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
names=(pg broker intake workflow rating xpub link)
declare -A P
ports=()
while [[ ${#ports[@]} -lt $((2 * ${#names[@]})) ]]; do
    p=$(free_port)
    [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done
for s in 1 2; do
    for i in "${!names[@]}"; do P[$s.${names[$i]}]=${ports[$(((s - 1) * ${#names[@]} + i))]}; done
done
# Stack 1 is Tongnan by default (no ZWFW_REGION), stack 2 Meishan.
declare -A REGION=([1]="" [2]=511400)
declare -A CODE=([1]=500152 [2]=511400)
H1=$work/s1/home H2=$work/s2/home
home_of() { echo "$work/s$1/home"; }

# on S CMD...: CMD with stack S's settings, as deploy/zwfw reads them.
on() {
    local s=$1
    shift
    env ZWFW_HOME="$(home_of "$s")" ZWFW_BUILD_DIR="$(cd "$bin/.." && pwd)" ZWFW_NO_BUILD=1 \
        ZWFW_REGION="${REGION[$s]}" ZWFW_PG_PORT="${P[$s.pg]}" ZWFW_BROKER_PORT="${P[$s.broker]}" \
        ZWFW_INTAKE_PUB_PORT="${P[$s.intake]}" ZWFW_WORKFLOW_PUB_PORT="${P[$s.workflow]}" \
        ZWFW_RATING_PUB_PORT="${P[$s.rating]}" ZWFW_XREGION_PUB_PORT="${P[$s.xpub]}" \
        ZWFW_XREGION_LINK_PORT="${P[$s.link]}" "$@"
}
# ctl S KEY ARGS...: zwfwctl against stack S's broker with its key KEY
# (operator, window, supervisor ...: ZWFW_HOME/keys/KEY.secret).
ctl() {
    local h
    h=$(home_of "$1")
    ZWFW_HOME=$h ZWFW_ENDPOINT=tcp://127.0.0.1:${P[$1.broker]} ZWFW_KEY=$h/keys/$2.secret \
        ZWFW_SERVER_KEY=$h/keys/broker.key "$CTL" "${@:3}"
}
json() { # FILE PYTHON-EXPRESSION-ON-d: prints its value
    /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
stacks_down() {
    on 1 "$DEPLOY" down >"$work/down1-at-exit.log" 2>&1
    on 2 "$DEPLOY" down >"$work/down2-at-exit.log" 2>&1
}
trap 'stacks_down; cleanup' EXIT

# up S: `up`; when another process took the PostgreSQL port between
# free_port and pg_ctl, again on a fresh home and another port (the first
# `up` writes the ports into the config).
up() {
    local s=$1 try rc
    for try in 1 2 3; do
        on "$s" "$DEPLOY" up >"$work/up$s.log" 2>&1 && rc=0 && break
        rc=1
        grep -q "Address already in use" "$(home_of "$s")/pg/server.log" 2>/dev/null || break
        echo "# PostgreSQL port ${P[$s.pg]} taken; again on another"
        on "$s" "$DEPLOY" down >/dev/null 2>&1
        rm -rf "$(home_of "$s")"
        P[$s.pg]=$(free_port)
    done
    [[ $rc == 0 ]] && grep -q "starting zwfw-xregion" "$work/up$s.log" ||
        { tail -n 30 "$work/up$s.log"; return 1; }
}
check "stack 1 (Tongnan): deploy/zwfw up starts zwfw-xregion" up 1
check "stack 2 (Meishan, ZWFW_REGION=511400): deploy/zwfw up starts zwfw-xregion" up 2
echo "# both up after $((SECONDS - t0)) s"

xregion_section() { # S
    local s=$1 h c
    h=$(home_of "$s")
    c=$h/etc/zwfw.json
    [[ $(json "$c" 'd["xregion"]["region"]') == "${CODE[$s]}" ]] &&
        [[ $(json "$c" 'd["xregion"]["link_endpoint"]') == "tcp://*:${P[$s.link]}" ]] &&
        [[ $(json "$c" 'd["xregion"]["link_secret_key_file"]') == "$h/keys/link.secret" ]] &&
        [[ $(json "$c" 'd["xregion"]["pii_key_file"]') == "$(json "$c" 'd["intake"]["pii_key_file"]')" ]] &&
        [[ $(json "$c" 'd["xregion"]["curve_secret_key_file"]') == "$h/keys/xregion.secret" ]] &&
        [[ $(json "$c" 'd["xregion"]["broker_public_key"]') == "$h/keys/broker.key" ]] &&
        [[ $(json "$c" 'd["xregion"]["broker_endpoint"]') == "tcp://127.0.0.1:${P[$s.broker]}" ]] &&
        [[ $(json "$c" 'd["xregion"]["key_registry_file"]') == "$h/etc/keys.json" ]] &&
        [[ $(json "$c" 'd["xregion"]["pub_endpoint"]') == "tcp://127.0.0.1:${P[$s.xpub]}" ]] &&
        [[ $(json "$c" 'd["xregion"]["intake_pub_endpoint"]') == "tcp://127.0.0.1:${P[$s.intake]}" ]] &&
        [[ $(json "$c" 'd["xregion"]["intake_public_key"]') == "$h/keys/intake.key" ]] &&
        [[ $(json "$h/etc/keys.json" '[(e["role"], e["region"]) for e in d["keys"] if e["name"] == "xregion"]') == "[('system', '${CODE[$s]}')]" ]] &&
        # the link key is no broker key
        [[ $(json "$h/etc/keys.json" '[e for e in d["keys"] if e["name"] == "link"]') == "[]" ]] &&
        [[ $(stat -c %a "$h/keys/link.secret") == 600 && -f $h/keys/link.key ]] ||
        { cat "$c"; return 1; }
}
check "stack 1: xregion's config section (region 500152, link, keys, PUB ports)" xregion_section 1
check "stack 2: xregion's config section (region 511400, link, keys, PUB ports)" xregion_section 2

stack_status() { # S
    local s=$1 out pk
    out=$(ctl "$s" operator status) || { echo "$out"; return 1; }
    grep -Eq "^zwfw\.xregion +up " <<<"$out" || { echo "$out"; return 1; }
    pk=$(sed -n 's/^public-key = "\(.*\)"$/\1/p' "$(home_of "$s")/keys/link.key")
    out=$(on "$s" "$DEPLOY" status) || { echo "$out"; return 1; }
    grep -Eq "^zwfw-xregion +running +pid [0-9]+" <<<"$out" &&
        grep -Fq "region ${CODE[$s]}  link tcp://*:${P[$s.link]}  link key $pk" <<<"$out" ||
        { echo "$out"; return 1; }
    out=$(on "$s" "$DEPLOY" env)
    grep -qx "export ZWFW_REGION='${CODE[$s]}'" <<<"$out" &&
        grep -qx "export ZWFW_XREGION_LINK_PORT='${P[$s.link]}'" <<<"$out" &&
        grep -qx "export ZWFW_XREGION_PUB_PORT='${P[$s.xpub]}'" <<<"$out" || { echo "$out"; return 1; }
}
check "stack 1: zwfw.xregion up; status shows its link and key; env its variables" stack_status 1
check "stack 2: zwfw.xregion up; status shows its link and key; env its variables" stack_status 2

# --- linking: each operator registers the other's link key --------------
link_keys() {
    K1=$(ctl 1 operator xregion link-key) && K2=$(ctl 2 operator xregion link-key) ||
        return 1
    [[ $K1 == "$(sed -n 's/^public-key = "\(.*\)"$/\1/p' "$H1/keys/link.key")" ]] &&
        [[ $K2 == "$(sed -n 's/^public-key = "\(.*\)"$/\1/p' "$H2/keys/link.key")" ]] &&
        [[ ${#K1} == 40 && $K1 != "$K2" ]] || { echo "1: $K1 2: $K2"; return 1; }
}
K1="" K2=""
check "xregion link-key prints each stack's own link public key" link_keys

put() { # S REGION NAME PEER KEY-OR-FILE ARGS...: partner-put on S, output to $work/put-S
    ctl "$1" operator xregion partner-put "$2" "$3" "tcp://127.0.0.1:${P[$4.link]}" "$5" \
        "${@:6}" >"$work/put-$1" 2>&1 || { cat "$work/put-$1"; return 1; }
    grep -q "^partner *$2 $3 (version 1, enabled)" "$work/put-$1" &&
        grep -qxF "public key  $5" "$work/put-$1" || { cat "$work/put-$1"; return 1; }
}
check "Tongnan's operator registers Meishan" put 1 511400 眉山市 2 "$K2" --idempotency-key link-ms
check "Meishan's operator registers Tongnan" put 2 500152 潼南区 1 "$K1" --actor ms-ops
put_again() {
    local out
    out=$(ctl 1 operator xregion partner-put 511400 眉山市 "tcp://127.0.0.1:${P[2.link]}" "$K2" \
        --idempotency-key link-ms) || { echo "$out"; return 1; }
    # the first reply again: no second change (that would be version 2)
    grep -q "^partner *511400 眉山市 (version 1, enabled)" <<<"$out" || { echo "$out"; return 1; }
}
check "partner-put again with the same idempotency key: the first result (version 1)" put_again
put_refused() {
    local out
    out=$(ctl 1 supervisor xregion partner-put 512000 资阳市 tcp://127.0.0.1:1 "$K2" 2>&1) &&
        { echo "$out"; return 1; }
    grep -q "PERMISSION_DENIED" <<<"$out" || { echo "$out"; return 1; }
}
check "a supervisor may not register partners" put_refused

# link_up S PEER-REGION: `xregion partners` on S shows the peer's link up
link_up() {
    local i out
    for i in $(seq 60); do
        out=$(ctl "$1" operator xregion partners) &&
            grep -Eq "^$2 +[^ ]+ +up +[0-9.]+[smh] ago +0 +0 " <<<"$out" && break
        sleep 0.25
    done
    grep -Eq "^$2 +[^ ]+ +up " <<<"$out" && grep -q "^own region *${CODE[$1]}$" <<<"$out" &&
        grep -q "^own endpoint *tcp://\*:${P[$1.link]}$" <<<"$out" || { echo "$out"; return 1; }
}
check "xregion partners on Tongnan: Meishan's link up" link_up 1 511400
check "xregion partners on Meishan: Tongnan's link up" link_up 2 500152

# --- a Meishan window forwards an application to Tongnan ---------------
ITEM=500A0100100000-500152000000-000-11500152MB17035173-1-00 # 企业设立登记, 川渝通办, 全程网办
forward() {
    local sha size mats="" m
    sha=$(sha256sum "$src/README.md" | cut -d' ' -f1)
    size=$(stat -c %s "$src/README.md")
    for m in M01 M02 M03 M04; do
        mats+="${mats:+,}{\"materialCode\":\"$m\",\"sha256\":\"$sha\",\"size\":\"$size\",\"uri\":\"file://$src/README.md\"}"
    done
    ctl 2 window call zwfw.xregion zwfw.v1.ForwardApplication "{
        \"idempotencyKey\": \"fwd-1\", \"actor\": \"ms-window-01\",
        \"mode\": \"CROSS_MODE_FULLY_ONLINE\", \"channel\": \"CHANNEL_WINDOW\", \"windowId\": \"W01\",
        \"parts\": [{\"region\": \"500152\", \"itemCode\": \"$ITEM\"}],
        \"applicant\": {\"kind\": \"APPLICANT_KIND_PERSON\", \"identity\": {\"name\": \"张三\",
            \"idType\": \"ID_TYPE_RESIDENT_ID\", \"idNumber\": \"11010519491231002X\"}},
        \"materials\": [$mats], \"identityChecked\": true, \"note\": \"眉山窗口代收\"}" \
        >"$work/forward.json" || { cat "$work/forward.json"; return 1; }
    [[ $(json "$work/forward.json" 'd["exchange"]["exchangeId"]') =~ ^XR511400[0-9]{8}-[0-9]{6}$ ]] &&
        [[ $(json "$work/forward.json" 'd["exchange"]["parts"][0]["stage"]') == PART_STAGE_QUEUED ]] ||
        { cat "$work/forward.json"; return 1; }
    json "$work/forward.json" 'd["exchange"]["exchangeId"]' >"$work/xid"
}
check "a Meishan window forwards 企业设立登记 to Tongnan (ForwardApplication)" forward
XID=$(cat "$work/xid" 2>/dev/null)

# Tongnan's intake answers through the link: its receipt shows in Meishan.
home_receipt() {
    local i out
    for i in $(seq 80); do
        out=$(ctl 2 operator xregion exchange "$XID") && grep -q "^  receipt *500152-" <<<"$out" &&
            break
        sleep 0.25
    done
    grep -q "^exchange *$XID  (outbound" <<<"$out" && grep -q "^  receipt *500152-" <<<"$out" &&
        grep -q "^  stage *submitted" <<<"$out" && grep -q "^  state *3 已受理" <<<"$out" &&
        grep -q "^history" <<<"$out" && grep -q "part 1  delivered" <<<"$out" ||
        { echo "$out"; return 1; }
    sed -nE 's/^  receipt +([0-9-]+)$/\1/p' <<<"$out" >"$work/receipt"
}
check "xregion exchange on Meishan: Tongnan's receipt, accepted (3), history" home_receipt
R=$(cat "$work/receipt" 2>/dev/null)

home_application() {
    ctl 1 window call zwfw.intake zwfw.v1.GetApplication "{\"receiptNumber\": \"$R\"}" \
        >"$work/home-app.json" || { cat "$work/home-app.json"; return 1; }
    [[ $(json "$work/home-app.json" 'd["application"]["state"]') == APPLICATION_STATE_ACCEPTED ]] &&
        [[ $(json "$work/home-app.json" 'd["application"]["channel"]') == CHANNEL_OTHER_SYSTEM ]] &&
        [[ $(json "$work/home-app.json" 'd["application"]["windowId"]') == xregion-511400 ]] &&
        [[ $(json "$work/home-app.json" 'd["application"]["itemCode"]') == "$ITEM" ]] ||
        { cat "$work/home-app.json"; return 1; }
}
check "Tongnan's intake holds that application (accepted, from xregion-511400)" home_application

# line_with TEXT: the line of $out holding TEXT (fixed string)
line_with() { grep -F -- "$1" <<<"$out" | head -n 1; }
lists() {
    local out
    out=$(ctl 1 operator xregion exchanges --inbound --region 511400) &&
        grep -Eq "^$XID +in +online .* 1 +511400 +submitted +3 已受理 +$R$" <<<"$out" &&
        grep -q "^1 exchange$" <<<"$out" || { echo "$out"; return 1; }
    out=$(ctl 2 operator xregion exchanges --outbound --open) &&
        grep -Eq "^$XID +out +online .* 1 +500152 +submitted" <<<"$out" || { echo "$out"; return 1; }
    out=$(ctl 2 operator xregion exchanges --inbound) && grep -q "^0 exchanges$" <<<"$out" ||
        { echo "$out"; return 1; }
    # each message with the link key it travelled under (the home side's)
    out=$(ctl 2 supervisor xregion messages --region 500152) &&
        grep -Eq " out +500152 +XrForward .* acknowledged +$XID/1/forward " \
            <<<"$(line_with "$XID/1/forward  ($K1)")" &&
        grep -Eq " in +500152 +XrStatus .* committed +$XID/1/status/[0-9]+ " \
            <<<"$(line_with "/1/status/")" || { echo "$out"; return 1; }
    out=$(ctl 1 operator xregion messages) &&
        grep -Eq " in +511400 +XrForward .* committed +$XID/1/forward " \
            <<<"$(line_with "$XID/1/forward  ($K2)")" || { echo "$out"; return 1; }
    # --json: the rows of every page read, in one reply; --limit cuts it
    ctl 2 operator xregion exchanges --json >"$work/xs.json" &&
        [[ $(json "$work/xs.json" '[x["exchangeId"] for x in d["exchanges"]]') == "['$XID']" ]] ||
        { cat "$work/xs.json"; return 1; }
    ctl 2 operator xregion messages --json --limit 1 >"$work/ms.json" &&
        [[ $(json "$work/ms.json" 'len(d["messages"]) == 1 and d["nextPageToken"] != ""') == True ]] ||
        { cat "$work/ms.json"; return 1; }
    ctl 2 operator xregion partners --json >"$work/ps.json" &&
        [[ $(json "$work/ps.json" '(d["ownRegion"], d["partners"][0]["region"], d["partners"][0]["link"])') == "('511400', '500152', 'LINK_STATE_UP')" ]] ||
        { cat "$work/ps.json"; return 1; }
}
check "exchanges (--inbound, --outbound, --open, --region), messages, --json on both sides" lists

# Tongnan decides (its approver and head, as in the README's 承诺件
# walkthrough): the 办结 comes back and closes Meishan's exchange.
decided_at_home() {
    local i out
    { ctl 1 approver workflow act "$R" start_review &&
        ctl 1 approver workflow act "$R" submit --comment 材料齐全 &&
        ctl 1 head workflow act "$R" approve; } >"$work/decide.out" 2>&1 ||
        { cat "$work/decide.out"; return 1; }
    for i in $(seq 80); do
        out=$(ctl 2 operator xregion exchange "$XID") && grep -q "^  stage *closed" <<<"$out" &&
            break
        sleep 0.25
    done
    grep -q "^  stage *closed" <<<"$out" && grep -q "^  state *11 办结(通过)" <<<"$out" &&
        grep -q "^done *yes" <<<"$out" && grep -q "part 1  submitted  8 部门开始办理" <<<"$out" ||
        { echo "$out"; return 1; }
    out=$(ctl 2 operator xregion exchanges --open) && grep -q "^0 exchanges$" <<<"$out" ||
        { echo "$out"; return 1; }
}
check "Tongnan approves it: Meishan's exchange is closed with 11 办结(通过), done" decided_at_home

# --- restart keeps the link key; down stops xregion ----------------------
restart2() {
    local before pid
    before=$(sha256sum "$H2/keys/link.secret" "$H2/keys/link.key")
    pid=$(cat "$H2/run/zwfw-xregion.pid")
    on 2 "$DEPLOY" restart >"$work/restart2.log" 2>&1 || { tail -n 30 "$work/restart2.log"; return 1; }
    [[ $(sha256sum "$H2/keys/link.secret" "$H2/keys/link.key") == "$before" ]] &&
        [[ $(cat "$H2/run/zwfw-xregion.pid") != "$pid" ]] &&
        ! grep -q "making the link key" "$work/restart2.log" || { tail -n 30 "$work/restart2.log"; return 1; }
    [[ $(ctl 2 operator xregion link-key) == "$K2" ]]
}
check "deploy/zwfw restart restarts zwfw-xregion and keeps the link key" restart2
check "after the restart Tongnan sees Meishan's link up again" link_up 1 511400

downs() {
    local s pid out
    for s in 1 2; do
        pid=$(cat "$(home_of "$s")/run/zwfw-xregion.pid")
        on "$s" "$DEPLOY" down >"$work/down$s.log" 2>&1 || { cat "$work/down$s.log"; return 1; }
        out=$(on "$s" "$DEPLOY" status)
        ! kill -0 "$pid" 2>/dev/null && grep -Eq "^zwfw-xregion +stopped" <<<"$out" &&
            grep -Eq "^postgresql +stopped" <<<"$out" || { echo "$out"; return 1; }
    done
}
check "deploy/zwfw down stops zwfw-xregion and PostgreSQL on both" downs
# Under the sanitizer build a daemon that leaked or misbehaved says so in
# its log (deploy/zwfw starts them with the environment ctest gives).
check "no sanitizer report in the daemons' logs" bash -c '
    ! grep -l "AddressSanitizer\|LeakSanitizer\|runtime error:" "$1"/log/*.log "$2"/log/*.log' \
    _ "$H1" "$H2"

echo "# took $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
