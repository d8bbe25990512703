//! `dcams_customer` and `dcams_document`: the struct entry point's input.

use std::ffi::c_char;
use std::path::PathBuf;

use super::boundary::opt_str_arg;
use crate::client::{Customer, Document, Error, ErrorKind, Secret};

/// One document image: give either `data`/`len` (bytes in memory) or `path`
/// (a file), or neither (no image). Borrowed: libdcams reads it only during
/// the call and never frees or keeps it.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct dcams_document {
    /// Image bytes (JPEG, PNG, ...), or NULL.
    pub data: *const u8,
    /// Number of bytes at `data`; must be > 0 when `data` is set, 0 otherwise.
    pub len: usize,
    /// NUL-terminated path of an image file (read while sending), or NULL.
    pub path: *const c_char,
}

/// A customer for `dcams_client_upsert` (spec: createOrUpdateCustomer,
/// `target`). Every string is NUL-terminated UTF-8 or NULL (= not sent);
/// only `email` and `front` are required. Borrowed for the call only.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct dcams_customer {
    /// E-mail address, the record's key (required). Sent unchanged.
    pub email: *const c_char,
    /// First name.
    pub r#fn: *const c_char,
    /// Last name.
    pub ln: *const c_char,
    /// Street address.
    pub addr: *const c_char,
    /// City.
    pub city: *const c_char,
    /// State (US: two letters).
    pub state: *const c_char,
    /// Postal code.
    pub zip: *const c_char,
    /// Date of birth, `YYYYMMDD`.
    pub dob: *const c_char,
    /// Phone number, digits.
    pub phone: *const c_char,
    /// The caller's reference (top-level `reference`).
    pub reference: *const c_char,
    /// Test key for this call (`target.test_key`), overriding the client's; NULL for none.
    pub test_key: *const c_char,
    /// Front image (`documents.front`, required).
    pub front: dcams_document,
    /// Back image (`documents.back`, optional).
    pub back: dcams_document,
}

/// Reads a C customer into the Rust model, borrowing image bytes.
///
/// # Safety
/// Every non-NULL pointer in `c` is valid as documented on the types.
pub(crate) unsafe fn to_customer(c: &dcams_customer) -> Result<Customer<'_>, Error> {
    let s = |ptr: *const c_char, name: &str| -> Result<Option<String>, Error> {
        Ok(opt_str_arg(ptr, name)?.map(str::to_owned))
    };
    let email = s(c.email, "customer.email")?.ok_or_else(|| Error::validation("email", "email is required (customer.email is NULL)"))?;
    Ok(Customer {
        email,
        r#fn: s(c.r#fn, "customer.fn")?,
        ln: s(c.ln, "customer.ln")?,
        addr: s(c.addr, "customer.addr")?,
        city: s(c.city, "customer.city")?,
        state: s(c.state, "customer.state")?,
        zip: s(c.zip, "customer.zip")?,
        dob: s(c.dob, "customer.dob")?,
        phone: s(c.phone, "customer.phone")?,
        reference: s(c.reference, "customer.reference")?,
        test_key: s(c.test_key, "customer.test_key")?.map(Secret::new),
        front: to_document(&c.front, "documents.front")?,
        back: to_document(&c.back, "documents.back")?,
        extra: Default::default(),
    })
}

unsafe fn to_document<'a>(d: &'a dcams_document, field: &str) -> Result<Option<Document<'a>>, Error> {
    let invalid = |m: &str| Err(Error::new(ErrorKind::InvalidArgument, format!("{field}: {m}")));
    match (d.data.is_null(), d.path.is_null()) {
        (false, false) => invalid("set data or path, not both"),
        (false, true) => {
            if d.len == 0 {
                return Err(Error::validation(field, format!("{field} is empty (len is 0)")));
            }
            if d.len > isize::MAX as usize {
                return invalid("len is too large");
            }
            // SAFETY: the caller guarantees `data` points to `len` readable bytes.
            Ok(Some(Document::from_bytes(std::slice::from_raw_parts(d.data, d.len))))
        }
        (true, false) => {
            if d.len != 0 {
                return invalid("len is set but data is NULL");
            }
            Ok(Some(Document::Path(c_path(d.path))))
        }
        (true, true) if d.len != 0 => invalid("len is set but data is NULL"),
        (true, true) => Ok(None),
    }
}

/// A C path as the OS sees it (bytes on Unix, so non-UTF-8 names work).
unsafe fn c_path(ptr: *const c_char) -> PathBuf {
    let bytes = std::ffi::CStr::from_ptr(ptr).to_bytes();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}
