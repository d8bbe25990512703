"""W6 of `make bench`: getDocumentImages of two 48 MB images (96.8 MB decoded,
~129 MB of JSON on the wire) from the sandbox, in the same run:

- saving to files: the C sample (``dcams_cli images``) and the Python binding
  (``save_document_images``): peak RSS over each one's idle run (target: at
  most +16 MiB, i.e. constant memory);
- into memory from C (``bench/c/dcams_images.c``, ``dcams_client_get_document_images``):
  peak RSS over its idle run (target: at most the decoded size + 16 MiB);
  Python into memory for information;
- the peer: ``curl`` of the same reply to ``/dev/null`` plus ``base64 -d`` of
  the two images' base64 (taken from one saved reply); paired with the C
  sample's save in each repetition (target: C wall ≤ 1.5 × curl + base64 -d).

Every saved file is compared with the uploaded one. Run alone (prints the
rows, writes nothing): ``python3 bench/downloads.py`` after bench/run.sh's build.
"""

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from measure import median, run, run_json  # noqa: E402
from servers import Sandbox  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "target" / "bench"
CLI = str(ROOT / "bindings/c/build/dcams_cli")
IMAGES = str(WORK / "dcams_images")
PEER = str(ROOT / "bench" / "peers" / "images_peer.py")
EMAIL = "bench-w6@example.com"
MIB = 1024 * 1024
#: Allowed over the idle baseline: saving (constant memory), and on top of the decoded size.
SLACK_MIB = 16


def _env(endpoint):
    return dict(os.environ, DCAMS_ENDPOINT=endpoint, DCAMS_USER=data.USER, DCAMS_PASS=data.PASS,
                DCAMS_LIB=str(ROOT / "target/release/libdcams.so"), PYTHONDONTWRITEBYTECODE="1")


def _images(work: Path):
    """Two 48 MB JPEG-headed images of distinct content (the W2 48 MB front and its mirror)."""
    front = work / "front-48.jpg"
    if not front.exists():
        data.prepare(work)
    back = work / "back-48.jpg"
    if not back.exists() or back.stat().st_size != front.stat().st_size:
        raw = front.read_bytes()
        back.write_bytes(raw[:4] + raw[:3:-1])
    return front, back


def _digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _request_body(path: Path):
    path.write_text(json.dumps({"user": data.USER, "pass": data.PASS, "service": "getDocumentImages",
                                "target": {"email": EMAIL}}))
    return path


def _base64_files(reply: Path, work: Path):
    """The two images' base64, each in a file, from one saved reply (for `base64 -d`)."""
    reply_json = json.loads(reply.read_bytes())
    docs = reply_json["target"]["documents"]
    out = []
    for side in ("front", "back"):
        p = work / f"w6-{side}.b64"
        p.write_text(docs[side])
        out.append(p)
    return out


def measure(reps=3):
    work = WORK / "data"
    work.mkdir(parents=True, exist_ok=True)
    front, back = _images(work)
    decoded = front.stat().st_size + back.stat().st_size
    sums = {"front": _digest(front), "back": _digest(back)}
    sandbox = Sandbox(WORK / "sandbox-w6")
    try:
        env = _env(sandbox.endpoint)
        run([CLI, "upsert", "--email", EMAIL, "--front", str(front), "--back", str(back)], env)
        body = _request_body(WORK / "w6-request.json")
        reply = WORK / "w6-reply.json"
        curl = ["curl", "-sS", "-f", "-X", "POST", "--data-binary", f"@{body}", "-H",
                "Content-Type: application/json", "-H", "Expect:", sandbox.endpoint]
        subprocess.run(curl + ["-o", str(reply)], check=True)
        wire = reply.stat().st_size
        b64 = _base64_files(reply, WORK)
        out_f, out_b = WORK / "w6-front.jpg", WORK / "w6-back.jpg"
        got = {k: [] for k in ("c_save", "py_save", "c_mem", "py_mem", "curl", "b64", "ratio")}
        idle = {
            "C sample": median([run([CLI, "upsert", "--email", "not-an-email", "--front", str(front)], env,
                                    expect=2).rss for _ in range(3)]),
            "C get": median([run([IMAGES, "idle"], env).rss for _ in range(3)]),
            "Python binding": median([run([sys.executable, PEER, "idle"], env).rss for _ in range(3)]),
        }
        for _ in range(reps):
            for p in (out_f, out_b):
                p.unlink(missing_ok=True)
            c = run([CLI, "images", "--email", EMAIL, "--out-front", str(out_f), "--out-back", str(out_b)], env)
            if {"front": _digest(out_f), "back": _digest(out_b)} != sums:
                raise RuntimeError("W6: the C sample's saved images differ from the uploads")
            t0 = time.perf_counter()
            subprocess.run(curl + ["-o", "/dev/null"], check=True)
            t_curl = time.perf_counter() - t0
            t0 = time.perf_counter()
            for p in b64:
                subprocess.run(["base64", "-d", str(p)], check=True, stdout=subprocess.DEVNULL)
            t_b64 = time.perf_counter() - t0
            got["c_save"].append(c)
            got["curl"].append(t_curl)
            got["b64"].append(t_b64)
            got["ratio"].append(c.wall / (t_curl + t_b64))
            for p in (out_f, out_b):
                p.unlink(missing_ok=True)
            py = run_json([sys.executable, PEER, "save", EMAIL, str(out_f), str(out_b)], env)
            if {"front": _digest(out_f), "back": _digest(out_b)} != sums:
                raise RuntimeError("W6: the Python binding's saved images differ from the uploads")
            got["py_save"].append(py)
            m = run_json([IMAGES, "get", EMAIL], env)
            if m.out["front"] + m.out["back"] != decoded:
                raise RuntimeError(f"W6: C got {m.out} bytes, {decoded} uploaded")
            got["c_mem"].append(m)
            got["py_mem"].append(run_json([sys.executable, PEER, "get", EMAIL], env))
    finally:
        sandbox.stop()
    for p in [out_f, out_b, reply] + b64:
        p.unlink(missing_ok=True)
    peak = lambda runs: max(r.rss for r in runs)
    wall = lambda runs: median([r.wall for r in runs])
    return {
        "reps": reps, "decoded_bytes": decoded, "wire_bytes": wire, "idle": idle,
        "c_save": {"wall": wall(got["c_save"]), "rss": peak(got["c_save"])},
        "py_save": {"wall": wall(got["py_save"]), "rss": peak(got["py_save"])},
        "c_mem": {"wall": wall(got["c_mem"]), "rss": peak(got["c_mem"])},
        "py_mem": {"wall": wall(got["py_mem"]), "rss": peak(got["py_mem"])},
        "curl": median(got["curl"]), "base64_d": median(got["b64"]), "ratio": median(got["ratio"]),
    }


def rows(w6):
    """(rows, targets) in the shapes of report.py."""
    rows, targets = [], []
    idle, dec = w6["idle"], w6["decoded_bytes"] / MIB
    note = f"median wall of {w6['reps']}; {w6['wire_bytes'] / 1e6:.0f} MB on the wire, {dec:.1f} MiB decoded"
    for label, key, base in (("C sample, save to files", "c_save", "C sample"),
                             ("Python binding, save to files", "py_save", "Python binding"),
                             ("C, into memory", "c_mem", "C get"),
                             ("Python binding, into memory", "py_mem", "Python binding")):
        m = w6[key]
        rows.append(("W6", "sandbox", label, f"{m['wall'] * 1000:.0f} ms wall",
                     f"{m['rss']:.1f} ({m['rss'] - idle[base]:+.1f})", note))
    rows.append(("W6", "sandbox", "curl of the reply to /dev/null + base64 -d of both images",
                 f"{(w6['curl'] + w6['base64_d']) * 1000:.0f} ms", "",
                 f"curl {w6['curl'] * 1000:.0f} ms + base64 -d {w6['base64_d'] * 1000:.0f} ms"))
    for label, key, base, limit, goal in (
            ("C sample save: peak RSS over idle", "c_save", "C sample", SLACK_MIB, f"≤ +{SLACK_MIB} MiB"),
            ("Python binding save: peak RSS over idle", "py_save", "Python binding", SLACK_MIB,
             f"≤ +{SLACK_MIB} MiB"),
            ("C into memory: peak RSS over idle", "c_mem", "C get", dec + SLACK_MIB,
             f"≤ decoded + {SLACK_MIB} = +{dec + SLACK_MIB:.0f} MiB")):
        over = w6[key]["rss"] - idle[base]
        ok = over <= limit
        rows.append(("W6", "sandbox", label, f"{over:+.1f} MiB", "", f"{goal}: {'MET' if ok else 'MISSED'}"))
        targets.append(("W6", "sandbox", label, f"{over:+.1f} MiB", goal, ok))
    ok = w6["ratio"] <= 1.5
    rows.append(("W6", "sandbox", "C sample save wall ÷ (curl + base64 -d)", f"{w6['ratio']:.2f}×", "",
                 f"≤ 1.5×: {'MET' if ok else 'MISSED'}; paired per repetition, median"))
    targets.append(("W6", "sandbox", "C sample save wall ÷ (curl + base64 -d)", f"{w6['ratio']:.2f}×", "≤ 1.5×", ok))
    return rows, targets


if __name__ == "__main__":
    result = measure(int(os.environ.get("W6_REPS", "3")))
    (WORK / "w6.json").write_text(json.dumps(result, indent=1))
    for row in rows(result)[0]:
        print("  ".join(str(v) for v in row))
