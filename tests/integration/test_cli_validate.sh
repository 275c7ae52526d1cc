#!/usr/bin/env bash
# zwfwctl validate: exit codes (0 valid, 1 invalid, 2 bad usage) and output.
# Valid codes are built here from the standards' check formulas, not pasted.
set -euo pipefail

: "${ZWFW_BIN_DIR:?set ZWFW_BIN_DIR to the built binaries}"
: "${ZWFW_SOURCE_DIR:?set ZWFW_SOURCE_DIR to the source tree}"
ctl="$ZWFW_BIN_DIR/zwfwctl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset ZWFW_REGIONS

passed=0
failed=0

# check NAME RC STDOUT_PART STDERR_PART -- CMD...
# An empty *_PART means that stream must be empty.
check() {
  local name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 5
  local rc=0
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  local out err ok=1
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
  [ "$rc" = "$want_rc" ] || ok=0
  if [ -z "$want_out" ]; then [ -z "$out" ] || ok=0; else [[ $out == *"$want_out"* ]] || ok=0; fi
  if [ -z "$want_err" ]; then [ -z "$err" ] || ok=0; else [[ $err == *"$want_err"* ]] || ok=0; fi
  if [ $ok = 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name: rc=$rc (want $want_rc)"
    echo "  stdout: $out (want: ${want_out:-empty})"
    echo "  stderr: $err (want: ${want_err:-empty})"
  fi
}

id_check() { # 17 digits -> GB 11643 check character
  local body=$1 sum=0 i
  local -a w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2)
  for i in $(seq 0 16); do sum=$((sum + ${body:i:1} * w[i])); done
  local checks=10X98765432
  echo "${checks:sum%11:1}"
}

cs=0123456789ABCDEFGHJKLMNPQRTUWXY
cs_val() { local pre=${cs%%"$1"*}; echo ${#pre}; }

org_check() { # 8 characters -> GB 11714 check character
  local body=$1 sum=0 i c v
  local -a w=(3 7 9 10 5 8 4 2)
  for i in $(seq 0 7); do
    c=${body:i:1}
    if [[ $c == [0-9] ]]; then v=$c; else v=$(($(printf '%d' "'$c") - 55)); fi
    sum=$((sum + v * w[i]))
  done
  v=$((11 - sum % 11))
  case $v in 10) echo X ;; 11) echo 0 ;; *) echo $v ;; esac
}

uscc_make() { # prefix8 org8 -> full 18-character code
  local first=$1$2$(org_check "$2") sum=0 i
  local -a w=(1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28)
  for i in $(seq 0 16); do sum=$((sum + $(cs_val "${first:i:1}") * w[i])); done
  echo "$first${cs:(31 - sum % 31) % 31:1}"
}

other_char() { if [ "$1" = "$2" ]; then echo "$3"; else echo "$2"; fi; }

# ---- resident ID
body=50015219900101123
id=$body$(id_check $body)
check "id valid" 0 valid "" -- "$ctl" validate id "$id"
gb=11010519491231002
check "id GB 11643 example" 0 valid "" -- "$ctl" validate id "$gb$(id_check $gb)"
right=$(id_check $body)
check "id wrong check" 1 "" "check character is wrong" -- \
  "$ctl" validate id "$body$(other_char "$right" 0 1)"
check "id lower-case x" 1 "" "upper-case X" -- "$ctl" validate id "${gb}x"
bad=50015219900230123
check "id not a date" 1 "" "birth date (characters 7-14) is not a date" -- \
  "$ctl" validate id "$bad$(id_check $bad)"
future=50015230000101123
check "id in the future" 1 "" "is in the future" -- \
  "$ctl" validate id "$future$(id_check $future)"
check "id length" 1 "" "must be 18 characters (got 17)" -- "$ctl" validate id "$body"

# ---- USCC
uscc=$(uscc_make 11500152 MA5U7B3C)
check "uscc valid" 0 valid "" -- "$ctl" validate uscc "$uscc"
check "uscc published" 0 valid "" -- "$ctl" validate uscc 91110000600037341L
check "uscc DOMAIN example" 0 valid "" -- "$ctl" validate uscc 115113010833722043
check "uscc wrong check" 1 "" "USCC check character should be ${uscc:17:1}" -- \
  "$ctl" validate uscc "${uscc:0:17}$(other_char "${uscc:17:1}" A B)"
check "uscc letter I" 1 "" "is not allowed" -- "$ctl" validate uscc "${uscc:0:9}I${uscc:10}"
check "uscc lower case" 1 "" "is not allowed" -- "$ctl" validate uscc "${uscc,,}"

# ---- division
check "division county" 0 valid "" -- "$ctl" validate division 500152
check "division partner" 0 valid "" -- "$ctl" validate division 511425
check "division 12 digits" 0 valid "" -- "$ctl" validate division 512022001001
check "division unknown" 1 "" "110000 is not a region this deployment knows" -- \
  "$ctl" validate division 110000
check "division not digits" 1 "" "digits only" -- "$ctl" validate division 50015X
printf '[{"code":"110000","name":"北京市","parent":null}]' >"$tmp/regions.json"
check "division --regions" 0 valid "" -- \
  "$ctl" validate division 110000 --regions "$tmp/regions.json"
check "division --regions=" 1 "" "500152 is not a region" -- \
  "$ctl" validate division --regions="$tmp/regions.json" 500152
check "division ZWFW_REGIONS" 0 valid "" -- \
  env ZWFW_REGIONS="$tmp/regions.json" "$ctl" validate division 110000
check "division missing table" 1 "" "cannot open" -- \
  "$ctl" validate division 500152 --regions "$tmp/nope.json"
printf '[{"code":"1100","name":"x"}]' >"$tmp/bad.json"
check "division broken table" 1 "" "code must be a string of 6 digits" -- \
  "$ctl" validate division 500152 --regions "$tmp/bad.json"

# ---- implementation code
example=511A0138000000-511602000000-000-115113010833722043-1-00
check "impl DOMAIN example" 0 valid "" -- "$ctl" validate impl "$example"
shipped="$ZWFW_SOURCE_DIR/deploy/regions.json"
check "impl example outside our regions" 1 "" "511602 is not a region" -- \
  "$ctl" validate impl "$example" --regions "$shipped"
impl=500A01380000-500152000000-000-$uscc-1-00
check "impl ours" 0 valid "" -- "$ctl" validate impl "$impl" --regions "$shipped"
check "impl bad USCC" 1 "" "implementation code USCC check character should be" -- \
  "$ctl" validate impl "500A01380000-500152000000-000-${uscc:0:17}$(other_char "${uscc:17:1}" A B)-1-00"
check "impl parts" 1 "" "must have 6 parts" -- "$ctl" validate impl "500A01380000-500152000000"

# ---- usage
check "no kind" 2 "" "usage" -- "$ctl" validate
check "unknown kind" 2 "" "unknown kind" -- "$ctl" validate passport E1234567
check "no code" 2 "" "missing the code" -- "$ctl" validate id
check "two codes" 2 "" "exactly one code" -- "$ctl" validate id "$id" "$id"
check "regions on id" 2 "" "division and impl only" -- \
  "$ctl" validate id "$id" --regions "$shipped"
check "regions without file" 2 "" "needs a file" -- "$ctl" validate division 500152 --regions
check "unknown option" 2 "" "unknown option" -- "$ctl" validate id --fast "$id"
check "help" 0 "usage: zwfwctl validate" "" -- "$ctl" validate --help

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
