//! Helpers shared by the integration tests: an in-process sandbox, a client
//! pointed at it, and the specimen images.
#![allow(dead_code)]

use std::path::PathBuf;

use dcams_client::{Client, Config, Secret};
use dcams_sandbox::{ErrorStyle, Sandbox, SandboxConfig};

/// Fake credentials the sandbox accepts (never real ones).
pub const USER: &str = "sandbox-user";
pub const PASS: &str = "sandbox-pass";

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data").join(name)
}

pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).expect("specimen image")
}

pub fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).expect("sandbox starts")
}

pub fn sandbox_with(style: ErrorStyle) -> Sandbox {
    Sandbox::start(SandboxConfig { error_style: style, ..SandboxConfig::default() }).expect("sandbox starts")
}

pub fn config(sandbox: &Sandbox) -> Config {
    Config { endpoint: sandbox.url(), user: Some(USER.to_owned()), pass: Some(Secret::new(PASS)), ..Config::default() }
}

pub fn client(sandbox: &Sandbox) -> Client {
    Client::new(config(sandbox)).expect("client for the sandbox")
}
