//! `Client::check` against real servers: nginx with a private CA (trusted,
//! not trusted), squid opening the tunnel or refusing CONNECT. No record is
//! created by any check (the sandbox behind nginx counts them).

use dcams_client::{CheckStep, Client, ErrorKind, LogLevel, ProxySetting, Secret, StepOutcome};

use crate::matrix::CPU;
use crate::nginx::{Nginx, PROXY_ONLY_HOST};
use crate::squid::Squid;
use crate::support::*;

fn step(report: &dcams_client::CheckReport, step: CheckStep) -> &dcams_client::StepReport {
    report.steps.iter().find(|s| s.step == step).unwrap()
}

#[test]
fn check_against_nginx_with_a_private_ca() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let Some(nx) = Nginx::start() else { return };
    let endpoint = nx.url("localhost", "");

    // Trusted: every step passes; TLS names its version.
    let mut trusted = fast_config(&endpoint, PASS);
    trusted.ca_file = Some(nx.pki.ca());
    let report = Client::new(trusted.clone()).unwrap().check();
    assert!(report.ok(), "{report}");
    let tls = step(&report, CheckStep::Tls);
    assert_eq!(tls.outcome, StepOutcome::Ok);
    assert!(tls.detail.starts_with("TLSv1.3 ") || tls.detail.starts_with("TLSv1.2 "), "{report}");

    // The private CA not configured: a TLS failure whose hint names ca_file.
    let report = Client::new(fast_config(&endpoint, PASS)).unwrap().check();
    assert_eq!(report.failed_step(), Some(CheckStep::Tls), "{report}");
    assert_eq!(report.error.as_ref().map(|e| e.kind()), Some(ErrorKind::Tls));
    let hint = report.hint.clone().unwrap();
    assert!(hint.contains("ca_file") && hint.contains(&format!("localhost:{}", nx.port)), "{hint}");
    assert_eq!(step(&report, CheckStep::Credentials).outcome, StepOutcome::Skipped);

    // A wrong password, through TLS: the credentials.
    let mut wrong = trusted.clone();
    wrong.pass = Some(Secret::new("not-the-password"));
    let report = Client::new(wrong).unwrap().check();
    assert_eq!(report.failed_step(), Some(CheckStep::Credentials), "{report}");
    assert!(report.hint.unwrap().contains("user and pass"));

    // A certificate for another name (nginx's wrong-name port).
    let mut other_name = fast_config(&format!("https://localhost:{}/v3/stable/api/storage", nx.wrong_port), PASS);
    other_name.ca_file = Some(nx.pki.ca());
    let report = Client::new(other_name).unwrap().check();
    assert_eq!(report.failed_step(), Some(CheckStep::Tls), "{report}");
    assert!(report.hint.unwrap().contains("not valid for that host name"));

    assert_eq!(nx.sandbox.customer_count(), 0, "a check never creates a record");
    assert!(nx.sandbox.requests() >= 2);
}

#[test]
fn check_through_squid_and_a_proxy_that_refuses_connect() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let Some(nx) = Nginx::start() else { return };
    let Some(sq) = Squid::start(nx.port) else { return };
    let proxy_host = format!("127.0.0.1:{}", sq.port);

    // Through squid to a host only squid can resolve: every step, the proxy's included.
    let capture = LogCapture::default();
    let mut cfg = fast_config(&nx.url(PROXY_ONLY_HOST, ""), PASS);
    cfg.ca_bundle = Some(nx.pki.ca());
    cfg.proxy = ProxySetting::Url(Secret::new(sq.url()));
    cfg.log = Some(capture.sink());
    cfg.log_level = LogLevel::Trace;
    let report = Client::new(cfg.clone()).unwrap().check();
    assert!(report.ok(), "{report}");
    assert_eq!(step(&report, CheckStep::Connect).detail, proxy_host);
    let proxy = step(&report, CheckStep::Proxy);
    assert_eq!(proxy.outcome, StepOutcome::Ok, "{report}");
    assert!(proxy.detail.contains(&format!("{PROXY_ONLY_HOST}:{}", nx.port)), "{report}");
    assert_eq!(step(&report, CheckStep::Tls).outcome, StepOutcome::Ok);
    let log = capture.lines().join("\n");
    assert!(log.contains(&format!("proxy tunnel established (CONNECT) proxy={proxy_host}")), "{log}");
    assert!(log.contains("TLS handshake done version=TLSv1."), "{log}");
    assert!(log.contains("check step step=proxy outcome=ok"), "{log}");

    // squid allows CONNECT to nginx's TLS port only: another port is refused.
    cfg.endpoint = format!("https://{PROXY_ONLY_HOST}:{}/v3/stable/api/storage", nx.wrong_port);
    cfg.log = None;
    let report = Client::new(cfg).unwrap().check();
    assert_eq!(report.failed_step(), Some(CheckStep::Proxy), "{report}");
    let hint = report.hint.unwrap();
    assert!(hint.contains(&format!("proxy at {proxy_host}")) && hint.contains("CONNECT"), "{hint}");

    // A dead proxy: the connection to the proxy fails, naming it.
    let mut dead = fast_config(&nx.url("localhost", ""), PASS);
    dead.proxy = ProxySetting::Url(Secret::new(format!("http://127.0.0.1:{}", free_port())));
    let report = Client::new(dead).unwrap().check();
    assert_eq!(report.failed_step(), Some(CheckStep::Connect), "{report}");
    assert!(report.hint.unwrap().contains("the proxy"));
    assert_eq!(nx.sandbox.customer_count(), 0);
}
