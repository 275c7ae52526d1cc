#!/usr/bin/env bash
# deploy/install.sh, the production installer, staged with --root into a
# scratch folder (never the real system), then the installed daemons run
# from that tree for real.
#
# Part 1 (any user): --dry-run changes nothing; the staged tree holds the
# units, the programs and libzwfw, the shipped data, the configs (only
# zwfw-intake migrates; every file a config names exists in the tree), the
# keys (secret 0600, public 0644, in a 0700 folder of the daemons' user),
# the data key (64 hex digits, 0600) and a registry of exactly our keys; a
# second run keeps every key, the data key, the registry and an edited
# config as they were; a public key without its secret and a broken data
# key are refused, never replaced; --prefix moves programs and data and
# the files naming them; bad options exit 2.
#
# Part 2 (root: mount namespace): in a private mount namespace the staged
# /etc and /usr/local are laid over the real ones (overlayfs) and / is made
# read-only (what ProtectSystem=strict gives the daemons); systemd-analyze
# verify checks the units (when installed). Each daemon starts as its unit
# says: ExecStart, Environment=, User=/Group= through setpriv with
# no_new_privs, overriding only db_conninfo and the ports on the command
# line, so the staged config, CURVE keys and registry are the ones used,
# against a fresh database of the ctest "pg" fixture (or a private
# PostgreSQL). zwfwctl status with the staged operator key sees every
# service up; plain and unregistered keys get nothing; a window key added
# to the registry is admitted after SIGHUP (ExecReload); zwfw-intake alone
# applied the migrations; the daemons read the installed data and libzwfw;
# SIGTERM stops each (workers, intake, broker) with exit 0; every log line
# is JSON.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
src=${ZWFW_SOURCE_DIR:-$here/../..}
src=$(cd "$src" && pwd)
bin=${ZWFW_BIN_DIR:-$src/build/bin}
PY=/usr/bin/python3
daemons=(zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-xregion zwfw-report)
key_names=(broker intake workflow rating report xregion operator link)

passed=0
failed=0
ok() {
  passed=$((passed + 1))
  echo "ok - $*"
}
bad() {
  failed=$((failed + 1))
  echo "not ok - $*"
}
# check NAME CMD...: CMD's exit status decides; its output is shown on failure.
check() {
  local name=$1
  shift
  if "$@" >"$work/check.out" 2>&1; then
    ok "$name"
  else
    bad "$name"
    sed 's/^/    /' "$work/check.out" | head -n 40
  fi
}
json() { # FILE PYTHON-EXPRESSION-ON-d
  "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1], encoding="utf-8")); print(eval(sys.argv[2]))' "$@"
}
mode_of() { stat -c %a "$1"; }
owner_of() { stat -c %U "$1"; }
public_key_of() {
  sed -nE 's/^[[:space:]]*public-key[[:space:]]*=[[:space:]]*"?([^"[:space:]]+)"?.*/\1/p' "$1" | head -n 1
}
export -f json public_key_of
export PY

# ============================================================================
# Part 2: runs as `bash THIS --inside WORK` in a private mount namespace.
# ============================================================================
if [ "${1:-}" = --inside ]; then
  work=$2
  R=$work/root
  . "$work/inside.env" # dbinfo, port_*, run_user, build
  : "${dbinfo:?}" "${run_user:?}" "${build:?}" "${port_broker:?}" "${port_intake:?}" "${port_workflow:?}" \
    "${port_rating:?}" "${port_xregion:?}" "${port_link:?}"
  dpids=()
  declare -A PID
  stop_all() {
    local p
    for p in "${dpids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${dpids[@]}"; do
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$p" 2>/dev/null
    done
  }
  finish() {
    stop_all
    echo "$passed $failed" >"$work/inside.counts"
  }
  trap finish EXIT

  mount --make-rprivate / || { bad "a private mount namespace"; exit 1; }
  mkdir -p "$work/etc-upper" "$work/etc-work" "$work/log" "$work/client"
  # /etc: the staged tree over the real one; writable (into work/) so an
  # operator's edit of /etc/zwfw/keys.json can be made. /usr/local: the
  # staged programs and data over the real ones, read-only.
  if ! mount -t overlay overlay \
      -o "lowerdir=$R/etc:/etc,upperdir=$work/etc-upper,workdir=$work/etc-work" /etc ||
     ! mount -t overlay overlay -o "lowerdir=$R/usr/local:/usr/local" /usr/local; then
    bad "overlay the staged /etc and /usr/local (overlayfs)"
    exit 1
  fi
  check "the staged tree is in place: /etc/zwfw/keys.json, /usr/local/bin/zwfw-broker" \
    test -f /etc/zwfw/keys.json -a -x /usr/local/bin/zwfw-broker -a -f /etc/systemd/system/zwfw.target

  # systemd-analyze verify: the shipped units must pass silently; the staged
  # ones (User=nobody here) only with systemd's warning about that user.
  if command -v systemd-analyze >/dev/null; then
    mkdir -p "$work/units-src"
    cp "$src"/deploy/systemd/* "$work/units-src/"
    check "systemd-analyze verify: the shipped units (deploy/systemd), no finding" \
      bash -c 'cd "$1" && out=$(systemd-analyze verify --man=no ./zwfw-*.service ./zwfw.target 2>&1); rc=$?; echo "$out"; [ $rc = 0 ] && [ -z "$out" ]' _ "$work/units-src"
    check "systemd-analyze verify: the installed units, nothing but the 'nobody' warning" \
      bash -c 'out=$(systemd-analyze verify --man=no /etc/systemd/system/zwfw-*.service /etc/systemd/system/zwfw.target 2>&1); rc=$?; echo "$out"; [ $rc = 0 ] && ! grep -v "Special user nobody configured" <<<"$out" | grep -q .'
  else
    echo "# skip: systemd-analyze is not installed (units not verified)"
  fi

  # What ProtectSystem=strict gives the daemons: a read-only file system.
  # work/ stays writable for the logs this script writes.
  mount --bind "$work" "$work" && mount -o remount,bind,ro / ||
    { bad "make / read-only"; exit 1; }
  check "/ is read-only, as ProtectSystem=strict makes it" \
    bash -c '! touch /zwfw-ro-probe 2>/dev/null'

  # unit_get UNIT KEY: the values of KEY= in the installed unit, one a line.
  unit_get() { sed -n "s/^$2=//p" "/etc/systemd/system/$1.service"; }
  # The command line overrides: db_conninfo and ports only.
  B=tcp://127.0.0.1:$port_broker
  declare -A OVR=(
    [zwfw-broker]="--endpoint $B"
    [zwfw-intake]="--broker-endpoint $B --pub-endpoint tcp://127.0.0.1:$port_intake --workflow-endpoints tcp://127.0.0.1:$port_workflow"
    [zwfw-workflow]="--broker-endpoint $B --pub-endpoint tcp://127.0.0.1:$port_workflow --intake-pub-endpoint tcp://127.0.0.1:$port_intake"
    [zwfw-rating]="--broker-endpoint $B --pub-endpoint tcp://127.0.0.1:$port_rating"
    [zwfw-xregion]="--broker-endpoint $B --pub-endpoint tcp://127.0.0.1:$port_xregion --intake-pub-endpoint tcp://127.0.0.1:$port_intake --link-endpoint tcp://127.0.0.1:$port_link"
    [zwfw-report]="--broker-endpoint $B"
  )
  # start DAEMON: as its unit says (ExecStart, Environment=, User=, Group=,
  # NoNewPrivileges=), with the overrides. In the units' order: systemd
  # starts them at once (Type=simple), the workers waiting for intake's
  # migrations.
  start() {
    local d=$1 exec user group envs=() argv line
    exec=$(unit_get "$d" ExecStart)
    user=$(unit_get "$d" User)
    group=$(unit_get "$d" Group)
    while IFS= read -r line; do [ -n "$line" ] && envs+=("$line"); done < <(unit_get "$d" Environment)
    # the test's own sanitizer settings pass through (not the unit's business)
    [ -n "${ASAN_OPTIONS:-}" ] && envs+=("ASAN_OPTIONS=$ASAN_OPTIONS")
    [ -n "${UBSAN_OPTIONS:-}" ] && envs+=("UBSAN_OPTIONS=$UBSAN_OPTIONS")
    read -ra argv <<<"$exec"
    local extra=()
    read -ra extra <<<"${OVR[$d]}"
    [ "$d" = zwfw-broker ] || extra+=(--db-conninfo "$dbinfo")
    setpriv --reuid="$user" --regid="$group" --clear-groups --no-new-privs \
      env -i PATH=/usr/bin:/bin "${envs[@]}" "${argv[@]}" "${extra[@]}" \
      >"$work/log/$d.out" 2>"$work/log/$d.log" &
    PID[$d]=$!
    dpids+=($!)
  }
  for d in "${daemons[@]}"; do start "$d"; done

  # zwfwctl as the operator would run it: the env file install.sh wrote.
  ctl() { (. /etc/zwfw/zwfwctl.env && /usr/local/bin/zwfwctl "$@" --endpoint "$B"); }
  services=(zwfw.catalog zwfw.intake zwfw.clock zwfw.workflow zwfw.rating zwfw.xregion zwfw.report)
  all_up() {
    local out s
    out=$(ctl status --timeout 3000 --retries 0 2>&1) || return 1
    for s in "${services[@]}"; do grep -qE "^$s +up " <<<"$out" || return 1; done
  }
  up=0
  for _ in $(seq 120); do
    if all_up; then up=1; break; fi
    for d in "${daemons[@]}"; do kill -0 "${PID[$d]}" 2>/dev/null || break 2; done
    sleep 0.5
  done
  ctl status >"$work/status.out" 2>&1
  if [ $up = 1 ]; then
    ok "zwfwctl status (the staged operator key, over CURVE) sees all 7 services of the 6 daemons up"
  else
    bad "not every service came up"
    sed 's/^/    /' "$work/status.out"
    for d in "${daemons[@]}"; do
      echo "    --- $d (pid ${PID[$d]}: $(kill -0 "${PID[$d]}" 2>/dev/null && echo running || echo gone))"
      tail -n 5 "$work/log/$d.log" | cut -c1-300 | sed 's/^/    /'
    done
    exit 1
  fi
  for d in "${daemons[@]}"; do
    check "$d runs as the unit's user ($run_user), with no_new_privs" \
      bash -c 'pid=$1; u=$(id -u "$2"); grep -qE "^Uid:\s+$u\s" /proc/$pid/status && grep -qE "^NoNewPrivs:\s+1" /proc/$pid/status' _ "${PID[$d]}" "$run_user"
    check "$d loaded the installed libzwfw (/usr/local/lib/zwfw), not the build's" \
      bash -c 'grep -q " /usr/local/lib/zwfw/libzwfw.so$" /proc/$1/maps && ! grep -q "$2/lib/libzwfw.so" /proc/$1/maps' _ "${PID[$d]}" "$build"
  done

  # CURVE for real: the broker's mode and registry, the workers' mode.
  check "the broker runs CURVE with the installed registry's 6 keys" \
    grep -qE '"msg":"broker started".*"mode":"curve".*"keys":"6"' "$work/log/zwfw-broker.log"
  for d in zwfw-intake zwfw-workflow zwfw-rating zwfw-xregion zwfw-report; do
    check "$d registered over CURVE (its system key from /etc/zwfw/keys)" \
      grep -qE "\"msg\":\"${d#zwfw-} started\".*\"mode\":\"curve\"" "$work/log/$d.log"
  done
  check "no CURVE, no service: zwfwctl status --plain gets no answer (exit 1)" \
    bash -c '! (. /etc/zwfw/zwfwctl.env && /usr/local/bin/zwfwctl status --plain --endpoint "$1" --timeout 1500 --retries 0)' _ "$B"
  /usr/local/bin/zwfwctl keygen window-99 --dir "$work/client" >/dev/null 2>&1
  check "an unregistered key gets no answer (exit 1)" \
    bash -c '! /usr/local/bin/zwfwctl status --endpoint "$1" --key "$2" --server-key /etc/zwfw/keys/broker.key --timeout 1500 --retries 0' _ "$B" "$work/client/window-99.secret"
  # docs/operations.md: add the entry (a new file renamed over the old),
  # then systemctl reload zwfw-broker, which is ExecReload's SIGHUP.
  wpk=$(public_key_of "$work/client/window-99.key")
  "$PY" - "$wpk" <<'PY'
import json, os, sys
path = "/etc/zwfw/keys.json"
doc = json.load(open(path, encoding="utf-8"))
doc["keys"].append({"name": "window-99", "public_key": sys.argv[1], "role": "window",
                    "region": "500152", "department": "", "comment": "test window"})
with open(path + ".new", "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, indent=2)
os.rename(path + ".new", path)
PY
  reload=$(unit_get zwfw-broker ExecReload)
  MAINPID=${PID[zwfw-broker]}
  eval "${reload//\$MAINPID/$MAINPID}"
  registered=0
  for _ in $(seq 40); do
    if /usr/local/bin/zwfwctl status --endpoint "$B" --key "$work/client/window-99.secret" \
         --server-key /etc/zwfw/keys/broker.key --timeout 1500 --retries 0 >"$work/window.out" 2>&1; then
      registered=1
      break
    fi
    sleep 0.25
  done
  if [ $registered = 1 ] && grep -q '"msg":"key registry reloaded".*"keys":"7"' "$work/log/zwfw-broker.log"; then
    ok "a window key added to /etc/zwfw/keys.json is admitted after the unit's ExecReload (SIGHUP)"
  else
    bad "the added window key was not admitted after SIGHUP"
    sed 's/^/    /' "$work/window.out"
    grep "registry" "$work/log/zwfw-broker.log" | cut -c1-300 | sed 's/^/    /'
  fi

  # One daemon migrates: intake; the others only waited for its schema.
  check "zwfw-intake applied the migrations from the installed share/zwfw" \
    grep -q '"msg":"migration applied"' "$work/log/zwfw-intake.log"
  for d in zwfw-workflow zwfw-rating zwfw-xregion zwfw-report; do
    check "$d applied no migration" bash -c '! grep -q "migration applied\|migrations applied" "$1"' _ "$work/log/$d.log"
  done
  check "zwfwctl db status: every shipped migration is applied, once" \
    bash -c 'out=$(. /etc/zwfw/zwfwctl.env && /usr/local/bin/zwfwctl db status --db "$1" 2>&1) || exit 1; echo "$out"
             n=$(ls /usr/local/share/zwfw/common/sql/*.sql /usr/local/share/zwfw/services/*/sql/*.sql | wc -l)
             for f in /usr/local/share/zwfw/common/sql/*.sql /usr/local/share/zwfw/services/*/sql/*.sql; do
               grep -qE " $(basename "$f") " <<<"$out" || { echo "$f not applied"; exit 1; }; done
             [ "$(grep -c . <<<"$out")" = "$n" ]' _ "$dbinfo"
  check "zwfw-intake and zwfw-workflow read the installed calendar" \
    bash -c 'grep -q "\"msg\":\"calendar loaded\",\"path\":\"/usr/local/share/zwfw/deploy/calendar/cn.json\"" "$1" && grep -q "\"msg\":\"calendar loaded\",\"path\":\"/usr/local/share/zwfw/deploy/calendar/cn.json\"" "$2"' _ "$work/log/zwfw-intake.log" "$work/log/zwfw-workflow.log"
  check "zwfw-workflow stored the installed workflow definitions" \
    grep -q '"msg":"definition stored".*"file":"/usr/local/share/zwfw/deploy/workflow/promised-default.json"' "$work/log/zwfw-workflow.log"
  check "zwfw-xregion binds its partner link with the staged link key" \
    bash -c 'grep -qF "\"link_public_key\":\"$2\"" "$1"' _ "$work/log/zwfw-xregion.log" "$(public_key_of /etc/zwfw/keys/link.key)"
  # docs/operations.md "First use": the installed sample catalog, loaded
  # through the broker as the operator; its changes enter the audit chain.
  check "zwfwctl catalog load of the installed sample catalog, as the operator" \
    ctl catalog load /usr/local/share/zwfw/deploy/catalog/tongnan-sample.json --actor deploy-test --timeout 60000
  audit_ok() {
    local out
    for _ in $(seq 40); do
      out=$(. /etc/zwfw/zwfwctl.env && /usr/local/bin/zwfwctl audit verify --db "$dbinfo" 2>&1) &&
        grep -qE "^ok: [1-9][0-9]* rows" <<<"$out" && { echo "$out"; return 0; }
      sleep 0.25
    done
    echo "$out"
    return 1
  }
  check "zwfwctl audit verify walks the audit chain the catalog load wrote (ok: N rows)" audit_ok

  # SIGTERM, in systemd's stop order: the workers, intake, the broker.
  stop() { # DAEMON: TERM, then its exit status within the unit's TimeoutStopSec
    local d=$1 p=${PID[$1]} rc limit
    limit=$(unit_get "$d" TimeoutStopSec)
    limit=${limit%s}
    kill -TERM "$p"
    for _ in $(seq $((limit * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      bad "$d did not stop within ${limit} s (TimeoutStopSec) of SIGTERM"
      kill -KILL "$p"
      wait "$p" 2>/dev/null
      return
    fi
    wait "$p"
    rc=$?
    if [ $rc = 0 ]; then ok "$d stops on SIGTERM with exit 0 within TimeoutStopSec (${limit} s)"; else
      bad "$d exited $rc after SIGTERM"
      tail -n 20 "$work/log/$d.log" | cut -c1-300 | sed 's/^/    /'
    fi
  }
  for d in zwfw-report zwfw-xregion zwfw-rating zwfw-workflow zwfw-intake zwfw-broker; do stop "$d"; done
  dpids=()
  check "zwfw-intake finished the requests in hand before it stopped" \
    grep -q '"msg":"intake stopped"' "$work/log/zwfw-intake.log"
  check "every log line of every daemon is one JSON object (journald gets JSON lines)" \
    "$PY" - "$work"/log/*.log <<'PY'
import json, sys
bad = 0
for path in sys.argv[1:]:
    lines = open(path, encoding="utf-8").read().splitlines()
    if not lines:
        print(path, "is empty"); bad += 1
    for n, line in enumerate(lines, 1):
        try:
            if not isinstance(json.loads(line), dict):
                raise ValueError("not an object")
        except ValueError as e:
            print("%s:%d: %s: %s" % (path, n, e, line[:200])); bad += 1
sys.exit(1 if bad else 0)
PY
  exit 0
fi

# ============================================================================
# Part 1
# ============================================================================
work=$(mktemp -d /tmp/zwt-deploy-install-XXXXXX)
chmod 0755 "$work"
pg_state=""
dbinfo=""
conninfo=""
cleanup() {
  if [ -n "$dbinfo" ]; then
    psql "$conninfo" -qX -c "DROP DATABASE IF EXISTS zwfw_deploy_install" \
      -c "DROP ROLE IF EXISTS zwfw_deploy_install" >/dev/null 2>&1
  fi
  if [ -n "$pg_state" ]; then "$here/../harness/pgtmp.sh" stop "$pg_state" >/dev/null 2>&1; fi
  [ -n "${ZWT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

build=$(cd "$bin/.." && pwd)
for b in zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-report zwfw-xregion zwfwctl; do
  [ -x "$bin/$b" ] || { echo "not ok - $bin/$b is not built"; echo "0 passed, 1 failed"; exit 1; }
done
INSTALL=$src/deploy/install.sh
is_root=0
[ "$(id -u)" = 0 ] && is_root=1
# The daemons' user: `nobody` stands in for `zwfw` (never made on the test
# machine) as root; a user stages for itself.
if [ $is_root = 1 ]; then run_user=nobody; else run_user=$(id -un); fi
run_group=$(id -gn "$run_user")
R=$work/root
t0=$SECONDS

# --- usage ---------------------------------------------------------------
check "install.sh --help prints the usage (exit 0)" bash -c '"$1" --help | grep -q -- "--root DIR"' _ "$INSTALL"
check "install.sh: a relative --prefix is refused (exit 2)" \
  bash -c '"$1" --prefix opt/zwfw --root "$2/x" --build-dir "$3"; [ $? = 2 ]' _ "$INSTALL" "$work" "$build"
check "install.sh: an unknown option is refused (exit 2)" \
  bash -c '"$1" --bogus; [ $? = 2 ]' _ "$INSTALL"
check "install.sh: a build without programs is refused (exit 1)" \
  bash -c 'mkdir -p "$2/empty-build"; out=$("$1" --build-dir "$2/empty-build" --root "$2/x" 2>&1); rc=$?; echo "$out"
           [ $rc = 1 ] && grep -q "is not built" <<<"$out" && [ ! -e "$2/x" ]' _ "$INSTALL" "$work"

# --- dry run -----------------------------------------------------------------
check "--dry-run says what it would do and creates nothing" \
  bash -c 'out=$("$1" --build-dir "$2" --root "$3" --user "$4" --dry-run) || exit 1; echo "$out" | tail -3
           grep -q "would make the CURVE key pair /etc/zwfw/keys/broker.secret" <<<"$out" &&
           grep -q "would install /etc/systemd/system/zwfw.target" <<<"$out" && [ ! -e "$3" ]' \
  _ "$INSTALL" "$build" "$R" "$run_user"

# --- the first run -------------------------------------------------------------
if "$INSTALL" --build-dir "$build" --root "$R" --user "$run_user" >"$work/install1.log" 2>&1; then
  ok "install.sh --root stages the installation (exit 0)"
else
  bad "install.sh --root failed"
  sed 's/^/    /' "$work/install1.log"
  echo "$passed passed, $failed failed"
  exit 1
fi
check "it prints the next steps (database, configs, systemctl enable --now zwfw.target)" \
  bash -c 'grep -q "createdb -O zwfw" "$1" && grep -q "systemctl enable --now zwfw.target" "$1" && grep -q "data.key" "$1"' _ "$work/install1.log"

U=$R/etc/systemd/system
units_ok() {
  local d
  for d in "${daemons[@]}"; do
    local f=$U/$d.service
    [ -f "$f" ] || { echo "no $f"; return 1; }
    for want in "ExecStart=/usr/local/bin/$d --config /etc/zwfw/$d.json" "User=$run_user" \
        "Group=$run_group" "Restart=on-failure" 'ExecReload=/bin/kill -HUP $MAINPID' \
        "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" \
        "PartOf=zwfw.target" "WantedBy=zwfw.target" "Environment=ZWFW_SOURCE_DIR=/usr/local/share/zwfw"; do
      grep -qxF "$want" "$f" || { echo "$d.service lacks '$want'"; return 1; }
    done
    if grep -q '^ReadWritePaths=' "$f"; then echo "$d.service: ReadWritePaths"; return 1; fi
    if [ "$d" != zwfw-broker ]; then
      grep -qE '^After=.*postgresql\.service.*zwfw-broker\.service' "$f" ||
        { echo "$d.service is not after postgresql and the broker"; return 1; }
    fi
    if [ "$d" != zwfw-broker ] && [ "$d" != zwfw-intake ]; then
      grep -qE '^After=.*zwfw-intake\.service' "$f" || { echo "$d.service is not after intake (which migrates)"; return 1; }
    fi
    grep -qF "$d.service" "$U/zwfw.target" || { echo "zwfw.target does not want $d"; return 1; }
  done
  grep -qx "WantedBy=multi-user.target" "$U/zwfw.target"
}
check "units: one per daemon and zwfw.target, as the unit templates say" units_ok
check "programs in /usr/local/bin, libzwfw in /usr/local/lib/zwfw, ld.so.conf.d names it" \
  bash -c 'for p in zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-report zwfw-xregion zwfwctl; do
             [ -x "$1/usr/local/bin/$p" ] || { echo "no $p"; exit 1; }; done
           [ -f "$1/usr/local/lib/zwfw/libzwfw.so" ] && grep -qx /usr/local/lib/zwfw "$1/etc/ld.so.conf.d/zwfw.conf"' _ "$R"
# cmake --install gives the programs the install RUNPATH: the staged
# zwfwctl loads the staged libzwfw, not the build tree's, with no
# LD_LIBRARY_PATH and no ld.so.conf.
check "installed programs' RUNPATH is \$ORIGIN/../lib/zwfw; the staged zwfwctl loads the staged libzwfw" \
  bash -c 'for p in zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-report zwfw-xregion zwfwctl; do
             readelf -d "$1/usr/local/bin/$p" | grep -qF "[\$ORIGIN/../lib/zwfw]" || { echo "$p: $(readelf -d "$1/usr/local/bin/$p" | grep -i path)"; exit 1; }; done
           out=$(env -u LD_LIBRARY_PATH ldd "$1/usr/local/bin/zwfwctl" | grep libzwfw); echo "$out"
           grep -qF "$1/usr/local/bin/../lib/zwfw/libzwfw.so" <<<"$out" &&
           env -u LD_LIBRARY_PATH "$1/usr/local/bin/zwfwctl" --help >/dev/null' _ "$R"
data_ok() {
  local D=$R/usr/local/share/zwfw f n=0
  for f in "$src"/common/sql/*.sql "$src"/services/*/sql/*.sql "$src"/deploy/calendar/cn.json \
      "$src"/deploy/regions.json "$src"/deploy/workflow/*.json "$src"/deploy/catalog/*.json; do
    cmp -s "$f" "$D/${f#"$src"/}" || { echo "${f#"$src"/} not installed as shipped"; return 1; }
    n=$((n + 1))
  done
  echo "$n files"
  [ "$n" -ge 10 ]
}
check "shipped data in /usr/local/share/zwfw (migrations, calendar, regions, workflow, catalog)" data_ok
check "docs/operations.md installed in /usr/local/share/doc/zwfw" cmp "$src/docs/operations.md" "$R/usr/local/share/doc/zwfw/operations.md"

configs_ok() {
  local d f
  for d in "${daemons[@]}"; do
    f=$R/etc/zwfw/$d.json
    [ -f "$f" ] || { echo "no $f"; return 1; }
    cmp -s "$f" "$src/deploy/config/$d.example.json" || { echo "$d.json is not the example"; return 1; }
    [ "$(mode_of "$f")" = 640 ] || { echo "$d.json mode $(mode_of "$f")"; return 1; }
    local m
    m=$(json "$f" 'd.get("'"${d#zwfw-}"'", {}).get("migrate", d.get("common", {}).get("migrate", False))')
    if [ "$d" = zwfw-intake ]; then [ "$m" = True ] || { echo "intake does not migrate"; return 1; }
    else [ "$m" = False ] || { echo "$d migrates"; return 1; }; fi
    # every file the config names is in the staged tree
    local p
    for p in $(json "$f" '"\n".join(v for s in ("common", "'"${d#zwfw-}"'") for k, v in d.get(s, {}).items() if k.endswith(("_file", "_dir")) or k in ("broker_public_key", "intake_public_key", "workflow_public_key"))'); do
      [ -e "$R$p" ] || { echo "$d.json names $p, which is not installed"; return 1; }
    done
  done
}
check "configs: one per daemon from the examples (0640); only intake migrates; every file named exists" configs_ok
check "zwfw-intake.json: Tongnan's division code and center; xregion: region, link on tcp://*:5570" \
  bash -c '[ "$(json "$1/zwfw-intake.json" "d[\"intake\"][\"division_code\"]")" = 500152 ] &&
           [ "$(json "$1/zwfw-intake.json" "d[\"intake\"][\"center_name\"]")" = 重庆市潼南区政务服务中心 ] &&
           [ "$(json "$1/zwfw-xregion.json" "d[\"xregion\"][\"region\"]")" = 500152 ] &&
           [ "$(json "$1/zwfw-xregion.json" "d[\"xregion\"][\"link_endpoint\"]")" = "tcp://*:5570" ]' _ "$R/etc/zwfw"

K=$R/etc/zwfw/keys
keys_ok() {
  local n
  [ "$(mode_of "$K")" = 700 ] || { echo "keys/ mode $(mode_of "$K")"; return 1; }
  for n in "${key_names[@]}"; do
    [ "$(mode_of "$K/$n.secret")" = 600 ] || { echo "$n.secret mode $(mode_of "$K/$n.secret")"; return 1; }
    [ "$(mode_of "$K/$n.key")" = 644 ] || { echo "$n.key mode $(mode_of "$K/$n.key")"; return 1; }
    [ "$(public_key_of "$K/$n.key")" = "$(public_key_of "$K/$n.secret")" ] || { echo "$n: pair mismatch"; return 1; }
    [ "$(public_key_of "$K/$n.key" | wc -c)" = 41 ] || { echo "$n: not a Z85 key"; return 1; }
    if [ $is_root = 1 ]; then
      [ "$(owner_of "$K/$n.secret")" = "$run_user" ] || { echo "$n.secret owner $(owner_of "$K/$n.secret")"; return 1; }
    fi
  done
  [ $is_root = 0 ] || [ "$(owner_of "$K")" = "$run_user" ] || { echo "keys/ owner $(owner_of "$K")"; return 1; }
}
check "keys: 8 CURVE pairs (secret 0600, public 0644) in a 0700 folder of the daemons' user" keys_ok
check "the data key: 64 hex digits, mode 0600" \
  bash -c '[ "$(stat -c %a "$1")" = 600 ] && tr -d "\n" <"$1" | grep -qE "^[0-9a-f]{64}$"' _ "$K/data.key"
registry_ok() {
  local f=$R/etc/zwfw/keys.json n pk
  [ "$(json "$f" 'len(d["keys"])')" = 6 ] || { echo "registry: $(json "$f" 'len(d["keys"])') entries"; return 1; }
  for n in intake workflow rating report xregion operator; do
    pk=$(public_key_of "$K/$n.key")
    [ "$(json "$f" '[e["role"] for e in d["keys"] if e["name"] == "'"$n"'" and e["public_key"] == "'"$pk"'"]')" = \
      "['$([ $n = operator ] && echo operator || echo system)']" ] || { echo "registry: $n wrong or missing"; return 1; }
  done
  # the link key is no broker key, and the example's placeholders are not there
  ! grep -qF "$(public_key_of "$K/link.key")" "$f" && ! grep -q EXAMPLE "$f"
}
check "keys.json: the 5 daemons' system keys and the operator key, nothing else" registry_ok
check "registry.example.json's placeholder keys are valid Z85 yet clearly examples, unique" \
  "$PY" - "$src/deploy/config/registry.example.json" <<'PY'
import json, sys
Z = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
keys = json.load(open(sys.argv[1], encoding="utf-8"))["keys"]
seen = set()
for e in keys:
    k = e["public_key"]
    assert len(k) == 40 and all(c in Z for c in k) and "EXAMPLE" in k, k
    for i in range(0, 40, 5):
        v = 0
        for c in k[i:i + 5]:
            v = v * 85 + Z.index(c)
        assert v < 2 ** 32, k
    assert k not in seen and e["name"] not in seen
    seen |= {k, e["name"]}
print(len(keys), "entries")
PY

# --- the second run keeps everything -----------------------------------------
sums() { (cd "$R/etc/zwfw" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
sed -i 's/"threads": 2/"threads": 3/' "$R/etc/zwfw/zwfw-report.json"
sums >"$work/sums1"
if "$INSTALL" --build-dir "$build" --root "$R" --user "$run_user" >"$work/install2.log" 2>&1; then
  ok "a second run succeeds"
else
  bad "the second run failed"
  sed 's/^/    /' "$work/install2.log"
fi
sums >"$work/sums2"
check "a second run changes no key, no data key, no config, no registry" diff "$work/sums1" "$work/sums2"
check "a second run keeps an operator's edit of a config" grep -q '"threads": 3' "$R/etc/zwfw/zwfw-report.json"
check "a second run makes and writes nothing (no 'make', 'write', 'install', 'update' lines)" \
  bash -c '! grep -E "^zwfw-install: (make|write|install|update|create) " "$1"' _ "$work/install2.log"
check "a second run keeps key modes (secret 0600, public 0644, data key 0600)" keys_ok

# --- never replaced ---------------------------------------------------------------
R2=$work/root2
mkdir -p "$R2/etc/zwfw/keys"
printf 'public-key = "%s"\n' "$(public_key_of "$K/broker.key")" >"$R2/etc/zwfw/keys/broker.key"
cp "$R2/etc/zwfw/keys/broker.key" "$work/broker.key.before"
# Refused before any change: nothing is installed, no key made.
check "a public key without its secret is refused (exit 1) before any change, never replaced" \
  bash -c 'out=$("$1" --build-dir "$2" --root "$3" --user "$4" 2>&1); rc=$?; echo "$out" | tail -2
           [ $rc = 1 ] && grep -q "broker.key exists without broker.secret" <<<"$out" && cmp "$5" "$3/etc/zwfw/keys/broker.key" &&
           [ "$(find "$3" -type f | wc -l)" = 1 ]' \
  _ "$INSTALL" "$build" "$R2" "$run_user" "$work/broker.key.before"
rm -f "$R2/etc/zwfw/keys/broker.key"
echo "not a key" >"$R2/etc/zwfw/keys/data.key"
check "a data key that is not 64 hex digits is refused (exit 1) before any change, never replaced" \
  bash -c 'out=$("$1" --build-dir "$2" --root "$3" --user "$4" 2>&1); rc=$?; echo "$out" | tail -2
           [ $rc = 1 ] && grep -q "data.key exists but is not 64 hex digits" <<<"$out" &&
           [ "$(cat "$3/etc/zwfw/keys/data.key")" = "not a key" ] && [ "$(find "$3" -type f | wc -l)" = 1 ]' \
  _ "$INSTALL" "$build" "$R2" "$run_user"
cp "$K/broker.secret" "$R2/etc/zwfw/keys/broker.secret"
rm -f "$R2/etc/zwfw/keys/data.key"
check "a lost public key is written again from its secret (same public key)" \
  bash -c '"$1" --build-dir "$2" --root "$3" --user "$4" >/dev/null 2>&1 && cmp <(sed -n "/public-key/p" "$5") <(sed -n "/public-key/p" "$3/etc/zwfw/keys/broker.key")' \
  _ "$INSTALL" "$build" "$R2" "$run_user" "$K/broker.key"

# --- --prefix ---------------------------------------------------------------------------
R3=$work/root3
check "--prefix /opt/zwfw: programs, data and every path in units and configs move there" \
  bash -c '"$1" --build-dir "$2" --root "$3" --prefix /opt/zwfw --user "$4" >/dev/null || exit 1
           [ -x "$3/opt/zwfw/bin/zwfw-intake" ] && [ -f "$3/opt/zwfw/share/zwfw/deploy/calendar/cn.json" ] &&
           grep -qx "ExecStart=/opt/zwfw/bin/zwfw-intake --config /etc/zwfw/zwfw-intake.json" "$3/etc/systemd/system/zwfw-intake.service" &&
           grep -qx "Environment=ZWFW_SOURCE_DIR=/opt/zwfw/share/zwfw" "$3/etc/systemd/system/zwfw-intake.service" &&
           grep -q "\"calendar_file\": \"/opt/zwfw/share/zwfw/deploy/calendar/cn.json\"" "$3/etc/zwfw/zwfw-intake.json" &&
           grep -qx /opt/zwfw/lib/zwfw "$3/etc/ld.so.conf.d/zwfw.conf" &&
           ! grep -rq /usr/local "$3/etc" && [ ! -e "$3/usr/local" ]' \
  _ "$INSTALL" "$build" "$R3" "$run_user"
rm -rf "$R2" "$R3"

# --- part 2: the daemons from the staged tree -------------------------------------------
if [ $is_root = 0 ]; then
  echo "# skip: running the installed daemons needs root (a mount namespace, setpriv); $(id -un) is not"
elif ! unshare --mount --propagation private true 2>/dev/null; then
  echo "# skip: running the installed daemons needs a mount namespace (unshare --mount failed)"
else
  if [ -n "${ZWFW_PG_CONNINFO_FILE:-}" ] && [ -s "$ZWFW_PG_CONNINFO_FILE" ]; then
    conninfo=$(cat "$ZWFW_PG_CONNINFO_FILE")
  else
    pg_state=$work/pg
    "$here/../harness/pgtmp.sh" start "$pg_state" >"$work/pgtmp.log" 2>&1 ||
      { cat "$work/pgtmp.log"; bad "cannot start PostgreSQL"; echo "$passed passed, $failed failed"; exit 1; }
    conninfo=$(cat "$pg_state/conninfo")
  fi
  # As docs/operations.md makes it: an ordinary role (no superuser) that
  # owns the database; zwfw-intake makes the schemas with it.
  if ! psql "$conninfo" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS zwfw_deploy_install" \
      -c "DROP ROLE IF EXISTS zwfw_deploy_install" -c "CREATE ROLE zwfw_deploy_install LOGIN" \
      -c "CREATE DATABASE zwfw_deploy_install OWNER zwfw_deploy_install ENCODING 'UTF8' LOCALE 'C.UTF-8' TEMPLATE template0" \
      >"$work/psql.log" 2>&1; then
    bad "cannot create the database"
    sed 's/^/    /' "$work/psql.log"
  else
    dbinfo=$(sed -E -e "s/dbname=[^ ]+/dbname=zwfw_deploy_install/" -e "s/user=[^ ]+/user=zwfw_deploy_install/" <<<"$conninfo")
    ports=()
    while [ ${#ports[@]} -lt 7 ]; do
      p=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
    done
    {
      printf 'dbinfo=%q\nrun_user=%q\nbuild=%q\nsrc=%q\n' "$dbinfo" "$run_user" "$build" "$src"
      printf 'port_broker=%s port_intake=%s port_workflow=%s port_rating=%s port_xregion=%s port_link=%s\n' \
        "${ports[@]:0:6}"
    } >"$work/inside.env"
    echo "# part 2: the installed daemons in a private mount namespace"
    unshare --mount --propagation private -- bash "$self" --inside "$work"
    if [ -f "$work/inside.counts" ]; then
      read -r p2 f2 <"$work/inside.counts"
      passed=$((passed + p2))
      failed=$((failed + f2))
    else
      bad "part 2 ended without its counts"
    fi
  fi
fi

echo "# took $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
