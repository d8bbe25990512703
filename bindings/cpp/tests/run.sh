#!/bin/sh
# run.sh — starts three dcams-sandbox instances (plain, one whose password
# holds `"`, `\` and `é`, one that answers after a delay), runs each C++ test
# program and the sample against them, and stops the sandboxes however the
# run ends. Called by the Makefile:
#
#   SANDBOX=... BUILD=... DATA=... TEST_BINS="..." [SAMPLE_BIN=...] \
#   [RUNNER="valgrind ..."] [TEST_FLAGS=--quick] sh tests/run.sh
#
# Exit status: 0 if everything passed; otherwise the first failing status.
set -u

: "${SANDBOX:?}" "${BUILD:?}" "${DATA:?}" "${TEST_BINS:?}"
RUNNER=${RUNNER:-}
TEST_FLAGS=${TEST_FLAGS:-}
SAMPLE_BIN=${SAMPLE_BIN:-}
# start_sandbox, and the traps that stop every sandbox however the run ends.
. "$(dirname "$0")/../../c/tests/sandboxes.sh"

status=0
note() { [ "$status" -ne 0 ] || status=$1; }

set -- $TEST_BINS
first=$1
start_sandbox cpp
storage_url=$url
# The password comes from the test program, so it is written in one place.
quoted_pass=$("$first" --print-quoted-pass) || exit 1
start_sandbox cpp-quoted --pass "$quoted_pass"
quoted_url=$url
# Must match kSlowLatencyMs in test_dcams.cpp.
start_sandbox cpp-slow --latency-ms 1500
slow_url=$url

for bin in $TEST_BINS; do
    echo "== $bin"
    # shellcheck disable=SC2086 # RUNNER and TEST_FLAGS are word lists
    $RUNNER "$bin" --url "$storage_url" --data "$DATA" --quoted-url "$quoted_url" --slow-url "$slow_url" \
        $TEST_FLAGS
    note $?
done

if [ -n "$SAMPLE_BIN" ]; then
    echo "== $SAMPLE_BIN"
    # The sample reads its configuration from the environment, like a deployment.
    # shellcheck disable=SC2086
    out=$(DCAMS_ENDPOINT=$storage_url DCAMS_USER=sandbox-user DCAMS_PASS=sandbox-pass \
        $RUNNER "$SAMPLE_BIN" "$DATA/passport-td3.jpg" 2>&1)
    got=$?
    printf '%s\n' "$out"
    if [ $got -eq 0 ] && printf '%s\n' "$out" | grep -q '^createCustomer PENDING' &&
        printf '%s\n' "$out" | grep -q '^wrong password: 401 Either your username or password is incorrect$'; then
        echo "sample: passed"
    else
        echo "FAIL sample: exit $got, or its output lacks the expected lines" >&2
        note 1
    fi
fi

if [ "$status" -eq 0 ]; then echo "run.sh: all passed"; else echo "run.sh: FAILED (status $status)"; fi
exit "$status"
