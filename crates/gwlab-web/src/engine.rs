//! The one place the web app talks to the core: runs the analysis and turns its serialized
//! results into what the panels show. No routing logic lives here.
use crate::core_api as core;
use serde_json::Value;

/// The name of the single editor buffer, as diagnostics report it.
pub const FILE_NAME: &str = "manifests.yaml";

#[derive(Clone, Debug, PartialEq)]
pub struct Diag {
    pub code: String,
    pub severity: String,
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// UTF-16 offsets into the editor document (what CodeMirror counts in), when the problem has a place.
    pub range: Option<(usize, usize)>,
    pub object: Option<String>,
    pub learn: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cond {
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    /// Which parent / listener the condition belongs to, when the status has several.
    pub scope: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatusView {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub status: Value,
    pub conditions: Vec<Cond>,
}

impl StatusView {
    pub fn id(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

pub struct Computed {
    pub analysis: core::Analysis,
    pub diags: Vec<Diag>,
    pub statuses: Vec<StatusView>,
    pub table: Vec<Value>,
    pub graph: Value,
    pub ms: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Ok(Value),
    BadRequest(String),
}

impl Outcome {
    /// What the what-if comparison looks at: everything but the trace.
    pub fn fingerprint(&self) -> String {
        match self {
            Outcome::Ok(v) => {
                let mut v = v.clone();
                if let Some(m) = v.as_object_mut() {
                    m.remove("trace");
                }
                v.to_string()
            }
            Outcome::BadRequest(e) => format!("error: {e}"),
        }
    }
}

pub fn compute(text: &str, now: impl Fn() -> f64) -> Computed {
    let t0 = now();
    let inputs = [core::Input { name: FILE_NAME.to_string(), text: text.to_string() }];
    let analysis = core::analyze(&inputs, &core::Options::default());
    let json = serde_json::to_value(&analysis).unwrap_or(Value::Null);
    let table: Vec<Value> = analysis
        .routing_table()
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect();
    let map = Utf16Map::new(text);
    let diags = json["diagnostics"].as_array().map(|a| a.iter().map(|d| diag(d, &map)).collect()).unwrap_or_default();
    let statuses = json["statuses"].as_array().map(|a| a.iter().map(status).collect()).unwrap_or_default();
    let graph = json.get("graph").cloned().unwrap_or(Value::Null);
    Computed { analysis, diags, statuses, table, graph, ms: now() - t0 }
}

pub fn route(c: &Computed, line: &str) -> Outcome {
    match core::parse_request(line) {
        Ok(req) => Outcome::Ok(serde_json::to_value(c.analysis.route(&req)).unwrap_or(Value::Null)),
        Err(d) => Outcome::BadRequest(d.message),
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn diag(d: &Value, map: &Utf16Map) -> Diag {
    let loc = &d["location"];
    // Accept both a nested `location` and flat line/column fields.
    let pick = |k: &str| loc.get(k).or_else(|| d.get(k)).and_then(Value::as_u64).map(|n| n as usize);
    let range = loc
        .get("span")
        .and_then(|sp| Some((sp["start"].as_u64()? as usize, sp["end"].as_u64()? as usize)))
        .map(|(a, b)| (map.to_utf16(a), map.to_utf16(b)))
        .or_else(|| {
            let (l, c) = (pick("line")?, pick("column")?);
            let a = map.line_col(l, c);
            let b = match (pick("end_line"), pick("end_column")) {
                (Some(el), Some(ec)) => map.line_col(el, ec),
                _ => a,
            };
            Some((a, b))
        });
    Diag {
        code: s(&d["code"]),
        severity: s(&d["severity"]),
        message: s(&d["message"]),
        line: pick("line").unwrap_or(0),
        column: pick("column").unwrap_or(0),
        range,
        object: d.get("object").map(s).filter(|o| !o.is_empty()),
        learn: d.get("learn").map(s).unwrap_or_else(|| format!("docs/diagnostics.md#{}", s(&d["code"]))),
    }
}

fn status(v: &Value) -> StatusView {
    let status = v.get("status").cloned().unwrap_or(Value::Null);
    let mut conditions = Vec::new();
    collect_conditions(&status, "", &mut conditions);
    StatusView {
        kind: s(&v["kind"]),
        namespace: s(&v["namespace"]),
        name: s(&v["name"]),
        status,
        conditions,
    }
}

/// Finds every `conditions` list in a status (top level, per parent, per listener, per ancestor).
fn collect_conditions(v: &Value, scope: &str, out: &mut Vec<Cond>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(cs)) = m.get("conditions") {
                for c in cs {
                    out.push(Cond {
                        kind: s(&c["type"]),
                        status: s(&c["status"]),
                        reason: s(&c["reason"]),
                        message: s(&c["message"]),
                        scope: scope.to_string(),
                    });
                }
            }
            for (k, val) in m {
                if k == "conditions" {
                    continue;
                }
                if let Value::Array(items) = val {
                    for it in items {
                        let label = it
                            .get("name")
                            .or_else(|| it.get("parentRef").and_then(|p| p.get("name")))
                            .or_else(|| it.get("ancestorRef").and_then(|p| p.get("name")))
                            .map(s)
                            .unwrap_or_default();
                        let sc = match (scope.is_empty(), label.is_empty()) {
                            (_, true) => scope.to_string(),
                            (true, false) => format!("{}: {label}", singular(k)),
                            (false, false) => format!("{scope} › {}: {label}", singular(k)),
                        };
                        collect_conditions(it, &sc, out);
                    }
                }
            }
        }
        _ => {}
    }
}

fn singular(k: &str) -> &str {
    match k {
        "parents" => "parent",
        "listeners" => "listener",
        "ancestors" => "ancestor",
        other => other,
    }
}

/// Condition types where `False` is the healthy value.
pub fn negative_polarity(kind: &str) -> bool {
    matches!(kind, "Conflicted" | "OverlappingTLSConfig" | "Degraded" | "Detached")
}

/// Converts byte offsets and 1-based line/character columns of a text into UTF-16 offsets.
pub struct Utf16Map {
    /// (byte offset, utf16 offset) of every line start.
    lines: Vec<(usize, usize)>,
    text: String,
}

impl Utf16Map {
    pub fn new(text: &str) -> Self {
        let mut lines = vec![(0, 0)];
        let mut u = 0;
        for (i, ch) in text.char_indices() {
            u += ch.len_utf16();
            if ch == '\n' {
                lines.push((i + 1, u));
            }
        }
        Utf16Map { lines, text: text.to_string() }
    }

    pub fn to_utf16(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        let li = match self.lines.binary_search_by_key(&byte, |l| l.0) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let (b0, u0) = self.lines[li];
        let mut end = byte;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        u0 + self.text[b0..end].encode_utf16().count()
    }

    /// 1-based line and character column.
    pub fn line_col(&self, line: usize, col: usize) -> usize {
        let li = line.max(1).min(self.lines.len()) - 1;
        let (b0, u0) = self.lines[li];
        let rest = &self.text[b0..];
        let line_text = rest.split('\n').next().unwrap_or("");
        u0 + line_text.chars().take(col.max(1) - 1).map(char::len_utf16).sum::<usize>()
    }
}

/// Finds the YAML document that defines `kind`/`name` (and `namespace`, when given) and returns the byte range
/// of its `name:` value, so a click in the graph or the status panel can jump to the object.
pub fn find_object(text: &str, kind: &str, namespace: &str, name: &str) -> Option<(usize, usize)> {
    let mut doc_start = 0;
    let mut docs = Vec::new();
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push((doc_start, off));
            doc_start = off + line.len();
        }
        off += line.len();
    }
    docs.push((doc_start, text.len()));
    let mut fallback = None;
    for (a, b) in docs {
        let doc = &text[a..b];
        let mut kind_ok = false;
        let mut ns_found: Option<String> = None;
        let mut name_at = None;
        let mut in_meta = false;
        let mut off = a;
        for line in doc.split_inclusive('\n') {
            let t = line.trim_end();
            if let Some(k) = t.strip_prefix("kind:") {
                kind_ok |= unq(k) == kind;
            }
            if !t.starts_with(' ') && !t.is_empty() {
                in_meta = t.starts_with("metadata:");
            } else if in_meta {
                let tt = t.trim_start();
                let depth = t.len() - tt.len();
                if let Some(n) = tt.strip_prefix("name:") {
                    if unq(n) == name && name_at.is_none() && depth <= 2 {
                        let vstart = off + (line.len() - line.trim_start().len()) + 5;
                        let v = &text[vstart..off + t.len()];
                        let lead = v.len() - v.trim_start().len();
                        name_at = Some((vstart + lead, off + t.len()));
                    }
                } else if let Some(n) = tt.strip_prefix("namespace:") {
                    ns_found = Some(unq(n).to_string());
                }
            }
            off += line.len();
        }
        if kind_ok {
            if let Some(at) = name_at {
                match ns_found.as_deref() {
                    Some(ns) if ns == namespace || namespace.is_empty() => return Some(at),
                    None if namespace.is_empty() || namespace == "default" => return Some(at),
                    _ => fallback = fallback.or(Some(at)),
                }
            }
        }
    }
    fallback
}

fn unq(v: &str) -> &str {
    let v = v.split(" #").next().unwrap_or(v).trim();
    v.trim_matches(|c| c == '"' || c == '\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets() {
        let t = "a: ü\nb: 😀x\nc";
        let m = Utf16Map::new(t);
        assert_eq!(m.to_utf16(0), 0);
        assert_eq!(m.to_utf16(t.find('b').unwrap()), 5);
        assert_eq!(m.to_utf16(t.find('x').unwrap()), 10);
        assert_eq!(m.line_col(2, 4), 8);
        assert_eq!(m.line_col(2, 5), 10);
        assert_eq!(m.line_col(3, 1), 12);
        assert_eq!(m.line_col(99, 1), 12);
        assert_eq!(m.to_utf16(999), t.encode_utf16().count());
    }

    #[test]
    fn finds_objects_by_kind_namespace_and_name() {
        let t = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\nkind: HTTPRoute\nmetadata:\n  name: web\n  namespace: apps\nspec:\n  rules:\n  - name: web\n";
        let (a, b) = find_object(t, "HTTPRoute", "apps", "web").unwrap();
        assert_eq!(&t[a..b], "web");
        assert!(a > t.find("---").unwrap());
        let (a, _) = find_object(t, "Service", "default", "web").unwrap();
        assert!(a < t.find("---").unwrap());
        assert!(find_object(t, "Gateway", "", "web").is_none());
    }

    #[test]
    fn condition_scopes_name_parents_and_listeners() {
        let v = serde_json::json!({"kind": "Gateway", "namespace": "default", "name": "gw", "status": {
            "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}],
            "listeners": [{"name": "http", "conditions": [{"type": "Conflicted", "status": "False", "reason": "NoConflicts"}]}]}});
        let st = status(&v);
        assert_eq!(st.id(), "Gateway/default/gw");
        assert_eq!(st.conditions.len(), 2);
        assert_eq!(st.conditions[1].scope, "listener: http");
        assert!(negative_polarity(&st.conditions[1].kind));
    }
}
