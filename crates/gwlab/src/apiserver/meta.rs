//! `metadata` as the API server validates it for every kind: the name format the kind requires,
//! the namespace, label keys and values, annotation keys and total size.

use super::{invalid, names, Refusal};
use crate::source::escape_token;
use serde_json::{Map, Value};

/// Largest total size of an object's annotations (keys and values), in bytes.
const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;

/// Which format a kind's names must have: most kinds take a DNS-1123 subdomain; a Namespace name
/// is a DNS-1123 label; a Service name a DNS-1035 label (it becomes a DNS name of its own).
fn name_rule(group: &str, kind: &str) -> fn(&str) -> Vec<String> {
    match (group, kind) {
        ("", "Namespace") => names::dns1123_label,
        ("", "Service") => names::dns1035_label,
        _ => names::dns1123_subdomain,
    }
}

pub(super) fn check(
    group: &str,
    kind: &str,
    namespaced: bool,
    default_ns: &str,
    obj: &Map<String, Value>,
    out: &mut Vec<Refusal>,
) {
    let empty = Map::new();
    let meta = match obj.get("metadata") {
        Some(Value::Object(m)) => m,
        _ => &empty,
    };
    let text = |key: &str| meta.get(key).and_then(Value::as_str).unwrap_or("");
    match (text("name"), text("generateName")) {
        // A generated name is checked as a prefix by the API server; gwlab never generates one.
        ("", "") => out.push(Refusal::new(
            "/metadata/name",
            "Required value: name or generateName is required".to_string(),
        )),
        ("", _) => {}
        (name, _) => {
            for why in name_rule(group, kind)(name) {
                out.push(Refusal::new(
                    "/metadata/name",
                    invalid(&Value::String(name.to_string()), &why),
                ));
            }
        }
    }
    if namespaced {
        let given = meta
            .get("namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        let ns = given.unwrap_or(default_ns);
        // Without a namespace of its own or a default, there is no namespace to check.
        let problems = if ns.is_empty() {
            Vec::new()
        } else {
            names::dns1123_label(ns)
        };
        for why in problems {
            out.push(Refusal::new(
                "/metadata/namespace",
                invalid(&Value::String(ns.to_string()), &why),
            ));
        }
    }
    if let Some(Value::Object(labels)) = meta.get("labels") {
        labels_valid(labels, out);
    }
    if let Some(Value::Object(annotations)) = meta.get("annotations") {
        annotations_valid(annotations, out);
    }
}

fn labels_valid(labels: &Map<String, Value>, out: &mut Vec<Refusal>) {
    for (key, value) in labels {
        let ptr = format!("/metadata/labels/{}", escape_token(key));
        for why in names::qualified_name(key) {
            out.push(Refusal {
                field: "metadata.labels".into(),
                ..Refusal::new(&ptr, invalid(&Value::String(key.clone()), &why))
            });
        }
        if let Value::String(v) = value {
            for why in names::label_value(v) {
                out.push(Refusal {
                    field: "metadata.labels".into(),
                    ..Refusal::new(&ptr, invalid(value, &why))
                });
            }
        }
    }
}

fn annotations_valid(annotations: &Map<String, Value>, out: &mut Vec<Refusal>) {
    let mut total = 0;
    for (key, value) in annotations {
        total += key.len() + value.as_str().map_or(0, str::len);
        let ptr = format!("/metadata/annotations/{}", escape_token(key));
        for why in names::qualified_name(&key.to_ascii_lowercase()) {
            out.push(Refusal {
                field: "metadata.annotations".into(),
                ..Refusal::new(&ptr, invalid(&Value::String(key.clone()), &why))
            });
        }
    }
    if total > ANNOTATIONS_MAX_BYTES {
        out.push(Refusal::new(
            "/metadata/annotations",
            format!("Too long: must have at most {ANNOTATIONS_MAX_BYTES} bytes"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusals(group: &str, kind: &str, namespaced: bool, meta: Value) -> Vec<String> {
        let obj = json!({ "metadata": meta });
        let mut out = Vec::new();
        check(
            group,
            kind,
            namespaced,
            "default",
            obj.as_object().unwrap(),
            &mut out,
        );
        out.iter()
            .map(|r| format!("{}: {}", r.field, r.detail))
            .collect()
    }

    #[test]
    fn names_follow_the_kind() {
        assert!(refusals(
            "gateway.networking.k8s.io",
            "Gateway",
            true,
            json!({"name": "gw.v1"})
        )
        .is_empty());
        let r = refusals(
            "gateway.networking.k8s.io",
            "Gateway",
            true,
            json!({"name": "--kubeconfig=x"}),
        );
        assert_eq!(r.len(), 1);
        assert!(
            r[0].starts_with(
                "metadata.name: Invalid value: \"--kubeconfig=x\": a lowercase RFC 1123 subdomain"
            ),
            "{}",
            r[0]
        );
        assert_eq!(
            refusals("", "Namespace", false, json!({"name": "a.b"})).len(),
            1
        );
        assert_eq!(
            refusals("", "Service", true, json!({"name": "1svc"})).len(),
            1
        );
        assert!(refusals("", "Secret", true, json!({"name": "1.secret"})).is_empty());
    }

    #[test]
    fn namespace_labels_and_annotations() {
        let r = refusals(
            "",
            "ConfigMap",
            true,
            json!({"name": "c", "namespace": "Team_A"}),
        );
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with("metadata.namespace: Invalid value: \"Team_A\""));
        // A cluster-scoped kind does not check a namespace.
        assert!(refusals(
            "",
            "Namespace",
            false,
            json!({"name": "n", "namespace": "Bad!"})
        )
        .is_empty());
        let r = refusals(
            "",
            "Namespace",
            false,
            json!({"name": "n", "labels": {"ok": "v", "bad key": "v", "k": "-v"}}),
        );
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r
            .iter()
            .all(|m| m.starts_with("metadata.labels: Invalid value: ")));
        let big = "x".repeat(ANNOTATIONS_MAX_BYTES);
        let r = refusals(
            "",
            "Namespace",
            false,
            json!({"name": "n", "annotations": {"Example.com/Note": big}}),
        );
        assert_eq!(
            r,
            vec![format!(
                "metadata.annotations: Too long: must have at most {ANNOTATIONS_MAX_BYTES} bytes"
            )]
        );
    }
}
