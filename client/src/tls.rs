//! TLS over the connection, with rustls, in place of ureq's own TLS
//! connector: the same handshake (ring, TLS 1.2 and 1.3, SNI, the client's
//! trusted roots, verification always on), but the connection stays in
//! reach, so the handshake's outcome is known — protocol version and cipher
//! suite for the log, and why it failed for [`Client::check`](super::Client::check)'s hint.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, ClientConnection, ProtocolVersion, RootCertStore, StreamOwned};
use ureq::tls::Certificate;
use ureq::unversioned::transport::time::{Duration as UreqDuration, Instant as UreqInstant};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

use super::events;
use super::probe::{self, TlsFailure};

/// Wraps the chained transport in TLS when the URL is `https`.
pub(crate) struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConnector")
    }
}

impl TlsConnector {
    /// A connector trusting exactly `roots`.
    pub(crate) fn new(roots: &[Certificate<'static>]) -> TlsConnector {
        let mut store = RootCertStore::empty();
        // Certificates rustls cannot parse are skipped, as ureq does.
        store.add_parsable_certificates(roots.iter().map(|c| CertificateDer::from(c.der()).into_owned()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .expect("ring supports every TLS version rustls does")
            .with_root_certificates(store)
            .with_no_client_auth();
        TlsConnector { config: Arc::new(config) }
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else { return Ok(None) };
        // Plain http, or TLS already (never happens here: no TLS to a proxy).
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let name =
            ServerName::try_from(host.to_owned()).map_err(|_| ureq::Error::Tls("the host is not a valid TLS name"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(remaining(details));
        let start = Instant::now();
        if let Err(e) = conn.complete_io(&mut sock) {
            let failure = classify(&e);
            events::tls_failed(failure_name(failure), start.elapsed());
            probe::record(|t| t.tls_failure = Some(failure));
            return Err(e.into());
        }
        let version = match conn.protocol_version() {
            Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "other",
        };
        let cipher = conn.negotiated_cipher_suite().and_then(|s| s.suite().as_str()).unwrap_or("unknown");
        events::tls_done(version, cipher, start.elapsed());
        probe::record(|t| t.tls = Some((Instant::now(), version, cipher)));
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(TlsTransport { buffers, stream: StreamOwned { conn, sock } })))
    }
}

/// The connect phase's time left: the handshake counts against the same
/// budget as the TCP connection before it (as in ureq).
fn remaining(details: &ConnectionDetails) -> NextTimeout {
    let mut timeout = details.timeout;
    if let UreqDuration::Exact(limit) = timeout.after {
        let spent = match details.now {
            UreqInstant::Exact(then) => then.elapsed(),
            _ => std::time::Duration::ZERO,
        };
        timeout.after = UreqDuration::Exact(limit.saturating_sub(spent));
    }
    timeout
}

/// What a failed handshake says about its cause (rustls wraps its error in the io::Error).
fn classify(e: &std::io::Error) -> TlsFailure {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            CertificateError::UnknownIssuer => TlsFailure::UnknownIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::WrongName
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
            _ => TlsFailure::Other,
        },
        _ => TlsFailure::Other,
    }
}

const fn failure_name(f: TlsFailure) -> &'static str {
    match f {
        TlsFailure::UnknownIssuer => "certificate signed by an unknown CA",
        TlsFailure::WrongName => "certificate not valid for this host name",
        TlsFailure::Expired => "certificate expired or not yet valid",
        TlsFailure::Other => "handshake failed",
    }
}

/// A TLS connection (as ureq's own, over any chained transport).
pub(crate) struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport").field("chained", &self.stream.sock.inner()).finish()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
