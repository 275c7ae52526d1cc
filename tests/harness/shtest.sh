# Sourced by the shell tests (tests/integration/test_*.sh) after they set
# `here` to their own folder:
#   . "$here/../harness/shtest.sh" NAME
# Gives them `bin` (ZWFW_BIN_DIR, else build/bin), a work folder removed on
# exit, `pids` (every process added there is stopped on exit: TERM, then
# KILL after 5 s) and `check NAME CMD...`, which runs CMD, prints
# "ok - NAME" or "not ok - NAME" with CMD's output, and counts into
# `passed` and `failed`.
bin=${ZWFW_BIN_DIR:-$here/../../build/bin}
work=$(mktemp -d "/tmp/zwt-$1-XXXXXX")
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() { # NAME CMD...
  local name=$1
  shift
  if "$@" >"$work/check.out" 2>&1; then
    passed=$((passed + 1))
    echo "ok - $name"
  else
    failed=$((failed + 1))
    echo "not ok - $name"
    sed 's/^/    /' "$work/check.out"
  fi
}
