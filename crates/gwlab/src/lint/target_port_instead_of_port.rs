//! `target-port-instead-of-port`: a backendRef `port` that is one of the Service's `targetPort`
//! numbers but none of its `port` numbers.
//!
//! Why: a backendRef names a *Service* port; the targetPort is the container port behind it.
//! Copying the container port from a Deployment is the most common Service mistake. The resolver
//! already reports `backend-port-not-found` (the reference is invalid, its share answers 500);
//! this lint adds the fix: which Service port to use instead.

use super::{route_refs, Ctx};
use crate::diag::Diagnostic;
use crate::model::IntOrString;

pub const CODE: &str = "target-port-instead-of-port";

pub fn check(cx: &Ctx, out: &mut Vec<Diagnostic>) {
    for o in cx.routes() {
        for r in route_refs(o) {
            let Some(port) = r.backend.port else { continue };
            let Some((svc_obj, svc)) = cx.service(r.backend, &o.namespace) else {
                continue;
            };
            if svc.type_() == "ExternalName" || svc.ports.iter().any(|p| p.port == port) {
                continue;
            }
            let owner = svc.ports.iter().find(|p| match &p.target_port {
                Some(IntOrString::Int(t)) => *t == i64::from(port),
                Some(IntOrString::String(s)) => s.parse::<u32>().ok() == Some(port),
                None => false,
            });
            let Some(sp) = owner else { continue };
            let named = sp
                .name
                .as_deref()
                .map(|n| format!(" (`{n}`)"))
                .unwrap_or_default();
            let msg = format!(
                "port {port} is the targetPort (container port) of Service `{}/{}`, not one of its ports; use port: {}, the Service port{named} that forwards to {port}",
                svc_obj.namespace, svc_obj.meta.name, sp.port
            );
            let ptr = format!("{}/port", r.pointer);
            out.push(cx.warn(CODE, o, &ptr, msg));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testutil::{positions, Pos, CLASS};

    fn manifests(port: &str, target: &str) -> String {
        format!(
            "{CLASS}apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n  gatewayClassName: eg\n  listeners: [{{name: http, protocol: HTTP, port: 80}}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs:\n    - name: web\n      port: {port}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  selector: {{app: web}}\n  ports: [{{name: http, port: 80, targetPort: {target}}}]\n"
        )
    }

    #[test]
    fn table() {
        // (backendRef port, Service targetPort, expected lints)
        let cases: &[(&str, &str, &[Pos])] = &[
            ("8080", "8080", &[("target-port-instead-of-port", 21, 13)]),
            ("80", "8080", &[]),
            ("9090", "8080", &[]),
            ("8080", "http", &[]),
        ];
        for (port, target, want) in cases {
            assert_eq!(
                positions(&manifests(port, target)),
                *want,
                "port {port} targetPort {target}"
            );
        }
    }

    /// A quoted number is a port *name* to the API server, and a name needs a letter: the Service
    /// is refused, so there is no Service whose targetPort the route could have meant.
    #[test]
    fn a_quoted_numeric_target_port_is_refused_not_linted() {
        let a = crate::analyze(
            &[crate::Input::new("t.yaml", manifests("8080", "\"8080\""))],
            &crate::Options::default(),
        );
        let refusal = a
            .diagnostics
            .iter()
            .find(|d| d.code == "api-rejected")
            .expect("the Service is refused");
        assert!(
            refusal.message.contains("spec.ports[0].targetPort"),
            "{}",
            refusal.message
        );
        assert_eq!(positions(&manifests("8080", "\"8080\"")), []);
    }

    #[test]
    fn message_names_the_service_port() {
        let d = crate::lint::testutil::lint(&manifests("8080", "8080"));
        assert!(d[0].message.contains("use port: 80"), "{}", d[0].message);
        assert!(d[0].message.contains("`http`"), "{}", d[0].message);
    }
}
