//! Human rendering: diagnostics with a source excerpt and caret, condition chips.

use gwlab::source::SourceFile;
use gwlab::Diagnostic;
use serde_json::Value;

/// Characters of context shown on each side of the caret; longer lines are elided with `…`.
pub const EXCERPT_CONTEXT: usize = 40;
/// Carets drawn at most (a span running further ends in `…`).
pub const MAX_CARET: usize = 40;
/// Characters of a message shown at most (a message can quote a hostile key or value).
pub const MAX_MESSAGE: usize = 400;

/// `file:line:col: severity[code]: message`, then a window of the source line with a caret
/// under the span. Each call writes at most a few times [`MAX_MESSAGE`] + [`EXCERPT_CONTEXT`]
/// bytes beyond the file name, so output is O(diagnostics × window), whatever the line lengths. Lines are found through each file's line index, never by scanning the text.
pub fn diagnostic(d: &Diagnostic, files: &[SourceFile]) -> String {
    let mut out = clip(
        &d.render(),
        d.location.as_ref().map_or(0, |l| l.file_name.len() + 24) + MAX_MESSAGE,
    );
    if let Some(obj) = &d.object {
        if d.location.is_none() {
            out.push_str(&format!(" ({})", clip(obj, MAX_MESSAGE)));
        }
    }
    let Some(l) = &d.location else { return out };
    let Some(file) = files.get(l.file) else {
        return out;
    };
    let Some(line) = file.line(l.line) else {
        return out;
    };
    let Some(ex) = Excerpt::new(file, line, l) else {
        return out;
    };
    let num = l.line.to_string();
    let pad = " ".repeat(num.len());
    out.push_str(&format!(
        "\n{pad} |\n{num} | {}\n{pad} | {}",
        ex.text, ex.caret
    ));
    out
}

/// `s` cut to at most `max` characters, ending in `…` when cut.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((b, _)) => format!("{}…", &s[..b]),
        None => s.to_string(),
    }
}

/// The shown part of a source line and the caret line under it.
struct Excerpt {
    text: String,
    caret: String,
}

impl Excerpt {
    /// The window around the diagnostic's span on `line` (a slice of `file.text`). Work is
    /// proportional to the window, not to the line.
    fn new(file: &SourceFile, line: &str, l: &gwlab::diag::Location) -> Option<Excerpt> {
        let line_start = line.as_ptr() as usize - file.text.as_ptr() as usize;
        let at = l.span.start.checked_sub(line_start)?.min(line.len());
        if !line.is_char_boundary(at) {
            return None;
        }
        let (before, rest) = line.split_at(at);
        let shown_start = before
            .char_indices()
            .rev()
            .nth(EXCERPT_CONTEXT - 1)
            .map_or(0, |(b, _)| b);
        let lead_text = &before[shown_start..];
        let same_line = l.end_line == l.line && l.end_column > l.column;
        let want = if same_line {
            l.end_column - l.column
        } else {
            1
        };
        let caret_chars = rest.chars().take(want.min(MAX_CARET)).count().max(1);
        let after_caret = rest
            .char_indices()
            .nth(caret_chars)
            .map_or(rest.len(), |(b, _)| b);
        let shown_end = rest[after_caret..]
            .char_indices()
            .nth(EXCERPT_CONTEXT)
            .map_or(rest.len(), |(b, _)| after_caret + b);
        let mut text = String::new();
        let mut caret = String::new();
        if shown_start > 0 {
            text.push('…');
            caret.push(' ');
        }
        text.push_str(lead_text);
        text.push_str(&rest[..shown_end]);
        if shown_end < rest.len() {
            text.push('…');
        }
        // Keep tabs so the caret lines up with the excerpt.
        caret.extend(
            lead_text
                .chars()
                .map(|c| if c == '\t' { '\t' } else { ' ' }),
        );
        caret.push_str(&"^".repeat(caret_chars));
        if want > caret_chars && caret_chars == MAX_CARET {
            caret.push('…');
        }
        Some(Excerpt { text, caret })
    }
}

/// `Accepted=True (Accepted)` chips for a condition list.
pub fn chips(conds: Option<&Value>) -> String {
    let list = conds.and_then(Value::as_array).cloned().unwrap_or_default();
    if list.is_empty() {
        return "(no conditions)".into();
    }
    list.iter()
        .map(|c| {
            let g = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
            format!("{}={} ({})", g("type"), g("status"), g("reason"))
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// Human view of one object's status: conditions, listeners, parents, ancestors.
pub fn status_human(kind: &str, ns: &str, name: &str, status: &Value) -> String {
    let id = if ns.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{ns}/{name}")
    };
    let mut out = format!("{id}\n");
    if status.get("conditions").is_some() {
        out.push_str(&format!("  {}\n", chips(status.get("conditions"))));
    }
    if let Some(addrs) = status.get("addresses").and_then(Value::as_array) {
        let a: Vec<String> = addrs
            .iter()
            .filter_map(|a| a.get("value").and_then(Value::as_str).map(String::from))
            .collect();
        if !a.is_empty() {
            out.push_str(&format!("  addresses: {}\n", a.join(", ")));
        }
    }
    for l in status
        .get("listeners")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push_str(&format!(
            "  listener {} ({} routes): {}\n",
            l.get("name").and_then(Value::as_str).unwrap_or("?"),
            l.get("attachedRoutes").and_then(Value::as_i64).unwrap_or(0),
            chips(l.get("conditions"))
        ));
    }
    for (key, rkey) in [("parents", "parentRef"), ("ancestors", "ancestorRef")] {
        for p in status
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = p.get(rkey).cloned().unwrap_or(Value::Null);
            let g = |k: &str| r.get(k).and_then(Value::as_str).map(String::from);
            let mut target = format!(
                "{}{}",
                g("namespace").map(|n| format!("{n}/")).unwrap_or_default(),
                g("name").unwrap_or_default()
            );
            if let Some(s) = g("sectionName") {
                target.push_str(&format!(" #{s}"));
            }
            out.push_str(&format!(
                "  {} {target}: {}\n",
                if key == "parents" {
                    "parent"
                } else {
                    "ancestor"
                },
                chips(p.get("conditions"))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upper bound on the bytes [`diagnostic`] adds to the file name: message, excerpt, caret and
    /// gutter together (4 bytes per character at most). Output is therefore O(diagnostics × this),
    /// whatever the input's line lengths.
    const MAX_RENDERED_EXTRA: usize =
        4 * (MAX_MESSAGE + 3 * (2 * EXCERPT_CONTEXT + MAX_CARET + 2)) + 128;

    fn at(text: &str, start: usize, end: usize) -> String {
        let file = SourceFile::new("in.yaml", text);
        let d = Diagnostic::warning("unknown-field", "x")
            .at(Some(file.location(0, gwlab::diag::Span::new(start, end))));
        diagnostic(&d, &[file])
    }

    #[test]
    fn short_lines_are_shown_whole_with_the_caret_under_the_span() {
        let out = at("a: 1\nkey: value\n", 10, 15);
        assert_eq!(
            out,
            "in.yaml:2:6: warning[unknown-field]: x\n  |\n2 | key: value\n  |      ^^^^^"
        );
        // Windows line endings are not shown; tabs are kept in the caret line.
        let out = at("a: 1\r\n\tb: c\r\n", 9, 10);
        assert!(out.ends_with("2 | \tb: c\n  | \t  ^"), "{out:?}");
    }

    #[test]
    fn long_lines_are_cut_to_a_window_around_the_caret() {
        let line = format!("{}TARGET{}", "é".repeat(5_000), "x".repeat(5_000));
        let start = "é".len() * 5_000;
        let out = at(&line, start, start + 6);
        let shown = out.lines().nth(2).unwrap();
        assert!(
            shown.starts_with("1 | …éé") && shown.ends_with("xx…"),
            "{shown}"
        );
        assert!(shown.contains("TARGET"));
        assert_eq!(
            shown.chars().count(),
            4 + 1 + EXCERPT_CONTEXT + 6 + EXCERPT_CONTEXT + 1
        );
        let caret = out.lines().nth(3).unwrap();
        assert_eq!(caret, format!("  |  {}^^^^^^", " ".repeat(EXCERPT_CONTEXT)));
        assert!(out.len() <= "in.yaml".len() + MAX_RENDERED_EXTRA);
    }

    #[test]
    fn long_spans_and_messages_are_capped() {
        let text = "k: ".to_string() + &"v".repeat(10_000);
        let file = SourceFile::new("in.yaml", text.as_str());
        let d = Diagnostic::error("invalid-field", "m".repeat(100_000)).at(Some(
            file.location(0, gwlab::diag::Span::new(3, text.len())),
        ));
        let out = diagnostic(&d, &[file]);
        assert!(
            out.len() <= "in.yaml".len() + MAX_RENDERED_EXTRA,
            "{}",
            out.len()
        );
        assert!(out.ends_with(&format!("{}…", "^".repeat(MAX_CARET))));
    }
}
