//! Validation of Envoy Gateway objects. Each problem carries a diagnostic code and a JSON pointer
//! so it is reported at the offending field; on a policy it also makes the policy
//! `Accepted=False/Invalid` (which, for BTP/SP/EEP, means 500 on the routes it governs).

use super::codec::base64_decode;
use super::types::*;
use super::{Policy, PolicySpec, Problem};
use crate::model::{Body, Model, ObjectRef};
use std::collections::BTreeMap;

/// A ReferenceGrant in `to_ns` lets `from_kind` objects in `from_ns` reference `to_kind/to_name`.
pub fn granted(
    model: &Model,
    from_kind: &str,
    from_ns: &str,
    to_kind: &str,
    to_ns: &str,
    to_name: &str,
) -> bool {
    model.objects.iter().any(|o| {
        let Body::ReferenceGrant(g) = &o.body else {
            return false;
        };
        o.namespace == to_ns
            && g.from
                .iter()
                .any(|f| f.kind == from_kind && f.namespace == from_ns)
            && g.to.iter().any(|t| {
                t.kind == to_kind
                    && t.name
                        .as_deref()
                        .is_none_or(|n| n.is_empty() || n == to_name)
            })
    })
}

/// Decoded data of a Secret or ConfigMap (`data` base64-decoded for Secrets, plus `stringData`).
pub fn object_data(
    model: &Model,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<BTreeMap<String, Vec<u8>>> {
    let o = model
        .objects
        .iter()
        .find(|o| o.kind == kind && o.namespace == namespace && o.name() == name)?;
    let d = match &o.body {
        Body::Secret(d) | Body::ConfigMap(d) => d,
        _ => return None,
    };
    let mut out = BTreeMap::new();
    for (k, v) in &d.data {
        let bytes = if kind == "Secret" {
            base64_decode(v).unwrap_or_else(|| v.as_bytes().to_vec())
        } else {
            v.as_bytes().to_vec()
        };
        out.insert(k.clone(), bytes);
    }
    for (k, v) in &d.string_data {
        out.insert(k.clone(), v.as_bytes().to_vec());
    }
    Some(out)
}

pub(super) struct V<'a> {
    pub model: &'a Model,
    pub p: &'a Policy,
    pub out: Vec<Problem>,
    /// (reason, message) of `Warning` conditions the spec earns (deprecated fields and the like).
    pub warnings: Vec<(&'static str, String)>,
}

impl V<'_> {
    pub(super) fn push(
        &mut self,
        code: &'static str,
        ptr: impl Into<String>,
        msg: impl Into<String>,
    ) {
        self.out.push(Problem {
            code,
            message: msg.into(),
            pointer: ptr.into(),
            fail_open: false,
        });
    }

    /// Resolves a Secret/ConfigMap reference, reporting a missing object or missing grant.
    pub(super) fn data_ref(
        &mut self,
        r: &ObjectRef,
        default_kind: &str,
        ptr: &str,
    ) -> Option<BTreeMap<String, Vec<u8>>> {
        let kind = r.kind_or(default_kind).to_string();
        let ns = r.namespace_or(&self.p.namespace).to_string();
        if ns != self.p.namespace
            && !granted(
                self.model,
                self.p.kind.name(),
                &self.p.namespace,
                &kind,
                &ns,
                &r.name,
            )
        {
            self.push(
                "policy-invalid",
                ptr,
                format!(
                    "{kind} {ns}/{} is in another namespace and no ReferenceGrant allows it",
                    r.name
                ),
            );
            return None;
        }
        match object_data(self.model, &kind, &ns, &r.name) {
            Some(d) => Some(d),
            None => {
                self.push(
                    "policy-invalid",
                    ptr,
                    format!("{kind} {ns}/{} does not exist", r.name),
                );
                None
            }
        }
    }

    /// A backendRef of an auth or extension service must name an existing Service port (or Backend).
    pub(super) fn backend_ref(&mut self, b: &crate::model::BackendRef, ptr: &str) -> bool {
        let ns = b
            .namespace
            .as_deref()
            .unwrap_or(&self.p.namespace)
            .to_string();
        let kind = b.kind().to_string();
        if ns != self.p.namespace
            && !granted(
                self.model,
                self.p.kind.name(),
                &self.p.namespace,
                &kind,
                &ns,
                &b.name,
            )
        {
            self.push(
                "policy-invalid",
                ptr,
                format!(
                    "{kind} {ns}/{} is in another namespace and no ReferenceGrant allows it",
                    b.name
                ),
            );
            return false;
        }
        // Kinds gwlab does not decode (ServiceImport, …) keep their namespace only in metadata.
        let found = self.model.objects.iter().find(|o| {
            o.kind == kind
                && o.name() == b.name
                && (o.namespace == ns || o.meta.namespace.as_deref().unwrap_or("") == ns)
        });
        match (kind.as_str(), found) {
            (_, None) => {
                self.push(
                    "policy-invalid",
                    ptr,
                    format!("{kind} {ns}/{} does not exist", b.name),
                );
                false
            }
            ("Service", Some(o)) => {
                let Body::Service(s) = &o.body else {
                    return true;
                };
                if s.type_.as_deref() == Some("ExternalName") {
                    self.push(
                        "policy-invalid",
                        ptr,
                        format!(
                            "Service {ns}/{} is of type ExternalName, which is not supported",
                            b.name
                        ),
                    );
                    return false;
                }
                match b.port {
                    None => {
                        self.push(
                            "policy-invalid",
                            ptr,
                            format!("a port is required for Service {ns}/{}", b.name),
                        );
                        false
                    }
                    Some(port) if !s.ports.iter().any(|p| p.port == port) => {
                        self.push(
                            "policy-invalid",
                            ptr,
                            format!("Service {ns}/{} has no port {port}", b.name),
                        );
                        false
                    }
                    _ => true,
                }
            }
            _ => true,
        }
    }
}

/// Validates a policy's spec and references: the problems that make it `Invalid`, and the
/// warnings it earns.
pub fn policy(model: &Model, p: &Policy) -> (Vec<Problem>, Vec<(&'static str, String)>) {
    let mut v = V {
        model,
        p,
        out: Vec::new(),
        warnings: Vec::new(),
    };
    match &p.spec {
        PolicySpec::Security(s) => security(&mut v, s),
        PolicySpec::BackendTraffic(s) => {
            backend_traffic(&mut v, s);
            super::spec_checks::backend_traffic(&mut v);
        }
        PolicySpec::ClientTraffic(s) => {
            client_traffic(&mut v, s);
            super::spec_checks::client_traffic(&mut v);
        }
        PolicySpec::EnvoyExtension => {
            envoy_extension(&mut v);
            super::spec_checks::envoy_extension(&mut v);
        }
    }
    (v.out, v.warnings)
}

fn security(v: &mut V, s: &SecurityPolicySpec) {
    if let Some(b) = &s.basic_auth {
        if let Some(data) = v.data_ref(&b.users, "Secret", "/spec/basicAuth/users") {
            match data.get(".htpasswd") {
                None => v.push(
                    "htpasswd-invalid",
                    "/spec/basicAuth/users",
                    "the Secret has no `.htpasswd` key",
                ),
                Some(bytes) => {
                    if let Err(e) = super::effects::parse_htpasswd(&String::from_utf8_lossy(bytes))
                    {
                        v.push("htpasswd-invalid", "/spec/basicAuth/users", e);
                    }
                }
            }
        }
    }
    if let Some(a) = &s.api_key_auth {
        let mut seen: BTreeMap<Vec<u8>, String> = BTreeMap::new();
        for (i, r) in a.credential_refs.iter().enumerate() {
            let ptr = format!("/spec/apiKeyAuth/credentialRefs/{i}");
            if let Some(data) = v.data_ref(r, "Secret", &ptr) {
                for (client, key) in data {
                    if let Some(prev) = seen.insert(key.clone(), client.clone()) {
                        v.push("api-key-duplicate", ptr.clone(), format!("API key of client `{client}` duplicates the key of client `{prev}`"));
                    }
                }
            }
        }
    }
    if let Some(j) = &s.jwt {
        for (i, pr) in j.providers.iter().enumerate() {
            let ptr = format!("/spec/jwt/providers/{i}");
            if pr.remote_jwks.is_none() && pr.local_jwks.is_none() {
                v.push(
                    "jwks-invalid",
                    ptr.clone(),
                    format!("JWT provider `{}` needs remoteJWKS or localJWKS", pr.name),
                );
            }
            if let Some(l) = &pr.local_jwks {
                let text = match (
                    l.type_.as_deref().unwrap_or("Inline"),
                    &l.inline,
                    &l.value_ref,
                ) {
                    ("Inline", Some(t), _) => Some(t.clone()),
                    ("ValueRef", _, Some(r)) => {
                        let r2 = ObjectRef {
                            namespace: None,
                            ..r.clone()
                        };
                        v.data_ref(&r2, "ConfigMap", &format!("{ptr}/localJWKS/valueRef"))
                            .and_then(|d| {
                                d.get("jwks")
                                    .map(|b| String::from_utf8_lossy(b).into_owned())
                            })
                    }
                    _ => {
                        v.push(
                            "jwks-invalid",
                            format!("{ptr}/localJWKS"),
                            "localJWKS has neither inline JWKS nor a valueRef",
                        );
                        None
                    }
                };
                if let Some(t) = text {
                    if let Err(e) = super::jwt::parse_jwks(&t) {
                        v.push(
                            "jwks-invalid",
                            format!("{ptr}/localJWKS"),
                            format!("invalid local JWKS: {e}"),
                        );
                    }
                }
            }
        }
    }
    if let Some(e) = &s.ext_auth {
        let before = v.out.len();
        for (name, svc) in [("grpc", &e.grpc), ("http", &e.http)] {
            if let Some(svc) = svc {
                let ptr = format!("/spec/extAuth/{name}");
                if svc.refs().is_empty() {
                    v.push(
                        "policy-invalid",
                        ptr.clone(),
                        "extAuth service has no backendRef",
                    );
                }
                let refs: Vec<crate::model::BackendRef> = svc.refs().into_iter().cloned().collect();
                for b in &refs {
                    v.backend_ref(b, &ptr);
                }
            }
        }
        if e.grpc.is_none() && e.http.is_none() {
            v.push(
                "policy-invalid",
                "/spec/extAuth",
                "extAuth needs either grpc or http",
            );
        }
        if e.fail_open == Some(true) {
            for pr in &mut v.out[before..] {
                pr.fail_open = true;
            }
        }
    }
    if let Some(o) = &s.oidc {
        if let Some(r) = &o.client_secret {
            if let Some(d) = v.data_ref(r, "Secret", "/spec/oidc/clientSecret") {
                if !d.contains_key("client-secret") {
                    v.push(
                        "policy-invalid",
                        "/spec/oidc/clientSecret",
                        "the client Secret has no `client-secret` key",
                    );
                }
            }
        }
    }
    if let Some(a) = &s.authorization {
        for (i, r) in a.rules.iter().enumerate() {
            if let Some(p) = &r.principal {
                for (j, c) in p.client_cidrs.iter().enumerate() {
                    if super::effects::parse_cidr(c).is_none() {
                        v.push(
                            "policy-invalid",
                            format!("/spec/authorization/rules/{i}/principal/clientCIDRs/{j}"),
                            format!("`{c}` is not a CIDR"),
                        );
                    }
                }
            }
        }
    }
}

fn backend_traffic(v: &mut V, s: &BackendTrafficPolicySpec) {
    if let Some(rl) = &s.rate_limit {
        if let Some(local) = &rl.local {
            let mut default_rules = 0;
            for (i, r) in local.rules.iter().enumerate() {
                let ptr = format!("/spec/rateLimit/local/rules/{i}");
                if !matches!(r.limit.unit.as_str(), "Second" | "Minute" | "Hour" | "Day") {
                    v.push("policy-invalid", format!("{ptr}/limit/unit"), format!("local rate limit unit `{}` is not supported (Second, Minute, Hour, Day)", r.limit.unit));
                }
                if r.client_selectors.is_empty() {
                    default_rules += 1;
                    if default_rules > 1 {
                        v.push(
                            "policy-invalid",
                            ptr.clone(),
                            "only one local rate limit rule may omit clientSelectors",
                        );
                    }
                }
                selectors_regex(v, &r.client_selectors, &ptr);
            }
            // Selector rules' units must be multiples of the default rule's unit
            // (`buildLocalRateLimit`); with Second < Minute < Hour < Day each a multiple of the
            // previous, that means no selector rule may use a finer unit than the default.
            let secs = |u: &str| match u {
                "Second" => Some(1u32),
                "Minute" => Some(60),
                "Hour" => Some(3600),
                "Day" => Some(86400),
                _ => None,
            };
            let default = local
                .rules
                .iter()
                .find(|r| r.client_selectors.is_empty())
                .and_then(|r| secs(&r.limit.unit).map(|s| (s, r.limit.unit.clone())));
            if let Some((dsecs, dunit)) = default {
                for (i, r) in local.rules.iter().enumerate() {
                    if r.client_selectors.is_empty() {
                        continue;
                    }
                    if let Some(s) = secs(&r.limit.unit) {
                        if s % dsecs != 0 {
                            v.push(
                                "policy-invalid",
                                format!("/spec/rateLimit/local/rules/{i}/limit/unit"),
                                format!(
                                    "local rate limit unit `{}` is not a multiple of the default rule's unit `{dunit}`: selector rules must use the default unit or a coarser one",
                                    r.limit.unit
                                ),
                            );
                        }
                    }
                }
            }
        }
        if let Some(global) = &rl.global {
            for (i, r) in global.rules.iter().enumerate() {
                selectors_regex(
                    v,
                    &r.client_selectors,
                    &format!("/spec/rateLimit/global/rules/{i}"),
                );
            }
        }
    }
    for (i, o) in s.response_override.iter().enumerate() {
        if let Some(BodySource {
            type_: Some(t),
            value_ref: Some(r),
            ..
        }) = o.response.as_ref().and_then(|r| r.body.as_ref())
        {
            if t == "ValueRef" {
                let r2 = ObjectRef {
                    namespace: None,
                    ..r.clone()
                };
                v.data_ref(
                    &r2,
                    "ConfigMap",
                    &format!("/spec/responseOverride/{i}/response/body/valueRef"),
                );
            }
        }
    }
    if let Some(cb) = &s.circuit_breaker {
        for (k, val) in cb.as_object().into_iter().flatten() {
            if let Some(n) = val.as_i64() {
                if !(0..=4294967295).contains(&n) {
                    v.push(
                        "policy-invalid",
                        format!("/spec/circuitBreaker/{k}"),
                        format!("circuitBreaker.{k} is out of range"),
                    );
                }
            }
        }
    }
    if let Some(t) = s
        .timeout
        .as_ref()
        .and_then(|t| t.pointer("/http/requestTimeout"))
        .and_then(|x| x.as_str())
    {
        if super::effects::parse_duration(t).is_none() {
            v.push(
                "policy-invalid",
                "/spec/timeout/http/requestTimeout",
                format!("`{t}` is not a duration"),
            );
        }
    }
    if let Some(r) = &s.retry {
        for k in ["baseInterval", "maxInterval"] {
            if let Some(d) = r
                .pointer(&format!("/perRetry/backOff/{k}"))
                .and_then(|x| x.as_str())
            {
                if super::effects::parse_duration(d) == Some(0.0) {
                    v.push(
                        "policy-invalid",
                        format!("/spec/retry/perRetry/backOff/{k}"),
                        format!("retry backoff {k} must be greater than zero"),
                    );
                }
            }
        }
    }
}

fn selectors_regex(v: &mut V, sels: &[ClientSelector], ptr: &str) {
    for (j, sel) in sels.iter().enumerate() {
        for (k, h) in sel.headers.iter().enumerate() {
            if h.type_.as_deref() == Some("RegularExpression") {
                if let Err(e) = regex::Regex::new(h.value.as_deref().unwrap_or("")) {
                    v.push(
                        "policy-invalid",
                        format!("{ptr}/clientSelectors/{j}/headers/{k}/value"),
                        format!("invalid regex: {e}"),
                    );
                }
            }
        }
        if let Some(c) = &sel.source_cidr {
            if super::effects::parse_cidr(&c.value).is_none() {
                v.push(
                    "policy-invalid",
                    format!("{ptr}/clientSelectors/{j}/sourceCIDR/value"),
                    format!("`{}` is not a CIDR", c.value),
                );
            }
        }
    }
}

fn client_traffic(v: &mut V, s: &ClientTrafficPolicySpec) {
    if let Some(c) = &s.client_ip_detection {
        if c.x_forwarded_for.is_some() && c.custom_header.is_some() {
            v.push(
                "policy-invalid",
                "/spec/clientIPDetection",
                "set only one of xForwardedFor and customHeader",
            );
        }
        if let Some(x) = &c.x_forwarded_for {
            for (i, cidr) in x.trusted_cidrs.iter().enumerate() {
                if super::effects::parse_cidr(cidr).is_none() {
                    v.push(
                        "policy-invalid",
                        format!("/spec/clientIPDetection/xForwardedFor/trustedCIDRs/{i}"),
                        format!("`{cidr}` is not a CIDR"),
                    );
                }
            }
        }
    }
    let raw = &v.p.raw;
    for ptr in [
        "/timeout/http/requestReceivedTimeout",
        "/timeout/http/idleTimeout",
        "/connection/bufferLimit",
    ] {
        if let Some(s) = raw.pointer(ptr).and_then(|x| x.as_str()) {
            let ok = if ptr.ends_with("bufferLimit") {
                parse_quantity(s).is_some()
            } else {
                super::effects::parse_duration(s).is_some()
            };
            if !ok {
                v.push(
                    "policy-invalid",
                    format!("/spec{ptr}"),
                    format!("`{s}` cannot be parsed"),
                );
            }
        }
    }
}

fn envoy_extension(v: &mut V) {
    let raw = v.p.raw.clone();
    if let Some(list) = raw.get("extProc").and_then(|x| x.as_array()) {
        for (i, e) in list.iter().enumerate() {
            let refs: Vec<serde_json::Value> = e
                .get("backendRef")
                .into_iter()
                .cloned()
                .chain(
                    e.get("backendRefs")
                        .and_then(|b| b.as_array())
                        .cloned()
                        .unwrap_or_default(),
                )
                .collect();
            for b in refs {
                if let Ok(b) = crate::model::from_value::<crate::model::BackendRef>(&b) {
                    v.backend_ref(&b, &format!("/spec/extProc/{i}"));
                }
            }
        }
    }
}

/// A Kubernetes quantity (`1Mi`, `500k`, `1.5Gi`, `1024`), in bytes; None when malformed or
/// beyond u64.
pub fn parse_quantity(s: &str) -> Option<u64> {
    let idx = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let num = &s[..idx];
    if num.is_empty() || num.starts_with('.') || num.matches('.').count() > 1 {
        return None;
    }
    let mul: u64 = match &s[idx..] {
        "" => 1,
        "k" => 1000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        "Ei" => 1 << 60,
        _ => return None,
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let whole = int.parse::<u64>().ok()?.checked_mul(mul)?;
    if frac.is_empty() {
        return Some(whole);
    }
    // Fractions round up, as Kubernetes does for byte quantities.
    let f: f64 = format!("0.{frac}").parse().ok()?;
    whole.checked_add((f * mul as f64).ceil() as u64)
}

/// HTTPRouteFilter checks: a regex rewrite must compile.
pub fn http_route_filter(f: &HttpRouteFilterSpec) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if let Some(p) = f
        .url_rewrite
        .as_ref()
        .and_then(|u| u.path.as_ref())
        .and_then(|p| p.replace_regex_match.as_ref())
    {
        if let Err(e) = regex::Regex::new(&p.pattern) {
            out.push((
                "policy-invalid",
                format!("invalid path regex: {e}"),
                "/spec/urlRewrite/path/replaceRegexMatch/pattern".to_string(),
            ));
        }
    }
    if let Some(code) = f.direct_response.as_ref().and_then(|d| d.status_code) {
        if !(200..=599).contains(&code) {
            out.push((
                "policy-invalid",
                format!("direct response status {code} is out of range"),
                "/spec/directResponse/statusCode".to_string(),
            ));
        }
    }
    out
}

/// Backend checks (`backend.go`): endpoint kinds, FQDN shape, no IP/FQDN mix; DynamicResolver has none.
pub fn backend(b: &BackendSpec) -> Result<(), (String, String)> {
    if b.type_.as_deref() == Some("DynamicResolver") {
        if !b.endpoints.is_empty() {
            return Err((
                "a DynamicResolver Backend takes no endpoints".into(),
                "/spec/endpoints".into(),
            ));
        }
        return Ok(());
    }
    if b.endpoints.is_empty() {
        return Err((
            "a Backend needs at least one endpoint".into(),
            "/spec".into(),
        ));
    }
    let (mut ip, mut fqdn) = (false, false);
    for (i, e) in b.endpoints.iter().enumerate() {
        let ptr = format!("/spec/endpoints/{i}");
        if let Some(f) = &e.fqdn {
            fqdn = true;
            if f.hostname.parse::<std::net::IpAddr>().is_ok() || !f.hostname.contains('.') {
                return Err((
                    format!("`{}` is not a fully qualified domain name", f.hostname),
                    ptr,
                ));
            }
        } else if let Some(a) = &e.ip {
            ip = true;
            if a.address.parse::<std::net::IpAddr>().is_err() {
                return Err((format!("`{}` is not an IP address", a.address), ptr));
            }
        } else if e.unix.is_none() {
            return Err(("an endpoint needs fqdn, ip or unix".into(), ptr));
        }
    }
    if ip && fqdn {
        return Err((
            "a Backend cannot mix FQDN and IP endpoints (UnsupportedAddressType)".into(),
            "/spec/endpoints".into(),
        ));
    }
    Ok(())
}
