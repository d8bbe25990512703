//! The client: one configured HTTP agent, shared by every call.

use ureq::{Agent, SendBody};

use super::body::BodyBuilder;
use super::call::Call;
use super::config::{Config, Secret};
use super::customer::{Customer, Service};
use super::document::prepare;
use super::error::{Error, ErrorKind};
use super::reply::{ImagesReply, ReviewStatus, StatusReply, UpsertReply};
use super::response::{classify, transport_error, Reply};

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
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config` (see [`Config::check`] for what is refused).
    ///
    /// Errors: `Config`.
    pub fn new(config: Config) -> Result<Client, Error> {
        config.check()?;
        let agent: Agent = Agent::config_builder()
            // Read the service's error bodies instead of a bare status error.
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .timeout_connect(Some(config.connect_timeout))
            // Never re-send a POST carrying credentials somewhere else.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(USER_AGENT)
            .build()
            .into();
        Ok(Client { config, agent })
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

    /// Validates, builds the streaming body and sends it.
    fn execute(&self, call: Call<'_>) -> Result<Reply, Error> {
        call.validate()?;
        let missing = |what: &str, var: &str| {
            Error::new(ErrorKind::Config, format!("no API {what}: set it in the configuration or {var}"))
        };
        let user = call.user.as_deref().or(self.config.user.as_deref()).ok_or_else(|| missing("user", "DCAMS_USER"))?;
        let pass = call.pass.as_deref().or(self.config.pass.as_ref().map(Secret::expose)).ok_or_else(|| missing("password", "DCAMS_PASS"))?;
        let test_key = call.test_key.as_deref().or(self.config.test_key.as_ref().map(Secret::expose));
        let check = self.config.check_image_format;
        let front = call.front.as_deref().map(|d| prepare("documents.front", d, check)).transpose()?;
        let back = call.back.as_deref().map(|d| prepare("documents.back", d, check)).transpose()?;

        let mut builder = BodyBuilder::new(user, pass, call.service.as_str(), call.reference.as_deref(), &call.extra_top);
        for (name, value) in &call.fields {
            builder.field_raw(name, value);
        }
        if let Some(key) = test_key {
            builder.field_str("test_key", key);
        }
        let mut body = match front {
            Some(front) => builder.documents(front, back),
            None => builder.finish(),
        };
        let secrets: Vec<&str> = [Some(pass), test_key].into_iter().flatten().collect();

        let response = self
            .agent
            .post(&self.config.endpoint)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .header("Content-Length", body.len().to_string())
            .send(SendBody::from_reader(&mut body));
        let mut response = response.map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .body_mut()
            .with_config()
            .limit(self.config.max_response_bytes)
            .read_to_vec()
            .map_err(|e| self.transport_error(e))?;
        classify(status, content_type.as_deref(), bytes, &secrets)
    }

    fn transport_error(&self, e: ureq::Error) -> Error {
        transport_error(e, self.config.connect_timeout, self.config.timeout)
    }
}
