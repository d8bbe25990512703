//! `--log LEVEL`: the client's per-call events on stderr, one line each
//! (`dcams: [info dcams::call] call finished service=getStatus ...`).
//!
//! The events are the client's own, already redacted (see
//! `dcams_client::LogSink`): masked e-mails, sizes, statuses, never a
//! password or a customer attribute. Nothing is added to them here.
//!
//! Lines (and the batch's notes) are written above the progress bar while
//! one is shown, so that the bar is redrawn below them rather than broken.

use std::sync::Mutex;

use dcams_client::{LogLevel, LogRecord, LogSink};
use indicatif::ProgressBar;

/// The bar being shown, if any: log lines come from the batch's worker
/// threads, which do not own it.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// The bar that lines are written above from now on (`None`: none shown).
pub fn set_bar(bar: Option<ProgressBar>) {
    *BAR.lock().unwrap_or_else(|e| e.into_inner()) = bar;
}

/// Writes `line` to stderr, above the progress bar if one is shown.
pub fn line(line: &str) {
    // Cloned out so that the lock is not held while writing.
    let bar = BAR.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match bar {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// The sink of `--log`: each event as `dcams: [LEVEL TARGET] MESSAGE` on stderr.
pub fn sink() -> LogSink {
    LogSink::new(|r: &LogRecord<'_>| line(&format!("dcams: [{} {}] {}", r.level, r.target, r.message)))
}

/// `--log` values: the client's level names.
pub const LEVELS: [&str; 5] = [
    LogLevel::Error.as_str(),
    LogLevel::Warn.as_str(),
    LogLevel::Info.as_str(),
    LogLevel::Debug.as_str(),
    LogLevel::Trace.as_str(),
];
