//! Turning what came back (or did not) into a [`Reply`] or an [`Error`].
//!
//! Success is HTTP 2xx with a JSON object whose `result` is not `"Error"`.
//! Failures understand both documented error shapes (spec: "Errors"):
//! `{"result":"Error","message"}` and the platform envelope
//! `{"meta":…,"error":{"message","code","detail"}}`; anything else is
//! described by status, content type and a short, redacted excerpt.

use std::io::ErrorKind as IoKind;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::cancel::Cancelled;
use super::document::FileChanged;
use super::error::{Error, ErrorKind};
use super::meta::CallMeta;
use super::retry::{parse_retry_after, RetryHint};

/// A successful answer: the HTTP status and the service's JSON body, verbatim.
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status (2xx).
    pub http_status: u16,
    /// The response body: a JSON object, exactly as the service sent it.
    pub body: String,
    /// What the call did to get it: attempts, time, bytes.
    pub meta: CallMeta,
}

impl Reply {
    /// The body parsed as JSON (a new parse each time: keep the result).
    pub fn json(&self) -> Value {
        // The body was checked to be a JSON object when the reply was made.
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// What the call did: attempts, time, bytes (see [`CallMeta`]).
    pub fn meta(&self) -> &CallMeta {
        &self.meta
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body may hold images (getDocumentImages): show its size only.
        write!(
            f,
            "Reply {{ http_status: {}, body: {} bytes, meta: {:?} }}",
            self.http_status,
            self.body.len(),
            self.meta
        )
    }
}

/// A classified success: the verbatim reply and its one parse.
pub(crate) struct Parsed {
    pub reply: Reply,
    pub object: Map<String, Value>,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The object may hold images, like the body.
        self.reply.fmt(f)
    }
}

/// A string member's text: strings as they are, other values as JSON, null as absent.
fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The response headers the client reads.
#[derive(Debug, Default, Clone)]
pub(crate) struct Head {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub location: Option<String>,
}

/// Classifies a complete response, parsing its body once. `secrets` are
/// scrubbed from any text taken from it.
pub(crate) fn classify(head: &Head, body: Vec<u8>, secrets: &[&str]) -> Result<Parsed, Error> {
    classify_body(head, body, secrets).map_err(|e| {
        let hint = match head.status {
            429 | 502 | 503 | 504 => {
                match head.retry_after.as_deref().and_then(|v| parse_retry_after(v, SystemTime::now())) {
                    Some(d) => RetryHint::After(d),
                    None => RetryHint::Backoff,
                }
            }
            _ => RetryHint::Never,
        };
        let e = e.with_retry(hint);
        match (&head.location, head.status) {
            (Some(loc), 300..=399) => e.add_detail(&format!("Location points to {}", origin_of(loc))),
            _ => e,
        }
    })
}

/// `scheme://host[:port]` of a URL (the path and query could hold secrets).
fn origin_of(url: &str) -> String {
    match url.parse::<ureq::http::Uri>() {
        Ok(u) => match (u.scheme_str(), u.authority()) {
            (Some(s), Some(a)) => format!("{s}://{}", a.as_str().rsplit('@').next().unwrap_or_default()),
            _ => "a relative path".to_owned(),
        },
        Err(_) => "an invalid URL".to_owned(),
    }
}

/// The body as a JSON object, or why it is not one (never quoting the body itself).
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.is_empty() {
        return Err("an empty body".to_owned());
    }
    let text = std::str::from_utf8(body)
        .map_err(|e| format!("a body that is not valid UTF-8 (at byte {})", e.valid_up_to()))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("a JSON body that is not an object".to_owned()),
        Err(e) => Err(format!("a body that is not valid JSON ({e})")),
    }
}

fn classify_body(head: &Head, body: Vec<u8>, secrets: &[&str]) -> Result<Parsed, Error> {
    let status = head.status;
    let success = (200..300).contains(&status);
    let object = match parse_object(&body) {
        Ok(object) => object,
        Err(what) => {
            let kind = if success { ErrorKind::BadResponse } else { ErrorKind::from_http_status(status) };
            let detail = format!(
                "content-type {}; {} bytes; excerpt: {}",
                head.content_type.as_deref().unwrap_or("(none)"),
                body.len(),
                excerpt(&body, secrets)
            );
            return Err(Error::new(kind, format!("HTTP {status} with {what}"))
                .with_http_status(status)
                .with_detail(detail));
        }
    };
    // A service could quote what it was sent, images included: scrub and cap its texts.
    let scrub = |v: Option<&Value>| text_of(v).map(|t| scrub(&t, secrets));
    if success {
        if object.get("result").and_then(Value::as_str) == Some("Error") {
            let msg = scrub(object.get("message"));
            let human = format!("HTTP {status} with result \"Error\": {}", msg.as_deref().unwrap_or("(no message)"));
            return Err(Error::new(ErrorKind::ServiceError, human).with_http_status(status).with_service(msg, None));
        }
        // Checked UTF-8 above.
        let body = String::from_utf8(body).unwrap_or_default();
        return Ok(Parsed { reply: Reply { http_status: status, body, meta: CallMeta::default() }, object });
    }
    // The platform envelope's `error` object; otherwise the storage shape's
    // `message`, or an undocumented `{"error": "text"}`.
    let (message, code, detail) = match object.get("error") {
        Some(Value::Object(p)) => (scrub(p.get("message")), scrub(p.get("code")), scrub(p.get("detail"))),
        error => (scrub(object.get("message").or(error.filter(|e| e.is_string()))), None, None),
    };
    let kind = ErrorKind::from_http_status(status);
    let mut human = format!("HTTP {status}");
    if let Some(c) = &code {
        human.push_str(&format!(" [{c}]"));
    }
    human.push_str(&format!(": {}", message.as_deref().unwrap_or("(no message)")));
    let mut err = Error::new(kind, human).with_http_status(status).with_service(message, code);
    if let Some(d) = detail {
        err = err.with_detail(d);
    }
    Err(err)
}

/// At most 120 characters of a body, printable ASCII only, secrets removed,
/// long base64-looking runs elided (they could be image data).
pub(crate) fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    let flat: String = text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { ' ' }).collect();
    let out = elide_base64(&redact(&flat, secrets));
    let mut cut: String = out.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(120).collect();
    if cut.is_empty() {
        cut.push_str("(blank)");
    }
    cut
}

/// Runs of more than 24 base64 characters (letters, digits, `+`, `/`) cut
/// to their first 24 and `…`: they could be image data.
fn elide_base64(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_alphanumeric() || c == '+' || c == '/' { run + 1 } else { 0 };
        if run <= 24 {
            out.push(c);
        } else if run == 25 {
            out.push('…');
        }
    }
    out
}

/// The longest service text (message, code, detail) an error carries, in characters.
const MAX_SERVICE_TEXT: usize = 1000;

/// A text taken from a response for an error: secrets replaced by `***`,
/// long base64 runs elided, at most [`MAX_SERVICE_TEXT`] characters (then `…`).
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = elide_base64(&redact(text, secrets));
    if let Some((cut, _)) = out.char_indices().nth(MAX_SERVICE_TEXT) {
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Replaces each non-empty secret in `text` with `***`.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s, "***");
    }
    out
}

/// Maps a transport failure to an error; `connect` and `overall` are the
/// configured deadlines, quoted in timeout messages.
pub(crate) fn transport_error(e: ureq::Error, connect: Duration, overall: Duration) -> Error {
    use ureq::Error as U;
    let e = match e {
        U::Timeout(t) => timeout_error(t, connect, overall),
        U::Io(io) => io_error(io),
        U::HostNotFound => Error::new(ErrorKind::Transport, "could not resolve the endpoint's host name"),
        U::ConnectionFailed => Error::new(ErrorKind::Transport, "could not connect to the endpoint"),
        U::Tls(m) => Error::new(ErrorKind::Tls, format!("TLS failed: {m}")),
        U::Rustls(r) => Error::new(ErrorKind::Tls, format!("TLS failed: {r}")),
        U::Pem(p) => Error::new(ErrorKind::Tls, format!("bad PEM certificate: {p}")),
        U::Protocol(p) => Error::new(ErrorKind::BadResponse, format!("the response broke the HTTP protocol: {p}")),
        U::LargeResponseHeader(size, limit) => Error::new(
            ErrorKind::BadResponse,
            format!("the response header is too big: {size} bytes, over the {limit}-byte limit"),
        ),
        U::BodyExceedsLimit(n) => {
            Error::new(ErrorKind::BadResponse, format!("the response body is larger than the {n}-byte limit"))
        }
        U::RedirectFailed | U::TooManyRedirects => {
            Error::new(ErrorKind::Redirect, "the service answered with a redirect, which is not followed")
        }
        U::BadUri(_) | U::Http(_) | U::InvalidProxyUrl => {
            Error::new(ErrorKind::Config, format!("bad request setup: {e}"))
        }
        U::StatusCode(s) => Error::new(ErrorKind::from_http_status(s), format!("HTTP {s}")).with_http_status(s),
        // A proxy that refuses CONNECT (403, 407, ...) will refuse a repeat too.
        U::ConnectProxyFailed(why) => {
            return Error::new(ErrorKind::Transport, format!("the proxy refused to connect to the endpoint: {why}"))
        }
        U::BodyStalled => Error::new(ErrorKind::Timeout, "timed out receiving the response body (it stalled)"),
        other => Error::new(ErrorKind::Transport, format!("transport failed: {other}")),
    };
    // Connection failures are retried (a connect timeout is marked so where it is made).
    if e.kind() == ErrorKind::Transport {
        e.with_retry(RetryHint::Backoff)
    } else {
        e
    }
}

/// Maps a failure while reading the response body: an early end is a
/// truncated response (`BadResponse`), the rest as [`transport_error`].
pub(crate) fn body_error(e: ureq::Error, connect: Duration, overall: Duration) -> Error {
    let truncated = match &e {
        ureq::Error::Io(io) => io.kind() == IoKind::UnexpectedEof,
        ureq::Error::Protocol(_) => true,
        _ => false,
    };
    if truncated {
        Error::new(ErrorKind::BadResponse, "the response body ended early (truncated)")
    } else {
        transport_error(e, connect, overall)
    }
}

fn timeout_error(t: ureq::Timeout, connect: Duration, overall: Duration) -> Error {
    use ureq::Timeout as T;
    let message = match t {
        // Nothing was sent yet: retried like a connection failure.
        T::Resolve | T::Connect => {
            let m = format!("timed out connecting (TCP and TLS) after {} ms", connect.as_millis());
            return Error::new(ErrorKind::Timeout, m).with_retry(RetryHint::Backoff);
        }
        T::SendRequest | T::SendBody => "timed out sending the request".to_owned(),
        T::RecvResponse => "timed out waiting for the response".to_owned(),
        T::RecvBody => "timed out receiving the response body".to_owned(),
        _ => format!("timed out: the call's overall deadline of {} ms passed", overall.as_millis()),
    };
    Error::new(ErrorKind::Timeout, message)
}

/// The error of a cancelled call.
pub(crate) fn cancelled_error() -> Error {
    Error::new(ErrorKind::Cancelled, "the call was cancelled")
}

fn io_error(io: std::io::Error) -> Error {
    // ureq wraps its own errors, and rustls's certificate errors, in io::Error.
    let Some(inner) = io.get_ref() else {
        return plain_io_error(&io);
    };
    if inner.is::<Cancelled>() {
        return cancelled_error();
    }
    if let Some(changed) = inner.downcast_ref::<FileChanged>() {
        return changed.error();
    }
    if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
        return Error::new(ErrorKind::Tls, format!("TLS failed: {tls}"));
    }
    if inner.is::<ureq::Error>() {
        if let Some(u) = io.into_inner().and_then(|b| b.downcast::<ureq::Error>().ok()) {
            return transport_error(*u, Duration::ZERO, Duration::ZERO);
        }
        return Error::new(ErrorKind::Transport, "connection failed");
    }
    plain_io_error(&io)
}

fn plain_io_error(io: &std::io::Error) -> Error {
    let kind = match io.kind() {
        IoKind::TimedOut | IoKind::WouldBlock => ErrorKind::Timeout,
        _ => ErrorKind::Transport,
    };
    Error::new(kind, format!("connection failed: {io}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16, content_type: Option<&str>) -> Head {
        Head { status, content_type: content_type.map(str::to_owned), ..Head::default() }
    }

    #[test]
    fn retry_hints_and_bad_bodies() {
        let h = Head { status: 429, retry_after: Some("2".into()), ..Head::default() };
        let e = classify(&h, Vec::new(), &[]).unwrap_err();
        assert_eq!((e.kind(), e.retry_hint()), (ErrorKind::RateLimited, RetryHint::After(Duration::from_secs(2))));
        assert_eq!(classify(&head(503, None), Vec::new(), &[]).unwrap_err().retry_hint(), RetryHint::Backoff);
        for status in [400, 401, 403, 404, 413, 500] {
            assert_eq!(
                classify(&head(status, None), Vec::new(), &[]).unwrap_err().retry_hint(),
                RetryHint::Never,
                "{status}"
            );
        }
        let bad_utf8 = classify(&head(200, None), b"{\"a\":\"\xff\"}".to_vec(), &[]).unwrap_err();
        assert!(bad_utf8.message().contains("UTF-8"), "{bad_utf8}");
        let surrogate = classify(&head(200, None), br#"{"result":"\ud800"}"#.to_vec(), &[]).unwrap_err();
        assert_eq!(surrogate.kind(), ErrorKind::BadResponse);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(classify(&head(200, None), deep.into_bytes(), &[]).unwrap_err().kind(), ErrorKind::BadResponse);
        let redirect =
            Head { status: 302, location: Some("https://user:pw@evil.example/x?pass=1".into()), ..Head::default() };
        let e = classify(&redirect, Vec::new(), &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Redirect);
        assert!(e.detail().unwrap().contains("https://evil.example") && !e.detail().unwrap().contains("pw"), "{e:?}");
    }

    #[test]
    fn storage_error_shape() {
        let e = classify(
            &head(401, Some("application/json")),
            br#"{"result":"Error","message":"Either your username or password is incorrect"}"#.to_vec(),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.http_status(), Some(401));
        assert_eq!(e.service_message(), Some("Either your username or password is incorrect"));
        assert_eq!(e.service_code(), None);
    }

    #[test]
    fn platform_error_shape() {
        let body = br#"{"meta":{"timestamp":"2019-10-21T13:06:12"},"error":{"message":"Bad Login","code":"AUTH0","detail":"x"}}"#;
        let e = classify(&head(401, None), body.to_vec(), &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.service_code(), Some("AUTH0"));
        assert_eq!(e.service_message(), Some("Bad Login"));
        assert_eq!(e.detail(), Some("x"));
        assert!(e.message().contains("AUTH0"));
    }

    #[test]
    fn undocumented_error_objects_keep_their_message() {
        let e = classify(&head(401, None), br#"{"error":"Bad Login"}"#.to_vec(), &[]).unwrap_err();
        assert_eq!((e.kind(), e.service_message()), (ErrorKind::Unauthorized, Some("Bad Login")));
        assert_eq!(e.message(), "HTTP 401: Bad Login");
        let e = classify(&head(400, None), br#"{"message":"nope","error":"also"}"#.to_vec(), &[]).unwrap_err();
        assert_eq!(e.service_message(), Some("nope"));
        let e = classify(&head(403, None), br#"{"error":17}"#.to_vec(), &[]).unwrap_err();
        assert_eq!((e.service_message(), e.message()), (None, "HTTP 403: (no message)"));
    }

    #[test]
    fn success_and_result_error() {
        let r = classify(&head(200, None), br#"{"result":"Success","type":"createCustomer"}"#.to_vec(), &[]).unwrap();
        assert_eq!(r.object["type"], "createCustomer");
        assert_eq!(r.reply.json()["type"], "createCustomer");
        let e = classify(&head(200, None), br#"{"result":"Error","message":"nope"}"#.to_vec(), &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ServiceError);
    }

    #[test]
    fn html_pages_are_described_and_redacted() {
        let html =
            b"<html><body><h1>502 Bad Gateway</h1> secretpass QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo= </body></html>"
                .to_vec();
        let e = classify(&head(502, Some("text/html")), html, &["secretpass"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ServerError);
        assert!(e.retryable());
        let d = e.detail().unwrap();
        assert!(d.contains("text/html") && d.contains("502 Bad Gateway"), "{d}");
        assert!(!d.contains("secretpass") && !d.contains("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"), "{d}");
        let e = classify(&head(200, Some("text/html")), b"<html>".to_vec(), &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadResponse);
        let e = classify(&head(200, None), Vec::new(), &[]).unwrap_err();
        assert!(e.message().contains("empty"));
    }
}
