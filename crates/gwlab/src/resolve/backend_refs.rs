//! backendRefs: kind checks, ReferenceGrant, Service port resolution (port must be a Service
//! port of the right protocol), endpoints, and the BackendTLSPolicy in force for the hop.

use super::backend_tls::Policies;
use super::index::Index;
use super::{BackendState, BackendTarget, Backends, RouteKind};
use crate::model::{BackendRef, Body, Object, EG_GROUP, GATEWAY_GROUP};
use std::sync::Arc;

/// What `check` depends on, with the usual parts left out: a large configuration makes tens of
/// thousands of lookups, and hashing five names per backendRef dominated them.
#[derive(Eq)]
pub(crate) struct CheckKey<'m> {
    /// The target's namespace (the route's when the ref names none) and name.
    namespace: &'m str,
    name: &'m str,
    port: Option<u32>,
    route_kind: RouteKind,
    /// The target's group and kind; None for a core Service (the default).
    target: Option<(&'m str, &'m str)>,
    /// The route's namespace when it differs from the target's. When they are equal no
    /// ReferenceGrant is consulted and every message names the target's namespace only.
    from: Option<&'m str>,
}

/// Every field, the cheap ones first; the names (the usual difference) before the namespace.
impl PartialEq for CheckKey<'_> {
    #[inline]
    fn eq(&self, o: &Self) -> bool {
        self.port == o.port
            && self.route_kind == o.route_kind
            && short_eq(self.name, o.name)
            && short_eq(self.namespace, o.namespace)
            && self.target == o.target
            && self.from == o.from
    }
}

/// String equality without a `memcmp` call for names of 4 to 16 bytes (two overlapping word
/// loads per side): nearly every Service name and namespace is that long, and the call with its
/// length dispatch cost more than the rest of the comparison.
#[inline]
fn short_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if (8..=16).contains(&n) {
        let w = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
        w(a, 0) == w(b, 0) && w(a, n - 8) == w(b, n - 8)
    } else if (4..8).contains(&n) {
        let w = |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or([0; 4]));
        w(a, 0) == w(b, 0) && w(a, n - 4) == w(b, n - 4)
    } else {
        a == b
    }
}

/// Hashes the names as raw bytes and the port and route kind as one word: three hasher steps for
/// the usual key. (Names hashed without a terminator may collide across field boundaries; that
/// costs a comparison, never a wrong answer, since equality compares every field.)
impl std::hash::Hash for CheckKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write(self.namespace.as_bytes());
        h.write(self.name.as_bytes());
        h.write_u64(self.port.map_or(0, |p| p as u64 | 1 << 32) | (self.route_kind as u64) << 40);
        if let Some(t) = self.target {
            t.hash(h);
        }
        if let Some(f) = self.from {
            f.hash(h);
        }
    }
}

/// A checked backendRef: the target every reference with the same key shares (an `Invalid` one
/// when it is unusable), the error to report, and the BackendTLSPolicy it found.
pub(crate) struct CheckResult {
    target: Arc<BackendTarget>,
    error: Option<RefError>,
    policy: Option<usize>,
}

/// Why a backendRef is unusable: the route ResolvedRefs reason, a message, a diagnostic code.
#[derive(Debug, Clone, PartialEq)]
pub struct RefError {
    pub reason: &'static str,
    pub message: String,
    pub code: &'static str,
}

fn err(reason: &'static str, code: &'static str, message: String) -> RefError {
    RefError {
        reason,
        message,
        code,
    }
}

/// Resolves one backendRef of a route. Returns the backend, its error (if unusable) and the
/// BackendTLSPolicies naming its Service (indices into `Policies::list`; the one in force and
/// any that lost a conflict, all of which report this route's Gateways as ancestors).
pub fn resolve<'m>(
    ix: &Index<'m>,
    pols: &Policies,
    route: &'m Object,
    kind: RouteKind,
    br: &'m BackendRef,
    index: usize,
) -> (BackendState, Option<RefError>, Vec<usize>) {
    let (mut one, mut pol) = (Backends::new(), Vec::new());
    let e = resolve_into(ix, pols, route, kind, br, index, &mut one, &mut pol);
    let Some(b) = one.pop() else {
        unreachable!("resolve_into appends one backend")
    };
    (b, e, pol)
}

/// [`resolve`], appending the backend to `out` and the BackendTLSPolicy it uses to `policies`. A backend state is large and a large configuration has tens
/// of thousands: returning each and then pushing it copied it twice.
#[allow(clippy::too_many_arguments)]
pub fn resolve_into<'m>(
    ix: &Index<'m>,
    pols: &Policies,
    route: &'m Object,
    kind: RouteKind,
    br: &'m BackendRef,
    index: usize,
    out: &mut Backends,
    policies: &mut Vec<usize>,
) -> Option<RefError> {
    // `check` reads nothing but these (and the index and policies, fixed while routes resolve);
    // large configurations send thousands of backendRefs to the same few Services.
    let namespace: &'m str = br
        .namespace
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(&route.namespace);
    let (group, bkind) = (br.group(), br.kind());
    let core_service = group.is_empty() && bkind == "Service";
    let same_namespace =
        std::ptr::eq(namespace, route.namespace.as_str()) || namespace == route.namespace;
    let key = CheckKey {
        namespace,
        name: &br.name,
        port: br.port,
        route_kind: kind,
        target: (!core_service).then_some((group, bkind)),
        from: (!same_namespace).then_some(route.namespace.as_str()),
    };
    // A lookup, then on a miss (once per distinct key) an insert and a second lookup: cheaper
    // than the entry API when nearly every lookup hits.
    let checks = ix.backend_checks.borrow();
    let Some(checked) = checks.get(&key) else {
        drop(checks);
        let (res, policy) = check(ix, pols, route, kind, br);
        let (target, error) = match res {
            Ok(t) => (t, None),
            Err(e) => (
                BackendTarget::Invalid {
                    reason: e.reason.to_string(),
                    message: e.message.clone(),
                },
                Some(e),
            ),
        };
        ix.backend_checks.borrow_mut().insert(
            key,
            CheckResult {
                target: Arc::new(target),
                error,
                policy,
            },
        );
        return resolve_into(ix, pols, route, kind, br, index, out, policies);
    };
    // Envoy Gateway looks up a BackendTLSPolicy (and so gives it status) only for a backendRef
    // that validated and carries traffic: a ref that did not resolve, or of weight 0, leaves the
    // policy without an ancestor.
    if br.weight() != 0 {
        policies.extend(checked.policy);
    }
    out.push(BackendState {
        index,
        weight: br.weight(),
        target: checked.target.clone(),
    });
    checked.error.clone()
}

fn check<'m>(
    ix: &Index<'m>,
    pols: &Policies,
    route: &'m Object,
    kind: RouteKind,
    br: &'m BackendRef,
) -> (Result<BackendTarget, RefError>, Option<usize>) {
    let (group, bkind) = (br.group(), br.kind());
    let ns: &'m str = br
        .namespace
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(&route.namespace);
    let supported = matches!(
        (group, bkind),
        ("", "Service") | ("multicluster.x-k8s.io", "ServiceImport") | (EG_GROUP, "Backend")
    );
    if !supported {
        return (
            Err(err("InvalidKind", "backend-invalid-kind", format!("backendRef `{}` has kind {}{}{bkind}, which is not supported; use a core Service", br.name, group, if group.is_empty() { "" } else { "/" }))),
            None,
        );
    }
    if !ix.ref_permitted(
        GATEWAY_GROUP,
        kind.kind(),
        &route.namespace,
        group,
        bkind,
        ns,
        &br.name,
    ) {
        return (
            Err(err(
                "RefNotPermitted",
                "ref-not-permitted",
                format!("backendRef to {bkind} `{ns}/{}` crosses namespaces and no ReferenceGrant in `{ns}` allows {}s from `{}`; add one", br.name, kind.kind(), route.namespace),
            )),
            None,
        );
    }
    if bkind != "Service" {
        // ServiceImport / Envoy Gateway Backend: existence only.
        return match ix.object(bkind, ns, &br.name) {
            Some(_) => (
                Ok(BackendTarget::Service {
                    namespace: ix.shared(ns),
                    name: ix.shared(&br.name),
                    port: br.port.unwrap_or(0),
                    target_port: None,
                    app_protocol: None,
                    has_endpoints: true,
                    tls: None,
                }),
                None,
            ),
            None => (
                Err(err(
                    "BackendNotFound",
                    "backend-not-found",
                    format!("{bkind} `{ns}/{}` does not exist", br.name),
                )),
                None,
            ),
        };
    }
    let Some(port) = br.port else {
        return (
            Err(err(
                "PortNotSpecified",
                "backend-port-not-found",
                format!(
                    "backendRef to Service `{ns}/{}` needs a `port` (a port number of the Service)",
                    br.name
                ),
            )),
            None,
        );
    };
    let Some(svc_i) = ix.get("Service", ns, &br.name) else {
        return (
            Err(err(
                "BackendNotFound",
                "backend-not-found",
                format!(
                    "Service `{ns}/{}` {}",
                    br.name,
                    ix.model.missing(
                        "Service",
                        ns,
                        &br.name,
                        "; create it or fix the backendRef name/namespace"
                    )
                ),
            )),
            None,
        );
    };
    let Body::Service(svc) = &ix.model.objects[svc_i].body else {
        return (
            Err(err(
                "BackendNotFound",
                "backend-not-found",
                format!("Service `{ns}/{}` does not exist", br.name),
            )),
            None,
        );
    };
    if svc.type_() == "ExternalName" {
        return (Err(err("UnsupportedValue", "unsupported-value", format!("Service `{ns}/{}` is of type ExternalName, which Envoy Gateway does not route to; use a Backend or a ClusterIP Service", br.name))), None);
    }
    let want = if kind == RouteKind::Udp { "UDP" } else { "TCP" };
    let Some(sp) = svc
        .ports
        .iter()
        .find(|p| p.port == port && p.protocol() == want)
    else {
        let ports: Vec<String> = svc
            .ports
            .iter()
            .map(|p| format!("{}/{}", p.port, p.protocol()))
            .collect();
        return (
            Err(err(
                "PortNotFound",
                "backend-port-not-found",
                format!("Service `{ns}/{}` has no {want} port {port} (its ports: {}); use one of its `port` values, not the targetPort", br.name, if ports.is_empty() { "none".into() } else { ports.join(", ") }),
            )),
            None,
        );
    };
    let has_endpoints = match ix.slice_endpoints(ns, &br.name) {
        Some(x) => x,
        None => svc.selector.as_ref().is_some_and(|s| !s.is_empty()),
    };
    let pol = pols.lookup(ns, &br.name, sp.name.as_deref());
    let mut tls = None;
    if let Some(pi) = pol {
        let p = &pols.list[pi];
        if p.valid {
            tls = Some(p.tls.clone());
        } else {
            return (Err(err("InvalidBackendTLS", "unsupported-value", format!("the BackendTLSPolicy `{}` for Service `{ns}/{}` is invalid, so this backend cannot be reached", p.tls.policy, br.name))), pol);
        }
    }
    // The Service's own (namespace, name) equal `ns` and the ref's name: it was found by them.
    let (namespace, name) = ix.shared_names(svc_i);
    (
        Ok(BackendTarget::Service {
            namespace,
            name,
            port,
            target_port: sp.target_port.as_ref().map(|t| match t {
                crate::model::IntOrString::Int(i) => ix.shared_int(*i),
                crate::model::IntOrString::String(s) => ix.shared(s),
            }),
            app_protocol: sp.app_protocol.clone(),
            has_endpoints,
            tls,
        }),
        pol,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{load, LoadOptions, Model};
    use crate::source::SourceFile;

    fn model(text: &str) -> Model {
        load(
            vec![SourceFile::new("t.yaml", text)],
            &LoadOptions::default(),
        )
    }

    #[test]
    fn reasons_table() {
        let m = model(concat!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {}\n---\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec: {selector: {app: a}, ports: [{port: 80, targetPort: http, name: web}]}\n---\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec: {type: ExternalName, externalName: x.example.com, ports: [{port: 80}]}\n---\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: lonely}\nspec: {ports: [{port: 80}]}\n---\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: b}\nspec: {selector: {app: a}, ports: [{port: 80}]}\n",
        ));
        let ix = Index::build(&m);
        let pols = super::super::backend_tls::process(&ix, &mut Vec::new());
        let route = &m.objects[0];
        // Leaked: resolved names borrow from the model for the index's lifetime.
        let br = |j: serde_json::Value| -> &'static BackendRef {
            Box::leak(Box::new(serde_json::from_value::<BackendRef>(j).unwrap()))
        };
        let cases = [
            (serde_json::json!({"name": "svc", "port": 80}), None),
            (serde_json::json!({"name": "svc"}), Some("PortNotSpecified")),
            (
                serde_json::json!({"name": "svc", "port": 8080}),
                Some("PortNotFound"),
            ),
            (
                serde_json::json!({"name": "nope", "port": 80}),
                Some("BackendNotFound"),
            ),
            (
                serde_json::json!({"name": "svc", "port": 80, "kind": "Pod"}),
                Some("InvalidKind"),
            ),
            (
                serde_json::json!({"name": "svc", "port": 80, "group": "example.com", "kind": "Service"}),
                Some("InvalidKind"),
            ),
            (
                serde_json::json!({"name": "other", "namespace": "b", "port": 80}),
                Some("RefNotPermitted"),
            ),
            (
                serde_json::json!({"name": "ext", "port": 80}),
                Some("UnsupportedValue"),
            ),
        ];
        for (j, want) in cases {
            let (_, e, _) = resolve(&ix, &pols, route, RouteKind::Http, br(j.clone()), 0);
            assert_eq!(e.map(|e| e.reason), want, "{j}");
        }
        let (b, _, _) = resolve(
            &ix,
            &pols,
            route,
            RouteKind::Http,
            br(serde_json::json!({"name": "svc", "port": 80})),
            0,
        );
        match &*b.target {
            BackendTarget::Service {
                target_port,
                has_endpoints,
                ..
            } => {
                assert_eq!(target_port.as_deref(), Some("http"));
                assert!(has_endpoints);
            }
            other => panic!("{other:?}"),
        }
        let (b, _, _) = resolve(
            &ix,
            &pols,
            route,
            RouteKind::Http,
            br(serde_json::json!({"name": "lonely", "port": 80})),
            0,
        );
        assert!(matches!(
            *b.target,
            BackendTarget::Service {
                has_endpoints: false,
                ..
            }
        ));
        // UDP routes need a UDP port.
        let (_, e, _) = resolve(
            &ix,
            &pols,
            route,
            RouteKind::Udp,
            br(serde_json::json!({"name": "svc", "port": 80})),
            0,
        );
        assert_eq!(e.map(|e| e.reason), Some("PortNotFound"));
    }
}
