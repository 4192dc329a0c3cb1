//! ClientTrafficPolicy attachment (`clienttrafficpolicy.go`): it configures Envoy listeners, so
//! it has its own passes. Listener targets (a Gateway's or a ListenerSet's `sectionName`) go
//! first, then whole ListenerSets, then whole Gateways; each broader policy programs only the
//! listeners nobody claimed and is `Overridden` naming the others.

use super::attach::{Attachment, Ctx, Level, Target};
use super::status::AncKey;
use super::world::{Parent, World};
use super::PolicyKind;
use std::collections::{BTreeMap, BTreeSet};

/// A listener of a Gateway: its own (`set` None) or one of an admitted ListenerSet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Lid {
    set: Option<usize>,
    name: String,
}

/// Every listener a Gateway serves, with protocol and port.
fn all_listeners(world: &World, g: usize) -> Vec<(Lid, String, u32)> {
    let gw = &world.gateways[g];
    let own = gw.listeners.iter().map(|l| {
        (
            Lid {
                set: None,
                name: l.0.clone(),
            },
            l.1.clone(),
            l.2,
        )
    });
    let sets = world
        .listener_sets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.gateway == g)
        .flat_map(|(i, s)| {
            s.listeners.iter().map(move |l| {
                (
                    Lid {
                        set: Some(i),
                        name: l.0.clone(),
                    },
                    l.1.clone(),
                    l.2,
                )
            })
        });
    own.chain(sets).collect()
}

fn lid_name(world: &World, g: usize, l: &Lid) -> String {
    match l.set {
        None => {
            let gw = &world.gateways[g];
            format!("{}/{}/{}", gw.namespace, gw.name, l.name)
        }
        Some(s) => {
            let set = &world.listener_sets[s];
            format!("{}/{}/{}", set.namespace, set.name, l.name)
        }
    }
}

/// What one target resolves to before claims are checked.
struct Scope {
    gateway: usize,
    anc: AncKey,
    /// Listeners of the scope; a listener target has one.
    listeners: Vec<Lid>,
    /// Key for "already targeted" at the scope's own level.
    whole: Option<Option<usize>>,
}

fn pass_of(t: &Target) -> Option<u8> {
    match (t.kind.as_str(), t.section.is_some()) {
        ("Gateway" | "ListenerSet", true) => Some(0),
        ("ListenerSet", false) => Some(1),
        ("Gateway", false) => Some(2),
        _ => None,
    }
}

pub(super) fn attach_client_traffic(cx: &mut Ctx) {
    let world = cx.world;
    let ids: Vec<usize> = (0..cx.policies.len())
        .filter(|&i| cx.policies[i].kind == PolicyKind::ClientTraffic)
        .collect();
    let all_targets: BTreeMap<usize, Vec<Target>> = ids
        .iter()
        .map(|&i| (i, super::attach::targets(cx.model, &cx.policies[i])))
        .collect();
    let mut claimed: BTreeMap<usize, BTreeSet<Lid>> = BTreeMap::new();
    let mut whole: BTreeSet<(usize, Option<usize>)> = BTreeSet::new();
    for pass in 0..3 {
        for &p in &ids {
            for t in &all_targets[&p] {
                let Some(tp) = pass_of(t) else {
                    if pass == 0 {
                        let d = crate::diag::Diagnostic::warning(
                            "policy-target-not-found",
                            format!(
                                "ClientTrafficPolicy cannot target a {}; it is ignored",
                                t.kind
                            ),
                        );
                        cx.diag(p, d, &t.pointer);
                    }
                    continue;
                };
                if tp != pass {
                    continue;
                }
                let Some(scope) = scope(world, t) else {
                    cx.missing(p, t, "or is not served by this controller");
                    continue;
                };
                one_target(cx, p, t, scope, &mut claimed, &mut whole);
            }
        }
    }
}

fn scope(world: &World, t: &Target) -> Option<Scope> {
    if t.kind == "Gateway" {
        let g = world.gateway(&t.namespace, &t.name)?;
        let gw = &world.gateways[g];
        let listeners = match &t.section {
            Some(s) => vec![Lid {
                set: None,
                name: s.clone(),
            }],
            None => all_listeners(world, g).into_iter().map(|l| l.0).collect(),
        };
        let whole = t.section.is_none().then_some(None);
        return Some(Scope {
            gateway: g,
            anc: AncKey::gateway(&gw.namespace, &gw.name, t.section.clone()),
            listeners,
            whole,
        });
    }
    let ls = world.listener_set(&t.namespace, &t.name)?;
    let set = &world.listener_sets[ls];
    let listeners = match &t.section {
        Some(s) => vec![Lid {
            set: Some(ls),
            name: s.clone(),
        }],
        None => set
            .listeners
            .iter()
            .map(|l| Lid {
                set: Some(ls),
                name: l.0.clone(),
            })
            .collect(),
    };
    let whole = t.section.is_none().then_some(Some(ls));
    Some(Scope {
        gateway: set.gateway,
        anc: AncKey::set(&set.namespace, &set.name, t.section.clone()),
        listeners,
        whole,
    })
}

fn one_target(
    cx: &mut Ctx,
    p: usize,
    t: &Target,
    sc: Scope,
    claimed: &mut BTreeMap<usize, BTreeSet<Lid>>,
    whole: &mut BTreeSet<(usize, Option<usize>)>,
) {
    let world = cx.world;
    let g = sc.gateway;
    let every = all_listeners(world, g);
    let anc = [sc.anc.clone()];
    let err = match (&t.section, sc.whole) {
        (Some(sec), _) if !every.iter().any(|l| l.0 == sc.listeners[0]) => Some((
            "TargetNotFound",
            format!("No section name {sec} found for {}/{}", t.namespace, t.name),
        )),
        (Some(_), _)
            if !claimed
                .entry(g)
                .or_default()
                .insert(sc.listeners[0].clone()) =>
        {
            Some((
                "Conflicted",
                "Unable to target section, another ClientTrafficPolicy has already attached to it"
                    .to_string(),
            ))
        }
        (None, Some(w)) if !whole.insert((g, w)) => {
            let what = if w.is_some() {
                "ListenerSet"
            } else {
                "Gateway"
            };
            Some(("Conflicted", format!("Unable to target {what}, another ClientTrafficPolicy has already attached to it")))
        }
        _ => None,
    };
    if let Some((reason, msg)) = err {
        cx.reject(p, &anc, t, reason, msg);
        return;
    }
    // A broader policy programs the listeners nobody claimed, and claims them.
    let taken: Vec<Lid> = match t.section {
        Some(_) => Vec::new(),
        None => sc
            .listeners
            .iter()
            .filter(|l| claimed.get(&g).is_some_and(|c| c.contains(l)))
            .cloned()
            .collect(),
    };
    let programs: Vec<Lid> = sc
        .listeners
        .iter()
        .filter(|l| !taken.contains(l))
        .cloned()
        .collect();
    if matches!(sc.whole, Some(Some(_))) {
        claimed
            .entry(g)
            .or_default()
            .extend(programs.iter().cloned());
    }
    let mut problem = cx.policies[p].problems.first().map(|pr| pr.message.clone());
    if problem.is_none() {
        problem = port_overlap(world, g, &every, &programs, sc.whole == Some(None));
    }
    if problem.is_none()
        && cx.policies[p].raw.pointer("/http1/http10/useDefaultHost")
            == Some(&serde_json::Value::Bool(true))
    {
        problem = default_host_problem(world, g, &programs);
    }
    cx.finish(p, &anc, problem.as_deref());
    if let Some(msg) = &problem {
        if cx.policies[p].problems.is_empty() {
            let d = crate::diag::Diagnostic::error("policy-invalid", msg.clone());
            cx.diag(p, d, &t.pointer);
        }
    }
    if !taken.is_empty() {
        let names: Vec<String> = taken.iter().map(|l| lid_name(world, g, l)).collect();
        let msg = format!(
            "There are existing ClientTrafficPolicies that are overriding these sections {names:?}"
        );
        cx.overridden(p, &anc[0], t, msg);
    }
    if problem.is_some() {
        return;
    }
    let gw = &world.gateways[g];
    for l in programs {
        cx.out.attachments.push(Attachment {
            policy: p,
            level: Level::Listener {
                gateway_namespace: gw.namespace.clone(),
                gateway: gw.name.clone(),
                listener: l.name,
            },
            broken: false,
            merged_into: Vec::new(),
        });
    }
}

/// A ClientTrafficPolicy configures a whole Envoy listener: plain-HTTP listeners sharing a port
/// share one, so a policy that would apply to only some of them is rejected. A Gateway-wide
/// policy covers all of its Gateway's; under mergeGateways it must cover other Gateways' too.
fn port_overlap(
    world: &World,
    g: usize,
    every: &[(Lid, String, u32)],
    programs: &[Lid],
    gateway_wide: bool,
) -> Option<String> {
    let gw = &world.gateways[g];
    for (_, proto, port) in every.iter().filter(|l| programs.contains(&l.0)) {
        if proto != "HTTP" {
            continue;
        }
        let mut others: Vec<String> = Vec::new();
        if !gateway_wide {
            for (o, oproto, oport) in every {
                if !programs.contains(o) && oproto == "HTTP" && oport == port {
                    others.push(lid_name(world, g, o));
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

/// `http1.http10.useDefaultHost` needs one host to give HTTP/1.0 requests: the listener's
/// hostname, else the single hostname of the routes attached to it.
fn default_host_problem(world: &World, g: usize, programs: &[Lid]) -> Option<String> {
    let gw = &world.gateways[g];
    for l in programs.iter().filter(|l| l.set.is_none()) {
        let Some(i) = gw.listeners.iter().position(|x| x.0 == l.name) else {
            continue;
        };
        if gw.listener_hostnames[i]
            .as_deref()
            .is_some_and(|h| !h.is_empty() && !h.starts_with('*'))
        {
            continue;
        }
        let mut hosts = BTreeSet::new();
        for r in world
            .routes
            .iter()
            .filter(|r| r.kind == "HTTPRoute" || r.kind == "GRPCRoute")
        {
            for pr in &r.parent_refs {
                if world.parent(pr, &r.namespace) == Some(Parent::Gateway(g))
                    && world.listeners_for(r, pr, g).contains(&l.name)
                {
                    if r.hostnames.is_empty() {
                        hosts.insert("*".to_string());
                    }
                    hosts.extend(r.hostnames.iter().cloned());
                }
            }
        }
        if hosts.len() != 1 || hosts.iter().any(|h| h.starts_with('*')) {
            return Some(format!(
                "cannot set http10 default host on listener {} without exactly one non-wildcard hostname (the listener has none; its routes have {hosts:?})",
                l.name
            ));
        }
    }
    None
}
