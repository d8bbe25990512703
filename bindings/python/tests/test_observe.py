"""What a Python program sees of libdcams (issue 10): the library's log as
``logging`` records, the check, the User-Agent's application token."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import List

import pytest

import dcams

from conftest import BACK, FRONT, PASS, USER, free_port, tiny_png, unique_email


class Records(logging.Handler):
    """Every record of the ``dcams`` loggers, with the thread it was handled on."""

    def __init__(self) -> None:
        super().__init__(level=1)
        self.records: List[logging.LogRecord] = []
        self.handled_on: List[int] = []
        self.lock_ = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock_:
            self.records.append(record)
            self.handled_on.append(threading.get_ident())

    def messages(self) -> List[str]:
        return [f"{r.levelname} {r.name} {r.getMessage()}" for r in self.records]


@pytest.fixture
def records():
    logger = logging.getLogger("dcams")
    handler = Records()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(dcams.TRACE)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_levels_map_and_the_logger_level_picks_the_callback_level(sandbox, records):
    logging.getLogger("dcams").setLevel(logging.INFO)
    with sandbox.client() as c:
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("lvl"))
    got = records.messages()
    assert [m.split(" ")[:2] for m in got] == [
        ["INFO", "dcams.attempt"], ["INFO", "dcams.attempt"], ["INFO", "dcams.call"]], got
    assert got[0].startswith("INFO dcams.attempt attempt started service=getStatus host=127.0.0.1:")
    assert "outcome=NotFound status=404 attempts=1" in got[2]
    records.records.clear()
    logging.getLogger("dcams").setLevel(dcams.TRACE)
    with sandbox.client(log_level="trace") as c:
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("lvl"))
    levels = {r.levelname for r in records.records}
    assert "TRACE" in levels and "DEBUG" in levels, records.messages()
    records.records.clear()
    with sandbox.client(log_level="off") as c:
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("lvl"))
    assert records.records == []
    with pytest.raises(ValueError):
        sandbox.client(log_level="loud")
    # The default follows the logger: at WARNING, a 404 crosses into Python not at all.
    logging.getLogger("dcams").setLevel(logging.WARNING)
    records.records.clear()
    with sandbox.client() as c:
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("lvl"))
    assert records.records == []


def test_three_503s_then_success_three_retry_records_and_attempts_4(sandbox, records):
    email = unique_email("retry-log")
    with sandbox.client(retries=3, retry_backoff_ms=20, log_level="info") as c:
        c.upsert(email, tiny_png())
        sandbox.script({"status": 503, "body": "{}", "times": 3})
        records.records.clear()
        r = c.get_status(email)
    assert r.meta.attempts == 4
    retries = [rec for rec in records.records if rec.name == "dcams.retry"]
    assert len(retries) == 3, records.messages()
    for i, rec in enumerate(retries):
        assert rec.levelno == logging.WARNING
        m = re.fullmatch(r'retrying reason="HTTP 503" pause_ms=(\d+) attempt=(\d) of=4', rec.getMessage())
        assert m, rec.getMessage()
        full = 20 << i
        assert full // 2 <= int(m[1]) <= full and int(m[2]) == i + 2
    assert "outcome=ok status=200 attempts=4" in records.messages()[-1]


def test_records_come_from_the_calling_thread_and_none_after_return(sandbox, records):
    with sandbox.client(log_level="debug") as c:
        seen = {}

        def work() -> None:
            me = threading.get_ident()
            for _ in range(10):
                with pytest.raises(dcams.NotFoundError):
                    c.get_status("nobody@example.com")
            at_return = sum(1 for r in list(records.records) if r.thread == me)
            time.sleep(0.1)
            seen[me] = (at_return, sum(1 for r in list(records.records) if r.thread == me))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
            assert not t.is_alive(), "a thread hung (GIL deadlock?)"
    assert len(seen) == 8
    for ident, (at_return, later) in seen.items():
        assert at_return >= 40 and at_return == later, (ident, at_return, later)
    # every record was handled on the thread it names, and that thread made calls
    assert all(r.thread == on for r, on in zip(records.records, records.handled_on))
    assert {r.thread for r in records.records} == set(seen)


def test_records_of_a_main_thread_call_name_the_main_thread(sandbox, records):
    """(Its C part may run on a helper thread, so that Ctrl-C reaches the main thread.)"""
    with sandbox.client(log_level="info") as c:
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("main"))
    assert records.records and all(r.thread == threading.main_thread().ident for r in records.records)
    assert all(r.threadName == threading.main_thread().name for r in records.records)


FN, LN, DOB, ADDR, CITY, ZIP, PHONE = "Quintessa", "Vanderbrook", "19710309", "742 Evergreen Q", "Shelbyvillex", "97531", "2175550199"
EMAIL = "quintessa.vanderbrook+py@example.com"


def test_trace_records_hold_no_secret_and_no_attribute(tmp_path, records):
    import base64

    from conftest import Sandbox

    password, test_key = "PW-PYSCAN-3c9d1e", "TK-PYSCAN-77af20"
    sb = Sandbox(tmp_path, "--pass", password, "--test-key", test_key)
    try:
        front = FRONT.read_bytes()
        with sb.client(password=password, test_key=test_key, log_level="trace") as c:
            c.upsert(EMAIL, front, BACK, fn=FN, ln=LN, dob=DOB, addr=ADDR, city=CITY, zip=ZIP, phone=PHONE)
            c.get_status(EMAIL)
            c.get_document_images(EMAIL)
            c.update_status(EMAIL, dcams.Status.FAIL)
            c.save_document_images(EMAIL, tmp_path / "f.jpg", tmp_path / "b.png")
            c.call_json({"target": {"email": EMAIL, "fn": FN, "documents": {"front": front}}})
            c.check()
        with sb.client(password=password + "-wrong", log_level="trace") as bad:
            with pytest.raises(dcams.UnauthorizedError):
                bad.get_status(EMAIL)
    finally:
        sb.stop()
    lines = records.messages()
    assert len(lines) > 40
    windows = set()
    for image in (front, BACK.read_bytes()):
        b64 = base64.b64encode(image).decode()
        windows |= {b64[i:i + 32] for i in range(len(b64) - 31)}
    forbidden = [password, test_key, EMAIL, FN, LN, DOB, ADDR, CITY, ZIP, PHONE]

    def leaks(lines: List[str]) -> List[str]:
        found = [f"{f!r} in {line}" for line in lines for f in forbidden if f in line]
        found += [f"base64 in {line}" for line in lines if any(line[i:i + 32] in windows for i in range(len(line) - 31))]
        return found

    assert leaks(lines) == []
    planted = lines + [f"DEBUG dcams.call x phone={PHONE}", "TRACE dcams.x " + base64.b64encode(front).decode()[64:100]]
    assert len(leaks(planted)) == 2, "the scan finds planted values"


def test_check_accepted_rejected_and_a_dead_port(sandbox):
    customers = sandbox.stats()["customers"]
    with sandbox.client() as c:
        report = c.check()
    assert report.ok and report.error is None and report.hint is None, str(report)
    assert [(s.step, s.outcome) for s in report.steps] == [
        ("config", "ok"), ("resolve", "ok"), ("connect", "ok"), ("proxy", "skipped"), ("tls", "skipped"),
        ("credentials", "ok")]
    assert report.meta.attempts == 1 and report.meta.http_status == 404
    report.raise_for_failure()
    with sandbox.client(password="wrong-pass") as c:
        report = c.check()
    assert not report.ok and report.failed_step == "credentials" and report.code == dcams.Code.UNAUTHORIZED
    assert "user and pass" in (report.hint or "")
    assert isinstance(report.error, dcams.UnauthorizedError) and report.error.http_status == 401
    with pytest.raises(dcams.UnauthorizedError):
        report.raise_for_failure()
    assert "wrong-pass" not in str(report)
    port = free_port()
    with dcams.Client(f"http://127.0.0.1:{port}/v3/stable/api/storage", user=USER, password=PASS,
                      environment=False) as c:
        report = c.check()
    assert report.failed_step == "connect" and f"127.0.0.1:{port}" in (report.hint or ""), str(report)
    assert isinstance(report.error, dcams.TransportError)
    assert sandbox.stats()["customers"] == customers


def test_the_user_agent_carries_the_application_token(sandbox):
    with sandbox.client(app_name="acme-kyc", app_version="4.2.1") as c:
        with pytest.raises(dcams.NotFoundError):
            c.get_status(unique_email("ua"))
    assert sandbox.last_request()["user_agent"] == f"dcams/{dcams.library_version} acme-kyc/4.2.1"
    with pytest.raises(dcams.ConfigError) as ei:
        sandbox.client(app_name="acme kyc")
    assert "app_name" in str(ei.value)
