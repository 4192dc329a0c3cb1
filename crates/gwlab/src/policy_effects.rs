//! Applies Envoy Gateway policies to a routed outcome.
//!
//! The router decides listener, rule and backends from the Gateway API objects alone; Envoy
//! Gateway's policies then act on that decision in Envoy's filter order (see `crate::eg`). Keeping
//! this a post-processing step keeps the router's hot path free of policy lookups for the many
//! configurations that have no policy at all.

use crate::eg::{self, PolicyIndex, RouteContext};
use crate::route::{Outcome, Request, Router, RowAction, Share, ShareOutcome, TableRow, TraceStep};

/// Routes `req` through ClientTrafficPolicy, the router, then Security/BackendTrafficPolicy effects.
pub fn route(router: &Router, policies: &PolicyIndex, req: &Request, trace: bool) -> Outcome {
    let first = router.route_with(req, trace);
    if policies.policies.is_empty() {
        return first;
    }
    let Some(listener_id) = first.listener.clone() else {
        return first;
    };
    let Some((gw_ns, gw, listener)) = split_listener(&listener_id) else {
        return first;
    };

    // What the router sees after the listener's ClientTrafficPolicy (normalization, header rules).
    let view = eg::client::client_view(policies, gw_ns, gw, listener, req, None);
    let mut out = if let Some((status, reason)) = &view.reply {
        let mut o = first.clone();
        o.status = *status;
        o.shares = vec![Share {
            fraction: 1.0,
            weight: 0,
            outcome: ShareOutcome::Status { code: *status },
        }];
        o.redirect = view
            .location
            .clone()
            .map(|location| crate::route::Redirect {
                status: *status,
                location,
            });
        o.route = None;
        o.trace.extend(view.trace.iter().cloned());
        o.trace.push(step(
            "listener",
            format!("the listener answers {status} before routing: {reason}"),
        ));
        return o;
    } else if view.request != *req {
        let mut o = router.route_with(&view.request, trace);
        let mut t = view.trace.clone();
        t.append(&mut o.trace);
        o.trace = t;
        o
    } else {
        let mut o = first;
        o.trace.extend(view.trace.iter().cloned());
        o
    };

    let Some((route_id, rule)) = out.route.clone() else {
        return out;
    };
    let mut parts = route_id.splitn(3, '/');
    let (Some(kind), Some(route_ns), Some(route_name)) = (parts.next(), parts.next(), parts.next())
    else {
        return out;
    };
    if kind != "HTTPRoute" && kind != "GRPCRoute" {
        return out;
    }
    // The route's own CORS filter answered a preflight: nothing after it in the chain runs.
    let route_cors = router.rule_cors(&route_id, rule);
    if route_cors.is_some_and(|c| {
        matches!(
            c.evaluate(&view.request.method, &view.request.headers),
            crate::route::cors::CorsAnswer::Preflight { .. }
        )
    }) {
        return out;
    }
    let ctx = RouteContext {
        gateway_namespace: gw_ns.to_string(),
        gateway: gw.to_string(),
        listener: listener.to_string(),
        route_kind: kind.to_string(),
        route_namespace: route_ns.to_string(),
        route: route_name.to_string(),
        rule,
        client_ip: view.client_ip.clone(),
        ext_auth_denies: req.ext_auth_denies,
        now: None,
        route_cors: route_cors.is_some(),
    };
    let fx = eg::effects(policies, &view.request, &ctx);
    out.trace.extend(fx.trace.iter().cloned());
    for (name, value) in &fx.route_facts {
        out.trace.push(step("policy", format!("{name}: {value}")));
    }

    if let Some(sc) = &fx.short_circuit {
        out.status = sc.status;
        out.shares = vec![Share {
            fraction: 1.0,
            weight: 0,
            outcome: ShareOutcome::Status { code: sc.status },
        }];
        out.redirect = None;
        out.response_headers = sc.headers.clone();
        out.response_header_ops.clear();
        out.trace.push(step(
            "policy",
            format!("the gateway answers {}: {}", sc.status, sc.reason),
        ));
    } else {
        for share in &mut out.shares {
            if let ShareOutcome::Backend { headers, .. } = &mut share.outcome {
                if fx.removed_request_headers.is_empty() && fx.request_headers.is_empty() {
                    continue;
                }
                // Shared with the other shares: edit a copy.
                let mut edited = headers.to_vec();
                edited.retain(|(n, _)| {
                    !fx.removed_request_headers
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(n))
                });
                for (n, v) in &fx.request_headers {
                    let n = n.to_ascii_lowercase();
                    edited.retain(|(h, _)| *h != n);
                    edited.push((n, v.clone()));
                }
                *headers = edited.into();
            }
        }
        out.response_headers
            .extend(fx.response_headers.iter().cloned());
    }

    // Fault injection happens before everything else, for its share of requests.
    let aborted: f64 = fx
        .faults
        .iter()
        .filter(|f| f.kind == "abort")
        .map(|f| f.percent / 100.0)
        .sum::<f64>()
        .min(1.0);
    if aborted > 0.0 {
        for s in &mut out.shares {
            s.fraction *= 1.0 - aborted;
        }
        for f in fx.faults.iter().filter(|f| f.kind == "abort") {
            let code = f.status.unwrap_or(503);
            out.shares.push(Share {
                fraction: f.percent / 100.0,
                weight: 0,
                outcome: ShareOutcome::Status { code },
            });
        }
        out.trace.push(step(
            "policy",
            format!("fault injection aborts {:.1}% of requests", aborted * 100.0),
        ));
        out.status = out
            .shares
            .iter()
            .max_by(|a, b| a.fraction.total_cmp(&b.fraction))
            .map(|s| match &s.outcome {
                ShareOutcome::Status { code } => *code,
                _ => out.status,
            })
            .unwrap_or(out.status);
    }
    out
}

/// The routing table with Envoy Gateway policies applied where they fix the answer whatever the
/// request: a rule governed by a policy that failed to translate answers 500, as
/// [`route`] does for every request that lands on it.
pub fn table(router: &Router, policies: &PolicyIndex) -> Vec<TableRow> {
    let mut rows = router.table();
    if policies.policies.is_empty() {
        return rows;
    }
    for row in &mut rows {
        let Some(ctx) = row_context(row) else {
            continue;
        };
        if eg::effects::broken_governing(policies, &ctx).is_some() {
            row.action = "500".into();
            row.outcome = RowAction::Direct { status: 500 };
        }
    }
    rows
}

/// The policy context of an HTTPRoute or GRPCRoute row (None for L4 rows).
fn row_context(row: &TableRow) -> Option<RouteContext> {
    let (gw_ns, gw, listener) = split_listener(&row.listener)?;
    let mut parts = row.route.splitn(3, '/');
    let (kind, route_ns, route) = (parts.next()?, parts.next()?, parts.next()?);
    if kind != "HTTPRoute" && kind != "GRPCRoute" {
        return None;
    }
    Some(RouteContext {
        gateway_namespace: gw_ns.to_string(),
        gateway: gw.to_string(),
        listener: listener.to_string(),
        route_kind: kind.to_string(),
        route_namespace: route_ns.to_string(),
        route: route.to_string(),
        rule: row.rule,
        client_ip: None,
        ext_auth_denies: false,
        now: None,
        route_cors: false,
    })
}

fn split_listener(id: &str) -> Option<(&str, &str, &str)> {
    let mut p = id.splitn(3, '/');
    Some((p.next()?, p.next()?, p.next()?))
}

fn step(stage: &str, message: String) -> TraceStep {
    TraceStep {
        stage: stage.into(),
        message,
        object: None,
        pointer: None,
    }
}
