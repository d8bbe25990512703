//! `dcams_client_call_json` with arbitrary bytes as the request (cut at the
//! first NUL, as C sees it), against a dead loopback port.
//!
//! Asserts: a documented code, never 99 (DCAMS_ERR_INTERNAL), only input
//! codes or a failed connection; the result is JSON, and an error result
//! carries the same code and its name.
#![no_main]

use dcams_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let request = c_string(data);
    let mut out = std::ptr::null_mut();
    let code = unsafe { dcams_client_call_json(dead_client().0, request.as_ptr(), &mut out) };
    check_outcome(code, out);
    assert!(dead_port_code(code), "code {code} from a dead port");
});
