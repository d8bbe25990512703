"""Cancelling calls: :class:`CancelToken`, and running the main thread's
calls so that Ctrl-C reaches it.

A call made from the main thread runs its C part on a helper thread while
the main thread waits, so that a ``KeyboardInterrupt`` is raised at once:
the wait then cancels the call (``dcams_call_cancel``), waits the few
milliseconds the library needs to give up (100 ms at most) and re-raises
the ``KeyboardInterrupt``. Calls from other threads run on their own thread
(Python delivers signals to the main thread only). Either way the client
stays usable.
"""

from __future__ import annotations

import queue
import signal
import threading
from typing import Any, Callable, List, Optional

from . import _lib, _log

_c = _lib.lib


class CancelToken:
    """Cancels calls from another thread: pass it to calls as
    ``cancel=token``; :meth:`cancel` makes every call it was given, in
    progress or later, raise :class:`dcams.CancelledError` within 100 ms,
    whatever the call is doing (connecting, TLS, sending, waiting,
    receiving, pausing before a retry). A token stays cancelled. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._calls: List[Any] = []

    def cancel(self) -> None:
        """Cancels the calls using this token now, and those given it later."""
        with self._lock:
            self._cancelled = True
            for call in self._calls:
                _c.dcams_call_cancel(call, None)

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def _attach(self, call: Any) -> None:
        with self._lock:
            self._calls.append(call)
            if self._cancelled:
                _c.dcams_call_cancel(call, None)

    def _detach(self, call: Any) -> None:
        with self._lock:
            self._calls = [c for c in self._calls if c is not call]

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self._cancelled})"


class _Job:
    __slots__ = ("fn", "caller", "done", "result", "error")

    def __init__(self, fn: Callable[[], int], caller: threading.Thread) -> None:
        self.fn = fn
        self.caller = caller
        self.done = threading.Event()
        self.result = 0
        self.error: Optional[BaseException] = None


_jobs: "queue.SimpleQueue[_Job]" = queue.SimpleQueue()
_worker: Optional[threading.Thread] = None
_worker_lock = threading.Lock()


def _work() -> None:
    while True:
        job = _jobs.get()
        with _log.on_behalf_of(job.caller):
            try:
                job.result = job.fn()
            except BaseException as e:  # handed back to the waiting thread
                job.error = e
        job.done.set()


def _start_worker() -> bool:
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            try:
                _worker = threading.Thread(target=_work, name="dcams-main-calls", daemon=True)
                _worker.start()
            except RuntimeError:  # interpreter shutting down: no new threads
                _worker = None
                return False
    return True


def run(c_call: Callable[[], int], call: Any) -> int:
    """Runs ``c_call`` (one libdcams call made with the handle ``call``) and
    returns its code. On the main thread, while Ctrl-C raises
    ``KeyboardInterrupt`` (Python's own SIGINT handler): on the helper
    thread, waiting interruptibly; a ``KeyboardInterrupt`` cancels the call,
    waits for it to end and is re-raised. (The hand-over costs tens of
    microseconds per call; a program that handles SIGINT itself, or calls
    from other threads, does not pay it.)"""
    caller = threading.current_thread()
    if (
        caller is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        or not _start_worker()
    ):
        return c_call()
    job = _Job(c_call, caller)
    _jobs.put(job)
    try:
        while not job.done.wait(0.1):
            pass
    except KeyboardInterrupt:
        _c.dcams_call_cancel(call, None)
        while True:  # the call ends within 100 ms; a second Ctrl-C must not leave it running
            try:
                job.done.wait()
                break
            except KeyboardInterrupt:
                continue
        raise
    if job.error is not None:
        raise job.error
    return job.result


__all__ = ["CancelToken", "run"]
