//! The C ABI: a thin layer over [`crate::client`], exported as `dcams_*`.
//!
//! Every export follows the same rules (see `include/dcams.h`):
//! - it runs inside [`boundary::call`], so no panic crosses into C (a caught
//!   panic becomes `DCAMS_ERR_INTERNAL`);
//! - every pointer is checked; NULL gives `DCAMS_ERR_NULL_ARGUMENT`, invalid
//!   UTF-8 `DCAMS_ERR_INVALID_UTF8`, bad JSON `DCAMS_ERR_INVALID_JSON`;
//! - results are owned strings (`char *`) the caller frees with
//!   `dcams_string_free`, written through an out-parameter exactly as each
//!   function's comment says.
//!
//! One file per exported type: `code.rs` (result codes), `client.rs` (the
//! client handle and its calls), `customer.rs` (the struct entry point's
//! types), `images.rs` (decoded images), `string.rs` (strings, version).

mod boundary;
mod client;
mod code;
mod customer;
mod images;
mod string;
