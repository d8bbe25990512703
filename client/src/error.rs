//! Failure kinds, and the error value every call returns.
//!
//! Every way a call can fail maps to exactly one [`ErrorKind`]. An [`Error`]
//! carries the whole story of one failure — HTTP status, the service's own
//! message and code, a human message, the offending field, how many attempts
//! were made — so callers never need global "last error" state.

use std::fmt;

use super::meta::CallMeta;
use super::retry::RetryHint;

/// What kind of failure happened.
///
/// Not `#[non_exhaustive]` on purpose: a binding that maps every kind (the C
/// layer's result codes) must fail to compile when a kind is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
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
    /// The call was cancelled with its [`CancelToken`](super::CancelToken); never retried.
    Cancelled,
}

impl ErrorKind {
    /// Whether repeating the same call later can help (transient failures:
    /// transport, timeout, 429, 5xx). Input and credential problems never are.
    pub const fn retryable(self) -> bool {
        matches!(self, ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::RateLimited | ErrorKind::ServerError)
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
        fmt::Debug::fmt(self, f)
    }
}

/// One failure, with everything known about it.
///
/// Never contains the password, a test key or image data: messages are built
/// from field names, HTTP statuses and the service's own error texts only
/// (scrubbed of the call's secrets).
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
    meta: CallMeta,
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
            meta: CallMeta::default(),
            retry: RetryHint::Never,
        }))
    }

    /// A validation error about `field` (the service's field name, e.g. `dob`,
    /// `documents.front`).
    pub fn validation(field: &str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Validation, message).with_field(field)
    }

    /// The same error naming `field` (the service's field name) as the one at fault.
    pub fn with_field(mut self, field: &str) -> Error {
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

    pub(crate) fn with_meta(mut self, meta: CallMeta) -> Error {
        self.0.meta = meta;
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
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
        self.0.meta.attempts
    }
    /// What the failed call did: attempts, time, bytes (see [`CallMeta`]).
    pub fn meta(&self) -> &CallMeta {
        &self.0.meta
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind, self.0.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn validation_names_the_field() {
        let e = Error::validation("dob", "dob must be YYYYMMDD");
        assert_eq!((e.kind(), e.field(), e.http_status(), e.attempts()), (ErrorKind::Validation, Some("dob"), None, 0));
        assert_eq!(e.to_string(), "Validation: dob must be YYYYMMDD");
    }
}
