//! The configuration generator: seeded, reproducible, mostly valid with deliberate faults.
//!
//! Every object it writes passes the Gateway API and Envoy Gateway CRD schemas, because the oracle
//! aborts the whole run on one schema-invalid object (see `docs/differential.md`). Faults are
//! therefore semantic: a backend that does not exist, a port the Service lacks, a sectionName or
//! port no listener has, a cross-namespace reference without a ReferenceGrant, listeners that
//! conflict, a route kind a listener does not allow, hostnames that do not intersect.

use crate::rng::Rng;
use serde_json::{json, Value};

pub const CLASS: &str = "eg";
pub const CONTROLLER: &str = "gateway.envoyproxy.io/gatewayclass-controller";
/// The namespaces a configuration uses: the Gateway's own and one other.
pub const NAMESPACES: [&str; 2] = ["default", "other"];

const LISTENER_HOSTS: &[Option<&str>] = &[
    None,
    None,
    Some("a.example.com"),
    Some("*.example.com"),
    Some("*.org"),
    Some("b.example.com"),
];
const ROUTE_HOSTS: &[&str] = &[
    "a.example.com",
    "b.example.com",
    "*.example.com",
    "c.other.org",
    "*.org",
    "x.a.example.com",
];
const PORTS: &[u16] = &[80, 80, 8080, 8443];
const PREFIXES: &[&str] = &["/", "/api", "/api/v1", "/foo", "/foo/", "/static"];
const EXACTS: &[&str] = &["/", "/login", "/api", "/foo/bar", "/health"];
/// Regular expressions with one path each that they match in full.
pub const REGEXES: &[(&str, &str)] = &[
    ("/reg/[a-z]+", "/reg/abc"),
    ("/v[0-9]+/items", "/v2/items"),
    ("/api/.*", "/api/zz"),
    ("/(x|y)/z", "/y/z"),
];
const HEADER_NAMES: &[&str] = &["x-env", "x-user", "X-Version"];
const HEADER_VALUES: &[&str] = &["prod", "canary", "v2", "Alice"];
/// Header regexes with a value each that they match.
pub const HEADER_REGEXES: &[(&str, &str)] = &[
    ("prod|stage", "stage"),
    ("v[0-9]+", "v7"),
    ("^ali.*", "alice"),
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE"];

/// Envoy Gateway's own GatewayClass, accepted.
fn gateway_class() -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": CLASS},
           "spec": {"controllerName": CONTROLLER}})
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A generated listener, kept beside its JSON so that routes can aim at it.
#[derive(Debug, Clone)]
struct ListenerShape {
    name: String,
    port: u16,
    protocol: &'static str,
}

/// A TCP or UDP listener: no hostname (the CRD forbids one), sometimes on an HTTP port.
fn l4_listener(rng: &mut Rng, name: String, protocol: &'static str) -> (Value, ListenerShape) {
    let port = *rng.pick(&[9000u16, 9000, 9001, 80]);
    let mut l = json!({"name": name, "protocol": protocol, "port": port});
    let own = if protocol == "TCP" {
        "TCPRoute"
    } else {
        "UDPRoute"
    };
    match rng.range(0, 5) {
        0 => l["allowedRoutes"] = json!({"kinds": [{"kind": own}]}),
        1 => l["allowedRoutes"] = json!({"kinds": [{"kind": "HTTPRoute"}]}),
        2 => l["allowedRoutes"] = json!({"namespaces": {"from": "All"}}),
        _ => {}
    }
    (
        l,
        ListenerShape {
            name,
            port,
            protocol,
        },
    )
}

fn listener(rng: &mut Rng, i: usize) -> (Value, ListenerShape) {
    let name = format!("l{i}");
    match rng.range(0, 99) {
        0..=11 => return l4_listener(rng, name, "TCP"),
        12..=17 => return l4_listener(rng, name, "UDP"),
        _ => {}
    }
    let port = *rng.pick(PORTS);
    let mut l = json!({"name": name, "protocol": "HTTP", "port": port});
    if let Some(h) = rng.pick(LISTENER_HOSTS) {
        l["hostname"] = json!(h);
    }
    // allowedRoutes: absent (Same), All, Same, or a kind list that may leave nothing HTTP.
    match rng.range(0, 9) {
        0..=4 => {}
        5 | 6 => l["allowedRoutes"] = json!({"namespaces": {"from": "All"}}),
        7 => l["allowedRoutes"] = json!({"namespaces": {"from": "Same"}}),
        8 => {
            l["allowedRoutes"] =
                json!({"kinds": [{"kind": "HTTPRoute"}], "namespaces": {"from": "All"}})
        }
        _ => l["allowedRoutes"] = json!({"kinds": [{"kind": "TCPRoute"}]}),
    }
    (
        l,
        ListenerShape {
            name,
            port,
            protocol: "HTTP",
        },
    )
}

fn gateway(rng: &mut Rng) -> (Value, Vec<ListenerShape>) {
    let n = if rng.chance(60) {
        rng.range(1, 2)
    } else {
        rng.range(3, 6)
    };
    let mut listeners = Vec::new();
    let mut shapes = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    for i in 0..n {
        let (l, s) = listener(rng, i);
        // The CRD refuses two listeners with the same port, protocol and hostname.
        if taken.insert((
            l["port"].to_string(),
            l["protocol"].to_string(),
            l.get("hostname").map(Value::to_string),
        )) {
            listeners.push(l);
            shapes.push(s);
        }
    }
    let g = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "default"},
                   "spec": {"gatewayClassName": CLASS, "listeners": listeners}});
    (g, shapes)
}

/// A Service `svc-<i>` with one or two ports; `(name, ports)` kept for the references.
fn service(rng: &mut Rng, i: usize, ns: &str) -> (Value, Vec<u16>) {
    let mut ports = vec![
        json!({"name": "http", "port": 8080, "targetPort": 9000 + i as u16, "protocol": "TCP"}),
    ];
    let mut numbers = vec![8080];
    if rng.chance(35) {
        let mut p = json!({"port": 9090, "protocol": "TCP"});
        if rng.chance(50) {
            p["name"] = json!("metrics");
            ports[0]["name"] = json!("http");
        } else {
            ports[0]["name"] = json!("web");
            p["name"] = json!("grpc");
            p["appProtocol"] = json!("kubernetes.io/h2c");
        }
        ports.push(p);
        numbers.push(9090);
    }
    let mut spec = json!({"ports": ports, "selector": {"app": format!("svc-{i}")}});
    // Never headless: the oracle routes to a Service's cluster IP and cannot see endpoints.
    spec["clusterIP"] = json!(format!("10.96.0.{}", 10 + i));
    (
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": format!("svc-{i}"), "namespace": ns}, "spec": spec}),
        numbers,
    )
}

fn path_match(rng: &mut Rng) -> Value {
    match rng.range(0, 9) {
        0..=4 => json!({"type": "PathPrefix", "value": rng.pick(PREFIXES)}),
        5..=7 => json!({"type": "Exact", "value": rng.pick(EXACTS)}),
        _ => json!({"type": "RegularExpression", "value": rng.pick(REGEXES).0}),
    }
}

fn route_match(rng: &mut Rng) -> Value {
    let mut m = json!({});
    if rng.chance(85) {
        m["path"] = path_match(rng);
    }
    if rng.chance(30) {
        let name = rng.pick(HEADER_NAMES);
        m["headers"] = if rng.chance(70) {
            json!([{"name": name, "value": rng.pick(HEADER_VALUES)}])
        } else {
            json!([{"type": "RegularExpression", "name": name, "value": rng.pick(HEADER_REGEXES).0}])
        };
    }
    if rng.chance(20) {
        m["queryParams"] = json!([{"name": "q", "value": rng.pick(&["1", "yes", "a"])}]);
    }
    if rng.chance(20) {
        m["method"] = json!(rng.pick(METHODS));
    }
    m
}

/// Filters for a rule; a redirect and a rewrite never share one (the CRD forbids it).
fn filters(rng: &mut Rng, matches: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    if rng.chance(20) {
        out.push(json!({"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x-set", "value": "1"}], "remove": ["x-user"]}}));
    }
    if rng.chance(12) {
        out.push(json!({"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [{"name": "x-resp", "value": "r"}]}}));
    }
    let single_prefix = matches.len() == 1
        && matches[0].pointer("/path/type").and_then(Value::as_str) == Some("PathPrefix");
    match rng.range(0, 19) {
        0 | 1 => {
            let mut r = json!({"statusCode": *rng.pick(&[301, 302])});
            if rng.chance(50) {
                r["hostname"] = json!("redirect.example.com");
            }
            if rng.chance(40) {
                r["scheme"] = json!("https");
            }
            if rng.chance(30) {
                r["path"] = json!({"type": "ReplaceFullPath", "replaceFullPath": "/moved"});
            }
            out.push(json!({"type": "RequestRedirect", "requestRedirect": r}));
        }
        2 if single_prefix => {
            out.push(json!({"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": rng.pick(&["/", "/new"])}}}))
        }
        3 => out.push(json!({"type": "URLRewrite", "urlRewrite": {"hostname": "rewritten.internal", "path": {"type": "ReplaceFullPath", "replaceFullPath": "/full"}}})),
        _ => {}
    }
    out
}

/// A backendRef: mostly a Service and port that exist; sometimes a missing Service, a wrong port,
/// a Service in the other namespace.
fn backend_ref(rng: &mut Rng, services: &[(String, String, Vec<u16>)]) -> Value {
    let mut b = if services.is_empty() || rng.chance(8) {
        json!({"name": "missing", "port": 8080})
    } else {
        let (ns, name, ports) = rng.pick(services).clone();
        let port = if rng.chance(7) {
            7777
        } else {
            *rng.pick(&ports)
        };
        let mut b = json!({"name": name, "port": port});
        if ns != "default" {
            b["namespace"] = json!(ns);
        }
        b
    };
    if rng.chance(25) {
        b["weight"] = json!(*rng.pick(&[0u32, 1, 3, 50, 100, 1_000_000]));
    }
    b
}

fn parent_ref(rng: &mut Rng, listeners: &[ListenerShape]) -> Value {
    let mut p = json!({"name": "gw"});
    if rng.chance(50) {
        p["namespace"] = json!("default");
    }
    match rng.range(0, 9) {
        0..=5 => {}
        6 | 7 => p["sectionName"] = json!(rng.pick(listeners).name),
        8 => p["port"] = json!(rng.pick(listeners).port),
        _ => p["sectionName"] = json!("nope"),
    }
    p
}

fn http_route(
    rng: &mut Rng,
    i: usize,
    ns: &str,
    listeners: &[ListenerShape],
    services: &[(String, String, Vec<u16>)],
) -> Value {
    let mut parents = vec![parent_ref(rng, listeners)];
    if rng.chance(10) {
        // Two references to one Gateway must each name a listener or port (the CRD says so).
        let other = parent_ref(rng, listeners);
        let aimed = |p: &Value| p.get("sectionName").is_some() || p.get("port").is_some();
        if other != parents[0] && aimed(&other) && aimed(&parents[0]) {
            parents.push(other);
        }
    }
    let mut spec = json!({"parentRefs": parents});
    let nh = *rng.pick(&[0usize, 0, 1, 1, 2]);
    let mut hosts: Vec<&str> = Vec::new();
    for _ in 0..nh {
        let h = *rng.pick(ROUTE_HOSTS);
        if !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    if !hosts.is_empty() {
        spec["hostnames"] = json!(hosts);
    }
    let mut rules = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let matches: Vec<Value> = (0..*rng.pick(&[0usize, 1, 1, 1, 2]))
            .map(|_| route_match(rng))
            .collect();
        let mut rule = json!({});
        let fs = filters(rng, &matches);
        if !matches.is_empty() {
            rule["matches"] = json!(matches);
        }
        let redirect = fs.iter().any(|f| f["type"] == "RequestRedirect");
        if !fs.is_empty() {
            rule["filters"] = json!(fs);
        }
        // The CRD refuses a redirect beside backendRefs.
        if !redirect {
            let n = *rng.pick(&[1usize, 1, 1, 2, 3]);
            rule["backendRefs"] = json!((0..n)
                .map(|_| backend_ref(rng, services))
                .collect::<Vec<_>>());
        }
        rules.push(rule);
    }
    spec["rules"] = json!(rules);
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": format!("route-{i}"), "namespace": ns}, "spec": spec})
}

const GRPC_SERVICES: &[&str] = &["pkg.Echo", "pkg.v1.Store"];
const GRPC_METHODS: &[&str] = &["Get", "List"];

/// A GRPCRoute: method matches (service and method, either alone, Exact or RegularExpression),
/// header matches, header modifier filters.
fn grpc_route(
    rng: &mut Rng,
    i: usize,
    ns: &str,
    listeners: &[ListenerShape],
    services: &[(String, String, Vec<u16>)],
) -> Value {
    let mut spec = json!({"parentRefs": [parent_ref(rng, listeners)]});
    if rng.chance(50) {
        spec["hostnames"] = json!([rng.pick(ROUTE_HOSTS)]);
    }
    let mut rules = Vec::new();
    for _ in 0..rng.range(1, 2) {
        let mut rule = json!({});
        if rng.chance(80) {
            let mut method = json!({});
            match rng.range(0, 3) {
                0 => method["service"] = json!(rng.pick(GRPC_SERVICES)),
                1 => method["method"] = json!(rng.pick(GRPC_METHODS)),
                _ => {
                    method["service"] = json!(rng.pick(GRPC_SERVICES));
                    method["method"] = json!(rng.pick(GRPC_METHODS));
                }
            }
            if rng.chance(20) {
                method["type"] = json!("RegularExpression");
                method["service"] = json!("pkg\\..*");
            }
            let mut m = json!({"method": method});
            if rng.chance(20) {
                m["headers"] = json!([{"name": "x-env", "value": rng.pick(HEADER_VALUES)}]);
            }
            rule["matches"] = json!([m]);
        }
        if rng.chance(15) {
            rule["filters"] = json!([{"type": "RequestHeaderModifier", "requestHeaderModifier": {"add": [{"name": "x-grpc", "value": "1"}]}}]);
        }
        rule["backendRefs"] = json!((0..rng.range(1, 2))
            .map(|_| backend_ref(rng, services))
            .collect::<Vec<_>>());
        rules.push(rule);
    }
    spec["rules"] = json!(rules);
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute", "metadata": {"name": format!("grpc-{i}"), "namespace": ns}, "spec": spec})
}

/// A TCPRoute or UDPRoute for an L4 listener (now and then the other kind, which the listener
/// does not accept), aimed at the listener or at the whole Gateway.
fn l4_route(
    rng: &mut Rng,
    i: usize,
    listener: &ListenerShape,
    services: &[(String, String, Vec<u16>)],
) -> Value {
    let own = if listener.protocol == "TCP" {
        "TCPRoute"
    } else {
        "UDPRoute"
    };
    let other = if own == "TCPRoute" {
        "UDPRoute"
    } else {
        "TCPRoute"
    };
    let kind = if rng.chance(10) { other } else { own };
    let mut parent = json!({"name": "gw"});
    if rng.chance(70) {
        parent["sectionName"] = json!(listener.name);
    }
    let backends: Vec<Value> = (0..rng.range(1, 2))
        .map(|_| backend_ref(rng, services))
        .collect();
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind, "metadata": {"name": format!("l4-{i}"), "namespace": "default"},
           "spec": {"parentRefs": [parent], "rules": [{"backendRefs": backends}]}})
}

fn reference_grant() -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant", "metadata": {"name": "allow-default", "namespace": "other"},
           "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "default"}], "to": [{"group": "", "kind": "Service"}]}})
}

/// The configuration for `seed`: a list of manifests, in the order a user would write them.
pub fn generate(seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    let mut docs = vec![gateway_class(), namespace("default"), namespace("other")];
    let (gw, listeners) = gateway(&mut rng);
    docs.push(gw);
    let mut services = Vec::new();
    for i in 0..rng.range(1, 3) {
        let ns = if rng.chance(20) { "other" } else { "default" };
        let (svc, ports) = service(&mut rng, i, ns);
        docs.push(svc);
        services.push((ns.to_string(), format!("svc-{i}"), ports));
    }
    if services.iter().any(|s| s.0 == "other") && rng.chance(50) {
        docs.push(reference_grant());
    }
    for i in 0..rng.range(1, 4) {
        let ns = if rng.chance(15) { "other" } else { "default" };
        if rng.chance(15) {
            docs.push(grpc_route(&mut rng, i, ns, &listeners, &services));
        } else {
            docs.push(http_route(&mut rng, i, ns, &listeners, &services));
        }
    }
    for (i, l) in listeners
        .iter()
        .enumerate()
        .filter(|(_, l)| l.protocol != "HTTP")
    {
        if rng.chance(75) {
            docs.push(l4_route(&mut rng, i, l, &services));
        }
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_reproducible_and_varied() {
        assert_eq!(generate(42), generate(42));
        let kinds: std::collections::BTreeSet<String> = (0..50)
            .flat_map(generate)
            .filter_map(|d| d["kind"].as_str().map(String::from))
            .collect();
        for k in [
            "GatewayClass",
            "Gateway",
            "Service",
            "HTTPRoute",
            "ReferenceGrant",
        ] {
            assert!(kinds.contains(k), "{k} never generated");
        }
        assert_ne!(generate(1), generate(2));
    }
}
