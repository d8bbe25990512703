//! # dcams-client — the pure-Rust client for Veratad's DCAMS storage API
//!
//! Stores a customer's identity record and identity-document images in DCAMS
//! with one synchronous call (`createOrUpdateCustomer`), and reads them back
//! (`getStatus`, `getDocumentImages`) or reviews them (`updateStatus`).
//! Nothing here knows about C: the C ABI (`libdcams`, `include/dcams.h`) is
//! the `dcams` crate at the root of the repository, a thin layer over this one.
//!
//! - [`Config`], [`Settings`]: endpoint, credentials, timeouts (defaults,
//!   environment, JSON, members by name).
//! - [`Client`]: the four storage services, the JSON entry point and
//!   [`Client::send`] for any [`Request`].
//! - [`Customer`], [`Document`]: what createOrUpdateCustomer sends.
//! - [`Reply`], [`UpsertReply`], [`StatusReply`], [`ImagesReply`]: what comes
//!   back; [`CallMeta`]: what each call did on the wire.
//! - [`Client::upsert_batch`], [`BatchOptions`], [`RateLimit`]: many
//!   customers at once, with bounded concurrency, a rate limit and adaptive
//!   back-off; [`RecordResult`] per record, [`BatchSummary`] per batch.
//! - [`Error`], [`ErrorKind`]: every failure; [`CancelToken`]: cancels a call from another thread.
//! - [`Client::check`] and its [`CheckReport`]: credentials and
//!   connectivity, step by step, without storing anything.
//! - [`LogSink`], [`LogLevel`]: what each call does, as redacted log events
//!   delivered on the calling thread (see [`Config::log`]).
//!
//! The contract is the public DCAMS storage documentation, restated in
//! `docs/dcams-storage-api.md`; its section names ("Transport", "Service
//! createOrUpdateCustomer", "Errors", ...) are cited on each item.
//!
//! ```no_run
//! use dcams_client::{Client, Config, Customer, Document};
//!
//! let client = Client::new(Config::from_env()?)?; // DCAMS_ENDPOINT, DCAMS_USER, DCAMS_PASS
//! let customer = Customer {
//!     dob: Some("19800214".into()),
//!     ..Customer::new("ada@example.com", Document::from_path("tests/data/passport-td3.jpg"))
//! };
//! let reply = client.upsert(&customer)?;
//! println!("{:?} {:?} after {} attempt(s)", reply.kind, reply.status, reply.raw.meta.attempts);
//! # Ok::<(), dcams_client::Error>(())
//! ```

mod batch;
mod body;
mod cancel;
mod check;
#[allow(clippy::module_inception)]
mod client;
mod config;
mod customer;
mod document;
mod download;
mod error;
mod events;
mod log;
mod mask;
mod meta;
mod probe;
mod reply;
mod request;
mod response;
mod retry;
mod socket;
mod tls;
mod transport;
pub mod validate;

pub use batch::{
    BatchOptions, BatchSummary, RateLimit, RecordError, RecordResult, DEFAULT_CONCURRENCY, MAX_CONCURRENCY,
};
pub use cancel::CancelToken;
pub use check::{CheckReport, CheckStep, StepOutcome, StepReport, PROBE_EMAIL};
pub use client::{Client, USER_AGENT};
pub use config::{
    Config, ProxySetting, Secret, Settings, DEFAULT_CONNECT_TIMEOUT, DEFAULT_ENDPOINT, DEFAULT_MAX_IDLE_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RESPONSE_TIMEOUT, DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF, DEFAULT_SEND_TIMEOUT,
    DEFAULT_TIMEOUT,
};
pub use customer::{Customer, Service};
pub use document::Document;
pub use error::{Error, ErrorKind};
pub use log::{LogLevel, LogRecord, LogSink};
pub use mask::mask_email;
pub use meta::CallMeta;
pub use reply::{ImagesReply, ReviewStatus, StatusReply, UpsertKind, UpsertReply};
pub use request::Request;
pub use response::Reply;
