//! A scripted misbehaving HTTP/1.1 server: `std::net::TcpListener` on
//! 127.0.0.1:0, one thread per connection. Each request's head (and its
//! `Content-Length` body, unless the behaviour stalls reading) is read, then
//! the server misbehaves as its [`Behavior`] says. It counts connections and
//! requests (attempts), and per e-mail requests, so tests can assert how many
//! times the client tried.
//!
//! Everything is bounded: every stall ends when the client closes, when the
//! server is dropped, or after [`MAX_STALL`]; dropping the server shuts every
//! connection down and joins the accept thread.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest any behaviour stalls (a safety net; tests use far less).
pub const MAX_STALL: Duration = Duration::from_secs(30);
/// How much of each request body is kept (for the e-mail tag and echoes).
const KEEP_BODY: usize = 64 * 1024;

/// A complete, well-formed HTTP response.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn new(status: u16, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Canned {
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_owned(), ct.to_owned()));
        }
        Canned { status, headers, body: body.into() }
    }
    pub fn json(status: u16, body: &str) -> Canned {
        Canned::new(status, Some("application/json"), body)
    }
    pub fn header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// What the server does with each request.
#[derive(Clone, Debug)]
pub enum Behavior {
    /// Success: `{"result":"Success",...,"target":{"email":<the e-mail sent>}}`.
    Echo,
    /// This response, verbatim (connection kept alive).
    Respond(Canned),
    /// The request body (first 64 KiB) sent back as the body of this status
    /// (inside `<html><body><pre>…` when the content type is text/html).
    EchoBody { status: u16, content_type: &'static str },
    /// Read the request, never answer.
    StallBeforeHeaders,
    /// Headers with `Content-Length: declared`, `sent` bytes of body, then stall.
    StallMidBody { declared: usize, sent: Vec<u8> },
    /// Headers with `Content-Length: declared`, `sent` bytes of body, then a clean close (FIN).
    Truncated { declared: usize, sent: Vec<u8> },
    /// Headers and part of a body, then a reset (SO_LINGER 0, close → RST).
    ResetMidResponse,
    /// Part of the status line and headers, then a reset.
    ResetMidHeaders,
    /// A reset right after the request was read, before any byte of response.
    ResetBeforeResponse,
    /// Read the request head, never read its body (the client's send blocks).
    StallReading,
    /// Answer this right after the request head, without reading the body,
    /// then close: the unread body makes the kernel reset the connection
    /// while the client is still sending (a gateway refusing a request by
    /// its head: a wrong path, a size limit, bad credentials).
    AnswerEarly(Canned),
    /// Reset the connection right after the request head, the body unread and no answer.
    ResetDuringUpload,
    /// Read the request head and this many bytes of its body, then never read again.
    StallReadingAfter(usize),
    /// Headers with `Content-Length: declared`, then one byte of body every 50 ms, forever.
    Trickle { declared: usize },
    /// A JSON error of this status whose `message` quotes the request body
    /// (its first 4 KiB), as a service that echoes its input would.
    EchoInMessage { status: u16 },
    /// These bytes verbatim (a response head and part of a body), then a reset.
    ResetAfter(Vec<u8>),
    /// Read the body at about `bytes_per_sec`, then [`Behavior::Echo`].
    SlowRead { bytes_per_sec: usize },
    /// Accept, read whatever comes, never write (e.g. a TLS ClientHello: the
    /// handshake never completes).
    Silent,
    /// Pick by the tag in the e-mail's local part: `<a>.<b>.<tag>@...`
    /// (`ok`, `s503`, `r429`, `b400`, `html200`, `reset`); anything else: Echo.
    Tagged,
    /// By request number across the server's life: the first request gets
    /// `[0]`, the second `[1]`...; the last one repeats.
    Seq(Vec<Behavior>),
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    connections: AtomicU32,
    requests: AtomicU32,
    conn_ids: AtomicU64,
    live: Mutex<HashMap<u64, TcpStream>>,
    per_email: Mutex<HashMap<String, u32>>,
    active: AtomicU32,
    /// Request bodies read to their `Content-Length`, and bodies that ended before it.
    complete_bodies: AtomicU32,
    incomplete_bodies: AtomicU32,
}

/// A running misbehaving server; stops on drop.
pub struct Misbehave {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Misbehave {
    pub fn start(behavior: Behavior) -> Misbehave {
        Misbehave::start_on(TcpListener::bind("127.0.0.1:0").expect("bind misbehaving server"), behavior)
    }

    /// Serves `listener` (e.g. one whose backlog was full until now).
    pub fn start_on(listener: TcpListener, behavior: Behavior) -> Misbehave {
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let sh = shared.clone();
        let behavior = Arc::new(behavior);
        let accept = std::thread::Builder::new()
            .name("misbehave-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if sh.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    sh.connections.fetch_add(1, Ordering::SeqCst);
                    let id = sh.conn_ids.fetch_add(1, Ordering::SeqCst);
                    if let Ok(clone) = stream.try_clone() {
                        sh.live.lock().unwrap().insert(id, clone);
                    }
                    sh.active.fetch_add(1, Ordering::SeqCst);
                    let (sh2, b2) = (sh.clone(), behavior.clone());
                    let spawned = std::thread::Builder::new().name("misbehave-conn".into()).spawn(move || {
                        let _ = serve(stream, &b2, &sh2);
                        sh2.live.lock().unwrap().remove(&id);
                        sh2.active.fetch_sub(1, Ordering::SeqCst);
                    });
                    if spawned.is_err() {
                        sh.live.lock().unwrap().remove(&id);
                        sh.active.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            })
            .unwrap();
        Misbehave { addr, shared, accept: Some(accept) }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    /// `http://127.0.0.1:PORT/v3/stable/api/storage`
    pub fn url(&self) -> String {
        format!("http://{}/v3/stable/api/storage", self.addr)
    }
    /// Requests whose head was read (attempts that reached HTTP).
    pub fn requests(&self) -> u32 {
        self.shared.requests.load(Ordering::SeqCst)
    }
    /// TCP connections accepted.
    pub fn connections(&self) -> u32 {
        self.shared.connections.load(Ordering::SeqCst)
    }
    /// Request bodies received whole (to their `Content-Length`).
    pub fn complete_bodies(&self) -> u32 {
        self.shared.complete_bodies.load(Ordering::SeqCst)
    }
    /// Request bodies that ended (close or reset) before their `Content-Length`.
    pub fn incomplete_bodies(&self) -> u32 {
        self.shared.incomplete_bodies.load(Ordering::SeqCst)
    }
    /// Requests seen carrying this e-mail.
    pub fn requests_for(&self, email: &str) -> u32 {
        self.shared.per_email.lock().unwrap().get(email).copied().unwrap_or(0)
    }
}

impl Drop for Misbehave {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(500));
        for (_, s) in self.shared.live.lock().unwrap().drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let start = Instant::now();
        while self.shared.active.load(Ordering::SeqCst) > 0 && start.elapsed() < Duration::from_secs(3) {
            for (_, s) in self.shared.live.lock().unwrap().drain() {
                let _ = s.shutdown(Shutdown::Both);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// One request as read from the wire.
struct Request {
    content_length: usize,
    /// Body bytes already read along with the head.
    early_body: Vec<u8>,
}

/// Reads one request head; `None` when the client closed (or the server stops).
fn read_head(s: &mut TcpStream, sh: &Shared) -> io::Result<Option<Request>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let start = Instant::now();
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let content_length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0);
            return Ok(Some(Request { content_length, early_body: buf[end + 4..].to_vec() }));
        }
        if buf.len() > 256 * 1024 || start.elapsed() > MAX_STALL {
            return Ok(None);
        }
        match s.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if timed_out(&e) => {
                if sh.stop.load(Ordering::SeqCst) {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads the rest of the body (at most `rate` bytes per second when given);
/// returns its first [`KEEP_BODY`] bytes.
fn read_body(s: &mut TcpStream, req: &Request, sh: &Shared, rate: Option<usize>) -> io::Result<Vec<u8>> {
    let mut kept = req.early_body.clone();
    let mut got = req.early_body.len();
    let mut chunk = vec![0u8; 64 * 1024];
    let start = Instant::now();
    while got < req.content_length {
        if sh.stop.load(Ordering::SeqCst) || start.elapsed() > MAX_STALL {
            return Err(io::Error::other("stopped"));
        }
        let want = (req.content_length - got).min(chunk.len());
        match s.read(&mut chunk[..want]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                if kept.len() < KEEP_BODY {
                    kept.extend_from_slice(&chunk[..n.min(KEEP_BODY - kept.len())]);
                }
                got += n;
                if let Some(rate) = rate {
                    // Sleep until the average rate is back under `rate`.
                    let due = Duration::from_secs_f64(got as f64 / rate as f64);
                    let spent = start.elapsed();
                    if due > spent {
                        std::thread::sleep(due - spent);
                    }
                }
            }
            Err(e) if timed_out(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(kept)
}

fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The `target.email` of a request body (the client writes it first in `target`).
pub fn email_of(body: &[u8]) -> String {
    let key = b"\"email\":\"";
    let Some(at) = find(body, key) else { return String::new() };
    let rest = &body[at + key.len()..];
    let end = rest.iter().position(|&b| b == b'"').unwrap_or(rest.len());
    String::from_utf8_lossy(&rest[..end]).into_owned()
}

/// The success answer echoing `email`.
pub fn success_json(email: &str) -> String {
    serde_json::json!({
        "result": "Success", "reference": "R-1", "status": "PENDING", "type": "createCustomer",
        "customer_link": "https://example.invalid/customers.php?a=edit&id=1",
        "target": {"email": email}
    })
    .to_string()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Whatever",
    }
}

fn write_canned(s: &mut TcpStream, c: &Canned) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", c.status, reason(c.status));
    for (k, v) in &c.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\nConnection: keep-alive\r\n\r\n", c.body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&c.body);
    s.write_all(&bytes)?;
    s.flush()
}

fn write_head(s: &mut TcpStream, status: u16, declared: usize) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n",
        reason(status)
    );
    s.write_all(head.as_bytes())
}

/// Closes with a reset: SO_LINGER {on, 0} then close.
fn reset(s: TcpStream) {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: valid fd, valid pointer and size for SO_LINGER.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(s);
}

/// Waits until the client closes, the server stops, or [`MAX_STALL`].
fn stall(s: &mut TcpStream, sh: &Shared) {
    let start = Instant::now();
    let mut sink = [0u8; 16 * 1024];
    while !sh.stop.load(Ordering::SeqCst) && start.elapsed() < MAX_STALL {
        match s.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if timed_out(&e) => {}
            Err(_) => return,
        }
    }
}

/// Like [`stall`] but never reads (so the peer's sends block once buffers
/// fill); ends when the peer closes its side (POLLRDHUP, even with unread
/// data queued), so abandoned connections free their buffers.
fn stall_without_reading(s: &TcpStream, sh: &Shared) {
    let start = Instant::now();
    while !sh.stop.load(Ordering::SeqCst) && start.elapsed() < MAX_STALL {
        let mut fd = libc::pollfd { fd: s.as_raw_fd(), events: libc::POLLRDHUP, revents: 0 };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut fd, 1, 20) };
        if n > 0 && fd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0 {
            return;
        }
    }
}

fn tagged(email: &str) -> Behavior {
    let tag = email.split('@').next().unwrap_or("").split('.').nth(2).unwrap_or("");
    match tag {
        "s503" => {
            Behavior::Respond(Canned::new(503, Some("text/html"), "<html><body>503 Service Unavailable</body></html>"))
        }
        "r429" => Behavior::Respond(
            Canned::json(429, r#"{"result":"Error","message":"Too many requests"}"#).header("Retry-After", "0"),
        ),
        "b400" => {
            Behavior::Respond(Canned::json(400, r#"{"result":"Error","message":"The email address is invalid"}"#))
        }
        "html200" => {
            Behavior::Respond(Canned::new(200, Some("text/html"), "<html><body>Welcome to our portal</body></html>"))
        }
        "reset" => Behavior::ResetBeforeResponse,
        _ => Behavior::Echo,
    }
}

/// Serves one connection until it closes or a behaviour ends it.
fn serve(mut s: TcpStream, behavior: &Behavior, sh: &Shared) -> io::Result<()> {
    s.set_read_timeout(Some(Duration::from_millis(50)))?;
    let _ = s.set_nodelay(true);
    if let Behavior::Silent = behavior {
        stall(&mut s, sh);
        return Ok(());
    }
    loop {
        let Some(req) = read_head(&mut s, sh)? else { return Ok(()) };
        let n = sh.requests.fetch_add(1, Ordering::SeqCst) as usize;
        let mut b = behavior.clone();
        if let Behavior::Seq(list) = &b {
            b = list[n.min(list.len() - 1)].clone();
        }
        if let Behavior::StallReading = b {
            stall_without_reading(&s, sh);
            return Ok(());
        }
        if let Behavior::AnswerEarly(c) = &b {
            write_canned(&mut s, c)?;
            return Ok(());
        }
        if let Behavior::ResetDuringUpload = b {
            reset(s);
            return Ok(());
        }
        if let Behavior::StallReadingAfter(n) = b {
            let mut got = req.early_body.len();
            let mut chunk = vec![0u8; 16 * 1024];
            while got < n {
                let want = (n - got).min(chunk.len());
                match s.read(&mut chunk[..want]) {
                    Ok(0) => return Ok(()),
                    Ok(k) => got += k,
                    Err(e) if timed_out(&e) && !sh.stop.load(Ordering::SeqCst) => {}
                    Err(_) => return Ok(()),
                }
            }
            stall_without_reading(&s, sh);
            return Ok(());
        }
        let rate = if let Behavior::SlowRead { bytes_per_sec } = b { Some(bytes_per_sec) } else { None };
        let body = match read_body(&mut s, &req, sh, rate) {
            Ok(body) => {
                sh.complete_bodies.fetch_add(1, Ordering::SeqCst);
                body
            }
            Err(e) => {
                sh.incomplete_bodies.fetch_add(1, Ordering::SeqCst);
                return Err(e);
            }
        };
        let email = email_of(&body);
        *sh.per_email.lock().unwrap().entry(email.clone()).or_default() += 1;
        if let Behavior::Tagged = b {
            b = tagged(&email);
        }
        match b {
            Behavior::Echo | Behavior::SlowRead { .. } | Behavior::Tagged => {
                write_canned(&mut s, &Canned::json(200, &success_json(&email)))?;
            }
            Behavior::Respond(c) => write_canned(&mut s, &c)?,
            Behavior::EchoBody { status, content_type } => {
                let body = if content_type == "text/html" {
                    [&b"<html><body><h1>Request rejected</h1><pre>"[..], &body, b"</pre></body></html>"].concat()
                } else {
                    body
                };
                write_canned(&mut s, &Canned::new(status, Some(content_type), body))?;
            }
            Behavior::EchoInMessage { status } => {
                let quoted = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
                let json = serde_json::json!({"result": "Error", "message": format!("Rejected: {quoted}")});
                write_canned(&mut s, &Canned::json(status, &json.to_string()))?;
            }
            Behavior::ResetAfter(bytes) => {
                s.write_all(&bytes)?;
                s.flush()?;
                std::thread::sleep(Duration::from_millis(30));
                reset(s);
                return Ok(());
            }
            Behavior::Trickle { declared } => {
                write_head(&mut s, 200, declared)?;
                let start = Instant::now();
                while !sh.stop.load(Ordering::SeqCst) && start.elapsed() < MAX_STALL {
                    if s.write_all(b" ").is_err() {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                return Ok(());
            }
            Behavior::StallBeforeHeaders => {
                stall(&mut s, sh);
                return Ok(());
            }
            Behavior::StallMidBody { declared, sent } => {
                write_head(&mut s, 200, declared)?;
                s.write_all(&sent)?;
                s.flush()?;
                stall(&mut s, sh);
                return Ok(());
            }
            Behavior::Truncated { declared, sent } => {
                write_head(&mut s, 200, declared)?;
                s.write_all(&sent)?;
                s.flush()?;
                let _ = s.shutdown(Shutdown::Write);
                // Let the client read what was sent, then go.
                stall(&mut s, sh);
                return Ok(());
            }
            Behavior::ResetMidResponse => {
                write_head(&mut s, 200, 400)?;
                s.write_all(br#"{"result":"Success","reference":"R-"#)?;
                s.flush()?;
                std::thread::sleep(Duration::from_millis(30));
                reset(s);
                return Ok(());
            }
            Behavior::ResetMidHeaders => {
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: applica")?;
                s.flush()?;
                std::thread::sleep(Duration::from_millis(30));
                reset(s);
                return Ok(());
            }
            Behavior::ResetBeforeResponse => {
                reset(s);
                return Ok(());
            }
            Behavior::StallReading
            | Behavior::StallReadingAfter(_)
            | Behavior::AnswerEarly(_)
            | Behavior::ResetDuringUpload
            | Behavior::Silent
            | Behavior::Seq(_) => {
                unreachable!()
            }
        }
    }
}

#[test]
fn misbehave_counts_and_echoes() {
    let srv = Misbehave::start(Behavior::Seq(vec![Behavior::Respond(Canned::json(503, "{}")), Behavior::Echo]));
    let body = br#"{"user":"u","pass":"p","target":{"email":"a.b.ok@example.com"}}"#;
    let mut s = TcpStream::connect(srv.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for want in ["503", "200"] {
        let req = format!("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", body.len());
        s.write_all(req.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with(&format!("HTTP/1.1 {want}")), "{text}");
        if want == "200" {
            assert!(text.contains(r#""email":"a.b.ok@example.com""#), "{text}");
        }
    }
    assert_eq!(srv.requests(), 2);
    assert_eq!(srv.connections(), 1);
    assert_eq!(srv.requests_for("a.b.ok@example.com"), 2);
}
