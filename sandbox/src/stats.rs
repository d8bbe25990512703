//! What the sandbox observed on its storage path: request and connection
//! counters and the last request as received, for tests that check what a
//! client actually sent (headers, raw body, connection reuse).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap};

/// The last request received on the storage path, as returned by
/// [`crate::Sandbox::last_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// The `Content-Type` header, if present and valid UTF-8.
    pub content_type: Option<String>,
    /// The `Content-Length` header, if present and a number (absent for chunked bodies).
    pub content_length: Option<u64>,
    /// The `User-Agent` header, if present and valid UTF-8.
    pub user_agent: Option<String>,
    /// The body bytes exactly as received. Contains credentials and images:
    /// tests may inspect it, nothing may log it.
    pub body: Vec<u8>,
}

/// The counters, as returned by [`crate::Sandbox::stats`] and `GET /_sandbox/stats`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SandboxStats {
    /// Storage requests received (any method, any outcome, 429s included).
    pub requests: u64,
    /// TCP connections accepted.
    pub connections: u64,
    /// Customer records held now (both namespaces).
    pub customers: usize,
    /// Storage requests answered 429 by [`crate::SandboxConfig::rate_limit`].
    pub rate_limited: u64,
    /// Records created by createOrUpdateCustomer (both namespaces).
    pub created: u64,
    /// Records updated by createOrUpdateCustomer (both namespaces).
    pub updated: u64,
    /// Storage requests per second: element `i` counts those that arrived
    /// `i` to `i + 1` seconds after the first one since start or reset (the
    /// last element is a second still running or cut short).
    pub per_second: Vec<u64>,
    /// The most storage requests that arrived within any one second, over a
    /// sliding window (the peak rate, wherever the second starts).
    pub max_per_second: u64,
}

/// The recorded request with its body still shared (no copy until asked for).
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    content_type: Option<String>,
    content_length: Option<u64>,
    user_agent: Option<String>,
    body: Bytes,
}

/// Seconds of per-second counts kept (a day); later requests are still counted in the total.
const MAX_SECONDS: usize = 86_400;

/// Storage requests by the second they arrived in, counted from the first
/// one since start or reset.
#[derive(Debug, Default)]
struct Timeline {
    first: Option<Instant>,
    per_second: Vec<u64>,
    /// Arrivals within the last second, and the most ever seen in one second.
    recent: VecDeque<Instant>,
    max_per_second: u64,
}

/// Counters and last request, shared by the handlers and the [`crate::Sandbox`] handle.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    requests: AtomicU64,
    connections: AtomicU64,
    rate_limited: AtomicU64,
    timeline: Mutex<Timeline>,
    last: Mutex<Option<Recorded>>,
}

impl Stats {
    /// Counts one request on the storage path (on arrival, before any check),
    /// in the total and in the second it arrived in.
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let now = Instant::now();
        let mut timeline = self.timeline.lock().unwrap_or_else(|e| e.into_inner());
        let first = *timeline.first.get_or_insert(now);
        let second = now.duration_since(first).as_secs() as usize;
        if second < MAX_SECONDS {
            if timeline.per_second.len() <= second {
                timeline.per_second.resize(second + 1, 0);
            }
            timeline.per_second[second] += 1;
        }
        while timeline.recent.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            timeline.recent.pop_front();
        }
        timeline.recent.push_back(now);
        timeline.max_per_second = timeline.max_per_second.max(timeline.recent.len() as u64);
    }

    /// The most storage requests that arrived within any one second (a sliding window).
    pub fn max_per_second(&self) -> u64 {
        self.timeline.lock().unwrap_or_else(|e| e.into_inner()).max_per_second
    }

    /// Counts one request answered 429 by the rate limit.
    pub fn count_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::SeqCst);
    }

    /// Requests answered 429 by the rate limit so far.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::SeqCst)
    }

    /// Storage requests per second: element `i` counts those that arrived
    /// `i` to `i + 1` seconds after the first one (empty before any).
    pub fn per_second(&self) -> Vec<u64> {
        self.timeline.lock().unwrap_or_else(|e| e.into_inner()).per_second.clone()
    }

    /// Counts one accepted TCP connection.
    pub fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
    }

    /// Requests counted so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Connections counted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Remembers a storage request as the last one.
    pub fn record(&self, method: &str, headers: &HeaderMap, body: Bytes) {
        let text = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok()).map(str::to_owned);
        let rec = Recorded {
            method: method.to_owned(),
            content_type: text(header::CONTENT_TYPE),
            content_length: text(header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok()),
            user_agent: text(header::USER_AGENT),
            body,
        };
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(rec);
    }

    /// The last storage request, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.as_ref().map(|r| RecordedRequest {
            method: r.method.clone(),
            content_type: r.content_type.clone(),
            content_length: r.content_length,
            user_agent: r.user_agent.clone(),
            body: r.body.to_vec(),
        })
    }

    /// Zeroes every counter and forgets the last request.
    pub fn reset(&self) {
        self.requests.store(0, Ordering::SeqCst);
        self.connections.store(0, Ordering::SeqCst);
        self.rate_limited.store(0, Ordering::SeqCst);
        *self.timeline.lock().unwrap_or_else(|e| e.into_inner()) = Timeline::default();
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
