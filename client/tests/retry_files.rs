//! A document file that disappears between a retried attempt and the next:
//! the retry is abandoned, and the error is the failure that caused it (not
//! a file error), with the attempt that was made counted.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use dcams_client::{Client, Config, Customer, Document, ErrorKind, Secret};

/// A server that answers every request with a 503 (`Retry-After: 0`, so the
/// retry comes at once), after running `on_request` (here: removing the file).
fn server(on_request: impl Fn() + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v3/stable/api/storage", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            // Read the head, then the whole body, so the client sees a clean answer.
            let (start, len) = loop {
                let n = s.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break (0, 0);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap_or(0));
                    break (i + 4, len);
                }
            };
            while buf.len() < start + len {
                let n = s.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            on_request();
            let body = r#"{"result":"Error","message":"busy"}"#;
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(answer.as_bytes()).ok();
        }
    });
    url
}

#[test]
fn a_file_gone_before_the_retry_keeps_the_cause_and_the_attempts() {
    let dir = std::env::temp_dir().join(format!("dcams-retry-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let front: PathBuf = dir.join("front.jpg");
    std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/passport-td3.jpg"), &front).unwrap();
    let gone = front.clone();
    let url = server(move || {
        std::fs::remove_file(&gone).ok();
    });
    let client = Client::new(Config {
        endpoint: url,
        user: Some("fake-user".into()),
        pass: Some(Secret::new("fake-pass")),
        retries: 2,
        ..Config::default()
    })
    .unwrap();
    let e = client.upsert(&Customer::new("ada@example.com", Document::from_path(&front))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerError, "{e:?}");
    assert_eq!((e.http_status(), e.service_message()), (Some(503), Some("busy")));
    assert_eq!(e.attempts(), 1, "{e:?}");
    let detail = e.detail().unwrap_or_default();
    assert!(detail.contains("not retried") && detail.contains("documents.front"), "{e:?}");
    std::fs::remove_dir_all(dir).ok();
}
