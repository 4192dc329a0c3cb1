//! The Graph panel: Gateway → listeners → routes → backends as SVG. The nodes and edges come
//! straight from the core's resolution (attachments, rule backends, route status); this file only lays
//! them out.
use crate::engine::Computed;
use gwlab::resolve::{BackendTarget, Protocol};
use gwlab::sort::StableSort;
use serde_json::Value;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    pub kind: String,
    pub label: String,
    pub col: usize,
    pub bad: bool,
    /// Where clicking the node jumps to (UTF-16 editor offsets).
    pub range: Option<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    pub rejected: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Graph {
    fn node(&mut self, n: Node) {
        if !self.nodes.iter().any(|m| m.id == n.id) {
            self.nodes.push(n);
        }
    }
    fn edge(&mut self, from: &str, to: &str, label: String, rejected: Option<String>) {
        self.edges.push(Edge {
            from: from.into(),
            to: to.into(),
            label,
            rejected,
        });
    }
}

fn proto(p: Protocol) -> &'static str {
    match p {
        Protocol::Http => "HTTP",
        Protocol::Https => "HTTPS",
        Protocol::Tls => "TLS",
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Unsupported => "?",
    }
}

fn s(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_default()
}

pub fn build(c: &Computed) -> Graph {
    let Some(analysis) = &c.analysis else {
        return Graph::default();
    };
    let model = &analysis.model;
    let res = &analysis.resolved;
    let mut g = Graph::default();
    let text = model.files.first().map(|f| f.text.as_str()).unwrap_or("");
    for gw in &res.gateways {
        let gid = format!("Gateway/{}/{}", gw.namespace, gw.name);
        g.node(Node {
            id: gid.clone(),
            kind: "Gateway".into(),
            label: gw.name.clone(),
            col: 0,
            bad: !gw.accepted,
            range: c.locate_index(gw.object, None),
        });
        for l in &gw.listeners {
            let lid = format!("{gid}#{}", l.name);
            let host = l.hostname.clone().unwrap_or_else(|| "*".into());
            // The listener's own entry in the Gateway (or ListenerSet) that declares it.
            let ptr = model.objects.get(l.source).and_then(|o| match &o.body {
                gwlab::model::Body::Gateway(sp) => {
                    sp.listeners.iter().position(|x| x.name == l.name)
                }
                gwlab::model::Body::ListenerSet(sp) => {
                    sp.listeners.iter().position(|x| x.name == l.name)
                }
                _ => None,
            });
            g.node(Node {
                id: lid.clone(),
                kind: "Listener".into(),
                label: format!("{} {}:{} {host}", l.name, proto(l.protocol), l.port),
                col: 1,
                bad: !l.programmed,
                range: c.locate_index(
                    l.source,
                    ptr.map(|i| format!("/spec/listeners/{i}")).as_deref(),
                ),
            });
            g.edge(&gid, &lid, String::new(), None);
        }
    }
    for r in &res.routes {
        let Some(obj) = model.objects.get(r.object) else {
            continue;
        };
        let rid = obj.id();
        g.node(Node {
            id: rid.clone(),
            kind: obj.kind.clone(),
            label: obj.name().to_string(),
            col: 2,
            bad: r.attachments.is_empty(),
            range: c.locate_index(r.object, None),
        });
        for a in &r.attachments {
            if let Some(gw) = res.gateways.get(a.gateway) {
                if let Some(l) = gw.listeners.get(a.listener) {
                    let lid = format!("Gateway/{}/{}#{}", gw.namespace, gw.name, l.name);
                    g.edge(&lid, &rid, a.hostnames.join(", "), None);
                }
            }
        }
        // Rejected attachments, from the route's own status (parents with Accepted=False).
        let status = res
            .statuses
            .iter()
            .find(|s| s.object == r.object)
            .map(|s| &s.status);
        for p in status
            .and_then(|s| s["parents"].as_array())
            .into_iter()
            .flatten()
        {
            let accepted = p["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Accepted");
            let Some(cond) = accepted.filter(|c| c["status"] != "True") else {
                continue;
            };
            let pr = &p["parentRef"];
            let ns = pr
                .get("namespace")
                .map(s)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| obj.namespace.clone());
            let gid = format!("Gateway/{ns}/{}", s(&pr["name"]));
            let target = match pr.get("sectionName").map(s).filter(|x| !x.is_empty()) {
                Some(sec) if g.nodes.iter().any(|n| n.id == format!("{gid}#{sec}")) => {
                    format!("{gid}#{sec}")
                }
                _ => gid.clone(),
            };
            if !g.nodes.iter().any(|n| n.id == target) {
                g.node(Node {
                    id: target.clone(),
                    kind: "Gateway".into(),
                    label: format!("{} (not ours)", s(&pr["name"])),
                    col: 0,
                    bad: true,
                    range: c.locate(&gid, None),
                });
            }
            let why = format!("{}: {}", s(&cond["reason"]), s(&cond["message"]));
            g.edge(&target, &rid, String::new(), Some(why));
        }
        for rule in &r.rules {
            let total: u64 = rule.backends.iter().map(|b| b.weight).sum();
            for b in &rule.backends {
                let ptr = format!("/spec/rules/{}/backendRefs/{}", rule.index, b.index);
                let pct = if total > 0 {
                    format!(
                        "{}%",
                        (b.weight as f64 * 100.0 / total as f64 * 10.0).round() / 10.0
                    )
                } else {
                    "0%".into()
                };
                let label = if rule.backends.len() > 1 || total == 0 {
                    format!("rule {} · {pct}", rule.index)
                } else {
                    format!("rule {}", rule.index)
                };
                match &*b.target {
                    BackendTarget::Service {
                        namespace,
                        name,
                        port,
                        has_endpoints,
                        ..
                    } => {
                        let sid = format!("Service/{namespace}/{name}");
                        let nid = format!("{sid}:{port}");
                        g.node(Node {
                            id: nid.clone(),
                            kind: "Service".into(),
                            label: format!("{name}:{port}"),
                            col: 3,
                            bad: !has_endpoints,
                            range: c
                                .locate(&sid, None)
                                .or_else(|| c.locate_index(r.object, Some(&ptr))),
                        });
                        g.edge(&rid, &nid, label, None);
                    }
                    BackendTarget::Invalid { reason, message } => {
                        let name = obj
                            .origin
                            .spans
                            .value(&format!("{ptr}/name"))
                            .and_then(|sp| text.get(sp.start..sp.end))
                            .unwrap_or("backend")
                            .to_string();
                        let nid = format!("invalid:{rid}:{}:{}", rule.index, b.index);
                        g.node(Node {
                            id: nid.clone(),
                            kind: "Backend".into(),
                            label: name,
                            col: 3,
                            bad: true,
                            range: c.locate_index(r.object, Some(&ptr)),
                        });
                        g.edge(&rid, &nid, label, Some(format!("{reason}: {message}")));
                    }
                }
            }
        }
    }
    g
}

const COL_W: f64 = 200.0;
const NODE_W: f64 = 160.0;
const NODE_H: f64 = 40.0;
const ROW_H: f64 = 62.0;

pub fn view(g: &Graph, on_click: Callback<Option<(usize, usize)>>) -> Html {
    if g.nodes.is_empty() {
        return html! { <p class="empty">{ "Nothing to draw yet: add a Gateway." }</p> };
    }
    let mut cols: Vec<usize> = g.nodes.iter().map(|n| n.col).collect();
    cols.stable_sort();
    cols.dedup();
    let mut per_col: Vec<Vec<&Node>> = vec![Vec::new(); cols.len()];
    for n in &g.nodes {
        let ci = cols.iter().position(|c| *c == n.col).unwrap();
        per_col[ci].push(n);
    }
    let rows = per_col.iter().map(Vec::len).max().unwrap_or(1);
    let height = rows as f64 * ROW_H + 20.0;
    let width = cols.len() as f64 * COL_W;
    let mut pos = std::collections::HashMap::new();
    for (ci, col) in per_col.iter().enumerate() {
        let offset = (height - col.len() as f64 * ROW_H) / 2.0;
        for (ri, n) in col.iter().enumerate() {
            pos.insert(
                n.id.as_str(),
                (ci as f64 * COL_W + 10.0, offset + ri as f64 * ROW_H + 10.0),
            );
        }
    }
    let edges = g.edges.iter().filter_map(|e| {
        let (x1, y1) = pos.get(e.from.as_str())?;
        let (x2, y2) = pos.get(e.to.as_str())?;
        let (sx, sy, tx, ty) = (x1 + NODE_W, y1 + NODE_H / 2.0, *x2, y2 + NODE_H / 2.0);
        let (sx, tx) = if tx < sx { (*x1, x2 + NODE_W) } else { (sx, tx) };
        let mx = (sx + tx) / 2.0;
        let d = format!("M{sx},{sy} C{mx},{sy} {mx},{ty} {tx},{ty}");
        let class = if e.rejected.is_some() { "edge rejected" } else { "edge" };
        let text = match &e.rejected {
            Some(r) => r.split(':').next().unwrap_or(r).to_string(),
            None => e.label.clone(),
        };
        let title = match &e.rejected {
            Some(r) => format!("{} → {}: rejected: {r}", e.from, e.to),
            None => format!("{} → {} {}", e.from, e.to, e.label),
        };
        Some(html! {
            <g class={class}>
                <title>{ title }</title>
                <path d={d} marker-end={ if e.rejected.is_some() { "url(#arrow-bad)" } else { "url(#arrow)" } } />
                if !text.is_empty() {
                    <text x={format!("{mx}")} y={format!("{}", (sy + ty) / 2.0 - 4.0)} text-anchor="middle">{ text }</text>
                }
            </g>
        })
    });
    let nodes = g.nodes.iter().map(|n| {
        let (x, y) = pos[n.id.as_str()];
        let cb = on_click.clone();
        let key = n.range;
        let key2 = key;
        let cb2 = on_click.clone();
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(key));
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                cb2.emit(key2);
            }
        });
        let class = classes!("node", format!("k-{}", n.kind.to_lowercase()), n.bad.then_some("bad"));
        let label = if n.label.chars().count() > 22 {
            format!("{}…", n.label.chars().take(21).collect::<String>())
        } else {
            n.label.clone()
        };
        html! {
            <g class={class} role="button" tabindex="0" aria-label={format!("{} {} (go to YAML)", n.kind, n.label)}
               {onclick} {onkeydown} transform={format!("translate({x},{y})")}>
                <title>{ format!("{} {}", n.kind, n.id) }</title>
                <rect width={NODE_W.to_string()} height={NODE_H.to_string()} rx="6" />
                <text class="kind" x="8" y="14">{ n.kind.clone() }</text>
                <text class="label" x="8" y="31">{ label }</text>
            </g>
        }
    });
    html! {
        <svg class="graph" role="group" aria-label="Graph" viewBox={format!("0 0 {width} {height}")}
             style={format!("width: 100%; max-width: {width}px; min-width: {}px", width * 0.6)}>
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" class="arrow" />
                </marker>
                <marker id="arrow-bad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" class="arrow bad" />
                </marker>
            </defs>
            { for edges }
            { for nodes }
        </svg>
    }
}
