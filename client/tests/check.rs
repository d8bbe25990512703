//! `Client::check` against the sandbox: accepted and rejected credentials,
//! a dead port, and no record created.

mod common;

use common::*;
use dcams_client::{CheckStep, Client, Config, ErrorKind, Secret, StepOutcome, PROBE_EMAIL};

fn outcomes(report: &dcams_client::CheckReport) -> Vec<(CheckStep, StepOutcome)> {
    report.steps.iter().map(|s| (s.step, s.outcome)).collect()
}

#[test]
fn right_credentials_pass_every_step_and_create_nothing() {
    let sb = sandbox();
    let report = client(&sb).check();
    assert!(report.ok(), "{report}");
    use StepOutcome::*;
    assert_eq!(
        outcomes(&report),
        vec![
            (CheckStep::Config, Ok),
            (CheckStep::Resolve, Ok),
            (CheckStep::Connect, Ok),
            (CheckStep::Proxy, Skipped),
            (CheckStep::Tls, Skipped),
            (CheckStep::Credentials, Ok),
        ]
    );
    assert_eq!((report.hint.as_deref(), report.meta.attempts, report.meta.http_status), (None, 1, Some(404)));
    assert!(report.steps[5].detail.contains("credentials accepted"), "{report}");
    assert!(report.steps[2].detail.contains(&format!("127.0.0.1:{}", sb.addr().port())), "{report}");
    // One getStatus for the probe address, nothing stored.
    assert_eq!(sb.requests(), 1);
    assert_eq!(sb.customer_count(), 0);
    let sent: serde_json::Value = serde_json::from_slice(&sb.last_request().unwrap().body).unwrap();
    assert_eq!((sent["service"].as_str(), sent["target"]["email"].as_str()), (Some("getStatus"), Some(PROBE_EMAIL)));
    assert!(report.elapsed >= report.steps.iter().map(|s| s.elapsed).sum());
}

#[test]
fn a_wrong_password_fails_at_the_credentials_naming_them() {
    let sb = sandbox();
    let client = Client::new(Config { pass: Some(Secret::new("wrong-pass")), ..config(&sb) }).unwrap();
    let report = client.check();
    assert!(!report.ok());
    assert_eq!(report.failed_step(), Some(CheckStep::Credentials), "{report}");
    assert_eq!(report.error.as_ref().map(|e| e.kind()), Some(ErrorKind::Unauthorized));
    let hint = report.hint.clone().unwrap();
    assert!(hint.contains("rejected the credentials") && hint.contains("user and pass"), "{hint}");
    assert!(!format!("{report}").contains("wrong-pass"), "{report}");
    // A bad test key is rejected like bad credentials, and the hint says so.
    let client = Client::new(Config { test_key: Some(Secret::new("not-a-key")), ..config(&sb) }).unwrap();
    let report = client.check();
    assert_eq!(report.failed_step(), Some(CheckStep::Credentials), "{report}");
    assert!(report.hint.unwrap().contains("test key"));
    assert_eq!(sb.customer_count(), 0);
}

#[test]
fn a_dead_port_fails_at_connect_naming_host_and_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::new(Config {
        endpoint: format!("http://127.0.0.1:{port}/v3/stable/api/storage"),
        user: Some(USER.into()),
        pass: Some(Secret::new(PASS)),
        ..Config::default()
    })
    .unwrap();
    let report = client.check();
    assert_eq!(report.failed_step(), Some(CheckStep::Connect), "{report}");
    let hint = report.hint.clone().unwrap();
    assert!(hint.contains(&format!("127.0.0.1:{port}")) && hint.contains("refused"), "{hint}");
    assert_eq!(report.meta.attempts, 1, "never retried");
    use StepOutcome::*;
    assert_eq!(
        outcomes(&report)[3..],
        [(CheckStep::Proxy, Skipped), (CheckStep::Tls, Skipped), (CheckStep::Credentials, Skipped)]
    );
}

#[test]
fn an_unresolvable_host_fails_at_resolve() {
    let client = Client::new(Config {
        endpoint: "https://no-such-host.invalid/v3/stable/api/storage".into(),
        user: Some(USER.into()),
        pass: Some(Secret::new(PASS)),
        ..Config::default()
    })
    .unwrap();
    let report = client.check();
    assert_eq!(report.failed_step(), Some(CheckStep::Resolve), "{report}");
    assert!(report.hint.unwrap().contains("no-such-host.invalid:443 does not resolve"));
}
