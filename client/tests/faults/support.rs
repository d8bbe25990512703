//! Shared plumbing of the fault matrix: temporary directories, free ports,
//! child processes killed on drop, the external-tool gate, synthetic images,
//! a seeded RNG, HTTP dates, the per-row summary line and the redaction check.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use dcams_client::{Config, Customer, Document, Error, ErrorKind, LogSink, ProxySetting, Secret};

/// Credentials the in-process sandbox accepts.
pub const USER: &str = "sandbox-user";
pub const PASS: &str = "sandbox-pass";

/// Recognisable secrets for the redaction test (never real ones).
pub const RED_PASS: &str = "PW-REDACT-7f3a9c";
pub const RED_TEST_KEY: &str = "TK-REDACT-51be0d";
pub const RED_PROXY_PASS: &str = "PX-REDACT-0c4e21";

/// Customer attributes every fault-matrix upsert sends: distinctive, so a
/// log line holding one in clear is found by a plain substring search.
pub const RED_FN: &str = "Ottoline";
pub const RED_LN: &str = "Fairweather-Quist";
pub const RED_DOB: &str = "19690723";
pub const RED_ADDR: &str = "17 Cherrytree Lanex";
pub const RED_CITY: &str = "Quahogton";
pub const RED_ZIP: &str = "62791";
pub const RED_PHONE: &str = "2175550123";
/// Every value above: what no log line may contain.
pub const RED_ATTRIBUTES: [&str; 7] = [RED_FN, RED_LN, RED_DOB, RED_ADDR, RED_CITY, RED_ZIP, RED_PHONE];

/// Every log line of the calls of the clients it is given to (as a sink),
/// as `level target message`.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<String>>>);

impl LogCapture {
    pub fn sink(&self) -> LogSink {
        let lines = self.0.clone();
        LogSink::new(move |r| lines.lock().unwrap().push(format!("{} {} {}", r.level, r.target, r.message)))
    }
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

// ---------------------------------------------------------------------------
// External tools

/// Whether `prog` is on PATH (or in /usr/sbin, where Debian puts nginx and squid).
pub fn find_tool(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.push("/usr/sbin".into());
    dirs.push("/sbin".into());
    dirs.into_iter().map(|d| d.join(prog)).find(|p| p.is_file())
}

/// The tools a test needs. When one is missing the test is skipped with a
/// loud message, unless `DCAMS_FAULTS_REQUIRE_TOOLS=1` (set by
/// `make test-faults`, which installs them), where it fails.
pub fn tools(names: &[&str]) -> Option<Vec<PathBuf>> {
    let found: Vec<Option<PathBuf>> = names.iter().map(|n| find_tool(n)).collect();
    let missing: Vec<&str> = names.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(n, _)| *n).collect();
    if missing.is_empty() {
        return Some(found.into_iter().flatten().collect());
    }
    let msg =
        format!("fault matrix: {} not installed (run `make test-faults`, which installs them)", missing.join(", "));
    if std::env::var("DCAMS_FAULTS_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

// ---------------------------------------------------------------------------
// Temporary directories and ports

/// A directory under the system temp dir, removed (recursively) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!(
            "dcams-faults-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("DCAMS_FAULTS_KEEP_TMP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A loopback port nobody listens on right now. Ports handed out are not
/// handed out again by this process (servers bind them a moment later).
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    for _ in 0..64 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
    panic!("no free port");
}

/// Waits until something accepts TCP connections on `port` (or `limit` passes).
pub fn wait_for_port(port: u16, limit: Duration, child: &mut Child, what: &str, log: &Path) -> Result<(), String> {
    let start = Instant::now();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    while start.elapsed() < limit {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{what} exited early ({status}); its log:\n{}", read_lossy(log)));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err(format!("{what} did not listen on 127.0.0.1:{port} within {limit:?}; its log:\n{}", read_lossy(log)))
}

pub fn read_lossy(path: &Path) -> String {
    let mut v = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_end(&mut v);
    }
    String::from_utf8_lossy(&v).into_owned()
}

/// Polls `path` until `pred` holds for its text (or `limit` passes); returns the last text.
pub fn wait_for_file(path: &Path, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = read_lossy(path);
        if pred(&text) || start.elapsed() >= limit {
            return text;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A child process killed (SIGKILL) and reaped on drop.
pub struct ChildGuard {
    pub child: Child,
    pub what: &'static str,
}

impl ChildGuard {
    /// Spawns `cmd` with stdin closed and stdout/stderr to `log`. The child is
    /// also asked to die with the spawning thread (PR_SET_PDEATHSIG) as a
    /// safety net should this process be killed before the guard drops.
    pub fn spawn(mut cmd: Command, what: &'static str, log: &Path) -> ChildGuard {
        use std::os::unix::process::CommandExt;
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        ChildGuard { child, what }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Images, customers, configs

/// A synthetic JPEG-looking image of `len` bytes: a real JPEG/JFIF signature,
/// then seeded pseudo-random bytes, so its base64 is recognisable and does
/// not repeat (every 32-character window is distinctive).
pub fn image(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01];
    let mut rng = Rng::new(seed);
    while v.len() < len {
        v.extend_from_slice(&rng.next().to_le_bytes());
    }
    v.truncate(len.max(12));
    v
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn customer<'a>(email: &str, img: &'a [u8]) -> Customer<'a> {
    Customer {
        r#fn: Some(RED_FN.into()),
        ln: Some(RED_LN.into()),
        dob: Some(RED_DOB.into()),
        addr: Some(RED_ADDR.into()),
        city: Some(RED_CITY.into()),
        zip: Some(RED_ZIP.into()),
        phone: Some(RED_PHONE.into()),
        ..Customer::new(email, Document::from_bytes(img))
    }
}

/// Short, explicit settings for a fault row: proxy off (so a proxy in the
/// environment of the machine running the tests never interferes), fast
/// backoff, timeouts in the hundreds of milliseconds.
pub fn fast_config(endpoint: &str, pass: &str) -> Config {
    Config {
        endpoint: endpoint.to_owned(),
        user: Some(USER.to_owned()),
        pass: Some(Secret::new(pass)),
        proxy: ProxySetting::None,
        connect_timeout: Duration::from_millis(1000),
        send_timeout: Duration::from_millis(3000),
        response_timeout: Duration::from_millis(800),
        timeout: Duration::from_millis(4000),
        retries: 2,
        retry_backoff: Duration::from_millis(10),
        max_response_bytes: 1 << 20,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Outcome checks and the summary line

/// What a row expects.
#[derive(Clone, Debug)]
pub enum Expect {
    /// Success (for the echo servers: the reply's `target.email` is the one sent).
    Ok,
    /// Failure of this kind; `message` (if any; `a|b` for either) must appear
    /// in the error's message, `detail` in its detail.
    Err { kind: ErrorKind, message: Option<&'static str>, detail: Option<&'static str> },
}

pub fn err(kind: ErrorKind) -> Expect {
    Expect::Err { kind, message: None, detail: None }
}

pub fn err_msg(kind: ErrorKind, message: &'static str) -> Expect {
    Expect::Err { kind, message: Some(message), detail: None }
}

pub fn err_detail(kind: ErrorKind, detail: &'static str) -> Expect {
    Expect::Err { kind, message: None, detail: Some(detail) }
}

/// Checks `result` against `expect`, the elapsed time against
/// `[min, max]`, the attempts a server saw against the expected number
/// (`server`: (seen, expected)), and (for errors) `Error::attempts()`
/// against `client_attempts`; prints the one-line summary. Returns a description of every
/// mismatch (empty when the row passed).
pub fn check_outcome<T>(
    row: &str,
    result: &Result<T, Error>,
    elapsed: Duration,
    expect: &Expect,
    server: Option<(u32, u32)>,
    client_attempts: Option<u32>,
    min: Duration,
    max: Duration,
) -> Vec<String> {
    let attempts_seen = server.map(|(seen, _)| seen);
    let mut problems = Vec::new();
    let (kind_name, err_attempts) = match result {
        Ok(_) => ("OK".to_owned(), None),
        Err(e) => (format!("{:?}", e.kind()), Some(e.attempts())),
    };
    println!(
        "ROW {row:<44} {kind_name:<18} {:>6} ms  attempts: client {:<4} server {}",
        elapsed.as_millis(),
        err_attempts.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
        attempts_seen.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
    );
    match (expect, result) {
        (Expect::Ok, Ok(_)) => {}
        (Expect::Ok, Err(e)) => problems.push(format!("expected success, got {e} / {e:?}")),
        (Expect::Err { kind, .. }, Ok(_)) => problems.push(format!("expected {kind:?}, got success")),
        (Expect::Err { kind, message, detail }, Err(e)) => {
            if e.kind() != *kind {
                problems.push(format!("expected {kind:?}, got {:?}: {e:?}", e.kind()));
            }
            if let Some(m) = message {
                // "a|b": either phrase will do.
                if !m.split('|').any(|alt| e.message().contains(alt)) {
                    problems.push(format!("message should mention {m:?}: {:?}", e.message()));
                }
            }
            if let Some(d) = detail {
                if !e.detail().unwrap_or("").contains(d) {
                    problems.push(format!("detail should mention {d:?}: {:?}", e.detail()));
                }
            }
        }
    }
    if let Some((seen, want)) = server {
        if seen != want {
            problems.push(format!("the server saw {seen} attempt(s), expected {want}"));
        }
    }
    if let (Some(want), Some(a)) = (client_attempts, err_attempts) {
        if a != want {
            problems.push(format!("error.attempts() is {a}, expected {want}"));
        }
    }
    if elapsed < min {
        problems.push(format!("returned after {} ms, expected at least {} ms", elapsed.as_millis(), min.as_millis()));
    }
    if elapsed > max {
        problems.push(format!("returned after {} ms, expected at most {} ms", elapsed.as_millis(), max.as_millis()));
    }
    problems
}

/// Panics with every problem of every row, if any.
pub fn assert_rows(problems: Vec<(String, Vec<String>)>) {
    let failed: Vec<String> = problems
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(row, p)| format!("{row}:\n    {}", p.join("\n    ")))
        .collect();
    assert!(failed.is_empty(), "{} row(s) failed:\n{}", failed.len(), failed.join("\n"));
}

// ---------------------------------------------------------------------------
// Redaction

/// Secrets that must never show up in anything the library produces.
pub struct Forbidden {
    strings: Vec<String>,
    windows: HashSet<String>,
}

impl Forbidden {
    /// `strings` must not appear; nor may any 32-character run of `base64`.
    pub fn new(strings: &[&str], base64: &[&str]) -> Forbidden {
        let mut windows = HashSet::new();
        for b in base64 {
            let b = b.as_bytes();
            for w in b.windows(32) {
                windows.insert(String::from_utf8(w.to_vec()).unwrap());
            }
        }
        Forbidden { strings: strings.iter().map(|s| s.to_string()).collect(), windows }
    }

    /// What of the forbidden material `output` contains (empty when clean).
    pub fn leaks(&self, output: &str) -> Vec<String> {
        let mut found = Vec::new();
        for s in &self.strings {
            if output.contains(s.as_str()) {
                found.push(format!("secret {s:?}"));
            }
        }
        let b = output.as_bytes();
        if b.len() >= 32 {
            for w in b.windows(32) {
                if let Ok(w) = std::str::from_utf8(w) {
                    if self.windows.contains(w) {
                        found.push(format!("32 characters of the image's base64 ({w})"));
                        break;
                    }
                }
            }
        }
        found
    }
}

// ---------------------------------------------------------------------------
// Seeded RNG and HTTP dates

/// splitmix64: small, seeded, good enough to pick faults.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `t` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), as in `Retry-After`
/// (the crate the client parses it with formats it too).
pub fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

#[test]
fn http_date_is_imf_fixdate() {
    assert_eq!(http_date(UNIX_EPOCH + Duration::from_secs(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(http_date(UNIX_EPOCH + Duration::from_secs(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
}

#[test]
fn forbidden_windows_catch_any_32_char_run() {
    let img = image(300, 7);
    let enc = b64(&img);
    let f = Forbidden::new(&["PW-X"], &[&enc]);
    assert!(f.leaks("nothing here").is_empty());
    assert!(!f.leaks(&format!("xx{}yy", &enc[100..132])).is_empty());
    assert!(f.leaks(&format!("xx{}yy", &enc[100..131])).is_empty());
    assert!(!f.leaks("a PW-X b").is_empty());
}
