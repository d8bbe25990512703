//! The HTTP agent for a configuration: trusted roots, proxy, timeouts.
//!
//! TLS certificate verification is always on; nothing here can turn it off.
//! Trust is the platform's CA roots (as the OS keeps them; Mozilla's bundled
//! roots where the platform has none), plus `ca_file` when given, or only
//! `ca_bundle` when that is given instead.

use std::sync::OnceLock;

use ureq::config::Config as AgentConfig;
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector};
use ureq::{Agent, Proxy, ProxyProtocol};

use super::config::{check_port, is_loopback, Config, ProxySetting};
use super::error::{Error, ErrorKind};
use super::probe::{Connected, NewConnection, Resolve};
use super::socket::{WatchedResolver, WatchedTcpConnector};
use super::tls::TlsConnector;

/// The agent every call of one client goes through (shared connection pool),
/// and the `host:port` of the proxy it uses, if any (for error messages).
pub(crate) fn agent(config: &Config) -> Result<(Agent, Option<String>), Error> {
    let uri: ureq::http::Uri =
        config.endpoint.parse().map_err(|_| Error::new(ErrorKind::Config, "endpoint is not a URL"))?;
    // A plain-http (loopback) endpoint never does TLS: skip loading the
    // platform's CA store, which costs milliseconds per client.
    let roots = if uri.scheme_str() == Some("https") { root_certs(config)? } else { Vec::new() };
    let tls = TlsConfig::builder().root_certs(RootCerts::new_with_certs(&roots)).build();
    let proxy = proxy(config, &uri)?;
    // Never the proxy's credentials: host and port only.
    let via = proxy.as_ref().map(|p| format!("{}:{}", p.host(), p.port()));
    let agent_config: AgentConfig = Agent::config_builder()
        // Read the service's error bodies instead of a bare status error.
        .http_status_as_error(false)
        .tls_config(tls)
        .proxy(proxy.clone())
        .timeout_connect(Some(config.connect_timeout))
        .timeout_send_body(Some(config.send_timeout))
        .timeout_recv_response(Some(config.response_timeout))
        .timeout_recv_body(Some(config.response_timeout))
        .timeout_global(Some(config.timeout))
        // One endpoint: the whole pool may serve it.
        .max_idle_connections(config.max_idle_connections)
        .max_idle_connections_per_host(config.max_idle_connections)
        // Never re-send a POST carrying credentials somewhere else.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .user_agent(config.user_agent())
        .build();
    // ureq's chain (CONNECT proxy, TCP, TLS) with the TCP layer and the
    // resolver bounded by each call's deadline and cancel token, the probe's
    // hooks (see probe.rs), and our TLS connector, which reports the
    // handshake's outcome (its I/O goes through the bounded TCP layer too).
    let connector =
        ().chain(NewConnection)
            .chain(ConnectProxyConnector::default())
            .chain(WatchedTcpConnector)
            .chain(Connected)
            .chain(TlsConnector::new(&roots));
    Ok((Agent::with_parts(agent_config, connector, Resolve(WatchedResolver)), via))
}

/// The platform's CA roots, loaded once per process (Mozilla's bundled
/// roots where the platform store is empty or unreadable).
fn platform_roots() -> &'static [Certificate<'static>] {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        let mut roots: Vec<Certificate<'static>> =
            found.certs.iter().map(|der| Certificate::from_der(der.as_ref()).to_owned()).collect();
        if roots.is_empty() {
            roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).to_owned())
                .collect();
        }
        roots
    })
}

fn root_certs(config: &Config) -> Result<Vec<Certificate<'static>>, Error> {
    if let Some(bundle) = &config.ca_bundle {
        return read_pem(bundle, "ca_bundle");
    }
    let mut roots = platform_roots().to_vec();
    if let Some(extra) = &config.ca_file {
        roots.extend(read_pem(extra, "ca_file")?);
    }
    Ok(roots)
}

/// The certificates of a PEM file; at least one is required.
fn read_pem(path: &std::path::Path, setting: &str) -> Result<Vec<Certificate<'static>>, Error> {
    let bad = |why: String| Error::new(ErrorKind::Config, format!("{setting} {}: {why}", path.display()));
    // Bounded read: a CA file is kilobytes; /dev/zero or a FIFO must not hang or exhaust memory.
    const MAX_PEM_BYTES: u64 = 16 * 1024 * 1024;
    let file = std::fs::File::open(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    if !file.metadata().map_err(|e| bad(format!("cannot read: {e}")))?.is_file() {
        return Err(bad("not a regular file".to_owned()));
    }
    let mut pem = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_PEM_BYTES + 1), &mut pem)
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    if pem.len() as u64 > MAX_PEM_BYTES {
        return Err(bad("larger than 16 MiB".to_owned()));
    }
    let mut certs = Vec::new();
    for item in parse_pem(&pem) {
        // Keys and other sections in the file are ignored.
        if let PemItem::Certificate(c) = item.map_err(|e| bad(format!("not valid PEM: {e}")))? {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err(bad("no certificate in it".to_owned()));
    }
    Ok(certs)
}

/// The proxy for `endpoint` under `config.proxy` (see [`ProxySetting`]).
///
/// Refused (`Config`, naming the setting or variable, never quoting the URL,
/// which may hold credentials): a URL that does not parse, a port outside
/// 1-65535, and SOCKS proxies, which this client does not speak (only HTTP
/// CONNECT, over `http://` or `https://`).
fn proxy(config: &Config, endpoint: &ureq::http::Uri) -> Result<Option<Proxy>, Error> {
    let parse = |url: &str, from: &str| {
        let invalid = || Error::new(ErrorKind::Config, format!("{from} is not a valid proxy URL"));
        let proxy = Proxy::new(url).map_err(|_| invalid())?;
        let with_scheme = if url.contains("://") { url.to_owned() } else { format!("http://{url}") };
        check_port(&with_scheme.parse().map_err(|_| invalid())?, from)?;
        match proxy.protocol() {
            ProxyProtocol::Http | ProxyProtocol::Https => Ok(Some(proxy)),
            _ => Err(Error::new(
                ErrorKind::Config,
                format!(
                    "{from} is a SOCKS proxy, which this client cannot use: \
                     set an HTTP proxy (http://host:port, HTTPS goes through it with CONNECT) or no proxy"
                ),
            )),
        }
    };
    match &config.proxy {
        ProxySetting::None => Ok(None),
        ProxySetting::Url(url) => parse(url.expose(), "proxy"),
        ProxySetting::FromEnvironment => {
            let host = endpoint.host().unwrap_or_default();
            if is_loopback(host) {
                return Ok(None);
            }
            let names: [&str; 4] = if endpoint.scheme_str() == Some("https") {
                ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
            } else {
                ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
            };
            let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
            let Some((name, url)) = names.iter().find_map(|n| var(n).map(|v| (*n, v))) else {
                return Ok(None);
            };
            let exclusions = var("no_proxy").or_else(|| var("NO_PROXY")).unwrap_or_default();
            if no_proxy_matches(&exclusions, host) {
                return Ok(None);
            }
            parse(&url, name)
        }
    }
}

/// Whether `host` is excluded by a `NO_PROXY` list: comma-separated entries,
/// `*` for every host, `name` or `.name` or `*.name` for that host and its
/// subdomains; a `:port` on an entry is ignored; case-insensitive.
pub(crate) fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    list.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches('[');
        let entry = match entry.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => h,
            _ => entry,
        };
        let entry = entry.trim_end_matches(']').trim_start_matches("*.").trim_start_matches('.').to_ascii_lowercase();
        host == entry || host.ends_with(&format!(".{entry}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_lists() {
        assert!(no_proxy_matches("*", "dcams.app"));
        assert!(no_proxy_matches("localhost, dcams.app", "dcams.app"));
        assert!(no_proxy_matches(".app", "dcams.app"));
        assert!(no_proxy_matches("*.dcams.app", "api.dcams.app"));
        assert!(no_proxy_matches("dcams.app:443", "DCAMS.app"));
        assert!(no_proxy_matches("dcams.app", "api.dcams.app"));
        assert!(!no_proxy_matches("example.com", "dcams.app"));
        assert!(!no_proxy_matches("cams.app", "dcams.app"));
        assert!(!no_proxy_matches("", "dcams.app"));
    }

    #[test]
    fn platform_roots_are_loaded() {
        assert!(platform_roots().len() > 10);
    }

    #[test]
    fn ca_files_must_hold_certificates() {
        let dir = std::env::temp_dir().join(format!("dcams-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = read_pem(&empty, "ca_file").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("no certificate"));
        let e = read_pem(&dir.join("missing.pem"), "ca_bundle").unwrap_err();
        assert!(e.message().contains("cannot read"));
        let e = read_pem(std::path::Path::new("/dev/zero"), "ca_file").unwrap_err();
        assert!(e.message().contains("not a regular file"), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }
}
