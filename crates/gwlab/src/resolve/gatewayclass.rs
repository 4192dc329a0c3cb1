//! GatewayClass acceptance: a class is ours when its controllerName is the simulated controller.
//! Classes of other controllers are left alone (no status); their Gateways are not simulated.

use super::index::Index;
use super::status::{CondStatus, Conditions};
use super::{ObjectStatus, Options};
use crate::diag::Diagnostic;
use crate::model::{Body, EG_GROUP};
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassState {
    /// Ours and accepted: its Gateways are simulated.
    Accepted,
    /// Ours but rejected (bad parametersRef): its Gateways are not programmed.
    Rejected,
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
        let mut state = ClassState::Accepted;
        if let Some(p) = &spec.parameters_ref {
            let ns = p.namespace.as_deref().unwrap_or("");
            let ok = p.group_or("") == EG_GROUP
                && p.kind_or("") == "EnvoyProxy"
                && ix.get("EnvoyProxy", ns, &p.name).is_some();
            if !ok {
                state = ClassState::Rejected;
                let msg = format!(
                    "parametersRef {}/{} `{}` does not name an existing EnvoyProxy (group {EG_GROUP}, with a namespace): point it at one, or remove it",
                    p.group_or(""),
                    p.kind_or(""),
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
        }
        if state == ClassState::Accepted {
            conds.set(
                "Accepted",
                CondStatus::True,
                "Accepted",
                "Valid GatewayClass",
            );
        }
        statuses.push(ObjectStatus {
            object: i,
            kind: o.kind.as_str().into(),
            namespace: "".into(),
            name: o.meta.name.as_str().into(),
            status: json!({ "conditions": conds.to_json(o.generation()) }).into(),
        });
        out.insert(o.meta.name.clone(), state);
    }
    out
}
