//! `service-without-endpoints`: a Service that a route (or an Envoy Gateway policy) sends traffic
//! to, with no selector (or an empty one) and no EndpointSlice labelled
//! `kubernetes.io/service-name: <name>` among the loaded objects.
//!
//! Why: without a selector Kubernetes creates no endpoints; someone has to write EndpointSlices by
//! hand. If none are there the Service has no endpoints, and Envoy Gateway answers 503 for its
//! share (`BackendsAvailable=False`). A legacy `v1/Endpoints` object of the same name counts as
//! endpoints, so hand-managed Services are not reported. Only referenced Services are checked:
//! a selector-less Service no route uses is none of the Gateway's business.

use super::{policy_refs, route_refs, Ctx};
use crate::diag::Diagnostic;
use crate::model::{Body, Object};
use std::collections::HashSet;

pub const CODE: &str = "service-without-endpoints";

pub fn check(cx: &Ctx, out: &mut Vec<Diagnostic>) {
    // Referenced Services, first referrer kept for the message.
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut refs: Vec<(&Object, String)> = Vec::new();
    for o in cx.routes() {
        for r in route_refs(o) {
            if let Some((s, _)) = cx.service(r.backend, &o.namespace) {
                if seen.insert((s.namespace.clone(), s.meta.name.clone())) {
                    refs.push((s, o.id()));
                }
            }
        }
    }
    for o in &cx.model.objects {
        for (_, r) in policy_refs(o) {
            if let Some((s, _)) = cx.service(&r, &o.namespace) {
                if seen.insert((s.namespace.clone(), s.meta.name.clone())) {
                    refs.push((s, o.id()));
                }
            }
        }
    }
    let legacy = LegacyEndpoints::of(cx);
    for (svc_obj, referrer) in refs {
        let Body::Service(svc) = &svc_obj.body else {
            continue;
        };
        if svc.type_() == "ExternalName" || svc.selector.as_ref().is_some_and(|s| !s.is_empty()) {
            continue;
        }
        let (ns, name) = (svc_obj.namespace.as_str(), svc_obj.meta.name.as_str());
        if cx.ix.slice_endpoints(ns, name).is_some() || legacy.has(ns, name) {
            continue;
        }
        let what = if svc.selector.is_some() {
            "an empty selector"
        } else {
            "no selector"
        };
        let msg = format!(
            "Service `{ns}/{name}` has {what} and no EndpointSlice (label `kubernetes.io/service-name: {name}`), so it has no endpoints: requests {referrer} sends to it get 503; add a selector that matches its pods, or load its EndpointSlices"
        );
        let loc = match svc.selector {
            Some(_) => cx.model.locate(svc_obj, "/spec/selector"),
            None => cx.model.locate_key(svc_obj, "/spec"),
        };
        out.push(Diagnostic::warning(CODE, msg).at(loc).on(svc_obj.id()));
    }
}

/// The core `v1/Endpoints` objects (not modelled, kept as ignored) by namespace and name, gathered
/// once: looking each Service up in the object list would make the lint quadratic.
struct LegacyEndpoints<'a>(HashSet<(Option<&'a str>, &'a str)>);

impl<'a> LegacyEndpoints<'a> {
    fn of(cx: &'a Ctx) -> Self {
        let objects = cx
            .model
            .objects
            .iter()
            .filter(|o| o.kind == "Endpoints" && o.api_version == "v1");
        LegacyEndpoints(
            objects
                .map(|o| (o.meta.namespace.as_deref(), o.meta.name.as_str()))
                .collect(),
        )
    }

    /// Whether an Endpoints object named `name` is in `ns` (or has no namespace).
    fn has(&self, ns: &str, name: &str) -> bool {
        self.0.contains(&(Some(ns), name)) || self.0.contains(&(None, name))
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testutil::{positions, Pos, CLASS};

    fn manifests(spec: &str, extra: &str) -> String {
        format!(
            "{CLASS}apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n  gatewayClassName: eg\n  listeners: [{{name: http, protocol: HTTP, port: 80}}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs: [{{name: web, port: 80}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n{spec}  ports: [{{port: 80, targetPort: 8080}}]\n{extra}"
        )
    }

    const SLICE: &str = "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, labels: {kubernetes.io/service-name: web}}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.1]}]\nports: [{port: 8080}]\n";
    const LEGACY: &str =
        "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\nsubsets: []\n";
    const UNUSED: &str = "---\napiVersion: v1\nkind: Service\nmetadata: {name: unused}\nspec: {ports: [{port: 80}]}\n";

    #[test]
    fn table() {
        let cases: &[(&str, &str, &[Pos])] = &[
            // Empty selector: points at it.
            (
                "  selector: {}\n",
                "",
                &[("service-without-endpoints", 25, 13)],
            ),
            // No selector at all: points at the `spec` key.
            ("", "", &[("service-without-endpoints", 24, 1)]),
            ("  selector: {app: web}\n", "", &[]),
            ("  selector: {}\n", SLICE, &[]),
            ("", LEGACY, &[]),
            (
                "  selector: {}\n  type: ExternalName\n  externalName: x.example.com\n",
                "",
                &[],
            ),
            // A selector-less Service nobody references is not reported.
            ("  selector: {app: web}\n", UNUSED, &[]),
        ];
        for (spec, extra, want) in cases {
            let got: Vec<_> = positions(&manifests(spec, extra))
                .into_iter()
                .filter(|d| d.0 == "service-without-endpoints")
                .collect();
            assert_eq!(got, *want, "spec {spec:?} extra {extra:?}");
        }
    }
}
