"""W6 from Python: getDocumentImages through the binding (``dcams.Client``).

    images_peer.py idle                     import and make a client (the RSS baseline)
    images_peer.py save EMAIL FRONT BACK    save_document_images; prints {"call": s}
    images_peer.py get EMAIL                get_document_images (into memory);
                                            prints {"call": s, "front": n, "back": n}

Endpoint and credentials from DCAMS_ENDPOINT / DCAMS_USER / DCAMS_PASS.
"""

import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bindings" / "python"))

import dcams  # noqa: E402


def main(argv):
    client = dcams.Client()
    try:
        if argv[0] == "idle":
            print("{}")
            return
        t0 = time.perf_counter()
        if argv[0] == "save":
            client.save_document_images(argv[1], argv[2], argv[3])
            print(json.dumps({"call": time.perf_counter() - t0}))
        elif argv[0] == "get":
            r = client.get_document_images(argv[1])
            dt = time.perf_counter() - t0
            print(json.dumps({"call": dt, "front": len(r.front or b""), "back": len(r.back or b"")}))
        else:
            raise SystemExit(f"unknown mode {argv[0]}")
    finally:
        client.close()


if __name__ == "__main__":
    main(sys.argv[1:])
