//! Colour on a terminal, and only there.
//!
//! `--color auto` (the default) colours a stream when it is a terminal, `TERM` is not `dumb` and
//! `NO_COLOR` is unset or empty (<https://no-color.org>); `--color always` and `--color never`
//! override both, as a command-line option should. Piped or redirected output stays plain text, so
//! scripts and diffs never see escape codes.

use clap::ValueEnum;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// The `--color` choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

static STDOUT: AtomicBool = AtomicBool::new(false);
static STDERR: AtomicBool = AtomicBool::new(false);

/// Which stream a text is written to (each is judged on its own: `gwlab check > out.yaml` keeps
/// colour in the diagnostics on the terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// The colours gwlab uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Error,
    Warning,
    Info,
    Good,
}

impl Tone {
    fn code(self) -> &'static str {
        match self {
            Tone::Error => "1;31",
            Tone::Warning => "1;33",
            Tone::Info => "1;36",
            Tone::Good => "32",
        }
    }
}

/// Whether `auto` colours a stream that is (or is not) a terminal, given NO_COLOR and TERM.
pub fn auto_colours(is_terminal: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
}

/// Decides colour for both streams; call once, before printing.
pub fn init(choice: ColorChoice) {
    let (out, err) = match choice {
        ColorChoice::Always => (true, true),
        ColorChoice::Never => (false, false),
        ColorChoice::Auto => {
            let no_color = std::env::var("NO_COLOR").ok();
            let term = std::env::var("TERM").ok();
            let judge = |tty: bool| auto_colours(tty, no_color.as_deref(), term.as_deref());
            (
                judge(std::io::stdout().is_terminal()),
                judge(std::io::stderr().is_terminal()),
            )
        }
    };
    STDOUT.store(out, Ordering::Relaxed);
    STDERR.store(err, Ordering::Relaxed);
}

fn enabled(stream: Stream) -> bool {
    match stream {
        Stream::Stdout => STDOUT.load(Ordering::Relaxed),
        Stream::Stderr => STDERR.load(Ordering::Relaxed),
    }
}

/// `text` in `tone` when `stream` is coloured, else `text` unchanged.
pub fn paint(text: &str, tone: Tone, stream: Stream) -> String {
    if enabled(stream) {
        format!("\x1b[{}m{text}\x1b[0m", tone.code())
    } else {
        text.to_string()
    }
}

/// Colours the first occurrence of `label` in `text` (e.g. the `error[code]` of a diagnostic line).
pub fn paint_first(text: &str, label: &str, tone: Tone, stream: Stream) -> String {
    match text.find(label) {
        Some(at) if enabled(stream) => {
            format!(
                "{}{}{}",
                &text[..at],
                paint(label, tone, stream),
                &text[at + label.len()..]
            )
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_a_terminal_unless_no_color_is_set() {
        assert!(auto_colours(true, None, Some("xterm-256color")));
        assert!(
            auto_colours(true, Some(""), None),
            "an empty NO_COLOR does not count"
        );
        assert!(!auto_colours(true, Some("1"), Some("xterm")));
        assert!(
            !auto_colours(false, None, Some("xterm")),
            "a pipe gets plain text"
        );
        assert!(!auto_colours(true, None, Some("dumb")));
    }
}
