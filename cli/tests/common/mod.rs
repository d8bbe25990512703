//! Running the `dcams` binary against an in-process sandbox, and the test data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

use dcams_sandbox::{Sandbox, SandboxConfig};

/// The tests of a file run one at a time: they measure rates, and a
/// sandbox starved of CPU by a parallel test counts requests in bunches.
static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data").join(name)
}

/// The repository's copy of the samples' 1,000 customers.
pub fn customers_csv() -> PathBuf {
    data("customers.csv")
}

pub fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).expect("sandbox starts")
}

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dcams-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `dcams ARGS` pointed at `sandbox` with its fake credentials, and no other
/// DCAMS_* variable of the environment.
pub fn dcams(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dcams"));
    for (k, _) in std::env::vars() {
        if k.starts_with("DCAMS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("DCAMS_ENDPOINT", sandbox.url())
        .env("DCAMS_USER", "sandbox-user")
        .env("DCAMS_PASS", "sandbox-pass")
        .args(args);
    cmd
}

pub fn run(sandbox: &Sandbox, args: &[&str]) -> Output {
    dcams(sandbox, args).output().expect("dcams runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The rows of the samples' CSV: header and records (as strings).
pub fn sample_rows() -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(customers_csv()).unwrap();
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

/// Writes `rows` under `header` as CSV to `path`, image paths made
/// absolute so the file may live anywhere.
pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(header).unwrap();
    for row in rows {
        w.write_record(absolute(header, row)).unwrap();
    }
    w.flush().unwrap();
}

pub fn absolute(header: &[String], row: &[String]) -> Vec<String> {
    header
        .iter()
        .zip(row)
        .map(|(h, v)| {
            if (h == "front" || h == "back") && !v.is_empty() && !Path::new(v).is_absolute() {
                data(v).to_string_lossy().into_owned()
            } else {
                v.clone()
            }
        })
        .collect()
}

/// The journal's lines, parsed.
pub fn journal(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("journal line {l:?}: {e}")))
        .collect()
}
