//! The `dcams-sandbox` binary: one URL line on stdout, the URL file, env
//! fallbacks, loopback policy and clean exit on SIGTERM/SIGINT.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::json;

/// Kills the child if a test fails before it exited.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dcams-sandbox"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::null());
    for var in ["DCAMS_SANDBOX_USER", "DCAMS_SANDBOX_PASS", "DCAMS_SANDBOX_PORT"] {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("binary starts")
}

fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    line
}

#[cfg(unix)]
fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").arg(format!("-{sig}")).arg(child.id().to_string()).status().unwrap();
    assert!(ok.success());
}

fn post(url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let mut resp = agent().post(url).send(serde_json::to_vec(body).unwrap()).unwrap();
    let text = resp.body_mut().read_to_string().unwrap();
    (resp.status().as_u16(), serde_json::from_str(&text).unwrap())
}

#[cfg(unix)]
#[test]
fn prints_url_writes_url_file_and_exits_0_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("dcams-sandbox-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url_file = dir.join("url");
    let mut guard = Guard(spawn(
        &["--url-file", url_file.to_str().unwrap(), "--error-style", "platform", "--test-key", "k9"],
        &[("DCAMS_SANDBOX_USER", "env-user"), ("DCAMS_SANDBOX_PASS", "env-pass")],
    ));
    let child = &mut guard.0;
    let line = first_line(child);
    let url = line.trim_end_matches('\n');
    assert!(url.starts_with("http://127.0.0.1:"), "{line:?}");
    assert!(url.ends_with("/v3/stable/api/storage"), "{line:?}");
    assert_eq!(std::fs::read_to_string(&url_file).unwrap(), format!("{url}\n"));

    // env credentials, platform style, the given test key
    let (status, body) =
        post(url, &json!({"user": USER, "pass": PASS, "service": "getStatus", "target": {"email": "a@example.com"}}));
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], json!("AUTH0"));
    let mut t = customer_target("a@example.com");
    t["test_key"] = json!("k9");
    let (status, body) =
        post(url, &json!({"user": "env-user", "pass": "env-pass", "service": "createOrUpdateCustomer", "target": t}));
    assert_eq!(status, 200, "{body}");

    signal(child, "TERM");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    child.stdout.take().unwrap().read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(err, "", "nothing logged per request by default");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn port_from_env_and_sigint_exit() {
    // find a free port, then hand it over
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut guard = Guard(spawn(&["--latency-ms", "1", "--verbose"], &[("DCAMS_SANDBOX_PORT", &port.to_string())]));
    let child = &mut guard.0;
    let line = first_line(child);
    assert_eq!(line, format!("http://127.0.0.1:{port}/v3/stable/api/storage\n"));
    let (status, _) = post(
        line.trim(),
        &json!({"user": USER, "pass": PASS, "service": "getStatus", "target": {"email": "a@example.com"}}),
    );
    assert_eq!(status, 404);
    signal(child, "INT");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(err, "dcams-sandbox: service=getStatus email=a@example.com -> 404\n");
    assert!(!err.contains(PASS));
}

#[test]
fn refuses_non_loopback_host() {
    let child = spawn(&["--host", "0.0.0.0"], &[]);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-non-loopback"));
}

#[test]
fn rejects_unknown_error_style() {
    let out = spawn(&["--error-style", "gateway"], &[]).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
}

#[test]
fn rate_limit_and_hash_only_images_from_the_command_line() {
    let mut guard = Guard(spawn(&["--rate-limit", "2", "--images", "hash"], &[]));
    let line = first_line(&mut guard.0);
    let url = line.trim();
    let upsert = |email: &str| post(url, &call("createOrUpdateCustomer", customer_target(email))).0;
    assert_eq!([upsert("a@example.com"), upsert("b@example.com"), upsert("c@example.com")], [200, 200, 429]);
    std::thread::sleep(std::time::Duration::from_millis(1050));
    let (status, body) = post(url, &call("getDocumentImages", json!({"email": "a@example.com"})));
    assert_eq!(status, 400, "{body}");
    let base = url.trim_end_matches(dcams_sandbox::STORAGE_PATH);
    let mut stats = agent().get(&format!("{base}/_sandbox/stats")).call().unwrap();
    let stats: serde_json::Value = serde_json::from_str(&stats.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!((stats["requests"].as_u64(), stats["rate_limited"].as_u64()), (Some(4), Some(1)));
    let mut customer = agent().get(&format!("{base}/_sandbox/customers/a%40example.com")).call().unwrap();
    let customer: serde_json::Value = serde_json::from_str(&customer.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(customer["front_len"], json!(11));
}
