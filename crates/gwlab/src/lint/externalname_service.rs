//! `externalname-service`: a `type: ExternalName` Service behind a route.
//!
//! Why: an ExternalName Service is only a DNS alias, with no endpoints. Envoy Gateway refuses it
//! as a route backend: the route gets `ResolvedRefs=False` with reason `UnsupportedValue`, and the
//! backend's share of requests answers 500. The resolver reports that as an error on the
//! backendRef; this lint points at the Service and names the supported alternative, an Envoy
//! Gateway `Backend` with an FQDN endpoint.

use super::headless_service::referenced;
use super::Ctx;
use crate::diag::Diagnostic;

pub const CODE: &str = "externalname-service";

pub fn check(cx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (svc_obj, svc, route) in referenced(cx, |s| s.type_() == "ExternalName") {
        let target = svc
            .external_name
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("the external host");
        let msg = format!(
            "Service `{}/{}` behind {} is type ExternalName (`{target}`): Envoy Gateway does not route to ExternalName Services (route `ResolvedRefs=False, UnsupportedValue`; its share answers 500); use an Envoy Gateway Backend (gateway.envoyproxy.io/v1alpha1) with an fqdn endpoint `{target}` instead",
            svc_obj.namespace,
            svc_obj.meta.name,
            route.id()
        );
        out.push(cx.warn(CODE, svc_obj, "/spec/type", msg));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testutil::{lint, positions, Pos, CLASS};

    fn manifests(service_spec: &str) -> String {
        format!(
            "{CLASS}apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n  gatewayClassName: eg\n  listeners: [{{name: http, protocol: HTTP, port: 80}}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs: [{{name: partner, port: 443}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: partner}}\nspec:\n{service_spec}  ports: [{{port: 443}}]\n"
        )
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[Pos])] = &[
            (
                "  type: ExternalName\n  externalName: api.partner.example\n",
                &[("externalname-service", 25, 9)],
            ),
            ("  type: ClusterIP\n  selector: {app: partner}\n", &[]),
            ("  selector: {app: partner}\n", &[]),
        ];
        for (spec, want) in cases {
            assert_eq!(positions(&manifests(spec)), *want, "{spec:?}");
        }
    }

    #[test]
    fn message_explains_what_envoy_gateway_does() {
        let d = lint(&manifests(
            "  type: ExternalName\n  externalName: api.partner.example\n",
        ));
        assert!(
            d[0].message.contains("UnsupportedValue")
                && d[0].message.contains("fqdn endpoint `api.partner.example`"),
            "{}",
            d[0].message
        );
    }
}
