"""sample.py as a subprocess against the sandbox, importing the installed
package (a copy of the script runs from a temporary directory: run from
bindings/python, Python would put the source tree first on sys.path)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dcams

from conftest import BACK, FRONT, PASS, PY_ROOT, USER, unique_email

_HOME = Path(tempfile.mkdtemp(prefix="dcams-sample-"))
SAMPLE = Path(shutil.copy(PY_ROOT / "sample.py", _HOME))


def run(sandbox, *args, password=PASS):
    env = dict(os.environ, DCAMS_ENDPOINT=sandbox.url, DCAMS_USER=USER, DCAMS_PASS=password)
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, str(SAMPLE), *map(str, args)], env=env, cwd=_HOME,
                          capture_output=True, text=True, timeout=60)


def test_sample_imports_the_installed_package(sandbox):
    p = subprocess.run([sys.executable, "-c", "import sample, dcams; print(dcams.__file__)"], cwd=_HOME,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == dcams.__file__


def test_sample_upsert_and_errors(sandbox, tmp_path):
    email = unique_email("sample")
    p = run(sandbox, "upsert", "--email", email, "--front", FRONT, "--back", BACK,
            "--fn", "Sam", "--dob", "19700101")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["type"] == "createCustomer" and out["target"]["email"] == email
    assert out["target"]["fn"] == "Sam"

    p = run(sandbox, "upsert", "--email", email, "--front", FRONT)
    assert p.returncode == 0 and json.loads(p.stdout)["type"] == "updateCustomer"

    p = run(sandbox, "set-status", "--email", email, "--status", "PASS")
    assert p.returncode == 0 and json.loads(p.stdout)["target"]["status"] == "PASS"

    p = run(sandbox, "images", "--email", email, "--out-front", tmp_path / "f", "--out-back", tmp_path / "b")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "f").read_bytes() == FRONT.read_bytes()
    assert (tmp_path / "b").read_bytes() == BACK.read_bytes()

    p = run(sandbox, "status", "--email", unique_email("sample-ghost"))
    assert p.returncode == 2 and p.stdout == ""
    err = json.loads(p.stderr)
    assert err["code"] == 23 and err["http_status"] == 404

    p = run(sandbox, "status", "--email", email, password="bad-pass-999")
    assert p.returncode == 2
    err = json.loads(p.stderr)
    assert err["name"] == "DCAMS_ERR_UNAUTHORIZED" and "bad-pass-999" not in p.stderr


def test_sample_lifecycle(sandbox):
    email = unique_email("sample-life")
    p = run(sandbox, "lifecycle", "--email", email, "--front", FRONT, "--back", BACK)
    assert p.returncode == 0, p.stderr
    steps = [json.loads(line) for line in p.stdout.splitlines()]
    assert [s["step"] for s in steps] == ["upsert", "status", "images", "set-status", "status", "upsert"]
    assert steps[0]["created"] is True and steps[1]["status"] == "PENDING"
    assert steps[2]["front_bytes"] == FRONT.stat().st_size and steps[2]["back_bytes"] == BACK.stat().st_size
    assert steps[3]["status"] == "PASS" and steps[4]["status"] == "PASS"
    assert steps[5]["created"] is False and steps[5]["reply"]["status"] == "PASS"


def test_usage_error_exits_1_like_the_c_sample(sandbox):
    p = run(sandbox, "status")  # --email missing
    assert p.returncode == 1 and "--email" in p.stderr
