//! Policy attachment and status, as Envoy Gateway computes it (§2 of the Envoy Gateway digest).
//!
//! BackendTrafficPolicy, SecurityPolicy and EnvoyExtensionPolicy share one algorithm: targets are
//! processed level by level (route rule, route, Gateway listener, Gateway), policies in age order
//! within a level. The first policy on a target wins; later ones are `Conflicted`. A broader policy
//! displaced by a narrower one is `Overridden`; a route-level policy with `mergeType` is merged into
//! the nearest listener or Gateway policy (`Merged` on both). ClientTrafficPolicy has its own two
//! passes (listener targets, then Gateway targets).

use super::world::{World, ROUTE_KINDS};
use super::{Policy, PolicyKind};
use crate::diag::Diagnostic;
use crate::model::{Body, Model, GATEWAY_GROUP};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Where an accepted policy applies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "level", rename_all = "camelCase")]
pub enum Level {
    /// One rule (`sectionName` = rule name) of a route.
    Rule {
        route_kind: String,
        route_namespace: String,
        route: String,
        rule: usize,
    },
    Route {
        route_kind: String,
        route_namespace: String,
        route: String,
    },
    Listener {
        gateway_namespace: String,
        gateway: String,
        listener: String,
    },
    Gateway {
        gateway_namespace: String,
        gateway: String,
    },
}

impl Level {
    pub fn rank(&self) -> u8 {
        match self {
            Level::Rule { .. } => 0,
            Level::Route { .. } => 1,
            Level::Listener { .. } => 2,
            Level::Gateway { .. } => 3,
        }
    }
}

/// A policy in force on a target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Attachment {
    /// Index into `PolicyIndex::policies`.
    pub policy: usize,
    pub level: Level,
    /// The policy failed to translate: every request it governs gets 500 (BTP, SP, EEP).
    pub broken: bool,
    /// Route-level policy merged into this parent policy (index into `PolicyIndex::policies`).
    pub merged_into: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub type_: &'static str,
    pub status: bool,
    pub reason: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ancestor {
    pub namespace: String,
    pub name: String,
    pub section: Option<String>,
    pub conditions: Vec<Condition>,
}

impl Ancestor {
    fn set(&mut self, c: Condition) {
        match self.conditions.iter_mut().find(|x| x.type_ == c.type_) {
            Some(x) => *x = c,
            None => self.conditions.push(c),
        }
    }
    fn has(&self, t: &str) -> bool {
        self.conditions.iter().any(|c| c.type_ == t)
    }
}

/// The status being built for one policy.
#[derive(Debug, Clone, Default)]
pub struct PolicyStatus {
    pub ancestors: Vec<Ancestor>,
}

impl PolicyStatus {
    fn ancestor(&mut self, ns: &str, name: &str, section: Option<&str>) -> &mut Ancestor {
        let pos = self
            .ancestors
            .iter()
            .position(|a| a.namespace == ns && a.name == name && a.section.as_deref() == section);
        let i = match pos {
            Some(i) => i,
            None => {
                self.ancestors.push(Ancestor {
                    namespace: ns.into(),
                    name: name.into(),
                    section: section.map(str::to_string),
                    conditions: Vec::new(),
                });
                self.ancestors.len() - 1
            }
        };
        &mut self.ancestors[i]
    }

    /// The `status` stanza as Envoy Gateway writes it (PolicyStatus with ancestors).
    pub fn to_json(&self, controller: &str, generation: i64) -> Value {
        let ancestors: Vec<Value> = self
            .ancestors
            .iter()
            .map(|a| {
                let mut r = json!({"group": GATEWAY_GROUP, "kind": "Gateway", "namespace": a.namespace, "name": a.name});
                if let Some(s) = &a.section {
                    r["sectionName"] = json!(s);
                }
                let conds: Vec<Value> = a
                    .conditions
                    .iter()
                    .map(|c| {
                        json!({"type": c.type_, "status": if c.status {"True"} else {"False"}, "reason": c.reason,
                        "message": c.message, "observedGeneration": generation})
                    })
                    .collect();
                json!({"ancestorRef": r, "controllerName": controller, "conditions": conds})
            })
            .collect();
        json!({ "ancestors": ancestors })
    }
}

fn cond(t: &'static str, status: bool, reason: &'static str, msg: impl Into<String>) -> Condition {
    Condition {
        type_: t,
        status,
        reason,
        message: msg.into(),
    }
}

/// One resolved target of a policy.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub section: Option<String>,
    /// JSON pointer of the targetRef/targetSelector that produced it.
    pub pointer: String,
}

/// Targets of a policy: selector hits first (oldest target first), then the plain refs.
pub fn targets(model: &Model, p: &Policy) -> Vec<Target> {
    let mut out = Vec::new();
    for (i, sel) in p.targets.target_selectors.iter().enumerate() {
        let group = sel.group.as_deref().unwrap_or(GATEWAY_GROUP);
        let ls = sel.label_selector();
        let from = sel
            .namespaces
            .as_ref()
            .and_then(|n| n.from.as_deref())
            .unwrap_or("Same");
        let mut hits: Vec<&crate::model::Object> = model
            .objects
            .iter()
            .filter(|o| o.kind == sel.kind && o.group() == group && ls.matches(&o.meta.labels))
            .filter(|o| match from {
                "All" => true,
                "Selector" => {
                    let nsel = sel
                        .namespaces
                        .as_ref()
                        .and_then(|n| n.selector.clone())
                        .unwrap_or_default();
                    model.objects.iter().any(|n| {
                        matches!(n.body, Body::Namespace)
                            && n.name() == o.namespace
                            && nsel.matches(&n.meta.labels)
                    })
                }
                _ => o.namespace == p.namespace,
            })
            .filter(|o| {
                o.namespace == p.namespace
                    || super::validate::granted(
                        model,
                        p.kind.name(),
                        &p.namespace,
                        &o.kind,
                        &o.namespace,
                        o.name(),
                    )
            })
            .collect();
        hits.sort_by_key(|o| o.age_key());
        for o in hits {
            out.push(Target {
                kind: o.kind.clone(),
                namespace: o.namespace.clone(),
                name: o.name().to_string(),
                section: None,
                pointer: format!("/spec/targetSelectors/{i}"),
            });
        }
    }
    let single = p
        .targets
        .target_ref
        .iter()
        .map(|r| (r, "/spec/targetRef".to_string()));
    let many = p
        .targets
        .target_refs
        .iter()
        .enumerate()
        .map(|(i, r)| (r, format!("/spec/targetRefs/{i}")));
    for (r, ptr) in single.chain(many) {
        out.push(Target {
            kind: r.kind.clone(),
            namespace: p.namespace.clone(),
            name: r.name.clone(),
            section: r.section_name.clone(),
            pointer: ptr,
        });
    }
    out
}

/// What attachment produced.
#[derive(Debug, Clone, Default)]
pub struct AttachResult {
    pub statuses: Vec<PolicyStatus>,
    pub attachments: Vec<Attachment>,
    pub diagnostics: Vec<Diagnostic>,
}

struct Ctx<'a> {
    model: &'a Model,
    world: &'a World,
    policies: &'a [Policy],
    out: AttachResult,
}

impl Ctx<'_> {
    fn diag(&mut self, p: usize, d: Diagnostic, ptr: &str) {
        let pol = &self.policies[p];
        let obj = &self.model.objects[pol.object];
        let loc = self.model.locate(obj, ptr);
        self.out.diagnostics.push(d.at(loc).on(obj.id()));
    }

    /// Spec-validation outcome for a policy on one target: (Accepted or Invalid, message).
    fn finish(&mut self, p: usize, anc: &[(String, String, Option<String>)], error: Option<&str>) {
        let deprecated = self.policies[p].targets.target_ref.is_some();
        for (ns, name, sec) in anc {
            let a = self.out.statuses[p].ancestor(ns, name, sec.as_deref());
            match error {
                Some(msg) => a.set(cond("Accepted", false, "Invalid", msg)),
                None => {
                    if !a.has("Accepted") {
                        a.set(cond(
                            "Accepted",
                            true,
                            "Accepted",
                            "Policy has been accepted.",
                        ))
                    }
                }
            }
            if deprecated {
                a.set(cond(
                    "Warning",
                    true,
                    "DeprecatedField",
                    "spec.targetRef is deprecated, use spec.targetRefs instead",
                ));
            }
        }
    }

    fn resolve_error(
        &mut self,
        p: usize,
        anc: &[(String, String, Option<String>)],
        reason: &'static str,
        msg: &str,
    ) {
        for (ns, name, sec) in anc {
            self.out.statuses[p]
                .ancestor(ns, name, sec.as_deref())
                .set(cond("Accepted", false, reason, msg));
        }
    }
}

type GwKey = (String, String);

/// Runs attachment for every policy kind. `policies` are in age order.
pub fn attach(model: &Model, world: &World, policies: &[Policy]) -> AttachResult {
    let mut cx = Ctx {
        model,
        world,
        policies,
        out: AttachResult::default(),
    };
    cx.out.statuses = vec![PolicyStatus::default(); policies.len()];
    for kind in [
        PolicyKind::BackendTraffic,
        PolicyKind::Security,
        PolicyKind::EnvoyExtension,
    ] {
        attach_route_kind(&mut cx, kind);
    }
    attach_client_traffic(&mut cx);
    cx.out
}

fn attach_route_kind(cx: &mut Ctx, kind: PolicyKind) {
    let ids: Vec<usize> = (0..cx.policies.len())
        .filter(|&i| cx.policies[i].kind == kind)
        .collect();
    let all_targets: BTreeMap<usize, Vec<Target>> = ids
        .iter()
        .map(|&i| (i, targets(cx.model, &cx.policies[i])))
        .collect();

    let mut route_attached: BTreeSet<usize> = BTreeSet::new();
    let mut rule_attached: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut gw_attached: BTreeSet<usize> = BTreeSet::new();
    let mut listener_attached: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    // Gateway → parentRef sectionName ("" = none) → routes that have their own policy.
    let mut gateway_routes: BTreeMap<GwKey, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    // Parent policies that absorbed a merged route-level policy.
    let mut merged_parents: BTreeSet<usize> = BTreeSet::new();

    // Gateway-level policies, first per (gateway, section), for mergeType lookups.
    let mut gateway_policy: BTreeMap<(GwKey, String), usize> = BTreeMap::new();
    for &p in &ids {
        for t in &all_targets[&p] {
            if t.kind == "Gateway" && cx.world.gateway(&t.namespace, &t.name).is_some() {
                let key = (
                    (t.namespace.clone(), t.name.clone()),
                    t.section.clone().unwrap_or_default(),
                );
                gateway_policy.entry(key).or_insert(p);
            }
        }
    }

    let is_route = |t: &Target| ROUTE_KINDS.contains(&t.kind.as_str());
    // Passes: rule, route, listener, gateway.
    for pass in 0..4u8 {
        for &p in &ids {
            for t in all_targets[&p].clone() {
                let level = match (is_route(&t), t.section.is_some(), t.kind == "Gateway") {
                    (true, true, _) => 0,
                    (true, false, _) => 1,
                    (false, true, true) => 2,
                    (false, false, true) => 3,
                    _ => {
                        if pass == 0 {
                            let d = Diagnostic::warning(
                                "policy-target-not-found",
                                format!(
                                    "{} cannot target a {}; it is ignored",
                                    cx.policies[p].kind.name(),
                                    t.kind
                                ),
                            );
                            cx.diag(p, d, &t.pointer);
                        }
                        continue;
                    }
                };
                if level != pass {
                    continue;
                }
                if level <= 1 {
                    route_target(
                        cx,
                        p,
                        &t,
                        &mut route_attached,
                        &mut rule_attached,
                        &mut gateway_routes,
                        &gateway_policy,
                        &mut merged_parents,
                    );
                } else {
                    gateway_target(
                        cx,
                        p,
                        &t,
                        &mut gw_attached,
                        &mut listener_attached,
                        &gateway_routes,
                        &merged_parents,
                    );
                }
            }
        }
    }
    // Parents that absorbed merges report `Merged` (they are processed after their children).
    for p in merged_parents {
        for a in &mut cx.out.statuses[p].ancestors {
            if a.conditions
                .iter()
                .any(|c| c.type_ == "Accepted" && c.status)
            {
                a.set(cond(
                    "Merged",
                    true,
                    "Merged",
                    "Merged with route-level policies",
                ));
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn route_target(
    cx: &mut Ctx,
    p: usize,
    t: &Target,
    route_attached: &mut BTreeSet<usize>,
    rule_attached: &mut BTreeMap<usize, BTreeSet<String>>,
    gateway_routes: &mut BTreeMap<GwKey, BTreeMap<String, BTreeSet<String>>>,
    gateway_policy: &BTreeMap<(GwKey, String), usize>,
    merged_parents: &mut BTreeSet<usize>,
) {
    let Some(r) = cx.world.route(&t.kind, &t.namespace, &t.name) else {
        let d = Diagnostic::warning(
            "policy-target-not-found",
            format!("{} {}/{} does not exist (or attaches to no Gateway of this controller); the target is skipped", t.kind, t.namespace, t.name),
        );
        cx.diag(p, d, &t.pointer);
        return;
    };
    let route = cx.world.routes[r].clone();
    let mut err: Option<(&'static str, String)> = None;
    let mut rule_index = None;
    if let Some(sec) = &t.section {
        match route
            .rule_names
            .iter()
            .position(|n| n.as_deref() == Some(sec.as_str()))
        {
            None => {
                err = Some((
                    "TargetNotFound",
                    format!(
                        "No section name {sec} found for {}/{}",
                        route.namespace, route.name
                    ),
                ))
            }
            Some(i) => {
                rule_index = Some(i);
                if !rule_attached.entry(r).or_default().insert(sec.clone()) {
                    err = Some(("Conflicted", format!("Unable to target RouteRule {}/{}, another {} has already attached to it", route.name, sec, cx.policies[p].kind.name())));
                }
            }
        }
    } else if !route_attached.insert(r) {
        err = Some((
            "Conflicted",
            format!(
                "Unable to target {} {}, another {} has already attached to it",
                route.kind,
                route.name,
                cx.policies[p].kind.name()
            ),
        ));
    }

    let mergeable = cx.policies[p].targets.merge_type.is_some() && err.is_none();
    let mut anc = Vec::new();
    let mut merged_into = Vec::new();
    for pr in &route.parent_refs {
        if pr.group() != GATEWAY_GROUP
            || pr.kind() != "Gateway"
            || cx
                .world
                .gateway(pr.namespace_or(&route.namespace), &pr.name)
                .is_none()
        {
            continue;
        }
        let gw: GwKey = (
            pr.namespace_or(&route.namespace).to_string(),
            pr.name.clone(),
        );
        let sec = pr.section_name.clone();
        // With mergeType, each listener the route reaches merges into the nearest parent policy
        // (that listener's, then the Gateway's); Merged is reported per listener.
        let mut merged_here = false;
        if mergeable {
            if let Some(g) = cx.world.gateway(&gw.0, &gw.1) {
                for l in cx.world.listeners_for(&route, pr, g) {
                    let parent = gateway_policy
                        .get(&(gw.clone(), l.clone()))
                        .or_else(|| gateway_policy.get(&(gw.clone(), String::new())))
                        .copied();
                    if let Some(pp) = parent {
                        merged_here = true;
                        if !merged_into.contains(&pp) {
                            merged_into.push(pp);
                        }
                        merged_parents.insert(pp);
                        cx.out.statuses[p]
                            .ancestor(&gw.0, &gw.1, Some(&l))
                            .set(cond(
                                "Merged",
                                true,
                                "Merged",
                                "Merged with the parent policy",
                            ));
                    }
                }
            }
        }
        if !merged_here {
            gateway_routes
                .entry(gw.clone())
                .or_default()
                .entry(sec.clone().unwrap_or_default())
                .or_default()
                .insert(format!("{}/{}", route.namespace, route.name));
        }
        if !anc
            .iter()
            .any(|a: &(String, String, Option<String>)| a.0 == gw.0 && a.1 == gw.1 && a.2 == sec)
        {
            anc.push((gw.0, gw.1, sec));
        }
    }
    if let Some((reason, msg)) = err {
        cx.resolve_error(p, &anc, reason, &msg);
        let code = if reason == "Conflicted" {
            "policy-conflicted"
        } else {
            "policy-target-not-found"
        };
        // Conflicted is `Accepted=False` with no effect at all, like a missing section.
        let d = Diagnostic::error(code, msg);
        cx.diag(p, d, &t.pointer);
        return;
    }
    let problem = cx.policies[p].problems.first().map(|pr| pr.message.clone());
    cx.finish(p, &anc, problem.as_deref());
    if t.section.is_none() {
        if let Some(rules) = rule_attached.get(&r).filter(|s| !s.is_empty()) {
            let msg = format!(
                "This policy is being overridden by other {}s for these route rules: {:?}",
                cx.policies[p].kind.name(),
                rules
            );
            for (ns, name, sec) in &anc {
                cx.out.statuses[p]
                    .ancestor(ns, name, sec.as_deref())
                    .set(cond("Overridden", true, "Overridden", msg.clone()));
            }
            let d = Diagnostic::info("policy-overridden", msg);
            cx.diag(p, d, &t.pointer);
        }
    }
    let level = match rule_index {
        Some(rule) => Level::Rule {
            route_kind: route.kind.clone(),
            route_namespace: route.namespace.clone(),
            route: route.name.clone(),
            rule,
        },
        None => Level::Route {
            route_kind: route.kind.clone(),
            route_namespace: route.namespace.clone(),
            route: route.name.clone(),
        },
    };
    push_attachment(cx, p, level, problem.is_some(), merged_into);
}

fn push_attachment(cx: &mut Ctx, p: usize, level: Level, invalid: bool, merged_into: Vec<usize>) {
    let pol = &cx.policies[p];
    let applies =
        !invalid || pol.kind.invalid_is_500() && !pol.problems.iter().all(|x| x.fail_open);
    if !invalid || applies {
        cx.out.attachments.push(Attachment {
            policy: p,
            level,
            broken: invalid,
            merged_into,
        });
    }
}

fn gateway_target(
    cx: &mut Ctx,
    p: usize,
    t: &Target,
    gw_attached: &mut BTreeSet<usize>,
    listener_attached: &mut BTreeMap<usize, BTreeSet<String>>,
    gateway_routes: &BTreeMap<GwKey, BTreeMap<String, BTreeSet<String>>>,
    merged_parents: &BTreeSet<usize>,
) {
    let Some(g) = cx.world.gateway(&t.namespace, &t.name) else {
        let d = Diagnostic::warning(
            "policy-target-not-found",
            format!("Gateway {}/{} does not exist (or belongs to another controller); the target is skipped", t.namespace, t.name),
        );
        cx.diag(p, d, &t.pointer);
        return;
    };
    let gw = cx.world.gateways[g].clone();
    let mut err: Option<(&'static str, String)> = None;
    if let Some(sec) = &t.section {
        if !gw.listeners.iter().any(|l| &l.0 == sec) {
            err = Some((
                "TargetNotFound",
                format!(
                    "No section name {sec} found for {}/{}",
                    gw.namespace, gw.name
                ),
            ));
        } else if !listener_attached.entry(g).or_default().insert(sec.clone()) {
            err = Some((
                "Conflicted",
                format!(
                    "Unable to target Listener {}/{}, another {} has already attached to it",
                    gw.name,
                    sec,
                    cx.policies[p].kind.name()
                ),
            ));
        }
    } else if !gw_attached.insert(g) {
        err = Some((
            "Conflicted",
            format!(
                "Unable to target Gateway {}, another {} has already attached to it",
                gw.name,
                cx.policies[p].kind.name()
            ),
        ));
    }
    let anc = vec![(gw.namespace.clone(), gw.name.clone(), t.section.clone())];
    if let Some((reason, msg)) = err {
        cx.resolve_error(p, &anc, reason, &msg);
        let code = if reason == "Conflicted" {
            "policy-conflicted"
        } else {
            "policy-target-not-found"
        };
        // Conflicted is `Accepted=False` with no effect at all, like a missing section.
        let d = Diagnostic::error(code, msg);
        cx.diag(p, d, &t.pointer);
        return;
    }
    let problem = cx.policies[p].problems.first().map(|pr| pr.message.clone());
    cx.finish(p, &anc, problem.as_deref());
    // Overridden by narrower policies?
    let routes = gateway_routes.get(&(gw.namespace.clone(), gw.name.clone()));
    let (listeners, routes): (Vec<String>, BTreeSet<String>) = match &t.section {
        None => (
            listener_attached
                .get(&g)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            routes
                .map(|m| m.values().flatten().cloned().collect())
                .unwrap_or_default(),
        ),
        Some(sec) => (
            Vec::new(),
            routes.and_then(|m| m.get(sec)).cloned().unwrap_or_default(),
        ),
    };
    if !listeners.is_empty() || !routes.is_empty() {
        let mut parts = Vec::new();
        if !listeners.is_empty() {
            parts.push(format!("listeners: {listeners:?}"));
        }
        if !routes.is_empty() {
            parts.push(format!("routes: {:?}", routes.iter().collect::<Vec<_>>()));
        }
        let msg = format!(
            "This policy is being overridden by other {}s for these {}",
            cx.policies[p].kind.name(),
            parts.join(" and ")
        );
        cx.out.statuses[p]
            .ancestor(&anc[0].0, &anc[0].1, anc[0].2.as_deref())
            .set(cond("Overridden", true, "Overridden", msg.clone()));
        cx.diag(p, Diagnostic::info("policy-overridden", msg), &t.pointer);
    }
    let _ = merged_parents;
    let level = match &t.section {
        Some(l) => Level::Listener {
            gateway_namespace: gw.namespace.clone(),
            gateway: gw.name.clone(),
            listener: l.clone(),
        },
        None => Level::Gateway {
            gateway_namespace: gw.namespace.clone(),
            gateway: gw.name.clone(),
        },
    };
    push_attachment(cx, p, level, problem.is_some(), Vec::new());
}

/// ClientTrafficPolicy: listener targets first, then Gateway-wide ones (which skip claimed listeners).
fn attach_client_traffic(cx: &mut Ctx) {
    let ids: Vec<usize> = (0..cx.policies.len())
        .filter(|&i| cx.policies[i].kind == PolicyKind::ClientTraffic)
        .collect();
    let all_targets: BTreeMap<usize, Vec<Target>> = ids
        .iter()
        .map(|&i| (i, targets(cx.model, &cx.policies[i])))
        .collect();
    let mut claimed: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut whole: BTreeSet<usize> = BTreeSet::new();
    for pass in 0..2 {
        for &p in &ids {
            for t in all_targets[&p].clone() {
                if t.kind != "Gateway" {
                    if pass == 0 {
                        let d = Diagnostic::warning(
                            "policy-target-not-found",
                            format!(
                                "ClientTrafficPolicy cannot target a {}; it is ignored",
                                t.kind
                            ),
                        );
                        cx.diag(p, d, &t.pointer);
                    }
                    continue;
                }
                if (pass == 0) != t.section.is_some() {
                    continue;
                }
                let Some(g) = cx.world.gateway(&t.namespace, &t.name) else {
                    let d = Diagnostic::warning(
                        "policy-target-not-found",
                        format!("Gateway {}/{} does not exist (or belongs to another controller); the target is skipped", t.namespace, t.name),
                    );
                    cx.diag(p, d, &t.pointer);
                    continue;
                };
                let gw = cx.world.gateways[g].clone();
                let anc = vec![(gw.namespace.clone(), gw.name.clone(), t.section.clone())];
                let mut err: Option<(&'static str, String)> = None;
                match &t.section {
                    Some(sec) => {
                        if !gw.listeners.iter().any(|l| &l.0 == sec) {
                            err = Some((
                                "TargetNotFound",
                                format!(
                                    "No section name {sec} found for {}/{}",
                                    gw.namespace, gw.name
                                ),
                            ));
                        } else if !claimed.entry(g).or_default().insert(sec.clone()) {
                            err = Some(("Conflicted", "Unable to target section, another ClientTrafficPolicy has already attached to it".into()));
                        }
                    }
                    None => {
                        if !whole.insert(g) {
                            err = Some(("Conflicted", "Unable to target Gateway, another ClientTrafficPolicy has already attached to it".into()));
                        }
                    }
                }
                if let Some((reason, msg)) = err {
                    cx.resolve_error(p, &anc, reason, &msg);
                    let code = if reason == "Conflicted" {
                        "policy-conflicted"
                    } else {
                        "policy-target-not-found"
                    };
                    let d = Diagnostic::error(code, msg);
                    cx.diag(p, d, &t.pointer);
                    continue;
                }
                // Listeners this policy programs.
                let taken = claimed.get(&g).cloned().unwrap_or_default();
                let listeners: Vec<(String, String, u32)> = match &t.section {
                    Some(sec) => gw
                        .listeners
                        .iter()
                        .filter(|l| &l.0 == sec)
                        .cloned()
                        .collect(),
                    None => gw
                        .listeners
                        .iter()
                        .filter(|l| !taken.contains(&l.0))
                        .cloned()
                        .collect(),
                };
                let mut problem = cx.policies[p].problems.first().map(|pr| pr.message.clone());
                if problem.is_none() {
                    problem = port_overlap(cx.world, g, &listeners, t.section.is_some());
                }
                cx.finish(p, &anc, problem.as_deref());
                if let Some(msg) = &problem {
                    if cx.policies[p].problems.is_empty() {
                        let d = Diagnostic::error("policy-invalid", msg.clone());
                        cx.diag(p, d, &t.pointer);
                    }
                }
                if t.section.is_none() && !taken.is_empty() {
                    let msg = format!("There are existing ClientTrafficPolicies that are overriding these sections {:?}", taken);
                    cx.out.statuses[p]
                        .ancestor(&anc[0].0, &anc[0].1, None)
                        .set(cond("Overridden", true, "Overridden", msg.clone()));
                    cx.diag(p, Diagnostic::info("policy-overridden", msg), &t.pointer);
                }
                if problem.is_none() {
                    for l in listeners {
                        let level = Level::Listener {
                            gateway_namespace: gw.namespace.clone(),
                            gateway: gw.name.clone(),
                            listener: l.0,
                        };
                        cx.out.attachments.push(Attachment {
                            policy: p,
                            level,
                            broken: false,
                            merged_into: Vec::new(),
                        });
                    }
                }
            }
        }
    }
}

/// A ClientTrafficPolicy configures a whole Envoy listener: plain-HTTP Gateway listeners sharing a
/// port share one, so a policy that would apply to only some of them is rejected.
fn port_overlap(
    world: &World,
    g: usize,
    listeners: &[(String, String, u32)],
    section: bool,
) -> Option<String> {
    let gw = &world.gateways[g];
    for (name, proto, port) in listeners {
        if proto != "HTTP" {
            continue;
        }
        let mut others: Vec<String> = Vec::new();
        if section {
            for l in &gw.listeners {
                if &l.0 != name && l.1 == "HTTP" && l.2 == *port {
                    others.push(format!("{}/{}/{}", gw.namespace, gw.name, l.0));
                }
            }
        }
        if world.is_merged(gw) {
            for o in &world.gateways {
                if o.class == gw.class && (o.namespace != gw.namespace || o.name != gw.name) {
                    for l in &o.listeners {
                        if l.1 == "HTTP" && l.2 == *port {
                            others.push(format!("{}/{}/{}", o.namespace, o.name, l.0));
                        }
                    }
                }
            }
        }
        if !others.is_empty() {
            return Some(format!(
                "Affects additional listeners: {}: plain-HTTP listeners on port {port} share one Envoy listener",
                others.join(", ")
            ));
        }
    }
    None
}
