//! `dcams_images`: decoded document images owned by the caller, opaque.

use std::ffi::c_char;

use crate::boundary::{export, ref_arg, Out};
use crate::code::dcams_code;
use crate::error::Failure;

/// Decoded images from `dcams_client_get_document_images`, owned by the
/// caller and freed with `dcams_images_free`. Opaque: read each side with
/// `dcams_images_front` / `dcams_images_back`. Immutable, so any number of
/// threads may read one at once.
#[allow(non_camel_case_types)]
pub struct dcams_images {
    pub(crate) front: Option<Vec<u8>>,
    pub(crate) back: Option<Vec<u8>>,
}

/// Boxes decoded images for C.
pub(crate) fn new_images(front: Option<Vec<u8>>, back: Option<Vec<u8>>) -> *mut dcams_images {
    Box::into_raw(Box::new(dcams_images { front, back }))
}

unsafe fn side(
    images: *const dcams_images,
    pick: fn(&dcams_images) -> &Option<Vec<u8>>,
    name: &str,
    out_data: *mut *const u8,
    out_len: *mut usize,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let images = ref_arg(images, "images")?;
        let (data, len) = (Out::new(out_data, "out_data")?, Out::new(out_len, "out_len")?);
        let bytes =
            pick(images).as_deref().ok_or_else(|| Failure::not_present(format!("no {name} image is stored")))?;
        Ok(move || {
            data.write(bytes.as_ptr());
            len.write(bytes.len());
        })
    })
}

/// The front image (`target.documents.front`, decoded).
///
/// On `DCAMS_OK`, `*out_data` points to `*out_len` bytes owned by `images`
/// (valid until `dcams_images_free`; do not free them). Errors:
/// `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_NOT_PRESENT` (no front image was
/// stored). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_images_front(
    images: *const dcams_images,
    out_data: *mut *const u8,
    out_len: *mut usize,
    out_error: *mut *mut c_char,
) -> dcams_code {
    side(images, |i| &i.front, "front", out_data, out_len, out_error)
}

/// The back image (`target.documents.back`, decoded), as `dcams_images_front`.
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_NOT_PRESENT` (no back image
/// was stored). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_images_back(
    images: *const dcams_images,
    out_data: *mut *const u8,
    out_len: *mut usize,
    out_error: *mut *mut c_char,
) -> dcams_code {
    side(images, |i| &i.back, "back", out_data, out_len, out_error)
}

/// Frees images returned by `dcams_client_get_document_images`, buffers
/// included. NULL is harmless; freeing twice is undefined behaviour. Cannot
/// fail. Must not race with a read of the same images.
#[no_mangle]
pub unsafe extern "C" fn dcams_images_free(images: *mut dcams_images) {
    if images.is_null() {
        return;
    }
    // SAFETY: per the contract, `images` came from `new_images`.
    crate::boundary::guard((), || drop(unsafe { Box::from_raw(images) }))
}
