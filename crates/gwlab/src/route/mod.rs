//! Routing: a request → listener → winning rule → filters → a weighted backend distribution,
//! with a trace of every decision. Deterministic: the answer is a distribution, never a dice roll.

use crate::model::Model;
use crate::resolve::Resolved;
use serde::Serialize;

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub protocol: RequestProtocol,
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
    pub outcome: ShareOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ShareOutcome {
    /// Forwarded to this backend (what the backend sees).
    Backend {
        namespace: String,
        name: String,
        port: u32,
        /// Path with query the backend receives.
        path: String,
        /// Host header the backend receives.
        host: String,
        /// Headers the backend receives, after request filters (lower-cased names).
        headers: Vec<(String, String)>,
        /// Gateway→backend TLS: (SNI, CA) when a BackendTLSPolicy applies.
        tls: Option<crate::resolve::BackendTls>,
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
    /// The status code most requests get (the largest share; ties: first), or 0 for L4.
    pub status: u16,
    /// gRPC status name for gRPC requests (`OK`, `Unimplemented`, `Unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grpc_status: Option<String>,
    pub redirect: Option<Redirect>,
    pub shares: Vec<Share>,
    /// Headers added to / removed from the response by filters (after the backend answers).
    pub response_headers: Vec<(String, String)>,
    pub removed_response_headers: Vec<String>,
    /// Mirror targets (`namespace/name:port`, percent).
    pub mirrors: Vec<(String, f64)>,
    /// The matched route and rule (`Kind/ns/name`, rule index), if any.
    pub route: Option<(String, usize)>,
    /// The listener that took the request (`ns/gateway/listener`), if any.
    pub listener: Option<String>,
    pub trace: Vec<TraceStep>,
}

/// A row of the routing table: listener × hostname × match → backends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    pub listener: String,
    pub port: u32,
    pub hostname: String,
    /// Human form of the match (`PathPrefix /api, header x-env=canary`).
    pub matches: String,
    pub route: String,
    pub rule: usize,
    /// `ns/name:port (weight%)` entries, or the fixed action (`redirect 301 …`, `500`).
    pub action: String,
    /// Another entry always wins first: this one can never be reached.
    pub shadowed: bool,
    /// A request that would exercise this row (used for what-if probes and the export).
    pub probe: Option<String>,
}

/// Routes one request. Never panics.
pub fn route(model: &Model, resolved: &Resolved, req: &Request) -> Outcome {
    let _ = (model, resolved, req);
    Outcome {
        status: 404,
        grpc_status: None,
        redirect: None,
        shares: Vec::new(),
        response_headers: Vec::new(),
        removed_response_headers: Vec::new(),
        mirrors: Vec::new(),
        route: None,
        listener: None,
        trace: Vec::new(),
    }
}

/// The routing table of every programmed listener, in precedence order.
pub fn routing_table(model: &Model, resolved: &Resolved) -> Vec<TableRow> {
    let _ = (model, resolved);
    Vec::new()
}
