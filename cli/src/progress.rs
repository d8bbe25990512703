//! Progress on stderr: an `indicatif` bar on a terminal (done/total,
//! ok/failed, rate, ETA), a plain line every few seconds otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

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
                "{bar:30} {pos}/{len} {msg} {rate} ETA {eta}"
            } else {
                "{spinner} {pos} {msg} {rate}"
            };
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                // indicatif's own {per_sec} prints every digit it has (94.9099/s).
                .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&rate(state.per_sec()));
                });
            bar.set_style(style);
            crate::log::set_bar(Some(bar.clone()));
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

    /// Prints a note without breaking the bar (also when the bar is hidden:
    /// `--progress bar` without a terminal).
    pub fn note(&self, text: &str) {
        crate::log::line(text);
    }

    /// Takes the bar off the screen: the summary that follows starts on a
    /// line of its own (it says everything the bar did).
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            crate::log::set_bar(None);
            bar.finish_and_clear();
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

/// A rate for the bar: `94.9/s`, at most one decimal.
pub fn rate(per_second: f64) -> String {
    if per_second.is_finite() && per_second > 0.0 {
        format!("{per_second:.1}/s")
    } else {
        "0.0/s".to_owned()
    }
}

fn message(c: Counts) -> String {
    let mut m = format!("{} ok, {} failed", c.ok, c.failed);
    if c.skipped > 0 {
        m.push_str(&format!(", {} skipped", c.skipped));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_at_most_one_decimal() {
        assert_eq!(rate(94.909_912), "94.9/s");
        assert_eq!(rate(0.0), "0.0/s");
        assert_eq!(rate(f64::INFINITY), "0.0/s");
        assert_eq!(rate(1200.06), "1200.1/s");
    }
}
