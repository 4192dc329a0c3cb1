//! `redirect-loop`: a RequestRedirect whose `Location` is answered by a redirect to the same
//! place again: an HTTP→HTTPS redirect route also attached to the HTTPS listener, a redirect
//! without `scheme` (http → http on the same host and port), a hostname redirect to itself.
//!
//! Why: every hop looks fine on its own, and the status of every object is clean; browsers give
//! up after about 20 hops with ERR_TOO_MANY_REDIRECTS. The lint does what a browser does, with the
//! simulator: for each redirect row of the routing table it sends the row's probe request,
//! follows the `Location` through the same Gateway, and reports the rule when a `Location`
//! comes back.

use super::Ctx;
use crate::diag::Diagnostic;
use crate::model::Body;
use crate::route::RowAction;
use std::collections::HashSet;

pub const CODE: &str = "redirect-loop";

/// Hops followed before giving up (a chain this long that has not repeated is not a loop).
const MAX_HOPS: usize = 8;

pub fn check(cx: &Ctx, out: &mut Vec<Diagnostic>) {
    let mut reported = HashSet::new();
    for row in &cx.table {
        if !matches!(row.outcome, RowAction::Redirect { .. }) || row.shadowed {
            continue;
        }
        let Some(probe) = &row.probe else { continue };
        if reported.contains(&(row.route.clone(), row.rule)) {
            continue;
        }
        let Some(chain) = follow(cx, probe, &row.gateway) else {
            continue;
        };
        let Some(obj) = cx.by_id(&row.route) else {
            continue;
        };
        reported.insert((row.route.clone(), row.rule));
        let filter = match &obj.body {
            Body::HttpRoute(s) => s
                .rules
                .as_ref()
                .and_then(|r| r.get(row.rule))
                .and_then(|r| r.filters.iter().position(|f| f.request_redirect.is_some())),
            _ => None,
        };
        let ptr = match filter {
            Some(fi) => format!("/spec/rules/{}/filters/{fi}/requestRedirect", row.rule),
            None => format!("/spec/rules/{}", row.rule),
        };
        let msg = format!(
            "this redirect loops: {chain}; scope an HTTP→HTTPS redirect route to the HTTP listener with `sectionName`, set `scheme`, or redirect to a host that is not redirected again",
        );
        out.push(cx.warn(CODE, obj, &ptr, msg));
    }
}

/// Follows redirects from `probe` through `gateway`. Returns a description of the chain when a
/// `Location` repeats, None when the chain ends (a non-redirect answer, an unparsable Location,
/// or too many distinct hops).
fn follow(cx: &Ctx, probe: &str, gateway: &str) -> Option<String> {
    let first = crate::request::parse_request(probe).ok()?;
    let mut outcome = cx.router.route_fast(&first);
    let mut steps = vec![format!(
        "`{} {}://{}{}`",
        first.method,
        first.scheme,
        first.host.as_deref().unwrap_or("?"),
        first.path
    )];
    let mut seen: HashSet<String> = HashSet::new();
    for _ in 0..MAX_HOPS {
        let r = outcome.redirect.as_ref()?;
        let on = outcome
            .listener
            .as_deref()
            .map(|l| format!(" on listener {l}"))
            .unwrap_or_default();
        let location = r.location.clone();
        if !seen.insert(location.clone()) {
            steps.push(format!("{} `{location}` again{on}", r.status));
            return Some(steps.join(" → "));
        }
        steps.push(format!("{} `{location}`{on}", r.status));
        let line = format!(
            "GET '{}' --gateway {gateway}",
            location.replace('\'', "'\\''")
        );
        let next = crate::request::parse_request(&line).ok()?;
        outcome = cx.router.route_fast(&next);
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::lint::testutil::{lint, positions, Pos, CLASS};

    const GW: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n  - name: https\n    protocol: HTTPS\n    port: 443\n    hostname: www.example.com\n    tls: {certificateRefs: [{name: www-tls}]}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: www-tls}\ntype: kubernetes.io/tls\ndata: {tls.crt: PLACEHOLDER, tls.key: PLACEHOLDER}\n---\n";
    const APP: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: www}\nspec:\n  parentRefs: [{name: gw, sectionName: https}]\n  hostnames: [www.example.com]\n  rules:\n  - backendRefs: [{name: web, port: 80}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n---\n";

    fn redirect(parent: &str, redirect: &str) -> String {
        format!("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: to-https}}\nspec:\n  parentRefs: [{parent}]\n  hostnames: [www.example.com]\n  rules:\n  - filters:\n    - type: RequestRedirect\n      requestRedirect: {redirect}\n---\n")
    }

    #[test]
    fn table() {
        let at = &[("redirect-loop", 34, 24)][..];
        let cases: &[(&str, &str, &[Pos])] = &[
            // Scoped to the HTTP listener: http → https, served by the app. No loop.
            ("{name: gw, sectionName: http}", "{scheme: https, statusCode: 301}", &[]),
            // Attached to both listeners: HTTPS redirects to itself.
            ("{name: gw}", "{scheme: https, statusCode: 301}", at),
            // No scheme: http → http on the same host and port.
            ("{name: gw, sectionName: http}", "{statusCode: 301}", at),
            // A redirect to another host that is not redirected again.
            ("{name: gw, sectionName: http}", "{hostname: new.example.com}", &[]),
            // A redirect to its own hostname.
            ("{name: gw, sectionName: http}", "{hostname: www.example.com}", at),
            // A path change that the same rule (prefix /) matches again still loops.
            ("{name: gw, sectionName: http}", "{path: {type: ReplaceFullPath, replaceFullPath: /moved}, hostname: www.example.com}", at),
        ];
        for (parent, r, want) in cases {
            let text = format!("{CLASS}{GW}{}{APP}", redirect(parent, r));
            let got: Vec<_> = positions(&text)
                .into_iter()
                .filter(|d| d.0 == "redirect-loop")
                .collect();
            assert_eq!(got, *want, "{parent} {r}");
        }
    }

    #[test]
    fn message_shows_the_chain() {
        let text = format!(
            "{CLASS}{GW}{}{APP}",
            redirect("{name: gw}", "{scheme: https, statusCode: 301}")
        );
        let d: Vec<_> = lint(&text)
            .into_iter()
            .filter(|d| d.code == "redirect-loop")
            .collect();
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message
                .contains("301 `https://www.example.com/` again on listener default/gw/https"),
            "{}",
            d[0].message
        );
    }
}
