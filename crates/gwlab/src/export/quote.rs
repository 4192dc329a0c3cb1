//! Quoting untrusted text for the shell, YAML and comments.
//!
//! Names, hostnames, header names and values reach the bundle from the user's manifests and request lines, and
//! the export must be safe even when they hold text the API server would refuse. Three rules cover every place
//! such text lands:
//!
//! - in a shell word: [`sh`], one single-quoted word (and the scripts put it after `--` or inside
//!   `--flag=VALUE`, so no tool reads it as an option);
//! - in YAML, comments included: [`yaml`], a double-quoted scalar in which every character that can end a line,
//!   hide text or reorder it is escaped, so the text can never leave its scalar or its comment;
//! - in a shell comment or a Markdown code span: [`inline`], the same characters (and backticks) spelled as
//!   visible escapes.

/// Single-quotes `s` for bash: the result is one word whose value is exactly `s` (NUL bytes, which a shell
/// word cannot hold, are dropped). Nothing inside is expanded: `$()`, backticks, quotes and newlines stay data.
pub fn sh(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

pub use crate::emit::must_escape;

/// A double-quoted YAML scalar whose value is exactly `s`. Quotes and backslashes are escaped, and so is every
/// character [`must_escape`] names (as `\n`, `\r`, `\t` or `\uXXXX`), so the result is one line of printable
/// text that YAML 1.1 and 1.2 readers and JSON parsers all read back as `s`.
pub fn yaml(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if must_escape(c) => {
                // Every character must_escape names is in the Basic Multilingual Plane.
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` made safe for a single-line shell comment or a Markdown code span: each character [`must_escape`]
/// names, and each backtick, is written as a visible `\u{XXXX}` escape.
pub fn inline(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if must_escape(c) || c == '`' {
            let _ = write!(out, "\\u{{{:X}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), "'it'\\''s'");
        assert_eq!(sh("$(x)`y`\n"), "'$(x)`y`\n'");
        assert_eq!(sh(""), "''");
        assert_eq!(sh("a\0b"), "'ab'");
    }

    /// (input, yaml(), inline()) for every class of character that could end a line or hide text.
    const TABLE: &[(&str, &str, &str)] = &[
        ("plain", "\"plain\"", "plain"),
        ("a\"b\\c", "\"a\\\"b\\\\c\"", "a\"b\\c"),
        ("lf\n", "\"lf\\n\"", "lf\\u{A}"),
        ("cr\r", "\"cr\\r\"", "cr\\u{D}"),
        ("tab\t", "\"tab\\t\"", "tab\\u{9}"),
        ("nul\0", "\"nul\\u0000\"", "nul\\u{0}"),
        ("esc\u{1b}[2J", "\"esc\\u001B[2J\"", "esc\\u{1B}[2J"),
        ("del\u{7f}", "\"del\\u007F\"", "del\\u{7F}"),
        ("nel\u{85}", "\"nel\\u0085\"", "nel\\u{85}"),
        ("ls\u{2028}x: 1", "\"ls\\u2028x: 1\"", "ls\\u{2028}x: 1"),
        ("ps\u{2029}", "\"ps\\u2029\"", "ps\\u{2029}"),
        ("bom\u{feff}", "\"bom\\uFEFF\"", "bom\\u{FEFF}"),
        ("rlo\u{202e}cba", "\"rlo\\u202Ecba\"", "rlo\\u{202E}cba"),
        ("lri\u{2066}", "\"lri\\u2066\"", "lri\\u{2066}"),
        ("zw\u{200b}", "\"zw\\u200B\"", "zw\\u{200B}"),
        ("nonchar\u{ffff}", "\"nonchar\\uFFFF\"", "nonchar\\u{FFFF}"),
        ("tick`", "\"tick`\"", "tick\\u{60}"),
        ("é, 日本, 🦀", "\"é, 日本, 🦀\"", "é, 日本, 🦀"),
        ("$(x) #c", "\"$(x) #c\"", "$(x) #c"),
    ];

    #[test]
    fn yaml_and_inline_escape_every_line_break_and_hidden_character() {
        for (input, want_yaml, want_inline) in TABLE {
            assert_eq!(yaml(input), *want_yaml, "yaml({input:?})");
            assert_eq!(inline(input), *want_inline, "inline({input:?})");
            // Nothing that must be escaped survives, and the YAML form parses back to the input.
            assert!(!yaml(input).chars().any(must_escape), "{input:?}");
            assert!(!inline(input).chars().any(must_escape), "{input:?}");
            let back: String = serde_json::from_str(&yaml(input)).unwrap();
            assert_eq!(back, *input);
            let (docs, diags) = crate::source::parse_stream(&format!("k: {}\n", yaml(input)));
            assert!(diags.is_empty(), "{input:?}: {diags:?}");
            assert_eq!(docs[0].value["k"], *input, "{input:?}");
        }
    }

    #[test]
    fn every_control_and_separator_is_escaped() {
        for n in (0u32..0x110000).filter(|n| !(0xD800..0xE000).contains(n)) {
            let c = char::from_u32(n).unwrap();
            let quoted = yaml(&c.to_string());
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{202e}') {
                assert!(quoted.is_ascii(), "U+{n:04X} -> {quoted}");
            }
        }
    }
}
