//! Logging: what each call does, delivered to a callback set per client.
//!
//! The client emits [`tracing`] events, and only from one module (`events`),
//! whose functions take typed, already redacted values: service names,
//! sizes, times, HTTP statuses, error kinds, masked e-mail addresses
//! (`j***@example.com`), image sizes with a short SHA-256 prefix. No event
//! can carry the password, a test key, image bytes or a customer attribute,
//! at any level, because no event is ever given one.
//!
//! A client with a [`LogSink`] ([`Config::log`](super::Config::log)) runs
//! each call under its own `tracing` dispatcher, set on the calling thread
//! for the duration of the call only: the sink is called synchronously, on
//! the thread that made the call, and never after the call returned. The
//! library installs no global subscriber or logger; a Rust host's own
//! `tracing` subscriber receives the same events (targets `dcams::*`) from
//! calls of clients without a sink.
//!
//! The sink receives the client's events only: the dispatcher accepts events
//! of the client's event module and nothing else, so records that other
//! crates emit during the call (ureq and rustls log through the `log` crate;
//! a host's `tracing-log` bridge would turn them into `tracing` events) never
//! reach it.
//!
//! # What ureq and rustls log themselves
//!
//! Those records go through the `log` crate, outside this mechanism. In
//! libdcams (the C library) they are compiled out (`log`'s `max_level_off`).
//! A Rust program using this crate that installs a `log` logger receives them
//! as it configures it: at debug level, from `ureq`, the method, the URL with
//! its path shown as `/******` and an allow-list of headers (`Host`,
//! `User-Agent`, `Content-Type`, `Content-Length`, `Date`, `Server`, ...),
//! and from `rustls` the handshake's steps; at trace level, from
//! `ureq_proto`, a hex dump of each request head (no secret: the headers
//! above) and of **each response head and body as received** — response
//! bodies carry the customer's stored attributes and, for getDocumentImages,
//! the images, and an error body may quote the request. Request bodies
//! (credentials, images) are never dumped: they are written straight to the
//! connection. Such a program should keep `ureq_proto` below trace (e.g.
//! `RUST_LOG=info,ureq_proto=off`).

use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde::Deserialize;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// How much a [`LogSink`] receives: events of this level and the more severe ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// A call failed for a reason a repeat might cure (connection, timeout,
    /// HTTP 429 or 5xx), after its retries.
    Error = 1,
    /// An attempt failed and will be retried.
    Warn = 2,
    /// Each attempt, response and outcome (the default).
    Info = 3,
    /// Connections (new or reused), TLS handshakes, request bodies sent,
    /// documents (sizes and SHA-256 prefixes), e-mail addresses masked.
    Debug = 4,
    /// Name resolution, TCP connections, proxy tunnels.
    Trace = 5,
}

impl LogLevel {
    /// Every level, most severe first.
    pub const ALL: [LogLevel; 5] = [LogLevel::Error, LogLevel::Warn, LogLevel::Info, LogLevel::Debug, LogLevel::Trace];

    /// The level's name: `"error"`, `"warn"`, `"info"`, `"debug"`, `"trace"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    /// The level with this name (as [`LogLevel::as_str`] writes it), if any.
    pub fn from_name(name: &str) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| l.as_str() == name)
    }

    const fn tracing(self) -> Level {
        match self {
            LogLevel::Error => Level::ERROR,
            LogLevel::Warn => Level::WARN,
            LogLevel::Info => Level::INFO,
            LogLevel::Debug => Level::DEBUG,
            LogLevel::Trace => Level::TRACE,
        }
    }

    fn from_tracing(level: Level) -> LogLevel {
        match level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event, as a [`LogSink`] receives it.
#[derive(Debug, Clone, Copy)]
pub struct LogRecord<'a> {
    /// Its level.
    pub level: LogLevel,
    /// What it is about: `dcams::call`, `dcams::attempt`, `dcams::connection`,
    /// `dcams::tls`, `dcams::retry` or `dcams::document`.
    pub target: &'a str,
    /// One line: a short description, then `name=value` pairs, e.g.
    /// `attempt started service=getStatus host=dcams.app:443 attempt=1 of=3 body_bytes=87`.
    pub message: &'a str,
}

/// Where a client's log events go: a function called synchronously, on the
/// thread that made the call, for each event at or above the configured
/// [`LogLevel`]. It must not make calls on the same client.
#[derive(Clone)]
pub struct LogSink(Arc<dyn Fn(&LogRecord<'_>) + Send + Sync>);

impl LogSink {
    /// A sink calling `f` for every event.
    pub fn new(f: impl Fn(&LogRecord<'_>) + Send + Sync + 'static) -> LogSink {
        LogSink(Arc::new(f))
    }
}

impl fmt::Debug for LogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogSink")
    }
}

/// The dispatcher a client with a sink runs each call under. Made once per
/// client: registering a dispatcher re-evaluates every callsite.
#[derive(Clone)]
pub(crate) struct CallLog(Dispatch);

impl CallLog {
    pub(crate) fn new(sink: LogSink, level: LogLevel) -> CallLog {
        // With a single dispatcher registered, `tracing` decides whether a
        // callsite is of interest by asking whichever dispatcher is current
        // on the thread that reaches it first; reached first in a call of a
        // client without a sink, an event would be switched off for good.
        // A second, silent dispatcher held for the life of the process makes
        // it ask every registered dispatcher instead.
        static SILENT: std::sync::OnceLock<Dispatch> = std::sync::OnceLock::new();
        SILENT.get_or_init(|| Dispatch::new(Silent));
        CallLog(Dispatch::new(CallbackSubscriber { sink, level: level.tracing() }))
    }

    /// Runs `f` (one call) with this log as the calling thread's dispatcher,
    /// restoring the previous one when `f` returns or unwinds.
    pub(crate) fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        tracing::dispatcher::with_default(&self.0, f)
    }
}

/// Sends the client's own events at or above `level` to `sink`, nothing else.
struct CallbackSubscriber {
    sink: LogSink,
    level: Level,
}

impl CallbackSubscriber {
    fn accepts(&self, meta: &Metadata<'_>) -> bool {
        // Events and the `enabled` hints of the client's event module; never spans.
        !meta.is_span() && meta.module_path() == Some(super::events::MODULE) && *meta.level() <= self.level
    }
}

impl Subscriber for CallbackSubscriber {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if self.accepts(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        self.accepts(meta)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(self.level.into())
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // The client opens no spans; any other crate's are not recorded.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        if !self.accepts(meta) {
            return;
        }
        let mut line = Line(String::with_capacity(160));
        event.record(&mut line);
        (self.sink.0)(&LogRecord {
            level: LogLevel::from_tracing(*meta.level()),
            target: meta.target(),
            message: line.0.trim_start(),
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// A subscriber interested in nothing (see [`CallLog::new`]).
struct Silent;

impl Subscriber for Silent {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::never()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::OFF)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// An event's fields as one line: the message, then ` name=value` each.
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Writing to a String cannot fail.
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            self.record_str(field, &format!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        // A value with spaces is quoted, so that the line splits into pairs.
        let _ = if value.contains(' ') {
            write!(self.0, " {}={value:?}", field.name())
        } else {
            write!(self.0, " {}={value}", field.name())
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    type Lines = Arc<Mutex<Vec<(LogLevel, String, String)>>>;

    fn capture(level: LogLevel) -> (CallLog, Lines) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        let sink = LogSink::new(move |r| {
            seen.lock().unwrap().push((r.level, r.target.to_owned(), r.message.to_owned()));
        });
        (CallLog::new(sink, level), lines)
    }

    #[test]
    fn levels_filter_and_names_round_trip() {
        for level in LogLevel::ALL {
            assert_eq!(LogLevel::from_name(level.as_str()), Some(level));
            assert_eq!(LogLevel::from_tracing(level.tracing()), level);
        }
        assert_eq!(LogLevel::from_name("verbose"), None);
        let (d, lines) = capture(LogLevel::Info);
        d.run(|| {
            crate::events::test_event(Level::INFO, 7);
            crate::events::test_event(Level::DEBUG, 8);
        });
        let got = lines.lock().unwrap().clone();
        assert_eq!(got, vec![(LogLevel::Info, "dcams::test".to_owned(), "test event n=7".to_owned())]);
    }

    #[test]
    fn events_of_other_modules_never_reach_the_sink() {
        let (d, lines) = capture(LogLevel::Trace);
        d.run(|| {
            // What a `tracing-log` bridge would make of a ureq record, and any other crate's event.
            tracing::event!(target: "ureq_proto::util", Level::TRACE, "7b227573 6572223a {{\"user\":");
            tracing::event!(target: "dcams::call", Level::ERROR, "pretending to be the client");
            crate::events::test_event(Level::TRACE, 1);
        });
        let got = lines.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].2, "test event n=1");
    }

    /// Also the regression test of an event first reached outside any
    /// call with a sink while one sink exists (it was then never delivered).
    #[test]
    fn nothing_is_delivered_outside_the_scope() {
        let (d, lines) = capture(LogLevel::Trace);
        crate::events::test_event(Level::ERROR, 1);
        d.run(|| crate::events::test_event(Level::ERROR, 2));
        crate::events::test_event(Level::ERROR, 3);
        let got: Vec<String> = lines.lock().unwrap().iter().map(|l| l.2.clone()).collect();
        assert_eq!(got, vec!["test event n=2".to_owned()]);
    }
}
