//! Reading one value of a reply or error JSON without a JSON parser in C.

use std::ffi::c_char;

use serde_json::Value;

use crate::boundary::{export, str_arg, Out};
use crate::code::dcams_code;
use crate::error::Failure;
use crate::string::into_c_string;

/// The value at `pointer` in `json`; `DCAMS_ERR_NOT_PRESENT` when it is absent or `null`.
unsafe fn lookup(json: *const c_char, pointer: *const c_char) -> Result<Value, Failure> {
    let text = str_arg(json, "json")?;
    let pointer = str_arg(pointer, "pointer")?;
    let bad_escape = pointer.split('~').skip(1).any(|rest| !(rest.starts_with('0') || rest.starts_with('1')));
    if !(pointer.is_empty() || pointer.starts_with('/')) || bad_escape {
        return Err(Failure::invalid(format!(
            "pointer must be \"\" or start with '/', with '~' only as ~0 or ~1 (RFC 6901), got {pointer:?}"
        )));
    }
    let mut value: Value = serde_json::from_str(text)
        .map_err(|e| Failure::Argument(dcams_code::DCAMS_ERR_INVALID_JSON, format!("json is not valid JSON: {e}")))?;
    match value.pointer_mut(pointer).map(Value::take) {
        None | Some(Value::Null) => Err(Failure::not_present(format!("{pointer:?} is not present"))),
        Some(v) => Ok(v),
    }
}

fn wrong_type(want: &str, got: &Value) -> Failure {
    let got = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Failure::Argument(dcams_code::DCAMS_ERR_WRONG_TYPE, format!("the value is {got}, not {want}"))
}

/// The string at a JSON pointer (RFC 6901, e.g. `"/status"`,
/// `"/target/email"`, `"/service_message"`) of `json` — any reply or error
/// JSON this library returned, or any other JSON text.
///
/// On `DCAMS_OK`, `*out_value` is the string, decoded (owned: free it with
/// `dcams_string_free`). Errors: `DCAMS_ERR_NULL_ARGUMENT`,
/// `DCAMS_ERR_INVALID_UTF8`, `DCAMS_ERR_INVALID_JSON` (`json` is not JSON),
/// `DCAMS_ERR_INVALID_ARGUMENT` (`pointer` is neither empty nor starts with
/// `/`, or has a `~` that is not `~0` or `~1`), `DCAMS_ERR_NOT_PRESENT` (nothing there, or `null`),
/// `DCAMS_ERR_WRONG_TYPE` (not a string). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_json_get_string(
    json: *const c_char,
    pointer: *const c_char,
    out_value: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let out = Out::new(out_value, "out_value")?;
        match lookup(json, pointer)? {
            Value::String(s) => Ok(move || out.write(into_c_string(s))),
            other => Err(wrong_type("a string", &other)),
        }
    })
}

/// The integer at a JSON pointer of `json` (e.g. `"/http_status"`,
/// `"/attempts"`, `"/code"`), as `dcams_json_get_string`.
///
/// On `DCAMS_OK`, `*out_value` is the number. Errors: as
/// `dcams_json_get_string`; `DCAMS_ERR_WRONG_TYPE` for a value that is not
/// an integer within `int64_t`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_json_get_int64(
    json: *const c_char,
    pointer: *const c_char,
    out_value: *mut i64,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let out = Out::new(out_value, "out_value")?;
        let value = lookup(json, pointer)?;
        let n = value.as_i64().ok_or_else(|| wrong_type("an integer within int64_t", &value))?;
        Ok(move || out.write(n))
    })
}

/// The boolean at a JSON pointer of `json` (e.g. `"/retryable"`), as
/// `dcams_json_get_string`.
///
/// On `DCAMS_OK`, `*out_value` is 1 for true, 0 for false. Errors: as
/// `dcams_json_get_string`; `DCAMS_ERR_WRONG_TYPE` for a value that is not a
/// boolean. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn dcams_json_get_bool(
    json: *const c_char,
    pointer: *const c_char,
    out_value: *mut i32,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let out = Out::new(out_value, "out_value")?;
        let value = lookup(json, pointer)?;
        let b = value.as_bool().ok_or_else(|| wrong_type("a boolean", &value))?;
        Ok(move || out.write(i32::from(b)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{CStr, CString};

    fn get(json: &str, pointer: &str) -> (dcams_code, Option<String>) {
        let (json, pointer) = (CString::new(json).unwrap(), CString::new(pointer).unwrap());
        let mut value = std::ptr::null_mut();
        let code = unsafe { dcams_json_get_string(json.as_ptr(), pointer.as_ptr(), &mut value, std::ptr::null_mut()) };
        let text = (!value.is_null()).then(|| unsafe { CStr::from_ptr(value) }.to_string_lossy().into_owned());
        unsafe { crate::string::dcams_string_free(value) };
        (code, text)
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        let doc = r#"{"a/b":"slash","m~n":"tilde","t":{"e":"x"},"n":null,"k":3}"#;
        assert_eq!(get(doc, "/a~1b"), (dcams_code::DCAMS_OK, Some("slash".into())));
        assert_eq!(get(doc, "/m~0n"), (dcams_code::DCAMS_OK, Some("tilde".into())));
        assert_eq!(get(doc, "/t/e"), (dcams_code::DCAMS_OK, Some("x".into())));
        assert_eq!(get(doc, "/m~n").0, dcams_code::DCAMS_ERR_INVALID_ARGUMENT);
        assert_eq!(get(doc, "/t~").0, dcams_code::DCAMS_ERR_INVALID_ARGUMENT);
        assert_eq!(get(doc, "t").0, dcams_code::DCAMS_ERR_INVALID_ARGUMENT);
        assert_eq!(get(doc, "/n").0, dcams_code::DCAMS_ERR_NOT_PRESENT);
        assert_eq!(get(doc, "/missing").0, dcams_code::DCAMS_ERR_NOT_PRESENT);
        assert_eq!(get(doc, "/k").0, dcams_code::DCAMS_ERR_WRONG_TYPE);
        assert_eq!(get("{", "/k").0, dcams_code::DCAMS_ERR_INVALID_JSON);
    }
}
