//! HTTPRoute filters as Envoy Gateway programs them (`internal/gatewayapi/filters.go`):
//! RequestRedirect, URLRewrite, Request/ResponseHeaderModifier and RequestMirror.

use super::{HeaderAction, HeaderOp};
use crate::model::{HeaderModifier, HttpRouteFilter, RequestMirror};

#[derive(Debug, Clone, PartialEq)]
pub enum PathRewrite {
    Full(String),
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RedirectSpec {
    pub scheme: Option<String>,
    pub hostname: Option<String>,
    pub port: Option<u32>,
    pub path: Option<PathRewrite>,
    pub status: u16,
    /// `statusCode` was not written (the API server defaults it to 302).
    pub status_defaulted: bool,
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RewriteSpec {
    pub hostname: Option<String>,
    pub path: Option<PathRewrite>,
    pub pointer: String,
}

#[derive(Debug, Clone, Default)]
pub struct Compiled {
    pub redirect: Option<RedirectSpec>,
    pub rewrite: Option<RewriteSpec>,
    pub req_ops: Vec<HeaderOp>,
    pub resp_ops: Vec<HeaderOp>,
    /// Explanations for the trace: (message, pointer).
    pub notes: Vec<(String, String)>,
    /// A filter Envoy Gateway rejects: the rule answers 500. (message, pointer)
    pub error: Option<(String, String)>,
}

/// Header names Envoy Gateway refuses in modifiers.
fn bad_header_name(n: &str) -> Option<&'static str> {
    if n.is_empty() {
        Some("an empty header name")
    } else if n.contains(':') || n.contains('/') {
        Some("a header name containing `:` or `/`")
    } else if n.eq_ignore_ascii_case("host") {
        Some("the `Host` header (use URLRewrite hostname instead)")
    } else {
        None
    }
}

/// Envoy Gateway's header-modifier semantics: `add` entries first, then `set`, then `remove`; per
/// name (case-insensitive) the first entry wins, so a `set` after an `add` of that name is dropped.
fn header_ops(
    m: &HeaderModifier,
    ptr: &str,
    notes: &mut Vec<(String, String)>,
) -> Result<Vec<HeaderOp>, (String, String)> {
    let mut ops: Vec<HeaderOp> = Vec::new();
    let mut push = |ops: &mut Vec<HeaderOp>,
                    action: HeaderAction,
                    name: &str,
                    value: &str,
                    p: String|
     -> Result<(), (String, String)> {
        if let Some(why) = bad_header_name(name) {
            return Err((format!("Envoy Gateway rejects {why} in a header modifier, so the whole rule answers 500"), p));
        }
        let lname = name.to_ascii_lowercase();
        if ops.iter().any(|o| o.name == lname) {
            notes.push((
                format!("header `{name}` is named again; Envoy Gateway keeps only its first entry"),
                p,
            ));
            return Ok(());
        }
        ops.push(HeaderOp {
            action,
            name: lname,
            value: value.to_string(),
        });
        Ok(())
    };
    for (i, h) in m.add.iter().enumerate() {
        push(
            &mut ops,
            HeaderAction::Add,
            &h.name,
            &h.value,
            format!("{ptr}/add/{i}"),
        )?;
    }
    for (i, h) in m.set.iter().enumerate() {
        push(
            &mut ops,
            HeaderAction::Set,
            &h.name,
            &h.value,
            format!("{ptr}/set/{i}"),
        )?;
    }
    for (i, h) in m.remove.iter().enumerate() {
        push(
            &mut ops,
            HeaderAction::Remove,
            h,
            "",
            format!("{ptr}/remove/{i}"),
        )?;
    }
    Ok(ops)
}

fn path_modifier(
    p: &crate::model::PathModifier,
    ptr: &str,
) -> Result<PathRewrite, (String, String)> {
    match p.type_.as_str() {
        "ReplaceFullPath" => Ok(PathRewrite::Full(
            p.replace_full_path.clone().unwrap_or_else(|| "/".into()),
        )),
        "ReplacePrefixMatch" => Ok(PathRewrite::Prefix(
            p.replace_prefix_match.clone().unwrap_or_default(),
        )),
        other => Err((
            format!("unsupported path modifier type `{other}`"),
            format!("{ptr}/type"),
        )),
    }
}

/// Compiles rule-level filters, in order.
pub fn compile_rule_filters(filters: &[HttpRouteFilter], rule_ptr: &str) -> Compiled {
    compile(filters, rule_ptr, false)
}

/// Compiles backendRef-level filters (header modifiers; a URLRewrite may set only the hostname).
pub fn compile_backend_filters(filters: &[HttpRouteFilter], backend_ptr: &str) -> Compiled {
    compile(filters, backend_ptr, true)
}

fn compile(filters: &[HttpRouteFilter], base: &str, backend: bool) -> Compiled {
    let mut c = Compiled::default();
    for (i, f) in filters.iter().enumerate() {
        let ptr = format!("{base}/filters/{i}");
        let r: Result<(), (String, String)> = (|| {
            match f.type_.as_str() {
                "RequestHeaderModifier" => {
                    if let Some(m) = &f.request_header_modifier {
                        let ops =
                            header_ops(m, &format!("{ptr}/requestHeaderModifier"), &mut c.notes)?;
                        c.req_ops.extend(ops);
                    }
                }
                "ResponseHeaderModifier" => {
                    if let Some(m) = &f.response_header_modifier {
                        let ops =
                            header_ops(m, &format!("{ptr}/responseHeaderModifier"), &mut c.notes)?;
                        c.resp_ops.extend(ops);
                    }
                }
                "RequestRedirect" => {
                    if let Some(r) = &f.request_redirect {
                        let rp = format!("{ptr}/requestRedirect");
                        let path = match &r.path {
                            Some(p) => Some(path_modifier(p, &format!("{rp}/path"))?),
                            None => None,
                        };
                        let status = r.status_code.unwrap_or(302);
                        if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                            return Err((format!("redirect status {status} is not one Envoy Gateway supports (301, 302, 303, 307, 308)"), format!("{rp}/statusCode")));
                        }
                        if let Some(s) = &r.scheme {
                            if s != "http" && s != "https" {
                                return Err((
                                    format!("redirect scheme `{s}` is not http or https"),
                                    format!("{rp}/scheme"),
                                ));
                            }
                        }
                        c.redirect = Some(RedirectSpec {
                            scheme: r.scheme.clone(),
                            hostname: r.hostname.clone(),
                            port: r.port,
                            path,
                            status: status as u16,
                            status_defaulted: r.status_code.is_none(),
                            pointer: rp,
                        });
                    }
                }
                "URLRewrite" => {
                    if let Some(r) = &f.url_rewrite {
                        let rp = format!("{ptr}/urlRewrite");
                        let path = match &r.path {
                            Some(p) if backend => {
                                c.notes.push(("Envoy Gateway applies only the hostname of a backendRef-level URLRewrite; the path part is ignored".into(), format!("{rp}/path")));
                                let _ = p;
                                None
                            }
                            Some(p) => Some(path_modifier(p, &format!("{rp}/path"))?),
                            None => None,
                        };
                        c.rewrite = Some(RewriteSpec {
                            hostname: r.hostname.clone(),
                            path,
                            pointer: rp,
                        });
                    }
                }
                "RequestMirror" | "CORS" | "ExtensionRef" | "ExternalAuth" => {}
                other => {
                    c.notes.push((
                        format!("filter type `{other}` is not modelled by the router"),
                        format!("{ptr}/type"),
                    ));
                }
            }
            Ok(())
        })();
        if let Err(e) = r {
            if c.error.is_none() {
                c.error = Some(e);
            }
        }
    }
    c
}

/// The sampled share of a RequestMirror, in percent.
pub fn mirror_percent(m: &RequestMirror) -> f64 {
    if let Some(p) = m.percent {
        return p.min(100) as f64;
    }
    if let Some(f) = &m.fraction {
        let d = f.denominator.unwrap_or(100).max(1) as f64;
        return (f.numerator as f64 / d * 100.0).clamp(0.0, 100.0);
    }
    100.0
}

/// Applies header edits in order (`add` joins an existing value with `,`).
pub fn apply_ops(ops: &[HeaderOp], headers: &mut Vec<(String, String)>) {
    for op in ops {
        match op.action {
            HeaderAction::Set => match headers.iter_mut().find(|(n, _)| *n == op.name) {
                Some((_, v)) => *v = op.value.clone(),
                None => headers.push((op.name.clone(), op.value.clone())),
            },
            HeaderAction::Add => match headers.iter_mut().find(|(n, _)| *n == op.name) {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(&op.value);
                }
                None => headers.push((op.name.clone(), op.value.clone())),
            },
            HeaderAction::Remove => headers.retain(|(n, _)| *n != op.name),
        }
    }
}

/// ReplacePrefixMatch as Envoy Gateway programs it, where `prefix` is the rule's matched PathPrefix
/// as written. A replacement of `` or `/` becomes the regex rewrite `^<prefix>/*` → `/` (so with
/// a prefix `/api/`, a bare `/api` matches the route but not the regex and is left as it is).
/// Any other replacement is Envoy's `prefix_rewrite` of the matched prefix (`/`, or the prefix
/// without its trailing `/`): trimmed of a trailing `/` for URLRewrite, taken as written for a
/// redirect, and with the prefix `/` the rest is appended without a separator.
pub fn replace_prefix(
    path: &str,
    prefix: &str,
    replacement: &str,
    kind: PrefixRewriteKind,
) -> String {
    if replacement.is_empty() || replacement == "/" {
        return match path.strip_prefix(prefix) {
            Some(rest) => format!("/{}", rest.trim_start_matches('/')),
            None => path.to_string(),
        };
    }
    let matched = if prefix == "/" {
        prefix
    } else {
        prefix.trim_end_matches('/')
    };
    let Some(rest) = path.strip_prefix(matched) else {
        return path.to_string();
    };
    let repl = match kind {
        PrefixRewriteKind::Rewrite => replacement.trim_end_matches('/'),
        PrefixRewriteKind::Redirect => replacement,
    };
    format!("{repl}{rest}")
}

/// Where a ReplacePrefixMatch appears: Envoy Gateway trims the replacement's trailing `/` for a
/// URLRewrite only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixRewriteKind {
    Rewrite,
    Redirect,
}

/// ReplacePrefixMatch, per the Gateway API reference table: `prefix` is the rule's matched
/// PathPrefix. The replacement loses a trailing `/`; the result never holds `//` and is never
/// empty. Kept to say in the trace where Envoy Gateway departs from it.
pub fn spec_replace_prefix(path: &str, prefix: &str, replacement: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    let rest = match path.strip_prefix(prefix) {
        Some(r) if r.is_empty() || r.starts_with('/') => r,
        _ => return path.to_string(),
    };
    let repl = replacement.trim_end_matches('/');
    let mut out = String::with_capacity(repl.len() + rest.len());
    out.push_str(repl);
    out.push_str(rest);
    if out.is_empty() {
        out.push('/');
    } else if !out.starts_with('/') {
        out.insert(0, '/');
    }
    out
}

/// The path (without query) after a path modifier.
pub fn rewrite_path(
    path: &str,
    m: &PathRewrite,
    matched_prefix: Option<&str>,
    kind: PrefixRewriteKind,
) -> String {
    match m {
        PathRewrite::Full(p) => p.clone(),
        PathRewrite::Prefix(r) => replace_prefix(path, matched_prefix.unwrap_or(""), r, kind),
    }
}

/// What the Gateway API table gives instead, when Envoy Gateway's ReplacePrefixMatch departs
/// from it for this request.
pub fn spec_departure(
    path: &str,
    m: &PathRewrite,
    matched_prefix: Option<&str>,
    kind: PrefixRewriteKind,
) -> Option<String> {
    let PathRewrite::Prefix(r) = m else {
        return None;
    };
    let prefix = matched_prefix.unwrap_or("");
    let spec = spec_replace_prefix(path, prefix, r);
    (spec != replace_prefix(path, prefix, r, kind)).then_some(spec)
}

/// The Location Envoy Gateway sends. `req_host` is the request Host (without port), `req_scheme`
/// `http` or `https`, `listener_port` the Gateway listener port.
pub fn location(
    r: &RedirectSpec,
    req_scheme: &str,
    req_host: &str,
    listener_port: u32,
    path: &str,
    query: Option<&str>,
    matched_prefix: Option<&str>,
) -> String {
    let scheme = r.scheme.as_deref().unwrap_or(req_scheme);
    let host = r.hostname.as_deref().unwrap_or(req_host);
    let port = r.port.unwrap_or(match r.scheme.as_deref() {
        Some("https") => 443,
        Some(_) => 80,
        None => listener_port,
    });
    let mut p = match &r.path {
        Some(m) => rewrite_path(path, m, matched_prefix, PrefixRewriteKind::Redirect),
        None => path.to_string(),
    };
    if let Some(q) = query {
        if !p.contains('?') {
            p.push('?');
            p.push_str(q);
        }
    }
    if port == 80 || port == 443 {
        format!("{scheme}://{host}{p}")
    } else {
        format!("{scheme}://{host}:{port}{p}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_prefix_reference_table() {
        // (request, prefix, replacement, upstream) from the Gateway API reference table.
        let cases = [
            ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
            ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
            ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
            ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
            ("/foo", "/foo", "/xyz", "/xyz"),
            ("/foo/", "/foo", "/xyz", "/xyz/"),
            ("/foo/bar", "/foo", "", "/bar"),
            ("/foo/", "/foo", "", "/"),
            ("/foo", "/foo", "", "/"),
            ("/foo/", "/foo", "/", "/"),
            ("/foo", "/foo", "/", "/"),
            ("/abc", "/", "/xyz", "/xyz/abc"),
            ("/", "/", "/xyz", "/xyz/"),
        ];
        for (req, prefix, repl, want) in cases {
            assert_eq!(
                spec_replace_prefix(req, prefix, repl),
                want,
                "{req} {prefix} {repl}"
            );
        }
    }

    #[test]
    fn replace_prefix_as_envoy_gateway_programs_it() {
        use PrefixRewriteKind::{Redirect, Rewrite};
        // (request, prefix as written, replacement, kind, upstream path)
        let cases = [
            ("/foo/bar", "/foo", "/xyz", Rewrite, "/xyz/bar"),
            ("/foo/bar", "/foo/", "/xyz/", Rewrite, "/xyz/bar"),
            ("/foo", "/foo", "/xyz", Rewrite, "/xyz"),
            ("/foo/", "/foo", "/xyz", Rewrite, "/xyz/"),
            ("/foo/bar", "/foo", "/xyz/", Redirect, "/xyz//bar"),
            // Empty or `/` replacements: the regex `^<prefix>/*` → `/`.
            ("/foo/bar", "/foo", "", Rewrite, "/bar"),
            ("/foo//bar", "/foo", "/", Rewrite, "/bar"),
            ("/foo", "/foo", "/", Rewrite, "/"),
            ("/api/x", "/api/", "/", Rewrite, "/x"),
            ("/api/", "/api/", "/", Rewrite, "/"),
            ("/api", "/api/", "/", Rewrite, "/api"),
            ("/api", "/api/", "", Redirect, "/api"),
            // The prefix `/` is matched as a plain prefix and replaced as it stands.
            ("/abc", "/", "/xyz", Rewrite, "/xyzabc"),
            ("/", "/", "/xyz", Rewrite, "/xyz"),
            ("/abc", "/", "/", Rewrite, "/abc"),
        ];
        for (req, prefix, repl, kind, want) in cases {
            assert_eq!(
                replace_prefix(req, prefix, repl, kind),
                want,
                "{req} {prefix} {repl} {kind:?}"
            );
        }
        let m = PathRewrite::Prefix("/".into());
        assert_eq!(
            spec_departure("/api", &m, Some("/api/"), Rewrite).as_deref(),
            Some("/")
        );
        assert_eq!(spec_departure("/api/x", &m, Some("/api/"), Rewrite), None);
    }

    fn redirect(
        scheme: Option<&str>,
        host: Option<&str>,
        port: Option<u32>,
        path: Option<PathRewrite>,
    ) -> RedirectSpec {
        RedirectSpec {
            scheme: scheme.map(Into::into),
            hostname: host.map(Into::into),
            port,
            path,
            status: 302,
            status_defaulted: true,
            pointer: String::new(),
        }
    }

    #[test]
    fn redirect_locations() {
        // (spec, listener port, expected Location) for GET http://example.com/p?q=1
        let cases = [
            (
                redirect(None, None, None, None),
                80,
                "http://example.com/p?q=1",
            ),
            (
                redirect(None, None, None, None),
                8080,
                "http://example.com:8080/p?q=1",
            ),
            (
                redirect(Some("https"), None, None, None),
                8080,
                "https://example.com/p?q=1",
            ),
            (
                redirect(Some("http"), None, None, None),
                8443,
                "http://example.com/p?q=1",
            ),
            (
                redirect(None, None, Some(8083), None),
                80,
                "http://example.com:8083/p?q=1",
            ),
            (
                redirect(Some("https"), None, Some(80), None),
                80,
                "https://example.com/p?q=1",
            ),
            (
                redirect(Some("http"), None, Some(443), None),
                80,
                "http://example.com/p?q=1",
            ),
            (
                redirect(None, Some("other.example.org"), None, None),
                80,
                "http://other.example.org/p?q=1",
            ),
            (
                redirect(None, None, None, Some(PathRewrite::Full("/new".into()))),
                80,
                "http://example.com/new?q=1",
            ),
            (
                redirect(None, None, None, Some(PathRewrite::Prefix("/v2".into()))),
                80,
                "http://example.com/v2?q=1",
            ),
        ];
        for (r, lport, want) in cases {
            assert_eq!(
                location(
                    &r,
                    "http",
                    "example.com",
                    lport,
                    "/p",
                    Some("q=1"),
                    Some("/p")
                ),
                want,
                "{r:?}"
            );
        }
    }

    #[test]
    fn header_ops_first_entry_wins_and_bad_names_fail() {
        let m: HeaderModifier = serde_json::from_value(serde_json::json!({
            "add": [{"name": "X-A", "value": "1"}], "set": [{"name": "x-a", "value": "2"}, {"name": "x-b", "value": "3"}], "remove": ["x-c"]
        }))
        .unwrap();
        let mut notes = Vec::new();
        let ops = header_ops(&m, "", &mut notes).unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(notes.len(), 1);
        let mut hs = vec![
            ("x-a".to_string(), "0".to_string()),
            ("x-c".to_string(), "z".to_string()),
        ];
        apply_ops(&ops, &mut hs);
        assert_eq!(
            hs,
            vec![
                ("x-a".to_string(), "0,1".to_string()),
                ("x-b".to_string(), "3".to_string())
            ]
        );
        let bad: HeaderModifier =
            serde_json::from_value(serde_json::json!({"set": [{"name": "Host", "value": "x"}]}))
                .unwrap();
        assert!(header_ops(&bad, "", &mut notes).is_err());
    }
}
