"""Many customers at once: :meth:`dcams.Client.upsert_many`, on libdcams's
batch engine (``dcams_client_upsert_batch``).

The engine runs ``concurrency`` records at a time on its own threads (the
GIL is released while it works), paces every attempt (a fixed ``rate``, a
pause of the whole batch on ``Retry-After``, a rate learned from 429
answers) and reports each record as it finishes; the results are yielded
here in that order, each with its input ``index``.

Records are read from the iterable ``window`` at a time (memory stays
bounded whatever its length); each window is one call of the engine, and
the rate a window learned from 429s is the next window's fixed rate.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import queue
import sys
import threading
import time
from ctypes import POINTER, byref, c_void_p
from dataclasses import dataclass
from typing import Any, Callable, Dict, Generator, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from . import _lib
from ._lib import dcams_batch_callback, dcams_batch_options, dcams_batch_summary, dcams_customer, new_struct
from .client import CUSTOMER_FIELDS, Client, customer_struct, meta_from_struct
from .errors import Code, DcamsError, InvalidArgumentError, error_from_json
from .results import CallMeta, Status, UpsertResult

#: The keys a record may have: :meth:`dcams.Client.upsert`'s arguments.
RECORD_KEYS = frozenset({"email", "front", "back", "reference", "test_key", *CUSTOMER_FIELDS})


@dataclass(frozen=True)
class BatchResult:
    """One record of :meth:`dcams.Client.upsert_many`.

    ``index``: the record's position in the input (from 0). ``code``: 0
    (``Code.OK``) or the error code. ``result``: the reply on success;
    ``error``: the :class:`dcams.DcamsError` otherwise (one of them is
    ``None``). ``meta``: what the record's call did (``attempts`` 0 when
    nothing was sent).
    """

    index: int
    code: int
    result: Optional[UpsertResult]
    error: Optional[DcamsError]
    meta: CallMeta

    @property
    def ok(self) -> bool:
        return self.code == Code.OK

    @property
    def type(self) -> Optional[str]:
        """``createCustomer`` or ``updateCustomer`` on success."""
        return self.result.type if self.result is not None else None

    @property
    def status(self) -> Optional[Status]:
        return self.result.status if self.result is not None else None

    @property
    def attempts(self) -> int:
        return self.meta.attempts

    @property
    def code_name(self) -> str:
        """E.g. ``"DCAMS_OK"``, ``"DCAMS_ERR_VALIDATION"``."""
        return _lib.code_name(self.code)


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch is, passed to the ``progress`` callback after each record.
    ``total`` is ``len(records)`` when the records have a length, else ``None``."""

    done: int
    succeeded: int
    failed: int
    total: Optional[int]
    elapsed_s: float


def _no_call(code: int) -> CallMeta:
    return CallMeta(code, 0, None, 0, 0, 0, None)


def _halted(code: int) -> DcamsError:
    """The error that ends a batch the library halted (a 401 or 403 answer)."""
    status = 401 if code == Code.UNAUTHORIZED else 403
    why = "refused the credentials" if status == 401 else "refused access"
    message = f"the batch halted: the service {why} (HTTP {status}); no record was sent after that answer"
    return error_from_json(code, json.dumps({"message": message, "http_status": status}))


def _reporter(
    progress: Union[None, bool, Callable[[BatchProgress], None]], total: Optional[int]
) -> Tuple[Optional[Callable[[BatchProgress], None]], Callable[[], None]]:
    """The progress callback to call, and what to do at the end. ``True``:
    a tqdm bar if tqdm is installed, else a plain line on stderr every 5 s."""
    if progress is None or progress is False:
        return None, lambda: None
    if callable(progress):
        return progress, lambda: None
    try:
        from tqdm import tqdm  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        last = [time.monotonic()]

        def line(p: BatchProgress) -> None:
            now = time.monotonic()
            if now - last[0] >= 5.0 or (p.total is not None and p.done == p.total):
                last[0] = now
                of = f"/{p.total}" if p.total is not None else ""
                rate = p.done / p.elapsed_s if p.elapsed_s > 0 else 0.0
                print(
                    f"dcams: {p.done}{of} done ({p.succeeded} ok, {p.failed} failed), {rate:.1f} records/s",
                    file=sys.stderr,
                    flush=True,
                )

        return line, lambda: None
    bar = tqdm(total=total, unit="record")

    def update(p: BatchProgress) -> None:
        bar.update(p.done - bar.n)
        bar.set_postfix(ok=p.succeeded, failed=p.failed, refresh=False)

    return update, bar.close


def _record_struct(record: object, keep: List[object]) -> dcams_customer:
    if not isinstance(record, Mapping):
        raise TypeError(f"a record must be a mapping (dict), not {type(record).__name__}")
    unknown = sorted(set(record) - RECORD_KEYS)
    if unknown:
        raise InvalidArgumentError(
            f"unknown record key {unknown[0]!r}; the keys are {', '.join(sorted(RECORD_KEYS))}",
            code=Code.INVALID_ARGUMENT,
            field=str(unknown[0]),
        )
    return customer_struct(
        record.get("email"),
        record.get("front"),
        record.get("back"),
        record,
        record.get("reference"),
        record.get("test_key"),
        keep,
    )


def upsert_many(
    client: Client,
    records: Iterable[Mapping[str, Any]],
    *,
    concurrency: int = 4,
    rate: Optional[float] = None,
    burst: int = 1,
    progress: Union[None, bool, Callable[[BatchProgress], None]] = None,
    window: int = 1024,
) -> Iterator[BatchResult]:
    """createOrUpdateCustomer for every record of ``records``, yielding a
    :class:`BatchResult` per record as it finishes (not in input order).

    A record is a mapping with :meth:`dcams.Client.upsert`'s argument names
    (``email``, ``front``, ``back``, ``fn``, ``ln``, ``addr``, ``city``,
    ``state``, ``zip``, ``dob``, ``phone``, ``reference``, ``test_key``);
    images are paths or bytes. A record that is not one (unknown key, wrong
    type) is a failed result, not an exception: the batch goes on.

    ``concurrency``: records in flight (1 to 1024). ``rate``: at most this
    many requests per second, retries included (``burst`` at once after an
    idle time); ``None``: only what the service's 429s teach. ``progress``:
    a callable given a :class:`BatchProgress` after each record, or ``True``
    for a tqdm bar when tqdm is installed (a line on stderr every 5 s
    otherwise). Stopping the iteration (``break``, an exception, closing the
    generator) stops the batch: no further record is sent; those in flight
    finish first. A 401 or 403 answer halts the batch the same way (every
    other record would be refused alike): the records in flight are
    yielded, then the iteration raises :class:`dcams.UnauthorizedError`
    (or :class:`dcams.ForbiddenError`).
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 1024:
        raise InvalidArgumentError("concurrency must be an int from 1 to 1024", code=Code.INVALID_ARGUMENT)
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0):
        raise InvalidArgumentError("rate must be a positive number of requests per second", code=Code.INVALID_ARGUMENT)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise InvalidArgumentError("window must be a positive int", code=Code.INVALID_ARGUMENT)
    total = len(records) if hasattr(records, "__len__") else None  # type: ignore[arg-type]
    report, finish = _reporter(progress, total)
    started = time.monotonic()
    counts = [0, 0, 0]  # done, succeeded, failed
    pace = float(rate) if rate is not None else None
    source = iter(records)
    base = 0
    stop = threading.Event()

    def counted(r: BatchResult) -> BatchResult:
        counts[0] += 1
        counts[1 if r.ok else 2] += 1
        if report is not None:
            report(BatchProgress(counts[0], counts[1], counts[2], total, time.monotonic() - started))
        return r

    try:
        while not stop.is_set():
            chunk = list(itertools.islice(source, window))
            if not chunk:
                break
            # Records that are not customers fail here, without a call.
            keep: List[object] = []
            structs: List[dcams_customer] = []
            positions: List[int] = []
            for offset, record in enumerate(chunk):
                try:
                    structs.append(_record_struct(record, keep))
                    positions.append(base + offset)
                except (DcamsError, TypeError) as e:
                    error = e if isinstance(e, DcamsError) else InvalidArgumentError(str(e), code=Code.INVALID_ARGUMENT)
                    yield counted(BatchResult(base + offset, int(error.code), None, error, _no_call(int(error.code))))
            base += len(chunk)
            del chunk
            if structs:
                summary = yield from _run_window(client, structs, positions, concurrency, pace, burst, stop, counted)
                learned = float(summary.learned_rate)
                if learned > 0:
                    pace = learned if pace is None else min(pace, learned)
                if summary.halted_code:
                    raise _halted(int(summary.halted_code))
            del keep, structs
    finally:
        stop.set()
        finish()


def _run_window(
    client: Client,
    structs: List[dcams_customer],
    positions: List[int],
    concurrency: int,
    rate: Optional[float],
    burst: int,
    stop: threading.Event,
    counted: Callable[[BatchResult], BatchResult],
) -> Generator[BatchResult, None, dcams_batch_summary]:
    """One engine call over ``structs``, run on a thread while the results
    it reports are yielded here. Returns the batch summary."""
    n = len(structs)
    array = (POINTER(dcams_customer) * n)(*(ctypes.pointer(s) for s in structs))
    options = new_struct(dcams_batch_options)
    options.concurrency = concurrency
    options.rate = rate or 0.0
    options.burst = max(1, int(burst))
    summary = new_struct(dcams_batch_summary)
    results: "queue.Queue[Optional[Tuple[int, int, Optional[bytes], CallMeta]]]" = queue.Queue()
    outcome: Dict[str, Any] = {}

    def on_record(_userdata: Any, index: int, code: int, text: Optional[bytes], meta: Any) -> int:
        # On a libdcams thread, with the GIL: copy, hand over, return at once.
        results.put((int(index), int(code), text, meta_from_struct(meta.contents)))
        return 1 if stop.is_set() else 0

    callback = dcams_batch_callback(on_record)

    def run() -> None:
        error = c_void_p()
        try:
            with client._use() as handle:
                outcome["code"] = int(
                    _lib.lib.dcams_client_upsert_batch(
                        handle, array, n, byref(options), callback, None, byref(summary), byref(error)
                    )
                )
        except BaseException as e:  # the client was closed, say: re-raised below
            outcome["exception"] = e
        finally:
            outcome["error"] = _lib.take_string(error.value)
            results.put(None)

    worker = threading.Thread(target=run, name="dcams-upsert-many", daemon=True)
    worker.start()
    finished = False
    try:
        while True:
            item = results.get()
            if item is None:
                break
            index, code, text, meta = item
            position = positions[index]
            if code == Code.OK:
                reply = json.loads(text.decode("utf-8")) if text else {}
                result = UpsertResult.from_reply(reply if isinstance(reply, dict) else {}, meta)
                yield counted(BatchResult(position, code, result, None, meta))
            else:
                error = error_from_json(code, text.decode("utf-8", "replace") if text else None, meta)
                yield counted(BatchResult(position, code, None, error, meta))
        finished = True
    finally:
        if not finished:
            # Stopped early (break, an exception, close): no new record; those in flight finish.
            stop.set()
        worker.join()
    if "exception" in outcome:
        raise outcome["exception"]
    if outcome.get("code", Code.INTERNAL) != Code.OK:
        raise error_from_json(outcome.get("code", Code.INTERNAL), outcome.get("error"))
    return summary

