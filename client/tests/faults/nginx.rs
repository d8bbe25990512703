//! A private CA made with the openssl CLI, and nginx terminating TLS with it
//! in front of an in-process `dcams_sandbox::Sandbox`
//! (config: tests/fixtures/nginx.conf.in).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dcams_sandbox::{Sandbox, SandboxConfig};

use crate::misbehave::{Behavior, Misbehave};
use crate::support::{fixture, free_port, read_lossy, tools, ChildGuard, TempDir};

/// The files made by tests/fixtures/make-ca.sh.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    pub fn make(dir: &Path) -> Pki {
        let out = Command::new("sh").arg(fixture("make-ca.sh")).arg(dir).output().expect("run make-ca.sh");
        assert!(
            out.status.success(),
            "make-ca.sh failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Pki { dir: dir.to_path_buf() }
    }
    /// The private CA nginx's certificates chain to.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    /// A CA that signed nothing nginx uses.
    pub fn other_ca(&self) -> PathBuf {
        self.dir.join("other-ca.pem")
    }
    /// Not PEM at all.
    pub fn garbage(&self) -> PathBuf {
        self.dir.join("garbage.pem")
    }
}

/// nginx with TLS on `port` (cert for localhost / dcams-faults.test /
/// 127.0.0.1), a wrong-name certificate on `wrong_port`, and four locations
/// (see the config). Killed on drop, with its sandbox and dead-upstream ports.
pub struct Nginx {
    pub port: u16,
    pub wrong_port: u16,
    pub pki: Pki,
    pub sandbox: Sandbox,
    /// The upstream of `/slow/...`: reads requests, never answers.
    pub slow: Misbehave,
    dir: TempDir,
    _child: ChildGuard,
}

/// The hostname in the certificate that only squid can resolve (its hosts file).
pub const PROXY_ONLY_HOST: &str = "dcams-faults.test";

impl Nginx {
    /// Starts nginx, or returns None when nginx/openssl are missing (see [`tools`]).
    pub fn start() -> Option<Nginx> {
        Nginx::start_with(SandboxConfig::default())
    }

    /// [`Nginx::start`] with a sandbox configured as given.
    pub fn start_with(sandbox_config: SandboxConfig) -> Option<Nginx> {
        let found = tools(&["nginx", "openssl"])?;
        let nginx_bin = found[0].clone();
        let dir = TempDir::new("nginx");
        let pki = Pki::make(&dir.path().join("pki"));
        for sub in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            std::fs::create_dir_all(dir.path().join("tmp").join(sub)).unwrap();
        }
        let sandbox = Sandbox::start(sandbox_config).expect("sandbox starts");
        let slow = Misbehave::start(Behavior::StallBeforeHeaders);
        // Up to three tries, in case another process grabs a port between
        // choosing it and nginx binding it.
        let mut last_log = String::new();
        for _ in 0..3 {
            let (port, wrong_port, dead_port) = (free_port(), free_port(), free_port());
            let conf = std::fs::read_to_string(fixture("nginx.conf.in"))
                .unwrap()
                .replace("@DIR@", &dir.path().display().to_string())
                .replace("@PKI@", &pki.dir.display().to_string())
                .replace("@TLS_PORT@", &port.to_string())
                .replace("@WRONG_PORT@", &wrong_port.to_string())
                .replace("@SANDBOX_PORT@", &sandbox.addr().port().to_string())
                .replace("@DEAD_PORT@", &dead_port.to_string())
                .replace("@SLOW_PORT@", &slow.port().to_string());
            let conf_path = dir.path().join("nginx.conf");
            std::fs::write(&conf_path, conf).unwrap();
            let log = dir.path().join("nginx.out");
            let mut cmd = Command::new(&nginx_bin);
            cmd.arg("-p").arg(dir.path()).arg("-c").arg(&conf_path).arg("-e").arg(dir.path().join("error.log"));
            cmd.arg("-g").arg("daemon off; master_process off;");
            let mut child = ChildGuard::spawn(cmd, "nginx", &log);
            // Wait for both ports; an early exit (port taken) means try again.
            let ok = (|| {
                for p in [port, wrong_port] {
                    let start = std::time::Instant::now();
                    loop {
                        if std::net::TcpStream::connect(("127.0.0.1", p)).is_ok() {
                            break;
                        }
                        if let Ok(Some(_)) = child.child.try_wait() {
                            return false;
                        }
                        if start.elapsed() > Duration::from_secs(10) {
                            return false;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
                true
            })();
            if ok {
                return Some(Nginx { port, wrong_port, pki, sandbox, slow, dir, _child: child });
            }
            last_log = format!("{}\n{}", read_lossy(&log), read_lossy(&dir.path().join("error.log")));
            drop(child);
        }
        panic!("nginx did not start:\n{last_log}");
    }

    /// `https://<host>:<port>/<prefix>v3/stable/api/storage`; prefix "" (sandbox),
    /// "small/" (1 MiB limit), "dead/" (502), "slow/" (504).
    pub fn url(&self, host: &str, prefix: &str) -> String {
        format!("https://{host}:{}/{prefix}v3/stable/api/storage", self.port)
    }

    /// The access log: one line per request, `port method uri status request_length`.
    pub fn access_log(&self) -> String {
        read_lossy(&self.dir.path().join("access.log"))
    }

    /// How many requests nginx logged for this location prefix ("" = the sandbox one).
    pub fn requests_to(&self, prefix: &str) -> u32 {
        let uri = format!("/{prefix}v3/stable/api/storage");
        self.access_log().lines().filter(|l| l.split_whitespace().nth(2) == Some(uri.as_str())).count() as u32
    }

    /// [`Nginx::requests_to`] once at least `at_least` lines are there (nginx
    /// may write a line just after the client has its answer), at most 2 s,
    /// then after a short settle (so extra lines would be counted too).
    pub fn settled_requests_to(&self, prefix: &str, at_least: u32) -> u32 {
        let start = std::time::Instant::now();
        while self.requests_to(prefix) < at_least && start.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(50));
        self.requests_to(prefix)
    }

    pub fn error_log(&self) -> String {
        read_lossy(&self.dir.path().join("error.log"))
    }
}
