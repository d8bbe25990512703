//! What one attempt's connection did, seen from inside the transport.
//!
//! ureq's connector chain and resolver carry no per-call data, but every
//! step of a call runs on the calling thread; so the attempt in progress
//! keeps a [`Trace`] in a thread-local ([`begin`] / [`end`]) and hooks in the
//! chain write into it: [`Resolve`] around the resolver, [`NewConnection`]
//! first in the chain (it only runs when the pool had no idle connection),
//! [`Connected`] after the TCP connector (TCP to the endpoint or to the
//! proxy, then the proxy's tunnel) and the TLS connector (`tls.rs`) after
//! its handshake. The same hooks emit the connection events. The trace
//! fills [`CallMeta::connection_reused`](super::CallMeta::connection_reused)
//! and the steps of [`Client::check`](super::Client::check).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{ConnectionDetails, Connector, NextTimeout, Transport};
use ureq::Error;

use super::events::{self, HostPort};

/// Why a TLS handshake failed, as far as a hint needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsFailure {
    /// The certificate chain ends at a CA that is not trusted.
    UnknownIssuer,
    /// The certificate is not valid for the endpoint's name.
    WrongName,
    /// The certificate has expired or is not valid yet.
    Expired,
    /// Anything else (protocol, alert, ...).
    Other,
}

/// One attempt's connection story. Times are measured from the attempt's start.
#[derive(Debug, Clone)]
pub(crate) struct Trace {
    pub started: Instant,
    /// The last name resolution: what, how long, whether it succeeded.
    pub resolved: Option<(HostPort, Duration, bool)>,
    /// A new connection was started (the pool had none idle).
    pub new_connection: bool,
    /// When the connector chain started (the end of name resolution, for a new connection).
    pub connect_started: Option<Instant>,
    /// TCP connected: to whom (endpoint or proxy) and when.
    pub tcp: Option<(HostPort, Instant)>,
    /// The proxy's tunnel (CONNECT) was established.
    pub tunnel: Option<Instant>,
    /// TLS done: when, protocol version, cipher suite.
    pub tls: Option<(Instant, &'static str, &'static str)>,
    pub tls_failure: Option<TlsFailure>,
}

impl Trace {
    /// A trace of nothing (no attempt was made).
    pub(crate) fn empty() -> Trace {
        Trace {
            started: Instant::now(),
            resolved: None,
            new_connection: false,
            connect_started: None,
            tcp: None,
            tunnel: None,
            tls: None,
            tls_failure: None,
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Trace>> = const { RefCell::new(None) };
}

/// Starts recording the attempt about to run on this thread.
pub(crate) fn begin() {
    CURRENT.with(|c| *c.borrow_mut() = Some(Trace::empty()));
}

/// Stops recording; what the attempt did (`None` if nothing was begun).
pub(crate) fn end() -> Option<Trace> {
    CURRENT.with(|c| c.borrow_mut().take())
}

/// Whether the attempt in progress opened a new connection.
pub(crate) fn new_connection() -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(|t| t.new_connection))
}

/// Writes into the attempt's trace, if one is being recorded.
pub(crate) fn record(f: impl FnOnce(&mut Trace)) {
    CURRENT.with(|c| {
        if let Some(t) = c.borrow_mut().as_mut() {
            f(t)
        }
    })
}

/// Wraps a resolver, recording each resolution.
#[derive(Debug)]
pub(crate) struct Resolve<R>(pub R);

impl<R: Resolver> Resolver for Resolve<R> {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let start = Instant::now();
        let result = self.0.resolve(uri, config, timeout);
        let (host, took) = (HostPort::of(uri), start.elapsed());
        if let Ok(addrs) = &result {
            events::resolved(&host, addrs.len(), took);
        }
        record(|t| t.resolved = Some((host, took, result.is_ok())));
        result
    }

    fn empty(&self) -> ResolvedSocketAddrs {
        self.0.empty()
    }
}

/// First in the chain: the pool found no idle connection, a new one starts.
#[derive(Debug, Default)]
pub(crate) struct NewConnection;

impl<In: Transport> Connector<In> for NewConnection {
    type Out = In;

    fn connect(&self, _: &ConnectionDetails, chained: Option<In>) -> Result<Option<In>, Error> {
        record(|t| {
            if !t.new_connection {
                t.new_connection = true;
                t.connect_started = Some(Instant::now());
            }
        });
        Ok(chained)
    }
}

/// After the TCP connector: the TCP connection to the endpoint or the
/// proxy, or (seen again, for the endpoint, through a proxy) the tunnel.
#[derive(Debug, Default)]
pub(crate) struct Connected;

impl<In: Transport> Connector<In> for Connected {
    type Out = In;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<In>, Error> {
        if chained.is_some() {
            let to = HostPort::of(details.uri);
            let now = Instant::now();
            record(|t| {
                let since = t.connect_started.unwrap_or(t.started);
                match &t.tcp {
                    None => {
                        events::tcp_connected(&to, now - since);
                        t.tcp = Some((to, now));
                    }
                    Some((first, at)) if *first != to && t.tunnel.is_none() => {
                        events::proxy_tunnel(first, now - *at);
                        t.tunnel = Some(now);
                    }
                    Some(_) => {}
                }
            });
        }
        Ok(chained)
    }
}
