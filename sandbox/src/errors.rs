//! Builders for the two documented error shapes (spec section *Errors*).
//!
//! * storage shape: `{"result":"Error","message":"…"}`
//! * platform shape: `{"meta":{"timestamp":"YYYY-MM-DDTHH:MM:SS"},"error":{"message":"…","code":"…"}}`
//!
//! Every builder returns the HTTP status together with the body, as the
//! services and the envelope check answer with `(StatusCode, Value)`.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::config::ErrorStyle;

/// An answer of the storage endpoint: HTTP status and JSON body.
pub(crate) type Answer = (StatusCode, Value);

/// Storage-shape message for bad credentials (401).
pub(crate) const MSG_BAD_CREDENTIALS: &str = "Either your username or password is incorrect";
/// Storage-shape message for a required field that is absent or empty (400).
pub(crate) const MSG_MISSING_INPUT: &str = "Missing a required input";
/// Storage-shape (and platform `QRY2`) message for a bad e-mail (400).
pub(crate) const MSG_INVALID_EMAIL: &str = "The email address is invalid";
/// Storage-shape message for an unknown customer (404).
pub(crate) const MSG_EMAIL_NOT_FOUND: &str = "The email address was not found";

/// `{"result":"Error","message":message}`.
pub(crate) fn storage_body(message: &str) -> Value {
    json!({ "result": "Error", "message": message })
}

/// `{"meta":{"timestamp":now},"error":{"message":message,"code":code}}`.
pub(crate) fn platform_body(code: &str, message: &str) -> Value {
    json!({
        "meta": { "timestamp": utc_timestamp(SystemTime::now()) },
        "error": { "message": message, "code": code }
    })
}

/// 400 `IN0` "No request body" (platform shape, both styles).
pub(crate) fn no_body() -> Answer {
    (StatusCode::BAD_REQUEST, platform_body("IN0", "No request body"))
}

/// 400 `IN1` "Request body is not valid JSON" (platform shape, both styles).
pub(crate) fn invalid_json() -> Answer {
    (StatusCode::BAD_REQUEST, platform_body("IN1", "Request body is not valid JSON"))
}

/// 401 for bad credentials or an unknown test key: storage message or `AUTH0` "Bad Login".
pub(crate) fn bad_login(style: ErrorStyle) -> Answer {
    let body = match style {
        ErrorStyle::Storage => storage_body(MSG_BAD_CREDENTIALS),
        ErrorStyle::Platform => platform_body("AUTH0", "Bad Login"),
    };
    (StatusCode::UNAUTHORIZED, body)
}

/// 400 for a request without a `target` object: storage "Missing a required input" or `QRY0`.
pub(crate) fn no_target(style: ErrorStyle) -> Answer {
    let body = match style {
        ErrorStyle::Storage => storage_body(MSG_MISSING_INPUT),
        ErrorStyle::Platform => platform_body("QRY0", "No target"),
    };
    (StatusCode::BAD_REQUEST, body)
}

/// 400 for an absent or empty required field: storage "Missing a required input" or `QRY1`.
pub(crate) fn missing_input(style: ErrorStyle) -> Answer {
    let body = match style {
        ErrorStyle::Storage => storage_body(MSG_MISSING_INPUT),
        ErrorStyle::Platform => platform_body("QRY1", MSG_MISSING_INPUT),
    };
    (StatusCode::BAD_REQUEST, body)
}

/// 400 for a syntactically invalid e-mail: storage message or `QRY2` with the same message.
pub(crate) fn invalid_email(style: ErrorStyle) -> Answer {
    let body = match style {
        ErrorStyle::Storage => storage_body(MSG_INVALID_EMAIL),
        ErrorStyle::Platform => platform_body("QRY2", MSG_INVALID_EMAIL),
    };
    (StatusCode::BAD_REQUEST, body)
}

/// 400 `QRY2` (input failed validation) with `message`, platform shape in both styles.
pub(crate) fn validation(message: &str) -> Answer {
    (StatusCode::BAD_REQUEST, platform_body("QRY2", message))
}

/// 404 "The email address was not found", storage shape in both styles (the
/// only shape in which the spec documents it).
pub(crate) fn email_not_found() -> Answer {
    (StatusCode::NOT_FOUND, storage_body(MSG_EMAIL_NOT_FOUND))
}

/// Formats `t` as UTC ISO 8601 to the second without zone designator, the
/// form of the platform shape's `meta.timestamp` (e.g. `2019-10-21T13:06:12`).
pub(crate) fn utc_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Proleptic Gregorian date of `days` since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamp_matches_the_documented_example() {
        // 2019-10-21T13:06:12Z
        let t = UNIX_EPOCH + Duration::from_secs(1_571_663_172);
        assert_eq!(utc_timestamp(t), "2019-10-21T13:06:12");
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00");
        // leap day
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(utc_timestamp(t), "2000-02-29T00:00:00");
    }

    #[test]
    fn shapes() {
        let (s, b) = bad_login(ErrorStyle::Storage);
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b, json!({"result":"Error","message":MSG_BAD_CREDENTIALS}));
        let (s, b) = bad_login(ErrorStyle::Platform);
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b["error"], json!({"message":"Bad Login","code":"AUTH0"}));
        assert_eq!(b["meta"]["timestamp"].as_str().unwrap().len(), 19);
    }
}
