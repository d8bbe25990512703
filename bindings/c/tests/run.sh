#!/bin/sh
# run.sh — starts four dcams-sandbox instances (storage error style,
# platform error style, one whose password holds `"`, `\` and `é`, and one
# that answers after a delay), runs the C test programs (test_dcams, then
# test_batch for dcams_client_upsert_batch) and a CLI smoke test
# against them, and stops the sandboxes however the run ends. Called by the
# Makefile:
#
#   SANDBOX=... BUILD=... DATA=... HEADER=... TEST_BIN=... OBSERVE_BIN=... CLI_BIN=... BATCH_BIN=... \
#   [RUNNER="valgrind ..."] [TEST_FLAGS=--quick] sh tests/run.sh
#
# Exit status: 0 if everything passed; otherwise the first failing status.
set -u

: "${SANDBOX:?}" "${BUILD:?}" "${DATA:?}" "${HEADER:?}" "${TEST_BIN:?}" "${OBSERVE_BIN:?}" "${CLI_BIN:?}" "${BATCH_BIN:?}"
RUNNER=${RUNNER:-}
TEST_FLAGS=${TEST_FLAGS:-}
# start_sandbox, and the traps that stop every sandbox however the run ends.
. "$(dirname "$0")/sandboxes.sh"

# Nothing from the caller's environment may redirect the CLI elsewhere (the
# test program's clients are hermetic and need no such care).
unset DCAMS_ENDPOINT DCAMS_USER DCAMS_PASS DCAMS_TEST_KEY DCAMS_CONNECT_TIMEOUT_MS DCAMS_TIMEOUT_MS \
    DCAMS_RETRIES DCAMS_CA_FILE DCAMS_CA_BUNDLE

status=0
note() { [ "$status" -ne 0 ] || status=$1; }

start_sandbox storage
storage_url=$url
start_sandbox platform --error-style platform
platform_url=$url
# The password comes from the test program, so it is written in one place.
quoted_pass=$("$TEST_BIN" --print-quoted-pass) || exit 1
start_sandbox quoted --pass "$quoted_pass"
quoted_url=$url
# Must match SLOW_LATENCY_MS in test_dcams.c.
start_sandbox slow --latency-ms 1500
slow_url=$url

echo "== test_dcams (storage-style sandbox at $storage_url)"
# shellcheck disable=SC2086 # RUNNER and TEST_FLAGS are word lists
$RUNNER "$TEST_BIN" --url "$storage_url" --data "$DATA" --header "$HEADER" \
    --quoted-url "$quoted_url" --slow-url "$slow_url" $TEST_FLAGS
note $?

echo "== test_dcams --platform (platform-style sandbox at $platform_url)"
# shellcheck disable=SC2086
$RUNNER "$TEST_BIN" --url "$platform_url" --data "$DATA" --header "$HEADER" --platform
note $?

echo "== test_batch (dcams_client_upsert_batch, storage-style sandbox)"
# shellcheck disable=SC2086
$RUNNER "$BATCH_BIN" --url "$storage_url" --data "$DATA" $TEST_FLAGS
note $?

echo "== test_observe (log callback, metadata, check, cancel; sandbox at $storage_url)"
# shellcheck disable=SC2086
$RUNNER "$OBSERVE_BIN" --url "$storage_url" --slow-url "$slow_url" $TEST_FLAGS
note $?

# ---- CLI smoke test: the sample run exactly as a user would run it ----------
echo "== dcams_cli"
cli_pass=0
cli_fail=0
out="$BUILD/cli.out"
err="$BUILD/cli.err"
# expect WANT_EXIT NEEDLE COMMAND...: runs the CLI, checks the exit status
# and that stdout+stderr contain NEEDLE.
expect() {
    want=$1
    needle=$2
    shift 2
    # shellcheck disable=SC2086
    DCAMS_ENDPOINT=$storage_url DCAMS_USER=sandbox-user DCAMS_PASS=sandbox-pass \
        $RUNNER "$CLI_BIN" "$@" >"$out" 2>"$err"
    got=$?
    if [ "$got" -eq "$want" ] && cat "$out" "$err" | grep -qF -- "$needle"; then
        cli_pass=$((cli_pass + 1))
    else
        cli_fail=$((cli_fail + 1))
        echo "FAIL dcams_cli $*: exit $got (want $want), output lacks '$needle':" >&2
        cat "$out" "$err" | head -c 1500 >&2
    fi
}
email=cli-$$@example.com
front_out="$BUILD/cli-front.jpg"
back_out="$BUILD/cli-back.png"
rm -f "$front_out" "$back_out"
front_bytes=$(wc -c <"$DATA/passport-td3.jpg" | tr -d ' ')
back_bytes=$(wc -c <"$DATA/passport-td2.png" | tr -d ' ')
expect 0 '"type":"createCustomer"' upsert --email "$email" --front "$DATA/passport-td3.jpg" \
    --back "$DATA/passport-td2.png" --fn Ada --ln Example --addr "1 Test Way" --city Springfield \
    --state IL --zip 62701 --dob 19800214 --phone 2175550100 --reference CLI-1
# The summary line, read from the reply with dcams_json_get_string.
expect 0 'dcams_cli: type createCustomer status PENDING reference CLI-1' upsert \
    --email "cli2-$$@example.com" --front "$DATA/passport-td3.jpg" --reference CLI-1
expect 0 '"type":"updateCustomer"' upsert --email="$email" --front="$DATA/passport-td3.jpg"
expect 0 '"status":"PENDING"' status --email "$email"
expect 0 "\"front_bytes\":$front_bytes" images --email "$email" --out-front "$front_out" --out-back "$back_out"
expect 0 "dcams_cli: front $front_bytes bytes to $front_out, back $back_bytes bytes to $back_out" \
    images --email "$email" --out-front "$front_out" --out-back "$back_out"
if cmp -s "$front_out" "$DATA/passport-td3.jpg" && cmp -s "$back_out" "$DATA/passport-td2.png"; then
    cli_pass=$((cli_pass + 1))
else
    cli_fail=$((cli_fail + 1))
    echo "FAIL dcams_cli images: files differ from the uploaded ones" >&2
fi
expect 0 'dcams_cli: status now PASS' set-status --email "$email" --status PASS
expect 0 '"status":"PASS"' status --email "$email" --timeout-ms 30000
expect 2 'DCAMS_ERR_NOT_FOUND (23): HTTP 404: The email address was not found' status --email nobody@example.com
expect 2 '"field":"dob"' upsert --email "$email" --front "$DATA/passport-td3.jpg" --dob 19900231
expect 2 '(field dob)' upsert --email "$email" --front "$DATA/passport-td3.jpg" --dob 19900231
expect 2 'DCAMS_ERR_FILE (7)' upsert --email "$email" --front "$BUILD/no-such-file.jpg"
expect 1 '--timeout-ms must be a whole number' status --email "$email" --timeout-ms 0
expect 1 'missing required option --front' upsert --email "$email"
expect 1 'unknown option' status --email "$email" --front x.jpg
expect 1 'must be PASS, PENDING or FAIL' set-status --email "$email" --status MAYBE
expect 1 'unknown command' frobnicate
expect 1 'no command given'
expect 0 'dcams_cli: ok       credentials' check
expect 0 '"failed_step":null' check --timeout-ms 30000
expect 0 'dcams: info  dcams::attempt response status=404' check --log info
expect 0 'dcams: debug dcams::connection new connection' status --email "$email" --log debug
expect 1 '--log must be error, warn, info, debug or trace' check --log loud
expect 1 'unknown option' check --email "$email"
expect 0 'usage: dcams_cli' --help
expect 0 'usage: dcams_cli' upsert --help
# Wrong password, from the environment like a real deployment.
# shellcheck disable=SC2086
DCAMS_ENDPOINT=$storage_url DCAMS_USER=sandbox-user DCAMS_PASS=wrong \
    $RUNNER "$CLI_BIN" status --email "$email" >"$out" 2>"$err"
if [ $? -eq 2 ] && grep -qF '"http_status":401' "$err"; then
    cli_pass=$((cli_pass + 1))
else
    cli_fail=$((cli_fail + 1))
    echo "FAIL dcams_cli with a wrong password:" >&2
    cat "$out" "$err" >&2
fi
# check with a wrong password: the credentials step fails with a hint, exit 2.
# shellcheck disable=SC2086
DCAMS_ENDPOINT=$storage_url DCAMS_USER=sandbox-user DCAMS_PASS=wrong \
    $RUNNER "$CLI_BIN" check >"$out" 2>"$err"
if [ $? -eq 2 ] && grep -qF 'check failed (DCAMS_ERR_UNAUTHORIZED): the service rejected the credentials' "$err" \
    && grep -qF '"failed_step":"credentials"' "$out"; then
    cli_pass=$((cli_pass + 1))
else
    cli_fail=$((cli_fail + 1))
    echo "FAIL dcams_cli check with a wrong password:" >&2
    cat "$out" "$err" >&2
fi
# --timeout-ms: the call's own deadline, against the sandbox that answers late.
# shellcheck disable=SC2086
DCAMS_ENDPOINT=$slow_url DCAMS_USER=sandbox-user DCAMS_PASS=sandbox-pass DCAMS_RETRIES=0 \
    $RUNNER "$CLI_BIN" status --email "$email" --timeout-ms 300 >"$out" 2>"$err"
if [ $? -eq 2 ] && grep -qF 'DCAMS_ERR_TIMEOUT (42)' "$err"; then
    cli_pass=$((cli_pass + 1))
else
    cli_fail=$((cli_fail + 1))
    echo "FAIL dcams_cli --timeout-ms 300 against a slow sandbox:" >&2
    cat "$out" "$err" >&2
fi
echo "dcams_cli: $cli_pass passed, $cli_fail failed"
[ "$cli_fail" -eq 0 ] || note 1

if [ "$status" -eq 0 ]; then echo "run.sh: all passed"; else echo "run.sh: FAILED (status $status)"; fi
exit "$status"
