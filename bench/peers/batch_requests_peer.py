"""W7's peer: the migration a trial wrote by hand in about 50 lines of Python —
read the CSV, and for every row read its images, base64-encode them, build
the JSON and POST it with requests, 8 rows at a time in a
ThreadPoolExecutor (one requests.Session per thread).

Usage: batch_requests_peer.py CSV THREADS; environment DCAMS_ENDPOINT,
DCAMS_USER, DCAMS_PASS. Prints {"records","ok","elapsed"} as JSON.
"""

import base64
import csv
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

ENDPOINT, USER, PASS = (os.environ.get(k, "") for k in ("DCAMS_ENDPOINT", "DCAMS_USER", "DCAMS_PASS"))
FIELDS = ("fn", "ln", "addr", "city", "state", "zip", "dob", "phone")
local = threading.local()


def b64_file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode("ascii")


def upsert(base, row):
    http = getattr(local, "session", None)
    if http is None:
        http = local.session = requests.Session()
    documents = {"front": b64_file(os.path.join(base, row["front"]))}
    if row.get("back"):
        documents["back"] = b64_file(os.path.join(base, row["back"]))
    target = {"email": row["email"], **{k: row[k] for k in FIELDS if row.get(k)}, "documents": documents}
    body = {"user": USER, "pass": PASS, "service": "createOrUpdateCustomer", "target": target}
    if row.get("reference"):
        body["reference"] = row["reference"]
    r = http.post(ENDPOINT, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return r.status_code == 200 and r.json().get("result") == "Success"


def main():
    path, threads = sys.argv[1], int(sys.argv[2])
    base = os.path.dirname(os.path.abspath(path))
    started = time.perf_counter()
    with open(path, newline="") as f, ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda row: upsert(base, row), csv.DictReader(f)))
    elapsed = time.perf_counter() - started
    print(json.dumps({"records": len(results), "ok": sum(results), "elapsed": elapsed}))


if __name__ == "__main__":
    main()
