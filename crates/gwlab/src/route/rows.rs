//! The routing table view: every programmed listener × hostname × match, in precedence order,
//! with shadowed rows flagged and a probe request line per row.

use super::matchers::{Match, PathMatch, ValueMatch};
use super::outcome::{pct, Planned};
use super::table::{Action, ChainTarget, Entry, GwTables, HttpTable, L4Entry, LInfo, Router};
use super::{RowAction, RowBackend, RowMatch, TableRow};
use crate::resolve::{BackendTarget, Protocol, RouteKind};

impl Router {
    /// Every row of every programmed listener, in precedence order within each virtual host.
    pub fn table(&self) -> Vec<TableRow> {
        let mut rows = Vec::new();
        for gw in &self.gateways {
            for pt in &gw.ports {
                if let Some(t) = &pt.http {
                    self.http_rows(gw, t, false, &mut rows);
                }
                for c in &pt.tls {
                    match &c.target {
                        ChainTarget::Https(t) => self.http_rows(gw, t, true, &mut rows),
                        ChainTarget::Route(ai) => {
                            let l = &gw.listeners[c.listener];
                            let host = c.sni.clone().unwrap_or_else(|| "*".into());
                            let probe = format!(
                                "tls://{}:{} --gateway {}",
                                probe_host(&host),
                                l.port,
                                gw.key
                            );
                            let matches = match &c.sni {
                                Some(s) => format!("SNI {s}"),
                                None => "any SNI".into(),
                            };
                            rows.push(self.l4_row(gw, l, *ai, host, matches, Some(probe), None));
                        }
                    }
                }
                // Only the oldest TCPRoute/UDPRoute of a port is programmed (Envoy Gateway keeps one).
                for (list, scheme) in [(&pt.tcp, "tcp"), (&pt.udp, "udp")] {
                    if let Some(L4Entry { listener, action }) = list.first() {
                        let l = &gw.listeners[*listener];
                        let probe =
                            format!("{scheme}://{}:{} --gateway {}", gw.address, l.port, gw.key);
                        rows.push(self.l4_row(
                            gw,
                            l,
                            *action,
                            "*".into(),
                            "any connection".into(),
                            Some(probe),
                            None,
                        ));
                    }
                }
            }
        }
        rows
    }

    #[allow(clippy::too_many_arguments)]
    fn l4_row(
        &self,
        gw: &GwTables,
        l: &LInfo,
        ai: usize,
        hostname: String,
        matches: String,
        probe: Option<String>,
        shadowed_by: Option<usize>,
    ) -> TableRow {
        let a = &self.actions[ai];
        let (action, outcome) = action_text(a);
        TableRow {
            gateway: gw.key.to_string(),
            listener: l.id.to_string(),
            port: l.port,
            protocol: l.protocol_name().into(),
            hostname,
            matches,
            detail: None,
            route: a.route_id.to_string(),
            rule: a.rule,
            match_index: None,
            action,
            outcome,
            shadowed: shadowed_by.is_some(),
            shadowed_by,
            probe,
        }
    }

    fn http_rows(&self, gw: &GwTables, t: &HttpTable, tls: bool, rows: &mut Vec<TableRow>) {
        for vh in &t.vhosts {
            let base = rows.len();
            for (i, e) in vh.entries.iter().enumerate() {
                let a = &self.actions[e.action];
                let l = &gw.listeners[e.listener];
                let (action, outcome) = action_text(a);
                let shadowed_by = vh.shadowing(i).map(|j| base + j);
                let probe = if shadowed_by.is_none() {
                    self.probe(gw, l, &vh.name, e, a, tls)
                } else {
                    None
                };
                rows.push(TableRow {
                    gateway: gw.key.to_string(),
                    listener: l.id.to_string(),
                    port: l.port,
                    protocol: l.protocol_name().into(),
                    hostname: vh.name.to_string(),
                    matches: e.m.describe(),
                    detail: Some(row_match(&e.m)),
                    route: a.route_id.to_string(),
                    rule: a.rule,
                    match_index: e.match_index,
                    action,
                    outcome,
                    shadowed: shadowed_by.is_some(),
                    shadowed_by,
                    probe,
                });
            }
        }
    }

    /// A request line for the row, kept only if routing it really lands on the row.
    fn probe(
        &self,
        gw: &GwTables,
        l: &LInfo,
        vhost: &str,
        e: &Entry,
        a: &Action,
        tls: bool,
    ) -> Option<String> {
        let grpc = a.kind == RouteKind::Grpc;
        let mut method = if grpc {
            "POST".to_string()
        } else {
            "GET".to_string()
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        for h in &e.m.headers {
            let v = literal(&h.value)?;
            match h.name.as_str() {
                ":method" => method = v,
                ":path" | ":authority" => {}
                n => headers.push((n.to_string(), v)),
            }
        }
        let mut path = match &e.m.path {
            PathMatch::Exact(v) => v.clone(),
            PathMatch::Prefix { written, .. } => written.clone(),
            PathMatch::Regex { pattern, .. } => regex_literal(pattern)?,
        };
        if grpc {
            let suffix =
                e.m.headers
                    .iter()
                    .find(|h| h.name == ":path")
                    .map(|h| h.value.value().to_string());
            path = match (&e.m.path, suffix) {
                (_, Some(s)) => format!("/probe.Service{s}"),
                (PathMatch::Exact(v), None) => v.clone(),
                (PathMatch::Prefix { trimmed, .. }, None) if trimmed.is_empty() => {
                    "/probe.Service/Probe".into()
                }
                (PathMatch::Prefix { trimmed, .. }, None) => format!("{trimmed}/Probe"),
                (PathMatch::Regex { .. }, None) => path,
            };
        }
        let mut q = String::new();
        for c in &e.m.query {
            let v = literal(&c.value)?;
            q.push(if q.is_empty() { '?' } else { '&' });
            q.push_str(&c.name);
            q.push('=');
            q.push_str(&v);
        }
        let host = probe_host(vhost);
        let default_port = if tls { 443 } else { 80 };
        let port = if l.port == default_port {
            String::new()
        } else {
            format!(":{}", l.port)
        };
        let scheme = match (grpc, tls) {
            (true, true) => "grpcs",
            (true, false) => "grpc",
            (false, true) => "https",
            (false, false) => "http",
        };
        let url = format!("{scheme}://{host}{port}{path}{q}");
        let mut line = if grpc {
            shell(&url)
        } else {
            format!("{method} {}", shell(&url))
        };
        for (n, v) in &headers {
            line.push_str(&format!(" -H {}", shell(&format!("{n}: {v}"))));
        }
        line.push_str(&format!(" --gateway {}", gw.key));
        let req = crate::request::parse_request(&line).ok()?;
        let out = self.route_fast(&req);
        let hit = out
            .route
            .as_ref()
            .is_some_and(|(r, i)| *r == a.route_id && *i == a.rule)
            && out.match_index == e.match_index
            && out.vhost.as_deref() == Some(vhost);
        hit.then_some(line)
    }
}

fn probe_host(h: &str) -> String {
    if h == "*" {
        "probe.invalid".into()
    } else if let Some(s) = h.strip_prefix('*') {
        format!("probe{s}")
    } else {
        h.to_string()
    }
}

fn literal(v: &ValueMatch) -> Option<String> {
    match v {
        ValueMatch::Exact(x) => Some(x.clone()),
        ValueMatch::Suffix(x) => Some(x.clone()),
        ValueMatch::Regex { pattern, .. } => regex_literal(pattern),
    }
}

/// A pattern with no regex syntax matches only itself.
fn regex_literal(p: &str) -> Option<String> {
    if p.chars().any(|c| "\\.+*?()|[]{}^$".contains(c)) {
        let stripped = p
            .strip_suffix(".*")
            .filter(|s| !s.chars().any(|c| "\\.+*?()|[]{}^$".contains(c)));
        return stripped.map(|s| s.to_string());
    }
    Some(p.to_string())
}

fn shell(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=?&%+,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn row_match(m: &Match) -> RowMatch {
    let conds = |cs: &[super::matchers::Cond]| {
        cs.iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.value.type_name().to_string(),
                    c.value.value().to_string(),
                )
            })
            .collect()
    };
    RowMatch {
        path_type: m.path.type_name().into(),
        path: m.path.value().into(),
        headers: conds(&m.headers),
        query: conds(&m.query),
    }
}

fn action_text(a: &Action) -> (String, RowAction) {
    if let Some(code) = a.direct_status {
        return (format!("{code}"), RowAction::Direct { status: code });
    }
    if let Some(r) = &a.redirect {
        let mut s = format!("redirect {}", r.status);
        if let Some(x) = &r.scheme {
            s.push_str(&format!(" scheme={x}"));
        }
        if let Some(x) = &r.hostname {
            s.push_str(&format!(" host={x}"));
        }
        if let Some(x) = r.port {
            s.push_str(&format!(" port={x}"));
        }
        let path = r.path.as_ref().map(|p| match p {
            super::filters::PathRewrite::Full(v) => v.clone(),
            super::filters::PathRewrite::Prefix(v) => format!("{v}…"),
        });
        if let Some(p) = &path {
            s.push_str(&format!(" path={p}"));
        }
        return (
            s,
            RowAction::Redirect {
                status: r.status,
                scheme: r.scheme.clone(),
                hostname: r.hostname.clone(),
                port: r.port,
                path,
            },
        );
    }
    let mut parts = Vec::new();
    let mut backends = Vec::new();
    let mut invalid_weight = 0u64;
    let mut invalid_status = 0u16;
    for p in &a.plan {
        match p {
            Planned::Backend {
                backend,
                fraction,
                weight,
            } => {
                if let BackendTarget::Service {
                    namespace,
                    name,
                    port,
                    ..
                } = &*a.backends[*backend].target
                {
                    parts.push(format!("{namespace}/{name}:{port} ({})", pct(*fraction)));
                    backends.push(RowBackend {
                        namespace: namespace.to_string(),
                        name: name.to_string(),
                        port: *port,
                        weight: *weight,
                    });
                }
            }
            Planned::Status {
                code,
                fraction,
                weight,
            } => {
                parts.push(format!("{code} ({})", pct(*fraction)));
                invalid_weight = *weight;
                invalid_status = *code;
            }
            Planned::Rejected { fraction, weight } => {
                parts.push(format!("rejected ({})", pct(*fraction)));
                invalid_weight = *weight;
            }
        }
    }
    if backends.is_empty() {
        if let [Planned::Status { code, .. }] = a.plan.as_slice() {
            return (format!("{code}"), RowAction::Direct { status: *code });
        }
    }
    (
        parts.join(", "),
        RowAction::Backends {
            backends,
            invalid_weight,
            invalid_status,
        },
    )
}

#[allow(dead_code)]
fn _uses(_: Protocol) {}
