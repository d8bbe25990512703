//! What one call did on the wire, recorded for success and failure alike.

use std::time::Duration;

/// Per-call metadata: read it from [`Reply::meta`](super::Reply::meta) on
/// success and [`Error::meta`](super::Error::meta) on failure.
///
/// Holds no request or response content, only counts and times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallMeta {
    /// HTTP attempts made (0: the call failed before any traffic; more than
    /// 1: it was retried).
    pub attempts: u32,
    /// Wall time of the whole call, validation and retry pauses included.
    pub elapsed: Duration,
    /// Size of the last attempt's request body, in bytes (its `Content-Length`).
    pub request_bytes: u64,
    /// Size of the last response body read, in bytes.
    pub response_bytes: u64,
    /// HTTP status of the last response, if one arrived.
    pub http_status: Option<u16>,
    /// Whether the last attempt reused a pooled connection (`Some(true)`),
    /// opened a new one (`Some(false)`), or this is not known (`None`).
    pub connection_reused: Option<bool>,
}
