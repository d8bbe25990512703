"""Shared command line and timing loops of the Python peers (stdlib only).

    PEER idle                              construct the client, no upload
    PEER once  FRONT [BACK]                one upsert; prints {"call": seconds}
    PEER loop  N BATCH FRONT [BACK]        20 warm-up calls, then N sequential upserts;
                                           prints {"batches": [seconds per BATCH calls],
                                           "cpu": [process CPU seconds per batch]}
    PEER threads T N FRONT [BACK]          T threads x N upserts; prints {"elapsed", "calls"}

A peer module supplies ``make(threads)``, returning ``(new_caller, close)``:
``new_caller()`` gives a per-thread ``upsert(email, front, back)`` function
(it may share one client or make one per thread, as the peer does).
Endpoint and credentials come from DCAMS_ENDPOINT / DCAMS_USER / DCAMS_PASS.
"""

import json
import sys
import threading
import time

WARMUP = 20


def main(make):
    argv = sys.argv[1:]
    mode = argv[0] if argv else ""
    if mode == "idle":
        _new, close = make(1)
        close()
        print("{}")
        return
    if mode == "once":
        new, close = make(1)
        call = new()
        t0 = time.perf_counter()
        call("bench-py@example.com", argv[1], argv[2] if len(argv) > 2 else None)
        dt = time.perf_counter() - t0
        close()
        print(json.dumps({"call": dt}))
        return
    if mode == "loop":
        n, batch = int(argv[1]), int(argv[2])
        front, back = argv[3], argv[4] if len(argv) > 4 else None
        new, close = make(1)
        call = new()
        for _ in range(WARMUP):
            call("bench-py@example.com", front, back)
        batches, cpu = [], []
        for _ in range(n // batch):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(batch):
                call("bench-py@example.com", front, back)
            batches.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        close()
        print(json.dumps({"batch": batch, "batches": batches, "cpu": cpu}))
        return
    if mode == "threads":
        t, n = int(argv[1]), int(argv[2])
        front, back = argv[3], argv[4] if len(argv) > 4 else None
        new, close = make(t)
        start = threading.Barrier(t + 1)
        errors = []

        def work(i):
            call = new()
            start.wait()
            try:
                for _ in range(n):
                    call(f"bench-py-t{i}@example.com", front, back)
            except Exception as e:  # noqa: BLE001 - reported, not hidden
                errors.append(repr(e))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(t)]
        for th in threads:
            th.start()
        start.wait()
        t0 = time.perf_counter()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
        close()
        if errors:
            sys.exit(f"{len(errors)} thread(s) failed: {errors[0]}")
        print(json.dumps({"elapsed": elapsed, "calls": t * n}))
        return
    sys.exit(__doc__)
