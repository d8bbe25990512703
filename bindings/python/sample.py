#!/usr/bin/env python3
"""Sample use of the dcams Python binding.

Endpoint and credentials come from the environment: DCAMS_ENDPOINT (default:
the live service), DCAMS_USER, DCAMS_PASS, and optionally DCAMS_TEST_KEY
(marks calls as non-billable tests).

    sample.py upsert --email E --front PATH [--back PATH] [--fn ..] [--ln ..] [--dob YYYYMMDD] ...
    sample.py status --email E
    sample.py images --email E --out-front PATH [--out-back PATH]
    sample.py set-status --email E --status PASS|PENDING|FAIL
    sample.py lifecycle --email E --front PATH --back PATH

Run from the repository (python3 bindings/python/sample.py ...), it imports
the package beside it, which loads the library from target/release; a copy
of this script anywhere else uses the installed package (pip install
./bindings/python).

Each command prints the service's reply as JSON on stdout. Exit status, as
for the C sample dcams_cli: 0 on success, 1 for a usage error, 2 when the
library reports an error (its JSON goes to stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, NoReturn, Optional

import dcams

CUSTOMER_FIELDS = ("fn", "ln", "addr", "city", "state", "zip", "dob", "phone", "reference")


def emit(obj: object) -> None:
    print(json.dumps(obj, sort_keys=True))
    sys.stdout.flush()


def customer_kwargs(args: argparse.Namespace) -> Dict[str, Any]:
    return {k: getattr(args, k) for k in CUSTOMER_FIELDS if getattr(args, k) is not None}


def upsert(client: dcams.Client, args: argparse.Namespace) -> dcams.UpsertResult:
    return client.upsert(args.email, args.front, args.back, **customer_kwargs(args))


def cmd_upsert(client: dcams.Client, args: argparse.Namespace) -> None:
    emit(upsert(client, args).raw)


def cmd_status(client: dcams.Client, args: argparse.Namespace) -> None:
    emit(client.get_status(args.email).raw)


def cmd_images(client: dcams.Client, args: argparse.Namespace) -> None:
    emit(client.save_document_images(args.email, args.out_front, args.out_back).raw)


def cmd_set_status(client: dcams.Client, args: argparse.Namespace) -> None:
    emit(client.update_status(args.email, args.status).raw)


def size(image: Optional[bytes]) -> Optional[int]:
    return None if image is None else len(image)


def cmd_lifecycle(client: dcams.Client, args: argparse.Namespace) -> None:
    r = upsert(client, args)
    emit({"step": "upsert", "created": r.created, "reply": r.raw})
    s = client.get_status(args.email)
    emit({"step": "status", "status": str(s.status), "reply": s.raw})
    im = client.get_document_images(args.email)
    emit(
        {
            "step": "images",
            "front_bytes": size(im.front),
            "back_bytes": size(im.back),
            "reply": im.raw,
        }
    )
    u = client.update_status(args.email, dcams.Status.PASS)
    emit({"step": "set-status", "status": str(u.status), "reply": u.raw})
    s = client.get_status(args.email)
    emit({"step": "status", "status": str(s.status), "reply": s.raw})
    r = upsert(client, args)
    emit({"step": "upsert", "created": r.created, "reply": r.raw})


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 (argparse's default is 2), as in dcams_cli."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def customer_options(sp: argparse.ArgumentParser, back_required: bool) -> None:
        sp.add_argument("--front", required=True, help="front image file")
        sp.add_argument("--back", required=back_required, help="back image file")
        for name in CUSTOMER_FIELDS:
            sp.add_argument(f"--{name}")

    sp = sub.add_parser("upsert", help="createOrUpdateCustomer")
    sp.add_argument("--email", required=True)
    customer_options(sp, back_required=False)
    sp.set_defaults(run=cmd_upsert)

    sp = sub.add_parser("status", help="getStatus")
    sp.add_argument("--email", required=True)
    sp.set_defaults(run=cmd_status)

    sp = sub.add_parser("images", help="getDocumentImages, saved to files")
    sp.add_argument("--email", required=True)
    sp.add_argument("--out-front", required=True)
    sp.add_argument("--out-back")
    sp.set_defaults(run=cmd_images)

    sp = sub.add_parser("set-status", help="updateStatus")
    sp.add_argument("--email", required=True)
    sp.add_argument("--status", required=True, choices=[s.value for s in dcams.Status])
    sp.set_defaults(run=cmd_set_status)

    sp = sub.add_parser("lifecycle", help="upsert, status, images, set-status PASS, status, upsert")
    sp.add_argument("--email", required=True)
    customer_options(sp, back_required=True)
    sp.set_defaults(run=cmd_lifecycle)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with dcams.Client() as client:
            args.run(client, args)
    except dcams.DcamsError as e:
        print(json.dumps(e.to_dict(), sort_keys=True), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
