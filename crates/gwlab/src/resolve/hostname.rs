//! Hostnames: syntax, wildcard matching, listener × route intersection (Envoy Gateway's
//! `computeHosts`) and specificity ordering. Public: the router reuses these.

use crate::sort::StableSort;

/// True when `h` is a valid Gateway API hostname: RFC 1123 labels, lower case, optionally
/// starting with a single `*.` label; never an IP address.
pub fn is_valid(h: &str) -> bool {
    if h == "*" {
        // A bare `*` (any host) is accepted on listeners by Envoy Gateway.
        return true;
    }
    if h.is_empty() || h.len() > 253 {
        return false;
    }
    let rest = h.strip_prefix("*.").unwrap_or(h);
    if rest.is_empty() || rest.contains('*') {
        return false;
    }
    if is_ip(rest) {
        return false;
    }
    rest.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    })
}

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// `host` is covered by the wildcard `wildcard` (`*.example.com`): it ends with `.example.com`
/// and has at least one more label. `host` may itself be a wildcard (narrower or equal).
pub fn matches_wildcard(host: &str, wildcard: &str) -> bool {
    let Some(suffix) = wildcard.strip_prefix('*') else {
        return false;
    };
    host.len() > suffix.len() && host.ends_with(suffix)
}

/// True when a concrete request host (no port, lower-case) is served by `pattern`
/// (`*` = any, `*.x` = suffix match, else exact).
pub fn host_matches(pattern: &str, host: &str) -> bool {
    pattern == "*"
        || pattern == host
        || (pattern.starts_with("*.") && matches_wildcard(host, pattern))
}

/// The intersection of a listener hostname (None = any) and one route hostname, as Envoy
/// Gateway computes it: the more specific name, or None when they do not intersect.
pub fn intersect(listener: Option<&str>, route: &str) -> Option<String> {
    intersect_str(listener, route).map(str::to_string)
}

/// [`intersect`], borrowed: the result is always one of the two names.
pub fn intersect_str<'a>(listener: Option<&'a str>, route: &'a str) -> Option<&'a str> {
    let Some(l) = listener.filter(|l| !l.is_empty()) else {
        return Some(route);
    };
    if l == route {
        return Some(route);
    }
    let lw = l.starts_with('*');
    let rw = route.starts_with('*');
    if lw && matches_wildcard(route, l) {
        return Some(route);
    }
    if rw && matches_wildcard(l, route) {
        return Some(l);
    }
    None
}

/// Envoy Gateway `computeHosts`: the hostnames a route serves on a listener. `["*"]` means any.
/// `others_on_port` are the hostnames of the other listeners on the same port of the same
/// Gateway; any effective name exactly equal to one of them is removed (Envoy Gateway's only
/// listener isolation). The result is sorted and de-duplicated; empty = no intersection.
pub fn compute_hosts(
    route_hostnames: &[String],
    listener: Option<&str>,
    others_on_port: &[&str],
) -> Vec<String> {
    compute_hosts_by(route_hostnames, listener, |h| others_on_port.contains(&h))
}

/// [`compute_hosts`] with the other listeners' hostnames as a predicate (`taken`), so the
/// resolver can look them up in a table instead of scanning a list per route, and with route
/// hostnames that need not be owned. Names are copied only once they are known to be kept.
pub fn compute_hosts_by<H: AsRef<str>>(
    route_hostnames: &[H],
    listener: Option<&str>,
    taken: impl Fn(&str) -> bool,
) -> Vec<String> {
    let listener = listener.filter(|l| !l.is_empty());
    if route_hostnames.is_empty() {
        return vec![listener.unwrap_or("*").to_string()];
    }
    let mut out: Vec<String> = Vec::with_capacity(route_hostnames.len());
    for r in route_hostnames {
        if let Some(h) = intersect_str(listener, r.as_ref()) {
            if !taken(h) {
                out.push(h.to_string());
            }
        }
    }
    if out.len() > 1 {
        out.stable_sort();
        out.dedup();
    }
    out
}

/// Specificity rank of a listener hostname for listener selection: exact names first, then
/// wildcards with more labels, then none. Higher is more specific.
pub fn specificity(h: Option<&str>) -> (u8, usize, usize) {
    match h {
        None | Some("") | Some("*") => (0, 0, 0),
        Some(h) if h.starts_with('*') => (1, h.split('.').count(), h.len()),
        Some(h) => (2, h.split('.').count(), h.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_table() {
        let cases = [
            ("example.com", true),
            ("*.example.com", true),
            ("a-b.c1.io", true),
            ("", false),
            ("Example.com", false),
            ("*.*.example.com", false),
            ("foo.*.com", false),
            ("*", true),
            ("1.2.3.4", false),
            ("-a.com", false),
            ("a..com", false),
        ];
        for (h, want) in cases {
            assert_eq!(is_valid(h), want, "{h}");
        }
    }

    #[test]
    fn intersection_table() {
        let cases: &[(Option<&str>, &str, Option<&str>)] = &[
            (None, "a.example.com", Some("a.example.com")),
            (
                Some("a.example.com"),
                "a.example.com",
                Some("a.example.com"),
            ),
            (
                Some("*.example.com"),
                "a.example.com",
                Some("a.example.com"),
            ),
            (
                Some("*.example.com"),
                "a.b.example.com",
                Some("a.b.example.com"),
            ),
            (
                Some("*.example.com"),
                "*.example.com",
                Some("*.example.com"),
            ),
            (
                Some("*.example.com"),
                "*.foo.example.com",
                Some("*.foo.example.com"),
            ),
            (
                Some("*.foo.example.com"),
                "*.example.com",
                Some("*.foo.example.com"),
            ),
            (
                Some("test.example.com"),
                "*.example.com",
                Some("test.example.com"),
            ),
            (Some("*.example.com"), "example.com", None),
            (Some("*.example.com"), "x.example.net", None),
            (Some("a.example.com"), "b.example.com", None),
            (Some("example.com"), "*.example.com", None),
        ];
        for (l, r, want) in cases {
            assert_eq!(intersect(*l, r).as_deref(), *want, "{l:?} × {r}");
        }
    }

    #[test]
    fn compute_hosts_table() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(compute_hosts(&[], None, &[]), s(&["*"]));
        assert_eq!(compute_hosts(&[], Some("foo.com"), &[]), s(&["foo.com"]));
        assert_eq!(
            compute_hosts(&s(&["b.com", "a.com"]), None, &[]),
            s(&["a.com", "b.com"])
        );
        // Removed because another listener on the port owns that exact hostname.
        assert_eq!(
            compute_hosts(
                &s(&["a.example.com", "b.example.com"]),
                None,
                &["a.example.com"]
            ),
            s(&["b.example.com"])
        );
        // Kept: the other listener is a wildcard, not an equal name.
        assert_eq!(
            compute_hosts(&s(&["a.example.com"]), None, &["*.example.com"]),
            s(&["a.example.com"])
        );
        assert!(compute_hosts(&s(&["x.net"]), Some("*.example.com"), &[]).is_empty());
    }

    #[test]
    fn host_matching() {
        assert!(host_matches("*", "anything"));
        assert!(host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(host_matches("a.com", "a.com"));
        assert!(specificity(Some("a.example.com")) > specificity(Some("*.example.com")));
        assert!(specificity(Some("*.foo.example.com")) > specificity(Some("*.example.com")));
        assert!(specificity(Some("*.example.com")) > specificity(None));
    }
}
