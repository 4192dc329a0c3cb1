//! Routing: a request → listener → winning rule → filters → a weighted backend distribution,
//! with a trace of every decision. Deterministic: the answer is a distribution, never a dice roll.
//!
//! The router predicts Envoy Gateway (v1.9). Tables are compiled once per analysis by
//! [`Router::new`] (per Gateway and port: one shared HTTP route table for plaintext listeners, one
//! SNI-selected chain per HTTPS/TLS listener or TLSRoute hostname, TCP/UDP by port), with every
//! rule-match sorted once by Envoy Gateway's precedence. Routing a request then only looks at the
//! candidates of the virtual host it lands in.
//!
//! Modules: [`select`] (Gateway, listener, SNI and virtual-host selection), [`table`] (compiled
//! tables), [`matchers`] (path/header/query/method and the precedence key), [`grpc`] (GRPCRoute
//! method matches), [`filters`] (redirect, rewrite, header modifiers, mirrors), [`outcome`]
//! (backend distribution and 5xx shares), [`l4`] (TLS passthrough/terminate, TCP, UDP).

pub mod cors;
pub mod filters;
pub mod grpc;
pub mod l4;
pub mod matchers;
pub mod outcome;
mod rows;
pub mod select;
pub mod table;

use crate::model::Model;
use crate::resolve::Resolved;
use serde::Serialize;
use std::sync::Arc;

pub use select::{DecidedShare, Decision};
pub use table::Router;

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub protocol: RequestProtocol,
    /// HTTP method (`POST` for gRPC, empty for L4).
    pub method: String,
    /// `http`, `https`, `grpc`, `grpcs`, `tls`, `tcp`, `udp`.
    pub scheme: String,
    /// Host header / :authority without port (lower-cased), or None to send the Gateway address.
    pub host: Option<String>,
    pub port: u16,
    /// Path with query, as sent.
    pub path: String,
    /// In the order given; names as written (matching is case-insensitive).
    pub headers: Vec<(String, String)>,
    /// TLS SNI; None for plaintext.
    pub sni: Option<String>,
    /// The client presents a certificate the listener trusts (frontend mTLS).
    pub client_certificate: bool,
    /// The Gateway addressed (`namespace/name` or `name`); None = the first Gateway with a
    /// programmed listener on the port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// The external authorization service denies this request (`--ext-auth deny`); by default
    /// it allows.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ext_auth_denies: bool,
}

impl Request {
    /// A plain `GET http://host/path` request (a convenience for tests and probes).
    pub fn http(method: &str, host: Option<&str>, port: u16, path: &str) -> Request {
        Request {
            protocol: RequestProtocol::Http,
            method: method.to_string(),
            scheme: "http".into(),
            host: host.map(|h| h.to_ascii_lowercase()),
            port,
            path: path.to_string(),
            headers: Vec::new(),
            sni: None,
            client_certificate: false,
            gateway: None,
            ext_auth_denies: false,
        }
    }
    /// Whether the client speaks TLS to the Gateway.
    pub fn is_tls(&self) -> bool {
        matches!(self.scheme.as_str(), "https" | "grpcs" | "tls")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RequestProtocol {
    Http,
    Grpc,
    Tls,
    Tcp,
    Udp,
}

/// One share of the traffic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    /// Fraction of matching requests, 0.0..=1.0.
    pub fraction: f64,
    /// The configured weight behind this share (the pooled weight for a 5xx share), 0 when fixed.
    pub weight: u64,
    pub outcome: ShareOutcome,
}

/// One response-header edit, applied to what the backend answers, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderOp {
    /// `set`, `add` or `remove`.
    pub action: HeaderAction,
    /// Lower-cased.
    pub name: String,
    /// Empty for `remove`.
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderAction {
    Set,
    Add,
    Remove,
}

/// Applies response-header edits to the headers a backend sent (`add` joins with `,`).
pub fn apply_header_ops(ops: &[HeaderOp], headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect();
    filters::apply_ops(ops, &mut out);
    out
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ShareOutcome {
    /// Forwarded to this backend (what the backend sees).
    ///
    /// The text is shared (`Arc`): names come from the router and are not copied per request,
    /// and the forwarded path, host and headers are built once per request and shared by every
    /// share that forwards them unchanged.
    Backend {
        namespace: Arc<str>,
        name: Arc<str>,
        port: u32,
        /// Path with query the backend receives.
        path: Arc<str>,
        /// Host header the backend receives.
        host: Arc<str>,
        /// Headers the backend receives, after request filters (lower-cased names; repeated
        /// values comma-joined).
        headers: Arc<[(String, String)]>,
        /// Gateway→backend TLS: (SNI, CA) when a BackendTLSPolicy applies.
        tls: Option<crate::resolve::BackendTls>,
        /// Response-header edits for this share (rule-level, then backend-level filters).
        response_header_ops: Vec<HeaderOp>,
        /// TLS passthrough: the client's own TLS stream reaches the backend (SNI unchanged).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        passthrough: bool,
    },
    /// Answered by the gateway itself with this status (500 for invalid shares, 503 no endpoints).
    Status { code: u16 },
    /// The connection is refused (L4 / TLS).
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Redirect {
    pub status: u16,
    pub location: String,
}

/// One step of the explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceStep {
    /// `listener`, `vhost`, `candidate`, `winner`, `filter`, `backend`, `policy`, `note`.
    pub stage: String,
    pub message: String,
    /// The object and field this step is about (`Kind/ns/name`, JSON pointer) for jump-to-source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The status code most requests get (the largest share; ties: first), or 0 when the
    /// connection is refused or for L4 traffic.
    pub status: u16,
    /// gRPC status name for gRPC requests (`OK`, `Unimplemented`, `Unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grpc_status: Option<String>,
    pub redirect: Option<Redirect>,
    pub shares: Vec<Share>,
    /// Headers added to / set on the response by filters, for the largest share.
    pub response_headers: Vec<(String, String)>,
    pub removed_response_headers: Vec<String>,
    /// The response-header edits of the largest share, in order (see [`apply_header_ops`]).
    pub response_header_ops: Vec<HeaderOp>,
    /// Mirror targets (`namespace/name:port`, percent).
    pub mirrors: Vec<(String, f64)>,
    /// The matched route and rule (`Kind/ns/name`, rule index), if any. Names here are shared
    /// with the router (`Arc`), so answering a request copies no text.
    pub route: Option<(Arc<str>, usize)>,
    /// The match index within the rule (None when the rule has no matches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_index: Option<usize>,
    /// The listener that took the request (`ns/gateway/listener`), if any.
    pub listener: Option<Arc<str>>,
    /// The Gateway addressed (`ns/name`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Arc<str>>,
    /// The virtual host (HTTP) or SNI pattern (TLS) chosen, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<Arc<str>>,
    pub trace: Vec<TraceStep>,
}

impl Outcome {
    pub(crate) fn empty() -> Outcome {
        Outcome {
            status: 0,
            grpc_status: None,
            redirect: None,
            shares: Vec::new(),
            response_headers: Vec::new(),
            removed_response_headers: Vec::new(),
            response_header_ops: Vec::new(),
            mirrors: Vec::new(),
            route: None,
            match_index: None,
            listener: None,
            gateway: None,
            vhost: None,
            trace: Vec::new(),
        }
    }
    /// The share with the most traffic (ties: the first).
    pub fn primary(&self) -> Option<&Share> {
        let mut best: Option<&Share> = None;
        for s in &self.shares {
            if best.is_none_or(|b| s.fraction > b.fraction) {
                best = Some(s);
            }
        }
        best
    }
    /// The connection was refused (no listener, no SNI match, L4 rejection of the main share).
    pub fn rejected(&self) -> bool {
        matches!(
            self.primary().map(|s| &s.outcome),
            Some(ShareOutcome::Rejected)
        )
    }
}

/// A row of the routing table: listener × hostname × match → backends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    /// `ns/gateway`.
    pub gateway: String,
    /// `ns/gateway/listener`.
    pub listener: String,
    pub port: u32,
    /// `HTTP`, `HTTPS`, `TLS`, `TCP`, `UDP`.
    pub protocol: String,
    /// The virtual host (HTTP), the SNI (TLS) or `*`.
    pub hostname: String,
    /// Human form of the match (`PathPrefix /api, header x-env = canary`).
    pub matches: String,
    /// Structured match, for comparisons (None for L4 rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<RowMatch>,
    /// `Kind/ns/name`.
    pub route: String,
    pub rule: usize,
    /// The match index within the rule (None when the rule has no matches).
    pub match_index: Option<usize>,
    /// `ns/name:port (weight%)` entries, or the fixed action (`redirect 301 …`, `500`).
    pub action: String,
    /// Structured action, for comparisons.
    pub outcome: RowAction,
    /// Another entry always wins first: this one can never be reached.
    pub shadowed: bool,
    /// The earlier row that always wins over this one (index into the returned rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadowed_by: Option<usize>,
    /// A request that would exercise this row (used for what-if probes and the export).
    pub probe: Option<String>,
}

/// A row's match as data (Envoy Gateway IR terms: `:method` is a header).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowMatch {
    /// `Exact`, `PathPrefix` or `RegularExpression`.
    pub path_type: String,
    pub path: String,
    /// (name, type, value); type is `Exact`, `RegularExpression` or `Suffix`.
    pub headers: Vec<(String, String, String)>,
    pub query: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum RowAction {
    /// Weighted destinations plus the pooled weight that answers 5xx (or rejects, for L4).
    Backends {
        backends: Vec<RowBackend>,
        invalid_weight: u64,
        invalid_status: u16,
    },
    Redirect {
        status: u16,
        scheme: Option<String>,
        hostname: Option<String>,
        port: Option<u32>,
        path: Option<String>,
    },
    Direct {
        status: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowBackend {
    pub namespace: String,
    pub name: String,
    pub port: u32,
    pub weight: u64,
}

/// Routes one request. Never panics. Compiles the tables first: for many requests build a
/// [`Router`] once (or use `Analysis::router`).
pub fn route(model: &Model, resolved: &Resolved, req: &Request) -> Outcome {
    Router::new(model, resolved).route(req)
}

/// The routing table of every programmed listener, in precedence order.
pub fn routing_table(model: &Model, resolved: &Resolved) -> Vec<TableRow> {
    Router::new(model, resolved).table()
}

/// Collects trace steps only when asked, so the fast path allocates nothing for them.
pub(crate) struct Tracer {
    pub on: bool,
    pub steps: Vec<TraceStep>,
}

impl Tracer {
    pub fn new(on: bool) -> Tracer {
        Tracer {
            on,
            steps: Vec::new(),
        }
    }
    #[inline]
    pub fn step(
        &mut self,
        stage: &str,
        f: impl FnOnce() -> (String, Option<String>, Option<String>),
    ) {
        if self.on {
            let (message, object, pointer) = f();
            self.steps.push(TraceStep {
                stage: stage.to_string(),
                message,
                object,
                pointer,
            });
        }
    }
    #[inline]
    pub fn note(&mut self, stage: &str, f: impl FnOnce() -> String) {
        if self.on {
            self.steps.push(TraceStep {
                stage: stage.to_string(),
                message: f(),
                object: None,
                pointer: None,
            });
        }
    }
}

#[cfg(test)]
mod tests;
