//! The part of the object graph policy attachment needs: which Gateways this controller owns,
//! their listeners, and the routes that reference them (with their rule names).
//!
//! Built straight from the model so the policy engine does not depend on the resolver's internals;
//! the resolver's richer view is only needed for traffic, not for policy status.

use crate::model::{Body, Model, ParentReference, GATEWAY_GROUP};
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
}

#[derive(Debug, Clone, Default)]
pub struct World {
    pub gateways: Vec<WorldGateway>,
    pub routes: Vec<WorldRoute>,
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
                        listeners: g
                            .listeners
                            .iter()
                            .map(|l| (l.name.clone(), l.protocol.clone(), l.port))
                            .collect(),
                        listener_from: g
                            .listeners
                            .iter()
                            .map(|l| {
                                l.allowed_routes
                                    .as_ref()
                                    .and_then(|a| a.namespaces.as_ref())
                                    .and_then(|n| n.from.clone())
                                    .unwrap_or_else(|| "Same".into())
                            })
                            .collect(),
                    });
                }
            }
        }
        for (i, o) in model.objects.iter().enumerate() {
            let (parent_refs, rule_names): (Vec<ParentReference>, Vec<Option<String>>) =
                match &o.body {
                    Body::HttpRoute(r) => (
                        r.parent_refs.clone(),
                        match &r.rules {
                            Some(rules) => rules.iter().map(|r| r.name.clone()).collect(),
                            None => vec![None],
                        },
                    ),
                    Body::GrpcRoute(r) => (
                        r.parent_refs.clone(),
                        r.rules.iter().map(|r| r.name.clone()).collect(),
                    ),
                    Body::TlsRoute(r) | Body::TcpRoute(r) | Body::UdpRoute(r) => (
                        r.parent_refs.clone(),
                        r.rules.iter().map(|r| r.name.clone()).collect(),
                    ),
                    _ => continue,
                };
            // A route matters when one of its parents is a Gateway this controller owns.
            let relevant = parent_refs.iter().any(|p| {
                p.group() == GATEWAY_GROUP
                    && p.kind() == "Gateway"
                    && w.gateway(p.namespace_or(&o.namespace), &p.name).is_some()
            });
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
            });
        }
        w
    }

    pub fn gateway(&self, namespace: &str, name: &str) -> Option<usize> {
        self.gateways
            .iter()
            .position(|g| g.namespace == namespace && g.name == name)
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
        let protos: &[&str] = match route.kind.as_str() {
            "HTTPRoute" | "GRPCRoute" => &["HTTP", "HTTPS"],
            "TLSRoute" => &["TLS"],
            "TCPRoute" => &["TCP", "TLS"],
            _ => &["UDP"],
        };
        g.listeners
            .iter()
            .zip(&g.listener_from)
            .filter(|((name, proto, port), from)| {
                pr.section_name.as_ref().is_none_or(|s| s == name)
                    && pr.port.is_none_or(|p| p == *port)
                    && protos.contains(&proto.as_str())
                    && (from.as_str() != "Same" || route.namespace == g.namespace)
            })
            .map(|l| l.0 .0.clone())
            .collect()
    }

    pub fn is_merged(&self, gw: &WorldGateway) -> bool {
        self.merged_classes.get(&gw.class).copied().unwrap_or(false)
    }
}
