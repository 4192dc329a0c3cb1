//! One normalised answer to a probe, for both sides.

use gwlab::route::{Outcome, ShareOutcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Where a share of the traffic goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    /// `namespace/name:port` of a Service.
    Backend(String),
    /// Answered by the proxy itself with this status.
    Status(u16),
}

/// What a request gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    /// Nothing listens on the port (or no chain takes the connection).
    Refused,
    /// No virtual host or no route matches.
    NotFound,
    /// A fixed answer from the proxy.
    Direct(u16),
    /// A redirect: status and `scheme://host/path`.
    Redirect(u16, String),
    /// The oracle's route configuration for this listener is one Envoy refuses to load (two
    /// virtual hosts with the same domain): what the proxy then does depends on what it had
    /// before, so such probes are counted apart, never as agreement.
    Unloadable(String),
    /// Forwarded: shares of the traffic per target, fractions rounded to 1/1000.
    Forward(Vec<(Target, u32)>),
}

impl Answer {
    /// Shares as fractions → a canonical answer: targets merged and sorted, a lone proxy
    /// status read as a direct answer.
    pub fn forward(shares: Vec<(Target, f64)>) -> Answer {
        let mut merged: BTreeMap<Target, f64> = BTreeMap::new();
        for (t, f) in shares {
            if f > 0.0 {
                *merged.entry(t).or_default() += f;
            }
        }
        if merged.is_empty() {
            return Answer::Direct(500);
        }
        if merged.len() == 1 {
            if let Some(Target::Status(code)) = merged.keys().next() {
                return Answer::Direct(*code);
            }
        }
        Answer::Forward(
            merged
                .into_iter()
                .map(|(t, f)| (t, (f * 1000.0).round() as u32))
                .collect(),
        )
    }

    /// gwlab's outcome in this form.
    pub fn of_outcome(o: &Outcome) -> Answer {
        if let Some(r) = &o.redirect {
            return Answer::Redirect(r.status, strip_port(&r.location));
        }
        if o.route.is_none() && o.status == 404 {
            return Answer::NotFound;
        }
        if o.shares.is_empty() {
            return match o.status {
                0 => Answer::Refused,
                404 if o.route.is_none() => Answer::NotFound,
                code => Answer::Direct(code),
            };
        }
        if o.rejected() {
            return Answer::Refused;
        }
        let shares = o
            .shares
            .iter()
            .filter_map(|s| match &s.outcome {
                ShareOutcome::Backend {
                    namespace,
                    name,
                    port,
                    ..
                } => Some((
                    Target::Backend(format!("{namespace}/{name}:{port}")),
                    s.fraction,
                )),
                ShareOutcome::Status { code } => Some((Target::Status(*code), s.fraction)),
                ShareOutcome::Rejected => None,
            })
            .collect();
        Answer::forward(shares)
    }
}

/// `scheme://host:port/path?query` → `scheme://host/path` (the form both sides are compared in).
fn strip_port(location: &str) -> String {
    let (scheme, rest) = location.split_once("://").unwrap_or(("", location));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host = authority
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(authority);
    let path = path.split('?').next().unwrap_or("/");
    format!("{scheme}://{host}{path}")
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Refused => write!(f, "refused"),
            Answer::NotFound => write!(f, "404 (no route)"),
            Answer::Direct(c) => write!(f, "direct {c}"),
            Answer::Redirect(c, l) => write!(f, "redirect {c} {l}"),
            Answer::Unloadable(why) => write!(f, "unloadable ({why})"),
            Answer::Forward(s) => {
                let parts: Vec<String> = s
                    .iter()
                    .map(|(t, p)| match t {
                        Target::Backend(b) => format!("{b}={p}‰"),
                        Target::Status(c) => format!("{c}={p}‰"),
                    })
                    .collect();
                write!(f, "forward {}", parts.join(" "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_merge_and_a_lone_status_is_direct() {
        let a = Answer::forward(vec![
            (Target::Backend("d/s:80".into()), 0.25),
            (Target::Backend("d/s:80".into()), 0.25),
            (Target::Status(500), 0.5),
        ]);
        assert_eq!(
            a,
            Answer::Forward(vec![
                (Target::Backend("d/s:80".into()), 500),
                (Target::Status(500), 500)
            ])
        );
        assert_eq!(
            Answer::forward(vec![(Target::Status(500), 1.0)]),
            Answer::Direct(500)
        );
        assert_eq!(
            strip_port("https://h.example:8443/p?q=1"),
            "https://h.example/p"
        );
    }
}
