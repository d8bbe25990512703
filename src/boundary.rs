//! The one path every fallible export takes: panic caught, arguments read,
//! the code returned, `*out_error` set, and the value outputs written only
//! on success.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use crate::code::dcams_code;
use crate::error::Failure;
use crate::string::into_c_string;

/// Runs `f`; a panic returns `fallback` instead of unwinding into C (for the
/// exports that cannot fail).
pub(crate) fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// The shape of every fallible export. `f` reads and checks the arguments and
/// does the work; on success it returns the writes of the value outputs,
/// which run only then. Returns the code; `*out_error` (when `out_error` is
/// not NULL) becomes NULL on success and the error JSON otherwise.
pub(crate) fn export<W: FnOnce()>(out_error: *mut *mut c_char, f: impl FnOnce() -> Result<W, Failure>) -> dcams_code {
    let outcome = catch_unwind(AssertUnwindSafe(|| match f() {
        Ok(write) => {
            write();
            Ok(())
        }
        Err(failure) => Err((failure.code(), failure.to_json())),
    }));
    let (code, error) = match outcome {
        Ok(Ok(())) => (dcams_code::DCAMS_OK, None),
        Ok(Err((code, json))) => (code, Some(json)),
        Err(_) => (dcams_code::DCAMS_ERR_INTERNAL, Some(Failure::Panic.to_json())),
    };
    if !out_error.is_null() {
        // SAFETY: a non-NULL `out_error` points to writable storage for one
        // `char *`, per every export's contract.
        unsafe { *out_error = error.map_or(std::ptr::null_mut(), into_c_string) };
    }
    code
}

/// A value output: checked non-NULL up front, written only by [`Out::write`].
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// # Safety
    /// `ptr` is NULL or valid for one write of `T`.
    pub(crate) unsafe fn new(ptr: *mut T, name: &str) -> Result<Out<T>, Failure> {
        if ptr.is_null() {
            Err(Failure::null(name))
        } else {
            Ok(Out(ptr))
        }
    }

    pub(crate) fn write(self, value: T) {
        // SAFETY: checked non-NULL in `new`, valid for writes per its contract.
        unsafe { self.0.write(value) }
    }
}

/// A required string argument: NULL → `DCAMS_ERR_NULL_ARGUMENT`, bad UTF-8 → `DCAMS_ERR_INVALID_UTF8`.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    opt_str_arg(ptr, name)?.ok_or_else(|| Failure::null(name))
}

/// An optional string argument: NULL → `None`, bad UTF-8 → `DCAMS_ERR_INVALID_UTF8`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    CStr::from_ptr(ptr).to_str().map(Some).map_err(|e| {
        Failure::Argument(
            dcams_code::DCAMS_ERR_INVALID_UTF8,
            format!("{name} is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })
}

/// A required path argument, as the OS sees it (any bytes but NUL on Unix).
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn path_arg(ptr: *const c_char, name: &str) -> Result<PathBuf, Failure> {
    opt_path_arg(ptr).ok_or_else(|| Failure::null(name))
}

/// An optional path argument: NULL → `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_path_arg(ptr: *const c_char) -> Option<PathBuf> {
    if ptr.is_null() {
        return None;
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        Some(PathBuf::from(String::from_utf8_lossy(bytes).into_owned()))
    }
}

/// A required pointer argument: NULL → `DCAMS_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// `ptr` is NULL or valid for reads as `T` for `'a`.
pub(crate) unsafe fn ref_arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    ptr.as_ref().ok_or_else(|| Failure::null(name))
}

/// A versioned input struct whose first member is `uint32_t struct_size`:
/// reads the first `struct_size` bytes over a zeroed `T` (members a caller
/// built against an older header lacks stay zero = absent). `min` is the
/// smallest size ever published. A larger `struct_size` (a newer header) is
/// accepted when the members this version does not know are all zero.
///
/// # Safety
/// `ptr` is NULL or valid for reads of `struct_size` bytes; `T` is a
/// `#[repr(C)]` struct for which all-zero bytes are a valid value.
pub(crate) unsafe fn versioned_arg<T>(ptr: *const T, min: usize, name: &str, type_name: &str) -> Result<T, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    let size = ptr.cast::<u32>().read_unaligned() as usize;
    let ours = std::mem::size_of::<T>();
    if size < min {
        return Err(Failure::invalid(format!(
            "{name}->struct_size is {size}: set it to sizeof({type_name}) ({ours} in this version; use {}_INIT)",
            type_name.to_ascii_uppercase()
        )));
    }
    if size > ours {
        let tail = std::slice::from_raw_parts(ptr.cast::<u8>().add(ours), size - ours);
        if tail.iter().any(|&b| b != 0) {
            return Err(Failure::invalid(format!(
                "{name} sets members that this libdcams version ({}) does not know: {type_name} is {ours} bytes here, {size} in the caller's header",
                env!("CARGO_PKG_VERSION")
            )));
        }
    }
    let mut value = std::mem::MaybeUninit::<T>::zeroed();
    std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), value.as_mut_ptr().cast::<u8>(), size.min(ours));
    Ok(value.assume_init())
}
