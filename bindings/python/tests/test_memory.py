"""Owned strings and images are freed: RSS stays flat over many calls."""

from __future__ import annotations

import os
import resource


import dcams

from conftest import tiny_png, unique_email


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: peak RSS is the best available
        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return r if os.uname().sysname == "Darwin" else r * 1024


def test_strings_do_not_leak(client, capsys):
    email = unique_email("mem")
    # A 4 KB attribute makes every getStatus reply > 4 KB, so leaking the
    # reply strings would grow RSS by > 40 MB over the loop, not a few MB.
    client.upsert(email, tiny_png(), addr="A" * 4096)
    assert len(client.get_status(email).target["addr"]) == 4096
    png = tiny_png()

    def one(i: int) -> None:
        if i % 2:
            try:
                client.upsert("mem@example.com", png, dob="19900231")
            except dcams.ValidationError as e:
                assert e.field == "dob"
            else:
                raise AssertionError("expected ValidationError")
        else:
            assert client.get_status(email).status is dcams.Status.PENDING

    for i in range(1000):
        one(i)
    before = rss_bytes()
    for i in range(20000):
        one(i)
    growth = rss_bytes() - before
    with capsys.disabled():
        print(f"\n[memory] 20,000 string-returning calls: RSS growth {growth / 1e6:.2f} MB")
    assert growth < 5_000_000


def test_images_do_not_leak(client, capsys):
    email = unique_email("memimg")
    img = tiny_png(pad=64 * 1024)
    client.upsert(email, img, img)
    for _ in range(100):
        client.get_document_images(email)
    before = rss_bytes()
    for _ in range(1000):
        im = client.get_document_images(email)
        assert len(im.front) == len(img) and len(im.back) == len(img)
    growth = rss_bytes() - before
    with capsys.disabled():
        print(f"[memory] 1,000 get_document_images (2 x {len(img)} B each): RSS growth {growth / 1e6:.2f} MB")
    assert growth < 5_000_000  # a leak would be >= 130 MB
