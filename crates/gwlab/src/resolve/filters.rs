//! Rule validation as Envoy Gateway does it: match values (enums, regexes), filters (header
//! modifiers, redirect, rewrite, mirror, ExtensionRef, unknown types) and their combinations.

use super::hostname;
use crate::model::{
    GrpcRouteMatch, HeaderModifier, HttpRouteFilter, HttpRouteMatch, ValueMatch, EG_GROUP,
};

/// One validation problem: which condition it lands on, the reason, where, and what to change.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    /// `Accepted` or `ResolvedRefs`.
    pub cond: &'static str,
    pub reason: &'static str,
    pub message: String,
    /// JSON pointer relative to the rule.
    pub pointer: String,
    pub code: &'static str,
}

fn unsupported(pointer: String, message: String) -> RuleError {
    RuleError {
        cond: "Accepted",
        reason: "UnsupportedValue",
        message,
        pointer,
        code: "unsupported-value",
    }
}

fn regex_ok(re: &str) -> bool {
    regex::Regex::new(&format!("^(?:{re})$")).is_ok()
}

fn value_matches(
    ms: &[ValueMatch],
    what: &str,
    base: &dyn Fn() -> String,
    out: &mut Vec<RuleError>,
) {
    for (i, m) in ms.iter().enumerate() {
        match m.kind() {
            "Exact" => {}
            "RegularExpression" => {
                if !regex_ok(&m.value) {
                    out.push(unsupported(
                        format!("{}/{i}/value", base()),
                        format!("{what} regex `{}` does not compile (RE2 syntax)", m.value),
                    ));
                }
            }
            t => out.push(unsupported(
                format!("{}/{i}/type", base()),
                format!("{what} match type `{t}` is not supported; use Exact or RegularExpression"),
            )),
        }
    }
}

/// Problems that drop an HTTPRoute rule entirely (no route entry).
pub fn http_matches(matches: &[HttpRouteMatch]) -> Vec<RuleError> {
    let mut out = Vec::new();
    for (mi, m) in matches.iter().enumerate() {
        if let Some(p) = &m.path {
            match p.kind() {
                "Exact" | "PathPrefix" => {
                    if !p.value().starts_with('/') {
                        out.push(unsupported(format!("/matches/{mi}/path/value"), format!("path `{}` must start with `/`", p.value())));
                    }
                }
                "RegularExpression" => {
                    if !regex_ok(p.value()) {
                        out.push(unsupported(format!("/matches/{mi}/path/value"), format!("path regex `{}` does not compile (RE2 syntax)", p.value())));
                    }
                }
                t => out.push(unsupported(format!("/matches/{mi}/path/type"), format!("path match type `{t}` is not supported; use Exact, PathPrefix or RegularExpression"))),
            }
        }
        if !m.headers.is_empty() {
            value_matches(
                &m.headers,
                "header",
                &|| format!("/matches/{mi}/headers"),
                &mut out,
            );
        }
        if !m.query_params.is_empty() {
            value_matches(
                &m.query_params,
                "query parameter",
                &|| format!("/matches/{mi}/queryParams"),
                &mut out,
            );
        }
        if let Some(meth) = &m.method {
            if !matches!(
                meth.as_str(),
                "GET"
                    | "HEAD"
                    | "POST"
                    | "PUT"
                    | "DELETE"
                    | "CONNECT"
                    | "OPTIONS"
                    | "TRACE"
                    | "PATCH"
            ) {
                out.push(unsupported(
                    format!("/matches/{mi}/method"),
                    format!("method `{meth}` is not an HTTP method the API allows"),
                ));
            }
        }
    }
    out
}

pub fn grpc_matches(matches: &[GrpcRouteMatch]) -> Vec<RuleError> {
    let mut out = Vec::new();
    for (mi, m) in matches.iter().enumerate() {
        let base = format!("/matches/{mi}");
        if let Some(meth) = &m.method {
            match meth.type_.as_deref().unwrap_or("Exact") {
                "Exact" => {}
                "RegularExpression" => {
                    for v in [&meth.service, &meth.method].into_iter().flatten() {
                        if !regex_ok(v) {
                            out.push(unsupported(
                                format!("{base}/method"),
                                format!("regex `{v}` does not compile (RE2 syntax)"),
                            ));
                        }
                    }
                }
                t => out.push(unsupported(
                    format!("{base}/method/type"),
                    format!(
                        "method match type `{t}` is not supported; use Exact or RegularExpression"
                    ),
                )),
            }
        }
        value_matches(
            &m.headers,
            "header",
            &|| format!("/matches/{mi}/headers"),
            &mut out,
        );
    }
    out
}

fn header_modifier(hm: Option<&HeaderModifier>, p: &str, out: &mut Vec<RuleError>) {
    let Some(hm) = hm else {
        out.push(unsupported(
            p.to_string(),
            "the header modifier filter has no configuration".into(),
        ));
        return;
    };
    // A modifier that sets, adds and removes nothing is accepted and does nothing: Envoy Gateway
    // only refuses one whose entries are all invalid (golden
    // `httproute-with-response-header-filter-no-headers`).
    let names = hm
        .set
        .iter()
        .map(|h| (h.name.as_str(), Some(h.value.as_str()), "set"))
        .chain(
            hm.add
                .iter()
                .map(|h| (h.name.as_str(), Some(h.value.as_str()), "add")),
        )
        .chain(hm.remove.iter().map(|n| (n.as_str(), None, "remove")));
    for (name, value, act) in names {
        let bad_name = name.is_empty()
            || name.contains(':')
            || name.contains('/')
            || name.eq_ignore_ascii_case("host")
            || name.bytes().any(|b| b <= b' ' || b >= 0x7f);
        if bad_name {
            out.push(unsupported(format!("{p}/{act}"), format!("header name `{name}` cannot be modified (empty, `Host`, or containing `:` or `/`)")));
        }
        if let Some(v) = value {
            if v.is_empty() || v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                out.push(unsupported(
                    format!("{p}/{act}"),
                    format!("header `{name}` needs a non-empty value without control characters"),
                ));
            }
        }
    }
}

/// What a rule's filters amount to.
#[derive(Debug, Default)]
pub struct FilterCheck {
    pub errors: Vec<RuleError>,
    /// Indices of RequestMirror filters whose backendRef must be resolved.
    pub mirrors: Vec<usize>,
    /// The rule redirects (or answers directly): no backends needed.
    pub terminal: bool,
}

/// Validates a rule's filters. `single_prefix` says whether the rule has exactly one match and it
/// is a PathPrefix (required by ReplacePrefixMatch). `ext_exists` resolves an ExtensionRef.
pub fn check(
    filters: &[HttpRouteFilter],
    grpc: bool,
    single_prefix: bool,
    ext_exists: &dyn Fn(&str, &str, &str) -> bool,
) -> FilterCheck {
    let mut fc = FilterCheck::default();
    let (mut redirect, mut rewrite, mut mirror) = (0, 0, 0);
    let mut direct_response = false;
    for (fi, f) in filters.iter().enumerate() {
        let p = format!("/filters/{fi}");
        let before = fc.errors.len();
        match f.type_.as_str() {
            "RequestHeaderModifier" => {
                header_modifier(
                    f.request_header_modifier.as_ref(),
                    &format!("{p}/requestHeaderModifier"),
                    &mut fc.errors,
                );
            }
            "ResponseHeaderModifier" => {
                header_modifier(
                    f.response_header_modifier.as_ref(),
                    &format!("{p}/responseHeaderModifier"),
                    &mut fc.errors,
                );
            }
            "RequestRedirect" if !grpc => {
                redirect += 1;
                fc.terminal = true;
                if redirect > 1 {
                    fc.errors.push(unsupported(
                        p.clone(),
                        "only one RequestRedirect filter is allowed per rule".into(),
                    ));
                }
                match &f.request_redirect {
                    None => fc.errors.push(unsupported(
                        p.clone(),
                        "RequestRedirect filter has no requestRedirect configuration".into(),
                    )),
                    Some(r) => {
                        if let Some(s) = &r.scheme {
                            if s != "http" && s != "https" {
                                fc.errors.push(unsupported(
                                    format!("{p}/requestRedirect/scheme"),
                                    format!(
                                        "redirect scheme `{s}` is not supported; use http or https"
                                    ),
                                ));
                            }
                        }
                        if let Some(c) = r.status_code {
                            if ![301, 302, 303, 307, 308].contains(&c) {
                                fc.errors.push(unsupported(format!("{p}/requestRedirect/statusCode"), format!("redirect status code {c} is not supported; use 301, 302, 303, 307 or 308")));
                            }
                        }
                        if let Some(h) = &r.hostname {
                            if h.starts_with('*') || !hostname::is_valid(h) {
                                fc.errors.push(unsupported(
                                    format!("{p}/requestRedirect/hostname"),
                                    format!("redirect hostname `{h}` is not a valid DNS name"),
                                ));
                            }
                        }
                        if let Some(pm) = &r.path {
                            path_modifier(
                                pm,
                                single_prefix,
                                &format!("{p}/requestRedirect/path"),
                                &mut fc.errors,
                            );
                        }
                    }
                }
            }
            "URLRewrite" if !grpc => {
                rewrite += 1;
                if rewrite > 1 {
                    fc.errors.push(unsupported(
                        p.clone(),
                        "only one URLRewrite filter is allowed per rule".into(),
                    ));
                }
                match &f.url_rewrite {
                    None => fc.errors.push(unsupported(
                        p.clone(),
                        "URLRewrite filter has no urlRewrite configuration".into(),
                    )),
                    Some(r) => {
                        if let Some(h) = &r.hostname {
                            if h.starts_with('*') || !hostname::is_valid(h) {
                                fc.errors.push(unsupported(
                                    format!("{p}/urlRewrite/hostname"),
                                    format!("rewrite hostname `{h}` is not a valid DNS name"),
                                ));
                            }
                        }
                        if let Some(pm) = &r.path {
                            path_modifier(
                                pm,
                                single_prefix,
                                &format!("{p}/urlRewrite/path"),
                                &mut fc.errors,
                            );
                        }
                    }
                }
            }
            "RequestMirror" => {
                mirror += 1;
                if f.request_mirror.is_none() {
                    fc.errors.push(unsupported(
                        p.clone(),
                        "RequestMirror filter has no requestMirror configuration".into(),
                    ));
                } else {
                    fc.mirrors.push(fi);
                }
            }
            "CORS" if !grpc => {}
            "ExtensionRef" => match &f.extension_ref {
                Some(r) if ext_exists(r.group_or(""), r.kind_or(""), &r.name) => {
                    if r.group_or("") == EG_GROUP && r.kind_or("") == "HTTPRouteFilter" {
                        // Envoy Gateway's HTTPRouteFilter may answer directly; treated as a pass-through here.
                    }
                }
                Some(r) => fc.errors.push(RuleError {
                    cond: "ResolvedRefs",
                    reason: "UnsupportedValue",
                    message: format!(
                        "ExtensionRef {}/{} `{}` cannot be resolved; requests to this rule get 500",
                        r.group_or(""),
                        r.kind_or(""),
                        r.name
                    ),
                    pointer: format!("{p}/extensionRef"),
                    code: "unsupported-value",
                }),
                None => fc.errors.push(unsupported(
                    p.clone(),
                    "ExtensionRef filter has no extensionRef".into(),
                )),
            },
            t => fc.errors.push(unsupported(
                format!("{p}/type"),
                format!(
                    "filter type `{t}` is not supported on a {}; requests to this rule get 500",
                    if grpc { "GRPCRoute" } else { "HTTPRoute" }
                ),
            )),
        }
        if fc.errors.len() > before {
            // Envoy Gateway stops at the first filter that yields a direct response.
            break;
        }
    }
    if mirror > 0 && (redirect > 0 || direct_response) && fc.errors.is_empty() {
        fc.errors.push(RuleError {
            cond: "Accepted",
            reason: "IncompatibleFilters",
            message: "RequestMirror cannot be combined with RequestRedirect or a direct response; remove one".into(),
            pointer: "/filters".into(),
            code: "incompatible-filters",
        });
    }
    if !fc.errors.is_empty() {
        fc.mirrors.clear();
    }
    let _ = &mut direct_response;
    fc
}

fn path_modifier(
    pm: &crate::model::PathModifier,
    single_prefix: bool,
    p: &str,
    out: &mut Vec<RuleError>,
) {
    match pm.type_.as_str() {
        "ReplaceFullPath" => {
            if pm.replace_full_path.is_none() {
                out.push(unsupported(p.to_string(), "ReplaceFullPath needs replaceFullPath".into()));
            }
        }
        "ReplacePrefixMatch" => {
            if pm.replace_prefix_match.is_none() {
                out.push(unsupported(p.to_string(), "ReplacePrefixMatch needs replacePrefixMatch".into()));
            } else if !single_prefix {
                out.push(unsupported(p.to_string(), "ReplacePrefixMatch needs the rule to have exactly one match, of type PathPrefix".into()));
            }
        }
        t => out.push(unsupported(format!("{p}/type"), format!("path modifier type `{t}` is not supported; use ReplaceFullPath or ReplacePrefixMatch"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(j: serde_json::Value) -> Vec<HttpRouteFilter> {
        serde_json::from_value(j).unwrap()
    }

    #[test]
    fn filter_table() {
        let none = |_: &str, _: &str, _: &str| false;
        let cases = [
            (
                serde_json::json!([{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x-a", "value": "1"}]}}]),
                vec![],
            ),
            (
                serde_json::json!([{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "Host", "value": "1"}]}}]),
                vec!["UnsupportedValue"],
            ),
            (
                serde_json::json!([{"type": "RequestHeaderModifier", "requestHeaderModifier": {"add": [{"name": "a:b", "value": "1"}]}}]),
                vec!["UnsupportedValue"],
            ),
            (
                serde_json::json!([{"type": "RequestHeaderModifier", "requestHeaderModifier": {"remove": [""]}}]),
                vec!["UnsupportedValue"],
            ),
            (
                serde_json::json!([{"type": "RequestHeaderModifier", "requestHeaderModifier": {}}]),
                vec![],
            ),
            (
                serde_json::json!([{"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [], "set": [], "remove": []}}]),
                vec![],
            ),
            (
                serde_json::json!([{"type": "RequestRedirect", "requestRedirect": {"statusCode": 305}}]),
                vec!["UnsupportedValue"],
            ),
            (
                serde_json::json!([{"type": "RequestRedirect", "requestRedirect": {"scheme": "ftp"}}]),
                vec!["UnsupportedValue"],
            ),
            (
                serde_json::json!([{"type": "RequestRedirect", "requestRedirect": {"statusCode": 301}}]),
                vec![],
            ),
            (
                serde_json::json!([{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/x"}}}]),
                vec!["UnsupportedValue"],
            ),
            (
                serde_json::json!([{"type": "Bogus"}]),
                vec!["UnsupportedValue"],
            ),
            (
                serde_json::json!([{"type": "ExtensionRef", "extensionRef": {"group": "example.com", "kind": "Foo", "name": "f"}}]),
                vec!["UnsupportedValue"],
            ),
            (
                serde_json::json!([{"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "m", "port": 80}}}, {"type": "RequestRedirect", "requestRedirect": {}}]),
                vec!["IncompatibleFilters"],
            ),
        ];
        for (j, want) in cases {
            let fc = check(&filters(j.clone()), false, false, &none);
            let got: Vec<&str> = fc.errors.iter().map(|e| e.reason).collect();
            assert_eq!(got, want, "{j}");
        }
        let ext = check(
            &filters(
                serde_json::json!([{"type": "ExtensionRef", "extensionRef": {"group": "example.com", "kind": "Foo", "name": "f"}}]),
            ),
            false,
            false,
            &none,
        );
        assert_eq!(ext.errors[0].cond, "ResolvedRefs");
        // gRPC routes have no redirects.
        let g = check(
            &filters(serde_json::json!([{"type": "RequestRedirect", "requestRedirect": {}}])),
            true,
            false,
            &none,
        );
        assert_eq!(g.errors.len(), 1);
    }

    #[test]
    fn match_table() {
        let m = |j: serde_json::Value| serde_json::from_value::<Vec<HttpRouteMatch>>(j).unwrap();
        assert!(http_matches(&m(
            serde_json::json!([{"path": {"type": "PathPrefix", "value": "/a"}}])
        ))
        .is_empty());
        assert_eq!(
            http_matches(&m(
                serde_json::json!([{"path": {"type": "RegularExpression", "value": "(["}}])
            ))
            .len(),
            1
        );
        assert_eq!(
            http_matches(&m(
                serde_json::json!([{"path": {"type": "Fancy", "value": "/"}}])
            ))
            .len(),
            1
        );
        assert_eq!(
            http_matches(&m(serde_json::json!([{"method": "FETCH"}]))).len(),
            1
        );
        assert_eq!(http_matches(&m(serde_json::json!([{"headers": [{"name": "a", "type": "RegularExpression", "value": "*"}]}]))).len(), 1);
    }
}
