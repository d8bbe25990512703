//! Owned result strings and the library version.

use std::ffi::{c_char, CString};

use super::boundary::guard;

/// Hands `text` to C as an owned string (freed by [`dcams_string_free`]).
/// Interior NUL bytes (impossible in the JSON this library produces) are
/// replaced so the whole text survives.
pub(crate) fn into_c_string(text: String) -> *mut c_char {
    let c = CString::new(text).unwrap_or_else(|e| {
        let cleaned: Vec<u8> = e.into_vec().into_iter().map(|b| if b == 0 { b' ' } else { b }).collect();
        CString::new(cleaned).unwrap_or_default()
    });
    c.into_raw()
}

/// Frees a string returned by any `dcams_*` function (result and error JSON).
///
/// `s` may be NULL (nothing happens). Passing a string that did not come from
/// libdcams, or freeing one twice, is undefined behaviour. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: per the contract, `s` came from `CString::into_raw` here.
        drop(unsafe { CString::from_raw(s) });
    })
}

/// The library version, e.g. `"0.1.0"` (equal to `DCAMS_VERSION` in the
/// header the program was compiled with, if both are the same release).
///
/// Returns a static string: never free it. Thread-safe. Never fails.
#[no_mangle]
pub extern "C" fn dcams_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_and_free() {
        let v = unsafe { CStr::from_ptr(dcams_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        unsafe { dcams_string_free(std::ptr::null_mut()) };
        let s = into_c_string("a\0b".to_owned());
        assert_eq!(unsafe { CStr::from_ptr(s) }.to_str().unwrap(), "a b");
        unsafe { dcams_string_free(s) };
    }
}
