//! `timeout_ms` holds in every phase (issue 9, defect 1): one row per phase
//! where a call can wait — connect, TLS handshake, upload (the server stops
//! reading at 64 KiB and at 4 MiB), waiting for the response, a trickled
//! response body, a long retry pause — each with every per-phase timeout far
//! longer than `timeout_ms`, so only the call's deadline can end it. Each row
//! runs 20 times; every repetition must return within `timeout_ms` + 250 ms.
//!
//! The rows run concurrently (each on its own server), their repetitions one
//! after another, so the whole test takes about 20 × 0.6 s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dcams_client::{Client, Config, Customer, Document, ErrorKind};

use crate::matrix::{FullBacklog, CPU};
use crate::misbehave::{Behavior, Canned, Misbehave};
use crate::support::*;

/// The call's deadline in every row.
pub const TIMEOUT: Duration = Duration::from_millis(600);
/// What the issue allows on top of `timeout_ms`.
pub const SLACK: Duration = Duration::from_millis(250);
pub const REPETITIONS: usize = 20;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Every per-phase timeout 30 s: only `timeout_ms` can end the call.
pub fn deadline_config(endpoint: &str) -> Config {
    let mut c = fast_config(endpoint, PASS);
    c.connect_timeout = ms(30_000);
    c.send_timeout = ms(30_000);
    c.response_timeout = ms(30_000);
    c.timeout = TIMEOUT;
    c.retries = 0;
    c
}

/// A phase to stall in: the server (or listener) that stalls there, and the
/// size of the front image that makes the client reach it.
pub enum Phase {
    Connect,
    Tls,
    Upload {
        read_before_stall: usize,
    },
    /// The server reads the upload at this many bytes per second (each
    /// write makes a little progress, then blocks again).
    UploadDribble {
        bytes_per_sec: usize,
    },
    Waiting,
    Download,
    RetryPause,
}

/// A target whose first connection (or request) stalls in `phase`; what it
/// holds must live as long as the calls.
#[allow(dead_code)] // `server` and `backlog` are held for their lifetime
pub struct Stalling {
    pub endpoint: String,
    pub server: Option<Misbehave>,
    pub backlog: Option<FullBacklog>,
}

impl Stalling {
    /// `then`: what later requests get (e.g. Echo, so a second call succeeds).
    pub fn start(phase: &Phase, then: Option<Behavior>) -> Option<Stalling> {
        let seq = |first: Behavior| match then.clone() {
            Some(t) => Behavior::Seq(vec![first, t]),
            None => first,
        };
        let http = |b: Behavior| {
            let s = Misbehave::start(seq(b));
            Stalling { endpoint: s.url(), server: Some(s), backlog: None }
        };
        Some(match phase {
            Phase::Connect => {
                let b = FullBacklog::new()?;
                Stalling {
                    endpoint: format!("http://{}/v3/stable/api/storage", b.addr),
                    server: None,
                    backlog: Some(b),
                }
            }
            Phase::Tls => {
                let s = Misbehave::start(Behavior::Silent);
                Stalling {
                    endpoint: format!("https://127.0.0.1:{}/v3/stable/api/storage", s.port()),
                    server: Some(s),
                    backlog: None,
                }
            }
            Phase::Upload { read_before_stall } => http(Behavior::StallReadingAfter(*read_before_stall)),
            Phase::UploadDribble { bytes_per_sec } => http(Behavior::SlowRead { bytes_per_sec: *bytes_per_sec }),
            Phase::Waiting => http(Behavior::StallBeforeHeaders),
            Phase::Download => http(Behavior::Trickle { declared: 1 << 20 }),
            Phase::RetryPause => http(Behavior::Respond(Canned::new(503, Some("text/html"), "<html>busy</html>"))),
        })
    }
}

/// The front image a row uploads: large enough for the upload rows to fill
/// every socket buffer between client and server (loopback buffers grow to
/// several MiB), small for the others.
pub fn upload_size(phase: &Phase) -> usize {
    match phase {
        Phase::Upload { .. } | Phase::UploadDribble { .. } => 24_000_000,
        _ => 3000,
    }
}

pub fn phases() -> Vec<(&'static str, Phase)> {
    vec![
        ("deadline_connect_stall", Phase::Connect),
        ("deadline_tls_handshake_stall", Phase::Tls),
        ("deadline_upload_stall_at_64k", Phase::Upload { read_before_stall: 64 * 1024 }),
        ("deadline_upload_stall_at_4m", Phase::Upload { read_before_stall: 4 * 1024 * 1024 }),
        ("deadline_upload_read_at_50kb_s", Phase::UploadDribble { bytes_per_sec: 50_000 }),
        ("deadline_no_response", Phase::Waiting),
        ("deadline_trickled_body", Phase::Download),
        ("deadline_long_retry_pause", Phase::RetryPause),
    ]
}

/// One image shared by every row (24 MB: allocated once).
fn shared_image() -> Arc<Vec<u8>> {
    Arc::new(image(24_000_000, 77))
}

fn run_phase(name: &str, phase: &Phase, img: &[u8]) -> Vec<String> {
    let Some(target) = Stalling::start(phase, None) else {
        println!("ROW {name:<44} SKIPPED: this network stack never leaves a connect unanswered");
        return Vec::new();
    };
    let mut config = deadline_config(&target.endpoint);
    if let Phase::RetryPause = phase {
        // 503s with pauses of 200-400 ms, then 400-800 ms: the second pause
        // would pass the deadline, so the call must end without it.
        config.retries = 5;
        config.retry_backoff = ms(400);
    }
    let client = Client::new(config).unwrap();
    let front = &img[..upload_size(phase)];
    let mut problems = Vec::new();
    let mut times = Vec::new();
    for rep in 0..REPETITIONS {
        let customer = Customer::new(format!("deadline.{rep}@example.com"), Document::from_bytes(front));
        let start = Instant::now();
        let result = client.upsert(&customer);
        let elapsed = start.elapsed();
        times.push(elapsed.as_millis());
        match &result {
            Err(e) if matches!(e.kind(), ErrorKind::Timeout | ErrorKind::ServerError) => {}
            other => problems.push(format!("repetition {rep}: expected a timeout, got {other:?}")),
        }
        if elapsed > TIMEOUT + SLACK {
            problems.push(format!(
                "repetition {rep}: returned after {} ms, over timeout_ms {} + {} ms",
                elapsed.as_millis(),
                TIMEOUT.as_millis(),
                SLACK.as_millis()
            ));
        }
    }
    println!("ROW {name:<44} {REPETITIONS} repetitions, ms: {times:?}");
    drop(client);
    drop(target);
    problems
}

#[test]
fn timeout_ms_holds_in_every_phase_20_of_20() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let img = shared_image();
    let rows = phases();
    let problems: Vec<(String, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> =
            rows.iter().map(|(name, phase)| (*name, s.spawn(|| run_phase(name, phase, &img)))).collect();
        handles.into_iter().map(|(name, h)| (name.to_owned(), h.join().expect("row thread"))).collect()
    });
    assert_rows(problems);
}

/// A per-call timeout is the deadline the error names (an operator's
/// `get_status(..., timeout_ms=500)` was told of the client's 120000 ms).
#[test]
fn a_timeout_names_the_calls_own_deadline() {
    let server = Misbehave::start(Behavior::StallBeforeHeaders);
    let mut config = deadline_config(&server.url());
    config.timeout = ms(120_000);
    let client = Client::new(config).unwrap();
    let request = dcams_client::Request::get_status("deadline@example.com").with_timeout(ms(300));
    let started = Instant::now();
    let e = client.send(&request).unwrap_err();
    assert!(started.elapsed() < ms(300) + SLACK, "{:?}", started.elapsed());
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().contains("300 ms") && !e.message().contains("120000"), "the call's deadline: {e}");
}
