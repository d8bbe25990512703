//! The operator's single-record commands: each prints the service's reply
//! on stdout, or the failure on stderr (exit 2).

use std::path::{Path, PathBuf};

use dcams_client::{Client, Customer, Document, Error, Reply, ReviewStatus};

use crate::{code_of, Exit};

/// `dcams upsert` arguments: the service's field names.
#[derive(Debug, clap::Args)]
pub struct UpsertArgs {
    /// E-mail address: the record's key.
    #[arg(long)]
    pub email: String,
    /// Front image file (documents.front).
    #[arg(long, value_name = "FILE")]
    pub front: PathBuf,
    /// Back image file (documents.back).
    #[arg(long, value_name = "FILE")]
    pub back: Option<PathBuf>,
    /// First name.
    #[arg(long = "fn", value_name = "NAME")]
    pub first: Option<String>,
    /// Last name.
    #[arg(long, value_name = "NAME")]
    pub ln: Option<String>,
    /// Street address.
    #[arg(long)]
    pub addr: Option<String>,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub state: Option<String>,
    #[arg(long)]
    pub zip: Option<String>,
    /// Date of birth, YYYYMMDD.
    #[arg(long)]
    pub dob: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// Your own reference for the record.
    #[arg(long)]
    pub reference: Option<String>,
}

fn print(result: Result<Reply, Error>) -> Exit {
    match result {
        Ok(reply) => {
            println!("{}", reply.body);
            Exit::Ok
        }
        Err(e) => {
            let (_, name) = code_of(e.kind());
            let field = e.field().map(|f| format!(" ({f})")).unwrap_or_default();
            eprintln!("dcams: {name}{field}: {} [attempts: {}]", e.message(), e.attempts());
            Exit::SomeFailed
        }
    }
}

pub fn upsert(client: &Client, a: UpsertArgs) -> Exit {
    let customer = Customer {
        r#fn: a.first,
        ln: a.ln,
        addr: a.addr,
        city: a.city,
        state: a.state,
        zip: a.zip,
        dob: a.dob,
        phone: a.phone,
        reference: a.reference,
        back: a.back.map(Document::Path),
        ..Customer::new(a.email, Document::Path(a.front))
    };
    print(client.upsert(&customer).map(|r| r.raw))
}

pub fn status(client: &Client, email: &str) -> Exit {
    print(client.get_status(email).map(|r| r.raw))
}

pub fn images(client: &Client, email: &str, front: &Path, back: Option<&Path>) -> Exit {
    print(client.save_document_images(email, front, back))
}

pub fn set_status(client: &Client, email: &str, status: &str) -> Exit {
    match ReviewStatus::from_name(status) {
        Some(status) => print(client.update_status(email, status).map(|r| r.raw)),
        None => Exit::usage(format!("status must be PASS, PENDING or FAIL, not {status:?}")),
    }
}

/// `dcams check`: the client's own check (see `Client::check`), its report
/// printed step by step.
pub fn check(client: &Client) -> Exit {
    let report = client.check();
    // The report's last line (the verdict or the hint) has no line end of its own.
    println!("{}", report.to_string().trim_end_matches('\n'));
    if report.ok() {
        Exit::Ok
    } else {
        if let Some(e) = &report.error {
            let (_, name) = code_of(e.kind());
            eprintln!("dcams: check failed: {name}: {}", e.message());
        }
        Exit::SomeFailed
    }
}
