//! Proxies: squid as a CONNECT proxy in front of nginx (TLS, private CA),
//! chosen explicitly or from the environment.
//!
//! The endpoint host `dcams-faults.test` resolves only inside squid (its
//! hosts file), so a call that succeeds went through squid, and one that
//! bypasses squid fails to resolve; squid's access log must show (or not
//! show) the CONNECT as well.
//!
//! The environment is process-wide, so every environment case runs in a
//! child process (this test binary again, running only [`env_child`]), with
//! exactly the variables of that case; this process's environment is never
//! changed.

use std::process::Command;
use std::time::{Duration, Instant};

use dcams_client::{Client, Config, ErrorKind, ProxySetting, Secret};

use crate::matrix::{CPU, MARGIN};
use crate::nginx::{Nginx, PROXY_ONLY_HOST};
use crate::squid::Squid;
use crate::support::*;

const PROXY_VARS: [&str; 8] =
    ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];
const RESULT_TAG: &str = "FAULTS-CHILD-RESULT ";

/// The child side: does one upsert configured by `FAULTS_CHILD_CONFIG`
/// (JSON configuration) and prints its outcome. Does nothing otherwise.
#[test]
fn env_child() {
    let Ok(config) = std::env::var("FAULTS_CHILD_CONFIG") else { return };
    let email = std::env::var("FAULTS_CHILD_EMAIL").unwrap();
    let img = image(3000, 21);
    let start = Instant::now();
    let outcome =
        Config::from_json(Some(&config)).and_then(Client::new).and_then(|c| c.upsert(&customer(&email, &img)));
    let elapsed_ms = start.elapsed().as_millis() as u64;
    let line = match outcome {
        Ok(reply) => serde_json::json!({"ok": true, "email": reply.target.get("email"), "elapsed_ms": elapsed_ms}),
        Err(e) => serde_json::json!({
            "ok": false,
            "error": {"kind": format!("{:?}", e.kind()), "message": e.message(), "detail": e.detail()},
            "elapsed_ms": elapsed_ms,
        }),
    };
    println!("{RESULT_TAG}{line}");
}

/// Runs [`env_child`] in a child process with exactly `env` as its proxy
/// and DCAMS_* variables.
fn in_child(config: &serde_json::Value, email: &str, env: &[(&str, String)]) -> serde_json::Value {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["proxy::env_child", "--exact", "--nocapture", "--test-threads=1"]);
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("DCAMS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("FAULTS_CHILD_CONFIG", config.to_string()).env("FAULTS_CHILD_EMAIL", email);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the child test process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line =
        stdout.lines().find_map(|l| l.find(RESULT_TAG).map(|i| &l[i + RESULT_TAG.len()..])).unwrap_or_else(|| {
            panic!("child printed no result ({}):\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr))
        });
    serde_json::from_str(line).unwrap()
}

struct Case {
    name: &'static str,
    host: &'static str,
    env: Vec<(&'static str, String)>,
    json: serde_json::Value,
    /// Ok through squid / Ok direct / fails (direct to a name only squid knows).
    succeeds: bool,
    via_squid: bool,
}

#[test]
fn proxy_from_config_and_environment() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let Some(nx) = Nginx::start() else { return };
    let Some(sq) = Squid::start(nx.port) else { return };
    let dead = format!("http://127.0.0.1:{}", free_port());
    let proxied = format!("{PROXY_ONLY_HOST}:{}", nx.port);
    let direct_local = format!("localhost:{}", nx.port);
    let ca = nx.pki.ca().display().to_string();
    let img = image(3000, 22);
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();

    // squid counts tunnels when they close; a call's tunnel closes when its client is dropped.
    let connects = |hp: &str, at_least: usize| sq.connects_to(hp, at_least, Duration::from_secs(3));
    let expect_squid = |row: &str, hp: &str, before: usize, delta: usize, p: &mut Vec<String>| {
        let after = if delta == 0 {
            std::thread::sleep(Duration::from_millis(300));
            connects(hp, 0)
        } else {
            connects(hp, before + delta)
        };
        if after - before != delta {
            p.push(format!("{row}: squid logged {} CONNECT {hp}, expected {delta}", after - before));
        }
    };

    // --- explicit settings, in this process -------------------------------
    for (row, host, proxy, succeed, delta, attempts) in [
        ("explicit_proxy", PROXY_ONLY_HOST, sq.url(), true, 1, 1),
        // An explicit proxy is used even for a loopback endpoint.
        ("explicit_proxy_loopback_endpoint", "localhost", sq.url(), true, 1, 1),
        // A proxy that is down: a connection failure, retried.
        (
            "explicit_dead_proxy_with_credentials",
            PROXY_ONLY_HOST,
            dead.replace("http://", &format!("http://squser:{RED_PROXY_PASS}@")),
            false,
            0,
            3,
        ),
    ] {
        let mut cfg = fast_config(&nx.url(host, ""), PASS);
        cfg.ca_bundle = Some(nx.pki.ca());
        cfg.proxy = ProxySetting::Url(Secret::new(proxy));
        cfg.response_timeout = Duration::from_millis(3000);
        cfg.timeout = Duration::from_millis(6000);
        let debug = format!("{cfg:?}");
        let hp = format!("{host}:{}", nx.port);
        let before = connects(&hp, 0);
        let client = Client::new(cfg).unwrap();
        let email = format!("{}@example.com", row.replace('_', "-"));
        let start = Instant::now();
        let res = client.upsert(&customer(&email, &img));
        let elapsed = start.elapsed();
        let client_debug = format!("{client:?}");
        drop(client);
        let expect = if succeed { Expect::Ok } else { err(ErrorKind::Transport) };
        let mut p = check_outcome(
            row,
            &res,
            elapsed,
            &expect,
            None,
            Some(attempts),
            Duration::ZERO,
            Duration::from_millis(6000) + MARGIN,
        );
        expect_squid(row, &hp, before, delta, &mut p);
        let mut outputs = vec![debug, client_debug];
        if let Err(e) = &res {
            outputs.extend([format!("{e:?}"), format!("{e:?}"), e.to_string()]);
        }
        for o in outputs {
            if o.contains(RED_PROXY_PASS) {
                p.push(format!("the proxy password leaked: {o}"));
            }
        }
        rows.push((row.to_owned(), p));
    }

    // A CONNECT squid refuses (port not in SSL_ports): squid answers 403.
    {
        let row = "proxy_refuses_connect";
        let mut cfg = fast_config(&format!("https://{PROXY_ONLY_HOST}:{}/v3/stable/api/storage", nx.wrong_port), PASS);
        cfg.ca_bundle = Some(nx.pki.ca());
        cfg.proxy = ProxySetting::Url(Secret::new(sq.url()));
        let client = Client::new(cfg).unwrap();
        let start = Instant::now();
        let res = client.upsert(&customer("refused@example.com", &img));
        let p = check_outcome(
            row,
            &res,
            start.elapsed(),
            &err(ErrorKind::Transport),
            None,
            None,
            Duration::ZERO,
            Duration::from_millis(4000) + MARGIN,
        );
        rows.push((row.to_owned(), p));
    }

    // --- the environment, in child processes -------------------------------
    let base = |host: &str| {
        serde_json::json!({
            "endpoint": nx.url(host, ""), "user": USER, "pass": PASS, "ca_bundle": ca,
            "connect_timeout_ms": 2000, "response_timeout_ms": 3000, "timeout_ms": 6000,
            "retries": 0, "retry_backoff_ms": 10
        })
    };
    let with = |mut v: serde_json::Value, extra: serde_json::Value| {
        for (k, x) in extra.as_object().unwrap() {
            if x.is_null() {
                v.as_object_mut().unwrap().remove(k);
            } else {
                v[k] = x.clone();
            }
        }
        v
    };
    let squid = sq.url();
    let cases = vec![
        Case {
            name: "env_HTTPS_PROXY",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", squid.clone())],
            json: serde_json::json!({}),
            succeeds: true,
            via_squid: true,
        },
        Case {
            name: "env_lowercase_beats_uppercase",
            host: PROXY_ONLY_HOST,
            env: vec![("https_proxy", squid.clone()), ("HTTPS_PROXY", dead.clone())],
            json: serde_json::json!({}),
            succeeds: true,
            via_squid: true,
        },
        Case {
            name: "env_ALL_PROXY",
            host: PROXY_ONLY_HOST,
            env: vec![("ALL_PROXY", squid.clone())],
            json: serde_json::json!({}),
            succeeds: true,
            via_squid: true,
        },
        Case {
            name: "env_HTTP_PROXY_not_for_https",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTP_PROXY", squid.clone())],
            json: serde_json::json!({}),
            succeeds: false,
            via_squid: false,
        },
        Case {
            name: "env_NO_PROXY_host",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", squid.clone()), ("NO_PROXY", format!("example.com,{PROXY_ONLY_HOST}"))],
            json: serde_json::json!({}),
            succeeds: false,
            via_squid: false,
        },
        Case {
            name: "env_no_proxy_suffix",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", squid.clone()), ("no_proxy", ".test".into())],
            json: serde_json::json!({}),
            succeeds: false,
            via_squid: false,
        },
        Case {
            name: "env_NO_PROXY_other_host",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", squid.clone()), ("NO_PROXY", "example.com,faults.test.example".into())],
            json: serde_json::json!({}),
            succeeds: true,
            via_squid: true,
        },
        Case {
            name: "json_no_proxy_beats_env",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", squid.clone())],
            json: serde_json::json!({"no_proxy": true}),
            succeeds: false,
            via_squid: false,
        },
        Case {
            name: "json_proxy_beats_env",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", dead.clone())],
            json: serde_json::json!({"proxy": squid.clone()}),
            succeeds: true,
            via_squid: true,
        },
        Case {
            name: "env_proxy_never_for_loopback",
            host: "localhost",
            env: vec![("HTTPS_PROXY", squid.clone()), ("ALL_PROXY", squid.clone())],
            json: serde_json::json!({}),
            succeeds: true,
            via_squid: false,
        },
        Case {
            name: "env_DCAMS_CA_FILE",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", squid.clone()), ("DCAMS_CA_FILE", ca.clone())],
            json: serde_json::json!({"ca_bundle": null}),
            succeeds: true,
            via_squid: true,
        },
        Case {
            name: "env_DCAMS_CA_BUNDLE",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", squid.clone()), ("DCAMS_CA_BUNDLE", ca.clone())],
            json: serde_json::json!({"ca_bundle": null}),
            succeeds: true,
            via_squid: true,
        },
        Case {
            name: "env_dead_proxy",
            host: PROXY_ONLY_HOST,
            env: vec![("HTTPS_PROXY", dead.clone())],
            json: serde_json::json!({}),
            succeeds: false,
            via_squid: false,
        },
    ];
    for case in cases {
        let hp = if case.host == "localhost" { direct_local.clone() } else { proxied.clone() };
        let before = connects(&hp, 0);
        let email = format!("{}@example.com", case.name.to_ascii_lowercase().replace('_', "-"));
        let json = with(base(case.host), case.json.clone());
        let start = Instant::now();
        let out = in_child(&json, &email, &case.env);
        let elapsed = start.elapsed();
        let mut p = Vec::new();
        let ok = out["ok"].as_bool() == Some(true);
        let kind = out["error"]["kind"].as_str().unwrap_or("OK").to_owned();
        println!(
            "ROW {:<44} {kind:<18} {:>6} ms  (child process; squid: {})",
            case.name,
            out["elapsed_ms"],
            if case.via_squid { "CONNECT" } else { "bypassed" }
        );
        if ok != case.succeeds {
            p.push(format!("expected {}, got {out}", if case.succeeds { "success" } else { "failure" }));
        }
        if ok && out["email"].as_str() != Some(email.as_str()) {
            p.push(format!("reply does not echo {email}: {out}"));
        }
        if !ok && !case.succeeds {
            // Direct to a name only squid can resolve (or a dead proxy): a
            // connection failure (a resolver that hangs would be a timeout).
            let k = kind.as_str();
            if k != "Transport"
                && !(k == "Timeout" && out["error"]["message"].as_str().unwrap_or("").contains("connecting"))
            {
                p.push(format!("expected a connection failure, got {out}"));
            }
        }
        if elapsed > Duration::from_millis(6000) + Duration::from_secs(5) {
            p.push(format!("the child took {elapsed:?}"));
        }
        expect_squid(case.name, &hp, before, usize::from(case.via_squid), &mut p);
        rows.push((case.name.to_owned(), p));
    }
    assert_rows(rows);
}

/// A proxy that refuses the CONNECT (407: it wants credentials) fails at
/// once: a repeat would be refused the same way, so it is not retried.
#[test]
fn proxy_refusing_connect_is_not_retried() {
    use crate::misbehave::{Behavior, Canned, Misbehave};
    let proxy = Misbehave::start(Behavior::Respond(
        Canned::new(407, Some("text/html"), "<html>Proxy Authentication Required</html>")
            .header("Proxy-Authenticate", "Basic realm=\"proxy\""),
    ));
    let mut config = fast_config("https://dcams-faults.test/v3/stable/api/storage", "PW-PROXY-407");
    config.proxy = ProxySetting::Url(Secret::new(format!("http://127.0.0.1:{}", proxy.port())));
    config.retries = 2;
    let img = image(3000, 7);
    let start = Instant::now();
    let e = Client::new(config).unwrap().upsert(&customer("proxy407@example.com", &img)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.message().contains("proxy refused"), "{e}");
    let via = format!("through the proxy at 127.0.0.1:{}", proxy.port());
    assert!(e.detail().is_some_and(|d| d.contains(&via)), "{e:?}");
    assert_eq!(e.attempts(), 1);
    assert_eq!(proxy.connections(), 1, "one CONNECT, no retry");
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(!format!("{e:?}").contains("PW-PROXY-407"));
}

/// Issue 9, defect 2: a SOCKS proxy (which this build cannot use) is refused
/// when the client is made, naming the variable it came from and never its
/// credentials; before, every call was a caught panic.
#[test]
fn socks_proxy_from_the_environment_is_refused_at_client_creation() {
    let https = "https://dcams-faults.test/v3/stable/api/storage";
    let http = "http://dcams-faults.test/v3/stable/api/storage";
    let mut rows = Vec::new();
    for (var, endpoint, scheme) in [
        ("ALL_PROXY", https, "socks5"),
        ("all_proxy", https, "socks5h"),
        ("https_proxy", https, "socks4"),
        ("HTTPS_PROXY", https, "socks5"),
        ("http_proxy", http, "socks5h"),
        ("HTTP_PROXY", http, "socks4a"),
    ] {
        let json = serde_json::json!({
            "endpoint": endpoint, "user": USER, "pass": PASS, "danger_allow_plain_http": true,
            "connect_timeout_ms": 500, "timeout_ms": 1500, "retries": 0
        });
        let value = format!("{scheme}://squser:{RED_PROXY_PASS}@127.0.0.1:{}", free_port());
        let out = in_child(&json, &format!("socks-{}@example.com", var.to_ascii_lowercase()), &[(var, value)]);
        let mut p = Vec::new();
        let text = out.to_string();
        if out["error"]["kind"] != "Config" {
            p.push(format!("expected a Config error, got {text}"));
        }
        if !out["error"]["message"].as_str().unwrap_or("").contains(var) {
            p.push(format!("the message should name {var}: {text}"));
        }
        if text.contains(RED_PROXY_PASS) || text.contains("squser") {
            p.push(format!("the proxy credentials leaked: {text}"));
        }
        println!("ROW {:<44} {}", format!("socks_env_{var}"), out["error"]["kind"]);
        rows.push((format!("socks_env_{var}"), p));
    }
    assert_rows(rows);
}
