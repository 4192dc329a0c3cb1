//! Requests derived from a configuration's routes: one that each match should take, plus near
//! misses (a character off, another host, a header or query parameter dropped, another method,
//! a port nothing listens on).

use crate::gen::{HEADER_REGEXES, REGEXES};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// A plain HTTP request, as both sides are asked it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Probe {
    pub port: u16,
    pub host: String,
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
}

impl Probe {
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} http://{}:{}{}",
            self.method, self.host, self.port, self.path
        );
        for (n, v) in &self.headers {
            s.push_str(&format!(" -H {n}:{v}"));
        }
        s
    }
}

/// At most this many probes per configuration: enough to cover every match, bounded so that a
/// large generated configuration cannot make the comparison slow.
pub const MAX_PROBES: usize = 160;

fn gs<'v>(v: &'v Value, p: &str) -> Option<&'v str> {
    v.pointer(p).and_then(Value::as_str)
}

/// A concrete host a hostname pattern admits.
fn host_for(pattern: &str) -> String {
    match pattern.strip_prefix("*.") {
        Some(rest) => format!("w.{rest}"),
        None => pattern.to_string(),
    }
}

/// Paths a path match should take, then near misses.
fn paths_for(m: &Value) -> Vec<String> {
    let value = gs(m, "/path/value").unwrap_or("/");
    match gs(m, "/path/type").unwrap_or("PathPrefix") {
        "Exact" => vec![
            value.to_string(),
            format!("{value}x"),
            value.to_ascii_uppercase(),
        ],
        "RegularExpression" => {
            let example = REGEXES
                .iter()
                .find(|(r, _)| *r == value)
                .map(|(_, e)| e.to_string())
                .unwrap_or_else(|| "/".into());
            vec![
                example.clone(),
                format!("{example}/x"),
                format!("/x{example}"),
            ]
        }
        _ => {
            let trimmed = value.trim_end_matches('/');
            if trimmed.is_empty() {
                return vec!["/".into(), "/sub".into()];
            }
            vec![
                value.to_string(),
                format!("{trimmed}/sub"),
                format!("{trimmed}x"),
                trimmed.to_string(),
            ]
        }
    }
}

fn header_value_for(h: &Value) -> (String, String) {
    let name = gs(h, "/name").unwrap_or("x").to_ascii_lowercase();
    let value = gs(h, "/value").unwrap_or("");
    if gs(h, "/type") == Some("RegularExpression") {
        let example = HEADER_REGEXES
            .iter()
            .find(|(r, _)| *r == value)
            .map(|(_, e)| e.to_string())
            .unwrap_or_default();
        (name, example)
    } else {
        (name, value.to_string())
    }
}

/// Every probe for the configuration `docs`, deduplicated, in a stable order.
pub fn probes(docs: &[Value]) -> Vec<Probe> {
    let mut ports: BTreeSet<u16> = BTreeSet::new();
    let mut listener_hosts: BTreeSet<String> = BTreeSet::new();
    for g in docs.iter().filter(|d| d["kind"] == "Gateway") {
        for l in g
            .pointer("/spec/listeners")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            // HTTP listeners only: the probes are HTTP requests.
            .filter(|l| l["protocol"] == "HTTP")
        {
            if let Some(p) = l.get("port").and_then(Value::as_u64) {
                ports.insert(p as u16);
            }
            listener_hosts.insert(
                l.get("hostname")
                    .and_then(Value::as_str)
                    .map(host_for)
                    .unwrap_or_else(|| "any.test".into()),
            );
        }
    }
    let mut out: BTreeSet<Probe> = BTreeSet::new();
    let mut add = |p: Probe| {
        if out.len() < MAX_PROBES {
            out.insert(p);
        }
    };
    for r in docs.iter().filter(|d| d["kind"] == "HTTPRoute") {
        let mut hosts: Vec<String> = r
            .pointer("/spec/hostnames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(host_for)
            .collect();
        if hosts.is_empty() {
            hosts = listener_hosts.iter().cloned().collect();
        }
        hosts.push("nowhere.test".into());
        for rule in r
            .pointer("/spec/rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut matches: Vec<Value> = rule
                .get("matches")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if matches.is_empty() {
                matches.push(Value::Null);
            }
            for m in &matches {
                let headers: Vec<(String, String)> = m
                    .get("headers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(header_value_for)
                    .collect();
                let query: Vec<String> = m
                    .get("queryParams")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|q| {
                        format!(
                            "{}={}",
                            gs(q, "/name").unwrap_or("q"),
                            gs(q, "/value").unwrap_or("")
                        )
                    })
                    .collect();
                let method = m
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or("GET")
                    .to_string();
                let paths = if m.is_null() {
                    vec!["/".to_string(), "/any/thing".to_string()]
                } else {
                    paths_for(m)
                };
                for &port in &ports {
                    for (hi, host) in hosts.iter().enumerate() {
                        for (pi, path) in paths.iter().enumerate() {
                            // The full request; near misses vary one thing at a time, on the first host.
                            let full_path = if query.is_empty() {
                                path.clone()
                            } else {
                                format!("{path}?{}", query.join("&"))
                            };
                            let base = Probe {
                                port,
                                host: host.clone(),
                                method: method.clone(),
                                path: full_path.clone(),
                                headers: headers.clone(),
                            };
                            if hi > 0 && pi > 0 {
                                continue;
                            }
                            add(base.clone());
                            if hi == 0 && pi == 0 {
                                if !headers.is_empty() {
                                    add(Probe {
                                        headers: Vec::new(),
                                        ..base.clone()
                                    });
                                }
                                if !query.is_empty() {
                                    add(Probe {
                                        path: path.clone(),
                                        ..base.clone()
                                    });
                                }
                                if m.get("method").is_some() {
                                    add(Probe {
                                        method: if method == "GET" {
                                            "POST".into()
                                        } else {
                                            "GET".into()
                                        },
                                        ..base.clone()
                                    });
                                }
                                add(Probe {
                                    host: host.to_ascii_uppercase(),
                                    ..base.clone()
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(&p) = ports.iter().next() {
        add(Probe {
            port: 9999,
            host: "any.test".into(),
            method: "GET".into(),
            path: "/".into(),
            headers: Vec::new(),
        });
        add(Probe {
            port: p,
            host: "any.test".into(),
            method: "GET".into(),
            path: "/".into(),
            headers: Vec::new(),
        });
    }
    out.into_iter().collect()
}
