//! Checks Envoy Gateway's translator makes on policy fields that the CRD schema lets through:
//! quantities and durations it must convert, limits Envoy enforces, references it must resolve,
//! and extension code it must load. Each failure makes the policy `Accepted=False/Invalid` and is
//! reported at the field. They read the raw spec, so they do not depend on how much of it is typed.

use super::validate::{parse_quantity, V};
use crate::model::ObjectRef;
use serde_json::Value;

const INVALID: &str = "policy-invalid";

/// Envoy takes buffer sizes as 32-bit byte counts.
const MAX_BUFFER: u64 = u32::MAX as u64;
/// Envoy's `max_request_headers_kb` upper bound.
const MAX_HEADER_KIB: u64 = 8192;
/// Maglev's table size must be a prime no larger than this.
const MAX_MAGLEV_TABLE: u64 = 5_000_011;

fn str_at<'a>(raw: &'a Value, ptr: &str) -> Option<&'a str> {
    raw.pointer(ptr).and_then(Value::as_str)
}

fn durations(v: &mut V, ptrs: &[&str]) {
    for ptr in ptrs {
        if let Some(d) = str_at(&v.p.raw, ptr).map(str::to_string) {
            if super::effects::parse_duration(&d).is_none() {
                v.push(
                    INVALID,
                    format!("/spec{ptr}"),
                    format!(
                        "invalid duration `{d}` at {}: use Go duration syntax such as 10s or 1m30s",
                        &ptr[1..].replace('/', ".")
                    ),
                );
            }
        }
    }
}

fn buffer_limit(v: &mut V) {
    let Some(q) = str_at(&v.p.raw, "/connection/bufferLimit").map(str::to_string) else {
        return;
    };
    match parse_quantity(&q) {
        Some(n) if n <= MAX_BUFFER => {}
        Some(_) => v.push(
            INVALID,
            "/spec/connection/bufferLimit",
            format!("BufferLimit: {q} is out of range, must be between 0 and {MAX_BUFFER}"),
        ),
        None => v.push(
            INVALID,
            "/spec/connection/bufferLimit",
            format!("BufferLimit: `{q}` is not a quantity"),
        ),
    }
}

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

pub(super) fn backend_traffic(v: &mut V) {
    durations(
        v,
        &[
            "/timeout/tcp/connectTimeout",
            "/timeout/http/connectionIdleTimeout",
            "/timeout/http/maxConnectionDuration",
            "/timeout/http/maxStreamDuration",
        ],
    );
    buffer_limit(v);
    if let Some(n) =
        v.p.raw
            .pointer("/loadBalancer/consistentHash/tableSize")
            .and_then(Value::as_u64)
    {
        if n > MAX_MAGLEV_TABLE || !is_prime(n) {
            v.push(
                INVALID,
                "/spec/loadBalancer/consistentHash/tableSize",
                format!("invalid TableSize value {n}: it must be a prime number no larger than {MAX_MAGLEV_TABLE}"),
            );
        }
    }
    // A ValueRef body is read from the ConfigMap key `response.body`.
    let overrides =
        v.p.raw
            .get("responseOverride")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
    for (i, o) in overrides.iter().enumerate() {
        let Some(b) = o
            .pointer("/response/body")
            .filter(|b| b["type"] == "ValueRef")
        else {
            continue;
        };
        let Ok(r) = crate::model::from_value::<ObjectRef>(&b["valueRef"]) else {
            continue;
        };
        let ptr = format!("/spec/responseOverride/{i}/response/body/valueRef");
        let r = ObjectRef {
            namespace: None,
            ..r
        };
        if let Some(d) = v.data_ref(&r, "ConfigMap", &ptr) {
            if !d.contains_key("response.body") {
                v.push(
                    INVALID,
                    ptr,
                    format!(
                        "failed to get response body: ConfigMap {}/{} has no key response.body",
                        v.p.namespace, r.name
                    ),
                );
            }
        }
    }
}

/// An HTTP header name is an RFC 7230 token.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn header_modifier(v: &mut V, base: &str) {
    let Some(m) = v.p.raw.pointer(base).cloned() else {
        return;
    };
    for op in ["add", "set", "addIfAbsent"] {
        for (i, h) in m
            .get(op)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let name = h["name"].as_str().unwrap_or("");
            let value = h["value"].as_str().unwrap_or("");
            let ptr = format!("/spec{base}/{op}/{i}");
            if !is_token(name) {
                v.push(
                    INVALID,
                    format!("{ptr}/name"),
                    format!("header name `{name}` is not a valid HTTP header name"),
                );
            } else if value.contains(['\r', '\n']) {
                v.push(
                    INVALID,
                    format!("{ptr}/value"),
                    format!("the value of header {name} contains a line break"),
                );
            }
        }
    }
    for (i, n) in m
        .get("remove")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = n.as_str().unwrap_or("");
        if !is_token(name) {
            v.push(
                INVALID,
                format!("/spec{base}/remove/{i}"),
                format!("header name `{name}` is not a valid HTTP header name"),
            );
        }
    }
}

/// Cipher names BoringSSL (hence Envoy) accepts for TLS 1.2 and below.
const CIPHERS: [&str; 20] = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-PSK-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-PSK-AES128-CBC-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-PSK-AES256-CBC-SHA",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA",
    "PSK-AES128-CBC-SHA",
    "AES256-SHA",
    "PSK-AES256-CBC-SHA",
    "DES-CBC3-SHA",
];

/// A cipher entry may be an equal-preference group `[A|B]`.
fn cipher_ok(c: &str) -> bool {
    let inner = c
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(c);
    inner
        .split('|')
        .all(|x| CIPHERS.contains(&x) || x.starts_with("TLS_"))
}

fn client_validation(v: &mut V) {
    let Some(cv) = v.p.raw.pointer("/tls/clientValidation").cloned() else {
        return;
    };
    if cv.get("optional").and_then(Value::as_bool) == Some(true) {
        v.warnings.push(("DeprecatedField", "spec.tls.clientValidation.optional is deprecated, use spec.tls.clientValidation.mode instead".into()));
    }
    let refs = cv
        .get("caCertificateRefs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if refs.is_empty() {
        v.push(
            INVALID,
            "/spec/tls/clientValidation",
            "no CA certificate is specified in tls.clientValidation.caCertificateRefs",
        );
    }
    for (i, r) in refs.iter().enumerate() {
        let Ok(r) = crate::model::from_value::<ObjectRef>(r) else {
            continue;
        };
        let ptr = format!("/spec/tls/clientValidation/caCertificateRefs/{i}");
        match r.kind_or("Secret") {
            "ClusterTrustBundle" => {
                let found = v
                    .model
                    .objects
                    .iter()
                    .any(|o| o.kind == "ClusterTrustBundle" && o.name() == r.name);
                if !found {
                    v.push(
                        INVALID,
                        ptr,
                        format!("ClusterTrustBundle {} does not exist", r.name),
                    );
                }
            }
            kind @ ("Secret" | "ConfigMap") => {
                if let Some(d) = v.data_ref(&r, kind, &ptr) {
                    if !d.contains_key("ca.crt") {
                        let ns = r.namespace_or(&v.p.namespace).to_string();
                        v.push(
                            INVALID,
                            ptr,
                            format!("no ca.crt key in {kind} {ns}/{}", r.name),
                        );
                    }
                }
            }
            other => v.push(
                INVALID,
                ptr,
                format!("unsupported caCertificateRef kind {other}"),
            ),
        }
    }
}

pub(super) fn client_traffic(v: &mut V) {
    durations(
        v,
        &[
            "/timeout/http/streamIdleTimeout",
            "/timeout/tcp/idleTimeout",
            "/connection/connectionLimit/closeDelay",
            "/tcpKeepalive/idleTime",
            "/tcpKeepalive/interval",
        ],
    );
    buffer_limit(v);
    if let Some(q) = str_at(&v.p.raw, "/headers/maxRequestHeaderLimit").map(str::to_string) {
        let kib = parse_quantity(&q).map(|b| b / 1024);
        if !kib.is_some_and(|k| (1..=MAX_HEADER_KIB).contains(&k)) {
            v.push(
                INVALID,
                "/spec/headers/maxRequestHeaderLimit",
                format!("maxRequestHeaderLimit {q} must be between 1Ki and {MAX_HEADER_KIB}Ki"),
            );
        }
    }
    header_modifier(v, "/headers/earlyRequestHeaders");
    header_modifier(v, "/headers/lateResponseHeaders");
    let ciphers =
        v.p.raw
            .pointer("/tls/ciphers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
    for (i, c) in ciphers.iter().enumerate() {
        let c = c.as_str().unwrap_or("");
        if !cipher_ok(c) {
            v.push(
                INVALID,
                format!("/spec/tls/ciphers/{i}"),
                format!("unsupported cipher suite {c}"),
            );
        }
    }
    client_validation(v);
}

/// Methods of the request/response handle Envoy's Lua filter provides.
const LUA_HANDLE_API: [&str; 27] = [
    "headers",
    "body",
    "bodyChunks",
    "trailers",
    "metadata",
    "streamInfo",
    "connection",
    "connectionStreamInfo",
    "logTrace",
    "logDebug",
    "logInfo",
    "logWarn",
    "logErr",
    "logCritical",
    "httpCall",
    "respond",
    "importPublicKey",
    "verifySignature",
    "base64Escape",
    "timestamp",
    "timestampString",
    "setUpstreamOverrideHost",
    "clearRouteCache",
    "filterContext",
    "route",
    "virtualClusterName",
    "upstreamHost",
];

/// Envoy Gateway runs inline Lua against a mock of Envoy's API before accepting it: the script
/// must define `envoy_on_request` or `envoy_on_response`, and calling a method the handle does not
/// have fails. This is the static part of that check.
fn lua_problem(code: &str) -> Option<String> {
    let re = regex::Regex::new(
        r"function\s+(envoy_on_request|envoy_on_response)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)?",
    )
    .ok()?;
    let mut defined = false;
    for c in re.captures_iter(code) {
        defined = true;
        let Some(h) = c.get(2) else { continue };
        let call = regex::Regex::new(&format!(
            r"\b{}\s*:\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(",
            regex::escape(h.as_str())
        ))
        .ok()?;
        for m in call.captures_iter(code) {
            let method = &m[1];
            if !LUA_HANDLE_API.contains(&method) {
                return Some(format!("validation failed for lua body: {}: attempt to call a nil value (method '{method}')", &c[1]));
            }
        }
    }
    (!defined).then(|| "validation failed for lua body: expected one of envoy_on_request() or envoy_on_response() to be defined".into())
}

pub(super) fn envoy_extension(v: &mut V) {
    let raw = v.p.raw.clone();
    for (i, l) in raw
        .get("lua")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(code) = l.get("inline").and_then(Value::as_str) {
            if let Some(msg) = lua_problem(code) {
                v.push(INVALID, format!("/spec/lua/{i}/inline"), msg);
            }
        }
    }
    for (i, w) in raw
        .get("wasm")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let fail_open = w.get("failOpen").and_then(Value::as_bool) == Some(true);
        let Some(r) = w.pointer("/code/image/pullSecretRef") else {
            continue;
        };
        let Ok(r) = crate::model::from_value::<ObjectRef>(r) else {
            continue;
        };
        let before = v.out.len();
        v.data_ref(
            &r,
            "Secret",
            &format!("/spec/wasm/{i}/code/image/pullSecretRef"),
        );
        for p in &mut v.out[before..] {
            p.fail_open = fail_open;
        }
    }
    for (i, e) in raw
        .get("extProc")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let refs = e
            .get("backendRefs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut kinds = std::collections::BTreeSet::new();
        for r in &refs {
            let Ok(b) = crate::model::from_value::<crate::model::BackendRef>(r) else {
                continue;
            };
            if b.kind() != "Backend" {
                kinds.insert("IP");
                continue;
            }
            let ns = b.namespace.clone().unwrap_or_else(|| v.p.namespace.clone());
            let backend = v
                .model
                .objects
                .iter()
                .find(|o| o.kind == "Backend" && o.namespace == ns && o.name() == b.name);
            let Some(spec) = backend.and_then(super::raw_spec) else {
                continue;
            };
            for ep in spec
                .get("endpoints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if ep.get("fqdn").is_some() {
                    kinds.insert("FQDN");
                } else if ep.get("ip").is_some() {
                    kinds.insert("IP");
                }
            }
        }
        for (j, r) in refs.iter().enumerate() {
            let Ok(b) = crate::model::from_value::<crate::model::BackendRef>(r) else {
                continue;
            };
            if b.kind() == "Service" {
                let ns = b.namespace.clone().unwrap_or_else(|| v.p.namespace.clone());
                if let Some(msg) = backend_tls_problem(v.model, &ns, &b.name, b.port) {
                    v.push(INVALID, format!("/spec/extProc/{i}/backendRefs/{j}"), msg);
                }
            }
        }
        if kinds.len() > 1 {
            v.push(INVALID, format!("/spec/extProc/{i}/backendRefs"), "mixed endpoint address types (IP and FQDN) in the backendRefs of one extProc are not supported");
        }
    }
}

/// Traffic to a Service with a BackendTLSPolicy needs that policy's CA certificates; Envoy Gateway
/// cannot build the extension's cluster without them.
fn backend_tls_problem(
    model: &crate::model::Model,
    ns: &str,
    service: &str,
    port: Option<u32>,
) -> Option<String> {
    use crate::model::Body;
    let port_name = model.objects.iter().find_map(|o| match &o.body {
        Body::Service(s) if o.namespace == ns && o.name() == service => s
            .ports
            .iter()
            .find(|p| Some(p.port) == port)
            .and_then(|p| p.name.clone()),
        _ => None,
    });
    for o in model.objects.iter().filter(|o| o.namespace == ns) {
        let Body::BackendTlsPolicy(b) = &o.body else {
            continue;
        };
        let targets = b.target_refs.iter().any(|t| {
            t.kind == "Service"
                && t.name == service
                && t.section_name
                    .as_ref()
                    .is_none_or(|s| port_name.as_ref().is_none_or(|p| p == s))
        });
        if !targets || b.validation.well_known_ca_certificates.is_some() {
            continue;
        }
        if b.validation.ca_certificate_refs.is_empty() {
            return Some(format!(
                "BackendTLSPolicy {ns}/{} for Service {ns}/{service} has no CA certificate",
                o.name()
            ));
        }
        for r in &b.validation.ca_certificate_refs {
            let kind = r.kind_or("ConfigMap");
            let ok = super::validate::object_data(model, kind, ns, &r.name)
                .is_some_and(|d| d.contains_key("ca.crt"));
            if !ok {
                return Some(format!(
                    "BackendTLSPolicy {ns}/{}: CA certificate {kind} {ns}/{} for Service {ns}/{service} is missing or has no ca.crt",
                    o.name(),
                    r.name
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_needs_an_entry_point_and_known_handle_methods() {
        assert_eq!(
            lua_problem("function envoy_on_request(h) h:logInfo('x') h:headers():add('a','b') end"),
            None
        );
        assert!(
            lua_problem("function envoy_on_response(r) r:UnknownApi() end")
                .unwrap()
                .contains("UnknownApi")
        );
        assert!(lua_problem("function other(r) r:logInfo('x') end")
            .unwrap()
            .contains("expected one of"));
    }

    #[test]
    fn primes_and_ciphers() {
        assert!(is_prime(65537) && is_prime(5_000_011) && !is_prime(1024) && !is_prime(1));
        assert!(
            cipher_ok("ECDHE-RSA-AES128-GCM-SHA256")
                && cipher_ok("[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]")
        );
        assert!(!cipher_ok("INVALID-CIPHER"));
        assert!(is_token("x-api-key") && !is_token("Example/Header") && !is_token(""));
    }
}
