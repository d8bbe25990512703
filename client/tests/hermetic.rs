//! `"environment": false` reads no environment variable at all: with
//! `DCAMS_*` and proxy variables set in this process (its own test binary,
//! so no other test sees them), a hermetic configuration keeps the
//! defaults, while the default configuration picks them up.

use dcams_client::{Config, ProxySetting, Settings, DEFAULT_ENDPOINT, DEFAULT_RETRIES};

#[test]
fn environment_false_reads_no_variable() {
    // SAFETY: this binary's only test; no other thread reads the environment.
    unsafe {
        std::env::set_var("DCAMS_ENDPOINT", "https://env.example/api");
        std::env::set_var("DCAMS_USER", "env-user");
        std::env::set_var("DCAMS_PASS", "env-pass");
        std::env::set_var("DCAMS_RETRIES", "7");
        std::env::set_var("https_proxy", "http://proxy.env.example:3128");
    }

    let from_env = Settings::new().config().unwrap();
    assert_eq!(from_env.endpoint, "https://env.example/api");
    assert_eq!((from_env.user.as_deref(), from_env.retries), (Some("env-user"), 7));
    assert_eq!(from_env.proxy, ProxySetting::FromEnvironment);

    let mut settings = Settings::new();
    settings.set_bool("environment", false).unwrap();
    settings.set_str("user", "explicit-user").unwrap();
    let hermetic = settings.config().unwrap();
    assert_eq!(hermetic.endpoint, DEFAULT_ENDPOINT);
    assert_eq!((hermetic.user.as_deref(), hermetic.pass.is_none()), (Some("explicit-user"), true));
    assert_eq!(hermetic.retries, DEFAULT_RETRIES);
    // No proxy from the environment either: the proxy variables are never read.
    assert_eq!(hermetic.proxy, ProxySetting::None);

    let json = Config::from_json(Some(r#"{"environment": false}"#)).unwrap();
    assert_eq!((json.endpoint.as_str(), json.proxy), (DEFAULT_ENDPOINT, ProxySetting::None));
    // A bad environment value is not even looked at.
    unsafe { std::env::set_var("DCAMS_TIMEOUT_MS", "soon") };
    assert!(Settings::new().config().is_err());
    assert!(Config::from_json(Some(r#"{"environment": false}"#)).is_ok());
}

#[test]
fn members_are_set_by_name_without_json() {
    let mut s = Settings::new();
    s.set_bool("environment", false).unwrap();
    s.set_str("pass", "p\"a\\ss é").unwrap();
    s.set_int("timeout_ms", 1500).unwrap();
    let c = s.config().unwrap();
    assert_eq!(c.pass.as_ref().map(|p| p.expose()), Some("p\"a\\ss é"));
    assert_eq!(c.timeout.as_millis(), 1500);
    // Unknown members, wrong types and out-of-range values, named but never echoed.
    let e = s.set_str("passwrod", "secret-value").unwrap_err();
    assert!(e.message().contains("passwrod") && !e.message().contains("secret-value"), "{e}");
    let e = s.set_str("timeout_ms", "secret-value").unwrap_err();
    assert!(e.message().contains("timeout_ms") && !e.message().contains("secret-value"), "{e}");
    assert!(s.set_int("retries", -1).is_err());
    assert!(s.set_int("pass", 1).is_err());
    assert!(s.set_bool("endpoint", true).is_err());
}
