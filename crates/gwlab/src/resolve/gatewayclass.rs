//! GatewayClass acceptance: a class is ours when its controllerName is the simulated controller.
//! Classes of other controllers are left alone (no status); their Gateways are not simulated.

use super::index::Index;
use super::status::{CondStatus, Conditions};
use super::{ObjectStatus, Options};
use crate::diag::Diagnostic;
use crate::model::{Body, ObjectRef, EG_GROUP};
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassState {
    /// Ours: its Gateways are simulated. A class whose parametersRef names no EnvoyProxy is
    /// `Accepted=False/InvalidParameters` and still lands here, because Envoy Gateway goes on
    /// to translate its Gateways, without any EnvoyProxy settings.
    Accepted,
    /// Another controller's class.
    Foreign,
}

pub fn process(
    ix: &Index,
    opts: &Options,
    statuses: &mut Vec<ObjectStatus>,
    diags: &mut Vec<Diagnostic>,
) -> HashMap<String, ClassState> {
    let model = ix.model;
    let mut out = HashMap::new();
    for (i, o) in model.objects.iter().enumerate() {
        let Body::GatewayClass(spec) = &o.body else {
            continue;
        };
        if spec.controller_name != opts.controller_name {
            out.insert(o.meta.name.clone(), ClassState::Foreign);
            diags.push(
                Diagnostic::info(
                    "gatewayclass-not-accepted",
                    format!(
                        "GatewayClass `{}` names controller `{}`, not `{}`: it and its Gateways are left to that controller and not simulated",
                        o.meta.name, spec.controller_name, opts.controller_name
                    ),
                )
                .at(model.locate(o, "/spec/controllerName"))
                .on(o.id()),
            );
            continue;
        }
        let mut conds = Conditions::default();
        match spec
            .parameters_ref
            .as_ref()
            .filter(|p| !names_existing_envoy_proxy(ix, p))
        {
            Some(p) => {
                let msg = format!(
                    "parametersRef {}/{} `{}/{}` does not name an existing EnvoyProxy (group {EG_GROUP}; the namespace defaults to `default`): point it at one, or remove it. Envoy Gateway still programs this class's Gateways, without EnvoyProxy settings",
                    p.group_or(""),
                    p.kind_or(""),
                    envoy_proxy_namespace(p),
                    p.name
                );
                conds.set(
                    "Accepted",
                    CondStatus::False,
                    "InvalidParameters",
                    msg.clone(),
                );
                diags.push(
                    Diagnostic::error("gatewayclass-not-accepted", msg)
                        .at(model.locate(o, "/spec/parametersRef"))
                        .on(o.id()),
                );
            }
            None => conds.set(
                "Accepted",
                CondStatus::True,
                "Accepted",
                "Valid GatewayClass",
            ),
        }
        statuses.push(ObjectStatus {
            object: i,
            kind: o.kind.as_str().into(),
            namespace: "".into(),
            name: o.meta.name.as_str().into(),
            status: json!({ "conditions": conds.to_json(o.generation()) }).into(),
        });
        out.insert(o.meta.name.clone(), ClassState::Accepted);
    }
    out
}

/// The namespace a GatewayClass parametersRef points into: Envoy Gateway reads a missing one as
/// `default`.
pub fn envoy_proxy_namespace(p: &ObjectRef) -> &str {
    p.namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or("default")
}

fn names_existing_envoy_proxy(ix: &Index, p: &ObjectRef) -> bool {
    p.group_or("") == EG_GROUP
        && p.kind_or("") == "EnvoyProxy"
        && ix
            .get("EnvoyProxy", envoy_proxy_namespace(p), &p.name)
            .is_some()
}
