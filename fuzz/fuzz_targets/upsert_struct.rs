//! `dcams_client_upsert` with an arbitrary `dcams_customer` (the kit's
//! `CustomerInput`), against a dead loopback port: each string NULL, empty,
//! any bytes (cut at the first NUL, so valid or invalid UTF-8) or a
//! well-formed value; each document absent, `len` without `data`, bytes (any
//! `len` up to the buffer's size, 0 included), the specimen JPEG (a prefix or
//! all of it), a path (missing, non-UTF-8, a directory, a temp file of fuzzer
//! bytes, the JPEG; `len` 0 or not), or both `data` and `path`.
//!
//! Never passes an out-of-bounds pointer: `data` always points into a buffer
//! the kit owns with `len` ≤ its size; only `data` NULL comes with an
//! arbitrary `len`.
//!
//! Asserts the header's rule, only input codes or a failed connection, and
//! that exactly the customers passing every documented check reach the network.
#![no_main]

use dcams_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: CustomerInput| {
    let mut arena = Arena::default();
    let customer = arena.customer(&input);
    let code = must(dead_client().upsert(&customer)).code;
    assert!(dead_port_code(code), "code {code} from a dead port");
    assert_eq!(code == TRANSPORT || code == TIMEOUT, customer_ok(&input), "code {code}");
});
