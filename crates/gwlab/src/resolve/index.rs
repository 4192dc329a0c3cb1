//! The world index: objects by kind/namespace/name, Namespace labels, ReferenceGrants by
//! namespace, EndpointSlices by Service, and Secrets produced by cert-manager Certificates.
//! Built once per resolution so every lookup is O(1).

use crate::fxhash::FxHashMap;
use crate::model::{
    Body, DataObject, EndpointSliceData, Model, Object, ParentReference, ReferenceGrantSpec,
};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

pub struct Index<'m> {
    pub model: &'m Model,
    by_key: FxHashMap<(&'m str, &'m str, &'m str), usize>,
    ns_labels: HashMap<&'m str, &'m BTreeMap<String, String>>,
    grants: HashMap<&'m str, Vec<&'m ReferenceGrantSpec>>,
    slices: FxHashMap<(&'m str, &'m str), Vec<&'m EndpointSliceData>>,
    issued_secrets: HashSet<(&'m str, String)>,
    empty: BTreeMap<String, String>,
    /// Shared copies of names that resolved backends carry (see [`Index::shared`]).
    shared: RefCell<FxHashMap<&'m str, Arc<str>>>,
    shared_ints: RefCell<FxHashMap<i64, Arc<str>>>,
    /// Shared (namespace, name) of objects by index (see [`Index::shared_names`]).
    object_names: RefCell<FxHashMap<usize, SharedNames>>,
    /// backendRef checks already made (see `backend_refs::resolve`).
    pub(crate) backend_checks: RefCell<BackendChecks<'m>>,
    /// `parentRef` JSON by content: routes attaching the same way repeat it.
    parent_refs: RefCell<FxHashMap<ParentRefKey<'m>, std::sync::Arc<serde_json::Value>>>,
    /// Key-pair verdicts by Secret object: many listeners share one certificate, and checking a
    /// pair may derive an EC public key.
    key_mismatch: RefCell<FxHashMap<usize, bool>>,
}

type SharedNames = (Arc<str>, Arc<str>);
type BackendChecks<'m> =
    FxHashMap<super::backend_refs::CheckKey<'m>, super::backend_refs::CheckResult>;

/// The fields of a `ParentReference`, borrowed (it has no `Hash` of its own).
type ParentRefKey<'m> = (
    Option<&'m str>,
    Option<&'m str>,
    Option<&'m str>,
    &'m str,
    Option<&'m str>,
    Option<u32>,
);

impl<'m> Index<'m> {
    pub fn build(model: &'m Model) -> Self {
        let mut ix = Index {
            model,
            by_key: FxHashMap::with_capacity_and_hasher(model.objects.len(), Default::default()),
            ns_labels: HashMap::new(),
            grants: HashMap::new(),
            slices: FxHashMap::default(),
            issued_secrets: HashSet::new(),
            empty: BTreeMap::new(),
            shared: RefCell::new(FxHashMap::default()),
            shared_ints: RefCell::new(FxHashMap::default()),
            parent_refs: RefCell::new(FxHashMap::default()),
            object_names: RefCell::new(FxHashMap::default()),
            backend_checks: RefCell::new(FxHashMap::default()),
            key_mismatch: RefCell::new(FxHashMap::default()),
        };
        for (i, o) in model.objects.iter().enumerate() {
            ix.by_key.insert(
                (o.kind.as_str(), o.namespace.as_str(), o.meta.name.as_str()),
                i,
            );
            match &o.body {
                Body::Namespace => {
                    ix.ns_labels.insert(o.meta.name.as_str(), &o.meta.labels);
                }
                Body::ReferenceGrant(g) => {
                    ix.grants.entry(o.namespace.as_str()).or_default().push(g)
                }
                Body::EndpointSlice(s) => {
                    if let Some(svc) = o.meta.labels.get("kubernetes.io/service-name") {
                        ix.slices
                            .entry((o.namespace.as_str(), svc.as_str()))
                            .or_default()
                            .push(s);
                    }
                }
                Body::Extension(v) if o.kind == "Certificate" && o.group() == "cert-manager.io" => {
                    if let Some(name) = v.pointer("/spec/secretName").and_then(|s| s.as_str()) {
                        ix.issued_secrets
                            .insert((o.namespace.as_str(), name.to_string()));
                    }
                }
                _ => {}
            }
        }
        ix
    }

    /// One shared copy of a name from the model: every backendRef to a Service repeats its
    /// namespace and name, and a large configuration has tens of thousands of them.
    pub fn shared(&self, s: &'m str) -> Arc<str> {
        self.shared
            .borrow_mut()
            .entry(s)
            .or_insert_with(|| Arc::from(s))
            .clone()
    }

    /// The namespace and name of object `i`, shared: one lookup by index instead of two by text.
    pub fn shared_names(&self, i: usize) -> (Arc<str>, Arc<str>) {
        let o = &self.model.objects[i];
        self.object_names
            .borrow_mut()
            .entry(i)
            .or_insert_with(|| (self.shared(&o.namespace), self.shared(&o.meta.name)))
            .clone()
    }

    /// [`Index::shared`] for a number written as text (a numeric targetPort).
    pub fn shared_int(&self, i: i64) -> Arc<str> {
        self.shared_ints
            .borrow_mut()
            .entry(i)
            .or_insert_with(|| Arc::from(i.to_string()))
            .clone()
    }

    /// A `parentRef` as a route status writes it (what `serde_json::to_value` gives), serialized
    /// once per distinct parentRef: cloning the result skips serde and key hashing.
    pub fn parent_ref_json(&self, pr: &'m ParentReference) -> std::sync::Arc<serde_json::Value> {
        let key = (
            pr.group.as_deref(),
            pr.kind.as_deref(),
            pr.namespace.as_deref(),
            pr.name.as_str(),
            pr.section_name.as_deref(),
            pr.port,
        );
        self.parent_refs
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                std::sync::Arc::new(serde_json::to_value(pr).unwrap_or(serde_json::Value::Null))
            })
            .clone()
    }

    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<usize> {
        self.by_key.get(&(kind, namespace, name)).copied()
    }

    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<&'m Object> {
        self.get(kind, namespace, name)
            .map(|i| &self.model.objects[i])
    }

    /// Labels of a Namespace, including the automatic `kubernetes.io/metadata.name`. A Namespace
    /// that is not in the input has only that label.
    pub fn namespace_labels(&self, ns: &str) -> BTreeMap<String, String> {
        let mut l = self
            .ns_labels
            .get(ns)
            .copied()
            .unwrap_or(&self.empty)
            .clone();
        l.entry("kubernetes.io/metadata.name".into())
            .or_insert_with(|| ns.to_string());
        l
    }

    /// True when a ReferenceGrant in `to_ns` lets (`from_group`, `from_kind`, `from_ns`) refer to
    /// the object (`to_group`, `to_kind`, `to_name`). Same-namespace references need no grant.
    #[allow(clippy::too_many_arguments)]
    pub fn ref_permitted(
        &self,
        from_group: &str,
        from_kind: &str,
        from_ns: &str,
        to_group: &str,
        to_kind: &str,
        to_ns: &str,
        to_name: &str,
    ) -> bool {
        if from_ns == to_ns {
            return true;
        }
        let Some(gs) = self.grants.get(to_ns) else {
            return false;
        };
        gs.iter().any(|g| {
            g.from
                .iter()
                .any(|f| f.group == from_group && f.kind == from_kind && f.namespace == from_ns)
                && g.to.iter().any(|t| {
                    t.group == to_group
                        && t.kind == to_kind
                        && t.name
                            .as_deref()
                            .is_none_or(|n| n.is_empty() || n == to_name)
                })
        })
    }

    /// Endpoint state of a Service: `Some(true)` when an EndpointSlice holds a ready address,
    /// `Some(false)` when slices exist but none is ready, `None` when there are no slices.
    pub fn slice_endpoints(&self, ns: &str, svc: &str) -> Option<bool> {
        let v = self.slices.get(&(ns, svc))?;
        Some(v.iter().any(|s| {
            s.endpoints
                .iter()
                .any(|e| e.ready() && !e.addresses.is_empty())
        }))
    }

    /// A Secret usable as a TLS certificate: `kubernetes.io/tls` type or `tls.crt`+`tls.key`
    /// keys (placeholder data is accepted), or one a cert-manager Certificate issues.
    pub fn secret_state(&self, ns: &str, name: &str) -> SecretState {
        if let Some(i) = self.get("Secret", ns, name) {
            if let Body::Secret(d) = &self.model.objects[i].body {
                return if !is_tls_secret(d) {
                    SecretState::Malformed
                } else if *self
                    .key_mismatch
                    .borrow_mut()
                    .entry(i)
                    .or_insert_with(|| tls_pair_mismatched(d))
                {
                    SecretState::KeyMismatch
                } else {
                    SecretState::Valid
                };
            }
        }
        if self.issued_secrets.contains(&(ns, name.to_string())) {
            return SecretState::Valid;
        }
        SecretState::Missing
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretState {
    Valid,
    Malformed,
    /// `tls.key` is provably not the key of `tls.crt` (see [`super::keypair`]).
    KeyMismatch,
    Missing,
}

/// A TLS Secret whose key is provably another certificate's.
fn tls_pair_mismatched(d: &DataObject) -> bool {
    let text = |k: &str| -> Option<String> {
        match d.string_data.get(k) {
            Some(v) => Some(v.clone()),
            None => d
                .data
                .get(k)
                .and_then(|v| base64_decode(v))
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
        }
    };
    let (Some(crt), Some(key)) = (text("tls.crt"), text("tls.key")) else {
        return false;
    };
    super::keypair::matches(&crt, &key) == Some(false)
}

pub fn is_tls_secret(d: &DataObject) -> bool {
    let get = |k: &str| -> Option<Vec<u8>> {
        if let Some(v) = d.string_data.get(k) {
            return Some(v.as_bytes().to_vec());
        }
        d.data.get(k).map(|v| {
            if v.trim() == "PLACEHOLDER" {
                v.as_bytes().to_vec()
            } else {
                base64_decode(v).unwrap_or_default()
            }
        })
    };
    let (Some(crt), Some(key)) = (get("tls.crt"), get("tls.key")) else {
        return false;
    };
    let pem = |b: &[u8]| b == b"PLACEHOLDER" || b.windows(10).any(|w| w == b"-----BEGIN");
    pem(&crt) && pem(&key) && (crt != key || crt == b"PLACEHOLDER")
}

/// A CA bundle ConfigMap (`ca.crt`) or Secret: placeholder data or PEM text.
pub fn is_ca_bundle(d: &DataObject, secret: bool) -> bool {
    // Envoy Gateway falls back to `tls.crt` when `ca.crt` is absent.
    let v = ["ca.crt", "tls.crt"]
        .iter()
        .find_map(|k| d.data.get(*k).or_else(|| d.string_data.get(*k)));
    let Some(v) = v else { return false };
    if v.trim() == "PLACEHOLDER" || v.contains("-----BEGIN") {
        return true;
    }
    secret && base64_decode(v).is_some_and(|b| b.windows(10).any(|w| w == b"-----BEGIN"))
}

/// Standard base64 (padding and whitespace tolerated); None on invalid input.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{load, LoadOptions};
    use crate::source::SourceFile;

    fn model(text: &str) -> Model {
        load(
            vec![SourceFile::new("t.yaml", text)],
            &LoadOptions::default(),
        )
    }

    #[test]
    fn grants_table() {
        let m = model(
            "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: backend}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}]\n  to: [{group: '', kind: Service, name: only}]\n",
        );
        let ix = Index::build(&m);
        let g = "gateway.networking.k8s.io";
        let cases = [
            (g, "HTTPRoute", "web", "only", true),
            (g, "HTTPRoute", "web", "other", false),
            (g, "GRPCRoute", "web", "only", false),
            (g, "HTTPRoute", "other", "only", false),
            (g, "HTTPRoute", "backend", "anything", true),
        ];
        for (fg, fk, fns, name, want) in cases {
            assert_eq!(
                ix.ref_permitted(fg, fk, fns, "", "Service", "backend", name),
                want,
                "{fk} {fns} {name}"
            );
        }
    }

    #[test]
    fn secrets_and_issued_certificates() {
        let m = model(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: good}\ntype: kubernetes.io/tls\ndata: {tls.crt: PLACEHOLDER, tls.key: PLACEHOLDER}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: bad}\ndata: {foo: bar}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec: {secretName: issued}\n",
        );
        let ix = Index::build(&m);
        assert_eq!(ix.secret_state("default", "good"), SecretState::Valid);
        assert_eq!(ix.secret_state("default", "bad"), SecretState::Malformed);
        assert_eq!(ix.secret_state("default", "issued"), SecretState::Valid);
        assert_eq!(ix.secret_state("default", "nope"), SecretState::Missing);
        assert_eq!(base64_decode("SGVsbG8gd29ybGQK").unwrap(), b"Hello world\n");
        assert_eq!(
            ix.namespace_labels("x")
                .get("kubernetes.io/metadata.name")
                .map(String::as_str),
            Some("x")
        );
    }
}
