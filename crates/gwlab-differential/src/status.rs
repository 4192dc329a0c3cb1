//! Status in one normalised form for both sides: a map from a fact's key to its value.
//!
//! A fact is one condition (`type` → `status reason`) of a GatewayClass, Gateway, listener, route
//! parent or policy ancestor, or a listener's `attachedRoutes` / `supportedKinds`. Each fact has a
//! category (the kind it is counted under in the agreement table). Conditions the provider writes
//! rather than the translator (a Gateway's `Programmed`, which needs an address) are left out on
//! both sides: the oracle cannot know them.

use serde_json::Value;
use std::collections::BTreeMap;

/// `key` → (`category`, `value`).
pub type Facts = BTreeMap<String, (String, String)>;

/// Condition types only the provider (not the translator) sets, per object kind.
fn provider_set(kind: &str, condition: &str) -> bool {
    kind == "Gateway" && condition == "Programmed"
}

fn gs<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

fn list(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A parentRef/ancestorRef with its defaults filled in: `group/kind/namespace/name#section:port`.
pub fn norm_ref(r: &Value, owner_ns: &str) -> String {
    let group = gs(r, "group")
        .filter(|s| !s.is_empty())
        .unwrap_or("gateway.networking.k8s.io");
    let kind = gs(r, "kind").filter(|s| !s.is_empty()).unwrap_or("Gateway");
    let ns = gs(r, "namespace")
        .filter(|s| !s.is_empty())
        .unwrap_or(owner_ns);
    let name = gs(r, "name").unwrap_or("");
    let section = gs(r, "sectionName").unwrap_or("-");
    let port = r
        .get("port")
        .and_then(Value::as_u64)
        .map(|p| p.to_string())
        .unwrap_or_else(|| "-".into());
    format!("{group}/{kind}/{ns}/{name}#{section}:{port}")
}

fn add_conditions(
    facts: &mut Facts,
    category: &str,
    owner_kind: &str,
    prefix: &str,
    conditions: Option<&Value>,
) {
    for c in list(conditions) {
        let ty = gs(c, "type").unwrap_or("?");
        if provider_set(owner_kind, ty) {
            continue;
        }
        let value = format!(
            "{} {}",
            gs(c, "status").unwrap_or("?"),
            gs(c, "reason").unwrap_or("?")
        );
        facts.insert(format!("{prefix} {ty}"), (category.to_string(), value));
    }
}

/// The facts of one object's status.
pub fn object_facts(facts: &mut Facts, kind: &str, namespace: &str, name: &str, status: &Value) {
    let id = if namespace.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{namespace}/{name}")
    };
    add_conditions(facts, kind, kind, &id, status.get("conditions"));
    for l in list(status.get("listeners")) {
        let prefix = format!("{id} listener {}", gs(l, "name").unwrap_or("?"));
        add_conditions(facts, "Listener", "Listener", &prefix, l.get("conditions"));
        let attached = l.get("attachedRoutes").and_then(Value::as_i64).unwrap_or(0);
        facts.insert(
            format!("{prefix} attachedRoutes"),
            ("Listener".into(), attached.to_string()),
        );
        let mut kinds: Vec<&str> = list(l.get("supportedKinds"))
            .iter()
            .filter_map(|k| gs(k, "kind"))
            .collect();
        kinds.sort_unstable();
        facts.insert(
            format!("{prefix} supportedKinds"),
            ("Listener".into(), kinds.join(",")),
        );
    }
    for p in list(status.get("parents")) {
        let prefix = format!(
            "{id} parent {}",
            norm_ref(p.get("parentRef").unwrap_or(&Value::Null), namespace)
        );
        add_conditions(facts, kind, kind, &prefix, p.get("conditions"));
    }
    for a in list(status.get("ancestors")) {
        let prefix = format!(
            "{id} ancestor {}",
            norm_ref(a.get("ancestorRef").unwrap_or(&Value::Null), namespace)
        );
        add_conditions(facts, kind, kind, &prefix, a.get("conditions"));
    }
}

/// The kinds whose status is compared (the oracle writes no status for the others).
pub const COMPARED_KINDS: &[&str] = &[
    "GatewayClass",
    "Gateway",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "BackendTLSPolicy",
    "ClientTrafficPolicy",
    "BackendTrafficPolicy",
    "SecurityPolicy",
];

/// A Gateway's `Accepted` condition as Envoy Gateway's provider completes it: the translator
/// only writes `Accepted=False`; when it did not, the provider derives the condition from the
/// listeners (all accepted: `True Accepted`; some: `True ListenersNotValid`; none: `False
/// ListenersNotValid`). egctl stops before that step, so it is applied here.
fn with_provider_accepted(status: &Value) -> Value {
    let mut s = status.clone();
    let conditions = list(s.get("conditions"));
    if conditions
        .iter()
        .any(|c| gs(c, "type") == Some("Accepted") && gs(c, "status") == Some("False"))
    {
        return s;
    }
    let accepted: Vec<bool> = list(s.get("listeners"))
        .iter()
        .map(|l| {
            list(l.get("conditions"))
                .iter()
                .any(|c| gs(c, "type") == Some("Accepted") && gs(c, "status") == Some("True"))
        })
        .collect();
    let (st, reason) = if accepted.iter().all(|a| *a) {
        ("True", "Accepted")
    } else if accepted.iter().any(|a| *a) {
        ("True", "ListenersNotValid")
    } else {
        ("False", "ListenersNotValid")
    };
    let mut conds: Vec<Value> = conditions
        .iter()
        .filter(|c| gs(c, "type") != Some("Accepted"))
        .cloned()
        .collect();
    conds.push(serde_json::json!({"type": "Accepted", "status": st, "reason": reason}));
    s["conditions"] = Value::Array(conds);
    s
}

/// Facts from egctl's `--to gateway-api` output (JSON: `gatewayClass` plus one list per kind).
pub fn oracle_facts(out: &Value) -> Facts {
    let mut facts = Facts::new();
    let Some(m) = out.as_object() else {
        return facts;
    };
    for (_, v) in m {
        let objects: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            Value::Object(_) => vec![v],
            _ => continue,
        };
        for o in objects {
            let Some(kind) = gs(o, "kind") else { continue };
            if !COMPARED_KINDS.contains(&kind) {
                continue;
            }
            let Some(status) = o.get("status") else {
                continue;
            };
            let derived;
            let status = if kind == "Gateway" {
                derived = with_provider_accepted(status);
                &derived
            } else {
                status
            };
            let ns = o
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("");
            let name = o
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            object_facts(
                &mut facts,
                kind,
                if kind == "GatewayClass" { "" } else { ns },
                name,
                status,
            );
        }
    }
    facts
}

/// Facts from gwlab's analysis.
pub fn gwlab_facts(a: &gwlab::Analysis) -> Facts {
    let mut facts = Facts::new();
    for s in &a.resolved.statuses {
        if !COMPARED_KINDS.contains(&&*s.kind) {
            continue;
        }
        let ns = if &*s.kind == "GatewayClass" {
            ""
        } else {
            &*s.namespace
        };
        object_facts(&mut facts, &s.kind, ns, &s.name, &s.status);
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn facts_cover_conditions_listeners_and_parents() {
        let out = json!({
            "gateways": [{"kind": "Gateway", "metadata": {"name": "gw", "namespace": "default"}, "status": {
                "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}, {"type": "Programmed", "status": "False", "reason": "AddressNotAssigned"}],
                "listeners": [{"name": "l0", "attachedRoutes": 2, "supportedKinds": [{"kind": "HTTPRoute"}, {"kind": "GRPCRoute"}],
                               "conditions": [{"type": "Programmed", "status": "True", "reason": "Programmed"}, {"type": "Accepted", "status": "False", "reason": "PortUnavailable"}]},
                              {"name": "l1", "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}]}]}}],
            "httpRoutes": [{"kind": "HTTPRoute", "metadata": {"name": "r", "namespace": "default"}, "status": {"parents": [
                {"parentRef": {"name": "gw", "sectionName": "l0"}, "conditions": [{"type": "ResolvedRefs", "status": "False", "reason": "BackendNotFound"}]}]}}]
        });
        let f = oracle_facts(&out);
        // The provider's step: one listener of two accepted.
        assert_eq!(f["Gateway/default/gw Accepted"].1, "True ListenersNotValid");
        assert!(
            !f.contains_key("Gateway/default/gw Programmed"),
            "provider-set condition kept"
        );
        assert_eq!(f["Gateway/default/gw listener l0 attachedRoutes"].1, "2");
        assert_eq!(
            f["Gateway/default/gw listener l0 supportedKinds"].1,
            "GRPCRoute,HTTPRoute"
        );
        assert_eq!(f["Gateway/default/gw listener l0 Programmed"].0, "Listener");
        let k = "HTTPRoute/default/r parent gateway.networking.k8s.io/Gateway/default/gw#l0:- ResolvedRefs";
        assert_eq!(
            f[k],
            ("HTTPRoute".to_string(), "False BackendNotFound".to_string())
        );
    }
}
