//! What the export needs to know, independent of how the analysis computed it.
//!
//! Everything here is plain data; [`super::bundle`] turns it into a lab bundle. Names and values are taken as
//! untrusted text: the generators quote them for YAML and for the shell and never interpret them.

use serde::{Deserialize, Serialize};

/// The whole input of an export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportInput {
    /// The user's files, in load order: (file name, YAML text exactly as written). Written to `manifests/`
    /// verbatim and applied in this order.
    pub manifests: Vec<(String, String)>,
    /// Namespaces the objects live in. Each is created (idempotently) before anything is applied, so manifests
    /// that do not define their namespaces still apply; `default` and `kube-*` are skipped.
    pub namespaces: Vec<String>,
    /// Services referenced by routes and defined in the manifests.
    pub backends: Vec<BackendService>,
    /// Every Gateway the predictions go through.
    pub gateways: Vec<GatewayInfo>,
    /// GatewayClass names the Gateways use that the manifests do not define; the bundle creates them for
    /// Envoy Gateway's controller.
    pub missing_gateway_classes: Vec<String>,
    /// TLS Secrets that listeners reference but the manifests do not define: (namespace, name, DNS names the
    /// certificate must cover). Each becomes a cert-manager Certificate from the lab's self-signed CA.
    pub missing_tls_secrets: Vec<(String, String, Vec<String>)>,
    /// The manifests contain cert-manager kinds, or `missing_tls_secrets` is not empty.
    pub uses_cert_manager: bool,
    /// One per request to verify, in order.
    pub predictions: Vec<Prediction>,
    /// The same predictions in the gwlab test format (docs/test-format.md), written as `expect.yaml`; its
    /// `manifests:` paths should be relative to the bundle root (`manifests/<file>`).
    pub expectations_yaml: String,
    /// Requests the export did not turn into predictions because the bundle's cap
    /// ([`MAX_VERIFY_CASES`](super::MAX_VERIFY_CASES)) was reached; the runbook and verify.sh say so.
    #[serde(default)]
    pub requests_left_out: usize,
}

/// A Service port's targetPort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetPort {
    Number(u16),
    Name(String),
}

/// A Service a route sends traffic to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendService {
    pub namespace: String,
    pub name: String,
    /// (port, targetPort) for each Service port.
    pub ports: Vec<(u16, TargetPort)>,
    /// The Service's `spec.selector`. The generated echo Deployment's pods carry exactly these labels (plus one
    /// of their own). A Service without a selector gets no generated backend.
    pub selector: Vec<(String, String)>,
    /// The manifests define a Deployment (or Pod, StatefulSet, …) whose pods this Service selects; then no
    /// echo backend is generated for it.
    pub has_workload: bool,
}

/// A Gateway and what its Envoy Service must expose.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GatewayInfo {
    pub namespace: String,
    pub name: String,
    /// `spec.gatewayClassName`.
    pub class_name: String,
    pub listeners: Vec<ListenerInfo>,
    /// An EnvoyProxy from the manifests that already shapes this Gateway's Envoy Service, as (namespace, name):
    /// the Gateway's own `infrastructure.parametersRef`, or the GatewayClass's when `merged`. The bundle then
    /// patches that object (type NodePort, fixed nodePorts) instead of attaching one of its own.
    pub envoy_proxy: Option<(String, String)>,
    /// The class's EnvoyProxy sets `mergeGateways: true`: all Gateways of the class share one Envoy Service.
    pub merged: bool,
}

/// One listener of a Gateway.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListenerInfo {
    pub name: String,
    pub port: u16,
    /// HTTP, HTTPS, TLS, TCP or UDP.
    pub protocol: String,
    pub hostname: Option<String>,
}

/// A request and what the simulator predicts for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Printed in `PASS name` / `FAIL name: …`.
    pub name: String,
    /// The request line in the test format, e.g. `GET http://app.example.com/ -H 'x-env: canary'`.
    pub request_line: String,
    pub method: String,
    /// `http` or `https`; other schemes (tls, tcp, udp, grpc) are listed by verify.sh as skipped.
    pub scheme: String,
    /// Host header value without the port.
    pub host: String,
    /// The listener port the request is sent to.
    pub port: u16,
    /// Path with query, as sent.
    pub path: String,
    /// Extra request headers, in order.
    pub headers: Vec<(String, String)>,
    /// The TLS SNI when it differs from `host` (https only).
    pub sni: Option<String>,
    /// The Gateway (namespace, name) the request is meant for, when several Gateways listen on `port`
    /// without sharing an Envoy Service. None: the first Gateway with that port.
    pub gateway: Option<(String, String)>,
    pub expect: Expected,
}

/// What must come back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    pub status: u16,
    /// The Service (namespace, name) whose pod answers.
    pub backend: Option<(String, String)>,
    /// Path (with query) the backend receives.
    pub backend_path: Option<String>,
    /// Host header the backend receives.
    pub backend_host: Option<String>,
    /// Headers the backend receives, exact values (several values of one header joined by `,`).
    pub request_headers: Vec<(String, String)>,
    pub absent_request_headers: Vec<String>,
    /// Exact `Location` response header.
    pub location: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub absent_response_headers: Vec<String>,
    /// Shares of answering Services in percent (adding up to 100); replaces `backend`.
    pub distribution: Option<Vec<((String, String), f64)>>,
}

impl Default for Expected {
    fn default() -> Self {
        Expected {
            status: 200,
            backend: None,
            backend_path: None,
            backend_host: None,
            request_headers: Vec::new(),
            absent_request_headers: Vec::new(),
            location: None,
            response_headers: Vec::new(),
            absent_response_headers: Vec::new(),
            distribution: None,
        }
    }
}

/// One file of the bundle; `path` is relative to the bundle root and uses `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub path: String,
    pub contents: String,
    pub executable: bool,
}
