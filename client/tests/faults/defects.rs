//! Regression tests for the defects of issue 9 that are not a row of the
//! matrix: refused configurations (SOCKS proxies, ports out of range,
//! credentials in the endpoint), document files that change while they are
//! sent, and long service messages.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use dcams_client::{Client, Config, Customer, Document, ErrorKind, ProxySetting, Secret};

use crate::matrix::CPU;
use crate::misbehave::{Behavior, Canned, Misbehave};
use crate::support::*;

fn refused(config: Config, what: &str, secret: &str) -> Vec<String> {
    let mut p = Vec::new();
    match Client::new(config) {
        Ok(_) => p.push(format!("{what}: the client was made")),
        Err(e) => {
            if e.kind() != ErrorKind::Config {
                p.push(format!("{what}: expected Config, got {e}"));
            }
            let all = format!("{e} {e:?}");
            if !secret.is_empty() && all.contains(secret) {
                p.push(format!("{what}: the error echoes {secret:?}: {all}"));
            }
        }
    }
    p
}

/// Issue 9, defect 2: a SOCKS proxy set explicitly is refused when the
/// client is made (this build cannot speak SOCKS), naming `proxy`.
#[test]
fn socks_proxy_setting_is_refused_at_client_creation() {
    let mut rows = Vec::new();
    for scheme in ["socks4", "socks4a", "socks5", "socks5h", "SOCKS5"] {
        let mut c = fast_config("https://dcams-faults.test/v3/stable/api/storage", PASS);
        c.proxy = ProxySetting::Url(Secret::new(format!("{scheme}://squser:{RED_PROXY_PASS}@127.0.0.1:1080")));
        let mut p = refused(c.clone(), scheme, RED_PROXY_PASS);
        if let Err(e) = Client::new(c) {
            if !e.message().contains("proxy") || !e.message().to_ascii_lowercase().contains("socks") {
                p.push(format!("the message should name the proxy setting and SOCKS: {e}"));
            }
        }
        rows.push((format!("socks_setting_{scheme}"), p));
    }
    assert_rows(rows);
}

/// Issue 9, defect 4: a port out of range (in the endpoint or the proxy) is
/// refused, never rewritten to the scheme's default port.
#[test]
fn ports_out_of_range_are_refused() {
    let mut rows = Vec::new();
    for endpoint in [
        "http://127.0.0.1:99999/v3/stable/api/storage",
        "http://127.0.0.1:65536/v3/stable/api/storage",
        "https://dcams.app:4294967376/v3/stable/api/storage",
        "https://dcams.app:0/v3/stable/api/storage",
    ] {
        rows.push((endpoint.to_owned(), refused(fast_config(endpoint, PASS), endpoint, "")));
    }
    for proxy in ["http://127.0.0.1:99999", "http://u:p@127.0.0.1:65536", "http://127.0.0.1:0"] {
        let mut c = fast_config("https://dcams-faults.test/v3/stable/api/storage", PASS);
        c.proxy = ProxySetting::Url(Secret::new(proxy));
        rows.push((proxy.to_owned(), refused(c, proxy, "u:p@")));
    }
    assert_rows(rows);
}

/// Issue 9, defect 5: credentials in the endpoint URL would be sent as an
/// `Authorization` header; they are refused, without echoing them.
#[test]
fn credentials_in_the_endpoint_are_refused() {
    let mut rows = Vec::new();
    for endpoint in [
        "https://apiuser:PW-IN-URL@dcams.app/v3/stable/api/storage",
        "https://PW-IN-URL@dcams.app/v3/stable/api/storage",
        "http://apiuser:PW-IN-URL@127.0.0.1:8080/v3/stable/api/storage",
        "https://:PW-IN-URL@dcams.app/v3/stable/api/storage",
    ] {
        rows.push((endpoint.to_owned(), refused(fast_config(endpoint, PASS), endpoint, "PW-IN-URL")));
    }
    assert_rows(rows);
}

/// Issue 9, defect 9: a service message quoting 4 KB of the image's base64
/// and the password is scrubbed of both and capped in length.
#[test]
fn long_service_messages_are_scrubbed_and_capped() {
    let img = image(6000, 99);
    let enc = b64(&img);
    let message = format!("Rejected {} with {RED_PASS} and {}", &enc[..4000], "word ".repeat(400));
    let srv = Misbehave::start(Behavior::Respond(Canned::json(
        400,
        &serde_json::json!({"result": "Error", "message": message}).to_string(),
    )));
    let client = Client::new(fast_config(&srv.url(), RED_PASS)).unwrap();
    let e = client.upsert(&customer("long.message@example.com", &img)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    let f = Forbidden::new(&[RED_PASS], &[&enc]);
    let sm = e.service_message().unwrap_or_default().to_owned();
    for text in [e.message().to_owned(), sm.clone(), format!("{e:?}")] {
        assert!(f.leaks(&text).is_empty(), "leaks {:?} in {}", f.leaks(&text), &text[..text.len().min(300)]);
    }
    assert!(sm.starts_with("Rejected "), "{sm}");
    assert!(sm.chars().count() <= 1001, "{} characters", sm.chars().count());
    assert!(sm.ends_with('…'), "{sm}");
    assert!(e.message().chars().count() <= 1020, "{} characters", e.message().chars().count());
}

// ---------------------------------------------------------------------------
// Issue 9, defect 3: document files that change while they are sent.

fn jpeg_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    let bytes = image(len, seed);
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// One upsert of `path` (20 MB: far more than the socket buffers hold)
/// against a server reading the body at 10 MB/s while
/// `change` runs on another thread 300 ms in; returns the error, the
/// server and the elapsed time.
fn upload_while(path: &Path, change: impl FnOnce() + Send) -> (Result<(), dcams_client::Error>, Misbehave, Duration) {
    let srv = Misbehave::start(Behavior::SlowRead { bytes_per_sec: 10_000_000 });
    let mut c = fast_config(&srv.url(), PASS);
    c.send_timeout = Duration::from_secs(20);
    c.response_timeout = Duration::from_secs(5);
    c.timeout = Duration::from_secs(20);
    let client = Client::new(c).unwrap();
    let customer = Customer::new("changing.file@example.com", Document::from_path(path));
    let start = Instant::now();
    let result = std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            change();
        });
        client.upsert(&customer).map(|_| ())
    });
    let elapsed = start.elapsed();
    drop(client);
    // A reset connection ends the server's read at once (a clean close
    // would leave it reading what is buffered, seconds of it at 10 MB/s).
    let ended = Instant::now();
    while srv.incomplete_bodies() + srv.complete_bodies() == 0 && ended.elapsed() < Duration::from_millis(500) {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("server saw the end {} ms after the call", ended.elapsed().as_millis());
    (result, srv, elapsed)
}

fn expect_file_error(row: &str, result: &Result<(), dcams_client::Error>, srv: &Misbehave) -> Vec<String> {
    let mut p = Vec::new();
    match result {
        Ok(()) => p.push("the call succeeded with a changed file".to_owned()),
        Err(e) => {
            if e.kind() != ErrorKind::File {
                p.push(format!("expected File, got {e} / {e:?}"));
            }
            if e.retryable() {
                p.push("a changed file must not be retryable".to_owned());
            }
            if e.attempts() != 1 {
                p.push(format!("{} attempts, expected 1 (not retried)", e.attempts()));
            }
        }
    }
    if srv.requests() != 1 {
        p.push(format!("the server saw {} requests", srv.requests()));
    }
    if srv.complete_bodies() != 0 || srv.incomplete_bodies() != 1 {
        p.push(format!(
            "the server received {} complete and {} incomplete request bodies (expected 0 and 1)",
            srv.complete_bodies(),
            srv.incomplete_bodies()
        ));
    }
    println!(
        "ROW {row:<44} {:?}; server: {} complete bodies",
        result.as_ref().err().map(|e| e.kind()),
        srv.complete_bodies()
    );
    p
}

#[test]
fn a_file_that_shrinks_or_grows_while_sent_is_a_file_error_and_never_complete() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let dir = TempDir::new("changing");
    let mut rows = Vec::new();
    {
        let path = dir.path().join("shrinks.jpg");
        jpeg_file(&path, 20_000_000, 5);
        let (r, srv, _) = upload_while(&path, || {
            std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(1_000_000).unwrap();
        });
        rows.push(("file_shrinks_while_sent".to_owned(), expect_file_error("file_shrinks_while_sent", &r, &srv)));
    }
    {
        let path = dir.path().join("grows.jpg");
        jpeg_file(&path, 20_000_000, 6);
        let (r, srv, _) = upload_while(&path, || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            f.write_all(&image(2_000_000, 7)).unwrap();
        });
        rows.push(("file_grows_while_sent".to_owned(), expect_file_error("file_grows_while_sent", &r, &srv)));
    }
    {
        // Same size, other bytes (rewritten in place): only its mtime tells.
        let path = dir.path().join("rewritten.jpg");
        jpeg_file(&path, 20_000_000, 8);
        let (r, srv, _) = upload_while(&path, || {
            let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            std::os::unix::fs::FileExt::write_all_at(&f, &image(20_000_000, 9)[100..], 100).unwrap();
            f.set_modified(std::time::SystemTime::now() + Duration::from_secs(5)).unwrap();
        });
        rows.push(("file_rewritten_while_sent".to_owned(), expect_file_error("file_rewritten_while_sent", &r, &srv)));
    }
    assert_rows(rows);
}

/// A file changed between two attempts (the first got a 503): the retry
/// must not send a different image.
#[test]
fn a_file_changed_between_attempts_is_not_resent() {
    let dir = TempDir::new("between");
    let path = dir.path().join("front.jpg");
    jpeg_file(&path, 20_000, 10);
    let srv = Misbehave::start(Behavior::Seq(vec![
        Behavior::Respond(Canned::new(503, Some("text/html"), "<html>busy</html>").header("Retry-After", "1")),
        Behavior::Echo,
    ]));
    let client = Client::new(fast_config(&srv.url(), PASS)).unwrap();
    let customer = Customer::new("between.attempts@example.com", Document::from_path(&path));
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(400));
            jpeg_file(&path, 25_000, 11);
        });
        client.upsert(&customer)
    });
    let e = result.expect_err("a changed image was stored");
    assert_eq!(e.kind(), ErrorKind::File, "{e:?}");
    assert_eq!(srv.requests(), 1, "the changed file was sent again");
}

/// Files whose size `stat` does not know, and files that are not regular,
/// are refused before anything is sent (even with check_image_format false).
#[test]
fn special_files_are_refused_before_sending() {
    let dir = TempDir::new("special");
    let fifo = dir.path().join("fifo.jpg");
    let c_fifo = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_fifo.as_ptr(), 0o600) }, 0);
    let srv = Misbehave::start(Behavior::Echo);
    let mut rows = Vec::new();
    for path in [Path::new("/proc/self/status"), Path::new("/dev/zero"), dir.path(), fifo.as_path()] {
        let mut c = fast_config(&srv.url(), PASS);
        c.check_image_format = false;
        let client = Client::new(c).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let owned = path.to_path_buf();
        std::thread::spawn(move || {
            let customer = Customer::new("special.file@example.com", Document::from_path(&owned));
            let _ = tx.send(client.upsert(&customer).map(|_| ()));
        });
        let mut p = Vec::new();
        match rx.recv_timeout(Duration::from_secs(5)) {
            Err(_) => p.push("the call hung (blocked opening or reading the file)".to_owned()),
            Ok(Ok(())) => p.push("the call succeeded".to_owned()),
            Ok(Err(e)) => {
                if e.kind() != ErrorKind::File || e.attempts() != 0 {
                    p.push(format!("expected File before any attempt, got {e} after {} attempts", e.attempts()));
                }
            }
        }
        rows.push((path.display().to_string(), p));
    }
    assert_eq!(srv.requests(), 0, "nothing may be sent");
    assert_rows(rows);
}
