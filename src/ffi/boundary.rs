//! The one path every export takes: panic catch, argument checks, result
//! code, and the out-parameter written exactly once.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::code::dcams_code;
use super::string::into_c_string;
use crate::client::{Error, ErrorKind};

/// Runs `f`; a panic returns `fallback` instead of unwinding into C.
pub(crate) fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// The standard export shape. If `out` is NULL, returns
/// `DCAMS_ERR_NULL_ARGUMENT` and runs nothing. Otherwise runs `f` (panics
/// caught) and always sets `*out`: the reply JSON on success, the error JSON
/// otherwise; returns the matching code.
pub(crate) fn call(out: *mut *mut c_char, f: impl FnOnce() -> Result<String, Error>) -> dcams_code {
    if out.is_null() {
        return dcams_code::DCAMS_ERR_NULL_ARGUMENT;
    }
    let (code, text) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(text)) => (dcams_code::DCAMS_OK, text),
        Ok(Err(e)) => (dcams_code::from(e.kind()), e.to_json()),
        Err(_) => {
            let e = Error::new(ErrorKind::Internal, "internal error: a panic was caught inside libdcams");
            (dcams_code::DCAMS_ERR_INTERNAL, e.to_json())
        }
    };
    // SAFETY: `out` is non-NULL and, per every function's contract, points to
    // writable storage for one `char *`.
    unsafe { *out = into_c_string(text) };
    code
}

/// Like [`call`], for functions whose other out-parameters the closure sets:
/// `*out` gets NULL on success and the error JSON on failure (if `out` is not NULL).
pub(crate) fn call_with_error(out_error: *mut *mut c_char, f: impl FnOnce() -> Result<(), Error>) -> dcams_code {
    let (code, text) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => (dcams_code::DCAMS_OK, None),
        Ok(Err(e)) => (dcams_code::from(e.kind()), Some(e.to_json())),
        Err(_) => {
            let e = Error::new(ErrorKind::Internal, "internal error: a panic was caught inside libdcams");
            (dcams_code::DCAMS_ERR_INTERNAL, Some(e.to_json()))
        }
    };
    if !out_error.is_null() {
        // SAFETY: non-NULL out-parameter per the function's contract.
        unsafe { *out_error = text.map_or(std::ptr::null_mut(), into_c_string) };
    }
    code
}

/// A required string argument: NULL → `NullArgument`, bad UTF-8 → `InvalidUtf8`.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    opt_str_arg(ptr, name)?.ok_or_else(|| Error::new(ErrorKind::NullArgument, format!("{name} is NULL")))
}

/// An optional string argument: NULL → `None`, bad UTF-8 → `InvalidUtf8`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map(Some)
        .map_err(|e| Error::new(ErrorKind::InvalidUtf8, format!("{name} is not valid UTF-8 (at byte {})", e.valid_up_to())))
}

/// A required pointer argument: NULL → `NullArgument`.
///
/// # Safety
/// `ptr` is NULL or valid for reads as `T` for `'a`.
pub(crate) unsafe fn ref_arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    ptr.as_ref().ok_or_else(|| Error::new(ErrorKind::NullArgument, format!("{name} is NULL")))
}
