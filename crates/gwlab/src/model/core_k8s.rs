//! The Kubernetes core kinds a Gateway depends on: Service, EndpointSlice, Secret, ConfigMap.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// `ClusterIP` (default), `NodePort`, `LoadBalancer` or `ExternalName`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub ports: Vec<ServicePort>,
    /// `None` makes a headless Service.
    #[serde(default, rename = "clusterIP", skip_serializing_if = "Option::is_none")]
    pub cluster_ip: Option<String>,
    #[serde(
        default,
        rename = "clusterIPs",
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_ips: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_name: Option<String>,
    #[serde(default, skip_serializing)]
    pub session_affinity: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub session_affinity_config: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub ip_families: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub ip_family_policy: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub external_traffic_policy: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub internal_traffic_policy: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing, rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub load_balancer_source_ranges: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub load_balancer_class: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing, rename = "externalIPs")]
    pub external_ips: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub publish_not_ready_addresses: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub allocate_load_balancer_node_ports: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub health_check_node_port: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub traffic_distribution: Option<serde::de::IgnoredAny>,
}

impl ServiceSpec {
    pub fn type_(&self) -> &str {
        self.type_.as_deref().unwrap_or("ClusterIP")
    }
    pub fn is_headless(&self) -> bool {
        self.cluster_ip.as_deref() == Some("None")
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub port: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_port: Option<u32>,
}

impl ServicePort {
    pub fn protocol(&self) -> &str {
        self.protocol.as_deref().unwrap_or("TCP")
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i64),
    String(String),
}

/// By hand rather than `#[serde(untagged)]`, which buffers the value and brings in a second,
/// buffered copy of the decoding machinery; the answers and the error are the same.
impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'a> serde::de::Visitor<'a> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IntOrString, E> {
                Ok(IntOrString::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i64::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(UNMATCHED))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<IntOrString, E> {
                Err(E::custom(UNMATCHED))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<IntOrString, E> {
                Err(E::custom(UNMATCHED))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<IntOrString, E> {
                Err(E::custom(UNMATCHED))
            }
            fn visit_seq<A: serde::de::SeqAccess<'a>>(self, _: A) -> Result<IntOrString, A::Error> {
                Err(serde::de::Error::custom(UNMATCHED))
            }
            fn visit_map<A: serde::de::MapAccess<'a>>(self, _: A) -> Result<IntOrString, A::Error> {
                Err(serde::de::Error::custom(UNMATCHED))
            }
        }
        const UNMATCHED: &str = "data did not match any variant of untagged enum IntOrString";
        d.deserialize_any(V)
    }
}

impl std::fmt::Display for IntOrString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::String(s) => f.write_str(s),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSliceData {
    #[serde(default)]
    pub address_type: String,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    #[serde(default)]
    pub ports: Vec<EndpointPort>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<EndpointConditions>,
    #[serde(default, skip_serializing)]
    pub node_name: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub zone: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub hints: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub target_ref: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub hostname: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    pub deprecated_topology: Option<serde::de::IgnoredAny>,
}

impl Endpoint {
    /// Kubernetes: a nil `ready` means ready.
    pub fn ready(&self) -> bool {
        self.conditions
            .as_ref()
            .and_then(|c| c.ready)
            .unwrap_or(true)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EndpointConditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminating: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EndpointPort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

/// Secret and ConfigMap payloads: `data` (base64 for Secrets), `stringData`, `type`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DataObject {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub string_data: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub binary_data: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
}

impl DataObject {
    pub fn has_key(&self, k: &str) -> bool {
        self.data.contains_key(k)
            || self.string_data.contains_key(k)
            || self.binary_data.contains_key(k)
    }
}

#[cfg(test)]
mod tests {
    use super::IntOrString;
    use serde_json::json;

    #[test]
    fn int_or_string_reads_both_forms_and_refuses_the_rest() {
        let dec = |v| crate::model::decode_value::<IntOrString>(&v, "/port").map(|(x, _)| x);
        assert_eq!(dec(json!(8080)), Ok(IntOrString::Int(8080)));
        assert_eq!(dec(json!(-1)), Ok(IntOrString::Int(-1)));
        assert_eq!(dec(json!("http")), Ok(IntOrString::String("http".into())));
        let unmatched = Err((
            "/port".to_string(),
            "data did not match any variant of untagged enum IntOrString".to_string(),
        ));
        for bad in [
            json!(u64::MAX),
            json!(true),
            json!(1.5),
            json!([1]),
            json!({"a": 1}),
        ] {
            assert_eq!(dec(bad.clone()), unmatched, "{bad}");
        }
    }
}
