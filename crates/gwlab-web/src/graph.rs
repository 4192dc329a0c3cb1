//! The Graph panel: Gateway → listeners → routes → backends as SVG, from the core's graph data.
//! Layout only; what is attached, rejected or weighted comes from the core.
use serde_json::Value;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub label: String,
    pub col: usize,
    pub bad: bool,
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

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        o => o.to_string(),
    }
}

pub fn column(kind: &str) -> usize {
    match kind {
        "GatewayClass" => 0,
        "Gateway" => 1,
        "Listener" | "ListenerSet" => 2,
        k if k.ends_with("Route") => 3,
        "Service" | "Backend" | "ServiceImport" | "Backends" => 4,
        _ => 5,
    }
}

pub fn from_json(v: &Value) -> Graph {
    let mut g = Graph::default();
    for n in v["nodes"].as_array().into_iter().flatten() {
        let kind = s(&n["kind"]);
        let name = s(&n["name"]);
        let label = n.get("label").map(s).filter(|l| !l.is_empty()).unwrap_or_else(|| name.clone());
        let bad = n.get("ok").and_then(Value::as_bool).map(|ok| !ok).unwrap_or(false)
            || n.get("problem").map(|p| !p.is_null() && p != false).unwrap_or(false)
            || n.get("missing").and_then(Value::as_bool).unwrap_or(false);
        g.nodes.push(Node {
            id: s(&n["id"]),
            col: n.get("column").and_then(Value::as_u64).map(|c| c as usize).unwrap_or_else(|| column(&kind)),
            kind,
            namespace: s(&n["namespace"]),
            name,
            label,
            bad,
        });
    }
    for e in v["edges"].as_array().into_iter().flatten() {
        let accepted = e.get("accepted").and_then(Value::as_bool).unwrap_or(true);
        let reason = e.get("reason").map(s).unwrap_or_default();
        let weight = e.get("weight").map(s).unwrap_or_default();
        let label = e.get("label").map(s).filter(|l| !l.is_empty()).unwrap_or_else(|| {
            if weight.is_empty() {
                String::new()
            } else {
                format!("weight {weight}")
            }
        });
        g.edges.push(Edge {
            from: s(&e["from"]),
            to: s(&e["to"]),
            label,
            rejected: (!accepted).then(|| if reason.is_empty() { "rejected".to_string() } else { reason }),
        });
    }
    g
}

const COL_W: f64 = 210.0;
const NODE_W: f64 = 160.0;
const NODE_H: f64 = 40.0;
const ROW_H: f64 = 62.0;

pub fn view(g: &Graph, on_click: Callback<(String, String, String)>) -> Html {
    if g.nodes.is_empty() {
        return html! { <p class="empty">{ "Nothing to draw yet: add a Gateway." }</p> };
    }
    let mut cols: Vec<usize> = g.nodes.iter().map(|n| n.col).collect();
    cols.sort();
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
            pos.insert(n.id.as_str(), (ci as f64 * COL_W + 10.0, offset + ri as f64 * ROW_H + 10.0));
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
            Some(r) => r.clone(),
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
        let key = (n.kind.clone(), n.namespace.clone(), n.name.clone());
        let key2 = key.clone();
        let cb2 = on_click.clone();
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(key.clone()));
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                cb2.emit(key2.clone());
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
                <title>{ format!("{} {}{}", n.kind, if n.namespace.is_empty() { String::new() } else { format!("{}/", n.namespace) }, n.name) }</title>
                <rect width={NODE_W.to_string()} height={NODE_H.to_string()} rx="6" />
                <text class="kind" x="8" y="14">{ n.kind.clone() }</text>
                <text class="label" x="8" y="31">{ label }</text>
            </g>
        }
    });
    html! {
        <svg class="graph" role="img" aria-label="Graph" viewBox={format!("0 0 {width} {height}")}
             width={width.to_string()} height={height.to_string()}>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nodes_edges_and_rejections() {
        let v = serde_json::json!({
            "nodes": [{"id": "g", "kind": "Gateway", "namespace": "default", "name": "gw"},
                      {"id": "r", "kind": "HTTPRoute", "namespace": "default", "name": "web"}],
            "edges": [{"from": "g", "to": "r", "accepted": false, "reason": "NotAllowedByListeners"},
                      {"from": "r", "to": "s", "weight": 90}]});
        let g = from_json(&v);
        assert_eq!(g.nodes[0].col, 1);
        assert_eq!(g.nodes[1].col, 3);
        assert_eq!(g.edges[0].rejected.as_deref(), Some("NotAllowedByListeners"));
        assert_eq!(g.edges[1].label, "weight 90");
    }
}
