//! `dcams`: migrate a customer base into DCAMS (`dcams batch`), and the
//! operator's single-record commands (`upsert`, `status`, `images`,
//! `set-status`).
//!
//! Exit codes: 0 success; 2 some records (or the one call) failed; 1 usage
//! or setup errors (arguments, unreadable input, bad header, configuration,
//! journal or failures file not writable); 130 interrupted (Ctrl-C/SIGTERM).

mod batch;
mod input;
mod journal;
mod log;
mod ops;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dcams_client::{Client, Config, ErrorKind, Settings};

/// Stores customers and their ID-document images in Veratad's DCAMS, and reads them back.
///
/// Credentials and the endpoint come from the environment (DCAMS_ENDPOINT, DCAMS_USER,
/// DCAMS_PASS, DCAMS_TEST_KEY, DCAMS_CA_FILE, DCAMS_CA_BUNDLE, DCAMS_TIMEOUT_MS,
/// DCAMS_RETRIES, the proxy variables), then from --config, then --endpoint.
/// Never put the password on the command line.
///
/// Run `dcams check` first: it tells a wrong endpoint, certificate or password apart.
///
/// Exit codes: 0 success, 2 some records failed, 1 usage or setup error, 130 interrupted.
#[derive(Debug, Parser)]
#[command(name = "dcams", version)]
struct Cli {
    /// JSON file of client configuration members (endpoint, user, pass, test_key, ca_file,
    /// timeout_ms, retries, max_idle_connections, ...), applied over the environment.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Storage endpoint URL (https://, or http:// to loopback only).
    #[arg(long, global = true, value_name = "URL")]
    endpoint: Option<String>,
    /// Print the library's events of each call (attempts, responses, retries, outcomes) on
    /// stderr at this level and the more severe ones; they hold no password or customer data
    /// (e-mails masked). Default: the configuration file's `log_level` if it has one, else none.
    #[arg(long, global = true, value_name = "LEVEL", value_parser = log::LEVELS)]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Upsert every customer of a CSV or NDJSON file, concurrently, with a journal to resume from.
    Batch(batch::Args),
    /// Create or update one customer (createOrUpdateCustomer); prints the reply.
    Upsert(ops::UpsertArgs),
    /// The review status and stored attributes of a customer (getStatus); prints the reply.
    Status {
        /// The customer's e-mail.
        email: String,
    },
    /// Save a customer's stored images to files (getDocumentImages); prints the reply without them.
    Images {
        /// The customer's e-mail.
        email: String,
        /// File for the front image.
        #[arg(long, value_name = "FILE")]
        front: PathBuf,
        /// File for the back image (removed if none is stored).
        #[arg(long, value_name = "FILE")]
        back: Option<PathBuf>,
    },
    /// Check the configuration, connectivity and credentials without storing
    /// anything; prints each step and, on failure, a hint. Exit 0 when every
    /// step passed, 2 otherwise.
    Check,
    /// Set a customer's review status (updateStatus); prints the reply.
    SetStatus {
        /// The customer's e-mail.
        email: String,
        /// PASS, PENDING or FAIL.
        #[arg(value_parser = ["PASS", "PENDING", "FAIL"])]
        status: String,
    },
}

/// How the program ends.
#[derive(Debug)]
pub enum Exit {
    Ok,
    SomeFailed,
    Usage(String),
    Interrupted,
}

impl Exit {
    pub fn usage(message: impl Into<String>) -> Exit {
        Exit::Usage(message.into())
    }

    pub fn code(&self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::Usage(_) => 1,
            Exit::SomeFailed => 2,
            Exit::Interrupted => 130,
        }
    }
}

/// The `dcams_code` number and name of a failure: the C library's one
/// table, so that the CLI, C and Python name failures alike.
pub fn code_of(kind: ErrorKind) -> (i32, &'static str) {
    let code = dcams::code::dcams_code::from(kind);
    (code as i32, code.name().to_str().unwrap_or("DCAMS_ERR_UNKNOWN"))
}

fn client(cli: &Cli, concurrency: usize) -> Result<Client, String> {
    // Whether the configuration file asks for a log level: honoured on stderr, as --log.
    let mut file_log_level = false;
    let mut settings = match &cli.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let settings = Settings::from_json(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
            file_log_level = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .is_some_and(|v| v.get("log_level").is_some_and(|l| !l.is_null()));
            settings
        }
        None => Settings::new(),
    };
    if let Some(endpoint) = &cli.endpoint {
        settings.set_str("endpoint", endpoint).map_err(|e| e.message().to_owned())?;
    }
    if let Some(level) = &cli.log {
        settings.set_str("log_level", level).map_err(|e| e.message().to_owned())?;
    }
    if cli.log.is_some() || file_log_level {
        settings.set_log_sink(Some(log::sink()));
    }
    let mut config: Config = settings.config().map_err(|e| e.message().to_owned())?;
    // One pooled connection per worker.
    config.max_idle_connections = config.max_idle_connections.max(concurrency);
    Client::new(config).map_err(|e| format!("configuration: {}", e.message()))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors; every usage error is 1.
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let concurrency = match &cli.command {
        Command::Batch(args) => args.concurrency,
        _ => 1,
    };
    let exit = match client(&cli, concurrency) {
        Err(e) => Exit::Usage(e),
        Ok(client) => match cli.command {
            Command::Batch(args) => batch::run(args, client),
            Command::Upsert(args) => ops::upsert(&client, args),
            Command::Status { email } => ops::status(&client, &email),
            Command::Images { email, front, back } => ops::images(&client, &email, &front, back.as_deref()),
            Command::SetStatus { email, status } => ops::set_status(&client, &email, &status),
            Command::Check => ops::check(&client),
        },
    };
    if let Exit::Usage(message) = &exit {
        eprintln!("dcams: {message}");
    }
    ExitCode::from(exit.code() as u8)
}
