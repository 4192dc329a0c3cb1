//! N HTTPRoutes on one listener, every one sending to a Service that does not exist: each route
//! gets a diagnostic, so `gwlab check` on it exercises loading, resolution, the overlap check and
//! diagnostic rendering at N. Shared by the `check_scaling` benchmark and the work-count test.

/// The manifests for `routes` routes (about 290 bytes per route).
pub fn manifests(routes: usize) -> String {
    let mut s = String::with_capacity(routes * 300 + 1024);
    s.push_str("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n");
    s.push_str("---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, port: 80, protocol: HTTP}\n");
    for r in 0..routes {
        s.push_str(&format!(
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r{r}, namespace: default}}\nspec:\n  parentRefs: [{{name: gw}}]\n  hostnames: [app.example.com]\n  rules:\n  - matches: [{{path: {{type: PathPrefix, value: /r{r}}}}}]\n    backendRefs: [{{name: missing, port: 80}}]\n"
        ));
    }
    s
}
