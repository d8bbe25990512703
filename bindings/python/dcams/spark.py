"""Upserting a Spark DataFrame of customers: helpers for ``mapPartitions``.

    from dcams.spark import RESULT_SCHEMA, partition_upserter

    upsert = partition_upserter(config={"endpoint": ...}, total_rate=50, partitions=8, base_dir="/data")
    results = df.repartition(8).rdd.mapPartitions(upsert).toDF(RESULT_SCHEMA)

Each partition runs on an executor with its own :class:`dcams.Client`
(closed in ``finally``, whatever happens) and its own batch engine
(:meth:`dcams.Client.upsert_many`), at ``total_rate / partitions``
requests per second so that all partitions together stay under the
service's limit. A partition yields one row per customer:
``(email, code, type, status, attempts)`` — ``code`` the ``dcams_code``
name (``DCAMS_OK``, ``DCAMS_ERR_VALIDATION``, ...), ``type`` and
``status`` ``None`` for a failure.

Nothing here imports pyspark: the helpers take any iterator of rows
(``pyspark.sql.Row``, dicts) and yield tuples, so they are tested without
Spark too. How the library reaches the executors: see
``bindings/python/README.md``, "Spark".
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Tuple

from .batch import RECORD_KEYS
from .client import Client

#: The result rows' columns, as a Spark DDL schema string.
RESULT_SCHEMA = "email string, code string, type string, status string, attempts int"

#: One result row: (email, code, type, status, attempts).
ResultRow = Tuple[str, str, Optional[str], Optional[str], int]


def _as_dict(row: Any) -> Dict[str, Any]:
    if isinstance(row, Mapping):
        return dict(row)
    as_dict = getattr(row, "asDict", None)  # pyspark.sql.Row
    if callable(as_dict):
        return dict(as_dict())
    raise TypeError(f"a row must be a pyspark Row or a mapping, not {type(row).__name__}")


def record_of(row: Any, base_dir: Optional[str] = None) -> Dict[str, Any]:
    """A record for :meth:`dcams.Client.upsert_many` from a row with the
    service's column names (those of ``customers.csv``): empty and null
    values are dropped, other columns are ignored, and relative ``front`` /
    ``back`` paths are taken relative to ``base_dir``."""
    values = _as_dict(row)
    record: Dict[str, Any] = {}
    for key in RECORD_KEYS:
        value = values.get(key)
        if value is None or value == "":
            continue
        if key in ("front", "back") and isinstance(value, str) and base_dir and not os.path.isabs(value):
            value = os.path.join(base_dir, value)
        record[key] = value if isinstance(value, (str, bytes, bytearray)) else str(value)
    return record


def upsert_partition(
    rows: Iterable[Any],
    *,
    config: Optional[Mapping[str, Any]] = None,
    rate: Optional[float] = None,
    concurrency: int = 4,
    base_dir: Optional[str] = None,
) -> Iterator[ResultRow]:
    """Upserts the rows of one partition with a client of its own (from
    ``config``, else the executor's ``DCAMS_*`` environment), closed in
    ``finally``; yields ``(email, code, type, status, attempts)`` per row
    as each finishes. ``rate``: this partition's requests per second."""
    client = Client.from_json(dict(config)) if config is not None else Client()
    try:
        emails: Dict[int, str] = {}

        def records() -> Iterator[Dict[str, Any]]:
            for i, row in enumerate(rows):
                record = record_of(row, base_dir)
                emails[i] = str(record.get("email", ""))
                yield record

        for r in client.upsert_many(records(), concurrency=concurrency, rate=rate):
            status = r.status.value if r.status is not None else None
            yield (emails.pop(r.index, ""), r.code_name, r.type, status, r.attempts)
    finally:
        client.close()


def partition_upserter(
    config: Optional[Mapping[str, Any]] = None,
    *,
    total_rate: Optional[float] = None,
    partitions: int = 1,
    concurrency: int = 4,
    base_dir: Optional[str] = None,
) -> Callable[[Iterable[Any]], Iterator[ResultRow]]:
    """The function to give ``rdd.mapPartitions``: every partition gets
    ``total_rate / partitions`` requests per second (``None``: no fixed
    rate; each partition still slows down on the service's 429s).
    ``config`` (plain data, shipped to the executors with the function) is
    the client configuration, e.g. ``{"endpoint": ..., "user": ...}``;
    leave the password out of it and give it to the executors' environment
    (``spark.executorEnv.DCAMS_PASS``) instead."""
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    rate = total_rate / partitions if total_rate is not None else None
    settings = dict(config) if config is not None else None

    def run(rows: Iterable[Any]) -> Iterator[ResultRow]:
        return upsert_partition(rows, config=settings, rate=rate, concurrency=concurrency, base_dir=base_dir)

    return run


__all__ = ["RESULT_SCHEMA", "ResultRow", "partition_upserter", "record_of", "upsert_partition"]
