"""The library from Python: one ``dcams.Client`` (ctypes), images given as paths.

Threads share the one client (ctypes releases the GIL during each call).
Usage: see common.py.
"""

import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bindings" / "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dcams  # noqa: E402
from common import main  # noqa: E402


def make(_threads):
    client = dcams.Client()  # DCAMS_ENDPOINT / DCAMS_USER / DCAMS_PASS

    def new():
        def upsert(email, front, back):
            client.upsert(email, front=pathlib.Path(front),
                          back=pathlib.Path(back) if back else None,
                          fn="Ada", ln="Example", dob="19800214")
        return upsert

    return new, client.close


if __name__ == "__main__":
    main(make)
