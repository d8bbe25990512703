#!/usr/bin/env bash
# `make bench`: installs what the benchmark needs if missing (curl, nginx,
# Python requests), builds everything, then runs bench/run.py, which prints
# the table and rewrites BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PYTHON=${PYTHON:-python3}
export PATH=$PATH:/usr/sbin

apt_updated=
apt_install() {
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "bench: installing $*" >&2
  [ -n "$apt_updated" ] || { $sudo apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v curl >/dev/null || apt_install curl
command -v nginx >/dev/null || apt_install nginx
if ! "$PYTHON" -c "import requests" 2>/dev/null; then
  # pip first (any Python); a Debian system Python refuses pip (PEP 668): use its package.
  "$PYTHON" -m pip install --quiet requests 2>/dev/null || apt_install python3-requests
fi

# The top-level build: the library, its libdcams.so.0 (SONAME) link, the C sample.
make build
mkdir -p target/bench
for prog in maxrss dcams_bench dcams_images; do
  cc -std=c11 -O2 -Wall -Wextra -Werror -pedantic -Iinclude "bench/c/$prog.c" \
     -Ltarget/release -Wl,-rpath,"$root/target/release" -ldcams -lpthread -o "target/bench/$prog"
done
# W3's "before" peer: libdcams as it was before issue 10 (no logging, no
# connection hooks), built once from that commit into target/bench (git
# archive: the repository itself is not touched), and the same C loop linked
# against it, so that each run compares both in the same conditions.
before_ref=${BENCH_BEFORE_REF:-b76328d}
before=target/bench/before-$before_ref
if [ ! -f "$before/target/release/libdcams.so" ]; then
  rm -rf "$before/src" && mkdir -p "$before/src"
  git archive "$before_ref" | tar -x -C "$before/src"
  cargo build --release -p dcams --manifest-path "$before/src/Cargo.toml" --target-dir "$before/target"
fi
ln -sf libdcams.so "$before/target/release/libdcams.so.0"
cc -std=c11 -O2 -Wall -Wextra -Werror -pedantic -DDCAMS_BENCH_BEFORE -I"$before/src/include" bench/c/dcams_bench.c \
   -L"$before/target/release" -Wl,-rpath,"$root/$before/target/release" -ldcams -lpthread \
   -o target/bench/dcams_bench_before
export BENCH_BEFORE_LOOP="$root/target/bench/dcams_bench_before" BENCH_BEFORE_REF="$before_ref"
cargo bench -p dcams-client --bench body --no-run
exec "$PYTHON" bench/run.py
