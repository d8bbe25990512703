//! No configuration reaches `DCAMS_ERR_INTERNAL` (issue 9, defect 2 and
//! "what must hold"): every configuration member, through the JSON of
//! `dcams_client_new` and through the `dcams_config` setters, and every
//! environment variable the client reads, each set to unusual values; each
//! client that is made then makes a call (getStatus against a local
//! sandbox, or a host that does not exist, so that a proxy applies). Every
//! outcome must follow the header's rule with a documented code other than
//! 99 (the kit checks both). A SOCKS proxy used to be a caught panic on every
//! call.
//!
//! One test in this binary, so that changing the environment races with no
//! other thread.

use std::ffi::{CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use dcams::client::{dcams_client_free, dcams_client_get_status, dcams_client_new_from_config};
use dcams::config::{dcams_config, dcams_config_free, dcams_config_new, dcams_config_set_int, dcams_config_set_string};
use dcams_abi_kit::{check_error, new_client, service_call, Check};
use dcams_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

const STRING_MEMBERS: [&str; 10] =
    ["endpoint", "user", "pass", "test_key", "ca_file", "ca_bundle", "proxy", "log_level", "app_name", "app_version"];
const INT_MEMBERS: [&str; 8] = [
    "connect_timeout_ms",
    "send_timeout_ms",
    "response_timeout_ms",
    "timeout_ms",
    "retries",
    "retry_backoff_ms",
    "max_response_bytes",
    "max_idle_connections",
];
const BOOL_MEMBERS: [&str; 4] = ["environment", "no_proxy", "check_image_format", "danger_allow_plain_http"];
const ENV_VARS: [&str; 17] = [
    "DCAMS_ENDPOINT",
    "DCAMS_USER",
    "DCAMS_PASS",
    "DCAMS_TEST_KEY",
    "DCAMS_CA_FILE",
    "DCAMS_CA_BUNDLE",
    "DCAMS_CONNECT_TIMEOUT_MS",
    "DCAMS_TIMEOUT_MS",
    "DCAMS_RETRIES",
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// A host name that never resolves (`.invalid`), so that proxies apply.
const NOWHERE: &str = "https://dcams-scan.invalid/v3/stable/api/storage";

fn unusual_strings() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        "",
        " ",
        "\t\r\n",
        "é€😀",
        "socks5://u:PX@127.0.0.1:1080",
        "socks5h://127.0.0.1:1080",
        "socks4://127.0.0.1:1",
        "socks4a://127.0.0.1:1",
        "socks://127.0.0.1:1",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:65536/x",
        "http://127.0.0.1:0/",
        "http://[::1",
        "http://[::1]:1/",
        "http://u:p@127.0.0.1:1/",
        "https://127.0.0.1:1/",
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "/dev/zero",
        "/proc/self/status",
        "/",
        ".",
        "%00",
        "\u{7f}",
        "::::",
        "[",
        "*",
        ",,,",
        "127.0.0.1:1",
        "http://localhost:1/x?y#z",
        "-1",
        "99999999999999999999999",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    v.push(vec![b'x'; 100_000]);
    v.push(format!("http://{}:1/", "a".repeat(300)).into_bytes());
    v
}

const UNUSUAL_INTS: [i64; 9] = [0, 1, -1, 2, i64::MAX, i64::MIN, u32::MAX as i64, u32::MAX as i64 + 1, 1 << 53];

struct Scan {
    problems: Vec<String>,
    outcomes: std::collections::BTreeMap<i32, usize>,
}

impl Scan {
    fn record(&mut self, what: &str, outcome: Check<i32>) {
        match outcome {
            Ok(code) => *self.outcomes.entry(code).or_default() += 1,
            Err(p) => self.problems.push(format!("{what}: {p}")),
        }
    }
}

/// One getStatus with a client made from `client`, checked; frees it.
fn call_and_free(client: *mut dcams::client::dcams_client) -> Check<i32> {
    let email = c"scan@example.com";
    // SAFETY: a live client, a C string, out-pointers from service_call.
    let outcome =
        service_call(|r, e| unsafe { dcams_client_get_status(client, email.as_ptr(), std::ptr::null_mut(), r, e) });
    // SAFETY: made by dcams_client_new*, used by no other thread.
    unsafe { dcams_client_free(client) };
    outcome.map(|o| o.code)
}

/// `dcams_client_new(config_json)` and, when a client is made, one call.
fn through_json(config: &Value) -> Check<i32> {
    let text = CString::new(config.to_string()).map_err(|e| e.to_string())?;
    through_text(Some(&text))
}

fn through_text(config: Option<&CStr>) -> Check<i32> {
    match new_client(config)? {
        (0, client) => call_and_free(client),
        (code, _) => Ok(code),
    }
}

/// A `dcams_config` with `base` set through the setters, then `set`, then
/// `dcams_client_new_from_config` and one call.
fn through_setters(base: &Value, set: impl FnOnce(*mut dcams_config) -> Check<()>) -> Check<i32> {
    let mut config = std::ptr::null_mut();
    // SAFETY: valid out-pointers.
    let code = unsafe { dcams_config_new(&mut config, std::ptr::null_mut()) };
    if code as i32 != 0 {
        return Err(format!("dcams_config_new failed with {}", code as i32));
    }
    let result = (|| {
        for (k, v) in base.as_object().unwrap() {
            let name = CString::new(k.as_str()).unwrap();
            let mut error = std::ptr::null_mut();
            // SAFETY: a live config, C strings, a valid out_error.
            let code = match v {
                Value::String(s) => unsafe {
                    dcams_config_set_string(
                        config,
                        name.as_ptr(),
                        CString::new(s.as_str()).unwrap().as_ptr(),
                        &mut error,
                    )
                },
                Value::Number(n) => unsafe {
                    dcams_config_set_int(config, name.as_ptr(), n.as_i64().unwrap(), &mut error)
                },
                Value::Bool(b) => unsafe {
                    dcams::config::dcams_config_set_bool(config, name.as_ptr(), i32::from(*b), &mut error)
                },
                _ => unreachable!(),
            };
            check_error(code as i32, error)?;
        }
        set(config)?;
        let (mut client, mut error) = (std::ptr::null_mut(), std::ptr::null_mut());
        // SAFETY: a live config, valid out-pointers.
        let code = unsafe { dcams_client_new_from_config(config, &mut client, &mut error) } as i32;
        check_error(code, error)?;
        if code == 0 {
            call_and_free(client)
        } else {
            Ok(code)
        }
    })();
    // SAFETY: made by dcams_config_new.
    unsafe { dcams_config_free(config) };
    result
}

fn scan_members(sandbox_url: &str, scan: &mut Scan) {
    let base = json!({
        "environment": false, "endpoint": sandbox_url, "user": "sandbox-user", "pass": "sandbox-pass",
        "connect_timeout_ms": 300, "timeout_ms": 1000, "retries": 0, "retry_backoff_ms": 1
    });
    let with = |name: &str, value: Value| {
        let mut c = base.clone();
        c[name] = value;
        c
    };
    for name in STRING_MEMBERS {
        for value in unusual_strings() {
            let text = String::from_utf8(value.clone()).unwrap();
            let shown: String = text.chars().take(40).collect();
            scan.record(&format!("json {name}={shown:?}"), through_json(&with(name, json!(text))));
            // The same through the setter (any C string: no JSON escaping involved).
            let setter = through_setters(&base, |config| {
                let (n, v) = (CString::new(name).unwrap(), dcams_abi_kit::c_string(&value));
                let mut error = std::ptr::null_mut();
                // SAFETY: a live config, C strings, a valid out_error.
                let code = unsafe { dcams_config_set_string(config, n.as_ptr(), v.as_ptr(), &mut error) };
                check_error(code as i32, error).map(|_| ())
            });
            scan.record(&format!("setter {name}={shown:?}"), setter);
            if name == "proxy" || name == "endpoint" {
                // A proxy only applies to a host that is not loopback.
                let mut c = with(name, json!(text));
                if name == "proxy" {
                    c["endpoint"] = json!(NOWHERE);
                }
                scan.record(&format!("json {name}={shown:?} (remote endpoint)"), through_json(&c));
            }
        }
        // Not a string at all.
        for wrong in [json!(7), json!(true), json!(null), json!([]), json!({})] {
            scan.record(&format!("json {name}={wrong}"), through_json(&with(name, wrong.clone())));
        }
    }
    for name in INT_MEMBERS {
        for value in UNUSUAL_INTS {
            scan.record(&format!("json {name}={value}"), through_json(&with(name, json!(value))));
            let setter = through_setters(&base, |config| {
                let n = CString::new(name).unwrap();
                let mut error = std::ptr::null_mut();
                // SAFETY: a live config, a C string, a valid out_error.
                let code = unsafe { dcams_config_set_int(config, n.as_ptr(), value, &mut error) };
                check_error(code as i32, error).map(|_| ())
            });
            scan.record(&format!("setter {name}={value}"), setter);
        }
        for wrong in [json!(1.5), json!("5"), json!(1e300), json!(u64::MAX), json!(false)] {
            scan.record(&format!("json {name}={wrong}"), through_json(&with(name, wrong.clone())));
        }
    }
    for name in BOOL_MEMBERS {
        for value in [json!(true), json!(false), json!(1), json!("true")] {
            scan.record(&format!("json {name}={value}"), through_json(&with(name, value.clone())));
        }
    }
    for text in ["{}", "[]", "null", "7", "{\"endpoint\":", "{\"a\":1}", "\u{feff}{}"] {
        let c = CString::new(text).unwrap();
        scan.record(&format!("config text {text:?}"), through_text(Some(&c)));
    }
}

/// The variables that make a client that would work (the sandbox, fast timeouts).
fn base_env(sandbox_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DCAMS_ENDPOINT", sandbox_url.to_owned()),
        ("DCAMS_USER", "sandbox-user".to_owned()),
        ("DCAMS_PASS", "sandbox-pass".to_owned()),
        ("DCAMS_CONNECT_TIMEOUT_MS", "300".to_owned()),
        ("DCAMS_TIMEOUT_MS", "1000".to_owned()),
        ("DCAMS_RETRIES", "0".to_owned()),
    ]
}

fn scan_environment(sandbox_url: &str, scan: &mut Scan) {
    for var in ENV_VARS {
        std::env::remove_var(var);
    }
    let mut values = unusual_strings();
    values.push(b"\xff\xfe not UTF-8".to_vec());
    for var in ENV_VARS {
        let proxy_var = var.ends_with("proxy") || var.ends_with("PROXY");
        for value in &values {
            for (k, v) in base_env(sandbox_url) {
                std::env::set_var(k, v);
            }
            if proxy_var {
                // A remote endpoint, so that the proxy variables apply; and a proxy for no_proxy to exclude.
                let endpoint = if var.starts_with("http_") || var.starts_with("HTTP_") {
                    NOWHERE.replace("https", "http")
                } else {
                    NOWHERE.to_owned()
                };
                std::env::set_var("DCAMS_ENDPOINT", endpoint);
                if var.eq_ignore_ascii_case("no_proxy") {
                    std::env::set_var("https_proxy", "http://127.0.0.1:1");
                }
            }
            std::env::set_var(
                var,
                OsStr::from_bytes(value.iter().copied().filter(|&b| b != 0).collect::<Vec<_>>().as_slice()),
            );
            let shown: String = String::from_utf8_lossy(value).chars().take(40).collect();
            let danger = json!({"danger_allow_plain_http": true});
            let text = CString::new(danger.to_string()).unwrap();
            scan.record(&format!("env {var}={shown:?}"), through_text(None));
            scan.record(&format!("env {var}={shown:?} (plain http allowed)"), through_text(Some(&text)));
            for k in ENV_VARS {
                std::env::remove_var(k);
            }
        }
    }
}

#[test]
fn no_configuration_member_or_environment_variable_reaches_internal() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let mut scan = Scan { problems: Vec::new(), outcomes: Default::default() };
    let started = std::time::Instant::now();
    scan_members(&sandbox.url(), &mut scan);
    scan_environment(&sandbox.url(), &mut scan);
    let total: usize = scan.outcomes.values().sum();
    println!("{total} outcomes by code: {:?} in {:?}", scan.outcomes, started.elapsed());
    // The scan reaches the service: many calls get its answer (404 for this address, 401...).
    let answered: usize = scan.outcomes.range(20..30).map(|(_, n)| n).sum();
    assert!(answered > 50, "{:?}", scan.outcomes);
    assert!(total > 1000, "{total} outcomes");
    assert!(started.elapsed() < Duration::from_secs(300));
    assert!(
        scan.problems.is_empty(),
        "{} problem(s):\n{}",
        scan.problems.len(),
        scan.problems.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}
