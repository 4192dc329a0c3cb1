//! The compiled CRD tables gwlab ships (the same JSON the core evaluates), read as plain data so
//! that every constraint and CEL rule in them can be enumerated and broken.

use serde_json::{Map, Value};

/// One table: its kinds (`group/version/Kind` → root node, scope) and hash-consed schema nodes.
pub struct Table {
    pub kinds: Map<String, Value>,
    pub nodes: Vec<Value>,
}

impl Table {
    fn parse(text: &str) -> Table {
        let v: Value = serde_json::from_str(text).expect("the committed tables are valid JSON");
        Table {
            kinds: v["kinds"].as_object().cloned().unwrap_or_default(),
            nodes: v["nodes"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// Node `i` (an empty schema when out of range).
    pub fn node(&self, i: usize) -> &Value {
        static EMPTY: Value = Value::Null;
        self.nodes.get(i).unwrap_or(&EMPTY)
    }
}

/// Both tables: Gateway API (experimental channel) and Envoy Gateway.
pub fn tables() -> Vec<Table> {
    vec![
        Table::parse(include_str!(
            "../../gwlab/src/apiserver/tables/gateway-api.json"
        )),
        Table::parse(include_str!(
            "../../gwlab/src/apiserver/tables/envoy-gateway.json"
        )),
    ]
}

/// One served kind at one version.
#[derive(Clone, Debug)]
pub struct Served {
    pub table: usize,
    pub api_version: String,
    pub kind: String,
    /// `Kind.group`, the CRD the kind belongs to (the unit the report counts by).
    pub crd: String,
    pub root: usize,
    pub namespaced: bool,
}

/// Every served kind of every table, in table order.
pub fn served(tables: &[Table]) -> Vec<Served> {
    let mut out = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        for (key, spec) in &t.kinds {
            let mut parts = key.rsplitn(3, '/');
            let (Some(kind), Some(version), Some(group)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            out.push(Served {
                table: ti,
                api_version: format!("{group}/{version}"),
                kind: kind.to_string(),
                crd: format!("{kind}.{group}"),
                root: spec["root"].as_u64().unwrap_or(0) as usize,
                namespaced: spec["namespaced"].as_bool().unwrap_or(true),
            });
        }
    }
    out
}

/// One step from a node to a child: a property, a list item, or a map entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Prop(String),
    Item,
    Entry,
}

/// The children of node `i`, with the step that reaches each.
pub fn children(node: &Value) -> Vec<(Step, usize)> {
    let mut out = Vec::new();
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (name, c) in props {
            if let Some(c) = c.as_u64() {
                out.push((Step::Prop(name.clone()), c as usize));
            }
        }
    }
    if let Some(c) = node.get("items").and_then(Value::as_u64) {
        out.push((Step::Item, c as usize));
    }
    if let Some(c) = node.get("additionalProperties").and_then(Value::as_u64) {
        out.push((Step::Entry, c as usize));
    }
    out
}

/// The shortest path from `root` to every node reachable from it (`status` left out: the API
/// server drops it on create), each node once.
pub fn paths(table: &Table, root: usize) -> Vec<(usize, Vec<Step>)> {
    let mut seen = vec![false; table.nodes.len()];
    let mut out = Vec::new();
    let mut queue = std::collections::VecDeque::from([(root, Vec::new())]);
    while let Some((i, path)) = queue.pop_front() {
        if i >= seen.len() || seen[i] {
            continue;
        }
        seen[i] = true;
        for (step, c) in children(table.node(i)) {
            if path.is_empty()
                && matches!(&step, Step::Prop(p) if p == "status" || p == "metadata" || p == "apiVersion" || p == "kind")
            {
                continue;
            }
            let mut p = path.clone();
            p.push(step);
            queue.push_back((c, p));
        }
        out.push((i, path));
    }
    out
}

/// `spec.rules[0].name`, the API server's name for a path (list items and map entries at their
/// first position, as the generator places them).
pub fn field_path(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Prop(p) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(p);
            }
            Step::Item => out.push_str("[0]"),
            Step::Entry => out.push_str("[k]"),
        }
    }
    out
}
