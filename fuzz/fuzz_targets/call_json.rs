//! `dcams_client_call_json` with arbitrary bytes as the request (cut at the
//! first NUL, as C sees it), against a dead loopback port.
//!
//! Asserts the header's rule (the kit's `service_call`: a documented code,
//! never 99, the result only on success, an error JSON with the same code
//! and name otherwise) and only input codes or a failed connection.
#![no_main]

use dcams_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let out = must(dead_client().call_json(&c_string(data)));
    assert!(dead_port_code(out.code), "code {} from a dead port", out.code);
});
