//! getDocumentImages under faults (issue 9, defect 7 and download point 11):
//! the base64 forms a reply may use (the ones uploads accept), strictness
//! kept for everything else, files byte-identical to the uploads, and no file
//! left behind by a download that fails midway.

use std::path::Path;

use dcams_client::{Client, Customer, Document, ErrorKind};
use dcams_sandbox::{Sandbox, SandboxConfig};

use crate::misbehave::{Behavior, Canned, Misbehave};
use crate::support::*;

fn reply_with(front_json: &str) -> String {
    format!(
        r#"{{"result":"Success","reference":"R-9","status":"PENDING","target":{{"email":"a@example.com","documents":{{"front":{front_json},"back":null}}}},"x":[1,{{"y":"z"}}]}}"#
    )
}

fn client_for(body: Vec<u8>) -> (Client, Misbehave) {
    let srv = Misbehave::start(Behavior::Respond(Canned::new(200, Some("application/json"), body)));
    (Client::new(fast_config(&srv.url(), PASS)).unwrap(), srv)
}

/// MIME-wrapped, unpadded, `data:` URI and JSON-escaped forms decode to the image.
#[test]
fn replies_accept_the_base64_forms_uploads_accept() {
    let img = image(5000, 3);
    let plain = b64(&img);
    let wrapped: String =
        plain.as_bytes().chunks(76).map(|l| format!("{}\\r\\n", std::str::from_utf8(l).unwrap())).collect();
    let unpadded = b64(&img[..4999]).trim_end_matches('=').to_owned();
    let mut rows = Vec::new();
    for (name, json, want) in [
        ("plain", format!("\"{plain}\""), &img[..]),
        ("mime_wrapped_crlf", format!("\"{wrapped}\""), &img[..]),
        ("wrapped_lf_and_spaces", format!("\"{}\"", plain.replace("AB", "A\\nB").replace("Q", "Q ")), &img[..]),
        ("unpadded", format!("\"{unpadded}\""), &img[..4999]),
        ("data_uri", format!("\"data:image/jpeg;base64,{plain}\""), &img[..]),
        ("escaped_slashes", format!("\"{}\"", plain.replace('/', "\\/")), &img[..]),
        ("unicode_escapes", format!("\"{}\"", plain.replacen('A', "\\u0041", 50)), &img[..]),
    ] {
        let (client, _srv) = client_for(reply_with(&json).into_bytes());
        let mut p = Vec::new();
        match client.get_document_images("a@example.com") {
            Ok(r) => {
                if r.front.as_deref() != Some(want) {
                    p.push(format!(
                        "front decoded to {:?} bytes, wanted {}",
                        r.front.as_ref().map(Vec::len),
                        want.len()
                    ));
                }
                let raw = r.raw.json();
                if raw["target"]["documents"]["front_bytes"] != want.len() || raw["x"][1]["y"] != "z" {
                    p.push(format!("the reply without images is {}", r.raw.body));
                }
            }
            Err(e) => p.push(format!("{e} / {e:?}")),
        }
        rows.push((format!("images_{name}"), p));
    }
    assert_rows(rows);
}

/// Anything else is still a bad response: not base64, a lone surrogate
/// anywhere, invalid UTF-8 anywhere.
#[test]
fn replies_stay_strict() {
    let plain = b64(&image(3000, 4));
    let mut rows = Vec::new();
    for (name, body) in [
        ("not_base64", reply_with("\"@@@@\"").into_bytes()),
        ("one_char_left_over", reply_with(&format!("\"{plain}A\"")).into_bytes()),
        ("data_uri_without_base64", reply_with(&format!("\"data:image/jpeg,{plain}\"")).into_bytes()),
        ("padding_in_the_middle", reply_with(&format!("\"AB==CD{plain}\"")).into_bytes()),
        ("lone_surrogate_in_image", reply_with(&format!("\"{}\\ud800{}\"", &plain[..8], &plain[8..])).into_bytes()),
        ("lone_surrogate_elsewhere", reply_with(&format!("\"{plain}\"")).replace("\"z\"", "\"\\udc00\"").into_bytes()),
        ("image_not_a_string", reply_with("17").into_bytes()),
        ("invalid_utf8_in_image", {
            let mut b = reply_with(&format!("\"{plain}\"")).into_bytes();
            let at = b.windows(4).position(|w| w == &plain.as_bytes()[..4]).unwrap() + 2;
            b[at] = 0xff;
            b
        }),
        ("raw_control_character", reply_with(&format!("\"{plain}\"")).replace("\"z\"", "\"\u{1}\"").into_bytes()),
        ("invalid_utf8_elsewhere", {
            let mut b = reply_with(&format!("\"{plain}\"")).into_bytes();
            let at = b.iter().position(|&c| c == b'z').unwrap();
            b[at] = 0xc3;
            b
        }),
        ("truncated_json", reply_with(&format!("\"{plain}\"")).as_bytes()[..200].to_vec()),
    ] {
        let (client, _srv) = client_for(body);
        let mut p = Vec::new();
        match client.get_document_images("a@example.com") {
            Ok(r) => p.push(format!("accepted: {}", r.raw.body)),
            Err(e) if e.kind() == ErrorKind::BadResponse && e.attempts() == 1 => {}
            Err(e) => p.push(format!("expected BadResponse after 1 attempt, got {e} after {}", e.attempts())),
        }
        rows.push((format!("images_{name}"), p));
    }
    assert_rows(rows);
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

/// A download that fails midway (reset, truncation, over the size limit, an
/// image that is not base64 at its end) leaves no file behind.
#[test]
fn a_failed_download_leaves_no_file_behind() {
    let img = image(400_000, 5);
    let body = reply_with(&format!("\"{}\"", b64(&img)));
    let part = &body.as_bytes()[..body.len() / 2];
    let head = |declared: usize| {
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n").into_bytes()
    };
    let mut rows = Vec::new();
    for (name, behavior, limit, want) in [
        ("reset", Behavior::ResetAfter([head(body.len()), part.to_vec()].concat()), 1 << 20, ErrorKind::BadResponse),
        (
            "truncated",
            Behavior::Truncated { declared: body.len(), sent: part.to_vec() },
            1 << 20,
            ErrorKind::BadResponse,
        ),
        ("over_max_response_bytes", Behavior::Respond(Canned::json(200, &body)), 256 * 1024, ErrorKind::BadResponse),
        (
            "bad_base64_at_the_end",
            Behavior::Respond(Canned::json(200, &body.replace("\",\"back\"", "@\",\"back\""))),
            1 << 20,
            ErrorKind::BadResponse,
        ),
        (
            "service_error_200",
            Behavior::Respond(Canned::json(200, r#"{"result":"Error","message":"nope"}"#)),
            1 << 20,
            ErrorKind::ServiceError,
        ),
    ] {
        let srv = Misbehave::start(behavior);
        let mut c = fast_config(&srv.url(), PASS);
        c.max_response_bytes = limit;
        c.retries = 0;
        let client = Client::new(c).unwrap();
        let dir = TempDir::new("partial");
        let (front, back) = (dir.path().join("front.jpg"), dir.path().join("back.jpg"));
        let mut p = Vec::new();
        match client.save_document_images("a@example.com", &front, Some(&back)) {
            Ok(_) => p.push("the download succeeded".to_owned()),
            Err(e) if e.kind() == want => {}
            Err(e) => p.push(format!("expected {want:?}, got {e}")),
        }
        let left = entries(dir.path());
        if !left.is_empty() {
            p.push(format!("files left behind: {left:?}"));
        }
        rows.push((format!("download_{name}"), p));
    }
    assert_rows(rows);
}

/// Through the sandbox: two images uploaded, saved to files byte-identical,
/// and read into memory identical; a stale back file is replaced.
#[test]
fn saved_images_are_byte_identical_to_the_uploads() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let mut c = fast_config(&sandbox.url(), PASS);
    c.max_response_bytes = 64 << 20;
    c.response_timeout = std::time::Duration::from_secs(20);
    c.timeout = std::time::Duration::from_secs(40);
    let client = Client::new(c).unwrap();
    let (front, back) = (image(3_000_001, 12), image(1_500_002, 13));
    let customer = Customer { back: Some(Document::from_bytes(&back)), ..customer("saved@example.com", &front) };
    client.upsert(&customer).expect("upsert");
    let dir = TempDir::new("saved");
    let (fp, bp) = (dir.path().join("front.jpg"), dir.path().join("back.jpg"));
    std::fs::write(&bp, b"stale").unwrap();
    let reply = client.save_document_images("saved@example.com", &fp, Some(&bp)).expect("save");
    assert!(std::fs::read(&fp).unwrap() == front, "front differs");
    assert!(std::fs::read(&bp).unwrap() == back, "back differs");
    let mut left = entries(dir.path());
    left.sort();
    assert_eq!(left, ["back.jpg", "front.jpg"], "temporary files left");

    let raw = reply.json();
    assert_eq!(raw["target"]["documents"]["front_bytes"], front.len());
    assert_eq!(raw["target"]["documents"]["back_bytes"], back.len());
    // Only the front wanted: the back image is read past, its size still reported.
    let only = dir.path().join("only-front.jpg");
    let reply_front = client.save_document_images("saved@example.com", &only, None).expect("save front only");
    assert!(std::fs::read(&only).unwrap() == front, "front differs");
    assert_eq!(reply_front.json()["target"]["documents"]["back_bytes"], back.len());
    let images = client.get_document_images("saved@example.com").expect("get");
    assert!(images.front.as_deref() == Some(&front[..]) && images.back.as_deref() == Some(&back[..]));
    assert_eq!(images.raw.body, reply.body);
}
