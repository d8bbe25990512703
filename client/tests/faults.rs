//! The fault matrix: the client against real, misbehaving servers.
//!
//! - `misbehave`: a scripted HTTP server (stalls, resets, truncation,
//!   oversize/HTML/empty/invalid bodies, redirects, 429 with Retry-After,
//!   slow reading) and the matrix of rows run against it (`matrix`);
//! - `nginx`: a private CA made at test time with openssl, and nginx
//!   terminating TLS in front of the in-process sandbox (trust settings,
//!   nginx's own 413/502/504 pages) — tests in `tls`;
//! - `squid`: a CONNECT proxy, explicit and from the environment — `proxy`;
//! - `redaction`: the matrix again with recognisable secrets, asserting no
//!   output of the library carries them;
//! - `stress`: 16 threads × 500 calls through one client, random faults;
//! - `deadline`: `timeout_ms` in every phase, 20 repetitions each;
//! - `cancel`: a cancel from another thread in every phase;
//! - `defects`: refused configurations, files changing while sent, long messages;
//! - `download`: getDocumentImages replies (base64 forms, strictness, files);
//! - `check`: `Client::check` against nginx (private CA) and squid.
//!
//! nginx, squid and openssl are needed; `make test-faults` installs them.
//! Without them the tests that need them are skipped (they fail instead
//! when DCAMS_FAULTS_REQUIRE_TOOLS=1, as `make test-faults` sets).
//! Set DCAMS_FAULTS_KEEP_TMP=1 to keep the servers' temporary directories
//! (configs, certificates, nginx and squid logs) for a look afterwards.
#![allow(clippy::too_many_arguments, clippy::result_large_err)]

#[path = "faults/cancel.rs"]
mod cancel;
#[path = "faults/check.rs"]
mod check;
#[path = "faults/deadline.rs"]
mod deadline;
#[path = "faults/defects.rs"]
mod defects;
#[path = "faults/download.rs"]
mod download;
#[path = "faults/matrix.rs"]
mod matrix;
#[path = "faults/misbehave.rs"]
mod misbehave;
#[path = "faults/nginx.rs"]
mod nginx;
#[path = "faults/proxy.rs"]
mod proxy;
#[path = "faults/redaction.rs"]
mod redaction;
#[path = "faults/squid.rs"]
mod squid;
#[path = "faults/stress.rs"]
mod stress;
#[path = "faults/support.rs"]
mod support;
#[path = "faults/tls.rs"]
mod tls;
