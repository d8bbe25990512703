"""Review status, per-call metadata and the typed results of the client's calls."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional


class Status(enum.Enum):
    """Review status of a customer record. Values are the wire strings;
    ``.code`` is the C ``dcams_status`` number."""

    PASS = "PASS"
    PENDING = "PENDING"
    FAIL = "FAIL"

    @property
    def code(self) -> int:
        return _STATUS_CODES[self]

    @classmethod
    def parse(cls, value: object) -> Optional["Status"]:
        """The status named by a wire string (``None`` for anything else)."""
        if isinstance(value, Status):
            return value
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                return None
        return None

    def __str__(self) -> str:
        return self.value


_STATUS_CODES = {Status.PASS: 1, Status.PENDING: 2, Status.FAIL: 3}


@dataclass(frozen=True)
class CallMeta:
    """What one call did, success or failure (``dcams_call_meta``).

    ``code``: the result code the call returned (0 on success; compare with
    :class:`dcams.Code`). ``attempts``: HTTP attempts made (0 when it failed
    before any traffic, more than 1 when it was retried). ``http_status``:
    the status of the last response, ``None`` if none arrived.
    ``elapsed_ms``: wall time of the whole call, retry pauses included.
    ``request_bytes``: size of the last request body sent (its
    ``Content-Length``). ``response_bytes``: size of the last response body
    read. ``connection_reused``: whether the last attempt reused a pooled
    connection (``False``: it opened a new one; ``None``: not known).
    """

    code: int
    attempts: int
    http_status: Optional[int]
    elapsed_ms: int
    request_bytes: int
    response_bytes: int
    connection_reused: Optional[bool]


def _dict(value: object) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> Optional[str]:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class UpsertResult:
    """Reply of createOrUpdateCustomer (:meth:`dcams.Client.upsert`).

    ``type`` is ``"createCustomer"`` or ``"updateCustomer"``; ``created`` is
    ``type == "createCustomer"``; ``status`` is ``None`` if the service sent
    none or a value this binding does not know (see ``raw``); ``meta`` is
    what the call did.
    """

    type: str
    created: bool
    status: Optional[Status]
    reference: Optional[str]
    customer_link: Optional[str]
    target: Dict[str, Any]
    raw: Dict[str, Any] = field(repr=False)
    meta: CallMeta

    @classmethod
    def from_reply(cls, raw: Dict[str, Any], meta: CallMeta) -> "UpsertResult":
        kind = _str(raw.get("type")) or ""
        return cls(
            type=kind,
            created=kind == "createCustomer",
            status=Status.parse(raw.get("status")),
            reference=_str(raw.get("reference")),
            customer_link=_str(raw.get("customer_link")),
            target=_dict(raw.get("target")),
            raw=raw,
            meta=meta,
        )


@dataclass(frozen=True)
class StatusResult:
    """Reply of getStatus / updateStatus / save_document_images.

    ``status`` is the top-level ``status`` or, for updateStatus (which
    carries the new status inside ``target``), ``target.status``.
    """

    status: Optional[Status]
    reference: Optional[str]
    target: Dict[str, Any]
    raw: Dict[str, Any] = field(repr=False)
    meta: CallMeta

    @classmethod
    def from_reply(cls, raw: Dict[str, Any], meta: CallMeta, *, status_in_target: bool = False) -> "StatusResult":
        target = _dict(raw.get("target"))
        first, second = (target, raw) if status_in_target else (raw, target)
        status = Status.parse(first.get("status")) or Status.parse(second.get("status"))
        return cls(status=status, reference=_str(raw.get("reference")), target=target, raw=raw, meta=meta)


@dataclass(frozen=True)
class ImagesResult:
    """Reply of getDocumentImages with the decoded images: ``front`` and
    ``back`` are ``bytes``, or ``None`` when that side is not stored.
    ``target`` holds the stored attributes (without ``documents``); ``raw``
    is the reply without the images (``target.documents`` then holds
    ``front_bytes`` and ``back_bytes``, the decoded sizes). The repr shows
    image lengths, never the bytes."""

    front: Optional[bytes]
    back: Optional[bytes]
    status: Optional[Status]
    reference: Optional[str]
    target: Dict[str, Any]
    raw: Dict[str, Any]
    meta: CallMeta

    @classmethod
    def from_reply(
        cls, raw: Dict[str, Any], meta: CallMeta, front: Optional[bytes], back: Optional[bytes]
    ) -> "ImagesResult":
        target = {k: v for k, v in _dict(raw.get("target")).items() if k != "documents"}
        return cls(
            front=front,
            back=back,
            status=Status.parse(raw.get("status")),
            reference=_str(raw.get("reference")),
            target=target,
            raw=raw,
            meta=meta,
        )

    def __repr__(self) -> str:
        def size(image: Optional[bytes]) -> str:
            return "None" if image is None else f"<{len(image)} bytes>"

        return (
            f"ImagesResult(front={size(self.front)}, back={size(self.back)}, "
            f"status={self.status!r}, reference={self.reference!r}, target={self.target!r}, "
            f"meta={self.meta!r})"
        )


class JsonReply(Dict[str, Any]):
    """The reply of :meth:`dcams.Client.call_json`: the service's JSON
    object as a ``dict``, plus ``meta``, what the call did."""

    meta: CallMeta

    def __init__(self, reply: Mapping[str, Any], meta: CallMeta) -> None:
        super().__init__(reply)
        self.meta = meta


__all__ = ["Status", "CallMeta", "UpsertResult", "StatusResult", "ImagesResult", "JsonReply"]
