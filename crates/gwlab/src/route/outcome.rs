//! From a chosen rule to what the client gets: fixed replies, redirects, and the weighted backend
//! distribution with Envoy Gateway's 500/503 pooling (`route.go` `processHTTPRouteRules`,
//! `ir/xds.go` `BackendWeights`).

use super::cors::CorsAnswer;
use super::filters;
use super::matchers::{PathMatch, ReqView};
use super::table::{Action, CBackend, Entry, GwTables, LInfo};
use super::{HeaderAction, Outcome, Redirect, Share, ShareOutcome, Tracer};
use crate::resolve::BackendTarget;
use std::sync::Arc;

/// A precomputed share of a rule's traffic.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Backend {
        backend: usize,
        fraction: f64,
        weight: u64,
    },
    Status {
        code: u16,
        fraction: f64,
        weight: u64,
    },
    Rejected {
        fraction: f64,
        weight: u64,
    },
}

impl Planned {
    pub fn fraction(&self) -> f64 {
        match self {
            Planned::Backend { fraction, .. }
            | Planned::Status { fraction, .. }
            | Planned::Rejected { fraction, .. } => *fraction,
        }
    }
}

fn frac(w: u128, total: u128) -> f64 {
    if total == 0 {
        0.0
    } else {
        w as f64 / total as f64
    }
}

/// Which translator path a rule's backends go through: it decides what a failed share answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// HTTPRoute: an invalid backendRef's share answers 500, an endpoint-less one's 503.
    Http,
    /// GRPCRoute: Envoy Gateway's GRPCRoute path never marks an invalid backendRef's destination
    /// invalid (`processGRPCRouteRules`), so beside a usable backend its share is counted as one
    /// without endpoints and answers 503. A rule with no usable backend still answers 500.
    Grpc,
    /// TCPRoute, TLSRoute, UDPRoute: failures reject the connection instead of answering.
    L4,
}

/// The distribution of a rule's traffic over its backends. Weights are summed in u128, so no
/// sum can overflow.
pub(crate) fn plan(backends: &[CBackend], family: Family) -> (Vec<Planned>, String) {
    let l4 = family == Family::L4;
    let mut valid: u128 = 0;
    let mut invalid: u128 = 0;
    let mut no_ep: u128 = 0;
    let mut any_invalid = false;
    let mut any_no_ep = false;
    for b in backends {
        match &*b.target {
            BackendTarget::Service {
                has_endpoints: true,
                ..
            } => valid += b.weight as u128,
            BackendTarget::Service { .. } => {
                // A weight-0 backend is left out before its endpoints matter.
                any_no_ep |= b.weight > 0;
                no_ep += b.weight as u128;
            }
            BackendTarget::Invalid { .. } => {
                any_invalid = true;
                invalid += b.weight as u128;
            }
        }
    }
    // Envoy Gateway leaves invalid backendRefs out of TCP/TLS/UDP routes altogether.
    let l4_dropped = l4 && any_invalid;
    if l4 {
        invalid = 0;
    }
    let fail = |code: u16, note: &str| -> (Vec<Planned>, String) {
        let total = (invalid + no_ep).min(u64::MAX as u128) as u64;
        if l4 {
            (
                vec![Planned::Rejected {
                    fraction: 1.0,
                    weight: total,
                }],
                format!("{note}: every connection is rejected"),
            )
        } else {
            (
                vec![Planned::Status {
                    code,
                    fraction: 1.0,
                    weight: total,
                }],
                format!("{note}: every request gets {code}"),
            )
        }
    };
    if backends.is_empty() {
        return fail(500, "the rule has no backendRefs");
    }
    if valid == 0 {
        return if any_invalid {
            fail(
                500,
                "no usable backend (an invalid backendRef and no valid weight)",
            )
        } else if any_no_ep {
            fail(503, "no backend has ready endpoints")
        } else {
            fail(500, "every backend has weight 0")
        };
    }
    let grpc_invalid = family == Family::Grpc && invalid > 0;
    if grpc_invalid {
        no_ep += invalid;
        invalid = 0;
    }
    let total = valid + invalid + no_ep;
    let mut out = Vec::new();
    let dropped_note = if l4_dropped {
        "Envoy Gateway leaves invalid backendRefs out of an L4 route, so their weight goes to the others (the Gateway API spec asks for their share of connections to be rejected)"
    } else {
        ""
    };
    for (i, b) in backends.iter().enumerate() {
        if let BackendTarget::Service {
            has_endpoints: true,
            ..
        } = *b.target
        {
            if b.weight > 0 {
                out.push(Planned::Backend {
                    backend: i,
                    fraction: frac(b.weight as u128, total),
                    weight: b.weight,
                });
            }
        }
    }
    let pooled = invalid + no_ep;
    let mut note = dropped_note.to_string();
    if pooled > 0 {
        let w = pooled.min(u64::MAX as u128) as u64;
        if l4 {
            out.push(Planned::Rejected {
                fraction: frac(pooled, total),
                weight: w,
            });
            if !note.is_empty() {
                note.push_str("; ");
            }
            note.push_str("the weight of endpoint-less backends is pooled into one share whose connections are rejected");
        } else {
            let code = if no_ep > 0 { 503 } else { 500 };
            out.push(Planned::Status {
                code,
                fraction: frac(pooled, total),
                weight: w,
            });
            note = format!("the weight of invalid or endpoint-less backends is pooled into one share that answers {code}");
            if grpc_invalid {
                note.push_str(" (Envoy Gateway's GRPCRoute path counts an invalid backendRef as one without endpoints, so its share answers 503 where an HTTPRoute's would answer 500)");
            }
        }
    }
    (out, note)
}

pub(crate) fn pct(f: f64) -> String {
    let p = f * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round() as i64)
    } else {
        format!("{p:.2}%")
    }
}

pub(crate) fn describe_backend(b: &CBackend) -> String {
    match &*b.target {
        BackendTarget::Service {
            namespace,
            name,
            port,
            has_endpoints,
            ..
        } => {
            if *has_endpoints {
                format!("Service {namespace}/{name}:{port}")
            } else {
                format!("Service {namespace}/{name}:{port} (no ready endpoints)")
            }
        }
        BackendTarget::Invalid { reason, message } => {
            format!("an invalid backendRef ({reason}: {message})")
        }
    }
}

/// The response the HTTP/gRPC client gets once `entry` won.
///
/// `vhost` is the virtual host that took the request: when the Host header is its name (the
/// usual case) the forwarded host shares its text instead of copying the request's.
///
/// A rule with an HTTPRoute CORS filter answers a preflight itself (Envoy's CORS filter runs
/// before the route's action), and adds the `access-control-*` headers to any other response
/// for an allowed origin.
#[allow(clippy::too_many_arguments)]
pub(crate) fn http_outcome(
    gw: &GwTables,
    l: &LInfo,
    entry: &Entry,
    a: &Action,
    req: &super::Request,
    view: &ReqView,
    vhost: &Arc<str>,
    t: &mut Tracer,
) -> Outcome {
    let Some(cors) = &a.cors else {
        return routed_outcome(gw, l, entry, a, req, view, vhost, t);
    };
    let obj = || Some(a.route_id.to_string());
    let ptr = || Some(a.rule_pointer.clone() + "/filters");
    match cors.evaluate(&req.method, &req.headers) {
        CorsAnswer::Preflight {
            origin,
            allowed,
            headers,
        } => {
            let mut out = Outcome::empty();
            out.route = Some((a.route_id.clone(), a.rule));
            out.match_index = entry.match_index;
            out.listener = Some(l.id.clone());
            out.gateway = Some(gw.key.clone());
            t.step("filter", || {
                let why = if allowed { format!("origin {origin} is allowed, so it carries the access-control-* headers") } else { format!("origin {origin} is not allowed, so it carries no CORS headers and the browser blocks the request") };
                (format!("the CORS filter answers the preflight itself with 200, without forwarding it: {why}"), obj(), ptr())
            });
            out.status = 200;
            out.shares.push(Share {
                fraction: 1.0,
                weight: 0,
                outcome: ShareOutcome::Status { code: 200 },
            });
            out.response_headers = headers;
            out
        }
        CorsAnswer::Actual {
            origin,
            allowed,
            headers,
        } => {
            let mut out = routed_outcome(gw, l, entry, a, req, view, vhost, t);
            t.step("filter", || {
                let what = if allowed {
                    "the response gets access-control-allow-origin"
                } else {
                    "the response gets no CORS headers (the browser blocks it)"
                };
                (
                    format!(
                        "CORS filter: origin {origin} is {}allowed; {what}",
                        if allowed { "" } else { "not " }
                    ),
                    obj(),
                    ptr(),
                )
            });
            out.response_headers.extend(headers);
            out
        }
        CorsAnswer::NotCors => routed_outcome(gw, l, entry, a, req, view, vhost, t),
    }
}

#[allow(clippy::too_many_arguments)]
fn routed_outcome(
    gw: &GwTables,
    l: &LInfo,
    entry: &Entry,
    a: &Action,
    req: &super::Request,
    view: &ReqView,
    vhost: &Arc<str>,
    t: &mut Tracer,
) -> Outcome {
    let mut out = Outcome::empty();
    out.route = Some((a.route_id.clone(), a.rule));
    out.match_index = entry.match_index;
    out.listener = Some(l.id.clone());
    out.gateway = Some(gw.key.clone());
    let obj = || Some(a.route_id.to_string());
    for (msg, ptr) in &a.notes {
        t.step("filter", || (msg.clone(), obj(), Some(ptr.clone())));
    }
    if let Some(code) = a.direct_status {
        t.step("filter", || {
            (
                format!(
                    "the rule answers {code} itself, with an empty body: {}",
                    a.direct_reason
                ),
                obj(),
                Some(a.rule_pointer.clone()),
            )
        });
        out.shares.push(Share {
            fraction: 1.0,
            weight: 0,
            outcome: ShareOutcome::Status { code },
        });
        out.status = code;
        return out;
    }
    let host: &str = req.host.as_deref().unwrap_or(&gw.address);
    // As written: Envoy Gateway builds its prefix rewrites from the configured value.
    let matched_prefix = match &entry.m.path {
        PathMatch::Prefix { written, .. } => Some(written.as_str()),
        _ => None,
    };
    if let Some(r) = &a.redirect {
        let scheme = if req.is_tls() { "https" } else { "http" };
        let loc = filters::location(
            r,
            scheme,
            host,
            l.port,
            &view.path,
            view.raw_query,
            matched_prefix,
        );
        t.step("filter", || {
            let mut m = format!("RequestRedirect answers {} with Location {loc}", r.status);
            if r.status_defaulted {
                m.push_str(" (statusCode is unset: the API server defaults it to 302; Envoy Gateway's own translator, with no CRD defaulting, would send 301)");
            }
            if r.port.is_none() {
                m.push_str(if r.scheme.is_some() {
                    "; the port is unset, so it is the scheme's port"
                } else {
                    "; the port is unset and so is the scheme, so it is the listener port"
                });
            }
            m.push_str("; Envoy Gateway never writes port 80 or 443 into Location");
            (m, obj(), Some(r.pointer.clone()))
        });
        out.status = r.status;
        out.redirect = Some(Redirect {
            status: r.status,
            location: loc,
        });
        out.shares.push(Share {
            fraction: 1.0,
            weight: 0,
            outcome: ShareOutcome::Status { code: r.status },
        });
        return out;
    }
    // Rule-level rewrite.
    let mut path: std::borrow::Cow<str> = std::borrow::Cow::Borrowed(&view.path);
    let mut rule_host: &str = host;
    if let Some(rw) = &a.rewrite {
        if let Some(p) = &rw.path {
            if matches!(p, filters::PathRewrite::Prefix(_)) && matched_prefix.is_none() {
                t.step("filter", || ("ReplacePrefixMatch needs a PathPrefix match; this match is not one, so the path is kept".into(), obj(), Some(rw.pointer.clone())));
            } else {
                let kind = filters::PrefixRewriteKind::Rewrite;
                path = std::borrow::Cow::Owned(filters::rewrite_path(
                    &view.path,
                    p,
                    matched_prefix,
                    kind,
                ));
                t.step("filter", || {
                    let departs = match filters::spec_departure(&view.path, p, matched_prefix, kind) {
                        Some(spec) => format!("; Envoy Gateway departs from the Gateway API table here, which gives `{spec}`"),
                        None => String::new(),
                    };
                    (format!("URLRewrite changes the path `{}` to `{path}` (the query is kept){departs}", view.path), obj(), Some(format!("{}/path", rw.pointer)))
                });
            }
        }
        if let Some(h) = &rw.hostname {
            rule_host = h;
            t.step("filter", || (format!("URLRewrite sets Host to `{h}`; Envoy Gateway also adds X-Forwarded-Host: {host}"), obj(), Some(format!("{}/hostname", rw.pointer))));
        }
    }
    // What every forwarding share sends, built once and shared by the shares that do not change
    // it (backendRef filters copy before editing).
    let forwarded = a.plan.iter().any(|p| matches!(p, Planned::Backend { .. }));
    let full_path: Option<Arc<str>> = match (forwarded, view.raw_query) {
        (false, _) => None,
        (true, Some(q)) => Some(Arc::from(format!("{path}?{q}"))),
        (true, None) => Some(Arc::from(&*path)),
    };
    let base_headers: Option<Arc<[(String, String)]>> = if !forwarded {
        None
    } else if a.req_ops.is_empty() {
        Some(
            view.headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        )
    } else {
        let mut h = view.owned_headers();
        filters::apply_ops(&a.req_ops, &mut h);
        Some(Arc::from(h))
    };
    let shared_host = |h: &str| -> Arc<str> {
        if h == host && req.host.is_none() {
            gw.address.clone()
        } else if h == &**vhost {
            vhost.clone()
        } else {
            Arc::from(h)
        }
    };
    let rule_host_shared = forwarded.then(|| shared_host(rule_host));
    if !a.req_ops.is_empty() || !a.resp_ops.is_empty() {
        t.step("filter", || {
            let f =
                |ops: &[super::HeaderOp]| ops.iter().map(op_text).collect::<Vec<_>>().join(", ");
            let mut m = String::new();
            if !a.req_ops.is_empty() {
                m.push_str(&format!("request headers: {}", f(&a.req_ops)));
            }
            if !a.resp_ops.is_empty() {
                if !m.is_empty() {
                    m.push_str("; ");
                }
                m.push_str(&format!("response headers: {}", f(&a.resp_ops)));
            }
            (m, obj(), Some(a.rule_pointer.clone()))
        });
    }
    for (m, p) in &a.mirrors {
        t.step("filter", || {
            (
                format!(
                    "RequestMirror copies {} of requests to {m}; its answers are ignored",
                    pct(p / 100.0)
                ),
                obj(),
                Some(format!("{}/filters", a.rule_pointer)),
            )
        });
    }
    out.mirrors = a.mirrors.clone();
    out.shares.reserve_exact(a.plan.len());
    if !a.plan_note.is_empty() {
        t.step("backend", || {
            (
                a.plan_note.clone(),
                obj(),
                Some(format!("{}/backendRefs", a.rule_pointer)),
            )
        });
    }
    for p in &a.plan {
        match p {
            Planned::Backend {
                backend,
                fraction,
                weight,
            } => {
                let b = &a.backends[*backend];
                let BackendTarget::Service {
                    namespace,
                    name,
                    port,
                    tls,
                    ..
                } = &*b.target
                else {
                    continue;
                };
                // Always there: `forwarded` holds when the plan has a backend share.
                let (Some(full_path), Some(base_headers), Some(rule_host_shared)) =
                    (&full_path, &base_headers, &rule_host_shared)
                else {
                    continue;
                };
                let bhost: &str = b.host_rewrite.as_deref().unwrap_or(rule_host);
                let mut headers = base_headers.clone();
                if !b.req_ops.is_empty() || bhost != host {
                    let mut h = headers.to_vec();
                    filters::apply_ops(&b.req_ops, &mut h);
                    if bhost != host && !h.iter().any(|(n, _)| n == "x-forwarded-host") {
                        h.push(("x-forwarded-host".into(), host.to_string()));
                    }
                    headers = Arc::from(h);
                }
                let mut resp = Vec::with_capacity(a.resp_ops.len() + b.resp_ops.len());
                resp.extend(a.resp_ops.iter().cloned());
                resp.extend(b.resp_ops.iter().cloned());
                t.step("backend", || {
                    let mut m = format!(
                        "{} of requests (weight {weight}) go to {}",
                        pct(*fraction),
                        describe_backend(b)
                    );
                    if !b.req_ops.is_empty() || !b.resp_ops.is_empty() || b.host_rewrite.is_some() {
                        m.push_str("; its backendRef filters apply to this share only");
                    }
                    (m, obj(), Some(b.pointer.clone()))
                });
                if let Some(tls) = tls {
                    t.step("policy", || {
                        (format!("the hop to {namespace}/{name} is TLS: SNI `{}`, CA {} (BackendTLSPolicy {})", tls.sni, tls.ca, tls.policy), Some(format!("BackendTLSPolicy/{}", tls.policy)), Some("/spec/validation".into()))
                    });
                }
                out.shares.push(Share {
                    fraction: *fraction,
                    weight: *weight,
                    outcome: ShareOutcome::Backend {
                        namespace: namespace.clone(),
                        name: name.clone(),
                        port: *port,
                        path: full_path.clone(),
                        host: if b.host_rewrite.is_some() {
                            shared_host(bhost)
                        } else {
                            rule_host_shared.clone()
                        },
                        headers,
                        tls: tls.clone(),
                        response_header_ops: resp,
                        passthrough: false,
                    },
                });
            }
            Planned::Status {
                code,
                fraction,
                weight,
            } => {
                t.step("backend", || {
                    let who: Vec<String> = a
                        .backends
                        .iter()
                        .filter(|b| {
                            !matches!(
                                *b.target,
                                BackendTarget::Service {
                                    has_endpoints: true,
                                    ..
                                }
                            )
                        })
                        .map(describe_backend)
                        .collect();
                    (
                        format!(
                            "{} of requests (weight {weight}) get {code} from the gateway: {}",
                            pct(*fraction),
                            who.join("; ")
                        ),
                        obj(),
                        Some(format!("{}/backendRefs", a.rule_pointer)),
                    )
                });
                out.shares.push(Share {
                    fraction: *fraction,
                    weight: *weight,
                    outcome: ShareOutcome::Status { code: *code },
                });
            }
            Planned::Rejected { fraction, weight } => {
                out.shares.push(Share {
                    fraction: *fraction,
                    weight: *weight,
                    outcome: ShareOutcome::Rejected,
                });
            }
        }
    }
    finish(&mut out);
    out
}

fn op_text(o: &super::HeaderOp) -> String {
    match o.action {
        HeaderAction::Set => format!("set {}: {}", o.name, o.value),
        HeaderAction::Add => format!("add {}: {}", o.name, o.value),
        HeaderAction::Remove => format!("remove {}", o.name),
    }
}

/// Fills `status` and the response-header summary from the largest share.
pub(crate) fn finish(out: &mut Outcome) {
    let Some(p) = out.primary() else { return };
    let status = match &p.outcome {
        ShareOutcome::Backend { .. } => {
            if out.status == 0 {
                200
            } else {
                out.status
            }
        }
        ShareOutcome::Status { code } => *code,
        ShareOutcome::Rejected => 0,
    };
    // Borrow the primary share's edits instead of cloning the whole share (headers included).
    let (ops, headers, removed) = match &p.outcome {
        ShareOutcome::Backend {
            response_header_ops,
            ..
        } if !response_header_ops.is_empty() => (
            response_header_ops.clone(),
            response_header_ops
                .iter()
                .filter(|o| o.action != HeaderAction::Remove)
                .map(|o| (o.name.clone(), o.value.clone()))
                .collect(),
            response_header_ops
                .iter()
                .filter(|o| o.action == HeaderAction::Remove)
                .map(|o| o.name.clone())
                .collect(),
        ),
        ShareOutcome::Backend { .. } => (Vec::new(), Vec::new(), Vec::new()),
        _ => {
            out.status = status;
            return;
        }
    };
    out.status = status;
    out.response_header_ops = ops;
    out.response_headers = headers;
    out.removed_response_headers = removed;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, w: u64, eps: bool) -> CBackend {
        CBackend {
            weight: w,
            target: BackendTarget::Service {
                namespace: "default".into(),
                name: name.into(),
                port: 80,
                target_port: None,
                app_protocol: None,
                has_endpoints: eps,
                tls: None,
            }
            .into(),
            req_ops: vec![],
            resp_ops: vec![],
            host_rewrite: None,
            pointer: String::new(),
        }
    }
    fn bad(w: u64) -> CBackend {
        CBackend {
            target: BackendTarget::Invalid {
                reason: "BackendNotFound".into(),
                message: "x".into(),
            }
            .into(),
            ..svc("x", w, true)
        }
    }
    fn shape(p: &[Planned]) -> Vec<String> {
        p.iter()
            .map(|p| match p {
                Planned::Backend {
                    backend, fraction, ..
                } => format!("b{backend}:{}", pct(*fraction)),
                Planned::Status { code, fraction, .. } => format!("{code}:{}", pct(*fraction)),
                Planned::Rejected { fraction, .. } => format!("rej:{}", pct(*fraction)),
            })
            .collect()
    }

    #[test]
    fn distributions() {
        let cases: Vec<(Vec<CBackend>, Vec<&str>)> = vec![
            (vec![], vec!["500:100%"]),
            (vec![svc("a", 1, true)], vec!["b0:100%"]),
            (
                vec![svc("a", 90, true), svc("b", 10, true)],
                vec!["b0:90%", "b1:10%"],
            ),
            (vec![svc("a", 0, true)], vec!["500:100%"]),
            (vec![svc("a", 0, true), svc("b", 0, true)], vec!["500:100%"]),
            (vec![svc("a", 80, true), bad(20)], vec!["b0:80%", "500:20%"]),
            (vec![bad(1)], vec!["500:100%"]),
            (vec![svc("a", 1, false)], vec!["503:100%"]),
            (vec![bad(1), svc("a", 1, false)], vec!["500:100%"]),
            (vec![bad(0), svc("a", 0, true)], vec!["500:100%"]),
            (
                vec![svc("a", 50, true), bad(25), svc("c", 25, false)],
                vec!["b0:50%", "503:50%"],
            ),
            (
                vec![
                    svc("a", 1_000_000, true),
                    svc("b", 1_000_000, true),
                    svc("c", 0, true),
                ],
                vec!["b0:50%", "b1:50%"],
            ),
            (
                vec![svc("a", u64::MAX, true), svc("b", u64::MAX, true)],
                vec!["b0:50%", "b1:50%"],
            ),
        ];
        for (bs, want) in cases {
            let (p, _) = plan(&bs, Family::Http);
            assert_eq!(
                shape(&p),
                want,
                "{:?}",
                bs.iter()
                    .map(|b| (b.weight, describe_backend(b)))
                    .collect::<Vec<_>>()
            );
        }
        let grpc: Vec<(Vec<CBackend>, Vec<&str>)> = vec![
            (vec![svc("a", 80, true), bad(20)], vec!["b0:80%", "503:20%"]),
            (vec![bad(1)], vec!["500:100%"]),
            (vec![bad(1), svc("a", 1, false)], vec!["500:100%"]),
            (vec![svc("a", 1, false)], vec!["503:100%"]),
            (
                vec![svc("a", 50, true), bad(25), svc("c", 25, false)],
                vec!["b0:50%", "503:50%"],
            ),
        ];
        for (bs, want) in grpc {
            assert_eq!(shape(&plan(&bs, Family::Grpc).0), want, "GRPCRoute");
        }
        let (p, _) = plan(&[svc("a", 3, true), bad(1)], Family::L4);
        assert_eq!(
            shape(&p),
            vec!["b0:100%"],
            "Envoy Gateway drops invalid L4 backends"
        );
        let (p, _) = plan(&[svc("a", 3, true), svc("b", 1, false)], Family::L4);
        assert_eq!(shape(&p), vec!["b0:75%", "rej:25%"]);
        let (p, _) = plan(&[bad(1)], Family::L4);
        assert_eq!(shape(&p), vec!["rej:100%"]);
    }
}
