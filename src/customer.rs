//! `dcams_customer` and `dcams_document`: the struct entry point's input,
//! both versioned by their `struct_size`.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};

use dcams_client::{Customer, Document, Error, Secret};

use crate::boundary::{opt_path_arg, opt_str_arg, versioned_arg};
use crate::error::Failure;

/// One document image: `data`/`len` (bytes in memory) or `path` (a file),
/// not both; neither means no image. Borrowed: libdcams reads it only during the call and never
/// frees or keeps it.
///
/// Versioned: set `struct_size` to `sizeof(dcams_document)` (or start from
/// `DCAMS_DOCUMENT_INIT`); members appended in later versions are read only
/// when the caller's `struct_size` covers them.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct dcams_document {
    /// `sizeof(dcams_document)` as the caller was compiled.
    pub struct_size: u32,
    /// Image bytes (JPEG, PNG, ...), or NULL.
    pub data: *const u8,
    /// Number of bytes at `data`; must be > 0 when `data` is set, 0 otherwise.
    pub len: usize,
    /// NUL-terminated path of an image file, read while sending, or NULL. Any
    /// bytes the OS accepts in a path (UTF-8 or not).
    pub path: *const c_char,
}

/// A customer for `dcams_client_upsert` (spec: createOrUpdateCustomer,
/// `target`). Every string is NUL-terminated UTF-8 or NULL (= not sent);
/// only `email` and `front` are required. Borrowed for the call only.
///
/// Versioned: set `struct_size` to `sizeof(dcams_customer)` (or start from
/// `DCAMS_CUSTOMER_INIT`). libdcams reads only the first `struct_size`
/// bytes, so a program built against an older header keeps working when
/// members are appended; it must cover at least `front`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct dcams_customer {
    /// `sizeof(dcams_customer)` as the caller was compiled.
    pub struct_size: u32,
    /// E-mail address, the record's key (required). Sent unchanged.
    pub email: *const c_char,
    /// First name (`fn`).
    pub r#fn: *const c_char,
    /// Last name (`ln`).
    pub ln: *const c_char,
    /// Street address (`addr`).
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
    /// Front image (`documents.front`, required).
    pub front: *const dcams_document,
    /// Back image (`documents.back`), or NULL.
    pub back: *const dcams_document,
    /// The caller's reference (top-level `reference`), or NULL.
    pub reference: *const c_char,
    /// Test key for this call (`target.test_key`), overriding the client's; NULL for none.
    pub test_key: *const c_char,
}

/// The smallest `dcams_customer` accepted: up to and including `front`.
pub(crate) const CUSTOMER_MIN: usize = offset_of!(dcams_customer, front) + size_of::<*const dcams_document>();
/// The smallest `dcams_document` accepted: the whole first version.
pub(crate) const DOCUMENT_MIN: usize = size_of::<dcams_document>();

/// Reads a C customer into the Rust model, borrowing image bytes.
///
/// # Safety
/// `c` is NULL or a `dcams_customer` as documented, its pointers valid.
pub(crate) unsafe fn to_customer<'a>(c: *const dcams_customer) -> Result<Customer<'a>, Failure> {
    let c = versioned_arg(c, CUSTOMER_MIN, "customer", "dcams_customer")?;
    let s = |ptr: *const c_char, name: &str| -> Result<Option<String>, Failure> {
        Ok(opt_str_arg(ptr, name)?.map(str::to_owned))
    };
    let email = s(c.email, "customer->email")?
        .ok_or_else(|| Error::validation("email", "email is required (customer->email is NULL)"))?;
    Ok(Customer {
        email,
        r#fn: s(c.r#fn, "customer->fn")?,
        ln: s(c.ln, "customer->ln")?,
        addr: s(c.addr, "customer->addr")?,
        city: s(c.city, "customer->city")?,
        state: s(c.state, "customer->state")?,
        zip: s(c.zip, "customer->zip")?,
        dob: s(c.dob, "customer->dob")?,
        phone: s(c.phone, "customer->phone")?,
        reference: s(c.reference, "customer->reference")?,
        test_key: s(c.test_key, "customer->test_key")?.map(Secret::new),
        front: to_document(c.front, "documents.front", "customer->front")?,
        back: to_document(c.back, "documents.back", "customer->back")?,
        extra: Default::default(),
    })
}

unsafe fn to_document<'a>(d: *const dcams_document, field: &str, name: &str) -> Result<Option<Document<'a>>, Failure> {
    if d.is_null() {
        return Ok(None);
    }
    let d = versioned_arg(d, DOCUMENT_MIN, name, "dcams_document")?;
    let invalid = |m: &str| Err(Failure::invalid(format!("{name}: {m}")));
    match (d.data.is_null(), d.path.is_null()) {
        (false, false) => invalid("set data or path, not both"),
        (false, true) => {
            if d.len == 0 {
                return Err(Error::validation(field, format!("{field} is empty (len is 0)")).into());
            }
            if d.len > isize::MAX as usize {
                return invalid("len is too large");
            }
            // SAFETY: the caller guarantees `data` points to `len` readable
            // bytes that outlive the call.
            Ok(Some(Document::from_bytes(std::slice::from_raw_parts(d.data, d.len))))
        }
        (true, false) if d.len != 0 => invalid("len is set but data is NULL"),
        (true, false) => Ok(opt_path_arg(d.path).map(Document::Path)),
        (true, true) if d.len != 0 => invalid("len is set but data is NULL"),
        // Neither: no image, as a NULL pointer would say.
        (true, true) => Ok(None),
    }
}
