//! Local rate limiting as a burst tester. Envoy's local rate limit is a token bucket per route
//! entry (and per Envoy replica) holding `requests` tokens, refilled completely every `unit`.
//! A rule without clientSelectors is the default bucket; a request matching a selector rule uses
//! that rule's bucket instead (one per distinct value for `Distinct` selectors).

use super::effects::{cidr_contains, header, query_param, PolicyEffect, RouteContext};
use super::types::*;
use super::{PolicyIndex, PolicyKind, PolicySpec};
use crate::route::Request;
use serde::Serialize;

/// One token bucket a request draws from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Index of the rule in `rateLimit.local.rules`.
    pub rule: usize,
    /// The distinct value that keys this bucket, if any.
    pub key: Option<String>,
    pub requests: u64,
    pub unit_seconds: f64,
    pub unit: String,
}

impl Bucket {
    pub fn describe(&self) -> String {
        let k = self
            .key
            .as_ref()
            .map(|k| format!(" for {k}"))
            .unwrap_or_default();
        format!(
            "rule {}: {} requests per {}{k}",
            self.rule,
            self.requests,
            self.unit.to_lowercase()
        )
    }
}

pub fn unit_seconds(unit: &str) -> Option<f64> {
    Some(match unit {
        "Second" => 1.0,
        "Minute" => 60.0,
        "Hour" => 3600.0,
        "Day" => 86400.0,
        _ => return None,
    })
}

fn value_match(
    kind: Option<&str>,
    want: Option<&str>,
    have: Option<&str>,
) -> (bool, Option<String>) {
    match kind.unwrap_or("Exact") {
        "Distinct" => (have.is_some(), have.map(str::to_string)),
        "RegularExpression" => {
            let ok = match (want, have) {
                (Some(w), Some(h)) => regex::Regex::new(&format!("^(?:{w})$"))
                    .map(|r| r.is_match(h))
                    .unwrap_or(false),
                _ => false,
            };
            (ok, None)
        }
        _ => (have.is_some() && have == want, None),
    }
}

/// Whether a selector matches, and the distinct key it contributes.
fn selector_matches(
    sel: &ClientSelector,
    req: &Request,
    client_ip: Option<&str>,
) -> (bool, Vec<String>) {
    let mut keys = Vec::new();
    for h in &sel.headers {
        let (mut ok, key) =
            value_match(h.type_.as_deref(), h.value.as_deref(), header(req, &h.name));
        if h.invert == Some(true) {
            ok = !ok;
        }
        if !ok {
            return (false, keys);
        }
        keys.extend(key.map(|k| format!("{}={k}", h.name)));
    }
    for q in &sel.query_params {
        let have = query_param(req, &q.name);
        let (mut ok, key) = value_match(q.type_.as_deref(), q.value.as_deref(), have.as_deref());
        if q.invert == Some(true) {
            ok = !ok;
        }
        if !ok {
            return (false, keys);
        }
        keys.extend(key.map(|k| format!("?{}={k}", q.name)));
    }
    if !sel.methods.is_empty() {
        let hit = sel.methods.iter().any(|m| {
            let eq = m.value.eq_ignore_ascii_case(&req.method);
            if m.invert == Some(true) {
                !eq
            } else {
                eq
            }
        });
        if !hit {
            return (false, keys);
        }
    }
    if let Some(p) = &sel.path {
        let path = req.path.split('?').next().unwrap_or("/");
        let v = p.value.as_deref().unwrap_or("/");
        let mut ok = match p.type_.as_deref().unwrap_or("PathPrefix") {
            "Exact" => path == v,
            "RegularExpression" => regex::Regex::new(&format!("^(?:{v})$"))
                .map(|r| r.is_match(path))
                .unwrap_or(false),
            _ => {
                let v = v.trim_end_matches('/');
                v.is_empty() || path == v || path.starts_with(&format!("{v}/"))
            }
        };
        if p.invert == Some(true) {
            ok = !ok;
        }
        if !ok {
            return (false, keys);
        }
    }
    if let Some(c) = &sel.source_cidr {
        let Some(ip) = client_ip else {
            return (false, keys);
        };
        let mut ok = cidr_contains(&c.value, ip);
        if c.invert == Some(true) {
            ok = !ok;
        }
        if !ok {
            return (false, keys);
        }
        if c.type_.as_deref() == Some("Distinct") {
            keys.push(format!("client {ip}"));
        }
    }
    (true, keys)
}

/// The buckets a request consumes: every matching selector rule, or else the default rule.
pub fn matching_buckets(
    rl: &RateLimitRules,
    req: &Request,
    client_ip: Option<&str>,
) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut default = None;
    for (i, r) in rl.rules.iter().enumerate() {
        let bucket = |key: Option<String>| Bucket {
            rule: i,
            key,
            requests: r.limit.requests,
            unit_seconds: unit_seconds(&r.limit.unit).unwrap_or(1.0),
            unit: r.limit.unit.clone(),
        };
        if r.client_selectors.is_empty() {
            default.get_or_insert_with(|| bucket(None));
            continue;
        }
        // Selectors of one rule are OR-ed (each is its own descriptor set).
        for sel in &r.client_selectors {
            let (ok, keys) = selector_matches(sel, req, client_ip);
            if ok {
                out.push(bucket((!keys.is_empty()).then(|| keys.join(", "))));
                break;
            }
        }
    }
    if out.is_empty() {
        out.extend(default);
    }
    out
}

/// The verdict for one request of a burst.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BurstRequest {
    pub index: usize,
    /// Seconds since the first request.
    pub at: f64,
    pub status: u16,
    /// `x-ratelimit-*` response headers (absent when the route has no bucket).
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BurstResult {
    pub requests: Vec<BurstRequest>,
    /// Indexes of the requests answered 429.
    pub limited: Vec<usize>,
    pub buckets: Vec<Bucket>,
    /// Plain-words summary.
    pub summary: String,
}

/// Sends `n` copies of `req` at `rate` requests per second through the buckets governing `ctx`.
/// Buckets start full at the first request and refill completely at every multiple of their unit.
pub fn burst(
    index: &PolicyIndex,
    req: &Request,
    ctx: &RouteContext,
    n: usize,
    rate: f64,
) -> BurstResult {
    let rules = super::effects::governing(index, PolicyKind::BackendTraffic, ctx).and_then(
        |(pi, _, _, merged)| {
            let p = &index.policies[pi];
            let spec: Option<BackendTrafficPolicySpec> = match (merged, &p.spec) {
                (Some(raw), _) => crate::model::from_value(&raw).ok(),
                (None, PolicySpec::BackendTraffic(s)) => Some((**s).clone()),
                _ => None,
            };
            spec.and_then(|s| s.rate_limit).and_then(|r| r.local)
        },
    );
    let buckets = rules
        .as_ref()
        .map(|r| matching_buckets(r, req, ctx.client_ip.as_deref()))
        .unwrap_or_default();
    burst_buckets(&buckets, n, rate)
}

/// The token-bucket replay itself.
pub fn burst_buckets(buckets: &[Bucket], n: usize, rate: f64) -> BurstResult {
    let mut used: Vec<(u64, u64)> = vec![(u64::MAX, 0); buckets.len()]; // (window, tokens used)
    let mut requests = Vec::new();
    let mut limited = Vec::new();
    for i in 0..n {
        let at = if rate > 0.0 { i as f64 / rate } else { 0.0 };
        let mut ok = true;
        let mut headers = Vec::new();
        // A request passes only if every bucket has a token; it takes one from each.
        for (b, (win, cnt)) in buckets.iter().zip(used.iter_mut()) {
            let w = (at / b.unit_seconds).floor() as u64;
            if *win != w {
                *win = w;
                *cnt = 0;
            }
            if *cnt >= b.requests {
                ok = false;
            }
        }
        for (b, (win, cnt)) in buckets.iter().zip(used.iter_mut()) {
            if ok {
                *cnt += 1;
            }
            let reset = ((*win + 1) as f64 * b.unit_seconds - at).ceil() as u64;
            headers = vec![
                ("x-ratelimit-limit".to_string(), b.requests.to_string()),
                (
                    "x-ratelimit-remaining".to_string(),
                    b.requests.saturating_sub(*cnt).to_string(),
                ),
                ("x-ratelimit-reset".to_string(), reset.to_string()),
            ];
        }
        if !ok {
            limited.push(i);
        }
        requests.push(BurstRequest {
            index: i,
            at,
            status: if ok { 200 } else { 429 },
            headers,
        });
    }
    let summary = if buckets.is_empty() {
        format!("no local rate limit applies: all {n} requests pass")
    } else {
        format!(
            "{} of {n} requests at {rate}/s get 429 ({})",
            limited.len(),
            buckets
                .iter()
                .map(|b| b.describe())
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    BurstResult {
        requests,
        limited,
        buckets: buckets.to_vec(),
        summary,
    }
}

/// Adds a one-line rate limit fact to an effect (used by views that show a burst next to a request).
pub fn annotate(fx: &mut PolicyEffect, r: &BurstResult) {
    fx.route_facts.push(("burst".into(), r.summary.clone()));
}
