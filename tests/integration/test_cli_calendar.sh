#!/usr/bin/env bash
# zwfwctl calendar: outputs and exit codes (0 done, 1 failed, 2 bad usage),
# against the shipped calendar and against calendars given by --calendar
# and $ZWFW_CALENDAR.
set -euo pipefail

: "${ZWFW_BIN_DIR:?ZWFW_BIN_DIR must point at the built binaries}"
CTL="$ZWFW_BIN_DIR/zwfwctl"
[[ -x "$CTL" ]] || { echo "FAIL: $CTL is not an executable" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# The shipped calendar unless a case says otherwise.
unset ZWFW_CALENDAR

work=$TMP
. "$(cd "$(dirname "$0")" && pwd)/../harness/cliexpect.sh"

# expect NAME WANT_RC WANT_STDOUT CMD... : exact stdout and exit code; a
# non-zero exit must explain itself on stderr.
expect() {
    local name=$1 want_rc=$2 want_out=$3
    shift 3
    run "$@"
    if [[ $RC -ne $want_rc ]]; then
        fail "$name: exit $RC, want $want_rc (stdout '$OUT', stderr '$ERR')"
    elif [[ "$OUT" != "$want_out" ]]; then
        fail "$name: stdout '$OUT', want '$want_out'"
    elif [[ $want_rc -ne 0 && -z "$ERR" ]]; then
        fail "$name: exit $RC with nothing on stderr"
    else
        passed=$((passed + 1))
    fi
}

# --- due ---------------------------------------------------------------
expect "due over National Day 2020" 0 2020-10-09 "$CTL" calendar due --from 2020-09-30 --workdays 1
expect "due onto the working Saturday" 0 2020-10-10 "$CTL" calendar due --from 2020-09-30 --workdays 2
expect "20 working days" 0 2020-10-23 "$CTL" calendar due --from 2020-09-21 --workdays 20
expect "Spring Festival 2020 extension" 0 2020-02-03 "$CTL" calendar due --from 2020-01-23 --workdays 1
expect "across the 2020/2021 year end" 0 2021-01-04 "$CTL" calendar due --from 2020-12-30 --workdays 2
expect "Spring Festival 2026" 0 2026-02-24 "$CTL" calendar due --from 2026-02-13 --workdays 2
expect "zero working days" 0 2020-10-01 "$CTL" calendar due --from 2020-10-01 --workdays 0
expect "--opt=value form, options first" 0 2025-02-05 \
    "$CTL" calendar --workdays=1 --from=2025-01-27 due

# --- workdays ----------------------------------------------------------
expect "workdays over National Day" 0 7 "$CTL" calendar workdays --from 2020-09-25 --to 2020-10-12
expect "workdays reversed" 0 -7 "$CTL" calendar workdays --from 2020-10-12 --to 2020-09-25
expect "workdays same day" 0 0 "$CTL" calendar workdays --from 2021-03-01 --to 2021-03-01
expect "workdays all of 2021" 0 250 "$CTL" calendar workdays --from 2020-12-31 --to 2021-12-31

# --- is-workday --------------------------------------------------------
expect "cancelled working Saturday 2020-02-01" 0 no "$CTL" calendar is-workday 2020-02-01
expect "调休 Sunday 2020-09-27" 0 yes "$CTL" calendar is-workday 2020-09-27
expect "调休 Saturday 2021-10-09" 0 yes "$CTL" calendar is-workday 2021-10-09
expect "Spring Festival 2026-02-16" 0 no "$CTL" calendar is-workday 2026-02-16
expect "ordinary Monday" 0 yes "$CTL" calendar is-workday 2025-03-17
expect "ordinary Saturday" 0 no "$CTL" calendar is-workday 2025-03-15

# --- dates outside the calendar: exit 1 --------------------------------
expect_err "2019 is not loaded" 1 "2019-12-31" "$CTL" calendar is-workday 2019-12-31
expect_err "2022 is not loaded" 1 "2022" "$CTL" calendar is-workday 2022-06-01
expect_err "2027 is not loaded" 1 "2027" "$CTL" calendar due --from 2027-01-04 --workdays 1
expect_err "due walks off 2021" 1 "2022-01-01" "$CTL" calendar due --from 2021-12-30 --workdays 2
expect_err "workdays across the 2022-2024 gap" 1 "2022" \
    "$CTL" calendar workdays --from 2021-06-01 --to 2025-06-03

# --- bad usage: exit 2 -------------------------------------------------
expect_err "impossible date" 2 "2020-13-01" "$CTL" calendar due --from 2020-13-01 --workdays 1
expect_err "malformed date" 2 "2020/01/02" "$CTL" calendar is-workday 2020/01/02
expect_err "missing --workdays" 2 "--workdays" "$CTL" calendar due --from 2020-09-30
expect_err "missing --from" 2 "--from" "$CTL" calendar due --workdays 3
expect_err "negative --workdays" 2 "-1" "$CTL" calendar due --from 2020-09-30 --workdays -1
expect_err "non-numeric --workdays" 2 "abc" "$CTL" calendar due --from 2020-09-30 --workdays abc
expect_err "missing --to" 2 "--to" "$CTL" calendar workdays --from 2020-09-30
expect_err "option without value" 2 "needs a value" "$CTL" calendar due --workdays 1 --from
expect_err "unknown option" 2 "--frum" "$CTL" calendar due --frum 2020-09-30 --workdays 1
expect_err "option for another command" 2 "--to" \
    "$CTL" calendar due --from 2020-09-30 --to 2020-10-09 --workdays 1
expect_err "unknown command" 2 "frobnicate" "$CTL" calendar frobnicate
expect_err "is-workday without a date" 2 "date" "$CTL" calendar is-workday
expect_err "no command" 2 "usage" "$CTL" calendar

run "$CTL" calendar --help
if [[ $RC -eq 0 && "$OUT" == *"due --from"* && "$OUT" == *"workdays --from"* &&
      "$OUT" == *"is-workday"* && "$OUT" == *"ZWFW_CALENDAR"* ]]; then
    passed=$((passed + 1))
else
    fail "--help: exit $RC, stdout '$OUT'"
fi

run "$CTL" calendar check
if [[ $RC -eq 0 && $(printf '%s\n' "$OUT" | cut -f1 | tr '\n' ' ') == "2020 2021 2025 2026 " &&
      "$OUT" == *"国办发明电〔2024〕12号"* ]]; then
    passed=$((passed + 1))
else
    fail "check: exit $RC, stdout '$OUT', stderr '$ERR'"
fi

# --- other calendar files ----------------------------------------------
cat >"$TMP/small.json" <<'EOF'
{"years": [{"year": 2029, "source": "test calendar",
            "off": ["2029-01-01..2029-01-02"], "work": ["2029-01-06"]}]}
EOF
cat >"$TMP/bad.json" <<'EOF'
{"years": [{"year": 2029, "source": "test", "off": ["2029-02-30"], "work": []}]}
EOF

expect "--calendar FILE" 0 no "$CTL" calendar is-workday 2029-01-02 --calendar "$TMP/small.json"
expect "--calendar 调休 Sunday" 0 yes "$CTL" calendar --calendar "$TMP/small.json" is-workday 2029-01-06
expect_err "--calendar FILE lacks 2020" 1 "2020" \
    "$CTL" calendar is-workday 2020-09-27 --calendar "$TMP/small.json"
expect "ZWFW_CALENDAR" 0 2029-01-03 \
    env ZWFW_CALENDAR="$TMP/small.json" "$CTL" calendar due --from 2029-01-01 --workdays 1
expect "--calendar wins over ZWFW_CALENDAR" 0 2029-01-03 \
    env ZWFW_CALENDAR="$TMP/missing.json" "$CTL" calendar due --from 2029-01-01 --workdays 1 \
    --calendar "$TMP/small.json"
expect_err "ZWFW_CALENDAR missing file" 1 "missing.json" \
    env ZWFW_CALENDAR="$TMP/missing.json" "$CTL" calendar is-workday 2020-09-27
expect_err "malformed calendar names the entry" 1 "off[0]" \
    "$CTL" calendar is-workday 2029-01-02 --calendar "$TMP/bad.json"
expect_err "calendar that is not JSON" 1 "JSON" \
    "$CTL" calendar is-workday 2029-01-02 --calendar "$0"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
