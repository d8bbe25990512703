//! `dcams_client`: the client handle and every service call made with it.

use std::ffi::c_char;

use ::dcams_client::{CallMeta, CheckReport, Client, Config, Reply, Request, ReviewStatus, Settings};
use serde_json::json;

use crate::boundary::{export, opt_path_arg, opt_str_arg, path_arg, ref_arg, str_arg, Out};
use crate::call::dcams_call;
use crate::code::dcams_code;
use crate::config::dcams_config;
use crate::customer::{dcams_customer, to_customer};
use crate::error::Failure;
use crate::images::{dcams_images, new_images};
use crate::string::into_c_string;

/// An opaque DCAMS client: configuration plus a pool of connections.
///
/// Create with `dcams_client_new` or `dcams_client_new_from_config`, free
/// with `dcams_client_free`. Thread safety: once created, one client may be
/// used by any number of threads at the same time (every call only reads
/// it); only `dcams_client_free` must not run concurrently with, or before
/// the end of, another call on it.
#[allow(non_camel_case_types)]
pub struct dcams_client {
    pub(crate) inner: Client,
}

/// Review status values for `dcams_client_update_status` (spec: `status`):
/// the numbers of the client's `ReviewStatus`.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum dcams_status {
    /// `PASS`
    DCAMS_STATUS_PASS = 1,
    /// `PENDING`
    DCAMS_STATUS_PENDING = 2,
    /// `FAIL`
    DCAMS_STATUS_FAIL = 3,
}

fn new_client(config: Config) -> Result<*mut dcams_client, Failure> {
    Ok(Box::into_raw(Box::new(dcams_client { inner: Client::new(config)? })))
}

/// Creates a client from a JSON configuration.
///
/// `config_json`: NULL, or a JSON object whose members override the
/// environment and the defaults (all optional; unknown members are an error):
/// - `"environment"`: false to read no environment variable at all (neither
///   `DCAMS_*` nor the proxy variables; default true);
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
///   default 10000, env `DCAMS_CONNECT_TIMEOUT_MS`), `"send_timeout_ms"` (the
///   body, default 120000), `"response_timeout_ms"` (the headers after the
///   body, then again the response body, default 60000); and
///   `"timeout_ms"`: the whole call, retries included (default 120000, env
///   `DCAMS_TIMEOUT_MS`);
/// - `"retries"`: retries on connection failures and HTTP 429/502/503/504
///   (default 2, 0 disables, env `DCAMS_RETRIES`); `"retry_backoff_ms"`:
///   first pause (default 250, doubled each time, with jitter; `Retry-After`
///   wins);
/// - `"max_idle_connections"`: connections kept for reuse (default 16);
/// - `"max_response_bytes"` (default 268435456), `"check_image_format"`
///   (default true), `"danger_allow_plain_http"` (default false);
/// - `"log_level"`: `"error"`, `"warn"`, `"info"` (default), `"debug"` or
///   `"trace"`: what the log callback receives (the callback itself is set
///   with `dcams_config_set_log_callback`; JSON cannot carry it);
/// - `"app_name"`, `"app_version"`: HTTP tokens (letters, digits and
///   ``!#$%&'*+-.^_`|~``, at most 64 characters) appended to the
///   `User-Agent`: `dcams/<version> app_name/app_version`.
///
/// On `DCAMS_OK`, `*out_client` is the new client (free it with
/// `dcams_client_free`). Errors: `DCAMS_ERR_NULL_ARGUMENT` (`out_client`),
/// `DCAMS_ERR_INVALID_UTF8`, `DCAMS_ERR_INVALID_JSON` (not an object, wrong
/// member type, unknown member), `DCAMS_ERR_CONFIG` (bad endpoint, plain
/// HTTP to a non-loopback host, zero timeout, unreadable CA file, bad proxy
/// URL, bad environment value, `app_name`/`app_version` not an HTTP token). Thread-safe, but reading the environment
/// races with `setenv` in another thread: use `"environment": false` (or
/// `dcams_client_new_from_config`) where that matters.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_new(
    config_json: *const c_char,
    out_client: *mut *mut dcams_client,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let out = Out::new(out_client, "out_client")?;
        let config = match opt_str_arg(config_json, "config_json")? {
            Some(text) => Settings::from_json(text)?.config()?,
            None => Config::from_env()?,
        };
        let client = new_client(config)?;
        Ok(move || out.write(client))
    })
}

/// Creates a client from a configuration built with `dcams_config_new` and
/// its setters (no JSON needed). `config` is only read: free it when no
/// longer needed; the client does not keep it.
///
/// On `DCAMS_OK`, `*out_client` is the new client (free it with
/// `dcams_client_free`). Errors: `DCAMS_ERR_NULL_ARGUMENT`,
/// `DCAMS_ERR_CONFIG` (as `dcams_client_new`). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_new_from_config(
    config: *const dcams_config,
    out_client: *mut *mut dcams_client,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let config = ref_arg(config, "config")?;
        let out = Out::new(out_client, "out_client")?;
        let settings = config.settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let client = new_client(settings.config()?)?;
        Ok(move || out.write(client))
    })
}

/// Frees a client and wipes its credentials from memory. NULL is harmless.
/// The client must not be in use by another thread; freeing twice is
/// undefined behaviour. Cannot fail.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_free(client: *mut dcams_client) {
    if client.is_null() {
        return;
    }
    // SAFETY: per the contract, `client` came from `dcams_client_new*`.
    crate::boundary::guard((), || drop(unsafe { Box::from_raw(client) }))
}

/// The shape of every service call: [`export`] with the client argument
/// checked, and the outcome and what the call did recorded in `call` (when
/// given), success or failure. `f` gets the client and a function that
/// applies `call`'s options to a request.
unsafe fn service<W: FnOnce()>(
    client: *const dcams_client,
    call: *mut dcams_call,
    out_error: *mut *mut c_char,
    f: impl FnOnce(&Client, &Options<'_>) -> Result<(W, CallMeta), Failure>,
) -> dcams_code {
    let call = call.cast_const().as_ref();
    let mut meta = CallMeta::default();
    let code = export(out_error, || {
        let client = ref_arg(client, "client")?;
        match f(&client.inner, &|request| dcams_call::apply(call, request)) {
            Ok((write, m)) => {
                meta = m;
                Ok(write)
            }
            Err(failure) => {
                if let Failure::Client(e) = &failure {
                    meta = *e.meta();
                }
                Err(failure)
            }
        }
    });
    dcams_call::record(call, code, meta);
    code
}

/// Applies a call's options to a request.
type Options<'c> = dyn for<'r> Fn(Request<'r>) -> Request<'r> + 'c;

/// A service call whose value output is the reply JSON in `*out_result`.
unsafe fn reply_call(
    client: *const dcams_client,
    call: *mut dcams_call,
    out_result: *mut *mut c_char,
    out_error: *mut *mut c_char,
    f: impl FnOnce(&Client, &Options<'_>) -> Result<Reply, Failure>,
) -> dcams_code {
    service(client, call, out_error, |client, options| {
        let out = Out::new(out_result, "out_result")?;
        Ok(reply_out(out, f(client, options)?))
    })
}

/// The writer of `*out_result` for a reply, and the reply's metadata.
fn reply_out(out: Out<*mut c_char>, reply: Reply) -> (impl FnOnce(), CallMeta) {
    let meta = reply.meta;
    (move || out.write(into_c_string(reply.body)), meta)
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
/// `call`: NULL, or per-call options and metadata (see `dcams_call`).
///
/// On `DCAMS_OK`, `*out_result` is the service's reply JSON, verbatim (free
/// it with `dcams_string_free`; read values with `dcams_json_get_string`).
/// On failure `*out_error` (if `out_error` is not NULL) is the error JSON
/// `{"code","name","message","field","http_status","service_message",
/// "service_code","detail","retryable","attempts"}` (`retryable`: whether a
/// later repeat can help; `attempts`: HTTP attempts made, 0 if none).
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_UTF8`,
/// `DCAMS_ERR_INVALID_JSON`, `DCAMS_ERR_VALIDATION`, `DCAMS_ERR_CONFIG` (no
/// credentials), then any service, transport or response code (20-59); no
/// request is sent for codes below 20. Thread-safe; blocks up to the
/// client's `timeout_ms` (or the call's own), retries included.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_call_json(
    client: *const dcams_client,
    request_json: *const c_char,
    call: *mut dcams_call,
    out_result: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    reply_call(client, call, out_result, out_error, |client, options| {
        let request = Request::from_json(str_arg(request_json, "request_json")?)?;
        Ok(client.send(&options(request))?)
    })
}

/// createOrUpdateCustomer from a struct (spec: "Service
/// createOrUpdateCustomer"): validates the customer, encodes the images
/// (from memory or files) while sending, and waits for the answer.
///
/// `customer`: see `dcams_customer` (its `struct_size` must be set). `call`:
/// NULL, or per-call options and metadata. On `DCAMS_OK`, `*out_result` is
/// the reply JSON (`{"result":"Success","type":"createCustomer" or
/// "updateCustomer","status","reference","customer_link","target"}`; free
/// it with `dcams_string_free`). On failure `*out_error` as for
/// `dcams_client_call_json`.
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_ARGUMENT` (bad
/// `struct_size`, a document with both `data` and `path`, or `len` without
/// `data`), `DCAMS_ERR_INVALID_UTF8`, `DCAMS_ERR_VALIDATION` (email, dob,
/// missing or empty or unrecognised front/back), `DCAMS_ERR_FILE`,
/// `DCAMS_ERR_CONFIG`, then any service, transport or response code.
/// Thread-safe; blocks up to the client's `timeout_ms` (or the call's own).
#[no_mangle]
pub unsafe extern "C" fn dcams_client_upsert(
    client: *const dcams_client,
    customer: *const dcams_customer,
    call: *mut dcams_call,
    out_result: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    reply_call(client, call, out_result, out_error, |client, options| {
        let customer = to_customer(customer)?;
        Ok(client.send(&options(Request::upsert(&customer)))?)
    })
}

/// getStatus (spec: "Service getStatus"): the review status and stored
/// attributes of the customer with this e-mail.
///
/// On `DCAMS_OK`, `*out_result` is the reply JSON (`{"result","reference",
/// "status","target"}`; free it with `dcams_string_free`). Errors:
/// `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_UTF8`,
/// `DCAMS_ERR_VALIDATION` (email), `DCAMS_ERR_NOT_FOUND` (no such customer),
/// then any service, transport or response code. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_get_status(
    client: *const dcams_client,
    email: *const c_char,
    call: *mut dcams_call,
    out_result: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    reply_call(client, call, out_result, out_error, |client, options| {
        Ok(client.send(&options(Request::get_status(str_arg(email, "email")?)))?)
    })
}

/// updateStatus (spec: "Service updateStatus"): sets the review status.
///
/// `status`: one of `dcams_status` (1 PASS, 2 PENDING, 3 FAIL); any other
/// value is `DCAMS_ERR_VALIDATION` and nothing is sent. On `DCAMS_OK`,
/// `*out_result` is the reply JSON, which carries the new status in
/// `target.status`. Errors: as `dcams_client_get_status`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_update_status(
    client: *const dcams_client,
    email: *const c_char,
    status: i32,
    call: *mut dcams_call,
    out_result: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    reply_call(client, call, out_result, out_error, |client, options| {
        let email = str_arg(email, "email")?;
        Ok(client.send(&options(Request::update_status(email, ReviewStatus::try_from(status)?)))?)
    })
}

/// getDocumentImages (spec: "Service getDocumentImages"): the stored images,
/// decoded, plus status and attributes.
///
/// On `DCAMS_OK`, `*out_images` is the decoded images (read them with
/// `dcams_images_front`/`dcams_images_back`, free with `dcams_images_free`)
/// and `*out_result` the service's reply without the images: `front` and
/// `back` of `target.documents` are replaced by `front_bytes` and
/// `back_bytes` (their decoded sizes, 0 when absent); every other member,
/// `status` included, is as the service sent it (free it with
/// `dcams_string_free`). Both outputs are required (`DCAMS_ERR_NULL_ARGUMENT`
/// otherwise; to save the images without holding them, use
/// `dcams_client_save_document_images`). The reply is read as it arrives:
/// each image is decoded straight into its buffer (one decoded copy, no copy
/// of the base64). An image may be written as uploads accept it (standard
/// base64, padded or not, wrapped in lines, behind a `data:...;base64,`
/// header). Errors: as `dcams_client_get_status`, plus
/// `DCAMS_ERR_BAD_RESPONSE` for an image that is not base64 in one of those
/// forms. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_get_document_images(
    client: *const dcams_client,
    email: *const c_char,
    call: *mut dcams_call,
    out_images: *mut *mut dcams_images,
    out_result: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    service(client, call, out_error, |client, options| {
        let images_out = Out::new(out_images, "out_images")?;
        let result_out = Out::new(out_result, "out_result")?;
        let email = str_arg(email, "email")?;
        let reply = client.send_images(&options(Request::get_document_images(email)))?;
        let (front, back) = (reply.front, reply.back);
        let (write_result, meta) = reply_out(result_out, reply.raw);
        let write = move || {
            images_out.write(new_images(front, back));
            write_result();
        };
        Ok((write, meta))
    })
}

/// getDocumentImages, writing the images to files instead of memory.
///
/// `front_path` (required) receives the front image, `back_path` (may be
/// NULL) the back image. Paths are any bytes the OS accepts (UTF-8 or not).
/// The reply is read as it arrives and each image decoded straight into a
/// temporary file beside its target (constant memory, whatever the images'
/// size), renamed over the target only once the whole reply is read and
/// checked: a call that fails leaves no file behind and the targets as they
/// were. If `back_path` is given but no back image is stored, an existing
/// file at `back_path` is removed, so no stale image survives. On
/// `DCAMS_OK`, `*out_result` is the reply without the images, as for
/// `dcams_client_get_document_images`. Errors: as
/// `dcams_client_get_document_images`, plus `DCAMS_ERR_FILE` when a file
/// cannot be written. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_save_document_images(
    client: *const dcams_client,
    email: *const c_char,
    front_path: *const c_char,
    back_path: *const c_char,
    call: *mut dcams_call,
    out_result: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    reply_call(client, call, out_result, out_error, |client, options| {
        let email = str_arg(email, "email")?;
        let front = path_arg(front_path, "front_path")?;
        let back = opt_path_arg(back_path);
        Ok(client.save_images(&options(Request::get_document_images(email)), &front, back.as_deref())?)
    })
}

/// Checks, without storing anything, that calls with this client can work:
/// configuration, name resolution, TCP, the proxy's tunnel (when a proxy
/// applies), TLS and the credentials, each step timed. The method: one
/// getStatus, on a fresh connection and never retried, for
/// `dcams-check@nonexistent.invalid` (a reserved domain no customer can
/// have); the service checks the credentials (and the test key, when set)
/// before the address, so HTTP 404 means they were accepted and 401 that
/// they were rejected. getStatus stores nothing.
///
/// `call`: NULL, or per-call options (its deadline and cancellation apply
/// to the probe) and metadata. On `DCAMS_OK` — the check ran, whether or
/// not every step passed — `*out_report` is the report JSON (free it with
/// `dcams_string_free`):
/// `{"ok": bool, "code", "name", "failed_step", "hint", "error",
/// "elapsed_ms", "attempts", "steps": [{"step", "outcome", "ms",
/// "detail"}, ...]}`. `ok` is true when every step passed; otherwise `code`
/// and `name` are the failure's code (e.g. 41 `DCAMS_ERR_TLS`, 21
/// `DCAMS_ERR_UNAUTHORIZED`), `failed_step` is one of `"config"`,
/// `"resolve"`, `"connect"`, `"proxy"`, `"tls"`, `"credentials"`, `hint`
/// says what to change (`ca_file` for an unknown CA, the host and port that
/// refused, the credentials, the proxy that refused CONNECT) and `error` is
/// the error JSON. `steps` lists all six in order, each `"ok"`, `"failed"`
/// or `"skipped"`, with its time in milliseconds. No member ever holds the
/// password or the test key.
///
/// Errors (no report): `DCAMS_ERR_NULL_ARGUMENT`. Thread-safe; blocks up
/// to the client's `timeout_ms` (or the call's own).
#[no_mangle]
pub unsafe extern "C" fn dcams_client_check(
    client: *const dcams_client,
    call: *mut dcams_call,
    out_report: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    service(client, call, out_error, |client, options| {
        let out = Out::new(out_report, "out_report")?;
        let report = client.check_with(options);
        let meta = report.meta;
        let text = report_json(&report).to_string();
        Ok((move || out.write(into_c_string(text)), meta))
    })
}

/// The report JSON of `dcams_client_check`.
fn report_json(report: &CheckReport) -> serde_json::Value {
    let failure = report.error.clone().map(Failure::from);
    let code = failure.as_ref().map_or(dcams_code::DCAMS_OK, Failure::code);
    let steps: Vec<serde_json::Value> = report
        .steps
        .iter()
        .map(|s| {
            json!({
                "step": s.step.as_str(), "outcome": s.outcome.as_str(),
                "ms": u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX), "detail": s.detail,
            })
        })
        .collect();
    json!({
        "ok": report.ok(),
        "code": code as i32,
        "name": code.name().to_str().unwrap_or_default(),
        "failed_step": report.failed_step().map(|s| s.as_str()),
        "hint": report.hint,
        "error": failure.as_ref().map(Failure::to_value),
        "elapsed_ms": u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        "attempts": report.meta.attempts,
        "steps": steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_are_the_clients() {
        use dcams_status::*;
        for (c, rust) in [
            (DCAMS_STATUS_PASS, ReviewStatus::Pass),
            (DCAMS_STATUS_PENDING, ReviewStatus::Pending),
            (DCAMS_STATUS_FAIL, ReviewStatus::Fail),
        ] {
            assert_eq!(ReviewStatus::try_from(c as i32).ok(), Some(rust));
        }
    }
}
