//! Kubernetes object metadata and the reference types shared by every Gateway API kind.
//!
//! Optional fields stay `Option` exactly as written: status echoes parentRefs verbatim, so CRD
//! defaults are applied by accessor methods (`group()`, `kind()`, …), never by rewriting the input.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
pub const EG_GROUP: &str = "gateway.envoyproxy.io";

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    // Fields a controller or `kubectl get -o yaml` adds; accepted and ignored.
    #[serde(default, skip_serializing)]
    pub uid: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub resource_version: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub managed_fields: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub owner_references: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub finalizers: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub generate_name: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub deletion_timestamp: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub self_link: Option<serde::de::IgnoredAny>,
}

/// `group` + `kind` + `name` (+ `namespace`), the shape of BackendObjectReference,
/// SecretObjectReference and friends. Defaults differ per use, so they are applied by the caller.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ObjectRef {
    pub fn group_or<'a>(&'a self, d: &'a str) -> &'a str {
        self.group.as_deref().unwrap_or(d)
    }
    pub fn kind_or<'a>(&'a self, d: &'a str) -> &'a str {
        self.kind.as_deref().unwrap_or(d)
    }
    pub fn namespace_or<'a>(&'a self, d: &'a str) -> &'a str {
        self.namespace
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(d)
    }
}

/// A route's (or ListenerSet's) reference to its parent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "camelCase")]
pub struct ParentReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
}

impl ParentReference {
    pub fn group(&self) -> &str {
        self.group.as_deref().unwrap_or(GATEWAY_GROUP)
    }
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("Gateway")
    }
    pub fn namespace_or<'a>(&'a self, route_ns: &'a str) -> &'a str {
        self.namespace
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(route_ns)
    }
}

/// A Service (or other backend) reference with a port and a weight.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BackendRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    /// CRD range 0..=1,000,000, default 1. Kept wide so out-of-range input is reported, not wrapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Backend-level filters (HTTPRoute and GRPCRoute only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<super::routes::HttpRouteFilter>,
}

impl BackendRef {
    pub fn group(&self) -> &str {
        self.group.as_deref().unwrap_or("")
    }
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("Service")
    }
    pub fn weight(&self) -> u64 {
        self.weight.unwrap_or(1).clamp(0, 1_000_000) as u64
    }
}

/// metav1.LabelSelector.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default)]
    pub values: Vec<String>,
}

impl LabelSelector {
    /// Kubernetes semantics: every matchLabels entry and every expression must hold; an empty
    /// selector matches everything. Unknown operators match nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|e| {
                let have = labels.get(&e.key);
                match e.operator.as_str() {
                    "In" => have.is_some_and(|h| e.values.contains(h)),
                    "NotIn" => have.is_none_or(|h| !e.values.contains(h)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => false,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors() {
        let labels: BTreeMap<String, String> = [("env".to_string(), "prod".to_string())].into();
        let sel = |j: serde_json::Value| serde_json::from_value::<LabelSelector>(j).unwrap();
        let cases = [
            (serde_json::json!({}), true),
            (serde_json::json!({"matchLabels": {"env": "prod"}}), true),
            (serde_json::json!({"matchLabels": {"env": "dev"}}), false),
            (
                serde_json::json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "qa"]}]}),
                true,
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}),
                false,
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}),
                true,
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "team", "operator": "Exists"}]}),
                false,
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "env", "operator": "Bogus"}]}),
                false,
            ),
        ];
        for (s, want) in cases {
            assert_eq!(sel(s.clone()).matches(&labels), want, "{s}");
        }
    }
}
