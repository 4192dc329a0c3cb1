//! Resolution: which Gateways this controller owns, which listeners are valid, which routes attach
//! where, which backends each rule reaches, and the `status` every object would get.
//!
//! The output is data, consumed by the router (`crate::route`) and the views. Status is written
//! exactly as Envoy Gateway writes it (see `docs/`), so a user can compare it with `kubectl get -o yaml`.

pub mod attach;
pub mod backend_refs;
pub mod backend_tls;
pub mod filters;
pub mod gatewayclass;
pub mod hostname;
pub mod index;
pub mod keypair;
pub mod listeners;
pub mod overlap;
pub mod routes;
pub mod status;

use crate::diag::Diagnostic;
use crate::model::Model;
use serde::Serialize;
use std::sync::Arc;

/// Settings that change what a controller would do.
#[derive(Debug, Clone, Serialize)]
pub struct Options {
    /// The GatewayClass controllerName this simulator acts as.
    pub controller_name: String,
}

pub const ENVOY_GATEWAY_CONTROLLER: &str = "gateway.envoyproxy.io/gatewayclass-controller";

impl Default for Options {
    fn default() -> Self {
        Options {
            controller_name: ENVOY_GATEWAY_CONTROLLER.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Protocol {
    Http,
    Https,
    Tls,
    Tcp,
    Udp,
    /// Anything else (the listener is not Accepted).
    Unsupported,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TlsMode {
    Terminate,
    Passthrough,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RouteKind {
    Http,
    Grpc,
    Tls,
    Tcp,
    Udp,
}

impl RouteKind {
    pub fn kind(self) -> &'static str {
        match self {
            RouteKind::Http => "HTTPRoute",
            RouteKind::Grpc => "GRPCRoute",
            RouteKind::Tls => "TLSRoute",
            RouteKind::Tcp => "TCPRoute",
            RouteKind::Udp => "UDPRoute",
        }
    }
}

/// A Gateway owned by this controller (its class is accepted and names our controller).
#[derive(Debug, Clone, Serialize)]
pub struct GatewayState {
    /// Index into `Model::objects`.
    pub object: usize,
    pub namespace: String,
    pub name: String,
    pub accepted: bool,
    /// Own listeners first, then those of attached ListenerSets (precedence order).
    pub listeners: Vec<ListenerState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListenerState {
    pub name: String,
    /// Index into `Model::objects` of the Gateway or ListenerSet that declares it.
    pub source: usize,
    pub port: u32,
    pub protocol: Protocol,
    /// Lower-cased; None = any host.
    pub hostname: Option<String>,
    pub tls_mode: Option<TlsMode>,
    /// Usable for traffic (Programmed=True): valid, not conflicted, certificates resolved.
    pub programmed: bool,
    pub supported_kinds: Vec<RouteKind>,
    /// Names the certificate Secrets serving this listener (`namespace/name`).
    pub certificates: Vec<String>,
    /// Frontend client-certificate validation is required on this listener.
    pub client_validation: bool,
}

/// One accepted (parentRef, listener) attachment of a route.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    /// Index into `Resolved::gateways`.
    pub gateway: usize,
    /// Index into that gateway's `listeners`.
    pub listener: usize,
    /// Index into the route's parentRefs.
    pub parent_ref: usize,
    /// Effective hostnames after intersection with the listener; empty = any host.
    pub hostnames: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RouteState {
    /// Index into `Model::objects`.
    pub object: usize,
    pub kind: RouteKind,
    pub attachments: Vec<Attachment>,
    /// One entry per rule, in spec order (the CRD default rule when `rules` is absent).
    pub rules: Vec<RuleState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleState {
    pub index: usize,
    /// False when the rule was dropped (invalid matches/filters): it programs no route entry.
    pub programmed: bool,
    /// A fixed reply for the whole rule (e.g. 500 for a filter error), overriding backends.
    pub direct_status: Option<u16>,
    pub backends: Backends,
    /// Resolved RequestMirror targets, in filter order.
    pub mirrors: Vec<BackendState>,
}

/// A rule's backends, kept inline up to two (a weighted pair is the usual case): a large
/// configuration has tens of thousands of rules, and a list allocated per rule was a third of
/// `resolve`'s allocations.
pub type Backends = smallvec::SmallVec<[BackendState; 2]>;

#[derive(Debug, Clone, Serialize)]
pub struct BackendState {
    /// Index into the rule's backendRefs (or the mirror filter index for mirrors).
    pub index: usize,
    pub weight: u64,
    /// Shared by every backendRef that resolves the same way (the same Service port seen from
    /// the same namespace and route kind): a large configuration has tens of thousands of
    /// references to a few hundred Services, and a copy each made `resolve` allocation-bound.
    pub target: Arc<BackendTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum BackendTarget {
    /// A resolved Service port.
    ///
    /// Names are shared (`Arc`) with every other backendRef to the same Service and with the
    /// router's answers: large configurations repeat them thousands of times.
    Service {
        namespace: Arc<str>,
        name: Arc<str>,
        port: u32,
        /// The Service port's targetPort as written (number or name), for explanations.
        target_port: Option<Arc<str>>,
        app_protocol: Option<String>,
        /// Ready endpoints exist (no endpoints → 503 for this share).
        has_endpoints: bool,
        /// BackendTLSPolicy in force for this hop: (policy `namespace/name`, SNI hostname).
        tls: Option<BackendTls>,
    },
    /// Unusable: the share of traffic it would get answers 500 (HTTP) / UNAVAILABLE (gRPC) /
    /// connection rejected (L4). `reason` is the route ResolvedRefs reason.
    Invalid { reason: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackendTls {
    pub policy: String,
    pub sni: String,
    /// `ConfigMap namespace/name` of the CA, or `System` for well-known CAs.
    pub ca: String,
}

/// The computed `status` of one object.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectStatus {
    /// Index into `Model::objects`.
    pub object: usize,
    /// Shared names (`Arc<str>`): a large configuration has thousands of statuses with the same
    /// kind and namespace, and three owned strings each were a third of a route's allocations.
    pub kind: Arc<str>,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    /// The status stanza as a controller writes it (conditions with observedGeneration; no
    /// lastTransitionTime, which depends on wall-clock time). Reads as a `serde_json::Value`.
    pub status: status::StatusValue,
}

impl ObjectStatus {
    /// The status of model object `object` (`o`), named as the object is.
    pub fn of(
        object: usize,
        o: &crate::model::Object,
        status: status::StatusValue,
    ) -> ObjectStatus {
        ObjectStatus {
            object,
            kind: o.kind.as_str().into(),
            namespace: o.namespace.as_str().into(),
            name: o.meta.name.as_str().into(),
            status,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Resolved {
    pub gateways: Vec<GatewayState>,
    pub routes: Vec<RouteState>,
    pub statuses: Vec<ObjectStatus>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Resolves the model. Pure and deterministic; never panics.
pub fn resolve(model: &Model, opts: &Options) -> Resolved {
    let ix = index::Index::build(model);
    let mut out = Resolved::default();
    let classes = gatewayclass::process(&ix, opts, &mut out.statuses, &mut out.diagnostics);
    let mut gws = listeners::process(&ix, &classes, &mut out.diagnostics);
    let mut pols = backend_tls::process(&ix, &mut out.diagnostics);
    let parents = attach::Parents::build(&ix, &gws);
    let controller: Arc<str> = Arc::from(opts.controller_name.as_str());
    let n_routes = model
        .objects
        .iter()
        .filter(|o| routes::route_parts(o).is_some())
        .count();
    out.routes.reserve_exact(n_routes);
    let mut route_statuses = Vec::with_capacity(n_routes);
    let mut scratch = routes::Scratch::default();
    let mut paths = overlap::PathHashes::default();
    for oi in 0..model.objects.len() {
        if let Some(r) = routes::process(
            &ix,
            &mut pols,
            &parents,
            &mut gws,
            oi,
            &controller,
            &mut out.diagnostics,
            &mut scratch,
        ) {
            if let Some(s) = r.status {
                route_statuses.push(s);
            }
            paths.record(&model.objects[oi], &r.state);
            out.routes.push(r.state);
        }
    }
    out.gateways = gws.iter().map(|g| g.to_state()).collect();
    overlap::check(
        model,
        &out.gateways,
        &out.routes,
        &paths,
        &mut route_statuses,
    );
    listeners::statuses(&ix, &gws, &mut out.statuses);
    out.statuses.extend(route_statuses);
    backend_tls::statuses(&ix, &pols, &opts.controller_name, &mut out.statuses);
    out
}

#[cfg(test)]
mod tests;
