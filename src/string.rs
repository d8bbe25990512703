//! Owned strings handed to C, and the library version.
//!
//! Every owned string is one `malloc` block (the text and its NUL), so
//! `dcams_string_free` is a plain `free`: sound whatever the caller wrote
//! into the buffer (`strtok` and the like), since nothing is re-measured.

use std::ffi::c_char;

use crate::boundary::guard;

/// Hands `text` to C as a NUL-terminated `malloc` block, freed by
/// [`dcams_string_free`]. Interior NUL bytes (impossible in the JSON this
/// library produces) are replaced by spaces so the whole text survives.
/// NULL if the allocation fails.
pub(crate) fn into_c_string(text: String) -> *mut c_char {
    let bytes = text.as_bytes();
    // SAFETY: a fresh block of len + 1 bytes, filled before it is handed out.
    unsafe {
        let p = libc::malloc(bytes.len() + 1).cast::<u8>();
        if p.is_null() {
            return std::ptr::null_mut();
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        for i in 0..bytes.len() {
            if *p.add(i) == 0 {
                *p.add(i) = b' ';
            }
        }
        *p.add(bytes.len()) = 0;
        p.cast()
    }
}

/// Frees a string returned by a `dcams_*` function (a result, a value, an
/// error JSON). NULL is harmless; the caller may have written into the
/// string (e.g. with `strtok`). Freeing a pointer that did not come from
/// libdcams, or freeing one twice, is undefined behaviour. Cannot fail.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_string_free(s: *mut c_char) {
    // SAFETY: per the contract, `s` is NULL or a block from `into_c_string`.
    guard((), || unsafe { libc::free(s.cast()) })
}

/// The library version, e.g. `"0.2.0"` (equal to `DCAMS_VERSION` in the
/// header the program was compiled with, if both are the same release).
///
/// Returns a static string: never free it. Cannot fail. Thread-safe.
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
        // A NUL written into the middle does not disturb the free.
        unsafe { *s.add(1) = 0 };
        unsafe { dcams_string_free(s) };
    }
}
