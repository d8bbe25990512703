//! `dcams_config`: a client configuration built member by member, without JSON.

use std::ffi::{c_char, c_void};
use std::sync::Mutex;

use dcams_client::Settings;

use crate::boundary::{export, ref_arg, str_arg, Out};
use crate::code::dcams_code;
use crate::error::Failure;
use crate::log::{dcams_log_callback, dcams_log_level};

/// A client configuration under construction: the same members as the JSON
/// configuration of `dcams_client_new`, set one at a time by name. Opaque.
///
/// Create with `dcams_config_new`, set members with `dcams_config_set_string`,
/// `dcams_config_set_int` and `dcams_config_set_bool`, make any number of
/// clients with `dcams_client_new_from_config`, then free it with
/// `dcams_config_free` (clients do not keep it). Thread safety: the setters
/// may be called from any thread, but set everything before making clients
/// from it on other threads.
#[allow(non_camel_case_types)]
pub struct dcams_config {
    pub(crate) settings: Mutex<Settings>,
}

/// Creates an empty configuration: the environment (`DCAMS_*`, proxy
/// variables) and the defaults, until members are set. Setting
/// `"environment"` to 0 makes it read no environment variable at all.
///
/// On `DCAMS_OK`, `*out_config` is the new configuration (free it with
/// `dcams_config_free`). Errors: `DCAMS_ERR_NULL_ARGUMENT` (`out_config`).
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_config_new(
    out_config: *mut *mut dcams_config,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let out = Out::new(out_config, "out_config")?;
        Ok(move || out.write(Box::into_raw(Box::new(dcams_config { settings: Mutex::new(Settings::new()) }))))
    })
}

/// Frees a configuration. NULL is harmless; freeing twice is undefined
/// behaviour. Cannot fail.
#[no_mangle]
pub unsafe extern "C" fn dcams_config_free(config: *mut dcams_config) {
    if config.is_null() {
        return;
    }
    // SAFETY: per the contract, `config` came from `dcams_config_new`.
    crate::boundary::guard((), || drop(unsafe { Box::from_raw(config) }))
}

fn with_settings(
    config: &dcams_config,
    f: impl FnOnce(&mut Settings) -> Result<(), dcams_client::Error>,
) -> Result<(), dcams_client::Error> {
    // A poisoned lock only means another setter panicked: the settings are still whole.
    let mut settings = config.settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut settings)
}

/// Sets a string member: `"endpoint"`, `"user"`, `"pass"`, `"test_key"`,
/// `"ca_file"`, `"ca_bundle"`, `"proxy"`, `"log_level"`, `"app_name"` or
/// `"app_version"` (see `dcams_client_new` for each).
/// `value` is any UTF-8 text, used as it is (quotes, backslashes and
/// non-ASCII need no escaping). A member set twice keeps the later value.
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_UTF8`,
/// `DCAMS_ERR_INVALID_JSON` (an unknown member, or one that does not take a
/// string; the message names it, never the value). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_config_set_string(
    config: *mut dcams_config,
    name: *const c_char,
    value: *const c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let config = ref_arg(config.cast_const(), "config")?;
        let name = str_arg(name, "name")?;
        let value = str_arg(value, "value")?;
        with_settings(config, |s| s.set_str(name, value))?;
        Ok(|| ())
    })
}

/// Sets an integer member: `"connect_timeout_ms"`, `"send_timeout_ms"`,
/// `"response_timeout_ms"`, `"timeout_ms"`, `"retries"`,
/// `"retry_backoff_ms"`, `"max_response_bytes"` or `"max_idle_connections"`
/// (units in the name; see `dcams_client_new`).
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_UTF8`,
/// `DCAMS_ERR_INVALID_JSON` (unknown member, not an integer member, or a
/// value out of its range, e.g. negative). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_config_set_int(
    config: *mut dcams_config,
    name: *const c_char,
    value: i64,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let config = ref_arg(config.cast_const(), "config")?;
        let name = str_arg(name, "name")?;
        with_settings(config, |s| s.set_int(name, value))?;
        Ok(|| ())
    })
}

/// Sets a boolean member (`value` 0 is false, anything else true):
/// `"environment"` (default 1; 0 reads no environment variable at all),
/// `"no_proxy"`, `"check_image_format"` or `"danger_allow_plain_http"`.
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT`, `DCAMS_ERR_INVALID_UTF8`,
/// `DCAMS_ERR_INVALID_JSON` (unknown member, or not a boolean member).
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_config_set_bool(
    config: *mut dcams_config,
    name: *const c_char,
    value: i32,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let config = ref_arg(config.cast_const(), "config")?;
        let name = str_arg(name, "name")?;
        with_settings(config, |s| s.set_bool(name, value != 0))?;
        Ok(|| ())
    })
}

/// Sends the log events of the clients made from this configuration to
/// `callback` (see `dcams_log_callback`), at `level` (one of
/// `dcams_log_level`: the events of that level and the more severe ones).
/// `callback` NULL removes a callback set before. Clients made earlier keep
/// what they were made with.
///
/// The callback runs synchronously on the thread that makes each call,
/// before the call returns, and never after it; it must not call libdcams
/// functions on the same client. `userdata` is passed to it unchanged and
/// must stay valid as long as any client made from this configuration
/// exists; with several threads making calls, the callback runs on all of
/// them and must be thread-safe. No event holds the password, a test key,
/// image bytes or a customer attribute in clear. Without a callback no event
/// is formatted at all.
///
/// Errors: `DCAMS_ERR_NULL_ARGUMENT` (`config`), `DCAMS_ERR_INVALID_ARGUMENT`
/// (`level` is not 1-5). Thread-safe, like the other setters.
#[no_mangle]
pub unsafe extern "C" fn dcams_config_set_log_callback(
    config: *mut dcams_config,
    callback: dcams_log_callback,
    userdata: *mut c_void,
    level: i32,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let config = ref_arg(config.cast_const(), "config")?;
        let level = dcams_log_level::from_number(level)
            .ok_or_else(|| Failure::invalid(format!("level {level} is not a dcams_log_level (1-5)")))?;
        with_settings(config, |s| {
            s.set_log_sink(callback.map(|cb| crate::log::sink(cb, userdata)));
            s.set_str("log_level", level.as_str())
        })?;
        Ok(|| ())
    })
}
