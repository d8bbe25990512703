//! `dcams_client_new` with arbitrary bytes as the configuration JSON (cut at
//! the first NUL), and the Rust `Config::from_json` on the same text.
//!
//! Asserts: the code is 0, 3 (UTF-8), 4 (JSON) or 6 (config); on 0 a client
//! (freed again) and no error string; otherwise no client and an error JSON
//! with the same code; `Config::from_json` never panics and agrees.
#![no_main]

use dcams_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = c_string(data);
    // Not NULL: both must be overwritten.
    let (unset_client, unset_error) =
        (std::ptr::dangling_mut::<CClient>(), std::ptr::dangling_mut::<std::ffi::c_char>());
    let (mut client, mut error) = (unset_client, unset_error);
    let code = unsafe { dcams_client_new(text.as_ptr(), &mut client, &mut error) };
    assert!([0, 3, 4, 6].contains(&code), "code {code}");
    if code == 0 {
        assert!(!client.is_null() && client != unset_client, "no client on success");
        assert!(error.is_null(), "error string on success");
        unsafe { dcams_client_free(client) };
    } else {
        assert!(client.is_null(), "client on failure");
        assert!(error != unset_error, "error string not set");
        check_outcome(code, error);
    }
    match text.to_str() {
        Ok(s) => match dcams::Config::from_json(Some(s)) {
            Ok(_) => assert!(code == 0 || code == 6, "from_json accepted, C said {code}"),
            Err(e) => assert_eq!(e.code(), code, "from_json: {e}"),
        },
        Err(_) => assert_eq!(code, 3),
    }
});
