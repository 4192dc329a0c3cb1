//! From an [`Analysis`] to an [`ExportInput`]: the user's files, the Services and Gateways the lab needs, and one
//! prediction per request (the given request lines, then one probe per routing-table row).
//!
//! The lab creates what the manifests leave out (GatewayClasses the Gateways name, TLS Secrets the listeners
//! reference), so the predictions are made against the manifests *plus* those generated objects: that is what
//! the cluster will run. `expect.yaml` loads the same generated files, so `gwlab test expect.yaml` inside the
//! bundle checks the same predictions against the simulator.
//!
//! Requests the lab cannot check with curl against echo backends (refused connections, splits between backends
//! and gateway-answered statuses, client certificates, requests without SNI or Host) stay in `expect.yaml` and
//! are left out of the lab's predictions, each with a note. TLS, TCP, UDP and gRPC requests become predictions
//! that `verify.sh` lists as skipped.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::generated;
use super::input::{
    BackendService, Expected, ExportInput, GatewayInfo, ListenerInfo, Prediction, TargetPort,
};
use super::versions::Versions;
use crate::model::{Body, IntOrString, Model, EG_GROUP};
use crate::resolve::{BackendTarget, Protocol, ENVOY_GATEWAY_CONTROLLER};
use crate::route::{HeaderAction, HeaderOp, Outcome, Request, RequestProtocol, ShareOutcome};
use crate::{Analysis, Input, Options};

/// An export and what it could not carry into the lab.
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub input: ExportInput,
    /// One line per request kept out of the lab's predictions (it stays in `expect.yaml`), and per request line
    /// that does not parse.
    pub notes: Vec<String>,
}

/// The export input for `analysis`: `request_lines` first (in order), then one probe per routing-table row.
pub fn export_input(analysis: &Analysis, request_lines: &[String]) -> ExportInput {
    export(analysis, request_lines).input
}

/// The lab bundle as a zip (see [`super::zip()`]), for a browser download.
pub fn export_zip(analysis: &Analysis, request_lines: &[String], versions: &Versions) -> Vec<u8> {
    super::zip(&super::bundle(
        &export_input(analysis, request_lines),
        versions,
    ))
}

/// Workload kinds whose pods a Service can select.
const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Headers echo-basic sets on its own answers: an `add` of one of these joins its value, so the lab does not
/// assert the exact value.
const ECHO_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "date",
    "x-content-type-options",
];

/// Like [`export_input`], with notes on what the lab does not check.
pub fn export(analysis: &Analysis, request_lines: &[String]) -> Export {
    let model = &analysis.model;
    let opts = Options {
        controller_name: controller_name(analysis),
    };
    let ours = opts.controller_name == ENVOY_GATEWAY_CONTROLLER;

    // Manifests under the names the bundle gives them.
    let manifests: Vec<(String, String)> = model
        .files
        .iter()
        .map(|f| (base_name(&f.name), f.text.clone()))
        .collect();
    let user_files = super::safe_file_names(&manifests);

    let missing_gateway_classes = if ours {
        missing_classes(model)
    } else {
        Vec::new()
    };
    let mut missing_tls_secrets = if ours {
        missing_secrets(model, &opts.controller_name)
    } else {
        Vec::new()
    };

    // Predict against what the lab runs: the manifests plus the generated classes and certificates.
    let mut extra: Vec<(String, String)> = Vec::new();
    if !missing_gateway_classes.is_empty() {
        extra.push((
            "manifests/generated/gatewayclasses.yaml".into(),
            generated::gatewayclasses_yaml(&missing_gateway_classes),
        ));
    }
    if !missing_tls_secrets.is_empty() {
        let tmp = ExportInput {
            missing_tls_secrets: missing_tls_secrets.clone(),
            ..Default::default()
        };
        extra.push((
            "manifests/generated/certificates.yaml".into(),
            generated::certificates_yaml(&tmp),
        ));
    }
    let augmented;
    let a: &Analysis = if extra.is_empty() {
        analysis
    } else {
        let mut inputs: Vec<Input> = model
            .files
            .iter()
            .map(|f| Input::new(f.name.clone(), f.text.clone()))
            .collect();
        inputs.extend(extra.iter().map(|(n, t)| Input::new(n.clone(), t.clone())));
        augmented = crate::analyze_with(&inputs, &opts, analysis.load_options());
        &augmented
    };

    // Requests: the given lines, then the probes of the routing table (each line once), up to the bundle's cap:
    // past it a request is only counted, never routed.
    let mut notes = Vec::new();
    let mut cases: Vec<(String, String, Request)> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut requests_left_out = 0;
    for line in request_lines {
        let line = line.trim();
        if line.is_empty() || !seen.insert(line.to_string()) {
            continue;
        }
        if cases.len() >= super::MAX_VERIFY_CASES {
            requests_left_out += 1;
            continue;
        }
        match crate::parse_request(line) {
            Ok(req) => cases.push((String::new(), line.to_string(), req)),
            Err(d) => notes.push(format!(
                "`{line}` is not a request line ({}); it is left out",
                d.message
            )),
        }
    }
    for row in a.routing_table() {
        let Some(probe) = row.probe.clone() else {
            continue;
        };
        if !seen.insert(probe.clone()) {
            continue;
        }
        if cases.len() >= super::MAX_VERIFY_CASES {
            requests_left_out += 1;
            continue;
        }
        let Ok(req) = crate::parse_request(&probe) else {
            continue;
        };
        let at = match row.match_index {
            Some(m) => format!("rule {} match {m}", row.rule),
            None => format!("rule {}", row.rule),
        };
        cases.push((
            format!("{} {at} ({}, {})", row.route, row.hostname, row.matches),
            probe,
            req,
        ));
    }

    let backend_services = backends(a);
    let mut predictions = Vec::new();
    let mut requests_yaml = Vec::new();
    // SNI names served by listeners without a hostname, per listener id, to put into the generated certificates.
    let mut served: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, line, req) in &cases {
        let o = a.route_fast(req); // the trace is not part of the bundle
        let mut entry = Map::new();
        if !name.is_empty() {
            entry.insert("name".into(), json!(name));
        }
        entry.insert("request".into(), json!(line));
        entry.insert("expect".into(), Value::Object(expect_yaml(&o, req)));
        requests_yaml.push(Value::Object(entry));
        match prediction(&o, req, name, line, &backend_services) {
            Ok(p) => {
                if p.scheme == "https" {
                    if let Some(l) = &o.listener {
                        let sni = p.sni.clone().unwrap_or_else(|| p.host.clone());
                        let v = served.entry(l.to_string()).or_default();
                        if !v.contains(&sni) {
                            v.push(sni);
                        }
                    }
                }
                predictions.push(p);
            }
            Err(why) => notes.push(format!("`{line}`: {why}; only expect.yaml checks it")),
        }
    }

    // Listeners without a hostname: their certificate covers the names the predictions send.
    let wildcard_listeners = secret_listeners_without_hostname(model, &opts.controller_name);
    for (ns, name, names) in &mut missing_tls_secrets {
        for l in wildcard_listeners
            .get(&(ns.clone(), name.clone()))
            .into_iter()
            .flatten()
        {
            for sni in served.get(l).into_iter().flatten() {
                if !names.contains(sni) {
                    names.push(sni.clone());
                }
            }
        }
    }

    let mut spec = Map::new();
    let mut files: Vec<Value> = user_files
        .iter()
        .map(|f| json!(format!("manifests/{f}")))
        .collect();
    files.extend(extra.iter().map(|(n, _)| json!(n)));
    spec.insert("manifests".into(), Value::Array(files));
    if opts.controller_name != ENVOY_GATEWAY_CONTROLLER {
        spec.insert("controller".into(), json!(opts.controller_name));
    }
    spec.insert("requests".into(), Value::Array(requests_yaml));
    let mut expectations_yaml = String::from(
        "# The lab's predictions in the gwlab test format (docs/test-format.md): the given requests, then one probe per\n\
         # routing-table row. `gwlab test expect.yaml` checks them against the simulator; ./verify.sh against the lab.\n",
    );
    if !extra.is_empty() {
        expectations_yaml
            .push_str("# The generated manifests are loaded too: the lab creates those objects.\n");
    }
    expectations_yaml.push_str(&crate::emit::to_yaml(&Value::Object(spec)));

    let uses_cert_manager = !missing_tls_secrets.is_empty()
        || model.objects.iter().any(|o| o.group() == "cert-manager.io");
    let mut namespaces: Vec<String> = Vec::new();
    let mut add_ns = |ns: &str| {
        if !ns.is_empty() && !namespaces.iter().any(|n| n == ns) {
            namespaces.push(ns.to_string());
        }
    };
    for o in &model.objects {
        add_ns(&o.namespace);
        if matches!(o.body, Body::Namespace) {
            add_ns(&o.meta.name);
        }
    }
    for (ns, _, _) in &missing_tls_secrets {
        add_ns(ns);
    }

    let input = ExportInput {
        manifests,
        namespaces,
        backends: backend_services,
        gateways: gateways(a),
        missing_gateway_classes,
        missing_tls_secrets,
        uses_cert_manager,
        predictions,
        expectations_yaml,
        requests_left_out,
    };
    notes.extend(super::cap_note(&input));
    Export { input, notes }
}

/// The controller the analysis acted as: the controllerName of a GatewayClass it wrote status for.
fn controller_name(a: &Analysis) -> String {
    for s in &a.resolved.statuses {
        if let Some(Body::GatewayClass(spec)) = a.model.objects.get(s.object).map(|o| &o.body) {
            return spec.controller_name.clone();
        }
    }
    ENVOY_GATEWAY_CONTROLLER.to_string()
}

/// The file name without its directories (`<stdin>` becomes `stdin.yaml`).
fn base_name(name: &str) -> String {
    if name == "<stdin>" || name == "-" {
        return "stdin.yaml".into();
    }
    name.rsplit(['/', '\\']).next().unwrap_or(name).to_string()
}

/// GatewayClass names the Gateways use that no GatewayClass defines.
fn missing_classes(model: &Model) -> Vec<String> {
    let defined: BTreeSet<&str> = model
        .objects
        .iter()
        .filter(|o| matches!(o.body, Body::GatewayClass(_)))
        .map(|o| o.name())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for o in &model.objects {
        if let Body::Gateway(g) = &o.body {
            let c = g.gateway_class_name.as_str();
            if !c.is_empty() && !defined.contains(c) && !out.iter().any(|x| x == c) {
                out.push(c.to_string());
            }
        }
    }
    out
}

/// Gateways the lab's Envoy Gateway owns: their class is ours or missing (the lab creates it as ours).
fn lab_gateway(model: &Model, class: &str, controller: &str) -> bool {
    !model.objects.iter().any(|o| matches!(&o.body, Body::GatewayClass(c) if o.name() == class && c.controller_name != controller))
}

/// Every terminating listener's certificate Secrets: ((namespace, name), listener id, listener hostname).
fn certificate_refs(
    model: &Model,
    controller: &str,
) -> Vec<((String, String), String, Option<String>)> {
    let gateway_class = |ns: &str, name: &str| {
        model.objects.iter().find_map(|o| match &o.body {
            Body::Gateway(g) if o.namespace == ns && o.name() == name => {
                Some(g.gateway_class_name.clone())
            }
            _ => None,
        })
    };
    let mut out = Vec::new();
    for o in &model.objects {
        let (gw_ns, gw_name, listeners) = match &o.body {
            Body::Gateway(g) => (o.namespace.clone(), o.name().to_string(), &g.listeners),
            Body::ListenerSet(ls) => {
                let p = &ls.parent_ref;
                (
                    p.namespace_or(&o.namespace).to_string(),
                    p.name.clone(),
                    &ls.listeners,
                )
            }
            _ => continue,
        };
        let Some(class) = gateway_class(&gw_ns, &gw_name) else {
            continue;
        };
        if !lab_gateway(model, &class, controller) {
            continue;
        }
        for l in listeners {
            let Some(tls) = &l.tls else { continue };
            if l.tls_mode() != Some("Terminate") || !matches!(l.protocol.as_str(), "HTTPS" | "TLS")
            {
                continue;
            }
            for r in &tls.certificate_refs {
                if !r.group_or("").is_empty()
                    || r.kind_or("Secret") != "Secret"
                    || r.name.is_empty()
                {
                    continue;
                }
                let ns = r.namespace_or(&o.namespace).to_string();
                out.push((
                    (ns, r.name.clone()),
                    format!("{gw_ns}/{gw_name}/{}", l.name),
                    l.hostname().map(str::to_string),
                ));
            }
        }
    }
    out
}

/// TLS Secrets the listeners reference that neither a Secret nor a cert-manager Certificate provides.
fn missing_secrets(model: &Model, controller: &str) -> Vec<(String, String, Vec<String>)> {
    let mut provided: BTreeSet<(String, String)> = BTreeSet::new();
    for o in &model.objects {
        match &o.body {
            Body::Secret(_) => {
                provided.insert((o.namespace.clone(), o.name().to_string()));
            }
            Body::Extension(v) if o.kind == "Certificate" && o.group() == "cert-manager.io" => {
                if let Some(s) = v.pointer("/spec/secretName").and_then(Value::as_str) {
                    provided.insert((o.namespace.clone(), s.to_string()));
                }
            }
            _ => {}
        }
    }
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for ((ns, name), _, host) in certificate_refs(model, controller) {
        if provided.contains(&(ns.clone(), name.clone())) {
            continue;
        }
        let i = match out.iter().position(|(n, s, _)| *n == ns && *s == name) {
            Some(i) => i,
            None => {
                out.push((ns, name, Vec::new()));
                out.len() - 1
            }
        };
        if let Some(h) = host {
            if !out[i].2.contains(&h) {
                out[i].2.push(h);
            }
        }
    }
    out
}

/// Listener ids (`ns/gateway/listener`) without a hostname, per certificate Secret they serve.
fn secret_listeners_without_hostname(
    model: &Model,
    controller: &str,
) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (secret, listener, host) in certificate_refs(model, controller) {
        if host.is_none() {
            out.entry(secret).or_default().push(listener);
        }
    }
    out
}

/// Every Service a resolved backendRef or mirror reaches, first reference first.
fn backends(a: &Analysis) -> Vec<BackendService> {
    let model = &a.model;
    let workloads = workloads(model);
    let mut out: Vec<BackendService> = Vec::new();
    for r in &a.resolved.routes {
        for rule in &r.rules {
            for b in rule.backends.iter().chain(&rule.mirrors) {
                let BackendTarget::Service {
                    namespace, name, ..
                } = &*b.target
                else {
                    continue;
                };
                if out
                    .iter()
                    .any(|s| *s.namespace == **namespace && *s.name == **name)
                {
                    continue;
                }
                let Some(spec) = model.objects.iter().find_map(|o| match &o.body {
                    Body::Service(s) if *o.namespace == **namespace && o.name() == &**name => {
                        Some(s)
                    }
                    _ => None,
                }) else {
                    continue;
                };
                let ports = spec
                    .ports
                    .iter()
                    .filter_map(|p| {
                        let port = u16::try_from(p.port).ok().filter(|p| *p > 0)?;
                        let target = match &p.target_port {
                            None => TargetPort::Number(port),
                            Some(IntOrString::Int(i)) => {
                                TargetPort::Number(u16::try_from(*i).ok().filter(|p| *p > 0)?)
                            }
                            Some(IntOrString::String(s)) => TargetPort::Name(s.clone()),
                        };
                        Some((port, target))
                    })
                    .collect();
                let selector: Vec<(String, String)> = spec
                    .selector
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                let has_workload = !selector.is_empty()
                    && workloads.iter().any(|(ns, labels)| {
                        **ns == **namespace
                            && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
                    });
                out.push(BackendService {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    ports,
                    selector,
                    has_workload,
                });
            }
        }
    }
    out
}

/// The pod labels of every workload in the manifests, with its namespace. Workloads load as ignored objects, so
/// their pod templates are read from the source text.
fn workloads(model: &Model) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out = Vec::new();
    if !model
        .objects
        .iter()
        .any(|o| matches!(o.body, Body::Ignored) && WORKLOAD_KINDS.contains(&o.kind.as_str()))
    {
        return out;
    }
    for f in &model.files {
        let (docs, _) = crate::source::parse_stream(&f.text);
        for d in docs {
            let items = match d.value.get("items").and_then(Value::as_array) {
                Some(items)
                    if d.value
                        .get("kind")
                        .and_then(Value::as_str)
                        .is_some_and(|k| k.ends_with("List")) =>
                {
                    items.clone()
                }
                _ => vec![d.value],
            };
            for v in items {
                let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
                let ptr = match kind {
                    "Pod" => "/metadata/labels",
                    "CronJob" => "/spec/jobTemplate/spec/template/metadata/labels",
                    k if WORKLOAD_KINDS.contains(&k) => "/spec/template/metadata/labels",
                    _ => continue,
                };
                let ns = v
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .unwrap_or("default");
                let labels: BTreeMap<String, String> = v
                    .pointer(ptr)
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    v.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| v.to_string()),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push((ns.to_string(), labels));
            }
        }
    }
    out
}

fn protocol_name(p: Protocol) -> Option<&'static str> {
    Some(match p {
        Protocol::Http => "HTTP",
        Protocol::Https => "HTTPS",
        Protocol::Tls => "TLS",
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Unsupported => return None,
    })
}

/// The EnvoyProxy `namespace/name` a reference names, when the manifests define it.
fn envoy_proxy(
    model: &Model,
    r: &crate::model::ObjectRef,
    default_ns: &str,
) -> Option<(String, String)> {
    if r.group_or("") != EG_GROUP || r.kind_or("") != "EnvoyProxy" {
        return None;
    }
    let ns = r.namespace_or(default_ns);
    model
        .objects
        .iter()
        .find(|o| {
            o.kind == "EnvoyProxy"
                && o.group() == EG_GROUP
                && o.namespace == ns
                && o.name() == r.name
        })
        .map(|o| (o.namespace.clone(), o.name().to_string()))
}

/// Every Gateway the simulated controller owns, with its listeners and Envoy Service shape.
fn gateways(a: &Analysis) -> Vec<GatewayInfo> {
    let model = &a.model;
    let mut out = Vec::new();
    for g in &a.resolved.gateways {
        let Some(obj) = model.objects.get(g.object) else {
            continue;
        };
        let Body::Gateway(spec) = &obj.body else {
            continue;
        };
        let class = model.objects.iter().find_map(|o| match &o.body {
            Body::GatewayClass(c) if o.name() == spec.gateway_class_name => Some(c),
            _ => None,
        });
        let class_proxy = class
            .and_then(|c| c.parameters_ref.as_ref())
            .and_then(|r| envoy_proxy(model, r, ""));
        let merged = class_proxy.as_ref().is_some_and(|(ns, n)| {
            model.objects.iter().any(|o| {
                o.kind == "EnvoyProxy"
                    && o.namespace == *ns
                    && o.name() == n
                    && matches!(&o.body, Body::Extension(v) if v.pointer("/spec/mergeGateways").and_then(Value::as_bool) == Some(true))
            })
        });
        let own = spec
            .infrastructure
            .as_ref()
            .and_then(|i| i.parameters_ref.as_ref())
            .and_then(|r| envoy_proxy(model, r, &obj.namespace));
        let envoy_proxy = if merged { class_proxy } else { own };
        let listeners = g
            .listeners
            .iter()
            .filter_map(|l| {
                Some(ListenerInfo {
                    name: l.name.clone(),
                    port: u16::try_from(l.port).ok().filter(|p| *p > 0)?,
                    protocol: protocol_name(l.protocol)?.to_string(),
                    hostname: l.hostname.clone(),
                })
            })
            .collect();
        out.push(GatewayInfo {
            namespace: g.namespace.clone(),
            name: g.name.clone(),
            class_name: spec.gateway_class_name.clone(),
            listeners,
            envoy_proxy,
            merged,
        });
    }
    out
}

// ------------------------------------------------------------------------------------------- expectations

fn refused(o: &Outcome) -> bool {
    o.rejected()
        || (!o.shares.is_empty()
            && o.shares
                .iter()
                .all(|s| matches!(s.outcome, ShareOutcome::Rejected) || s.fraction == 0.0))
        || (o.shares.is_empty() && o.status == 0)
}

/// Values of a header (case-insensitive), joined by `,`.
fn header(hs: &[(String, String)], name: &str) -> Option<String> {
    let v: Vec<&str> = hs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!v.is_empty()).then(|| v.join(","))
}

/// A percentage as JSON: an integer when whole, else two decimals.
fn pct_value(p: f64) -> Value {
    let r = (p * 100.0).round() / 100.0;
    if (r - r.round()).abs() < 1e-9 {
        json!(r.round() as i64)
    } else {
        json!(r)
    }
}

/// The backend shares: (fraction, namespace, name, port, outcome).
fn backend_shares(o: &Outcome) -> Vec<(f64, &ShareOutcome)> {
    o.shares
        .iter()
        .filter(|s| s.fraction > 0.0 && matches!(s.outcome, ShareOutcome::Backend { .. }))
        .map(|s| (s.fraction, &s.outcome))
        .collect()
}

/// What every backend share agrees on: (path, host, headers added or changed, request headers removed).
type Common = (
    Option<String>,
    Option<String>,
    Vec<(String, String)>,
    Vec<String>,
);

fn common(shares: &[(f64, &ShareOutcome)], req: &Request) -> Common {
    let mut paths = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut added: Option<Vec<(String, String)>> = None;
    let mut removed: Option<Vec<String>> = None;
    for (_, s) in shares {
        let ShareOutcome::Backend {
            path,
            host,
            headers,
            ..
        } = s
        else {
            continue;
        };
        paths.insert(path.to_string());
        hosts.insert(host.to_string());
        let mut names: Vec<String> = Vec::new();
        for (n, _) in headers.iter() {
            let n = n.to_ascii_lowercase();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let mine: Vec<(String, String)> = names
            .iter()
            .filter_map(|n| {
                let v = header(headers, n)?;
                (header(&req.headers, n).as_deref() != Some(v.as_str())).then(|| (n.clone(), v))
            })
            .collect();
        let mut gone: Vec<String> = Vec::new();
        for (n, _) in &req.headers {
            let n = n.to_ascii_lowercase();
            if header(headers, &n).is_none() && !gone.contains(&n) {
                gone.push(n);
            }
        }
        added = Some(match added {
            None => mine,
            Some(prev) => prev.into_iter().filter(|x| mine.contains(x)).collect(),
        });
        removed = Some(match removed {
            None => gone,
            Some(prev) => prev.into_iter().filter(|x| gone.contains(x)).collect(),
        });
    }
    let one = |s: BTreeSet<String>| {
        if s.len() == 1 {
            s.into_iter().next()
        } else {
            None
        }
    };
    (
        one(paths),
        one(hosts),
        added.unwrap_or_default(),
        removed.unwrap_or_default(),
    )
}

fn target_key(s: &ShareOutcome) -> String {
    match s {
        ShareOutcome::Backend {
            namespace,
            name,
            port,
            ..
        } => format!("{namespace}/{name}:{port}"),
        _ => String::new(),
    }
}

/// The `expect:` stanza of the test format for one outcome.
fn expect_yaml(o: &Outcome, req: &Request) -> Map<String, Value> {
    let mut e = Map::new();
    if refused(o) {
        e.insert("connection".into(), json!("rejected"));
        return e;
    }
    let l4 = matches!(
        req.protocol,
        RequestProtocol::Tls | RequestProtocol::Tcp | RequestProtocol::Udp
    );
    if req.protocol == RequestProtocol::Grpc {
        if let Some(g) = &o.grpc_status {
            e.insert("grpc_status".into(), json!(g));
        }
    } else if !l4 {
        e.insert(
            "status".into(),
            json!(o.redirect.as_ref().map(|r| r.status).unwrap_or(o.status)),
        );
    }
    if let Some(r) = &o.redirect {
        e.insert("redirect".into(), json!(r.location));
        return e;
    }
    let shares = backend_shares(o);
    let statuses: Vec<(u16, f64)> = o
        .shares
        .iter()
        .filter(|s| s.fraction > 0.0)
        .filter_map(|s| match s.outcome {
            ShareOutcome::Status { code } => Some((code, s.fraction)),
            _ => None,
        })
        .collect();
    if shares.is_empty() {
        return e;
    }
    let mut dist: Vec<(String, f64)> = Vec::new();
    for (f, s) in &shares {
        let k = target_key(s);
        match dist.iter_mut().find(|(x, _)| *x == k) {
            Some((_, v)) => *v += f,
            None => dist.push((k, *f)),
        }
    }
    if dist.len() == 1 && statuses.is_empty() {
        e.insert("backend".into(), json!(dist[0].0));
    } else {
        let mut m = Map::new();
        for (k, f) in &dist {
            m.insert(k.clone(), pct_value(f * 100.0));
        }
        for (code, f) in &statuses {
            let k = code.to_string();
            let prev = m.get(&k).and_then(Value::as_f64).unwrap_or(0.0);
            m.insert(k, pct_value(prev + f * 100.0));
        }
        e.insert("backends".into(), Value::Object(m));
    }
    if l4 {
        return e;
    }
    let (path, host, added, removed) = common(&shares, req);
    if let Some(p) = path {
        e.insert("path".into(), json!(p));
    }
    if let Some(h) = host {
        e.insert("host".into(), json!(h));
    }
    if !added.is_empty() {
        e.insert(
            "request_headers".into(),
            Value::Object(added.into_iter().map(|(k, v)| (k, json!(v))).collect()),
        );
    }
    if !removed.is_empty() {
        e.insert("absent_request_headers".into(), json!(removed));
    }
    let snis: BTreeSet<Option<&str>> = shares
        .iter()
        .map(|(_, s)| match s {
            ShareOutcome::Backend { tls, .. } => tls.as_ref().map(|t| t.sni.as_str()),
            _ => None,
        })
        .collect();
    if let [Some(sni)] = snis.into_iter().collect::<Vec<_>>()[..] {
        e.insert("backend_tls".into(), json!({"sni": sni}));
    }
    let mut resp = Map::new();
    for (n, _) in &o.response_headers {
        if !resp.contains_key(n) {
            if let Some(v) = header(&o.response_headers, n) {
                resp.insert(n.clone(), json!(v));
            }
        }
    }
    let absent: Vec<&String> = o
        .removed_response_headers
        .iter()
        .filter(|n| header(&o.response_headers, n).is_none())
        .collect();
    if !resp.is_empty() {
        e.insert("response_headers".into(), Value::Object(resp));
    }
    if !absent.is_empty() {
        e.insert("absent_response_headers".into(), json!(absent));
    }
    e
}

/// Response headers after the edits, as a client sees them (several values joined by `, `), and the names
/// removed. Headers echo-basic also sets are left out when only added (their joined value is not predictable).
fn applied_response(ops: &[HeaderOp]) -> (Vec<(String, String)>, Vec<String>) {
    let mut vals: Vec<(String, Vec<String>)> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut unpredictable: BTreeSet<String> = BTreeSet::new();
    for op in ops {
        let n = op.name.to_ascii_lowercase();
        let i = match vals.iter().position(|(x, _)| *x == n) {
            Some(i) => i,
            None => {
                vals.push((n.clone(), Vec::new()));
                vals.len() - 1
            }
        };
        match op.action {
            HeaderAction::Set => vals[i].1 = vec![op.value.clone()],
            HeaderAction::Add => {
                if vals[i].1.is_empty() && ECHO_RESPONSE_HEADERS.contains(&n.as_str()) {
                    unpredictable.insert(n.clone());
                }
                vals[i].1.push(op.value.clone());
            }
            HeaderAction::Remove => {
                vals[i].1.clear();
                unpredictable.remove(&n);
                if !removed.contains(&n) {
                    removed.push(n.clone());
                }
            }
        }
    }
    let present: Vec<(String, String)> = vals
        .into_iter()
        .filter(|(n, v)| !v.is_empty() && !unpredictable.contains(n))
        .map(|(n, v)| (n, v.join(", ")))
        .collect();
    let removed = removed
        .into_iter()
        .filter(|n| !present.iter().any(|(p, _)| p == n) && !unpredictable.contains(n))
        .collect();
    (present, removed)
}

/// The lab's prediction for one request, or why the lab cannot check it.
fn prediction(
    o: &Outcome,
    req: &Request,
    name: &str,
    line: &str,
    backends: &[BackendService],
) -> Result<Prediction, String> {
    let scheme = req.scheme.to_ascii_lowercase();
    let http = scheme == "http" || scheme == "https";
    let gateway = o
        .gateway
        .as_ref()
        .and_then(|g| g.split_once('/'))
        .map(|(ns, n)| (ns.to_string(), n.to_string()));
    let mut p = Prediction {
        name: name.to_string(),
        request_line: line.to_string(),
        method: req.method.clone(),
        scheme: scheme.clone(),
        host: req
            .host
            .clone()
            .or_else(|| req.sni.clone())
            .unwrap_or_default(),
        port: req.port,
        path: req.path.clone(),
        headers: if http {
            req.headers.clone()
        } else {
            Vec::new()
        },
        sni: None,
        gateway,
        expect: Expected {
            status: o.status,
            ..Default::default()
        },
    };
    if !http {
        // verify.sh lists these as checked by the simulator only.
        return Ok(p);
    }
    if req.host.is_none() {
        return Err("the request has no host (it goes to the Gateway address)".into());
    }
    if refused(o) {
        return Err("the connection is refused, which verify.sh does not check".into());
    }
    if req.client_certificate {
        return Err("the client presents a certificate, which the lab has none of".into());
    }
    if scheme == "https" {
        match &req.sni {
            None => return Err("the request sends no SNI".into()),
            Some(s) if Some(s) != req.host.as_ref() => p.sni = Some(s.clone()),
            Some(_) => {}
        }
    }
    let e = &mut p.expect;
    if let Some(r) = &o.redirect {
        e.status = r.status;
        e.location = Some(r.location.clone());
        return Ok(p);
    }
    let shares = backend_shares(o);
    let statuses: BTreeSet<u16> = o
        .shares
        .iter()
        .filter(|s| s.fraction > 0.0)
        .filter_map(|s| match s.outcome {
            ShareOutcome::Status { code } => Some(code),
            _ => None,
        })
        .collect();
    if shares.is_empty() {
        return Ok(p);
    }
    if !statuses.is_empty() {
        let codes: Vec<String> = statuses.iter().map(u16::to_string).collect();
        return Err(format!("a share of the requests gets {} from the gateway, and verify.sh checks one status per case", codes.join("/")));
    }
    for (_, s) in &shares {
        if let ShareOutcome::Backend {
            namespace,
            name,
            tls: Some(_),
            ..
        } = s
        {
            if !backends
                .iter()
                .any(|b| *b.namespace == **namespace && *b.name == **name && b.has_workload)
            {
                return Err(format!("the hop to {namespace}/{name} is TLS, and the generated echo backend speaks plain HTTP"));
            }
        }
    }
    let mut dist: Vec<((String, String), f64)> = Vec::new();
    for (f, s) in &shares {
        let ShareOutcome::Backend {
            namespace, name, ..
        } = s
        else {
            continue;
        };
        let k = (namespace.to_string(), name.to_string());
        match dist.iter_mut().find(|(x, _)| *x == k) {
            Some((_, v)) => *v += f * 100.0,
            None => dist.push((k, f * 100.0)),
        }
    }
    if dist.len() == 1 {
        e.backend = Some(dist[0].0.clone());
    } else {
        e.distribution = Some(dist);
    }
    let (path, host, added, removed) = common(&shares, req);
    e.backend_path = path;
    e.backend_host = host;
    e.request_headers = added;
    e.absent_request_headers = removed;
    // Response headers: only when every share edits them the same way (a split checks the last answer).
    let mut ops = shares.iter().filter_map(|(_, s)| match s {
        ShareOutcome::Backend {
            response_header_ops,
            ..
        } => Some(response_header_ops),
        _ => None,
    });
    if let Some(first) = ops.next() {
        if ops.all(|x| x == first) {
            let (present, gone) = applied_response(first);
            e.response_headers = present;
            e.absent_response_headers = gone;
        }
    }
    Ok(p)
}
