//! TLS trust and gateway errors against real nginx terminating TLS with a
//! private CA made at test time, in front of the in-process sandbox.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use dcams_client::{Client, Config, ErrorKind};

use crate::matrix::{CPU, MARGIN};
use crate::nginx::Nginx;
use crate::support::*;

fn tls_config(endpoint: String, ca_file: Option<PathBuf>, ca_bundle: Option<PathBuf>) -> Config {
    let mut c = fast_config(&endpoint, PASS);
    c.ca_file = ca_file;
    c.ca_bundle = ca_bundle;
    c.connect_timeout = Duration::from_millis(2000);
    c.response_timeout = Duration::from_millis(3000);
    c.timeout = Duration::from_millis(6000);
    c
}

/// One upsert; returns the outcome problems (empty when as expected).
fn call(
    row: &str,
    config: Config,
    email: &str,
    img: &[u8],
    expect: Expect,
    attempts: u32,
    server_attempts: u32,
    seen: impl Fn(u32) -> u32,
) -> Vec<String> {
    let deadline = config.timeout;
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => return vec![format!("Client::new failed: {e:?}")],
    };
    let before = seen(0);
    let start = Instant::now();
    let result = client.upsert(&customer(email, img));
    let elapsed = start.elapsed();
    drop(client);
    let mut problems = check_outcome(
        row,
        &result,
        elapsed,
        &expect,
        Some((seen(before + server_attempts) - before, server_attempts)),
        Some(attempts),
        Duration::ZERO,
        deadline + MARGIN,
    );
    if let Ok(reply) = &result {
        if reply.target.get("email").and_then(|v| v.as_str()) != Some(email) {
            problems.push(format!("reply does not echo {email}: {reply:?}"));
        }
    }
    problems
}

#[test]
fn tls_trust_settings() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let Some(nx) = Nginx::start() else { return };
    let img = image(3000, 11);
    let ca = nx.pki.ca();
    let other = nx.pki.other_ca();
    let sandbox_seen = |at_least: u32| nx.settled_requests_to("", at_least);
    let mut rows = Vec::new();

    let r = "tls_ca_file_private_ca";
    rows.push((
        r.into(),
        call(
            r,
            tls_config(nx.url("localhost", ""), Some(ca.clone()), None),
            "tls1@example.com",
            &img,
            Expect::Ok,
            1,
            1,
            sandbox_seen,
        ),
    ));
    assert!(nx.sandbox.customer("tls1@example.com", false).is_some(), "the sandbox behind nginx stored the customer");

    let r = "tls_ca_bundle_private_ca";
    rows.push((
        r.into(),
        call(
            r,
            tls_config(nx.url("127.0.0.1", ""), None, Some(ca.clone())),
            "tls2@example.com",
            &img,
            Expect::Ok,
            1,
            1,
            sandbox_seen,
        ),
    ));

    // A 5 MB upload through TLS and nginx's request buffering.
    let big = image(3_750_000, 12);
    let r = "tls_5mb_upload";
    rows.push((
        r.into(),
        call(
            r,
            tls_config(nx.url("localhost", ""), None, Some(ca.clone())),
            "tls3@example.com",
            &big,
            Expect::Ok,
            1,
            1,
            sandbox_seen,
        ),
    ));
    assert_eq!(nx.sandbox.customer("tls3@example.com", false).map(|c| c.front.len()), Some(big.len()));

    // Platform roots only: they do not know the private CA. TLS failures are
    // not retried, and nginx never sees an HTTP request.
    let r = "tls_default_trust";
    rows.push((
        r.into(),
        call(
            r,
            tls_config(nx.url("localhost", ""), None, None),
            "tls4@example.com",
            &img,
            err(ErrorKind::Tls),
            1,
            0,
            sandbox_seen,
        ),
    ));

    let r = "tls_ca_bundle_unrelated_ca";
    rows.push((
        r.into(),
        call(
            r,
            tls_config(nx.url("localhost", ""), None, Some(other.clone())),
            "tls5@example.com",
            &img,
            err(ErrorKind::Tls),
            1,
            0,
            sandbox_seen,
        ),
    ));

    let r = "tls_ca_file_unrelated_ca";
    rows.push((
        r.into(),
        call(
            r,
            tls_config(nx.url("localhost", ""), Some(other.clone()), None),
            "tls6@example.com",
            &img,
            err(ErrorKind::Tls),
            1,
            0,
            sandbox_seen,
        ),
    ));

    // Right CA, wrong name (the certificate is for wrong.example only).
    let wrong = format!("https://localhost:{}/v3/stable/api/storage", nx.wrong_port);
    let r = "tls_name_mismatch";
    rows.push((
        r.into(),
        call(
            r,
            tls_config(wrong, None, Some(ca.clone())),
            "tls7@example.com",
            &img,
            err(ErrorKind::Tls),
            1,
            0,
            sandbox_seen,
        ),
    ));

    // Trust files that cannot be used are refused when the client is made.
    for (r, cfg) in [
        ("tls_ca_file_not_pem", tls_config(nx.url("localhost", ""), Some(nx.pki.garbage()), None)),
        ("tls_ca_bundle_missing", tls_config(nx.url("localhost", ""), None, Some(nx.pki.dir.join("missing.pem")))),
        ("tls_ca_file_and_bundle", tls_config(nx.url("localhost", ""), Some(ca.clone()), Some(ca.clone()))),
    ] {
        let start = Instant::now();
        let res = Client::new(cfg).map(|_| ());
        rows.push((
            r.into(),
            check_outcome(r, &res, start.elapsed(), &err(ErrorKind::Config), None, Some(0), Duration::ZERO, MARGIN),
        ));
    }
    assert_rows(rows);
    assert!(!nx.error_log().contains("[emerg]"), "{}", nx.error_log());
}

#[test]
fn nginx_413_is_payload_too_large_and_not_retried() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let Some(nx) = Nginx::start() else { return };
    let img = image(1_200_000, 13); // 1.6 MB of base64 > client_max_body_size 1m
    let before_sandbox = nx.sandbox.requests();
    let cfg = tls_config(nx.url("localhost", "small/"), None, Some(nx.pki.ca()));
    let client = Client::new(cfg).unwrap();
    let start = Instant::now();
    let res = client.upsert(&customer("big@example.com", &img));
    let elapsed = start.elapsed();
    let seen = nx.settled_requests_to("small/", 1);
    let mut p = check_outcome(
        "nginx_413",
        &res,
        elapsed,
        &err_detail(ErrorKind::PayloadTooLarge, "text/html"),
        Some((seen, 1)),
        Some(1),
        Duration::ZERO,
        Duration::from_millis(6000) + MARGIN,
    );
    if let Err(e) = &res {
        if e.http_status() != Some(413) {
            p.push(format!("http_status {:?}", e.http_status()));
        }
        if e.retryable() {
            p.push("413 must not be retryable".into());
        }
    }
    if nx.sandbox.requests() != before_sandbox {
        p.push("the sandbox behind nginx received the oversized request".into());
    }
    // A small upload through the same limited location still works.
    let small = image(3000, 14);
    let ok = client.upsert(&customer("small@example.com", &small));
    if let Err(e) = ok {
        p.push(format!("small upload after a 413 failed: {e:?}"));
    }
    assert_rows(vec![("nginx_413".into(), p)]);
}

#[test]
fn nginx_502_and_504_are_retried() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let Some(nx) = Nginx::start() else { return };
    let img = image(3000, 15);
    let mut rows = Vec::new();
    for (row, prefix, retries) in [
        ("nginx_502_dead_upstream", "dead/", 2u32),
        ("nginx_502_retries_0", "dead/", 0),
        ("nginx_504_slow_upstream", "slow/", 2),
    ] {
        let mut cfg = tls_config(nx.url("localhost", prefix), None, Some(nx.pki.ca()));
        cfg.retries = retries;
        let client = Client::new(cfg).unwrap();
        let before = nx.requests_to(prefix);
        let start = Instant::now();
        let res = client.upsert(&customer("gw@example.com", &img));
        let elapsed = start.elapsed();
        let seen = nx.settled_requests_to(prefix, before + retries + 1) - before;
        let mut p = check_outcome(
            row,
            &res,
            elapsed,
            &err_detail(ErrorKind::ServerError, "text/html"),
            Some((seen, retries + 1)),
            Some(retries + 1),
            Duration::ZERO,
            Duration::from_millis(6000) + MARGIN,
        );
        if let Err(e) = &res {
            let want = if prefix == "dead/" { 502 } else { 504 };
            if e.http_status() != Some(want) {
                p.push(format!("http_status {:?}, expected {want}", e.http_status()));
            }
        }
        rows.push((row.to_owned(), p));
    }
    // The slow upstream saw every one of nginx's attempts.
    assert_eq!(nx.slow.requests(), 3, "slow upstream requests");
    assert_rows(rows);
}
