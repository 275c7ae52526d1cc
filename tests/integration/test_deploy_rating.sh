#!/usr/bin/env bash
# deploy/zwfw with zwfw-rating: `up` on a private home and private ports
# (its own PostgreSQL; as root that runs as `postgres`) configures and
# starts zwfw-rating like the other daemons, makes the `portal`
# (integrator) and `supervisor` keys, and the README's rating walkthrough
# works with them: a 差评 sent as `portal` opens its case, a window key is
# refused, the events reach the log and rating's CURVE PUB socket. Then a
# setting an operator put in the "rating" section survives `restart`, and
# `down` stops everything. Runs the binaries of this build
# (ZWFW_NO_BUILD=1): no package set-up, no build.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness/shtest.sh" deploy-rating
src=${ZWFW_SOURCE_DIR:-$here/../..}
DEPLOY="$src/deploy/zwfw"
for b in zwfwctl zwfw-broker zwfw-intake zwfw-workflow zwfw-rating; do
    [[ -x "$bin/$b" ]] || {
        echo "not ok - $bin/$b is not built"
        echo "0 passed, 1 failed"
        exit 1
    }
done

# PostgreSQL, run as `postgres` under root, must reach $ZWFW_HOME/pg.
chmod 0755 "$work"
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ports=()
while [[ ${#ports[@]} -lt 5 ]]; do
    p=$(free_port)
    [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done
export ZWFW_HOME="$work/home" ZWFW_BUILD_DIR=$(cd "$bin/.." && pwd) ZWFW_NO_BUILD=1
export ZWFW_PG_PORT=${ports[0]} ZWFW_BROKER_PORT=${ports[1]} ZWFW_INTAKE_PUB_PORT=${ports[2]}
export ZWFW_WORKFLOW_PUB_PORT=${ports[3]} ZWFW_RATING_PUB_PORT=${ports[4]}
cfg=$ZWFW_HOME/etc/zwfw.json

stack_down() { "$DEPLOY" down >"$work/down-at-exit.log" 2>&1; }
trap 'stack_down; cleanup' EXIT

act_as() { ZWFW_KEY="$ZWFW_HOME/keys/$1.secret" "${@:2}"; }
json() { # FILE PYTHON-EXPRESSION-ON-d: prints its value
    /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

# `up`; when another process took the PostgreSQL port between free_port
# and pg_ctl, again on a fresh home and another port (the first `up`
# writes the port into the config).
up() {
    local try rc
    for try in 1 2 3; do
        "$DEPLOY" up >"$work/up.log" 2>&1 && rc=0 && break
        rc=1
        grep -q "Address already in use" "$ZWFW_HOME/pg/server.log" 2>/dev/null || break
        echo "# PostgreSQL port $ZWFW_PG_PORT taken; again on another"
        "$DEPLOY" down >/dev/null 2>&1
        rm -rf "$ZWFW_HOME"
        ZWFW_PG_PORT=$(free_port)
    done
    [[ $rc == 0 ]] && grep -q "starting zwfw-rating" "$work/up.log" ||
        { tail -n 30 "$work/up.log"; return 1; }
}
t0=$SECONDS
check "deploy/zwfw up starts zwfw-rating" up
echo "# up took $((SECONDS - t0)) s"
eval "$("$DEPLOY" env)"

rating_section() {
    local k=$ZWFW_HOME/keys
    [[ $(json "$cfg" 'd["rating"]["curve_secret_key_file"]') == "$k/rating.secret" ]] &&
        [[ $(json "$cfg" 'd["rating"]["broker_public_key"]') == "$k/broker.key" ]] &&
        [[ $(json "$cfg" 'd["rating"]["key_registry_file"]') == "$ZWFW_HOME/etc/keys.json" ]] &&
        [[ $(json "$cfg" 'd["rating"]["broker_endpoint"]') == "tcp://127.0.0.1:$ZWFW_BROKER_PORT" ]] &&
        [[ $(json "$cfg" 'd["rating"]["pub_endpoint"]') == "tcp://127.0.0.1:$ZWFW_RATING_PUB_PORT" ]] &&
        # the clock mode is the one every daemon reads from "common"
        [[ $(json "$cfg" '"clock_mode" in d["rating"]') == False ]] &&
        [[ $(json "$cfg" 'd["common"]["clock_mode"]') =~ ^(real|simulated)$ ]] ||
        { cat "$cfg"; return 1; }
}
check "rating's config section: its key, the broker's, the registry, its PUB port" rating_section

registry_keys() {
    local r=$ZWFW_HOME/etc/keys.json
    [[ $(json "$r" '[(e["role"], e["department"]) for e in d["keys"] if e["name"] == "portal"]') == "[('integrator', '')]" ]] &&
        [[ $(json "$r" '[e["role"] for e in d["keys"] if e["name"] == "supervisor"]') == "['supervisor']" ]] &&
        [[ $(json "$r" '[e["role"] for e in d["keys"] if e["name"] == "rating"]') == "['system']" ]] &&
        [[ -f $ZWFW_HOME/keys/portal.secret && -f $ZWFW_HOME/keys/supervisor.secret ]] ||
        { cat "$r"; return 1; }
}
check "registry: portal is an integrator, supervisor a supervisor" registry_keys

check "zwfwctl status: zwfw.rating up" bash -c '
    out=$(zwfwctl status) || { echo "$out"; exit 1; }
    grep -Eq "^zwfw\.rating +up " <<<"$out" || { echo "$out"; exit 1; }'
check "deploy/zwfw status: zwfw-rating running" bash -c '
    "$1" status | grep -Eq "^zwfw-rating +running +pid [0-9]+"' _ "$DEPLOY"

# zwfw-report comes up with its own section (CURVE key, broker) and
# answers a supervisor's report.
check "zwfwctl status: zwfw.report up; a supervisor's month report answers" bash -c '
    out=$(zwfwctl status) || { echo "$out"; exit 1; }
    grep -Eq "^zwfw\.report +up " <<<"$out" || { echo "$out"; exit 1; }
    ZWFW_KEY=$ZWFW_HOME/keys/supervisor.secret zwfwctl call zwfw.report zwfw.v1.PeriodReport \
        "{\"kind\":\"PERIOD_KIND_MONTH\",\"date\":\"2020-10-09\"}" | grep -q "\"label\":\s*\"2020-10\""'

# zwfwctl report: the same report as a supervisor reads it on a terminal
# (October 2020: 22 weekdays, 6 of them in the National Day holiday, and
# the 调休 Saturday 10-10: 17 working days).
check "zwfwctl report month as the supervisor: period line and sections" bash -c '
    out=$(ZWFW_KEY=$ZWFW_HOME/keys/supervisor.secret zwfwctl report month 2020-10-09) ||
        { echo "$out"; exit 1; }
    grep -q "^2020-10 (month 2020-10-01..2020-10-31, 17 working days, complete)" <<<"$out" &&
        grep -q "^applications" <<<"$out" && grep -q "^catalog" <<<"$out" ||
        { echo "$out"; exit 1; }'

# An application to rate: a 即办件 with every material, done at the counter.
# Its receipt number goes to $work/receipt.
submit() {
    act_as window zwfwctl intake submit 500A0100200000-500152000000-000-11500152MB17035173-1-00 \
        --name 张三 --id 11010519491231002X --material M01="$src/README.md" \
        --material M02="$src/README.md" --material M03="$src/README.md" >"$work/submit.out" 2>&1 &&
        grep -q "^state *11 " "$work/submit.out" || { cat "$work/submit.out"; return 1; }
    sed -nE 's/^receipt +([0-9-]+).*/\1/p' "$work/submit.out" >"$work/receipt"
}
check "a window submits an application that is finished at once" submit
R1=$(cat "$work/receipt" 2>/dev/null)

rate() { # RECEIPT KEY-SUFFIX: a 差评 from the portal
    act_as portal zwfwctl call zwfw.rating zwfw.v1.SubmitRating "{
        \"idempotencyKey\": \"t-$2\", \"receiptNumber\": \"$1\",
        \"channel\": \"RATING_CHANNEL_PORTAL\", \"level\": \"RATING_LEVEL_DISSATISFIED\",
        \"reason\": \"跑了两趟\"}"
}
rated() {
    rate "$R1" 1 >"$work/rate1.json" || { cat "$work/rate1.json"; return 1; }
    local day due
    day=$(zwfwctl clock show | cut -c1-10)
    due=$(zwfwctl calendar due --from "$day" --workdays 10 | grep -Eo '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
    [[ $(json "$work/rate1.json" 'd["rating"]["submittedBy"]') == portal ]] &&
        [[ $(json "$work/rate1.json" 'd["rectificationCase"]["status"]') == CASE_STATUS_OPEN ]] &&
        [[ $(json "$work/rate1.json" 'd["rectificationCase"]["workdays"]') == 10 ]] &&
        [[ $(json "$work/rate1.json" 'd["rectificationCase"]["dueDate"]') == "$due" ]] ||
        { echo "day $day due $due"; cat "$work/rate1.json"; return 1; }
}
check "SubmitRating as portal: a 差评 opens a case due in 10 working days" rated
check "SubmitRating as window: refused (staff must not rate)" bash -c '
    ZWFW_KEY="$ZWFW_HOME/keys/window.secret" zwfwctl call zwfw.rating zwfw.v1.SubmitRating \
        "{\"idempotencyKey\": \"w\", \"receiptNumber\": \"$1\", \"channel\": \"RATING_CHANNEL_WINDOW\", \"level\": \"RATING_LEVEL_SATISFIED\"}" \
        >/dev/null 2>"$2/w.err" && exit 1
    grep -q "PERMISSION_DENIED" "$2/w.err" || { cat "$2/w.err"; exit 1; }' _ "$R1" "$work"
check "RatingStats as supervisor counts it" bash -c '
    day=$(zwfwctl clock show | cut -c1-10)
    out=$(ZWFW_KEY="$ZWFW_HOME/keys/supervisor.secret" zwfwctl call zwfw.rating \
        zwfw.v1.RatingStats "{\"from\": \"$day\", \"to\": \"$day\"}") || { echo "$out"; exit 1; }
    grep -q "\"bad\":.*\"1\"" <<<"$out" || { echo "$out"; exit 1; }'

events_logged() {
    local out
    out=$(psql "$ZWFW_DB" -Atc "SELECT type FROM events.log WHERE stream = 'rating'
                                  AND aggregate_id = '$R1' ORDER BY seq") || return 1
    [[ $out == $'zwfw.v1.RatingSubmitted\nzwfw.v1.CaseOpened' ]] || { echo "$out"; return 1; }
}
check "RatingSubmitted and CaseOpened in the rating stream, aggregate = receipt" events_logged

# rating's PUB socket is a CURVE server: a registered key subscribes.
published() {
    /usr/bin/python3 - "$ZWFW_HOME" "tcp://127.0.0.1:$ZWFW_RATING_PUB_PORT" >"$work/sub.out" 2>&1 <<'PY' &
import re, struct, sys, zmq
home, ep = sys.argv[1:3]
def key(path, name):
    return re.search(r'^\s*%s\s*=\s*"?([^"\s]+)"?' % name, open(path).read(), re.M).group(1).encode()
s = zmq.Context().socket(zmq.SUB)
s.curve_publickey = key(home + "/keys/supervisor.secret", "public-key")
s.curve_secretkey = key(home + "/keys/supervisor.secret", "secret-key")
s.curve_serverkey = key(home + "/keys/rating.key", "public-key")
s.setsockopt(zmq.SUBSCRIBE, b"rating")
s.rcvtimeo = 10000
s.connect(ep)
print("subscribed", flush=True)
try:
    while True:
        f = s.recv_multipart()
        if f[0] == b"rating" and f[2] == b"zwfw.v1.RatingFollowedUp":
            print("got", struct.unpack(">Q", f[1])[0], f[2].decode(), flush=True)
            break
except zmq.Again:
    print("nothing published", flush=True)
s.close(0)
PY
    local sub=$! id i
    for i in $(seq 50); do grep -q subscribed "$work/sub.out" && break; sleep 0.1; done
    sleep 0.5 # let the CURVE handshake and subscription reach the PUB side
    id=$(json "$work/rate1.json" 'd["rating"]["ratingId"]')
    act_as portal zwfwctl call zwfw.rating zwfw.v1.AddFollowUp \
        "{\"idempotencyKey\": \"t-f1\", \"ratingId\": \"$id\", \"text\": \"还没人联系我\", \"channel\": \"RATING_CHANNEL_PORTAL\"}" \
        >/dev/null || { kill $sub; return 1; }
    wait $sub
    grep -q "^got [0-9]* zwfw.v1.RatingFollowedUp" "$work/sub.out" || { cat "$work/sub.out"; return 1; }
}
check "a registered key hears RatingFollowedUp on rating's PUB port" published

# A setting an operator put in the "rating" section survives `restart`.
/usr/bin/python3 - "$cfg" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["rating"]["case_workdays"] = 5
json.dump(d, open(sys.argv[1], "w"), indent=2, ensure_ascii=False)
PY
old_pid=$(cat "$ZWFW_HOME/run/zwfw-rating.pid")
check "deploy/zwfw restart restarts zwfw-rating" bash -c '
    "$1" restart >"$2/restart.log" 2>&1 || { tail -n 30 "$2/restart.log"; exit 1; }
    new=$(cat "$ZWFW_HOME/run/zwfw-rating.pid")
    [[ $new != "$3" ]] && kill -0 "$new" && zwfwctl status | grep -Eq "^zwfw\.rating +up " ||
        { tail -n 30 "$2/restart.log"; exit 1; }' _ "$DEPLOY" "$work" "$old_pid"
check "restart keeps case_workdays set by hand" test "$(json "$cfg" 'd["rating"]["case_workdays"]')" = 5
check "a second application" submit
R2=$(cat "$work/receipt" 2>/dev/null)
check "the restarted zwfw-rating uses it: the next case has 5 working days" bash -c '
    out=$(ZWFW_KEY="$ZWFW_HOME/keys/portal.secret" zwfwctl call zwfw.rating zwfw.v1.SubmitRating \
        "{\"idempotencyKey\": \"t-2\", \"receiptNumber\": \"$1\", \"channel\": \"RATING_CHANNEL_PORTAL\", \"level\": \"RATING_LEVEL_VERY_DISSATISFIED\", \"reason\": \"慢\"}") ||
        { echo "$out"; exit 1; }
    grep -Eq "\"workdays\":[[:space:]]*5([^0-9]|$)" <<<"$out" || { echo "$out"; exit 1; }' _ "$R2"

check "deploy/zwfw down stops zwfw-rating" bash -c '
    pid=$(cat "$ZWFW_HOME/run/zwfw-rating.pid")
    "$1" down >"$2/down.log" 2>&1 || { cat "$2/down.log"; exit 1; }
    ! kill -0 "$pid" 2>/dev/null && "$1" status | grep -Eq "^zwfw-rating +stopped" &&
        "$1" status | grep -Eq "^postgresql +stopped"' _ "$DEPLOY" "$work"
# Under the sanitizer build a daemon that leaked or misbehaved says so in
# its log (deploy/zwfw starts them with the environment ctest gives).
check "no sanitizer report in the daemons' logs" bash -c '
    ! grep -l "AddressSanitizer\|LeakSanitizer\|runtime error:" "$ZWFW_HOME"/log/*.log'

echo "# took $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
