//! Client configuration: endpoint, credentials, timeouts, limits.
//!
//! Sources, later ones winning: built-in defaults, then the environment
//! (`DCAMS_ENDPOINT`, `DCAMS_USER`, `DCAMS_PASS`, `DCAMS_TEST_KEY`,
//! `DCAMS_CA_FILE`, `DCAMS_CA_BUNDLE`, `DCAMS_CONNECT_TIMEOUT_MS`,
//! `DCAMS_TIMEOUT_MS`, `DCAMS_RETRIES`, and the usual proxy variables, see
//! [`ProxySetting`]) unless the member `environment` is false, then explicit
//! settings: Rust fields, or [`Settings`] — the configuration members by
//! their names, from a JSON object or set one at a time.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

use super::error::{Error, ErrorKind};
use super::log::{LogLevel, LogSink};

/// The production endpoint of the storage API (spec: "Transport").
pub const DEFAULT_ENDPOINT: &str = "https://dcams.app/v3/stable/api/storage";
/// Default time to establish a connection, TLS handshake included: 10 000 ms.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline for a whole call, every attempt and pause between
/// attempts included: 120 000 ms.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default time allowed to send the request body: 120 000 ms (a slow uplink
/// may take long; the overall deadline still bounds it).
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// Default time to wait for the response headers once the body is sent, and
/// again for the response body: 60 000 ms.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of retries after a failed attempt (3 attempts in all).
pub const DEFAULT_RETRIES: u32 = 2;
/// Default number of idle connections kept for reuse: 16 (enough for 16
/// threads sharing one client without reconnecting).
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 16;
/// Default base delay before the first retry: 250 ms (doubled each time, with jitter).
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(250);
/// Default largest response body accepted: 256 MiB (getDocumentImages returns
/// both images as base64).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 256 * 1024 * 1024;

/// A secret string (password, test key): never shown by `Debug`, wiped from
/// memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(value.into()))
    }
    /// The secret itself; only the request body builder should need it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret::new(s)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// Which proxy, if any, carries the connection to the endpoint.
#[derive(Clone, PartialEq, Eq)]
pub enum ProxySetting {
    /// From the environment (the default). For an `https://` endpoint:
    /// `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY`; for
    /// `http://`: `http_proxy`, `HTTP_PROXY`, then the `all_proxy` pair
    /// (lower case wins over upper case, as in curl). Hosts listed in
    /// `no_proxy`/`NO_PROXY` (comma-separated names, `.suffix` or `suffix`
    /// domain matches, `*` for all) go direct. A loopback endpoint never uses
    /// a proxy from the environment. The default of [`Config::from_env`].
    FromEnvironment,
    /// Never use a proxy, whatever the environment says. The default of
    /// [`Config::default`].
    None,
    /// Always use this proxy (`http://[user:pass@]host:port`); HTTPS goes
    /// through it with `CONNECT`.
    Url(Secret),
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::FromEnvironment => f.write_str("FromEnvironment"),
            ProxySetting::None => f.write_str("None"),
            // The URL may carry proxy credentials: show the host part only.
            ProxySetting::Url(url) => {
                let shown = url.expose().rsplit('@').next().unwrap_or_default();
                write!(f, "Url({shown})")
            }
        }
    }
}

/// Everything a [`Client`](super::Client) needs. Build it with
/// [`Config::default`] (built-in defaults only, reads no environment
/// variable), [`Config::from_env`], [`Config::from_json`] or
/// [`Settings::config`], then adjust fields.
#[derive(Clone, Debug)]
pub struct Config {
    /// Storage endpoint URL. `https://` always; `http://` only to a loopback
    /// address (127.0.0.0/8, ::1, `localhost`) unless
    /// [`danger_allow_plain_http`](Config::danger_allow_plain_http) is set.
    pub endpoint: String,
    /// API user name (`user` in the body).
    pub user: Option<String>,
    /// API password (`pass` in the body).
    pub pass: Option<Secret>,
    /// Test key sent as `target.test_key` on every call unless the call gives its own.
    pub test_key: Option<Secret>,
    /// Extra trusted CA certificates (PEM file), added to the platform's roots.
    pub ca_file: Option<PathBuf>,
    /// The only trusted CA certificates (PEM file), replacing the platform's roots.
    pub ca_bundle: Option<PathBuf>,
    /// Proxy choice (default: from the environment).
    pub proxy: ProxySetting,
    /// Time allowed to connect, TLS handshake included (per attempt).
    pub connect_timeout: Duration,
    /// Time allowed to send the request body (per attempt).
    pub send_timeout: Duration,
    /// Time allowed between the end of the body and the response headers,
    /// and again for receiving the response body (per attempt).
    pub response_timeout: Duration,
    /// Deadline for the whole call: every attempt, every pause between
    /// attempts, up to the last byte of the response.
    pub timeout: Duration,
    /// Retries after a failed attempt, on connection failures and HTTP
    /// 429/502/503/504 only; 0 disables. Repeating is safe: every service is
    /// idempotent (createOrUpdateCustomer is an upsert keyed by e-mail, the
    /// others read or set a value).
    pub retries: u32,
    /// Base delay before the first retry; doubled for each further one
    /// (at most 30 s), with random jitter; a `Retry-After` answer wins.
    pub retry_backoff: Duration,
    /// Largest response body accepted, in bytes; a larger one fails with `BadResponse`.
    pub max_response_bytes: u64,
    /// Idle connections kept open for reuse (the pool size; 0 disables
    /// reuse). Sequential calls reuse one connection; concurrent calls use
    /// up to this many.
    pub max_idle_connections: usize,
    /// Reject documents whose leading bytes are not a known image format
    /// (JPEG, PNG, GIF, WebP, TIFF, BMP, HEIF/HEIC/AVIF, PDF). Default true;
    /// false sends any non-empty bytes.
    pub check_image_format: bool,
    /// Allow `http://` to a non-loopback host, sending the password in clear
    /// text. Default false. Never set this outside a closed test network.
    pub danger_allow_plain_http: bool,
    /// Where this client's log events go (see [`LogSink`]); none by default.
    pub log: Option<LogSink>,
    /// The least severe events [`log`](Config::log) receives (default info).
    pub log_level: LogLevel,
    /// The application's name, added to the `User-Agent` after
    /// `dcams/<version>` (an HTTP token: letters, digits and
    /// ``!#$%&'*+-.^_`|~``, at most 64 characters).
    pub app_name: Option<String>,
    /// The application's version, sent as `app_name/app_version` (an HTTP
    /// token too; needs [`app_name`](Config::app_name)).
    pub app_version: Option<String>,
}

impl Default for Config {
    /// The built-in defaults; reads no environment variable, proxy ones
    /// included: production endpoint, no credentials, platform CA roots, no
    /// proxy, 10 s connect, 120 s send, 60 s response, 120 s overall, 2
    /// retries from 250 ms, 256 MiB responses.
    fn default() -> Config {
        Config {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            user: None,
            pass: None,
            test_key: None,
            ca_file: None,
            ca_bundle: None,
            proxy: ProxySetting::None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_idle_connections: DEFAULT_MAX_IDLE_CONNECTIONS,
            check_image_format: true,
            danger_allow_plain_http: false,
            log: None,
            log_level: LogLevel::Info,
            app_name: None,
            app_version: None,
        }
    }
}

/// The configuration members by name: every member optional; an unknown
/// member is an error so that typos do not pass silently.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct Patch {
    environment: Option<bool>,
    endpoint: Option<String>,
    user: Option<String>,
    pass: Option<Secret>,
    test_key: Option<Secret>,
    ca_file: Option<PathBuf>,
    ca_bundle: Option<PathBuf>,
    proxy: Option<Secret>,
    no_proxy: Option<bool>,
    connect_timeout_ms: Option<u64>,
    send_timeout_ms: Option<u64>,
    response_timeout_ms: Option<u64>,
    timeout_ms: Option<u64>,
    retries: Option<u32>,
    retry_backoff_ms: Option<u64>,
    max_response_bytes: Option<u64>,
    max_idle_connections: Option<usize>,
    check_image_format: Option<bool>,
    danger_allow_plain_http: Option<bool>,
    log_level: Option<LogLevel>,
    app_name: Option<String>,
    app_version: Option<String>,
}

/// Configuration members by name, applied in order over the environment
/// (or over the built-in defaults only, when `environment` is false).
///
/// The members, every one optional: `"environment"`: bool (default true:
/// read `DCAMS_*` and the proxy variables; false: read no environment
/// variable at all), `"endpoint"`: str, `"user"`: str, `"pass"`: str,
/// `"test_key"`: str, `"ca_file"`: path, `"ca_bundle"`: path, `"proxy"`: url,
/// `"no_proxy"`: bool, `"connect_timeout_ms"`, `"send_timeout_ms"`,
/// `"response_timeout_ms"`, `"timeout_ms"`, `"retries"`, `"retry_backoff_ms"`,
/// `"max_response_bytes"`, `"max_idle_connections"`: non-negative integers,
/// `"check_image_format"`, `"danger_allow_plain_http"`: bool, `"log_level"`:
/// `"error"`, `"warn"`, `"info"`, `"debug"` or `"trace"` (what the log sink
/// receives; the sink itself is set with [`Settings::set_log_sink`]),
/// `"app_name"`, `"app_version"`: HTTP tokens for the `User-Agent`. Each is
/// the [`Config`] field of the same name (`_ms` members in milliseconds).
/// `proxy` beats `no_proxy`, which beats the environment.
///
/// The same table serves the JSON configuration object ([`Settings::from_json`])
/// and one-at-a-time setters ([`Settings::set_str`] and its siblings). Error
/// messages never quote a value.
#[derive(Default, Clone)]
pub struct Settings {
    patches: Vec<Patch>,
    log: Option<LogSink>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Settings({} patches)", self.patches.len())
    }
}

/// Describes a serde error without the value that caused it (it may be a secret).
fn describe(e: &impl fmt::Display) -> String {
    let text = e.to_string();
    match text.split_once(", expected ") {
        Some((what, expected)) if what.starts_with("invalid type") || what.starts_with("invalid value") => {
            format!("a member has the wrong type or value: expected {expected}")
        }
        _ => text,
    }
}

impl Settings {
    /// No members: the environment and the defaults.
    pub fn new() -> Settings {
        Settings::default()
    }

    /// The members of a JSON object (see [`Settings`]); `"{}"` sets none.
    ///
    /// Errors: `InvalidJson` (not JSON, not an object, a wrong type or an
    /// unknown member, named in the message).
    pub fn from_json(text: &str) -> Result<Settings, Error> {
        let invalid = |m: String| Error::new(ErrorKind::InvalidJson, m);
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("configuration is not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(invalid("configuration must be a JSON object".to_owned()));
        }
        let patch = Patch::deserialize(value).map_err(|e| invalid(format!("configuration: {}", describe(&e))))?;
        Ok(Settings { patches: vec![patch], log: None })
    }

    fn set(&mut self, name: &str, value: serde_json::Value, kind: &str) -> Result<(), Error> {
        let member = serde_json::Value::Object([(name.to_owned(), value)].into_iter().collect());
        // A string value moves into the patch (a password is not copied on the way).
        let patch = Patch::deserialize(member).map_err(|e| {
            let text = e.to_string();
            let why = if text.starts_with("unknown field") { text } else { format!("`{name}` does not take {kind}") };
            Error::new(ErrorKind::InvalidJson, format!("configuration: {why}"))
        })?;
        self.patches.push(patch);
        Ok(())
    }

    /// Sets a string member (`endpoint`, `user`, `pass`, `test_key`,
    /// `ca_file`, `ca_bundle`, `proxy`, `log_level`, `app_name`, `app_version`).
    ///
    /// Errors: `InvalidJson` for an unknown member or one that is not a string.
    pub fn set_str(&mut self, name: &str, value: &str) -> Result<(), Error> {
        self.set(name, value.into(), "a string")
    }

    /// Sets an integer member (`*_timeout_ms`, `timeout_ms`, `retries`,
    /// `retry_backoff_ms`, `max_response_bytes`, `max_idle_connections`).
    ///
    /// Errors: `InvalidJson` for an unknown member, one that is not an
    /// integer, or a value out of its range (negative, too large).
    pub fn set_int(&mut self, name: &str, value: i64) -> Result<(), Error> {
        self.set(name, value.into(), "this integer")
    }

    /// Sets a boolean member (`environment`, `no_proxy`,
    /// `check_image_format`, `danger_allow_plain_http`).
    ///
    /// Errors: `InvalidJson` for an unknown member or one that is not a boolean.
    pub fn set_bool(&mut self, name: &str, value: bool) -> Result<(), Error> {
        self.set(name, value.into(), "a boolean")
    }

    /// Sends the clients' log events to `sink` (their level is the member
    /// `log_level`, default info), replacing an earlier sink; `None`: no sink.
    pub fn set_log_sink(&mut self, sink: Option<LogSink>) {
        self.log = sink;
    }

    /// The configuration: [`Config::from_env`] (or [`Config::default`] when
    /// `environment` is false), then every member in the order set.
    ///
    /// Errors: `Config` (a bad environment value).
    pub fn config(&self) -> Result<Config, Error> {
        let environment = self.patches.iter().rev().find_map(|p| p.environment).unwrap_or(true);
        let mut config = if environment { Config::from_env()? } else { Config::default() };
        for patch in &self.patches {
            config.apply(patch.clone());
        }
        if self.log.is_some() {
            config.log = self.log.clone();
        }
        Ok(config)
    }
}

impl Config {
    /// Defaults overridden by the environment: `DCAMS_ENDPOINT`, `DCAMS_USER`,
    /// `DCAMS_PASS`, `DCAMS_TEST_KEY`, `DCAMS_CA_FILE`, `DCAMS_CA_BUNDLE`,
    /// `DCAMS_CONNECT_TIMEOUT_MS`, `DCAMS_TIMEOUT_MS`, `DCAMS_RETRIES` (empty
    /// variables are ignored), and the proxy from the environment when a
    /// client is made (see [`ProxySetting::FromEnvironment`]).
    ///
    /// Errors: `Config` when a number variable is not a whole number.
    pub fn from_env() -> Result<Config, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let num = |name: &str| -> Result<Option<u64>, Error> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| Error::new(ErrorKind::Config, format!("{name} must be a whole number")))
                })
                .transpose()
        };
        let retries = num("DCAMS_RETRIES")?
            .map(|n| u32::try_from(n).map_err(|_| Error::new(ErrorKind::Config, "DCAMS_RETRIES is too large")))
            .transpose()?;
        let patch = Patch {
            endpoint: var("DCAMS_ENDPOINT"),
            user: var("DCAMS_USER"),
            pass: var("DCAMS_PASS").map(Secret::new),
            test_key: var("DCAMS_TEST_KEY").map(Secret::new),
            ca_file: var("DCAMS_CA_FILE").map(PathBuf::from),
            ca_bundle: var("DCAMS_CA_BUNDLE").map(PathBuf::from),
            connect_timeout_ms: num("DCAMS_CONNECT_TIMEOUT_MS")?,
            timeout_ms: num("DCAMS_TIMEOUT_MS")?,
            retries,
            ..Patch::default()
        };
        let mut config = Config { proxy: ProxySetting::FromEnvironment, ..Config::default() };
        config.apply(patch);
        Ok(config)
    }

    /// The members of a JSON object (see [`Settings`]) over the environment;
    /// `None` or `"{}"` means environment and defaults only.
    ///
    /// Errors: `InvalidJson` (not JSON, not an object, a wrong type or an
    /// unknown member, named in the message), `Config` (bad environment value).
    pub fn from_json(json: Option<&str>) -> Result<Config, Error> {
        match json {
            Some(text) => Settings::from_json(text)?.config(),
            None => Config::from_env(),
        }
    }

    fn apply(&mut self, p: Patch) {
        if let Some(v) = p.endpoint {
            self.endpoint = v;
        }
        if let Some(v) = p.user {
            self.user = Some(v);
        }
        if let Some(v) = p.pass {
            self.pass = Some(v);
        }
        if let Some(v) = p.test_key {
            self.test_key = Some(v);
        }
        if let Some(v) = p.ca_file {
            self.ca_file = Some(v);
        }
        if let Some(v) = p.ca_bundle {
            self.ca_bundle = Some(v);
        }
        if p.no_proxy == Some(true) {
            self.proxy = ProxySetting::None;
        }
        if let Some(v) = p.proxy {
            self.proxy = ProxySetting::Url(v);
        }
        let ms = Duration::from_millis;
        if let Some(v) = p.connect_timeout_ms {
            self.connect_timeout = ms(v);
        }
        if let Some(v) = p.send_timeout_ms {
            self.send_timeout = ms(v);
        }
        if let Some(v) = p.response_timeout_ms {
            self.response_timeout = ms(v);
        }
        if let Some(v) = p.timeout_ms {
            self.timeout = ms(v);
        }
        if let Some(v) = p.retries {
            self.retries = v;
        }
        if let Some(v) = p.retry_backoff_ms {
            self.retry_backoff = ms(v);
        }
        if let Some(v) = p.max_response_bytes {
            self.max_response_bytes = v;
        }
        if let Some(v) = p.max_idle_connections {
            self.max_idle_connections = v;
        }
        if let Some(v) = p.check_image_format {
            self.check_image_format = v;
        }
        if let Some(v) = p.danger_allow_plain_http {
            self.danger_allow_plain_http = v;
        }
        if let Some(v) = p.log_level {
            self.log_level = v;
        }
        if let Some(v) = p.app_name {
            self.app_name = Some(v);
        }
        if let Some(v) = p.app_version {
            self.app_version = Some(v);
        }
    }

    /// The `User-Agent` of every request: `dcams/<version>`, then
    /// `app_name/app_version` (or `app_name` alone) when configured.
    pub fn user_agent(&self) -> String {
        let ours = super::client::USER_AGENT;
        match (&self.app_name, &self.app_version) {
            (Some(name), Some(version)) => format!("{ours} {name}/{version}"),
            (Some(name), None) => format!("{ours} {name}"),
            _ => ours.to_owned(),
        }
    }

    /// Checks the configuration can be used: a parseable `http(s)` endpoint,
    /// plain HTTP only to loopback (or with the danger flag), non-zero timeouts.
    ///
    /// Errors: `Config`, naming the problem.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::new(ErrorKind::Config, m));
        // Never quoted whole: it could carry credentials (refused below).
        let shown = without_userinfo(&self.endpoint);
        let uri: ureq::http::Uri = match self.endpoint.parse() {
            Ok(u) => u,
            Err(_) => return bad(format!("endpoint is not a URL: {shown:?}")),
        };
        let Some(authority) = uri.authority() else {
            return bad(format!("endpoint has no host: {shown:?}"));
        };
        let host = authority.host();
        if authority.as_str().contains('@') {
            return bad(format!(
                "endpoint {shown:?} carries credentials (user:password@): set them as user and pass instead"
            ));
        }
        check_port(&uri, "endpoint")?;
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if is_loopback(host) || self.danger_allow_plain_http => {}
            Some("http") => {
                return bad(format!(
                    "refusing to send credentials over plain http:// to non-loopback host {host}; \
                     use https:// (or set danger_allow_plain_http on a closed test network)"
                ))
            }
            _ => return bad(format!("endpoint must be an https:// URL: {shown:?}")),
        }
        let timeouts = [self.connect_timeout, self.send_timeout, self.response_timeout, self.timeout];
        if timeouts.iter().any(Duration::is_zero) {
            return bad("timeouts must be greater than 0 ms".to_owned());
        }
        if self.ca_file.is_some() && self.ca_bundle.is_some() {
            return bad("set ca_file (added to the platform roots) or ca_bundle (replacing them), not both".to_owned());
        }
        for (member, value) in [("app_name", &self.app_name), ("app_version", &self.app_version)] {
            if let Some(v) = value {
                if !is_token(v) {
                    return bad(format!(
                        "{member} must be an HTTP token of 1 to {MAX_TOKEN} characters: letters, digits and !#$%&'*+-.^_`|~"
                    ));
                }
            }
        }
        if self.app_version.is_some() && self.app_name.is_none() {
            return bad("app_version needs app_name".to_owned());
        }
        Ok(())
    }
}

/// The longest `app_name` or `app_version` accepted.
const MAX_TOKEN: usize = 64;

/// Whether `s` is an HTTP token (RFC 9110, section 5.6.2) of at most [`MAX_TOKEN`] characters.
fn is_token(s: &str) -> bool {
    (1..=MAX_TOKEN).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The port written in `uri`, which must be 1 to 65535: the URL parser
/// accepts any digits and the HTTP layer would fall back to the scheme's
/// default port for a number that does not fit (issue 9).
///
/// Errors: `Config`, naming `what` (`endpoint`, `proxy` or a variable).
pub(crate) fn check_port(uri: &ureq::http::Uri, what: &str) -> Result<(), Error> {
    // The authority's own text: `Uri::port` is None for digits that do not fit a u16.
    let Some(authority) = uri.authority() else { return Ok(()) };
    let host_port = authority.as_str().rsplit('@').next().unwrap_or_default();
    let Some((host, port)) = host_port.rsplit_once(':') else { return Ok(()) };
    if host.starts_with('[') && !host.ends_with(']') {
        return Ok(()); // a colon inside an IPv6 literal, no port
    }
    match port.parse::<u16>() {
        Ok(1..=65535) => Ok(()),
        _ if port.is_empty() => Ok(()),
        _ => Err(Error::new(ErrorKind::Config, format!("{what} has port {port}: ports are 1 to 65535"))),
    }
}

/// `url` with any `user:password@` in its authority replaced by `***@`.
pub(crate) fn without_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

/// Whether `host` (as in a URL, IPv6 possibly in brackets) is a loopback address.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_overrides_and_rejects_unknown() {
        let c =
            Config::from_json(Some(r#"{"endpoint":"http://127.0.0.1:9/x","user":"u","pass":"p","timeout_ms":1500}"#))
                .unwrap();
        assert_eq!(c.endpoint, "http://127.0.0.1:9/x");
        assert_eq!(c.user.as_deref(), Some("u"));
        assert_eq!(c.pass.as_ref().map(Secret::expose), Some("p"));
        assert_eq!(c.timeout, Duration::from_millis(1500));
        let e = Config::from_json(Some(r#"{"passwrod":"x"}"#)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
        assert!(e.message().contains("passwrod"));
        let e = Config::from_json(Some("[1]")).unwrap_err();
        assert_eq!((e.kind(), e.message()), (ErrorKind::InvalidJson, "configuration must be a JSON object"));
    }

    #[test]
    fn json_sets_tls_proxy_timeouts_and_retries() {
        let c = Config::from_json(Some(
            r#"{"ca_file":"/tmp/ca.pem","proxy":"http://u:secret@127.0.0.1:3128","send_timeout_ms":5,"response_timeout_ms":6,"retries":0,"retry_backoff_ms":7}"#,
        ))
        .unwrap();
        assert_eq!(c.ca_file.as_deref(), Some(std::path::Path::new("/tmp/ca.pem")));
        assert_eq!(c.proxy, ProxySetting::Url(Secret::new("http://u:secret@127.0.0.1:3128")));
        assert!(!format!("{c:?}").contains("secret"), "proxy credentials hidden");
        assert_eq!((c.send_timeout, c.response_timeout), (Duration::from_millis(5), Duration::from_millis(6)));
        assert_eq!((c.retries, c.retry_backoff), (0, Duration::from_millis(7)));
        assert_eq!(Config::from_json(Some(r#"{"no_proxy":true}"#)).unwrap().proxy, ProxySetting::None);
        let both = Config::from_json(Some(r#"{"ca_file":"a","ca_bundle":"b"}"#)).unwrap();
        assert_eq!(both.check().unwrap_err().kind(), ErrorKind::Config);
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let with = |endpoint: &str| Config { endpoint: endpoint.into(), ..Config::default() }.check();
        assert!(with("https://dcams.app/v3/stable/api/storage").is_ok());
        assert!(with("http://127.0.0.1:8080/v3/stable/api/storage").is_ok());
        assert!(with("http://127.1.2.3/x").is_ok());
        assert!(with("http://localhost:1/x").is_ok());
        assert!(with("http://[::1]:1/x").is_ok());
        let e = with("http://dcams.app/v3/stable/api/storage").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("plain http"));
        assert!(with("ftp://dcams.app/").is_err());
        assert!(with("not a url").is_err());
        let mut c = Config { endpoint: "http://10.0.0.1/x".into(), ..Config::default() };
        c.danger_allow_plain_http = true;
        assert!(c.check().is_ok());
    }

    #[test]
    fn user_agent_names_the_application() {
        let c =
            Config::from_json(Some(r#"{"environment":false,"app_name":"acme-kyc","app_version":"4.2.1"}"#)).unwrap();
        c.check().unwrap();
        assert_eq!(c.user_agent(), format!("dcams/{} acme-kyc/4.2.1", env!("CARGO_PKG_VERSION")));
        assert_eq!(Config::default().user_agent(), format!("dcams/{}", env!("CARGO_PKG_VERSION")));
        let name_only = Config { app_name: Some("acme".into()), ..Config::default() };
        assert!(name_only.user_agent().ends_with(" acme"));
        for bad in ["acme kyc", "", "acme/1", "é", "a\r\nX-Injected: 1", &"x".repeat(65)] {
            let c = Config { app_name: Some(bad.to_owned()), ..Config::default() };
            let e = c.check().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad:?}");
            assert!(e.message().contains("app_name"), "{e}");
        }
        let c = Config { app_name: Some("acme".into()), app_version: Some("1 0".into()), ..Config::default() };
        assert!(c.check().unwrap_err().message().contains("app_version"));
        let c = Config { app_version: Some("1.0".into()), ..Config::default() };
        assert_eq!(c.check().unwrap_err().kind(), ErrorKind::Config);
    }

    #[test]
    fn log_level_is_a_member_and_the_sink_is_set_apart() {
        let c = Config::from_json(Some(r#"{"environment":false,"log_level":"trace"}"#)).unwrap();
        assert_eq!((c.log_level, c.log.is_some()), (LogLevel::Trace, false));
        let e = Config::from_json(Some(r#"{"log_level":"loud"}"#)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
        let mut s = Settings::new();
        s.set_bool("environment", false).unwrap();
        s.set_str("log_level", "debug").unwrap();
        s.set_log_sink(Some(LogSink::new(|_| {})));
        let c = s.config().unwrap();
        assert_eq!((c.log_level, c.log.is_some()), (LogLevel::Debug, true));
        assert_eq!(Config::default().log_level, LogLevel::Info);
    }

    #[test]
    fn ports_and_userinfo() {
        let with = |endpoint: &str| Config { endpoint: endpoint.into(), ..Config::default() }.check();
        assert!(with("https://dcams.app:443/x").is_ok());
        assert!(with("http://127.0.0.1:65535/x").is_ok());
        for bad in ["http://127.0.0.1:65536/x", "http://127.0.0.1:99999/x", "https://dcams.app:0/x"] {
            let e = with(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
            assert!(e.message().contains("ports are 1 to 65535"), "{e}");
        }
        let e = with("https://u:s3cret@dcams.app/x").unwrap_err();
        assert!(e.message().contains("credentials") && !e.message().contains("s3cret"), "{e}");
        assert_eq!(without_userinfo("https://u:p@h:1/a@b"), "https://***@h:1/a@b");
        assert_eq!(without_userinfo("h:1"), "h:1");
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Config {
            pass: Some(Secret::new("hunter2-pass")),
            test_key: Some(Secret::new("tk-123")),
            ..Config::default()
        };
        let d = format!("{c:?}");
        assert!(!d.contains("hunter2") && !d.contains("tk-123"), "{d}");
    }
}
