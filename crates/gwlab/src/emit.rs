//! JSON value → YAML text, for output (status stanzas, patched manifests, CLI `--output yaml`).
//!
//! Block style throughout, in the layout `kubectl get -o yaml` uses (sequences under a key are not
//! indented). Strings are quoted whenever a YAML 1.1 or 1.2 reader could take them for anything
//! other than that exact string: `"true"`, `"yes"`, `"80"`, `"1e3"`, `"~"`, a leading `*` or `-`, …
//! The output parses back to the same value with `source::parse_stream`.

use serde_json::Value;

/// Renders `v` as a YAML document (no `---` marker), ending with a newline.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => emit_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => emit_seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

/// Renders several documents as one stream separated by `---`.
pub fn to_yaml_stream(docs: &[Value]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_yaml(d));
    }
    out
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

/// One open block collection of the emitter's explicit stack: its remaining entries, its indent,
/// and whether its first entry is still to come (that one sits on the line already started).
enum Open<'a> {
    Map {
        entries: serde_json::map::Iter<'a>,
        ind: usize,
        first: bool,
    },
    Seq {
        items: std::slice::Iter<'a, Value>,
        ind: usize,
        first: bool,
    },
}

/// Emits a mapping whose first key is already positioned at column `ind`.
///
/// Iterative (an explicit stack, not recursion), so a value nested deeper than any loader allows
/// cannot overflow the call stack; the output is O(nodes × depth) bytes.
fn emit_map(out: &mut String, m: &serde_json::Map<String, Value>, ind: usize) {
    emit_block(
        out,
        Open::Map {
            entries: m.iter(),
            ind,
            first: true,
        },
    );
}

/// Emits a sequence whose first `- ` is already positioned at column `ind`.
fn emit_seq(out: &mut String, a: &[Value], ind: usize) {
    emit_block(
        out,
        Open::Seq {
            items: a.iter(),
            ind,
            first: true,
        },
    );
}

fn emit_block(out: &mut String, root: Open<'_>) {
    let mut stack = vec![root];
    while let Some(top) = stack.last_mut() {
        let (v, ind) = match top {
            Open::Map {
                entries,
                ind,
                first,
            } => {
                let Some((k, v)) = entries.next() else {
                    stack.pop();
                    continue;
                };
                if !std::mem::take(first) {
                    indent(out, *ind);
                }
                out.push_str(&quote_str(k));
                out.push(':');
                match v {
                    Value::Object(mm) if !mm.is_empty() => {
                        out.push('\n');
                        indent(out, *ind + 2);
                        let ind = *ind + 2;
                        stack.push(Open::Map {
                            entries: mm.iter(),
                            ind,
                            first: true,
                        });
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        indent(out, *ind);
                        let ind = *ind;
                        stack.push(Open::Seq {
                            items: a.iter(),
                            ind,
                            first: true,
                        });
                    }
                    other => {
                        out.push(' ');
                        out.push_str(&scalar(other));
                        out.push('\n');
                    }
                }
                continue;
            }
            Open::Seq { items, ind, first } => {
                let Some(v) = items.next() else {
                    stack.pop();
                    continue;
                };
                if !std::mem::take(first) {
                    indent(out, *ind);
                }
                out.push_str("- ");
                (v, *ind)
            }
        };
        match v {
            Value::Object(m) if !m.is_empty() => stack.push(Open::Map {
                entries: m.iter(),
                ind: ind + 2,
                first: true,
            }),
            Value::Array(inner) if !inner.is_empty() => stack.push(Open::Seq {
                items: inner.iter(),
                ind: ind + 2,
                first: true,
            }),
            other => {
                debug_assert!(!is_block(other));
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote_str(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// Plain scalars that a YAML 1.1 or 1.2 reader resolves to something other than a string.
fn reserved(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "~" | "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".nan"
            | ".inf"
            | "-.inf"
            | "+.inf"
            | "<<"
            | "="
    )
}

fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if t.is_empty() {
        return false;
    }
    let first = t.as_bytes()[0];
    // Anything starting with a digit or a dot followed by a digit could be an int, float, octal,
    // hex, sexagesimal (YAML 1.1 `1:30`) or a timestamp: quote it.
    first.is_ascii_digit() || (first == b'.' && t.as_bytes().get(1).is_some_and(u8::is_ascii_digit))
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || reserved(s) || looks_numeric(s) {
        return true;
    }
    let b = s.as_bytes();
    if matches!(
        b[0],
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
            | b'\t'
    ) {
        return true;
    }
    if s.ends_with(' ') || s.ends_with('\t') || s.ends_with(':') {
        return true;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(":\t") || s.contains("\t#") {
        return true;
    }
    s.chars().any(must_escape)
}

/// Characters that must never appear raw in generated YAML, comments or Markdown: every control character (C0,
/// DEL and C1, which includes NEL U+0085), the Unicode line and paragraph separators (line breaks to YAML 1.1
/// readers such as kind's config loader), the byte-order mark, the characters YAML does not allow raw
/// (U+FFFE, U+FFFF), and the invisible formatting characters that hide or reorder text on screen (zero-width
/// characters and the bidirectional controls such as U+202E).
pub fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{FFFE}'
                | '\u{FFFF}'
        )
}

/// A string as a YAML scalar: plain when unambiguous, otherwise double-quoted with escapes.
pub fn quote_str(s: &str) -> String {
    if !needs_quotes(s) {
        return s.to_string();
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            '\0' => q.push_str("\\0"),
            c if must_escape(c) => {
                let n = c as u32;
                if n <= 0xff {
                    q.push_str(&format!("\\x{n:02x}"));
                } else {
                    q.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: Value) {
        let text = to_yaml(&v);
        let (docs, diags) = crate::source::parse_stream(&text);
        let codes: Vec<_> = diags.iter().map(|(d, _)| d.code).collect();
        assert!(
            codes.iter().all(|c| *c == "yaml11-boolean"),
            "{codes:?}\n{text}"
        );
        let back = docs
            .into_iter()
            .next()
            .map(|d| d.value)
            .unwrap_or(Value::Null);
        assert_eq!(back, v, "\n{text}");
    }

    #[test]
    fn layout_matches_kubectl() {
        let v = json!({"status": {"parents": [{"parentRef": {"name": "gw"}, "conditions": [{"type": "Accepted", "status": "True"}]}], "empty": [], "none": {}}});
        assert_eq!(
            to_yaml(&v),
            "status:\n  parents:\n  - parentRef:\n      name: gw\n    conditions:\n    - type: Accepted\n      status: \"True\"\n  empty: []\n  none: {}\n"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted_and_round_trip() {
        for s in [
            "",
            "true",
            "True",
            "yes",
            "no",
            "on",
            "Off",
            "y",
            "N",
            "null",
            "~",
            "80",
            "0x1f",
            "1e3",
            "-1",
            ".5",
            "1:30",
            "2024-01-01",
            "- x",
            "* star",
            "&a",
            "!tag",
            "a: b",
            "a #c",
            "trailing ",
            " leading",
            "ends:",
            "line\nbreak",
            "tab\there",
            "quote\"s",
            "back\\slash",
            "ümlaut",
            "*.example.com",
            "{x}",
            "[x]",
            "%x",
            "@x",
            "`x",
            "|",
            ">",
            "ctl\u{1}",
            "=",
            "<<",
        ] {
            roundtrip(json!({ "k": s }));
            roundtrip(json!([s]));
            // The loader reads any `<<` key as a merge key, quoted or not.
            if s != "<<" {
                roundtrip(json!({ s: 1 }));
            }
        }
        assert_eq!(quote_str("plain-value"), "plain-value");
        assert_eq!(quote_str("/api/v1"), "/api/v1");
        assert_eq!(quote_str("http://a.example/x"), "http://a.example/x");
    }

    #[test]
    fn invisible_and_reordering_characters_are_escaped_and_round_trip() {
        for s in [
            "rlo\u{202e}cba",
            "zw\u{200b}j",
            "lre\u{202a}x",
            "isolate\u{2066}x\u{2069}",
            "ls\u{2028}x: 1",
            "nel\u{85}y",
            "bom\u{feff}",
            "shy\u{ad}",
        ] {
            let q = quote_str(s);
            assert!(q.starts_with('"'), "{s:?} -> {q}");
            assert!(!q.chars().any(must_escape), "{s:?} -> {q}");
            roundtrip(json!({ "k": s }));
        }
    }

    #[test]
    fn nested_structures_round_trip() {
        roundtrip(
            json!({"a": [[1, 2], [], [{"b": null}], {"c": {"d": [true, false, 1.5, -3]}}], "e": {}, "f": "g"}),
        );
        roundtrip(json!([{"a": 1, "b": [{"c": 2}]}, "x", [["y"]]]));
        roundtrip(json!("top"));
        roundtrip(json!(42));
    }

    #[test]
    fn deep_values_are_emitted_without_recursion() {
        // 8,000 levels on a 1 MB stack: a recursive emitter (well over a hundred bytes per frame)
        // would overflow it. The deep value is built and taken apart by hand, because
        // serde_json drops values recursively.
        let run = || {
            let mut v = json!("leaf");
            for i in 0..8_000 {
                // Built by hand: `json!` with an expression copies it through serde, recursively.
                v = if i % 2 == 0 {
                    Value::Object(std::iter::once(("k".to_string(), v)).collect())
                } else {
                    Value::Array(vec![v])
                };
            }
            let text = to_yaml(&v);
            let mut stack = vec![v];
            while let Some(v) = stack.pop() {
                match v {
                    Value::Object(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
                    Value::Array(a) => stack.extend(a),
                    _ => {}
                }
            }
            text
        };
        let text = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
        assert!(text.ends_with("leaf\n"));
        assert_eq!(text.matches("k:").count(), 4_000);
    }
}
