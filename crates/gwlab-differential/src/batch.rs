//! Several configurations in one oracle run: each is moved into namespaces of its own
//! (`default` → `c<k>`, `other` → `c<k>-other`), the lot is translated once (egctl's start-up
//! costs more than a small configuration), and the output is split back per configuration with
//! the original namespaces. Each Gateway is its own proxy (egctl never merges Gateways), so the
//! configurations cannot see each other.

use crate::oracle::OracleOutput;
use serde_json::{Map, Value};

/// The namespace configuration `k` uses for `ns`.
fn moved(ns: &str, k: usize) -> String {
    if ns == "default" {
        format!("c{k}")
    } else {
        format!("c{k}-{ns}")
    }
}

/// The original namespace of `ns` if it belongs to configuration `k`.
fn original(ns: &str, k: usize) -> Option<String> {
    let own = format!("c{k}");
    if ns == own {
        return Some("default".into());
    }
    ns.strip_prefix(&format!("{own}-")).map(String::from)
}

/// Rewrites every `namespace` field (and Namespace names) with `f`.
fn map_namespaces(v: &mut Value, f: &dyn Fn(&str) -> Option<String>) {
    match v {
        Value::Object(m) => {
            let is_namespace = m.get("kind").and_then(Value::as_str) == Some("Namespace");
            for (key, child) in m.iter_mut() {
                if key == "namespace" {
                    if let Some(new) = child.as_str().and_then(f) {
                        *child = Value::String(new);
                    }
                } else {
                    map_namespaces(child, f);
                }
            }
            if is_namespace {
                if let Some(name) = v.pointer_mut("/metadata/name") {
                    if let Some(new) = name.as_str().and_then(f) {
                        *name = Value::String(new);
                    }
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| map_namespaces(x, f)),
        _ => {}
    }
}

/// Configuration `k` moved into its own namespaces.
pub fn relocate(docs: &[Value], k: usize) -> Vec<Value> {
    let mut out = docs.to_vec();
    for d in &mut out {
        map_namespaces(d, &|ns| Some(moved(ns, k)));
    }
    out
}

/// The manifests of several configurations as one: one GatewayClass (they all write the same),
/// then every other object of each.
pub fn combine(configs: &[Vec<Value>]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for (k, docs) in configs.iter().enumerate() {
        for d in relocate(docs, k) {
            if d["kind"] == "GatewayClass" && out.iter().any(|o| o["kind"] == "GatewayClass") {
                continue;
            }
            out.push(d);
        }
    }
    out
}

fn object_namespace(o: &Value) -> Option<&str> {
    o.pointer("/metadata/namespace").and_then(Value::as_str)
}

/// Configuration `k`'s part of a combined output, with its original namespaces.
pub fn split(out: &OracleOutput, k: usize) -> OracleOutput {
    let mut resources = Map::new();
    if let Some(m) = out.resources.as_object() {
        for (key, v) in m {
            match v {
                Value::Array(items) => {
                    let mine: Vec<Value> = items
                        .iter()
                        .filter(|o| {
                            object_namespace(o).is_some_and(|ns| original(ns, k).is_some())
                                || o["kind"] == "Namespace"
                                    && o.pointer("/metadata/name")
                                        .and_then(Value::as_str)
                                        .is_some_and(|n| original(n, k).is_some())
                        })
                        .cloned()
                        .collect();
                    resources.insert(key.clone(), Value::Array(mine));
                }
                other => {
                    resources.insert(key.clone(), other.clone());
                }
            }
        }
    }
    let mut resources = Value::Object(resources);
    map_namespaces(&mut resources, &|ns| original(ns, k));
    let mut xds = Map::new();
    for (key, dump) in &out.xds {
        let Some((ns, name)) = key.split_once('/') else {
            continue;
        };
        if let Some(orig) = original(ns, k) {
            let mut dump = dump.clone();
            map_namespaces(&mut dump, &|ns| original(ns, k));
            xds.insert(format!("{orig}/{name}"), dump);
        }
    }
    OracleOutput { resources, xds }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn configurations_move_apart_and_come_back() {
        let a = vec![
            json!({"kind": "GatewayClass", "metadata": {"name": "eg"}}),
            json!({"kind": "Namespace", "metadata": {"name": "other"}}),
            json!({"kind": "HTTPRoute", "metadata": {"name": "r", "namespace": "default"}, "spec": {"rules": [{"backendRefs": [{"name": "s", "namespace": "other"}]}]}}),
        ];
        let both = combine(&[a.clone(), a.clone()]);
        assert_eq!(
            both.iter().filter(|d| d["kind"] == "GatewayClass").count(),
            1
        );
        assert_eq!(both[1]["metadata"]["name"], "c0-other");
        assert_eq!(both[4]["metadata"]["namespace"], "c1");
        assert_eq!(
            both[4].pointer("/spec/rules/0/backendRefs/0/namespace"),
            Some(&json!("c1-other"))
        );
        let out = OracleOutput {
            resources: json!({"gatewayClass": {"kind": "GatewayClass"}, "httpRoutes": [both[2].clone(), both[4].clone()]}),
            xds: [("c1/gw".to_string(), json!({"n": {"namespace": "c1"}}))]
                .into_iter()
                .collect(),
        };
        let one = split(&out, 1);
        assert_eq!(one.resources["httpRoutes"], json!([a[2]]));
        assert_eq!(
            one.xds["default/gw"],
            json!({"n": {"namespace": "default"}})
        );
        assert!(split(&out, 2).resources["httpRoutes"]
            .as_array()
            .is_some_and(Vec::is_empty));
    }
}
