//! Renders a JSON value as block-style YAML, for showing status objects the way `kubectl get -o yaml` does.
use serde_json::Value;

pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if m.is_empty() => out.push_str("{}\n"),
        Value::Array(a) if a.is_empty() => out.push_str("[]\n"),
        Value::Object(_) | Value::Array(_) => write_block(v, 0, &mut out),
        _ => {
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
    out
}

fn write_block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                write_value_after_key(val, indent, out);
            }
        }
        Value::Array(a) => {
            for item in a {
                out.push_str(&pad);
                out.push('-');
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        // First key on the dash line, the rest aligned under it.
                        let mut first = true;
                        for (k, val) in m {
                            if first {
                                out.push(' ');
                                first = false;
                            } else {
                                out.push_str(&pad);
                                out.push_str("  ");
                            }
                            out.push_str(&key(k));
                            out.push(':');
                            write_value_after_key(val, indent + 2, out);
                        }
                    }
                    Value::Array(inner) if !inner.is_empty() => {
                        out.push('\n');
                        write_block(item, indent + 2, out);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&inline(item));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {}
    }
}

fn write_value_after_key(val: &Value, indent: usize, out: &mut String) {
    match val {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_block(val, indent + 2, out);
        }
        // Lists of a mapping sit at the key's indentation, as kubectl prints them.
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_block(val, indent, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&inline(val));
            out.push('\n');
        }
    }
}

fn inline(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        _ => scalar(v),
    }
}

fn key(k: &str) -> String {
    if plain_ok(k) && !looks_typed(k) {
        k.to_string()
    } else {
        quote(k)
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if plain_ok(s) && !looks_typed(s) {
                s.clone()
            } else {
                quote(s)
            }
        }
        other => other.to_string(),
    }
}

/// Strings a YAML 1.1 or 1.2 reader would not take as a string when unquoted.
fn looks_typed(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
    ) || s.parse::<f64>().is_ok()
        || s.starts_with("0x")
}

fn plain_ok(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| " -?:,[]{}#&*!|>'\"%@`".contains(c))
        && !s.ends_with(' ')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.chars().any(|c| c.is_control())
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_status_like_kubectl() {
        let v = json!({"parents": [{"parentRef": {"name": "gw"}, "conditions": [
            {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "Route is accepted"},
            {"type": "ResolvedRefs", "status": "False", "reason": "BackendNotFound", "message": "Service default/x: not found"}
        ]}], "attachedRoutes": 1, "empty": [], "on": "yes", "n": "1"});
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "parents:\n- parentRef:\n    name: gw\n  conditions:\n  - type: Accepted\n    status: \"True\"\n    reason: Accepted\n    message: Route is accepted\n  - type: ResolvedRefs\n    status: \"False\"\n    reason: BackendNotFound\n    message: \"Service default/x: not found\"\nattachedRoutes: 1\nempty: []\n\"on\": \"yes\"\n\"n\": \"1\"\n"
        );
    }

    #[test]
    fn scalars_and_empties() {
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!("x")), "x\n");
        assert_eq!(
            to_yaml(&json!([[1, 2], "- a"])),
            "-\n  - 1\n  - 2\n- \"- a\"\n"
        );
    }
}
