"""libdcams's log events as Python ``logging`` records.

A client's events arrive through the C log callback, synchronously, on the
thread running the C call and before that call returns (never after). Each
becomes a record of the logger ``dcams.<what>`` — ``dcams.call``,
``dcams.attempt``, ``dcams.connection``, ``dcams.tls``, ``dcams.retry``,
``dcams.document``, ``dcams.check`` — children of ``logging.getLogger("dcams")``,
so handlers and levels set on ``"dcams"`` apply. Levels map as: error →
``ERROR``, warn → ``WARNING``, info → ``INFO``, debug → ``DEBUG``, trace →
:data:`TRACE` (5). The record's thread is the Python thread that made the
call (also when the main thread's calls run on a helper thread so that it
stays interruptible). Messages hold no password, test key, image data or
customer attribute in clear: the library never puts them in an event.

The ctypes callback object is kept by the client for its lifetime (C holds
a pointer to it). The callback takes the GIL only for the time of one
record, while the thread making the call has released it, so many threads
can log at once without deadlock. It never raises into C: a failing handler
is reported by ``logging``'s own error handling.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any, Dict, Optional, Tuple

from ._lib import dcams_log_callback

#: The level of libdcams's trace events (below ``logging.DEBUG``).
TRACE = 5
if logging.getLevelName(TRACE) == f"Level {TRACE}":
    logging.addLevelName(TRACE, "TRACE")

#: The parent of every logger this module logs to. As a library should, it
#: has a NullHandler: without a handler configured by the program, records
#: go nowhere (not to logging's last-resort stderr handler).
LOGGER = logging.getLogger("dcams")
LOGGER.addHandler(logging.NullHandler())

#: ``dcams_log_level`` numbers: (C name, Python level).
LEVELS: Dict[int, Tuple[str, int]] = {
    1: ("error", logging.ERROR),
    2: ("warn", logging.WARNING),
    3: ("info", logging.INFO),
    4: ("debug", logging.DEBUG),
    5: ("trace", TRACE),
}

#: ``dcams_log_callback``.
CALLBACK = dcams_log_callback

# The thread on whose behalf the current thread runs a C call (see client._run).
_on_behalf = threading.local()


def c_level(level: object) -> Optional[int]:
    """The ``dcams_log_level`` for a client's ``log_level`` argument:
    ``None`` follows ``logging.getLogger("dcams")`` as configured when the
    client is made; a name (``"error"`` ... ``"trace"``) or a ``logging``
    level number picks it; ``"off"`` or ``False``: no callback (``None``)."""
    if level is False or level == "off":
        return None
    if level is None:
        level = LOGGER.getEffectiveLevel()
    if isinstance(level, str):
        for number, (name, _) in LEVELS.items():
            if name == level:
                return number
        raise ValueError(f"log_level must be error, warn, info, debug, trace or off, not {level!r}")
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(f"log_level must be a level name or a logging level, not {type(level).__name__}")
    # The most verbose C level whose Python level passes `level`.
    passing = [number for number, (_, py) in LEVELS.items() if py >= level]
    return max(passing) if passing else 1


class Forwarder:
    """The C callback of one client, and the ctypes object behind it."""

    def __init__(self) -> None:
        self.callback = CALLBACK(self._forward)
        self._loggers: Dict[bytes, logging.Logger] = {}

    def _logger(self, target: bytes) -> logging.Logger:
        logger = self._loggers.get(target)
        if logger is None:
            name = target.decode("ascii", "replace").replace("::", ".")
            logger = logging.getLogger(name if name.startswith("dcams") else f"dcams.{name}")
            self._loggers[target] = logger
        return logger

    def _forward(self, _userdata: Any, level: int, target: Optional[bytes], message: Optional[int], length: int) -> None:
        try:
            py_level = LEVELS.get(int(level), ("", logging.INFO))[1]
            logger = self._logger(target or b"dcams")
            if not logger.isEnabledFor(py_level):
                return
            text = ctypes.string_at(message, length).decode("utf-8", "replace") if message else ""
            record = logger.makeRecord(logger.name, py_level, "(libdcams)", 0, text, (), None)
            caller = getattr(_on_behalf, "thread", None)
            if caller is not None:
                record.thread, record.threadName = caller.ident, caller.name
            logger.handle(record)
        except Exception:  # never into C
            pass


class on_behalf_of:
    """Marks the current (helper) thread as running a call for `thread`."""

    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread

    def __enter__(self) -> None:
        _on_behalf.thread = self.thread

    def __exit__(self, *exc: object) -> None:
        _on_behalf.thread = None


__all__ = ["TRACE", "LEVELS", "CALLBACK", "Forwarder", "c_level", "on_behalf_of"]
