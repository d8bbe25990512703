#!/usr/bin/env bash
# The install check (make test-install): installs libdcams twice into
# temporary prefixes — with `make install` (copies only, no cargo) and with
# `cargo cinstall` (cargo-c) — and for each:
#   - SONAME libdcams.so.0, libdcams.so.0.MINOR.PATCH with .so.0 and .so links;
#   - `nm -D` exports exactly the functions include/dcams.h declares;
#   - the C sample, copied to a directory of its own, builds with pkg-config
#     (shared and static) and with CMake's find_package(dcams) (shared and
#     static), and every build runs against a sandbox;
#   - find_package(dcams <major.minor>) accepts it and a different minor refuses it;
#   - the C++ sample (bindings/cpp/check-cmake.sh) builds through find_package and runs;
#   - Python's ctypes.util.find_library("dcams") finds it through LD_LIBRARY_PATH.
# Then `make uninstall` must leave the make-install prefix empty.
# Needs `make build` first. Prints `N passed, M failed`.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version = "\(.*\)"/\1/p' Cargo.toml)
minor=${version%.*}
pass=0 fail=0
check() {
  local what=$1
  shift
  if "$@" >"$work/out" 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $what: $*" >&2
    tail -n 30 "$work/out" >&2
  fi
}

# The functions the header declares, sorted.
sed -e 's|/\*.*\*/||' include/dcams.h | tr '\n' ' ' | grep -o '[A-Za-z_][A-Za-z_0-9 *]* \**dcams_[a-z_0-9]*(' |
  grep -o 'dcams_[a-z_0-9]*($' | tr -d '(' | sort -u >"$work/header.txt"

exports_match() { # LIB
  nm -D --defined-only "$1" | awk '$2 == "T" { print $3 }' | sort -u >"$work/exports.txt"
  diff -u "$work/header.txt" "$work/exports.txt"
}

soname_is() { # LIB WANT
  readelf -d "$1" | grep -q "(SONAME).*\[$2\]"
}

links_are() { # LIBDIR
  [ -f "$1/libdcams.so.$version" ] && [ ! -L "$1/libdcams.so.$version" ] &&
    [ "$(readlink "$1/libdcams.so.0")" = "libdcams.so.$version" ] &&
    [ "$(readlink -f "$1/libdcams.so")" = "$(readlink -f "$1/libdcams.so.$version")" ]
}

run_sample() { # BINARY
  scripts/with-sandbox.sh -- "$1" upsert --email "install-$$@example.com" --front tests/data/passport-td3.jpg
}

# A consumer project outside the repository: the C sample and its CMakeLists.txt.
consumer=$work/consumer
mkdir -p "$consumer"
cp bindings/c/dcams_cli.c bindings/c/CMakeLists.txt "$consumer/"

check_prefix() { # NAME PREFIX
  local name=$1 prefix=$2 out=$work/build-$1
  mkdir -p "$out"
  local lib=$prefix/lib/libdcams.so.$version
  check "$name: SONAME" soname_is "$lib" libdcams.so.0
  check "$name: links" links_are "$prefix/lib"
  check "$name: exports = header" exports_match "$lib"
  echo "$name: installed $(basename "$lib") is $(stat -c %s "$lib") bytes"
  check "$name: stripped" sh -c "! readelf -S '$lib' | grep -q '\.debug_info\|\.symtab'"
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  check "$name: pkg-config version" test "$(pkg-config --modversion dcams)" = "$version"
  # shellcheck disable=SC2046
  check "$name: pkg-config shared" cc -std=c11 -Wall -Wextra -Werror -pedantic "$consumer/dcams_cli.c" \
    -o "$out/cli-shared" $(pkg-config --cflags --libs dcams) -Wl,-rpath,"$prefix/lib"
  # shellcheck disable=SC2046
  check "$name: pkg-config static" cc -std=c11 -Wall -Wextra -Werror -pedantic "$consumer/dcams_cli.c" \
    -o "$out/cli-static" $(pkg-config --cflags dcams) "$prefix/lib/libdcams.a" \
    $(pkg-config --libs-only-l --static dcams | sed 's/-ldcams//')
  check "$name: static has no libdcams.so" sh -c "! ldd '$out/cli-static' | grep -q libdcams"
  check "$name: cmake shared" sh -c "cmake -S '$consumer' -B '$out/cmake-shared' -DCMAKE_PREFIX_PATH='$prefix' \
    -DCMAKE_BUILD_RPATH='$prefix/lib' && cmake --build '$out/cmake-shared'"
  check "$name: cmake static" sh -c "cmake -S '$consumer' -B '$out/cmake-static' -DCMAKE_PREFIX_PATH='$prefix' \
    -DDCAMS_STATIC=ON && cmake --build '$out/cmake-static'"
  for cli in "$out/cli-shared" "$out/cli-static" "$out/cmake-shared/dcams_cli" "$out/cmake-static/dcams_cli"; do
    check "$name: run $(basename "$(dirname "$cli")")/$(basename "$cli")" run_sample "$cli"
  done
  # Version compatibility of the CMake package.
  mkdir -p "$out/ver-ok" "$out/ver-bad"
  printf 'cmake_minimum_required(VERSION 3.16)\nproject(v C)\nfind_package(dcams %s REQUIRED CONFIG)\n' "$minor" \
    >"$out/ver-ok/CMakeLists.txt"
  printf 'cmake_minimum_required(VERSION 3.16)\nproject(v C)\nfind_package(dcams %s.%s REQUIRED CONFIG)\n' \
    "${version%%.*}" "$(($(echo "$minor" | cut -d. -f2) + 1))" >"$out/ver-bad/CMakeLists.txt"
  check "$name: find_package(dcams $minor)" cmake -S "$out/ver-ok" -B "$out/ver-ok/b" -DCMAKE_PREFIX_PATH="$prefix"
  check "$name: a later minor is refused" sh -c "! cmake -S '$out/ver-bad' -B '$out/ver-bad/b' -DCMAKE_PREFIX_PATH='$prefix'"
  check "$name: C++ sample through find_package(dcams)" bindings/cpp/check-cmake.sh "$prefix"
  check "$name: ctypes find_library" env LD_LIBRARY_PATH="$prefix/lib" python3 -c \
    'import ctypes.util, sys; n = ctypes.util.find_library("dcams"); print(n); sys.exit(n != "libdcams.so.0")'
}

# 1. make install: copies what `make build` made; no cargo on PATH.
prefix1=$work/make-install
nocargo_path=$(echo "$PATH" | tr ':' '\n' | grep -v '\.cargo' | paste -sd:)
check "make install without cargo" env PATH="$nocargo_path" make --no-print-directory install PREFIX="$prefix1"
check_prefix make-install "$prefix1"
check "make uninstall" make --no-print-directory uninstall PREFIX="$prefix1"
check "nothing left after uninstall" sh -c "test -z \"\$(find '$prefix1' -type f -o -type l)\""

# 2. cargo cinstall (cargo-c).
prefix2=$work/cinstall
check "cargo cinstall" cargo cinstall --release --prefix="$prefix2" --libdir="$prefix2/lib"
check_prefix cinstall "$prefix2"

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
