//! [`Client::check`]: configuration, name resolution, TCP, proxy tunnel, TLS
//! and credentials, each step timed, without storing anything.
//!
//! The method: one getStatus, on a fresh connection (a client of its own,
//! same configuration, no retries), for [`PROBE_EMAIL`] — an address in the
//! reserved `.invalid` domain (RFC 6761), which no customer can have. The
//! service checks the credentials (and the test key, when one is set)
//! before it looks the address up, so its answer proves them without
//! reading or writing a record: 404 "not found" means the credentials were
//! accepted, 401 that they were rejected. getStatus only reads; nothing is
//! created, whatever the answer. The steps themselves come from the
//! connection trace of that call (see `probe.rs`).

use std::fmt;
use std::time::{Duration, Instant};

use super::client::Client;
use super::config::Secret;
use super::error::{Error, ErrorKind};
use super::events;
use super::meta::CallMeta;
use super::probe::{TlsFailure, Trace};
use super::request::Request;

/// The address the check asks for: in `.invalid`, so it can never exist.
pub const PROBE_EMAIL: &str = "dcams-check@nonexistent.invalid";

/// A step of [`Client::check`], in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckStep {
    /// The configuration is usable and has credentials.
    Config,
    /// The endpoint's host name (or the proxy's) resolves.
    Resolve,
    /// A TCP connection to the endpoint (or the proxy) opens.
    Connect,
    /// The proxy opens a tunnel (`CONNECT`) to the endpoint.
    Proxy,
    /// The TLS handshake completes and the certificate is trusted.
    Tls,
    /// The service accepts the credentials (getStatus answers 404 for the probe address).
    Credentials,
}

impl CheckStep {
    /// Every step, in order.
    pub const ALL: [CheckStep; 6] = [
        CheckStep::Config,
        CheckStep::Resolve,
        CheckStep::Connect,
        CheckStep::Proxy,
        CheckStep::Tls,
        CheckStep::Credentials,
    ];

    /// The step's name: `config`, `resolve`, `connect`, `proxy`, `tls`, `credentials`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckStep::Config => "config",
            CheckStep::Resolve => "resolve",
            CheckStep::Connect => "connect",
            CheckStep::Proxy => "proxy",
            CheckStep::Tls => "tls",
            CheckStep::Credentials => "credentials",
        }
    }
}

/// How a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepOutcome {
    /// Done.
    Ok,
    /// This step failed: the check stopped here.
    Failed,
    /// Not needed (no proxy, plain http to loopback) or not reached after a failure.
    Skipped,
}

impl StepOutcome {
    /// `ok`, `failed` or `skipped`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Ok => "ok",
            StepOutcome::Failed => "failed",
            StepOutcome::Skipped => "skipped",
        }
    }
}

/// One step's outcome, time and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// Which step.
    pub step: CheckStep,
    /// How it went.
    pub outcome: StepOutcome,
    /// Time it took (zero for a skipped step).
    pub elapsed: Duration,
    /// What was found, e.g. `dcams.app:443, TLSv1.3 TLS13_AES_256_GCM_SHA384`;
    /// never a credential.
    pub detail: String,
}

/// What [`Client::check`] found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Every step, in order (see [`CheckStep::ALL`]).
    pub steps: Vec<StepReport>,
    /// The failure, when a step failed.
    pub error: Option<Error>,
    /// What to do about the failure, naming the setting, host and port or
    /// proxy concerned.
    pub hint: Option<String>,
    /// What the probe call did on the wire.
    pub meta: CallMeta,
    /// Time of the whole check.
    pub elapsed: Duration,
}

impl CheckReport {
    /// Whether every step that ran succeeded.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// The step that failed, if any.
    pub fn failed_step(&self) -> Option<CheckStep> {
        self.steps.iter().find(|s| s.outcome == StepOutcome::Failed).map(|s| s.step)
    }
}

impl fmt::Display for CheckReport {
    /// One line per step (`ok      tls           12 ms  dcams.app:443 TLSv1.3 ...`),
    /// then `hint: ...` on failure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.steps {
            writeln!(
                f,
                "{:<8}{:<13}{:>6} ms  {}",
                s.outcome.as_str(),
                s.step.as_str(),
                s.elapsed.as_millis(),
                s.detail
            )?;
        }
        match &self.hint {
            Some(hint) => write!(f, "hint: {hint}"),
            None => write!(f, "all checks passed in {} ms", self.elapsed.as_millis()),
        }
    }
}

/// The steps as they are built up.
struct Steps(Vec<StepReport>);

impl Steps {
    fn push(&mut self, step: CheckStep, outcome: StepOutcome, elapsed: Duration, detail: String) {
        events::check_step(step.as_str(), outcome.as_str(), elapsed);
        self.0.push(StepReport { step, outcome, elapsed, detail });
    }

    /// Every step not recorded yet, as skipped after a failure.
    fn rest_not_reached(&mut self) {
        for step in CheckStep::ALL {
            if !self.0.iter().any(|s| s.step == step) {
                self.0.push(StepReport {
                    step,
                    outcome: StepOutcome::Skipped,
                    elapsed: Duration::ZERO,
                    detail: "not reached".to_owned(),
                });
            }
        }
        self.0.sort_by_key(|s| CheckStep::ALL.iter().position(|x| *x == s.step));
    }
}

fn between(from: Instant, to: Instant) -> Duration {
    to.saturating_duration_since(from)
}

impl Client {
    /// Checks, without storing anything, that calls can work: the
    /// configuration, then name resolution, TCP, the proxy's tunnel (when a
    /// proxy applies), TLS and the credentials, on a fresh connection (see
    /// the module for the method: a getStatus for [`PROBE_EMAIL`]; 404 =
    /// credentials accepted, 401 = rejected). Never retried; bounded by the
    /// client's timeouts. The report has each step's outcome and time, and
    /// on failure the error and a hint naming what to change (`ca_file` for
    /// an unknown CA, the host and port that refused, the credentials, the
    /// proxy that refused `CONNECT`). The client's log sink sees the probe
    /// call and one `dcams::check` event per step.
    pub fn check(&self) -> CheckReport {
        self.check_with(|probe| probe)
    }

    /// [`Client::check`] with the probe call adjusted by `tune`: its own
    /// deadline ([`Request::with_timeout`]) and the like. The probe's
    /// service and e-mail must stay as they are.
    pub fn check_with(&self, tune: impl FnOnce(Request<'static>) -> Request<'static>) -> CheckReport {
        let probe = tune(Request::get_status(PROBE_EMAIL));
        let run = || self.check_steps(&probe);
        match self.log() {
            Some(log) => log.run(run),
            None => run(),
        }
    }

    fn check_steps(&self, probe: &Request<'_>) -> CheckReport {
        let started = Instant::now();
        let config = self.config();
        let mut steps = Steps(Vec::new());
        let (endpoint, proxy) = (self.host().to_string(), self.proxy_host());
        let route = match &proxy {
            Some(p) => format!("{endpoint} through the proxy at {p}"),
            None => endpoint.clone(),
        };
        let missing = match (&config.user, &config.pass) {
            (None, _) => Some("user (DCAMS_USER)"),
            (_, None) => Some("pass (DCAMS_PASS)"),
            _ => None,
        };
        let fresh = match (missing, config.check()) {
            (Some(what), _) => Err(Error::new(ErrorKind::Config, format!("no API {what} configured"))),
            (None, Err(e)) => Err(e),
            (None, Ok(())) => Client::new(super::config::Config { retries: 0, log: None, ..config.clone() }),
        };
        let fresh = match fresh {
            Ok(c) => c,
            Err(e) => {
                let hint = match missing {
                    Some(what) => format!("set {what} in the configuration"),
                    None => format!("fix the configuration: {}", e.message()),
                };
                steps.push(CheckStep::Config, StepOutcome::Failed, started.elapsed(), e.message().to_owned());
                steps.rest_not_reached();
                return CheckReport {
                    steps: steps.0,
                    error: Some(e),
                    hint: Some(hint),
                    meta: CallMeta::default(),
                    elapsed: started.elapsed(),
                };
            }
        };
        let test_key = if config.test_key.as_ref().map(Secret::expose).is_some() { " and test key" } else { "" };
        steps.push(CheckStep::Config, StepOutcome::Ok, started.elapsed(), format!("endpoint {route}"));

        let call_started = Instant::now();
        let mut trace = None;
        let result = fresh.execute_traced(probe, None, None, &mut trace);
        let meta = match &result {
            Ok(parsed) => parsed.reply.meta,
            Err(e) => *e.meta(),
        };
        let ended = Instant::now();
        let trace = trace.unwrap_or_else(Trace::empty);
        let https = config.endpoint.starts_with("https:");
        let error = result.err();
        let credentials_ok = match &error {
            None => true,
            Some(e) => e.kind() == ErrorKind::NotFound,
        };

        // Resolution (of the endpoint, or of the proxy, which resolves the endpoint itself).
        let resolve_done = match &trace.resolved {
            Some((host, took, true)) => {
                steps.push(CheckStep::Resolve, StepOutcome::Ok, *took, format!("{host}"));
                true
            }
            Some((host, took, false)) => {
                steps.push(CheckStep::Resolve, StepOutcome::Failed, *took, format!("could not resolve {host}"));
                false
            }
            None => {
                steps.push(
                    CheckStep::Resolve,
                    StepOutcome::Failed,
                    between(call_started, ended),
                    "no resolution".into(),
                );
                false
            }
        };
        let mut hint = None;
        let mut failed = !resolve_done;
        if failed {
            let host = trace.resolved.as_ref().map_or(endpoint.clone(), |r| r.0.to_string());
            let whose = if proxy.is_some() {
                "the proxy's host name (proxy or https_proxy)"
            } else {
                "the endpoint's host name"
            };
            hint = Some(format!("{host} does not resolve: check {whose} and this machine's DNS"));
        }
        // TCP.
        let connect_from = trace.connect_started.unwrap_or(trace.started);
        let mut last = connect_from;
        if !failed {
            let target = proxy.clone().unwrap_or_else(|| endpoint.clone());
            match &trace.tcp {
                Some((to, at)) => {
                    steps.push(CheckStep::Connect, StepOutcome::Ok, between(connect_from, *at), format!("{to}"));
                    last = *at;
                }
                None => {
                    let why = error.as_ref().map_or("no connection".to_owned(), |e| e.message().to_owned());
                    steps.push(
                        CheckStep::Connect,
                        StepOutcome::Failed,
                        between(connect_from, ended),
                        format!("{target}: {why}"),
                    );
                    let what = if proxy.is_some() { "the proxy (proxy or https_proxy)" } else { "the endpoint" };
                    hint = Some(format!(
                        "nothing accepted a connection at {target} ({why}): check the host and port of {what}, and that a firewall lets this machine reach it"
                    ));
                    failed = true;
                }
            }
        }
        // The proxy's tunnel.
        if !failed {
            match (&proxy, trace.tunnel) {
                (None, _) => steps.push(CheckStep::Proxy, StepOutcome::Skipped, Duration::ZERO, "no proxy".into()),
                (Some(p), Some(at)) => {
                    steps.push(
                        CheckStep::Proxy,
                        StepOutcome::Ok,
                        between(last, at),
                        format!("{p} opened a tunnel to {endpoint}"),
                    );
                    last = at;
                }
                (Some(p), None) => {
                    let why = error.as_ref().map_or("no tunnel".to_owned(), |e| e.message().to_owned());
                    steps.push(CheckStep::Proxy, StepOutcome::Failed, between(last, ended), format!("{p}: {why}"));
                    hint = Some(format!(
                        "the proxy at {p} refused to open a tunnel (CONNECT) to {endpoint} ({why}): ask its administrator to allow CONNECT to {endpoint}, or bypass it (no_proxy, NO_PROXY)"
                    ));
                    failed = true;
                }
            }
        }
        // TLS.
        if !failed {
            match (https, trace.tls) {
                (false, _) => {
                    steps.push(CheckStep::Tls, StepOutcome::Skipped, Duration::ZERO, "plain http (loopback)".into())
                }
                (true, Some((at, version, cipher))) => {
                    steps.push(CheckStep::Tls, StepOutcome::Ok, between(last, at), format!("{version} {cipher}"));
                    last = at;
                }
                (true, None) => {
                    let why = error.as_ref().map_or("no handshake".to_owned(), |e| e.message().to_owned());
                    steps.push(CheckStep::Tls, StepOutcome::Failed, between(last, ended), format!("{endpoint}: {why}"));
                    hint = Some(match trace.tls_failure {
                        Some(TlsFailure::UnknownIssuer) => format!(
                            "the certificate of {endpoint} is signed by a CA this client does not trust: if the service (or a TLS-inspecting proxy) uses a private CA, set ca_file (DCAMS_CA_FILE) to that CA's PEM certificate"
                        ),
                        Some(TlsFailure::WrongName) => format!(
                            "the certificate of {endpoint} is not valid for that host name: check the endpoint's host name"
                        ),
                        Some(TlsFailure::Expired) => format!(
                            "the certificate of {endpoint} has expired or is not valid yet: check this machine's clock, or tell the service's operator"
                        ),
                        _ => format!("the TLS handshake with {endpoint} failed ({why}): is it a TLS port, and does it speak TLS 1.2 or 1.3?"),
                    });
                    failed = true;
                }
            }
        }
        // Credentials: the service's answer.
        if !failed {
            let took = between(last, ended);
            if credentials_ok {
                let answer = match meta.http_status {
                    Some(404) => "HTTP 404 for the probe address: credentials accepted".to_owned(),
                    Some(s) => format!("HTTP {s}: credentials accepted"),
                    None => "credentials accepted".to_owned(),
                };
                steps.push(CheckStep::Credentials, StepOutcome::Ok, took, answer);
            } else {
                let e = error.as_ref().expect("not ok means an error");
                steps.push(CheckStep::Credentials, StepOutcome::Failed, took, e.message().to_owned());
                hint = Some(match e.kind() {
                    ErrorKind::Unauthorized => format!(
                        "the service rejected the credentials: check user and pass{test_key} (DCAMS_USER, DCAMS_PASS{})",
                        if test_key.is_empty() { "" } else { ", DCAMS_TEST_KEY" }
                    ),
                    ErrorKind::Forbidden => "the API user is not active or not allowed: ask Veratad to enable it".to_owned(),
                    ErrorKind::Timeout => format!(
                        "{endpoint} accepted the connection but did not answer in time ({}): the service may be overloaded, or the endpoint's path is wrong",
                        e.message()
                    ),
                    _ => format!(
                        "{endpoint} answered, but not as the DCAMS storage service does ({}): check the endpoint's URL (path /v3/stable/api/storage)",
                        e.message()
                    ),
                });
                failed = true;
            }
        }
        steps.rest_not_reached();
        CheckReport { steps: steps.0, error: if failed { error } else { None }, hint, meta, elapsed: started.elapsed() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_address_passes_validation_and_cannot_exist() {
        crate::validate::check_email(PROBE_EMAIL).unwrap();
        assert!(PROBE_EMAIL.ends_with(".invalid"));
    }

    #[test]
    fn a_config_without_credentials_fails_at_the_first_step() {
        let client =
            Client::new(crate::Config { endpoint: "http://127.0.0.1:9/x".into(), ..crate::Config::default() }).unwrap();
        let report = client.check();
        assert!(!report.ok());
        assert_eq!(report.failed_step(), Some(CheckStep::Config));
        assert!(report.hint.as_deref().unwrap().contains("user (DCAMS_USER)"), "{report}");
        assert_eq!(report.steps.len(), 6);
        assert!(report.steps[1..].iter().all(|s| s.outcome == StepOutcome::Skipped));
        assert_eq!(report.meta.attempts, 0, "nothing was sent");
    }
}
