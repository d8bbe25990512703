//! `dcams batch` end to end: the binary against an in-process sandbox, on the
//! samples' 1,000 customers and on files made from them.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use dcams_sandbox::SandboxConfig;

/// Every attribute value of the sample customers: none may be in a journal.
fn pii(rows: &[Vec<String>], header: &[String]) -> Vec<String> {
    let keep = ["email", "fn", "ln", "addr", "city", "dob", "phone"];
    let mut values = Vec::new();
    for row in rows {
        for (h, v) in header.iter().zip(row) {
            // Short values (a two-letter state, a common first name of three letters) could match by chance.
            if keep.contains(&h.as_str()) && v.len() >= 6 {
                values.push(v.clone());
            }
        }
    }
    values
}

#[test]
fn all_1000_customers_then_a_resume_that_sends_nothing() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("all");
    let journal_path = dir.join("journal.jsonl");
    let csv = customers_csv();
    let args = ["batch", csv.to_str().unwrap(), "--journal", journal_path.to_str().unwrap(), "--progress", "none"];
    let out = run(&sb, &args);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stats = sb.stats();
    assert_eq!((stats.created, stats.updated, stats.requests), (1000, 0, 1000));
    assert!(text(&out.stdout).contains("created  1000"), "{}", text(&out.stdout));

    let lines = journal(&journal_path);
    assert_eq!(lines.len(), 1000);
    let rows: HashSet<u64> = lines.iter().map(|l| l["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, (1..=1000).collect());
    assert!(lines.iter().all(|l| l["code"] == 0 && l["name"] == "DCAMS_OK" && l["type"] == "createCustomer"));
    // No customer data in the journal: every e-mail masked, no attribute in clear.
    let (header, sample) = sample_rows();
    let journal_text = std::fs::read_to_string(&journal_path).unwrap();
    let values = pii(&sample, &header);
    let leaked: Vec<&String> = values.iter().filter(|v| journal_text.contains(v.as_str())).collect();
    assert!(leaked.is_empty(), "customer data in the journal: {:?}", &leaked[..leaked.len().min(5)]);
    assert_eq!(lines[0]["email"].as_str().unwrap().matches("***@").count(), 1, "{}", lines[0]);
    // The control: the scan finds a value that is there.
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert!(values.len() > 5000 && values.iter().all(|v| csv_text.contains(v.as_str())));

    let out = run(&sb, &[&args[..], &["--resume"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(sb.stats().requests, 1000, "a resume of a finished batch sends no request");
    assert!(text(&out.stdout).contains("skipped  1000"), "{}", text(&out.stdout));
    assert_eq!(journal(&journal_path).len(), 1000, "nothing appended for skipped records");
}

#[test]
fn killed_with_sigkill_then_resumed_every_customer_is_created_once() {
    let _serial = serial();
    let sb = start(SandboxConfig { latency: Duration::from_millis(20), ..SandboxConfig::default() });
    let dir = temp_dir("kill");
    let journal_path = dir.join("journal.jsonl");
    let csv = customers_csv();
    let args = ["batch", csv.to_str().unwrap(), "--journal", journal_path.to_str().unwrap(), "--progress", "none"];
    let mut child = dcams(&sb, &args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    while journal(&journal_path).len() < 300 {
        assert!(started.elapsed() < Duration::from_secs(120), "the batch did not get to 300 records");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    assert_eq!(child.wait().unwrap().code(), None, "killed by a signal");
    let before = journal(&journal_path);
    assert!(before.len() >= 300 && before.len() < 1000, "{}", before.len());
    let (_, sample) = sample_rows();
    let email_of = |row: u64| sample[row as usize - 1][1].clone();
    let upserts = |sb: &dcams_sandbox::Sandbox| -> HashMap<String, u64> {
        sb.customers(false).into_iter().map(|c| (c.email, c.upserts)).collect()
    };
    let at_kill = upserts(&sb);
    let journaled: HashSet<u64> = before.iter().map(|l| l["row"].as_u64().unwrap()).collect();

    let out = run(&sb, &[&args[..], &["--resume"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let after = upserts(&sb);
    let stats = sb.stats();
    // Every customer exists, each was created exactly once.
    assert_eq!(after.len(), 1000);
    assert_eq!(stats.created, 1000);
    // Only the records in flight at the kill were sent twice (an update).
    assert!(stats.updated <= 4, "{stats:?}");
    assert_eq!(after.values().filter(|n| **n > 1).count() as u64, stats.updated);
    // Nothing the journal had was uploaded again.
    for row in &journaled {
        let email = email_of(*row);
        assert_eq!(after[&email], at_kill[&email], "row {row} ({email}) was uploaded again");
    }
    // The journal is complete: every row, once, done.
    let lines = journal(&journal_path);
    let rows: Vec<u64> = lines.iter().map(|l| l["row"].as_u64().unwrap()).collect();
    assert_eq!(rows.iter().copied().collect::<HashSet<_>>(), (1..=1000).collect());
    assert_eq!(rows.len(), 1000, "no row journaled twice");
    assert!(lines.iter().all(|l| l["code"] == 0));
}

#[test]
fn five_bad_rows_among_100_are_reported_and_the_rest_stored() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("bad");
    let (header, mut rows) = sample_rows();
    rows.truncate(100);
    rows[9][8] = "19900231".into(); // row 10: no such date
    rows[19][1] = "not-an-address".into(); // row 20: bad e-mail
    rows[29][10] = "id/missing.jpg".into(); // row 30: unreadable image
    rows[39][10] = "id/../PROVENANCE.md".into(); // row 40: not an image
    rows[49].pop(); // row 50: a field short
    rows[59][4] = "1 Main St, Apt 2".into(); // row 60: a quoted comma, fine
    let mut body = Vec::new();
    {
        let mut w = csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::CRLF).from_writer(&mut body);
        w.write_record(&header).unwrap();
        for row in &rows {
            w.write_record(absolute(&header, row)).unwrap();
        }
    }
    let csv_path = dir.join("customers.csv");
    std::fs::write(&csv_path, [&b"\xEF\xBB\xBF"[..], &body].concat()).unwrap();
    let failures = dir.join("failures.csv");
    let out = run(
        &sb,
        &["batch", csv_path.to_str().unwrap(), "--failures", failures.to_str().unwrap(), "--progress", "none"],
    );
    assert_eq!(out.status.code(), Some(2), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(sb.stats().created, 95);
    assert_eq!(sb.customer(&rows[59][1], false).unwrap().fields["addr"], "1 Main St, Apt 2");

    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(&failures).unwrap();
    let mut got: Vec<(u64, String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[2].to_owned(), r[3].to_owned(), r[4].to_owned())
        })
        .collect();
    got.sort();
    let summary: Vec<(u64, &str, &str)> = got.iter().map(|(r, c, f, _)| (*r, c.as_str(), f.as_str())).collect();
    assert_eq!(
        summary,
        [
            (10, "DCAMS_ERR_VALIDATION", "dob"),
            (20, "DCAMS_ERR_VALIDATION", "email"),
            (30, "DCAMS_ERR_FILE", "documents.front"),
            (40, "DCAMS_ERR_VALIDATION", "documents.front"),
            (50, "DCAMS_ERR_VALIDATION", ""),
        ]
    );
    assert!(got[0].3.contains("no day 31"), "{}", got[0].3);
    assert!(got[2].3.contains("missing.jpg"), "{}", got[2].3);
    assert!(got[4].3.contains("11 fields"), "{}", got[4].3);
    // The failed rows are there as they were, after row, line, code, field, error.
    let header_row: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header_row[..5], ["row", "line", "code", "field", "error"]);
    assert_eq!(&header_row[5..], &header[..]);
    // stderr names each bad row, without the customer's data.
    let err = text(&out.stderr);
    for row in [10, 20, 30, 40, 50] {
        assert!(err.contains(&format!("row {row} (line {})", row + 1)), "{err}");
    }
    assert!(!err.contains(&rows[9][1]) && !err.contains("19900231"), "{err}");
    assert!(text(&out.stdout).contains("failed   5"), "{}", text(&out.stdout));
}

#[test]
fn a_dry_run_checks_every_row_and_sends_nothing() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("dry");
    let (header, mut rows) = sample_rows();
    rows.truncate(50);
    rows[4][8] = "1990-01-01".into();
    rows[7][11] = "id/nowhere.png".into();
    let csv_path = dir.join("c.csv");
    write_csv(&csv_path, &header, &rows);
    let failures = dir.join("f.csv");
    let out = run(
        &sb,
        &[
            "batch",
            csv_path.to_str().unwrap(),
            "--dry-run",
            "--failures",
            failures.to_str().unwrap(),
            "--progress",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(sb.stats().requests, 0);
    let failed: Vec<u64> =
        csv::Reader::from_path(&failures).unwrap().records().map(|r| r.unwrap()[0].parse().unwrap()).collect();
    assert_eq!(failed, [5, 8]);
    assert!(text(&out.stdout).contains("valid    48"), "{}", text(&out.stdout));
}

/// Requests per second seen by the sandbox after its first second: the
/// average over the whole seconds (the last one is cut short).
fn rate_after_first_second(per_second: &[u64]) -> f64 {
    let whole = &per_second[1..per_second.len() - 1];
    whole.iter().sum::<u64>() as f64 / whole.len() as f64
}

#[test]
fn under_a_rate_limit_of_50_no_record_fails_and_the_rate_stays_near_50() {
    let _serial = serial();
    let sb = start(SandboxConfig { rate_limit: Some(50), ..SandboxConfig::default() });
    let csv = customers_csv();
    let out = run(&sb, &["batch", csv.to_str().unwrap(), "--progress", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stats = sb.stats();
    assert_eq!(stats.created, 1000);
    let rate = rate_after_first_second(&stats.per_second);
    assert!((45.0..=55.0).contains(&rate), "{rate:.1}/s: {:?}", stats.per_second);
    assert!(stats.per_second[1..].iter().all(|n| *n <= 55), "{:?}", stats.per_second);
    assert!(stats.rate_limited <= 8, "the batch slowed down instead of hammering: {stats:?}");
    assert!(text(&out.stdout).contains("429s"), "{}", text(&out.stdout));
}

#[test]
fn with_rate_30_the_service_never_sees_more_than_30_a_second() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let csv_path = first_customers(&temp_dir("rate"), 300);
    // The service's seconds start warm: a cold sandbox counts its first request late.
    assert_eq!(run(&sb, &["status", "warm@example.com"]).status.code(), Some(2));
    sb.reset();
    let out =
        run(&sb, &["batch", csv_path.to_str().unwrap(), "--rate", "30", "--concurrency", "8", "--progress", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stats = sb.stats();
    assert_eq!(stats.created, 300);
    // Every second as the service counts them, and on average. (A one-second
    // window sliding over the arrival times can catch 31 when the machine is
    // loaded: arrivals bunch by more than the 2% headroom, 20 ms a second.)
    assert!(stats.per_second.iter().all(|n| *n <= 30), "{stats:?}");
    assert!(rate_after_first_second(&stats.per_second) <= 30.0, "{stats:?}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_taking_records_and_leaves_the_journal_consistent() {
    let _serial = serial();
    let sb = start(SandboxConfig { latency: Duration::from_millis(50), ..SandboxConfig::default() });
    let dir = temp_dir("int");
    let journal_path = dir.join("journal.jsonl");
    let csv = customers_csv();
    let args = ["batch", csv.to_str().unwrap(), "--journal", journal_path.to_str().unwrap(), "--progress", "none"];
    let child = dcams(&sb, &args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while journal(&journal_path).len() < 20 {
        assert!(started.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: signalling a child process this test started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("interrupted"), "{}", text(&out.stdout));
    // How many were not sent: every record not journaled.
    let not_sent = format!("{} not sent; rerun with --resume", 1000 - journal(&journal_path).len());
    assert!(text(&out.stdout).contains(&not_sent), "{}", text(&out.stdout));
    // Every record sent was finished and journaled: the journal and the sandbox agree.
    let (_, sample) = sample_rows();
    let journaled: HashSet<String> =
        journal(&journal_path).iter().map(|l| sample[l["row"].as_u64().unwrap() as usize - 1][1].clone()).collect();
    let stored: HashSet<String> = sb.customers(false).into_iter().map(|c| c.email).collect();
    assert_eq!(journaled, stored);
    assert!(stored.len() < 1000);
    // A resume does the rest, and only the rest.
    let out = run(&sb, &[&args[..], &["--resume"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!((sb.stats().created, sb.stats().updated), (1000, 0));
}

#[test]
fn ndjson_with_paths_and_base64_images() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("ndjson");
    let png = std::fs::read(data("passport-td2.png")).unwrap();
    let b64 = {
        use std::fmt::Write;
        // Standard base64, written here to stay independent of the code under test.
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in png.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    s.write_char(A[(n >> (18 - 6 * i) & 63) as usize] as char).unwrap();
                } else {
                    s.push('=');
                }
            }
        }
        s
    };
    let front = data("passport-td3.jpg");
    let lines = [
        serde_json::json!({"email": "n1@example.com", "fn": "Ann", "dob": "19800101", "front": front}),
        serde_json::json!({"email": "n2@example.com", "documents": {"front": b64}}),
        serde_json::json!({"email": "n3@example.com", "dob": "1980", "front": front}),
    ];
    let path = dir.join("c.ndjson");
    std::fs::write(&path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let failures = dir.join("f.ndjson");
    let out =
        run(&sb, &["batch", path.to_str().unwrap(), "--failures", failures.to_str().unwrap(), "--progress", "lines"]);
    assert_eq!(out.status.code(), Some(2), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(sb.customer("n2@example.com", false).unwrap().front, png);
    assert_eq!(sb.customer("n1@example.com", false).unwrap().front, std::fs::read(&front).unwrap());
    let failed: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&failures).unwrap().trim()).unwrap();
    assert_eq!((failed["row"].as_u64(), failed["field"].as_str()), (Some(3), Some("dob")));
    assert_eq!(failed["record"]["email"], "n3@example.com");
}

#[test]
fn usage_errors_exit_1() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("usage");
    let bad_header = dir.join("h.csv");
    std::fs::write(&bad_header, "email,DOB,front\n").unwrap();
    for args in [
        vec!["batch", bad_header.to_str().unwrap()],
        vec!["batch", "/nonexistent.csv"],
        vec!["batch", bad_header.to_str().unwrap(), "--resume"],
        vec!["batch", bad_header.to_str().unwrap(), "--concurrency", "0"],
        vec!["frobnicate"],
    ] {
        let out = run(&sb, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out.stderr));
    }
    assert!(text(&run(&sb, &["batch", bad_header.to_str().unwrap()]).stderr).contains("\"DOB\""));
    assert_eq!(run(&sb, &["--help"]).status.code(), Some(0));
    assert_eq!(sb.stats().requests, 0);
}

/// The first `n` sample customers as a CSV file in `dir`.
fn first_customers(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let (header, mut rows) = sample_rows();
    rows.truncate(n);
    let path = dir.join("c.csv");
    write_csv(&path, &header, &rows);
    path
}

#[test]
fn wrong_credentials_halt_the_batch_after_the_records_in_flight() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("halt");
    let journal_path = dir.join("journal.jsonl");
    let csv = customers_csv();
    let args = [
        "batch",
        csv.to_str().unwrap(),
        "--journal",
        journal_path.to_str().unwrap(),
        "--concurrency",
        "4",
        "--progress",
        "none",
    ];
    let out = dcams(&sb, &args).env("DCAMS_PASS", "wrong-secret-4711").output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    let requests = sb.stats().requests;
    assert!((1..=8).contains(&requests), "at most 2 × concurrency requests, not {requests}");
    assert!(
        stdout.contains(&format!(
            "halted: the service refused the credentials (HTTP 401, DCAMS_ERR_UNAUTHORIZED) after {requests} records; {} not sent; check them with `dcams check`",
            1000 - requests
        )),
        "{stdout}"
    );
    // The journal has the records sent (as failed: a resume sends them again), nothing else.
    let lines = journal(&journal_path);
    assert_eq!(lines.len() as u64, requests);
    assert!(lines.iter().all(|l| l["name"] == "DCAMS_ERR_UNAUTHORIZED" && l["code"] != 0), "{lines:?}");
    assert!(!stdout.contains("wrong-secret-4711") && !stderr.contains("wrong-secret-4711"));
    // With the right password, the resume sends everything.
    let out = run(&sb, &[&args[..], &["--resume"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(sb.stats().created, 1000);
}

#[test]
fn a_journal_with_records_needs_resume_and_a_missing_one_is_a_fresh_start() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("journal-safety");
    let csv = first_customers(&dir, 13);
    let journal_path = dir.join("journal.jsonl");
    let args = ["batch", csv.to_str().unwrap(), "--journal", journal_path.to_str().unwrap(), "--progress", "none"];

    // --resume and no journal yet: a note, then every record.
    let out = run(&sb, &[&args[..], &["--resume"]].concat());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("no journal at {} yet: starting from the first record", journal_path.display())),
        "{stderr}"
    );
    assert_eq!(sb.stats().created, 13);
    assert_eq!(journal(&journal_path).len(), 13);
    // 13 records take well under a second (unless the machine is swamped):
    // a run under a second gives no records/s figure.
    let secs: f64 = stdout
        .split(" records in ")
        .nth(1)
        .and_then(|rest| rest.split(" s").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {stdout}"));
    if secs < 0.95 {
        assert!(!stdout.contains("records/s"), "{stdout}");
    }

    // The journal holds records: without --resume, a usage error naming it; nothing sent.
    let out = run(&sb, &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&journal_path.display().to_string()) && stderr.contains("--resume"), "{stderr}");
    assert!(stderr.contains("remove it"), "{stderr}");
    assert_eq!(sb.stats().requests, 13);
    assert_eq!(journal(&journal_path).len(), 13, "the journal is left as it was");

    // An empty journal holds nothing to lose.
    std::fs::write(&journal_path, "").unwrap();
    let out = run(&sb, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_dry_run_names_the_failure_the_real_run_gets() {
    let _serial = serial();
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("same-order");
    let (header, mut rows) = sample_rows();
    rows.truncate(3);
    rows[1][8] = "19900231".into(); // row 2: no such date ...
    rows[1][10] = "id/missing.jpg".into(); // ... and no such image
    rows[2][10] = "id/missing.jpg".into(); // row 3: only the image
    let csv_path = dir.join("c.csv");
    write_csv(&csv_path, &header, &rows);
    let failures_of = |path: &std::path::Path| -> Vec<(String, String, String)> {
        let mut rows: Vec<(String, String, String)> = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .unwrap()
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_owned(), r[2].to_owned(), r[3].to_owned())
            })
            .collect();
        // Written as records finish, which is not input order.
        rows.sort();
        rows
    };
    let dry = dir.join("dry.csv");
    let out = run(
        &sb,
        &["batch", csv_path.to_str().unwrap(), "--dry-run", "--failures", dry.to_str().unwrap(), "--progress", "none"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let real = dir.join("real.csv");
    let journal_path = dir.join("j.jsonl");
    let out = run(
        &sb,
        &[
            "batch",
            csv_path.to_str().unwrap(),
            "--journal",
            journal_path.to_str().unwrap(),
            "--failures",
            real.to_str().unwrap(),
            "--progress",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let expected = [
        ("2".to_owned(), "DCAMS_ERR_VALIDATION".to_owned(), "dob".to_owned()),
        ("3".to_owned(), "DCAMS_ERR_FILE".to_owned(), "documents.front".to_owned()),
    ];
    assert_eq!(failures_of(&dry), expected);
    assert_eq!(failures_of(&real), expected);
    assert_eq!(sb.stats().created, 1);
}

/// On a terminal: the bar's rate has at most one decimal, and the bar is off
/// the screen before the summary, which starts on a line of its own.
#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_the_summary_starts_on_its_own_line() {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    let _serial = serial();
    let sb = start(SandboxConfig { latency: Duration::from_millis(5), ..SandboxConfig::default() });
    let dir = temp_dir("tty");
    let csv = first_customers(&dir, 200);
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize { ws_row: 40, ws_col: 150, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: openpty writes the two descriptors it opens; the others are optional.
    let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
    assert_eq!(rc, 0);
    // SAFETY: the descriptors were just opened and are owned here only.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = dcams(&sb, &["batch", csv.to_str().unwrap()])
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut master = std::fs::File::from(master);
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    // Until the child is gone and the slave closed (EIO on Linux).
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    assert_eq!(child.wait().unwrap().code(), Some(0), "{}", text(&bytes));
    let screen = text(&bytes);
    // Without escape sequences: what is between two line starts.
    let mut plain = String::new();
    let mut chars = screen.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next_if_eq(&'[').is_some() {
                while chars.next_if(|c| !c.is_ascii_alphabetic()).is_some() {}
            }
            chars.next();
            plain.push('\r');
        } else {
            plain.push(c);
        }
    }
    let at = plain.find("dcams batch: 200 records").unwrap_or_else(|| panic!("{screen:?}"));
    assert!(plain[..at].trim_end_matches(' ').is_empty() || plain[..at].ends_with(['\r', '\n']), "{screen:?}");
    for word in plain.split_whitespace().filter(|w| w.ends_with("/s")) {
        let decimals = word.trim_end_matches("/s").split('.').nth(1).map_or(0, str::len);
        assert!(decimals <= 1, "{word} in {screen:?}");
    }
}
