//! `dcams_images`: decoded document images owned by the caller.

use super::boundary::guard;

/// Decoded images from `dcams_client_get_document_images`. Owned by the
/// caller; free the whole struct (buffers included) with `dcams_images_free`.
/// A side that was not stored has a NULL pointer and length 0.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct dcams_images {
    /// Front image bytes, exactly as stored.
    pub front: *mut u8,
    /// Length of `front` in bytes.
    pub front_len: usize,
    /// Back image bytes, or NULL.
    pub back: *mut u8,
    /// Length of `back` in bytes.
    pub back_len: usize,
}

fn into_raw(bytes: Option<Vec<u8>>) -> (*mut u8, usize) {
    match bytes {
        Some(v) if !v.is_empty() => {
            let len = v.len();
            (Box::into_raw(v.into_boxed_slice()).cast::<u8>(), len)
        }
        _ => (std::ptr::null_mut(), 0),
    }
}

unsafe fn free_raw(ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        // SAFETY: made by `into_raw` from a boxed slice of exactly `len` bytes.
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
    }
}

/// Boxes decoded images for C.
pub(crate) fn new_images(front: Option<Vec<u8>>, back: Option<Vec<u8>>) -> *mut dcams_images {
    let (front, front_len) = into_raw(front);
    let (back, back_len) = into_raw(back);
    Box::into_raw(Box::new(dcams_images { front, front_len, back, back_len }))
}

/// Frees images returned by `dcams_client_get_document_images`, buffers
/// included. NULL is harmless; freeing twice is undefined behaviour.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_images_free(images: *mut dcams_images) {
    if images.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: per the contract, `images` came from `new_images`.
        let b = unsafe { Box::from_raw(images) };
        unsafe {
            free_raw(b.front, b.front_len);
            free_raw(b.back, b.back_len);
        }
    })
}
