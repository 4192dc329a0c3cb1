//! The playground's second WebAssembly module: the API server's validation alone.
//!
//! The validator (the CRD tables and the CEL interpreter) does not fit in the main bundle's size
//! budget, and the first result on screen must not wait for it. So the page loads this module
//! after its first paint; once it is there, the main module's analysis hands every object to
//! [`gwlab_admit`] through `globalThis.gwlabAdmit` (see `crates/gwlab-web/src/admit.rs`) and
//! analyses again. One call per object, as JSON both ways: the request is
//! `{apiVersion, kind, namespaced, defaultNamespace, object}` and the answer is
//! `{admission, object}`, the object pruned and defaulted as the API server stores it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

/// One object to admit.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    api_version: String,
    kind: String,
    namespaced: bool,
    default_namespace: String,
    object: Map<String, Value>,
}

/// The verdict, and the object as the API server would store it.
#[derive(Serialize)]
struct Answer {
    admission: gwlab::admission::Admission,
    object: Map<String, Value>,
}

/// Admits one object (see the module's doc for the JSON shapes). A request that does not parse
/// answers an empty string, which the caller reads as "no verdict": the object is then read as
/// written, as without this module.
#[wasm_bindgen]
pub fn gwlab_admit(request: &str) -> String {
    admit_json(request).unwrap_or_default()
}

fn admit_json(request: &str) -> Option<String> {
    let mut req: Request = serde_json::from_str(request).ok()?;
    let admission = gwlab::apiserver::admit(
        &req.api_version,
        &req.kind,
        req.namespaced,
        &req.default_namespace,
        &mut req.object,
    );
    serde_json::to_string(&Answer {
        admission,
        object: req.object,
    })
    .ok()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_gateway_comes_back_with_its_refusal() {
        let answer = gwlab_admit(
            r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","namespaced":true,"defaultNamespace":"default","object":{"metadata":{"name":"--kubeconfig=x"},"spec":{"gatewayClassName":"eg","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}}"#,
        );
        let v: Value = serde_json::from_str(&answer).unwrap();
        let refusals = v["admission"]["refusals"].as_array().unwrap();
        assert_eq!(refusals[0]["field"], "metadata.name", "{v}");
    }

    #[test]
    fn defaults_come_back_in_the_object() {
        let answer = gwlab_admit(
            r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","namespaced":true,"defaultNamespace":"default","object":{"metadata":{"name":"r"},"spec":{"rules":[{"backendRefs":[{"name":"svc","port":80}]}]}}}"#,
        );
        let v: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(v["admission"]["refusals"], Value::Array(vec![]), "{v}");
        // The CRD defaults a rule's matches to one PathPrefix `/` match.
        assert_eq!(
            v["object"]["spec"]["rules"][0]["matches"][0]["path"]["value"], "/",
            "{v}"
        );
        assert!(!v["admission"]["defaulted"].as_array().unwrap().is_empty());
    }

    #[test]
    fn a_request_that_does_not_parse_gives_no_verdict() {
        assert_eq!(gwlab_admit("{"), "");
        assert_eq!(gwlab_admit(r#"{"kind":"Gateway"}"#), "");
    }
}
