//! # dcams — a client for Veratad's DCAMS storage API, with a C ABI
//!
//! Stores a customer's identity record and identity-document images in DCAMS
//! with one synchronous call (`createOrUpdateCustomer`), and reads them back
//! (`getStatus`, `getDocumentImages`) or reviews them (`updateStatus`).
//!
//! - [`client`]: the pure-Rust client (use this from Rust).
//! - `ffi`: the `extern "C"` layer behind `include/dcams.h` (C, C++, Python ctypes).
//!
//! The contract is the public DCAMS storage documentation, restated in
//! `docs/dcams-storage-api.md`; its section names ("Transport", "Service
//! createOrUpdateCustomer", "Errors", ...) are cited on each item.

pub mod client;
mod ffi;

pub use client::*;
