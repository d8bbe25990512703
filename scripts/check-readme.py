#!/usr/bin/env python3
"""Runs the README's examples as written.

Every fenced block whose info string has ``readme-test=NAME`` is saved as
NAME in a temporary folder; C files are compiled with the command the README
gives, then each program runs from the repository root against a fresh
sandbox (scripts/with-sandbox.sh). A program passes when it exits 0 and its
output holds the markers listed below. Prints ``N passed, M failed``.
"""
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXPECT = {
    "example.c": ["DCAMS_OK", '"type":"createCustomer"'],
    "example.py": ["createCustomer PENDING"],
    "lifecycle.c": ["DCAMS_ERR_NOT_FOUND", '"status":"PASS"', "front: 301948 bytes, back: 605217 bytes"],
    "lifecycle.py": ["updateStatus: PASS", "unknown e-mail: 404 The email address was not found"],
}


def blocks(text):
    pattern = re.compile(r"^```\w+ readme-test=(\S+)\n(.*?)^```", re.S | re.M)
    return {m.group(1): m.group(2) for m in pattern.finditer(text)}


def main():
    found = blocks((ROOT / "README.md").read_text())
    passed = failed = 0
    if set(found) != set(EXPECT):
        print(f"FAIL: README examples {sorted(found)} differ from the checked set {sorted(EXPECT)}")
        failed += 1
    with tempfile.TemporaryDirectory() as tmp:
        for name, code in sorted(found.items()):
            path = pathlib.Path(tmp) / name
            path.write_text(code)
            if name.endswith(".c"):
                exe = path.with_suffix("")
                compile_cmd = ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Iinclude", str(path),
                               "-Ltarget/release", "-ldcams", f"-Wl,-rpath,{ROOT}/target/release", "-o", str(exe)]
                built = subprocess.run(compile_cmd, cwd=ROOT, capture_output=True, text=True)
                if built.returncode != 0:
                    print(f"FAIL: {name} does not compile:\n{built.stderr}")
                    failed += 1
                    continue
                run = [str(exe)]
            else:
                run = [sys.executable, str(path)]
            done = subprocess.run([str(ROOT / "scripts/with-sandbox.sh"), "--", *run], cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)
            missing = [m for m in EXPECT.get(name, []) if m not in done.stdout]
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
