"""The hand-written Python equivalent with ``requests``: read the files,
``base64.b64encode``, ``json.dumps``, POST. ``once`` uses ``requests.post``
(a fresh connection, as a script would); ``loop`` one ``requests.Session``;
``threads`` one Session per thread (a Session is not documented thread-safe).
Usage: see common.py.
"""

import base64
import json
import os
import sys

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import main  # noqa: E402

ENDPOINT = os.environ.get("DCAMS_ENDPOINT", "")
USER = os.environ.get("DCAMS_USER", "")
PASS = os.environ.get("DCAMS_PASS", "")


def b64_file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode("ascii")


def post(http, email, front, back):
    documents = {"front": b64_file(front)}
    if back:
        documents["back"] = b64_file(back)
    body = json.dumps({
        "user": USER, "pass": PASS, "service": "createOrUpdateCustomer",
        "target": {"email": email, "fn": "Ada", "ln": "Example", "dob": "19800214",
                   "documents": documents},
    }, separators=(",", ":")).encode("utf-8")
    r = http.post(ENDPOINT, data=body, headers={"Content-Type": "application/json",
                                                "Accept": "application/json"})
    r.raise_for_status()
    if r.json().get("result") != "Success":
        raise RuntimeError(f"unexpected reply: {r.text[:200]}")


def make(threads):
    sessions = []
    one_shot = len(sys.argv) > 1 and sys.argv[1] == "once"

    def new():
        if one_shot:
            return lambda e, f, b: post(requests, e, f, b)
        s = requests.Session()
        sessions.append(s)
        return lambda e, f, b: post(s, e, f, b)

    def close():
        for s in sessions:
            s.close()

    return new, close


if __name__ == "__main__":
    main(make)
