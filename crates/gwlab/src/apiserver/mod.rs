//! What the Kubernetes API server would refuse, decided offline.
//!
//! Before a controller sees an object, the API server validates it: object names and labels in the
//! formats `apimachinery` checks, the built-in kinds' own field rules, and for custom resources the
//! CRD's schema. An object it refuses never exists in the cluster, so [`admit`] runs before the
//! model is built from a document, and a refused object takes no part in resolution, status or
//! export. Every refusal carries the field it names and the text `kubectl apply` would print.

mod builtin;
pub mod cel;
pub mod formats;
mod meta;
pub mod names;
mod schema;

pub use crate::admission::{field_path, render, Admission, Refusal};
pub use schema::{coverage, Coverage};

use serde_json::{Map, Value};

/// Validates one object (with `apiVersion` and `kind` already taken out of `obj`) as the API
/// server would on create, pruning unknown fields and applying CRD defaults to `obj` in place.
/// `namespaced` is whether the kind is namespaced; `default_namespace` is the namespace `kubectl`
/// would fill in when the object names none.
pub fn admit(
    api_version: &str,
    kind: &str,
    namespaced: bool,
    default_namespace: &str,
    obj: &mut Map<String, Value>,
) -> Admission {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let mut admission = Admission::default();
    meta::check(
        group,
        kind,
        namespaced,
        default_namespace,
        obj,
        &mut admission.refusals,
    );
    if group.is_empty() || group == "discovery.k8s.io" {
        builtin::check(kind, obj, &mut admission.refusals);
    } else if let Some((table, root)) = schema::find(api_version, kind) {
        // A blocking metadata error (a missing name, say) also keeps CEL rules from running.
        let blocked = admission.refusals.iter().any(schema::blocks_rules);
        let applied = schema::apply(table, root, obj, blocked);
        admission.refusals.extend(applied.refusals);
        admission.pruned = applied.pruned;
        admission.defaulted = applied.defaulted;
        admission.unevaluated = applied.unevaluated;
    } else if let Some(served) = schema::serves_group_kind(group, kind) {
        let detail = format!(
            "no matches for kind {kind:?} in version {api_version:?} (the CRD serves {})",
            served.join(", ")
        );
        admission.refusals.push(Refusal {
            ptr: "/apiVersion".into(),
            field: String::new(),
            detail,
        });
    }
    admission
}

/// `parent.name`, the API server's path to a named child.
pub(crate) fn field_path_child(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// `parent[i]`, the API server's path to a list item.
pub(crate) fn field_path_index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// `Invalid value: <value>: <why>`.
pub fn invalid(v: &Value, why: &str) -> String {
    format!("Invalid value: {}: {why}", render(v))
}

/// `Required value`.
pub fn required() -> String {
    "Required value".to_string()
}

/// `Unsupported value: "x": supported values: "a", "b"`.
pub fn unsupported(v: &Value, allowed: &[&str]) -> String {
    let list: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
    format!(
        "Unsupported value: {}: supported values: {}",
        render(v),
        list.join(", ")
    )
}

/// `Duplicate value: "x"`.
pub fn duplicate(v: &Value) -> String {
    format!("Duplicate value: {}", render(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_paths_follow_the_api_server() {
        assert_eq!(field_path("/metadata/name"), "metadata.name");
        assert_eq!(field_path("/spec/ports/0/port"), "spec.ports[0].port");
        assert_eq!(
            field_path("/spec/listeners/1/hostname"),
            "spec.listeners[1].hostname"
        );
        assert_eq!(field_path(""), "<root>");
    }

    #[test]
    fn messages_read_as_kubectl_prints_them() {
        let r = Refusal::new("/metadata/name", invalid(&json!("--kubeconfig=x"), "bad"));
        assert_eq!(r.message("Gateway", "--kubeconfig=x"), "The Gateway \"--kubeconfig=x\" is invalid: metadata.name: Invalid value: \"--kubeconfig=x\": bad");
        assert_eq!(
            unsupported(&json!("X"), &["TCP", "UDP"]),
            "Unsupported value: \"X\": supported values: \"TCP\", \"UDP\""
        );
        assert_eq!(
            invalid(&json!(0), "must be between 1 and 65535, inclusive"),
            "Invalid value: 0: must be between 1 and 65535, inclusive"
        );
    }
}
