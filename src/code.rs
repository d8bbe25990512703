//! `dcams_code`: the result codes, and the one table from the client's
//! [`ErrorKind`] to them.

use std::ffi::{c_char, CStr};

use dcams_client::ErrorKind;

use crate::boundary::guard;

/// The result of every fallible `dcams_*` function: an `int32_t`. The
/// numbers are stable and never reused.
///
/// Ranges: 0 success; 1-19 problems with the arguments or the input, found
/// before any network traffic; 20-39 answers from the service, by HTTP
/// status; 40-59 transport and response problems; 99 a bug in libdcams.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum dcams_code {
    /// Success.
    DCAMS_OK = 0,
    /// A required pointer argument was NULL; the message names it.
    DCAMS_ERR_NULL_ARGUMENT = 1,
    /// An argument is unusable: a document with both `data` and `path`, `len`
    /// without `data`, a `struct_size` that is too small, or set members this
    /// version does not know.
    DCAMS_ERR_INVALID_ARGUMENT = 2,
    /// A string argument is not valid UTF-8.
    DCAMS_ERR_INVALID_UTF8 = 3,
    /// A JSON argument is not valid JSON or not of the documented shape; or a
    /// configuration member is unknown or of the wrong type.
    DCAMS_ERR_INVALID_JSON = 4,
    /// The customer failed validation before sending; the error's `field` names the field.
    DCAMS_ERR_VALIDATION = 5,
    /// Unusable configuration (bad endpoint, plain HTTP to a non-loopback host, no credentials).
    DCAMS_ERR_CONFIG = 6,
    /// A document image file could not be opened, read or written.
    DCAMS_ERR_FILE = 7,
    /// The value asked for is not there: no such JSON member (or it is
    /// `null`), no such image, no call made yet.
    DCAMS_ERR_NOT_PRESENT = 8,
    /// The JSON value asked for is of another type than the getter's.
    DCAMS_ERR_WRONG_TYPE = 9,
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
    /// The call was cancelled from another thread (never retried; the client stays usable).
    DCAMS_ERR_CANCELLED = 45,
    /// A bug in libdcams (a caught panic). Please report it.
    DCAMS_ERR_INTERNAL = 99,
}

impl dcams_code {
    /// Every code, in number order (for `dcams_code_name`).
    pub const ALL: [dcams_code; 26] = {
        use dcams_code::*;
        [
            DCAMS_OK,
            DCAMS_ERR_NULL_ARGUMENT,
            DCAMS_ERR_INVALID_ARGUMENT,
            DCAMS_ERR_INVALID_UTF8,
            DCAMS_ERR_INVALID_JSON,
            DCAMS_ERR_VALIDATION,
            DCAMS_ERR_CONFIG,
            DCAMS_ERR_FILE,
            DCAMS_ERR_NOT_PRESENT,
            DCAMS_ERR_WRONG_TYPE,
            DCAMS_ERR_BAD_REQUEST,
            DCAMS_ERR_UNAUTHORIZED,
            DCAMS_ERR_FORBIDDEN,
            DCAMS_ERR_NOT_FOUND,
            DCAMS_ERR_PAYLOAD_TOO_LARGE,
            DCAMS_ERR_RATE_LIMITED,
            DCAMS_ERR_SERVER_ERROR,
            DCAMS_ERR_SERVICE_ERROR,
            DCAMS_ERR_HTTP,
            DCAMS_ERR_TRANSPORT,
            DCAMS_ERR_TLS,
            DCAMS_ERR_TIMEOUT,
            DCAMS_ERR_BAD_RESPONSE,
            DCAMS_ERR_REDIRECT,
            DCAMS_ERR_CANCELLED,
            DCAMS_ERR_INTERNAL,
        ]
    };

    /// The symbolic name, e.g. `"DCAMS_ERR_NOT_FOUND"`, as a C string.
    pub fn name(self) -> &'static CStr {
        static NAMES: std::sync::OnceLock<Vec<std::ffi::CString>> = std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            // The variant's own name is the C name: written once, in the enum.
            dcams_code::ALL.iter().map(|c| std::ffi::CString::new(format!("{c:?}")).unwrap_or_default()).collect()
        });
        let index = dcams_code::ALL.iter().position(|c| *c == self).unwrap_or(0);
        names[index].as_c_str()
    }
}

impl From<ErrorKind> for dcams_code {
    /// The one table from client failures to C codes.
    fn from(kind: ErrorKind) -> dcams_code {
        use dcams_code::*;
        match kind {
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
            ErrorKind::Cancelled => DCAMS_ERR_CANCELLED,
        }
    }
}

/// The symbolic name of a result code, e.g. `"DCAMS_ERR_NOT_FOUND"`;
/// `"DCAMS_ERR_UNKNOWN"` for a number that is not a code.
///
/// Returns a static string: never free it. Cannot fail. Thread-safe.
#[no_mangle]
pub extern "C" fn dcams_code_name(code: i32) -> *const c_char {
    guard(c"DCAMS_ERR_UNKNOWN".as_ptr(), || {
        dcams_code::ALL.iter().find(|c| **c as i32 == code).map_or(c"DCAMS_ERR_UNKNOWN".as_ptr(), |c| c.name().as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_in_order_and_named_after_their_variant() {
        assert!(dcams_code::ALL.windows(2).all(|w| (w[0] as i32) < (w[1] as i32)));
        for code in dcams_code::ALL {
            let name = unsafe { CStr::from_ptr(dcams_code_name(code as i32)) }.to_str().unwrap();
            assert_eq!(name, format!("{code:?}"));
        }
        assert_eq!(unsafe { CStr::from_ptr(dcams_code_name(12345)) }.to_str().unwrap(), "DCAMS_ERR_UNKNOWN");
        assert_eq!(unsafe { CStr::from_ptr(dcams_code_name(-1)) }.to_str().unwrap(), "DCAMS_ERR_UNKNOWN");
    }
}
