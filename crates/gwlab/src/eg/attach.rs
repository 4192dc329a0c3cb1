//! Policy attachment and status, as Envoy Gateway computes it (§2 of the Envoy Gateway digest).
//!
//! BackendTrafficPolicy, SecurityPolicy and EnvoyExtensionPolicy share one algorithm: targets are
//! processed level by level (route rule, route, ListenerSet listener, ListenerSet, Gateway
//! listener, Gateway), policies in age order within a level. The first policy on a target wins;
//! later ones are `Conflicted`. A broader policy displaced by a narrower one is `Overridden`; a
//! route-level policy with `mergeType` is merged into the nearest listener, ListenerSet or Gateway
//! policy (`Merged` on both). ClientTrafficPolicy has its own passes ([`super::ctp`]).

use super::status::{cond, AncKey, PolicyStatus};
use super::world::{Parent, World, ROUTE_KINDS};
use super::{Policy, PolicyKind};
use crate::diag::Diagnostic;
use crate::model::{Body, Model, GATEWAY_GROUP};
use crate::sort::StableSort;
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
    /// One listener of a ListenerSet (which belongs to `gateway`).
    SetListener {
        gateway_namespace: String,
        gateway: String,
        set_namespace: String,
        set: String,
        listener: String,
    },
    /// A whole ListenerSet; `listeners` are its listener names.
    Set {
        gateway_namespace: String,
        gateway: String,
        set_namespace: String,
        set: String,
        listeners: Vec<String>,
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
    /// Narrower levels rank lower and win.
    pub fn rank(&self) -> u8 {
        match self {
            Level::Rule { .. } => 0,
            Level::Route { .. } => 1,
            Level::SetListener { .. } => 2,
            Level::Set { .. } => 3,
            Level::Listener { .. } => 4,
            Level::Gateway { .. } => 5,
        }
    }

    /// Whether this Gateway-side level covers `listener` of Gateway `ns/gateway`.
    pub fn covers_listener(&self, ns: &str, gateway: &str, listener: &str) -> bool {
        match self {
            Level::SetListener {
                gateway_namespace,
                gateway: g,
                listener: l,
                ..
            }
            | Level::Listener {
                gateway_namespace,
                gateway: g,
                listener: l,
            } => gateway_namespace == ns && g == gateway && l == listener,
            Level::Set {
                gateway_namespace,
                gateway: g,
                listeners,
                ..
            } => gateway_namespace == ns && g == gateway && listeners.iter().any(|l| l == listener),
            Level::Gateway {
                gateway_namespace,
                gateway: g,
            } => gateway_namespace == ns && g == gateway,
            _ => false,
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
            .filter(|o| {
                (o.kind == sel.kind || sel.kind == "XListenerSet" && o.kind == "ListenerSet")
                    && o.group() == group
                    && ls.matches(&o.meta.labels)
            })
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
        hits.stable_sort_by_key(|o| o.age_key());
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
            // The experimental XListenerSet is the same object under its earlier name.
            kind: if r.kind == "XListenerSet" {
                "ListenerSet".into()
            } else {
                r.kind.clone()
            },
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

pub(super) struct Ctx<'a> {
    pub model: &'a Model,
    pub world: &'a World,
    pub policies: &'a [Policy],
    pub out: AttachResult,
}

impl Ctx<'_> {
    pub fn diag(&mut self, p: usize, d: Diagnostic, ptr: &str) {
        let pol = &self.policies[p];
        let obj = &self.model.objects[pol.object];
        let loc = self.model.locate(obj, ptr);
        self.out.diagnostics.push(d.at(loc).on(obj.id()));
    }

    /// Spec-validation outcome for a policy on one target: (Accepted or Invalid, message).
    pub fn finish(&mut self, p: usize, anc: &[AncKey], error: Option<&str>) {
        let warning = warning_condition(&self.policies[p].warnings);
        for k in anc {
            let a = self.out.statuses[p].ancestor(k);
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
            if let Some(w) = &warning {
                a.set(w.clone());
            }
        }
    }

    /// A target that could not be taken: `Accepted=False` on its ancestors, and a diagnostic.
    /// Like a missing section, `Conflicted` has no effect at all.
    pub fn reject(
        &mut self,
        p: usize,
        anc: &[AncKey],
        t: &Target,
        reason: &'static str,
        msg: String,
    ) {
        for k in anc {
            self.out.statuses[p]
                .ancestor(k)
                .set(cond("Accepted", false, reason, msg.clone()));
        }
        let code = if reason == "Conflicted" {
            "policy-conflicted"
        } else {
            "policy-target-not-found"
        };
        self.diag(p, Diagnostic::error(code, msg), &t.pointer);
    }

    /// A target object that does not exist (or is not served by this controller) is skipped.
    pub fn missing(&mut self, p: usize, t: &Target, what: &str) {
        let d = Diagnostic::warning(
            "policy-target-not-found",
            format!(
                "{} {}/{} does not exist ({what}); the target is skipped",
                t.kind, t.namespace, t.name
            ),
        );
        self.diag(p, d, &t.pointer);
    }

    pub fn overridden(&mut self, p: usize, k: &AncKey, t: &Target, msg: String) {
        self.out.statuses[p]
            .ancestor(k)
            .set(cond("Overridden", true, "Overridden", msg.clone()));
        self.diag(p, Diagnostic::info("policy-overridden", msg), &t.pointer);
    }
}

/// One `Warning` condition for all of a policy's warnings: their reason when they share one,
/// else `Warnings`; the messages joined.
fn warning_condition(w: &[(&'static str, String)]) -> Option<super::status::Condition> {
    let first = w.first()?;
    let reason = if w.iter().all(|x| x.0 == first.0) {
        first.0
    } else {
        "Warnings"
    };
    let msg: Vec<&str> = w.iter().map(|x| x.1.as_str()).collect();
    Some(cond("Warning", true, reason, msg.join("; ")))
}

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
    super::ctp::attach_client_traffic(&mut cx);
    super::geoip::require_client_ip_detection(&mut cx);
    for st in &mut cx.out.statuses {
        st.truncate();
    }
    cx.out
}

/// Processing level of a target (0 = narrowest), None for kinds a policy cannot target.
fn target_level(t: &Target) -> Option<u8> {
    let sec = t.section.is_some();
    match t.kind.as_str() {
        k if ROUTE_KINDS.contains(&k) => Some(if sec { 0 } else { 1 }),
        "ListenerSet" => Some(if sec { 2 } else { 3 }),
        "Gateway" => Some(if sec { 4 } else { 5 }),
        _ => None,
    }
}

/// A route with its own policy that reaches a ListenerSet listener.
struct SetRoute {
    set: usize,
    listener: String,
    route: String,
    /// Parent policies the route's policy merged into (they are not overridden by it).
    merged_into: Vec<usize>,
}

/// What earlier (narrower or older) policies of one kind have claimed.
#[derive(Default)]
struct Claims {
    routes: BTreeSet<usize>,
    rules: BTreeMap<usize, BTreeSet<String>>,
    sets: BTreeSet<usize>,
    set_listeners: BTreeMap<usize, BTreeSet<String>>,
    gateways: BTreeSet<usize>,
    listeners: BTreeMap<usize, BTreeSet<String>>,
    /// Gateway → parentRef sectionName ("" = none) → routes that have their own policy.
    gateway_routes: BTreeMap<usize, BTreeMap<String, BTreeSet<String>>>,
    set_routes: Vec<SetRoute>,
    /// Parent policies that absorbed a merged route-level policy.
    merged_parents: BTreeSet<usize>,
    /// First policy per (Gateway, listener or ""), for mergeType lookups.
    gateway_policy: BTreeMap<(usize, String), usize>,
    /// First policy per (ListenerSet, listener or "").
    set_policy: BTreeMap<(usize, String), usize>,
}

fn attach_route_kind(cx: &mut Ctx, kind: PolicyKind) {
    let ids: Vec<usize> = (0..cx.policies.len())
        .filter(|&i| cx.policies[i].kind == kind)
        .collect();
    let all_targets: BTreeMap<usize, Vec<Target>> = ids
        .iter()
        .map(|&i| (i, targets(cx.model, &cx.policies[i])))
        .collect();
    let mut st = Claims::default();
    for &p in &ids {
        for t in &all_targets[&p] {
            let sec = t.section.clone().unwrap_or_default();
            if t.kind == "Gateway" {
                if let Some(g) = cx.world.gateway(&t.namespace, &t.name) {
                    st.gateway_policy.entry((g, sec)).or_insert(p);
                }
            } else if t.kind == "ListenerSet" {
                if let Some(ls) = cx.world.listener_set(&t.namespace, &t.name) {
                    st.set_policy.entry((ls, sec)).or_insert(p);
                }
            }
        }
    }
    for pass in 0..6u8 {
        for &p in &ids {
            for t in &all_targets[&p] {
                let Some(level) = target_level(t) else {
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
                };
                if level != pass {
                    continue;
                }
                match level {
                    0 | 1 => route_target(cx, &mut st, p, t),
                    2 | 3 => set_target(cx, &mut st, p, t),
                    _ => gateway_target(cx, &mut st, p, t),
                }
            }
        }
    }
    // Parents that absorbed merges report `Merged` (they are processed after their children).
    for p in std::mem::take(&mut st.merged_parents) {
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

fn route_target(cx: &mut Ctx, st: &mut Claims, p: usize, t: &Target) {
    let world = cx.world;
    let Some(r) = world.route(&t.kind, &t.namespace, &t.name) else {
        cx.missing(p, t, "or attaches to no Gateway of this controller");
        return;
    };
    let route = &world.routes[r];
    let kind_name = cx.policies[p].kind.name();
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
                if !st.rules.entry(r).or_default().insert(sec.clone()) {
                    err = Some(("Conflicted", format!("Unable to target RouteRule {}/{}, another {kind_name} has already attached to it", route.name, sec)));
                }
            }
        }
    } else if !st.routes.insert(r) {
        err = Some((
            "Conflicted",
            format!(
                "Unable to target {} {}, another {kind_name} has already attached to it",
                route.kind, route.name
            ),
        ));
    }

    let route_key = format!("{}/{}", route.namespace, route.name);
    let mergeable = cx.policies[p].targets.merge_type.is_some() && err.is_none();
    let mut anc: Vec<AncKey> = Vec::new();
    let mut merged_into: Vec<usize> = Vec::new();
    let mut set_hits: Vec<(usize, String)> = Vec::new();
    let mut merge = |cx: &mut Ctx, pp: usize, k: AncKey, merged_into: &mut Vec<usize>| {
        if !merged_into.contains(&pp) {
            merged_into.push(pp);
        }
        st.merged_parents.insert(pp);
        cx.out.statuses[p].ancestor(&k).set(cond(
            "Merged",
            true,
            "Merged",
            "Merged with the parent policy",
        ));
    };
    for pr in &route.parent_refs {
        let Some(parent) = world.parent(pr, &route.namespace) else {
            continue;
        };
        let sec = pr.section_name.clone();
        let key = match parent {
            // With mergeType, each listener the route reaches merges into the nearest parent
            // policy (that listener's, then the Gateway's); Merged is reported per listener.
            Parent::Gateway(g) => {
                let gw = &world.gateways[g];
                let mut merged_here = false;
                if mergeable {
                    for l in world.listeners_for(route, pr, g) {
                        let parent = st
                            .gateway_policy
                            .get(&(g, l.clone()))
                            .or_else(|| st.gateway_policy.get(&(g, String::new())))
                            .copied();
                        if let Some(pp) = parent {
                            merged_here = true;
                            merge(
                                cx,
                                pp,
                                AncKey::gateway(&gw.namespace, &gw.name, Some(l)),
                                &mut merged_into,
                            );
                        }
                    }
                }
                if !merged_here {
                    st.gateway_routes
                        .entry(g)
                        .or_default()
                        .entry(sec.clone().unwrap_or_default())
                        .or_default()
                        .insert(route_key.clone());
                }
                AncKey::gateway(&gw.namespace, &gw.name, sec)
            }
            // Through a ListenerSet: its listener's policy, the ListenerSet's, then the Gateway's.
            Parent::Set(ls) => {
                let set = &world.listener_sets[ls];
                for l in world.set_listeners_for(route, pr, ls) {
                    if mergeable {
                        let parent = st
                            .set_policy
                            .get(&(ls, l.clone()))
                            .or_else(|| st.set_policy.get(&(ls, String::new())))
                            .or_else(|| st.gateway_policy.get(&(set.gateway, String::new())))
                            .copied();
                        if let Some(pp) = parent {
                            merge(
                                cx,
                                pp,
                                AncKey::set(&set.namespace, &set.name, Some(l.clone())),
                                &mut merged_into,
                            );
                        }
                    }
                    set_hits.push((ls, l));
                }
                AncKey::set(&set.namespace, &set.name, sec)
            }
        };
        if !anc.contains(&key) {
            anc.push(key);
        }
    }
    for (set, listener) in set_hits {
        st.set_routes.push(SetRoute {
            set,
            listener,
            route: route_key.clone(),
            merged_into: merged_into.clone(),
        });
    }
    if let Some((reason, msg)) = err {
        cx.reject(p, &anc, t, reason, msg);
        return;
    }
    let problem = cx.policies[p].problems.first().map(|pr| pr.message.clone());
    cx.finish(p, &anc, problem.as_deref());
    if t.section.is_none() {
        if let Some(rules) = st.rules.get(&r).filter(|s| !s.is_empty()) {
            let msg = format!("This policy is being overridden by other {kind_name}s for these route rules: {rules:?}");
            for k in &anc {
                cx.out.statuses[p].ancestor(k).set(cond(
                    "Overridden",
                    true,
                    "Overridden",
                    msg.clone(),
                ));
            }
            cx.diag(p, Diagnostic::info("policy-overridden", msg), &t.pointer);
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
    if applies {
        cx.out.attachments.push(Attachment {
            policy: p,
            level,
            broken: invalid,
            merged_into,
        });
    }
}

/// The `Overridden` message naming what displaced a broader policy.
fn overridden_message(kind: PolicyKind, parts: &[(&str, Vec<String>)]) -> Option<String> {
    let parts: Vec<String> = parts
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(what, v)| format!("{what}: {v:?}"))
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "This policy is being overridden by other {}s for these {}",
            kind.name(),
            parts.join(" and ")
        )
    })
}

fn set_target(cx: &mut Ctx, st: &mut Claims, p: usize, t: &Target) {
    let world = cx.world;
    let Some(ls) = world.listener_set(&t.namespace, &t.name) else {
        cx.missing(p, t, "or is not admitted by a Gateway of this controller");
        return;
    };
    let set = &world.listener_sets[ls];
    let gw = &world.gateways[set.gateway];
    let kind_name = cx.policies[p].kind.name();
    let err = match &t.section {
        Some(sec) if !set.listeners.iter().any(|l| &l.0 == sec) => {
            Some(("TargetNotFound", format!("No section name {sec} found for {}/{}", set.namespace, set.name)))
        }
        Some(sec) if !st.set_listeners.entry(ls).or_default().insert(sec.clone()) => Some((
            "Conflicted",
            format!("Unable to target ListenerSet listener {}/{sec}, another {kind_name} has already attached to it", set.name),
        )),
        None if !st.sets.insert(ls) => Some((
            "Conflicted",
            format!("Unable to target ListenerSet {}, another {kind_name} has already attached to it", set.name),
        )),
        _ => None,
    };
    let anc = [AncKey::set(&set.namespace, &set.name, t.section.clone())];
    if let Some((reason, msg)) = err {
        cx.reject(p, &anc, t, reason, msg);
        return;
    }
    let problem = cx.policies[p].problems.first().map(|pr| pr.message.clone());
    cx.finish(p, &anc, problem.as_deref());
    let mut routes: BTreeSet<String> = BTreeSet::new();
    for r in &st.set_routes {
        if r.set == ls
            && t.section.as_ref().is_none_or(|s| *s == r.listener)
            && !r.merged_into.contains(&p)
        {
            routes.insert(r.route.clone());
        }
    }
    let listeners: Vec<String> = match &t.section {
        None => st
            .set_listeners
            .get(&ls)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default(),
        Some(_) => Vec::new(),
    };
    let parts = [
        ("listeners", listeners),
        ("routes", routes.into_iter().collect()),
    ];
    if let Some(msg) = overridden_message(cx.policies[p].kind, &parts) {
        cx.overridden(p, &anc[0], t, msg);
    }
    let level = match &t.section {
        Some(l) => Level::SetListener {
            gateway_namespace: gw.namespace.clone(),
            gateway: gw.name.clone(),
            set_namespace: set.namespace.clone(),
            set: set.name.clone(),
            listener: l.clone(),
        },
        None => Level::Set {
            gateway_namespace: gw.namespace.clone(),
            gateway: gw.name.clone(),
            set_namespace: set.namespace.clone(),
            set: set.name.clone(),
            listeners: set.listeners.iter().map(|l| l.0.clone()).collect(),
        },
    };
    push_attachment(cx, p, level, problem.is_some(), Vec::new());
}

fn gateway_target(cx: &mut Ctx, st: &mut Claims, p: usize, t: &Target) {
    let world = cx.world;
    let Some(g) = world.gateway(&t.namespace, &t.name) else {
        cx.missing(p, t, "or belongs to another controller");
        return;
    };
    let gw = &world.gateways[g];
    let kind_name = cx.policies[p].kind.name();
    let err = match &t.section {
        Some(sec) if !gw.listeners.iter().any(|l| &l.0 == sec) => {
            Some(("TargetNotFound", format!("No section name {sec} found for {}/{}", gw.namespace, gw.name)))
        }
        Some(sec) if !st.listeners.entry(g).or_default().insert(sec.clone()) => Some((
            "Conflicted",
            format!("Unable to target Listener {}/{sec}, another {kind_name} has already attached to it", gw.name),
        )),
        None if !st.gateways.insert(g) => Some((
            "Conflicted",
            format!("Unable to target Gateway {}, another {kind_name} has already attached to it", gw.name),
        )),
        _ => None,
    };
    let anc = [AncKey::gateway(&gw.namespace, &gw.name, t.section.clone())];
    if let Some((reason, msg)) = err {
        cx.reject(p, &anc, t, reason, msg);
        return;
    }
    let problem = cx.policies[p].problems.first().map(|pr| pr.message.clone());
    cx.finish(p, &anc, problem.as_deref());
    // Overridden by narrower policies? ListenerSets are siblings of Gateway listeners, so only a
    // Gateway-wide policy sees them.
    let by_section = st.gateway_routes.get(&g);
    let parts = match &t.section {
        Some(sec) => vec![(
            "routes",
            by_section
                .and_then(|m| m.get(sec))
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
        )],
        None => {
            let mut routes: BTreeSet<String> = by_section
                .map(|m| m.values().flatten().cloned().collect())
                .unwrap_or_default();
            let mut sets: Vec<String> = Vec::new();
            for (ls, set) in world
                .listener_sets
                .iter()
                .enumerate()
                .filter(|(_, s)| s.gateway == g)
            {
                if st.sets.contains(&ls) {
                    sets.push(format!("{}/{}", set.namespace, set.name));
                }
                for l in st.set_listeners.get(&ls).into_iter().flatten() {
                    sets.push(format!("{}/{}/{l}", set.namespace, set.name));
                }
                for r in st
                    .set_routes
                    .iter()
                    .filter(|r| r.set == ls && !r.merged_into.contains(&p))
                {
                    routes.insert(r.route.clone());
                }
            }
            vec![
                (
                    "listeners",
                    st.listeners
                        .get(&g)
                        .map(|s| s.iter().cloned().collect())
                        .unwrap_or_default(),
                ),
                ("listenerSets", sets),
                ("routes", routes.into_iter().collect()),
            ]
        }
    };
    if let Some(msg) = overridden_message(cx.policies[p].kind, &parts) {
        cx.overridden(p, &anc[0], t, msg);
    }
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
