//! When and how long to wait before trying a call again.
//!
//! Retried: connection failures (refused, reset, DNS, connect timeout) and
//! HTTP 429, 502, 503, 504. Never: 400, 401, 403, 404, 413 or anything
//! else. Repeating is safe because every storage service is idempotent:
//! createOrUpdateCustomer is an upsert keyed by e-mail (a repeat updates the
//! record the first attempt created), the others read or set a value.

use std::time::{Duration, SystemTime};

/// What an error says about trying again automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum RetryHint {
    /// Do not retry.
    #[default]
    Never,
    /// Retry after the usual backoff.
    Backoff,
    /// Retry after the delay the server asked for (`Retry-After`).
    After(Duration),
}

/// Longest pause between two attempts, whatever the backoff says.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// The pause before attempt `attempt + 1` (`attempt` ≥ 1 failed so far):
/// `Retry-After` when given, else `base · 2^(attempt-1)` capped at 30 s,
/// with "equal jitter" (between half and all of it).
pub(crate) fn pause(hint: RetryHint, base: Duration, attempt: u32) -> Duration {
    match hint {
        RetryHint::After(d) => d,
        _ => {
            let full = base.saturating_mul(1u32 << (attempt - 1).min(16)).min(MAX_PAUSE);
            let half = full / 2;
            half + half.mul_f64(jitter())
        }
    }
}

/// A number in [0, 1), different on every call (no need for crypto quality).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Parses a `Retry-After` value: whole seconds, or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let full = base * (1 << (attempt - 1));
            for _ in 0..20 {
                let p = pause(RetryHint::Backoff, base, attempt);
                assert!(p >= full / 2 && p <= full, "attempt {attempt}: {p:?}");
            }
        }
        assert!(pause(RetryHint::Backoff, Duration::from_secs(10), 10) <= MAX_PAUSE);
        assert_eq!(pause(RetryHint::After(Duration::from_secs(3)), base, 1), Duration::from_secs(3));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 2015-10-21T07:28:00Z
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
