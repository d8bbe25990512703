//! What the sandbox observed on its storage path: request and connection
//! counters and the last request as received, for tests that check what a
//! client actually sent (headers, raw body, connection reuse).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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

/// The recorded request with its body still shared (no copy until asked for).
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    content_type: Option<String>,
    content_length: Option<u64>,
    user_agent: Option<String>,
    body: Bytes,
}

/// Counters and last request, shared by the handlers and the [`crate::Sandbox`] handle.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    requests: AtomicU64,
    connections: AtomicU64,
    last: Mutex<Option<Recorded>>,
}

impl Stats {
    /// Counts one request on the storage path (on arrival, before any check).
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
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

    /// Zeroes both counters and forgets the last request.
    pub fn reset(&self) {
        self.requests.store(0, Ordering::SeqCst);
        self.connections.store(0, Ordering::SeqCst);
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
