#!/usr/bin/env python3
"""Runs the README's examples as written.

Every fenced block whose info string has ``readme-test=NAME`` is saved as
NAME in a temporary folder; C and C++ files are compiled with the command the
README gives (C11 / C++17, warnings as errors) and run under Valgrind (no errors, nothing definitely lost), each
program from the repository root against a fresh sandbox
(scripts/with-sandbox.sh). A program passes when it exits 0 and every
expected line (a regular expression) matches a whole line of its output.
Prints ``N passed, M failed``.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The specimens' sizes, as the examples print them after a round trip.
FRONT_BYTES = (ROOT / "tests/data/passport-td3.jpg").stat().st_size
BACK_BYTES = (ROOT / "tests/data/passport-td2.png").stat().st_size
EXPECT = {
    "example.c": [r"createCustomer PENDING", r'\{.*"type":"createCustomer".*\}'],
    "example.cpp": [r"createCustomer PENDING", rf"front {FRONT_BYTES} bytes, back {BACK_BYTES} bytes"],
    "example.py": [r"createCustomer PENDING", r"attempts: 1", r"401 Either your username or password is incorrect"],
    "lifecycle.c": [
        r"createOrUpdateCustomer +DCAMS_OK +createCustomer",
        r"getStatus +DCAMS_OK +PENDING",
        rf"front: {FRONT_BYTES} bytes, back: {BACK_BYTES} bytes",
        r"getDocumentImages +DCAMS_OK +PENDING",
        r"updateStatus PASS +DCAMS_OK +PASS",
        r"getStatus +DCAMS_OK +PASS",
        r"getStatus \(unknown\) +DCAMS_ERR_NOT_FOUND +HTTP 404: The email address was not found",
        r"  HTTP 404 after 1 attempt\(s\), \d+ ms",
    ],
    "observe.c": [
        r"check: ok",
        r"log dcams::check check step step=credentials outcome=ok ms=\d+",
        r"log dcams::attempt response status=404 ms=\d+ bytes=\d+",
        r"log dcams::call call failed service=getStatus outcome=NotFound status=404 attempts=1 elapsed_ms=\d+",
        r"DCAMS_ERR_NOT_FOUND: 1 attempt\(s\), HTTP 404, \d+ ms, a new connection",
    ],
    "observe.py": [
        r"check: ok",
        r"INFO dcams.check check step step=tls outcome=skipped ms=0",
        r"INFO dcams.attempt attempt started service=getStatus host=127\.0\.0\.1:\d+ attempt=1 of=\d body_bytes=\d+",
        r"INFO dcams.call call failed service=getStatus outcome=NotFound status=404 attempts=1 elapsed_ms=\d+",
        r"DCAMS_ERR_NOT_FOUND: 1 attempt\(s\), HTTP 404, reused False",
        r"DCAMS_ERR_CANCELLED after 0 attempt\(s\)",
    ],
    "lifecycle.py": [
        r"createOrUpdateCustomer: createCustomer PENDING",
        r"getStatus: PENDING",
        r"getDocumentImages: 301948 605217 bytes",
        r"updateStatus: PASS",
        r"getStatus: PASS",
        r"unknown e-mail: 404 The email address was not found",
    ],
}
# The Python examples run with the venv that `make -C bindings/python install` makes,
# where the dcams wheel is installed (as the README tells a user to install it).
PYTHON = os.environ.get("DCAMS_PYTHON") or str(ROOT / "target/python/venv/bin/python")
VALGRIND = ["valgrind", "--quiet", "--error-exitcode=3", "--leak-check=full", "--errors-for-leak-kinds=definite"]


def blocks(text):
    pattern = re.compile(r"^```\w+ readme-test=(\S+)\n(.*?)^```", re.S | re.M)
    return {m.group(1): m.group(2) for m in pattern.finditer(text)}


def main():
    text = (ROOT / "README.md").read_text()
    found = blocks(text)
    passed = failed = 0
    # A closing fence with text after it does not close the block: the rest of
    # the README would render as code.
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"^```\S*\s+\S", line) and "readme-test=" not in line and not re.match(r"^```\w+$", line):
            print(f"FAIL: README.md:{number}: text after a code fence: {line!r}")
            failed += 1
    if set(found) != set(EXPECT):
        print(f"FAIL: README examples {sorted(found)} differ from the checked set {sorted(EXPECT)}")
        failed += 1
    with tempfile.TemporaryDirectory() as tmp:
        for name, code in sorted(found.items()):
            path = pathlib.Path(tmp) / name
            path.write_text(code)
            if name.endswith((".c", ".cpp")):
                exe = path.with_suffix("")
                compiler = ["cc", "-std=c11"] if name.endswith(".c") else ["c++", "-std=c++17"]
                compile_cmd = [*compiler, "-Wall", "-Wextra", "-Werror", "-pedantic", "-Iinclude", str(path),
                               "-Ltarget/release", "-ldcams", f"-Wl,-rpath,{ROOT}/target/release", "-o", str(exe)]
                built = subprocess.run(compile_cmd, cwd=ROOT, capture_output=True, text=True)
                if built.returncode != 0:
                    print(f"FAIL: {name} does not compile:\n{built.stderr}")
                    failed += 1
                    continue
                run = [*VALGRIND, str(exe)]
            else:
                if not os.access(PYTHON, os.X_OK):
                    print(f"FAIL: {name}: no Python with dcams installed at {PYTHON} "
                          "(run `make -C bindings/python install`, or set DCAMS_PYTHON)")
                    failed += 1
                    continue
                run = [PYTHON, str(path)]
            done = subprocess.run([str(ROOT / "scripts/with-sandbox.sh"), "--", *run], cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)
            lines = done.stdout.splitlines()
            missing = [p for p in EXPECT.get(name, []) if not any(re.fullmatch(p, line) for line in lines)]
            if done.returncode != 0 or missing:
                print(f"FAIL: {name}: exit {done.returncode}, missing {missing}\n{done.stdout}\n{done.stderr}")
                failed += 1
            else:
                print(f"ok: {name}")
                passed += 1
    print(f"readme: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
