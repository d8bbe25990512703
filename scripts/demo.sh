#!/usr/bin/env bash
# The main job, end to end on this machine: one customer with real specimen
# ID images is created from C, updated from Python, and its review status read
# back — against the local DCAMS sandbox, started and stopped here.
# Called by `make demo` (which builds what it needs first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "${1:-}" != "--inside-sandbox" ]; then
  # Re-run this script with a sandbox up and DCAMS_ENDPOINT/USER/PASS set.
  exec scripts/with-sandbox.sh -- "$0" --inside-sandbox
fi

email=${DEMO_EMAIL:-ada.example+demo@example.com}
cli=bindings/c/build/dcams_cli
front=tests/data/passport-td3.jpg
back=tests/data/passport-td2.png

echo "== 1. C sample: createOrUpdateCustomer with $front and $back"
"$cli" upsert --email "$email" --front "$front" --back "$back" \
  --fn Ada --ln Example --addr "1 Test Way" --city Springfield --state IL \
  --zip 62701 --dob 19800214 --phone 2175550100 --reference R-DEMO-1
echo
echo "== 2. Python sample: createOrUpdateCustomer again for the same e-mail"
python3 bindings/python/sample.py upsert --email "$email" --front "$front" --back "$back" \
  --fn Ada --ln Example --dob 19800214
echo
echo "== 3. C sample: getStatus, the review status read back"
"$cli" status --email "$email"
echo
echo "demo finished: created from C, updated from Python, status read back."
