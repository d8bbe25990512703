//! `dcams_client_new` with arbitrary bytes as the configuration JSON (cut at
//! the first NUL), and the Rust `Config::from_json` on the same text.
//!
//! Asserts the header's rule (the kit's `new_client`: a client exactly on
//! `DCAMS_OK`, an error JSON with the same code otherwise), a code of 0, 3
//! (UTF-8), 4 (JSON) or 6 (config), and that the Rust API never panics and
//! agrees.
#![no_main]

use dcams_fuzz::dcams::client::dcams_client_free;
use dcams_fuzz::dcams::code::dcams_code;
use dcams_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = c_string(data);
    let (code, client) = must(new_client(Some(&text)));
    unsafe { dcams_client_free(client) };
    assert!([0, 3, 4, 6].contains(&code), "code {code}");
    match text.to_str() {
        Ok(s) => match dcams_client::Config::from_json(Some(s)).and_then(dcams_client::Client::new) {
            Ok(_) => assert_eq!(code, 0, "the Rust API accepted it"),
            Err(e) => assert_eq!(dcams_code::from(e.kind()) as i32, code, "{e}"),
        },
        Err(_) => assert_eq!(code, 3),
    }
});
