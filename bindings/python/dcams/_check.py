"""The report of :meth:`dcams.Client.check` (``dcams_client_check``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

from .errors import Code, DcamsError, error_from_json
from .results import CallMeta


@dataclass(frozen=True)
class CheckStep:
    """One step of a check: ``step`` is ``"config"``, ``"resolve"``,
    ``"connect"``, ``"proxy"``, ``"tls"`` or ``"credentials"``; ``outcome``
    ``"ok"``, ``"failed"`` or ``"skipped"``; ``ms`` its time; ``detail``
    what was found (never a credential)."""

    step: str
    outcome: str
    ms: int
    detail: str


@dataclass(frozen=True)
class CheckReport:
    """What :meth:`dcams.Client.check` found.

    ``ok``: every step passed. Otherwise ``code`` / ``name`` are the
    failure's (e.g. ``Code.TLS``), ``failed_step`` names the step, ``hint``
    says what to change, and ``error`` is the exception the probe call
    would have raised (:meth:`raise_for_failure` raises it). ``steps``: all
    six, in order. ``meta``: what the probe call did. ``str(report)`` is one
    line per step, then the hint.
    """

    ok: bool
    code: Union[Code, int]
    name: str
    failed_step: Optional[str]
    hint: Optional[str]
    error: Optional[DcamsError]
    elapsed_ms: int
    attempts: int
    steps: List[CheckStep]
    meta: CallMeta

    @classmethod
    def from_json(cls, text: str, meta: CallMeta) -> "CheckReport":
        data: Dict[str, Any] = json.loads(text)
        code = int(data.get("code") or 0)
        error = data.get("error")
        steps = [
            CheckStep(str(s.get("step")), str(s.get("outcome")), int(s.get("ms") or 0), str(s.get("detail") or ""))
            for s in data.get("steps") or []
        ]
        try:
            typed: Union[Code, int] = Code(code)
        except ValueError:
            typed = code
        return cls(
            ok=data.get("ok") is True,
            code=typed,
            name=str(data.get("name") or ""),
            failed_step=data.get("failed_step"),
            hint=data.get("hint"),
            error=error_from_json(code, json.dumps(error), meta) if isinstance(error, dict) and code else None,
            elapsed_ms=int(data.get("elapsed_ms") or 0),
            attempts=int(data.get("attempts") or 0),
            steps=steps,
            meta=meta,
        )

    def raise_for_failure(self) -> None:
        """Raises :attr:`error` when a step failed; returns otherwise."""
        if self.error is not None:
            raise self.error

    def __str__(self) -> str:
        lines = [f"{s.outcome:<8}{s.step:<13}{s.ms:>6} ms  {s.detail}" for s in self.steps]
        lines.append(f"hint: {self.hint}" if not self.ok else f"all checks passed in {self.elapsed_ms} ms")
        return "\n".join(lines)


__all__ = ["CheckReport", "CheckStep"]
