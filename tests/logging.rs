//! The log callback through the C ABI: set on a `dcams_config`, called on
//! the calling thread with the client's redacted events; the retry story
//! with the metadata from `dcams_call_get_meta`; the level argument; the
//! `User-Agent` token; and none of ureq's own `log` records in libdcams.

use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::Mutex;

use dcams::call::{dcams_call, dcams_call_free, dcams_call_get_meta, dcams_call_meta, dcams_call_new};
use dcams::client::{
    dcams_client, dcams_client_call_json, dcams_client_free, dcams_client_get_status, dcams_client_new_from_config,
};
use dcams::code::dcams_code;
use dcams::config::{
    dcams_config, dcams_config_free, dcams_config_new, dcams_config_set_bool, dcams_config_set_int,
    dcams_config_set_log_callback, dcams_config_set_string,
};
use dcams::log::dcams_log_level;
use dcams::string::dcams_string_free;
use dcams_sandbox::{Sandbox, SandboxConfig, ScriptedAnswer};

/// What the callback received: (level, target, message, message_len == strlen).
type Lines = Mutex<Vec<(i32, String, String, bool)>>;

unsafe extern "C" fn record(
    userdata: *mut c_void,
    level: i32,
    target: *const c_char,
    message: *const c_char,
    len: usize,
) {
    let lines = &*(userdata as *const Lines);
    let target = CStr::from_ptr(target).to_str().unwrap().to_owned();
    let text = CStr::from_ptr(message).to_str().unwrap().to_owned();
    let len_ok = text.len() == len;
    lines.lock().unwrap().push((level, target, text, len_ok));
}

fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

struct Config(*mut dcams_config);

impl Config {
    fn for_sandbox(sb: &Sandbox) -> Config {
        let mut c = std::ptr::null_mut();
        unsafe {
            assert_eq!(dcams_config_new(&mut c, std::ptr::null_mut()), dcams_code::DCAMS_OK);
            assert_eq!(
                dcams_config_set_bool(c, cs("environment").as_ptr(), 0, std::ptr::null_mut()),
                dcams_code::DCAMS_OK
            );
            for (k, v) in [("endpoint", sb.url()), ("user", "sandbox-user".into()), ("pass", "sandbox-pass".into())] {
                assert_eq!(
                    dcams_config_set_string(c, cs(k).as_ptr(), cs(&v).as_ptr(), std::ptr::null_mut()),
                    dcams_code::DCAMS_OK
                );
            }
        }
        Config(c)
    }
    fn set_int(&self, k: &str, v: i64) {
        assert_eq!(
            unsafe { dcams_config_set_int(self.0, cs(k).as_ptr(), v, std::ptr::null_mut()) },
            dcams_code::DCAMS_OK
        );
    }
    fn client(&self) -> Result<*mut dcams_client, (dcams_code, String)> {
        let (mut client, mut error) = (std::ptr::null_mut(), std::ptr::null_mut());
        let code = unsafe { dcams_client_new_from_config(self.0, &mut client, &mut error) };
        if code == dcams_code::DCAMS_OK {
            Ok(client)
        } else {
            let text = unsafe { CStr::from_ptr(error) }.to_str().unwrap().to_owned();
            unsafe { dcams_string_free(error) };
            Err((code, text))
        }
    }
}

impl Drop for Config {
    fn drop(&mut self) {
        unsafe { dcams_config_free(self.0) }
    }
}

fn get_status(client: *mut dcams_client, email: &str, call: *mut dcams_call) -> dcams_code {
    let (mut result, mut error) = (std::ptr::null_mut(), std::ptr::null_mut());
    let code = unsafe { dcams_client_get_status(client, cs(email).as_ptr(), call, &mut result, &mut error) };
    unsafe {
        dcams_string_free(result);
        dcams_string_free(error);
    }
    code
}

#[test]
fn three_503s_then_success_three_retry_lines_and_4_attempts_from_c() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let config = Config::for_sandbox(&sb);
    config.set_int("retries", 3);
    config.set_int("retry_backoff_ms", 20);
    let lines: Lines = Mutex::new(Vec::new());
    let code = unsafe {
        dcams_config_set_log_callback(
            config.0,
            Some(record),
            &lines as *const Lines as *mut c_void,
            dcams_log_level::DCAMS_LOG_INFO as i32,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(code, dcams_code::DCAMS_OK);
    let client = config.client().unwrap();
    // A record to find, then three 503s before the service answers with it.
    let mut call = std::ptr::null_mut();
    assert_eq!(unsafe { dcams_call_new(&mut call, std::ptr::null_mut()) }, dcams_code::DCAMS_OK);
    let upsert = cs(r#"{"target":{"email":"retry@example.com","documents":{"front":"iVBORw0KGgoAAAAA"}}}"#);
    let (mut result, mut error) = (std::ptr::null_mut(), std::ptr::null_mut());
    let code =
        unsafe { dcams_client_call_json(client, upsert.as_ptr(), std::ptr::null_mut(), &mut result, &mut error) };
    assert_eq!(code, dcams_code::DCAMS_OK);
    unsafe { dcams_string_free(result) };
    sb.script(ScriptedAnswer { times: 3, ..ScriptedAnswer::json(503, serde_json::json!({"error": "busy"})) });
    lines.lock().unwrap().clear();
    assert_eq!(get_status(client, "retry@example.com", call), dcams_code::DCAMS_OK);
    let mut meta =
        dcams_call_meta { struct_size: std::mem::size_of::<dcams_call_meta>() as u32, ..unsafe { std::mem::zeroed() } };
    assert_eq!(unsafe { dcams_call_get_meta(call, &mut meta, std::ptr::null_mut()) }, dcams_code::DCAMS_OK);
    assert_eq!((meta.attempts, meta.http_status, meta.code), (4, 200, dcams_code::DCAMS_OK));

    let got = lines.lock().unwrap().clone();
    assert!(got.iter().all(|l| l.3), "message_len is the message's length");
    assert!(got.iter().all(|l| l.0 <= dcams_log_level::DCAMS_LOG_INFO as i32), "{got:?}");
    let retries: Vec<&String> = got.iter().filter(|l| l.1 == "dcams::retry").map(|l| &l.2).collect();
    assert_eq!(retries.len(), 3, "{got:#?}");
    for (i, r) in retries.iter().enumerate() {
        assert!(r.starts_with("retrying reason=\"HTTP 503\" pause_ms="), "{r}");
        assert!(r.ends_with(&format!(" attempt={} of=4", i + 2)), "{r}");
    }
    assert!(got.last().unwrap().2.contains("outcome=ok status=200 attempts=4"), "{got:#?}");
    unsafe {
        dcams_call_free(call);
        dcams_client_free(client);
    }
}

#[test]
fn the_level_is_checked_and_a_null_callback_removes_it() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let config = Config::for_sandbox(&sb);
    let lines: Lines = Mutex::new(Vec::new());
    let userdata = &lines as *const Lines as *mut c_void;
    for bad in [0, 6, -1] {
        let mut error = std::ptr::null_mut();
        let code = unsafe { dcams_config_set_log_callback(config.0, Some(record), userdata, bad, &mut error) };
        assert_eq!(code, dcams_code::DCAMS_ERR_INVALID_ARGUMENT);
        unsafe { dcams_string_free(error) };
    }
    let trace = dcams_log_level::DCAMS_LOG_TRACE as i32;
    assert_eq!(
        unsafe { dcams_config_set_log_callback(config.0, Some(record), userdata, trace, std::ptr::null_mut()) },
        dcams_code::DCAMS_OK
    );
    let with = config.client().unwrap();
    assert_eq!(
        unsafe { dcams_config_set_log_callback(config.0, None, std::ptr::null_mut(), trace, std::ptr::null_mut()) },
        dcams_code::DCAMS_OK
    );
    let without = config.client().unwrap();
    get_status(without, "nobody@example.com", std::ptr::null_mut());
    assert!(lines.lock().unwrap().is_empty());
    get_status(with, "nobody@example.com", std::ptr::null_mut());
    let got = lines.lock().unwrap().clone();
    assert!(got.iter().any(|l| l.0 == dcams_log_level::DCAMS_LOG_DEBUG as i32 && l.1 == "dcams::call"), "{got:#?}");
    unsafe {
        dcams_client_free(with);
        dcams_client_free(without);
    }
}

#[test]
fn the_user_agent_carries_the_token_and_a_bad_token_is_config() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let config = Config::for_sandbox(&sb);
    for (k, v) in [("app_name", "acme-kyc"), ("app_version", "4.2.1")] {
        assert_eq!(
            unsafe { dcams_config_set_string(config.0, cs(k).as_ptr(), cs(v).as_ptr(), std::ptr::null_mut()) },
            dcams_code::DCAMS_OK
        );
    }
    let client = config.client().unwrap();
    get_status(client, "nobody@example.com", std::ptr::null_mut());
    assert_eq!(
        sb.last_request().unwrap().user_agent.unwrap(),
        format!("dcams/{} acme-kyc/4.2.1", env!("CARGO_PKG_VERSION"))
    );
    unsafe { dcams_client_free(client) };
    assert_eq!(
        unsafe {
            dcams_config_set_string(config.0, cs("app_name").as_ptr(), cs("acme kyc").as_ptr(), std::ptr::null_mut())
        },
        dcams_code::DCAMS_OK
    );
    let (code, error) = config.client().unwrap_err();
    assert_eq!(code, dcams_code::DCAMS_ERR_CONFIG);
    assert!(error.contains("app_name"), "{error}");
}

/// ureq-proto hex-dumps response heads and bodies through the `log` crate
/// at trace level; in libdcams those records must not exist at all.
#[test]
fn no_log_record_of_any_crate_inside_libdcams() {
    struct Count(Mutex<Vec<String>>);
    impl log::Log for Count {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, r: &log::Record<'_>) {
            self.0.lock().unwrap().push(format!("{} {}", r.target(), r.args()));
        }
        fn flush(&self) {}
    }
    static LOGGER: Count = Count(Mutex::new(Vec::new()));
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let config = Config::for_sandbox(&sb);
    let client = config.client().unwrap();
    assert_eq!(get_status(client, "nobody@example.com", std::ptr::null_mut()), dcams_code::DCAMS_ERR_NOT_FOUND);
    unsafe { dcams_client_free(client) };
    let records = LOGGER.0.lock().unwrap();
    assert!(
        records.is_empty(),
        "{} record(s), e.g. {:?}",
        records.len(),
        records.iter().find(|r| r.starts_with("ureq_proto"))
    );
    assert_eq!(log::STATIC_MAX_LEVEL, log::LevelFilter::Off);
}
