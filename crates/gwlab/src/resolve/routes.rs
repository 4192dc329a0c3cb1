//! Per-route resolution: rules (matches, filters, backends, the fixed reply of §1.4 of the
//! Envoy Gateway digest), parent attachment, and the route's `status.parents`.

use super::attach::{self, ParentResult, Parents};
use super::backend_refs::{self, RefError};
use super::backend_tls::Policies;
use super::filters::{self, RuleError};
use super::index::Index;
use super::listeners::GatewayCtx;
use super::status::{
    is_route_accepted_reason, merge_messages, merge_reasons, CondStatus, Conditions, ParentEntry,
    StatusValue,
};
use super::{BackendState, BackendTarget, ObjectStatus, RouteKind, RouteState, RuleState};
use crate::diag::Diagnostic;
use crate::model::{
    BackendRef, Body, HttpRouteFilter, Object, ParentReference, EG_GROUP, GATEWAY_GROUP,
};
use serde_json::{json, Value};
use std::sync::Arc;

struct RuleView<'a> {
    filters: &'a [HttpRouteFilter],
    backends: &'a [BackendRef],
    match_errors: Vec<RuleError>,
    single_prefix: bool,
}

/// The route kinds this module resolves, with their common parts.
pub fn route_parts(o: &Object) -> Option<(RouteKind, &[ParentReference], &[String])> {
    Some(match &o.body {
        Body::HttpRoute(s) => (RouteKind::Http, &s.parent_refs, &s.hostnames),
        Body::GrpcRoute(s) => (RouteKind::Grpc, &s.parent_refs, &s.hostnames),
        Body::TlsRoute(s) => (RouteKind::Tls, &s.parent_refs, &s.hostnames),
        Body::TcpRoute(s) => (RouteKind::Tcp, &s.parent_refs, &[][..]),
        Body::UdpRoute(s) => (RouteKind::Udp, &s.parent_refs, &[][..]),
        _ => return None,
    })
}

/// Buffers reused from route to route: per-route lists that do not reach the output would
/// otherwise be allocated and freed once per route.
#[derive(Default)]
pub struct Scratch<'m> {
    views: Vec<RuleView<'m>>,
    entries: Vec<ParentEntry>,
}

/// Fills `out` (emptied first) with the route's rules.
fn rule_views<'m>(o: &'m Object, out: &mut Vec<RuleView<'m>>) {
    out.clear();
    match &o.body {
        Body::HttpRoute(s) => match &s.rules {
            None => out.push(RuleView {
                filters: &[],
                backends: &[],
                match_errors: vec![],
                single_prefix: false,
            }),
            Some(rules) => out.extend(rules.iter().map(|r| {
                let ms = r.matches.as_deref().unwrap_or(&[]);
                let single_prefix = ms.len() == 1
                    && ms[0]
                        .path
                        .as_ref()
                        .is_some_and(|p| p.kind() == "PathPrefix")
                    || ms.is_empty();
                RuleView {
                    filters: &r.filters,
                    backends: &r.backend_refs,
                    match_errors: filters::http_matches(ms),
                    single_prefix,
                }
            })),
        },
        Body::GrpcRoute(s) => out.extend(s.rules.iter().map(|r| RuleView {
            filters: &r.filters,
            backends: &r.backend_refs,
            match_errors: filters::grpc_matches(&r.matches),
            single_prefix: false,
        })),
        Body::TlsRoute(s) | Body::TcpRoute(s) | Body::UdpRoute(s) => {
            out.extend(s.rules.iter().map(|r| RuleView {
                filters: &[],
                backends: &r.backend_refs,
                match_errors: vec![],
                single_prefix: false,
            }))
        }
        _ => {}
    }
}

/// §1.4: the fixed reply of a rule, first case that applies.
pub fn direct_status(filter_error: bool, terminal: bool, backends: &[BackendState]) -> Option<u16> {
    if filter_error {
        return Some(500);
    }
    if terminal {
        return None;
    }
    let mut valid = 0u64;
    let (mut invalid, mut no_ep) = (false, false);
    for b in backends {
        match &*b.target {
            BackendTarget::Invalid { .. } => invalid = true,
            BackendTarget::Service { has_endpoints, .. } => {
                if b.weight > 0 {
                    if *has_endpoints {
                        valid += b.weight;
                    } else {
                        no_ep = true;
                    }
                }
            }
        }
    }
    if valid > 0 {
        return None;
    }
    Some(if invalid {
        500
    } else if no_ep {
        503
    } else {
        500
    })
}

pub struct RouteOutput {
    pub state: RouteState,
    pub status: Option<ObjectStatus>,
}

#[allow(clippy::too_many_arguments)]
pub fn process<'m>(
    ix: &Index<'m>,
    pols: &mut Policies,
    parents: &Parents,
    gws: &mut [GatewayCtx],
    oi: usize,
    controller: &Arc<str>,
    diags: &mut Vec<Diagnostic>,
    scratch: &mut Scratch<'m>,
) -> Option<RouteOutput> {
    let model: &'m crate::model::Model = ix.model;
    let o = &model.objects[oi];
    let (kind, parent_refs, hostnames) = route_parts(o)?;
    // Copied only when a name has upper case: they are nearly always written in lower case.
    let lowered: Option<Vec<String>> = hostnames
        .iter()
        .any(|h| h.bytes().any(|b| b.is_ascii_uppercase()))
        .then(|| hostnames.iter().map(|h| h.to_ascii_lowercase()).collect());
    let hostnames: &[String] = lowered.as_deref().unwrap_or(hostnames);
    let diag = |d: Diagnostic, ptr: &str| d.at(model.locate(o, ptr)).on(o.id());

    // Rules (independent of parents).
    rule_views(o, &mut scratch.views);
    let views = &scratch.views;
    let mut rules = Vec::with_capacity(views.len());
    let mut accepted_errs: Vec<(usize, RuleError)> = Vec::new();
    let mut resolved_errs: Vec<(&'static str, String)> = Vec::new();
    let mut used_policies: Vec<usize> = Vec::new();
    // Valid backends (and mirrors) whose Service has no ready endpoints: BackendsAvailable=False.
    let mut no_endpoints: Vec<String> = Vec::new();
    let ext_exists = |g: &str, k: &str, n: &str| -> bool {
        if g == EG_GROUP && k == "HTTPRouteFilter" {
            return ix.get("HTTPRouteFilter", &o.namespace, n).is_some();
        }
        ix.get(k, &o.namespace, n)
            .is_some_and(|i| model.objects[i].group() == g)
    };
    let l4_bad_rules = matches!(kind, RouteKind::Tcp | RouteKind::Udp) && views.len() != 1;
    for (ri, v) in views.iter().enumerate() {
        let rptr = RulePtr(ri);
        let mut programmed = true;
        for e in &v.match_errors {
            diags.push(diag(
                Diagnostic::error(e.code, format!("rule {ri} is dropped: {}", e.message)),
                &format!("{rptr}{}", e.pointer),
            ));
            accepted_errs.push((ri, e.clone()));
            programmed = false;
        }
        let fc = if matches!(kind, RouteKind::Http | RouteKind::Grpc) {
            filters::check(
                v.filters,
                kind == RouteKind::Grpc,
                v.single_prefix,
                &ext_exists,
            )
        } else {
            Default::default()
        };
        let mut filter_error = false;
        for e in &fc.errors {
            diags.push(diag(
                Diagnostic::error(e.code, e.message.clone()),
                &format!("{rptr}{}", e.pointer),
            ));
            filter_error = true;
            if e.cond == "Accepted" {
                accepted_errs.push((ri, e.clone()));
            } else {
                resolved_errs.push((e.reason, e.message.clone()));
            }
        }
        // Mirrors.
        let mut mirrors = Vec::new();
        for &fi in &fc.mirrors {
            let Some(m) = v.filters.get(fi).and_then(|f| f.request_mirror.as_ref()) else {
                continue;
            };
            let (b, e, pol) = backend_refs::resolve(ix, pols, o, kind, &m.backend_ref, fi);
            used_policies.extend(pol);
            if let Some(e) = e {
                report_ref(
                    &e,
                    &format!("{rptr}/filters/{fi}/requestMirror/backendRef"),
                    &mut resolved_errs,
                    diags,
                    &diag,
                );
                filter_error = true;
            } else {
                if let BackendTarget::Service {
                    has_endpoints: false,
                    namespace,
                    name,
                    ..
                } = &*b.target
                {
                    no_endpoints.push(format!("{namespace}/{name}"));
                }
                mirrors.push(b);
            }
        }
        // Backends.
        let mut backends = super::Backends::with_capacity(v.backends.len());
        for (bi, br) in v.backends.iter().enumerate() {
            let mut e = backend_refs::resolve_into(
                ix,
                pols,
                o,
                kind,
                br,
                bi,
                &mut backends,
                &mut used_policies,
            );
            let Some(b) = backends.last_mut() else {
                unreachable!("resolve_into appends one backend")
            };
            let bptr = BackendPtr(ri, bi);
            if e.is_none() && matches!(kind, RouteKind::Http | RouteKind::Grpc) {
                if let Some((fi, f)) = br.filters.iter().enumerate().find(|(_, f)| {
                    !matches!(
                        f.type_.as_str(),
                        "RequestHeaderModifier"
                            | "ResponseHeaderModifier"
                            | "URLRewrite"
                            | "ExtensionRef"
                            | "CORS"
                    )
                }) {
                    let err = RefError {
                        reason: "UnsupportedRefValue",
                        message: format!("filter type `{}` is not supported on a backendRef (backendRefs[{bi}].filters[{fi}]); move it to the rule's filters", f.type_),
                        code: "unsupported-value",
                    };
                    b.target = Arc::new(BackendTarget::Invalid {
                        reason: err.reason.into(),
                        message: err.message.clone(),
                    });
                    e = Some(err);
                }
            }
            if let Some(e) = e {
                report_ref(&e, &bptr.to_string(), &mut resolved_errs, diags, &diag);
            } else if let BackendTarget::Service {
                has_endpoints: false,
                namespace,
                name,
                ..
            } = &*b.target
            {
                no_endpoints.push(format!("{namespace}/{name}"));
                diags.push(diag(
                    Diagnostic::warning("backend-no-endpoints", format!("Service `{namespace}/{name}` has no ready endpoints (no selector and no EndpointSlice with a ready address): its share of requests gets 503")),
                    &bptr.to_string(),
                ));
            }
            if !br.filters.is_empty() && !matches!(kind, RouteKind::Http | RouteKind::Grpc) {
                resolved_errs.push((
                    "InvalidBackendFilters",
                    "backendRef filters are only supported on HTTPRoute and GRPCRoute".into(),
                ));
            }
        }
        let http_like = matches!(kind, RouteKind::Http | RouteKind::Grpc);
        if http_like && !fc.terminal && programmed && !filter_error {
            if v.backends.is_empty() {
                diags.push(diag(Diagnostic::warning("no-backends", format!("rule {ri} has no backendRefs and no redirect: every request it matches gets 500; add a backendRef")), &rptr.to_string()));
            } else if v.backends.iter().all(|b| b.weight() == 0) {
                diags.push(diag(
                    Diagnostic::warning("no-backends", format!("every backendRef of rule {ri} has weight 0: nothing can be forwarded and every request it matches gets 500; give a backend a non-zero weight")),
                    &format!("{rptr}/backendRefs"),
                ));
            }
        }
        let direct = if http_like && programmed {
            direct_status(filter_error, fc.terminal, &backends)
        } else {
            None
        };
        rules.push(RuleState {
            index: ri,
            programmed: programmed && !l4_bad_rules,
            direct_status: direct,
            backends,
            mirrors,
        });
    }

    // Parents.
    let mut attachments = Vec::new();
    let entries = &mut scratch.entries;
    entries.clear();
    let gen = o.generation();
    let n_rules = views.len();
    let mut failing: Vec<usize> = accepted_errs.iter().map(|(ri, _)| *ri).collect();
    failing.sort();
    failing.dedup();
    for (pi, pr) in parent_refs.iter().enumerate() {
        let pptr = ParentPtr(pi);
        let res = attach::attach(ix, parents, gws, o, kind, hostnames, pr, pi, !l4_bad_rules);
        let mut conds = Conditions::default();
        match res {
            ParentResult::Irrelevant => continue,
            ParentResult::NotFound => {
                diags.push(diag(
                    Diagnostic::error(
                        "parent-not-found",
                        format!(
                            "parent {} `{}/{}` {}",
                            pr.kind(),
                            pr.namespace_or(&o.namespace),
                            pr.name,
                            ix.model.missing(
                                pr.kind(),
                                pr.namespace_or(&o.namespace),
                                &pr.name,
                                ": create it or fix the parentRef"
                            ),
                        ),
                    ),
                    &pptr.to_string(),
                ));
                continue;
            }
            ParentResult::Rejected {
                reason, message, ..
            } => {
                let (code, advice) = match reason {
                    "NoMatchingParent" => ("no-matching-parent", "fix sectionName/port to name a listener of the parent"),
                    "NotAllowedByListeners" => ("not-allowed-by-listeners", "allow this route's kind and namespace in the listener's allowedRoutes, or attach elsewhere"),
                    _ => ("no-matching-listener-hostname", "make a route hostname intersect a listener hostname"),
                };
                diags.push(diag(
                    Diagnostic::error(
                        code,
                        format!("not attached to `{}`: {message} ({advice})", pr.name),
                    ),
                    &pptr.to_string(),
                ));
                conds.set("Accepted", CondStatus::False, reason, message);
            }
            ParentResult::Accepted { attachments: a, .. } => {
                if !l4_bad_rules {
                    if attachments.is_empty() {
                        attachments = a;
                    } else {
                        attachments.extend(a);
                    }
                }
                if l4_bad_rules {
                    conds.set(
                        "Accepted",
                        CondStatus::False,
                        "InvalidRule",
                        format!("{} must have exactly one rule", kind.kind()),
                    );
                } else if failing.is_empty() {
                    conds.set(
                        "Accepted",
                        CondStatus::True,
                        "Accepted",
                        "Route is accepted",
                    );
                } else {
                    let reasons = merge_reasons(accepted_errs.iter().map(|(_, e)| e.reason));
                    let msgs: Vec<String> = accepted_errs
                        .iter()
                        .map(|(_, e)| e.message.clone())
                        .collect();
                    if failing.len() < n_rules {
                        conds.set(
                            "Accepted",
                            CondStatus::True,
                            "Accepted",
                            "Route is accepted",
                        );
                        let idx: Vec<String> = failing.iter().map(|i| i.to_string()).collect();
                        conds.set(
                            "PartiallyInvalid",
                            CondStatus::True,
                            reasons,
                            format!(
                                "Dropped Rule(s) [{}]: {}",
                                idx.join(", "),
                                merge_messages(&msgs)
                            ),
                        );
                    } else {
                        let folded = if reasons.split(',').all(is_route_accepted_reason) {
                            reasons
                        } else {
                            "UnsupportedValue".to_string()
                        };
                        conds.set("Accepted", CondStatus::False, folded, merge_messages(&msgs));
                    }
                }
            }
        }
        if !l4_bad_rules && !no_endpoints.is_empty() {
            no_endpoints.dedup();
            conds.set(
                "BackendsAvailable",
                CondStatus::False,
                "EndpointsNotFound",
                format!(
                    "Service(s) {} have no ready endpoints",
                    no_endpoints.join(", ")
                ),
            );
        }
        if !l4_bad_rules
            || !conds.is_true("Accepted")
                && conds
                    .get("Accepted")
                    .is_some_and(|c| c.reason != "InvalidRule")
        {
            if resolved_errs.is_empty() {
                conds.set(
                    "ResolvedRefs",
                    CondStatus::True,
                    "ResolvedRefs",
                    "Resolved all the Object references for the Route",
                );
            } else {
                let msgs: Vec<String> = resolved_errs.iter().map(|e| e.1.clone()).collect();
                conds.set(
                    "ResolvedRefs",
                    CondStatus::False,
                    merge_reasons(resolved_errs.iter().map(|e| e.0)),
                    merge_messages(&msgs),
                );
            }
        }
        // BackendTLSPolicy ancestors: the Gateway parentRefs of routes using its targets.
        if !used_policies.is_empty() {
            let mut anc = serde_json::Map::new();
            anc.insert(
                "group".into(),
                json!(pr.group.clone().unwrap_or_else(|| GATEWAY_GROUP.into())),
            );
            anc.insert("kind".into(), json!(pr.kind()));
            anc.insert("namespace".into(), json!(pr.namespace_or(&o.namespace)));
            anc.insert("name".into(), json!(pr.name));
            if let Some(s) = &pr.section_name {
                anc.insert("sectionName".into(), json!(s));
            }
            for &p in &used_policies {
                pols.add_ancestor(p, Value::Object(anc.clone()));
            }
        }
        // Kept typed: the JSON is written when the status is first read.
        entries.push(ParentEntry {
            parent_ref: ix.parent_ref_json(pr),
            controller: controller.clone(),
            conditions: conds,
            generation: gen,
        });
    }
    let status = match entries.len() {
        0 => None,
        1 => entries.pop().map(StatusValue::route_parent),
        _ => Some(StatusValue::route_parents(std::mem::take(entries))),
    };
    let status = status.map(|status| ObjectStatus {
        object: oi,
        kind: ix.shared(&o.kind),
        namespace: ix.shared(&o.namespace),
        name: o.meta.name.as_str().into(),
        status,
    });
    Some(RouteOutput {
        state: RouteState {
            object: oi,
            kind,
            attachments,
            rules,
        },
        status,
    })
}

/// `/spec/rules/{i}`, formatted only when a diagnostic needs it.
struct RulePtr(usize);
impl std::fmt::Display for RulePtr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/spec/rules/{}", self.0)
    }
}
struct ParentPtr(usize);
impl std::fmt::Display for ParentPtr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/spec/parentRefs/{}", self.0)
    }
}
struct BackendPtr(usize, usize);
impl std::fmt::Display for BackendPtr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/spec/rules/{}/backendRefs/{}", self.0, self.1)
    }
}

fn report_ref(
    e: &RefError,
    ptr: &str,
    resolved: &mut Vec<(&'static str, String)>,
    diags: &mut Vec<Diagnostic>,
    diag: &dyn Fn(Diagnostic, &str) -> Diagnostic,
) {
    diags.push(diag(
        Diagnostic::error(
            e.code,
            format!("{}; its share of requests gets 500", e.message),
        ),
        ptr,
    ));
    resolved.push((e.reason, e.message.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(w: u64, ep: bool) -> BackendState {
        BackendState {
            index: 0,
            weight: w,
            target: Arc::new(BackendTarget::Service {
                namespace: "n".into(),
                name: "s".into(),
                port: 80,
                target_port: None,
                app_protocol: None,
                has_endpoints: ep,
                tls: None,
            }),
        }
    }
    fn bad(w: u64) -> BackendState {
        BackendState {
            index: 0,
            weight: w,
            target: Arc::new(BackendTarget::Invalid {
                reason: "BackendNotFound".into(),
                message: String::new(),
            }),
        }
    }

    #[test]
    fn direct_status_table() {
        let cases: Vec<(bool, bool, Vec<BackendState>, Option<u16>)> = vec![
            (true, false, vec![svc(1, true)], Some(500)),
            (false, true, vec![], None),
            (false, false, vec![], Some(500)),
            (false, false, vec![svc(1, true)], None),
            (false, false, vec![svc(0, true)], Some(500)),
            (false, false, vec![bad(1)], Some(500)),
            (false, false, vec![svc(1, false)], Some(503)),
            (false, false, vec![bad(1), svc(1, false)], Some(500)),
            (false, false, vec![bad(1), svc(1, true)], None),
            (false, false, vec![svc(1, false), svc(1, true)], None),
        ];
        for (fe, term, b, want) in cases {
            assert_eq!(direct_status(fe, term, &b), want, "{fe} {term} {b:?}");
        }
    }
}
