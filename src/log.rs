//! `dcams_log_callback` and `dcams_log_level`: a client's log events, for C.

use std::ffi::{c_char, c_void, CString};

use dcams_client::{LogLevel, LogRecord, LogSink};

/// Log levels, for `dcams_config_set_log_callback` and the callback's
/// `level` argument: a callback set at a level receives the events of that
/// level and the more severe ones.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum dcams_log_level {
    /// A call failed for a reason a repeat might cure (connection, timeout,
    /// HTTP 429 or 5xx), after its retries.
    DCAMS_LOG_ERROR = 1,
    /// An attempt failed and will be retried.
    DCAMS_LOG_WARN = 2,
    /// Each attempt, response and outcome (success or failure).
    DCAMS_LOG_INFO = 3,
    /// Connections (new or reused), TLS handshakes, request bodies sent,
    /// documents (size and SHA-256 prefix), the masked e-mail.
    DCAMS_LOG_DEBUG = 4,
    /// Name resolution, TCP connections, proxy tunnels.
    DCAMS_LOG_TRACE = 5,
}

impl dcams_log_level {
    /// The client's level for a C level number, if it is one.
    pub(crate) fn from_number(level: i32) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| *l as i32 == level)
    }
}

/// A log callback: called once per event, synchronously, on the thread
/// that made the call and before that call returns; never after it. For
/// `dcams_client_upsert_batch` "the thread that made the call" is one of
/// libdcams's batch worker threads (each record is a call of its own), and
/// every event still comes before `dcams_client_upsert_batch` returns.
///
/// - `userdata`: as given to `dcams_config_set_log_callback`;
/// - `level`: one of `dcams_log_level`;
/// - `target`: what the event is about, a NUL-terminated string:
///   `"dcams::call"`, `"dcams::attempt"`, `"dcams::connection"`,
///   `"dcams::tls"`, `"dcams::retry"` or `"dcams::document"`;
/// - `message`, `message_len`: one line of UTF-8, NUL-terminated as well
///   (`message_len` excludes the NUL): a short description, then
///   `name=value` pairs (values with spaces in double quotes), e.g.
///   `response status=200 ms=41 bytes=196`.
///
/// Both strings are valid only during the callback: copy what you keep.
/// No event ever holds the password, a test key, image bytes or a customer
/// attribute in clear (e-mails are masked: `j***@example.com`).
///
/// The callback must not call libdcams functions on the same client, must
/// not unwind (no C++ exception, no longjmp out of it), and must be
/// thread-safe when several threads make calls (or a batch runs): it runs
/// on each of them.
#[allow(non_camel_case_types)]
pub type dcams_log_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: i32,
        target: *const c_char,
        message: *const c_char,
        message_len: usize,
    ),
>;

/// The C caller's `userdata`, handed back as it was given.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);

// SAFETY: libdcams never dereferences `userdata`; it passes it to the
// callback, whose contract (thread-safe, valid while clients live) is the
// caller's, as documented on `dcams_config_set_log_callback`.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// The client's sink calling `callback` with `userdata`.
pub(crate) fn sink(
    callback: unsafe extern "C" fn(*mut c_void, i32, *const c_char, *const c_char, usize),
    userdata: *mut c_void,
) -> LogSink {
    let userdata = UserData(userdata);
    LogSink::new(move |record: &LogRecord<'_>| {
        let userdata = userdata;
        // Neither string can hold a NUL: targets are the client's constants,
        // messages its own formatting of typed values.
        let target = CString::new(record.target).unwrap_or_default();
        let message = CString::new(record.message).unwrap_or_default();
        // SAFETY: the callback's contract; both strings outlive the call.
        unsafe {
            callback(userdata.0, record.level as i32, target.as_ptr(), message.as_ptr(), message.as_bytes().len())
        };
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_the_clients() {
        use dcams_log_level::*;
        for (c, rust) in [
            (DCAMS_LOG_ERROR, LogLevel::Error),
            (DCAMS_LOG_WARN, LogLevel::Warn),
            (DCAMS_LOG_INFO, LogLevel::Info),
            (DCAMS_LOG_DEBUG, LogLevel::Debug),
            (DCAMS_LOG_TRACE, LogLevel::Trace),
        ] {
            assert_eq!(dcams_log_level::from_number(c as i32), Some(rust));
        }
        assert_eq!(dcams_log_level::from_number(0), None);
        assert_eq!(dcams_log_level::from_number(6), None);
    }
}
