# shellcheck shell=bash disable=SC2034,SC2154 # globals shared with the tests
# Partner deployments on one machine, for the tests of zwfw-xregion: each
# deployment is a database of its own (in the one PostgreSQL that
# py_stack.sh's zs_database gives), plain-mode brokers (one per identity:
# protocol.md section 7, "Plain mode"), zwfw-intake and zwfw-xregion with a
# CURVE link key of its own. Sourced after shtest.sh and py_stack.sh:
#   . "$here/../harness/shtest.sh" NAME
#   . "$here/py_stack.sh" test_NAME
#   . "$here/xr_stack.sh"
#   zs_database "zwt_NAME_$$"    # the server; each deployment adds its own DB
#   xr_deployment ts 500152       # Tongnan
#   xr_deployment ms 511400       # Meishan
#   xr_link ts ms                 # PutPartner on both sides
# Not a test itself (ctest runs only test_*.sh).
#
# For deployment D it sets:
#   xr_region[D], xr_db[D]       division code, conninfo of its database
#   xr_ep[D.ROLE]                its broker for ROLE (operator, window,
#                                supervisor, integrator, system, approver)
#   xr_eps[D]                    every broker of D, comma-separated
#   xr_link_ep[D], xr_link_pk[D] its link endpoint and public key
#   xr_intake_pub[D]             intake's event PUB endpoint
#   xr_pid[D.intake], xr_pid[D.xregion]
#   xr_dep_roles[D]              the roles D has a broker for: xr_roles, and
#                                head when D runs zwfw-workflow
# Logs: $work/D-intake.log, $work/D-xregion.log, $work/D-broker-ROLE.log.
# XR_XREGION_ARGS adds options to every zwfw-xregion started.
#
# Approval workflow (opt-in): XR_WORKFLOW, a space-separated list of
# D=DEPT, names the deployments that also run zwfw-workflow (the shipped
# definitions), set before xr_deployment D (xr_setup needs zwfw-workflow
# among its BINARYs). Such a deployment's approver broker is an approver
# of department DEPT (a unified social credit code) and it gets one more
# broker, xr_ep[D.head], a head of DEPT: 7 brokers, within the 8 a worker
# registers with (protocol.md section 7, "Plain mode"). Its intake follows
# workflow's events (--workflow-endpoints), zwfw-workflow follows intake's;
# workflow starts after xregion (they migrate one database one after the
# other). It sets xr_workflow_pub[D] and xr_pid[D.workflow]; log
# $work/D-workflow.log. Without XR_WORKFLOW nothing of this happens: the
# approver broker has no department and no workflow runs, as before.
#
# Business time is simulated (intake and xregion run --clock-mode
# simulated) and every deployment's clock is set to $xr_start (Beijing
# time, a Monday well inside the loaded calendar), so due dates do not
# depend on the day the test runs: a real clock late in a year whose
# successor is not in deploy/calendar/cn.json yet would refuse every item
# due next year. Other daemons a test starts on a deployment take
# --clock-mode simulated too (xr_clock_args).
xr_start="2026-03-02 09:30"
xr_clock_args=(--clock-mode simulated)

declare -A xr_region xr_db xr_ep xr_eps xr_link_ep xr_link_pk xr_intake_pub xr_pid
declare -A xr_dep_roles xr_workflow_pub
xr_roles=(operator window supervisor integrator system approver)

# xr_workflow_dept D: sets `xr_wf_dept` to DEPT when XR_WORKFLOW names D
# (D=DEPT), else to "".
xr_workflow_dept() {
  local entry
  xr_wf_dept=""
  for entry in ${XR_WORKFLOW:-}; do
    [ "${entry%%=*}" = "$1" ] || continue
    if [ "$entry" = "${entry#*=}" ] || [ -z "${entry#*=}" ]; then
      fail_setup "XR_WORKFLOW: $entry is not D=DEPT"
    fi
    xr_wf_dept=${entry#*=}
  done
}

# xr_setup DB [BINARY...]: what a test of deployments needs first:
# zwfw-broker, zwfw-intake, zwfw-xregion, zwfwctl and the BINARYs, the
# schemas' Python code (zs_gen_proto) and the PostgreSQL server, with DB
# the prefix of the deployments' databases (zs_database).
xr_setup() {
  local db=$1
  shift
  zs_require zwfw-broker zwfw-intake zwfw-xregion zwfwctl "$@"
  zs_gen_proto
  zs_database "$db"
}

# xr_ts_ms: the usual pair, linked: Tongnan (ts, 500152) with the shipped
# sample catalog and Meishan (ms, 511400) with the catalog xregion_client.py
# writes ($work/catalog-ms.json).
xr_ts_ms() {
  $py "$here/xregion_client.py" catalogs --out "$work" >"$work/catalogs.out" 2>&1 ||
    { cat "$work/catalogs.out" >&2; fail_setup "xregion_client.py catalogs failed"; }
  xr_deployment ts 500152
  xr_deployment ms 511400
  xr_catalog ts "$src/deploy/catalog/tongnan-sample.json"
  xr_catalog ms "$work/catalog-ms.json"
  xr_link ts ms
}

# xr_deployment D REGION: starts D's brokers, intake (sample catalog NOT
# loaded: xr_catalog) and xregion, and workflow when XR_WORKFLOW names D;
# waits until each serves.
xr_deployment() {
  local d=$1 region=$2 role eps=() db wf_dept="" roles=("${xr_roles[@]}") dept wf_args=() ep
  xr_region[$d]=$region
  xr_workflow_dept "$d"
  wf_dept=$xr_wf_dept
  if [ -n "$wf_dept" ]; then
    roles+=(head)
    xr_workflow_pub[$d]=tcp://127.0.0.1:$(zs_free_port)
    wf_args=(--workflow-endpoints "${xr_workflow_pub[$d]}")
  fi
  xr_dep_roles[$d]="${roles[*]}"
  db="${zs_db}_$d"
  psql "$conninfo" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db" >"$work/psql-$d.log" 2>&1 ||
    { cat "$work/psql-$d.log" >&2; fail_setup "cannot create database $db"; }
  xr_db[$d]=$(sed -E "s/dbname=[^ ]+/dbname=$db/" <<<"$conninfo")
  # each deployment seals personal data with its own data key
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/pii-$d.key"
  chmod 600 "$work/pii-$d.key"
  for role in "${roles[@]}"; do
    ep=tcp://127.0.0.1:$(zs_free_port)
    dept=""
    case $role in approver | head) dept=$wf_dept ;; esac
    "$bin/zwfw-broker" --endpoint "$ep" --plain-role "$role" --plain-key-id "$d-$role" \
      --plain-region "$region" --plain-department "$dept" --heartbeat-ms 250 \
      2>"$work/$d-broker-$role.log" &
    pids+=($!)
    xr_ep[$d.$role]=$ep
    eps+=("$ep")
  done
  xr_eps[$d]=$(IFS=,; echo "${eps[*]}")
  xr_intake_pub[$d]=tcp://127.0.0.1:$(zs_free_port)
  "$bin/zwfw-intake" --db-conninfo "${xr_db[$d]}" --migrate true \
    --pii-key-file "$work/pii-$d.key" --heartbeat-ms 250 --threads 4 \
    --division-code "$region" --center-name "$d 政务服务中心" "${xr_clock_args[@]}" \
    --pub-endpoint "${xr_intake_pub[$d]}" --broker-endpoint "${xr_eps[$d]}" "${wf_args[@]}" \
    2>"$work/$d-intake.log" &
  pids+=($!)
  xr_pid[$d.intake]=$!
  zs_wait_service "${xr_ep[$d.operator]}" zwfw.intake || fail_setup "$d: zwfw.intake did not come up"
  "$bin/zwfwctl" clock set "$xr_start" --plain --endpoint "${xr_ep[$d.operator]}" \
    >"$work/$d-clock.log" 2>&1 ||
    { cat "$work/$d-clock.log" >&2; fail_setup "$d: zwfwctl clock set failed"; }
  "$bin/zwfwctl" keygen "link-$d" --dir "$work/keys" >/dev/null 2>&1 ||
    fail_setup "$d: zwfwctl keygen failed"
  xr_link_pk[$d]=$(sed -n 's/^public-key = "\(.*\)"$/\1/p' "$work/keys/link-$d.key")
  xr_link_ep[$d]=tcp://127.0.0.1:$(zs_free_port)
  xr_start_xregion "$d"
  zs_wait_service "${xr_ep[$d.operator]}" zwfw.xregion ||
    { tail -n 20 "$work/$d-xregion.log" >&2; fail_setup "$d: zwfw.xregion did not come up"; }
  [ -n "$wf_dept" ] && xr_start_workflow "$d"
  return 0
}

# xr_start_workflow D: starts D's zwfw-workflow (XR_WORKFLOW) on D's
# database and brokers, following D's intake; waits until it serves.
xr_start_workflow() {
  local d=$1
  "$bin/zwfw-workflow" --db-conninfo "${xr_db[$d]}" --migrate true --threads 4 \
    --broker-endpoint "${xr_eps[$d]}" "${xr_clock_args[@]}" --heartbeat-ms 250 \
    --pub-endpoint "${xr_workflow_pub[$d]}" --intake-pub-endpoint "${xr_intake_pub[$d]}" \
    --sweep-ms 200 --clock-poll-ms 50 2>>"$work/$d-workflow.log" &
  pids+=($!)
  xr_pid[$d.workflow]=$!
  zs_wait_service "${xr_ep[$d.operator]}" zwfw.workflow ||
    { tail -n 20 "$work/$d-workflow.log" >&2; fail_setup "$d: zwfw.workflow did not come up"; }
}

# xr_start_xregion D: (again) starts D's zwfw-xregion; log appended.
xr_start_xregion() {
  local d=$1
  # shellcheck disable=SC2086 # XR_XREGION_ARGS: extra options, split on purpose
  "$bin/zwfw-xregion" --db-conninfo "${xr_db[$d]}" --migrate true --region "${xr_region[$d]}" \
    --pii-key-file "$work/pii-$d.key" --heartbeat-ms 250 --broker-endpoint "${xr_eps[$d]}" \
    "${xr_clock_args[@]}" \
    --intake-broker-endpoint "${xr_ep[$d.system]}" \
    --intake-pub-endpoint "${xr_intake_pub[$d]}" \
    --link-endpoint "${xr_link_ep[$d]}" --link-secret-key-file "$work/keys/link-$d.secret" \
    --link-heartbeat-ms 300 --link-ack-timeout-ms 500 --link-retry-max-ms 2000 \
    --partners-poll-ms 200 ${XR_XREGION_ARGS:-} 2>>"$work/$d-xregion.log" &
  pids+=($!)
  xr_pid[$d.xregion]=$!
}

# xr_catalog D FILE: loads a catalog file into D (as its operator).
xr_catalog() {
  "$bin/zwfwctl" catalog load "$2" --plain --endpoint "${xr_ep[$1.operator]}" \
    >"$work/$1-catalog.log" 2>&1 ||
    { cat "$work/$1-catalog.log" >&2; fail_setup "$1: catalog load $2 failed"; }
}

# xr_call D ROLE SERVICE TYPE JSON: zwfwctl call as D's ROLE; the reply
# JSON on stdout.
xr_call() {
  "$bin/zwfwctl" call --plain --endpoint "${xr_ep[$1.$2]}" "$3" "$4" "$5"
}

# xr_link A B: registers each with the other (PutPartner by each operator).
xr_link() {
  local a=$1 b=$2 x y
  for pair in "$a $b" "$b $a"; do
    read -r x y <<<"$pair"
    xr_call "$x" operator zwfw.xregion zwfw.v1.PutPartner \
      "{\"idempotencyKey\":\"link-$y\",\"actor\":\"ops\",\"region\":\"${xr_region[$y]}\",\"name\":\"$y\",\"endpoint\":\"${xr_link_ep[$y]}\",\"publicKey\":\"${xr_link_pk[$y]}\"}" \
      >"$work/link-$x-$y.json" 2>&1 ||
      { cat "$work/link-$x-$y.json" >&2; fail_setup "PutPartner $y on $x failed"; }
  done
}

# xr_drop_dbs: drops every deployment's database (the test's last step).
xr_drop_dbs() {
  local d
  for d in "${!xr_db[@]}"; do
    psql "$conninfo" -qX -c "DROP DATABASE IF EXISTS ${zs_db}_$d" >/dev/null 2>&1
  done
}

# xr_end WHAT: the end of a test of ts and ms: the checks that no daemon
# died and that all stop cleanly (zs_check_stop WHAT), the databases
# dropped, and zs_finish with both deployments' xregion and intake logs.
xr_end() {
  zs_check_alive
  zs_check_stop "$1"
  xr_drop_dbs
  zs_drop_db
  local logs=("$work"/ts-xregion.log "$work"/ms-xregion.log "$work"/ts-intake.log
    "$work"/ms-intake.log) d
  for d in ts ms; do
    [ -n "${xr_pid[$d.workflow]:-}" ] && logs+=("$work/$d-workflow.log")
  done
  zs_finish "${logs[@]}"
}
