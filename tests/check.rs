//! `dcams_client_check` through the C ABI: the report JSON for a passing
//! check, rejected credentials and a dead port, under the one rule; no
//! record created.

use dcams::client::dcams_client_check;
use dcams::code::dcams_code;
use dcams_abi_kit::{dead_endpoint, service_call, Client};
use dcams_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

fn check(client: &Client) -> Value {
    let outcome = service_call(|r, e| unsafe { dcams_client_check(client.0, std::ptr::null_mut(), r, e) }).unwrap();
    assert_eq!(outcome.code, 0, "the check ran: {}", outcome.json);
    outcome.json
}

fn client_for(endpoint: &str, pass: &str) -> Client {
    Client::new(&json!({"environment": false, "endpoint": endpoint, "user": "sandbox-user", "pass": pass}))
}

#[test]
fn a_passing_check_reports_every_step() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let report = check(&client_for(&sb.url(), "sandbox-pass"));
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!((report["code"].as_i64(), report["name"].as_str()), (Some(0), Some("DCAMS_OK")));
    assert!(report["failed_step"].is_null() && report["hint"].is_null() && report["error"].is_null());
    let steps: Vec<(&str, &str)> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("config", "ok"),
            ("resolve", "ok"),
            ("connect", "ok"),
            ("proxy", "skipped"),
            ("tls", "skipped"),
            ("credentials", "ok")
        ]
    );
    assert!(report["steps"].as_array().unwrap().iter().all(|s| s["ms"].is_u64() && s["detail"].is_string()));
    assert_eq!(report["attempts"], 1);
    assert_eq!(sb.customer_count(), 0);
}

#[test]
fn rejected_credentials_and_a_dead_port_are_reports_with_hints() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let report = check(&client_for(&sb.url(), "wrong-pass"));
    assert_eq!(report["ok"], false);
    assert_eq!(
        (report["code"].as_i64(), report["failed_step"].as_str()),
        (Some(dcams_code::DCAMS_ERR_UNAUTHORIZED as i64), Some("credentials"))
    );
    assert_eq!(report["error"]["name"], "DCAMS_ERR_UNAUTHORIZED");
    assert_eq!(report["error"]["http_status"], 401);
    assert!(report["hint"].as_str().unwrap().contains("user and pass"), "{report}");
    assert!(!report.to_string().contains("wrong-pass"));

    let dead = dead_endpoint();
    let report = check(&client_for(&dead, "sandbox-pass"));
    assert_eq!(
        (report["name"].as_str(), report["failed_step"].as_str()),
        (Some("DCAMS_ERR_TRANSPORT"), Some("connect"))
    );
    let port = dead.split(':').nth(2).unwrap().split('/').next().unwrap();
    assert!(report["hint"].as_str().unwrap().contains(&format!("127.0.0.1:{port}")), "{report}");
    assert_eq!(sb.customer_count(), 0);
}

#[test]
fn a_null_client_is_an_argument_error_without_a_report() {
    let outcome =
        service_call(|r, e| unsafe { dcams_client_check(std::ptr::null(), std::ptr::null_mut(), r, e) }).unwrap();
    assert_eq!(outcome.code, dcams_code::DCAMS_ERR_NULL_ARGUMENT as i32);
}
