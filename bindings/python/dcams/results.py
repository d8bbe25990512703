"""Review status and the typed results of the client's calls."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, Optional


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
    def parse(cls, value: Any) -> Optional["Status"]:
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


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class UpsertResult:
    """Reply of createOrUpdateCustomer (:meth:`dcams.Client.upsert`).

    ``type`` is ``"createCustomer"`` or ``"updateCustomer"``; ``created`` is
    ``type == "createCustomer"``; ``status`` is ``None`` if the service sent
    none or a value this binding does not know (see ``raw``).
    """

    type: str
    created: bool
    status: Optional[Status]
    reference: Optional[str]
    customer_link: Optional[str]
    target: Dict[str, Any]
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_reply(cls, raw: Dict[str, Any]) -> "UpsertResult":
        kind = _str(raw.get("type")) or ""
        return cls(
            type=kind,
            created=kind == "createCustomer",
            status=Status.parse(raw.get("status")),
            reference=_str(raw.get("reference")),
            customer_link=_str(raw.get("customer_link")),
            target=_dict(raw.get("target")),
            raw=raw,
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

    @classmethod
    def from_reply(cls, raw: Dict[str, Any], *, status_in_target: bool = False) -> "StatusResult":
        target = _dict(raw.get("target"))
        first, second = (target, raw) if status_in_target else (raw, target)
        status = Status.parse(first.get("status")) or Status.parse(second.get("status"))
        return cls(status=status, reference=_str(raw.get("reference")), target=target, raw=raw)


@dataclass(frozen=True)
class ImagesResult:
    """Reply of getDocumentImages with the decoded images (``back`` is
    ``None`` if none is stored). ``raw`` is the reply without the images.
    The repr shows image lengths, never the bytes."""

    front: bytes
    back: Optional[bytes]
    status: Optional[Status]
    reference: Optional[str]
    target: Dict[str, Any]
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        back = "None" if self.back is None else f"<{len(self.back)} bytes>"
        return (
            f"ImagesResult(front=<{len(self.front)} bytes>, back={back}, "
            f"status={self.status!r}, reference={self.reference!r}, target={self.target!r})"
        )


__all__ = ["Status", "UpsertResult", "StatusResult", "ImagesResult"]
