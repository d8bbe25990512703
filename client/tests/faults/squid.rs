//! squid as a CONNECT proxy on a free loopback port
//! (config: tests/fixtures/squid.conf.in), logs in a temporary directory,
//! killed on drop.
#![allow(dead_code)]

use std::ffi::CString;
use std::process::Command;
use std::time::Duration;

use crate::nginx::PROXY_ONLY_HOST;
use crate::support::{fixture, free_port, read_lossy, tools, wait_for_file, wait_for_port, ChildGuard, TempDir};

pub struct Squid {
    pub port: u16,
    dir: TempDir,
    _child: ChildGuard,
}

/// The uid/gid of `name`, if that user exists.
fn user_ids(name: &str) -> Option<(libc::uid_t, libc::gid_t)> {
    let c = CString::new(name).ok()?;
    // SAFETY: getpwnam returns NULL or a pointer to static storage, read at once.
    unsafe {
        let pw = libc::getpwnam(c.as_ptr());
        if pw.is_null() {
            None
        } else {
            Some(((*pw).pw_uid, (*pw).pw_gid))
        }
    }
}

impl Squid {
    /// Starts squid allowing CONNECT to `tls_port` only; `PROXY_ONLY_HOST`
    /// resolves (for squid alone) to 127.0.0.1. None when squid is missing.
    pub fn start(tls_port: u16) -> Option<Squid> {
        let squid_bin = tools(&["squid"])?.remove(0);
        let dir = TempDir::new("squid");
        std::fs::write(dir.path().join("hosts"), format!("127.0.0.1 localhost {PROXY_ONLY_HOST}\n")).unwrap();
        // squid refuses to run as root: as root it switches to an unprivileged
        // user, which then must own the directory holding its logs.
        let root = unsafe { libc::geteuid() } == 0;
        let mut user_line = String::new();
        if root {
            let (name, (uid, gid)) = ["proxy", "nobody"]
                .iter()
                .find_map(|n| user_ids(n).map(|ids| (*n, ids)))
                .expect("a 'proxy' or 'nobody' user for squid");
            user_line = format!("cache_effective_user {name}");
            let c = CString::new(dir.path().display().to_string()).unwrap();
            // SAFETY: valid C string.
            unsafe {
                libc::chown(c.as_ptr(), uid, gid);
            }
        }
        let mut last_log = String::new();
        for _ in 0..3 {
            let port = free_port();
            let conf = std::fs::read_to_string(fixture("squid.conf.in"))
                .unwrap()
                .replace("@USER_LINE@", &user_line)
                .replace("@DIR@", &dir.path().display().to_string())
                .replace("@PORT@", &port.to_string())
                .replace("@TLS_PORT@", &tls_port.to_string());
            let conf_path = dir.path().join("squid.conf");
            std::fs::write(&conf_path, conf).unwrap();
            let log = dir.path().join("squid.out");
            let mut cmd = Command::new(&squid_bin);
            cmd.arg("-N").arg("-f").arg(&conf_path);
            let mut child = ChildGuard::spawn(cmd, "squid", &log);
            match wait_for_port(port, Duration::from_secs(15), &mut child.child, "squid", &log) {
                Ok(()) => return Some(Squid { port, dir, _child: child }),
                Err(e) => last_log = format!("{e}\n{}", read_lossy(&dir.path().join("cache.log"))),
            }
        }
        panic!("squid did not start:\n{last_log}");
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn access_log(&self) -> String {
        read_lossy(&self.dir.path().join("access.log"))
    }

    /// The number of `CONNECT host:port` lines in the access log. squid logs
    /// a tunnel when it closes, so this waits (at most `wait`) for at least
    /// `at_least` of them.
    pub fn connects_to(&self, host_port: &str, at_least: usize, wait: Duration) -> usize {
        let needle = format!("CONNECT {host_port} ");
        let count = |t: &str| t.lines().filter(|l| l.contains(&needle)).count();
        let text = wait_for_file(&self.dir.path().join("access.log"), wait, |t| count(t) >= at_least);
        count(&text)
    }

    /// Every access-log line.
    pub fn lines(&self) -> usize {
        self.access_log().lines().count()
    }
}
