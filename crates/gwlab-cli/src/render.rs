//! Human rendering: diagnostics with a source excerpt and caret, condition chips.

use gwlab::Diagnostic;
use serde_json::Value;

/// `file:line:col: severity[code]: message`, then the source line with a caret under the span.
pub fn diagnostic(d: &Diagnostic, texts: &[&str]) -> String {
    let mut out = d.render();
    if let Some(obj) = &d.object {
        if d.location.is_none() {
            out.push_str(&format!(" ({obj})"));
        }
    }
    let Some(l) = &d.location else { return out };
    let Some(text) = texts.get(l.file) else {
        return out;
    };
    let Some(line) = text.lines().nth(l.line.saturating_sub(1)) else {
        return out;
    };
    let line = line.trim_end_matches('\r');
    let num = l.line.to_string();
    let pad = " ".repeat(num.len());
    let col = l.column.max(1);
    let width = if l.end_line == l.line && l.end_column > l.column {
        l.end_column - l.column
    } else {
        1
    };
    let width = width.min(line.chars().count().saturating_sub(col - 1).max(1));
    // Keep tabs so the caret lines up with the excerpt.
    let lead: String = line
        .chars()
        .take(col - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    out.push_str(&format!(
        "\n{pad} |\n{num} | {line}\n{pad} | {lead}{}",
        "^".repeat(width)
    ));
    out
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
