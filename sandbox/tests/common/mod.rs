//! Shared helpers for the sandbox's integration tests: start a sandbox,
//! talk raw HTTP to it with ureq (HTTP statuses are not errors), build
//! request bodies.

#![allow(dead_code)]

use dcams_sandbox::{ErrorStyle, Sandbox, SandboxConfig};
use serde_json::{json, Value};

/// Credentials the default config accepts.
pub const USER: &str = "sandbox-user";
pub const PASS: &str = "sandbox-pass";
pub const TEST_KEY: &str = "sandbox-test-key";

/// A started sandbox and an HTTP agent pointed at it.
pub struct Harness {
    pub sandbox: Sandbox,
    pub agent: ureq::Agent,
}

/// Status, content type and raw body of an answer.
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body parsed as JSON (panics if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

pub fn start(config: SandboxConfig) -> Harness {
    Harness { sandbox: Sandbox::start(config).expect("sandbox starts"), agent: agent() }
}

pub fn start_default() -> Harness {
    start(SandboxConfig::default())
}

pub fn start_style(style: ErrorStyle) -> Harness {
    start(SandboxConfig { error_style: style, ..Default::default() })
}

fn reply(mut resp: ureq::http::Response<ureq::Body>) -> Reply {
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = resp.body_mut().with_config().limit(1 << 30).read_to_vec().expect("body readable");
    Reply { status, content_type, body }
}

impl Harness {
    /// POST raw bytes to the storage endpoint with the given content type.
    pub fn post_raw(&self, body: &[u8], content_type: &str) -> Reply {
        let resp = self
            .agent
            .post(&self.sandbox.url())
            .header("Content-Type", content_type)
            .send(body)
            .expect("request goes through");
        reply(resp)
    }

    /// POST a JSON value to the storage endpoint.
    pub fn post(&self, body: &Value) -> Reply {
        self.post_raw(&serde_json::to_vec(body).unwrap(), "application/json")
    }

    /// POST `call(service, target)` and return (status, JSON body).
    pub fn call(&self, service: &str, target: Value) -> (u16, Value) {
        let r = self.post(&call(service, target));
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        (r.status, r.json())
    }

    /// GET a path relative to the base URL.
    pub fn get(&self, path: &str) -> Reply {
        let url = format!("{}{}", self.sandbox.base_url(), path);
        reply(self.agent.get(&url).call().expect("request goes through"))
    }
}

/// A request envelope with the default credentials.
pub fn call(service: &str, target: Value) -> Value {
    json!({"user": USER, "pass": PASS, "service": service, "target": target})
}

/// Standard padded base64.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard padded base64.
pub fn unb64(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).expect("valid base64")
}

/// A createOrUpdateCustomer target for `email` with a small front image.
pub fn customer_target(email: &str) -> Value {
    json!({
        "email": email, "fn": "Ada", "ln": "Example", "addr": "1 Test Way",
        "city": "Springfield", "state": "IL", "zip": "62701", "dob": "19800214",
        "phone": "2175550100",
        "documents": {"front": b64(b"FRONT-IMAGE")}
    })
}

/// The platform shape's error object, after checking the meta timestamp.
pub fn platform_error(body: &Value) -> Value {
    let ts = body["meta"]["timestamp"].as_str().expect("meta.timestamp string");
    assert_eq!(ts.len(), 19, "timestamp {ts}");
    assert_eq!(&ts[4..5], "-");
    assert_eq!(&ts[10..11], "T");
    assert_eq!(body.as_object().unwrap().len(), 2, "only meta and error: {body}");
    body["error"].clone()
}
