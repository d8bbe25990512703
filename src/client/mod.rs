//! The pure-Rust DCAMS storage client. Nothing here knows about C.
//!
//! - [`Config`]: endpoint, credentials, timeouts (defaults, environment, JSON).
//! - [`Client`]: the four storage services plus the JSON entry point.
//! - [`Customer`], [`Document`]: what createOrUpdateCustomer sends.
//! - [`Reply`], [`UpsertReply`], [`StatusReply`], [`ImagesReply`]: what comes back.
//! - [`Error`], [`ErrorKind`]: every failure, with stable numeric codes.

mod body;
mod call;
#[allow(clippy::module_inception)]
mod client;
mod config;
mod customer;
mod document;
mod error;
mod reply;
mod response;
mod retry;
mod transport;
pub mod validate;

pub use client::{Client, USER_AGENT};
pub use config::{
    Config, ProxySetting, Secret, DEFAULT_CONNECT_TIMEOUT, DEFAULT_ENDPOINT, DEFAULT_MAX_IDLE_CONNECTIONS, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RESPONSE_TIMEOUT, DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF, DEFAULT_SEND_TIMEOUT, DEFAULT_TIMEOUT,
};
pub use customer::{Customer, Service};
pub use document::Document;
pub use error::{Error, ErrorKind};
pub use reply::{ImagesReply, ReviewStatus, StatusReply, UpsertKind, UpsertReply};
pub use response::Reply;
