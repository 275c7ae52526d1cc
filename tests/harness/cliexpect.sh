# Sourced by the zwfwctl shell tests (test_cli_*.sh) after they set `work`
# to a scratch folder of theirs: the checks of a command's exit code,
# stdout and stderr, counting into `passed` and `failed`.
#   run CMD...                   sets OUT, ERR, RC (at most 30 s: a hang is 124)
#   fail TEXT                    one failed check
#   expect_err NAME RC TEXT CMD  exit RC, TEXT on stderr, nothing on stdout
#   expect_out NAME TEXT CMD     exit 0, TEXT on stdout
: "${work:?set work to a scratch folder before sourcing cliexpect.sh}"
passed=${passed:-0}
failed=${failed:-0}

fail() {
    echo "not ok - $*"
    failed=$((failed + 1))
}

run() {
    RC=0
    OUT=$(timeout 30 "$@" 2>"$work/stderr") || RC=$?
    ERR=$(cat "$work/stderr")
}

expect_err() {
    local name=$1 want_rc=$2 text=$3
    shift 3
    run "$@"
    if [[ $RC -ne $want_rc ]]; then
        fail "$name: exit $RC, want $want_rc (stderr '$ERR')"
    elif [[ "$ERR" != *"$text"* ]]; then
        fail "$name: stderr '$ERR' does not mention '$text'"
    elif [[ -n "$OUT" ]]; then
        fail "$name: unexpected stdout '$OUT'"
    else
        passed=$((passed + 1))
        echo "ok - $name"
    fi
}

expect_out() {
    local name=$1 text=$2
    shift 2
    run "$@"
    if [[ $RC -ne 0 ]]; then
        fail "$name: exit $RC, want 0 (stderr '$ERR')"
    elif [[ "$OUT" != *"$text"* ]]; then
        fail "$name: stdout '$OUT' does not mention '$text'"
    else
        passed=$((passed + 1))
        echo "ok - $name"
    fi
}
