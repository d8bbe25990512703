//! The batch engine against the in-process sandbox: one result per record,
//! records taken only as workers free up, the fixed rate on every attempt,
//! a 429 with Retry-After slowing the whole batch, and stopping.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use dcams_client::{
    BatchOptions, Client, Customer, Document, ErrorKind, RateLimit, RecordError, RecordResult, UpsertKind,
};
use dcams_sandbox::{Sandbox, SandboxConfig, ScriptedAnswer};

/// The tests of this file run one at a time: a sandbox starved of CPU by a
/// parallel test counts requests late and in bunches, which the rates it
/// measures would show.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A small image the client and the sandbox accept (a PNG header is enough).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR small";

fn customer(i: u64) -> Customer<'static> {
    Customer { dob: Some("19800214".into()), ..Customer::new(format!("c{i}@example.com"), Document::from_bytes(PNG)) }
}

fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).expect("sandbox starts")
}

/// What each of the 200 mixed records should come to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Stored,
    InputError,
    Invalid,
    NoFile,
}

fn expect(i: u64) -> Expect {
    match i % 10 {
        3 => Expect::InputError,
        5 => Expect::Invalid,
        8 => Expect::NoFile,
        _ => Expect::Stored,
    }
}

#[test]
fn mixed_records_get_one_result_each_with_the_right_outcome() {
    let _serial = serial();
    let sb = sandbox();
    let client = client(&sb);
    let records = (0..200u64).map(|i| {
        let record = match expect(i) {
            Expect::InputError => Err(format!("row {i} is broken")),
            Expect::Invalid => Ok(Customer { dob: Some("19900231".into()), ..customer(i) }),
            Expect::NoFile => {
                Ok(Customer { front: Some(Document::from_path("/nonexistent/front.jpg")), ..customer(i) })
            }
            Expect::Stored => Ok(customer(i)),
        };
        (i * 10, record)
    });
    let mut results: Vec<RecordResult<u64, String>> = Vec::new();
    let options = BatchOptions { concurrency: 8, ..BatchOptions::default() };
    let summary = client.upsert_batch(records, &options, |r| results.push(r)).unwrap();

    assert_eq!(results.len(), 200);
    let indices: HashSet<u64> = results.iter().map(|r| r.index).collect();
    assert_eq!(indices, (0..200).collect::<HashSet<_>>(), "every input index exactly once");
    for r in &results {
        assert_eq!(r.tag, r.index * 10, "the tag comes back with its record");
        match (expect(r.index), &r.outcome) {
            (Expect::Stored, Ok(reply)) => {
                assert_eq!(reply.kind, Some(UpsertKind::Created));
                assert_eq!(reply.target["email"], format!("c{}@example.com", r.index));
                assert_eq!(r.attempts(), 1);
            }
            (Expect::InputError, Err(RecordError::Input(e))) => assert_eq!(e, &format!("row {} is broken", r.index)),
            (Expect::Invalid, Err(RecordError::Call(e))) => {
                assert_eq!((e.kind(), e.field(), e.attempts()), (ErrorKind::Validation, Some("dob"), 0));
            }
            (Expect::NoFile, Err(RecordError::Call(e))) => assert_eq!(e.kind(), ErrorKind::File),
            (want, got) => panic!("record {}: expected {want:?}, got {got:?}", r.index),
        }
    }
    let stored = (0..200).filter(|i| expect(*i) == Expect::Stored).count() as u64;
    assert_eq!((summary.records, summary.succeeded, summary.created, summary.failed), (200, stored, stored, 60));
    assert_eq!(summary.attempts, stored, "nothing sent for the 60 that failed before any traffic");
    assert!(summary.bytes_sent > stored * PNG.len() as u64);
    assert!(!summary.stopped);
    let seen = sb.stats();
    assert_eq!((seen.requests, seen.created), (stored, stored));
}

#[test]
fn records_are_taken_only_when_a_worker_is_free() {
    let _serial = serial();
    let sb = start(SandboxConfig { latency: Duration::from_millis(20), ..SandboxConfig::default() });
    let client = client(&sb);
    let taken = AtomicU64::new(0);
    let records = (0..40u64).map(|i| {
        taken.fetch_add(1, Ordering::SeqCst);
        ((), Ok::<_, ()>(customer(i)))
    });
    let mut delivered = 0u64;
    let mut most_in_flight = 0u64;
    let options = BatchOptions { concurrency: 4, ..BatchOptions::default() };
    let summary = client
        .upsert_batch(records, &options, |r| {
            assert!(r.is_ok(), "{:?}", r.outcome);
            // The record being delivered is still counted as taken-and-not-delivered.
            let in_flight = taken.load(Ordering::SeqCst) - delivered;
            most_in_flight = most_in_flight.max(in_flight);
            delivered += 1;
        })
        .unwrap();
    assert_eq!(summary.succeeded, 40);
    assert!(most_in_flight <= 4, "at most `concurrency` records read ahead: {most_in_flight}");
    assert_eq!(most_in_flight, 4, "all four workers were busy at some point");
    assert!(sb.connections() <= 4, "one connection per worker at most: {}", sb.connections());
}

#[test]
fn a_fixed_rate_paces_every_attempt_retries_included() {
    let _serial = serial();
    let sb = sandbox();
    let warm = client(&sb);
    // The service's view starts warm: the first request of a cold sandbox
    // (and a new connection) arrives later than it was paced, which would
    // make the first second look crowded.
    assert_eq!(warm.get_status("warm@example.com").unwrap_err().kind(), ErrorKind::NotFound);
    sb.reset();
    // Five 503s: their retries must take turns too.
    sb.script(ScriptedAnswer { times: 5, ..ScriptedAnswer::json(503, serde_json::json!({"message": "busy"})) });
    // Enough retries that no record can fail, whichever records the 503s hit.
    let config = dcams_client::Config { retries: 5, retry_backoff: Duration::from_millis(10), ..config(&sb) };
    let client = Client::new(config).unwrap();
    let options = BatchOptions { concurrency: 8, rate: Some(RateLimit::new(20.0, 1).unwrap()), stop: None };
    let started = Instant::now();
    let summary = client.upsert_batch((0..45u64).map(|i| ((), Ok::<_, ()>(customer(i)))), &options, |_| {}).unwrap();
    assert_eq!((summary.succeeded, summary.attempts), (45, 50));
    let stats = sb.stats();
    assert_eq!(stats.requests, 50);
    assert!(stats.per_second.iter().all(|n| *n <= 20), "at most 20 requests in any second: {stats:?}");
    // 50 requests one per 50 ms: the last starts 2.45 s after the first.
    assert!(started.elapsed() >= Duration::from_millis(2400), "{:?}", started.elapsed());
}

#[test]
fn a_429_with_retry_after_slows_the_whole_batch_to_what_the_service_accepts() {
    let _serial = serial();
    let sb = start(SandboxConfig { rate_limit: Some(50), ..SandboxConfig::default() });
    let client = client(&sb);
    let options = BatchOptions { concurrency: 4, ..BatchOptions::default() };
    let summary = client.upsert_batch((0..250u64).map(|i| ((), Ok::<_, ()>(customer(i)))), &options, |_| {}).unwrap();
    let stats = sb.stats();
    assert_eq!((summary.succeeded, summary.failed), (250, 0), "{summary:?}");
    assert_eq!(stats.created, 250);
    // The first 429s stop every worker for the Retry-After, and the batch then
    // stays under the learned rate: only the requests in flight when the limit
    // was first hit are refused (one per worker, and their retries succeed).
    assert!(summary.rate_limited <= 4, "{summary:?} {stats:?}");
    assert_eq!(summary.rate_limited, stats.rate_limited);
    let learned = summary.learned_rate.expect("a rate was learned");
    assert!((45.0..50.0).contains(&learned), "{learned}");
    // After the first second, the rate the service sees is within 10% of its
    // limit (whole seconds: the last one is cut short), and no second is
    // above the limit's 10%.
    let whole = &stats.per_second[1..stats.per_second.len() - 1];
    let rate = whole.iter().sum::<u64>() as f64 / whole.len() as f64;
    assert!(whole.len() >= 3 && (45.0..=55.0).contains(&rate), "{rate} {:?}", stats.per_second);
    assert!(whole.iter().all(|n| *n <= 55), "{:?}", stats.per_second);
}

#[test]
fn stopping_takes_no_new_record_and_reports_those_in_flight() {
    let _serial = serial();
    let sb = start(SandboxConfig { latency: Duration::from_millis(50), ..SandboxConfig::default() });
    let client = client(&sb);
    let stop = Arc::new(AtomicBool::new(false));
    let taken = AtomicU64::new(0);
    let records = (0..1000u64).map(|i| {
        taken.fetch_add(1, Ordering::SeqCst);
        ((), Ok::<_, ()>(customer(i)))
    });
    let delivered = Mutex::new(0u64);
    let options = BatchOptions { concurrency: 4, rate: None, stop: Some(Arc::clone(&stop)) };
    let summary = client
        .upsert_batch(records, &options, |r| {
            assert!(r.is_ok());
            let mut n = delivered.lock().unwrap();
            *n += 1;
            if *n == 6 {
                stop.store(true, Ordering::SeqCst);
            }
        })
        .unwrap();
    assert!(summary.stopped);
    let delivered = *delivered.lock().unwrap();
    assert_eq!(summary.records, delivered);
    assert!((6..=10).contains(&delivered), "the 6 plus at most the 4 in flight: {delivered}");
    // Every record sent was reported; a record taken but never sent is not.
    assert_eq!(sb.stats().created, delivered);
    assert!(taken.load(Ordering::SeqCst) <= delivered + 4);
}

#[test]
fn a_401_halts_the_batch_after_the_records_in_flight() {
    let _serial = serial();
    let sb = start(SandboxConfig { latency: Duration::from_millis(20), ..SandboxConfig::default() });
    let config = dcams_client::Config { pass: Some(dcams_client::Secret::new("wrong-pass")), ..config(&sb) };
    let client = Client::new(config).unwrap();
    let options = BatchOptions { concurrency: 4, rate: None, stop: None };
    let mut kinds = Vec::new();
    let summary = client
        .upsert_batch((0..1000u64).map(|i| ((), Ok::<_, ()>(customer(i)))), &options, |r| match r.outcome {
            Err(RecordError::Call(e)) => kinds.push(e.kind()),
            other => panic!("every record is refused: {other:?}"),
        })
        .unwrap();
    assert_eq!(summary.halted, Some(ErrorKind::Unauthorized), "{summary:?}");
    assert!(summary.stopped);
    // No record is sent after the first 401: at most the 4 already in flight.
    let requests = sb.stats().requests;
    assert!((1..=4).contains(&requests), "{requests} requests reached the sandbox");
    assert_eq!(summary.records, requests);
    assert_eq!(kinds, vec![ErrorKind::Unauthorized; requests as usize]);
}

#[test]
fn bad_options_are_refused_before_anything_is_read() {
    let _serial = serial();
    let sb = sandbox();
    let client = client(&sb);
    let read = AtomicU64::new(0);
    let records = (0..3u64).map(|i| {
        read.fetch_add(1, Ordering::SeqCst);
        ((), Ok::<_, ()>(customer(i)))
    });
    let options = BatchOptions { concurrency: 0, ..BatchOptions::default() };
    let e = client.upsert_batch(records, &options, |_| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(read.load(Ordering::SeqCst), 0);
    assert_eq!(sb.requests(), 0);
}
