//! A CRD's structural schema applied to one custom resource, in the API server's order: unknown
//! fields are pruned (reported as `kubectl apply` warns of them), non-nullable nulls dropped,
//! defaults filled in, and then every OpenAPI constraint checked. The schemas come from the tables
//! `gwlab-crdgen` compiles from the CRDs (see `tables/`), parsed once on first use.

use super::cel;
use super::{field_path_child, field_path_index, render, Refusal};
use crate::source::escape_token;
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// One compiled table: `kinds` maps `group/version/Kind` to `{root, namespaced}`; `nodes` are the
/// hash-consed schema nodes; patterns are compiled on first use, one slot per node.
pub(super) struct Table {
    kinds: Map<String, Value>,
    nodes: Vec<Value>,
    patterns: Vec<OnceLock<Option<Regex>>>,
    rules: Vec<OnceLock<Vec<cel::Rule>>>,
}

impl Table {
    fn parse(text: &str) -> Table {
        let v: Value = serde_json::from_str(text).unwrap_or_default();
        let kinds = v
            .get("kinds")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let nodes = match v.get("nodes") {
            Some(Value::Array(n)) => n.clone(),
            _ => Vec::new(),
        };
        let patterns = nodes.iter().map(|_| OnceLock::new()).collect();
        let rules = nodes.iter().map(|_| OnceLock::new()).collect();
        Table {
            kinds,
            nodes,
            patterns,
            rules,
        }
    }

    pub(super) fn node(&self, i: usize) -> &Value {
        static EMPTY: Value = Value::Null;
        self.nodes.get(i).unwrap_or(&EMPTY)
    }

    fn pattern(&self, i: usize) -> Option<&Regex> {
        let slot = self.patterns.get(i)?;
        slot.get_or_init(|| {
            self.node(i)
                .get("pattern")
                .and_then(Value::as_str)
                .and_then(|p| Regex::new(p).ok())
        })
        .as_ref()
    }

    /// The node's CEL rules, compiled on first use.
    pub(super) fn rules(&self, i: usize) -> &[cel::Rule] {
        match self.rules.get(i) {
            Some(slot) => slot.get_or_init(|| {
                self.node(i)
                    .get("x-kubernetes-validations")
                    .map(cel::compile)
                    .unwrap_or_default()
            }),
            None => &[],
        }
    }
}

/// Every table gwlab was built with.
pub(super) fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = vec![Table::parse(include_str!("tables/gateway-api.json"))];
        t.extend(envoy_gateway_table());
        t
    })
}

#[cfg(feature = "envoy-gateway-schemas")]
fn envoy_gateway_table() -> Option<Table> {
    Some(Table::parse(include_str!("tables/envoy-gateway.json")))
}

#[cfg(not(feature = "envoy-gateway-schemas"))]
fn envoy_gateway_table() -> Option<Table> {
    None
}

/// The schema of `group/version/Kind`: its table and root node.
pub(super) fn find(api_version: &str, kind: &str) -> Option<(&'static Table, usize)> {
    let key = format!("{api_version}/{kind}");
    tables().iter().find_map(|t| {
        t.kinds
            .get(&key)
            .and_then(|k| k.get("root"))
            .and_then(Value::as_u64)
            .map(|r| (t, r as usize))
    })
}

/// Whether any table serves `kind` in `group` (at whatever version).
pub(super) fn serves_group_kind(group: &str, kind: &str) -> Option<Vec<String>> {
    let mut versions = Vec::new();
    for t in tables() {
        for key in t.kinds.keys() {
            let mut parts = key.rsplitn(3, '/');
            let (Some(k), Some(v), Some(g)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            if k == kind && g == group {
                versions.push(v.to_string());
            }
        }
    }
    (!versions.is_empty()).then_some(versions)
}

/// What applying a schema did and found.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub refusals: Vec<Refusal>,
    /// Pointers of the fields pruned as unknown, with the API server's field path.
    pub pruned: Vec<(String, String)>,
    /// Pointers of the fields the API server filled in from a CRD default.
    pub defaulted: Vec<String>,
    /// CEL rules that applied but could not be evaluated: (pointer, rule, why).
    pub unevaluated: Vec<(String, String, String)>,
}

/// Where a value sits: its JSON pointer (for spans) and its field path (for messages).
#[derive(Clone)]
pub(super) struct At {
    pub ptr: String,
    pub field: String,
    /// The path as kube-openapi names it in schema errors: the same, except that a map entry is
    /// `.key` there where `field.Path` (CEL and list-type errors) writes `[key]`.
    pub openapi: String,
}

impl At {
    pub(super) fn root() -> At {
        At {
            ptr: String::new(),
            field: String::new(),
            openapi: String::new(),
        }
    }
    pub(super) fn child(&self, name: &str) -> At {
        At {
            ptr: format!("{}/{}", self.ptr, escape_token(name)),
            field: field_path_child(&self.field, name),
            openapi: field_path_child(&self.openapi, name),
        }
    }
    pub(super) fn index(&self, i: usize) -> At {
        At {
            ptr: format!("{}/{i}", self.ptr),
            field: field_path_index(&self.field, i),
            openapi: field_path_index(&self.openapi, i),
        }
    }
    /// A map entry (`additionalProperties`): the API server writes `field[key]`.
    fn key(&self, key: &str) -> At {
        At {
            ptr: format!("{}/{}", self.ptr, escape_token(key)),
            field: format!("{}[{key}]", self.field),
            openapi: field_path_child(&self.openapi, key),
        }
    }
    pub(super) fn refusal(&self, detail: String) -> Refusal {
        let field = if self.field.is_empty() {
            "<root>".to_string()
        } else {
            self.field.clone()
        };
        Refusal {
            ptr: self.ptr.clone(),
            field,
            detail,
        }
    }
    /// A refusal from the OpenAPI schema check, named as kube-openapi names the field.
    pub(super) fn schema_refusal(&self, detail: String) -> Refusal {
        let field = if self.openapi.is_empty() {
            "<root>".to_string()
        } else {
            self.openapi.clone()
        };
        Refusal {
            ptr: self.ptr.clone(),
            field,
            detail,
        }
    }
    /// The name kube-openapi uses in its own messages (`spec.port in body …`).
    fn name(&self) -> &str {
        if self.openapi.is_empty() {
            "."
        } else {
            &self.openapi
        }
    }
}

/// Prunes, defaults and validates the body of one custom resource (`metadata` is left alone: the
/// API server validates it by its own rules).
pub(super) fn apply(
    table: &Table,
    root: usize,
    obj: &mut Map<String, Value>,
    rules_blocked: bool,
) -> Applied {
    let mut applied = Applied::default();
    let mut body = Value::Object(std::mem::take(obj));
    let meta = body.as_object_mut().and_then(|m| m.remove("metadata"));
    normalize(table, root, &mut body, &At::root(), &mut applied);
    validate(table, root, &body, &At::root(), &mut applied.refusals);
    dedup(&mut applied.refusals);
    // As the API server: CEL rules run only when the schema found no blocking error, because a
    // rule may rely on the types and required fields the schema guarantees. (The API server then
    // adds that some rules were not checked; that line names no field, so it is not repeated here.)
    if !rules_blocked && !applied.refusals.iter().any(blocks_rules) {
        rules(table, root, &body, &At::root(), &mut applied);
    }
    if let Value::Object(mut m) = body {
        if let Some(meta) = meta {
            m.insert("metadata".into(), meta);
        }
        *obj = m;
    }
    applied
}

fn flag(node: &Value, key: &str) -> bool {
    node.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn index_of(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64).map(|i| i as usize)
}

/// Pruning, null dropping and defaulting, top-down.
fn normalize(table: &Table, i: usize, value: &mut Value, at: &At, applied: &mut Applied) {
    let node = table.node(i);
    match value {
        Value::Object(map) => {
            let props = node.get("properties").and_then(Value::as_object);
            let additional = index_of(node.get("additionalProperties"));
            let keep_unknown = flag(node, "x-kubernetes-preserve-unknown-fields")
                || node.get("additionalProperties") == Some(&Value::Bool(true));
            let embedded = flag(node, "x-kubernetes-embedded-resource");
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let schema = props.and_then(|p| index_of(p.get(&key))).or(additional);
                let known = schema.is_some()
                    || (embedded && matches!(key.as_str(), "apiVersion" | "kind" | "metadata"));
                if !known && !keep_unknown {
                    map.remove(&key);
                    let child = at.child(&key);
                    applied.pruned.push((child.ptr, child.field));
                } else if map.get(&key).is_some_and(Value::is_null)
                    && schema.is_some_and(|s| !flag(table.node(s), "nullable"))
                {
                    map.remove(&key);
                }
            }
            for (name, p) in props.into_iter().flatten() {
                let Some(p) = index_of(Some(p)) else { continue };
                if let (false, Some(d)) = (map.contains_key(name), table.node(p).get("default")) {
                    map.insert(name.clone(), d.clone());
                    applied.defaulted.push(at.child(name).ptr);
                }
            }
            for (key, v) in map.iter_mut() {
                if let Some(s) = props.and_then(|p| index_of(p.get(key))) {
                    normalize(table, s, v, &at.child(key), applied);
                } else if let Some(s) = additional {
                    normalize(table, s, v, &at.key(key), applied);
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = index_of(node.get("items")) {
                for (n, v) in items.iter_mut().enumerate() {
                    normalize(table, s, v, &at.index(n), applied);
                }
            }
        }
        _ => {}
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// kube-openapi prints numbers with Go's `%v`: integral floats without a fraction.
fn number_text(n: &Value) -> String {
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

/// Checks every OpenAPI constraint of node `i` on `v`; CEL rules are checked separately. As
/// kube-openapi, every check that applies to the value's kind runs (a wrong type does not stop the
/// enum or the combinators); identical errors are reported once (see [`dedup`]).
pub(super) fn validate(table: &Table, i: usize, v: &Value, at: &At, out: &mut Vec<Refusal>) {
    validate_counted(table, i, v, at, out);
}

/// [`validate`], returning how many checks ran: kube-openapi's match count, by which `anyOf` and
/// `oneOf` choose the alternative whose errors they report (the one that got furthest).
fn validate_counted(table: &Table, i: usize, v: &Value, at: &At, out: &mut Vec<Refusal>) -> usize {
    let node = table.node(i);
    if v.is_null() && flag(node, "nullable") {
        return 1;
    }
    let mut matched = 2;
    if let Some(r) = type_check(node, v, at) {
        out.push(r);
    }
    matched += combinators(table, i, v, at, out);
    match v {
        Value::String(s) => string(table, i, s, v, at, out),
        Value::Number(_) => number(node, v, at, out),
        Value::Array(items) => matched += array(table, i, items, at, out),
        Value::Object(map) => matched += object(table, i, map, at, out),
        _ => {}
    }
    if let Some(Value::Array(allowed)) = node.get("enum") {
        if !allowed.contains(v) {
            let list: Vec<String> = allowed
                .iter()
                .map(|a| {
                    format!(
                        "{:?}",
                        a.as_str().map_or_else(|| a.to_string(), str::to_string)
                    )
                })
                .collect();
            out.push(at.schema_refusal(format!(
                "Unsupported value: {}: supported values: {}",
                render_bad(v),
                list.join(", ")
            )));
        }
    }
    matched
}

/// kube-openapi's type check. The types are the node's `type` (`integer,string` for an
/// int-or-string field); a `format` also constrains a value that is not a string or a list: an
/// integer carries the format `int64` and a fraction `float64`, and a value whose type and format
/// both differ from the schema's is refused with the format named. A string or list under a
/// non-numeric formatted schema is left to the format check.
fn type_check(node: &Value, v: &Value, at: &At) -> Option<Refusal> {
    let types: Vec<&str> = if flag(node, "x-kubernetes-int-or-string") {
        vec!["integer", "string"]
    } else {
        node.get("type")
            .and_then(Value::as_str)
            .into_iter()
            .collect()
    };
    let format = node.get("format").and_then(Value::as_str).unwrap_or("");
    if v.is_null() || (types.is_empty() && format.is_empty()) {
        return None;
    }
    let actual = type_name(v);
    let actual_format = match actual {
        "integer" => "int64",
        "number" => "float64",
        _ => "",
    };
    let numeric = types.contains(&"integer") || types.contains(&"number");
    let float_int = actual == "number" && is_integer(v) && types.contains(&"integer");
    let int_float = actual == "integer" && types.contains(&"number");
    let compatible = types.contains(&actual) || float_int || int_float;
    let scalar = !(v.is_string() || v.is_array());
    if scalar && !format.is_empty() && !(compatible || actual_format == format) {
        return Some(type_refusal(format, actual_format, at));
    }
    if !format.is_empty() && !numeric && !scalar {
        return None;
    }
    (!types.is_empty() && !compatible).then(|| type_refusal(&types.join(","), actual, at))
}

/// `Invalid value: "<actual>": <field> in body must be of type <want>: "<actual>"`.
fn type_refusal(want: &str, actual: &str, at: &At) -> Refusal {
    let msg = format!("{} in body must be of type {want}: {actual:?}", at.name());
    at.schema_refusal(format!(
        "Invalid value: {}: {msg}",
        render(&Value::String(actual.into()))
    ))
}

/// Drops repeated refusals, keeping the first: kube-openapi keeps each error text once, however
/// many schemas (the members of an `allOf`, say) report it.
pub(super) fn dedup(refusals: &mut Vec<Refusal>) {
    let mut seen = std::collections::HashSet::new();
    refusals.retain(|r| seen.insert((r.field.clone(), r.detail.clone())));
}

/// The string checks, in kube-openapi's order: the first of maxLength, minLength and pattern that
/// fails is the only one reported; the format is a check of its own.
fn string(table: &Table, i: usize, s: &str, v: &Value, at: &At, out: &mut Vec<Refusal>) {
    let node = table.node(i);
    let chars = s.chars().count() as u64;
    let too_long = node
        .get("maxLength")
        .and_then(Value::as_u64)
        .filter(|max| chars > *max);
    let too_short = node
        .get("minLength")
        .and_then(Value::as_u64)
        .filter(|min| chars < *min);
    if let Some(max) = too_long {
        let unit = if max == 1 { "byte" } else { "bytes" };
        out.push(at.schema_refusal(format!("Too long: may not be more than {max} {unit}")));
    } else if let Some(min) = too_short {
        out.push(at.schema_refusal(format!(
            "Invalid value: {}: {} in body should be at least {min} chars long",
            render(v),
            at.name()
        )));
    } else if let Some(re) = table.pattern(i) {
        if !re.is_match(s) {
            let p = node.get("pattern").and_then(Value::as_str).unwrap_or("");
            out.push(at.schema_refusal(format!(
                "Invalid value: {}: {} in body should match '{p}'",
                render(v),
                at.name()
            )));
        }
    }
    if let Some(format) = node.get("format").and_then(Value::as_str) {
        if !super::formats::valid(format, s) {
            out.push(at.schema_refusal(format!(
                "Invalid value: {}: {} in body must be of type {format}: {:?}",
                render(v),
                at.name(),
                s
            )));
        }
    }
}

fn number(node: &Value, v: &Value, at: &At, out: &mut Vec<Refusal>) {
    let x = v.as_f64().unwrap_or(0.0);
    // kube-openapi first checks that the value fits the integer format's range.
    if node.get("type").and_then(Value::as_str) == Some("integer") {
        let range = match node.get("format").and_then(Value::as_str) {
            Some("int32") => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
            Some("uint32") => Some((0.0, f64::from(u32::MAX))),
            _ => None,
        };
        if let (Some((lo, hi)), Some(format)) = (range, node.get("format").and_then(Value::as_str))
        {
            if x < lo || x > hi {
                out.push(Refusal {
                    ptr: at.ptr.clone(),
                    field: "<nil>".to_string(),
                    detail: format!(
                        "Invalid value: \"\": Checked value must be of type integer with format {format} in {}",
                        at.name()
                    ),
                });
            }
        }
    }
    let bound = |key: &str| node.get(key).filter(|b| b.is_number());
    let exclusive = |key: &str| flag(node, key);
    if let Some(min) = bound("minimum") {
        let m = min.as_f64().unwrap_or(f64::MIN);
        let (bad, words) = if exclusive("exclusiveMinimum") {
            (x <= m, "greater than")
        } else {
            (x < m, "greater than or equal to")
        };
        if bad {
            out.push(at.schema_refusal(format!(
                "Invalid value: {}: {} in body should be {words} {}",
                render(v),
                at.name(),
                number_text(min)
            )));
        }
    }
    if let Some(max) = bound("maximum") {
        let m = max.as_f64().unwrap_or(f64::MAX);
        let (bad, words) = if exclusive("exclusiveMaximum") {
            (x >= m, "less than")
        } else {
            (x > m, "less than or equal to")
        };
        if bad {
            out.push(at.schema_refusal(format!(
                "Invalid value: {}: {} in body should be {words} {}",
                render(v),
                at.name(),
                number_text(max)
            )));
        }
    }
}

fn array(table: &Table, i: usize, items: &[Value], at: &At, out: &mut Vec<Refusal>) -> usize {
    let mut matched = 0;
    let node = table.node(i);
    let n = items.len() as u64;
    if let Some(max) = node.get("maxItems").and_then(Value::as_u64) {
        if n > max {
            let unit = if max == 1 { "item" } else { "items" };
            out.push(at.schema_refusal(format!("Too many: {n}: must have at most {max} {unit}")));
        }
    }
    if let Some(min) = node.get("minItems").and_then(Value::as_u64) {
        if n < min {
            out.push(at.schema_refusal(format!(
                "Invalid value: {}: {} in body should have at least {min} items",
                n,
                at.name()
            )));
        }
    }
    if let Some(s) = index_of(node.get("items")) {
        for (k, item) in items.iter().enumerate() {
            matched += validate_counted(table, s, item, &at.index(k), out);
        }
    }
    match node.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => duplicates(items.iter().cloned(), at, out),
        Some("map") if items.iter().any(|x| !x.is_null() && !x.is_object()) => {
            // The first item that is not an object is the list-type check's only error.
            if let Some((k, bad)) = items
                .iter()
                .enumerate()
                .find(|(_, x)| !x.is_null() && !x.is_object())
            {
                out.push(at.index(k).refusal(format!(
                    "Invalid value: {}: must be an object for an array of list-type map",
                    render_bad(bad)
                )));
            }
        }
        Some("map") => {
            let keys: Vec<&str> = node
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let key_of = |item: &Value| -> Value {
                let mut k = Map::new();
                for name in &keys {
                    if let Some(x) = item.get(*name) {
                        k.insert((*name).to_string(), x.clone());
                    }
                }
                Value::Object(k)
            };
            duplicates(items.iter().map(key_of), at, out);
        }
        _ => {}
    }
    matched
}

/// `Duplicate value` at the second item with a value (or list-map key) seen before; a third
/// and later copy is not reported again, as the API server's list-type check does.
fn duplicates(values: impl Iterator<Item = Value>, at: &At, out: &mut Vec<Refusal>) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (k, v) in values.enumerate() {
        let times = seen.entry(v.to_string()).or_insert(0);
        *times += 1;
        if *times == 2 {
            out.push(
                at.index(k)
                    .refusal(format!("Duplicate value: {}", render_bad(&v))),
            );
        }
    }
}

/// A bad value as `field.Error` prints it: scalars plainly, maps and lists as JSON.
fn render_bad(v: &Value) -> String {
    match v {
        Value::Array(_) | Value::Object(_) => v.to_string(),
        _ => render(v),
    }
}

fn object(
    table: &Table,
    i: usize,
    map: &Map<String, Value>,
    at: &At,
    out: &mut Vec<Refusal>,
) -> usize {
    let mut matched = 0;
    let node = table.node(i);
    for name in node
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !map.contains_key(name) {
            out.push(at.child(name).schema_refusal("Required value".to_string()));
        }
    }
    let n = map.len() as u64;
    if let Some(max) = node.get("maxProperties").and_then(Value::as_u64) {
        if n > max {
            let unit = if max == 1 { "item" } else { "items" };
            out.push(at.schema_refusal(format!("Too many: {n}: must have at most {max} {unit}")));
        }
    }
    if let Some(min) = node.get("minProperties").and_then(Value::as_u64) {
        if n < min {
            out.push(at.schema_refusal(format!(
                "Invalid value: {}: {} in body should have at least {min} properties",
                n,
                at.name()
            )));
        }
    }
    let props = node.get("properties").and_then(Value::as_object);
    let additional = index_of(node.get("additionalProperties"));
    for (key, v) in map {
        if let Some(s) = props.and_then(|p| index_of(p.get(key))) {
            matched += validate_counted(table, s, v, &at.child(key), out);
        } else if let Some(s) = additional {
            matched += validate_counted(table, s, v, &at.key(key), out);
        }
    }
    matched
}

/// `allOf`, `anyOf`, `oneOf` and `not`: value-only subschemas (no pruning or defaults inside),
/// as kube-openapi combines them. `allOf` reports every member's errors; `anyOf`, and `oneOf`
/// when no member passes, report those of the member that got furthest (the first on a tie).
/// The combinator's own error names no field: the API server prints it at `<nil>` with the path
/// in the message. Returns the checks that ran, for an enclosing combinator's choice.
fn combinators(table: &Table, i: usize, v: &Value, at: &At, out: &mut Vec<Refusal>) -> usize {
    let node = table.node(i);
    let members = |key: &str| -> Vec<usize> {
        node.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| index_of(Some(x)))
            .collect()
    };
    let check = |s: usize| -> (Vec<Refusal>, usize) {
        let mut errs = Vec::new();
        let matched = validate_counted(table, s, v, at, &mut errs);
        (errs, matched)
    };
    // The alternative whose errors are reported: the highest match count, the first on a tie.
    let best = |results: Vec<(Vec<Refusal>, usize)>| -> Vec<Refusal> {
        let mut best: Option<(Vec<Refusal>, usize)> = None;
        for r in results {
            if best.as_ref().is_none_or(|b| r.1 > b.1) {
                best = Some(r);
            }
        }
        best.map(|b| b.0).unwrap_or_default()
    };
    let combined = |words: &str| Refusal {
        ptr: at.ptr.clone(),
        field: "<nil>".to_string(),
        detail: format!("Invalid value: \"\": {:?} {words}", at.name()),
    };
    let mut matched = 0;
    let any = members("anyOf");
    if !any.is_empty() {
        let results: Vec<(Vec<Refusal>, usize)> = any.iter().map(|&s| check(s)).collect();
        matched += results.iter().map(|r| r.1).sum::<usize>();
        if results.iter().all(|r| !r.0.is_empty()) {
            out.push(combined("must validate at least one schema (anyOf)"));
            out.extend(best(results));
        }
    }
    let one = members("oneOf");
    if !one.is_empty() {
        let results: Vec<(Vec<Refusal>, usize)> = one.iter().map(|&s| check(s)).collect();
        matched += results.iter().map(|r| r.1).sum::<usize>();
        let passing = results.iter().filter(|r| r.0.is_empty()).count();
        if passing == 0 {
            out.push(combined(
                "must validate one and only one schema (oneOf). Found none valid",
            ));
            out.extend(best(results));
        } else if passing > 1 {
            out.push(combined(&format!(
                "must validate one and only one schema (oneOf). Found {passing} valid alternatives"
            )));
        }
    }
    let all = members("allOf");
    if !all.is_empty() {
        let mut passing = 0;
        for &s in &all {
            let (errs, m) = check(s);
            matched += m;
            passing += usize::from(errs.is_empty());
            out.extend(errs);
        }
        if passing != all.len() {
            let none = if passing == 0 { ". None validated" } else { "" };
            out.push(combined(&format!(
                "must validate all the schemas (allOf){none}"
            )));
        }
    }
    if let Some(s) = index_of(node.get("not")) {
        if check(s).0.is_empty() {
            out.push(combined("must not validate the schema (not)"));
        }
    }
    matched
}

/// The schema errors that keep the API server from running CEL rules: an unsupported enum value,
/// a missing required field, a string or list too long, a wrong type or format.
pub(super) fn blocks_rules(r: &Refusal) -> bool {
    let d = r.detail.as_str();
    [
        "Unsupported value",
        "Required value",
        "Too long",
        "Too many",
    ]
    .iter()
    .any(|p| d.starts_with(p))
        || d.contains(" in body must be of type ")
}

/// Evaluates the CEL rules of node `i` and of every node below it on `v`.
fn rules(table: &Table, i: usize, v: &Value, at: &At, applied: &mut Applied) {
    if v.is_null() {
        return;
    }
    let node = table.node(i);
    for rule in table.rules(i) {
        match cel::check(rule, v) {
            cel::Verdict::Holds => {}
            cel::Verdict::Fails => applied.refusals.push(rule_refusal(rule, node, v, at)),
            cel::Verdict::Error(err) => applied.refusals.push(rule_error(rule, node, &err, at)),
            cel::Verdict::NotEvaluated(why) => {
                if !rule.transition {
                    applied
                        .unevaluated
                        .push((at.ptr.clone(), rule.source.clone(), why));
                }
            }
        }
    }
    match v {
        Value::Object(map) => {
            let props = node.get("properties").and_then(Value::as_object);
            let additional = index_of(node.get("additionalProperties"));
            for (key, x) in map {
                if let Some(s) = props.and_then(|p| index_of(p.get(key))) {
                    rules(table, s, x, &at.child(key), applied);
                } else if let Some(s) = additional {
                    rules(table, s, x, &at.key(key), applied);
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = index_of(node.get("items")) {
                for (k, x) in items.iter().enumerate() {
                    rules(table, s, x, &at.index(k), applied);
                }
            }
        }
        _ => {}
    }
}

/// The refusal a rule gives when evaluating it raised a CEL runtime error: at the node, quoting
/// the node's schema type and naming the rule by its message (or its text).
fn rule_error(rule: &cel::Rule, node: &Value, err: &str, at: &At) -> Refusal {
    let ty = node.get("type").and_then(Value::as_str).unwrap_or("");
    let named = if rule.message.starts_with("failed rule: ") {
        rule.source.trim()
    } else {
        rule.message.as_str()
    };
    at.refusal(format!(
        "Invalid value: {}: {err} evaluating rule: {named}",
        render(&Value::String(ty.to_string()))
    ))
}

/// The refusal a failed rule gives: at the node (or its `fieldPath`), worded by its `reason`. An
/// object or list is not quoted back, as the API server omits it.
fn rule_refusal(rule: &cel::Rule, node: &Value, v: &Value, at: &At) -> Refusal {
    let mut place = at.clone();
    for name in rule
        .field_path
        .as_deref()
        .unwrap_or("")
        .split('.')
        .filter(|n| !n.is_empty())
    {
        place = place.child(name);
    }
    let composite = matches!(
        node.get("type").and_then(Value::as_str),
        Some("object" | "array")
    ) || v.is_object()
        || v.is_array();
    let shown = if composite {
        String::new()
    } else {
        format!("{}: ", render(v))
    };
    let detail = match rule.reason.as_deref() {
        Some("FieldValueForbidden") => format!("Forbidden: {}", rule.message),
        Some("FieldValueRequired") => format!("Required value: {}", rule.message),
        Some("FieldValueDuplicate") if composite => "Duplicate value".to_string(),
        Some("FieldValueDuplicate") => format!("Duplicate value: {}", render(v)),
        _ => format!("Invalid value: {shown}{}", rule.message),
    };
    place.refusal(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(nodes: Value) -> Table {
        Table::parse(&json!({"kinds": {}, "nodes": nodes}).to_string())
    }

    /// Applies node `root` of `nodes` to `obj`; returns the refusals as `field: detail` and the
    /// object as the API server would store it.
    fn run(nodes: Value, root: usize, obj: Value) -> (Vec<String>, Value, Applied) {
        let t = table(nodes);
        let mut map = obj.as_object().cloned().unwrap();
        let applied = apply(&t, root, &mut map, false);
        let lines = applied
            .refusals
            .iter()
            .map(|r| format!("{}: {}", r.field, r.detail))
            .collect();
        (lines, Value::Object(map), applied)
    }

    fn refusals(nodes: Value, obj: Value) -> Vec<String> {
        let root = nodes.as_array().unwrap().len() - 1;
        run(nodes, root, obj).0
    }

    #[test]
    fn types() {
        let nodes = json!([{"type": "integer"}, {"type": "object", "properties": {"port": 0}}]);
        assert!(refusals(nodes.clone(), json!({"port": 80})).is_empty());
        assert_eq!(
            refusals(nodes.clone(), json!({"port": "80"})),
            ["port: Invalid value: \"string\": port in body must be of type integer: \"string\""]
        );
        assert_eq!(
            refusals(nodes, json!({"port": 1.5})),
            ["port: Invalid value: \"number\": port in body must be of type integer: \"number\""]
        );
    }

    #[test]
    fn strings() {
        let nodes = json!([
            {"type": "string", "enum": ["A", "B"]},
            {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^[a-z]+$"},
            {"type": "string", "format": "ipv4"},
            {"type": "object", "properties": {"e": 0, "s": 1, "ip": 2}}
        ]);
        assert!(refusals(
            nodes.clone(),
            json!({"e": "A", "s": "abc", "ip": "10.0.0.1"})
        )
        .is_empty());
        assert_eq!(
            refusals(
                nodes.clone(),
                json!({"e": "C", "s": "abcd", "ip": "10.0.0"})
            ),
            [
                "e: Unsupported value: \"C\": supported values: \"A\", \"B\"",
                "s: Too long: may not be more than 3 bytes",
                "ip: Invalid value: \"10.0.0\": ip in body must be of type ipv4: \"10.0.0\"",
            ]
        );
        // Of maxLength, minLength and pattern only the first failing one is reported.
        assert_eq!(
            refusals(nodes, json!({"s": ""})),
            ["s: Invalid value: \"\": s in body should be at least 1 chars long"]
        );
    }

    #[test]
    fn numbers() {
        let nodes = json!([
            {"type": "integer", "minimum": 1, "maximum": 65535},
            {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true},
            {"type": "object", "properties": {"p": 0, "x": 1}}
        ]);
        assert!(refusals(nodes.clone(), json!({"p": 1, "x": 5})).is_empty());
        assert_eq!(
            refusals(nodes.clone(), json!({"p": 0, "x": 0})),
            [
                "p: Invalid value: 0: p in body should be greater than or equal to 1",
                "x: Invalid value: 0: x in body should be greater than 0"
            ]
        );
        assert_eq!(
            refusals(nodes, json!({"p": 70000, "x": 10})),
            [
                "p: Invalid value: 70000: p in body should be less than or equal to 65535",
                "x: Invalid value: 10: x in body should be less than 10"
            ]
        );
    }

    #[test]
    fn lists_sets_and_list_maps() {
        let nodes = json!([
            {"type": "string"},
            {"type": "array", "items": 0, "maxItems": 2, "minItems": 1, "x-kubernetes-list-type": "set"},
            {"type": "object", "properties": {"name": 0, "port": 0}},
            {"type": "array", "items": 2, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
            {"type": "object", "properties": {"s": 1, "m": 3}}
        ]);
        assert!(refusals(
            nodes.clone(),
            json!({"s": ["a"], "m": [{"name": "a"}, {"name": "b"}]})
        )
        .is_empty());
        assert_eq!(
            refusals(
                nodes.clone(),
                json!({"s": ["a", "a", "b"], "m": [{"name": "a"}, {"name": "a", "port": "x"}]})
            ),
            [
                "s: Too many: 3: must have at most 2 items",
                "s[1]: Duplicate value: \"a\"",
                "m[1]: Duplicate value: {\"name\":\"a\"}",
            ]
        );
        assert_eq!(
            refusals(nodes, json!({"s": []})),
            ["s: Invalid value: 0: s in body should have at least 1 items"]
        );
    }

    #[test]
    fn objects_required_and_property_counts() {
        let nodes = json!([
            {"type": "string"},
            {"type": "object", "additionalProperties": 0, "maxProperties": 1, "minProperties": 1},
            {"type": "object", "required": ["name"], "properties": {"name": 0, "labels": 1}}
        ]);
        assert!(refusals(nodes.clone(), json!({"name": "a", "labels": {"k": "v"}})).is_empty());
        assert_eq!(
            refusals(nodes.clone(), json!({"labels": {"k": "v", "l": "w"}})),
            [
                "name: Required value",
                "labels: Too many: 2: must have at most 1 item"
            ]
        );
        assert_eq!(refusals(nodes.clone(), json!({"name": "a", "labels": {"k": 1}})), ["labels.k: Invalid value: \"integer\": labels.k in body must be of type string: \"integer\""]);
        assert_eq!(
            refusals(nodes, json!({"name": "a", "labels": {}})),
            ["labels: Invalid value: 0: labels in body should have at least 1 properties"]
        );
    }

    #[test]
    fn combinators() {
        let nodes = json!([
            {"type": "integer"},
            {"type": "string"},
            {"x-kubernetes-int-or-string": true, "anyOf": [0, 1]},
            {"type": "string", "format": "ipv4"},
            {"type": "string", "format": "ipv6"},
            {"type": "string", "oneOf": [3, 4]},
            {"type": "string", "not": 3},
            {"type": "object", "properties": {"p": 2, "ip": 5, "name": 6}}
        ]);
        assert!(refusals(nodes.clone(), json!({"p": 80, "ip": "::1", "name": "x"})).is_empty());
        assert!(refusals(nodes.clone(), json!({"p": "http"})).is_empty());
        // A combinator's own error names no field (`<nil>`); the errors of the alternative that
        // got furthest (the first on a tie) follow it.
        assert_eq!(
            refusals(nodes.clone(), json!({"p": true})),
            [
                "p: Invalid value: \"boolean\": p in body must be of type integer,string: \"boolean\"",
                "<nil>: Invalid value: \"\": \"p\" must validate at least one schema (anyOf)",
                "p: Invalid value: \"boolean\": p in body must be of type integer: \"boolean\""
            ]
        );
        assert_eq!(
            refusals(nodes.clone(), json!({"ip": "x"})),
            [
                "<nil>: Invalid value: \"\": \"ip\" must validate one and only one schema (oneOf). Found none valid",
                "ip: Invalid value: \"x\": ip in body must be of type ipv4: \"x\""
            ]
        );
        assert_eq!(
            refusals(nodes, json!({"name": "10.0.0.1"})),
            ["<nil>: Invalid value: \"\": \"name\" must not validate the schema (not)"]
        );
    }

    #[test]
    fn pruning_nulls_and_defaults() {
        let nodes = json!([
            {"type": "string"},
            {"type": "integer", "default": 1},
            {"type": "object", "properties": {"weight": 1, "name": 0}},
            {"type": "array", "items": 2},
            {"type": "boolean"},
            {"type": "object", "properties": {"mode": 0}, "x-kubernetes-preserve-unknown-fields": true},
            {"type": "object", "properties": {"refs": 3, "opt": 5, "tls": 8, "nul": 0}},
            {"type": "string", "default": "Terminate"},
            {"type": "object", "default": {}, "properties": {"mode": 7}},
        ]);
        let (r, obj, applied) = run(
            nodes,
            6,
            json!({"refs": [{"name": "a", "typo": 1}, {"weight": 5}], "opt": {"mode": "m", "extra": 1}, "nul": null, "stray": 1}),
        );
        assert!(r.is_empty(), "{r:?}");
        assert_eq!(
            obj,
            json!({"refs": [{"name": "a", "weight": 1}, {"weight": 5}], "opt": {"mode": "m", "extra": 1}, "tls": {"mode": "Terminate"}})
        );
        let pruned: Vec<&str> = applied.pruned.iter().map(|(_, f)| f.as_str()).collect();
        assert_eq!(pruned, ["stray", "refs[0].typo"]);
        assert_eq!(applied.defaulted, ["/tls", "/refs/0/weight", "/tls/mode"]);
    }

    #[test]
    fn cel_rules_run_after_the_schema_and_word_their_refusals() {
        let nodes = json!([
            {"type": "string", "x-kubernetes-validations": [{"rule": "self.startsWith('/')", "message": "must be absolute"}]},
            {"type": "string", "enum": ["A"]},
            {"type": "object", "properties": {"path": 0, "kind": 1, "a": 0, "b": 0},
             "x-kubernetes-validations": [
                {"rule": "!(has(self.a) && has(self.b))", "message": "a and b are exclusive"},
                {"rule": "has(self.path)", "reason": "FieldValueRequired", "fieldPath": ".path", "message": "path is required"},
                {"rule": "self == oldSelf", "message": "immutable"}
             ]}
        ]);
        assert!(refusals(nodes.clone(), json!({"path": "/x"})).is_empty());
        assert_eq!(
            refusals(nodes.clone(), json!({"path": "x", "a": "/", "b": "/"})),
            [
                "<root>: Invalid value: a and b are exclusive",
                "path: Invalid value: \"x\": must be absolute"
            ]
        );
        assert_eq!(
            refusals(nodes.clone(), json!({})),
            ["path: Required value: path is required"]
        );
        // A blocking schema error (here an enum) keeps the rules from running.
        assert_eq!(
            refusals(nodes, json!({"path": "x", "kind": "B"})),
            ["kind: Unsupported value: \"B\": supported values: \"A\""]
        );
    }
}

/// How many CEL rules a served kind's schema holds (counted per place in the schema, as the CRD
/// lists them) and how many of them parse, and how many patterns compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// `group/version/Kind`.
    pub kind: String,
    pub rules: usize,
    pub rules_parsed: usize,
    pub transition_rules: usize,
    pub patterns: usize,
    pub patterns_compiled: usize,
    /// The rules and patterns that did not parse or compile, with why.
    pub failures: Vec<String>,
}

/// The coverage of every served kind in the tables, in key order.
pub fn coverage() -> Vec<Coverage> {
    let mut out = Vec::new();
    for table in tables() {
        for (kind, entry) in &table.kinds {
            let Some(root) = index_of(entry.get("root")) else {
                continue;
            };
            let mut c = Coverage {
                kind: kind.clone(),
                rules: 0,
                rules_parsed: 0,
                transition_rules: 0,
                patterns: 0,
                patterns_compiled: 0,
                failures: Vec::new(),
            };
            count(table, root, &mut c, 0);
            out.push(c);
        }
    }
    out
}

fn count(table: &Table, i: usize, c: &mut Coverage, depth: usize) {
    // The tables are trees stored as a DAG; a cycle would be a generator bug, not a schema.
    if depth > 64 {
        c.failures
            .push(format!("schema nests deeper than 64 at node {i}"));
        return;
    }
    for rule in table.rules(i) {
        c.rules += 1;
        c.transition_rules += usize::from(rule.transition);
        match &rule.expr {
            Ok(_) => c.rules_parsed += 1,
            Err(e) => c.failures.push(format!("rule {:?}: {e}", rule.source)),
        }
    }
    let node = table.node(i);
    if let Some(p) = node.get("pattern").and_then(Value::as_str) {
        c.patterns += 1;
        match table.pattern(i) {
            Some(_) => c.patterns_compiled += 1,
            None => c.failures.push(format!("pattern {p:?} does not compile")),
        }
    }
    let mut children: Vec<usize> = node
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| index_of(Some(v)))
        .collect();
    children.extend(
        ["items", "additionalProperties", "not"]
            .iter()
            .filter_map(|k| index_of(node.get(*k))),
    );
    for k in ["allOf", "anyOf", "oneOf"] {
        children.extend(
            node.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| index_of(Some(v))),
        );
    }
    for child in children {
        count(table, child, c, depth + 1);
    }
}
