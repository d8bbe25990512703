#!/bin/sh
# check-cmake.sh PREFIX — the C++ sample as a new user builds it: copied to a
# directory of its own (so nothing from this repository's include/ can leak
# in), configured with CMake against the libdcams installed under PREFIX
# (find_package(dcams), target dcams::dcams, as `make install` or `cargo
# cinstall` lay it out), built as C++17 and as C++20, and run against a fresh
# sandbox. Prints "cmake: N passed, M failed"; exits non-zero on a failure.
set -u
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: $0 PREFIX (an install prefix)" >&2; exit 64; }
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

mkdir "$work/src"
cp "$here/sample.cpp" "$here/CMakeLists.txt" "$work/src/"
for std in 17 20; do
    build="$work/build$std"
    if cmake -S "$work/src" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_STANDARD=$std \
        >"$work/configure$std.log" 2>&1; then ok; else bad "cmake configure (C++$std):"; cat "$work/configure$std.log" >&2; continue; fi
    if cmake --build "$build" --verbose >"$work/build$std.log" 2>&1; then ok; else bad "cmake build (C++$std):"; cat "$work/build$std.log" >&2; continue; fi
    # The headers come from the prefix, never from the repository.
    if grep -q -- "$prefix/include" "$work/build$std.log" && ! grep -q -- "$root/include" "$work/build$std.log"; then
        ok
    else
        bad "C++$std: the compile line does not use $prefix/include alone"
    fi
    # The program needs the SONAME and finds it under the prefix.
    if readelf -d "$build/dcams_sample" | grep -q 'NEEDED.*\[libdcams\.so\.0\]' &&
        ldd "$build/dcams_sample" | grep -q "libdcams.so.0 => $prefix/"; then
        ok
    else
        bad "C++$std: dcams_sample does not load libdcams.so.0 from $prefix"; ldd "$build/dcams_sample" >&2
    fi
    out=$("$root/scripts/with-sandbox.sh" -- "$build/dcams_sample" "$root/tests/data/passport-td3.jpg" 2>&1)
    if printf '%s\n' "$out" | grep -q '^createCustomer PENDING$' &&
        printf '%s\n' "$out" | grep -q '^wrong password: 401 Either your username or password is incorrect$'; then
        ok
    else
        bad "C++$std: dcams_sample against a sandbox:"; printf '%s\n' "$out" >&2
    fi
done
echo "cmake: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
