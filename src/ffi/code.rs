//! `dcams_code`: the result of every call.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use super::boundary::guard;
use crate::client::ErrorKind;

/// Result code of every `dcams_*` call. Values are stable and never reused;
/// they equal the Rust `ErrorKind::code()` numbers.
///
/// Ranges: 0 success; 1-19 input problems found before any network traffic;
/// 20-39 answers from the service, by HTTP status; 40-59 transport and
/// response problems; 99 internal.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum dcams_code {
    /// Success.
    DCAMS_OK = 0,
    /// A required pointer argument was NULL.
    DCAMS_ERR_NULL_ARGUMENT = 1,
    /// An argument is unusable (e.g. a document with both `data` and `path`, or `len` without `data`).
    DCAMS_ERR_INVALID_ARGUMENT = 2,
    /// A string argument is not valid UTF-8.
    DCAMS_ERR_INVALID_UTF8 = 3,
    /// A JSON argument is not valid JSON or not of the documented shape.
    DCAMS_ERR_INVALID_JSON = 4,
    /// The customer failed validation before sending; the result's `field` names the field.
    DCAMS_ERR_VALIDATION = 5,
    /// Unusable configuration (bad endpoint, plain HTTP to a non-loopback host, no credentials).
    DCAMS_ERR_CONFIG = 6,
    /// A document image file could not be opened or read.
    DCAMS_ERR_FILE = 7,
    /// HTTP 400 from the service (e.g. "The email address is invalid", "Missing a required input").
    DCAMS_ERR_BAD_REQUEST = 20,
    /// HTTP 401: bad credentials ("Either your username or password is incorrect", or code AUTH0).
    DCAMS_ERR_UNAUTHORIZED = 21,
    /// HTTP 403: user not active / not allowed.
    DCAMS_ERR_FORBIDDEN = 22,
    /// HTTP 404: "The email address was not found".
    DCAMS_ERR_NOT_FOUND = 23,
    /// HTTP 413: request body too large for the server.
    DCAMS_ERR_PAYLOAD_TOO_LARGE = 24,
    /// HTTP 429: too many requests (retryable).
    DCAMS_ERR_RATE_LIMITED = 25,
    /// HTTP 5xx from the service or a gateway (retryable).
    DCAMS_ERR_SERVER_ERROR = 26,
    /// HTTP 200 whose body says `"result":"Error"`.
    DCAMS_ERR_SERVICE_ERROR = 27,
    /// Any other non-success HTTP status.
    DCAMS_ERR_HTTP = 29,
    /// Connection failed or broke: DNS, refused, reset (retryable).
    DCAMS_ERR_TRANSPORT = 40,
    /// TLS handshake or certificate verification failed.
    DCAMS_ERR_TLS = 41,
    /// A timeout expired; the message names the phase (retryable).
    DCAMS_ERR_TIMEOUT = 42,
    /// The response could not be understood (not JSON, truncated, too large, bad UTF-8).
    DCAMS_ERR_BAD_RESPONSE = 43,
    /// The service answered with a redirect, which is never followed.
    DCAMS_ERR_REDIRECT = 44,
    /// A bug in libdcams (e.g. a caught panic). Please report it.
    DCAMS_ERR_INTERNAL = 99,
}

impl From<ErrorKind> for dcams_code {
    fn from(kind: ErrorKind) -> dcams_code {
        use dcams_code::*;
        match kind {
            ErrorKind::NullArgument => DCAMS_ERR_NULL_ARGUMENT,
            ErrorKind::InvalidArgument => DCAMS_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidUtf8 => DCAMS_ERR_INVALID_UTF8,
            ErrorKind::InvalidJson => DCAMS_ERR_INVALID_JSON,
            ErrorKind::Validation => DCAMS_ERR_VALIDATION,
            ErrorKind::Config => DCAMS_ERR_CONFIG,
            ErrorKind::File => DCAMS_ERR_FILE,
            ErrorKind::BadRequest => DCAMS_ERR_BAD_REQUEST,
            ErrorKind::Unauthorized => DCAMS_ERR_UNAUTHORIZED,
            ErrorKind::Forbidden => DCAMS_ERR_FORBIDDEN,
            ErrorKind::NotFound => DCAMS_ERR_NOT_FOUND,
            ErrorKind::PayloadTooLarge => DCAMS_ERR_PAYLOAD_TOO_LARGE,
            ErrorKind::RateLimited => DCAMS_ERR_RATE_LIMITED,
            ErrorKind::ServerError => DCAMS_ERR_SERVER_ERROR,
            ErrorKind::ServiceError => DCAMS_ERR_SERVICE_ERROR,
            ErrorKind::Http => DCAMS_ERR_HTTP,
            ErrorKind::Transport => DCAMS_ERR_TRANSPORT,
            ErrorKind::Tls => DCAMS_ERR_TLS,
            ErrorKind::Timeout => DCAMS_ERR_TIMEOUT,
            ErrorKind::BadResponse => DCAMS_ERR_BAD_RESPONSE,
            ErrorKind::Redirect => DCAMS_ERR_REDIRECT,
            ErrorKind::Internal => DCAMS_ERR_INTERNAL,
            #[allow(unreachable_patterns)]
            _ => DCAMS_ERR_INTERNAL,
        }
    }
}

/// The symbolic name of a result code, e.g. `"DCAMS_ERR_NOT_FOUND"`;
/// `"DCAMS_ERR_UNKNOWN"` for a number that is not a code.
///
/// Returns a static string: never free it. Thread-safe. Never fails.
#[no_mangle]
pub extern "C" fn dcams_code_name(code: i32) -> *const c_char {
    guard(c"DCAMS_ERR_UNKNOWN".as_ptr(), || code_name(code))
}

fn code_name(code: i32) -> *const c_char {
    static NAMES: OnceLock<Vec<(i32, CString)>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let mut v = vec![(0, c"DCAMS_OK".to_owned())];
        v.extend(ErrorKind::ALL.iter().filter_map(|k| Some((k.code(), CString::new(k.name()).ok()?))));
        v
    });
    names
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(c"DCAMS_ERR_UNKNOWN".as_ptr(), |(_, name)| name.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn ffi_codes_match_rust_kinds() {
        for kind in ErrorKind::ALL {
            assert_eq!(dcams_code::from(kind) as i32, kind.code(), "{kind:?}");
            let name = unsafe { CStr::from_ptr(dcams_code_name(kind.code())) };
            assert_eq!(name.to_str().unwrap(), kind.name());
        }
        assert_eq!(unsafe { CStr::from_ptr(dcams_code_name(0)) }.to_str().unwrap(), "DCAMS_OK");
        assert_eq!(unsafe { CStr::from_ptr(dcams_code_name(12345)) }.to_str().unwrap(), "DCAMS_ERR_UNKNOWN");
    }
}
