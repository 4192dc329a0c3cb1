//! Compiled routing tables, built once per analysis.
//!
//! Per Gateway and port: one route table shared by every plaintext HTTP listener on the port
//! (virtual hosts keyed by effective hostname), one SNI-selected chain per HTTPS listener (with its
//! own virtual hosts), one chain per TLSRoute hostname on TLS listeners, and the TCP/UDP routes by
//! port. Every rule-match of a listener is sorted once, stably, by Envoy Gateway's precedence
//! (`internal/gatewayapi/sort.go`), before it is split into virtual hosts.

use super::filters::{self, RedirectSpec, RewriteSpec};
use super::matchers::{compile_regex, Cond, Match, PathMatch, ValueMatch};
use super::outcome::{self, Planned};
use super::{grpc, HeaderOp};
use crate::fxhash::FxHashMap;
use crate::model::{Body, HttpRouteFilter, HttpRouteMatch, Model};
use crate::resolve::{BackendTarget, Protocol, Resolved, RouteKind, TlsMode};
use crate::sort::StableSort;
use std::collections::HashMap;
use std::sync::Arc;

/// The compiled router. Build once with [`Router::new`]; route with [`Router::route`] (with a
/// trace) or [`Router::route_fast`] (no trace, no per-candidate work outside the index).
#[derive(Debug, Clone, Default)]
pub struct Router {
    pub(crate) gateways: Vec<GwTables>,
    pub(crate) actions: Vec<Action>,
    /// (route id, rule) → action, for the rules with an HTTPRoute CORS filter (usually none).
    cors_rules: FxHashMap<(Arc<str>, usize), usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct GwTables {
    /// `ns/name`.
    pub key: Arc<str>,
    pub name: String,
    pub object_id: String,
    /// The address a client reaches it at (used as Host when the request names none).
    pub address: Arc<str>,
    pub listeners: Vec<LInfo>,
    pub ports: Vec<PortTables>,
    /// The GatewayClass name when its EnvoyProxy sets `mergeGateways`: the Gateways of that
    /// class share one data plane (one address), so a request picks among them by hostname.
    pub merge_group: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct LInfo {
    pub name: String,
    /// `ns/gateway/listener`.
    pub id: Arc<str>,
    pub port: u32,
    pub protocol: Protocol,
    pub hostname: Option<String>,
    pub tls_mode: Option<TlsMode>,
    pub programmed: bool,
    pub client_validation: bool,
    pub object_id: String,
    pub pointer: String,
}

impl LInfo {
    pub fn protocol_name(&self) -> &'static str {
        match self.protocol {
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
            Protocol::Tls => "TLS",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Unsupported => "unsupported",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct PortTables {
    pub port: u32,
    /// Plaintext HTTP listeners on the port share this table.
    pub http: Option<HttpTable>,
    pub http_listeners: Vec<usize>,
    /// SNI-selected chains (HTTPS listeners, TLSRoute hostnames, TCPRoutes on TLS Terminate).
    pub tls: Vec<TlsChain>,
    /// TCPRoutes/UDPRoutes on this port, oldest first (the first one takes the traffic).
    pub tcp: Vec<L4Entry>,
    pub udp: Vec<L4Entry>,
    /// Listeners on this port that are not programmed (explained in traces).
    pub unprogrammed: Vec<usize>,
    /// Programmed TCP/UDP/TLS listeners with no route attached.
    pub empty_l4: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct L4Entry {
    pub listener: usize,
    pub action: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct TlsChain {
    /// Server name (may be a `*.` wildcard); None = any SNI (and no SNI).
    pub sni: Option<String>,
    pub listener: usize,
    pub target: ChainTarget,
}

#[derive(Debug, Clone)]
pub(crate) enum ChainTarget {
    Https(HttpTable),
    Route(usize),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct HttpTable {
    pub vhosts: Vec<Vhost>,
    pub exact: FxHashMap<String, usize>,
    /// (suffix including the leading dot, vhost), longest first.
    pub wild: Vec<(String, usize)>,
    pub star: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Vhost {
    pub name: Arc<str>,
    /// In precedence order.
    pub entries: Vec<Entry>,
    pub by_exact: FxHashMap<String, Vec<u32>>,
    pub by_prefix: FxHashMap<String, Vec<u32>>,
    pub regex: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub action: usize,
    pub listener: usize,
    pub match_index: Option<usize>,
    pub m: Match,
    /// Pointer of the match (or the rule, when it has no matches).
    pub pointer: String,
}

/// What a (route, rule) does once chosen.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    /// Shared with every answer naming this route (see [`super::Outcome::route`]).
    pub route_id: Arc<str>,
    pub kind: RouteKind,
    pub rule: usize,
    pub rule_name: Option<String>,
    pub rule_pointer: String,
    pub direct_status: Option<u16>,
    pub direct_reason: String,
    pub redirect: Option<RedirectSpec>,
    pub rewrite: Option<RewriteSpec>,
    pub req_ops: Vec<HeaderOp>,
    pub resp_ops: Vec<HeaderOp>,
    pub backends: Vec<CBackend>,
    pub plan: Vec<Planned>,
    pub plan_note: String,
    pub mirrors: Vec<(String, f64)>,
    /// Filter explanations for the trace: (message, pointer).
    pub notes: Vec<(String, String)>,
    /// What most requests get: (status, backend index); status 0 = forwarded at L4 / rejected.
    pub primary: (u16, Option<usize>),
    /// The rule's HTTPRoute `CORS` filter (the last one, as Envoy Gateway keeps it).
    pub cors: Option<Arc<super::cors::CorsPolicy>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CBackend {
    pub weight: u64,
    pub target: std::sync::Arc<BackendTarget>,
    pub req_ops: Vec<HeaderOp>,
    pub resp_ops: Vec<HeaderOp>,
    pub host_rewrite: Option<String>,
    pub pointer: String,
}

fn kind_rank(k: RouteKind) -> u8 {
    match k {
        RouteKind::Http => 0,
        RouteKind::Grpc => 1,
        RouteKind::Tls => 2,
        RouteKind::Tcp => 3,
        RouteKind::Udp => 4,
    }
}

impl Router {
    /// The HTTPRoute CORS filter of a route's rule, if it has one.
    pub fn rule_cors(&self, route_id: &str, rule: usize) -> Option<&super::cors::CorsPolicy> {
        if self.cors_rules.is_empty() {
            return None;
        }
        let ai = *self.cors_rules.get(&(Arc::from(route_id), rule))?;
        self.actions.get(ai)?.cors.as_deref()
    }

    /// Compiles every programmed listener of every Gateway. Never panics.
    pub fn new(model: &Model, resolved: &Resolved) -> Router {
        let mut router = Router::default();
        // Route order: HTTPRoutes then GRPCRoutes (then L4), each by creation order.
        let mut order: Vec<usize> = (0..resolved.routes.len())
            .filter(|&i| model.objects.get(resolved.routes[i].object).is_some())
            .collect();
        order.stable_sort_by_key(|&i| {
            let r = &resolved.routes[i];
            (kind_rank(r.kind), model.objects[r.object].age_key())
        });
        // One action per (route, rule).
        let mut action_of: HashMap<(usize, usize), usize> = HashMap::new();
        for &ri in &order {
            let rs = &resolved.routes[ri];
            for (k, rule) in rs.rules.iter().enumerate() {
                let a = compile_action(model, rs.object, rs.kind, rule);
                action_of.insert((ri, k), router.actions.len());
                if a.cors.is_some() {
                    router
                        .cors_rules
                        .insert((a.route_id.clone(), a.rule), router.actions.len());
                }
                router.actions.push(a);
            }
        }
        for (gi, gs) in resolved.gateways.iter().enumerate() {
            let Some(gobj) = model.objects.get(gs.object) else {
                continue;
            };
            let listeners: Vec<LInfo> = gs
                .listeners
                .iter()
                .map(|l| {
                    let src = model.objects.get(l.source);
                    let idx = src.and_then(|o| match &o.body {
                        Body::Gateway(g) => g.listeners.iter().position(|x| x.name == l.name),
                        Body::ListenerSet(s) => s.listeners.iter().position(|x| x.name == l.name),
                        _ => None,
                    });
                    LInfo {
                        name: l.name.clone(),
                        id: format!("{}/{}/{}", gs.namespace, gs.name, l.name).into(),
                        port: l.port,
                        protocol: l.protocol,
                        hostname: l
                            .hostname
                            .clone()
                            .filter(|h| !h.is_empty())
                            .map(|h| h.to_ascii_lowercase()),
                        tls_mode: l.tls_mode,
                        programmed: l.programmed,
                        client_validation: l.client_validation,
                        object_id: src.map(|o| o.id()).unwrap_or_default(),
                        pointer: idx
                            .map(|i| format!("/spec/listeners/{i}"))
                            .unwrap_or_default(),
                    }
                })
                .collect();
            let address = gateway_address(model, resolved, gs.object).into();
            let mut gt = GwTables {
                key: format!("{}/{}", gs.namespace, gs.name).into(),
                name: gs.name.clone(),
                object_id: gobj.id(),
                address,
                listeners,
                ports: Vec::new(),
                merge_group: match &gobj.body {
                    Body::Gateway(g)
                        if crate::eg::merge_gateways_enabled(model, &g.gateway_class_name) =>
                    {
                        Some(g.gateway_class_name.clone())
                    }
                    _ => None,
                },
            };
            // Per-listener sorted entries (HTTP/HTTPS), and L4 routes.
            let mut per_listener: Vec<Vec<(String, Entry)>> = vec![Vec::new(); gt.listeners.len()];
            let mut l4: Vec<Vec<(usize, Vec<String>)>> = vec![Vec::new(); gt.listeners.len()];
            for &ri in &order {
                let rs = &resolved.routes[ri];
                let Some(obj) = model.objects.get(rs.object) else {
                    continue;
                };
                for att in rs.attachments.iter().filter(|a| a.gateway == gi) {
                    let Some(li) = gt.listeners.get(att.listener) else {
                        continue;
                    };
                    if !li.programmed {
                        continue;
                    }
                    let mut hosts: Vec<String> = att
                        .hostnames
                        .iter()
                        .map(|h| h.to_ascii_lowercase())
                        .collect();
                    if hosts.is_empty() {
                        hosts.push(li.hostname.clone().unwrap_or_else(|| "*".into()));
                    }
                    hosts.stable_sort();
                    hosts.dedup();
                    match rs.kind {
                        RouteKind::Http | RouteKind::Grpc => {
                            if !matches!(li.protocol, Protocol::Http | Protocol::Https) {
                                continue;
                            }
                            for h in &hosts {
                                for (k, rule) in rs.rules.iter().enumerate() {
                                    if !rule.programmed {
                                        continue;
                                    }
                                    let Some(&ai) = action_of.get(&(ri, k)) else {
                                        continue;
                                    };
                                    for (mi, m, ptr) in compile_matches(
                                        obj,
                                        rs.kind,
                                        rule.index,
                                        &mut router.actions[ai],
                                    ) {
                                        per_listener[att.listener].push((
                                            h.clone(),
                                            Entry {
                                                action: ai,
                                                listener: att.listener,
                                                match_index: mi,
                                                m,
                                                pointer: ptr,
                                            },
                                        ));
                                    }
                                }
                            }
                        }
                        RouteKind::Tls | RouteKind::Tcp | RouteKind::Udp => {
                            if let Some(k) = rs.rules.iter().position(|r| r.programmed) {
                                if let Some(&ai) = action_of.get(&(ri, k)) {
                                    let hs = if rs.kind == RouteKind::Tls {
                                        hosts.clone()
                                    } else {
                                        Vec::new()
                                    };
                                    l4[att.listener].push((ai, hs));
                                }
                            }
                        }
                    }
                }
            }
            for v in per_listener.iter_mut() {
                // Stable: ties keep route, host, rule, match order.
                v.stable_sort_by_key(|e| std::cmp::Reverse(e.1.m.key()));
            }
            let mut ports: Vec<u32> = gt.listeners.iter().map(|l| l.port).collect();
            ports.stable_sort();
            ports.dedup();
            for port in ports {
                let mut pt = PortTables {
                    port,
                    ..Default::default()
                };
                let mut http_entries: Vec<(String, Entry)> = Vec::new();
                for (li, l) in gt
                    .listeners
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.port == port)
                {
                    if !l.programmed {
                        pt.unprogrammed.push(li);
                        continue;
                    }
                    match l.protocol {
                        Protocol::Http => {
                            pt.http_listeners.push(li);
                            http_entries.extend(std::mem::take(&mut per_listener[li]));
                        }
                        Protocol::Https => {
                            let t = HttpTable::build(std::mem::take(&mut per_listener[li]));
                            pt.tls.push(TlsChain {
                                sni: l.hostname.clone(),
                                listener: li,
                                target: ChainTarget::Https(t),
                            });
                        }
                        Protocol::Tls => {
                            let routes = std::mem::take(&mut l4[li]);
                            if routes.is_empty() {
                                pt.empty_l4.push(li);
                            }
                            for (ai, hosts) in routes {
                                if router.actions[ai].kind == RouteKind::Tls {
                                    for h in hosts {
                                        let sni = if h == "*" { None } else { Some(h) };
                                        pt.tls.push(TlsChain {
                                            sni,
                                            listener: li,
                                            target: ChainTarget::Route(ai),
                                        });
                                    }
                                } else if l.tls_mode == Some(TlsMode::Terminate) {
                                    pt.tls.push(TlsChain {
                                        sni: l.hostname.clone(),
                                        listener: li,
                                        target: ChainTarget::Route(ai),
                                    });
                                }
                            }
                        }
                        Protocol::Tcp | Protocol::Udp => {
                            let routes = std::mem::take(&mut l4[li]);
                            if routes.is_empty() {
                                pt.empty_l4.push(li);
                            }
                            for (ai, _) in routes {
                                let e = L4Entry {
                                    listener: li,
                                    action: ai,
                                };
                                if l.protocol == Protocol::Tcp {
                                    pt.tcp.push(e)
                                } else {
                                    pt.udp.push(e)
                                }
                            }
                        }
                        Protocol::Unsupported => pt.unprogrammed.push(li),
                    }
                }
                if !pt.http_listeners.is_empty() {
                    pt.http = Some(HttpTable::build(http_entries));
                }
                gt.ports.push(pt);
            }
            router.gateways.push(gt);
        }
        router
    }

    pub(crate) fn find_gateway(&self, want: &str) -> Option<usize> {
        self.gateways
            .iter()
            .position(|g| &*g.key == want)
            .or_else(|| {
                if want.contains('/') {
                    None
                } else {
                    self.gateways.iter().position(|g| g.name == want)
                }
            })
    }
}

impl HttpTable {
    pub(crate) fn build(entries: Vec<(String, Entry)>) -> HttpTable {
        let mut t = HttpTable::default();
        let mut idx: HashMap<String, usize> = HashMap::new();
        for (h, e) in entries {
            let vi = *idx.entry(h.clone()).or_insert_with(|| {
                t.vhosts.push(Vhost {
                    name: h.as_str().into(),
                    ..Default::default()
                });
                t.vhosts.len() - 1
            });
            t.vhosts[vi].entries.push(e);
        }
        for (vi, v) in t.vhosts.iter_mut().enumerate() {
            v.index();
            if &*v.name == "*" {
                t.star = Some(vi);
            } else if let Some(s) = v.name.strip_prefix('*') {
                t.wild.push((s.to_string(), vi));
            } else {
                t.exact.insert(v.name.to_string(), vi);
            }
        }
        t.wild
            .stable_sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        t
    }

    /// Envoy's virtual-host choice: exact name, then the longest `*.suffix`, then `*`.
    pub(crate) fn select(&self, host: Option<&str>) -> Option<(usize, &'static str)> {
        let Some(h) = host else {
            return self.star.map(|s| (s, "catch-all `*`"));
        };
        if let Some(&v) = self.exact.get(h) {
            return Some((v, "exact name"));
        }
        for (suffix, v) in &self.wild {
            if h.len() > suffix.len() && h.ends_with(suffix.as_str()) {
                return Some((*v, "longest wildcard suffix"));
            }
        }
        self.star.map(|s| (s, "catch-all `*`"))
    }
}

impl Vhost {
    fn index(&mut self) {
        for (i, e) in self.entries.iter().enumerate() {
            let i = i as u32;
            match &e.m.path {
                PathMatch::Exact(v) => self.by_exact.entry(v.clone()).or_default().push(i),
                PathMatch::Prefix { trimmed, .. } => {
                    self.by_prefix.entry(trimmed.clone()).or_default().push(i)
                }
                PathMatch::Regex { .. } => self.regex.push(i),
            }
        }
    }

    /// The first entry (in precedence order) matching the request, looking only at entries whose
    /// path can match: the exact path, the segment prefixes of the path, and the regexes.
    pub(crate) fn find(&self, r: &super::matchers::ReqView) -> Option<usize> {
        let mut best: Option<u32> = None;
        let mut consider = |list: &[u32]| {
            for &i in list {
                if best.is_some_and(|b| i >= b) {
                    break;
                }
                if self.entries[i as usize].m.is_match(r) {
                    best = Some(i);
                    break;
                }
            }
        };
        let path: &str = &r.path;
        if let Some(l) = self.by_exact.get(path) {
            consider(l);
        }
        if let Some(l) = self.by_prefix.get("") {
            consider(l);
        }
        for (i, b) in path.bytes().enumerate() {
            if b == b'/' && i > 0 {
                if let Some(l) = self.by_prefix.get(&path[..i]) {
                    consider(l);
                }
            }
        }
        if !path.ends_with('/') && path.len() > 1 {
            if let Some(l) = self.by_prefix.get(path) {
                consider(l);
            }
        }
        if !self.regex.is_empty() {
            consider(&self.regex);
        }
        best.map(|b| b as usize)
    }

    fn prefix_lists<'a>(&'a self, p: &str, lists: &mut Vec<&'a [u32]>) {
        if let Some(l) = self.by_prefix.get("") {
            lists.push(l);
        }
        for (k, b) in p.bytes().enumerate() {
            if b == b'/' && k > 0 {
                if let Some(l) = self.by_prefix.get(&p[..k]) {
                    lists.push(l);
                }
            }
        }
        if !p.is_empty() {
            if let Some(l) = self.by_prefix.get(p) {
                lists.push(l);
            }
        }
    }

    /// Candidate earlier entries that could cover entry `i` (same index buckets as `find`).
    pub(crate) fn shadowing<'a>(&'a self, i: usize) -> Option<usize> {
        let e = &self.entries[i].m;
        let mut lists: Vec<&'a [u32]> = Vec::new();
        let add_prefixes = |p: &str, lists: &mut Vec<&'a [u32]>| self.prefix_lists(p, lists);
        match &e.path {
            PathMatch::Exact(v) => {
                if let Some(l) = self.by_exact.get(v) {
                    lists.push(l);
                }
                add_prefixes(v, &mut lists);
                lists.push(&self.regex);
            }
            PathMatch::Prefix { trimmed, .. } => add_prefixes(trimmed, &mut lists),
            PathMatch::Regex { .. } => {
                if let Some(l) = self.by_prefix.get("") {
                    lists.push(l);
                }
                lists.push(&self.regex);
            }
        }
        let mut best: Option<usize> = None;
        for l in lists {
            for &j in l {
                let j = j as usize;
                if j >= i || best.is_some_and(|b| j >= b) {
                    break;
                }
                if self.entries[j].m.covers(e) {
                    best = Some(j);
                    break;
                }
            }
        }
        best
    }
}

fn gateway_address(model: &Model, resolved: &Resolved, object: usize) -> String {
    if let Some(Body::Gateway(g)) = model.objects.get(object).map(|o| &o.body) {
        if let Some(v) = g
            .addresses
            .iter()
            .filter_map(|a| a.value.clone())
            .find(|v| !v.is_empty())
        {
            return v;
        }
    }
    for s in resolved.statuses.iter().filter(|s| s.object == object) {
        if let Some(v) = s
            .status
            .pointer("/addresses/0/value")
            .and_then(|v| v.as_str())
        {
            return v.to_string();
        }
    }
    "192.0.2.1".into()
}

/// Compiles the matches of one rule. Matches that cannot compile (an invalid regex, an unknown
/// type) are left out, with a note on the action.
fn compile_matches(
    obj: &crate::model::Object,
    kind: RouteKind,
    rule: usize,
    action: &mut Action,
) -> Vec<(Option<usize>, Match, String)> {
    let base = format!("/spec/rules/{rule}");
    let mut out = Vec::new();
    match (&obj.body, kind) {
        (Body::HttpRoute(spec), RouteKind::Http) => {
            let Some(r) = spec.rules.as_ref().and_then(|rs| rs.get(rule)) else {
                // The CRD default rule: PathPrefix /.
                out.push((None, match_all(&base), base));
                return out;
            };
            let ms = r.matches.as_deref().unwrap_or(&[]);
            if ms.is_empty() {
                out.push((None, match_all(&base), base.clone()));
            }
            let cors = r
                .filters
                .iter()
                .any(|f| f.type_ == "CORS" && f.cors.is_some());
            for (mi, m) in ms.iter().enumerate() {
                let p = format!("{base}/matches/{mi}");
                match compile_http_match(m, &p) {
                    Ok(cm) => {
                        let preflight = (cors
                            && m.method.as_deref().is_some_and(|x| x != "OPTIONS"))
                        .then(|| cors_preflight_match(&cm))
                        .flatten();
                        out.push((Some(mi), cm, p.clone()));
                        if let Some(pm) = preflight {
                            out.push((Some(mi), pm, p));
                        }
                    }
                    Err((msg, ptr)) => action
                        .notes
                        .push((format!("match {mi} is left out of the table: {msg}"), ptr)),
                }
            }
        }
        (Body::GrpcRoute(spec), RouteKind::Grpc) => {
            let Some(r) = spec.rules.get(rule) else {
                out.push((None, match_all(&base), base));
                return out;
            };
            if r.matches.is_empty() {
                out.push((None, match_all(&base), base.clone()));
            }
            for (mi, m) in r.matches.iter().enumerate() {
                let p = format!("{base}/matches/{mi}");
                match grpc::compile_match(m, &p) {
                    Ok(cm) => out.push((Some(mi), cm, p)),
                    Err((msg, ptr)) => action
                        .notes
                        .push((format!("match {mi} is left out of the table: {msg}"), ptr)),
                }
            }
        }
        _ => {}
    }
    out
}

/// The route Envoy Gateway adds next to a match whose method is not OPTIONS when its rule has a
/// CORS filter, so that the browser's preflight reaches the CORS filter: the same path and
/// query matches, the header matches without the method, plus `:method: OPTIONS` and any
/// `origin` and `access-control-request-method`.
fn cors_preflight_match(m: &Match) -> Option<Match> {
    let re = compile_regex(".*").ok()?;
    let any = || ValueMatch::Regex {
        re: re.clone(),
        pattern: ".*".into(),
    };
    let mut pm = m.clone();
    let pointer = pm
        .headers
        .iter()
        .find(|c| c.name == ":method")
        .map(|c| c.pointer.clone())
        .unwrap_or_default();
    pm.headers.retain(|c| c.name != ":method");
    pm.headers.push(Cond {
        name: ":method".into(),
        value: ValueMatch::Exact("OPTIONS".into()),
        pointer: pointer.clone(),
    });
    pm.headers.push(Cond {
        name: "origin".into(),
        value: any(),
        pointer: pointer.clone(),
    });
    pm.headers.push(Cond {
        name: "access-control-request-method".into(),
        value: any(),
        pointer,
    });
    Some(pm)
}

fn match_all(base: &str) -> Match {
    Match {
        path: PathMatch::prefix("/"),
        path_pointer: base.to_string(),
        headers: Vec::new(),
        query: Vec::new(),
    }
}

pub(crate) fn compile_value(
    kind: &str,
    value: &str,
    ptr: &str,
) -> Result<ValueMatch, (String, String)> {
    match kind {
        "Exact" => Ok(ValueMatch::Exact(value.to_string())),
        "RegularExpression" => match compile_regex(value) {
            Ok(re) => Ok(ValueMatch::Regex {
                re,
                pattern: value.to_string(),
            }),
            Err(e) => Err((
                format!("invalid regular expression `{value}`: {e}"),
                format!("{ptr}/value"),
            )),
        },
        other => Err((
            format!("unsupported match type `{other}`"),
            format!("{ptr}/type"),
        )),
    }
}

fn compile_http_match(m: &HttpRouteMatch, p: &str) -> Result<Match, (String, String)> {
    let path_ptr = format!("{p}/path");
    let path = match &m.path {
        None => PathMatch::prefix("/"),
        Some(pm) => match pm.kind() {
            "Exact" => PathMatch::Exact(pm.value().to_string()),
            "PathPrefix" => PathMatch::prefix(pm.value()),
            "RegularExpression" => match compile_regex(pm.value()) {
                Ok(re) => PathMatch::Regex {
                    re,
                    pattern: pm.value().to_string(),
                },
                Err(e) => {
                    return Err((
                        format!("invalid path regular expression `{}`: {e}", pm.value()),
                        format!("{path_ptr}/value"),
                    ))
                }
            },
            other => {
                return Err((
                    format!("unsupported path match type `{other}`"),
                    format!("{path_ptr}/type"),
                ))
            }
        },
    };
    let mut headers: Vec<Cond> = Vec::new();
    for (i, h) in m.headers.iter().enumerate() {
        let name = h.name.to_ascii_lowercase();
        if headers.iter().any(|c| c.name == name) {
            continue; // the first entry for a name wins
        }
        let hp = format!("{p}/headers/{i}");
        headers.push(Cond {
            name,
            value: compile_value(h.kind(), &h.value, &hp)?,
            pointer: hp,
        });
    }
    if let Some(method) = &m.method {
        headers.push(Cond {
            name: ":method".into(),
            value: ValueMatch::Exact(method.clone()),
            pointer: format!("{p}/method"),
        });
    }
    let mut query: Vec<Cond> = Vec::new();
    for (i, q) in m.query_params.iter().enumerate() {
        if query.iter().any(|c| c.name == q.name) {
            continue;
        }
        let qp = format!("{p}/queryParams/{i}");
        query.push(Cond {
            name: q.name.clone(),
            value: compile_value(q.kind(), &q.value, &qp)?,
            pointer: qp,
        });
    }
    Ok(Match {
        path,
        path_pointer: path_ptr,
        headers,
        query,
    })
}

fn compile_action(
    model: &Model,
    object: usize,
    kind: RouteKind,
    rule: &crate::resolve::RuleState,
) -> Action {
    let obj = &model.objects[object];
    let rule_pointer = format!("/spec/rules/{}", rule.index);
    let mut a = Action {
        route_id: obj.id().into(),
        kind,
        rule: rule.index,
        rule_name: None,
        rule_pointer: rule_pointer.clone(),
        direct_status: rule.direct_status,
        direct_reason: String::new(),
        redirect: None,
        rewrite: None,
        req_ops: Vec::new(),
        resp_ops: Vec::new(),
        backends: Vec::new(),
        plan: Vec::new(),
        plan_note: String::new(),
        mirrors: Vec::new(),
        notes: Vec::new(),
        primary: (0, None),
        cors: None,
    };
    if rule.direct_status.is_some() {
        a.direct_reason = "the resolver marked this rule as a fixed reply (a filter error)".into();
    }
    let empty_filters: Vec<HttpRouteFilter> = Vec::new();
    let (rule_filters, backend_refs): (
        &Vec<HttpRouteFilter>,
        Option<&Vec<crate::model::BackendRef>>,
    ) = match &obj.body {
        Body::HttpRoute(s) => match s.rules.as_ref().and_then(|r| r.get(rule.index)) {
            Some(r) => {
                a.rule_name = r.name.clone();
                (&r.filters, Some(&r.backend_refs))
            }
            None => (&empty_filters, None),
        },
        Body::GrpcRoute(s) => match s.rules.get(rule.index) {
            Some(r) => {
                a.rule_name = r.name.clone();
                (&r.filters, Some(&r.backend_refs))
            }
            None => (&empty_filters, None),
        },
        Body::TlsRoute(s) | Body::TcpRoute(s) | Body::UdpRoute(s) => {
            a.rule_name = s.rules.get(rule.index).and_then(|r| r.name.clone());
            (&empty_filters, None)
        }
        _ => (&empty_filters, None),
    };
    if kind == RouteKind::Http {
        a.cors = rule_filters
            .iter()
            .rev()
            .find_map(|f| f.cors.as_ref().filter(|_| f.type_ == "CORS"))
            .map(|c| Arc::new(super::cors::CorsPolicy::from_route_filter(c)));
    }
    let compiled = filters::compile_rule_filters(rule_filters, &rule_pointer);
    a.redirect = compiled.redirect;
    a.rewrite = compiled.rewrite;
    a.req_ops = compiled.req_ops;
    a.resp_ops = compiled.resp_ops;
    a.notes.extend(compiled.notes);
    if a.direct_status.is_none() {
        if let Some(e) = compiled.error {
            a.direct_status = Some(500);
            a.direct_reason = e.0.clone();
            a.notes.push(e);
        }
    }
    for m in &rule.mirrors {
        if let BackendTarget::Service {
            namespace,
            name,
            port,
            ..
        } = &*m.target
        {
            let pct = rule_filters
                .get(m.index)
                .and_then(|f| f.request_mirror.as_ref())
                .map(filters::mirror_percent)
                .unwrap_or(100.0);
            a.mirrors.push((format!("{namespace}/{name}:{port}"), pct));
        }
    }
    for b in &rule.backends {
        let pointer = format!("{rule_pointer}/backendRefs/{}", b.index);
        let bf = backend_refs
            .and_then(|v| v.get(b.index))
            .map(|r| filters::compile_backend_filters(&r.filters, &pointer));
        let mut cb = CBackend {
            weight: b.weight,
            target: b.target.clone(),
            req_ops: Vec::new(),
            resp_ops: Vec::new(),
            host_rewrite: None,
            pointer,
        };
        if let Some(bf) = bf {
            cb.req_ops = bf.req_ops;
            cb.resp_ops = bf.resp_ops;
            cb.host_rewrite = bf.rewrite.and_then(|r| r.hostname);
            a.notes.extend(bf.notes);
            if a.direct_status.is_none() {
                if let Some(e) = bf.error {
                    a.direct_status = Some(500);
                    a.direct_reason = e.0.clone();
                    a.notes.push(e);
                }
            }
        }
        a.backends.push(cb);
    }
    let family = match kind {
        RouteKind::Tls | RouteKind::Tcp | RouteKind::Udp => outcome::Family::L4,
        RouteKind::Grpc => outcome::Family::Grpc,
        _ => outcome::Family::Http,
    };
    let l4 = family == outcome::Family::L4;
    let (plan, note) = outcome::plan(&a.backends, family);
    a.plan = plan;
    a.plan_note = note;
    a.primary = if let Some(code) = a.direct_status {
        (code, None)
    } else if let Some(r) = &a.redirect {
        (r.status, None)
    } else {
        let mut best: Option<&Planned> = None;
        for p in &a.plan {
            if best.is_none_or(|b| p.fraction() > b.fraction()) {
                best = Some(p);
            }
        }
        match best {
            Some(Planned::Backend { backend, .. }) => (if l4 { 0 } else { 200 }, Some(*backend)),
            Some(Planned::Status { code, .. }) => (if l4 { 0 } else { *code }, None),
            _ => (0, None),
        }
    };
    a
}
