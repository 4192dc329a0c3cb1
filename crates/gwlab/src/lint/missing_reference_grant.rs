//! `missing-reference-grant`: a reference into another namespace that no ReferenceGrant allows:
//! route backendRefs and mirror targets, listener certificateRefs (from Gateways and
//! ListenerSets), and backend references of Envoy Gateway policies (extAuth, JWKS, …).
//!
//! Why: the resolver reports `ref-not-permitted` (the reference is ignored: 500 for a backend's
//! share, an unprogrammed listener, an invalid policy). The fix is always the same object in the
//! *target* namespace, and easy to get subtly wrong (grant in the source namespace, plural kind,
//! `group: core`). This lint prints the exact ReferenceGrant that allows this one reference and
//! nothing more, ready to paste.

use super::{policy_refs, route_refs, Ctx};
use crate::diag::Diagnostic;
use crate::model::{Body, Object, EG_GROUP, GATEWAY_GROUP};
use crate::sort::StableSort;
use std::collections::HashSet;

pub const CODE: &str = "missing-reference-grant";

/// One cross-namespace reference.
struct Ref<'a> {
    pointer: String,
    from_group: &'a str,
    from_kind: &'a str,
    to_group: String,
    to_kind: String,
    to_ns: String,
    to_name: String,
}

pub fn check(cx: &Ctx, out: &mut Vec<Diagnostic>) {
    let mut refs: Vec<(&Object, Ref)> = Vec::new();
    for o in cx.routes() {
        for r in route_refs(o) {
            let b = r.backend;
            let supported = matches!(
                (b.group(), b.kind()),
                ("", "Service")
                    | ("multicluster.x-k8s.io", "ServiceImport")
                    | (EG_GROUP, "Backend")
            );
            if supported {
                let to_ns = b
                    .namespace
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&o.namespace)
                    .to_string();
                refs.push((
                    o,
                    Ref {
                        pointer: r.pointer,
                        from_group: GATEWAY_GROUP,
                        from_kind: o.kind.as_str(),
                        to_group: b.group().into(),
                        to_kind: b.kind().into(),
                        to_ns,
                        to_name: b.name.clone(),
                    },
                ));
            }
        }
    }
    // Gateways this controller owns, and the ListenerSets attached to them.
    let mut owners: Vec<usize> = Vec::new();
    for g in &cx.resolved.gateways {
        owners.push(g.object);
        owners.extend(g.listeners.iter().map(|l| l.source));
    }
    owners.stable_sort();
    owners.dedup();
    for oi in owners {
        let Some(o) = cx.model.objects.get(oi) else {
            continue;
        };
        let listeners = match &o.body {
            Body::Gateway(g) => &g.listeners,
            Body::ListenerSet(s) => &s.listeners,
            _ => continue,
        };
        for (li, l) in listeners.iter().enumerate() {
            let Some(tls) = &l.tls else { continue };
            if tls.mode.as_deref().unwrap_or("Terminate") != "Terminate" {
                continue;
            }
            for (ci, c) in tls.certificate_refs.iter().enumerate() {
                if !c.group_or("").is_empty() || c.kind_or("Secret") != "Secret" {
                    continue;
                }
                let to_ns = c.namespace_or(&o.namespace).to_string();
                let pointer = format!("/spec/listeners/{li}/tls/certificateRefs/{ci}");
                refs.push((
                    o,
                    Ref {
                        pointer,
                        from_group: GATEWAY_GROUP,
                        from_kind: o.kind.as_str(),
                        to_group: String::new(),
                        to_kind: "Secret".into(),
                        to_ns,
                        to_name: c.name.clone(),
                    },
                ));
            }
        }
    }
    for o in &cx.model.objects {
        for (pointer, b) in policy_refs(o) {
            let supported = matches!(
                (b.group(), b.kind()),
                ("", "Service") | (EG_GROUP, "Backend")
            );
            if supported {
                let to_ns = b
                    .namespace
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&o.namespace)
                    .to_string();
                refs.push((
                    o,
                    Ref {
                        pointer,
                        from_group: EG_GROUP,
                        from_kind: o.kind.as_str(),
                        to_group: b.group().into(),
                        to_kind: b.kind().into(),
                        to_ns,
                        to_name: b.name.clone(),
                    },
                ));
            }
        }
    }

    let mut seen = HashSet::new();
    for (o, r) in refs {
        if r.to_ns == o.namespace || r.to_name.is_empty() {
            continue;
        }
        if cx.ix.ref_permitted(
            r.from_group,
            r.from_kind,
            &o.namespace,
            &r.to_group,
            &r.to_kind,
            &r.to_ns,
            &r.to_name,
        ) {
            continue;
        }
        if !seen.insert((
            o.id(),
            r.to_group.clone(),
            r.to_kind.clone(),
            r.to_ns.clone(),
            r.to_name.clone(),
        )) {
            continue;
        }
        let msg = format!(
            "no ReferenceGrant in namespace `{}` allows references from {} objects in `{}` to {} `{}/{}`; this ReferenceGrant allows exactly this reference:\n{}",
            r.to_ns,
            r.from_kind,
            o.namespace,
            r.to_kind,
            r.to_ns,
            r.to_name,
            grant_yaml(&r, &o.namespace)
        );
        out.push(cx.warn(CODE, o, &r.pointer, msg));
    }
}

/// The ReferenceGrant (in the target namespace) that permits exactly `r` from `from_ns`.
fn grant_yaml(r: &Ref, from_ns: &str) -> String {
    let quote = |s: &str| {
        if s.is_empty() {
            "\"\"".to_string()
        } else {
            s.to_string()
        }
    };
    let name: String = format!("allow-{from_ns}-to-{}", r.to_name)
        .chars()
        .take(253)
        .collect();
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata:\n  name: {name}\n  namespace: {}\nspec:\n  from:\n    - group: {}\n      kind: {}\n      namespace: {from_ns}\n  to:\n    - group: {}\n      kind: {}\n      name: {}\n",
        r.to_ns,
        quote(r.from_group),
        r.from_kind,
        quote(&r.to_group),
        r.to_kind,
        r.to_name
    )
}

#[cfg(test)]
mod tests {
    use crate::lint::testutil::{lint, positions, Pos, CLASS};

    const GW: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: infra}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}\n  - name: https\n    protocol: HTTPS\n    port: 443\n    tls:\n      certificateRefs:\n      - {name: wild-tls, namespace: certs}\n---\n";
    const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: store, namespace: team-a}\nspec:\n  parentRefs: [{name: gw, namespace: infra, sectionName: http}]\n  rules:\n  - backendRefs:\n    - name: auth\n      namespace: shared\n      port: 80\n---\n";
    const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: auth, namespace: shared}\nspec: {selector: {app: auth}, ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: wild-tls, namespace: certs}\ntype: kubernetes.io/tls\ndata: {tls.crt: PLACEHOLDER, tls.key: PLACEHOLDER}\n---\n";
    const GRANT_SVC: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g1, namespace: shared}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-a}]\n  to: [{group: '', kind: Service, name: auth}]\n---\n";
    const GRANT_SECRET: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g2, namespace: certs}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]\n  to: [{group: '', kind: Secret}]\n---\n";
    const GRANT_WRONG_NS: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g1, namespace: team-a}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-a}]\n  to: [{group: '', kind: Service, name: auth}]\n---\n";

    #[test]
    fn table() {
        let cases: &[(&str, &[Pos])] = &[
            // Neither the certificate (line 18) nor the backend (line 27) is granted.
            (
                "",
                &[
                    ("missing-reference-grant", 18, 9),
                    ("missing-reference-grant", 27, 7),
                ],
            ),
            (GRANT_SVC, &[("missing-reference-grant", 18, 9)]),
            (GRANT_SECRET, &[("missing-reference-grant", 27, 7)]),
            // A grant in the source namespace does nothing.
            (
                GRANT_WRONG_NS,
                &[
                    ("missing-reference-grant", 18, 9),
                    ("missing-reference-grant", 27, 7),
                ],
            ),
        ];
        for (grants, want) in cases {
            let text = format!("{CLASS}{GW}{ROUTE}{grants}{SVC}");
            let got: Vec<_> = positions(&text)
                .into_iter()
                .filter(|d| d.0 == "missing-reference-grant")
                .collect();
            assert_eq!(got, *want, "{grants}");
        }
        let text = format!("{CLASS}{GW}{ROUTE}{GRANT_SVC}{GRANT_SECRET}{SVC}");
        assert!(lint(&text)
            .iter()
            .all(|d| d.code != "missing-reference-grant"));
    }

    #[test]
    fn the_printed_grant_fixes_the_reference() {
        let text = format!("{CLASS}{GW}{ROUTE}{GRANT_SECRET}{SVC}");
        let d: Vec<_> = lint(&text)
            .into_iter()
            .filter(|d| d.code == "missing-reference-grant")
            .collect();
        assert_eq!(d.len(), 1);
        let yaml = d[0].message.split_once(":\n").unwrap().1;
        assert!(
            yaml.contains("namespace: shared\n")
                && yaml.contains("kind: HTTPRoute\n")
                && yaml.contains("group: \"\"\n"),
            "{yaml}"
        );
        // Applying it makes both the lint and the resolver error go away.
        let fixed = format!("{CLASS}{GW}{ROUTE}{GRANT_SECRET}{SVC}{yaml}");
        let a = crate::analyze(
            &[crate::Input::new("t.yaml", fixed)],
            &crate::Options::default(),
        );
        let bad: Vec<_> = a
            .diagnostics
            .iter()
            .filter(|d| d.code == "missing-reference-grant" || d.code == "ref-not-permitted")
            .map(|d| d.render())
            .collect();
        assert!(bad.is_empty(), "{bad:?}");
    }

    #[test]
    fn policy_backends_need_a_grant_from_the_policy_kind() {
        let policy = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: ext, namespace: team-a}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: store}]\n  extAuth:\n    http:\n      backendRefs:\n      - {name: auth, namespace: shared, port: 80}\n---\n";
        let text = format!("{CLASS}{GW}{ROUTE}{GRANT_SVC}{GRANT_SECRET}{SVC}{policy}");
        let d: Vec<_> = lint(&text)
            .into_iter()
            .filter(|d| d.code == "missing-reference-grant")
            .collect();
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("group: gateway.envoyproxy.io\n      kind: SecurityPolicy\n"),
            "{}",
            d[0].message
        );
    }
}
