//! The generated large configuration shared by the criterion benchmark and the CPU-time probe
//! (`tests/large_config_cpu.rs`): 1 Gateway with 20 listeners, 2,000 HTTPRoutes of 5 rules
//! each, 500 Services, and 1,024 requests that each match a rule.

use gwlab::Request;

pub const LISTENERS: usize = 20;
pub const ROUTES: usize = 2_000;
pub const RULES: usize = 5;
pub const SERVICES: usize = 500;

/// The generated manifests, one YAML stream.
pub fn manifests() -> String {
    let mut s = String::with_capacity(4 << 20);
    s.push_str("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n");
    s.push_str("---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: eg\n  listeners:\n");
    for l in 0..LISTENERS {
        s.push_str(&format!("  - name: l{l}\n    port: 80\n    protocol: HTTP\n    hostname: \"h{l}.example.com\"\n    allowedRoutes: {{namespaces: {{from: All}}}}\n"));
    }
    for i in 0..SERVICES {
        s.push_str(&format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc-{i}, namespace: default}}\nspec:\n  selector: {{app: svc-{i}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"));
    }
    for r in 0..ROUTES {
        let l = r % LISTENERS;
        s.push_str(&format!(
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r{r}, namespace: default}}\nspec:\n  parentRefs: [{{name: gw, sectionName: l{l}}}]\n  hostnames: [\"h{l}.example.com\"]\n  rules:\n"
        ));
        for k in 0..RULES {
            let svc = (r * RULES + k) % SERVICES;
            s.push_str(&format!(
                "  - matches:\n    - path: {{type: PathPrefix, value: /r{r}/k{k}}}\n      headers: [{{name: x-rule, value: \"{k}\"}}]\n    backendRefs:\n    - {{name: svc-{svc}, port: 80, weight: 90}}\n    - {{name: svc-{}, port: 80, weight: 10}}\n",
                (svc + 1) % SERVICES
            ));
        }
    }
    s
}

pub fn requests() -> Vec<Request> {
    (0..1024)
        .map(|i| {
            let r = (i * 7919) % ROUTES;
            let k = i % RULES;
            let mut req = Request::http(
                "GET",
                Some(&format!("h{}.example.com", r % LISTENERS)),
                80,
                &format!("/r{r}/k{k}/item"),
            );
            req.headers.push(("x-rule".into(), k.to_string()));
            req
        })
        .collect()
}
