//! Choosing where a request lands: the Gateway, the port, the SNI chain (HTTPS/TLS), the virtual
//! host, and the winning rule-match, as Envoy Gateway's Envoy configuration would.

use super::l4;
use super::matchers::{why_before, ReqView};
use super::outcome::Planned;
use super::outcome::{self, finish};
use super::table::{CBackend, ChainTarget, GwTables, HttpTable, PortTables, Router, TlsChain};
use super::{Outcome, Request, RequestProtocol, Share, ShareOutcome, Tracer};
use crate::resolve::{RouteKind, TlsMode};
use std::sync::Arc;

/// Candidates listed one by one in a trace before the rest are summarized.
const TRACE_CANDIDATES: usize = 1000;

/// A routing decision with nothing materialized: the answer `route_fast` starts from, borrowed
/// from the router. Use it for bulk evaluation (what-if sweeps, benchmarks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision<'r> {
    /// The status most requests get; 0 when the connection is refused or forwarded at L4.
    pub status: u16,
    pub rejected: bool,
    /// `Kind/ns/name` of the winning route.
    pub route: Option<&'r str>,
    pub rule: usize,
    pub match_index: Option<usize>,
    /// `ns/gateway/listener`.
    pub listener: Option<&'r str>,
    /// The backend most requests reach: (namespace, name, port).
    pub backend: Option<(&'r str, &'r str, u32)>,
    /// The rule's traffic distribution (see [`Decision::shares`]); empty when no rule was chosen.
    plan: &'r [Planned],
    backends: &'r [CBackend],
}

/// One share of a [`Decision`]'s traffic distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DecidedShare<'r> {
    /// Forwarded to this Service port: (namespace, name, port).
    Backend(&'r str, &'r str, u32),
    /// Answered by the gateway with this status (invalid or endpoint-less backends, fixed replies).
    Status(u16),
    /// The connection is refused (L4).
    Rejected,
}

impl<'r> Decision<'r> {
    /// The weighted distribution of the chosen rule: (fraction, configured weight, where it goes),
    /// the same shares `route_fast` reports, borrowed from the router. Fixed replies (a
    /// redirect, a filter error) yield no shares; `status` has them.
    pub fn shares(&self) -> impl Iterator<Item = (f64, u64, DecidedShare<'r>)> + 'r {
        let backends = self.backends;
        self.plan.iter().filter_map(move |p| match *p {
            Planned::Backend {
                backend,
                fraction,
                weight,
            } => match &*backends.get(backend)?.target {
                crate::resolve::BackendTarget::Service {
                    namespace,
                    name,
                    port,
                    ..
                } => Some((
                    fraction,
                    weight,
                    DecidedShare::Backend(namespace, name, *port),
                )),
                _ => None,
            },
            Planned::Status {
                code,
                fraction,
                weight,
            } => Some((fraction, weight, DecidedShare::Status(code))),
            Planned::Rejected { fraction, weight } => {
                Some((fraction, weight, DecidedShare::Rejected))
            }
        })
    }
}

impl<'r> Decision<'r> {
    fn refused() -> Decision<'r> {
        Decision {
            status: 0,
            rejected: true,
            route: None,
            rule: 0,
            match_index: None,
            listener: None,
            backend: None,
            plan: &[],
            backends: &[],
        }
    }
    /// An HTTP request carried by an L4 route: the backend answers it.
    fn l4_http(mut self) -> Decision<'r> {
        if self.backend.is_some() {
            self.status = 200;
        }
        self
    }
    fn not_found(listener: &'r str) -> Decision<'r> {
        Decision {
            status: 404,
            rejected: false,
            route: None,
            rule: 0,
            match_index: None,
            listener: Some(listener),
            backend: None,
            plan: &[],
            backends: &[],
        }
    }
}

impl Router {
    /// Routes one request to a [`Decision`]: no trace, no strings built. Never panics.
    pub fn decide<'r>(&'r self, req: &Request) -> Decision<'r> {
        let port = req.port as u32;
        let gi = match &req.gateway {
            Some(g) => self.find_gateway(g),
            None => self.pick_gateway(port, req),
        };
        let Some(gw) = gi.map(|i| &self.gateways[i]) else {
            return Decision::refused();
        };
        let Some(pt) = gw.ports.iter().find(|p| p.port == port) else {
            return Decision::refused();
        };
        match req.protocol {
            RequestProtocol::Http | RequestProtocol::Grpc if !req.is_tls() => {
                match (&pt.http, pt.tcp.first()) {
                    (Some(t), _) => self.decide_http(gw, pt.http_listeners[0], t, req),
                    (None, Some(e)) => self.decide_action(gw, e.listener, e.action, None),
                    _ => Decision::refused(),
                }
            }
            RequestProtocol::Http | RequestProtocol::Grpc | RequestProtocol::Tls => {
                let Some((ci, _)) = select_chain(&pt.tls, req.sni.as_deref()) else {
                    return Decision::refused();
                };
                let c = &pt.tls[ci];
                let l = &gw.listeners[c.listener];
                if l.client_validation
                    && !req.client_certificate
                    && l.tls_mode != Some(TlsMode::Passthrough)
                {
                    return Decision::refused();
                }
                match &c.target {
                    ChainTarget::Https(_) if req.protocol == RequestProtocol::Tls => Decision {
                        rejected: false,
                        listener: Some(&l.id),
                        ..Decision::refused()
                    },
                    ChainTarget::Https(t) => self.decide_http(gw, c.listener, t, req),
                    ChainTarget::Route(ai) if req.protocol != RequestProtocol::Tls => {
                        self.decide_action(gw, c.listener, *ai, None).l4_http()
                    }
                    ChainTarget::Route(ai) => self.decide_action(gw, c.listener, *ai, None),
                }
            }
            RequestProtocol::Tcp => pt
                .tcp
                .first()
                .map(|e| self.decide_action(gw, e.listener, e.action, None))
                .unwrap_or_else(Decision::refused),
            RequestProtocol::Udp => pt
                .udp
                .first()
                .map(|e| self.decide_action(gw, e.listener, e.action, None))
                .unwrap_or_else(Decision::refused),
        }
    }

    fn decide_http<'r>(
        &'r self,
        gw: &'r GwTables,
        default_listener: usize,
        table: &'r HttpTable,
        req: &Request,
    ) -> Decision<'r> {
        let authority = req.host.as_deref().unwrap_or(&gw.address);
        let view = ReqView::new(&req.method, &req.path, &req.headers, authority);
        let Some((vi, _)) = table.select(req.host.as_deref()) else {
            return Decision::not_found(&gw.listeners[default_listener].id);
        };
        let vh = &table.vhosts[vi];
        match vh.find(&view) {
            Some(i) => {
                let e = &vh.entries[i];
                self.decide_action(gw, e.listener, e.action, Some(e.match_index))
            }
            None => Decision::not_found(
                &gw.listeners[vh
                    .entries
                    .first()
                    .map(|e| e.listener)
                    .unwrap_or(default_listener)]
                .id,
            ),
        }
    }

    fn decide_action<'r>(
        &'r self,
        gw: &'r GwTables,
        listener: usize,
        ai: usize,
        match_index: Option<Option<usize>>,
    ) -> Decision<'r> {
        let a = &self.actions[ai];
        let backend = a.primary.1.and_then(|b| match &*a.backends[b].target {
            crate::resolve::BackendTarget::Service {
                namespace,
                name,
                port,
                ..
            } => Some((&**namespace, &**name, *port)),
            _ => None,
        });
        let l4 = match_index.is_none();
        Decision {
            status: a.primary.0,
            rejected: l4 && backend.is_none(),
            route: Some(&a.route_id),
            rule: a.rule,
            match_index: match_index.flatten(),
            listener: Some(&gw.listeners[listener].id),
            backend,
            plan: if a.direct_status.is_some() || a.redirect.is_some() {
                &[]
            } else {
                &a.plan
            },
            backends: &a.backends,
        }
    }

    /// Routes one request with a full trace. Never panics.
    pub fn route(&self, req: &Request) -> Outcome {
        self.route_with(req, true)
    }

    /// Routes one request without building a trace: only the candidates whose path can match are
    /// looked at (an index by exact path, path-segment prefixes, and the regexes).
    pub fn route_fast(&self, req: &Request) -> Outcome {
        self.route_with(req, false)
    }

    pub fn route_with(&self, req: &Request, trace: bool) -> Outcome {
        let mut t = Tracer::new(trace);
        let mut out = self.dispatch(req, &mut t);
        out.trace = t.steps;
        out
    }

    fn dispatch(&self, req: &Request, t: &mut Tracer) -> Outcome {
        let port = req.port as u32;
        let gi = match &req.gateway {
            Some(g) => match self.find_gateway(g) {
                Some(i) => i,
                None => {
                    t.note("listener", || {
                        let known: Vec<&str> = self.gateways.iter().map(|g| &*g.key).collect();
                        format!(
                            "no Gateway `{g}` is handled by this controller (known: {})",
                            if known.is_empty() {
                                "none".into()
                            } else {
                                known.join(", ")
                            }
                        )
                    });
                    return rejected();
                }
            },
            // Without a trace the candidates only matter through `pick_gateway`, which finds the
            // same first Gateway itself; listing them costs an allocation per request.
            None if !t.on => match self.pick_gateway(port, req) {
                Some(i) => i,
                None => return rejected(),
            },
            None => {
                let cands: Vec<usize> = (0..self.gateways.len())
                    .filter(|&i| {
                        self.gateways[i]
                            .ports
                            .iter()
                            .any(|p| p.port == port && has_programmed(p))
                    })
                    .collect();
                match cands.first() {
                    None => {
                        t.note("listener", || format!("no Gateway has a programmed listener on port {port}: the connection is refused"));
                        return rejected();
                    }
                    Some(&first) => {
                        let i = self.pick_gateway(port, req).unwrap_or(first);
                        if let Some(class) = &self.gateways[i].merge_group {
                            let merged: Vec<&str> = cands
                                .iter()
                                .filter(|&&c| self.gateways[c].merge_group.as_ref() == Some(class))
                                .map(|&c| &*self.gateways[c].key)
                                .collect();
                            if merged.len() > 1 {
                                t.note("listener", || {
                                    format!(
                                        "GatewayClass {class} merges its Gateways ({}) into one data plane: their listeners on port {port} are served together, and this request's hostname selects {}",
                                        merged.join(", "),
                                        self.gateways[i].key
                                    )
                                });
                            }
                        }
                        let unmerged: Vec<usize> = cands
                            .iter()
                            .copied()
                            .filter(|&c| {
                                c == i
                                    || self.gateways[c].merge_group.is_none()
                                    || self.gateways[c].merge_group != self.gateways[i].merge_group
                            })
                            .collect();
                        if unmerged.len() > 1 {
                            t.note("note", || {
                                let names: Vec<&str> = unmerged.iter().map(|&c| &*self.gateways[c].key).collect();
                                format!("several Gateways listen on port {port} ({}); each has its own address, and this request goes to the first, {} (name one with --gateway)", names.join(", "), self.gateways[i].key)
                            });
                        }
                        i
                    }
                }
            }
        };
        let gw = &self.gateways[gi];
        let Some(pt) = gw.ports.iter().find(|p| p.port == port) else {
            t.step("listener", || {
                let ports: Vec<String> = gw.ports.iter().map(|p| p.port.to_string()).collect();
                (format!("Gateway {} has no listener on port {port} (its ports: {}): the connection is refused", gw.key, ports.join(", ")), Some(gw.object_id.clone()), Some("/spec/listeners".into()))
            });
            return rejected();
        };
        for &li in &pt.unprogrammed {
            let l = &gw.listeners[li];
            t.step("listener", || (format!("listener {} ({} on port {port}) is not programmed (see its status), so it takes no traffic", l.name, l.protocol_name()), Some(l.object_id.clone()), Some(l.pointer.clone())));
        }
        let mut out = match req.protocol {
            RequestProtocol::Http | RequestProtocol::Grpc if !req.is_tls() => {
                if let Some(table) = &pt.http {
                    t.step("listener", || {
                        let names: Vec<&str> = pt.http_listeners.iter().map(|&i| gw.listeners[i].name.as_str()).collect();
                        (format!("plaintext on port {port}: the HTTP listener(s) {} of Gateway {} share one route table", names.join(", "), gw.key), Some(gw.object_id.clone()), Some(gw.listeners[pt.http_listeners[0]].pointer.clone()))
                    });
                    self.http(gw, pt.http_listeners[0], table, req, t)
                } else if let Some(e) = pt.tcp.first() {
                    t.note("listener", || format!("port {port} is a TCP listener: the HTTP request is forwarded as raw bytes"));
                    l4::outcome(self, gw, e.listener, e.action, req, false, t)
                } else if !pt.tls.is_empty() {
                    t.note("listener", || format!("port {port} expects TLS (HTTPS/TLS listeners); a plaintext request fails the handshake"));
                    rejected()
                } else {
                    self.no_listener(gw, pt, req, t)
                }
            }
            RequestProtocol::Http | RequestProtocol::Grpc | RequestProtocol::Tls => {
                if pt.tls.is_empty() {
                    if pt.http.is_some() {
                        t.note("listener", || format!("port {port} has only plaintext HTTP listeners; a TLS ClientHello fails there"));
                        return finish_rejected(gw);
                    }
                    return self.no_listener(gw, pt, req, t);
                }
                self.tls(gw, pt, req, t)
            }
            RequestProtocol::Tcp => match pt.tcp.first() {
                Some(e) => {
                    if pt.tcp.len() > 1 {
                        t.note("candidate", || {
                            let others: Vec<&str> = pt.tcp[1..].iter().map(|e| &*self.actions[e.action].route_id).collect();
                            format!("{} TCPRoutes share this listener; only the oldest, {}, takes connections (not used: {})", pt.tcp.len(), self.actions[e.action].route_id, others.join(", "))
                        });
                    }
                    l4::outcome(self, gw, e.listener, e.action, req, false, t)
                }
                None => self.no_listener(gw, pt, req, t),
            },
            RequestProtocol::Udp => match pt.udp.first() {
                Some(e) => {
                    if pt.udp.len() > 1 {
                        t.note("candidate", || {
                            let others: Vec<&str> = pt.udp[1..].iter().map(|e| &*self.actions[e.action].route_id).collect();
                            format!("{} UDPRoutes share this listener; only the oldest, {}, gets datagrams (not used: {})", pt.udp.len(), self.actions[e.action].route_id, others.join(", "))
                        });
                    }
                    l4::outcome(self, gw, e.listener, e.action, req, false, t)
                }
                None => self.no_listener(gw, pt, req, t),
            },
        };
        if out.gateway.is_none() {
            out.gateway = Some(gw.key.clone());
        }
        if req.protocol == RequestProtocol::Grpc {
            grpc_status(&mut out, t);
        }
        out
    }

    fn no_listener(
        &self,
        gw: &GwTables,
        pt: &PortTables,
        req: &Request,
        t: &mut Tracer,
    ) -> Outcome {
        let kind = match req.protocol {
            RequestProtocol::Tcp => "TCP",
            RequestProtocol::Udp => "UDP",
            RequestProtocol::Tls => "TLS",
            _ => "HTTP",
        };
        t.step("listener", || {
            let mut m = format!(
                "Gateway {} has no programmed listener on port {} that takes {kind} traffic",
                gw.key, pt.port
            );
            if !pt.empty_l4.is_empty() {
                let names: Vec<&str> = pt
                    .empty_l4
                    .iter()
                    .map(|&i| gw.listeners[i].name.as_str())
                    .collect();
                m.push_str(&format!(
                    " with a route attached (listener {} has none)",
                    names.join(", ")
                ));
            }
            m.push_str(": the connection is refused");
            (m, Some(gw.object_id.clone()), None)
        });
        rejected()
    }

    fn tls(&self, gw: &GwTables, pt: &PortTables, req: &Request, t: &mut Tracer) -> Outcome {
        let sni = req.sni.as_deref();
        let Some((ci, why)) = select_chain(&pt.tls, sni) else {
            t.step("listener", || {
                let names: Vec<String> = pt.tls.iter().map(|c| c.sni.clone().unwrap_or_else(|| "(any)".into())).collect();
                (
                    format!("no TLS filter chain on port {} accepts SNI `{}` (server names: {}): the connection is rejected", pt.port, sni.unwrap_or(""), names.join(", ")),
                    Some(gw.object_id.clone()),
                    None,
                )
            });
            return rejected();
        };
        let chain = &pt.tls[ci];
        let l = &gw.listeners[chain.listener];
        t.step("listener", || {
            (
                format!(
                    "SNI `{}` selects the filter chain for {} ({why}) on listener {} ({}{})",
                    sni.unwrap_or(""),
                    chain.sni.as_deref().unwrap_or("any server name"),
                    l.name,
                    l.protocol_name(),
                    match l.tls_mode {
                        Some(TlsMode::Passthrough) => ", Passthrough",
                        Some(TlsMode::Terminate) if l.protocol == crate::resolve::Protocol::Tls =>
                            ", Terminate",
                        _ => "",
                    }
                ),
                Some(l.object_id.clone()),
                Some(l.pointer.clone()),
            )
        });
        if l.client_validation
            && !req.client_certificate
            && l.tls_mode != Some(TlsMode::Passthrough)
        {
            t.step("listener", || ("the listener requires a client certificate (frontend validation) and the client sent none: the handshake fails".into(), Some(gw.object_id.clone()), Some("/spec/tls/frontend".into())));
            return rejected();
        }
        match &chain.target {
            ChainTarget::Https(table) => {
                if req.protocol == RequestProtocol::Tls {
                    t.note("note", || "the TLS handshake completes on this HTTPS listener; an HTTP request over it is routed by its Host header (send one with https://)".into());
                    let mut out = Outcome::empty();
                    out.listener = Some(l.id.clone());
                    out.vhost = chain.sni.as_deref().map(Arc::from);
                    return out;
                }
                self.http(gw, chain.listener, table, req, t)
            }
            ChainTarget::Route(ai) => {
                let mut out = l4::outcome(
                    self,
                    gw,
                    chain.listener,
                    *ai,
                    req,
                    l.tls_mode == Some(TlsMode::Passthrough),
                    t,
                );
                out.vhost = Some(Arc::from(chain.sni.as_deref().unwrap_or("*")));
                out
            }
        }
    }

    fn http(
        &self,
        gw: &GwTables,
        default_listener: usize,
        table: &HttpTable,
        req: &Request,
        t: &mut Tracer,
    ) -> Outcome {
        let authority: &str = req.host.as_deref().unwrap_or(&gw.address);
        let view = ReqView::new(&req.method, &req.path, &req.headers, authority);
        if t.on && view.path != req.path.split('?').next().unwrap_or("") {
            let p = view.path.to_string();
            t.note("note", || format!("Envoy Gateway normalizes the path (dot segments, merged slashes) to `{p}` before matching"));
        }
        let host = req.host.as_deref();
        let Some((vi, why)) = table.select(host) else {
            t.note("vhost", || {
                let names: Vec<&str> = table.vhosts.iter().map(|v| &*v.name).collect();
                format!(
                    "no virtual host serves {} (virtual hosts: {}): Envoy answers 404",
                    host.map(|h| format!("Host `{h}`"))
                        .unwrap_or_else(|| format!("the Gateway address {}", gw.address)),
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                )
            });
            let mut out = not_found(gw, &gw.listeners[default_listener].id);
            out.gateway = Some(gw.key.clone());
            return out;
        };
        let vh = &table.vhosts[vi];
        t.note("vhost", || {
            let others: Vec<&str> = table
                .vhosts
                .iter()
                .filter(|v| v.name != vh.name)
                .map(|v| &*v.name)
                .collect();
            let mut m = format!(
                "{} → virtual host `{}` ({why}); only its {} route entr{} are tried",
                host.map(|h| format!("Host `{h}`"))
                    .unwrap_or_else(|| format!("no Host (the Gateway address {})", gw.address)),
                vh.name,
                vh.entries.len(),
                if vh.entries.len() == 1 { "y" } else { "ies" }
            );
            if !others.is_empty() {
                m.push_str(&format!(
                    " (other virtual hosts: {}; Envoy never falls through to them)",
                    others.join(", ")
                ));
            }
            m
        });
        let winner = if t.on {
            self.trace_candidates(vh, &view, t)
        } else {
            vh.find(&view)
        };
        let Some(wi) = winner else {
            t.note("winner", || {
                "no route entry in this virtual host matches: Envoy answers 404 with an empty body"
                    .into()
            });
            let lid = vh
                .entries
                .first()
                .map(|e| e.listener)
                .unwrap_or(default_listener);
            let mut out = not_found(gw, &gw.listeners[lid].id);
            out.vhost = Some(vh.name.clone());
            return out;
        };
        let e = &vh.entries[wi];
        let a = &self.actions[e.action];
        let l = &gw.listeners[e.listener];
        t.step("winner", || {
            (
                format!(
                    "{} rule {}{}{} wins ({})",
                    a.route_id,
                    a.rule,
                    a.rule_name
                        .as_ref()
                        .map(|n| format!(" `{n}`"))
                        .unwrap_or_default(),
                    e.match_index
                        .map(|m| format!(" match {m}"))
                        .unwrap_or_default(),
                    e.m.describe()
                ),
                Some(a.route_id.to_string()),
                Some(e.pointer.clone()),
            )
        });
        let mut out = outcome::http_outcome(gw, l, e, a, req, &view, &vh.name, t);
        out.vhost = Some(vh.name.clone());
        out
    }

    /// The linear walk a trace shows: every candidate in precedence order, and why it won or lost.
    fn trace_candidates(
        &self,
        vh: &super::table::Vhost,
        view: &ReqView,
        t: &mut Tracer,
    ) -> Option<usize> {
        let mut winner: Option<usize> = None;
        for (i, e) in vh.entries.iter().enumerate() {
            if i == TRACE_CANDIDATES {
                let rest = vh.entries.len() - i;
                t.note("candidate", || {
                    format!("… {rest} more candidates, all ranked lower, are not listed")
                });
                if winner.is_none() {
                    winner = vh.find(view);
                }
                break;
            }
            let a = &self.actions[e.action];
            let label = format!(
                "#{} {} rule {}{} [{}]",
                i + 1,
                a.route_id,
                a.rule,
                e.match_index
                    .map(|m| format!(" match {m}"))
                    .unwrap_or_default(),
                e.m.describe()
            );
            match e.m.check(view) {
                Ok(()) => match winner {
                    None => {
                        winner = Some(i);
                        t.step("candidate", || {
                            (
                                format!("{label}: matches, and no earlier entry does"),
                                Some(a.route_id.to_string()),
                                Some(e.pointer.clone()),
                            )
                        });
                    }
                    Some(w) => {
                        let wm = &vh.entries[w].m;
                        t.step("candidate", || {
                            (
                                format!(
                                    "{label}: matches too, but #{} ranks first: {}",
                                    w + 1,
                                    why_before(wm, &e.m)
                                ),
                                Some(a.route_id.to_string()),
                                Some(e.pointer.clone()),
                            )
                        });
                    }
                },
                Err(miss) => {
                    let (msg, ptr) = e.m.explain_miss(&miss, view);
                    t.step("candidate", || {
                        (
                            format!("{label}: {msg}"),
                            Some(a.route_id.to_string()),
                            Some(ptr),
                        )
                    });
                }
            }
        }
        debug_assert_eq!(
            winner,
            vh.find(view),
            "indexed lookup disagrees with the linear walk"
        );
        winner
    }
}

impl Router {
    /// The Gateway a request without `--gateway` reaches on a port: the first with a programmed
    /// listener there, unless that Gateway's class merges Gateways (mergeGateways): then all the
    /// merged Gateways' listeners on the port form one data plane, and the request's hostname
    /// (SNI for TLS) picks among them as Envoy picks a virtual host or filter chain: exact name,
    /// then the longest wildcard, then a catch-all; ties go to the older Gateway.
    pub(crate) fn pick_gateway(&self, port: u32, req: &Request) -> Option<usize> {
        fn on_port(g: &GwTables, port: u32) -> Option<&PortTables> {
            g.ports.iter().find(|p| p.port == port && has_programmed(p))
        }
        let first = self
            .gateways
            .iter()
            .position(|g| on_port(g, port).is_some())?;
        let Some(class) = self.gateways[first].merge_group.as_ref() else {
            return Some(first);
        };
        let tls = req.is_tls() || req.protocol == RequestProtocol::Tls;
        let plain_http =
            matches!(req.protocol, RequestProtocol::Http | RequestProtocol::Grpc) && !tls;
        let rank = |name: Option<&str>| -> (u8, usize) {
            match name {
                None | Some("*") => (1, 0),
                Some(n) if n.starts_with('*') => (2, n.len()),
                Some(_) => (3, 0),
            }
        };
        let mut best: Option<((u8, usize), usize)> = None;
        for (gi, g) in self.gateways.iter().enumerate().skip(first) {
            if g.merge_group.as_ref() != Some(class) {
                continue;
            }
            let Some(pt) = on_port(g, port) else { continue };
            let score = if plain_http {
                pt.http.as_ref().and_then(|t| {
                    t.select(req.host.as_deref())
                        .map(|(vi, _)| rank(Some(&*t.vhosts[vi].name)))
                })
            } else if tls {
                select_chain(&pt.tls, req.sni.as_deref())
                    .map(|(ci, _)| rank(pt.tls[ci].sni.as_deref()))
            } else {
                let any = match req.protocol {
                    RequestProtocol::Udp => !pt.udp.is_empty(),
                    _ => !pt.tcp.is_empty(),
                };
                any.then_some((1, 0))
            };
            if let Some(s) = score {
                if best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, gi));
                }
            }
        }
        Some(best.map(|(_, gi)| gi).unwrap_or(first))
    }
}

fn has_programmed(p: &PortTables) -> bool {
    p.http.is_some()
        || !p.tls.is_empty()
        || !p.tcp.is_empty()
        || !p.udp.is_empty()
        || !p.empty_l4.is_empty()
}

/// SNI → chain: exact server name, then the longest wildcard suffix, then the catch-all chain.
pub(crate) fn select_chain(
    chains: &[TlsChain],
    sni: Option<&str>,
) -> Option<(usize, &'static str)> {
    if let Some(s) = sni {
        if let Some(i) = chains.iter().position(|c| c.sni.as_deref() == Some(s)) {
            return Some((i, "exact server name"));
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, c) in chains.iter().enumerate() {
            if let Some(suffix) = c.sni.as_deref().and_then(|p| p.strip_prefix('*')) {
                if s.len() > suffix.len()
                    && s.ends_with(suffix)
                    && best.is_none_or(|(_, l)| suffix.len() > l)
                {
                    best = Some((i, suffix.len()));
                }
            }
        }
        if let Some((i, _)) = best {
            return Some((i, "longest wildcard server name"));
        }
    }
    chains
        .iter()
        .position(|c| c.sni.is_none())
        .map(|i| (i, "the chain without a server name"))
}

pub(crate) fn rejected() -> Outcome {
    let mut o = Outcome::empty();
    o.shares.push(Share {
        fraction: 1.0,
        weight: 0,
        outcome: ShareOutcome::Rejected,
    });
    o
}

fn finish_rejected(gw: &GwTables) -> Outcome {
    let mut o = rejected();
    o.gateway = Some(gw.key.clone());
    o
}

fn not_found(gw: &GwTables, listener: &Arc<str>) -> Outcome {
    let mut o = Outcome::empty();
    o.shares.push(Share {
        fraction: 1.0,
        weight: 0,
        outcome: ShareOutcome::Status { code: 404 },
    });
    o.listener = Some(listener.clone());
    o.gateway = Some(gw.key.clone());
    finish(&mut o);
    o
}

/// gRPC clients see Envoy's answers as gRPC status codes (Envoy's HTTP→gRPC mapping).
fn grpc_status(out: &mut Outcome, t: &mut Tracer) {
    let routed_grpc = out
        .route
        .as_ref()
        .is_some_and(|(r, _)| r.starts_with("GRPCRoute/"));
    let s = match out.primary().map(|s| &s.outcome) {
        None => return,
        Some(ShareOutcome::Rejected) => "Unavailable",
        Some(ShareOutcome::Backend { .. }) => "OK",
        Some(ShareOutcome::Status { code }) => match code {
            404 => "Unimplemented",
            503 | 502 | 504 | 429 => "Unavailable",
            500 if routed_grpc => {
                t.note("note", || "Envoy Gateway answers an unusable GRPCRoute backend with HTTP 500, which a gRPC client reads as UNKNOWN; the Gateway API spec asks for UNAVAILABLE".into());
                "Unknown"
            }
            401 => "Unauthenticated",
            403 => "PermissionDenied",
            400 => "Internal",
            _ => "Unknown",
        },
    };
    if s == "Unimplemented" {
        t.note("note", || {
            "no route matches: Envoy's 404 reaches the gRPC client as status Unimplemented".into()
        });
    }
    out.grpc_status = Some(s.to_string());
}

#[allow(dead_code)]
pub(crate) fn is_grpc_action(k: RouteKind) -> bool {
    k == RouteKind::Grpc
}
