//! ClientTrafficPolicy effects on what the router sees: header-name checks, path normalization
//! and client IP detection. These apply even with no ClientTrafficPolicy (Envoy Gateway's defaults).

use super::attach::Level;
use super::effects::{cidr_contains, header};
use super::types::*;
use super::{PolicyIndex, PolicyKind, PolicySpec};
use crate::route::{Request, TraceStep};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientView {
    /// The request as the router sees it (normalized path, dropped headers).
    pub request: Request,
    /// The listener answers before routing (400 for underscores, 307 for escaped slashes, …).
    pub reply: Option<(u16, String)>,
    /// `location` of a redirect reply.
    pub location: Option<String>,
    /// The detected client IP (drives CIDR authorization and rate limits).
    pub client_ip: Option<String>,
    /// The ClientTrafficPolicy in force (`namespace/name`).
    pub policy: Option<String>,
    pub trace: Vec<TraceStep>,
}

/// The ClientTrafficPolicy configuring a listener, if any.
pub fn policy_for<'a>(
    index: &'a PolicyIndex,
    gateway_namespace: &str,
    gateway: &str,
    listener: &str,
) -> Option<(&'a super::Policy, &'a ClientTrafficPolicySpec)> {
    index.attachments.iter().find_map(|a| {
        let p = &index.policies[a.policy];
        if p.kind != PolicyKind::ClientTraffic {
            return None;
        }
        match (&a.level, &p.spec) {
            (
                Level::Listener {
                    gateway_namespace: ns,
                    gateway: g,
                    listener: l,
                },
                PolicySpec::ClientTraffic(s),
            ) if ns == gateway_namespace && g == gateway && l == listener => Some((p, &**s)),
            _ => None,
        }
    })
}

/// RFC 3986 remove_dot_segments on a path (no query).
pub fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segs: Vec<&str> = path.split('/').collect();
    for (i, s) in segs.iter().enumerate().skip(1) {
        match *s {
            "." => {
                if i == segs.len() - 1 {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == segs.len() - 1 {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

fn merge_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// Applies the listener's client settings to a request. `peer_ip` is the TCP peer (the client, or
/// the last proxy in front of the gateway).
pub fn client_view(
    index: &PolicyIndex,
    gateway_namespace: &str,
    gateway: &str,
    listener: &str,
    req: &Request,
    peer_ip: Option<&str>,
) -> ClientView {
    let pol = policy_for(index, gateway_namespace, gateway, listener);
    let spec = pol.map(|p| p.1.clone()).unwrap_or_default();
    let obj = pol.map(|(p, _)| format!("ClientTrafficPolicy/{}/{}", p.namespace, p.name));
    let mut v = ClientView {
        request: req.clone(),
        reply: None,
        location: None,
        client_ip: peer_ip.map(str::to_string),
        policy: pol.map(|(p, _)| format!("{}/{}", p.namespace, p.name)),
        trace: Vec::new(),
    };
    let step = |v: &mut ClientView, m: String, ptr: Option<&str>| {
        v.trace.push(TraceStep {
            stage: "listener".into(),
            message: m,
            object: obj.clone(),
            pointer: ptr.map(str::to_string),
        })
    };

    // Header names with underscores.
    let action = spec
        .headers
        .as_ref()
        .and_then(|h| h.with_underscores_action.clone())
        .unwrap_or_else(|| "RejectRequest".into());
    let under: Vec<String> = req
        .headers
        .iter()
        .filter(|(k, _)| k.contains('_'))
        .map(|(k, _)| k.clone())
        .collect();
    if !under.is_empty() {
        match action.as_str() {
            "Allow" => step(
                &mut v,
                format!("headers {under:?} contain underscores; the policy allows them"),
                Some("/spec/headers/withUnderscoresAction"),
            ),
            "DropHeader" => {
                v.request.headers.retain(|(k, _)| !k.contains('_'));
                step(
                    &mut v,
                    format!("headers {under:?} contain underscores and are dropped"),
                    Some("/spec/headers/withUnderscoresAction"),
                );
            }
            _ => {
                v.reply = Some((400, format!("header {:?} contains an underscore; Envoy Gateway rejects such requests by default", under[0])));
                step(&mut v, format!("header {:?} has an underscore in its name: 400 Bad Request (headers.withUnderscoresAction defaults to RejectRequest)", under[0]), Some("/spec/headers"));
                return v;
            }
        }
    }

    // Path normalization.
    let (path, query) = match req.path.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (req.path.clone(), None),
    };
    let escaped = ["%2F", "%2f", "%5C", "%5c"]
        .iter()
        .any(|e| path.contains(e));
    let mut new_path = path.clone();
    if escaped {
        let action = spec
            .path
            .as_ref()
            .and_then(|p| p.escaped_slashes_action.clone())
            .unwrap_or_else(|| "UnescapeAndRedirect".into());
        let unescaped = path
            .replace("%2F", "/")
            .replace("%2f", "/")
            .replace("%5C", "\\")
            .replace("%5c", "\\");
        match action.as_str() {
            "KeepUnchanged" => {}
            "RejectRequest" => {
                v.reply = Some((400, "escaped slashes are rejected".into()));
                step(&mut v, "the path has escaped slashes (%2F/%5C): 400 (escapedSlashesAction RejectRequest)".into(), Some("/spec/path/escapedSlashesAction"));
                return v;
            }
            "UnescapeAndForward" => new_path = unescaped,
            _ => {
                let mut loc = merge_and_normalize(&unescaped, &spec);
                if let Some(q) = &query {
                    loc = format!("{loc}?{q}");
                }
                v.reply = Some((
                    307,
                    "escaped slashes are unescaped and the client redirected".into(),
                ));
                step(&mut v, format!("the path has escaped slashes (%2F/%5C): redirect to {loc} (the default escapedSlashesAction is UnescapeAndRedirect)"), Some("/spec/path"));
                v.location = Some(loc);
                return v;
            }
        }
    }
    let normalized = merge_and_normalize(&new_path, &spec);
    if normalized != path {
        step(
            &mut v,
            format!("the path {path} is normalized to {normalized} before routing"),
            Some("/spec/path"),
        );
    }
    v.request.path = match query {
        Some(q) => format!("{normalized}?{q}"),
        None => normalized,
    };

    // Client IP detection.
    if let Some(c) = &spec.client_ip_detection {
        if let Some(ch) = &c.custom_header {
            match header(req, &ch.name) {
                Some(ip) if ip.trim().parse::<std::net::IpAddr>().is_ok() => {
                    v.client_ip = Some(ip.trim().to_string());
                    step(
                        &mut v,
                        format!("client IP {} taken from header {}", ip.trim(), ch.name),
                        Some("/spec/clientIPDetection/customHeader"),
                    );
                }
                _ if ch.fail_closed == Some(true) => {
                    v.reply = Some((403, format!("no valid client IP in header {}", ch.name)));
                    step(
                        &mut v,
                        format!(
                            "header {} has no valid IP and failClosed is set: 403",
                            ch.name
                        ),
                        Some("/spec/clientIPDetection/customHeader"),
                    );
                    return v;
                }
                _ => step(
                    &mut v,
                    format!(
                        "header {} has no valid IP; the peer address is used",
                        ch.name
                    ),
                    Some("/spec/clientIPDetection/customHeader"),
                ),
            }
        } else if let Some(x) = &c.x_forwarded_for {
            let xff: Vec<String> = req
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("x-forwarded-for"))
                .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
                .filter(|s| !s.is_empty())
                .collect();
            let detected = if !x.trusted_cidrs.is_empty() {
                let trusted = |ip: &str| x.trusted_cidrs.iter().any(|c| cidr_contains(c, ip));
                if peer_ip.is_some_and(trusted) {
                    xff.iter()
                        .rev()
                        .find(|ip| !trusted(ip))
                        .cloned()
                        .or_else(|| xff.first().cloned())
                } else {
                    None
                }
            } else {
                let n = x.num_trusted_hops.unwrap_or(0) as usize;
                (n > 0 && xff.len() >= n).then(|| xff[xff.len() - n].clone())
            };
            match detected {
                Some(ip) => {
                    step(
                        &mut v,
                        format!("client IP {ip} taken from X-Forwarded-For {xff:?}"),
                        Some("/spec/clientIPDetection/xForwardedFor"),
                    );
                    v.client_ip = Some(ip);
                }
                None => step(
                    &mut v,
                    "X-Forwarded-For does not yield a trusted client IP; the peer address is used"
                        .into(),
                    Some("/spec/clientIPDetection/xForwardedFor"),
                ),
            }
        }
    } else if header(req, "x-forwarded-for").is_some() {
        step(
            &mut v,
            "X-Forwarded-For is not trusted by default: the client IP is the peer address".into(),
            None,
        );
    }
    v
}

fn merge_and_normalize(path: &str, spec: &ClientTrafficPolicySpec) -> String {
    let merge = !spec
        .path
        .as_ref()
        .and_then(|p| p.disable_merge_slashes)
        .unwrap_or(false);
    let p = if merge {
        merge_slashes(path)
    } else {
        path.to_string()
    };
    remove_dot_segments(&p)
}
