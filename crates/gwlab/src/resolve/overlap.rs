//! `RouteRulesOverlap` (Envoy Gateway `checkRouteOverlaps`): when different HTTPRoutes program a
//! rule-match with the same hostname, path, headers and query parameters on one listener, every
//! route involved gets `RouteRulesOverlap=True` on that parent. Traffic still goes to the earlier
//! route (the router's stable precedence order), so the later one is shadowed.

use super::{Attachment, GatewayState, ObjectStatus, RouteKind, RouteState};
use crate::fxhash::{FxBuildHasher, FxHashMap, FxHasher};
use crate::model::{
    Body, GrpcRouteMatch, HttpPathMatch, HttpRouteMatch, Model, Object, ValueMatch,
};
use crate::route::grpc::{VALID_METHOD_NAME, VALID_SERVICE_NAME};
use crate::sort::StableSort;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::hash::Hasher;

/// A canonical text for one match: path type and value, then sorted headers (names lower-cased,
/// `:method` for the method) and sorted query parameters, one per line.
///
/// Written into one buffer: this runs for every rule-match of every HTTPRoute, and a `format!`
/// per part dominated `resolve` on large configurations. Lists of one entry (the usual case)
/// need no sorting, so they are written straight in.
///
/// A rule without matches keys as an empty match: the CRD defaults both to PathPrefix `/`, so
/// `matches: [{}]` overlaps a rule that lists no matches.
fn match_key(m: Option<&HttpRouteMatch>) -> String {
    let empty = HttpRouteMatch::default();
    let m = m.unwrap_or(&empty);
    let (pt, pv) = keyed_path(m.path.as_ref().map(|p| (p.kind(), p.value())));
    let mut out = String::with_capacity(pt.len() + pv.len() + 64);
    out.push_str(pt);
    out.push(' ');
    out.push_str(pv);
    out.push('\n');
    let header = |h: &ValueMatch, out: &mut String| {
        let start = out.len();
        out.push_str(&h.name);
        out[start..].make_ascii_lowercase();
        out.push(' ');
        out.push_str(h.kind());
        out.push(' ');
        out.push_str(&h.value);
    };
    let method = |meth: &str, out: &mut String| {
        out.push_str(":method Exact ");
        out.push_str(meth);
    };
    match (m.headers.as_slice(), &m.method) {
        ([], None) => {}
        ([h], None) => header(h, &mut out),
        ([], Some(meth)) => method(meth, &mut out),
        (hs, meth) => {
            let mut lines: Vec<String> = hs.iter().map(|h| line(|l| header(h, l))).collect();
            if let Some(meth) = meth {
                lines.push(line(|l| method(meth, l)));
            }
            lines.stable_sort();
            join_into(&lines, &mut out);
        }
    }
    out.push('\n');
    let query = |q: &ValueMatch, out: &mut String| {
        out.push_str(&q.name);
        out.push(' ');
        out.push_str(q.kind());
        out.push(' ');
        out.push_str(&q.value);
    };
    match m.query_params.as_slice() {
        [] => {}
        [q] => query(q, &mut out),
        qs => {
            let mut lines: Vec<String> = qs.iter().map(|q| line(|l| query(q, l))).collect();
            lines.stable_sort();
            join_into(&lines, &mut out);
        }
    }
    out
}

/// A match's path as Envoy Gateway compares it for overlaps (`pathMatchKey`): no path is
/// PathPrefix `/`, and a prefix other than `/` loses one trailing slash, as the xDS translator
/// trims it before programming (so PathPrefix `/foo/` and `/foo` overlap).
fn keyed_path<'a>(path: Option<(&'a str, &'a str)>) -> (&'a str, &'a str) {
    match path {
        None => ("PathPrefix", "/"),
        Some(("PathPrefix", v)) if v != "/" => ("PathPrefix", v.strip_suffix('/').unwrap_or(v)),
        Some(p) => p,
    }
}

/// One line of a key, written by `write` (for the parts that are sorted before they are joined).
fn line(write: impl FnOnce(&mut String)) -> String {
    let mut l = String::new();
    write(&mut l);
    l
}

fn join_into(lines: &[String], out: &mut String) {
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(l);
    }
}

/// Calls `f` with every rule-match the route programs (None: a rule without matches).
fn each_match(model: &Model, r: &RouteState, f: impl FnMut(Option<&HttpRouteMatch>)) {
    each_match_of(&model.objects[r.object], r, f)
}

/// [`each_match`] for the route's own object. A GRPCRoute's matches are given as the HTTP
/// matches Envoy Gateway programs for them ([`grpc_as_http`]): its overlap check runs on the
/// translated routes of every kind together, so a GRPCRoute can overlap an HTTPRoute too.
fn each_match_of(o: &Object, r: &RouteState, mut f: impl FnMut(Option<&HttpRouteMatch>)) {
    if r.attachments.is_empty() {
        return;
    }
    let programmed = |ri: usize| r.rules.get(ri).is_some_and(|s| s.programmed);
    match (&o.body, r.kind) {
        (Body::HttpRoute(spec), RouteKind::Http) => match &spec.rules {
            None => f(None),
            Some(rules) => {
                for (_, rule) in rules.iter().enumerate().filter(|(ri, _)| programmed(*ri)) {
                    match rule.matches.as_deref() {
                        None | Some([]) => f(None),
                        Some(ms) => ms.iter().for_each(|m| f(Some(m))),
                    }
                }
            }
        },
        (Body::GrpcRoute(spec), RouteKind::Grpc) => {
            for (_, rule) in spec
                .rules
                .iter()
                .enumerate()
                .filter(|(ri, _)| programmed(*ri))
            {
                if rule.matches.is_empty() {
                    f(None);
                }
                for m in &rule.matches {
                    f(Some(&grpc_as_http(m)));
                }
            }
        }
        _ => {}
    }
}

/// The HTTP match Envoy Gateway programs for a GRPCRoute match (`processGRPCRouteRule`): headers
/// as they are; an Exact method match as the exact path `/service/method`, a `:path` suffix
/// `/method` (method only) or the path prefix `/service` (service only); a RegularExpression one
/// as a path regex, with the gRPC name patterns standing in for the part it leaves out.
fn grpc_as_http(m: &GrpcRouteMatch) -> HttpRouteMatch {
    let mut out = HttpRouteMatch {
        headers: m.headers.clone(),
        ..HttpRouteMatch::default()
    };
    let Some(method) = &m.method else {
        return out;
    };
    let path = |type_: &str, value: String| {
        Some(HttpPathMatch {
            type_: Some(type_.to_string()),
            value: Some(value),
        })
    };
    let (service, name) = (method.service.as_deref(), method.method.as_deref());
    if method.type_.as_deref() == Some("RegularExpression") {
        out.path = match (service, name) {
            (Some(s), Some(n)) => path("RegularExpression", format!("/{s}/{n}")),
            (None, Some(n)) => path("RegularExpression", format!("/{VALID_SERVICE_NAME}/{n}")),
            (Some(s), None) => path("RegularExpression", format!("/{s}/{VALID_METHOD_NAME}")),
            (None, None) => None,
        };
        return out;
    }
    match (service, name) {
        (Some(s), Some(n)) => out.path = path("Exact", format!("/{s}/{n}")),
        (None, Some(n)) => out.headers.push(ValueMatch {
            type_: Some("Suffix".to_string()),
            name: ":path".to_string(),
            value: format!("/{n}"),
        }),
        (Some(s), None) => out.path = path("PathPrefix", format!("/{s}")),
        (None, None) => {}
    }
    out
}

/// A hash of each rule-match's path, per route, recorded as each route is resolved (its rules
/// are still in cache then): the pre-check in [`check`] compares these words instead of reading
/// every match's path back from the model, which on a large configuration was most of its cost.
/// Equal paths have equal hashes; two different paths that collide only send both routes to the
/// exact comparison of full keys, so a collision costs time, never a wrong answer.
#[derive(Default)]
pub struct PathHashes {
    hashes: Vec<u64>,
    /// Where each route's hashes end in `hashes`, in the order routes are resolved.
    ends: Vec<usize>,
}

/// The hash of a path that [`path_of`] cannot summarise: such a route always takes part in the
/// exact comparison.
const NOT_PLAIN: u64 = u64::MAX;

impl PathHashes {
    /// Records the next route's programmed paths; call once per route, in `Resolved::routes` order.
    pub fn record(&mut self, o: &Object, r: &RouteState) {
        each_match_of(o, r, |m| {
            self.hashes.push(match path_of(m) {
                None => NOT_PLAIN,
                Some((pt, pv)) => {
                    let mut h = FxHasher::default();
                    h.write(pt.as_bytes());
                    h.write_u8(0xff);
                    h.write(pv.as_bytes());
                    h.finish().min(NOT_PLAIN - 1)
                }
            })
        });
        self.ends.push(self.hashes.len());
    }

    /// One hash per route, as given (tests force collisions with it).
    #[cfg(test)]
    pub fn forged(hashes: Vec<u64>) -> Self {
        PathHashes {
            ends: (1..=hashes.len()).collect(),
            hashes,
        }
    }

    fn of(&self, route: usize) -> &[u64] {
        let start = if route == 0 {
            0
        } else {
            self.ends.get(route - 1).copied().unwrap_or(0)
        };
        let end = self.ends.get(route).copied().unwrap_or(start);
        self.hashes.get(start..end).unwrap_or(&[])
    }
}

/// The path type and value that open a match's key (its first line): equal keys have equal
/// paths. None when the text could run past the first line (a line break in the path).
fn path_of(m: Option<&HttpRouteMatch>) -> Option<(&str, &str)> {
    let (pt, pv) = keyed_path(
        m.and_then(|m| m.path.as_ref())
            .map(|p| (p.kind(), p.value())),
    );
    // Byte scans: a `char` pattern decodes UTF-8 and cost more than the lookup this guards.
    let plain_type = matches!(pt, "PathPrefix" | "Exact" | "RegularExpression")
        || !pt.bytes().any(|b| b == b' ' || b == b'\n');
    (plain_type && !pv.bytes().any(|b| b == b'\n')).then_some((pt, pv))
}

/// Adds `RouteRulesOverlap=True` to the parent entries of `statuses` whose route shares a
/// (listener, hostname, match) with another route.
///
/// Indexed by path first: two matches can only have the same key when they have the same path,
/// so full keys are built only for routes that share a (listener, hostname, path hash) with
/// another route; every other route's matches are unique. On a large configuration that is no
/// route. `paths` holds the path hashes [`PathHashes::record`] took of `routes`.
///
/// Only attachments to programmed listeners count: Envoy Gateway translates no route onto a
/// listener that is not ready (conflicted, invalid), so nothing can overlap there.
pub fn check(
    model: &Model,
    gateways: &[GatewayState],
    routes: &[RouteState],
    paths: &PathHashes,
    statuses: &mut [ObjectStatus],
) {
    let programmed = |a: &&Attachment| {
        gateways
            .get(a.gateway)
            .and_then(|g| g.listeners.get(a.listener))
            .is_some_and(|l| l.programmed)
    };
    // Each route's (gateway, listener, hostname) places, numbered once per route rather than
    // hashed again with every match.
    let mut places: FxHashMap<(usize, usize, &str), usize> = FxHashMap::default();
    // (place, path hash) → the first route with it.
    let mut by_path: FxHashMap<(usize, u64), usize> =
        FxHashMap::with_capacity_and_hasher(paths.hashes.len(), Default::default());
    // Routes that may overlap another: they share a path there, or their path is not plain.
    let mut involved = vec![false; routes.len()];
    for (ri, r) in routes
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.kind, RouteKind::Http | RouteKind::Grpc))
    {
        let hashes = paths.of(ri);
        if hashes.is_empty() {
            continue;
        }
        for a in r.attachments.iter().filter(programmed) {
            for h in a
                .hostnames
                .iter()
                .map(String::as_str)
                .chain(a.hostnames.is_empty().then_some("*"))
            {
                let n = places.len();
                let pi = *places.entry((a.gateway, a.listener, h)).or_insert(n);
                for &ph in hashes {
                    if ph == NOT_PLAIN {
                        involved[ri] = true;
                        continue;
                    }
                    let e = *by_path.entry((pi, ph)).or_insert(ri);
                    if e != ri {
                        involved[ri] = true;
                        involved[e] = true;
                    }
                }
            }
        }
    }
    if !involved.contains(&true) {
        return;
    }
    let keys: Vec<Vec<String>> = routes
        .iter()
        .zip(&involved)
        .map(|(r, &inv)| {
            let mut keys = Vec::new();
            if inv {
                each_match(model, r, |m| keys.push(match_key(m)));
            }
            keys.stable_sort();
            keys.dedup();
            keys
        })
        .collect();
    // (gateway, listener, hostname, match) → the routes programming it (indexes into `routes`),
    // each once: Envoy Gateway's buckets of one translated listener.
    let mut groups: FxHashMap<(usize, usize, &str, &str), Vec<usize>> = FxHashMap::default();
    for (ri, r) in routes.iter().enumerate() {
        for a in r.attachments.iter().filter(programmed) {
            // No hostnames: any host, `*`.
            let hosts = a
                .hostnames
                .iter()
                .map(String::as_str)
                .chain(a.hostnames.is_empty().then_some("*"));
            for h in hosts {
                for k in &keys[ri] {
                    let members = groups
                        .entry((a.gateway, a.listener, h, k.as_str()))
                        .or_default();
                    if members.last() != Some(&ri) {
                        members.push(ri);
                    }
                }
            }
        }
    }
    // (route, parentRef index) → the other routes it overlaps on that parentRef's listeners.
    let mut conflicts: FxHashMap<(usize, usize), HashSet<usize, FxBuildHasher>> =
        FxHashMap::default();
    for ((gateway, listener, _, _), members) in &groups {
        if members.len() < 2 {
            continue;
        }
        for &m in members {
            for b in routes[m]
                .attachments
                .iter()
                .filter(programmed)
                .filter(|b| b.gateway == *gateway && b.listener == *listener)
            {
                conflicts
                    .entry((m, b.parent_ref))
                    .or_default()
                    .extend(members.iter().copied().filter(|&o| o != m));
            }
        }
    }
    if conflicts.is_empty() {
        return;
    }
    let by_object: FxHashMap<usize, usize> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| (s.object, i))
        .collect();
    let mut flagged: Vec<((usize, usize), HashSet<usize, FxBuildHasher>)> =
        conflicts.into_iter().collect();
    flagged.stable_sort_by_key(|(k, _)| *k);
    for ((ri, pi), others) in flagged {
        let oi = routes[ri].object;
        let Some(&si) = by_object.get(&oi) else {
            continue;
        };
        let Some(pr) =
            super::routes::route_parts(&model.objects[oi]).and_then(|(_, prs, _)| prs.get(pi))
        else {
            continue;
        };
        let want = serde_json::to_value(pr).unwrap_or(Value::Null);
        let Some(parents) = statuses[si]
            .status
            .get_mut("parents")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for p in parents
            .iter_mut()
            .filter(|p| p.get("parentRef") == Some(&want))
        {
            let Some(conds) = p.get_mut("conditions").and_then(Value::as_array_mut) else {
                continue;
            };
            if conds.iter().any(|c| c["type"] == "RouteRulesOverlap") {
                continue;
            }
            let gen = conds
                .first()
                .and_then(|c| c.get("observedGeneration"))
                .cloned()
                .unwrap_or(json!(0));
            conds.push(json!({
                "type": "RouteRulesOverlap",
                "status": "True",
                "reason": "RouteRulesOverlap",
                "message": overlap_message(model, routes, &others),
                "observedGeneration": gen,
            }));
        }
    }
}

/// Envoy Gateway's message: the other routes, as `Kind namespace/name`, sorted.
fn overlap_message(
    model: &Model,
    routes: &[RouteState],
    others: &HashSet<usize, FxBuildHasher>,
) -> String {
    let mut names: Vec<String> = others
        .iter()
        .map(|&o| {
            let obj = &model.objects[routes[o].object];
            format!("{} {}/{}", obj.kind, obj.namespace, obj.meta.name)
        })
        .collect();
    names.stable_sort();
    names.dedup();
    format!(
        "Overlapping match conditions with route(s): {}",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key as first written (one `format!` per part): the buffer-built key must equal it.
    fn reference_key(m: Option<&HttpRouteMatch>) -> String {
        let empty = HttpRouteMatch::default();
        let m = m.unwrap_or(&empty);
        let (pt, pv) = m
            .path
            .as_ref()
            .map(|p| (p.kind(), p.value()))
            .unwrap_or(("PathPrefix", "/"));
        let mut headers: Vec<String> = m
            .headers
            .iter()
            .map(|h| format!("{} {} {}", h.name.to_ascii_lowercase(), h.kind(), h.value))
            .collect();
        if let Some(method) = &m.method {
            headers.push(format!(":method Exact {method}"));
        }
        headers.stable_sort();
        let mut query: Vec<String> = m
            .query_params
            .iter()
            .map(|q| format!("{} {} {}", q.name, q.kind(), q.value))
            .collect();
        query.stable_sort();
        format!("{pt} {pv}\n{}\n{}", headers.join("\n"), query.join("\n"))
    }

    #[test]
    fn key_matches_reference() {
        let cases = [
            serde_json::json!({}),
            serde_json::json!({"path": {"type": "Exact", "value": "/a"}}),
            serde_json::json!({"path": {"value": "/a"}, "headers": [{"name": "X-Env", "value": "canary"}]}),
            serde_json::json!({"method": "GET"}),
            serde_json::json!({"headers": [{"name": "b", "value": "1"}, {"name": "A", "type": "RegularExpression", "value": "x.*"}], "method": "POST"}),
            serde_json::json!({"headers": [{"name": "z", "value": "1"}], "method": "GET", "queryParams": [{"name": "q", "value": "2"}]}),
            serde_json::json!({"queryParams": [{"name": "b", "value": "2"}, {"name": "a", "value": "1"}, {"name": "A", "value": "0"}]}),
        ];
        assert_eq!(match_key(None), reference_key(None));
        assert_eq!(
            match_key(None),
            match_key(Some(&HttpRouteMatch::default())),
            "no matches keys as one empty match"
        );
        for c in cases {
            let m: HttpRouteMatch = serde_json::from_value(c.clone()).unwrap();
            assert_eq!(match_key(Some(&m)), reference_key(Some(&m)), "{c}");
        }
    }
}
