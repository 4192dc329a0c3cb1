//! Gateways and their listeners: per-listener validation (protocol, route kinds, namespaces,
//! TLS and certificates, hostname, frontend client validation), conflicts as Envoy Gateway
//! detects them, ListenerSet admission and merge, and the Gateway/ListenerSet status.

use super::gatewayclass::ClassState;
use super::hostname;
use super::index::{is_ca_bundle, Index, SecretState};
use super::status::{CondStatus, Conditions, ObjectShape};
use super::{GatewayState, ListenerState, ObjectStatus, Protocol, RouteKind, TlsMode};
use crate::diag::Diagnostic;
use crate::model::{
    Body, FrontendValidation, GatewaySpec, LabelSelector, Listener, Object, EG_GROUP, GATEWAY_GROUP,
};
use crate::sort::StableSort;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Which route namespaces a listener admits.
#[derive(Debug, Clone)]
pub enum NsPolicy {
    Same,
    All,
    Selector(LabelSelector),
    /// Invalid (e.g. `Selector` without a selector): admits nothing.
    Nothing,
}

#[derive(Debug, Clone)]
pub struct ListenerCtx {
    pub state: ListenerState,
    pub conds: Conditions,
    pub attached: u32,
    pub ns_policy: NsPolicy,
    /// Namespace of the declaring Gateway or ListenerSet (for `from: Same`).
    pub owner_ns: String,
    /// Index into `GatewayCtx::listener_sets`, or None for the Gateway's own listeners.
    pub ls: Option<usize>,
    /// Index in the declaring object's `spec.listeners`.
    pub spec_index: usize,
    /// Passed validation (before conflicts).
    pub clean: bool,
}

impl ListenerCtx {
    pub fn allows_kind(&self, k: RouteKind) -> bool {
        self.state.supported_kinds.contains(&k)
    }
    pub fn allows_namespace(&self, ix: &Index, ns: &str) -> bool {
        match &self.ns_policy {
            NsPolicy::Same => ns == self.owner_ns,
            NsPolicy::All => true,
            NsPolicy::Selector(sel) => sel.matches(&ix.namespace_labels(ns)),
            NsPolicy::Nothing => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ListenerSetCtx {
    pub object: usize,
    pub allowed: bool,
    pub conds: Conditions,
}

#[derive(Debug, Clone)]
pub struct GatewayCtx {
    pub object: usize,
    pub ns: String,
    pub name: String,
    pub conds: Conditions,
    /// Rejected as a whole (unsupported address, invalid parameters): no listeners, no route status.
    pub rejected: bool,
    pub listeners: Vec<ListenerCtx>,
    pub listener_sets: Vec<ListenerSetCtx>,
    pub addresses: Vec<Value>,
    /// Gateway `spec.allowedListeners` is set or some ListenerSet names this Gateway.
    pub report_listener_sets: bool,
}

impl GatewayCtx {
    pub fn to_state(&self) -> GatewayState {
        GatewayState {
            object: self.object,
            namespace: self.ns.clone(),
            name: self.name.clone(),
            accepted: self.conds.is_true("Accepted"),
            listeners: self.listeners.iter().map(|l| l.state.clone()).collect(),
        }
    }
}

fn protocol_of(p: &str) -> Protocol {
    match p {
        "HTTP" => Protocol::Http,
        "HTTPS" => Protocol::Https,
        "TLS" => Protocol::Tls,
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        _ => Protocol::Unsupported,
    }
}

pub fn route_kind_of(kind: &str) -> Option<RouteKind> {
    Some(match kind {
        "HTTPRoute" => RouteKind::Http,
        "GRPCRoute" => RouteKind::Grpc,
        "TLSRoute" => RouteKind::Tls,
        "TCPRoute" => RouteKind::Tcp,
        "UDPRoute" => RouteKind::Udp,
        _ => return None,
    })
}

/// Route kinds a listener of this protocol (and TLS mode) can carry, in Envoy Gateway's order.
pub fn kinds_for(p: Protocol, mode: Option<TlsMode>) -> Vec<RouteKind> {
    match p {
        Protocol::Http | Protocol::Https => vec![RouteKind::Http, RouteKind::Grpc],
        Protocol::Tls if mode == Some(TlsMode::Passthrough) => vec![RouteKind::Tls],
        Protocol::Tls => vec![RouteKind::Tls, RouteKind::Tcp],
        Protocol::Tcp => vec![RouteKind::Tcp],
        Protocol::Udp => vec![RouteKind::Udp],
        Protocol::Unsupported => vec![],
    }
}

struct Ctx<'a, 'm> {
    ix: &'a Index<'m>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Ctx<'_, '_> {
    fn diag(&mut self, d: Diagnostic, o: &Object, ptr: &str) {
        let loc = self.ix.model.locate(o, ptr);
        self.diags.push(d.at(loc).on(o.id()));
    }
}

/// Validates one listener on its own (everything except conflicts).
#[allow(clippy::too_many_arguments)]
fn validate_listener(
    cx: &mut Ctx,
    owner: &Object,
    owner_obj: usize,
    ptr: &str,
    l: &Listener,
    gw_spec: Option<&GatewaySpec>,
    ls: Option<usize>,
    spec_index: usize,
) -> ListenerCtx {
    let ix = cx.ix;
    let mut conds = Conditions::default();
    let protocol = protocol_of(&l.protocol);
    let tls_mode = match l.tls_mode() {
        Some("Passthrough") => Some(TlsMode::Passthrough),
        Some("Terminate") => Some(TlsMode::Terminate),
        _ => None,
    };
    let listener_desc = format!("listener `{}`", l.name);
    // 1. Protocol.
    if protocol == Protocol::Unsupported {
        let msg = format!(
            "Protocol {} is unsupported, must be HTTP, HTTPS, TCP, TLS or UDP.",
            l.protocol
        );
        conds.set("Accepted", CondStatus::False, "UnsupportedProtocol", msg);
        cx.diag(
            Diagnostic::error("listener-invalid", format!("{listener_desc}: protocol `{}` is not supported; use HTTP, HTTPS, TLS, TCP or UDP", l.protocol)),
            owner,
            &format!("{ptr}/protocol"),
        );
    }
    // 2. Route kinds.
    let defaults = kinds_for(protocol, tls_mode);
    let mut supported = Vec::new();
    match l.allowed_routes.as_ref().and_then(|a| a.kinds.as_ref()) {
        Some(kinds) if !kinds.is_empty() => {
            let mut bad = Vec::new();
            for (ki, k) in kinds.iter().enumerate() {
                let group = k.group.as_deref().unwrap_or(GATEWAY_GROUP);
                match route_kind_of(&k.kind)
                    .filter(|rk| group == GATEWAY_GROUP && defaults.contains(rk))
                {
                    Some(rk) => {
                        if !supported.contains(&rk) {
                            supported.push(rk)
                        }
                    }
                    None => bad.push((ki, k.kind.clone())),
                }
            }
            if !bad.is_empty() && protocol != Protocol::Unsupported {
                let names: Vec<_> = bad.iter().map(|(_, k)| k.as_str()).collect();
                conds.set(
                    "ResolvedRefs",
                    CondStatus::False,
                    "InvalidRouteKinds",
                    format!(
                        "Route kinds {} are not supported on a {} listener",
                        names.join(", "),
                        l.protocol
                    ),
                );
                for (ki, k) in &bad {
                    let allowed: Vec<_> = defaults.iter().map(|k| k.kind()).collect();
                    cx.diag(
                        Diagnostic::error(
                            "invalid-route-kinds",
                            format!("{listener_desc}: route kind `{k}` cannot attach to a {} listener; allowed kinds are {}", l.protocol, if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }),
                        ),
                        owner,
                        &format!("{ptr}/allowedRoutes/kinds/{ki}"),
                    );
                }
            }
        }
        _ => supported = defaults.clone(),
    }
    // 3. Namespaces.
    let ns_policy = match l
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref())
    {
        None => NsPolicy::Same,
        Some(n) => {
            match n.from.as_deref().unwrap_or("Same") {
                "All" => NsPolicy::All,
                "Same" => NsPolicy::Same,
                "Selector" => {
                    match &n.selector {
                        Some(s) if selector_valid(s) => NsPolicy::Selector(s.clone()),
                        Some(_) => {
                            conds.set("Programmed", CondStatus::False, "Invalid", "The allowedRoutes.namespaces.selector is not a valid label selector.");
                            cx.diag(Diagnostic::error("listener-invalid", format!("{listener_desc}: the namespace selector is invalid (operators In/NotIn need values, Exists/DoesNotExist take none; keys must be label names)")), owner, &format!("{ptr}/allowedRoutes/namespaces/selector"));
                            NsPolicy::Nothing
                        }
                        None => {
                            conds.set("Programmed", CondStatus::False, "Invalid", "The allowedRoutes.namespaces.selector field must be specified when allowedRoutes.namespaces.from is set to \"Selector\".");
                            cx.diag(
                                Diagnostic::error(
                                    "listener-invalid",
                                    format!("{listener_desc}: `from: Selector` needs a `selector`"),
                                ),
                                owner,
                                &format!("{ptr}/allowedRoutes/namespaces"),
                            );
                            NsPolicy::Nothing
                        }
                    }
                }
                other => {
                    cx.diag(Diagnostic::error("listener-invalid", format!("{listener_desc}: allowedRoutes.namespaces.from `{other}` is not valid; use Same, All or Selector")), owner, &format!("{ptr}/allowedRoutes/namespaces/from"));
                    NsPolicy::Nothing
                }
            }
        }
    };
    // 4. TLS.
    let mut certificates = Vec::new();
    match protocol {
        Protocol::Http | Protocol::Tcp | Protocol::Udp if l.tls.is_some() => {
            conds.set(
                "Programmed",
                CondStatus::False,
                "Invalid",
                format!(
                    "Listener must not have TLS set when protocol is {}.",
                    l.protocol
                ),
            );
            cx.diag(Diagnostic::error("listener-invalid", format!("{listener_desc}: a {} listener must not set `tls`; remove it or use HTTPS/TLS", l.protocol)), owner, &format!("{ptr}/tls"));
        }
        Protocol::Https | Protocol::Tls => match &l.tls {
            None => {
                conds.set(
                    "Programmed",
                    CondStatus::False,
                    "Invalid",
                    format!(
                        "Listener must have TLS set when protocol is {}.",
                        l.protocol
                    ),
                );
                cx.diag(
                    Diagnostic::error(
                        "listener-invalid",
                        format!(
                            "{listener_desc}: a {} listener needs a `tls` section",
                            l.protocol
                        ),
                    ),
                    owner,
                    ptr,
                );
            }
            Some(tls) => {
                let mode = tls.mode.as_deref().unwrap_or("Terminate");
                if protocol == Protocol::Https && mode != "Terminate" {
                    conds.set(
                        "Programmed",
                        CondStatus::False,
                        "UnsupportedTLSMode",
                        format!("TLS {mode} mode is not supported, TLS mode must be Terminate."),
                    );
                    cx.diag(Diagnostic::error("listener-invalid", format!("{listener_desc}: HTTPS supports only tls.mode Terminate; use protocol TLS for {mode}")), owner, &format!("{ptr}/tls/mode"));
                } else if !matches!(mode, "Terminate" | "Passthrough") {
                    conds.set(
                        "Programmed",
                        CondStatus::False,
                        "Invalid",
                        format!("TLS mode {mode} is not supported."),
                    );
                    cx.diag(Diagnostic::error("listener-invalid", format!("{listener_desc}: tls.mode `{mode}` is not valid; use Terminate or Passthrough")), owner, &format!("{ptr}/tls/mode"));
                } else if mode == "Passthrough" && !tls.certificate_refs.is_empty() {
                    conds.set(
                        "Programmed",
                        CondStatus::False,
                        "Invalid",
                        "Listener must not have TLS certificate refs set for TLS mode Passthrough.",
                    );
                    cx.diag(Diagnostic::error("listener-invalid", format!("{listener_desc}: a Passthrough listener must not list certificateRefs")), owner, &format!("{ptr}/tls/certificateRefs"));
                } else if mode == "Terminate" {
                    if tls.certificate_refs.is_empty() {
                        conds.set(
                            "Programmed",
                            CondStatus::False,
                            "Invalid",
                            "Listener must have at least 1 TLS certificate ref",
                        );
                        cx.diag(Diagnostic::error("certificate-ref-invalid", format!("{listener_desc}: TLS Terminate needs at least one certificateRef to a Secret")), owner, &format!("{ptr}/tls"));
                    } else {
                        let (from_kind, from_ns) = match ls {
                            Some(_) => ("ListenerSet", owner.namespace.as_str()),
                            None => ("Gateway", owner.namespace.as_str()),
                        };
                        let mut errs: Vec<(&'static str, String)> = Vec::new();
                        for (ci, r) in tls.certificate_refs.iter().enumerate() {
                            let cptr = format!("{ptr}/tls/certificateRefs/{ci}");
                            let ns = r.namespace_or(&owner.namespace);
                            let (g, k) = (r.group_or(""), r.kind_or("Secret"));
                            let err = if !g.is_empty() || k != "Secret" {
                                Some(("InvalidCertificateRef", format!("certificateRef {g}/{k} `{}` is not a core Secret; only Secrets hold listener certificates", r.name), "certificate-ref-invalid"))
                            } else if !ix.ref_permitted(
                                GATEWAY_GROUP,
                                from_kind,
                                from_ns,
                                "",
                                "Secret",
                                ns,
                                &r.name,
                            ) {
                                Some((
                                    "RefNotPermitted",
                                    format!("certificateRef to Secret `{ns}/{}` crosses namespaces and no ReferenceGrant in `{ns}` allows it from {from_kind}s in `{from_ns}`; add one", r.name),
                                    "ref-not-permitted",
                                ))
                            } else {
                                match ix.secret_state(ns, &r.name) {
                                    SecretState::Valid => None,
                                    SecretState::Missing => Some(("InvalidCertificateRef", format!("Secret `{ns}/{}` does not exist; create it or fix the name", r.name), "certificate-ref-invalid")),
                                    SecretState::KeyMismatch => Some((
                                        "InvalidCertificateRef",
                                        format!("Secret `{ns}/{}` must contain a matching tls.crt and tls.key: its private key belongs to another certificate", r.name),
                                        "certificate-ref-invalid",
                                    )),
                                    SecretState::Malformed => Some((
                                        "InvalidCertificateRef",
                                        format!("Secret `{ns}/{}` does not hold a valid certificate (type kubernetes.io/tls with PEM tls.crt and tls.key)", r.name),
                                        "certificate-ref-invalid",
                                    )),
                                }
                            };
                            match err {
                                None => certificates.push(format!("{ns}/{}", r.name)),
                                Some((reason, msg, code)) => {
                                    cx.diag(
                                        Diagnostic::error(code, format!("{listener_desc}: {msg}")),
                                        owner,
                                        &cptr,
                                    );
                                    errs.push((reason, msg));
                                }
                            }
                        }
                        if !errs.is_empty() {
                            let msg = errs
                                .iter()
                                .map(|e| e.1.clone())
                                .collect::<Vec<_>>()
                                .join("; ");
                            if certificates.is_empty() {
                                conds.set(
                                    "ResolvedRefs",
                                    CondStatus::False,
                                    no_certificate_reason(&errs),
                                    msg,
                                );
                            } else {
                                conds.set(
                                    "ResolvedRefs",
                                    CondStatus::False,
                                    "PartiallyInvalidCertificateRef",
                                    msg,
                                );
                            }
                        }
                    }
                }
            }
        },
        _ => {}
    }
    // 5. Hostname.
    let host = l.hostname().map(str::to_string);
    if let Some(h) = &host {
        if matches!(protocol, Protocol::Tcp | Protocol::Udp) {
            conds.set(
                "Programmed",
                CondStatus::False,
                "Invalid",
                format!(
                    "Listener must not have hostname set when protocol is {}.",
                    l.protocol
                ),
            );
            cx.diag(
                Diagnostic::error(
                    "listener-invalid",
                    format!(
                        "{listener_desc}: a {} listener must not set a hostname",
                        l.protocol
                    ),
                ),
                owner,
                &format!("{ptr}/hostname"),
            );
        } else if !hostname::is_valid(h) {
            conds.set(
                "Programmed",
                CondStatus::False,
                "Invalid",
                format!("Invalid hostname {h}."),
            );
            cx.diag(Diagnostic::error("listener-invalid", format!("{listener_desc}: hostname `{h}` is not a valid DNS name (lower-case labels, optional leading `*.`, no IP)")), owner, &format!("{ptr}/hostname"));
        }
    }
    // 6. Frontend client-certificate validation (HTTPS, or TLS Terminate).
    let mut client_validation = false;
    if protocol == Protocol::Https
        || (protocol == Protocol::Tls && tls_mode == Some(TlsMode::Terminate))
    {
        let fv: Option<(&FrontendValidation, String)> =
            l.tls
                .as_ref()
                .and_then(|t| {
                    t.frontend_validation
                        .as_ref()
                        .map(|v| (v, format!("{ptr}/tls/frontendValidation")))
                })
                .or_else(|| {
                    let fr = gw_spec?.tls.as_ref()?.frontend.as_ref()?;
                    if let Some((pi, pp)) = fr
                        .per_port
                        .iter()
                        .enumerate()
                        .find(|(_, p)| p.port == l.port)
                    {
                        return pp.tls.validation.as_ref().map(|v| {
                            (v, format!("/spec/tls/frontend/perPort/{pi}/tls/validation"))
                        });
                    }
                    fr.default_
                        .as_ref()?
                        .validation
                        .as_ref()
                        .map(|v| (v, "/spec/tls/frontend/default/validation".to_string()))
                });
        if let Some((v, vptr)) = fv {
            let mut errs: Vec<(&'static str, String)> = Vec::new();
            let mut valid = 0;
            // Frontend validation refs resolve from the Gateway (its namespace).
            let gw_ns = owner.namespace.as_str();
            for (ci, r) in v.ca_certificate_refs.iter().enumerate() {
                let (g, k) = (r.group_or(""), r.kind_or("ConfigMap"));
                let ns = r.namespace_or(gw_ns);
                let err = if !g.is_empty() || !matches!(k, "ConfigMap" | "Secret") {
                    Some((
                        "InvalidCACertificateKind",
                        format!(
                            "caCertificateRef {g}/{k} `{}` is not a ConfigMap or Secret",
                            r.name
                        ),
                    ))
                } else if !ix.ref_permitted(GATEWAY_GROUP, "Gateway", gw_ns, "", k, ns, &r.name) {
                    Some(("RefNotPermitted", format!("caCertificateRef to {k} `{ns}/{}` crosses namespaces and no ReferenceGrant allows it", r.name)))
                } else {
                    match ix.object(k, ns, &r.name).map(|o| &o.body) {
                        Some(Body::ConfigMap(d)) if is_ca_bundle(d, false) => None,
                        Some(Body::Secret(d)) if is_ca_bundle(d, true) => None,
                        Some(_) => Some((
                            "InvalidCACertificateRef",
                            format!("{k} `{ns}/{}` has no valid `ca.crt`", r.name),
                        )),
                        None => Some((
                            "InvalidCACertificateRef",
                            format!("{k} `{ns}/{}` does not exist", r.name),
                        )),
                    }
                };
                match err {
                    None => valid += 1,
                    Some((reason, msg)) => {
                        let code = if reason == "RefNotPermitted" {
                            "ref-not-permitted"
                        } else {
                            "certificate-ref-invalid"
                        };
                        let gw_obj = owner;
                        cx.diag(
                            Diagnostic::error(
                                code,
                                format!("{listener_desc}: client validation {msg}"),
                            ),
                            gw_obj,
                            &format!("{vptr}/caCertificateRefs/{ci}"),
                        );
                        errs.push((reason, msg));
                    }
                }
            }
            // AllowInsecureFallback lets clients without a certificate through.
            client_validation = valid > 0 && v.mode.as_deref() != Some("AllowInsecureFallback");
            if !errs.is_empty() {
                let msg = errs
                    .iter()
                    .map(|e| e.1.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                conds.set("ResolvedRefs", CondStatus::False, errs[0].0, msg);
                if valid == 0 {
                    conds.set(
                        "Accepted",
                        CondStatus::False,
                        "NoValidCACertificate",
                        "No valid CA certificate for client validation",
                    );
                    conds.set(
                        "Programmed",
                        CondStatus::False,
                        "Invalid",
                        "Listener is invalid, see other Conditions for details.",
                    );
                }
            }
        }
    }
    let clean = conds.is_empty()
        || conds
            .get("ResolvedRefs")
            .is_some_and(|c| c.reason == "PartiallyInvalidCertificateRef")
            && conds.0.len() == 1;
    ListenerCtx {
        state: ListenerState {
            name: l.name.clone(),
            source: owner_obj,
            port: l.port,
            protocol,
            hostname: host.map(|h| h.to_ascii_lowercase()),
            tls_mode: if matches!(protocol, Protocol::Https | Protocol::Tls) {
                tls_mode
            } else {
                None
            },
            programmed: false,
            supported_kinds: supported,
            certificates,
            client_validation,
        },
        conds,
        attached: 0,
        ns_policy,
        owner_ns: owner.namespace.clone(),
        ls,
        spec_index,
        clean,
    }
}

/// metav1.LabelSelectorAsSelector validity: known operators, values only where they belong, and
/// label-name keys.
pub fn selector_valid(s: &LabelSelector) -> bool {
    let key_ok = |k: &str| {
        let name = k.rsplit_once('/').map(|(_, n)| n).unwrap_or(k);
        !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && name.as_bytes()[0].is_ascii_alphanumeric()
    };
    let val_ok = |v: &str| {
        v.len() <= 63
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    s.match_labels.iter().all(|(k, v)| key_ok(k) && val_ok(v))
        && s.match_expressions.iter().all(|e| {
            key_ok(&e.key)
                && match e.operator.as_str() {
                    "In" | "NotIn" => !e.values.is_empty() && e.values.iter().all(|v| val_ok(v)),
                    "Exists" | "DoesNotExist" => e.values.is_empty(),
                    _ => false,
                }
        })
}

fn family(p: Protocol) -> u8 {
    match p {
        Protocol::Http => 0,
        Protocol::Https | Protocol::Tls => 1,
        Protocol::Tcp => 2,
        Protocol::Udp => 3,
        Protocol::Unsupported => 4,
    }
}

/// Conflicts among one Gateway's own listeners, as Envoy Gateway marks them: a protocol-family
/// clash on a port marks all of them, equal hostnames on an HTTP/HTTPS/TLS port mark all of them,
/// and a second TCP or UDP listener on a port loses to the first.
pub fn gateway_conflicts(ls: &[(Protocol, u32, Option<String>)]) -> Vec<Option<&'static str>> {
    let mut out = vec![None; ls.len()];
    let mut by_port: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, l) in ls.iter().enumerate() {
        if l.0 != Protocol::Unsupported {
            by_port.entry(l.1).or_default().push(i);
        }
    }
    for idxs in by_port.values() {
        let non_udp: Vec<usize> = idxs
            .iter()
            .copied()
            .filter(|&i| ls[i].0 != Protocol::Udp)
            .collect();
        let mut fams: Vec<u8> = non_udp.iter().map(|&i| family(ls[i].0)).collect();
        fams.stable_sort();
        fams.dedup();
        if fams.len() > 1 {
            for &i in &non_udp {
                out[i] = Some("ProtocolConflict");
            }
            continue;
        }
        // Same family: hostname conflicts (L7/TLS) or first-wins (TCP, UDP).
        let mut groups: HashMap<(u8, Option<&str>), Vec<usize>> = HashMap::new();
        for &i in idxs {
            let f = family(ls[i].0);
            let key = if f <= 1 {
                (f, ls[i].2.as_deref())
            } else {
                (f, None)
            };
            groups.entry(key).or_default().push(i);
        }
        for ((f, _), g) in groups {
            if g.len() > 1 {
                if f <= 1 {
                    for &i in &g {
                        out[i] = Some("HostnameConflict");
                    }
                } else {
                    for &i in &g[1..] {
                        out[i] = Some("ProtocolConflict");
                    }
                }
            }
        }
    }
    out
}

/// Does a lower-precedence listener `b` conflict with an accepted `a`? (ListenerSet merge.)
fn merge_conflict(a: &ListenerState, b: &ListenerState) -> Option<&'static str> {
    if a.port != b.port
        || a.protocol == Protocol::Unsupported
        || b.protocol == Protocol::Unsupported
    {
        return None;
    }
    let (fa, fb) = (family(a.protocol), family(b.protocol));
    if (fa == 3) != (fb == 3) {
        return None;
    }
    if fa != fb {
        return Some("ProtocolConflict");
    }
    if fa >= 2 || a.hostname == b.hostname {
        return Some("HostnameConflict");
    }
    None
}

/// The reason of a listener none of whose certificateRefs resolved: `RefNotPermitted` only when
/// every ref was refused for want of a ReferenceGrant, `InvalidCertificateRef` otherwise.
fn no_certificate_reason(errs: &[(&'static str, String)]) -> &'static str {
    if errs.iter().all(|e| e.0 == "RefNotPermitted") {
        "RefNotPermitted"
    } else {
        "InvalidCertificateRef"
    }
}

/// Envoy Gateway accepts a listener whose only fault is `ResolvedRefs=False/InvalidCertificateRef`
/// (its configuration is sound, it just cannot serve without a certificate). Any other fault,
/// including a certificate ref refused for want of a ReferenceGrant, leaves it without an
/// `Accepted` condition at all.
fn only_invalid_certificate(conds: &Conditions) -> bool {
    conds.0.len() == 1
        && conds
            .get("ResolvedRefs")
            .is_some_and(|c| c.status == CondStatus::False && c.reason == "InvalidCertificateRef")
}

fn finalize_listener(l: &mut ListenerCtx) {
    if only_invalid_certificate(&l.conds) {
        l.conds.set(
            "Accepted",
            CondStatus::True,
            "Accepted",
            "Listener has been successfully translated",
        );
    }
    if l.ls.is_some() {
        if l.clean {
            l.conds.set(
                "Conflicted",
                CondStatus::False,
                "NoConflicts",
                "No conflicts detected",
            );
        } else if !l.conds.has("Programmed")
            || l.conds
                .get("Programmed")
                .is_some_and(|c| c.reason == "Invalid")
                && !l.conds.has("Conflicted")
        {
            l.conds.set(
                "Programmed",
                CondStatus::False,
                "ListenersNotValid",
                "Listener is invalid, see other Conditions for details.",
            );
        }
    }
    if l.clean {
        l.conds.set(
            "Programmed",
            CondStatus::True,
            "Programmed",
            "Sending translated listener configuration to the data plane",
        );
        l.conds.set(
            "Accepted",
            CondStatus::True,
            "Accepted",
            "Listener has been successfully translated",
        );
        if !l.conds.has("ResolvedRefs") {
            l.conds.set(
                "ResolvedRefs",
                CondStatus::True,
                "ResolvedRefs",
                "Listener references have been resolved",
            );
        }
        l.state.programmed = true;
    } else {
        if !l.conds.has("Programmed") {
            l.conds.set(
                "Programmed",
                CondStatus::False,
                "Invalid",
                "Listener is invalid, see other Conditions for details.",
            );
        }
        if !l.conds.has("ResolvedRefs") {
            l.conds.set(
                "ResolvedRefs",
                CondStatus::True,
                "ResolvedRefs",
                "Listener references have been resolved",
            );
        }
        l.state.programmed = false;
    }
}

fn address_types_ok(spec: &GatewaySpec) -> Option<String> {
    for a in &spec.addresses {
        let t = a.type_.as_deref().unwrap_or("IPAddress");
        if t != "IPAddress" && t != "Hostname" {
            return Some(t.to_string());
        }
    }
    None
}

/// Builds every Gateway of an accepted class of ours, with its listeners and ListenerSets.
pub fn process(
    ix: &Index,
    classes: &HashMap<String, ClassState>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<GatewayCtx> {
    let model = ix.model;
    let mut cx = Ctx { ix, diags };
    let mut gws: Vec<GatewayCtx> = Vec::new();
    let mut gw_by_key: HashMap<(&str, &str), usize> = HashMap::new();
    let mut addr_n = 0u32;
    for (oi, o) in model.objects.iter().enumerate() {
        let Body::Gateway(spec) = &o.body else {
            continue;
        };
        match classes.get(&spec.gateway_class_name) {
            Some(ClassState::Accepted) => {}
            Some(ClassState::Foreign) => continue,
            None => {
                cx.diag(
                    Diagnostic::error("gatewayclass-not-found", format!("GatewayClass `{}` {}", spec.gateway_class_name, model.missing("GatewayClass", "", &spec.gateway_class_name, ": create it (controllerName of your controller) or fix gatewayClassName"))),
                    o,
                    "/spec/gatewayClassName",
                );
                continue;
            }
        }
        let mut g = GatewayCtx {
            object: oi,
            ns: o.namespace.clone(),
            name: o.meta.name.as_str().into(),
            conds: Conditions::default(),
            rejected: false,
            listeners: Vec::new(),
            listener_sets: Vec::new(),
            addresses: Vec::new(),
            report_listener_sets: spec.allowed_listeners.is_some(),
        };
        // Whole-Gateway rejections.
        if let Some(t) = address_types_ok(spec) {
            g.rejected = true;
            let msg = format!("address type {t} is not supported; use IPAddress or Hostname");
            g.conds.set(
                "Accepted",
                CondStatus::False,
                "UnsupportedAddress",
                msg.clone(),
            );
            cx.diag(
                Diagnostic::error(
                    "gateway-not-accepted",
                    format!("Gateway `{}`: {msg}", o.meta.name),
                ),
                o,
                "/spec/addresses",
            );
        } else if let Some(p) = spec
            .infrastructure
            .as_ref()
            .and_then(|i| i.parameters_ref.as_ref())
        {
            let ok = p.group_or("") == EG_GROUP
                && p.kind_or("") == "EnvoyProxy"
                && ix.get("EnvoyProxy", &o.namespace, &p.name).is_some();
            if !ok {
                g.rejected = true;
                let msg = format!("infrastructure.parametersRef {}/{} `{}` does not name an existing EnvoyProxy in this namespace", p.group_or(""), p.kind_or(""), p.name);
                g.conds.set(
                    "Accepted",
                    CondStatus::False,
                    "InvalidParameters",
                    msg.clone(),
                );
                cx.diag(
                    Diagnostic::error(
                        "gateway-not-accepted",
                        format!("Gateway `{}`: {msg}", o.meta.name),
                    ),
                    o,
                    "/spec/infrastructure/parametersRef",
                );
            }
        }
        if g.rejected {
            g.conds.set(
                "Programmed",
                CondStatus::False,
                "Invalid",
                "The Gateway is not accepted",
            );
        } else {
            for (li, l) in spec.listeners.iter().enumerate() {
                let ptr = format!("/spec/listeners/{li}");
                let lc = validate_listener(&mut cx, o, oi, &ptr, l, Some(spec), None, li);
                g.listeners.push(lc);
            }
            // Conflicts among the Gateway's own, otherwise valid listeners.
            let clean: Vec<usize> = (0..g.listeners.len())
                .filter(|&i| g.listeners[i].clean)
                .collect();
            let keys: Vec<_> = clean
                .iter()
                .map(|&i| {
                    (
                        g.listeners[i].state.protocol,
                        g.listeners[i].state.port,
                        g.listeners[i].state.hostname.clone(),
                    )
                })
                .collect();
            for (k, c) in gateway_conflicts(&keys).into_iter().enumerate() {
                if let Some(reason) = c {
                    let l = &mut g.listeners[clean[k]];
                    let msg = if reason == "HostnameConflict" {
                        "All listeners for a given port must use a unique hostname"
                    } else {
                        "All listeners for a given port must use a compatible protocol"
                    };
                    l.conds.set("Conflicted", CondStatus::True, reason, msg);
                    l.clean = false;
                    let ptr = format!("/spec/listeners/{}", l.spec_index);
                    let name = l.state.name.clone();
                    cx.diag(
                        Diagnostic::error(
                            "listener-conflict",
                            format!("listener `{name}` conflicts with another listener on port {} ({reason}): give each listener on a port a distinct hostname and a compatible protocol", l.state.port),
                        ),
                        o,
                        &ptr,
                    );
                }
            }
            // Addresses: spec IPs, else a documentation-range placeholder.
            let mut any_ip = false;
            for a in &spec.addresses {
                if a.type_.as_deref().unwrap_or("IPAddress") == "IPAddress" {
                    if let Some(v) = a.value.as_deref().filter(|v| !v.is_empty()) {
                        g.addresses.push(json!({"type": "IPAddress", "value": v}));
                        any_ip = true;
                    }
                }
            }
            if !any_ip {
                addr_n += 1;
                g.addresses.push(json!({"type": "IPAddress", "value": format!("192.0.2.{}", (addr_n - 1) % 254 + 1)}));
            }
        }
        gw_by_key.insert((o.namespace.as_str(), o.meta.name.as_str()), gws.len());
        gws.push(g);
    }

    // ListenerSets: admitted ones, in precedence order (oldest first, then namespace/name).
    let mut sets: Vec<usize> = model
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o.body, Body::ListenerSet(_)))
        .map(|(i, _)| i)
        .collect();
    sets.stable_sort_by(|&a, &b| {
        let (oa, ob) = (&model.objects[a], &model.objects[b]);
        (
            oa.meta.creation_timestamp.as_deref().unwrap_or("~"),
            &oa.namespace,
            &oa.meta.name,
            oa.order,
        )
            .cmp(&(
                ob.meta.creation_timestamp.as_deref().unwrap_or("~"),
                &ob.namespace,
                &ob.meta.name,
                ob.order,
            ))
    });
    for si in sets {
        let o = &model.objects[si];
        let Body::ListenerSet(ls) = &o.body else {
            continue;
        };
        let pr = &ls.parent_ref;
        if pr.kind() != "Gateway" {
            continue;
        }
        let gns = pr.namespace_or(&o.namespace);
        let Some(&gi) = gw_by_key.get(&(gns, pr.name.as_str())) else {
            if ix.get("Gateway", gns, &pr.name).is_none() {
                cx.diag(
                    Diagnostic::error(
                        "parent-not-found",
                        format!(
                            "ListenerSet parent Gateway `{gns}/{}` does not exist",
                            pr.name
                        ),
                    ),
                    o,
                    "/spec/parentRef",
                );
            }
            continue;
        };
        let gw_obj = &model.objects[gws[gi].object];
        let Body::Gateway(gspec) = &gw_obj.body else {
            continue;
        };
        gws[gi].report_listener_sets = true;
        let allowed = match gspec
            .allowed_listeners
            .as_ref()
            .and_then(|a| a.namespaces.as_ref())
        {
            None => false,
            Some(n) => match n.from.as_deref().unwrap_or("None") {
                "All" => true,
                "Same" => o.namespace == gw_obj.namespace,
                "Selector" => n
                    .selector
                    .as_ref()
                    .is_some_and(|s| s.matches(&ix.namespace_labels(&o.namespace))),
                _ => false,
            },
        };
        let lsi = gws[gi].listener_sets.len();
        let mut lsc = ListenerSetCtx {
            object: si,
            allowed,
            conds: Conditions::default(),
        };
        if !allowed {
            let msg = format!("Gateway `{gns}/{}` does not allow ListenerSets from namespace `{}`: set its spec.allowedListeners", pr.name, o.namespace);
            lsc.conds
                .set("Accepted", CondStatus::False, "NotAllowed", msg.clone());
            lsc.conds
                .set("Programmed", CondStatus::False, "NotAllowed", msg.clone());
            cx.diag(
                Diagnostic::error(
                    "not-allowed-by-listeners",
                    format!("ListenerSet `{}`: {msg}", o.meta.name),
                ),
                o,
                "/spec/parentRef",
            );
            gws[gi].listener_sets.push(lsc);
            continue;
        }
        if gws[gi].rejected {
            lsc.conds.set(
                "Accepted",
                CondStatus::False,
                "ParentNotAccepted",
                "The parent Gateway is not accepted",
            );
            lsc.conds.set(
                "Programmed",
                CondStatus::False,
                "ParentNotProgrammed",
                "The parent Gateway is not programmed",
            );
            gws[gi].listener_sets.push(lsc);
            continue;
        }
        gws[gi].listener_sets.push(lsc);
        let mut entries: Vec<ListenerCtx> = ls
            .listeners
            .iter()
            .enumerate()
            .map(|(li, l)| {
                validate_listener(
                    &mut cx,
                    o,
                    si,
                    &format!("/spec/listeners/{li}"),
                    l,
                    Some(gspec),
                    Some(lsi),
                    li,
                )
            })
            .collect();
        // Higher-precedence listeners win (the Gateway's own, then earlier ListenerSets)…
        let mut reasons: Vec<Option<&'static str>> = entries
            .iter()
            .map(|lc| {
                if lc.clean {
                    gws[gi]
                        .listeners
                        .iter()
                        .filter(|x| x.clean || x.conds.has("Conflicted") && x.ls.is_none())
                        .find_map(|x| merge_conflict(&x.state, &lc.state))
                } else {
                    None
                }
            })
            .collect();
        // …then conflicts among the remaining entries of this ListenerSet mark every one involved.
        let clean: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].clean && reasons[i].is_none())
            .collect();
        let keys: Vec<_> = clean
            .iter()
            .map(|&i| {
                (
                    entries[i].state.protocol,
                    entries[i].state.port,
                    entries[i].state.hostname.clone(),
                )
            })
            .collect();
        for (k, c) in gateway_conflicts(&keys).into_iter().enumerate() {
            if c.is_some() {
                reasons[clean[k]] = c;
            }
        }
        for (i, mut lc) in entries.drain(..).enumerate() {
            if let Some(reason) = reasons[i] {
                let msg = "The listener conflicts with another listener on the same port";
                lc.conds.set("Conflicted", CondStatus::True, reason, msg);
                lc.conds.set("Accepted", CondStatus::False, reason, msg);
                lc.conds.set("Programmed", CondStatus::False, reason, msg);
                lc.clean = false;
                cx.diag(
                    Diagnostic::error("listener-conflict", format!("ListenerSet listener `{}` conflicts with another listener on port {} ({reason}); change its port or hostname", lc.state.name, lc.state.port)),
                    o,
                    &format!("/spec/listeners/{i}"),
                );
            }
            gws[gi].listeners.push(lc);
        }
    }

    merged_conflicts(&mut cx, &mut gws);

    for g in &mut gws {
        for l in &mut g.listeners {
            finalize_listener(l);
        }
        // ListenerSet conditions.
        for (lsi, lsc) in g.listener_sets.iter_mut().enumerate() {
            if !lsc.allowed || lsc.conds.has("Accepted") {
                continue;
            }
            let entries: Vec<&ListenerCtx> =
                g.listeners.iter().filter(|l| l.ls == Some(lsi)).collect();
            let ok = entries
                .iter()
                .filter(|l| l.conds.is_true("Accepted"))
                .count();
            let programmed = entries.iter().filter(|l| l.state.programmed).count();
            if entries.is_empty() || ok == entries.len() {
                lsc.conds.set(
                    "Accepted",
                    CondStatus::True,
                    "Accepted",
                    "ListenerSet accepted",
                );
            } else if ok > 0 {
                lsc.conds.set(
                    "Accepted",
                    CondStatus::True,
                    "ListenersNotValid",
                    "Some listeners are not valid",
                );
            } else {
                lsc.conds.set(
                    "Accepted",
                    CondStatus::False,
                    "ListenersNotValid",
                    "No listener is valid",
                );
            }
            if entries.is_empty() || programmed > 0 {
                lsc.conds.set(
                    "Programmed",
                    CondStatus::True,
                    "Programmed",
                    "ListenerSet programmed",
                );
            } else {
                lsc.conds.set(
                    "Programmed",
                    CondStatus::False,
                    "ListenersNotValid",
                    "No listener is programmed",
                );
            }
        }
        if g.rejected {
            continue;
        }
        overlapping_tls(ix, &mut g.listeners);
        let own: Vec<&ListenerCtx> = g.listeners.iter().filter(|l| l.ls.is_none()).collect();
        let ok = own.iter().filter(|l| l.conds.is_true("Accepted")).count();
        let mut not_accepted: Vec<&str> = own
            .iter()
            .filter(|l| !l.conds.is_true("Accepted"))
            .map(|l| l.state.name.as_str())
            .collect();
        not_accepted.sort_unstable();
        let not_accepted = not_accepted.join(", ");
        let o = &model.objects[g.object];
        if own.is_empty() || ok == own.len() {
            g.conds.set(
                "Accepted",
                CondStatus::True,
                "Accepted",
                "The Gateway has been scheduled by Envoy Gateway",
            );
            g.conds.set(
                "Programmed",
                CondStatus::True,
                "Programmed",
                "Address assigned to the Gateway, 1/1 envoy replicas available",
            );
        } else if ok > 0 {
            g.conds.set(
                "Accepted",
                CondStatus::True,
                "ListenersNotValid",
                format!("Listeners not valid: {not_accepted}"),
            );
            g.conds.set(
                "Programmed",
                CondStatus::True,
                "Programmed",
                "Address assigned to the Gateway, 1/1 envoy replicas available",
            );
        } else {
            g.conds.set(
                "Accepted",
                CondStatus::False,
                "ListenersNotValid",
                format!("No listeners are valid: {not_accepted}"),
            );
            g.conds.set(
                "Programmed",
                CondStatus::False,
                "Invalid",
                "No listener is valid",
            );
            cx.diag(Diagnostic::error("gateway-not-accepted", format!("Gateway `{}` has no valid listener, so it is not accepted; fix the listener errors", o.meta.name)), o, "/spec/listeners");
        }
        if let Body::Gateway(spec) = &o.body {
            if spec
                .addresses
                .iter()
                .any(|a| a.type_.as_deref() == Some("Hostname"))
            {
                g.conds.set(
                    "Programmed",
                    CondStatus::False,
                    "AddressNotUsable",
                    "Hostname addresses are not supported",
                );
            }
            gateway_tls(&mut cx, o, spec, &mut g.conds);
        }
    }
    gws
}

/// mergeGateways (Envoy Gateway `validateConflictedMergedListeners`): the Gateways of a class
/// whose EnvoyProxy merges them share one data plane, so their listeners are checked together,
/// oldest Gateway first. A repeated (protocol, hostname, port) is `HostnameConflict` on every
/// occurrence after the first; a port that an earlier Gateway uses with another protocol family
/// is `ProtocolConflict`.
fn merged_conflicts(cx: &mut Ctx, gws: &mut [GatewayCtx]) {
    let model = cx.ix.model;
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut merged: HashMap<&str, bool> = HashMap::new();
    for (gi, g) in gws.iter().enumerate() {
        let Body::Gateway(spec) = &model.objects[g.object].body else {
            continue;
        };
        if g.rejected {
            continue;
        }
        let class = spec.gateway_class_name.as_str();
        if *merged
            .entry(class)
            .or_insert_with(|| crate::eg::merge_gateways_enabled(model, class))
        {
            groups.entry(class).or_default().push(gi);
        }
    }
    let mut classes: Vec<&str> = groups.keys().copied().collect();
    classes.stable_sort();
    for class in classes {
        let mut order = groups.remove(class).unwrap_or_default();
        if order.len() < 2 {
            continue;
        }
        order.stable_sort_by_key(|&gi| model.objects[gws[gi].object].age_key());
        // (protocol, hostname, port) and port → protocol family, from earlier Gateways.
        let mut seen: HashMap<(Protocol, Option<String>, u32), ()> = HashMap::new();
        let mut families: HashMap<u32, u8> = HashMap::new();
        for gi in order {
            let mut mine: Vec<(Protocol, Option<String>, u32)> = Vec::new();
            let mut my_families: Vec<(u32, u8)> = Vec::new();
            for l in gws[gi].listeners.iter_mut() {
                if !(l.clean || l.conds.has("Conflicted"))
                    || l.state.protocol == Protocol::Unsupported
                {
                    continue;
                }
                let key = (l.state.protocol, l.state.hostname.clone(), l.state.port);
                let fam = family(l.state.protocol);
                let reason = if seen.contains_key(&key) {
                    Some("HostnameConflict")
                } else if families
                    .get(&l.state.port)
                    .is_some_and(|&f| f != fam && f != 3 && fam != 3)
                {
                    Some("ProtocolConflict")
                } else {
                    None
                };
                mine.push(key);
                my_families.push((l.state.port, fam));
                let Some(reason) = reason else { continue };
                let msg = if reason == "HostnameConflict" {
                    "Port, protocol and hostname tuple must be unique for every listener"
                } else {
                    "All listeners for a given port must use a compatible protocol"
                };
                l.conds.set("Conflicted", CondStatus::True, reason, msg);
                l.clean = false;
                let o = &model.objects[l.state.source];
                let text = format!(
                    "listener `{}` conflicts with a listener of an older Gateway of the merged GatewayClass on port {} ({reason}): merged Gateways share one data plane, so give each listener a distinct hostname or port",
                    l.state.name, l.state.port
                );
                cx.diag(
                    Diagnostic::error("listener-conflict", text),
                    o,
                    &format!("/spec/listeners/{}", l.spec_index),
                );
            }
            for k in mine {
                seen.insert(k, ());
            }
            for (p, f) in my_families {
                families.entry(p).or_insert(f);
            }
        }
    }
}

/// Envoy Gateway's `OverlappingTLSConfig` among one Gateway's valid HTTPS listeners on a port.
/// Each listener is paired with the first later one it overlaps: by hostname first
/// (`OverlappingHostnames`: an absent hostname overlaps everything, a wildcard covers exactly
/// one more label), then by the SAN DNS names of their leaf certificates
/// (`OverlappingCertificates`, which replaces the hostname reason).
fn overlapping_tls(ix: &Index, ls: &mut [ListenerCtx]) {
    let https: Vec<usize> = (0..ls.len())
        .filter(|&i| ls[i].state.programmed && ls[i].state.protocol == Protocol::Https)
        .collect();
    let hosts: Vec<Vec<String>> = https
        .iter()
        .map(|&i| ls[i].state.hostname.iter().cloned().collect())
        .collect();
    let sans: Vec<Vec<String>> = https
        .iter()
        .map(|&i| certificate_dns_names(ix, &ls[i].state.certificates))
        .collect();
    let by_host = overlap_pairs(&https, ls, &hosts, |a, b| {
        a.is_empty() || b.is_empty() || a.iter().any(|x| b.iter().any(|y| names_overlap(x, y)))
    });
    let by_cert = overlap_pairs(&https, ls, &sans, |a, b| {
        a.iter().any(|x| b.iter().any(|y| names_overlap(x, y)))
    });
    for (pairs, reason) in [
        (by_host, "OverlappingHostnames"),
        (by_cert, "OverlappingCertificates"),
    ] {
        for (k, other) in pairs.into_iter().enumerate() {
            let Some((o, mine, theirs)) = other else {
                continue;
            };
            let peer = ls[https[o]].state.name.clone();
            let msg = match reason {
                "OverlappingHostnames" => format!("The hostname {mine} overlaps with the hostname {theirs} in listener {peer}."),
                _ => format!("The certificate SAN {mine} overlaps with the certificate SAN {theirs} in listener {peer}. ALPN will default to HTTP/1.1 to prevent HTTP/2 connection coalescing, unless explicitly configured via ClientTrafficPolicy"),
            };
            ls[https[k]]
                .conds
                .set("OverlappingTLSConfig", CondStatus::True, reason, msg);
        }
    }
}

/// For each listener (by position in `https`), the partner it is reported with and the two names
/// that overlap, as Envoy Gateway pairs them: walking the listeners in order, a listener not yet
/// paired takes every later unpaired listener it overlaps as a partner (it reports the last
/// one, each of them reports it).
#[allow(clippy::type_complexity)]
fn overlap_pairs(
    https: &[usize],
    ls: &[ListenerCtx],
    names: &[Vec<String>],
    overlaps: impl Fn(&[String], &[String]) -> bool,
) -> Vec<Option<(usize, String, String)>> {
    let mut out: Vec<Option<(usize, String, String)>> = vec![None; https.len()];
    let first_pair = |a: &[String], b: &[String]| -> (String, String) {
        a.iter()
            .find_map(|x| {
                b.iter()
                    .find(|y| names_overlap(x, y))
                    .map(|y| (x.clone(), y.clone()))
            })
            .unwrap_or_else(|| {
                (
                    a.first().cloned().unwrap_or_default(),
                    b.first().cloned().unwrap_or_default(),
                )
            })
    };
    for i in 0..https.len() {
        if out[i].is_some() {
            continue;
        }
        for j in i + 1..https.len() {
            if out[j].is_some()
                || ls[https[i]].state.port != ls[https[j]].state.port
                || !overlaps(&names[i], &names[j])
            {
                continue;
            }
            let (x, y) = first_pair(&names[i], &names[j]);
            out[i] = Some((j, x.clone(), y.clone()));
            out[j] = Some((i, y, x));
        }
    }
    out
}

/// Envoy Gateway's hostname overlap: equal names, or a wildcard `*.x` and a name exactly one
/// label longer than `x`.
fn names_overlap(a: &str, b: &str) -> bool {
    let covers = |host: &str, wildcard: &str| match wildcard.strip_prefix('*') {
        Some(suffix) if !host.starts_with('*') => host
            .strip_suffix(suffix)
            .is_some_and(|label| !label.contains('.')),
        _ => host == wildcard,
    };
    covers(a, b) || covers(b, a)
}

/// The SAN DNS names of the leaf certificate of each resolved listener Secret (`ns/name`).
fn certificate_dns_names(ix: &Index, certificates: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for c in certificates {
        let Some((ns, name)) = c.split_once('/') else {
            continue;
        };
        let Some(Body::Secret(d)) = ix.object("Secret", ns, name).map(|o| &o.body) else {
            continue;
        };
        let text = match d.string_data.get("tls.crt") {
            Some(v) => v.clone(),
            None => d
                .data
                .get("tls.crt")
                .and_then(|v| super::index::base64_decode(v))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
        };
        if let Some(names) = crate::lint::x509::pem_certificates(&text)
            .first()
            .and_then(|der| crate::lint::x509::names(der))
        {
            out.extend(names.dns);
        }
    }
    out
}

/// Gateway `spec.tls`: backend client certificate (ResolvedRefs) and the insecure frontend mode.
fn gateway_tls(cx: &mut Ctx, o: &Object, spec: &GatewaySpec, conds: &mut Conditions) {
    let Some(tls) = &spec.tls else { return };
    let ix = cx.ix;
    let mut resolved: Option<(&'static str, String)> = None;
    if let Some(r) = tls
        .backend
        .as_ref()
        .and_then(|b| b.client_certificate_ref.as_ref())
    {
        let ns = r.namespace_or(&o.namespace);
        let (g, k) = (r.group_or(""), r.kind_or("Secret"));
        resolved = if !g.is_empty() || k != "Secret" {
            Some((
                "InvalidClientCertificateRef",
                format!("clientCertificateRef {g}/{k} `{}` is not a Secret", r.name),
            ))
        } else if !ix.ref_permitted(
            GATEWAY_GROUP,
            "Gateway",
            &o.namespace,
            "",
            "Secret",
            ns,
            &r.name,
        ) {
            Some(("RefNotPermitted", format!("clientCertificateRef to Secret `{ns}/{}` crosses namespaces and no ReferenceGrant allows it", r.name)))
        } else if ix.secret_state(ns, &r.name) != SecretState::Valid {
            Some((
                "InvalidClientCertificateRef",
                format!(
                    "Secret `{ns}/{}` is missing or not a valid TLS certificate",
                    r.name
                ),
            ))
        } else {
            None
        };
    }
    match resolved {
        None => conds.set(
            "ResolvedRefs",
            CondStatus::True,
            "ResolvedRefs",
            "References resolved",
        ),
        Some((reason, msg)) => {
            let code = if reason == "RefNotPermitted" {
                "ref-not-permitted"
            } else {
                "certificate-ref-invalid"
            };
            cx.diag(
                Diagnostic::error(code, format!("Gateway `{}`: {msg}", o.meta.name)),
                o,
                "/spec/tls/backend/clientCertificateRef",
            );
            conds.set("ResolvedRefs", CondStatus::False, reason, msg);
        }
    }
    if let Some(fr) = &tls.frontend {
        let insecure = fr
            .default_
            .iter()
            .chain(fr.per_port.iter().map(|p| &p.tls))
            .any(|t| {
                t.validation.as_ref().and_then(|v| v.mode.as_deref())
                    == Some("AllowInsecureFallback")
            });
        if insecure {
            conds.set(
                "InsecureFrontendValidationMode",
                CondStatus::True,
                "ConfigurationChanged",
                "Frontend validation mode is AllowInsecureFallback",
            );
        }
    }
}

/// Built from prepared shapes: `json!` re-serializes every nested `Value` it is given (a deep
/// copy of the conditions) and hashes each key with SipHash.
fn listener_json(l: &ListenerCtx, generation: i64) -> Value {
    static LISTENER: LazyLock<ObjectShape> = LazyLock::new(|| {
        ObjectShape::new(&["name", "supportedKinds", "attachedRoutes", "conditions"])
    });
    static KIND: LazyLock<ObjectShape> = LazyLock::new(|| ObjectShape::new(&["group", "kind"]));
    let kinds = l
        .state
        .supported_kinds
        .iter()
        .map(|k| {
            KIND.build([
                Value::String(GATEWAY_GROUP.into()),
                Value::String(k.kind().into()),
            ])
        })
        .collect();
    LISTENER.build([
        Value::String(l.state.name.clone()),
        Value::Array(kinds),
        Value::from(l.attached),
        l.conds.to_json(generation),
    ])
}

/// Gateway and ListenerSet status stanzas (after routes were counted).
pub fn statuses(ix: &Index, gws: &[GatewayCtx], out: &mut Vec<ObjectStatus>) {
    let model = ix.model;
    for g in gws {
        let o = &model.objects[g.object];
        let gen = o.generation();
        let mut st = serde_json::Map::new();
        st.insert("addresses".into(), Value::Array(g.addresses.clone()));
        st.insert("conditions".into(), g.conds.to_json(gen));
        st.insert(
            "listeners".into(),
            Value::Array(
                g.listeners
                    .iter()
                    .filter(|l| l.ls.is_none())
                    .map(|l| listener_json(l, gen))
                    .collect(),
            ),
        );
        if g.report_listener_sets {
            let n = g
                .listener_sets
                .iter()
                .filter(|s| s.conds.is_true("Accepted"))
                .count();
            st.insert("attachedListenerSets".into(), json!(n));
        }
        out.push(ObjectStatus::of(g.object, o, Value::Object(st).into()));
        for (lsi, s) in g.listener_sets.iter().enumerate() {
            let lo = &model.objects[s.object];
            let lgen = lo.generation();
            let ls: Vec<Value> = g
                .listeners
                .iter()
                .filter(|l| l.ls == Some(lsi))
                .map(|l| listener_json(l, lgen))
                .collect();
            out.push(ObjectStatus::of(
                s.object,
                lo,
                json!({ "conditions": s.conds.to_json(lgen), "listeners": ls }).into(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_table() {
        use Protocol::*;
        let h = |s: &str| Some(s.to_string());
        let cases: Vec<(Vec<(Protocol, u32, Option<String>)>, Vec<Option<&str>>)> = vec![
            (
                vec![(Http, 80, h("a")), (Http, 80, h("b"))],
                vec![None, None],
            ),
            (
                vec![(Http, 80, h("a")), (Http, 80, h("a"))],
                vec![Some("HostnameConflict"), Some("HostnameConflict")],
            ),
            (
                vec![(Http, 80, None), (Http, 80, None)],
                vec![Some("HostnameConflict"), Some("HostnameConflict")],
            ),
            (
                vec![(Http, 80, h("a")), (Https, 80, h("b"))],
                vec![Some("ProtocolConflict"), Some("ProtocolConflict")],
            ),
            (
                vec![(Https, 443, h("a")), (Tls, 443, h("a"))],
                vec![Some("HostnameConflict"), Some("HostnameConflict")],
            ),
            (
                vec![(Https, 443, h("a")), (Tls, 443, h("b"))],
                vec![None, None],
            ),
            (
                vec![(Http, 80, None), (Tcp, 80, None)],
                vec![Some("ProtocolConflict"), Some("ProtocolConflict")],
            ),
            (
                vec![(Tcp, 90, None), (Tcp, 90, None), (Tcp, 90, None)],
                vec![None, Some("ProtocolConflict"), Some("ProtocolConflict")],
            ),
            (vec![(Http, 80, None), (Udp, 80, None)], vec![None, None]),
            (
                vec![(Udp, 53, None), (Udp, 53, None)],
                vec![None, Some("ProtocolConflict")],
            ),
            (vec![(Http, 80, None), (Http, 8080, None)], vec![None, None]),
        ];
        for (inp, want) in cases {
            assert_eq!(gateway_conflicts(&inp), want, "{inp:?}");
        }
    }

    #[test]
    fn default_kinds() {
        assert_eq!(
            kinds_for(Protocol::Https, Some(TlsMode::Terminate)),
            vec![RouteKind::Http, RouteKind::Grpc]
        );
        assert_eq!(
            kinds_for(Protocol::Tls, Some(TlsMode::Passthrough)),
            vec![RouteKind::Tls]
        );
        assert_eq!(
            kinds_for(Protocol::Tls, Some(TlsMode::Terminate)),
            vec![RouteKind::Tls, RouteKind::Tcp]
        );
        assert!(kinds_for(Protocol::Unsupported, None).is_empty());
    }
}
