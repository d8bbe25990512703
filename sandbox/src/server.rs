//! The HTTP side: the [`Sandbox`] handle, which binds the listener, serves
//! the router on a background thread with its own tokio runtime and stops it
//! again; the storage endpoint handler (spec section *Transport*); the
//! fallbacks for other paths and methods.

use std::future::IntoFuture;
use std::io;
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::admin;
use crate::config::SandboxConfig;
use crate::inject::{Script, ScriptedAnswer};
use crate::limit::RateWindow;
use crate::request::{self, Summary};
use crate::services;
use crate::stats::{RecordedRequest, SandboxStats, Stats};
use crate::store::{lock, Namespace, Store, StoredCustomer};

/// Path of the storage endpoint (spec: `POST …/v3/stable/api/storage`).
pub const STORAGE_PATH: &str = "/v3/stable/api/storage";

/// Largest request body accepted on the storage path (512 MiB); larger → 413.
const MAX_BODY: usize = 512 * 1024 * 1024;

/// How long a stop waits for in-flight requests before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// State shared by all handlers.
#[derive(Clone)]
pub(crate) struct AppState {
    /// The configuration the sandbox was started with.
    pub config: Arc<SandboxConfig>,
    /// The customer store.
    pub store: Arc<Mutex<Store>>,
    /// Counters and last request.
    pub stats: Arc<Stats>,
    /// Scripted answers that replace the emulated ones.
    pub script: Arc<Script>,
    /// The request-rate limit, when configured.
    pub limit: Option<Arc<RateWindow>>,
    /// `http://host:port`.
    pub base_url: String,
}

impl AppState {
    /// Empties the store, zeroes the counters, forgets the last request and
    /// every scripted answer.
    pub(crate) fn reset(&self) {
        lock(&self.store).clear();
        self.stats.reset();
        self.script.clear();
        if let Some(limit) = &self.limit {
            limit.clear();
        }
    }

    /// Every counter, from the stats and the store.
    pub(crate) fn stats(&self) -> SandboxStats {
        let store = lock(&self.store);
        let (created, updated) = store.counts();
        SandboxStats {
            requests: self.stats.requests(),
            connections: self.stats.connections(),
            customers: store.len(),
            rate_limited: self.stats.rate_limited(),
            created,
            updated,
            per_second: self.stats.per_second(),
            max_per_second: self.stats.max_per_second(),
        }
    }
}

/// A running sandbox: a DCAMS storage API emulator listening on
/// `config.host:config.port` (loopback by default).
///
/// Started with [`Sandbox::start`]; stopped by [`Sandbox::shutdown`] or when
/// dropped. All accessors read the live state and may be called while
/// requests are in flight.
pub struct Sandbox {
    addr: SocketAddr,
    state: AppState,
    stop: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds `config.host:config.port` and starts serving on a background
    /// thread running a 2-worker tokio runtime.
    ///
    /// Binding happens before this returns, so a bind error (port in use,
    /// address not available) is returned here and the port is known
    /// (see [`Sandbox::addr`]); connections made after it returns are
    /// accepted.
    pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        let std_listener = StdTcpListener::bind((config.host, config.port))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dcams-sandbox")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener)?
        };
        let state = AppState {
            limit: config.rate_limit.filter(|n| *n > 0).map(|n| Arc::new(RateWindow::new(n))),
            store: Arc::new(Mutex::new(Store::new(config.images))),
            config: Arc::new(config),
            stats: Arc::new(Stats::default()),
            script: Arc::new(Script::default()),
            base_url: format!("http://{addr}"),
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let app = router(state.clone());
        let listener = CountingListener { inner: listener, stats: state.stats.clone() };
        let thread = std::thread::Builder::new().name("dcams-sandbox-server".to_owned()).spawn(move || {
            runtime.block_on(serve(listener, app, stop_rx));
            runtime.shutdown_timeout(Duration::from_millis(200));
        })?;
        Ok(Sandbox { addr, state, stop: Some(stop_tx), thread: Some(thread) })
    }

    /// The storage endpoint URL, e.g. `http://127.0.0.1:41234/v3/stable/api/storage`.
    pub fn url(&self) -> String {
        format!("{}{STORAGE_PATH}", self.state.base_url)
    }

    /// `http://host:port` without a path (admin endpoints live under `/_sandbox`).
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// The address actually bound (with the OS-chosen port if 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received on the storage path: any method, any outcome,
    /// counted on arrival before any check. Admin requests are not counted.
    pub fn requests(&self) -> u64 {
        self.state.stats.requests()
    }

    /// TCP connections accepted (on any path, admin included), counted in the
    /// accept loop. Lets tests check that a client reuses connections.
    pub fn connections(&self) -> u64 {
        self.state.stats.connections()
    }

    /// Every counter: requests (in total and per second), connections,
    /// records held, 429s of the rate limit, records created and updated.
    pub fn stats(&self) -> SandboxStats {
        self.state.stats()
    }

    /// A copy of every record of the test namespace (`test` true) or the
    /// live one, in no particular order.
    pub fn customers(&self, test: bool) -> Vec<StoredCustomer> {
        lock(&self.state.store).all(Namespace::from_test_flag(test)).cloned().collect()
    }

    /// How many customer records the store holds (both namespaces): lets a
    /// test prove that a call created nothing.
    pub fn customer_count(&self) -> usize {
        lock(&self.state.store).len()
    }

    /// A copy of the record keyed by exactly `email` in the test namespace
    /// (`test` true) or the live one.
    pub fn customer(&self, email: &str, test: bool) -> Option<StoredCustomer> {
        lock(&self.state.store).get(Namespace::from_test_flag(test), email).cloned()
    }

    /// The last request received on the storage path, body as raw bytes.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.state.stats.last_request()
    }

    /// Empties both namespaces (ids restart at 1001), zeroes the counters,
    /// forgets the last request and any scripted answers.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Queues a scripted answer: the next `answer.times` storage requests
    /// are counted and recorded as usual but answered with `answer.status`
    /// and `answer.body` instead of the emulated service (see
    /// [`ScriptedAnswer`]).
    pub fn script(&self, answer: ScriptedAnswer) {
        self.state.script.push(answer);
    }

    /// Stops accepting, lets in-flight requests finish (at most 5 s), closes
    /// idle connections and joins the server thread. Also done on drop.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Serves `app` until `stop` turns true (or its sender goes away), then
/// shuts down gracefully within [`SHUTDOWN_GRACE`].
async fn serve(listener: CountingListener, app: Router, stop: watch::Receiver<bool>) {
    let mut signal = stop.clone();
    let mut deadline = stop;
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = signal.wait_for(|s| *s).await;
    });
    tokio::select! {
        _ = server.into_future() => {}
        _ = async move {
            let _ = deadline.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {}
    }
}

/// A TCP listener that counts accepted connections and disables Nagle.
struct CountingListener {
    inner: TcpListener,
    stats: Arc<Stats>,
}

impl axum::serve::Listener for CountingListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        self.stats.count_connection();
        let _ = io.set_nodelay(true);
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The router: the storage path, the admin endpoints and JSON fallbacks.
fn router(state: AppState) -> Router {
    Router::new()
        .route(STORAGE_PATH, any(storage))
        .nest("/_sandbox", admin::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The storage endpoint: count, read and record the request, wait the
/// configured latency, then answer 405 for a method other than POST or run
/// the envelope checks and the service.
async fn storage(State(app): State<AppState>, req: Request) -> Response {
    app.stats.count_request();
    let (parts, body) = req.into_parts();
    let declared_len = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared_len.is_some_and(|n| n > MAX_BODY as u64) {
        return payload_too_large();
    }
    let body: Bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) if is_length_limit(&e) => return payload_too_large(),
        Err(_) => return json_response(StatusCode::BAD_REQUEST, json!({"error": "body_read_failed"})),
    };
    app.stats.record(parts.method.as_str(), &parts.headers, body.clone());
    if let Some(limit) = &app.limit {
        if let Err(retry_after) = limit.admit(std::time::Instant::now()) {
            app.stats.count_rate_limited();
            return too_many_requests(limit.limit(), retry_after);
        }
    }
    if !app.config.latency.is_zero() {
        // A thread's sleep, not tokio's: its timer wheel rounds up to whole
        // milliseconds and wakes late on a busy machine (20 ms came to ~22).
        let latency = app.config.latency;
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(latency)).await;
    }
    if let Some(answer) = app.script.next() {
        return scripted(answer);
    }
    if parts.method != Method::POST {
        let mut resp = method_not_allowed().await;
        resp.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return resp;
    }

    let config = app.config.clone();
    let store = app.store.clone();
    let base_url = app.base_url.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut summary = Summary::default();
        let answer = match request::parse(&body, &config, &base_url, &mut summary) {
            Ok(req) => services::dispatch(&req, &store),
            Err(answer) => answer,
        };
        (answer, summary)
    })
    .await;
    let ((status, value), summary) = match outcome {
        Ok(o) => o,
        Err(_) => return json_response(StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "internal"})),
    };
    if app.config.verbose {
        eprintln!(
            "dcams-sandbox: service={} email={} -> {}",
            summary.service.as_deref().unwrap_or("-"),
            summary.email.as_deref().unwrap_or("-"),
            status.as_u16()
        );
    }
    json_response(status, value)
}

/// A scripted answer, sent exactly as given.
fn scripted(answer: ScriptedAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, answer.content_type)], answer.body).into_response()
}

/// Whether a body-read error came from the size limit.
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        if err.to_string().contains("length limit exceeded") {
            return true;
        }
        source = err.source();
    }
    false
}

/// `status` with `value` as `application/json`.
pub(crate) fn json_response(status: StatusCode, value: Value) -> Response {
    (status, Json(value)).into_response()
}

/// 429 from the rate limit, as a gateway answers it: `Retry-After` in whole seconds.
fn too_many_requests(limit: u32, retry_after: u64) -> Response {
    let body = crate::errors::storage_body(&format!("Too many requests: at most {limit} per second"));
    let mut resp = json_response(StatusCode::TOO_MANY_REQUESTS, body);
    resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
    resp
}

fn payload_too_large() -> Response {
    json_response(StatusCode::PAYLOAD_TOO_LARGE, json!({"error": "payload_too_large"}))
}

/// 404 for any path the sandbox does not serve (not a DCAMS-shaped body, so
/// that it cannot be mistaken for "e-mail not found").
async fn not_found(req: Request) -> Response {
    json_response(StatusCode::NOT_FOUND, json!({"error": "not_found", "path": req.uri().path()}))
}

/// 405 for a method a path does not serve.
async fn method_not_allowed() -> Response {
    json_response(StatusCode::METHOD_NOT_ALLOWED, json!({"error": "method_not_allowed"}))
}
