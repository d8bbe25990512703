//! Redaction: the matrix again (every row but the 5-second slow reader, all
//! at once), plus the real sandbox behind nginx and proxies with
//! credentials, with a recognisable password, test key, proxy password and
//! image. Every output the library produced — `Display`, `Debug` and
//! `to_json()` of errors, `Debug` of clients, configs, customers and
//! replies — must hold none of the secrets nor any 32-character run of the
//! image's base64. Every log line of those calls, captured at trace level,
//! must moreover hold neither the customer's e-mail address in clear nor
//! any of its attributes (names, dob, address, phone).

use std::time::Duration;

use dcams_client::{Client, ErrorKind, LogLevel, ProxySetting, ReviewStatus, Secret};
use dcams_sandbox::{SandboxConfig, ScriptedAnswer};

use crate::matrix::{message_echo_rows, rows, run_row, Creds, CPU};
use crate::nginx::Nginx;
use crate::support::*;

fn forbidden(creds: &Creds) -> Forbidden {
    let enc = b64(&image(3000, creds.seed));
    Forbidden::new(&[RED_PASS, RED_TEST_KEY, RED_PROXY_PASS], &[&enc])
}

/// What no log line may hold: the secrets and the image, plus the clear
/// e-mail addresses and every customer attribute.
fn forbidden_in_logs(creds: &Creds, emails: &[&str]) -> Forbidden {
    let enc = b64(&image(3000, creds.seed));
    let mut strings = vec![RED_PASS, RED_TEST_KEY, RED_PROXY_PASS];
    strings.extend(RED_ATTRIBUTES);
    strings.extend(emails);
    Forbidden::new(&strings, &[&enc])
}

fn check(label: &str, outputs: &[String], f: &Forbidden, leaks: &mut Vec<String>) {
    for o in outputs {
        for l in f.leaks(o) {
            leaks.push(format!("{label}: {l} in: {}", o.chars().take(300).collect::<String>()));
        }
    }
}

#[test]
fn no_secret_in_any_output_of_the_matrix() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let creds = Creds::recognisable();
    let f = forbidden(&creds);
    let all = rows(&creds);
    let mut leaks = Vec::new();
    let mut ran = 0;
    let mut log_lines = 0;
    let mut control = None;
    std::thread::scope(|s| {
        let handles: Vec<_> = all
            .iter()
            .filter(|r| r.name != "slow_reader_5mb_at_1mb_s")
            .map(|r| (r.name, s.spawn(|| run_row(r, &creds))))
            .collect();
        for (name, h) in handles {
            let run = h.join().unwrap_or_else(|_| panic!("row {name} panicked"));
            ran += 1;
            check(name, &run.outputs, &f, &mut leaks);
            let in_logs = forbidden_in_logs(&creds, &[&run.email]);
            check(&format!("{name} (log)"), &run.logs, &in_logs, &mut leaks);
            log_lines += run.logs.len();
            if control.is_none() && !run.logs.is_empty() {
                control = Some((run.logs, run.email));
            }
        }
    });
    assert!(ran >= 40, "only {ran} rows ran");
    assert!(log_lines >= 4 * ran, "only {log_lines} log lines from {ran} rows");
    assert!(leaks.is_empty(), "{} leak(s):\n{}", leaks.len(), leaks.join("\n"));
    // The control: the same scan finds each kind of value when one is planted.
    let (logs, email) = control.expect("a row logged");
    let in_logs = forbidden_in_logs(&creds, &[&email]);
    let enc = b64(&image(3000, creds.seed));
    for planted in
        [RED_DOB.to_owned(), RED_PHONE.to_owned(), email.clone(), RED_TEST_KEY.to_owned(), enc[100..140].to_owned()]
    {
        let mut with = logs.clone();
        with.push(format!("info dcams::attempt planted={planted}"));
        let mut found = Vec::new();
        check("control", &with, &in_logs, &mut found);
        assert_eq!(found.len(), 1, "the scan missed {planted:?}: {found:?}");
    }
}

/// A service whose error `message` quotes the password: the error carries
/// the service's message (`service_message`, and in `message`), so this
/// checks whether the library scrubs secrets from it too.
#[test]
fn no_secret_when_the_service_quotes_it_in_its_message() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let creds = Creds::recognisable();
    let f = forbidden(&creds);
    let mut leaks = Vec::new();
    for r in message_echo_rows(&creds) {
        let run = run_row(&r, &creds);
        assert_rows(vec![(r.name.to_owned(), run.problems)]);
        check(r.name, &run.outputs, &f, &mut leaks);
    }
    assert!(leaks.is_empty(), "{} leak(s):\n{}", leaks.len(), leaks.join("\n"));
}

#[test]
fn no_secret_in_outputs_against_nginx_sandbox_and_proxies() {
    let _cpu = CPU.read().unwrap_or_else(|p| p.into_inner());
    let creds = Creds::recognisable();
    let f = forbidden(&creds);
    let sandbox_config = SandboxConfig {
        pass: RED_PASS.to_owned(),
        test_keys: vec![RED_TEST_KEY.to_owned()],
        ..SandboxConfig::default()
    };
    let Some(nx) = Nginx::start_with(sandbox_config) else { return };
    let img = image(3000, creds.seed);
    let mut outputs: Vec<String> = Vec::new();
    let push_err = |outputs: &mut Vec<String>, e: &dcams_client::Error| {
        outputs.extend([e.to_string(), format!("{e:?}"), format!("{e:?}")]);
    };
    let capture = LogCapture::default();
    let config = |prefix: &str, trust: bool| {
        let mut c = fast_config(&nx.url("localhost", prefix), RED_PASS);
        c.test_key = Some(Secret::new(RED_TEST_KEY));
        c.log = Some(capture.sink());
        c.log_level = LogLevel::Trace;
        if trust {
            c.ca_bundle = Some(nx.pki.ca());
        }
        c.response_timeout = Duration::from_millis(3000);
        c.timeout = Duration::from_millis(6000);
        c
    };

    // The real services, successful: replies of every type.
    let client = Client::new(config("", true)).unwrap();
    outputs.push(format!("{client:?}"));
    outputs.push(format!("{:?}", client.config()));
    let cust = customer("red@example.com", &img);
    outputs.push(format!("{cust:?}"));
    let up = client.upsert(&cust).expect("upsert through nginx");
    outputs.push(format!("{up:?}"));
    let st = client.get_status("red@example.com").expect("getStatus");
    outputs.push(format!("{st:?}"));
    let im = client.get_document_images("red@example.com").expect("getDocumentImages");
    assert_eq!(im.front.as_deref(), Some(&img[..]), "images round-trip");
    outputs.push(format!("{im:?}"));
    let us = client.update_status("red@example.com", ReviewStatus::Pass).expect("updateStatus");
    outputs.push(format!("{us:?}"));
    // The JSON entry point, image given as base64 text.
    let req = serde_json::json!({"target": {"email": "red2@example.com", "documents": {"front": b64(&img)}}});
    match client.call_json(&req.to_string()) {
        Ok(r) => outputs.push(format!("{r:?}")),
        Err(e) => panic!("call_json: {e:?}"),
    }
    // Service errors: not found, a scripted HTML 500 page, wrong password.
    let e = client.get_status("nobody@example.com").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    push_err(&mut outputs, &e);
    nx.sandbox.script(ScriptedAnswer {
        status: 500,
        body: format!("<html>trace: pass={RED_PASS} key={RED_TEST_KEY} img={}</html>", &b64(&img)[..200]),
        content_type: "text/html".into(),
        times: 1,
    });
    let e = client.upsert(&cust).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerError);
    push_err(&mut outputs, &e);
    let mut wrong = config("", true);
    wrong.pass = Some(Secret::new(format!("{RED_PASS}-wrong")));
    let e = Client::new(wrong).unwrap().upsert(&cust).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    push_err(&mut outputs, &e);
    drop(client);

    // Gateway pages and TLS failures.
    for (prefix, trust, upload) in [("small/", true, 1_200_000), ("dead/", true, 3000), ("", false, 3000)] {
        let big = image(upload, creds.seed);
        let c = Client::new(config(prefix, trust)).unwrap();
        let e = c.upsert(&customer("red@example.com", &big)).unwrap_err();
        push_err(&mut outputs, &e);
    }

    // Proxies with credentials: explicit (dead, and squid-less) and in Debug.
    let mut c = config("", true);
    c.proxy = ProxySetting::Url(Secret::new(format!("http://squser:{RED_PROXY_PASS}@127.0.0.1:{}", free_port())));
    outputs.push(format!("{c:?}"));
    let client = Client::new(c).unwrap();
    outputs.push(format!("{client:?}"));
    let e = client.upsert(&cust).unwrap_err();
    push_err(&mut outputs, &e);
    // A proxy URL that is not a URL at all, with the password in it.
    let mut c = config("", true);
    c.proxy = ProxySetting::Url(Secret::new(format!("squser:{RED_PROXY_PASS}@ bad proxy")));
    outputs.push(format!("{c:?}"));
    if let Err(e) = Client::new(c) {
        push_err(&mut outputs, &e);
    }

    let mut leaks = Vec::new();
    check("nginx/sandbox/proxy", &outputs, &f, &mut leaks);
    let logs = capture.lines();
    assert!(logs.len() > 30, "only {} log lines", logs.len());
    let in_logs = forbidden_in_logs(&creds, &["red@example.com", "red2@example.com", "nobody@example.com"]);
    check("nginx/sandbox/proxy (log)", &logs, &in_logs, &mut leaks);
    assert!(leaks.is_empty(), "{} leak(s):\n{}", leaks.len(), leaks.join("\n"));
}
