//! Quoting untrusted text for the shell, YAML and comments.

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

/// A YAML scalar whose value is exactly `s` (a JSON string is a valid YAML double-quoted scalar).
pub fn yaml(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// `s` made safe for a single-line comment or a Markdown code span: control characters and backticks
/// become `?`.
pub fn inline(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() || c == '`' { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), "'it'\\''s'");
        assert_eq!(sh("$(x)`y`\n"), "'$(x)`y`\n'");
        assert_eq!(sh(""), "''");
        assert_eq!(yaml("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(inline("a\nb`c"), "a?b?c");
    }
}
