//! One case per way of breaking each constraint of each CRD: the schema's constraints (type,
//! enum, pattern, lengths, bounds, item and property counts, required fields, list-set and
//! list-map uniqueness, format, combinators) get a value that violates them; a CEL rule gets a
//! set of variants of the value it guards (fields added and removed, enum values swapped, lists
//! duplicated) among which the oracle finds the ones that break it.

use crate::schema::{field_path, paths, Served, Step, Table};
use crate::synth::{string_fits, Synth};
use serde_json::{json, Map, Value};

/// How many variants of a child object a rule's variants try (each in the minimal and the full
/// parent), and of a list's item: enough to reach the rules of the CRDs, few enough that all
/// cases run in well under a minute.
const DEEP_VARIANTS: usize = 16;
const ITEM_VARIANTS: usize = 32;

/// What a target is: a schema constraint or a CEL rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Schema,
    Cel { message: String },
}

/// One constraint of one CRD that a case sets out to violate.
#[derive(Clone, Debug)]
pub struct Target {
    pub crd: String,
    /// Stable name: `node#label` (`214#maxLength`, `37#cel0`).
    pub id: String,
    /// Field path of the value the constraint applies to (`spec.rules[0]`).
    pub field: String,
    pub kind: TargetKind,
}

/// One object to validate.
#[derive(Clone, Debug)]
pub struct Case {
    /// Stable identifier, also the key of the known-failures list.
    pub id: String,
    pub served: Served,
    /// The whole object, `apiVersion` and `kind` included.
    pub object: Value,
    /// Indexes of the targets this case means to violate (empty for examples and scenarios).
    pub targets: Vec<usize>,
    /// Whether both validators must accept it (examples and scenarios).
    pub must_accept: bool,
}

/// The edit a mutation makes at its path.
enum Edit {
    Set(Value),
    Remove(String),
}

/// A kind's base object and the schema to edit it by.
pub struct Generator<'a> {
    pub table: &'a Table,
    pub synth: Synth<'a>,
}

/// The skeleton of an object of `served` around a body.
pub fn wrap(served: &Served, body: Value) -> Value {
    let mut m = match body {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    m.insert("apiVersion".into(), json!(served.api_version));
    m.insert("kind".into(), json!(served.kind));
    let mut meta = json!({"name": "obj"});
    if served.namespaced {
        meta["namespace"] = json!("default");
    }
    m.insert("metadata".into(), meta);
    let mut out = Map::new();
    for key in ["apiVersion", "kind", "metadata"] {
        if let Some(v) = m.remove(key) {
            out.insert(key.into(), v);
        }
    }
    out.extend(m);
    Value::Object(out)
}

impl<'a> Generator<'a> {
    pub fn new(table: &'a Table) -> Generator<'a> {
        Generator {
            table,
            synth: Synth { table },
        }
    }

    /// The cases breaking every constraint reachable from `served`'s root, skipping targets a
    /// previous version of the same CRD already covered (`seen` holds their ids).
    pub fn cases(
        &self,
        served: &Served,
        bases: &[Value],
        targets: &mut Vec<Target>,
        seen: &mut std::collections::HashSet<String>,
        out: &mut Vec<Case>,
    ) {
        let synthesized = wrap(served, self.synth.valid(served.root));
        for (node_index, path) in paths(self.table, served.root) {
            let node = self.table.node(node_index);
            let field = field_path(&path);
            let base = bases
                .iter()
                .find(|b| has_path(b, &path))
                .cloned()
                .unwrap_or_else(|| synthesized.clone());
            for (label, kind, edits) in self.violations(node_index, node, path.is_empty()) {
                let id = format!("{node_index}#{label}");
                let key = format!("{}/{id}", served.crd);
                if !seen.insert(key) {
                    continue;
                }
                targets.push(Target {
                    crd: served.crd.clone(),
                    id: id.clone(),
                    field: field.clone(),
                    kind,
                });
                let target = targets.len() - 1;
                for (n, edit) in edits.into_iter().enumerate() {
                    let mut object = base.clone();
                    if !self.edit(&mut object, served.root, &path, edit) {
                        continue;
                    }
                    out.push(Case {
                        id: format!("{}/{}/{field}/{label}/{n}", served.crd, served.api_version),
                        served: served.clone(),
                        object,
                        targets: vec![target],
                        must_accept: false,
                    });
                }
            }
        }
    }

    /// Every constraint of one node, each with the edits that should violate it.
    fn violations(
        &self,
        i: usize,
        node: &Value,
        at_root: bool,
    ) -> Vec<(String, TargetKind, Vec<Edit>)> {
        let mut out = Vec::new();
        let schema = |label: &str, edits: Vec<Edit>| (label.to_string(), TargetKind::Schema, edits);
        let ty = node.get("type").and_then(Value::as_str).unwrap_or("");
        if at_root {
            // The object itself is always an object.
        } else if flag(node, "x-kubernetes-int-or-string") {
            out.push(schema("type", vec![Edit::Set(json!(true))]));
        } else if !ty.is_empty() {
            let wrong = match ty {
                "string" => json!(12345),
                _ => json!("wrong-type"),
            };
            out.push(schema("type", vec![Edit::Set(wrong)]));
        }
        if node.get("enum").is_some() {
            let bad = if ty == "string" {
                json!("NotAnAllowedValue")
            } else {
                json!(987654)
            };
            out.push(schema("enum", vec![Edit::Set(bad)]));
        }
        if let Some(p) = node.get("pattern").and_then(Value::as_str) {
            let re = regex::Regex::new(p).ok();
            let bad = ["!!bad value!!", "", " ", "a", "A", "-", "1", "/", "\n"]
                .into_iter()
                .find(|s| re.as_ref().is_some_and(|r| !r.is_match(s)))
                .unwrap_or("!!bad value!!");
            out.push(schema("pattern", vec![Edit::Set(json!(bad))]));
        }
        if let Some(min) = u64_of(node, "minLength").filter(|m| *m > 0) {
            out.push(schema(
                "minLength",
                vec![Edit::Set(json!("a".repeat(min as usize - 1)))],
            ));
        }
        if let Some(max) = u64_of(node, "maxLength").filter(|m| *m < 100_000) {
            out.push(schema(
                "maxLength",
                vec![Edit::Set(json!("a".repeat(max as usize + 1)))],
            ));
        }
        if let Some(min) = node.get("minimum").and_then(Value::as_f64) {
            let v = if flag(node, "exclusiveMinimum") {
                min
            } else {
                min - 1.0
            };
            out.push(schema("minimum", vec![Edit::Set(number(ty, v))]));
        }
        if let Some(max) = node.get("maximum").and_then(Value::as_f64) {
            let v = if flag(node, "exclusiveMaximum") {
                max
            } else {
                max + 1.0
            };
            out.push(schema("maximum", vec![Edit::Set(number(ty, v))]));
        }
        if let Some(min) = u64_of(node, "minItems").filter(|m| *m > 0) {
            let items = self.synth.distinct_items(i, min as usize - 1, 0);
            out.push(schema("minItems", vec![Edit::Set(Value::Array(items))]));
        }
        if let Some(max) = u64_of(node, "maxItems").filter(|m| *m < 10_000) {
            let items = self.synth.distinct_items(i, max as usize + 1, 0);
            out.push(schema("maxItems", vec![Edit::Set(Value::Array(items))]));
        }
        if let Some(min) = u64_of(node, "minProperties").filter(|m| *m > 0) {
            let _ = min;
            out.push(schema("minProperties", vec![Edit::Set(json!({}))]));
        }
        if let Some(max) = u64_of(node, "maxProperties").filter(|m| *m < 10_000) {
            out.push(schema(
                "maxProperties",
                vec![Edit::Set(self.too_many_properties(i, max))],
            ));
        }
        for name in node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            // A required field with a default is filled in before validation: no create lacks it.
            .filter(|name| !self.property_has_default(node, name))
        {
            out.push(schema(
                &format!("required:{name}"),
                vec![Edit::Remove(name.to_string())],
            ));
        }
        if let Some(list_type) = node.get("x-kubernetes-list-type").and_then(Value::as_str) {
            if list_type == "map" || list_type == "set" {
                if let Some(item) = u64_of(node, "items") {
                    let v = self.synth.valid(item as usize);
                    out.push(schema(
                        &format!("list-{list_type}"),
                        vec![Edit::Set(json!([v.clone(), v]))],
                    ));
                }
            }
        }
        if let Some(format) = node.get("format").and_then(Value::as_str) {
            if ty == "string" && !gwlab::apiserver::formats::valid(format, "!!not-valid!!") {
                out.push(schema("format", vec![Edit::Set(json!("!!not-valid!!"))]));
            }
        }
        for key in ["oneOf", "anyOf", "allOf", "not"] {
            if node.get(key).is_some() {
                let mut edits = self.variants(i, &[]);
                edits.extend([json!(true), json!("!!bad value!!"), json!("1x")].map(Edit::Set));
                out.push(schema(key, edits));
            }
        }
        let rules = node
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (n, rule) in rules.iter().enumerate() {
            let text = rule.get("rule").and_then(Value::as_str).unwrap_or("");
            if text.contains("oldSelf") {
                continue; // transition rules do not apply to a create
            }
            let message = rule
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("failed rule: {text}"));
            out.push((
                format!("cel{n}"),
                TargetKind::Cel { message },
                self.combined(i, text)
                    .into_iter()
                    .chain(self.variants(i, &literals(text)))
                    .collect(),
            ));
        }
        out
    }

    /// The variants of an object that set every field the rule reads of it at once (see
    /// [`crate::reads`]): once with all of them, once without those tested against a list.
    fn combined(&self, i: usize, rule: &str) -> Vec<Edit> {
        let reads = crate::reads::reads(rule);
        let Value::Object(base) = self.synth.valid(i) else {
            return Vec::new();
        };
        if reads.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for skip_lists in [false, true] {
            let mut value = Value::Object(base.clone());
            for read in reads.iter().filter(|r| !(skip_lists && r.in_list)) {
                self.set_read(&mut value, i, read);
            }
            if !out.contains(&value) {
                out.push(value);
            }
        }
        out.into_iter().map(Edit::Set).collect()
    }

    /// Sets one read chain in `value` (of node `i`): missing objects on the way are synthesised,
    /// the leaf gets the compared literal when it fits, `true` for a flag, or a valid value.
    fn set_read(&self, value: &mut Value, i: usize, read: &crate::reads::Read) {
        let mut at = value;
        let mut node_index = i;
        for (n, name) in read.path.iter().enumerate() {
            let Some(child) = self
                .table
                .node(node_index)
                .get("properties")
                .and_then(|p| p.get(name))
                .and_then(Value::as_u64)
                .map(|c| c as usize)
            else {
                return;
            };
            let Value::Object(m) = at else {
                return;
            };
            let child_node = self.table.node(child);
            let leaf = n + 1 == read.path.len();
            if leaf {
                let fits = |v: &Value| match (v, child_node.get("type").and_then(Value::as_str)) {
                    (Value::String(s), Some("string")) => string_fits(child_node, s),
                    (Value::Bool(_), Some("boolean")) => true,
                    (Value::Number(_), Some("integer" | "number")) => true,
                    _ => false,
                };
                let chosen = match &read.equals {
                    Some(v) if fits(v) => v.clone(),
                    _ if child_node.get("type").and_then(Value::as_str) == Some("boolean") => {
                        json!(true)
                    }
                    _ => match m.get(name) {
                        Some(existing) => existing.clone(),
                        None => self.synth.valid(child),
                    },
                };
                m.insert(name.clone(), chosen);
                return;
            }
            at = m
                .entry(name.clone())
                .or_insert_with(|| self.synth.valid(child));
            node_index = child;
        }
    }

    /// Whether the property `name` of `node` has a CRD default.
    fn property_has_default(&self, node: &Value, name: &str) -> bool {
        node.get("properties")
            .and_then(|p| p.get(name))
            .and_then(Value::as_u64)
            .is_some_and(|c| self.table.node(c as usize).get("default").is_some())
    }

    fn too_many_properties(&self, i: usize, max: u64) -> Value {
        let node = self.table.node(i);
        let mut m = Map::new();
        if let Some(c) = u64_of(node, "additionalProperties") {
            let v = self.synth.valid(c as usize);
            for n in 0..=max {
                m.insert(format!("k{n}"), v.clone());
            }
        } else if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (name, c) in props.iter().take(max as usize + 1) {
                if let Some(c) = c.as_u64() {
                    m.insert(name.clone(), self.synth.valid(c as usize));
                }
            }
        }
        Value::Object(m)
    }

    /// Values around node `i` for rules the schema alone cannot break: the minimal value, every
    /// property added and removed, enum values swapped, empty strings, lists duplicated.
    fn variants(&self, i: usize, literals: &[String]) -> Vec<Edit> {
        self.variants_at(i, literals, 0)
    }

    fn variants_at(&self, i: usize, literals: &[String], depth: usize) -> Vec<Edit> {
        let node = self.table.node(i);
        let base = self.synth.valid(i);
        let mut out: Vec<Value> = vec![base.clone()];
        match &base {
            Value::Object(bm) => {
                let props: Vec<(String, usize)> = node
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, c)| c.as_u64().map(|c| (k.clone(), c as usize)))
                    .collect();
                let mut full = bm.clone();
                for (name, c) in &props {
                    full.entry(name.clone())
                        .or_insert_with(|| self.synth.valid(*c));
                }
                out.push(Value::Object(full.clone()));
                // One group per property, taken in turn, so that a capped prefix of the
                // variants (a list's items, a child's variants) reaches every property.
                let mut groups: Vec<Vec<Value>> = Vec::new();
                for (name, c) in &props {
                    let mut group = Vec::new();
                    let child = self.table.node(*c);
                    let mut plus = bm.clone();
                    plus.insert(name.clone(), self.synth.valid(*c));
                    group.push(Value::Object(plus));
                    let mut minus = full.clone();
                    minus.remove(name);
                    group.push(Value::Object(minus));
                    let mut alts = self.alternatives(*c, child, literals);
                    // One level further down: the child's own variants, in the minimal and the
                    // full parent.
                    if depth < 1
                        && matches!(
                            child.get("type").and_then(Value::as_str),
                            Some("object" | "array")
                        )
                    {
                        alts.extend(
                            self.variants_at(*c, literals, depth + 1)
                                .into_iter()
                                .filter_map(|e| match e {
                                    Edit::Set(v) => Some(v),
                                    Edit::Remove(_) => None,
                                })
                                .take(DEEP_VARIANTS),
                        );
                    }
                    for alt in alts {
                        let mut with = bm.clone();
                        with.insert(name.clone(), alt.clone());
                        group.push(Value::Object(with));
                        let mut with_full = full.clone();
                        with_full.insert(name.clone(), alt);
                        group.push(Value::Object(with_full));
                    }
                    groups.push(group);
                }
                let longest = groups.iter().map(Vec::len).max().unwrap_or(0);
                for k in 0..longest {
                    out.extend(groups.iter().filter_map(|g| g.get(k).cloned()));
                }
            }
            Value::Array(_) => {
                if let Some(item) = u64_of(node, "items").map(|c| c as usize) {
                    let item_variants: Vec<Value> = self
                        .variants_at(item, literals, depth)
                        .into_iter()
                        .filter_map(|e| match e {
                            Edit::Set(v) => Some(v),
                            Edit::Remove(_) => None,
                        })
                        .take(ITEM_VARIANTS)
                        .collect();
                    out.push(json!([]));
                    for v in &item_variants {
                        out.push(json!([v]));
                        out.push(json!([v, v]));
                    }
                    for pair in item_variants.windows(2) {
                        out.push(json!([pair[0], pair[1]]));
                    }
                    out.push(Value::Array(self.synth.distinct_items(i, 2, 0)));
                }
            }
            _ => out.extend(self.alternatives(i, node, literals)),
        }
        let mut unique: Vec<Value> = Vec::new();
        for v in out {
            if !unique.contains(&v) {
                unique.push(v);
            }
        }
        unique.into_iter().map(Edit::Set).collect()
    }

    /// Other values a scalar or list field may take that rules often single out.
    fn alternatives(&self, i: usize, node: &Value, literals: &[String]) -> Vec<Value> {
        if let Some(Value::Array(allowed)) = node.get("enum") {
            return allowed.clone();
        }
        match node.get("type").and_then(Value::as_str) {
            Some("string") => {
                let mut v: Vec<Value> = [
                    "",
                    "a",
                    "A",
                    "/a",
                    "a/",
                    "*",
                    "*.example.com",
                    "example.com",
                    "http://a",
                    "a..b",
                    "-a",
                    "1",
                    "0",
                    "::1",
                    "10.0.0.1",
                    "10.0.0.0/8",
                    "a b",
                    "/a/",
                    "1s",
                    "0s",
                    "1.5s",
                    "100",
                ]
                .into_iter()
                .filter(|s| string_fits(node, s))
                .map(|s| json!(s))
                .collect();
                v.push(json!("a".repeat(300)));
                // The rule's own string literals, alone and inside a path or name.
                for lit in literals {
                    for s in [
                        lit.clone(),
                        format!("/a{lit}a"),
                        format!("a{lit}"),
                        format!("{lit}a"),
                        lit.to_uppercase(),
                    ] {
                        v.push(json!(s));
                    }
                }
                v
            }
            Some("integer") | Some("number") => {
                vec![
                    json!(0),
                    json!(-1),
                    json!(2),
                    json!(65536),
                    json!(1_000_001),
                ]
            }
            Some("boolean") => vec![json!(true), json!(false)],
            Some("array") => vec![json!([]), Value::Array(self.synth.distinct_items(i, 2, 0))],
            _ => Vec::new(),
        }
    }

    /// Applies `edit` at `path` below the object's body, creating what is missing on the way
    /// with valid values. False when the path cannot be built (a scalar in the way).
    fn edit(&self, object: &mut Value, root: usize, path: &[Step], edit: Edit) -> bool {
        let mut node_index = root;
        let mut cur = object;
        for step in path {
            let node = self.table.node(node_index);
            let Some(next) = child_index(node, step) else {
                return false;
            };
            cur = match step {
                Step::Prop(name) => {
                    let Value::Object(m) = cur else { return false };
                    m.entry(name.clone())
                        .or_insert_with(|| self.synth.valid(next))
                }
                Step::Item => {
                    let Value::Array(items) = cur else {
                        return false;
                    };
                    if items.is_empty() {
                        items.push(self.synth.valid(next));
                    }
                    &mut items[0]
                }
                Step::Entry => {
                    let Value::Object(m) = cur else { return false };
                    if m.is_empty() {
                        m.insert("k".into(), self.synth.valid(next));
                    }
                    match m.values_mut().next() {
                        Some(v) => v,
                        None => return false,
                    }
                }
            };
            node_index = next;
        }
        match edit {
            // The object itself: its type and identity are not the schema's to break.
            Edit::Set(Value::Object(mut m)) if path.is_empty() => {
                for key in ["apiVersion", "kind", "metadata"] {
                    match cur.get(key) {
                        Some(v) => m.insert(key.to_string(), v.clone()),
                        None => m.remove(key),
                    };
                }
                *cur = Value::Object(m);
            }
            Edit::Set(_) if path.is_empty() => return false,
            Edit::Set(v) => *cur = v,
            Edit::Remove(name) => match cur {
                Value::Object(m) => {
                    if m.remove(&name).is_none() {
                        return true; // already absent: still a violation
                    }
                }
                _ => return false,
            },
        }
        true
    }
}

/// The string literals of a CEL rule (`'Replace'`, `"/./"`), which the values its guard singles
/// out are often made of. Raw strings (`r"..."`) are patterns, not values, and are left out.
fn literals(rule: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b: Vec<char> = rule.chars().collect();
    let mut k = 0;
    while k < b.len() {
        let c = b[k];
        let raw = k > 0 && (b[k - 1] == 'r' || b[k - 1] == 'R');
        if c == '\'' || c == '"' {
            let mut j = k + 1;
            let mut text = String::new();
            while j < b.len() && b[j] != c {
                if b[j] == '\\' && j + 1 < b.len() {
                    j += 1;
                }
                text.push(b[j]);
                j += 1;
            }
            if !raw && !text.is_empty() && !out.contains(&text) && text.len() < 64 {
                out.push(text);
            }
            k = j + 1;
        } else {
            k += 1;
        }
    }
    out
}

fn child_index(node: &Value, step: &Step) -> Option<usize> {
    let v = match step {
        Step::Prop(name) => node.get("properties")?.get(name)?,
        Step::Item => node.get("items")?,
        Step::Entry => node.get("additionalProperties")?,
    };
    v.as_u64().map(|c| c as usize)
}

/// Whether `object` already holds every step of `path` (first item of each list).
fn has_path(object: &Value, path: &[Step]) -> bool {
    let mut cur = object;
    for step in path {
        let next = match (step, cur) {
            (Step::Prop(name), Value::Object(m)) => m.get(name),
            (Step::Item, Value::Array(items)) => items.first(),
            (Step::Entry, Value::Object(m)) => m.values().next(),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    true
}

fn flag(node: &Value, key: &str) -> bool {
    node.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn u64_of(node: &Value, key: &str) -> Option<u64> {
    node.get(key).and_then(Value::as_u64)
}

fn number(ty: &str, v: f64) -> Value {
    if ty == "integer" || v.fract() == 0.0 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// Cases on `metadata.name`, once per served kind: the DNS-1123 subdomain rule the API server
/// applies to every custom resource's name.
pub fn name_cases(served: &Served, base: &Value, out: &mut Vec<Case>) {
    let bad = [
        ("leading-dashes", json!("--kubeconfig=x")),
        ("upper-case", json!("Gateway")),
        ("too-long", json!("a".repeat(254))),
        ("empty", json!("")),
        ("dot-start", json!(".a")),
    ];
    for (label, name) in bad {
        let mut object = base.clone();
        object["metadata"]["name"] = name;
        out.push(Case {
            id: format!(
                "{}/{}/metadata.name/{label}",
                served.crd, served.api_version
            ),
            served: served.clone(),
            object,
            targets: Vec::new(),
            must_accept: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_literals_leave_raw_patterns_out() {
        assert_eq!(
            literals(
                r#"self.type == 'Replace' && !self.value.contains("/./") && self.h.matches(r"^a$")"#
            ),
            ["Replace", "/./"]
        );
        assert!(literals("self.a == self.b").is_empty());
    }

    #[test]
    fn every_generated_case_of_a_kind_breaks_something() {
        let tables = crate::schema::tables();
        let served = crate::schema::served(&tables);
        let route = served
            .iter()
            .find(|s| s.kind == "HTTPRoute" && s.api_version.ends_with("/v1"))
            .expect("the tables serve HTTPRoute v1");
        let generator = Generator::new(&tables[route.table]);
        let (mut targets, mut seen, mut cases) = (Vec::new(), Default::default(), Vec::new());
        generator.cases(route, &[], &mut targets, &mut seen, &mut cases);
        assert!(targets.len() > 100, "{} targets", targets.len());
        // A schema violation is one gwlab refuses too (the oracle decides the rest).
        let maxlen = cases
            .iter()
            .find(|c| c.id.ends_with("spec.hostnames[0]/maxLength/0"))
            .expect("a hostname too long");
        assert!(!crate::compare::ours(maxlen).errors.is_empty());
    }
}
