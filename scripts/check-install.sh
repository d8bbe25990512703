#!/usr/bin/env bash
# Test of `make install`: installs into a temporary prefix, then builds the C
# sample with only `pkg-config --cflags --libs dcams` (shared) and
# `--static` (static) and runs both against a sandbox. Prints `N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
pass=0 fail=0
check() { if "$@" >"$prefix/out" 2>&1; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $*" >&2; cat "$prefix/out" >&2; fi; }
check make --no-print-directory install PREFIX="$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check test "$(pkg-config --modversion dcams)" = "$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
# shellcheck disable=SC2046
check cc -std=c11 -Wall -Wextra -Werror -pedantic bindings/c/dcams_cli.c -o "$prefix/cli-shared" \
  $(pkg-config --cflags --libs dcams) -Wl,-rpath,"$prefix/lib"
# shellcheck disable=SC2046
check cc -std=c11 -Wall -Wextra -Werror -pedantic bindings/c/dcams_cli.c -o "$prefix/cli-static" \
  $(pkg-config --cflags dcams) "$prefix/lib/libdcams.a" $(pkg-config --libs-only-l --static dcams | sed 's/-ldcams//')
for cli in "$prefix/cli-shared" "$prefix/cli-static"; do
  check scripts/with-sandbox.sh -- "$cli" upsert --email install@example.com --front tests/data/passport-td3.jpg
done
check sh -c "! ldd '$prefix/cli-static' | grep -q libdcams"
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
