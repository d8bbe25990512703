//! The fault matrix against the scripted misbehaving server: one row per
//! fault, each asserting the documented outcome (kind, phase in the
//! message), the time the call took (its configured deadline plus a small
//! margin), and how many attempts the server saw and the error reports.
//!
//! Rows are data ([`rows`]) so the redaction test can run them all again with
//! recognisable secrets; each row also has its own `#[test]` (see the
//! `row_tests!` list at the bottom) so failures name the row.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use dcams_client::{Client, Config, ErrorKind, LogLevel, Secret};

use crate::misbehave::{Behavior, Canned, Misbehave};
use crate::support::*;

/// Timing-sensitive rows hold this for reading; the 16-thread stress test
/// holds it for writing, so it never steals their CPU.
pub static CPU: RwLock<()> = RwLock::new(());

/// Extra time allowed on top of a row's configured deadline (loaded 2-core CI).
pub const MARGIN: Duration = Duration::from_millis(600);

/// Where a row's client connects.
#[derive(Clone, Debug)]
pub enum Target {
    /// The misbehaving server over plain http.
    Http(Behavior),
    /// The misbehaving server, but the endpoint says https (the TLS handshake never completes).
    Https(Behavior),
    /// A redirect with this status whose `Location` is a second listener,
    /// which must receive nothing.
    Redirect(u16),
    /// A port nothing listens on.
    Refused,
    /// A listener whose accept queue is full: the TCP handshake never completes.
    BacklogFull,
}

/// Which server counter gives the attempts it saw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Seen {
    Requests,
    Connections,
    /// No server (refused, full backlog): only `Error::attempts()` counts.
    Nothing,
}

pub struct Row {
    pub name: &'static str,
    pub target: Target,
    pub tune: fn(&mut Config),
    /// Bytes of the front image (the request body is about 4/3 of it).
    pub upload: usize,
    pub expect: Expect,
    pub attempts: u32,
    pub seen: Seen,
    pub min: Duration,
    /// The row's configured deadline; the call must return within it plus [`MARGIN`].
    pub deadline: Duration,
}

/// The secrets and image a run uses.
#[derive(Clone)]
pub struct Creds {
    pub pass: String,
    pub test_key: Option<String>,
    /// Seed of the rows' images: `image(row.upload, seed)`; images of one
    /// seed are prefixes of each other, so the base64 of `image(3000, seed)`
    /// is the start of every row's.
    pub seed: u64,
    /// Prefix of the rows' summary lines.
    pub label: &'static str,
}

impl Creds {
    pub fn plain() -> Creds {
        Creds { pass: PASS.to_owned(), test_key: None, seed: 1, label: "" }
    }
    pub fn recognisable() -> Creds {
        Creds { pass: RED_PASS.to_owned(), test_key: Some(RED_TEST_KEY.to_owned()), seed: 0x5eed, label: "redaction/" }
    }
}

/// What one row produced.
pub struct RowRun {
    pub problems: Vec<String>,
    /// Every string the library produced (for the redaction test).
    pub outputs: Vec<String>,
    /// Every log line of the row's call, captured at trace level.
    pub logs: Vec<String>,
    /// The e-mail address the row's customer had (no log line may hold it in clear).
    pub email: String,
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn row(name: &'static str, target: Target, expect: Expect, attempts: u32, seen: Seen) -> Row {
    Row { name, target, tune: |_| {}, upload: 3000, expect, attempts, seen, min: Duration::ZERO, deadline: ms(4000) }
}

fn canned(status: u16, ct: Option<&str>, body: &str) -> Target {
    Target::Http(Behavior::Respond(Canned::new(status, ct, body)))
}

/// Every row of the matrix. `creds` only matters for rows whose server
/// echoes secrets back (redaction).
pub fn rows(creds: &Creds) -> Vec<Row> {
    use ErrorKind::*;
    use Seen::*;
    let json_err = |status: u16, msg: &str| {
        canned(status, Some("application/json"), &format!(r#"{{"result":"Error","message":"{msg}"}}"#))
    };
    let deep = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let mut v = vec![
        row("success_baseline", Target::Http(Behavior::Echo), Expect::Ok, 1, Requests),
        Row {
            tune: |c| c.response_timeout = ms(500),
            min: ms(450),
            deadline: ms(500),
            ..row(
                "stall_before_headers",
                Target::Http(Behavior::StallBeforeHeaders),
                err_msg(Timeout, "waiting for the response"),
                1,
                Requests,
            )
        },
        Row {
            tune: |c| {
                c.response_timeout = ms(500);
                c.timeout = ms(1500);
            },
            min: ms(450),
            deadline: ms(1500),
            ..row(
                "stall_mid_body",
                Target::Http(Behavior::StallMidBody { declared: 400, sent: br#"{"result":"Success","#.to_vec() }),
                // No per-phase body timeout exists: the overall deadline ends it.
                err_msg(Timeout, "receiving the response body|overall deadline"),
                1,
                Requests,
            )
        },
        // ureq 3.5 folds a reset while the body is read into end-of-stream
        // (run.rs, RecvBody: ConnectionReset → remote_closed → "Peer
        // disconnected"), so the client can only see a truncated body:
        // BadResponse, not retried. A reset before the body is complete
        // cannot be told from a clean close there.
        row("reset_mid_body", Target::Http(Behavior::ResetMidResponse), err_msg(BadResponse, "truncated"), 1, Requests),
        row("reset_mid_headers", Target::Http(Behavior::ResetMidHeaders), err(Transport), 3, Requests),
        row("reset_before_response", Target::Http(Behavior::ResetBeforeResponse), err(Transport), 3, Requests),
        row(
            "truncated_body",
            Target::Http(Behavior::Truncated { declared: 500, sent: br#"{"result":"Success","ref"#.to_vec() }),
            err_msg(BadResponse, "truncated"),
            1,
            Requests,
        ),
        Row {
            tune: |c| c.max_response_bytes = 64 * 1024,
            ..row(
                "oversize_body",
                Target::Http(Behavior::Respond(Canned::json(
                    200,
                    &format!(r#"{{"result":"Success","pad":"{}"}}"#, "x".repeat(300_000)),
                ))),
                err(BadResponse),
                1,
                Requests,
            )
        },
        row(
            "html_200",
            canned(200, Some("text/html"), "<html><body><h1>Welcome</h1></body></html>"),
            err_detail(BadResponse, "text/html"),
            1,
            Requests,
        ),
        row("empty_200", canned(200, Some("application/json"), ""), err_msg(BadResponse, "empty"), 1, Requests),
        row("empty_503", canned(503, None, ""), err(ServerError), 3, Requests),
        row(
            "invalid_utf8_json",
            Target::Http(Behavior::Respond(Canned::new(
                200,
                Some("application/json"),
                b"{\"result\":\"Success\",\"x\":\"\xff\xfe\"}".to_vec(),
            ))),
            err_msg(BadResponse, "UTF-8"),
            1,
            Requests,
        ),
        row(
            "lone_surrogate",
            canned(200, Some("application/json"), r#"{"result":"\ud800"}"#),
            err(BadResponse),
            1,
            Requests,
        ),
        row("nesting_10000_deep", canned(200, Some("application/json"), &deep), err(BadResponse), 1, Requests),
        row(
            "json_array_200",
            canned(200, Some("application/json"), r#"["result","Success"]"#),
            err(BadResponse),
            1,
            Requests,
        ),
        row("result_error_200", json_err(200, "Missing a required input"), err(ServiceError), 1, Requests),
        row(
            "redirect_301",
            Target::Redirect(301),
            err_detail(Redirect, "Location points to http://127.0.0.1:"),
            1,
            Requests,
        ),
        row("redirect_302", Target::Redirect(302), err(Redirect), 1, Requests),
        row("redirect_307", Target::Redirect(307), err(Redirect), 1, Requests),
        row("redirect_308", Target::Redirect(308), err(Redirect), 1, Requests),
        row("bad_request_400", json_err(400, "The email address is invalid"), err(BadRequest), 1, Requests),
        row(
            "unauthorized_401",
            json_err(401, "Either your username or password is incorrect"),
            err(Unauthorized),
            1,
            Requests,
        ),
        row("forbidden_403", canned(403, Some("text/html"), "<html>403 Forbidden</html>"), err(Forbidden), 1, Requests),
        row("not_found_404", json_err(404, "The email address was not found"), err(NotFound), 1, Requests),
        row(
            "payload_too_large_413",
            canned(413, Some("text/html"), "<html>413 Request Entity Too Large</html>"),
            err_detail(PayloadTooLarge, "text/html"),
            1,
            Requests,
        ),
        // A server that answers from the request head and closes with the
        // body unread resets the connection under the client's upload (16 MB:
        // more than loopback's socket buffers hold). The client stops sending
        // and reads the answer already there (RFC 9112 §9.5), instead of a
        // retried "Broken pipe"; a fresh connection for each retry.
        Row {
            upload: 16 << 20,
            ..row(
                "answer_early_413",
                Target::Http(Behavior::AnswerEarly(Canned::new(413, Some("text/html"), "<html>413</html>"))),
                err_detail(PayloadTooLarge, "text/html"),
                1,
                Requests,
            )
        },
        Row {
            upload: 16 << 20,
            ..row(
                "answer_early_404",
                Target::Http(Behavior::AnswerEarly(Canned::json(404, r#"{"error":"not_found"}"#))),
                err(NotFound),
                1,
                Requests,
            )
        },
        Row {
            upload: 16 << 20,
            deadline: ms(8000),
            ..row(
                "answer_early_503",
                Target::Http(Behavior::AnswerEarly(Canned::new(503, Some("text/html"), "<html>busy</html>"))),
                err(ServerError),
                3,
                Connections,
            )
        },
        // The same reset with no answer before it: a retryable transport failure.
        Row {
            upload: 16 << 20,
            ..row("reset_during_upload", Target::Http(Behavior::ResetDuringUpload), err(Transport), 3, Connections)
        },
        row("internal_500", json_err(500, "oops"), err(ServerError), 1, Requests),
        row(
            "bad_gateway_502_html",
            canned(502, Some("text/html"), "<html><h1>502 Bad Gateway</h1></html>"),
            err_detail(ServerError, "text/html"),
            3,
            Requests,
        ),
        row(
            "gateway_timeout_504",
            canned(504, Some("text/html"), "<html>504 Gateway Time-out</html>"),
            err(ServerError),
            3,
            Requests,
        ),
        row(
            "rate_limited_429",
            Target::Http(Behavior::Respond(Canned::json(429, "{}"))),
            err(RateLimited),
            3,
            Requests,
        ),
        row(
            "retry_503_503_then_success",
            Target::Http(Behavior::Seq(vec![
                Behavior::Respond(Canned::new(503, Some("text/html"), "<html>busy</html>")),
                Behavior::Respond(Canned::new(503, Some("text/html"), "<html>busy</html>")),
                Behavior::Echo,
            ])),
            Expect::Ok,
            3,
            Requests,
        ),
        Row {
            tune: |c| c.timeout = ms(5000),
            min: ms(1000),
            deadline: ms(1000 + 800),
            ..row(
                "retry_429_retry_after_1s_then_ok",
                Target::Http(Behavior::Seq(vec![
                    Behavior::Respond(Canned::json(429, "{}").header("Retry-After", "1")),
                    Behavior::Echo,
                ])),
                Expect::Ok,
                2,
                Requests,
            )
        },
        Row {
            tune: |c| c.timeout = ms(6000),
            // The date has one-second resolution: now+2 s waits between 1 and 2 s.
            min: ms(900),
            deadline: ms(2000 + 800),
            ..row(
                "retry_429_retry_after_date_then_ok",
                Target::Http(Behavior::Seq(vec![
                    Behavior::Respond(
                        Canned::json(429, "{}")
                            .header("Retry-After", &http_date(SystemTime::now() + Duration::from_secs(2))),
                    ),
                    Behavior::Echo,
                ])),
                Expect::Ok,
                2,
                Requests,
            )
        },
        Row {
            tune: |c| c.timeout = ms(1500),
            // Waiting 30 s cannot fit in 1.5 s: give up at once, no pointless sleep.
            deadline: ms(300),
            ..row(
                "retry_429_retry_after_past_deadline",
                Target::Http(Behavior::Respond(Canned::json(429, "{}").header("Retry-After", "30"))),
                err_detail(RateLimited, "not retried"),
                1,
                Requests,
            )
        },
        Row {
            tune: |c| {
                c.connect_timeout = ms(200);
                c.send_timeout = ms(20_000);
                c.response_timeout = ms(5_000);
                c.timeout = ms(20_000);
            },
            upload: 3_750_000, // ~5 MB of base64, read at ~1 MB/s
            min: ms(3000),
            deadline: ms(20_000),
            ..row(
                "slow_reader_5mb_at_1mb_s",
                Target::Http(Behavior::SlowRead { bytes_per_sec: 1_000_000 }),
                Expect::Ok,
                1,
                Requests,
            )
        },
        Row {
            tune: |c| {
                c.send_timeout = ms(700);
                c.timeout = ms(4000);
            },
            upload: 18_000_000, // 24 MB of base64: far more than socket buffers hold
            min: ms(650),
            // One send timeout: every write is re-armed to what is left of it
            // (client/src/socket.rs), so a write that moves a few bytes just
            // before expiry no longer earns a fresh timeout.
            deadline: ms(700),
            ..row(
                "stall_reading_upload",
                Target::Http(Behavior::StallReading),
                err_msg(Timeout, "sending the request"),
                1,
                Requests,
            )
        },
        Row {
            tune: |c| c.connect_timeout = ms(300),
            deadline: ms(4000),
            ..row(
                "tls_handshake_stall",
                Target::Https(Behavior::Silent),
                err_msg(Timeout, "connecting"),
                3,
                Connections,
            )
        },
        Row {
            tune: |c| c.connect_timeout = ms(300),
            min: ms(850),
            deadline: ms(3 * 300 + 2 * 20),
            ..row("connect_timeout_backlog_full", Target::BacklogFull, err_msg(Timeout, "connecting"), 3, Nothing)
        },
        Row { deadline: ms(200), ..row("connection_refused", Target::Refused, err(Transport), 3, Nothing) },
        // Issue 9, defect 6: a 4xx JSON object in neither documented envelope
        // keeps the text of its `error` member.
        row(
            "undocumented_401_error_object",
            canned(401, Some("application/json"), r#"{"error":"Bad Login"}"#),
            err_msg(Unauthorized, "HTTP 401: Bad Login"),
            1,
            Requests,
        ),
        // Issue 9, defect 8: a response head over ureq's 64 KiB limit is a bad
        // response, not a transport failure to retry.
        row(
            "response_header_too_big",
            Target::Http(Behavior::Respond(Canned::json(200, "{}").header("X-Pad", &"p".repeat(100 * 1024)))),
            err_msg(BadResponse, "header"),
            1,
            Requests,
        ),
    ];
    // A gateway that echoes the request (password, test key, images) in its
    // error page: the excerpt in `detail` must not carry any of it.
    v.push(row(
        "echo_request_in_400_text",
        Target::Http(Behavior::EchoBody { status: 400, content_type: "text/plain" }),
        err(BadRequest),
        1,
        Requests,
    ));
    v.push(row(
        "echo_request_in_200_html",
        Target::Http(Behavior::EchoBody { status: 200, content_type: "text/html" }),
        err(BadResponse),
        1,
        Requests,
    ));
    v.push(row(
        "echo_request_in_503_json",
        Target::Http(Behavior::EchoBody { status: 503, content_type: "application/json" }),
        err(ServerError),
        3,
        Requests,
    ));
    // A service whose error texts quote the password and test key.
    let quoted = format!("password {} or key {} rejected", creds.pass, creds.test_key.as_deref().unwrap_or("-"));
    v.push(row(
        "password_in_platform_detail",
        canned(
            401,
            Some("application/json"),
            &serde_json::json!({"meta": {}, "error": {"message": "Bad Login", "code": "AUTH0", "detail": quoted}})
                .to_string(),
        ),
        err(Unauthorized),
        1,
        Requests,
    ));
    v.push(row(
        "password_in_html_500",
        canned(500, Some("text/html"), &format!("<html><pre>{quoted}</pre></html>")),
        err(ServerError),
        1,
        Requests,
    ));
    v
}

/// Rows whose service quotes secrets in `message` (service_message): a
/// separate list, see the redaction test.
pub fn message_echo_rows(creds: &Creds) -> Vec<Row> {
    let quoted = format!("password {} or key {} rejected", creds.pass, creds.test_key.as_deref().unwrap_or("-"));
    vec![
        row(
            "password_in_storage_message",
            canned(
                401,
                Some("application/json"),
                &serde_json::json!({"result": "Error", "message": quoted}).to_string(),
            ),
            err(ErrorKind::Unauthorized),
            1,
            Seen::Requests,
        ),
        row(
            "password_in_platform_message",
            canned(
                403,
                Some("application/json"),
                &serde_json::json!({"meta": {}, "error": {"message": quoted, "code": "AUTH1"}}).to_string(),
            ),
            err(ErrorKind::Forbidden),
            1,
            Seen::Requests,
        ),
        // Issue 9, defect 9: a 400 whose message quotes the request, image base64 included.
        row(
            "image_in_storage_message",
            Target::Http(Behavior::EchoInMessage { status: 400 }),
            err(ErrorKind::BadRequest),
            1,
            Seen::Requests,
        ),
    ]
}

/// A listener (raw socket, backlog 0, never accepting) whose queue is
/// filled, so that one more connect is never answered. None when the
/// platform accepts anyway (some network stacks ignore the backlog).
pub struct FullBacklog {
    pub addr: SocketAddr,
    _listener: OwnedFd,
    _fillers: Vec<TcpStream>,
}

impl FullBacklog {
    pub fn new() -> Option<FullBacklog> {
        // SAFETY: plain socket calls on a fd we own; sockaddr_in is fully initialised.
        let (fd, addr) = unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0);
            let owned = OwnedFd::from_raw_fd(fd);
            let mut sa: libc::sockaddr_in = std::mem::zeroed();
            sa.sin_family = libc::AF_INET as libc::sa_family_t;
            sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            assert_eq!(libc::bind(fd, &sa as *const _ as *const libc::sockaddr, len), 0);
            assert_eq!(libc::listen(fd, 0), 0);
            let mut got: libc::sockaddr_in = std::mem::zeroed();
            let mut glen = len;
            libc::getsockname(fd, &mut got as *mut _ as *mut libc::sockaddr, &mut glen);
            (owned, SocketAddr::from(([127, 0, 0, 1], u16::from_be(got.sin_port))))
        };
        let mut fillers = Vec::new();
        for _ in 0..64 {
            match TcpStream::connect_timeout(&addr, ms(150)) {
                Ok(s) => fillers.push(s),
                Err(_) => return Some(FullBacklog { addr, _listener: fd, _fillers: fillers }),
            }
        }
        None
    }

    /// The listener, its queue emptied of the fillers: serve it to let the
    /// next connect through.
    pub fn into_listener(self) -> std::net::TcpListener {
        drop(self._fillers);
        std::net::TcpListener::from(self._listener)
    }
}

/// Runs one row: starts its servers, makes one `upsert` with the row's
/// config, checks everything, and collects every output of the library.
pub fn run_row(row: &Row, creds: &Creds) -> RowRun {
    let mut problems = Vec::new();
    let mut backlog = None;
    let mut other: Option<Misbehave> = None;
    let (endpoint, server) = match &row.target {
        Target::Http(b) => {
            let s = Misbehave::start(b.clone());
            (s.url(), Some(s))
        }
        Target::Https(b) => {
            let s = Misbehave::start(b.clone());
            (format!("https://127.0.0.1:{}/v3/stable/api/storage", s.port()), Some(s))
        }
        Target::Redirect(status) => {
            let elsewhere = Misbehave::start(Behavior::Echo);
            let loc = format!("{}?pass={}", elsewhere.url(), creds.pass);
            let s = Misbehave::start(Behavior::Respond(
                Canned::new(*status, Some("text/html"), "<html>moved</html>").header("Location", &loc),
            ));
            other = Some(elsewhere);
            (s.url(), Some(s))
        }
        Target::Refused => (format!("http://127.0.0.1:{}/v3/stable/api/storage", free_port()), None),
        Target::BacklogFull => match FullBacklog::new() {
            Some(b) => {
                let url = format!("http://{}/v3/stable/api/storage", b.addr);
                backlog = Some(b);
                (url, None)
            }
            None => {
                println!("ROW {:<44} SKIPPED: this network stack never leaves a connect unanswered", row.name);
                return RowRun { problems, outputs: Vec::new(), logs: Vec::new(), email: String::new() };
            }
        },
    };
    let mut config = fast_config(&endpoint, &creds.pass);
    config.test_key = creds.test_key.as_deref().map(Secret::new);
    (row.tune)(&mut config);
    // Every row logs at trace level: the redaction test scans what it logged.
    let capture = LogCapture::default();
    config.log = Some(capture.sink());
    config.log_level = LogLevel::Trace;
    let email = format!("row.{}@example.com", row.name.replace('_', "-"));
    let mut outputs = vec![format!("{config:?}")];
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("Client::new failed: {e}"));
            return RowRun { problems, outputs, logs: capture.lines(), email };
        }
    };
    outputs.push(format!("{client:?}"));
    let img = image(row.upload, creds.seed);
    let cust = customer(&email, &img);
    outputs.push(format!("{cust:?}"));

    let start = Instant::now();
    let result = client.upsert(&cust);
    let elapsed = start.elapsed();

    let seen = match (row.seen, &server) {
        (Seen::Requests, Some(s)) => Some(s.requests()),
        (Seen::Connections, Some(s)) => Some(s.connections()),
        _ => None,
    };
    problems.extend(check_outcome(
        &format!("{}{}", creds.label, row.name),
        &result,
        elapsed,
        &row.expect,
        seen.map(|s| (s, row.attempts)),
        Some(row.attempts),
        row.min,
        row.deadline + MARGIN,
    ));
    match &result {
        Ok(reply) => {
            outputs.push(format!("{reply:?}"));
            outputs.push(reply.raw.body.clone());
            if reply.target.get("email").and_then(|e| e.as_str()) != Some(email.as_str()) {
                problems.push(format!("the reply does not echo {email}: {reply:?}"));
            }
        }
        Err(e) => {
            outputs.push(format!("{e}"));
            outputs.push(format!("{e:?}"));
            outputs.push(format!("{e:?}"));
        }
    }
    if let Some(o) = &other {
        if o.connections() != 0 {
            problems
                .push(format!("the redirect target received {} connection(s): the POST was followed", o.connections()));
        }
    }
    drop(client);
    drop(server);
    drop(backlog);
    RowRun { problems, outputs, logs: capture.lines(), email }
}

/// Runs the named row of [`rows`] with plain credentials and asserts it.
pub fn run_named(name: &str) {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let creds = Creds::plain();
    let all = rows(&creds);
    let row = all.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no row {name}"));
    let run = run_row(row, &creds);
    assert_rows(vec![(name.to_owned(), run.problems)]);
}

macro_rules! row_tests {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { run_named(stringify!($name)); } )*
        /// Every row of `rows()` has a test above, and every test a row.
        #[test]
        fn every_row_has_a_test() {
            let mut tested = vec![$(stringify!($name)),*];
            let mut listed: Vec<&str> = rows(&Creds::plain()).iter().map(|r| r.name).collect();
            tested.sort();
            listed.sort();
            assert_eq!(tested, listed);
        }
    };
}

row_tests!(
    success_baseline,
    stall_before_headers,
    stall_mid_body,
    reset_mid_body,
    reset_mid_headers,
    reset_before_response,
    truncated_body,
    oversize_body,
    html_200,
    empty_200,
    empty_503,
    invalid_utf8_json,
    lone_surrogate,
    nesting_10000_deep,
    json_array_200,
    result_error_200,
    redirect_301,
    redirect_302,
    redirect_307,
    redirect_308,
    bad_request_400,
    unauthorized_401,
    forbidden_403,
    not_found_404,
    payload_too_large_413,
    answer_early_413,
    answer_early_404,
    answer_early_503,
    reset_during_upload,
    internal_500,
    bad_gateway_502_html,
    gateway_timeout_504,
    rate_limited_429,
    retry_503_503_then_success,
    retry_429_retry_after_1s_then_ok,
    retry_429_retry_after_date_then_ok,
    retry_429_retry_after_past_deadline,
    slow_reader_5mb_at_1mb_s,
    stall_reading_upload,
    tls_handshake_stall,
    connect_timeout_backlog_full,
    connection_refused,
    undocumented_401_error_object,
    response_header_too_big,
    echo_request_in_400_text,
    echo_request_in_200_html,
    echo_request_in_503_json,
    password_in_platform_detail,
    password_in_html_500,
);

/// Many retries, a short overall deadline: the retries stop at the deadline
/// (the per-attempt timeouts and the pauses are clipped by it), and the
/// attempts the server saw are the attempts the error reports.
#[test]
fn retries_stop_at_the_overall_deadline() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let mut rows = Vec::new();
    // 503 every time, backoff 200 ms doubling: 10 retries cannot fit in 1 s.
    {
        let srv = Misbehave::start(Behavior::Respond(Canned::new(503, Some("text/html"), "<html>busy</html>")));
        let mut c = fast_config(&srv.url(), PASS);
        c.retries = 10;
        c.retry_backoff = ms(200);
        c.timeout = ms(1000);
        let client = Client::new(c).unwrap();
        let img = image(3000, 41);
        let start = Instant::now();
        let res = client.upsert(&customer("deadline1@example.com", &img));
        let elapsed = start.elapsed();
        let attempts = res.as_ref().err().map(|e| e.attempts()).unwrap_or(0);
        let mut p = check_outcome(
            "retries_503_until_deadline",
            &res,
            elapsed,
            &err(ErrorKind::ServerError),
            Some((srv.requests(), attempts)),
            None,
            Duration::ZERO,
            ms(1000) + MARGIN,
        );
        if !(2..=5).contains(&attempts) {
            p.push(format!("{attempts} attempts in a 1 s deadline with 100-200 ms, 200-400 ms... pauses"));
        }
        rows.push(("retries_503_until_deadline".to_owned(), p));
    }
    // Connect timeouts of 300 ms, 10 retries, 1 s overall: 3 or 4 attempts at most.
    if let Some(b) = FullBacklog::new() {
        let mut c = fast_config(&format!("http://{}/v3/stable/api/storage", b.addr), PASS);
        c.connect_timeout = ms(300);
        c.retries = 10;
        c.timeout = ms(1000);
        let client = Client::new(c).unwrap();
        let img = image(3000, 42);
        let start = Instant::now();
        let res = client.upsert(&customer("deadline2@example.com", &img));
        let elapsed = start.elapsed();
        let attempts = res.as_ref().err().map(|e| e.attempts()).unwrap_or(0);
        let mut p = check_outcome(
            "connect_timeouts_until_deadline",
            &res,
            elapsed,
            &err(ErrorKind::Timeout),
            None,
            None,
            ms(900),
            ms(1000) + MARGIN,
        );
        if !(2..=4).contains(&attempts) {
            p.push(format!("{attempts} attempts of 300 ms in a 1 s deadline"));
        }
        rows.push(("connect_timeouts_until_deadline".to_owned(), p));
    }
    assert_rows(rows);
}
