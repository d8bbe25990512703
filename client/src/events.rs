//! Every log event the client emits, and the redacted values they are made of.
//!
//! This is the only module that emits events (a test checks the sources),
//! and its functions take only typed values that cannot hold a secret or a
//! customer attribute in clear: [`Service`], [`ErrorKind`], counts, times,
//! HTTP statuses, `&'static str` names, and the redacted
//! forms defined here — [`MaskedEmail`] (`j***@example.com`),
//! [`ImageDigest`] (size and a 12-hex-digit SHA-256 prefix) and [`HostPort`]
//! (an endpoint's or proxy's host and port, never its path, query or
//! credentials). Nothing here accepts a `String` or a `&str` of runtime data.
//!
//! Levels: info for each attempt, response and outcome; warn for each retry;
//! error for a call that failed for a transient reason (connection,
//! timeout, 429, 5xx) after its retries; debug for connections, TLS handshakes,
//! request bodies, documents and the masked e-mail; trace for name
//! resolution, TCP connections and proxy tunnels.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use tracing::Level;

use super::customer::Service;
use super::error::ErrorKind;

/// This module's path: the log dispatcher accepts events from here only.
pub(crate) const MODULE: &str = module_path!();

/// An e-mail address as logs show it: the first character of the local
/// part, `***`, then `@` and the domain (`j***@example.com`); `***` for
/// text without an `@`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct MaskedEmail(String);

impl MaskedEmail {
    pub(crate) fn new(email: &str) -> MaskedEmail {
        MaskedEmail(crate::mask::mask_email(email))
    }
}

impl fmt::Display for MaskedEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An image as logs show it: its size and the first 6 bytes of its SHA-256,
/// enough to tell two images apart, never enough to recover one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ImageDigest {
    bytes: u64,
    sha256: [u8; 6],
}

impl ImageDigest {
    pub(crate) fn of_bytes(bytes: &[u8]) -> ImageDigest {
        let d = ring::digest::digest(&ring::digest::SHA256, bytes);
        ImageDigest::finish(bytes.len() as u64, d)
    }

    /// The digest of everything `r` yields (a file read once, in chunks).
    pub(crate) fn of_reader(r: &mut impl Read) -> std::io::Result<ImageDigest> {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    ctx.update(&buf[..n]);
                    total += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ImageDigest::finish(total, ctx.finish()))
    }

    /// The digest of decoded bytes fed in pieces (base64 text decoded chunk by chunk).
    pub(crate) fn hasher() -> DigestBuilder {
        DigestBuilder { ctx: ring::digest::Context::new(&ring::digest::SHA256), bytes: 0 }
    }

    fn finish(bytes: u64, d: ring::digest::Digest) -> ImageDigest {
        let mut sha256 = [0u8; 6];
        sha256.copy_from_slice(&d.as_ref()[..6]);
        ImageDigest { bytes, sha256 }
    }
}

/// Builds an [`ImageDigest`] from pieces.
pub(crate) struct DigestBuilder {
    ctx: ring::digest::Context,
    bytes: u64,
}

impl DigestBuilder {
    pub(crate) fn update(&mut self, piece: &[u8]) {
        self.ctx.update(piece);
        self.bytes += piece.len() as u64;
    }

    pub(crate) fn finish(self) -> ImageDigest {
        ImageDigest::finish(self.bytes, self.ctx.finish())
    }
}

/// The host and port of an endpoint or proxy URL: never its scheme, path,
/// query or user information.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct HostPort(String);

impl HostPort {
    pub(crate) fn of(uri: &ureq::http::Uri) -> HostPort {
        let host = uri.host().unwrap_or("?");
        let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("http") { 80 } else { 443 });
        HostPort(format!("{host}:{port}"))
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an attempt failed, as a retry decision names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Failure {
    /// The service answered with this status.
    Status(u16),
    /// No usable answer: a transport, TLS, timeout or response failure.
    Kind(ErrorKind),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(s) => write!(f, "HTTP {s}"),
            Failure::Kind(k) => write!(f, "{k}"),
        }
    }
}

/// Why a failed attempt is not followed by another.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NotRetried {
    /// The failure is not one that a repeat can cure.
    NotRetryable,
    /// Every retry was used.
    RetriesUsed,
    /// The pause would pass the call's deadline.
    Deadline,
}

impl NotRetried {
    const fn as_str(self) -> &'static str {
        match self {
            NotRetried::NotRetryable => "not retryable",
            NotRetried::RetriesUsed => "retries used up",
            NotRetried::Deadline => "the pause would pass the deadline",
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whether anyone listens to debug events of this thread's call (to skip
/// computing what only they would see, such as image digests).
pub(crate) fn debug_enabled() -> bool {
    tracing::enabled!(target: "dcams::document", Level::DEBUG)
}

pub(crate) fn call_started(service: Service, email: Option<&MaskedEmail>, timeout: Duration) {
    tracing::debug!(
        target: "dcams::call",
        service = service.as_str(),
        email = email.map(tracing::field::display),
        timeout_ms = ms(timeout),
        "call started"
    );
}

pub(crate) fn document(field: &'static str, digest: &ImageDigest) {
    let sha: String = digest.sha256.iter().map(|b| format!("{b:02x}")).collect();
    tracing::debug!(target: "dcams::document", field, bytes = digest.bytes, sha256 = %sha, "document");
}

pub(crate) fn attempt_started(service: Service, host: &HostPort, attempt: u32, of: u32, body_bytes: u64) {
    tracing::info!(
        target: "dcams::attempt",
        service = service.as_str(),
        host = %host,
        attempt,
        of,
        body_bytes,
        "attempt started"
    );
}

pub(crate) fn resolved(host: &HostPort, addresses: usize, took: Duration) {
    tracing::trace!(target: "dcams::connection", host = %host, addresses, ms = ms(took), "name resolved");
}

pub(crate) fn tcp_connected(to: &HostPort, took: Duration) {
    tracing::trace!(target: "dcams::connection", to = %to, ms = ms(took), "TCP connected");
}

pub(crate) fn proxy_tunnel(proxy: &HostPort, took: Duration) {
    tracing::trace!(target: "dcams::connection", proxy = %proxy, ms = ms(took), "proxy tunnel established (CONNECT)");
}

pub(crate) fn connection(reused: bool) {
    tracing::debug!(target: "dcams::connection", reused, "{}", if reused { "connection reused" } else { "new connection" });
}

pub(crate) fn tls_done(version: &'static str, cipher_suite: &'static str, took: Duration) {
    tracing::debug!(target: "dcams::tls", version, cipher_suite, ms = ms(took), "TLS handshake done");
}

pub(crate) fn tls_failed(why: &'static str, took: Duration) {
    tracing::debug!(target: "dcams::tls", why, ms = ms(took), "TLS handshake failed");
}

pub(crate) fn request_sent(bytes: u64, took: Duration) {
    tracing::debug!(target: "dcams::attempt", bytes, ms = ms(took), "request sent");
}

pub(crate) fn response(status: u16, took: Duration, bytes: u64) {
    tracing::info!(target: "dcams::attempt", status, ms = ms(took), bytes, "response");
}

pub(crate) fn attempt_failed(failure: Failure, took: Duration) {
    tracing::debug!(target: "dcams::attempt", reason = %failure, ms = ms(took), "attempt failed");
}

pub(crate) fn retry(failure: Failure, pause: Duration, next: u32, of: u32) {
    tracing::warn!(
        target: "dcams::retry",
        reason = %failure,
        pause_ms = ms(pause),
        attempt = next,
        of,
        "retrying"
    );
}

/// Info when a retryable failure ends the call (retries used, deadline);
/// debug for the everyday non-retryable answer (a 404 is not news).
pub(crate) fn not_retried(failure: Failure, why: NotRetried) {
    if why == NotRetried::NotRetryable {
        tracing::debug!(target: "dcams::retry", reason = %failure, why = why.as_str(), "not retried");
    } else {
        tracing::info!(target: "dcams::retry", reason = %failure, why = why.as_str(), "not retried");
    }
}

pub(crate) fn check_step(step: &'static str, outcome: &'static str, took: Duration) {
    tracing::info!(target: "dcams::check", step, outcome, ms = ms(took), "check step");
}

pub(crate) fn finished_ok(service: Service, status: u16, attempts: u32, elapsed: Duration) {
    tracing::info!(
        target: "dcams::call",
        service = service.as_str(),
        outcome = "ok",
        status,
        attempts,
        elapsed_ms = ms(elapsed),
        "call finished"
    );
}

/// Error when the call failed for a reason a repeat might cure (connection,
/// timeout, HTTP 429 or 5xx: the service or the network is in trouble, and
/// the retries did not help); info for the rest (a 404, a validation error:
/// the caller's business, returned to it).
pub(crate) fn finished_err(service: Service, kind: ErrorKind, status: Option<u16>, attempts: u32, elapsed: Duration) {
    if kind.retryable() {
        tracing::error!(
            target: "dcams::call",
            service = service.as_str(),
            outcome = %kind,
            status,
            attempts,
            elapsed_ms = ms(elapsed),
            "call failed"
        );
    } else {
        tracing::info!(
            target: "dcams::call",
            service = service.as_str(),
            outcome = %kind,
            status,
            attempts,
            elapsed_ms = ms(elapsed),
            "call failed"
        );
    }
}

#[cfg(test)]
pub(crate) fn test_event(level: Level, n: u64) {
    match level {
        Level::ERROR => tracing::error!(target: "dcams::test", n, "test event"),
        Level::INFO => tracing::info!(target: "dcams::test", n, "test event"),
        Level::DEBUG => tracing::debug!(target: "dcams::test", n, "test event"),
        _ => tracing::trace!(target: "dcams::test", n, "test event"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_masked() {
        assert_eq!(MaskedEmail::new("jane.doe+kyc@example.com").to_string(), "j***@example.com");
        assert_eq!(MaskedEmail::new("\u{e9}lodie@example.fr").to_string(), "\u{e9}***@example.fr");
        // No local part: not an address (the one rule, mask::mask_email).
        assert_eq!(MaskedEmail::new("@example.com").to_string(), "***");
        assert_eq!(MaskedEmail::new("no at sign").to_string(), "***");
    }

    #[test]
    fn digests_agree_however_the_bytes_come() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let whole = ImageDigest::of_bytes(&data);
        assert_eq!(ImageDigest::of_reader(&mut &data[..]).unwrap(), whole);
        let mut b = ImageDigest::hasher();
        data.chunks(7777).for_each(|c| b.update(c));
        assert_eq!(b.finish(), whole);
        // SHA-256("abc") starts ba7816bf8f01.
        assert_eq!(ImageDigest::of_bytes(b"abc").sha256, [0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01]);
    }

    #[test]
    fn host_port_drops_credentials_and_path() {
        let uri: ureq::http::Uri = "https://u:secret@proxy.example:3128/x?pass=1".parse().unwrap();
        assert_eq!(HostPort::of(&uri).to_string(), "proxy.example:3128");
        let uri: ureq::http::Uri = "https://dcams.app/v3/stable/api/storage".parse().unwrap();
        assert_eq!(HostPort::of(&uri).to_string(), "dcams.app:443");
    }

    /// Redaction by construction holds only while every event is made here:
    /// no other file of the crate may emit one. Other files may not name
    /// `tracing` (log.rs, which holds the dispatcher, only its types; the
    /// `log` crate is no dependency); tests are exempt (log.rs's emit
    /// foreign events on purpose).
    #[test]
    fn no_other_module_emits_events() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let macros = ["event!", "info!", "warn!", "error!", "debug!", "trace!", "span!", "enabled!"];
        let mut offenders = Vec::new();
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if name == "events.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, line) in code.lines().enumerate() {
                let bad =
                    if name == "log.rs" { macros.iter().any(|m| line.contains(m)) } else { line.contains("tracing") };
                if bad {
                    offenders.push(format!("{name}:{}: {line}", i + 1));
                }
            }
        }
        assert!(offenders.is_empty(), "events emitted outside events.rs:\n{}", offenders.join("\n"));
    }
}
