//! The operator's single-record commands against an in-process sandbox.

mod common;

use common::*;
use dcams_sandbox::SandboxConfig;

#[test]
fn upsert_status_set_status_and_images() {
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("ops");
    let front = data("passport-td3.jpg");
    let back = data("passport-td2.png");
    let out = run(
        &sb,
        &[
            "upsert",
            "--email",
            "ada@example.com",
            "--fn",
            "Ada",
            "--dob",
            "19800214",
            "--front",
            front.to_str().unwrap(),
            "--back",
            back.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((reply["type"].as_str(), reply["target"]["fn"].as_str()), (Some("createCustomer"), Some("Ada")));

    let out = run(&sb, &["set-status", "ada@example.com", "PASS"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&sb, &["status", "ada@example.com"]);
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply["status"], "PASS");

    let (f, b) = (dir.join("f.jpg"), dir.join("b.png"));
    let out = run(&sb, &["images", "ada@example.com", "--front", f.to_str().unwrap(), "--back", b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&f).unwrap(), std::fs::read(&front).unwrap());
    assert_eq!(std::fs::read(&b).unwrap(), std::fs::read(&back).unwrap());
    assert!(!text(&out.stdout).contains("/9j/"), "no image in the printed reply");

    // A failed call: exit 2, the code name on stderr.
    let out = run(&sb, &["status", "nobody@example.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("DCAMS_ERR_NOT_FOUND"), "{}", text(&out.stderr));
    let out = run(&sb, &["upsert", "--email", "x@example.com", "--dob", "1980", "--front", front.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("DCAMS_ERR_VALIDATION (dob)"), "{}", text(&out.stderr));
    assert_eq!(run(&sb, &["set-status", "ada@example.com", "DONE"]).status.code(), Some(1));
}

#[test]
fn check_passes_with_the_right_credentials_and_names_them_otherwise() {
    let sb = start(SandboxConfig::default());
    let out = run(&sb, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("credentials") && !report.contains("failed"), "{report}");

    let out = dcams(&sb, &["check"]).env("DCAMS_PASS", "not-the-password").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (report, err) = (text(&out.stdout), text(&out.stderr));
    assert!(report.contains("hint:") && report.contains("credentials"), "{report}");
    assert!(err.contains("DCAMS_ERR_UNAUTHORIZED"), "{err}");
    assert!(!report.contains("not-the-password") && !err.contains("not-the-password"));
    assert_eq!(sb.customer_count(), 0, "a check stores nothing");
}

#[test]
fn check_output_ends_with_a_line_end() {
    let sb = start(SandboxConfig::default());
    let out = run(&sb, &["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).ends_with("\n") && !text(&out.stdout).ends_with("\n\n"), "{:?}", text(&out.stdout));
    let out = dcams(&sb, &["check"]).env("DCAMS_PASS", "not-the-password").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).ends_with("\n") && !text(&out.stdout).ends_with("\n\n"), "{:?}", text(&out.stdout));
    assert!(text(&out.stderr).ends_with("\n"), "{:?}", text(&out.stderr));
}

#[test]
fn log_prints_the_library_events_on_stderr_without_secrets() {
    let sb = start(SandboxConfig::default());
    let dir = temp_dir("log");
    let front = data("passport-td3.jpg");
    let email = "grace.hopper@example.com";
    let out = run(&sb, &["upsert", "--email", email, "--dob", "19061209", "--front", front.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("dcams: ["), "no events without --log: {}", text(&out.stderr));

    let out = run(&sb, &["--log", "info", "status", email]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("dcams: [info dcams::call] call finished service=getStatus outcome=ok status=200"), "{err}");
    assert!(err.contains("dcams: [info dcams::attempt] attempt started"), "{err}");
    assert!(!text(&out.stdout).contains("dcams: ["), "events go to stderr only");

    // A global option, after the subcommand too; debug has the masked e-mail, never the address.
    for args in [&["status", email, "--log", "trace"][..], &["--log", "debug", "check"][..]] {
        let out = run(&sb, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.contains("dcams: [debug "), "{args:?}: {err}");
        for secret in ["sandbox-pass", email, "19061209"] {
            assert!(!err.contains(secret), "{secret} in {err}");
        }
    }
    assert!(text(&run(&sb, &["status", email, "--log", "trace"]).stderr).contains("g***@example.com"));

    // log_level in --config is honoured the same way.
    let config = dir.join("config.json");
    std::fs::write(&config, r#"{"log_level":"warn"}"#).unwrap();
    let out = run(&sb, &["--config", config.to_str().unwrap(), "status", email]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!text(&out.stderr).contains("[info"), "warn and above only: {}", text(&out.stderr));
    std::fs::write(&config, r#"{"log_level":"info"}"#).unwrap();
    let out = run(&sb, &["--config", config.to_str().unwrap(), "status", email]);
    assert!(text(&out.stderr).contains("dcams: [info dcams::call] call finished"), "{}", text(&out.stderr));
    assert_eq!(run(&sb, &["--log", "loud", "check"]).status.code(), Some(1));
}
