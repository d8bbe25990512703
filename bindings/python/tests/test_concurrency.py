"""One client shared by many threads; calls run in parallel (GIL released)."""

from __future__ import annotations

import threading
import time
import uuid

import dcams

from conftest import FRONT, tiny_png, unique_email

THREADS = 8
PER_THREAD = 50


def test_shared_client_threads(client, sandbox):
    run = uuid.uuid4().hex[:8]
    png = tiny_png()
    outcomes = {}
    failures = []
    barrier = threading.Barrier(THREADS)

    def worker(t: int) -> None:
        barrier.wait()
        for i in range(PER_THREAD):
            email = f"thr-{run}-{t}-{i}@example.com"
            invalid = (i + t) % 3 == 0
            try:
                if invalid:
                    try:
                        client.upsert(email, png, dob=f"1990{t:02d}3{i % 10}x")
                    except dcams.ValidationError as e:
                        outcomes[(t, i)] = ("invalid", e.field)
                    else:
                        failures.append((t, i, "no ValidationError"))
                else:
                    front = FRONT if i % 10 == 1 else png
                    r = client.upsert(email, front, fn=f"T{t}", ln=f"I{i}", reference=f"R-{t}-{i}")
                    outcomes[(t, i)] = (r.type, r.created, r.target.get("email"),
                                        r.target.get("fn"), r.target.get("ln"), r.reference)
            except Exception as e:  # collected, asserted below
                failures.append((t, i, repr(e)))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert failures == []
    assert len(outcomes) == THREADS * PER_THREAD
    for (t, i), got in outcomes.items():
        email = f"thr-{run}-{t}-{i}@example.com"
        if (i + t) % 3 == 0:
            assert got == ("invalid", "dob")
        else:
            assert got == ("createCustomer", True, email, f"T{t}", f"I{i}", f"R-{t}-{i}")
    # spot-check what the sandbox stored
    rec = sandbox.customer(f"thr-{run}-3-1@example.com")
    assert rec["front_len"] == FRONT.stat().st_size and rec["target"]["fn"] == "T3"


def test_calls_run_in_parallel(slow_sandbox):
    """8 calls to a server that takes 300 ms each finish in far less than 8 x 300 ms."""
    email = unique_email("slow")
    with slow_sandbox.client() as c:
        c.upsert(email, tiny_png())
        results = []

        def one():
            results.append(c.get_status(email).status)

        threads = [threading.Thread(target=one) for _ in range(8)]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - t0
    assert results == [dcams.Status.PENDING] * 8
    assert elapsed < 1.2, f"8 parallel calls took {elapsed:.2f}s"


def test_close_waits_for_calls_in_flight(slow_sandbox):
    email = unique_email("closing")
    c = slow_sandbox.client()
    c.upsert(email, tiny_png())
    got = []
    th = threading.Thread(target=lambda: got.append(c.get_status(email).status))
    th.start()
    time.sleep(0.1)  # the call is in flight (server sleeps 300 ms)
    c.close()  # must wait, not free the handle under the running call
    th.join()
    assert got == [dcams.Status.PENDING]
    assert c.closed
