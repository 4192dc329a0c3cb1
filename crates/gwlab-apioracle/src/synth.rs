//! Values a schema node accepts, built from the node alone: required properties filled in, strings
//! chosen from a list of common shapes to satisfy enum, pattern, length and format, numbers inside
//! their bounds, lists at their minimum length with distinct items. CEL rules are not solved here;
//! the generator tries variants around them instead (see `mutate`).

use crate::schema::Table;
use regex::Regex;
use serde_json::{json, Map, Value};

/// Deep enough for every CRD in the tables; deeper nodes are left empty.
const MAX_DEPTH: usize = 40;

/// Strings tried in order for a string node without an enum.
const STRING_SHAPES: &[&str] = &[
    "example",
    "example.com",
    "a",
    "/",
    "/a",
    "10s",
    "1s",
    "100ms",
    "1",
    "http",
    "https://example.com",
    "192.168.1.1",
    "10.0.0.0/8",
    "::1",
    "A",
    "Example",
    "a-b",
    "GET",
    "text/plain",
    "1Mi",
    "2026-01-01T00:00:00Z",
    "ZXhhbXBsZQ==",
    "foo=bar",
    "*.example.com",
    "x-header",
    "aa",
    "a:b",
];

pub struct Synth<'a> {
    pub table: &'a Table,
}

fn flag(node: &Value, key: &str) -> bool {
    node.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn u64_of(node: &Value, key: &str) -> Option<u64> {
    node.get(key).and_then(Value::as_u64)
}

/// Whether `s` fits the node's string constraints (a pattern the regex engine cannot compile is
/// treated as met).
pub fn string_fits(node: &Value, s: &str) -> bool {
    let len = s.chars().count() as u64;
    if u64_of(node, "minLength").is_some_and(|m| len < m)
        || u64_of(node, "maxLength").is_some_and(|m| len > m)
    {
        return false;
    }
    if let Some(p) = node.get("pattern").and_then(Value::as_str) {
        if let Ok(re) = Regex::new(p) {
            if !re.is_match(s) {
                return false;
            }
        }
    }
    match node.get("format").and_then(Value::as_str) {
        Some(f) => gwlab::apiserver::formats::valid(f, s),
        None => true,
    }
}

impl<'a> Synth<'a> {
    /// A value node `i` accepts (as far as its schema constraints go).
    pub fn valid(&self, i: usize) -> Value {
        self.valid_at(i, 0)
    }

    fn valid_at(&self, i: usize, depth: usize) -> Value {
        let node = self.table.node(i);
        // An enum of the node itself or of the first `allOf` member that states one.
        let members = node.get("allOf").and_then(Value::as_array);
        let enums = std::iter::once(node).chain(
            members
                .into_iter()
                .flatten()
                .filter_map(Value::as_u64)
                .map(|m| self.table.node(m as usize)),
        );
        for n in enums {
            if let Some(Value::Array(allowed)) = n.get("enum") {
                if let Some(first) = allowed.iter().find(|v| !v.is_null()) {
                    return first.clone();
                }
            }
        }
        if flag(node, "x-kubernetes-int-or-string") {
            return json!(1);
        }
        match node.get("type").and_then(Value::as_str) {
            Some("string") => Value::String(self.string(node)),
            Some("integer") => json!(self.integer(node)),
            Some("number") => json!(self.integer(node)),
            Some("boolean") => json!(false),
            Some("array") => self.array(i, depth),
            _ => self.object(i, depth),
        }
    }

    fn string(&self, node: &Value) -> String {
        for s in STRING_SHAPES {
            if string_fits(node, s) {
                return s.to_string();
            }
        }
        let min = u64_of(node, "minLength").unwrap_or(1).max(1) as usize;
        "a".repeat(min)
    }

    fn integer(&self, node: &Value) -> i64 {
        let mut lo = node
            .get("minimum")
            .and_then(Value::as_f64)
            .map(|m| m.ceil() as i64);
        if flag(node, "exclusiveMinimum") {
            lo = lo.map(|l| l + 1);
        }
        let mut hi = node
            .get("maximum")
            .and_then(Value::as_f64)
            .map(|m| m.floor() as i64);
        if flag(node, "exclusiveMaximum") {
            hi = hi.map(|h| h - 1);
        }
        let want = lo.unwrap_or(1).max(1);
        match hi {
            Some(h) if want > h => lo.unwrap_or(h),
            _ => want,
        }
    }

    fn object(&self, i: usize, depth: usize) -> Value {
        let node = self.table.node(i);
        let mut map = Map::new();
        if depth >= MAX_DEPTH {
            return Value::Object(map);
        }
        let props = node.get("properties").and_then(Value::as_object);
        for name in node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if let Some(c) = props.and_then(|p| p.get(name)).and_then(Value::as_u64) {
                map.insert(name.to_string(), self.valid_at(c as usize, depth + 1));
            }
        }
        if let Some(c) = node.get("additionalProperties").and_then(Value::as_u64) {
            for n in 0..u64_of(node, "minProperties").unwrap_or(0) {
                map.insert(format!("k{n}"), self.valid_at(c as usize, depth + 1));
            }
        }
        Value::Object(map)
    }

    fn array(&self, i: usize, depth: usize) -> Value {
        let node = self.table.node(i);
        let n = u64_of(node, "minItems").unwrap_or(0) as usize;
        Value::Array(self.distinct_items(i, n, depth))
    }

    /// `n` items for list node `i`, made distinct where the item schema leaves room (enum values
    /// in turn, numbered strings, or distinct list-map keys).
    pub fn distinct_items(&self, i: usize, n: usize, depth: usize) -> Vec<Value> {
        let node = self.table.node(i);
        let Some(item) = node
            .get("items")
            .and_then(Value::as_u64)
            .map(|c| c as usize)
        else {
            return Vec::new();
        };
        let base = self.valid_at(item, depth + 1);
        let keys: Vec<&str> = node
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        (0..n)
            .map(|k| {
                if k == 0 {
                    return base.clone();
                }
                match &base {
                    Value::Object(m) => {
                        let mut m = m.clone();
                        let item_node = self.table.node(item);
                        let key_names: Vec<String> = if keys.is_empty() {
                            m.keys().cloned().collect()
                        } else {
                            keys.iter().map(|s| s.to_string()).collect()
                        };
                        for key in key_names {
                            let child = item_node
                                .get("properties")
                                .and_then(|p| p.get(&key))
                                .and_then(Value::as_u64)
                                .map(|c| self.table.node(c as usize).clone())
                                .unwrap_or(Value::Null);
                            let v = m.get(&key).cloned().unwrap_or(Value::Null);
                            m.insert(key, self.vary(&child, &v, k));
                        }
                        Value::Object(m)
                    }
                    other => self.vary(self.table.node(item), other, k),
                }
            })
            .collect()
    }

    /// The `k`th variation of `v` under `node`, still fitting it where possible.
    pub fn vary(&self, node: &Value, v: &Value, k: usize) -> Value {
        if let Some(Value::Array(allowed)) = node.get("enum") {
            if !allowed.is_empty() {
                return allowed[k % allowed.len()].clone();
            }
        }
        match v {
            Value::String(s) => {
                for candidate in [
                    format!("{s}{k}"),
                    format!("a{k}"),
                    format!("{k}{s}"),
                    format!("/{k}"),
                    format!("a{k}.example.com"),
                    format!("x-{k}"),
                ] {
                    if string_fits(node, &candidate) {
                        return Value::String(candidate);
                    }
                }
                Value::String(format!("{s}{k}"))
            }
            Value::Number(n) => json!(n.as_i64().unwrap_or(0) + k as i64),
            other => other.clone(),
        }
    }
}
