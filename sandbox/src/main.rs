//! `dcams-sandbox`: runs the DCAMS storage API emulator until SIGINT or
//! SIGTERM. Prints exactly one line on stdout, the storage URL, and
//! optionally writes it to a file (atomically) for scripts that start the
//! sandbox in the background.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use dcams_sandbox::{ErrorStyle, ImageStorage, Sandbox, SandboxConfig};

/// Local emulator of Veratad's DCAMS storage API (loopback, plain HTTP, in memory).
///
/// Admin endpoints for tests: GET /_sandbox/stats, GET /_sandbox/customers[?test=1],
/// GET /_sandbox/customers/{email}[?test=1],
/// GET /_sandbox/customers/{email}/documents/{front|back}[?test=1], GET /_sandbox/last-request,
/// POST /_sandbox/reset, POST /_sandbox/script (`{"status":503,"body":"<html>…","content_type":
/// "text/html","times":2}`: the next storage requests get that answer instead).
#[derive(Debug, Parser)]
#[command(name = "dcams-sandbox", version)]
struct Cli {
    /// Address to listen on (loopback only unless --allow-non-loopback).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "DCAMS_SANDBOX_PORT", default_value_t = 0)]
    port: u16,
    /// Accepted API user.
    #[arg(long, env = "DCAMS_SANDBOX_USER", default_value = "sandbox-user")]
    user: String,
    /// Accepted API password.
    #[arg(long, env = "DCAMS_SANDBOX_PASS", default_value = "sandbox-pass", hide_env_values = true)]
    pass: String,
    /// Shape of the auth / missing-input / invalid-email error answers.
    #[arg(long, value_enum, default_value_t = CliErrorStyle::Storage)]
    error_style: CliErrorStyle,
    /// Accepted target.test_key (repeatable); default: sandbox-test-key.
    #[arg(long = "test-key", value_name = "KEY")]
    test_keys: Vec<String>,
    /// Delay before every storage answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Answer 429 with Retry-After to a request that would make more than N accepted requests
    /// within the last second (as a gateway would); 0: no limit.
    #[arg(long, value_name = "N", default_value_t = 0)]
    rate_limit: u32,
    /// What to keep of the images sent: their bytes, or only size and SHA-256 (for batches
    /// larger than memory; getDocumentImages then answers 400).
    #[arg(long, value_enum, default_value_t = CliImages::Keep)]
    images: CliImages,
    /// Also write the storage URL to this file (atomically: temp file + rename).
    #[arg(long, value_name = "PATH")]
    url_file: Option<PathBuf>,
    /// Allow --host to be a non-loopback address.
    #[arg(long)]
    allow_non_loopback: bool,
    /// Log one line per storage request to stderr: service, e-mail, HTTP status.
    #[arg(long)]
    verbose: bool,
}

/// Command-line names of [`ImageStorage`].
#[derive(Debug, Clone, Copy, ValueEnum)]
enum CliImages {
    /// Keep the decoded bytes.
    Keep,
    /// Keep only each image's size and SHA-256.
    Hash,
}

/// Command-line names of [`ErrorStyle`].
#[derive(Debug, Clone, Copy, ValueEnum)]
enum CliErrorStyle {
    /// {"result":"Error","message":…}
    Storage,
    /// {"meta":{"timestamp":…},"error":{"message":…,"code":…}}
    Platform,
}

impl From<CliErrorStyle> for ErrorStyle {
    fn from(s: CliErrorStyle) -> Self {
        match s {
            CliErrorStyle::Storage => ErrorStyle::Storage,
            CliErrorStyle::Platform => ErrorStyle::Platform,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !cli.host.is_loopback() && !cli.allow_non_loopback {
        eprintln!(
            "dcams-sandbox: refusing to listen on non-loopback address {} (pass --allow-non-loopback to override)",
            cli.host
        );
        return ExitCode::from(2);
    }
    let defaults = SandboxConfig::default();
    let config = SandboxConfig {
        host: cli.host,
        port: cli.port,
        user: cli.user,
        pass: cli.pass,
        error_style: cli.error_style.into(),
        test_keys: if cli.test_keys.is_empty() { defaults.test_keys } else { cli.test_keys },
        latency: Duration::from_millis(cli.latency_ms),
        verbose: cli.verbose,
        rate_limit: (cli.rate_limit > 0).then_some(cli.rate_limit),
        images: match cli.images {
            CliImages::Keep => ImageStorage::Keep,
            CliImages::Hash => ImageStorage::HashOnly,
        },
    };
    let sandbox = match Sandbox::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dcams-sandbox: cannot listen on {}:{}: {e}", cli.host, cli.port);
            return ExitCode::FAILURE;
        }
    };
    let url = sandbox.url();
    if let Some(path) = &cli.url_file {
        if let Err(e) = write_atomically(path, &url) {
            eprintln!("dcams-sandbox: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{url}").and_then(|()| out.flush()).is_err() {
            // stdout closed (e.g. a parent that read the line and went away): keep serving.
        }
    }
    if let Err(e) = wait_for_termination() {
        eprintln!("dcams-sandbox: cannot wait for signals: {e}");
        return ExitCode::FAILURE;
    }
    sandbox.shutdown();
    ExitCode::SUCCESS
}

/// Writes `url` + newline to a temporary file next to `path`, then renames it
/// over `path`, so readers never see a partial file.
fn write_atomically(path: &Path, url: &str) -> std::io::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "--url-file has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(url.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Blocks until SIGINT or (on Unix) SIGTERM arrives.
fn wait_for_termination() -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate())?;
            let mut int = signal(SignalKind::interrupt())?;
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            Ok(())
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    })
}
