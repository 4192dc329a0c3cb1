//! `headless-service`: a Service with `clusterIP: None` behind a route.
//!
//! Why: Envoy Gateway sends traffic to the Service's endpoints (EndpointSlices), never to a
//! cluster IP, so a headless backend works. But headless is usually copied from a StatefulSet
//! example rather than chosen, and every other client of the Service (anything resolving its DNS
//! name) sees individual pod addresses instead of one virtual IP. A warning keeps the choice
//! deliberate.

use super::{route_refs, Ctx};
use crate::diag::Diagnostic;
use crate::model::{Object, ServiceSpec};
use std::collections::HashSet;

pub const CODE: &str = "headless-service";

/// Services referenced by route backendRefs (and mirrors) that satisfy `pred`, each once, with
/// the first route that references it.
pub(crate) fn referenced<'m>(
    cx: &Ctx<'m>,
    pred: impl Fn(&ServiceSpec) -> bool,
) -> Vec<(&'m Object, &'m ServiceSpec, &'m Object)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for o in cx.routes() {
        for r in route_refs(o) {
            if let Some((so, s)) = cx.service(r.backend, &o.namespace) {
                if pred(s) && seen.insert((so.namespace.as_str(), so.meta.name.as_str())) {
                    out.push((so, s, o));
                }
            }
        }
    }
    out
}

pub fn check(cx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (svc_obj, _, route) in referenced(cx, |s| s.is_headless() && s.type_() != "ExternalName") {
        let msg = format!(
            "Service `{}/{}` behind {} is headless (`clusterIP: None`): Envoy Gateway routes to its EndpointSlice addresses, so this works, but other clients of the Service get individual pod addresses; remove `clusterIP: None` unless that is intended",
            svc_obj.namespace,
            svc_obj.meta.name,
            route.id()
        );
        out.push(cx.warn(CODE, svc_obj, "/spec/clusterIP", msg));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testutil::{positions, Pos, CLASS};

    fn manifests(service_spec: &str) -> String {
        format!(
            "{CLASS}apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n  gatewayClassName: eg\n  listeners: [{{name: http, protocol: HTTP, port: 80}}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs: [{{name: web, port: 80}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  selector: {{app: web}}\n{service_spec}  ports: [{{port: 80}}]\n"
        )
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[Pos])] = &[
            ("  clusterIP: None\n", &[("headless-service", 26, 14)]),
            ("  clusterIP: 10.96.0.10\n", &[]),
            ("", &[]),
        ];
        for (spec, want) in cases {
            assert_eq!(positions(&manifests(spec)), *want, "{spec:?}");
        }
    }

    #[test]
    fn only_services_behind_a_route() {
        let text = format!("{CLASS}apiVersion: v1\nkind: Service\nmetadata: {{name: db}}\nspec: {{clusterIP: None, selector: {{app: db}}, ports: [{{port: 5432}}]}}\n");
        assert_eq!(positions(&text), vec![]);
    }
}
