//! Progress on stderr: an `indicatif` bar on a terminal (done/total,
//! ok/failed, rate, ETA), a plain line every few seconds otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown (`--progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// A bar when stderr is a terminal, plain lines otherwise.
    Auto,
    /// A bar.
    Bar,
    /// A plain line every few seconds.
    Lines,
    /// Nothing.
    None,
}

/// Counts shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub done: u64,
    pub ok: u64,
    pub failed: u64,
    pub skipped: u64,
}

pub struct Progress {
    bar: Option<ProgressBar>,
    lines: Option<Duration>,
    total: Option<u64>,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    pub fn new(mode: Mode, total: Option<u64>, every: Duration) -> Progress {
        let mode = match mode {
            Mode::Auto if std::io::stderr().is_terminal() => Mode::Bar,
            Mode::Auto => Mode::Lines,
            m => m,
        };
        let bar = (mode == Mode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(4));
            let template = if total.is_some() {
                "{bar:30} {pos}/{len} {msg} {per_sec} ETA {eta}"
            } else {
                "{spinner} {pos} {msg} {per_sec}"
            };
            bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
            bar
        });
        let now = Instant::now();
        Progress { bar, lines: (mode == Mode::Lines).then_some(every), total, started: now, last_line: now }
    }

    pub fn update(&mut self, c: Counts) {
        if let Some(bar) = &self.bar {
            bar.set_position(c.done);
            bar.set_message(message(c));
        }
        if let Some(every) = self.lines {
            if self.last_line.elapsed() >= every {
                self.last_line = Instant::now();
                eprintln!("{}", self.line(c));
            }
        }
    }

    /// Prints a note without breaking the bar.
    pub fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    pub fn finish(&mut self, c: Counts) {
        if let Some(bar) = self.bar.take() {
            bar.set_position(c.done);
            bar.set_message(message(c));
            bar.finish();
        }
    }

    fn line(&self, c: Counts) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        let sent = c.done - c.skipped;
        let rate = if secs > 0.0 { sent as f64 / secs } else { 0.0 };
        let mut line = match self.total {
            Some(total) => format!("dcams batch: {}/{total} done", c.done),
            None => format!("dcams batch: {} done", c.done),
        };
        line.push_str(&format!(" ({}), {rate:.1} records/s", message(c)));
        if let (Some(total), true) = (self.total, rate > 0.0) {
            let left = total.saturating_sub(c.done) as f64 / rate;
            line.push_str(&format!(", ETA {left:.0} s"));
        }
        line
    }
}

fn message(c: Counts) -> String {
    let mut m = format!("{} ok, {} failed", c.ok, c.failed);
    if c.skipped > 0 {
        m.push_str(&format!(", {} skipped", c.skipped));
    }
    m
}
