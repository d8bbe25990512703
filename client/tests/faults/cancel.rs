//! Cancellation (issue 10, point 5, on the mechanism of issue 9's deadline):
//! a call stalled in each phase — connect, TLS handshake, upload, waiting
//! for the response, receiving it, pausing before a retry — is cancelled
//! from another thread and must return `Cancelled` within 100 ms (plus a
//! margin for a loaded machine); the same client then completes a normal call.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dcams_client::{CancelToken, Client, Customer, Document, ErrorKind, Request};

use crate::deadline::{deadline_config, upload_size, Phase, Stalling};
use crate::matrix::CPU;
use crate::misbehave::{Behavior, Canned, Misbehave};
use crate::nginx::Nginx;
use crate::support::*;

/// Cancel 300 ms into the call.
const CANCEL_AFTER: Duration = Duration::from_millis(300);
/// The promise, and what a loaded 2-core machine may add to it.
const LATENCY: Duration = Duration::from_millis(100);
const MARGIN: Duration = Duration::from_millis(150);
const REPETITIONS: usize = 3;

/// A TCP gate in front of `upstream`: odd-numbered connections (1st, 3rd, …)
/// are held open and never answered, the others are relayed.
struct Gate {
    port: u16,
    _accept: std::thread::JoinHandle<()>,
}

impl Gate {
    fn start(upstream: u16) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let n = Arc::new(AtomicU32::new(0));
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut down) = conn else { continue };
                if n.fetch_add(1, Ordering::SeqCst) % 2 == 0 {
                    // Read (a ClientHello) until the client goes.
                    std::thread::spawn(move || {
                        let mut sink = [0u8; 4096];
                        while matches!(down.read(&mut sink), Ok(k) if k > 0) {}
                    });
                    continue;
                }
                let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
                let (mut down2, mut up2) = (down.try_clone().unwrap(), up.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut down2, &mut up2);
                    let _ = up2.shutdown(Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up, &mut down);
                    let _ = down.flush();
                    let _ = down.shutdown(Shutdown::Write);
                });
            }
        });
        Gate { port, _accept: accept }
    }
}

/// Alternates `stall` and an echo, for `REPETITIONS` pairs.
fn alternating(stall: Behavior) -> Behavior {
    Behavior::Seq((0..REPETITIONS).flat_map(|_| [stall.clone(), Behavior::Echo]).collect())
}

fn cancel_then_call(name: &str, phase: &Phase, client: &Client, img: &[u8], reps: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let mut latencies = Vec::new();
    for rep in 0..reps {
        let token = CancelToken::new();
        let email = format!("cancel.{rep}@example.com");
        let customer = Customer::new(&email, Document::from_bytes(&img[..upload_size(phase)]));
        let started = Instant::now();
        let (result, cancelled_at) = std::thread::scope(|s| {
            let t = token.clone();
            let canceller = s.spawn(move || {
                std::thread::sleep(CANCEL_AFTER);
                t.cancel();
                Instant::now()
            });
            let result = client.send(&Request::upsert(&customer).with_cancel(token.clone()));
            (result, canceller.join().unwrap())
        });
        let returned = Instant::now();
        let latency = returned.saturating_duration_since(cancelled_at);
        latencies.push(if returned < cancelled_at { 0 } else { latency.as_millis() });
        match &result {
            Err(e) if e.kind() == ErrorKind::Cancelled && !e.retryable() => {}
            other => problems.push(format!(
                "repetition {rep}: expected Cancelled, got {other:?} after {} ms",
                started.elapsed().as_millis()
            )),
        }
        if returned >= cancelled_at && latency > LATENCY + MARGIN {
            problems.push(format!("repetition {rep}: returned {} ms after the cancel", latency.as_millis()));
        }
        if returned < cancelled_at {
            problems.push(format!("repetition {rep}: returned before the cancel ({result:?})"));
        }
        // The same client, a normal call.
        let small = image(3000, rep as u64);
        match client.upsert(&Customer::new(format!("after.{rep}@example.com"), Document::from_bytes(&small))) {
            Ok(_) => {}
            Err(e) => problems.push(format!("repetition {rep}: the call after the cancel failed: {e}")),
        }
    }
    println!("ROW {name:<44} cancel latencies, ms: {latencies:?}");
    problems
}

fn run_phase(name: &str, phase: &Phase, img: &[u8], nx: Option<&Nginx>) -> Vec<String> {
    let config_for = |endpoint: &str| {
        let mut c = deadline_config(endpoint);
        c.timeout = Duration::from_secs(10);
        // A new connection for every call, so each cancelled call stalls anew.
        c.max_idle_connections = 0;
        c
    };
    match phase {
        Phase::Connect => {
            // One repetition: the backlog is drained for the call after it.
            let Some(stall) = Stalling::start(phase, None) else { return Vec::new() };
            let client = Client::new(config_for(&stall.endpoint)).unwrap();
            let token = CancelToken::new();
            let customer = Customer::new("cancel.connect@example.com", Document::from_bytes(&img[..3000]));
            let (result, cancelled_at) = std::thread::scope(|s| {
                let t = token.clone();
                let h = s.spawn(move || {
                    std::thread::sleep(CANCEL_AFTER);
                    t.cancel();
                    Instant::now()
                });
                let r = client.send(&Request::upsert(&customer).with_cancel(token.clone()));
                (r, h.join().unwrap())
            });
            let latency = Instant::now().saturating_duration_since(cancelled_at);
            println!("ROW {name:<44} cancel latency {} ms", latency.as_millis());
            let mut p = Vec::new();
            if !matches!(&result, Err(e) if e.kind() == ErrorKind::Cancelled) {
                p.push(format!("expected Cancelled, got {result:?}"));
            }
            if latency > LATENCY + MARGIN {
                p.push(format!("returned {} ms after the cancel", latency.as_millis()));
            }
            let _server = Misbehave::start_on(stall.backlog.unwrap().into_listener(), Behavior::Echo);
            if let Err(e) =
                client.upsert(&Customer::new("after.connect@example.com", Document::from_bytes(&img[..3000])))
            {
                p.push(format!("the call after the cancel failed: {e}"));
            }
            p
        }
        Phase::Tls => {
            let Some(nx) = nx else { return Vec::new() };
            let gate = Gate::start(nx.port);
            let mut c = config_for(&format!("https://localhost:{}/v3/stable/api/storage", gate.port));
            c.ca_bundle = Some(nx.pki.ca());
            let client = Client::new(c).unwrap();
            cancel_then_call(name, phase, &client, img, REPETITIONS)
        }
        _ => {
            let stall = match phase {
                Phase::Upload { read_before_stall } => Behavior::StallReadingAfter(*read_before_stall),
                Phase::Waiting => Behavior::StallBeforeHeaders,
                Phase::Download => Behavior::Trickle { declared: 1 << 20 },
                _ => Behavior::Respond(Canned::new(503, Some("text/html"), "busy").header("Retry-After", "5")),
            };
            let srv = Misbehave::start(alternating(stall));
            let mut c = config_for(&srv.url());
            if let Phase::RetryPause = phase {
                c.retries = 1;
            }
            let client = Client::new(c).unwrap();
            cancel_then_call(name, phase, &client, img, REPETITIONS)
        }
    }
}

#[test]
fn a_cancel_ends_the_call_in_every_phase_and_the_client_goes_on() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let nx = Nginx::start();
    let img = image(24_000_000, 78);
    let phases = [
        ("cancel_connect_stall", Phase::Connect),
        ("cancel_tls_handshake_stall", Phase::Tls),
        ("cancel_upload_stall", Phase::Upload { read_before_stall: 64 * 1024 }),
        ("cancel_no_response", Phase::Waiting),
        ("cancel_trickled_body", Phase::Download),
        ("cancel_retry_pause", Phase::RetryPause),
    ];
    let problems: Vec<(String, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> =
            phases.iter().map(|(name, phase)| (*name, s.spawn(|| run_phase(name, phase, &img, nx.as_ref())))).collect();
        handles.into_iter().map(|(n, h)| (n.to_owned(), h.join().expect("row thread"))).collect()
    });
    assert_rows(problems);
}

/// A token cancelled before the call: nothing is sent.
#[test]
fn a_cancelled_token_stops_the_call_before_any_traffic() {
    let srv = Misbehave::start(Behavior::Echo);
    let client = Client::new(fast_config(&srv.url(), PASS)).unwrap();
    let token = CancelToken::new();
    token.cancel();
    let img = image(3000, 1);
    let customer = customer("early.cancel@example.com", &img);
    let e = client.send(&Request::upsert(&customer).with_cancel(token)).unwrap_err();
    assert_eq!((e.kind(), e.attempts()), (ErrorKind::Cancelled, 0));
    assert_eq!(srv.requests(), 0);
    assert!(client.upsert(&customer).is_ok());
}
