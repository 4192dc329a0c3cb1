//! A small evaluator of Envoy configuration (egctl's xDS config dump), with Envoy's documented
//! semantics: the listener by port, the filter chain, the virtual host by domain (exact, then the
//! longest suffix wildcard, then the longest prefix wildcard, then `*`), the first route whose
//! match holds, and its action (weighted clusters as shares, direct responses, redirects).

use crate::answer::{Answer, Target};
use crate::probe::Probe;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;

fn gs<'v>(v: &'v Value, p: &str) -> Option<&'v str> {
    v.pointer(p).and_then(Value::as_str)
}

fn arr<'v>(v: &'v Value, p: &str) -> &'v [Value] {
    v.pointer(p)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Envoy Gateway's listener port for a Gateway port: privileged ports move up by 10000.
pub fn container_port(port: u16) -> u32 {
    if port < 1024 {
        port as u32 + 10000
    } else {
        port as u32
    }
}

/// One proxy's configuration: listeners, route configurations and clusters by name.
#[derive(Debug, Default)]
pub struct Envoy {
    listeners: Vec<Value>,
    routes: BTreeMap<String, Value>,
    clusters: BTreeMap<String, Value>,
    endpoints: BTreeMap<String, Value>,
    /// Service cluster IP → `namespace/name`, to name the backends behind an endpoint.
    service_ips: BTreeMap<String, String>,
}

impl Envoy {
    /// Reads a config dump (`{configs: [...]}`); `service_ips` maps cluster IPs to Services.
    pub fn from_dump(dump: &Value, service_ips: BTreeMap<String, String>) -> Envoy {
        let mut e = Envoy {
            service_ips,
            ..Envoy::default()
        };
        for c in arr(dump, "/configs") {
            for l in arr(c, "/dynamicListeners") {
                if let Some(l) = l.pointer("/activeState/listener") {
                    e.listeners.push(l.clone());
                }
            }
            for l in arr(c, "/staticListeners") {
                if let Some(l) = l.get("listener") {
                    e.listeners.push(l.clone());
                }
            }
            for r in arr(c, "/dynamicRouteConfigs") {
                if let Some(rc) = r.get("routeConfig") {
                    e.routes
                        .insert(gs(rc, "/name").unwrap_or("").to_string(), rc.clone());
                }
            }
            for k in ["/dynamicActiveClusters", "/staticClusters"] {
                for cl in arr(c, k) {
                    if let Some(cl) = cl.get("cluster") {
                        e.clusters
                            .insert(gs(cl, "/name").unwrap_or("").to_string(), cl.clone());
                    }
                }
            }
            for ep in arr(c, "/dynamicEndpointConfigs") {
                if let Some(cfg) = ep.get("endpointConfig") {
                    e.endpoints.insert(
                        gs(cfg, "/clusterName").unwrap_or("").to_string(),
                        cfg.clone(),
                    );
                }
            }
        }
        e
    }

    fn listener_on(&self, port: u16) -> Option<&Value> {
        let want = container_port(port) as u64;
        self.listeners.iter().find(|l| {
            l.pointer("/address/socketAddress/portValue")
                .and_then(Value::as_u64)
                == Some(want)
        })
    }

    /// The route configuration a plaintext HTTP request on `port` is served by.
    fn route_config_for<'a>(&'a self, listener: &'a Value) -> Option<&'a Value> {
        let mut chains: Vec<&Value> = arr(listener, "/filterChains").iter().collect();
        if let Some(d) = listener.get("defaultFilterChain") {
            chains.push(d);
        }
        for chain in chains {
            // A plaintext request takes a chain that asks for no SNI and no TLS transport.
            if chain.pointer("/filterChainMatch/serverNames").is_some()
                || chain.get("transportSocket").is_some()
            {
                continue;
            }
            for f in arr(chain, "/filters") {
                if let Some(name) = gs(f, "/typedConfig/rds/routeConfigName") {
                    return self.routes.get(name);
                }
                if let Some(rc) = f.pointer("/typedConfig/routeConfig") {
                    return Some(rc);
                }
            }
        }
        None
    }

    /// What Envoy answers `probe`.
    pub fn answer(&self, probe: &Probe) -> Answer {
        let Some(listener) = self.listener_on(probe.port) else {
            return Answer::Refused;
        };
        let Some(rc) = self.route_config_for(listener) else {
            return Answer::Refused;
        };
        if let Some(d) = duplicate_domain(arr(rc, "/virtualHosts")) {
            return Answer::Unloadable(format!(
                "domain {d} in two virtual hosts of {}",
                gs(rc, "/name").unwrap_or("?")
            ));
        }
        let host = probe.host.to_ascii_lowercase();
        let Some(vh) = select_virtual_host(arr(rc, "/virtualHosts"), &host) else {
            return Answer::NotFound;
        };
        for route in arr(vh, "/routes") {
            if route_matches(route.get("match").unwrap_or(&Value::Null), probe) {
                return self.action(route, probe);
            }
        }
        Answer::NotFound
    }

    fn action(&self, route: &Value, probe: &Probe) -> Answer {
        if let Some(d) = route.get("directResponse") {
            return Answer::Direct(d.get("status").and_then(Value::as_u64).unwrap_or(0) as u16);
        }
        if let Some(r) = route.get("redirect") {
            return Answer::Redirect(redirect_code(r), redirect_location(r, probe));
        }
        let Some(ra) = route.get("route") else {
            return Answer::Direct(0);
        };
        let mut shares: Vec<(Target, f64)> = Vec::new();
        let not_found = not_found_code(ra);
        if let Some(c) = gs(ra, "/cluster") {
            shares.extend(self.cluster_shares(c, 1.0, not_found));
        } else {
            let clusters = arr(ra, "/weightedClusters/clusters");
            let total: f64 = clusters
                .iter()
                .map(|c| c.get("weight").and_then(Value::as_f64).unwrap_or(0.0))
                .sum();
            for c in clusters {
                let w = c.get("weight").and_then(Value::as_f64).unwrap_or(0.0);
                if total > 0.0 && w > 0.0 {
                    shares.extend(self.cluster_shares(
                        gs(c, "/name").unwrap_or(""),
                        w / total,
                        not_found,
                    ));
                }
            }
        }
        Answer::forward(shares)
    }

    /// A cluster's traffic as backends. Envoy Gateway writes one cluster per backendRef; each
    /// locality is a backend, weighted, and names the Service it came from in its metadata
    /// (else the endpoint address names it, by cluster IP). A cluster that does not exist gets
    /// the route's `clusterNotFoundResponseCode` (Envoy's default: 503).
    fn cluster_shares(&self, name: &str, fraction: f64, not_found: u16) -> Vec<(Target, f64)> {
        if !self.clusters.contains_key(name) {
            return vec![(Target::Status(not_found), fraction)];
        }
        let assignment = self.endpoints.get(name).or_else(|| {
            self.clusters
                .get(name)
                .and_then(|c| c.get("loadAssignment"))
        });
        let Some(assignment) = assignment else {
            return vec![(Target::Status(503), fraction)];
        };
        let localities = arr(assignment, "/endpoints");
        let weight = |l: &Value| {
            l.get("loadBalancingWeight")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
        };
        let total: f64 = localities.iter().map(weight).sum();
        let mut out = Vec::new();
        for l in localities {
            let share = if total > 0.0 {
                fraction * weight(l) / total
            } else {
                0.0
            };
            let Some(ep) = arr(l, "/lbEndpoints").first() else {
                // A locality without endpoints: no healthy upstream.
                out.push((Target::Status(503), share));
                continue;
            };
            let port = ep
                .pointer("/endpoint/address/socketAddress/portValue")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let named = arr(l, "/metadata/filterMetadata/envoy-gateway/resources")
                .first()
                .and_then(|r| Some(format!("{}/{}", gs(r, "/namespace")?, gs(r, "/name")?)));
            let svc = named.unwrap_or_else(|| {
                let ip = gs(ep, "/endpoint/address/socketAddress/address").unwrap_or("");
                self.service_ips
                    .get(ip)
                    .cloned()
                    .unwrap_or_else(|| ip.to_string())
            });
            out.push((Target::Backend(format!("{svc}:{port}")), share));
        }
        if out.is_empty() {
            out.push((Target::Status(503), fraction));
        }
        out
    }
}

fn not_found_code(route_action: &Value) -> u16 {
    match gs(route_action, "/clusterNotFoundResponseCode") {
        Some("INTERNAL_SERVER_ERROR") => 500,
        Some("NOT_FOUND") => 404,
        _ => 503,
    }
}

fn redirect_code(r: &Value) -> u16 {
    match gs(r, "/responseCode").unwrap_or("MOVED_PERMANENTLY") {
        "FOUND" => 302,
        "SEE_OTHER" => 303,
        "TEMPORARY_REDIRECT" => 307,
        "PERMANENT_REDIRECT" => 308,
        _ => 301,
    }
}

/// The redirect's scheme, host and path (the port is left out: both sides are compared on the
/// parts a redirect names).
fn redirect_location(r: &Value, probe: &Probe) -> String {
    let scheme = gs(r, "/schemeRedirect")
        .map(String::from)
        .unwrap_or_else(|| {
            if r.get("httpsRedirect").is_some() {
                "https".into()
            } else {
                "http".into()
            }
        });
    let host = gs(r, "/hostRedirect")
        .map(String::from)
        .unwrap_or_else(|| probe.host.to_ascii_lowercase());
    let path_only = probe.path.split('?').next().unwrap_or("/");
    let path = gs(r, "/pathRedirect").unwrap_or(path_only);
    format!("{scheme}://{host}{path}")
}

/// A domain listed by two virtual hosts: Envoy refuses such a route configuration ("only unique
/// values for domains are permitted").
fn duplicate_domain(vhosts: &[Value]) -> Option<String> {
    let mut seen = std::collections::BTreeSet::new();
    for vh in vhosts {
        for d in arr(vh, "/domains").iter().filter_map(Value::as_str) {
            if !seen.insert(d.to_ascii_lowercase()) {
                return Some(d.to_string());
            }
        }
    }
    None
}

/// Envoy's virtual host selection: exact, then the longest `*.suffix`, then the longest
/// `prefix*`, then `*`.
pub fn select_virtual_host<'v>(vhosts: &'v [Value], host: &str) -> Option<&'v Value> {
    let domains = |vh: &'v Value| {
        arr(vh, "/domains")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
    };
    if let Some(vh) = vhosts
        .iter()
        .find(|vh| domains(vh).iter().any(|d| d == host))
    {
        return Some(vh);
    }
    let mut best: Option<(usize, &Value)> = None;
    for vh in vhosts {
        for d in domains(vh) {
            if d.len() > 1
                && d.starts_with('*')
                && host.len() > d.len() - 1
                && host.ends_with(&d[1..])
                && best.is_none_or(|(n, _)| d.len() > n)
            {
                best = Some((d.len(), vh));
            }
        }
    }
    if let Some((_, vh)) = best {
        return Some(vh);
    }
    for vh in vhosts {
        for d in domains(vh) {
            if d.len() > 1
                && d.ends_with('*')
                && host.len() > d.len() - 1
                && host.starts_with(&d[..d.len() - 1])
                && best.is_none_or(|(n, _)| d.len() > n)
            {
                best = Some((d.len(), vh));
            }
        }
    }
    if let Some((_, vh)) = best {
        return Some(vh);
    }
    vhosts
        .iter()
        .find(|vh| domains(vh).iter().any(|d| d == "*"))
}

/// A full-string RE2-style match.
fn full_match(re: &str, s: &str) -> bool {
    Regex::new(&format!("^(?:{re})$")).is_ok_and(|r| r.is_match(s))
}

/// Envoy's StringMatcher.
fn string_match(m: &Value, s: &str) -> bool {
    let ic = m
        .get("ignoreCase")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (s, fold) = if ic {
        (s.to_ascii_lowercase(), true)
    } else {
        (s.to_string(), false)
    };
    let f = |v: &str| {
        if fold {
            v.to_ascii_lowercase()
        } else {
            v.to_string()
        }
    };
    if let Some(v) = gs(m, "/exact") {
        return s == f(v);
    }
    if let Some(v) = gs(m, "/prefix") {
        return s.starts_with(&f(v));
    }
    if let Some(v) = gs(m, "/suffix") {
        return s.ends_with(&f(v));
    }
    if let Some(v) = gs(m, "/contains") {
        return s.contains(&f(v));
    }
    if let Some(re) = gs(m, "/safeRegex/regex") {
        return full_match(re, &s);
    }
    false
}

fn header_value(probe: &Probe, name: &str) -> Option<String> {
    match name {
        ":method" => Some(probe.method.clone()),
        ":path" => Some(probe.path.clone()),
        ":authority" => Some(probe.host.clone()),
        _ => {
            let vals: Vec<&str> = probe
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .collect();
            if vals.is_empty() {
                None
            } else {
                Some(vals.join(","))
            }
        }
    }
}

fn header_matches(h: &Value, probe: &Probe) -> bool {
    let name = gs(h, "/name").unwrap_or("");
    let value = header_value(probe, name);
    let invert = h
        .get("invertMatch")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let hit = if let Some(sm) = h.get("stringMatch") {
        value.as_deref().is_some_and(|v| string_match(sm, v))
    } else if let Some(re) = gs(h, "/safeRegexMatch/regex") {
        value.as_deref().is_some_and(|v| full_match(re, v))
    } else if let Some(v) = gs(h, "/exactMatch") {
        value.as_deref() == Some(v)
    } else if let Some(p) = h.get("presentMatch").and_then(Value::as_bool) {
        value.is_some() == p
    } else {
        value.is_some()
    };
    hit != invert
}

fn query_params(path: &str) -> Vec<(String, String)> {
    let Some((_, q)) = path.split_once('?') else {
        return Vec::new();
    };
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .unwrap_or((kv.to_string(), String::new()))
        })
        .collect()
}

fn query_matches(q: &Value, probe: &Probe) -> bool {
    let name = gs(q, "/name").unwrap_or("");
    let value = query_params(&probe.path)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v);
    if let Some(sm) = q.get("stringMatch") {
        return value.as_deref().is_some_and(|v| string_match(sm, v));
    }
    if let Some(p) = q.get("presentMatch").and_then(Value::as_bool) {
        return value.is_some() == p;
    }
    value.is_some()
}

/// Envoy's RouteMatch: the path specifier, then every header and query parameter matcher.
pub fn route_matches(m: &Value, probe: &Probe) -> bool {
    let full = probe.path.as_str();
    let path = full.split('?').next().unwrap_or("");
    let cs = m
        .get("caseSensitive")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let fold = |s: &str| {
        if cs {
            s.to_string()
        } else {
            s.to_ascii_lowercase()
        }
    };
    let path_ok = if let Some(p) = gs(m, "/prefix") {
        fold(full).starts_with(&fold(p))
    } else if let Some(p) = gs(m, "/path") {
        fold(path) == fold(p)
    } else if let Some(p) = gs(m, "/pathSeparatedPrefix") {
        let (pp, pv) = (fold(path), fold(p));
        pp == pv || pp.starts_with(&pv) && pp.as_bytes().get(pv.len()) == Some(&b'/')
    } else if let Some(re) = gs(m, "/safeRegex/regex") {
        full_match(re, path)
    } else {
        false
    };
    path_ok
        && arr(m, "/headers").iter().all(|h| header_matches(h, probe))
        && arr(m, "/queryParameters")
            .iter()
            .all(|q| query_matches(q, probe))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn probe(host: &str, path: &str) -> Probe {
        Probe {
            port: 80,
            host: host.into(),
            method: "GET".into(),
            path: path.into(),
            headers: Vec::new(),
        }
    }

    #[test]
    fn virtual_hosts_are_chosen_exact_then_suffix_then_prefix_then_any() {
        let vhs = vec![
            json!({"name": "any", "domains": ["*"]}),
            json!({"name": "pre", "domains": ["a.*"]}),
            json!({"name": "short", "domains": ["*.com"]}),
            json!({"name": "long", "domains": ["*.example.com"]}),
            json!({"name": "exact", "domains": ["a.example.com"]}),
        ];
        let pick = |h: &str| {
            select_virtual_host(&vhs, h)
                .and_then(|v| v["name"].as_str())
                .unwrap_or("none")
                .to_string()
        };
        assert_eq!(pick("a.example.com"), "exact");
        assert_eq!(pick("b.example.com"), "long");
        assert_eq!(pick("b.other.com"), "short");
        assert_eq!(pick("a.org"), "pre");
        assert_eq!(pick("zzz"), "any");
    }

    #[test]
    fn path_specifiers_follow_envoy() {
        assert!(route_matches(
            &json!({"pathSeparatedPrefix": "/api"}),
            &probe("h", "/api/x")
        ));
        assert!(route_matches(
            &json!({"pathSeparatedPrefix": "/api"}),
            &probe("h", "/api?q=1")
        ));
        assert!(!route_matches(
            &json!({"pathSeparatedPrefix": "/api"}),
            &probe("h", "/apix")
        ));
        assert!(route_matches(
            &json!({"prefix": "/"}),
            &probe("h", "/anything")
        ));
        assert!(route_matches(&json!({"path": "/a"}), &probe("h", "/a?x=1")));
        assert!(!route_matches(&json!({"path": "/a"}), &probe("h", "/A")));
        assert!(route_matches(
            &json!({"safeRegex": {"regex": "/v[0-9]+"}}),
            &probe("h", "/v2")
        ));
        assert!(!route_matches(
            &json!({"safeRegex": {"regex": "/v[0-9]+"}}),
            &probe("h", "/v2/x")
        ));
        let m = json!({"prefix": "/", "headers": [{"name": "x-env", "stringMatch": {"exact": "prod"}}], "queryParameters": [{"name": "q", "stringMatch": {"exact": "1"}}]});
        let mut p = probe("h", "/?q=1");
        assert!(!route_matches(&m, &p));
        p.headers.push(("x-env".into(), "prod".into()));
        assert!(route_matches(&m, &p));
    }
}
