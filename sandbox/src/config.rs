//! Configuration of a sandbox instance: where it listens, which credentials
//! and test keys it accepts, how it words its errors and how slowly it answers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::time::Duration;

use crate::store::ImageStorage;

/// Which of the two documented error shapes the sandbox uses for the answers
/// whose shape the published documentation leaves ambiguous.
///
/// The spec (section *Errors*) documents a storage shape
/// (`{"result":"Error","message":…}`) and a platform-wide gateway shape
/// (`{"meta":{"timestamp":…},"error":{"message":…,"code":…}}`). A real
/// deployment may use either for the same condition, so a client must
/// understand both. The style only changes the answer to:
///
/// * bad credentials / unknown test key (401),
/// * a request without `target` (400),
/// * a missing required input (400),
/// * an invalid e-mail address (400).
///
/// Everything else has one fixed shape: the body-level errors `IN0`/`IN1` and
/// validation errors (`QRY2`) are always in platform shape, "e-mail not found"
/// (404) is always in storage shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorStyle {
    /// Storage shape: `{"result":"Error","message":"…"}` with the messages of
    /// the storage pages (e.g. `Either your username or password is incorrect`).
    #[default]
    Storage,
    /// Platform shape: `{"meta":{"timestamp":"…"},"error":{"message":"…","code":"…"}}`
    /// with the codes of the platform error page (`AUTH0`, `QRY0`, `QRY1`, `QRY2`).
    Platform,
}

impl ErrorStyle {
    /// The lower-case name used on the command line (`storage` or `platform`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorStyle::Storage => "storage",
            ErrorStyle::Platform => "platform",
        }
    }
}

impl fmt::Display for ErrorStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned by [`ErrorStyle::from_str`] for a name other than
/// `storage` or `platform`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorStyle(pub String);

impl fmt::Display for UnknownErrorStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown error style {:?} (expected storage or platform)", self.0)
    }
}

impl std::error::Error for UnknownErrorStyle {}

impl FromStr for ErrorStyle {
    type Err = UnknownErrorStyle;

    /// Parses `storage` or `platform` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("storage") {
            Ok(ErrorStyle::Storage)
        } else if s.eq_ignore_ascii_case("platform") {
            Ok(ErrorStyle::Platform)
        } else {
            Err(UnknownErrorStyle(s.to_owned()))
        }
    }
}

/// Everything a [`crate::Sandbox`] needs to start.
///
/// Build it with struct-update syntax over the default, e.g.
/// `SandboxConfig { error_style: ErrorStyle::Platform, ..Default::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Address to bind. Default `127.0.0.1`. The in-process API does not
    /// police this; the CLI refuses non-loopback addresses unless asked.
    pub host: IpAddr,
    /// TCP port to bind; `0` (the default) lets the OS pick a free one, which
    /// [`crate::Sandbox::addr`] then reports.
    pub port: u16,
    /// The only accepted value of the request body's `user` field
    /// (spec: *Request envelope*). Default `sandbox-user`.
    pub user: String,
    /// The only accepted value of the request body's `pass` field. Default
    /// `sandbox-pass`. Never logged.
    pub pass: String,
    /// Shape of the style-dependent error answers. Default [`ErrorStyle::Storage`].
    pub error_style: ErrorStyle,
    /// Values of `target.test_key` that select the test namespace
    /// (spec: *Testing*). Any other present test key is answered like bad
    /// credentials. Default `["sandbox-test-key"]`. Never logged or echoed.
    pub test_keys: Vec<String>,
    /// Artificial delay before every answer on the storage path (applied to
    /// error answers too). Default zero.
    pub latency: Duration,
    /// When true, print one line per storage request to stderr with the
    /// service, e-mail and HTTP status only (never credentials, test keys or
    /// images). Default false: the sandbox prints nothing per request.
    pub verbose: bool,
    /// A request-rate limit, as a gateway in front of the service would
    /// apply: a storage request that would make more than this many accepted
    /// requests within the last second is answered 429 with `Retry-After`
    /// (whole seconds until the oldest of them is a second old, at least 1).
    /// Answered before the latency; 429s do not count toward the limit.
    /// Default `None`: no limit.
    pub rate_limit: Option<u32>,
    /// What is kept of the images sent. Default [`ImageStorage::Keep`].
    pub images: ImageStorage,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            user: "sandbox-user".to_owned(),
            pass: "sandbox-pass".to_owned(),
            error_style: ErrorStyle::Storage,
            test_keys: vec!["sandbox-test-key".to_owned()],
            latency: Duration::ZERO,
            verbose: false,
            rate_limit: None,
            images: ImageStorage::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let c = SandboxConfig::default();
        assert_eq!(c.host, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(c.port, 0);
        assert_eq!(c.user, "sandbox-user");
        assert_eq!(c.pass, "sandbox-pass");
        assert_eq!(c.error_style, ErrorStyle::Storage);
        assert_eq!(c.test_keys, vec!["sandbox-test-key".to_owned()]);
        assert_eq!(c.latency, Duration::ZERO);
        assert!(!c.verbose);
        assert_eq!(c.rate_limit, None);
        assert_eq!(c.images, ImageStorage::Keep);
    }

    #[test]
    fn error_style_parses_both_names() {
        assert_eq!("storage".parse::<ErrorStyle>(), Ok(ErrorStyle::Storage));
        assert_eq!("Platform".parse::<ErrorStyle>(), Ok(ErrorStyle::Platform));
        assert_eq!("gateway".parse::<ErrorStyle>(), Err(UnknownErrorStyle("gateway".to_owned())));
    }
}
