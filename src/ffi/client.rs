//! `dcams_client`: the client handle and every call made with it.

use std::ffi::c_char;

use super::boundary::{call, call_with_error, opt_str_arg, ref_arg, str_arg};
use super::code::dcams_code;
use super::customer::{dcams_customer, to_customer};
use super::images::{dcams_images, new_images};
use crate::client::{Client, Config, Error, ErrorKind, ImagesReply, ReviewStatus};

/// An opaque DCAMS client: configuration plus a pool of connections.
///
/// Create with `dcams_client_new`, free with `dcams_client_free`. Thread
/// safety: once created, one client may be used by any number of threads at
/// the same time (every call only reads it); only `dcams_client_free` must
/// not run concurrently with, or before the end of, another call on it.
#[allow(non_camel_case_types)]
pub struct dcams_client {
    inner: Client,
}

/// Review status values for `dcams_client_update_status` (spec: `status`).
#[repr(C)]
#[allow(non_camel_case_types, dead_code)]
pub enum dcams_status {
    /// `PASS`
    DCAMS_STATUS_PASS = 1,
    /// `PENDING`
    DCAMS_STATUS_PENDING = 2,
    /// `FAIL`
    DCAMS_STATUS_FAIL = 3,
}

/// Creates a client.
///
/// `config_json`: NULL, or a JSON object whose members override the
/// environment and the defaults (all optional; unknown members are an error):
/// - `"endpoint"`: URL (default `"https://dcams.app/v3/stable/api/storage"`,
///   env `DCAMS_ENDPOINT`); `http://` only to a loopback address;
/// - `"user"`, `"pass"`: credentials (env `DCAMS_USER`, `DCAMS_PASS`); may
///   instead be given per call in the JSON entry point;
/// - `"test_key"`: sent as `target.test_key` (env `DCAMS_TEST_KEY`);
/// - `"ca_file"`: PEM file of extra CAs, added to the platform roots (env
///   `DCAMS_CA_FILE`); `"ca_bundle"`: PEM file of the only trusted CAs (env
///   `DCAMS_CA_BUNDLE`); certificate verification is always on;
/// - `"proxy"`: `"http://[user:pass@]host:port"`, used always; `"no_proxy":
///   true`: never a proxy; otherwise `https_proxy`/`HTTPS_PROXY`, then
///   `all_proxy`/`ALL_PROXY`, minus `no_proxy`/`NO_PROXY`, never for loopback;
/// - timeouts in ms, each per attempt: `"connect_timeout_ms"` (TCP + TLS,
///   default 10000), `"send_timeout_ms"` (the body, default 120000),
///   `"response_timeout_ms"` (the headers after the body, then again the
///   response body, default 60000); and
///   `"timeout_ms"`: the whole call, retries included (default 120000);
/// - `"retries"`: retries on connection failures and HTTP 429/502/503/504
///   (default 2, 0 disables); `"retry_backoff_ms"`: first pause (default
///   250, doubled each time, with jitter; `Retry-After` wins);
/// - `"max_idle_connections"`: connections kept for reuse (default 16);
/// - `"max_response_bytes"` (default 268435456), `"check_image_format"`
///   (default true), `"danger_allow_plain_http"` (default false).
///
/// On `DCAMS_OK`, `*out_client` is the new client (free it with
/// `dcams_client_free`) and `*out_error` is set to NULL. On failure,
/// `*out_client` is NULL and, if `out_error` is not NULL, `*out_error` is an
/// error JSON string (free it with `dcams_string_free`).
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT` (`out_client` NULL),
/// `DCAMS_ERR_INVALID_UTF8`, `DCAMS_ERR_INVALID_JSON` (not an object, wrong
/// member type, unknown member), `DCAMS_ERR_CONFIG` (bad endpoint, plain
/// HTTP to a non-loopback host, zero timeout, unreadable CA file, bad proxy
/// URL, bad environment value), `DCAMS_ERR_INTERNAL`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_new(
    config_json: *const c_char,
    out_client: *mut *mut dcams_client,
    out_error: *mut *mut c_char,
) -> dcams_code {
    call_with_error(out_error, || {
        if out_client.is_null() {
            return Err(Error::new(ErrorKind::NullArgument, "out_client is NULL"));
        }
        // SAFETY: non-NULL out-parameter per the contract.
        unsafe { *out_client = std::ptr::null_mut() };
        let json = unsafe { opt_str_arg(config_json, "config_json") }?;
        let inner = Client::new(Config::from_json(json)?)?;
        unsafe { *out_client = Box::into_raw(Box::new(dcams_client { inner })) };
        Ok(())
    })
}

/// Frees a client and wipes its credentials from memory. NULL is harmless.
/// The client must not be in use by another thread; freeing twice is
/// undefined behaviour.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_free(client: *mut dcams_client) {
    if client.is_null() {
        return;
    }
    super::boundary::guard((), || {
        // SAFETY: per the contract, `client` came from `dcams_client_new`.
        drop(unsafe { Box::from_raw(client) });
    })
}

/// Sends a request given as the documented JSON body (spec: "Request
/// envelope") and waits for the answer.
///
/// `request_json`: `{"user"?, "pass"?, "service"?, "reference"?, "target":
/// {...}}`. `user`/`pass` default to the client's; `service` defaults to
/// `"createOrUpdateCustomer"` and may be any of the four storage services;
/// `target.test_key` defaults to the client's test key; unknown members pass
/// through unchanged. For createOrUpdateCustomer, `target.documents.front`
/// (required) and `back` are base64 strings; a `data:image/...;base64,`
/// prefix, line breaks and missing padding are accepted and normalised.
///
/// `*out_result` is always set (unless `out_result` is NULL): on `DCAMS_OK`
/// to the service's reply JSON, verbatim; otherwise to an error JSON
/// `{"code","name","message","field","http_status","service_message",
/// "service_code","detail","retryable","attempts"}` (`retryable`: whether a
/// later repeat can help; `attempts`: HTTP attempts made, 0 if none). Free
/// it with `dcams_string_free`.
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_UTF8`,
/// `DCAMS_ERR_INVALID_JSON`, `DCAMS_ERR_VALIDATION`, `DCAMS_ERR_CONFIG` (no
/// credentials), then any service, transport or response code (20-99); no
/// request is sent for codes below 20. Thread-safe; blocks up to the
/// client's `timeout_ms` (retries included).
#[no_mangle]
pub unsafe extern "C" fn dcams_client_call_json(
    client: *const dcams_client,
    request_json: *const c_char,
    out_result: *mut *mut c_char,
) -> dcams_code {
    call(out_result, || {
        let client = unsafe { ref_arg(client, "client") }?;
        let request = unsafe { str_arg(request_json, "request_json") }?;
        client.inner.call_json(request).map(|r| r.body)
    })
}

/// createOrUpdateCustomer from a struct (spec: "Service
/// createOrUpdateCustomer"): validates the customer, encodes the images
/// (from memory or files) while sending, and waits for the answer.
///
/// `*out_result` is always set (unless `out_result` is NULL): on `DCAMS_OK`
/// to the reply JSON (`{"result":"Success","type":"createCustomer" or
/// "updateCustomer","status","reference","customer_link","target"}`),
/// otherwise to an error JSON as for `dcams_client_call_json`. Free it with
/// `dcams_string_free`.
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_ARGUMENT` (a
/// document with both `data` and `path`, or `len` without `data`),
/// `DCAMS_ERR_INVALID_UTF8`, `DCAMS_ERR_VALIDATION` (email, dob, missing or
/// empty or unrecognised front/back), `DCAMS_ERR_FILE`, `DCAMS_ERR_CONFIG`,
/// then any service, transport or response code. Thread-safe; blocks up to
/// the client's `timeout_ms`.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_upsert(
    client: *const dcams_client,
    customer: *const dcams_customer,
    out_result: *mut *mut c_char,
) -> dcams_code {
    call(out_result, || {
        let client = unsafe { ref_arg(client, "client") }?;
        let customer = unsafe { to_customer(ref_arg(customer, "customer")?) }?;
        client.inner.upsert(&customer).map(|r| r.raw.body)
    })
}

/// getStatus (spec: "Service getStatus"): the review status and stored
/// attributes of the customer with this e-mail.
///
/// `*out_result` as for `dcams_client_call_json` (reply: `{"result",
/// "reference","status","target"}`). Errors: `DCAMS_ERR_NULL_ARGUMENT`,
/// `DCAMS_ERR_INVALID_UTF8`, `DCAMS_ERR_VALIDATION` (email),
/// `DCAMS_ERR_NOT_FOUND` (no such customer), then any service, transport or
/// response code. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_get_status(
    client: *const dcams_client,
    email: *const c_char,
    out_result: *mut *mut c_char,
) -> dcams_code {
    call(out_result, || {
        let client = unsafe { ref_arg(client, "client") }?;
        let email = unsafe { str_arg(email, "email") }?;
        client.inner.get_status(email).map(|r| r.raw.body)
    })
}

/// updateStatus (spec: "Service updateStatus"): sets the review status.
///
/// `status`: one of `dcams_status` (1 PASS, 2 PENDING, 3 FAIL); any other
/// value is `DCAMS_ERR_VALIDATION` and nothing is sent. `*out_result` as for
/// `dcams_client_call_json`; the reply carries the new status in
/// `target.status`. Errors: as `dcams_client_get_status`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_update_status(
    client: *const dcams_client,
    email: *const c_char,
    status: i32,
    out_result: *mut *mut c_char,
) -> dcams_code {
    call(out_result, || {
        let client = unsafe { ref_arg(client, "client") }?;
        let email = unsafe { str_arg(email, "email") }?;
        let status = match status {
            1 => ReviewStatus::Pass,
            2 => ReviewStatus::Pending,
            3 => ReviewStatus::Fail,
            other => {
                return Err(Error::validation("status", format!("status {other} is not DCAMS_STATUS_PASS, _PENDING or _FAIL")))
            }
        };
        client.inner.update_status(email, status).map(|r| r.raw.body)
    })
}

/// getDocumentImages (spec: "Service getDocumentImages"): the stored images,
/// decoded, plus status and attributes.
///
/// On `DCAMS_OK`, `*out_images` (if `out_images` is not NULL) is set to the
/// decoded images (free with `dcams_images_free`), and `*out_result` to
/// `{"result","reference","status","target","front_bytes","back_bytes"}`
/// (the reply without the base64 images). On failure `*out_images` is NULL
/// and `*out_result` an error JSON. Errors: as `dcams_client_get_status`,
/// plus `DCAMS_ERR_BAD_RESPONSE` for images that are not base64. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_get_document_images(
    client: *const dcams_client,
    email: *const c_char,
    out_images: *mut *mut dcams_images,
    out_result: *mut *mut c_char,
) -> dcams_code {
    if !out_images.is_null() {
        unsafe { *out_images = std::ptr::null_mut() };
    }
    call(out_result, || {
        let client = unsafe { ref_arg(client, "client") }?;
        let email = unsafe { str_arg(email, "email") }?;
        let reply = client.inner.get_document_images(email)?;
        let summary = images_summary(&reply);
        if !out_images.is_null() {
            unsafe { *out_images = new_images(reply.front, reply.back) };
        }
        Ok(summary)
    })
}

/// getDocumentImages, writing the images to files instead of memory.
///
/// `front_path` (required) receives the front image, `back_path` (may be
/// NULL) the back image; files are created or truncated. If `back_path` is
/// given but no back image is stored, an existing file at `back_path` is
/// removed (the result says `"back_bytes":0`), so no stale image survives.
/// `*out_result` as for `dcams_client_get_document_images`. Errors: as
/// `dcams_client_get_document_images`, plus `DCAMS_ERR_FILE` when a file
/// cannot be written. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_save_document_images(
    client: *const dcams_client,
    email: *const c_char,
    front_path: *const c_char,
    back_path: *const c_char,
    out_result: *mut *mut c_char,
) -> dcams_code {
    call(out_result, || {
        let client = unsafe { ref_arg(client, "client") }?;
        let email = unsafe { str_arg(email, "email") }?;
        let front_path = unsafe { str_arg(front_path, "front_path") }?;
        let back_path = unsafe { opt_str_arg(back_path, "back_path") }?;
        let reply = client.inner.get_document_images(email)?;
        reply.write_to(front_path.as_ref(), back_path.map(AsRef::as_ref))?;
        Ok(images_summary(&reply))
    })
}

fn images_summary(reply: &ImagesReply) -> String {
    serde_json::json!({
        "result": "Success",
        "reference": reply.status.reference,
        "status": reply.status.status.map(|s| s.as_str()),
        "target": reply.status.target,
        "front_bytes": reply.front.as_ref().map_or(0, Vec::len),
        "back_bytes": reply.back.as_ref().map_or(0, Vec::len),
    })
    .to_string()
}
