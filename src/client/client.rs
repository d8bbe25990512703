//! The client: one configured HTTP agent, shared by every call.

use std::time::{Duration, Instant};

use ureq::{Agent, SendBody};

use super::body::BodyBuilder;
use super::call::Call;
use super::config::{Config, Secret};
use super::customer::{Customer, Service};
use super::document::{prepare, Prepared};
use super::error::{Error, ErrorKind};
use super::reply::{ImagesReply, ReviewStatus, StatusReply, UpsertReply};
use super::response::{body_error, classify, transport_error, Head, Reply};
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
        Ok(Client { config, agent, proxy })
    }

    /// A client configured from the environment only ([`Config::from_env`]).
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?)
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// createOrUpdateCustomer (spec: "Service createOrUpdateCustomer"):
    /// validates `customer`, then creates or updates the record with that e-mail.
    ///
    /// Errors: any [`ErrorKind`] but `NullArgument`/`InvalidUtf8`/`InvalidJson`.
    pub fn upsert(&self, customer: &Customer<'_>) -> Result<UpsertReply, Error> {
        self.execute(Call::upsert(customer)).map(UpsertReply::from_reply)
    }

    /// getStatus (spec: "Service getStatus"): the status and stored attributes.
    pub fn get_status(&self, email: &str) -> Result<StatusReply, Error> {
        self.execute(Call::for_email(Service::GetStatus, email)).map(StatusReply::from_reply)
    }

    /// getDocumentImages (spec: "Service getDocumentImages"): status,
    /// attributes and the stored images, decoded.
    pub fn get_document_images(&self, email: &str) -> Result<ImagesReply, Error> {
        self.execute(Call::for_email(Service::GetDocumentImages, email)).and_then(ImagesReply::from_reply)
    }

    /// updateStatus (spec: "Service updateStatus"): sets the review status;
    /// the reply's `status` is the new one, read from `target.status`.
    pub fn update_status(&self, email: &str, status: ReviewStatus) -> Result<StatusReply, Error> {
        let mut call = Call::for_email(Service::UpdateStatus, email);
        call.fields.push(("status".into(), super::call::json_string(status.as_str()).into()));
        self.execute(call).map(StatusReply::from_reply)
    }

    /// Sends a documented request body (spec: "Request envelope") and returns
    /// the service's reply verbatim. `user`/`pass` default to the client's,
    /// `service` to `createOrUpdateCustomer`, `target.test_key` to the
    /// client's test key; unknown members pass through; images are base64
    /// strings in `target.documents` (see [`Document::Base64`](super::Document::Base64)).
    ///
    /// Errors: `InvalidJson` for text that is not the documented shape, then
    /// as [`Client::upsert`].
    pub fn call_json(&self, request: &str) -> Result<Reply, Error> {
        self.execute(Call::from_json(request)?)
    }

    /// Validates once, then makes attempts until one succeeds, the error is
    /// not retryable, the retries are used up, or the deadline would pass.
    fn execute(&self, call: Call<'_>) -> Result<Reply, Error> {
        call.validate()?;
        let missing = |what: &str, var: &str| {
            Error::new(ErrorKind::Config, format!("no API {what}: set it in the configuration or {var}"))
        };
        let user = call.user.as_deref().or(self.config.user.as_deref()).ok_or_else(|| missing("user", "DCAMS_USER"))?;
        let pass = call.pass.as_deref().or(self.config.pass.as_ref().map(Secret::expose)).ok_or_else(|| missing("password", "DCAMS_PASS"))?;
        let test_key = call.test_key.as_deref().or(self.config.test_key.as_ref().map(Secret::expose));
        let request = Request { call: &call, user, pass, test_key };

        // Documents are opened and checked before any traffic; a retry opens them again.
        let mut documents = Some(self.documents(&call)?);
        let deadline = Instant::now() + self.config.timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let docs = match documents.take() {
                Some(docs) => docs,
                None => self.documents(&call)?,
            };
            let mut error = match self.attempt(&request, docs, remaining) {
                Ok(reply) => return Ok(reply),
                Err(e) => e,
            };
            error.set_attempts(attempt);
            let hint = error.retry_hint();
            if hint == RetryHint::Never || attempt > self.config.retries {
                return Err(error);
            }
            let wait = pause(hint, self.config.retry_backoff, attempt);
            // checked_add: a huge Retry-After must not overflow the clock.
            if Instant::now().checked_add(wait).is_none_or(|resume| resume >= deadline) {
                return Err(error.add_detail(&format!(
                    "not retried: waiting {} ms would pass the {} ms deadline",
                    wait.as_millis(),
                    self.config.timeout.as_millis()
                )));
            }
            std::thread::sleep(wait);
        }
    }

    /// The call's documents, opened and checked: (front, back).
    fn documents<'d>(&self, call: &'d Call<'_>) -> Result<(Option<Prepared<'d>>, Option<Prepared<'d>>), Error> {
        let check = self.config.check_image_format;
        let front = call.front.as_deref().map(|d| prepare("documents.front", d, check)).transpose()?;
        let back = call.back.as_deref().map(|d| prepare("documents.back", d, check)).transpose()?;
        Ok((front, back))
    }

    /// One HTTP exchange: body streamed, the whole response read (so the
    /// connection can be reused).
    fn attempt(
        &self,
        r: &Request<'_, '_>,
        (front, back): (Option<Prepared<'_>>, Option<Prepared<'_>>),
        remaining: Duration,
    ) -> Result<Reply, Error> {
        let mut builder = BodyBuilder::new(r.user, r.pass, r.call.service.as_str(), r.call.reference.as_deref(), &r.call.extra_top);
        for (name, value) in &r.call.fields {
            builder.field_raw(name, value);
        }
        if let Some(key) = r.test_key {
            builder.field_str("test_key", key);
        }
        let mut body = match front {
            Some(front) => builder.documents(front, back),
            None => builder.finish(),
        };
        let secrets: Vec<&str> = [Some(r.pass), r.test_key].into_iter().flatten().collect();

        let response = self
            .agent
            .post(&self.config.endpoint)
            .config()
            .timeout_global(Some(remaining))
            .build()
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .header("Content-Length", body.len().to_string())
            .send(SendBody::from_reader(&mut body));
        let mut response = response.map_err(|e| self.transport_error(e))?;
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let head = Head {
            status: response.status().as_u16(),
            content_type: header("content-type"),
            retry_after: header("retry-after"),
            location: header("location"),
        };
        let bytes = response
            .body_mut()
            .with_config()
            .limit(self.config.max_response_bytes)
            .read_to_vec()
            .map_err(|e| body_error(e, self.config.connect_timeout, self.config.timeout))?;
        classify(&head, bytes, &secrets)
    }

    fn transport_error(&self, e: ureq::Error) -> Error {
        let e = transport_error(e, self.config.connect_timeout, self.config.timeout);
        match (&self.proxy, e.kind()) {
            (Some(via), ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Tls) => {
                e.add_detail(&format!("through the proxy at {via}"))
            }
            _ => e,
        }
    }
}

/// What every attempt of one call sends.
struct Request<'r, 'c> {
    call: &'r Call<'c>,
    user: &'r str,
    pass: &'r str,
    test_key: Option<&'r str>,
}
