//! Connection reuse: sequential calls on one client share one TCP connection.

mod common;

use common::*;
use dcams::{Customer, Document};

#[test]
fn one_hundred_sequential_upserts_use_one_connection() {
    let sb = sandbox();
    let client = client(&sb);
    let jpg = read("passport-td3.jpg");
    for i in 0..100 {
        let reply = client.upsert(&Customer::new(format!("c{i}@example.com"), Document::from_bytes(&jpg))).unwrap();
        assert_eq!(reply.target["email"], format!("c{i}@example.com"));
    }
    // Error answers are read to the end too, so the connection survives them.
    assert!(client.get_status("nobody@example.com").is_err());
    assert!(client.get_status("c1@example.com").is_ok());
    assert_eq!(sb.requests(), 102);
    assert_eq!(sb.connections(), 1, "every call reused the first connection");
}
