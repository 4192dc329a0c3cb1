//! The one place the web app talks to the core: runs the analysis and turns its results into what
//! the panels show. No routing logic lives here.
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
    /// Where the object's name is, in UTF-16 editor offsets.
    pub range: Option<(usize, usize)>,
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
    pub analysis: gwlab::Analysis,
    pub diags: Vec<Diag>,
    pub statuses: Vec<StatusView>,
    pub table: Vec<gwlab::TableRow>,
    pub graph: crate::graph::Graph,
    map: Utf16Map,
    pub ms: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Ok(Box<gwlab::Outcome>),
    BadRequest(String),
}

impl Outcome {
    /// Same answer, ignoring how it is explained: what the what-if comparison looks at.
    pub fn same_answer(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Ok(a), Outcome::Ok(b)) => {
                let mut a = (**a).clone();
                let mut b = (**b).clone();
                a.trace.clear();
                b.trace.clear();
                a == b
            }
            (a, b) => a == b,
        }
    }
}

pub fn compute(text: &str, now: impl Fn() -> f64) -> Computed {
    let t0 = now();
    let inputs = [gwlab::Input::new(FILE_NAME, text)];
    let analysis = gwlab::analyze(&inputs, &gwlab::Options::default());
    let table = analysis.routing_table();
    let map = Utf16Map::new(text);
    let diags = analysis.diagnostics.iter().map(|d| diag(d, &map)).collect();
    let mut c = Computed {
        diags,
        statuses: Vec::new(),
        table,
        graph: Default::default(),
        map,
        analysis,
        ms: 0.0,
    };
    c.statuses = c
        .analysis
        .resolved
        .statuses
        .iter()
        .map(|s| status(&c, s))
        .collect();
    c.graph = crate::graph::build(&c);
    c.ms = now() - t0;
    c
}

impl Computed {
    /// The editor range of an object's field (JSON pointer), or of its name, or of the whole document.
    pub fn locate(&self, object: &str, pointer: Option<&str>) -> Option<(usize, usize)> {
        let obj = self
            .analysis
            .model
            .objects
            .iter()
            .find(|o| o.id() == object)?;
        self.locate_obj(obj, pointer)
    }

    pub fn locate_index(&self, index: usize, pointer: Option<&str>) -> Option<(usize, usize)> {
        self.locate_obj(self.analysis.model.objects.get(index)?, pointer)
    }

    fn locate_obj(
        &self,
        obj: &gwlab::model::Object,
        pointer: Option<&str>,
    ) -> Option<(usize, usize)> {
        if obj.origin.file != 0 {
            return None;
        }
        let spans = &obj.origin.spans;
        let span = pointer
            .and_then(|p| spans.nearest(p))
            .or_else(|| spans.value("/metadata/name"))
            .unwrap_or(obj.origin.span);
        Some((self.map.to_utf16(span.start), self.map.to_utf16(span.end)))
    }
}

pub fn route(c: &Computed, line: &str) -> Outcome {
    match gwlab::parse_request(line) {
        Ok(req) => Outcome::Ok(Box::new(c.analysis.route(&req))),
        Err(d) => Outcome::BadRequest(d.message),
    }
}

fn diag(d: &gwlab::Diagnostic, map: &Utf16Map) -> Diag {
    let loc = d.location.as_ref();
    Diag {
        code: d.code.to_string(),
        severity: d.severity.as_str().to_string(),
        message: d.message.clone(),
        line: loc.map(|l| l.line).unwrap_or(0),
        column: loc.map(|l| l.column).unwrap_or(0),
        range: loc
            .filter(|l| l.file == 0)
            .map(|l| (map.to_utf16(l.span.start), map.to_utf16(l.span.end))),
        object: d.object.clone(),
        learn: d.learn.clone(),
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn status(c: &Computed, st: &gwlab::resolve::ObjectStatus) -> StatusView {
    let mut conditions = Vec::new();
    collect_conditions(&st.status, "", &mut conditions);
    StatusView {
        kind: st.kind.clone(),
        namespace: st.namespace.clone(),
        name: st.name.clone(),
        status: st.status.clone(),
        conditions,
        range: c.locate_index(st.object, None),
    }
}

/// Finds every `conditions` list in a status (top level, per parent, per listener, per ancestor).
fn collect_conditions(v: &Value, scope: &str, out: &mut Vec<Cond>) {
    if let Value::Object(m) = v {
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
    matches!(
        kind,
        "Conflicted" | "OverlappingTLSConfig" | "Degraded" | "Detached"
    )
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
        Utf16Map {
            lines,
            text: text.to_string(),
        }
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
        assert_eq!(m.to_utf16(999), t.encode_utf16().count());
    }

    #[test]
    fn condition_scopes_name_parents_and_listeners() {
        let v = serde_json::json!({"kind": "Gateway", "namespace": "default", "name": "gw", "status": {
            "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}],
            "listeners": [{"name": "http", "conditions": [{"type": "Conflicted", "status": "False", "reason": "NoConflicts"}]}]}});
        let mut conds = Vec::new();
        collect_conditions(&v["status"], "", &mut conds);
        assert_eq!(conds.len(), 2);
        assert_eq!(conds[1].scope, "listener: http");
        assert!(negative_polarity(&conds[1].kind));
    }
}
