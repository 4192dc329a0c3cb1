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
    /// What `kubectl apply` would print for an object the API server refuses (it then has no
    /// status: the cluster never stores it). Empty for stored objects.
    pub refused: Vec<String>,
    /// Fields the API server filled in from the CRD's defaults (`spec.rules[0].matches`).
    pub defaulted: Vec<String>,
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
    /// The core's analysis; `None` when the results came from the analysis worker (see `remote.rs`).
    pub analysis: Option<gwlab::Analysis>,
    /// Editor ranges of the objects and fields the results point at, when there is no local analysis.
    located: std::collections::HashMap<String, (usize, usize)>,
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

impl Computed {
    /// No results yet: what the page holds before its first analysis. Not `compute("")`, which would
    /// run the core (and have the browser compile its code) before the first paint.
    pub fn empty() -> Computed {
        Computed {
            analysis: None,
            located: Default::default(),
            diags: Vec::new(),
            statuses: Vec::new(),
            table: Vec::new(),
            graph: Default::default(),
            map: Utf16Map::new(""),
            ms: 0.0,
        }
    }
}

pub fn compute(text: &str, now: impl Fn() -> f64) -> Computed {
    let t0 = now();
    let inputs = [gwlab::Input::new(FILE_NAME, text)];
    let analysis = gwlab::analyze_with(
        &inputs,
        &gwlab::Options::default(),
        &crate::admit::load_options(),
    );
    let table = analysis.routing_table();
    let map = Utf16Map::new(text);
    let diags = analysis.diagnostics.iter().map(|d| diag(d, &map)).collect();
    let mut c = Computed {
        diags,
        statuses: Vec::new(),
        table,
        graph: Default::default(),
        map,
        analysis: Some(analysis),
        located: Default::default(),
        ms: 0.0,
    };
    c.statuses = c
        .analysis
        .as_ref()
        .map(|a| a.resolved.statuses.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|s| status(&c, s))
        .collect();
    c.statuses.extend(refused_views(&c));
    c.graph = crate::graph::build(&c);
    c.ms = now() - t0;
    c
}

impl Computed {
    /// The editor range of an object's field (JSON pointer), or of its name, or of the whole document.
    pub fn locate(&self, object: &str, pointer: Option<&str>) -> Option<(usize, usize)> {
        let Some(analysis) = &self.analysis else {
            return self.located.get(&located_key(object, pointer)).copied();
        };
        let obj = analysis.model.objects.iter().find(|o| o.id() == object)?;
        self.locate_obj(obj, pointer)
    }

    pub fn locate_index(&self, index: usize, pointer: Option<&str>) -> Option<(usize, usize)> {
        self.locate_obj(self.analysis.as_ref()?.model.objects.get(index)?, pointer)
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
    match (gwlab::parse_request(line), &c.analysis) {
        (Ok(req), Some(a)) => Outcome::Ok(Box::new(a.route(&req))),
        (Ok(_), None) => Outcome::BadRequest("the manifests are still being analyzed".into()),
        (Err(d), _) => Outcome::BadRequest(d.message),
    }
}

fn located_key(object: &str, pointer: Option<&str>) -> String {
    format!("{object}#{}", pointer.unwrap_or(""))
}

// ---- Results as JSON, between the analysis worker and the page ----
//
// The worker runs `compute` and the routing, and sends everything the panels show as one JSON
// document; the page rebuilds its view types from it without analysing anything itself.

fn ranges_json(r: Option<(usize, usize)>) -> Value {
    r.map(|(a, b)| serde_json::json!([a, b]))
        .unwrap_or(Value::Null)
}

fn outcome_json(o: &Outcome) -> Value {
    match o {
        Outcome::Ok(o) => {
            serde_json::json!({ "ok": serde_json::to_value(&**o).unwrap_or_default() })
        }
        Outcome::BadRequest(m) => serde_json::json!({ "bad": m }),
    }
}

/// What the worker sends back: the panels' data for `c`, and the outcomes of `requests` and `draft`.
pub fn results_json(c: &Computed, requests: &[String], draft: &str) -> String {
    let outcomes: Vec<Outcome> = requests.iter().map(|r| route(c, r)).collect();
    let draft = (!draft.trim().is_empty()).then(|| route(c, draft));
    // Every place a row or a trace step can jump to, resolved here where the spans are (objects
    // looked up by id once, not by a scan per row).
    let objects: std::collections::HashMap<String, &gwlab::model::Object> = c
        .analysis
        .iter()
        .flat_map(|a| a.model.objects.iter())
        .map(|o| (o.id(), o))
        .collect();
    let mut located = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut add = |object: &str, pointer: Option<&str>| {
        let key = located_key(object, pointer);
        if seen.contains(&key) {
            return;
        }
        if let Some((a, b)) = objects.get(object).and_then(|o| c.locate_obj(o, pointer)) {
            located.push(serde_json::json!([key.clone(), a, b]));
        }
        seen.insert(key);
    };
    for r in &c.table {
        add(&r.route, Some(&format!("/spec/rules/{}", r.rule)));
    }
    for o in outcomes.iter().chain(draft.iter()) {
        if let Outcome::Ok(o) = o {
            for t in &o.trace {
                if let Some(obj) = &t.object {
                    add(obj, t.pointer.as_deref());
                }
            }
        }
    }
    let diags: Vec<Value> = c.diags.iter().map(|d| serde_json::json!({
        "code": d.code, "severity": d.severity, "message": d.message, "line": d.line, "column": d.column,
        "range": ranges_json(d.range), "object": d.object, "learn": d.learn,
    })).collect();
    let statuses: Vec<Value> = c.statuses.iter().map(|st| serde_json::json!({
        "kind": st.kind, "namespace": st.namespace, "name": st.name, "status": st.status, "range": ranges_json(st.range),
        "refused": st.refused, "defaulted": st.defaulted,
    })).collect();
    let nodes: Vec<Value> = c.graph.nodes.iter().map(|n| serde_json::json!({
        "id": n.id, "kind": n.kind, "label": n.label, "col": n.col, "bad": n.bad, "range": ranges_json(n.range),
    })).collect();
    let edges: Vec<Value> = c
        .graph
        .edges
        .iter()
        .map(|e| {
            serde_json::json!({
                "from": e.from, "to": e.to, "label": e.label, "rejected": e.rejected,
            })
        })
        .collect();
    serde_json::json!({
        "ms": c.ms,
        "diags": diags,
        "statuses": statuses,
        "table": serde_json::to_value(&c.table).unwrap_or_default(),
        "nodes": nodes,
        "edges": edges,
        "located": located,
        "outcomes": outcomes.iter().map(outcome_json).collect::<Vec<_>>(),
        "draft": draft.as_ref().map(outcome_json),
    })
    .to_string()
}

/// The page's side of `results_json`: the computed view (without an analysis), the request outcomes
/// and the draft's outcome.
pub fn from_results_json(json: &str) -> Option<(Computed, Vec<Outcome>, Option<Outcome>)> {
    let v: Value = serde_json::from_str(json).ok()?;
    let arr = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    let diags = arr("diags")
        .iter()
        .map(|d| Diag {
            code: js(d, "code"),
            severity: js(d, "severity"),
            message: js(d, "message"),
            line: ju(d, "line") as usize,
            column: ju(d, "column") as usize,
            range: jrange(d),
            object: jos(d, "object"),
            learn: js(d, "learn"),
        })
        .collect();
    let statuses = arr("statuses")
        .iter()
        .map(|st| {
            let status = st.get("status").cloned().unwrap_or_default();
            let mut conditions = Vec::new();
            collect_conditions(&status, "", &mut conditions);
            StatusView {
                kind: js(st, "kind"),
                namespace: js(st, "namespace"),
                name: js(st, "name"),
                status,
                conditions,
                range: jrange(st),
                refused: strings(st, "refused"),
                defaulted: strings(st, "defaulted"),
            }
        })
        .collect();
    let graph = crate::graph::Graph {
        nodes: arr("nodes")
            .iter()
            .map(|n| crate::graph::Node {
                id: js(n, "id"),
                kind: js(n, "kind"),
                label: js(n, "label"),
                col: ju(n, "col") as usize,
                bad: n.get("bad").and_then(Value::as_bool).unwrap_or(false),
                range: jrange(n),
            })
            .collect(),
        edges: arr("edges")
            .iter()
            .map(|e| crate::graph::Edge {
                from: js(e, "from"),
                to: js(e, "to"),
                label: js(e, "label"),
                rejected: jos(e, "rejected"),
            })
            .collect(),
    };
    let located = arr("located")
        .iter()
        .filter_map(|l| {
            Some((
                l.get(0)?.as_str()?.to_string(),
                (l.get(1)?.as_u64()? as usize, l.get(2)?.as_u64()? as usize),
            ))
        })
        .collect();
    let computed = Computed {
        analysis: None,
        located,
        diags,
        statuses,
        table: arr("table").iter().map(wire::table_row).collect(),
        graph,
        map: Utf16Map::new(""),
        ms: v.get("ms").and_then(Value::as_f64).unwrap_or(0.0),
    };
    let outcome = |o: &Value| match o.get("ok") {
        Some(ok) => Outcome::Ok(Box::new(wire::outcome(ok))),
        None => Outcome::BadRequest(js(o, "bad")),
    };
    let outcomes = arr("outcomes").iter().map(outcome).collect();
    let draft = v.get("draft").filter(|d| !d.is_null()).map(outcome);
    Some((computed, outcomes, draft))
}

fn js(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
fn jos(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}
fn ju(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}
fn jrange(v: &Value) -> Option<(usize, usize)> {
    let r = v.get("range")?;
    Some((r.get(0)?.as_u64()? as usize, r.get(1)?.as_u64()? as usize))
}

/// Reads the core's serialized routing types back (they serialize, but do not deserialize).
mod wire {
    use super::{jos, js, ju};
    use gwlab::route::{
        HeaderAction, HeaderOp, Redirect, RowAction, RowBackend, RowMatch, Share, ShareOutcome,
        TableRow, TraceStep,
    };
    use serde_json::Value;

    fn list<T>(v: &Value, k: &str, f: impl Fn(&Value) -> T) -> Vec<T> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(f).collect())
            .unwrap_or_default()
    }
    fn pair(v: &Value) -> (String, String) {
        let s = |i: usize| {
            v.get(i)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        (s(0), s(1))
    }
    fn triple(v: &Value) -> (String, String, String) {
        let s = |i: usize| {
            v.get(i)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        (s(0), s(1), s(2))
    }
    fn ou(v: &Value, k: &str) -> Option<u64> {
        v.get(k).and_then(Value::as_u64)
    }
    fn strings(v: &Value, k: &str) -> Vec<String> {
        list(v, k, |s| s.as_str().unwrap_or_default().to_string())
    }
    fn header_op(v: &Value) -> HeaderOp {
        let action = match v.get("action").and_then(Value::as_str) {
            Some("add") => HeaderAction::Add,
            Some("remove") => HeaderAction::Remove,
            _ => HeaderAction::Set,
        };
        HeaderOp {
            action,
            name: js(v, "name"),
            value: js(v, "value"),
        }
    }

    pub fn outcome(v: &Value) -> gwlab::Outcome {
        gwlab::Outcome {
            status: ju(v, "status") as u16,
            grpc_status: jos(v, "grpc_status"),
            redirect: v
                .get("redirect")
                .filter(|r| r.is_object())
                .map(|r| Redirect {
                    status: ju(r, "status") as u16,
                    location: js(r, "location"),
                }),
            shares: list(v, "shares", |s| Share {
                fraction: s.get("fraction").and_then(Value::as_f64).unwrap_or(0.0),
                weight: ju(s, "weight"),
                outcome: share_outcome(s.get("outcome").unwrap_or(&Value::Null)),
            }),
            response_headers: list(v, "response_headers", pair),
            removed_response_headers: strings(v, "removed_response_headers"),
            response_header_ops: list(v, "response_header_ops", header_op),
            mirrors: list(v, "mirrors", |m| {
                (
                    m.get(0)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    m.get(1).and_then(Value::as_f64).unwrap_or(0.0),
                )
            }),
            route: v
                .get("route")
                .and_then(|r| Some((r.get(0)?.as_str()?.into(), r.get(1)?.as_u64()? as usize))),
            match_index: ou(v, "match_index").map(|i| i as usize),
            listener: jos(v, "listener").map(Into::into),
            gateway: jos(v, "gateway").map(Into::into),
            vhost: jos(v, "vhost").map(Into::into),
            trace: list(v, "trace", |t| TraceStep {
                stage: js(t, "stage"),
                message: js(t, "message"),
                object: jos(t, "object"),
                pointer: jos(t, "pointer"),
            }),
        }
    }

    fn share_outcome(v: &Value) -> ShareOutcome {
        match v.get("type").and_then(Value::as_str) {
            Some("Backend") => ShareOutcome::Backend {
                namespace: js(v, "namespace").into(),
                name: js(v, "name").into(),
                port: ju(v, "port") as u32,
                path: js(v, "path").into(),
                host: js(v, "host").into(),
                headers: list(v, "headers", pair).into(),
                tls: v
                    .get("tls")
                    .filter(|t| t.is_object())
                    .map(|t| gwlab::resolve::BackendTls {
                        policy: js(t, "policy"),
                        sni: js(t, "sni"),
                        ca: js(t, "ca"),
                    }),
                response_header_ops: list(v, "response_header_ops", header_op),
                passthrough: v
                    .get("passthrough")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            },
            Some("Status") => ShareOutcome::Status {
                code: ju(v, "code") as u16,
            },
            _ => ShareOutcome::Rejected,
        }
    }

    pub fn table_row(v: &Value) -> TableRow {
        let o = v.get("outcome").unwrap_or(&Value::Null);
        let outcome = match o.get("type").and_then(Value::as_str) {
            Some("Redirect") => RowAction::Redirect {
                status: ju(o, "status") as u16,
                scheme: jos(o, "scheme"),
                hostname: jos(o, "hostname"),
                port: ou(o, "port").map(|p| p as u32),
                path: jos(o, "path"),
            },
            Some("Direct") => RowAction::Direct {
                status: ju(o, "status") as u16,
            },
            _ => RowAction::Backends {
                backends: list(o, "backends", |b| RowBackend {
                    namespace: js(b, "namespace"),
                    name: js(b, "name"),
                    port: ju(b, "port") as u32,
                    weight: ju(b, "weight"),
                }),
                invalid_weight: ju(o, "invalid_weight"),
                invalid_status: ju(o, "invalid_status") as u16,
            },
        };
        TableRow {
            gateway: js(v, "gateway"),
            listener: js(v, "listener"),
            port: ju(v, "port") as u32,
            protocol: js(v, "protocol"),
            hostname: js(v, "hostname"),
            matches: js(v, "matches"),
            detail: v.get("detail").filter(|d| d.is_object()).map(|d| RowMatch {
                path_type: js(d, "path_type"),
                path: js(d, "path"),
                headers: list(d, "headers", triple),
                query: list(d, "query", triple),
            }),
            route: js(v, "route"),
            rule: ju(v, "rule") as usize,
            match_index: ou(v, "match_index").map(|i| i as usize),
            action: js(v, "action"),
            outcome,
            shadowed: v.get("shadowed").and_then(Value::as_bool).unwrap_or(false),
            shadowed_by: ou(v, "shadowed_by").map(|i| i as usize),
            probe: jos(v, "probe"),
        }
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
        kind: st.kind.to_string(),
        namespace: st.namespace.to_string(),
        name: st.name.to_string(),
        status: st.status.value().clone(),
        conditions,
        range: c.locate_index(st.object, None),
        refused: Vec::new(),
        defaulted: c
            .analysis
            .as_ref()
            .and_then(|a| a.model.objects.get(st.object))
            .map(|o| {
                o.origin
                    .defaulted
                    .iter()
                    .map(|p| gwlab::admission::field_path(p))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The objects the API server refuses, each with what `kubectl apply` would print: they have no
/// status (the cluster never stores them), so the status view shows them as refused instead.
fn refused_views(c: &Computed) -> Vec<StatusView> {
    let Some(a) = &c.analysis else {
        return Vec::new();
    };
    a.model
        .refused
        .iter()
        .map(|r| {
            let id = r.id();
            let refused = a
                .diagnostics
                .iter()
                .filter(|d| d.code == "api-rejected" && d.object.as_deref() == Some(id.as_str()))
                .map(|d| d.message.clone())
                .collect();
            let range =
                (r.file == 0).then(|| (c.map.to_utf16(r.span.start), c.map.to_utf16(r.span.end)));
            StatusView {
                kind: r.kind.clone(),
                namespace: r.namespace.clone(),
                name: r.name.clone(),
                status: Value::Null,
                conditions: Vec::new(),
                range,
                refused,
                defaulted: Vec::new(),
            }
        })
        .collect()
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

    /// What the worker sends reads back into the very same view: every scenario, every request.
    #[test]
    fn results_round_trip_through_json() {
        for sc in crate::builtin::SCENARIOS {
            let c = compute(sc.manifests, || 0.0);
            let requests: Vec<String> = sc.requests.iter().map(|r| r.to_string()).collect();
            let draft = requests.first().cloned().unwrap_or_default();
            let (r, outcomes, draft_outcome) =
                from_results_json(&results_json(&c, &requests, &draft)).expect("parses");
            assert_eq!(r.diags, c.diags, "{}", sc.slug);
            assert_eq!(r.statuses, c.statuses, "{}", sc.slug);
            assert_eq!(r.table, c.table, "{}", sc.slug);
            assert_eq!(r.graph, c.graph, "{}", sc.slug);
            let want: Vec<Outcome> = requests.iter().map(|q| route(&c, q)).collect();
            assert_eq!(outcomes, want, "{}", sc.slug);
            assert_eq!(
                draft_outcome,
                (!draft.is_empty()).then(|| route(&c, &draft)),
                "{}",
                sc.slug
            );
            for row in &c.table {
                let ptr = format!("/spec/rules/{}", row.rule);
                assert_eq!(
                    r.locate(&row.route, Some(&ptr)),
                    c.locate(&row.route, Some(&ptr)),
                    "{}",
                    sc.slug
                );
            }
        }
    }

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
