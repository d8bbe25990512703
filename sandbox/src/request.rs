//! The request envelope every service shares (spec section *Request
//! envelope*): parsing the body and the checks that come before any service
//! runs, in this order:
//!
//! 1. empty body → 400 `IN0`; not JSON or not an object → 400 `IN1`;
//! 2. `user`/`pass` missing or wrong → 401 (style-dependent);
//! 3. `target` missing or not an object → 400 (storage "Missing a required input" / `QRY0`);
//! 4. `service` missing → 400 missing input; unknown → 400 `QRY2` "Unknown service";
//! 5. `target.email` missing or empty → 400 missing input; not a plausible
//!    address → 400 "The email address is invalid";
//! 6. `target.test_key` present: a configured key selects the test
//!    namespace, any other value → 401 like bad credentials.
//!
//! A field whose value is JSON `null` counts as absent everywhere.

use serde_json::{Map, Value};

use crate::config::SandboxConfig;
use crate::errors::{self, Answer};
use crate::services::{self, Service};
use crate::store::Namespace;

/// A request that passed the envelope checks, ready for its service.
#[derive(Debug)]
pub(crate) struct StorageRequest {
    /// The service named by `service`.
    pub service: &'static Service,
    /// `target.email`, exactly as received.
    pub email: String,
    /// Live, or test when a valid `target.test_key` was given.
    pub namespace: Namespace,
    /// `target` without `test_key`.
    pub target: Map<String, Value>,
    /// The top-level `reference`, if present and not null.
    pub reference: Option<Value>,
    /// The configured error style (for the services' missing-input answers).
    pub style: crate::config::ErrorStyle,
    /// `http://host:port` of this sandbox, for `customer_link`.
    pub base_url: String,
}

/// What could be learnt about a request, kept even when a check fails; used
/// only for the optional verbose log line. Holds no secrets.
#[derive(Debug, Default, Clone)]
pub(crate) struct Summary {
    /// The `service` string, if it was one.
    pub service: Option<String>,
    /// The `target.email` string, if it was one.
    pub email: Option<String>,
}

/// Parses `body` and runs the envelope checks against `config`.
///
/// On success returns the [`StorageRequest`]; on failure the documented error
/// answer. `summary` is filled in as far as the request got.
pub(crate) fn parse(
    body: &[u8],
    config: &SandboxConfig,
    base_url: &str,
    summary: &mut Summary,
) -> Result<StorageRequest, Answer> {
    let style = config.error_style;

    // 1. body
    if body.is_empty() {
        return Err(errors::no_body());
    }
    let mut envelope = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        _ => return Err(errors::invalid_json()),
    };
    if let Some(Value::String(s)) = envelope.get("service") {
        summary.service = Some(s.clone());
    }
    if let Some(Value::String(e)) = envelope.get("target").and_then(Value::as_object).and_then(|t| t.get("email")) {
        summary.email = Some(e.clone());
    }

    // 2. credentials
    let user_ok = envelope.get("user").and_then(Value::as_str) == Some(config.user.as_str());
    let pass_ok = envelope.get("pass").and_then(Value::as_str) == Some(config.pass.as_str());
    if !(user_ok && pass_ok) {
        return Err(errors::bad_login(style));
    }

    // 3. target
    let mut target = match envelope.remove("target") {
        Some(Value::Object(t)) => t,
        _ => return Err(errors::no_target(style)),
    };

    // 4. service
    let service = match present(envelope.get("service")) {
        None => return Err(errors::missing_input(style)),
        Some(Value::String(s)) if s.is_empty() => return Err(errors::missing_input(style)),
        Some(Value::String(s)) => services::lookup(s),
        Some(_) => None,
    };
    let Some(service) = service else {
        return Err(errors::validation("Unknown service"));
    };

    // 5. e-mail
    let email = match present(target.get("email")) {
        None => return Err(errors::missing_input(style)),
        Some(Value::String(s)) if s.is_empty() => return Err(errors::missing_input(style)),
        Some(Value::String(s)) if is_plausible_email(s) => s.clone(),
        Some(_) => return Err(errors::invalid_email(style)),
    };

    // 6. test key
    let namespace = match target.remove("test_key") {
        None | Some(Value::Null) => Namespace::Live,
        Some(Value::String(k)) if config.test_keys.contains(&k) => Namespace::Test,
        Some(_) => return Err(errors::bad_login(style)),
    };

    Ok(StorageRequest {
        service,
        email,
        namespace,
        target,
        reference: present(envelope.get("reference")).cloned(),
        style,
        base_url: base_url.to_owned(),
    })
}

/// `Some(v)` unless `v` is absent or JSON `null`.
pub(crate) fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// The sandbox's simple e-mail syntax check: exactly one `@`, a non-empty
/// local part, a domain containing a dot that neither starts nor ends with a
/// dot nor has two in a row, and no whitespace or control characters.
pub(crate) fn is_plausible_email(s: &str) -> bool {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_check() {
        for ok in ["ada@example.com", "a+tag@x.co.uk", "A.B@sub.example.org"] {
            assert!(is_plausible_email(ok), "{ok}");
        }
        for bad in [
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a@b@c.com",
            "a b@c.com",
            "ada@.com",
            "ada@com.",
            "ada@ex..com",
            "ada@exa\nmple.com",
        ] {
            assert!(!is_plausible_email(bad), "{bad:?}");
        }
    }
}
