//! `shadowed-rule`: a rule match that can never be selected, because on every virtual host where
//! it is programmed another match ranks first and accepts every request it accepts.
//!
//! Why: Envoy Gateway sorts all rule matches of a listener once (Exact > RegularExpression >
//! PathPrefix, longer paths, more headers, more query parameters; ties keep route and rule order)
//! and takes the first that matches. A duplicate or broader match earlier in that order silently
//! takes all the traffic: usually a copy-paste error, or a second route that claims the same
//! path. The routing table already knows which rows are unreachable; this lint points at the
//! losing match in the manifest and names the winner. A match that still wins on some other
//! hostname or listener is not reported.

use super::Ctx;
use crate::diag::Diagnostic;
use crate::route::TableRow;
use std::collections::BTreeMap;

pub const CODE: &str = "shadowed-rule";

pub fn check(cx: &Ctx, out: &mut Vec<Diagnostic>) {
    let rows = &cx.table;
    // (route, rule, match) → its HTTP/gRPC rows, in table order.
    let mut groups: BTreeMap<(String, usize, Option<usize>), Vec<&TableRow>> = BTreeMap::new();
    let mut order = Vec::new();
    for r in rows.iter().filter(|r| r.detail.is_some()) {
        let key = (r.route.clone(), r.rule, r.match_index);
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(r);
    }
    for key in order {
        let rs = &groups[&key];
        if !rs.iter().all(|r| r.shadowed) {
            continue;
        }
        let (route, rule, mi) = &key;
        let Some(obj) = cx.by_id(route) else { continue };
        let lost = rs[0];
        let Some(win) = lost.shadowed_by.and_then(|i| rows.get(i)) else {
            continue;
        };
        let ptr = match mi {
            Some(m) => format!("/spec/rules/{rule}/matches/{m}"),
            None => format!("/spec/rules/{rule}"),
        };
        let winner = if win.route == lost.route {
            format!("rule {}{}", win.rule, match_label(win))
        } else {
            format!("rule {}{} of {}", win.rule, match_label(win), win.route)
        };
        let hosts: Vec<&str> = {
            let mut h: Vec<&str> = rs.iter().map(|r| r.hostname.as_str()).collect();
            h.dedup();
            h
        };
        // Envoy Gateway flags identical matches of different routes (checkRouteOverlaps).
        let overlap = if win.route != lost.route && win.detail == lost.detail {
            " (Envoy Gateway also sets RouteRulesOverlap=True on both routes)"
        } else {
            ""
        };
        let msg = format!(
            "rule {rule}{} ({}) can never be selected on {} ({}): {winner} ({}) ranks first and matches every request it matches{overlap}; make the match more specific or remove the duplicate",
            match_label(lost),
            lost.matches,
            hosts.join(", "),
            lost.listener,
            win.matches
        );
        out.push(cx.warn(CODE, obj, &ptr, msg));
    }
}

fn match_label(r: &TableRow) -> String {
    r.match_index
        .map(|m| format!(" match {m}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::lint::testutil::{lint, positions, Pos, CLASS};

    const GW: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: eg\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {selector: {app: a}, ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {selector: {app: b}, ports: [{port: 80}]}\n---\n";

    fn route(name: &str, hostnames: &str, first: &str, second: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}}}\nspec:\n  parentRefs: [{{name: gw}}]\n  hostnames: {hostnames}\n  rules:\n  - matches:\n    - {first}\n    backendRefs: [{{name: a, port: 80}}]\n  - matches:\n    - {second}\n    backendRefs: [{{name: b, port: 80}}]\n---\n"
        )
    }

    #[test]
    fn within_one_route() {
        let at = &[("shadowed-rule", 34, 7)][..];
        let cases: &[(&str, &str, &[Pos])] = &[
            // Identical: the later rule loses.
            ("path: {value: /api}", "path: {value: /api}", at),
            // Broader prefix first, but precedence sorts the longer prefix first: both reachable.
            ("path: {value: /}", "path: {value: /api}", &[]),
            // An Exact match is covered by an earlier identical Exact.
            (
                "path: {type: Exact, value: /login}",
                "path: {type: Exact, value: /login}",
                at,
            ),
            // A prefix covers an Exact only if it ranks first; Exact ranks before any prefix.
            (
                "path: {value: /login}",
                "path: {type: Exact, value: /login}",
                &[],
            ),
            // Same path, the second adds a header: more headers rank first.
            (
                "path: {value: /api}",
                "{path: {value: /api}, headers: [{name: x-env, value: canary}]}",
                &[],
            ),
            // Same path, the first has a header: it does not cover requests without it.
            (
                "{path: {value: /api}, headers: [{name: x-env, value: canary}]}",
                "path: {value: /api}",
                &[],
            ),
            // A trailing slash ranks first (longer) and matches the same requests: `/api` loses
            // whichever rule comes first.
            (
                "path: {value: /api}",
                "path: {value: /api/}",
                &[("shadowed-rule", 31, 7)],
            ),
            ("path: {value: /api/}", "path: {value: /api}", at),
        ];
        for (first, second, want) in cases {
            let text = format!(
                "{CLASS}{GW}{}",
                route("r", "[a.example.com]", first, second)
            );
            let got: Vec<_> = positions(&text)
                .into_iter()
                .filter(|d| d.0 == "shadowed-rule")
                .collect();
            assert_eq!(got, *want, "{first} / {second}");
        }
    }

    #[test]
    fn across_routes_the_later_route_loses_and_the_winner_is_named() {
        let one = route(
            "one",
            "[a.example.com]",
            "path: {value: /x}",
            "path: {value: /api}",
        );
        let two = route(
            "two",
            "[a.example.com]",
            "path: {value: /api}",
            "path: {value: /y}",
        );
        let text = format!("{CLASS}{GW}{one}{two}");
        let d: Vec<_> = lint(&text)
            .into_iter()
            .filter(|d| d.code == "shadowed-rule")
            .collect();
        assert_eq!(d.len(), 1, "{d:?}");
        let l = d[0].location.as_ref().unwrap();
        assert_eq!((l.line, l.column), (45, 7));
        assert!(
            d[0].message
                .contains("rule 1 match 0 of HTTPRoute/default/one"),
            "{}",
            d[0].message
        );
        assert!(
            d[0].message.contains("RouteRulesOverlap"),
            "{}",
            d[0].message
        );
        // Not identical (a trailing slash): shadowed, but no RouteRulesOverlap.
        let two = route(
            "two",
            "[a.example.com]",
            "path: {value: /api/}",
            "path: {value: /y}",
        );
        let text = format!("{CLASS}{GW}{one}{two}");
        let d: Vec<_> = lint(&text)
            .into_iter()
            .filter(|d| d.code == "shadowed-rule")
            .collect();
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("rule 0 match 0 of HTTPRoute/default/two")
                && !d[0].message.contains("RouteRulesOverlap"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn a_match_that_still_wins_on_another_hostname_is_not_reported() {
        let one = route(
            "one",
            "[a.example.com]",
            "path: {value: /x}",
            "path: {value: /api}",
        );
        let two = route(
            "two",
            "[a.example.com, b.example.com]",
            "path: {value: /api}",
            "path: {value: /y}",
        );
        let text = format!("{CLASS}{GW}{one}{two}");
        assert!(lint(&text).iter().all(|d| d.code != "shadowed-rule"));
    }
}
