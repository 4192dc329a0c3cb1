//! Shrinking a disagreement to a small configuration: greedy removal of whole documents, array
//! elements and optional fields, keeping each step only while the same disagreement shows.

use serde_json::Value;

/// Fields that may be dropped without making an object schema-invalid.
const OPTIONAL_KEYS: &[&str] = &[
    "hostname",
    "allowedRoutes",
    "sectionName",
    "port",
    "namespace",
    "weight",
    "method",
    "headers",
    "queryParams",
    "path",
    "filters",
    "matches",
    "hostnames",
    "backendRefs",
    "appProtocol",
    "targetPort",
    "kinds",
    "scheme",
    "statusCode",
];

/// Kinds never dropped whole: without them nothing is translated.
const KEPT_KINDS: &[&str] = &["GatewayClass", "Namespace"];

/// Every configuration one step smaller than `docs`, most aggressive first.
pub fn candidates(docs: &[Value]) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    for i in 0..docs.len() {
        if KEPT_KINDS.iter().any(|k| docs[i]["kind"] == *k) {
            continue;
        }
        let mut c = docs.to_vec();
        c.remove(i);
        out.push(c);
    }
    for i in 0..docs.len() {
        let Some(spec) = docs[i].get("spec") else {
            continue;
        };
        for variant in smaller_values(spec) {
            let mut c = docs.to_vec();
            c[i]["spec"] = variant;
            out.push(c);
        }
    }
    out
}

/// Every value one step smaller than `v`: an array element removed, an optional field dropped,
/// or one of those inside a child.
fn smaller_values(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match v {
        Value::Array(a) => {
            for i in 0..a.len() {
                let mut c = a.clone();
                c.remove(i);
                out.push(Value::Array(c));
            }
            for i in 0..a.len() {
                for sub in smaller_values(&a[i]) {
                    let mut c = a.clone();
                    c[i] = sub;
                    out.push(Value::Array(c));
                }
            }
        }
        Value::Object(m) => {
            for k in m.keys() {
                if OPTIONAL_KEYS.contains(&k.as_str()) {
                    let mut c = m.clone();
                    c.remove(k);
                    out.push(Value::Object(c));
                }
            }
            for (k, child) in m {
                for sub in smaller_values(child) {
                    let mut c = m.clone();
                    c.insert(k.clone(), sub);
                    out.push(Value::Object(c));
                }
            }
        }
        _ => {}
    }
    out
}

/// Shrinks `docs` while `keeps` holds, trying at most `budget` candidates. `keeps` is asked of
/// each candidate (it runs the oracle, so the budget bounds the cost).
pub fn shrink(
    docs: Vec<Value>,
    budget: usize,
    mut keeps: impl FnMut(&[Value]) -> bool,
) -> Vec<Value> {
    let mut current = docs;
    let mut tried = 0;
    'outer: loop {
        for c in candidates(&current) {
            if tried >= budget {
                break 'outer;
            }
            tried += 1;
            if keeps(&c) {
                current = c;
                continue 'outer;
            }
        }
        break;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shrinking_keeps_what_the_predicate_needs() {
        let docs = vec![
            json!({"kind": "GatewayClass", "spec": {"controllerName": "x"}}),
            json!({"kind": "Service", "spec": {"ports": [{"port": 1}]}}),
            json!({"kind": "HTTPRoute", "spec": {"hostnames": ["a", "b"], "rules": [{"matches": [{"path": {"value": "/x"}}]}, {"backendRefs": [{"name": "s"}]}]}}),
        ];
        // The "disagreement" needs hostname `b` on a route.
        let needs_b = |d: &[Value]| {
            d.iter().any(|o| {
                o.pointer("/spec/hostnames")
                    .and_then(Value::as_array)
                    .is_some_and(|h| h.contains(&json!("b")))
            })
        };
        let small = shrink(docs, 500, needs_b);
        assert_eq!(small.len(), 2, "{small:?}");
        assert_eq!(
            small[1],
            json!({"kind": "HTTPRoute", "spec": {"hostnames": ["b"], "rules": []}})
        );
    }
}
