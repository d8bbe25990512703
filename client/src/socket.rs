//! The TCP layer under ureq, bounded by the call's deadline and cancel token.
//!
//! ureq's own TCP transport arms a socket timeout once per write and then
//! lets `write_all` issue further `send`s under it: a write that moves a few
//! bytes just before it expires starts the whole wait again, so a server
//! that stops reading could hold a call to several times its `timeout_ms`
//! (issue 9). Here every `connect`, `send` and `recv` is given at most
//! `min(phase time left, deadline − now)`, re-computed before each system
//! call, and at most [`SLICE`](super::cancel::SLICE) when the call can be
//! cancelled, so that a cancel is seen within that time. TLS (rustls) and
//! CONNECT proxies are layered on this transport by ureq, so the handshake
//! and the proxy exchange are bounded the same way. Name resolution runs on
//! a helper thread that the call stops waiting for at its deadline or cancel.
//!
//! A server may answer from the request head alone (a wrong path, a size
//! limit, bad credentials) and close with the body unread; the kernel then
//! resets the connection under the client's upload. A send that fails so
//! (`EPIPE`, `ECONNRESET`) ends the sending: the rest of the request is
//! dropped, ureq goes on to read the answer the server already sent (RFC
//! 9112 §9.5), and the connection is never reused. With no answer there,
//! the read fails and the attempt is a transport failure as before.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle, Transport,
};
use ureq::{Error, Timeout};

use super::cancel::{Cancelled, Stop, Watch};

/// The error a socket operation returns when the call must stop.
fn stop_error(stop: Stop) -> Error {
    match stop {
        Stop::Cancelled => Error::Io(io::Error::other(Cancelled)),
        // The call's own deadline (`timeout_ms`), whatever the phase: ureq's `Global`.
        Stop::Deadline => Error::Timeout(Timeout::Global),
    }
}

/// The bounds of one blocking operation: the phase's own end (from ureq)
/// and the call's watch.
struct Bound {
    phase_end: Option<Instant>,
    reason: Timeout,
    watch: Option<Watch>,
}

impl Bound {
    fn new(timeout: NextTimeout) -> Bound {
        let phase_end =
            if timeout.after.is_not_happening() { None } else { Instant::now().checked_add(*timeout.after) };
        Bound { phase_end, reason: timeout.reason, watch: Watch::current() }
    }

    /// How long the next system call may block (never zero), or why it must not start.
    fn next_wait(&self) -> Result<Duration, Error> {
        let mut wait = Duration::from_secs(3600);
        if let Some(w) = &self.watch {
            w.check().map_err(stop_error)?;
            wait = wait.min(w.wait_limit());
        }
        if let Some(end) = self.phase_end {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout(self.reason));
            }
            wait = wait.min(left);
        }
        Ok(wait.max(Duration::from_millis(1)))
    }
}

/// Connects TCP sockets for ureq's chain (in place of its `TcpConnector`).
#[derive(Debug, Default)]
pub(crate) struct WatchedTcpConnector;

impl<In: Transport> Connector<In> for WatchedTcpConnector {
    type Out = Either<In, WatchedTcp>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, Error> {
        if chained.is_some() {
            return Ok(chained.map(Either::A));
        }
        let bound = Bound::new(details.timeout);
        let mut last = None;
        for addr in details.addrs.iter() {
            match connect_one(addr, &bound) {
                Ok(stream) => {
                    if details.config.no_delay() {
                        stream.set_nodelay(true)?;
                    }
                    let config = details.config;
                    let buffers = LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size());
                    let transport = WatchedTcp::new(stream, buffers);
                    (details.register_shutdown)(transport.shutdown_handle())?;
                    return Ok(Some(Either::B(transport)));
                }
                // Refused or unreachable: the next address may answer.
                Err(Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::HostUnreachable
                            | io::ErrorKind::NetworkUnreachable
                            | io::ErrorKind::AddrNotAvailable
                    ) =>
                {
                    last = Some(Error::Io(e))
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Io(io::ErrorKind::ConnectionRefused.into())))
    }
}

/// A non-blocking connect, polled in steps bounded by [`Bound::next_wait`].
fn connect_one(addr: &SocketAddr, bound: &Bound) -> Result<TcpStream, Error> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(*addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    match socket.connect(&(*addr).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock => loop {
            let wait = bound.next_wait()?;
            let mut fd = libc::pollfd { fd: socket.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
            let ms = wait.as_millis().clamp(1, i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd for the duration of the call.
            let n = unsafe { libc::poll(&mut fd, 1, ms) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e.into());
            }
            if n > 0 {
                if let Some(e) = socket.take_error()? {
                    return Err(e.into());
                }
                break;
            }
        },
        Err(e) => return Err(e.into()),
    }
    socket.set_nonblocking(false)?;
    Ok(socket.into())
}

/// A TCP connection whose every read and write is bounded (see the module).
pub(crate) struct WatchedTcp {
    /// Shared (weakly) with ureq's shutdown handle.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// The server stopped taking the request (see [`WatchedTcp::transmit_output`]).
    peer_stopped_reading: bool,
}

impl std::fmt::Debug for WatchedTcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchedTcp").field("peer", &self.stream.peer_addr().ok()).finish()
    }
}

impl Drop for WatchedTcp {
    fn drop(&mut self) {
        // A request body that must never arrive whole (a document file
        // changed while sent): reset the connection (SO_LINGER 0), so the
        // server sees an abort, not a clean end.
        if Watch::current().is_some_and(|w| w.aborting()) {
            let _ = socket2::SockRef::from(&*self.stream).set_linger(Some(Duration::ZERO));
        }
    }
}

impl WatchedTcp {
    fn new(stream: TcpStream, buffers: LazyBuffers) -> WatchedTcp {
        WatchedTcp {
            stream: Arc::new(stream),
            buffers,
            read_timeout: None,
            write_timeout: None,
            peer_stopped_reading: false,
        }
    }

    fn shutdown_handle(&self) -> std::sync::Weak<dyn ShutdownHandle> {
        Arc::downgrade(&self.stream) as std::sync::Weak<dyn ShutdownHandle>
    }
}

/// Sets a socket timeout, skipping the system call when it is unchanged.
fn arm(
    cached: &mut Option<Duration>,
    wait: Duration,
    set: impl FnOnce(Option<Duration>) -> io::Result<()>,
) -> io::Result<()> {
    if *cached != Some(wait) {
        set(Some(wait))?;
        *cached = Some(wait);
    }
    Ok(())
}

fn would_block(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
}

impl Transport for WatchedTcp {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let bound = Bound::new(timeout.for_write());
        if self.peer_stopped_reading {
            return Ok(());
        }
        let mut out = &self.buffers.output()[..amount];
        while !out.is_empty() {
            let wait = bound.next_wait()?;
            arm(&mut self.write_timeout, wait, |t| self.stream.set_write_timeout(t))?;
            match (&*self.stream).write(out) {
                Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => out = &out[n..],
                Err(e) if would_block(&e) => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset) => {
                    // The server stopped taking the request: its answer, if any, is what counts.
                    self.peer_stopped_reading = true;
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let bound = Bound::new(timeout.for_read());
        loop {
            let wait = bound.next_wait()?;
            arm(&mut self.read_timeout, wait, |t| self.stream.set_read_timeout(t))?;
            let input = self.buffers.input_append_buf();
            match (&*self.stream).read(input) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    return Ok(n > 0);
                }
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn is_open(&mut self) -> bool {
        if self.peer_stopped_reading {
            return false;
        }
        // Idle in the pool: nothing may be waiting to be read, and no end.
        let mut stream = &*self.stream;
        if stream.set_nonblocking(true).is_err() {
            return false;
        }
        let open = matches!(stream.read(&mut [0u8]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        open && stream.set_nonblocking(false).is_ok()
    }
}

/// Resolves host names on a helper thread, waited for in bounded steps; IP
/// addresses need no lookup (and no thread).
#[derive(Debug, Default)]
pub(crate) struct WatchedResolver;

impl Resolver for WatchedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let (Some(host), Some(scheme)) = (uri.host(), uri.scheme_str()) else {
            return Err(Error::BadUri(format!("{uri} has no host")));
        };
        let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        // At most 16 addresses: the capacity of ureq's list.
        let mut found = self.empty();
        if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
            found.push(SocketAddr::new(ip, port));
            return Ok(found);
        }
        let bound = Bound::new(timeout);
        let (tx, rx) = mpsc::sync_channel(1);
        let name = format!("{bare}:{port}");
        std::thread::Builder::new()
            .name("dcams-resolve".into())
            .spawn(move || {
                let _ = tx.send(name.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
            })
            .map_err(Error::Io)?;
        let addrs = loop {
            match rx.recv_timeout(bound.next_wait()?) {
                Ok(result) => break result?,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(Error::HostNotFound),
            }
        };
        let family = config.ip_family();
        for addr in family.keep_wanted(addrs.into_iter()).take(16) {
            found.push(addr);
        }
        if found.is_empty() {
            Err(Error::HostNotFound)
        } else {
            Ok(found)
        }
    }
}
