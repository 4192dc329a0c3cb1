//! Compiles CustomResourceDefinitions into the compact schema tables `gwlab::apiserver` evaluates.
//!
//! Every served version's `openAPIV3Schema` is stripped of what validation does not read
//! (descriptions, examples) and hash-consed: identical subschemas (the many `LocalObjectReference`s,
//! the pod template copies in EnvoyProxy) are stored once and referred to by index. The output is
//! one JSON document per table, one node per line so a regenerated table diffs readably:
//!
//! ```json
//! {"kinds":{"gateway.networking.k8s.io/v1/Gateway":{"root":12,"namespaced":true}},
//!  "nodes":[
//! {"type":"string","maxLength":253}, ...]}
//! ```
//!
//! In a node, `properties` maps names to node indices, and `items`, `additionalProperties`
//! (unless a boolean), `not` and the members of `allOf`/`anyOf`/`oneOf` are node indices.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Schema keywords the evaluator reads; anything else (descriptions, examples) is dropped.
const KEPT: &[&str] = &[
    "type",
    "format",
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "required",
    "default",
    "nullable",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
];
/// Fields of a CEL rule the evaluator reads.
const RULE_FIELDS: &[&str] = &[
    "rule",
    "message",
    "messageExpression",
    "fieldPath",
    "reason",
    "optionalOldSelf",
];

/// One generated table: which CRD files feed it and where it is written.
pub struct Table {
    /// Paths relative to the CRD directory.
    pub sources: &'static [&'static str],
    /// Path relative to the repository root.
    pub output: &'static str,
}

/// The tables gwlab ships. Gateway API comes from the experimental channel, a superset of the
/// standard one (the channel Envoy Gateway's own install bundles).
pub const TABLES: &[Table] = &[
    Table {
        sources: &["gateway-api/experimental-install-v1.6.1.yaml"],
        output: "crates/gwlab/src/apiserver/tables/gateway-api.json",
    },
    Table {
        sources: &[
            "envoy-gateway/gateway.envoyproxy.io_backends.yaml",
            "envoy-gateway/gateway.envoyproxy.io_backendtrafficpolicies.yaml",
            "envoy-gateway/gateway.envoyproxy.io_clienttrafficpolicies.yaml",
            "envoy-gateway/gateway.envoyproxy.io_envoyextensionpolicies.yaml",
            "envoy-gateway/gateway.envoyproxy.io_envoypatchpolicies.yaml",
            "envoy-gateway/gateway.envoyproxy.io_envoyproxies.yaml",
            "envoy-gateway/gateway.envoyproxy.io_httproutefilters.yaml",
            "envoy-gateway/gateway.envoyproxy.io_securitypolicies.yaml",
        ],
        output: "crates/gwlab/src/apiserver/tables/envoy-gateway.json",
    },
];

/// The CRD directory: `GWLAB_CRDS_DIR`, else `../shared/crds` relative to the repository root.
pub fn crds_dir(repo_root: &Path) -> PathBuf {
    match std::env::var_os("GWLAB_CRDS_DIR") {
        Some(d) => PathBuf::from(d),
        None => repo_root.join("../shared/crds"),
    }
}

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Default)]
struct Interner {
    nodes: Vec<String>,
    index: HashMap<String, usize>,
}

impl Interner {
    fn intern(&mut self, schema: &Value) -> usize {
        let node = Value::Object(self.strip(schema));
        let text = serde_json::to_string(&node).unwrap_or_default();
        if let Some(&i) = self.index.get(&text) {
            return i;
        }
        self.nodes.push(text.clone());
        self.index.insert(text, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn strip(&mut self, schema: &Value) -> Map<String, Value> {
        let mut out = Map::new();
        let Value::Object(s) = schema else { return out };
        for (k, v) in s {
            let kept = match k.as_str() {
                "properties" => {
                    let Value::Object(props) = v else { continue };
                    Value::Object(
                        props
                            .iter()
                            .map(|(name, p)| (name.clone(), Value::from(self.intern(p))))
                            .collect(),
                    )
                }
                "items" | "not" => Value::from(self.intern(v)),
                "additionalProperties" if v.is_boolean() => v.clone(),
                "additionalProperties" => Value::from(self.intern(v)),
                "allOf" | "anyOf" | "oneOf" => {
                    let Value::Array(list) = v else { continue };
                    Value::Array(list.iter().map(|x| Value::from(self.intern(x))).collect())
                }
                "x-kubernetes-validations" => {
                    let Value::Array(rules) = v else { continue };
                    Value::Array(rules.iter().map(rule).collect())
                }
                _ if KEPT.contains(&k.as_str()) => v.clone(),
                _ => continue,
            };
            out.insert(k.clone(), kept);
        }
        out
    }
}

fn rule(r: &Value) -> Value {
    let Value::Object(r) = r else {
        return Value::Null;
    };
    Value::Object(
        r.iter()
            .filter(|(k, _)| RULE_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// Generates one table from CRD texts; errors name the file that could not be read.
pub fn generate(texts: &[(String, String)]) -> Result<String, String> {
    let mut interner = Interner::default();
    let mut kinds = BTreeMap::new();
    for (file, text) in texts {
        let (docs, diags) = gwlab::source::parse_stream(text);
        if let Some((d, _)) = diags
            .iter()
            .find(|(d, _)| d.severity == gwlab::Severity::Error)
        {
            return Err(format!("{file}: {}", d.message));
        }
        for doc in docs {
            if doc.value.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            let spec = &doc.value["spec"];
            let group = spec["group"].as_str().unwrap_or_default();
            let kind = spec["names"]["kind"].as_str().unwrap_or_default();
            let namespaced = spec["scope"].as_str() == Some("Namespaced");
            for version in spec["versions"].as_array().into_iter().flatten() {
                if version["served"].as_bool() != Some(true) {
                    continue;
                }
                let name = version["name"].as_str().unwrap_or_default();
                let root = interner.intern(&version["schema"]["openAPIV3Schema"]);
                let entry = serde_json::json!({"root": root, "namespaced": namespaced});
                kinds.insert(format!("{group}/{name}/{kind}"), entry);
            }
        }
    }
    let kinds = serde_json::to_string(&kinds).map_err(|e| e.to_string())?;
    Ok(format!(
        "{{\"kinds\":{kinds},\n\"nodes\":[\n{}\n]}}\n",
        interner.nodes.join(",\n")
    ))
}

/// Reads a table's sources from `crds` and generates it.
pub fn generate_table(crds: &Path, table: &Table) -> Result<String, String> {
    let mut texts = Vec::new();
    for src in table.sources {
        let path = crds.join(src);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        texts.push((src.to_string(), text));
    }
    generate(&texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_subschemas_are_stored_once_and_descriptions_dropped() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: g.io\n  scope: Namespaced\n  names: {kind: K}\n  versions:\n  - name: v1\n    served: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        description: dropped\n        properties:\n          a: {type: string, maxLength: 3, description: x}\n          b: {type: string, maxLength: 3, description: y}\n        x-kubernetes-validations:\n        - {rule: 'self.a == self.b', message: same, extra: dropped}\n  - name: v0\n    served: false\n    schema: {openAPIV3Schema: {type: object}}\n";
        let out = generate(&[("k.yaml".into(), crd.into())]).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["kinds"],
            serde_json::json!({"g.io/v1/K": {"root": 1, "namespaced": true}})
        );
        let nodes = v["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(
            nodes[0],
            serde_json::json!({"type": "string", "maxLength": 3})
        );
        assert_eq!(nodes[1]["properties"], serde_json::json!({"a": 0, "b": 0}));
        assert_eq!(
            nodes[1]["x-kubernetes-validations"],
            serde_json::json!([{"rule": "self.a == self.b", "message": "same"}])
        );
        assert!(!out.contains("description"));
    }
}
