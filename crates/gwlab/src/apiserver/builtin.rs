//! The built-in kinds' own field rules, for the fields gwlab reads: Service ports and type,
//! Secret and ConfigMap keys (and the keys a TLS Secret must hold), EndpointSlice address types,
//! addresses and ports. These kinds have no CRD; the rules are the API server's Go validation.

use super::{duplicate, invalid, names, required, unsupported, Refusal};
use crate::source::escape_token;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Largest total payload of a Secret or ConfigMap.
const DATA_MAX_BYTES: usize = 1024 * 1024;
const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const ADDRESS_TYPES: &[&str] = &["FQDN", "IPv4", "IPv6"];
/// Most addresses one endpoint of an EndpointSlice may list.
const ENDPOINT_ADDRESSES_MAX: usize = 100;

pub(super) fn check(kind: &str, obj: &Map<String, Value>, out: &mut Vec<Refusal>) {
    match kind {
        "Service" => {
            if let Some(Value::Object(spec)) = obj.get("spec") {
                service(spec, out);
            }
        }
        "Secret" => secret(obj, out),
        "ConfigMap" => config_map(obj, out),
        "EndpointSlice" => endpoint_slice(obj, out),
        _ => {}
    }
}

fn port_number(ptr: &str, v: &Value, out: &mut Vec<Refusal>) {
    if let Some(n) = v.as_i64() {
        if !(1..=65535).contains(&n) {
            out.push(Refusal::new(ptr, invalid(v, PORT_RANGE)));
        }
    }
}

fn one_of(ptr: &str, v: &Value, allowed: &[&str], out: &mut Vec<Refusal>) {
    if let Value::String(s) = v {
        if !allowed.contains(&s.as_str()) {
            out.push(Refusal::new(ptr, unsupported(v, allowed)));
        }
    }
}

fn each_message(ptr: &str, v: &Value, rule: fn(&str) -> Vec<String>, out: &mut Vec<Refusal>) {
    if let Value::String(s) = v {
        for why in rule(s) {
            out.push(Refusal::new(ptr, invalid(v, &why)));
        }
    }
}

fn service(spec: &Map<String, Value>, out: &mut Vec<Refusal>) {
    let type_ = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    if let Some(t) = spec.get("type") {
        one_of("/spec/type", t, SERVICE_TYPES, out);
    }
    let headless = spec.get("clusterIP").and_then(Value::as_str) == Some("None");
    let ports = spec
        .get("ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if type_ == "ExternalName" {
        match spec.get("externalName") {
            Some(Value::String(n)) if !n.is_empty() => {
                let trimmed = Value::String(n.strip_suffix('.').unwrap_or(n).to_string());
                for why in names::dns1123_subdomain(trimmed.as_str().unwrap_or("")) {
                    out.push(Refusal::new(
                        "/spec/externalName",
                        invalid(&Value::String(n.clone()), &why),
                    ));
                }
            }
            _ => out.push(Refusal::new("/spec/externalName", required())),
        }
    } else if ports.is_empty() && !headless {
        out.push(Refusal::new("/spec/ports", required()));
    }
    let mut seen_names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let Value::Object(port) = port else { continue };
        let p = format!("/spec/ports/{i}");
        match port.get("name") {
            Some(Value::String(n)) if !n.is_empty() => {
                each_message(
                    &format!("{p}/name"),
                    &port["name"],
                    names::dns1123_label,
                    out,
                );
                if !seen_names.insert(n.clone()) {
                    out.push(Refusal::new(&format!("{p}/name"), duplicate(&port["name"])));
                }
            }
            _ if ports.len() > 1 => out.push(Refusal::new(&format!("{p}/name"), required())),
            _ => {}
        }
        if let Some(v) = port.get("port") {
            port_number(&format!("{p}/port"), v, out);
        }
        if let Some(v) = port.get("protocol") {
            one_of(&format!("{p}/protocol"), v, PROTOCOLS, out);
        }
        match port.get("targetPort") {
            Some(v @ Value::Number(_)) => port_number(&format!("{p}/targetPort"), v, out),
            Some(v @ Value::String(_)) => {
                each_message(&format!("{p}/targetPort"), v, names::iana_svc_name, out)
            }
            _ => {}
        }
        if let Some(v) = port.get("appProtocol") {
            each_message(&format!("{p}/appProtocol"), v, names::qualified_name, out);
        }
    }
}

/// Checks the keys of `data`-like maps (with `stringData` merged into `data`, as the API server
/// does before validating) and their total size.
fn data_keys(obj: &Map<String, Value>, fields: &[&str], out: &mut Vec<Refusal>) {
    let mut total = 0;
    for field in fields {
        let Some(Value::Object(map)) = obj.get(*field) else {
            continue;
        };
        let shown = if *field == "stringData" {
            "data"
        } else {
            field
        };
        for (key, value) in map {
            total += value.as_str().map_or(0, str::len);
            let ptr = format!("/{field}/{}", escape_token(key));
            for why in names::config_key(key) {
                let r = Refusal::new(&ptr, invalid(&Value::String(key.clone()), &why));
                out.push(Refusal {
                    field: format!("{shown}[{key}]"),
                    ..r
                });
            }
        }
    }
    if total > DATA_MAX_BYTES {
        out.push(Refusal::new(
            "/data",
            format!("Too long: must have at most {DATA_MAX_BYTES} bytes"),
        ));
    }
}

/// Keys a Secret of a well-known type must hold.
fn required_secret_keys(type_: &str) -> &'static [&'static str] {
    match type_ {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/ssh-auth" => &["ssh-privatekey"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        _ => &[],
    }
}

fn secret(obj: &Map<String, Value>, out: &mut Vec<Refusal>) {
    data_keys(obj, &["data", "stringData"], out);
    let type_ = obj.get("type").and_then(Value::as_str).unwrap_or("Opaque");
    let has = |k: &str| {
        ["data", "stringData"].iter().any(|f| {
            obj.get(*f)
                .and_then(Value::as_object)
                .is_some_and(|m| m.contains_key(k))
        })
    };
    for key in required_secret_keys(type_) {
        if !has(key) {
            let r = Refusal::new("/data", required());
            out.push(Refusal {
                field: format!("data[{key}]"),
                ..r
            });
        }
    }
}

fn config_map(obj: &Map<String, Value>, out: &mut Vec<Refusal>) {
    data_keys(obj, &["data", "binaryData"], out);
    let (Some(Value::Object(data)), Some(Value::Object(binary))) =
        (obj.get("data"), obj.get("binaryData"))
    else {
        return;
    };
    for key in binary.keys().filter(|k| data.contains_key(*k)) {
        let r = Refusal::new(
            &format!("/binaryData/{}", escape_token(key)),
            duplicate(&Value::String(key.clone())),
        );
        out.push(Refusal {
            field: format!("binaryData[{key}]"),
            ..r
        });
    }
}

fn address_valid(address_type: &str, address: &str) -> Option<&'static str> {
    match address_type {
        "IPv4" => address
            .parse::<std::net::Ipv4Addr>()
            .is_err()
            .then_some("must be a valid IPv4 address"),
        "IPv6" => address
            .parse::<std::net::Ipv6Addr>()
            .is_err()
            .then_some("must be a valid IPv6 address"),
        _ => None,
    }
}

fn endpoint_slice(obj: &Map<String, Value>, out: &mut Vec<Refusal>) {
    let address_type = match obj.get("addressType") {
        Some(v @ Value::String(s)) if !s.is_empty() => {
            one_of("/addressType", v, ADDRESS_TYPES, out);
            s.as_str()
        }
        _ => {
            out.push(Refusal::new("/addressType", required()));
            ""
        }
    };
    let endpoints = obj
        .get("endpoints")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for (i, ep) in endpoints.iter().enumerate() {
        let p = format!("/endpoints/{i}/addresses");
        let addresses = ep
            .get("addresses")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if addresses.is_empty() {
            out.push(Refusal::new(
                &p,
                format!("{}: must contain at least 1 address", required()),
            ));
        } else if addresses.len() > ENDPOINT_ADDRESSES_MAX {
            out.push(Refusal::new(
                &p,
                format!(
                    "Too many: {}: must have at most {ENDPOINT_ADDRESSES_MAX} items",
                    addresses.len()
                ),
            ));
        }
        for (j, a) in addresses.iter().enumerate() {
            if let Some(why) = a.as_str().and_then(|s| address_valid(address_type, s)) {
                out.push(Refusal::new(&format!("{p}/{j}"), invalid(a, why)));
            }
        }
    }
    let ports = obj
        .get("ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut seen_names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = format!("/ports/{i}");
        if let Some(v) = port.get("port") {
            port_number(&format!("{p}/port"), v, out);
        }
        if let Some(v) = port.get("protocol") {
            one_of(&format!("{p}/protocol"), v, PROTOCOLS, out);
        }
        let name = port
            .get("name")
            .cloned()
            .unwrap_or(Value::String(String::new()));
        if let Value::String(n) = &name {
            if !n.is_empty() {
                each_message(&format!("{p}/name"), &name, names::dns1123_label, out);
            }
            if !seen_names.insert(n.clone()) {
                out.push(Refusal::new(&format!("{p}/name"), duplicate(&name)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusals(kind: &str, obj: Value) -> Vec<String> {
        let mut out = Vec::new();
        check(kind, obj.as_object().unwrap(), &mut out);
        out.iter()
            .map(|r| format!("{}: {}", r.field, r.detail))
            .collect()
    }

    #[test]
    fn service_ports_and_type() {
        assert!(refusals(
            "Service",
            json!({"spec": {"ports": [{"port": 80, "targetPort": "http"}]}})
        )
        .is_empty());
        assert!(refusals("Service", json!({"spec": {"clusterIP": "None"}})).is_empty());
        assert_eq!(
            refusals("Service", json!({"spec": {}})),
            vec!["spec.ports: Required value"]
        );
        let r = refusals(
            "Service",
            json!({"spec": {"type": "Cluster", "ports": [{"name": "a", "port": 0}, {"port": 70000, "protocol": "tcp", "targetPort": 0}, {"name": "a", "port": 1, "targetPort": "HTTP"}]}}),
        );
        assert_eq!(
            r,
            vec![
                "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[1].name: Required value",
                "spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ports[1].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[2].name: Duplicate value: \"a\"",
                "spec.ports[2].targetPort: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.ports[2].targetPort: Invalid value: \"HTTP\": must contain at least one letter (a-z)",
            ]
        );
        assert_eq!(
            refusals("Service", json!({"spec": {"type": "ExternalName"}})),
            vec!["spec.externalName: Required value"]
        );
        assert!(refusals(
            "Service",
            json!({"spec": {"type": "ExternalName", "externalName": "api.example.com."}})
        )
        .is_empty());
    }

    #[test]
    fn secret_and_config_map_keys() {
        assert!(refusals(
            "Secret",
            json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}})
        )
        .is_empty());
        assert!(refusals(
            "Secret",
            json!({"type": "kubernetes.io/tls", "stringData": {"tls.crt": "", "tls.key": ""}})
        )
        .is_empty());
        assert_eq!(
            refusals(
                "Secret",
                json!({"type": "kubernetes.io/tls", "data": {"tls.crt": ""}})
            ),
            vec!["data[tls.key]: Required value"]
        );
        let r = refusals("Secret", json!({"stringData": {"a/b": "x"}}));
        assert_eq!(r.len(), 1);
        assert!(
            r[0].starts_with("data[a/b]: Invalid value: \"a/b\": a valid config key"),
            "{}",
            r[0]
        );
        assert_eq!(
            refusals(
                "ConfigMap",
                json!({"data": {"k": "1"}, "binaryData": {"k": ""}})
            ),
            vec!["binaryData[k]: Duplicate value: \"k\""]
        );
        let big = "x".repeat(DATA_MAX_BYTES + 1);
        assert_eq!(
            refusals("ConfigMap", json!({"data": {"k": big}})),
            vec![format!(
                "data: Too long: must have at most {DATA_MAX_BYTES} bytes"
            )]
        );
    }

    #[test]
    fn endpoint_slices() {
        assert!(refusals("EndpointSlice", json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}], "ports": [{"port": 80, "name": "http"}]})).is_empty());
        let r = refusals(
            "EndpointSlice",
            json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0"]}, {}], "ports": [{"port": 0}, {}]}),
        );
        assert_eq!(
            r,
            vec![
                "endpoints[0].addresses[0]: Invalid value: \"10.0.0\": must be a valid IPv4 address",
                "endpoints[1].addresses: Required value: must contain at least 1 address",
                "ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "ports[1].name: Duplicate value: \"\"",
            ]
        );
        assert_eq!(
            refusals("EndpointSlice", json!({})),
            vec!["addressType: Required value"]
        );
    }
}
