//! `RouteRulesOverlap` (Envoy Gateway `checkRouteOverlaps`): when different HTTPRoutes program a
//! rule-match with the same hostname, path, headers and query parameters on one listener, every
//! route involved gets `RouteRulesOverlap=True` on that parent. Traffic still goes to the earlier
//! route (the router's stable precedence order), so the later one is shadowed.

use super::{ObjectStatus, RouteKind, RouteState};
use crate::model::{Body, HttpRouteMatch, Model};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// A canonical text for one match: path type and value, then sorted headers (names lower-cased,
/// `:method` for the method) and sorted query parameters.
fn match_key(m: Option<&HttpRouteMatch>) -> String {
    let Some(m) = m else { return "PathPrefix /".into() };
    let (pt, pv) = m.path.as_ref().map(|p| (p.kind(), p.value())).unwrap_or(("PathPrefix", "/"));
    let mut headers: Vec<String> = m.headers.iter().map(|h| format!("{} {} {}", h.name.to_ascii_lowercase(), h.kind(), h.value)).collect();
    if let Some(method) = &m.method {
        headers.push(format!(":method Exact {method}"));
    }
    headers.sort();
    let mut query: Vec<String> = m.query_params.iter().map(|q| format!("{} {} {}", q.name, q.kind(), q.value)).collect();
    query.sort();
    format!("{pt} {pv}\n{}\n{}", headers.join("\n"), query.join("\n"))
}

/// Adds `RouteRulesOverlap=True` to the parent entries of `statuses` whose route shares a
/// (listener, hostname, match) with another route.
pub fn check(model: &Model, routes: &[RouteState], statuses: &mut [ObjectStatus]) {
    // (gateway, listener, hostname, match) → first route (index into `routes`).
    let mut first: HashMap<(usize, usize, &str, &str), usize> = HashMap::new();
    // (route, parentRef index) flagged.
    let mut flagged: HashSet<(usize, usize)> = HashSet::new();
    let keys: Vec<Vec<String>> = routes
        .iter()
        .map(|r| {
            let Body::HttpRoute(spec) = &model.objects[r.object].body else { return Vec::new() };
            if r.kind != RouteKind::Http || r.attachments.is_empty() {
                return Vec::new();
            }
            let mut keys = Vec::new();
            match &spec.rules {
                None => keys.push(match_key(None)),
                Some(rules) => {
                    for (ri, rule) in rules.iter().enumerate() {
                        if !r.rules.get(ri).is_some_and(|s| s.programmed) {
                            continue;
                        }
                        match rule.matches.as_deref() {
                            None | Some([]) => keys.push(match_key(None)),
                            Some(ms) => keys.extend(ms.iter().map(|m| match_key(Some(m)))),
                        }
                    }
                }
            }
            keys.sort();
            keys.dedup();
            keys
        })
        .collect();
    for (ri, r) in routes.iter().enumerate() {
        for a in &r.attachments {
            let hosts: Vec<&str> = if a.hostnames.is_empty() { vec!["*"] } else { a.hostnames.iter().map(String::as_str).collect() };
            for h in hosts {
                for k in &keys[ri] {
                    let e = *first.entry((a.gateway, a.listener, h, k.as_str())).or_insert(ri);
                    if e != ri {
                        flagged.insert((ri, a.parent_ref));
                        // The earlier route: every parentRef attaching it to this listener.
                        for b in routes[e].attachments.iter().filter(|b| b.gateway == a.gateway && b.listener == a.listener) {
                            flagged.insert((e, b.parent_ref));
                        }
                    }
                }
            }
        }
    }
    if flagged.is_empty() {
        return;
    }
    let by_object: HashMap<usize, usize> = statuses.iter().enumerate().map(|(i, s)| (s.object, i)).collect();
    let mut flagged: Vec<(usize, usize)> = flagged.into_iter().collect();
    flagged.sort();
    for (ri, pi) in flagged {
        let oi = routes[ri].object;
        let Some(&si) = by_object.get(&oi) else { continue };
        let Some(pr) = super::routes::route_parts(&model.objects[oi]).and_then(|(_, prs, _)| prs.get(pi)) else { continue };
        let want = serde_json::to_value(pr).unwrap_or(Value::Null);
        let Some(parents) = statuses[si].status.get_mut("parents").and_then(Value::as_array_mut) else { continue };
        for p in parents.iter_mut().filter(|p| p.get("parentRef") == Some(&want)) {
            let Some(conds) = p.get_mut("conditions").and_then(Value::as_array_mut) else { continue };
            if conds.iter().any(|c| c["type"] == "RouteRulesOverlap") {
                continue;
            }
            let gen = conds.first().and_then(|c| c.get("observedGeneration")).cloned().unwrap_or(json!(0));
            conds.push(json!({
                "type": "RouteRulesOverlap",
                "status": "True",
                "reason": "RouteRulesOverlap",
                "message": "Route rules overlap with other routes on the same listener: identical hostname and matches; the earlier route takes the traffic",
                "observedGeneration": gen,
            }));
        }
    }
}
