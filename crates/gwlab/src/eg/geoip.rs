//! GeoIP authorization looks the client IP up, so Envoy Gateway rejects a SecurityPolicy with
//! `clientIPGeoLocations` principals unless every listener it governs has a ClientTrafficPolicy
//! with `clientIPDetection` (the peer address alone is not trusted as the client's). This needs
//! ClientTrafficPolicy attachment, so it runs after all passes.

use super::attach::{Ctx, Level};
use super::status::cond;
use super::world::Parent;
use super::PolicyKind;
use crate::diag::Diagnostic;
use serde_json::Value;
use std::collections::BTreeSet;

fn uses_geoip(raw: &Value) -> bool {
    raw.pointer("/authorization/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| {
            r.pointer("/principal/clientIPGeoLocations")
                .and_then(Value::as_array)
                .is_some_and(|g| !g.is_empty())
        })
}

/// (Gateway namespace, Gateway, listener) triples a level covers.
fn listeners(cx: &Ctx, level: &Level) -> BTreeSet<(String, String, String)> {
    let w = cx.world;
    let mut out = BTreeSet::new();
    let add_gateway = |out: &mut BTreeSet<_>, g: usize, only: Option<&[String]>| {
        let gw = &w.gateways[g];
        for l in &gw.listeners {
            if only.is_none_or(|o| o.contains(&l.0)) {
                out.insert((gw.namespace.clone(), gw.name.clone(), l.0.clone()));
            }
        }
    };
    match level {
        Level::Rule {
            route_kind,
            route_namespace,
            route,
            ..
        }
        | Level::Route {
            route_kind,
            route_namespace,
            route,
        } => {
            let Some(r) = w.route(route_kind, route_namespace, route) else {
                return out;
            };
            let r = &w.routes[r];
            for pr in &r.parent_refs {
                match w.parent(pr, &r.namespace) {
                    Some(Parent::Gateway(g)) => {
                        add_gateway(&mut out, g, Some(&w.listeners_for(r, pr, g)))
                    }
                    Some(Parent::Set(ls)) => {
                        let gw = &w.gateways[w.listener_sets[ls].gateway];
                        for l in w.set_listeners_for(r, pr, ls) {
                            out.insert((gw.namespace.clone(), gw.name.clone(), l));
                        }
                    }
                    None => {}
                }
            }
        }
        Level::Listener {
            gateway_namespace,
            gateway,
            listener,
        }
        | Level::SetListener {
            gateway_namespace,
            gateway,
            listener,
            ..
        } => {
            out.insert((gateway_namespace.clone(), gateway.clone(), listener.clone()));
        }
        Level::Set {
            gateway_namespace,
            gateway,
            listeners,
            ..
        } => {
            for l in listeners {
                out.insert((gateway_namespace.clone(), gateway.clone(), l.clone()));
            }
        }
        Level::Gateway {
            gateway_namespace,
            gateway,
        } => {
            if let Some(g) = w.gateway(gateway_namespace, gateway) {
                add_gateway(&mut out, g, None);
                for s in w.listener_sets.iter().filter(|s| s.gateway == g) {
                    for l in &s.listeners {
                        out.insert((gateway_namespace.clone(), gateway.clone(), l.0.clone()));
                    }
                }
            }
        }
    }
    out
}

/// Whether a ClientTrafficPolicy with `clientIPDetection` configures the listener.
fn detects_client_ip(cx: &Ctx, at: &(String, String, String)) -> bool {
    cx.out.attachments.iter().any(|a| {
        let p = &cx.policies[a.policy];
        p.kind == PolicyKind::ClientTraffic
            && p.raw.get("clientIPDetection").is_some_and(|d| !d.is_null())
            && a.level.covers_listener(&at.0, &at.1, &at.2)
    })
}

pub(super) fn require_client_ip_detection(cx: &mut Ctx) {
    for p in 0..cx.policies.len() {
        let pol = &cx.policies[p];
        if pol.kind != PolicyKind::Security || !uses_geoip(&pol.raw) {
            continue;
        }
        let mut missing: BTreeSet<String> = BTreeSet::new();
        for a in cx.out.attachments.iter().filter(|a| a.policy == p) {
            for l in listeners(cx, &a.level) {
                if !detects_client_ip(cx, &l) {
                    missing.insert(format!("{}/{}/{}", l.0, l.1, l.2));
                }
            }
        }
        if missing.is_empty() {
            continue;
        }
        let msg = format!(
            "GeoIP authorization needs client IP detection: set clientIPDetection in a ClientTrafficPolicy for listeners {:?}",
            missing
        );
        for a in cx.out.attachments.iter_mut().filter(|a| a.policy == p) {
            a.broken = true;
        }
        for anc in &mut cx.out.statuses[p].ancestors {
            if anc
                .conditions
                .iter()
                .any(|c| c.type_ == "Accepted" && c.status)
            {
                anc.set(cond("Accepted", false, "Invalid", msg.clone()));
            }
        }
        cx.diag(
            p,
            Diagnostic::error("policy-invalid", msg),
            "/spec/authorization",
        );
    }
}
