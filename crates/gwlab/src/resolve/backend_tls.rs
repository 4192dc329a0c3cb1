//! BackendTLSPolicy: target resolution (Service + optional port sectionName), validation (CA
//! ConfigMaps, well-known CAs, hostname), conflicts (oldest wins) and per-Gateway ancestor status.

use super::hostname;
use super::index::{is_ca_bundle, Index};
use super::status::{CondStatus, Conditions};
use super::{BackendTls, ObjectStatus};
use crate::diag::Diagnostic;
use crate::model::Body;
use crate::sort::StableSort;
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct PolicyCtx {
    pub object: usize,
    pub conds: Conditions,
    pub valid: bool,
    pub tls: BackendTls,
    /// Ancestor refs (Gateway parentRefs of routes using a target), in first-seen order.
    pub ancestors: Vec<Value>,
    /// The older policy this one first conflicts with on a target: it shares that policy's
    /// ancestors (with its own `Conflicted` verdict), as Envoy Gateway copies them.
    pub lost_to: Option<usize>,
}

pub struct Policies {
    pub list: Vec<PolicyCtx>,
    /// (namespace, service, sectionName or "") → winning policy.
    by_target: HashMap<(String, String, String), usize>,
}

impl Policies {
    /// The policy applying to a Service port: one naming the port first, then a Service-wide one.
    pub fn lookup(&self, ns: &str, svc: &str, port_name: Option<&str>) -> Option<usize> {
        if self.by_target.is_empty() {
            return None;
        }
        if let Some(p) = port_name {
            if let Some(&i) = self
                .by_target
                .get(&(ns.to_string(), svc.to_string(), p.to_string()))
            {
                return Some(i);
            }
        }
        self.by_target
            .get(&(ns.to_string(), svc.to_string(), String::new()))
            .copied()
    }

    pub fn add_ancestor(&mut self, i: usize, anc: Value) {
        if let Some(p) = self.list.get_mut(i) {
            if !p.ancestors.contains(&anc) {
                p.ancestors.push(anc);
            }
        }
    }
}

pub fn process(ix: &Index, diags: &mut Vec<Diagnostic>) -> Policies {
    let model = ix.model;
    let mut list = Vec::new();
    let mut order: Vec<usize> = model
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o.body, Body::BackendTlsPolicy(_)))
        .map(|(i, _)| i)
        .collect();
    order.stable_sort_by(|&a, &b| {
        let (oa, ob) = (&model.objects[a], &model.objects[b]);
        (
            oa.meta.creation_timestamp.as_deref().unwrap_or("~"),
            &oa.namespace,
            &oa.meta.name,
        )
            .cmp(&(
                ob.meta.creation_timestamp.as_deref().unwrap_or("~"),
                &ob.namespace,
                &ob.meta.name,
            ))
    });
    let mut by_target = HashMap::new();
    for oi in order {
        let o = &model.objects[oi];
        let Body::BackendTlsPolicy(spec) = &o.body else {
            continue;
        };
        let v = &spec.validation;
        let mut conds = Conditions::default();
        let mut accepted: Option<(&'static str, String)> = None;
        let mut resolved: Option<(&'static str, String)> = None;
        let mut ca = String::new();
        let has_refs = !v.ca_certificate_refs.is_empty();
        let wk = v
            .well_known_ca_certificates
            .as_deref()
            .filter(|s| !s.is_empty());
        if has_refs == wk.is_some() {
            accepted = Some((
                "Invalid",
                "set exactly one of caCertificateRefs and wellKnownCACertificates".into(),
            ));
        } else if let Some(w) = wk {
            if w != "System" {
                accepted = Some((
                    "Invalid",
                    format!("wellKnownCACertificates `{w}` is not supported; use System"),
                ));
            } else {
                ca = "System".into();
            }
        } else {
            let mut valid = 0;
            let mut bad: Vec<(usize, String)> = Vec::new();
            for (ci, r) in v.ca_certificate_refs.iter().enumerate() {
                let (g, k) = (r.group_or(""), r.kind_or("ConfigMap"));
                let err = if !g.is_empty() || !matches!(k, "ConfigMap" | "Secret") {
                    Some((
                        "InvalidKind",
                        format!("caCertificateRef {g}/{k} `{}` must be a ConfigMap", r.name),
                    ))
                } else {
                    match ix.object(k, &o.namespace, &r.name).map(|x| &x.body) {
                        Some(Body::ConfigMap(d)) if is_ca_bundle(d, false) => None,
                        Some(Body::Secret(d)) if is_ca_bundle(d, true) => None,
                        Some(_) => Some((
                            "InvalidCACertificateRef",
                            format!("{k} `{}/{}` has no valid `ca.crt`", o.namespace, r.name),
                        )),
                        None => Some((
                            "InvalidCACertificateRef",
                            format!("{k} `{}/{}` does not exist", o.namespace, r.name),
                        )),
                    }
                };
                match err {
                    None => {
                        valid += 1;
                        if ca.is_empty() {
                            ca = format!("ConfigMap {}/{}", o.namespace, r.name);
                        }
                    }
                    Some((reason, msg)) => {
                        bad.push((ci, msg.clone()));
                        if resolved.is_none() {
                            resolved = Some((reason, msg));
                        }
                    }
                }
            }
            // No usable CA makes the whole policy invalid (policy-invalid); a bad ref next to a
            // usable one only loses that ref.
            let (code, tail) = if valid == 0 {
                ("policy-invalid", ": no usable CA is left, so the policy is not applied and routes to its Service get 500")
            } else {
                ("certificate-ref-invalid", "")
            };
            for (ci, msg) in bad {
                diags.push(
                    Diagnostic::error(
                        code,
                        format!("BackendTLSPolicy `{}`: {msg}{tail}", o.meta.name),
                    )
                    .at(model.locate(o, &format!("/spec/validation/caCertificateRefs/{ci}")))
                    .on(o.id()),
                );
            }
            if valid == 0 {
                accepted = Some((
                    "NoValidCACertificate",
                    "no valid CA certificate is referenced".into(),
                ));
            }
        }
        if accepted.is_none()
            && (v.hostname.is_empty()
                || v.hostname.starts_with('*')
                || !hostname::is_valid(&v.hostname))
        {
            accepted = Some((
                "Invalid",
                format!(
                    "validation.hostname `{}` must be a DNS name without wildcard",
                    v.hostname
                ),
            ));
        }
        match &resolved {
            Some((r, m)) => conds.set("ResolvedRefs", CondStatus::False, *r, m.clone()),
            None => conds.set(
                "ResolvedRefs",
                CondStatus::True,
                "ResolvedRefs",
                "Resolved all the Object references.",
            ),
        }
        let valid = accepted.is_none();
        match &accepted {
            Some((r, m)) => {
                if *r != "NoValidCACertificate" {
                    diags.push(
                        Diagnostic::error(
                            "unsupported-value",
                            format!("BackendTLSPolicy `{}`: {m}", o.meta.name),
                        )
                        .at(model.locate(o, "/spec/validation"))
                        .on(o.id()),
                    );
                }
                conds.set("Accepted", CondStatus::False, *r, m.clone())
            }
            None => conds.set(
                "Accepted",
                CondStatus::True,
                "Accepted",
                "Policy has been accepted.",
            ),
        }
        let pi = list.len();
        let mut lost_to = None;
        for t in &spec.target_refs {
            if !t.group.is_empty() || t.kind != "Service" {
                continue;
            }
            let key = (
                o.namespace.clone(),
                t.name.clone(),
                t.section_name.clone().unwrap_or_default(),
            );
            match by_target.get(&key) {
                Some(&winner) => {
                    lost_to.get_or_insert(winner);
                }
                None => {
                    by_target.insert(key, pi);
                }
            }
        }
        if lost_to.is_some() {
            conds.set(
                "Accepted",
                CondStatus::False,
                "Conflicted",
                "An older BackendTLSPolicy already targets this Service (and section)",
            );
        }
        list.push(PolicyCtx {
            object: oi,
            conds,
            valid,
            tls: BackendTls {
                policy: format!("{}/{}", o.namespace, o.meta.name),
                sni: v.hostname.clone(),
                ca,
            },
            ancestors: Vec::new(),
            lost_to,
        });
    }
    Policies { list, by_target }
}

pub fn statuses(ix: &Index, pols: &Policies, controller: &str, out: &mut Vec<ObjectStatus>) {
    for p in &pols.list {
        let o = &ix.model.objects[p.object];
        let gen = o.generation();
        // Envoy Gateway sorts ancestors and keeps at most 16.
        let mut sorted: Vec<&Value> = p.ancestors.iter().collect();
        if let Some(w) = p.lost_to.and_then(|w| pols.list.get(w)) {
            sorted.extend(w.ancestors.iter().filter(|a| !p.ancestors.contains(a)));
        }
        let key = |a: &Value| {
            ["namespace", "name", "sectionName"]
                .iter()
                .map(|k| a.get(*k).and_then(Value::as_str).unwrap_or("").to_string())
                .collect::<Vec<_>>()
                .join("/")
        };
        sorted.stable_sort_by_key(|a| key(a));
        sorted.truncate(16);
        let ancestors: Vec<Value> = sorted.into_iter().map(|a| json!({"ancestorRef": a, "controllerName": controller, "conditions": p.conds.to_json(gen)})).collect();
        out.push(ObjectStatus::of(
            p.object,
            o,
            json!({ "ancestors": ancestors }).into(),
        ));
    }
}
