# sandboxes.sh — sourced by the test runners (bindings/c/tests/run.sh,
# bindings/cpp/tests/run.sh): start_sandbox, and traps that stop every
# sandbox started however the run ends (EXIT, INT, TERM). Needs $SANDBOX (the
# dcams-sandbox binary) and $BUILD (where URL files and logs go).

: "${SANDBOX:?}" "${BUILD:?}"
STARTUP_TIMEOUT_TENTHS=${STARTUP_TIMEOUT_TENTHS:-100} # 10 s

pids=""
cleanup() {
    for pid in $pids; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    pids=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

if [ ! -x "$SANDBOX" ]; then
    echo "$0: $SANDBOX not found: run 'cargo build --release --workspace' in the repository root" >&2
    exit 1
fi
mkdir -p "$BUILD"

# start_sandbox NAME [ARGS...]: starts a sandbox on a free loopback port,
# waits for its URL file, sets $url to its storage URL.
start_sandbox() {
    name=$1
    shift
    url_file="$BUILD/sandbox-$name.url"
    rm -f "$url_file"
    "$SANDBOX" --port 0 --url-file "$url_file" "$@" >/dev/null 2>"$BUILD/sandbox-$name.log" &
    pid=$!
    pids="$pids $pid"
    tenths=0
    while [ ! -s "$url_file" ]; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$tenths" -ge "$STARTUP_TIMEOUT_TENTHS" ]; then
            echo "$0: sandbox '$name' did not start; its log:" >&2
            cat "$BUILD/sandbox-$name.log" >&2
            exit 1
        fi
        sleep 0.1
        tenths=$((tenths + 1))
    done
    url=$(cat "$url_file")
}
