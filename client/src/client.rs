//! The client: one configured HTTP agent, shared by every call.

use std::path::Path;
use std::time::{Duration, Instant};

use ureq::{Agent, SendBody};

use super::batch::{Paced, Turn};
use super::body::{Body, BodyBuilder};
use super::cancel::{Stop, Watch};
use super::config::{Config, Secret};
use super::customer::{Customer, Service};
use super::document::{check, Checked, Reopen, Source};
use super::download::{scan, FileSink, MemorySink, ScanError, Sink};
use super::error::{Error, ErrorKind};
use super::events::{self, Failure, HostPort, MaskedEmail, NotRetried};
use super::log::CallLog;
use super::meta::CallMeta;
use super::probe::{self, Trace};
use super::reply::{ImagesReply, ReviewStatus, StatusReply, UpsertReply};
use super::request::{Field, Request};
use super::response::{body_error, cancelled_error, classify, transport_error, Head, Parsed, Reply};
use super::retry::{pause, RetryHint};
use super::transport;

/// The `User-Agent` sent with every request: `dcams/<version>`.
pub const USER_AGENT: &str = concat!("dcams/", env!("CARGO_PKG_VERSION"));

/// A DCAMS storage client.
///
/// Thread safety: `Client` is `Send + Sync`; one client may serve any number
/// of threads at once, and calls share its connection pool. Every call is
/// synchronous and independent: its outcome is its own return value.
pub struct Client {
    config: Config,
    agent: Agent,
    /// `host:port` of the proxy in use, named in connection errors.
    proxy: Option<String>,
    /// `host:port` of the endpoint, named in log events.
    host: HostPort,
    /// The dispatcher of the log sink, when one is configured.
    log: Option<CallLog>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config` (see [`Config::check`] for what is refused).
    /// Loads the trusted CA roots and resolves the proxy once, here.
    ///
    /// Errors: `Config` (also for an unreadable or certificate-less
    /// `ca_file`/`ca_bundle`, or a bad proxy URL).
    pub fn new(config: Config) -> Result<Client, Error> {
        config.check()?;
        let (agent, proxy) = transport::agent(&config)?;
        let uri: ureq::http::Uri =
            config.endpoint.parse().map_err(|_| Error::new(ErrorKind::Config, "endpoint is not a URL"))?;
        let log = config.log.clone().map(|sink| CallLog::new(sink, config.log_level));
        Ok(Client { host: HostPort::of(&uri), log, config, agent, proxy })
    }

    /// A client configured from the environment only ([`Config::from_env`]).
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?)
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The dispatcher of the log sink, if any.
    pub(crate) fn log(&self) -> Option<&CallLog> {
        self.log.as_ref()
    }

    /// `host:port` of the endpoint.
    pub(crate) fn host(&self) -> &HostPort {
        &self.host
    }

    /// `host:port` of the proxy calls go through, if any.
    pub(crate) fn proxy_host(&self) -> Option<String> {
        self.proxy.clone()
    }

    /// createOrUpdateCustomer (spec: "Service createOrUpdateCustomer"):
    /// validates `customer`, then creates or updates the record with that e-mail.
    ///
    /// Errors: any [`ErrorKind`] but `InvalidJson`.
    pub fn upsert(&self, customer: &Customer<'_>) -> Result<UpsertReply, Error> {
        let request = Request::upsert(customer);
        self.logged(request.service, || self.execute(&request, None).map(UpsertReply::from_parsed))
    }

    /// getStatus (spec: "Service getStatus"): the status and stored attributes.
    ///
    /// Errors: `Validation` (email), `NotFound`, then any service, transport
    /// or response kind.
    pub fn get_status(&self, email: &str) -> Result<StatusReply, Error> {
        let request = Request::get_status(email);
        self.logged(request.service, || self.execute(&request, None).map(StatusReply::from_parsed))
    }

    /// getDocumentImages (spec: "Service getDocumentImages"): status,
    /// attributes and the stored images, decoded. An image in the reply may
    /// be written as uploads accept it: standard base64, padded or not,
    /// wrapped in lines, behind a `data:...;base64,` header.
    ///
    /// Errors: as [`Client::get_status`]; `BadResponse` when an image is not
    /// base64 in one of those forms (or the reply is not valid JSON, UTF-8...).
    pub fn get_document_images(&self, email: &str) -> Result<ImagesReply, Error> {
        self.send_images(&Request::get_document_images(email))
    }

    /// getDocumentImages, writing the front image to `front` and the back
    /// image to `back` (see [`ImagesReply::write_to`]); returns the reply
    /// without the images (see [`ImagesReply::raw`]).
    ///
    /// Errors: as [`Client::get_document_images`], plus `File` when a file
    /// cannot be written.
    pub fn save_document_images(&self, email: &str, front: &Path, back: Option<&Path>) -> Result<Reply, Error> {
        self.save_images(&Request::get_document_images(email), front, back)
    }

    /// updateStatus (spec: "Service updateStatus"): sets the review status;
    /// the reply's `status` is the new one, read from `target.status`.
    ///
    /// Errors: as [`Client::get_status`].
    pub fn update_status(&self, email: &str, status: ReviewStatus) -> Result<StatusReply, Error> {
        let request = Request::update_status(email, status);
        self.logged(request.service, || self.execute(&request, None).map(StatusReply::from_parsed))
    }

    /// The checks a call makes before any traffic, without sending anything:
    /// `email`, `dob`, the members the service requires, and each document
    /// readable, non-empty and a recognised image (unless
    /// [`Config::check_image_format`] is off). A dry run of [`Client::send`].
    ///
    /// Errors: `Validation`, `File`.
    pub fn validate(&self, request: &Request<'_>) -> Result<(), Error> {
        request.validate()?;
        let format = self.config.check_image_format;
        for (field, document) in [("documents.front", &request.front), ("documents.back", &request.back)] {
            if let Some(document) = document.as_deref() {
                check(field, document, format)?;
            }
        }
        Ok(())
    }

    /// Sends a documented request body (spec: "Request envelope") and returns
    /// the service's reply verbatim (see [`Request::from_json`]). `user`/`pass`
    /// default to the client's, `target.test_key` to the client's test key;
    /// images are base64 strings in `target.documents` (see
    /// [`Document::Base64`](super::Document::Base64)).
    ///
    /// Errors: `InvalidJson` for text that is not the documented shape, then
    /// as [`Client::upsert`].
    pub fn call_json(&self, request: &str) -> Result<Reply, Error> {
        self.send(&Request::from_json(request)?)
    }

    /// Sends `request` and returns the service's reply verbatim: the general
    /// form of every call above.
    ///
    /// Errors: `Validation`, `File`, `Config` (no credentials) before any
    /// traffic, then any service, transport or response kind.
    pub fn send(&self, request: &Request<'_>) -> Result<Reply, Error> {
        self.logged(request.service, || self.execute(request, None).map(|parsed| parsed.reply))
    }

    /// Sends a getDocumentImages `request` (see [`Request::get_document_images`])
    /// and decodes the images of its reply.
    ///
    /// Errors: as [`Client::get_document_images`].
    /// The reply is read as it arrives (see `download.rs`): each image is
    /// decoded straight into its own buffer, so the call holds one decoded
    /// copy of the images plus fixed-size buffers, never the reply's base64.
    pub fn send_images(&self, request: &Request<'_>) -> Result<ImagesReply, Error> {
        self.logged(request.service, || {
            let mut sink = MemorySink::default();
            let parsed = self.execute_with(request, None, Some(&mut sink))?;
            let meta = parsed.reply.meta;
            let sizes = sink.sizes();
            let [front, back] = sink.images;
            ImagesReply::from_streamed(parsed, sizes, front, back).map_err(|e| e.with_http_status(200).with_meta(meta))
        })
    }

    /// [`Client::send_images`], writing the images to files as
    /// [`Client::save_document_images`] does: the reply is read as it
    /// arrives and each image decoded straight into a temporary file beside
    /// its target, renamed over it once the whole reply is read and checked.
    /// The call's memory stays the same whatever the images' size; a call
    /// that fails leaves no file behind (and the targets as they were).
    pub fn save_images(&self, request: &Request<'_>, front: &Path, back: Option<&Path>) -> Result<Reply, Error> {
        self.logged(request.service, || {
            let mut sink = FileSink::new(front, back);
            let parsed = self.execute_with(request, None, Some(&mut sink))?;
            let meta = parsed.reply.meta;
            let sizes = sink.sizes();
            let images = ImagesReply::from_streamed(parsed, sizes, None, None)
                .map_err(|e| e.with_http_status(200).with_meta(meta))?;
            sink.commit().map_err(|e| e.with_meta(meta))?;
            Ok(images.raw)
        })
    }

    /// One call as every public method makes it: `call` under the client's
    /// log dispatcher (if any) on this thread, and its outcome logged.
    pub(crate) fn logged<T: HasReply>(
        &self,
        service: Service,
        call: impl FnOnce() -> Result<T, Error>,
    ) -> Result<T, Error> {
        let call = || {
            let result = call();
            match &result {
                Ok(t) => {
                    let reply = t.reply();
                    events::finished_ok(service, reply.http_status, reply.meta.attempts, reply.meta.elapsed)
                }
                Err(e) => events::finished_err(service, e.kind(), e.http_status(), e.attempts(), e.meta().elapsed),
            }
            result
        };
        match &self.log {
            Some(log) => log.run(call),
            None => call(),
        }
    }

    /// Runs one call and records what it did in the reply's or the error's
    /// [`CallMeta`]. With a `pacer` (a batch's, whose turn the first attempt
    /// already has), every retry waits for its turn, and every attempt
    /// reports what it saw.
    pub(crate) fn execute(&self, request: &Request<'_>, pacer: Option<Paced<'_>>) -> Result<Parsed, Error> {
        self.execute_with(request, pacer, None)
    }

    /// [`Client::execute`]; a successful reply's images go to `images` as it is read.
    fn execute_with(
        &self,
        request: &Request<'_>,
        pacer: Option<Paced<'_>>,
        images: Option<&mut (dyn Sink + 'static)>,
    ) -> Result<Parsed, Error> {
        self.execute_traced(request, pacer, images, &mut None)
    }

    /// [`Client::execute_with`], leaving the last attempt's connection trace in `trace`.
    pub(crate) fn execute_traced(
        &self,
        request: &Request<'_>,
        pacer: Option<Paced<'_>>,
        images: Option<&mut (dyn Sink + 'static)>,
        trace: &mut Option<Trace>,
    ) -> Result<Parsed, Error> {
        let started = Instant::now();
        let mut meta = CallMeta::default();
        if events::debug_enabled() {
            let timeout = request.timeout.unwrap_or(self.config.timeout);
            events::call_started(request.service, request.email.as_deref().map(MaskedEmail::new).as_ref(), timeout);
        }
        let result = self.run(request, started, pacer, &mut meta, images, trace);
        meta.elapsed = started.elapsed();
        match result {
            Ok(mut parsed) => {
                parsed.reply.meta = meta;
                Ok(parsed)
            }
            Err(e) => Err(e.with_meta(meta)),
        }
    }

    /// Checks once, then makes attempts until one succeeds, the error is
    /// not retryable, the retries are used up, or the deadline would pass.
    fn run(
        &self,
        request: &Request<'_>,
        started: Instant,
        pacer: Option<Paced<'_>>,
        meta: &mut CallMeta,
        mut images: Option<&mut (dyn Sink + 'static)>,
        trace: &mut Option<Trace>,
    ) -> Result<Parsed, Error> {
        request.validate()?;
        let missing = |what: &str, var: &str| {
            Error::new(ErrorKind::Config, format!("no API {what}: set it in the configuration or {var}"))
        };
        let user =
            request.user.as_deref().or(self.config.user.as_deref()).ok_or_else(|| missing("user", "DCAMS_USER"))?;
        let pass = request
            .pass
            .as_deref()
            .or(self.config.pass.as_ref().map(Secret::expose))
            .ok_or_else(|| missing("password", "DCAMS_PASS"))?;
        let test_key = request.test_key.as_deref().or(self.config.test_key.as_ref().map(Secret::expose));
        let credentials = Credentials { user, pass, test_key };

        // Documents are checked (and base64 normalised) once, before any traffic.
        let format = self.config.check_image_format;
        let mut front = request.front.as_deref().map(|d| check("documents.front", d, format)).transpose()?;
        let mut back = request.back.as_deref().map(|d| check("documents.back", d, format)).transpose()?;
        if events::debug_enabled() {
            for (field, doc) in [("documents.front", &front), ("documents.back", &back)] {
                if let Some(digest) = doc.as_ref().and_then(Checked::digest) {
                    events::document(field, &digest);
                }
            }
        }
        let timeout = request.timeout.unwrap_or(self.config.timeout);
        let deadline = started + timeout;
        // Every wait of this call, down to each socket operation, is bounded by this.
        let watch = Watch::new(deadline, request.cancel.clone());
        let _entered = watch.enter();
        watch.check().map_err(|stop| stopped(stop, timeout))?;
        // The failure that caused the retry in progress.
        let mut previous: Option<Error> = None;
        // When the batch granted this attempt its turn (the pacer learns by it).
        let mut turn_at = pacer.map_or(started, |p| p.first_turn);
        loop {
            let sources =
                match (front.as_mut().map(Checked::source).transpose(), back.as_mut().map(Checked::source).transpose())
                {
                    (Ok(f), Ok(b)) => (f, b),
                    (Err(reopen), _) | (_, Err(reopen)) => {
                        return Err(match (reopen, previous) {
                            // A file that changed since the call began: the caller must learn it.
                            (Reopen::Changed(e), Some(cause)) => {
                                e.add_detail(&format!("while retrying after: {}", cause.message()))
                            }
                            // Keep the failure that caused the retry; say why the retry was abandoned.
                            (Reopen::Gone(e), Some(cause)) => {
                                cause.add_detail(&format!("not retried: {}", e.message()))
                            }
                            (Reopen::Changed(e) | Reopen::Gone(e), None) => e,
                        });
                    }
                };
            if let (Some(paced), Some(cause)) = (pacer, &previous) {
                // A retry takes its turn like any other request of the batch.
                let why = match paced.pacer.wait_turn(Some(deadline)) {
                    Turn::Go => {
                        turn_at = Instant::now();
                        None
                    }
                    Turn::Deadline => Some("not retried: the batch's pace would pass the deadline"),
                    Turn::Stopped => Some("not retried: the batch was stopped"),
                };
                if let Some(why) = why {
                    return Err(cause.clone().add_detail(why));
                }
            }
            meta.attempts += 1;
            let sent_at = Instant::now();
            let budget = Budget { remaining: deadline.saturating_duration_since(sent_at), whole: timeout };
            if let Some(sink) = images.as_deref_mut() {
                sink.reset();
            }
            let attempt_started = Instant::now();
            let (outcome, last) = self.attempt(&credentials, request, sources, budget, meta, images.as_deref_mut());
            *trace = last;
            if let Some(paced) = pacer {
                paced.pacer.observe(turn_at, meta.http_status);
            }
            let error = match outcome {
                Ok(parsed) => return Ok(parsed),
                Err(e) => e,
            };
            let failure = match error.http_status() {
                Some(status) => Failure::Status(status),
                None => Failure::Kind(error.kind()),
            };
            events::attempt_failed(failure, attempt_started.elapsed());
            let hint = error.retry_hint();
            if let (Some(paced), RetryHint::After(wait)) = (pacer, hint) {
                // The server asked for a pause: the batch takes it, not only this record.
                paced.pacer.retry_after(meta.http_status, wait);
            }
            if hint == RetryHint::Never {
                events::not_retried(failure, NotRetried::NotRetryable);
                return Err(error);
            }
            if meta.attempts > self.config.retries {
                events::not_retried(failure, NotRetried::RetriesUsed);
                return Err(error);
            }
            let wait = pause(hint, self.config.retry_backoff, meta.attempts);
            // checked_add: a huge Retry-After must not overflow the clock.
            if Instant::now().checked_add(wait).is_none_or(|resume| resume >= deadline) {
                events::not_retried(failure, NotRetried::Deadline);
                return Err(error.add_detail(&format!(
                    "not retried: waiting {} ms would pass the {} ms deadline",
                    wait.as_millis(),
                    timeout.as_millis()
                )));
            }
            events::retry(failure, wait, meta.attempts.saturating_add(1), self.config.retries.saturating_add(1));
            if let Err(stop) = watch.sleep(wait) {
                return Err(
                    stopped(stop, timeout).add_detail(&format!("while pausing to retry after: {}", error.message()))
                );
            }
            previous = Some(error);
        }
    }

    /// One HTTP attempt (see [`Client::exchange`]), with what its connection did.
    fn attempt(
        &self,
        c: &Credentials<'_>,
        r: &Request<'_>,
        (front, back): (Option<Source<'_>>, Option<Source<'_>>),
        budget: Budget,
        meta: &mut CallMeta,
        images: Option<&mut (dyn Sink + 'static)>,
    ) -> (Result<Parsed, Error>, Option<Trace>) {
        let mut builder = BodyBuilder::new(c.user, c.pass, r.service.as_str(), r.reference.as_deref(), &r.extra_top);
        if let Some(email) = &r.email {
            builder.field_str("email", email);
        }
        for (name, value) in &r.fields {
            match value {
                Field::Text(text) => builder.field_str(name, text),
                Field::Json(json) => builder.field_raw(name, json),
            }
        }
        if let Some(status) = r.status {
            builder.field_str("status", status.as_str());
        }
        if let Some(key) = c.test_key {
            builder.field_str("test_key", key);
        }
        let body = match front {
            Some(front) => builder.documents(front, back),
            None => builder.finish(),
        };
        let secrets: Vec<&str> = [Some(c.pass), c.test_key].into_iter().flatten().collect();
        meta.request_bytes = body.len();
        meta.http_status = None;
        meta.response_bytes = 0;
        let started = Instant::now();
        events::attempt_started(
            r.service,
            &self.host,
            meta.attempts,
            self.config.retries.saturating_add(1),
            body.len(),
        );
        let mut body = Sent { len: body.len(), body, sent: 0, started, connection_known: false };
        probe::begin();
        let result = self.exchange(&mut body, budget, meta, images, &secrets);
        let trace = probe::end();
        // A new connection shows in the trace; an attempt that started its body without one reused a pooled one.
        meta.connection_reused = match &trace {
            Some(t) if t.new_connection => Some(false),
            _ if body.connection_known => Some(true),
            _ => None,
        };
        (result, trace)
    }

    /// The HTTP exchange of one attempt: `body` streamed, the whole response
    /// read (so the connection can be reused), the answer classified.
    fn exchange(
        &self,
        body: &mut Sent<Body<'_>>,
        budget: Budget,
        meta: &mut CallMeta,
        images: Option<&mut (dyn Sink + 'static)>,
        secrets: &[&str],
    ) -> Result<Parsed, Error> {
        let started = body.started;
        let response = self
            .agent
            .post(&self.config.endpoint)
            .config()
            .timeout_global(Some(budget.remaining))
            .build()
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .header("Content-Length", body.len.to_string())
            .send(SendBody::from_reader(body));
        let mut response = response.map_err(|e| self.transport_error(e, budget.whole))?;
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let head = Head {
            status: response.status().as_u16(),
            content_type: header("content-type"),
            retry_after: header("retry-after"),
            location: header("location"),
        };
        meta.http_status = Some(head.status);
        let body = response.body_mut().with_config().limit(self.config.max_response_bytes);
        let (connect, overall) = (self.config.connect_timeout, budget.whole);
        let bytes = match images {
            // A success reply with images: scanned as it arrives (download.rs).
            Some(sink) if (200..300).contains(&head.status) => {
                let mut counted = Counted { inner: body.reader(), count: 0 };
                let scanned = scan(&mut counted, sink);
                meta.response_bytes = counted.count;
                match scanned {
                    Ok(rest) => rest,
                    Err(ScanError::Read(e)) => return Err(body_error(ureq_error(e), connect, overall)),
                    Err(ScanError::Sink(e)) => return Err(e),
                    Err(ScanError::Bad(what)) => {
                        return Err(Error::new(ErrorKind::BadResponse, format!("HTTP {} with {what}", head.status))
                            .with_http_status(head.status))
                    }
                }
            }
            _ => {
                let bytes = body.read_to_vec().map_err(|e| body_error(e, connect, overall))?;
                meta.response_bytes = bytes.len() as u64;
                bytes
            }
        };
        events::response(head.status, started.elapsed(), meta.response_bytes);
        classify(&head, bytes, secrets)
    }

    /// `whole`: the call's deadline, as the caller set it (named in timeouts).
    fn transport_error(&self, e: ureq::Error, whole: Duration) -> Error {
        let e = transport_error(e, self.config.connect_timeout, whole);
        match (&self.proxy, e.kind()) {
            (Some(via), ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Tls) => {
                e.add_detail(&format!("through the proxy at {via}"))
            }
            _ => e,
        }
    }
}

/// What every public call returns a [`Reply`] in (for the outcome event).
pub(crate) trait HasReply {
    fn reply(&self) -> &Reply;
}

impl HasReply for Reply {
    fn reply(&self) -> &Reply {
        self
    }
}

impl HasReply for UpsertReply {
    fn reply(&self) -> &Reply {
        &self.raw
    }
}

impl HasReply for StatusReply {
    fn reply(&self) -> &Reply {
        &self.raw
    }
}

impl HasReply for ImagesReply {
    fn reply(&self) -> &Reply {
        &self.raw
    }
}

/// The request body as the transport reads it, noting when its last byte
/// was handed over ("request sent").
struct Sent<R> {
    body: R,
    len: u64,
    sent: u64,
    started: Instant,
    /// The transport asked for the body: it has a connection, new or pooled.
    connection_known: bool,
}

impl<R: std::io::Read> std::io::Read for Sent<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if !self.connection_known {
            self.connection_known = true;
            events::connection(!probe::new_connection());
        }
        let n = self.body.read(out)?;
        let before = self.sent;
        self.sent += n as u64;
        // The transport stops reading at Content-Length: the end is that count, not a 0 read.
        if before < self.len && self.sent >= self.len {
            events::request_sent(self.sent, self.started.elapsed());
        }
        Ok(n)
    }
}

/// Counts the bytes read through it (the reply's size on the wire).
struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// The ureq error inside an `io::Error` from a body reader (or the `io::Error` itself).
fn ureq_error(e: std::io::Error) -> ureq::Error {
    if e.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
        if let Some(Ok(inner)) = e.into_inner().map(|b| b.downcast::<ureq::Error>()) {
            return *inner;
        }
        return ureq::Error::Io(std::io::ErrorKind::Other.into());
    }
    ureq::Error::Io(e)
}

/// The error for a call stopped outside any socket operation (before the
/// first attempt, or in the pause between two).
fn stopped(stop: Stop, timeout: Duration) -> Error {
    match stop {
        Stop::Cancelled => cancelled_error(),
        Stop::Deadline => Error::new(
            ErrorKind::Timeout,
            format!("timed out: the call's overall deadline of {} ms passed", timeout.as_millis()),
        ),
    }
}

/// The time one attempt may take: what is left of the call's deadline, and
/// the whole deadline (the call's own timeout, or the client's).
#[derive(Debug, Clone, Copy)]
struct Budget {
    remaining: Duration,
    whole: Duration,
}

/// The credentials every attempt of one call sends.
struct Credentials<'r> {
    user: &'r str,
    pass: &'r str,
    test_key: Option<&'r str>,
}
