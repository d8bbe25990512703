//! A faithful local emulator ("sandbox") of Veratad's DCAMS storage API, for
//! offline tests of a DCAMS client. It listens on loopback, speaks plain
//! HTTP, keeps everything in memory and forgets it when stopped.
//!
//! It emulates the one endpoint of the contract, `POST /v3/stable/api/storage`
//! with a JSON body carrying the credentials (`user`, `pass`), a `service`
//! name and a `target`, and its four services: `createOrUpdateCustomer`,
//! `getStatus`, `getDocumentImages` and `updateStatus`.
//!
//! ```no_run
//! use dcams_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
//! println!("{}", sandbox.url()); // http://127.0.0.1:PORT/v3/stable/api/storage
//! // … point the client at sandbox.url() with user "sandbox-user", pass "sandbox-pass" …
//! assert!(sandbox.customer("ada@example.com", false).is_none());
//! sandbox.shutdown();
//! ```
//!
//! # Checks, in order
//!
//! 1. empty body → 400 `IN0` "No request body"; not JSON / not an object →
//!    400 `IN1` "Request body is not valid JSON" (platform shape);
//! 2. `user`/`pass` missing or wrong → 401;
//! 3. `target` missing or not an object → 400;
//! 4. `service` missing → 400 "Missing a required input"; unknown → 400
//!    `QRY2` "Unknown service";
//! 5. `target.email` missing/empty → 400 "Missing a required input"; not a
//!    plausible address → 400 "The email address is invalid";
//! 6. `target.test_key` present: a configured key selects the test
//!    namespace, anything else → 401 as for bad credentials;
//! 7. the service's own checks and work.
//!
//! The shape of the 401 and of the missing-input / no-target / invalid-email
//! answers follows [`ErrorStyle`]; see it for the details. Fields whose value
//! is JSON `null` count as absent.
//!
//! # Store rules
//!
//! * A customer is keyed by its e-mail exactly as received (byte for byte,
//!   no case folding). Test-key requests work on a separate namespace.
//! * `createOrUpdateCustomer` creates a record (status `PENDING`, id from
//!   1001 on, reference `R-<id>` unless the request has a top-level
//!   `reference`) or updates it: given attributes (unknown ones too) are
//!   merged over the stored ones, the front image is replaced, the back image
//!   only if one is given, the reference only if one is given.
//! * **An update never changes the review status; only `updateStatus` does.**
//!   A `target.status` sent to `createOrUpdateCustomer` is ignored.
//! * Images must be standard, padded base64 without line breaks or `data:`
//!   prefix (else 400 `QRY2` "Document image is not valid base64"); the
//!   decoded bytes are stored and `getDocumentImages` returns them encoded
//!   the same way, byte-identical.
//! * `target.test_key` is never stored nor echoed.
//!
//! # Other behaviour
//!
//! * Every answer is `application/json`; other paths → 404
//!   `{"error":"not_found",…}`, other methods on the storage path → 405.
//! * Request bodies up to 512 MiB are accepted (larger → 413).
//! * [`SandboxConfig::latency`] delays every storage answer.
//! * [`SandboxConfig::rate_limit`] answers 429 with `Retry-After` above N
//!   requests in any second, as a gateway would.
//! * [`SandboxConfig::images`] = [`ImageStorage::HashOnly`] keeps only each
//!   image's size and SHA-256, for batches larger than memory.
//! * Admin endpoints under `/_sandbox` expose counters, records, stored
//!   images and the last request to tests in other processes (not counted as
//!   storage requests; `{email}` is percent-decoded, send `+` as `%2B`):
//!
//!   | method | path | answer |
//!   |---|---|---|
//!   | GET | `/_sandbox/stats` | `{"requests","connections","customers","rate_limited","created","updated","per_second":[…],"max_per_second"}` (see [`Sandbox::stats`]; `customers`: records in both namespaces) |
//!   | GET | `/_sandbox/customers[?test=1]` | `{"customers":[{"email","id","status","upserts"}…]}` |
//!   | GET | `/_sandbox/customers/{email}[?test=1]` | `{"email","reference","status","id","upserts","target","front_len","back_len","front_sha256","back_sha256"}` or 404 |
//!   | GET | `/_sandbox/customers/{email}/documents/{front\|back}[?test=1]` | the stored image bytes (`application/octet-stream`) or 404 |
//!   | GET | `/_sandbox/last-request` | `{"method","content_type","content_length","user_agent","body"}` (`body` parsed as JSON, or `null`), 404 before any request |
//!   | POST | `/_sandbox/reset` | empties the store, zeroes counters, forgets the last request and scripted answers |
//!   | POST | `/_sandbox/script` | `{"status","body","content_type","times"}`: the next storage requests get this answer instead (see [`ScriptedAnswer`]) |
//! * Nothing is printed per request unless [`SandboxConfig::verbose`] is set,
//!   and then only service, e-mail and HTTP status — never passwords, test
//!   keys or image bytes.

#![warn(missing_docs)]

mod admin;
mod config;
mod errors;
mod inject;
mod limit;
mod request;
mod server;
mod services;
mod stats;
mod store;

pub use config::{ErrorStyle, SandboxConfig, UnknownErrorStyle};
pub use inject::ScriptedAnswer;
pub use server::{Sandbox, STORAGE_PATH};
pub use stats::{RecordedRequest, SandboxStats};
pub use store::{ImageDigest, ImageStorage, StoredCustomer};
