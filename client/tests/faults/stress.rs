//! 16 threads × 500 calls sharing one client, against a front that picks a
//! fault per request from a tag in the e-mail (`t3.i42.s503@example.com`).
//! Faults are drawn from a seeded RNG, so each call knows the outcome its
//! fault implies: kind, attempts (from the error and from the server), and
//! for success the echoed e-mail.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dcams_client::{Client, ErrorKind};

use crate::matrix::{CPU, MARGIN};
use crate::misbehave::{Behavior, Misbehave};
use crate::support::*;

const THREADS: u64 = 16;
const CALLS: u64 = 500;
const SEED: u64 = 0xDCA5_F00D;
/// The whole test must finish within this.
const LIMIT: Duration = Duration::from_secs(60);

/// (tag, expected outcome: None = success, expected attempts)
const FAULTS: [(&str, Option<ErrorKind>, u32); 6] = [
    ("ok", None, 1),
    ("s503", Some(ErrorKind::ServerError), 3),
    ("r429", Some(ErrorKind::RateLimited), 3),
    ("b400", Some(ErrorKind::BadRequest), 1),
    ("html200", Some(ErrorKind::BadResponse), 1),
    ("reset", Some(ErrorKind::Transport), 3),
];

#[test]
fn sixteen_threads_500_calls_random_faults() {
    // Exclusive: the timing rows elsewhere do not run while this loads the CPUs.
    let _cpu = CPU.write().unwrap_or_else(|p| p.into_inner());
    let front = Misbehave::start(Behavior::Tagged);
    let mut cfg = fast_config(&front.url(), PASS);
    cfg.retries = 2;
    cfg.retry_backoff = Duration::from_millis(5);
    cfg.timeout = Duration::from_millis(5000);
    cfg.response_timeout = Duration::from_millis(3000);
    let per_call_limit = cfg.timeout + MARGIN;
    let client = Client::new(cfg).unwrap();
    let img = image(2000, 31);
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    let counts: Vec<AtomicUsize> = (0..FAULTS.len()).map(|_| AtomicUsize::new(0)).collect();

    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (client, img, done, counts, front) = (&client, &img, &done, &counts, &front);
                s.spawn(move || {
                    let mut rng = Rng::new(SEED ^ (t.wrapping_mul(0x9E37_79B9)));
                    let mut problems = Vec::new();
                    let mut results = Vec::with_capacity(CALLS as usize);
                    for i in 0..CALLS {
                        if started.elapsed() > LIMIT {
                            problems.push(format!("thread {t}: stopped at call {i}, over the {LIMIT:?} limit"));
                            break;
                        }
                        let f = rng.below(FAULTS.len() as u64) as usize;
                        let (tag, kind, attempts) = FAULTS[f];
                        counts[f].fetch_add(1, Ordering::Relaxed);
                        let email = format!("t{t}.i{i}.{tag}@example.com");
                        let start = Instant::now();
                        let res = client.upsert(&customer(&email, img));
                        let elapsed = start.elapsed();
                        done.fetch_add(1, Ordering::Relaxed);
                        let mut bad = |m: String| problems.push(format!("{email}: {m}"));
                        match (&res, kind) {
                            (Ok(r), None) => {
                                if r.target.get("email").and_then(|v| v.as_str()) != Some(email.as_str()) {
                                    bad(format!("reply echoes {:?}", r.target.get("email")));
                                }
                            }
                            (Ok(_), Some(k)) => bad(format!("expected {k:?}, got success")),
                            (Err(e), None) => bad(format!("expected success, got {e:?}")),
                            (Err(e), Some(k)) => {
                                if e.kind() != k {
                                    bad(format!("expected {k:?}, got {e:?}"));
                                }
                                if e.attempts() != attempts {
                                    bad(format!("error.attempts() {} != {attempts}", e.attempts()));
                                }
                            }
                        }
                        if elapsed > per_call_limit {
                            bad(format!("took {elapsed:?}"));
                        }
                        results.push((email, attempts));
                    }
                    // What the server saw, per e-mail (all calls of this thread are over).
                    for (email, attempts) in results {
                        let seen = front.requests_for(&email);
                        if seen != attempts {
                            problems.push(format!("{email}: the server saw {seen} attempt(s), expected {attempts}"));
                        }
                    }
                    problems
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a calling thread panicked")).collect()
    });
    let elapsed = started.elapsed();
    let mix: Vec<String> =
        FAULTS.iter().zip(&counts).map(|((tag, _, _), n)| format!("{tag}={}", n.load(Ordering::Relaxed))).collect();
    println!(
        "ROW {:<44} {} calls in {} ms; faults {}; server: {} requests, {} connections; {} problem(s)",
        "stress_16x500_random_faults",
        done.load(Ordering::Relaxed),
        elapsed.as_millis(),
        mix.join(" "),
        front.requests(),
        front.connections(),
        problems.len()
    );
    assert_eq!(done.load(Ordering::Relaxed) as u64, THREADS * CALLS, "every call returned");
    assert!(elapsed < LIMIT, "took {elapsed:?}");
    assert!(
        problems.is_empty(),
        "{} problem(s), first ones:\n{}",
        problems.len(),
        problems.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}
