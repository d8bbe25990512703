//! `dcams batch`: every customer of a CSV or NDJSON file, with the client's
//! batch engine; journal, resume, failures file, progress and summary.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dcams_client::{
    mask_email, BatchOptions, Client, Customer, Error, ErrorKind, RateLimit, RecordError, Request, UpsertKind,
};

use crate::input::{self, Format, Raw, Record, Rows};
use crate::journal::{Done, Entry, Hasher, Journal};
use crate::progress::{self, Counts, Progress};
use crate::{code_of, Exit};

/// `dcams batch` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input: a CSV file with a header row of the service's field names
    /// (reference,email,fn,ln,addr,city,state,zip,dob,phone) and front,back image paths relative
    /// to the file; or NDJSON (.ndjson, .jsonl) with the same names, images as paths or as base64
    /// in "documents":{"front":…,"back":…}.
    pub input: PathBuf,
    /// Input format (default: NDJSON for .ndjson/.jsonl/.json, else CSV).
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,
    /// Records in flight at once.
    #[arg(long, default_value_t = dcams_client::DEFAULT_CONCURRENCY, value_name = "N")]
    pub concurrency: usize,
    /// At most this many requests per second (retries included); default: only what the
    /// service's 429 answers teach.
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,
    /// Requests allowed at once after an idle time, with --rate.
    #[arg(long, default_value_t = 1, requires = "rate")]
    pub burst: u32,
    /// Append one JSON line per finished record to FILE (no customer data: row, masked e-mail,
    /// outcome, content hash), flushed per line.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Skip the records the journal has as done with the same content (record and images).
    #[arg(long, requires = "journal")]
    pub resume: bool,
    /// Write the rows that failed, with their row number and reason, to FILE (CSV, or NDJSON
    /// for NDJSON input).
    #[arg(long, value_name = "FILE")]
    pub failures: Option<PathBuf>,
    /// Progress on stderr.
    #[arg(long, value_enum, default_value_t = progress::Mode::Auto)]
    pub progress: progress::Mode,
    /// Seconds between two progress lines (--progress lines).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub progress_every: f64,
    /// Check every row and image without sending anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InputFormat {
    Csv,
    Ndjson,
}

/// What goes back with each record: where it came from.
struct Tag {
    row: u64,
    line: u64,
    email: String,
    hash: Option<String>,
    raw: Raw,
}

/// The failures file, in the input's format.
enum Failures {
    Csv(Box<csv::Writer<File>>),
    Ndjson(File),
}

impl Failures {
    fn create(path: &PathBuf, header: Option<&[String]>) -> std::io::Result<Failures> {
        let file = File::create(path)?;
        Ok(match header {
            Some(header) => {
                // Flexible: a row with too few or too many fields is written as it was.
                let mut w = csv::WriterBuilder::new().flexible(true).from_writer(file);
                let mut row = vec!["row", "line", "code", "field", "error"];
                row.extend(header.iter().map(String::as_str));
                w.write_record(&row)?;
                w.flush()?;
                Failures::Csv(Box::new(w))
            }
            None => Failures::Ndjson(file),
        })
    }

    fn write(&mut self, tag: &Tag, e: &Error) -> std::io::Result<()> {
        let code = code_of(e.kind()).1;
        let field = e.field().unwrap_or_default();
        let reason = match e.detail() {
            Some(d) => format!("{} ({d})", e.message()),
            None => e.message().to_owned(),
        };
        match (self, &tag.raw) {
            (Failures::Csv(w), Raw::Csv(fields)) => {
                let (row, line) = (tag.row.to_string(), tag.line.to_string());
                let mut out = vec![row.as_str(), line.as_str(), code, field, reason.as_str()];
                out.extend(fields.iter().map(String::as_str));
                w.write_record(&out)?;
                w.flush()
            }
            (Failures::Ndjson(f), raw) => {
                let record = match raw {
                    Raw::Line(line) => serde_json::from_str(line).unwrap_or(serde_json::Value::String(line.clone())),
                    Raw::Csv(fields) => serde_json::json!(fields),
                };
                let line = serde_json::json!({
                    "row": tag.row, "line": tag.line, "code": code, "field": e.field(), "error": reason, "record": record,
                });
                writeln!(f, "{line}")?;
                f.flush()
            }
            (Failures::Csv(_), Raw::Line(_)) => Ok(()),
        }
    }
}

/// Runs `dcams batch`.
pub fn run(args: Args, client: Client) -> Exit {
    let format = match args.format {
        Some(InputFormat::Csv) => Format::Csv,
        Some(InputFormat::Ndjson) => Format::Ndjson,
        None => Format::of(&args.input),
    };
    let rows = match Rows::open(&args.input, format) {
        Ok(rows) => rows,
        Err(e) => return Exit::usage(format!("{}: {e}", args.input.display())),
    };
    let rate = match args.rate.map(|r| RateLimit::new(r, args.burst)).transpose() {
        Ok(r) => r,
        Err(e) => return Exit::usage(format!("--rate/--burst: {}", e.message())),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let options = BatchOptions { concurrency: args.concurrency, rate, stop: Some(Arc::clone(&stop)) };
    if let Err(e) = options.check() {
        return Exit::usage(format!("--concurrency: {}", e.message()));
    }
    let done = match &args.journal {
        Some(path) => match read_journal(path, args.resume) {
            Ok(done) => done,
            Err(message) => return Exit::usage(message),
        },
        None => None,
    };
    let mut journal =
        match args.journal.as_ref().filter(|_| !args.dry_run).map(|p| Journal::open(p).map_err(|e| (p, e))) {
            Some(Ok(j)) => Some(j),
            Some(Err((p, e))) => return Exit::usage(format!("cannot open the journal {}: {e}", p.display())),
            None => None,
        };
    let mut failures = match args.failures.as_ref().map(|p| Failures::create(p, rows.header()).map_err(|e| (p, e))) {
        Some(Ok(f)) => Some(f),
        Some(Err((p, e))) => return Exit::usage(format!("cannot create the failures file {}: {e}", p.display())),
        None => None,
    };
    install_ctrl_c(&stop);

    let total = match args.progress {
        progress::Mode::None => None,
        _ => input::count(&args.input, format),
    };
    let every = Duration::from_secs_f64(args.progress_every.clamp(0.1, 3600.0));
    let mut progress = Progress::new(args.progress, total, every);
    let skipped = AtomicU64::new(0);
    let hash_rows = journal.is_some() || done.is_some();
    let mut hasher = Hasher::default();
    let records = rows.filter_map(|row| {
        let email = match &row.record {
            Ok(r) => mask_email(r.email()),
            Err(_) => "***".to_owned(),
        };
        let mut tag = Tag { row: row.row, line: row.line, email, hash: None, raw: row.raw };
        let record = match check_row(&client, row.record, hash_rows.then_some(&mut hasher)) {
            Ok((_, Some(hash))) if done.as_ref().is_some_and(|d| d.contains(&hash)) => {
                skipped.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            Ok((customer, hash)) => {
                tag.hash = hash;
                Ok(customer)
            }
            Err(e) => Err(e),
        };
        Some((tag, record))
    });

    let started = Instant::now();
    let mut counts = Counts::default();
    let mut failed_by_code: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut io_error: Option<String> = None;
    let mut report = |tag: Tag, outcome: Result<Option<(UpsertKind, String)>, Error>, attempts: u32| {
        let (code, name) = match &outcome {
            Ok(_) => (0, "DCAMS_OK"),
            Err(e) => code_of(e.kind()),
        };
        let (kind, status) = match &outcome {
            Ok(Some((kind, status))) => (
                Some(match kind {
                    UpsertKind::Created => "createCustomer",
                    UpsertKind::Updated => "updateCustomer",
                }),
                Some(status.clone()),
            ),
            _ => (None, None),
        };
        if let Some(journal) = &mut journal {
            let entry = Entry {
                row: tag.row,
                email: tag.email.clone(),
                code,
                name: name.to_owned(),
                kind: kind.map(str::to_owned),
                status: status.clone(),
                attempts,
                field: outcome.as_ref().err().and_then(|e| e.field()).map(str::to_owned),
                hash: tag.hash.clone(),
            };
            if let Err(e) = journal.append(&entry) {
                io_error.get_or_insert(format!("cannot write the journal: {e}"));
                stop.store(true, Ordering::SeqCst);
            }
        }
        match &outcome {
            Ok(_) => counts.ok += 1,
            Err(e) => {
                counts.failed += 1;
                *failed_by_code.entry(name).or_default() += 1;
                let field = e.field().map(|f| format!(" ({f})")).unwrap_or_default();
                // The reason may quote the customer's data (a date of birth): only the failures file has it.
                progress.note(&format!("row {} (line {}): {name}{field} {}", tag.row, tag.line, tag.email));
                if let Some(f) = &mut failures {
                    if let Err(e) = f.write(&tag, e) {
                        io_error.get_or_insert(format!("cannot write the failures file: {e}"));
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            }
        }
        counts.skipped = skipped.load(Ordering::Relaxed);
        counts.done = counts.ok + counts.failed + counts.skipped;
        progress.update(counts);
    };

    let summary = if args.dry_run {
        for (tag, record) in records {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            // Checked by check_row as the real run checks it; nothing more to do.
            report(tag, record.map(|_| None), 0);
        }
        None
    } else {
        let result = client.upsert_batch(records, &options, |r| {
            let attempts = r.attempts();
            let outcome = match r.outcome {
                Ok(reply) => Ok(Some((
                    reply.kind.unwrap_or(UpsertKind::Updated),
                    reply.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                ))),
                Err(RecordError::Input(e) | RecordError::Call(e)) => Err(e),
            };
            report(r.tag, outcome, attempts);
        });
        match result {
            Ok(summary) => Some(summary),
            Err(e) => return Exit::usage(e.message().to_owned()),
        }
    };
    counts.skipped = skipped.load(Ordering::Relaxed);
    counts.done = counts.ok + counts.failed + counts.skipped;
    // Off the screen before the summary, which would otherwise start on the bar's line.
    progress.finish();
    let elapsed = started.elapsed();
    let halted = summary.as_ref().and_then(|s| s.halted);
    let stopped = halted.is_some() || summary.as_ref().is_some_and(|s| s.stopped) || stop.load(Ordering::SeqCst);
    // The records never sent: every record of the input less those reported or skipped.
    let not_sent = match stopped {
        true => total.or_else(|| input::count(&args.input, format)).map(|t| t.saturating_sub(counts.done)),
        false => None,
    };

    let mut out = std::io::stdout().lock();
    let secs = elapsed.as_secs_f64();
    let processed = counts.ok + counts.failed;
    // A rate over less than a second says nothing (13 records in 1 ms are not 13,000 a second).
    let rate = match secs >= 1.0 {
        true => format!(" ({:.1} records/s)", processed as f64 / secs),
        false => String::new(),
    };
    let _ = match &summary {
        Some(s) => writeln!(
            out,
            "dcams batch: {processed} records in {secs:.1} s{rate}, {:.1} MB sent",
            s.bytes_sent as f64 / 1e6
        ),
        None => writeln!(out, "dcams batch --dry-run: {processed} records checked in {secs:.1} s, nothing sent"),
    };
    if let Some(s) = &summary {
        let _ = writeln!(out, "  created  {}", s.created);
        let _ = writeln!(out, "  updated  {}", s.updated);
    } else {
        let _ = writeln!(out, "  valid    {}", counts.ok);
    }
    if counts.skipped > 0 {
        let _ = writeln!(out, "  skipped  {} (done in the journal)", counts.skipped);
    }
    let by_code: Vec<String> = failed_by_code.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = match by_code.is_empty() {
        true => writeln!(out, "  failed   0"),
        false => writeln!(out, "  failed   {}: {}", counts.failed, by_code.join(", ")),
    };
    if let Some(s) = &summary {
        if s.rate_limited > 0 {
            let learned = s.learned_rate.map(|r| format!(", then paced at {r:.1} requests/s")).unwrap_or_default();
            let _ = writeln!(out, "  429s     {}{learned}", s.rate_limited);
        }
    }
    if let Some(e) = io_error {
        let _ = out.flush();
        return Exit::usage(e);
    }
    let not_sent_text = match not_sent {
        Some(n) => format!("{n} not sent"),
        None => "the records not reported were not sent".to_owned(),
    };
    let again = match &args.journal {
        Some(_) => "rerun with --resume",
        None => "a rerun without a journal sends every record again",
    };
    if let Some(kind) = halted {
        let (_, name) = code_of(kind);
        let why = match kind {
            ErrorKind::Forbidden => "the service refused access (HTTP 403",
            _ => "the service refused the credentials (HTTP 401",
        };
        let _ = writeln!(
            out,
            "  halted: {why}, {name}) after {processed} records; {not_sent_text}; check them with `dcams check`, then {again}"
        );
        return Exit::SomeFailed;
    }
    if stopped {
        let _ = writeln!(out, "  interrupted: {not_sent_text}; {again}");
        return Exit::Interrupted;
    }
    if counts.failed > 0 {
        if let Some(f) = &args.failures {
            let _ = writeln!(out, "  failed rows and reasons: {}", f.display());
        }
        return Exit::SomeFailed;
    }
    Exit::Ok
}

/// Everything checked of a row before it is sent, in one order for a dry run
/// and a real run alike (so that a dry run names the failure the real run
/// would): the row itself, then the client's checks of the record and its
/// images (e-mail, dob, each image readable and an image), then, with a
/// journal, the content hash (which reads the images in full). Returns the
/// customer and its hash.
fn check_row(
    client: &Client,
    record: Result<Record, Error>,
    hasher: Option<&mut Hasher>,
) -> Result<(Customer<'static>, Option<String>), Error> {
    let record = record?;
    let customer = record.customer();
    client.validate(&Request::upsert(&customer))?;
    let hash = hasher.map(|h| h.hash(&record)).transpose()?;
    Ok((customer, hash))
}

/// What the journal at `path` has as done, with `--resume`; `None` without.
///
/// Errors (for the operator): a journal that cannot be read; without
/// `--resume`, a journal that already holds records (a run would send them
/// all again and append to it).
fn read_journal(path: &Path, resume: bool) -> Result<Option<Done>, String> {
    let exists = path.try_exists().unwrap_or(true);
    if resume && !exists {
        eprintln!("dcams batch: no journal at {} yet: starting from the first record", path.display());
        return Ok(Some(Done::default()));
    }
    let done = match exists {
        true => Done::read(path).map_err(|e| format!("cannot read the journal {}: {e}", path.display()))?,
        false => Done::default(),
    };
    if !resume && done.lines > 0 {
        return Err(format!(
            "the journal {} already holds {} record(s): pass --resume to skip those done, or remove it to start over",
            path.display(),
            done.lines
        ));
    }
    if done.unreadable > 0 {
        eprintln!(
            "dcams batch: {} line(s) of the journal cannot be read (cut short by a kill?): ignored",
            done.unreadable
        );
    }
    Ok(resume.then_some(done))
}

/// First Ctrl-C (or SIGTERM): take no new record, finish those in flight.
/// Second: leave at once (the journal holds every finished record).
fn install_ctrl_c(stop: &Arc<AtomicBool>) {
    let stop = Arc::clone(stop);
    let _ = ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::SeqCst) {
            eprintln!("dcams batch: stopped");
            std::process::exit(Exit::Interrupted.code());
        }
        eprintln!("dcams batch: stopping: finishing the records in flight (Ctrl-C again to quit at once)");
    });
}
