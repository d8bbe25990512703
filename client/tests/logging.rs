//! The log sink against the sandbox: what a call logs, on which thread and
//! when, redaction at trace level over a whole lifecycle, the retry story,
//! and the `User-Agent`.

mod common;

use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use base64::Engine as _;
use common::*;
use dcams_client::{Client, Config, Customer, Document, ErrorKind, LogLevel, LogSink, ReviewStatus, Secret};
use dcams_sandbox::{Sandbox, SandboxConfig, ScriptedAnswer};

/// One delivered record, with the thread it arrived on.
#[derive(Clone, Debug)]
struct Line {
    level: LogLevel,
    target: String,
    message: String,
    thread: ThreadId,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Line>>>);

impl Capture {
    fn sink(&self) -> LogSink {
        let lines = self.0.clone();
        LogSink::new(move |r| {
            lines.lock().unwrap().push(Line {
                level: r.level,
                target: r.target.to_owned(),
                message: r.message.to_owned(),
                thread: std::thread::current().id(),
            })
        })
    }
    fn lines(&self) -> Vec<Line> {
        self.0.lock().unwrap().clone()
    }
    fn messages(&self) -> Vec<String> {
        self.lines().into_iter().map(|l| format!("{} {} {}", l.level, l.target, l.message)).collect()
    }
}

fn logged_client(sb: &Sandbox, level: LogLevel, capture: &Capture) -> Client {
    Client::new(Config { log: Some(capture.sink()), log_level: level, ..config(sb) }).unwrap()
}

#[test]
fn a_call_logs_its_attempt_response_and_outcome_at_info() {
    let sb = sandbox();
    let capture = Capture::default();
    let client = logged_client(&sb, LogLevel::Info, &capture);
    let front = read("passport-td3.jpg");
    client.upsert(&Customer::new("info@example.com", Document::from_bytes(&front))).unwrap();
    let lines = capture.messages();
    let host = format!("127.0.0.1:{}", sb.addr().port());
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].starts_with(&format!(
        "info dcams::attempt attempt started service=createOrUpdateCustomer host={host} attempt=1 of=3 body_bytes="
    )));
    assert!(lines[1].starts_with("info dcams::attempt response status=200 ms="), "{}", lines[1]);
    assert!(lines[2].starts_with(
        "info dcams::call call finished service=createOrUpdateCustomer outcome=ok status=200 attempts=1 elapsed_ms="
    ));
    // The body size in the event is the request's Content-Length.
    let sent = sb.last_request().unwrap().content_length.unwrap();
    assert!(lines[0].ends_with(&format!("body_bytes={sent}")), "{} vs {sent}", lines[0]);

    let e = client.get_status("nobody@example.com").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let last = capture.messages().pop().unwrap();
    assert!(
        last.starts_with("info dcams::call call failed service=getStatus outcome=NotFound status=404 attempts=1"),
        "{last}"
    );
}

#[test]
fn debug_adds_documents_masked_email_and_request_sent() {
    let sb = sandbox();
    let capture = Capture::default();
    let client = logged_client(&sb, LogLevel::Debug, &capture);
    let front = read("passport-td3.jpg");
    let back = data("passport-td2.png");
    let customer = Customer {
        back: Some(Document::from_path(&back)),
        ..Customer::new("jane.doe@example.com", Document::from_bytes(&front))
    };
    client.upsert(&customer).unwrap();
    let text = capture.messages().join("\n");
    assert!(
        text.contains("debug dcams::call call started service=createOrUpdateCustomer email=j***@example.com"),
        "{text}"
    );
    // SHA-256 prefixes of the specimens, computed independently.
    let sha = |b: &[u8]| {
        ring::digest::digest(&ring::digest::SHA256, b).as_ref()[..6]
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    let back_bytes = std::fs::read(&back).unwrap();
    assert!(
        text.contains(&format!("document field=documents.front bytes={} sha256={}", front.len(), sha(&front))),
        "{text}"
    );
    assert!(
        text.contains(&format!("document field=documents.back bytes={} sha256={}", back_bytes.len(), sha(&back_bytes))),
        "{text}"
    );
    let sent = sb.last_request().unwrap().content_length.unwrap();
    assert!(text.contains(&format!("debug dcams::attempt request sent bytes={sent} ms=")), "{text}");
    assert!(text.contains("debug dcams::connection new connection reused=false"), "{text}");
    assert!(!text.contains("jane.doe"), "{text}");
    client.get_status("jane.doe@example.com").unwrap();
    let text = capture.messages().join("\n");
    assert!(text.contains("debug dcams::connection connection reused reused=true"), "{text}");
}

#[test]
fn three_503s_then_success_log_three_retry_decisions_and_4_attempts() {
    let sb = sandbox();
    sb.script(ScriptedAnswer { times: 3, ..ScriptedAnswer::json(503, serde_json::json!({"error": "busy"})) });
    let capture = Capture::default();
    let client = Client::new(Config {
        retries: 3,
        retry_backoff: Duration::from_millis(20),
        log: Some(capture.sink()),
        ..config(&sb)
    })
    .unwrap();
    let front = read("passport-td3.jpg");
    let reply = client.upsert(&Customer::new("retry@example.com", Document::from_bytes(&front))).unwrap();
    assert_eq!(reply.raw.meta.attempts, 4);
    let retries: Vec<Line> = capture.lines().into_iter().filter(|l| l.target == "dcams::retry").collect();
    assert_eq!(retries.len(), 3, "{:#?}", capture.messages());
    for (i, l) in retries.iter().enumerate() {
        assert_eq!(l.level, LogLevel::Warn);
        // Backoff 20 ms doubled each time, with equal jitter: [10, 20], [20, 40], [40, 80] ms.
        let pause: u64 = field(&l.message, "pause_ms").parse().unwrap();
        let full = 20u64 << i;
        assert!((full / 2..=full).contains(&pause), "retry {i}: pause {pause} ms: {}", l.message);
        assert!(l.message.starts_with("retrying reason=\"HTTP 503\" pause_ms="), "{}", l.message);
        assert!(l.message.ends_with(&format!("attempt={} of=4", i + 2)), "{}", l.message);
    }
    let last = capture.messages().pop().unwrap();
    assert!(last.contains("outcome=ok status=200 attempts=4"), "{last}");
}

#[test]
fn a_call_that_failed_for_a_transient_reason_is_an_error_line() {
    let sb = sandbox();
    sb.script(ScriptedAnswer { times: 2, ..ScriptedAnswer::json(503, serde_json::json!({"error": "busy"})) });
    let capture = Capture::default();
    let client = Client::new(Config {
        retries: 1,
        retry_backoff: Duration::from_millis(1),
        log: Some(capture.sink()),
        log_level: LogLevel::Error,
        ..config(&sb)
    })
    .unwrap();
    assert_eq!(client.get_status("x@example.com").unwrap_err().kind(), ErrorKind::ServerError);
    assert_eq!(
        capture.messages(),
        vec![
            "error dcams::call call failed service=getStatus outcome=ServerError status=503 attempts=2 elapsed_ms="
                .to_owned()
                + field(&capture.messages()[0], "elapsed_ms")
        ]
    );
    // A 404 is the caller's business: not an error line.
    assert!(client.get_status("y@example.com").is_err());
    assert_eq!(capture.lines().len(), 1);
}

fn field<'a>(message: &'a str, name: &str) -> &'a str {
    let start = message.find(&format!(" {name}=")).unwrap_or_else(|| panic!("no {name} in {message}")) + name.len() + 2;
    message[start..].split(' ').next().unwrap()
}

#[test]
fn callbacks_arrive_on_the_calling_thread_only_and_never_after_return() {
    let sb = sandbox();
    let capture = Capture::default();
    let client = logged_client(&sb, LogLevel::Trace, &capture);
    let front = read("passport-td3.jpg");
    let lines_after: Vec<(ThreadId, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (client, capture, front) = (&client, &capture, &front);
                s.spawn(move || {
                    let me = std::thread::current().id();
                    let email = format!("thread{t}@example.com");
                    let mut counts = Vec::new();
                    for _ in 0..10 {
                        client.upsert(&Customer::new(&email, Document::from_bytes(front))).unwrap();
                        let _ = client.get_status("nobody@example.com");
                        counts.push(capture.lines().iter().filter(|l| l.thread == me).count());
                    }
                    // Nothing more arrives for this thread after its calls returned.
                    std::thread::sleep(Duration::from_millis(100));
                    (me, *counts.last().unwrap(), capture.lines().iter().filter(|l| l.thread == me).count())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let callers: Vec<ThreadId> = lines_after.iter().map(|t| t.0).collect();
    for (thread, at_return, later) in &lines_after {
        assert!(*at_return >= 20 * 3, "thread {thread:?}: only {at_return} lines");
        assert_eq!(at_return, later, "thread {thread:?} got lines after its last call returned");
    }
    let all = capture.lines();
    assert!(all.iter().all(|l| callers.contains(&l.thread)), "a line arrived on a thread that made no call");
    // Every thread's own events: 20 calls, each with its outcome line.
    for thread in &callers {
        let outcomes = all
            .iter()
            .filter(|l| l.thread == *thread && l.target == "dcams::call" && l.message.starts_with("call f"))
            .count();
        assert_eq!(outcomes, 20, "{thread:?}");
    }
}

/// Distinctive values: none of them may appear in any log line.
const FN: &str = "Quintessa";
const LN: &str = "Vanderbrook";
const DOB: &str = "19710309";
const ADDR: &str = "742 Evergreen Terrace Unit 9Q";
const CITY: &str = "Shelbyvillex";
const ZIP: &str = "97531";
const PHONE: &str = "2175550199";
const EMAIL: &str = "quintessa.vanderbrook+kyc@example.com";
const PASSWORD: &str = "PW-LOGSCAN-e41f09";
const TEST_KEY: &str = "TK-LOGSCAN-7ab2c3";

fn forbidden_in(lines: &[String], forbidden: &[&str], image_b64: &[String]) -> Vec<String> {
    let mut windows = std::collections::HashSet::new();
    for b in image_b64 {
        for w in b.as_bytes().windows(32) {
            windows.insert(w.to_vec());
        }
    }
    let mut leaks = Vec::new();
    for line in lines {
        for f in forbidden {
            if line.contains(f) {
                leaks.push(format!("{f:?} in {line}"));
            }
        }
        if line.as_bytes().windows(32).any(|w| windows.contains(w)) {
            leaks.push(format!("32 characters of an image's base64 in {line}"));
        }
    }
    leaks
}

#[test]
fn trace_level_lifecycle_logs_no_secret_and_no_attribute_in_clear() {
    let sb = Sandbox::start(SandboxConfig {
        pass: PASSWORD.to_owned(),
        test_keys: vec![TEST_KEY.to_owned()],
        ..SandboxConfig::default()
    })
    .unwrap();
    let capture = Capture::default();
    let client = Client::new(Config {
        pass: Some(Secret::new(PASSWORD)),
        test_key: Some(Secret::new(TEST_KEY)),
        log: Some(capture.sink()),
        log_level: LogLevel::Trace,
        ..config(&sb)
    })
    .unwrap();
    let front = read("passport-td3.jpg");
    let back = data("passport-td2.png");
    let customer = Customer {
        r#fn: Some(FN.into()),
        ln: Some(LN.into()),
        dob: Some(DOB.into()),
        addr: Some(ADDR.into()),
        city: Some(CITY.into()),
        zip: Some(ZIP.into()),
        phone: Some(PHONE.into()),
        back: Some(Document::from_path(&back)),
        ..Customer::new(EMAIL, Document::from_bytes(&front))
    };
    client.upsert(&customer).unwrap();
    client.get_status(EMAIL).unwrap();
    let images = client.get_document_images(EMAIL).unwrap();
    assert_eq!(images.front.as_deref(), Some(&front[..]));
    client.update_status(EMAIL, ReviewStatus::Fail).unwrap();
    client.upsert(&customer).unwrap();
    let dir = std::env::temp_dir().join(format!("dcams-logscan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    client.save_document_images(EMAIL, &dir.join("f.jpg"), Some(&dir.join("b.png"))).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    // A JSON request with the e-mail in an escaped form and the image as base64 text.
    let b64 = base64::engine::general_purpose::STANDARD.encode(&front);
    let json = serde_json::json!({"target": {"email": EMAIL, "fn": FN, "documents": {"front": b64}}}).to_string();
    client.call_json(&json).unwrap();
    // Failures too: bad credentials, a bad test key, a retried 503.
    let bad = Client::new(Config {
        pass: Some(Secret::new(format!("{PASSWORD}-wrong"))),
        log: Some(capture.sink()),
        log_level: LogLevel::Trace,
        ..config(&sb)
    })
    .unwrap();
    assert_eq!(bad.get_status(EMAIL).unwrap_err().kind(), ErrorKind::Unauthorized);
    sb.script(ScriptedAnswer::json(503, serde_json::json!({"message": format!("busy {EMAIL} {PASSWORD}")})));
    client.get_status(EMAIL).unwrap();

    let lines = capture.messages();
    assert!(lines.len() > 40, "only {} lines", lines.len());
    let back_bytes = std::fs::read(&back).unwrap();
    let images_b64 = [b64.clone(), base64::engine::general_purpose::STANDARD.encode(&back_bytes)];
    let forbidden = [PASSWORD, TEST_KEY, EMAIL, FN, LN, DOB, ADDR, CITY, ZIP, PHONE];
    let leaks = forbidden_in(&lines, &forbidden, &images_b64);
    assert!(leaks.is_empty(), "{} leak(s):\n{}", leaks.len(), leaks.join("\n"));

    // The control: the same scan finds a planted value, and a planted run of base64.
    let mut planted = lines.clone();
    planted.push(format!("debug dcams::call something dob={DOB}"));
    planted.push(format!("trace x {}", &b64[1000..1040]));
    let found = forbidden_in(&planted, &forbidden, &images_b64);
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn the_user_agent_carries_the_application_token() {
    let sb = sandbox();
    let client =
        Client::new(Config { app_name: Some("acme-kyc".into()), app_version: Some("4.2.1".into()), ..config(&sb) })
            .unwrap();
    let _ = client.get_status("nobody@example.com");
    let ua = sb.last_request().unwrap().user_agent.unwrap();
    assert_eq!(ua, format!("dcams/{} acme-kyc/4.2.1", env!("CARGO_PKG_VERSION")));
    let e = Client::new(Config { app_name: Some("acme kyc".into()), ..config(&sb) }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}
