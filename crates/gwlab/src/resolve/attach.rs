//! Attachment: parentRefs × listeners (sectionName, port) × allowedRoutes (kind, namespace) ×
//! hostnames, with the Accepted reason Envoy Gateway writes for each parentRef.

use super::hostname;
use super::index::Index;
use super::listeners::{GatewayCtx, ListenerCtx};
use super::{Attachment, RouteKind};
use crate::fxhash::FxHashMap;
use crate::model::{Object, ParentReference, GATEWAY_GROUP};
use std::collections::HashMap;

/// Where a parentRef points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentTarget {
    /// A Gateway we simulate (index into the gateway list).
    Gateway(usize),
    /// A ListenerSet of one of our Gateways: (gateway, listener set index).
    ListenerSet(usize, usize),
}

/// The outcome of one parentRef.
#[derive(Debug, Clone)]
pub enum ParentResult {
    /// Not ours (another class's Gateway, a Service, …): no status entry.
    Irrelevant,
    /// The parent does not exist.
    NotFound,
    /// Rejected with this Accepted=False reason and message.
    Rejected {
        gateway: usize,
        reason: &'static str,
        message: String,
    },
    /// Attached to these listeners.
    Accepted {
        gateway: usize,
        attachments: Vec<Attachment>,
    },
}

/// Lookup from (namespace, name) to Gateways and ListenerSets we simulate.
pub struct Parents {
    /// namespace → name → gateway.
    gateways: FxHashMap<String, FxHashMap<String, usize>>,
    /// namespace → name → (gateway, listener set).
    sets: FxHashMap<String, FxHashMap<String, (usize, usize)>>,
    /// For each gateway: its listeners' hostnames by port.
    hosts: Vec<GatewayHosts>,
}

/// The listener hostnames of one Gateway, grouped by port, so that a route's hostname can be
/// checked against the other listeners on its port with one lookup (Envoy Gateway removes names
/// another listener on the port owns exactly).
struct GatewayHosts {
    /// Listener indices by listener name (names repeat across ListenerSets), and all of them:
    /// a parentRef with a sectionName looks at its listeners only, not at every listener.
    by_name: FxHashMap<String, Vec<usize>>,
    all: Vec<usize>,
    /// For each listener: index into `ports`.
    port_of: Vec<usize>,
    /// For each port: hostname → (first listener with it, number of listeners with it).
    ports: Vec<FxHashMap<String, (usize, usize)>>,
}

impl GatewayHosts {
    /// The listeners a parentRef can select: those named `section`, or all (in listener order).
    fn candidates(&self, section: Option<&str>) -> &[usize] {
        match section {
            Some(s) => self.by_name.get(s).map_or(&[][..], Vec::as_slice),
            None => &self.all,
        }
    }

    /// True when a listener other than `li` on the same port has hostname `h`.
    fn taken_by_other(&self, li: usize, h: &str) -> bool {
        let hosts = &self.ports[self.port_of[li]];
        !hosts.is_empty() && hosts.get(h).is_some_and(|&(first, n)| n > 1 || first != li)
    }
}

impl Parents {
    pub fn build(ix: &Index, gws: &[GatewayCtx]) -> Self {
        let mut gateways: FxHashMap<String, FxHashMap<String, usize>> = FxHashMap::default();
        let mut sets: FxHashMap<String, FxHashMap<String, (usize, usize)>> = FxHashMap::default();
        let mut hosts = Vec::with_capacity(gws.len());
        for (gi, g) in gws.iter().enumerate() {
            gateways
                .entry(g.ns.clone())
                .or_default()
                .insert(g.name.clone(), gi);
            for (si, s) in g.listener_sets.iter().enumerate() {
                let o = &ix.model.objects[s.object];
                sets.entry(o.namespace.clone())
                    .or_default()
                    .insert(o.meta.name.clone(), (gi, si));
            }
            let mut port_index: HashMap<u32, usize> = HashMap::new();
            let mut gh = GatewayHosts {
                by_name: FxHashMap::default(),
                all: (0..g.listeners.len()).collect(),
                port_of: Vec::with_capacity(g.listeners.len()),
                ports: Vec::new(),
            };
            for (li, l) in g.listeners.iter().enumerate() {
                gh.by_name.entry(l.state.name.clone()).or_default().push(li);
                let pi = *port_index.entry(l.state.port).or_insert_with(|| {
                    gh.ports.push(FxHashMap::default());
                    gh.ports.len() - 1
                });
                gh.port_of.push(pi);
                if let Some(h) = l.state.hostname.as_deref() {
                    gh.ports[pi].entry(h.to_string()).or_insert((li, 0)).1 += 1;
                }
            }
            hosts.push(gh);
        }
        Parents {
            gateways,
            sets,
            hosts,
        }
    }

    pub fn target(&self, route_ns: &str, pr: &ParentReference) -> Option<ParentTarget> {
        let ns = pr.namespace_or(route_ns);
        let group_ok = matches!(pr.group(), GATEWAY_GROUP | "gateway.networking.x-k8s.io");
        match pr.kind() {
            "Gateway" if group_ok => self
                .gateways
                .get(ns)?
                .get(&pr.name)
                .map(|&g| ParentTarget::Gateway(g)),
            "ListenerSet" | "XListenerSet" if group_ok => self
                .sets
                .get(ns)?
                .get(&pr.name)
                .map(|&(g, s)| ParentTarget::ListenerSet(g, s)),
            _ => None,
        }
    }
}

/// Resolves one parentRef of a route. Counts attached routes on the listeners it attaches to.
#[allow(clippy::too_many_arguments)]
pub fn attach(
    ix: &Index,
    parents: &Parents,
    gws: &mut [GatewayCtx],
    route: &Object,
    kind: RouteKind,
    hostnames: &[String],
    pr: &ParentReference,
    pi: usize,
    count: bool,
) -> ParentResult {
    let Some(target) = parents.target(&route.namespace, pr) else {
        let ns = pr.namespace_or(&route.namespace);
        let exists = match pr.kind() {
            "Gateway" => ix.get("Gateway", ns, &pr.name).is_some(),
            "ListenerSet" => ix.get("ListenerSet", ns, &pr.name).is_some(),
            _ => return ParentResult::Irrelevant,
        };
        return if exists {
            ParentResult::Irrelevant
        } else {
            ParentResult::NotFound
        };
    };
    let (gi, set) = match target {
        ParentTarget::Gateway(g) => (g, None),
        ParentTarget::ListenerSet(g, s) => (g, Some(s)),
    };
    let g = &mut gws[gi];
    if g.rejected {
        return ParentResult::Irrelevant;
    }
    if let Some(s) = set {
        if !g.listener_sets[s].allowed {
            return ParentResult::Rejected {
                gateway: gi,
                reason: "NotAllowedByListeners",
                message: "The ListenerSet is not attached to its Gateway".into(),
            };
        }
    }
    let selects = |l: &ListenerCtx| {
        l.ls == set
            && pr.section_name.as_deref().is_none_or(|s| s == l.state.name)
            && pr.port.is_none_or(|p| p == l.state.port)
    };
    let gh = &parents.hosts[gi];
    let candidates = gh.candidates(pr.section_name.as_deref());
    if !candidates.iter().any(|&li| selects(&g.listeners[li])) {
        let what = match (&pr.section_name, pr.port) {
            (Some(s), Some(p)) => format!("no listener named `{s}` on port {p}"),
            (Some(s), None) => format!("no listener named `{s}`"),
            (None, Some(p)) => format!("no listener on port {p}"),
            (None, None) => "no listeners".to_string(),
        };
        return ParentResult::Rejected {
            gateway: gi,
            reason: "NoMatchingParent",
            message: format!("No listeners match this parent ref: the parent has {what}"),
        };
    }
    // One pass: a listener that allows the route is attached at once (no list of them first).
    let mut any_allowed = false;
    // Sized for the usual parentRef that names one listener: allocated at its final size, which
    // skips the vector's growth path and takes a small block from the allocator.
    let mut attachments = if candidates.len() == 1 {
        Vec::with_capacity(1)
    } else {
        Vec::new()
    };
    for &li in candidates {
        let l = &g.listeners[li];
        if !(selects(l) && l.allows_kind(kind) && l.allows_namespace(ix, &route.namespace)) {
            continue;
        }
        any_allowed = true;
        let hosts = match kind {
            RouteKind::Tcp | RouteKind::Udp => vec!["*".to_string()],
            _ => hostname::compute_hosts_by(
                hostnames,
                g.listeners[li].state.hostname.as_deref(),
                |h| gh.taken_by_other(li, h),
            ),
        };
        if hosts.is_empty() {
            continue;
        }
        if count {
            g.listeners[li].attached += 1;
        }
        let hostnames = if hosts.len() == 1 && hosts[0] == "*" {
            Vec::new()
        } else {
            hosts
        };
        attachments.push(Attachment {
            gateway: gi,
            listener: li,
            parent_ref: pi,
            hostnames,
        });
    }
    if !any_allowed {
        return ParentResult::Rejected {
            gateway: gi,
            reason: "NotAllowedByListeners",
            message: "No listeners included by this parent ref allowed this attachment.".into(),
        };
    }
    if attachments.is_empty() {
        return ParentResult::Rejected {
            gateway: gi,
            reason: "NoMatchingListenerHostname",
            message: "There were no hostname intersections between the route and this parent ref's Listener(s).".into(),
        };
    }
    ParentResult::Accepted {
        gateway: gi,
        attachments,
    }
}
