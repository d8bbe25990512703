#!/usr/bin/env bash
# Runs a command with a local DCAMS sandbox on a free loopback port.
#
#   scripts/with-sandbox.sh [--sandbox-arg ARG]... -- COMMAND [ARGS...]
#
# Starts target/release/dcams-sandbox (or $DCAMS_SANDBOX_BIN), waits until it
# listens, exports DCAMS_ENDPOINT, DCAMS_USER and DCAMS_PASS (the sandbox's
# fake credentials) for COMMAND, and always stops the sandbox afterwards.
# Exits with COMMAND's status.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DCAMS_SANDBOX_BIN:-$root/target/release/dcams-sandbox}
sandbox_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --sandbox-arg) sandbox_args+=("$2"); shift 2 ;;
    *) echo "usage: $0 [--sandbox-arg ARG]... -- COMMAND [ARGS...]" >&2; exit 64 ;;
  esac
done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [--sandbox-arg ARG]... -- COMMAND [ARGS...]" >&2; exit 64; }
[ -x "$bin" ] || { echo "no sandbox binary at $bin (run: cargo build --release --workspace)" >&2; exit 66; }

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

export DCAMS_USER=${DCAMS_SANDBOX_USER:-sandbox-user}
export DCAMS_PASS=${DCAMS_SANDBOX_PASS:-sandbox-pass}
"$bin" --port 0 --url-file "$work/url" --user "$DCAMS_USER" --pass "$DCAMS_PASS" \
  ${sandbox_args[@]+"${sandbox_args[@]}"} >"$work/stdout" &
pid=$!
for _ in $(seq 1 200); do
  [ -s "$work/url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "the sandbox exited before listening" >&2; exit 69; }
  sleep 0.05
done
[ -s "$work/url" ] || { echo "the sandbox did not start within 10 s" >&2; exit 69; }
export DCAMS_ENDPOINT=$(cat "$work/url")
echo "sandbox: $DCAMS_ENDPOINT" >&2
set +e
"$@"
status=$?
set -e
exit $status
