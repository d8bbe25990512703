#!/usr/bin/env bash
# Test of `make demo`'s job: runs scripts/demo.sh and checks that it exits 0,
# that the C step created the customer, the Python step updated the same one,
# and the status was read back. Prints `N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(scripts/demo.sh 2>&1)
status=$?
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
check "demo exits 0" '[ $status -eq 0 ]'
types=$(printf '%s\n' "$out" | grep -o '"type": *"[a-zA-Z]*"' | tr -d ' ' | tr '\n' ' ')
check "createCustomer then updateCustomer (got: $types)" '[ "$types" = "\"type\":\"createCustomer\" \"type\":\"updateCustomer\" " ]'
check "status read back" 'printf "%s\n" "$out" | tail -n 4 | grep -q "\"status\":\"PENDING\""'
check "no password in the output" '! printf "%s\n" "$out" | grep -q "sandbox-pass"'
[ $fail -eq 0 ] || printf '%s\n' "$out" >&2
echo "demo: $pass passed, $fail failed"
[ $fail -eq 0 ]
