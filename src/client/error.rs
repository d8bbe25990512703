//! Failure kinds with stable numbers, and the error value every call returns.
//!
//! Every way a call can fail maps to exactly one [`ErrorKind`]; its number
//! ([`ErrorKind::code`]) is part of the public contract (it is the C
//! `dcams_code`) and is never reused. An [`Error`] carries the whole story of
//! one failure — HTTP status, the service's own message and code, a human
//! message, the offending field — so callers never need global "last error"
//! state.

use std::fmt;

use super::retry::RetryHint;

/// What kind of failure happened. The numbers are stable and never reused.
///
/// Ranges: 1–19 input problems found before any network traffic,
/// 20–39 answers from the service (HTTP status), 40–59 transport and
/// response problems, 99 internal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A required pointer argument was NULL (C layer only).
    NullArgument,
    /// An argument is present but unusable (e.g. a document with both bytes and a path).
    InvalidArgument,
    /// A string argument is not valid UTF-8.
    InvalidUtf8,
    /// A JSON argument (request or configuration) is not valid JSON or not of the documented shape.
    InvalidJson,
    /// The customer failed validation (e-mail, `dob`, documents...); `field` names it.
    Validation,
    /// The client configuration is unusable (bad endpoint, plain HTTP to a
    /// non-loopback host, no credentials...).
    Config,
    /// A document image file could not be opened or read.
    File,
    /// HTTP 400: the service rejected the request (e.g. "The email address is invalid").
    BadRequest,
    /// HTTP 401: bad credentials (storage message or platform code `AUTH0`).
    Unauthorized,
    /// HTTP 403: the API user is not active / not allowed.
    Forbidden,
    /// HTTP 404: no customer with that e-mail.
    NotFound,
    /// HTTP 413: the request body is larger than the server accepts.
    PayloadTooLarge,
    /// HTTP 429: too many requests.
    RateLimited,
    /// HTTP 5xx: the service or a gateway in front of it failed.
    ServerError,
    /// HTTP 200 whose body says `"result":"Error"`.
    ServiceError,
    /// Any other non-success HTTP status.
    Http,
    /// The connection could not be made or broke (DNS, refused, reset).
    Transport,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// A configured timeout expired; the message names the phase.
    Timeout,
    /// The response could not be understood (not JSON, truncated, too large, bad UTF-8).
    BadResponse,
    /// The service answered with a redirect, which is never followed for a POST with credentials.
    Redirect,
    /// A bug in this library (e.g. a caught panic). Please report it.
    Internal,
}

impl ErrorKind {
    /// Every kind, in code order (for tables and tests).
    pub const ALL: [ErrorKind; 22] = [
        ErrorKind::NullArgument,
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidUtf8,
        ErrorKind::InvalidJson,
        ErrorKind::Validation,
        ErrorKind::Config,
        ErrorKind::File,
        ErrorKind::BadRequest,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::PayloadTooLarge,
        ErrorKind::RateLimited,
        ErrorKind::ServerError,
        ErrorKind::ServiceError,
        ErrorKind::Http,
        ErrorKind::Transport,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::BadResponse,
        ErrorKind::Redirect,
        ErrorKind::Internal,
    ];

    /// The stable number of this kind (the C `dcams_code` value; 0 is success).
    pub const fn code(self) -> i32 {
        match self {
            ErrorKind::NullArgument => 1,
            ErrorKind::InvalidArgument => 2,
            ErrorKind::InvalidUtf8 => 3,
            ErrorKind::InvalidJson => 4,
            ErrorKind::Validation => 5,
            ErrorKind::Config => 6,
            ErrorKind::File => 7,
            ErrorKind::BadRequest => 20,
            ErrorKind::Unauthorized => 21,
            ErrorKind::Forbidden => 22,
            ErrorKind::NotFound => 23,
            ErrorKind::PayloadTooLarge => 24,
            ErrorKind::RateLimited => 25,
            ErrorKind::ServerError => 26,
            ErrorKind::ServiceError => 27,
            ErrorKind::Http => 29,
            ErrorKind::Transport => 40,
            ErrorKind::Tls => 41,
            ErrorKind::Timeout => 42,
            ErrorKind::BadResponse => 43,
            ErrorKind::Redirect => 44,
            ErrorKind::Internal => 99,
        }
    }

    /// The stable symbolic name, as in the C header (`DCAMS_ERR_...`).
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::NullArgument => "DCAMS_ERR_NULL_ARGUMENT",
            ErrorKind::InvalidArgument => "DCAMS_ERR_INVALID_ARGUMENT",
            ErrorKind::InvalidUtf8 => "DCAMS_ERR_INVALID_UTF8",
            ErrorKind::InvalidJson => "DCAMS_ERR_INVALID_JSON",
            ErrorKind::Validation => "DCAMS_ERR_VALIDATION",
            ErrorKind::Config => "DCAMS_ERR_CONFIG",
            ErrorKind::File => "DCAMS_ERR_FILE",
            ErrorKind::BadRequest => "DCAMS_ERR_BAD_REQUEST",
            ErrorKind::Unauthorized => "DCAMS_ERR_UNAUTHORIZED",
            ErrorKind::Forbidden => "DCAMS_ERR_FORBIDDEN",
            ErrorKind::NotFound => "DCAMS_ERR_NOT_FOUND",
            ErrorKind::PayloadTooLarge => "DCAMS_ERR_PAYLOAD_TOO_LARGE",
            ErrorKind::RateLimited => "DCAMS_ERR_RATE_LIMITED",
            ErrorKind::ServerError => "DCAMS_ERR_SERVER_ERROR",
            ErrorKind::ServiceError => "DCAMS_ERR_SERVICE_ERROR",
            ErrorKind::Http => "DCAMS_ERR_HTTP",
            ErrorKind::Transport => "DCAMS_ERR_TRANSPORT",
            ErrorKind::Tls => "DCAMS_ERR_TLS",
            ErrorKind::Timeout => "DCAMS_ERR_TIMEOUT",
            ErrorKind::BadResponse => "DCAMS_ERR_BAD_RESPONSE",
            ErrorKind::Redirect => "DCAMS_ERR_REDIRECT",
            ErrorKind::Internal => "DCAMS_ERR_INTERNAL",
        }
    }

    /// The kind with this stable number, if any.
    pub fn from_code(code: i32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether repeating the same call later can help (transient failures:
    /// transport, timeout, 429, 5xx). Input and credential problems never are.
    pub const fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::RateLimited
                | ErrorKind::ServerError
        )
    }

    /// The kind an HTTP error status maps to (400→BadRequest, 401→Unauthorized, ...).
    pub const fn from_http_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            413 => ErrorKind::PayloadTooLarge,
            429 => ErrorKind::RateLimited,
            300..=399 => ErrorKind::Redirect,
            500..=599 => ErrorKind::ServerError,
            _ => ErrorKind::Http,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One failure, with everything known about it.
///
/// Never contains the password, a test key or image data: messages are built
/// from field names, HTTP statuses and the service's own error texts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

/// The error's contents, boxed so that `Result<T, Error>` stays one pointer wide.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    field: Option<String>,
    http_status: Option<u16>,
    service_message: Option<String>,
    service_code: Option<String>,
    detail: Option<String>,
    attempts: u32,
    retry: RetryHint,
}

impl Error {
    /// A new error of `kind` with a human-readable `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            field: None,
            http_status: None,
            service_message: None,
            service_code: None,
            detail: None,
            attempts: 0,
            retry: RetryHint::Never,
        }))
    }

    /// A validation error about `field` (the service's field name, e.g. `dob`,
    /// `documents.front`).
    pub fn validation(field: &str, message: impl Into<String>) -> Error {
        let mut e = Error::new(ErrorKind::Validation, message);
        e.0.field = Some(field.to_owned());
        e
    }

    pub(crate) fn with_field(mut self, field: &str) -> Error {
        self.0.field = Some(field.to_owned());
        self
    }

    pub(crate) fn with_http_status(mut self, status: u16) -> Error {
        self.0.http_status = Some(status);
        self
    }

    pub(crate) fn with_service(mut self, message: Option<String>, code: Option<String>) -> Error {
        self.0.service_message = message;
        self.0.service_code = code;
        self
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.0.detail = Some(detail.into());
        self
    }

    /// Appends a sentence to the detail.
    pub(crate) fn add_detail(mut self, more: &str) -> Error {
        self.0.detail = Some(match self.0.detail.take() {
            Some(d) => format!("{d}; {more}"),
            None => more.to_owned(),
        });
        self
    }

    pub(crate) fn with_retry(mut self, retry: RetryHint) -> Error {
        self.0.retry = retry;
        self
    }

    pub(crate) fn retry_hint(&self) -> RetryHint {
        self.0.retry
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.0.attempts = attempts;
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
    /// The stable numeric code (same as `self.kind().code()`).
    pub fn code(&self) -> i32 {
        self.0.kind.code()
    }
    /// A human-readable one-line description.
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// For validation and file errors: the field at fault (`email`, `dob`, `documents.front`...).
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }
    /// The HTTP status of the response, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        self.0.http_status
    }
    /// The service's own message (`message` of either documented error shape).
    pub fn service_message(&self) -> Option<&str> {
        self.0.service_message.as_deref()
    }
    /// The platform error code (`error.code`, e.g. `AUTH0`, `QRY1`), when given.
    pub fn service_code(&self) -> Option<&str> {
        self.0.service_code.as_deref()
    }
    /// Extra detail: the platform envelope's `error.detail`, or a short note on
    /// an unexpected response.
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
    /// Whether repeating the call later can help (see [`ErrorKind::retryable`]).
    pub fn retryable(&self) -> bool {
        self.0.kind.retryable()
    }
    /// How many HTTP attempts were made (0: the call failed before any
    /// traffic; more than 1: it was retried, see [`Config::retries`](super::Config::retries)).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The error as one JSON object, the shape every binding returns:
    /// `{"code","name","message","field","http_status","service_message","service_code","detail","retryable","attempts"}`
    /// (absent values are `null`).
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "code": self.code(),
            "name": self.0.kind.name(),
            "message": self.0.message,
            "field": self.0.field,
            "http_status": self.0.http_status,
            "service_message": self.0.service_message,
            "service_code": self.0.service_code,
            "detail": self.0.detail,
            "retryable": self.retryable(),
            "attempts": self.0.attempts,
        })
        .to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind.name(), self.0.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for k in ErrorKind::ALL {
            assert!(seen.insert(k.code()), "duplicate code {}", k.code());
            assert_eq!(ErrorKind::from_code(k.code()), Some(k));
            assert!(k.name().starts_with("DCAMS_ERR_"));
        }
        assert_eq!(ErrorKind::from_code(0), None);
    }

    #[test]
    fn http_status_map() {
        assert_eq!(ErrorKind::from_http_status(400), ErrorKind::BadRequest);
        assert_eq!(ErrorKind::from_http_status(401), ErrorKind::Unauthorized);
        assert_eq!(ErrorKind::from_http_status(403), ErrorKind::Forbidden);
        assert_eq!(ErrorKind::from_http_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_http_status(413), ErrorKind::PayloadTooLarge);
        assert_eq!(ErrorKind::from_http_status(429), ErrorKind::RateLimited);
        assert_eq!(ErrorKind::from_http_status(503), ErrorKind::ServerError);
        assert_eq!(ErrorKind::from_http_status(302), ErrorKind::Redirect);
        assert_eq!(ErrorKind::from_http_status(418), ErrorKind::Http);
    }

    #[test]
    fn json_shape() {
        let e = Error::validation("dob", "dob must be YYYYMMDD");
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["code"], 5);
        assert_eq!(v["name"], "DCAMS_ERR_VALIDATION");
        assert_eq!(v["field"], "dob");
        assert_eq!(v["http_status"], serde_json::Value::Null);
        assert_eq!(v["retryable"], false);
    }
}
