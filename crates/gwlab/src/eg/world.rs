//! The part of the object graph policy attachment needs: which Gateways this controller owns,
//! their listeners, the ListenerSets they admit, and the routes that reference either (with their
//! rule names).
//!
//! Built straight from the model so the policy engine does not depend on the resolver's internals;
//! the resolver's richer view is only needed for traffic, not for policy status.

use crate::model::{Body, Model, ParentReference, GATEWAY_GROUP};
use crate::sort::StableSort;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct WorldGateway {
    pub object: usize,
    pub namespace: String,
    pub name: String,
    pub class: String,
    /// (name, protocol, port) in spec order.
    pub listeners: Vec<(String, String, u32)>,
    /// `allowedRoutes.namespaces.from` per listener (default `Same`).
    pub listener_from: Vec<String>,
    /// `hostname` per listener.
    pub listener_hostnames: Vec<Option<String>>,
}

/// A ListenerSet admitted by a Gateway of this controller (`spec.allowedListeners`).
#[derive(Debug, Clone)]
pub struct WorldListenerSet {
    pub object: usize,
    pub namespace: String,
    pub name: String,
    /// Index into `World::gateways`.
    pub gateway: usize,
    /// (name, protocol, port) in spec order.
    pub listeners: Vec<(String, String, u32)>,
    pub listener_from: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct WorldRoute {
    pub object: usize,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub parent_refs: Vec<ParentReference>,
    /// Rule names in spec order (None for unnamed rules).
    pub rule_names: Vec<Option<String>>,
    pub hostnames: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct World {
    pub gateways: Vec<WorldGateway>,
    pub routes: Vec<WorldRoute>,
    /// In precedence order (oldest first, then namespace/name).
    pub listener_sets: Vec<WorldListenerSet>,
    /// GatewayClass name → merged (`mergeGateways`).
    pub merged_classes: BTreeMap<String, bool>,
}

pub const ROUTE_KINDS: [&str; 5] = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];

impl World {
    pub fn build(model: &Model, controller: &str) -> World {
        let mut classes = Vec::new();
        for o in &model.objects {
            if let Body::GatewayClass(c) = &o.body {
                if c.controller_name == controller {
                    classes.push(o.name().to_string());
                }
            }
        }
        let mut w = World::default();
        for c in &classes {
            w.merged_classes
                .insert(c.clone(), super::merge_gateways_enabled(model, c));
        }
        for (i, o) in model.objects.iter().enumerate() {
            if let Body::Gateway(g) = &o.body {
                if classes.contains(&g.gateway_class_name) {
                    w.gateways.push(WorldGateway {
                        object: i,
                        namespace: o.namespace.clone(),
                        name: o.name().to_string(),
                        class: g.gateway_class_name.clone(),
                        listeners: listener_facts(&g.listeners).0,
                        listener_from: listener_facts(&g.listeners).1,
                        listener_hostnames: g
                            .listeners
                            .iter()
                            .map(|l| l.hostname.clone())
                            .collect(),
                    });
                }
            }
        }
        w.listener_sets = listener_sets(model, &w.gateways);
        for (i, o) in model.objects.iter().enumerate() {
            let (parent_refs, rule_names, hostnames): (
                Vec<ParentReference>,
                Vec<Option<String>>,
                Vec<String>,
            ) = match &o.body {
                Body::HttpRoute(r) => (
                    r.parent_refs.clone(),
                    match &r.rules {
                        Some(rules) => rules.iter().map(|r| r.name.clone()).collect(),
                        None => vec![None],
                    },
                    r.hostnames.clone(),
                ),
                Body::GrpcRoute(r) => (
                    r.parent_refs.clone(),
                    r.rules.iter().map(|r| r.name.clone()).collect(),
                    r.hostnames.clone(),
                ),
                Body::TlsRoute(r) | Body::TcpRoute(r) | Body::UdpRoute(r) => (
                    r.parent_refs.clone(),
                    r.rules.iter().map(|r| r.name.clone()).collect(),
                    r.hostnames.clone(),
                ),
                _ => continue,
            };
            // A route matters when one of its parents is a Gateway this controller owns, or a
            // ListenerSet one of them admits.
            let relevant = parent_refs
                .iter()
                .any(|p| w.parent(p, &o.namespace).is_some());
            if !relevant {
                continue;
            }
            w.routes.push(WorldRoute {
                object: i,
                kind: o.kind.clone(),
                namespace: o.namespace.clone(),
                name: o.name().to_string(),
                parent_refs,
                rule_names,
                hostnames,
            });
        }
        w
    }

    pub fn gateway(&self, namespace: &str, name: &str) -> Option<usize> {
        self.gateways
            .iter()
            .position(|g| g.namespace == namespace && g.name == name)
    }

    pub fn listener_set(&self, namespace: &str, name: &str) -> Option<usize> {
        self.listener_sets
            .iter()
            .position(|l| l.namespace == namespace && l.name == name)
    }

    /// What a route parentRef points at, when it is ours.
    pub fn parent(&self, pr: &ParentReference, route_namespace: &str) -> Option<Parent> {
        if pr.group() != GATEWAY_GROUP {
            return None;
        }
        let ns = pr.namespace_or(route_namespace);
        match pr.kind() {
            "Gateway" => self.gateway(ns, &pr.name).map(Parent::Gateway),
            "ListenerSet" | "XListenerSet" => self.listener_set(ns, &pr.name).map(Parent::Set),
            _ => None,
        }
    }

    /// Listeners of a ListenerSet a route reaches through one parentRef.
    pub fn set_listeners_for(
        &self,
        route: &WorldRoute,
        pr: &ParentReference,
        ls: usize,
    ) -> Vec<String> {
        let s = &self.listener_sets[ls];
        reached(route, pr, &s.listeners, &s.listener_from, &s.namespace)
    }

    pub fn route(&self, kind: &str, namespace: &str, name: &str) -> Option<usize> {
        self.routes
            .iter()
            .position(|r| r.kind == kind && r.namespace == namespace && r.name == name)
    }

    /// Listeners of `gw` a route reaches through one parentRef (section/port, protocol and the
    /// allowed namespaces; hostnames are not intersected here).
    pub fn listeners_for(
        &self,
        route: &WorldRoute,
        pr: &ParentReference,
        gw: usize,
    ) -> Vec<String> {
        let g = &self.gateways[gw];
        reached(route, pr, &g.listeners, &g.listener_from, &g.namespace)
    }

    pub fn is_merged(&self, gw: &WorldGateway) -> bool {
        self.merged_classes.get(&gw.class).copied().unwrap_or(false)
    }
}

/// A route parent this controller serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    Gateway(usize),
    Set(usize),
}

/// Listener names a parentRef reaches among `listeners` (section/port, protocol and the allowed
/// namespaces; hostnames are not intersected here).
fn reached(
    route: &WorldRoute,
    pr: &ParentReference,
    listeners: &[(String, String, u32)],
    from: &[String],
    owner_namespace: &str,
) -> Vec<String> {
    let protos: &[&str] = match route.kind.as_str() {
        "HTTPRoute" | "GRPCRoute" => &["HTTP", "HTTPS"],
        "TLSRoute" => &["TLS"],
        "TCPRoute" => &["TCP", "TLS"],
        _ => &["UDP"],
    };
    listeners
        .iter()
        .zip(from)
        .filter(|((name, proto, port), from)| {
            pr.section_name.as_ref().is_none_or(|s| s == name)
                && pr.port.is_none_or(|p| p == *port)
                && protos.contains(&proto.as_str())
                && (from.as_str() != "Same" || route.namespace == owner_namespace)
        })
        .map(|l| l.0 .0.clone())
        .collect()
}

fn listener_facts(ls: &[crate::model::Listener]) -> (Vec<(String, String, u32)>, Vec<String>) {
    let facts = ls
        .iter()
        .map(|l| (l.name.clone(), l.protocol.clone(), l.port))
        .collect();
    let from = ls
        .iter()
        .map(|l| {
            l.allowed_routes
                .as_ref()
                .and_then(|a| a.namespaces.as_ref())
                .and_then(|n| n.from.clone())
                .unwrap_or_else(|| "Same".into())
        })
        .collect();
    (facts, from)
}

/// ListenerSets whose parent Gateway is ours and admits them (`allowedListeners`, default None).
fn listener_sets(model: &Model, gateways: &[WorldGateway]) -> Vec<WorldListenerSet> {
    let mut out = Vec::new();
    let mut order: Vec<usize> = (0..model.objects.len())
        .filter(|&i| matches!(model.objects[i].body, Body::ListenerSet(_)))
        .collect();
    order.stable_sort_by_key(|&i| model.objects[i].age_key());
    for i in order {
        let o = &model.objects[i];
        let Body::ListenerSet(ls) = &o.body else {
            continue;
        };
        let pr = &ls.parent_ref;
        if pr.kind() != "Gateway" || pr.group() != GATEWAY_GROUP {
            continue;
        }
        let gns = pr.namespace_or(&o.namespace);
        let Some(g) = gateways
            .iter()
            .position(|g| g.namespace == gns && g.name == pr.name)
        else {
            continue;
        };
        let Body::Gateway(gspec) = &model.objects[gateways[g].object].body else {
            continue;
        };
        let allowed = match gspec
            .allowed_listeners
            .as_ref()
            .and_then(|a| a.namespaces.as_ref())
        {
            None => false,
            Some(n) => match n.from.as_deref().unwrap_or("None") {
                "All" => true,
                "Same" => o.namespace == gns,
                "Selector" => {
                    let sel = n.selector.clone().unwrap_or_default();
                    model.objects.iter().any(|ns| {
                        matches!(ns.body, Body::Namespace)
                            && ns.name() == o.namespace
                            && sel.matches(&ns.meta.labels)
                    })
                }
                _ => false,
            },
        };
        if !allowed {
            continue;
        }
        let (listeners, listener_from) = listener_facts(&ls.listeners);
        out.push(WorldListenerSet {
            object: i,
            namespace: o.namespace.clone(),
            name: o.name().to_string(),
            gateway: g,
            listeners,
            listener_from,
        });
    }
    out
}
