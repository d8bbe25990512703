"""Bench inputs, made at run time in a scratch directory (nothing large is committed).

- ``front-0.3.jpg``: tests/data/passport-td3.jpg (302 KB specimen);
- ``front-4.8.jpg``: the 12-MP phone photo (4.8 MB) from $DCAMS_BENCH_PHOTO or
  ../shared/samples/id/phone-photo-4032x3024.jpg; if absent, a JPEG-headed file
  of the same size with incompressible (seeded pseudo-random) content;
- ``front-48.jpg``: ten phone photos back to back (48 MB, JPEG-headed);
- ``back.png``: tests/data/passport-td2.png;
- ``tiny.png``: 1 KiB, PNG-headed (W4: concurrency without payload cost);
- one pre-built JSON body per case for curl, byte-identical to what the
  ``requests`` peer sends (and the same fields the library sends).
"""

import base64
import json
import os
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTO_SIZE = 4_838_738
USER, PASS = "sandbox-user", "sandbox-pass"


def _photo():
    for cand in (os.environ.get("DCAMS_BENCH_PHOTO"),
                 ROOT.parent / "shared" / "samples" / "id" / "phone-photo-4032x3024.jpg"):
        if cand and Path(cand).is_file():
            return Path(cand).read_bytes(), str(cand)
    body = random.Random(4032).randbytes(PHOTO_SIZE - 4)
    return b"\xff\xd8\xff\xe0" + body, "generated (JPEG header + seeded random bytes)"


def json_body(email, front, back=None):
    """The request JSON exactly as the requests peer builds it."""
    documents = {"front": base64.b64encode(Path(front).read_bytes()).decode("ascii")}
    if back:
        documents["back"] = base64.b64encode(Path(back).read_bytes()).decode("ascii")
    return json.dumps({
        "user": USER, "pass": PASS, "service": "createOrUpdateCustomer",
        "target": {"email": email, "fn": "Ada", "ln": "Example", "dob": "19800214",
                   "documents": documents},
    }, separators=(",", ":")).encode("utf-8")


def prepare(work: Path):
    """Writes the inputs into ``work``; returns a dict of paths and the photo's origin."""
    work.mkdir(parents=True, exist_ok=True)
    photo, origin = _photo()
    files = {
        "0.3": work / "front-0.3.jpg",
        "4.8": work / "front-4.8.jpg",
        "48": work / "front-48.jpg",
        "back": work / "back.png",
        "tiny": work / "tiny.png",
    }
    files["tiny"].write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + random.Random(1).randbytes(1024 - 16))
    shutil.copyfile(ROOT / "tests" / "data" / "passport-td3.jpg", files["0.3"])
    files["4.8"].write_bytes(photo)
    with open(files["48"], "wb") as f:
        for _ in range(10):
            f.write(photo)
    shutil.copyfile(ROOT / "tests" / "data" / "passport-td2.png", files["back"])
    bodies = {}
    for name, front, back in [("w1", files["4.8"], files["back"]),
                              ("0.3", files["0.3"], None),
                              ("4.8", files["4.8"], None),
                              ("48", files["48"], None)]:
        bodies[name] = work / f"body-{name}.json"
        bodies[name].write_bytes(json_body("bench-curl@example.com", front, back))
    return {"files": {k: str(v) for k, v in files.items()},
            "bodies": {k: str(v) for k, v in bodies.items()},
            "photo_origin": origin}
