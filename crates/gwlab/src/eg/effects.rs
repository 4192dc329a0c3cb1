//! What policies do to one request, in Envoy's HTTP filter order (§3 of the Envoy Gateway digest):
//! fault injection, CORS, extAuth, API key, basic auth, OIDC, JWT, authorization (RBAC), local
//! rate limit, then the router. The first filter that answers stops the chain.

use super::attach::Level;
use super::jwt;
use super::types::*;
use super::{Policy, PolicyIndex, PolicyKind, PolicySpec};
use crate::route::{Request, TraceStep};
use serde::Serialize;
use serde_json::Value;

/// Which Gateway, listener, route and rule the router matched, plus what the simulation cannot
/// read from the request itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RouteContext {
    pub gateway_namespace: String,
    pub gateway: String,
    pub listener: String,
    /// `HTTPRoute` or `GRPCRoute`.
    pub route_kind: String,
    pub route_namespace: String,
    pub route: String,
    /// Index of the matched rule in the route spec.
    pub rule: usize,
    /// The client's IP as detected by the listener (see [`super::client`]); None = unknown.
    pub client_ip: Option<String>,
    /// The external authorization service denies this request (default: it allows).
    pub ext_auth_denies: bool,
    /// Unix time used for JWT `exp`/`nbf`; None skips the expiry check (said in the trace).
    pub now: Option<i64>,
    /// The matched rule has an HTTPRoute `CORS` filter, which takes precedence over a
    /// SecurityPolicy's `cors`.
    pub route_cors: bool,
}

/// A reply from the gateway itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShortCircuit {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Which filter answered and why, in plain words.
    pub reason: String,
}

/// A share of requests a fault-injection rule affects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultShare {
    /// Percent of requests, 0..=100.
    pub percent: f64,
    /// `abort` (status) or `delay` (seconds).
    pub kind: String,
    pub status: Option<u16>,
    pub delay_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PolicyEffect {
    /// The policies in force, as `Kind namespace/name (level)`.
    pub policies: Vec<String>,
    /// Fault injection as a distribution (evaluated before everything else).
    pub faults: Vec<FaultShare>,
    /// The request never reaches the backend (for the requests not aborted by a fault).
    pub short_circuit: Option<ShortCircuit>,
    /// Headers set on the request before it goes upstream (e.g. claim-to-header).
    pub request_headers: Vec<(String, String)>,
    /// Request headers stripped before going upstream (API key `sanitize`).
    pub removed_request_headers: Vec<String>,
    /// Headers added to the response the client sees (CORS).
    pub response_headers: Vec<(String, String)>,
    /// Headers sent to the external authorization service.
    pub ext_auth_headers: Vec<(String, String)>,
    /// Route behaviour that does not change this one request: retries, timeouts, circuit
    /// breaker, rate limits, response overrides — as (name, value in words).
    pub route_facts: Vec<(String, String)>,
    pub trace: Vec<TraceStep>,
}

impl PolicyEffect {
    fn step(&mut self, p: Option<&Policy>, msg: impl Into<String>, ptr: Option<&str>) {
        self.trace.push(TraceStep {
            stage: "policy".into(),
            message: msg.into(),
            object: p.map(|p| format!("{}/{}/{}", p.kind.name(), p.namespace, p.name)),
            pointer: ptr.map(str::to_string),
        });
    }
    fn answer(
        &mut self,
        p: &Policy,
        status: u16,
        headers: Vec<(String, String)>,
        body: &str,
        reason: String,
        ptr: &str,
    ) {
        self.step(
            Some(p),
            format!("{reason}: the gateway answers {status}"),
            Some(ptr),
        );
        self.short_circuit = Some(ShortCircuit {
            status,
            headers,
            body: body.into(),
            reason,
        });
    }
}

pub(crate) fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub(crate) fn query_param(req: &Request, name: &str) -> Option<String> {
    let q = req.path.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn path_only(req: &Request) -> &str {
    req.path.split(['?', '#']).next().unwrap_or("/")
}

/// Go-style duration (`1.5s`, `300ms`, `1h30m`) in seconds.
pub fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    if s == "0" {
        return Some(0.0);
    }
    let mut total = 0.0;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mul = match &rest[..u] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += num * mul;
        rest = &rest[u..];
    }
    Some(total)
}

/// An IPv4/IPv6 CIDR (or bare address) as (address, prefix length).
pub fn parse_cidr(s: &str) -> Option<(std::net::IpAddr, u8)> {
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip: std::net::IpAddr = a.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((ip, len))
}

pub fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let (Some((net, len)), Ok(ip)) = (parse_cidr(cidr), ip.parse::<std::net::IpAddr>()) else {
        return false;
    };
    match (net, ip) {
        (std::net::IpAddr::V4(n), std::net::IpAddr::V4(i)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (std::net::IpAddr::V6(n), std::net::IpAddr::V6(i)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// Parses an `.htpasswd` file: only `user:{SHA}base64` lines are accepted (Envoy Gateway's rule).
pub fn parse_htpasswd(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((user, hash)) = line.split_once(':') else {
            return Err(format!("line {} is not `user:hash`", i + 1));
        };
        let Some(b64) = hash.strip_prefix("{SHA}") else {
            return Err(format!(
                "line {} (user `{user}`): only {{SHA}} hashes are supported",
                i + 1
            ));
        };
        if super::codec::base64_decode(b64).map(|b| b.len()) != Some(20) {
            return Err(format!(
                "line {} (user `{user}`): the {{SHA}} hash is not base64 of 20 bytes",
                i + 1
            ));
        }
        out.push((user.to_string(), hash.to_string()));
    }
    if out.is_empty() {
        return Err("the htpasswd file has no users".into());
    }
    Ok(out)
}

/// RFC 7386 JSON merge patch (also used for StrategicMerge, whose list-merge keys are not simulated).
pub fn json_merge(base: &Value, patch: &Value) -> Value {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            let mut out = b.clone();
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let merged = json_merge(b.get(k).unwrap_or(&Value::Null), v);
                    out.insert(k.clone(), merged);
                }
            }
            Value::Object(out)
        }
        (_, p) => p.clone(),
    }
}

/// The policy of `kind` governing this route entry, with its level, after `mergeType` merging.
pub fn governing(
    index: &PolicyIndex,
    kind: PolicyKind,
    ctx: &RouteContext,
) -> Option<(usize, Level, bool, Option<Value>)> {
    let mut best: Option<&super::Attachment> = None;
    for a in &index.attachments {
        if index.policies[a.policy].kind != kind {
            continue;
        }
        let hit = match &a.level {
            Level::Rule {
                route_kind,
                route_namespace,
                route,
                rule,
            } => {
                *route_kind == ctx.route_kind
                    && *route_namespace == ctx.route_namespace
                    && *route == ctx.route
                    && *rule == ctx.rule
            }
            Level::Route {
                route_kind,
                route_namespace,
                route,
            } => {
                *route_kind == ctx.route_kind
                    && *route_namespace == ctx.route_namespace
                    && *route == ctx.route
            }
            gw_side => gw_side.covers_listener(&ctx.gateway_namespace, &ctx.gateway, &ctx.listener),
        };
        if hit && best.is_none_or(|b| a.level.rank() < b.level.rank()) {
            best = Some(a);
        }
    }
    let a = best?;
    // A merged route policy: merge it into the narrowest parent policy governing this listener.
    let merged = index
        .attachments
        .iter()
        .filter(|x| {
            a.merged_into.contains(&x.policy)
                && x.level.rank() > 1
                && x.level
                    .covers_listener(&ctx.gateway_namespace, &ctx.gateway, &ctx.listener)
        })
        .min_by_key(|x| x.level.rank());
    let merged_raw =
        merged.map(|m| json_merge(&index.policies[m.policy].raw, &index.policies[a.policy].raw));
    Some((a.policy, a.level.clone(), a.broken, merged_raw))
}

fn level_words(l: &Level) -> String {
    match l {
        Level::Rule { route, rule, .. } => format!("rule {rule} of route {route}"),
        Level::Route { route, .. } => format!("route {route}"),
        Level::Listener {
            gateway, listener, ..
        } => format!("listener {listener} of Gateway {gateway}"),
        Level::SetListener { set, listener, .. } => {
            format!("listener {listener} of ListenerSet {set}")
        }
        Level::Set { set, .. } => format!("ListenerSet {set}"),
        Level::Gateway { gateway, .. } => format!("Gateway {gateway}"),
    }
}

/// The policy that failed to translate and so answers 500 on every request of this route entry,
/// whatever the request: a BackendTrafficPolicy, then a SecurityPolicy, then an
/// EnvoyExtensionPolicy that failed to load (extensions are not run, but a broken one that is
/// not failOpen still answers 500). The request path and the routing table both ask this.
pub fn broken_governing<'a>(index: &'a PolicyIndex, ctx: &RouteContext) -> Option<&'a Policy> {
    [
        PolicyKind::BackendTraffic,
        PolicyKind::Security,
        PolicyKind::EnvoyExtension,
    ]
    .into_iter()
    .filter_map(|kind| governing(index, kind, ctx))
    .find(|g| g.2)
    .map(|g| &index.policies[g.0])
}

/// Evaluates every policy governing `ctx` against `req`.
pub fn effects(index: &PolicyIndex, req: &Request, ctx: &RouteContext) -> PolicyEffect {
    let mut fx = PolicyEffect::default();
    let mut sp: Option<(&Policy, SecurityPolicySpec, bool)> = None;
    let mut btp: Option<(&Policy, BackendTrafficPolicySpec, bool)> = None;
    for kind in [PolicyKind::BackendTraffic, PolicyKind::Security] {
        let Some((pi, level, broken, merged)) = governing(index, kind, ctx) else {
            continue;
        };
        let p = &index.policies[pi];
        let how = if merged.is_some() {
            ", merged into its parent policy"
        } else {
            ""
        };
        fx.policies.push(format!(
            "{} {}/{} ({}{how})",
            p.kind.name(),
            p.namespace,
            p.name,
            level_words(&level)
        ));
        fx.step(
            Some(p),
            format!(
                "{} {}/{} applies, attached to {}{how}",
                p.kind.name(),
                p.namespace,
                p.name,
                level_words(&level)
            ),
            None,
        );
        match (&p.spec, merged) {
            (PolicySpec::Security(s), None) => sp = Some((p, (**s).clone(), broken)),
            (PolicySpec::BackendTraffic(s), None) => btp = Some((p, (**s).clone(), broken)),
            (PolicySpec::Security(s), Some(raw)) => {
                sp = Some((
                    p,
                    crate::model::from_value(&raw).unwrap_or_else(|_| (**s).clone()),
                    broken,
                ))
            }
            (PolicySpec::BackendTraffic(s), Some(raw)) => {
                btp = Some((
                    p,
                    crate::model::from_value(&raw).unwrap_or_else(|_| (**s).clone()),
                    broken,
                ))
            }
            _ => {}
        }
    }

    // A policy that failed to translate answers 500 on everything it governs.
    if let Some(p) = broken_governing(index, ctx) {
        let why = p
            .problems
            .first()
            .map(|x| x.message.clone())
            .unwrap_or_default();
        let ptr = p
            .problems
            .first()
            .map(|x| x.pointer.clone())
            .unwrap_or_default();
        fx.answer(
            p,
            500,
            vec![],
            "",
            format!("{} {} is invalid ({why})", p.kind.name(), p.name),
            &ptr,
        );
        return fx;
    }

    if let Some((p, s, _)) = &btp {
        route_facts(&mut fx, p, s);
        fault(&mut fx, p, s);
        if fx.short_circuit.is_some() {
            return fx;
        }
    }
    let mut jwt_ok: Option<(String, jwt::Jwt)> = None;
    if let Some((p, s, _)) = &sp {
        security(&mut fx, index, p, s, req, ctx, &mut jwt_ok);
        if fx.short_circuit.is_some() {
            return fx;
        }
    }
    if let Some((p, s, _)) = &btp {
        if let Some(rl) = s.rate_limit.as_ref().and_then(|r| r.local.as_ref()) {
            let rules = super::ratelimit::matching_buckets(rl, req, ctx.client_ip.as_deref());
            let words = if rules.is_empty() {
                "no local rate-limit bucket applies: unlimited".to_string()
            } else {
                rules
                    .iter()
                    .map(|b| b.describe())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            fx.route_facts
                .push(("local rate limit".into(), words.clone()));
            fx.step(Some(p), format!("local rate limit: {words} (a single request is within the limit; use a burst to see 429s)"), Some("/spec/rateLimit/local"));
        }
        if s.rate_limit
            .as_ref()
            .and_then(|r| r.global.as_ref())
            .is_some()
        {
            fx.route_facts.push((
                "global rate limit".into(),
                "counted by the external rate limit service; over the limit: 429".into(),
            ));
        }
    }
    fx.step(None, "policies let the request through to the router", None);
    fx
}

fn route_facts(fx: &mut PolicyEffect, p: &Policy, s: &BackendTrafficPolicySpec) {
    if let Some(r) = &s.retry {
        let n = r.get("numRetries").and_then(Value::as_u64).unwrap_or(2);
        let on = r
            .pointer("/retryOn/triggers")
            .map(|t| t.to_string())
            .unwrap_or_else(|| {
                "[connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes]"
                    .into()
            });
        let codes = r
            .pointer("/retryOn/httpStatusCodes")
            .map(|t| t.to_string())
            .unwrap_or_else(|| "[503]".into());
        fx.route_facts.push((
            "retries".into(),
            format!("{n} retries on {on}, status codes {codes}"),
        ));
    }
    if let Some(t) = s
        .timeout
        .as_ref()
        .and_then(|t| t.pointer("/http/requestTimeout"))
        .and_then(Value::as_str)
    {
        fx.route_facts.push((
            "request timeout".into(),
            format!("{t} (unless the HTTPRoute sets timeouts.request)"),
        ));
    }
    if let Some(t) = s
        .timeout
        .as_ref()
        .and_then(|t| t.pointer("/tcp/connectTimeout"))
        .and_then(Value::as_str)
    {
        fx.route_facts
            .push(("connect timeout".into(), t.to_string()));
    }
    if let Some(cb) = &s.circuit_breaker {
        let g = |k: &str| cb.get(k).and_then(Value::as_u64).unwrap_or(1024);
        fx.route_facts.push((
            "circuit breaker".into(),
            format!(
                "max {} connections, {} pending, {} parallel requests, {} parallel retries; overflow answers 503",
                g("maxConnections"),
                g("maxPendingRequests"),
                g("maxParallelRequests"),
                g("maxParallelRetries")
            ),
        ));
    }
    for o in &s.response_override {
        let codes: Vec<String> = o
            .matches
            .status_codes
            .iter()
            .map(|c| match (&c.range, c.value) {
                (Some(r), _) => format!("{}-{}", r.start, r.end),
                (None, Some(v)) => v.to_string(),
                _ => "?".into(),
            })
            .collect();
        let to = match (&o.response, &o.redirect) {
            (Some(r), _) => format!(
                "status {}{}",
                r.status_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "unchanged".into()),
                r.body
                    .as_ref()
                    .and_then(|b| b.inline.as_ref())
                    .map(|b| format!(", body {b:?}"))
                    .unwrap_or_default()
            ),
            (None, Some(_)) => "a redirect".into(),
            _ => "nothing".into(),
        };
        fx.route_facts.push((
            "response override".into(),
            format!("backend status {} becomes {to}", codes.join(", ")),
        ));
    }
    let _ = p;
}

/// Applies the response overrides of a BackendTrafficPolicy to a backend status.
pub fn override_response(
    s: &BackendTrafficPolicySpec,
    status: u16,
) -> Option<(u16, Option<String>)> {
    for o in &s.response_override {
        let hit = o
            .matches
            .status_codes
            .iter()
            .any(|c| match (&c.range, c.value) {
                (Some(r), _) if c.type_.as_deref() == Some("Range") => {
                    (r.start..=r.end).contains(&status)
                }
                (_, Some(v)) => v == status,
                _ => false,
            });
        if hit {
            let r = o.response.as_ref();
            return Some((
                r.and_then(|r| r.status_code).unwrap_or(status),
                r.and_then(|r| r.body.as_ref())
                    .and_then(|b| b.inline.clone()),
            ));
        }
    }
    None
}

fn fault(fx: &mut PolicyEffect, p: &Policy, s: &BackendTrafficPolicySpec) {
    let Some(f) = &s.fault_injection else { return };
    if let Some(d) = &f.delay {
        let pct = d.percentage.unwrap_or(100.0);
        let secs = d.fixed_delay.as_deref().and_then(parse_duration);
        fx.faults.push(FaultShare {
            percent: pct,
            kind: "delay".into(),
            status: None,
            delay_seconds: secs,
        });
        fx.step(
            Some(p),
            format!(
                "fault injection delays {pct}% of requests by {}",
                d.fixed_delay.as_deref().unwrap_or("?")
            ),
            Some("/spec/faultInjection/delay"),
        );
    }
    if let Some(a) = &f.abort {
        let pct = a.percentage.unwrap_or(100.0);
        let status = a
            .http_status
            .unwrap_or(if a.grpc_status.is_some() { 200 } else { 503 });
        fx.faults.push(FaultShare {
            percent: pct,
            kind: "abort".into(),
            status: Some(status),
            delay_seconds: None,
        });
        let what = match a.grpc_status {
            Some(g) => format!("gRPC status {g}"),
            None => format!("HTTP {status}"),
        };
        if pct >= 100.0 {
            fx.answer(
                p,
                status,
                vec![],
                "fault filter abort",
                format!("fault injection aborts every request with {what}"),
                "/spec/faultInjection/abort",
            );
        } else {
            fx.step(
                Some(p),
                format!("fault injection aborts {pct}% of requests with {what}; the rest continue"),
                Some("/spec/faultInjection/abort"),
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn security(
    fx: &mut PolicyEffect,
    index: &PolicyIndex,
    p: &Policy,
    s: &SecurityPolicySpec,
    req: &Request,
    ctx: &RouteContext,
    jwt_ok: &mut Option<(String, jwt::Jwt)>,
) {
    let model_data = |r: &crate::model::ObjectRef,
                      kind: &str|
     -> Option<std::collections::BTreeMap<String, Vec<u8>>> {
        index
            .data
            .get(&(
                kind.to_string(),
                r.namespace_or(&p.namespace).to_string(),
                r.name.clone(),
            ))
            .cloned()
    };
    // CORS: an HTTPRoute CORS filter on the route takes precedence over the policy's.
    if let Some(c) = s.cors.as_ref().filter(|_| !ctx.route_cors) {
        let max_age = c
            .max_age
            .as_deref()
            .and_then(parse_duration)
            .map(|secs| secs as u64);
        let policy = crate::route::cors::CorsPolicy::new(
            &c.allow_origins,
            &c.allow_methods,
            &c.allow_headers,
            &c.expose_headers,
            max_age,
            c.allow_credentials == Some(true),
        );
        match policy.evaluate(&req.method, &req.headers) {
            crate::route::cors::CorsAnswer::Preflight { origin, allowed: true, headers } => {
                fx.answer(p, 200, headers, "", format!("CORS preflight from allowed origin {origin}"), "/spec/cors");
                return;
            }
            crate::route::cors::CorsAnswer::Preflight { origin, allowed: false, .. } => {
                fx.answer(p, 200, vec![], "", format!("CORS preflight from origin {origin}, which is not allowed: no CORS headers, not forwarded"), "/spec/cors/allowOrigins");
                return;
            }
            crate::route::cors::CorsAnswer::Actual { origin, allowed: true, headers } => {
                fx.response_headers.extend(headers);
                fx.step(Some(p), format!("CORS: origin {origin} is allowed; the response gets access-control-allow-origin"), Some("/spec/cors"));
            }
            crate::route::cors::CorsAnswer::Actual { origin, allowed: false, .. } => {
                fx.step(Some(p), format!("CORS: origin {origin} is not allowed; the response gets no CORS headers (the browser blocks it)"), Some("/spec/cors/allowOrigins"))
            }
            crate::route::cors::CorsAnswer::NotCors => {}
        }
    }
    // extAuth
    if let Some(e) = &s.ext_auth {
        let sent: Vec<(String, String)> = if e.headers_to_ext_auth.is_empty() {
            req.headers.clone()
        } else {
            req.headers
                .iter()
                .filter(|(k, _)| {
                    e.headers_to_ext_auth
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(k))
                })
                .cloned()
                .collect()
        };
        fx.ext_auth_headers = sent.clone();
        let names: Vec<&str> = sent.iter().map(|(k, _)| k.as_str()).collect();
        if ctx.ext_auth_denies {
            fx.answer(p, 403, vec![], "", format!("the external authorization service denies the request (it was sent headers {names:?})"), "/spec/extAuth");
            return;
        }
        let kept = e
            .http
            .as_ref()
            .map(|h| h.headers_to_backend.clone())
            .unwrap_or_default();
        fx.step(
            Some(p),
            format!(
                "the external authorization service allows the request (sent headers {names:?}){}",
                if kept.is_empty() {
                    String::new()
                } else {
                    format!("; its headers {kept:?} are copied upstream")
                }
            ),
            Some("/spec/extAuth"),
        );
    }
    // API key
    if let Some(a) = &s.api_key_auth {
        let mut keys: Vec<(String, Vec<u8>)> = Vec::new();
        for r in &a.credential_refs {
            if let Some(d) = model_data(r, "Secret") {
                keys.extend(d);
            }
        }
        let mut found: Option<(String, Option<String>)> = None; // (key, header name)
        for ex in &a.extract_from {
            for h in &ex.headers {
                if let Some(v) = header(req, h) {
                    found.get_or_insert((v.to_string(), Some(h.clone())));
                }
            }
            for q in &ex.params {
                if let Some(v) = query_param(req, q) {
                    found.get_or_insert((v, None));
                }
            }
            for c in &ex.cookies {
                if let Some(v) = cookie(req, c) {
                    found.get_or_insert((v, None));
                }
            }
        }
        let Some((key, hname)) = found else {
            fx.answer(
                p,
                401,
                vec![],
                "Client authentication failed.",
                "API key auth: no API key in the request".into(),
                "/spec/apiKeyAuth/extractFrom",
            );
            return;
        };
        let Some((client, _)) = keys.iter().find(|(_, v)| v.as_slice() == key.as_bytes()) else {
            fx.answer(
                p,
                401,
                vec![],
                "Client authentication failed.",
                "API key auth: the API key matches no client".into(),
                "/spec/apiKeyAuth/credentialRefs",
            );
            return;
        };
        if let Some(h) = &a.forward_client_id_header {
            fx.request_headers
                .push((h.to_ascii_lowercase(), client.clone()));
        }
        if a.sanitize == Some(true) {
            if let Some(h) = hname {
                fx.removed_request_headers.push(h.to_ascii_lowercase());
            }
        }
        fx.step(
            Some(p),
            format!("API key auth: the key belongs to client `{client}`"),
            Some("/spec/apiKeyAuth"),
        );
    }
    // Basic auth
    if let Some(b) = &s.basic_auth {
        let realm = format!(
            "Basic realm=\"http://{}{}\"",
            req.host.as_deref().unwrap_or(""),
            path_only(req)
        );
        let deny = |fx: &mut PolicyEffect, why: &str| {
            fx.answer(
                p,
                401,
                vec![("www-authenticate".into(), realm.clone())],
                "User authentication failed.",
                format!("basic auth: {why}"),
                "/spec/basicAuth",
            );
        };
        let creds = header(req, "authorization")
            .and_then(|v| {
                v.strip_prefix("Basic ")
                    .or_else(|| v.strip_prefix("basic "))
            })
            .and_then(|b64| super::codec::base64_decode(b64.trim()))
            .and_then(|raw| String::from_utf8(raw).ok());
        let Some(creds) = creds else {
            deny(fx, "no `Authorization: Basic` credentials");
            return;
        };
        let (user, pass) = creds.split_once(':').unwrap_or((&creds, ""));
        let users = model_data(&b.users, "Secret")
            .and_then(|d| d.get(".htpasswd").cloned())
            .and_then(|h| parse_htpasswd(&String::from_utf8_lossy(&h)).ok())
            .unwrap_or_default();
        match users.iter().find(|(u, _)| u == user) {
            None => {
                deny(fx, &format!("unknown user `{user}`"));
                return;
            }
            Some((_, hash)) if *hash != super::codec::htpasswd_sha(pass) => {
                deny(fx, &format!("wrong password for user `{user}`"));
                return;
            }
            _ => {}
        }
        if let Some(h) = &b.forward_username_header {
            fx.request_headers
                .push((h.to_ascii_lowercase(), user.to_string()));
        }
        fx.step(
            Some(p),
            format!("basic auth: user `{user}` authenticated ({{SHA}} hash matches)"),
            Some("/spec/basicAuth"),
        );
    }
    // OIDC
    if let Some(o) = &s.oidc {
        let logged_in = req
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .any(|(_, v)| {
                v.split(';').any(|c| {
                    c.trim().starts_with("IdToken-") || c.trim().starts_with("AccessToken-")
                })
            });
        if !logged_in {
            let authz = o
                .provider
                .as_ref()
                .and_then(|pv| {
                    pv.get("authorizationEndpoint")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or_else(|| {
                            pv.get("issuer")
                                .and_then(Value::as_str)
                                .map(|i| format!("{}/authorize", i.trim_end_matches('/')))
                        })
                })
                .unwrap_or_default();
            let scheme = header(req, "x-forwarded-proto").unwrap_or(&req.scheme);
            let redirect = o.redirect_url.clone().unwrap_or_else(|| {
                format!(
                    "{scheme}://{}/oauth2/callback",
                    req.host.as_deref().unwrap_or("")
                )
            });
            let mut scopes = vec!["openid".to_string()];
            scopes.extend(o.scopes.iter().filter(|s| *s != "openid").cloned());
            let loc = format!(
                "{authz}?client_id={}&redirect_uri={}&response_type=code&scope={}&state=<state>",
                o.client_id.as_deref().unwrap_or(""),
                pct(&redirect),
                scopes.join("+")
            );
            fx.answer(
                p,
                302,
                vec![("location".into(), loc)],
                "",
                "OIDC: no session cookie, so the browser is sent to the identity provider".into(),
                "/spec/oidc",
            );
            return;
        }
        fx.step(
            Some(p),
            "OIDC: the request carries a session cookie (assumed valid)",
            Some("/spec/oidc"),
        );
    }
    // JWT
    if let Some(j) = &s.jwt {
        if !jwt_filter(fx, index, p, j, req, ctx, jwt_ok) {
            return;
        }
    }
    // Authorization
    if let Some(a) = &s.authorization {
        authorization(fx, p, a, req, ctx, jwt_ok.as_ref());
    }
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn extract_token(req: &Request, pr: &JwtProvider) -> Option<(String, String)> {
    match &pr.extract_from {
        None => {
            if let Some(v) = header(req, "authorization") {
                if let Some(t) = v.strip_prefix("Bearer ") {
                    return Some((
                        t.trim().to_string(),
                        "the Authorization: Bearer header".into(),
                    ));
                }
            }
            query_param(req, "access_token").map(|t| (t, "the access_token query parameter".into()))
        }
        Some(ex) => {
            for h in &ex.headers {
                if let Some(v) = header(req, &h.name) {
                    let prefix = h.value_prefix.as_deref().unwrap_or("");
                    if let Some(t) = v.strip_prefix(prefix) {
                        return Some((t.trim().to_string(), format!("header {}", h.name)));
                    }
                }
            }
            for c in &ex.cookies {
                if let Some(v) = cookie(req, c) {
                    return Some((v, format!("cookie {c}")));
                }
            }
            for q in &ex.params {
                if let Some(v) = query_param(req, q) {
                    return Some((v, format!("query parameter {q}")));
                }
            }
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn jwt_filter(
    fx: &mut PolicyEffect,
    index: &PolicyIndex,
    p: &Policy,
    j: &JwtSpec,
    req: &Request,
    ctx: &RouteContext,
    jwt_ok: &mut Option<(String, jwt::Jwt)>,
) -> bool {
    let realm = format!(
        "Bearer realm=\"{}://{}{}\"",
        req.scheme,
        req.host.as_deref().unwrap_or(""),
        path_only(req)
    );
    let optional = j.optional == Some(true);
    let fail_open = j.fail_open == Some(true);
    let mut failure: Option<(u16, String)> = None;
    let mut saw_token = false;
    for (i, pr) in j.providers.iter().enumerate() {
        let Some((token, from)) = extract_token(req, pr) else {
            continue;
        };
        saw_token = true;
        let t = match jwt::decode(&token) {
            Ok(t) => t,
            Err(e) => {
                failure.get_or_insert((
                    401,
                    format!(
                        "provider `{}`: the token from {from} is malformed ({e})",
                        pr.name
                    ),
                ));
                continue;
            }
        };
        if let Some(iss) = &pr.issuer {
            if t.issuer() != Some(iss.as_str()) {
                failure = Some((
                    401,
                    format!(
                        "provider `{}`: issuer {:?} is not {iss:?}",
                        pr.name,
                        t.issuer().unwrap_or("")
                    ),
                ));
                continue;
            }
        }
        if let Some(now) = ctx.now {
            if t.claims
                .get("exp")
                .and_then(Value::as_i64)
                .is_some_and(|exp| exp <= now)
            {
                failure = Some((
                    401,
                    format!("provider `{}`: the token has expired", pr.name),
                ));
                continue;
            }
            if t.claims
                .get("nbf")
                .and_then(Value::as_i64)
                .is_some_and(|nbf| nbf > now)
            {
                failure = Some((
                    401,
                    format!("provider `{}`: the token is not valid yet", pr.name),
                ));
                continue;
            }
        }
        if !pr.audiences.is_empty() && !t.audiences().iter().any(|a| pr.audiences.contains(a)) {
            failure = Some((
                403,
                format!(
                    "provider `{}`: audiences {:?} do not include any of {:?}",
                    pr.name,
                    t.audiences(),
                    pr.audiences
                ),
            ));
            continue;
        }
        // Envoy checks the audience before it looks at the JWKS, so a well-signed token for
        // another audience is 403 and a badly signed one for another audience is 403 too.
        let sig_note = if let Some(l) = &pr.local_jwks {
            let text = match (&l.inline, &l.value_ref) {
                (Some(t), _) => Some(t.clone()),
                (None, Some(r)) => index
                    .data
                    .get(&("ConfigMap".into(), p.namespace.clone(), r.name.clone()))
                    .and_then(|d| d.get("jwks"))
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
                _ => None,
            };
            match text.and_then(|t| jwt::parse_jwks(&t).ok()) {
                Some(keys) => match jwt::verify(&t, &keys) {
                    jwt::Signature::Verified => {
                        format!("the {} signature is verified with the local JWKS", t.alg())
                    }
                    jwt::Signature::Assumed => format!(
                        "signature assumed valid: gwlab does not verify {} signatures",
                        t.alg()
                    ),
                    jwt::Signature::TooManyKeys(n) => format!(
                        "signature assumed valid: {n} keys of the local JWKS could have signed it and gwlab tries only the first {}, none of which verifies it",
                        jwt::MAX_KEYS_TRIED
                    ),
                    jwt::Signature::NoKey => {
                        failure = Some((401, format!("provider `{}`: no key in the local JWKS matches the token (alg {}, kid {:?})", pr.name, t.alg(), t.kid())));
                        continue;
                    }
                    jwt::Signature::Invalid => {
                        failure = Some((
                            401,
                            format!(
                                "provider `{}`: the {} signature does not verify with the local JWKS (kid {:?})",
                                pr.name,
                                t.alg(),
                                t.kid()
                            ),
                        ));
                        continue;
                    }
                },
                None => "signature assumed valid: the local JWKS could not be read".to_string(),
            }
        } else {
            "signature assumed valid: gwlab does not fetch remote JWKS".to_string()
        };
        let mut msg = format!(
            "JWT provider `{}` accepts the token from {from} ({sig_note}",
            pr.name
        );
        msg.push_str(if ctx.now.is_none() {
            "; expiry not checked)"
        } else {
            ")"
        });
        fx.step(Some(p), msg, Some(&format!("/spec/jwt/providers/{i}")));
        for c in &pr.claim_to_headers {
            if let Some(v) = t.claim_text(&c.claim) {
                fx.request_headers.push((c.header.to_ascii_lowercase(), v));
            }
        }
        *jwt_ok = Some((pr.name.clone(), t));
        return true;
    }
    let (status, why) = match failure {
        Some(f) => f,
        None if !saw_token => {
            if optional || fail_open {
                fx.step(
                    Some(p),
                    "JWT: no token, and the policy makes JWT optional: the request continues",
                    Some("/spec/jwt"),
                );
                return true;
            }
            (401, "JWT: the request has no token".to_string())
        }
        None => (401, "JWT: no provider accepted the token".to_string()),
    };
    if fail_open {
        fx.step(
            Some(p),
            format!("{why}; failOpen lets the request continue"),
            Some("/spec/jwt"),
        );
        return true;
    }
    let hdr = if status == 403 {
        format!("{realm}, error=\"insufficient_scope\"")
    } else {
        format!("{realm}, error=\"invalid_token\"")
    };
    let body = if status == 403 {
        "Audiences in Jwt are not allowed"
    } else {
        "Jwt verification fails"
    };
    fx.answer(
        p,
        status,
        vec![("www-authenticate".into(), hdr)],
        body,
        why,
        "/spec/jwt",
    );
    false
}

fn authorization(
    fx: &mut PolicyEffect,
    p: &Policy,
    a: &AuthorizationSpec,
    req: &Request,
    ctx: &RouteContext,
    jwt: Option<&(String, jwt::Jwt)>,
) {
    for (i, r) in a.rules.iter().enumerate() {
        let mut ok = true;
        if let Some(pr) = &r.principal {
            if !pr.client_cidrs.is_empty() {
                ok &= ctx
                    .client_ip
                    .as_deref()
                    .is_some_and(|ip| pr.client_cidrs.iter().any(|c| cidr_contains(c, ip)));
            }
            if let Some(jp) = &pr.jwt {
                ok &= match jwt {
                    Some((prov, t)) if *prov == jp.provider => {
                        let scopes = t.scopes();
                        jp.scopes.iter().all(|s| scopes.contains(s))
                            && jp.claims.iter().all(|c| match t.claim(&c.name) {
                                Some(Value::String(s)) => c.values.contains(s),
                                Some(Value::Array(arr)) => arr
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .any(|s| c.values.iter().any(|v| v == s)),
                                Some(other) => c.values.contains(&other.to_string()),
                                None => false,
                            })
                    }
                    _ => false,
                };
            }
            for h in &pr.headers {
                ok &= header(req, &h.name).is_some_and(|v| h.values.iter().any(|x| x == v));
            }
        }
        if let Some(op) = &r.operation {
            if !op.methods.is_empty() {
                ok &= op
                    .methods
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(&req.method));
            }
        }
        if ok {
            let name = r.name.clone().unwrap_or_else(|| format!("#{i}"));
            let ptr = format!("/spec/authorization/rules/{i}");
            if r.action == "Allow" {
                fx.step(
                    Some(p),
                    format!("authorization rule {name} matches first: Allow"),
                    Some(&ptr),
                );
            } else {
                fx.answer(
                    p,
                    403,
                    vec![],
                    "RBAC: access denied",
                    format!("authorization rule {name} matches first: Deny"),
                    &ptr,
                );
            }
            return;
        }
    }
    let default = a.default_action.as_deref().unwrap_or("Deny");
    if default == "Allow" {
        fx.step(
            Some(p),
            "no authorization rule matches; the default action is Allow",
            Some("/spec/authorization"),
        );
    } else {
        fx.answer(
            p,
            403,
            vec![],
            "RBAC: access denied",
            "no authorization rule matches; the default action is Deny".into(),
            "/spec/authorization",
        );
    }
}
