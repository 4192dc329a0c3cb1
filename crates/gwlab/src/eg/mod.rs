//! Envoy Gateway extensions, simulated: SecurityPolicy, BackendTrafficPolicy, ClientTrafficPolicy,
//! EnvoyExtensionPolicy (attachment and status only), EnvoyProxy, HTTPRouteFilter and Backend.
//!
//! * [`PolicyIndex::build`] decodes the Envoy Gateway objects of a [`Model`], validates them
//!   (located diagnostics), attaches policies to their targets and computes each policy's
//!   `status.ancestors[]` exactly as Envoy Gateway writes it ([`PolicyIndex::statuses`]).
//! * [`effects`] tells what the policies do to one request once the router has picked a
//!   Gateway, listener, route and rule ([`RouteContext`]): a short-circuit reply (CORS preflight,
//!   401/403, 429, fault abort, …), headers added upstream and downstream, and a plain-words trace.
//! * [`client`] applies ClientTrafficPolicy to what the router sees (header and path
//!   normalization, client IP detection); [`filter`] evaluates HTTPRouteFilter; [`ratelimit`]
//!   replays a burst through the local rate limiter's token buckets.
//!
//! Not simulated: OIDC token exchange, JWT signature verification (tokens are decoded and their
//! claims checked; the trace says the signature is assumed valid), global rate limiting counts,
//! GeoIP and CEL authorization, EnvoyExtensionPolicy behaviour (only its attachment and status).

pub mod attach;
pub mod client;
pub mod codec;
pub mod crypto;
pub mod ctp;
pub mod effects;
pub mod filter;
mod geoip;
pub mod jwt;
pub mod ratelimit;
mod spec_checks;
pub mod status;
pub mod types;
pub mod validate;
pub mod world;

pub use attach::{Attachment, Level};
pub use effects::{effects, PolicyEffect, RouteContext, ShortCircuit};
pub use types::*;

use crate::diag::Diagnostic;
use crate::model::{Body, Model, EG_GROUP};
use crate::resolve::{ObjectStatus, ENVOY_GATEWAY_CONTROLLER};
use crate::sort::StableSort;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum PolicyKind {
    Security,
    BackendTraffic,
    ClientTraffic,
    EnvoyExtension,
}

impl PolicySpec {
    /// Copies the separately decoded targeting into the typed spec, which carries it too.
    fn set_targets(&mut self, t: &PolicyTargets) {
        match self {
            PolicySpec::Security(s) => s.targets = t.clone(),
            PolicySpec::BackendTraffic(s) => s.targets = t.clone(),
            PolicySpec::ClientTraffic(s) => s.targets = t.clone(),
            PolicySpec::EnvoyExtension => {}
        }
    }
}

impl PolicyKind {
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Security => "SecurityPolicy",
            PolicyKind::BackendTraffic => "BackendTrafficPolicy",
            PolicyKind::ClientTraffic => "ClientTrafficPolicy",
            PolicyKind::EnvoyExtension => "EnvoyExtensionPolicy",
        }
    }
    pub fn from_kind(kind: &str) -> Option<PolicyKind> {
        Some(match kind {
            "SecurityPolicy" => PolicyKind::Security,
            "BackendTrafficPolicy" => PolicyKind::BackendTraffic,
            "ClientTrafficPolicy" => PolicyKind::ClientTraffic,
            "EnvoyExtensionPolicy" => PolicyKind::EnvoyExtension,
            _ => return None,
        })
    }
    /// An invalid policy of this kind still claims its targets and answers 500.
    pub fn invalid_is_500(self) -> bool {
        !matches!(self, PolicyKind::ClientTraffic)
    }
}

/// The typed spec of a policy.
#[derive(Debug, Clone)]
pub enum PolicySpec {
    Security(Box<SecurityPolicySpec>),
    BackendTraffic(Box<BackendTrafficPolicySpec>),
    ClientTraffic(Box<ClientTrafficPolicySpec>),
    /// Only targeting is simulated.
    EnvoyExtension,
}

/// A reason the policy is `Accepted=False/Invalid`.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    /// JSON pointer into the policy object.
    pub pointer: String,
    /// The failing part is failOpen (extAuth with `failOpen: true`): requests still pass.
    pub fail_open: bool,
}

/// One Envoy Gateway policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Index into `Model::objects`.
    pub object: usize,
    pub kind: PolicyKind,
    pub namespace: String,
    pub name: String,
    pub generation: i64,
    pub targets: PolicyTargets,
    pub spec: PolicySpec,
    /// The raw `spec` (for merging and for fields that are not typed).
    pub raw: Value,
    pub problems: Vec<Problem>,
    /// (reason, message) of the `Warning` condition: deprecated fields and the like.
    pub warnings: Vec<(&'static str, String)>,
}

/// Envoy Gateway objects that are not policies, typed.
#[derive(Debug, Clone)]
pub struct EgObject {
    pub object: usize,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub raw: Value,
}

/// Everything the Envoy Gateway layer knows about a model.
#[derive(Debug, Clone, Default)]
pub struct PolicyIndex {
    /// Policies in age order (creationTimestamp, then namespace/name; see `Object::age_key`).
    pub policies: Vec<Policy>,
    /// Accepted attachments, in processing order.
    pub attachments: Vec<Attachment>,
    /// One entry per policy, with `status.ancestors[]`.
    pub statuses: Vec<ObjectStatus>,
    pub diagnostics: Vec<Diagnostic>,
    /// HTTPRouteFilters by `namespace/name`.
    pub filters: Vec<(String, HttpRouteFilterSpec, usize)>,
    /// Backends by `namespace/name`, with their `Accepted` verdict.
    pub backends: Vec<(String, BackendSpec, Result<(), String>)>,
    /// Decoded Secret and ConfigMap data, keyed by (kind, namespace, name), for auth checks.
    pub data: std::collections::BTreeMap<
        (String, String, String),
        std::collections::BTreeMap<String, Vec<u8>>,
    >,
}

/// Decodes a spec, ignoring null fields. The raw spec keeps them: under `mergeType: JSONMerge` a
/// null deletes the parent's field.
fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, (String, String)> {
    crate::model::decode_value(v, "/spec").map(|(t, _unknown)| t)
}

/// The typed spec of a policy of `kind`, with its targeting decoded on its own (the specs skip it).
fn decode_policy(
    kind: PolicyKind,
    spec: &Value,
) -> Result<(PolicyTargets, PolicySpec), (String, String)> {
    let mut typed = match kind {
        PolicyKind::Security => PolicySpec::Security(Box::new(decode(spec)?)),
        PolicyKind::BackendTraffic => PolicySpec::BackendTraffic(Box::new(decode(spec)?)),
        PolicyKind::ClientTraffic => PolicySpec::ClientTraffic(Box::new(decode(spec)?)),
        PolicyKind::EnvoyExtension => PolicySpec::EnvoyExtension,
    };
    let targets = decode::<PolicyTargets>(spec)?;
    typed.set_targets(&targets);
    Ok((targets, typed))
}

/// The raw spec of an Envoy Gateway object, if `o` is one.
pub fn raw_spec(o: &crate::model::Object) -> Option<&Value> {
    match &o.body {
        Body::Extension(v) if o.group() == EG_GROUP => v.get("spec"),
        _ => None,
    }
}

impl PolicyIndex {
    /// Decodes, validates and attaches every Envoy Gateway object, acting as `controller`.
    pub fn build(model: &Model, controller: &str) -> PolicyIndex {
        let mut ix = PolicyIndex::default();
        let mut order: Vec<usize> = (0..model.objects.len()).collect();
        order.stable_sort_by_key(|&i| model.objects[i].age_key());
        for i in order {
            let o = &model.objects[i];
            let Some(spec) = raw_spec(o) else { continue };
            let at = |ptr: &str| model.locate(o, ptr);
            if let Some(kind) = PolicyKind::from_kind(&o.kind) {
                let typed = decode_policy(kind, spec);
                let (targets, pspec) = match typed {
                    Ok(t) => t,
                    Err((ptr, msg)) => {
                        let d = Diagnostic::error(
                            "policy-invalid",
                            format!("{} `{ptr}`: {msg}", o.kind),
                        );
                        ix.diagnostics.push(d.at(at(&ptr)).on(o.id()));
                        continue;
                    }
                };
                let mut p = Policy {
                    object: i,
                    kind,
                    namespace: o.namespace.clone(),
                    name: o.name().to_string(),
                    generation: o.generation(),
                    targets,
                    spec: pspec,
                    raw: spec.clone(),
                    problems: Vec::new(),
                    warnings: Vec::new(),
                };
                (p.problems, p.warnings) = validate::policy(model, &p);
                if p.targets.target_ref.is_some() {
                    p.warnings.insert(
                        0,
                        (
                            "DeprecatedField",
                            "spec.targetRef is deprecated, use spec.targetRefs instead".into(),
                        ),
                    );
                }
                for pr in &p.problems {
                    let d = Diagnostic::error(pr.code, pr.message.clone());
                    ix.diagnostics.push(d.at(at(&pr.pointer)).on(o.id()));
                }
                ix.policies.push(p);
                continue;
            }
            match o.kind.as_str() {
                "HTTPRouteFilter" => match decode::<HttpRouteFilterSpec>(spec) {
                    Ok(f) => {
                        for (code, msg, ptr) in validate::http_route_filter(&f) {
                            ix.diagnostics
                                .push(Diagnostic::error(code, msg).at(at(&ptr)).on(o.id()));
                        }
                        ix.filters
                            .push((format!("{}/{}", o.namespace, o.name()), f, i));
                    }
                    Err((ptr, msg)) => ix.diagnostics.push(
                        Diagnostic::error(
                            "policy-invalid",
                            format!("HTTPRouteFilter `{ptr}`: {msg}"),
                        )
                        .at(at(&ptr))
                        .on(o.id()),
                    ),
                },
                "Backend" => match decode::<BackendSpec>(spec) {
                    Ok(b) => {
                        let verdict = validate::backend(&b);
                        if let Err((msg, ptr)) = &verdict {
                            ix.diagnostics.push(
                                Diagnostic::error("backend-invalid", msg.clone())
                                    .at(at(ptr))
                                    .on(o.id()),
                            );
                        }
                        ix.backends.push((
                            format!("{}/{}", o.namespace, o.name()),
                            b,
                            verdict.map_err(|e| e.0),
                        ));
                    }
                    Err((ptr, msg)) => ix.diagnostics.push(
                        Diagnostic::error("backend-invalid", format!("Backend `{ptr}`: {msg}"))
                            .at(at(&ptr))
                            .on(o.id()),
                    ),
                },
                "EnvoyProxy" => {
                    if let Err((ptr, msg)) = decode::<EnvoyProxySpec>(spec) {
                        ix.diagnostics.push(
                            Diagnostic::error(
                                "policy-invalid",
                                format!("EnvoyProxy `{ptr}`: {msg}"),
                            )
                            .at(at(&ptr))
                            .on(o.id()),
                        );
                    }
                }
                _ => {}
            }
        }
        for o in &model.objects {
            if matches!(o.body, Body::Secret(_) | Body::ConfigMap(_)) {
                if let Some(d) = validate::object_data(model, &o.kind, &o.namespace, o.name()) {
                    ix.data.insert(
                        (o.kind.clone(), o.namespace.clone(), o.name().to_string()),
                        d,
                    );
                }
            }
        }
        let world = world::World::build(model, controller);
        let res = attach::attach(model, &world, &ix.policies);
        ix.attachments = res.attachments;
        ix.diagnostics.extend(res.diagnostics);
        for (p, st) in ix.policies.iter().zip(res.statuses) {
            ix.statuses.push(ObjectStatus {
                object: p.object,
                kind: p.kind.name().into(),
                namespace: p.namespace.as_str().into(),
                name: p.name.as_str().into(),
                status: st.to_json(controller, p.generation).into(),
            });
        }
        ix
    }

    /// Builds with the Envoy Gateway controller name.
    pub fn from_model(model: &Model) -> PolicyIndex {
        Self::build(model, ENVOY_GATEWAY_CONTROLLER)
    }

    pub fn filter(&self, namespace: &str, name: &str) -> Option<&HttpRouteFilterSpec> {
        let key = format!("{namespace}/{name}");
        self.filters.iter().find(|f| f.0 == key).map(|f| &f.1)
    }
}

/// `mergeGateways` of the EnvoyProxy a GatewayClass points at (`spec.parametersRef`).
pub fn merge_gateways_enabled(model: &Model, gateway_class_name: &str) -> bool {
    envoy_proxy_for_class(model, gateway_class_name)
        .and_then(|v| v.get("mergeGateways").and_then(Value::as_bool))
        .unwrap_or(false)
}

/// The raw spec of the EnvoyProxy referenced by a GatewayClass.
pub fn envoy_proxy_for_class<'a>(model: &'a Model, gateway_class_name: &str) -> Option<&'a Value> {
    let class = model
        .objects
        .iter()
        .find(|o| o.kind == "GatewayClass" && o.name() == gateway_class_name)?;
    let Body::GatewayClass(c) = &class.body else {
        return None;
    };
    let r = c.parameters_ref.as_ref()?;
    if r.group_or("") != EG_GROUP || r.kind_or("") != "EnvoyProxy" {
        return None;
    }
    let ns = crate::resolve::gatewayclass::envoy_proxy_namespace(r);
    model
        .objects
        .iter()
        .find(|o| o.kind == "EnvoyProxy" && o.name() == r.name && o.namespace == ns)
        .and_then(raw_spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_fields_decode_as_unset() {
        let spec = serde_json::json!({"targetRefs": null, "headers": {"withUnderscoresAction": null}, "path": null});
        let (targets, typed) =
            decode_policy(PolicyKind::ClientTraffic, &spec).expect("nulls are absent fields");
        let PolicySpec::ClientTraffic(s) = typed else {
            panic!("a ClientTrafficPolicy spec")
        };
        assert!(targets.target_refs.is_empty() && s.targets == targets && s.path.is_none());
        let bad = decode_policy(
            PolicyKind::ClientTraffic,
            &serde_json::json!({"targetRefs": [null]}),
        );
        assert_eq!(
            bad.map(|_| ()),
            Err((
                "/spec/targetRefs/0".to_string(),
                "invalid type: null, expected struct TargetRef".to_string()
            )),
            "a null list item is still an error"
        );
    }

    #[test]
    fn targets_are_decoded_for_every_policy_kind() {
        let spec = serde_json::json!({"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"}], "cors": {"allowOrigins": ["https://a.example"]}});
        for kind in [
            PolicyKind::Security,
            PolicyKind::BackendTraffic,
            PolicyKind::ClientTraffic,
            PolicyKind::EnvoyExtension,
        ] {
            let (targets, typed) = decode_policy(kind, &spec).expect("decodes");
            assert_eq!(targets.refs().len(), 1);
            let inner = match &typed {
                PolicySpec::Security(s) => Some(&s.targets),
                PolicySpec::BackendTraffic(s) => Some(&s.targets),
                PolicySpec::ClientTraffic(s) => Some(&s.targets),
                PolicySpec::EnvoyExtension => None,
            };
            assert!(
                inner.is_none_or(|t| *t == targets),
                "{kind:?}: the typed spec carries the same targets"
            );
        }
    }
}
