//! `dcams_call`: one call's options in, and what the call did out.

use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

use dcams_client::{CallMeta, CancelToken, Request};

use crate::boundary::{export, ref_arg, Out};
use crate::code::dcams_code;
use crate::error::Failure;

/// Per-call options and metadata, for the optional `call` argument of every
/// service call. Opaque. Create with `dcams_call_new`, pass it to one call
/// at a time (it may be reused for the next one), read what the last call
/// did with `dcams_call_get_meta`, free with `dcams_call_free`.
///
/// Thread safety: the setters, `dcams_call_cancel` and `dcams_call_get_meta`
/// may run on any thread, also while a call using it runs on another; two
/// calls must not use one `dcams_call` at the same time.
#[allow(non_camel_case_types)]
pub struct dcams_call {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    timeout: Option<Duration>,
    /// Cancels the call using this handle; replaced once a call consumed a cancel.
    cancel: CancelToken,
    last: Option<(dcams_code, CallMeta)>,
}

/// What one call did: written by `dcams_call_get_meta`. Versioned: set
/// `struct_size` to `sizeof(dcams_call_meta)` (or start from
/// `DCAMS_CALL_META_INIT`); libdcams writes only the members that fit.
#[repr(C)]
#[derive(Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct dcams_call_meta {
    /// `sizeof(dcams_call_meta)` as the caller was compiled (kept as set).
    pub struct_size: u32,
    /// The code the call returned.
    pub code: dcams_code,
    /// HTTP attempts made (0: failed before any traffic; >1: retried).
    pub attempts: u32,
    /// HTTP status of the last response; 0 if none arrived.
    pub http_status: i32,
    /// Wall time of the whole call, retry pauses included, in milliseconds.
    pub elapsed_ms: u64,
    /// Size of the last request body sent (its `Content-Length`), in bytes.
    pub request_bytes: u64,
    /// Size of the last response body read, in bytes.
    pub response_bytes: u64,
    /// 1 if the last attempt reused a pooled connection, 0 if it opened a
    /// new one, -1 if not known.
    pub connection_reused: i32,
}

impl dcams_call_meta {
    /// What a call that returned `code` did, with this version's `struct_size`.
    pub(crate) fn of(code: dcams_code, meta: &CallMeta) -> dcams_call_meta {
        dcams_call_meta {
            struct_size: std::mem::size_of::<dcams_call_meta>() as u32,
            code,
            attempts: meta.attempts,
            http_status: meta.http_status.map_or(0, i32::from),
            elapsed_ms: u64::try_from(meta.elapsed.as_millis()).unwrap_or(u64::MAX),
            request_bytes: meta.request_bytes,
            response_bytes: meta.response_bytes,
            connection_reused: meta.connection_reused.map_or(-1, i32::from),
        }
    }
}

impl dcams_call {
    /// `request` with this call's options applied.
    pub(crate) fn apply<'r>(call: Option<&dcams_call>, request: Request<'r>) -> Request<'r> {
        let Some(call) = call else { return request };
        let state = call.lock();
        let request = request.with_cancel(state.cancel.clone());
        match state.timeout {
            Some(timeout) => request.with_timeout(timeout),
            None => request,
        }
    }

    /// Records the outcome of a call made with this handle. A call that
    /// returned `DCAMS_ERR_CANCELLED` consumed the cancel: the next call
    /// made with the handle starts uncancelled.
    pub(crate) fn record(call: Option<&dcams_call>, code: dcams_code, meta: CallMeta) {
        if let Some(c) = call {
            let mut state = c.lock();
            state.last = Some((code, meta));
            if code == dcams_code::DCAMS_ERR_CANCELLED {
                state.cancel = CancelToken::new();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Creates a call handle with no options set.
///
/// On `DCAMS_OK`, `*out_call` is the new handle (free it with
/// `dcams_call_free`). Errors: `DCAMS_ERR_NULL_ARGUMENT`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_call_new(out_call: *mut *mut dcams_call, out_error: *mut *mut c_char) -> dcams_code {
    export(out_error, || {
        let out = Out::new(out_call, "out_call")?;
        Ok(move || out.write(Box::into_raw(Box::new(dcams_call { state: Mutex::new(State::default()) }))))
    })
}

/// Frees a call handle. NULL is harmless; it must not be in use by a call;
/// freeing twice is undefined behaviour. Cannot fail.
#[no_mangle]
pub unsafe extern "C" fn dcams_call_free(call: *mut dcams_call) {
    if call.is_null() {
        return;
    }
    // SAFETY: per the contract, `call` came from `dcams_call_new`.
    crate::boundary::guard((), || drop(unsafe { Box::from_raw(call) }))
}

/// Gives the calls made with this handle their own deadline, in
/// milliseconds (every attempt and retry pause included), instead of the
/// client's `timeout_ms`.
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_ARGUMENT`
/// (`timeout_ms` is 0). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_call_set_timeout_ms(
    call: *mut dcams_call,
    timeout_ms: u64,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let call = ref_arg(call.cast_const(), "call")?;
        if timeout_ms == 0 {
            return Err(Failure::invalid("timeout_ms must be greater than 0"));
        }
        call.lock().timeout = Some(Duration::from_millis(timeout_ms));
        Ok(|| ())
    })
}

/// Cancels the call using this handle, from any thread: that call returns
/// `DCAMS_ERR_CANCELLED` within 100 ms, whatever it is doing (resolving,
/// connecting, the TLS handshake, sending, waiting for or reading the
/// response, pausing before a retry), and is not retried; the client stays
/// usable. If no call is using the handle, the next call made with it is
/// cancelled before any traffic. Either way the cancelled call consumes the
/// cancel: the call after it runs normally. Returns at once.
///
/// A cancel is the call's deadline arriving early: the same mechanism bounds
/// every wait of a call by `timeout_ms` (see `dcams_call_set_timeout_ms`).
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT` (`call`). Thread-safe; async-signal-safe
/// it is not (from a signal handler, set a flag and cancel from a thread).
#[no_mangle]
pub unsafe extern "C" fn dcams_call_cancel(call: *mut dcams_call, out_error: *mut *mut c_char) -> dcams_code {
    export(out_error, || {
        let call = ref_arg(call.cast_const(), "call")?;
        let token = call.lock().cancel.clone();
        token.cancel();
        Ok(|| ())
    })
}

/// What the last call made with this handle did — success or failure.
///
/// `meta->struct_size` must be set by the caller; on `DCAMS_OK` the members
/// that fit in it are written (`struct_size` is left as it is). Errors:
/// `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_ARGUMENT` (`struct_size`
/// smaller than the first version), `DCAMS_ERR_NOT_PRESENT` (no call has
/// been made with this handle yet). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_call_get_meta(
    call: *const dcams_call,
    out_meta: *mut dcams_call_meta,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let call = ref_arg(call, "call")?;
        let out = Out::new(out_meta, "out_meta")?;
        let size = out_meta.cast::<u32>().read_unaligned() as usize;
        let ours = std::mem::size_of::<dcams_call_meta>();
        if size < ours {
            return Err(Failure::invalid(format!(
                "out_meta->struct_size is {size}: set it to sizeof(dcams_call_meta) ({ours}; use DCAMS_CALL_META_INIT)"
            )));
        }
        let (code, meta) =
            call.lock().last.ok_or_else(|| Failure::not_present("no call has been made with this handle yet"))?;
        let value = dcams_call_meta { struct_size: size as u32, ..dcams_call_meta::of(code, &meta) };
        Ok(move || out.write(value))
    })
}
