//! Inputs shared by the export tests (included with `#[path]`).
#![allow(dead_code)]

use gwlab::export::{
    BackendService, Expected, ExportInput, GatewayInfo, ListenerInfo, Prediction, TargetPort,
};

fn s(x: &str) -> String {
    x.to_string()
}
fn nn(ns: &str, n: &str) -> (String, String) {
    (s(ns), s(n))
}

pub fn listener(name: &str, port: u16, protocol: &str, hostname: Option<&str>) -> ListenerInfo {
    ListenerInfo {
        name: s(name),
        port,
        protocol: s(protocol),
        hostname: hostname.map(s),
    }
}

pub fn get(name: &str, scheme: &str, host: &str, port: u16, path: &str) -> Prediction {
    let default = if scheme == "https" { 443 } else { 80 };
    let port_part = if port == default {
        String::new()
    } else {
        format!(":{port}")
    };
    Prediction {
        name: s(name),
        request_line: format!("GET {scheme}://{host}{port_part}{path}"),
        method: s("GET"),
        scheme: s(scheme),
        host: s(host),
        port,
        path: s(path),
        ..Default::default()
    }
}

pub fn backend(
    ns: &str,
    name: &str,
    ports: Vec<(u16, TargetPort)>,
    selector: &[(&str, &str)],
) -> BackendService {
    BackendService {
        namespace: s(ns),
        name: s(name),
        ports,
        selector: selector.iter().map(|(k, v)| (s(k), s(v))).collect(),
        has_workload: false,
    }
}

const PLAIN_YAML: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      port: 80
      protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs: [{name: gw}]
  hostnames: [app.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /old}}]
      filters:
        - type: RequestRedirect
          requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}, statusCode: 302}
    - filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: {add: [{name: x-added, value: v}], remove: [x-removed]}
        - type: ResponseHeaderModifier
          responseHeaderModifier: {add: [{name: x-resp, value: r}]}
      backendRefs: [{name: web, port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"#;

const PLAIN_EXPECT: &str = r#"manifests: [manifests/app.yaml]
requests:
  - name: the catch-all goes to web
    request: "GET http://app.example.com/ -H 'x-removed: 1'"
    expect:
      backend: default/web:80
      path: /
      host: app.example.com
      request_headers: {x-added: v}
      absent_request_headers: [x-removed]
      response_headers: {x-resp: r}
  - name: old paths redirect
    request: GET http://app.example.com/old/page
    expect: {status: 302, redirect: http://app.example.com/new}
  - name: unknown host
    request: GET http://other.example.com/
    expect: {status: 404}
"#;

/// One Gateway, one HTTPRoute with a redirect and header filters, one Service without a workload.
pub fn plain_http() -> ExportInput {
    let mut catch_all = get(
        "the catch-all goes to web",
        "http",
        "app.example.com",
        80,
        "/",
    );
    catch_all.request_line = s("GET http://app.example.com/ -H 'x-removed: 1'");
    catch_all.headers = vec![nn("x-removed", "1")];
    catch_all.expect = Expected {
        backend: Some(nn("default", "web")),
        backend_path: Some(s("/")),
        backend_host: Some(s("app.example.com")),
        request_headers: vec![nn("x-added", "v")],
        absent_request_headers: vec![s("x-removed")],
        response_headers: vec![nn("x-resp", "r")],
        ..Default::default()
    };
    let mut redirect = get(
        "old paths redirect",
        "http",
        "app.example.com",
        80,
        "/old/page",
    );
    redirect.expect = Expected {
        status: 302,
        location: Some(s("http://app.example.com/new")),
        ..Default::default()
    };
    let mut unknown = get("unknown host", "http", "other.example.com", 80, "/");
    unknown.expect = Expected {
        status: 404,
        ..Default::default()
    };
    ExportInput {
        manifests: vec![(s("app.yaml"), s(PLAIN_YAML))],
        namespaces: vec![s("default")],
        backends: vec![backend(
            "default",
            "web",
            vec![(80, TargetPort::Number(8080))],
            &[("app", "web")],
        )],
        gateways: vec![GatewayInfo {
            namespace: s("default"),
            name: s("gw"),
            class_name: s("eg"),
            listeners: vec![listener("http", 80, "HTTP", None)],
            envoy_proxy: None,
            merged: false,
        }],
        missing_gateway_classes: vec![],
        missing_tls_secrets: vec![],
        uses_cert_manager: false,
        predictions: vec![catch_all, redirect, unknown],
        expectations_yaml: s(PLAIN_EXPECT),
        requests_left_out: 0,
    }
}

const TLS_YAML: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: infra
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      port: 80
      protocol: HTTP
      hostname: app.example.com
      allowedRoutes: {namespaces: {from: All}}
    - name: https
      port: 443
      protocol: HTTPS
      hostname: app.example.com
      tls:
        mode: Terminate
        certificateRefs: [{name: app-tls}]
      allowedRoutes: {namespaces: {from: All}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: redirect
  namespace: apps
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: http}]
  rules:
    - filters:
        - type: RequestRedirect
          requestRedirect: {scheme: https, statusCode: 301}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: apps
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: https}]
  rules:
    - backendRefs: [{name: web, port: 443}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: apps
spec:
  selector: {app: web}
  ports: [{name: https, port: 443, targetPort: http}]
"#;

const TLS_EXPECT: &str = r#"manifests: [manifests/tls.yaml]
requests:
  - request: GET https://app.example.com/
    expect: {backend: apps/web:443, path: /}
  - request: GET http://app.example.com/x?y=1
    expect: {status: 301, redirect: "https://app.example.com/x?y=1"}
  - request: tls://other.example.com
    expect: {connection: rejected}
"#;

/// HTTP→HTTPS redirect and an HTTPS listener whose certificate Secret does not exist (cert-manager makes it);
/// the Gateway (no GatewayClass defined) and the Service (named targetPort) in different namespaces.
pub fn tls_missing_secret() -> ExportInput {
    let mut https = get("", "https", "app.example.com", 443, "/");
    https.expect = Expected {
        backend: Some(nn("apps", "web")),
        backend_path: Some(s("/")),
        ..Default::default()
    };
    let mut redirect = get("", "http", "app.example.com", 80, "/x?y=1");
    redirect.expect = Expected {
        status: 301,
        location: Some(s("https://app.example.com/x?y=1")),
        ..Default::default()
    };
    let passthrough = Prediction {
        request_line: s("tls://other.example.com"),
        scheme: s("tls"),
        host: s("other.example.com"),
        port: 443,
        ..Default::default()
    };
    ExportInput {
        manifests: vec![(s("tls.yaml"), s(TLS_YAML))],
        namespaces: vec![s("infra"), s("apps")],
        backends: vec![backend(
            "apps",
            "web",
            vec![(443, TargetPort::Name(s("http")))],
            &[("app", "web")],
        )],
        gateways: vec![GatewayInfo {
            namespace: s("infra"),
            name: s("gw"),
            class_name: s("eg"),
            listeners: vec![
                listener("http", 80, "HTTP", Some("app.example.com")),
                listener("https", 443, "HTTPS", Some("app.example.com")),
            ],
            envoy_proxy: None,
            merged: false,
        }],
        missing_gateway_classes: vec![s("eg")],
        missing_tls_secrets: vec![(s("infra"), s("app-tls"), vec![s("app.example.com")])],
        uses_cert_manager: true,
        predictions: vec![https, redirect, passthrough],
        expectations_yaml: s(TLS_EXPECT),
        requests_left_out: 0,
    }
}

const CANARY_YAML: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: canary
spec:
  parentRefs: [{name: gw}]
  hostnames: [shop.example.com]
  rules:
    - matches: [{headers: [{name: x-canary, value: "always"}]}]
      backendRefs: [{name: web-v2, port: 80}]
    - backendRefs:
        - {name: web-v1, port: 80, weight: 90}
        - {name: web-v2, port: 80, weight: 10}
---
apiVersion: v1
kind: Service
metadata:
  name: web-v1
spec:
  selector: {app: web, version: v1}
  ports: [{port: 80, targetPort: 3000}]
---
apiVersion: v1
kind: Service
metadata:
  name: web-v2
spec:
  selector: {app: web, version: v2}
  ports: [{port: 80, targetPort: 3000}]
"#;

const GATEWAYS_YAML: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  gatewayClassName: eg
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw-b
  namespace: team-b
spec:
  gatewayClassName: eg
  listeners: [{name: http, port: 80, protocol: HTTP}, {name: alt, port: 8080, protocol: HTTP}]
"#;

const CANARY_EXPECT: &str = r#"manifests: [manifests/gateways.yaml, manifests/canary.yaml]
requests:
  - name: 90/10 split
    request: GET http://shop.example.com/
    expect:
      backends: {default/web-v1:80: 90, default/web-v2:80: 10}
  - name: forced canary
    request: "GET http://shop.example.com/ -H 'x-canary: always'"
    expect: {backend: default/web-v2:80}
  - name: second gateway
    request: GET http://shop.example.com:8080/
    expect: {status: 404}
"#;

/// A 90/10 split, a header match, and two Gateways that both listen on port 80.
pub fn canary() -> ExportInput {
    let mut split = get("90/10 split", "http", "shop.example.com", 80, "/");
    split.expect = Expected {
        distribution: Some(vec![
            (nn("default", "web-v1"), 90.0),
            (nn("default", "web-v2"), 10.0),
        ]),
        ..Default::default()
    };
    let mut forced = get("forced canary", "http", "shop.example.com", 80, "/");
    forced.request_line = s("GET http://shop.example.com/ -H 'x-canary: always'");
    forced.headers = vec![nn("x-canary", "always")];
    forced.expect = Expected {
        backend: Some(nn("default", "web-v2")),
        ..Default::default()
    };
    let mut second = get("second gateway", "http", "shop.example.com", 8080, "/");
    second.gateway = Some(nn("team-b", "gw-b"));
    second.expect = Expected {
        status: 404,
        ..Default::default()
    };
    let mut on_b = get(
        "port 80 of the second gateway",
        "http",
        "shop.example.com",
        80,
        "/b",
    );
    on_b.gateway = Some(nn("team-b", "gw-b"));
    on_b.expect = Expected {
        status: 404,
        ..Default::default()
    };
    ExportInput {
        manifests: vec![
            (s("gateways.yaml"), s(GATEWAYS_YAML)),
            (s("canary.yaml"), s(CANARY_YAML)),
        ],
        namespaces: vec![s("default"), s("team-b")],
        backends: vec![
            backend(
                "default",
                "web-v1",
                vec![(80, TargetPort::Number(3000))],
                &[("app", "web"), ("version", "v1")],
            ),
            backend(
                "default",
                "web-v2",
                vec![(80, TargetPort::Number(3000))],
                &[("app", "web"), ("version", "v2")],
            ),
        ],
        gateways: vec![
            GatewayInfo {
                namespace: s("default"),
                name: s("gw"),
                class_name: s("eg"),
                listeners: vec![listener("http", 80, "HTTP", None)],
                envoy_proxy: None,
                merged: false,
            },
            GatewayInfo {
                namespace: s("team-b"),
                name: s("gw-b"),
                class_name: s("eg"),
                listeners: vec![
                    listener("http", 80, "HTTP", None),
                    listener("alt", 8080, "HTTP", None),
                ],
                envoy_proxy: None,
                merged: false,
            },
        ],
        missing_gateway_classes: vec![],
        missing_tls_secrets: vec![],
        uses_cert_manager: false,
        predictions: vec![split, forced, second, on_b],
        expectations_yaml: s(CANARY_EXPECT),
        requests_left_out: 0,
    }
}

/// Gateways merged on one Envoy Service through the class's EnvoyProxy of the user's.
pub fn merged() -> ExportInput {
    let mut input = plain_http();
    input.gateways = vec![
        GatewayInfo {
            namespace: s("default"),
            name: s("gw-a"),
            class_name: s("merged"),
            listeners: vec![listener("http", 80, "HTTP", Some("a.example.com"))],
            envoy_proxy: Some(nn("envoy-gateway-system", "merge")),
            merged: true,
        },
        GatewayInfo {
            namespace: s("default"),
            name: s("gw-b"),
            class_name: s("merged"),
            listeners: vec![
                listener("http", 80, "HTTP", Some("b.example.com")),
                listener("h2", 8443, "HTTPS", None),
            ],
            envoy_proxy: Some(nn("envoy-gateway-system", "merge")),
            merged: true,
        },
    ];
    input
}

/// Hostile text everywhere a manifest or request can put it. No command in it may ever run.
pub const PWNED: &str = "pwned";

pub fn hostile() -> ExportInput {
    let evil = "$(touch pwned)`touch pwned`'\"\n;touch pwned #";
    let mut input = plain_http();
    input.manifests.push((
        s("x$(touch pwned)'`touch pwned`.yaml"),
        s("# $(touch pwned)\n"),
    ));
    input.namespaces.push(s("ns$(touch pwned)"));
    input.backends.push(backend(
        "ns$(touch pwned)",
        "svc'`touch pwned`",
        vec![(80, TargetPort::Name(s("p$(touch pwned)")))],
        &[("app", evil)],
    ));
    input.gateways.push(GatewayInfo {
        namespace: s("ns$(touch pwned)"),
        name: s("gw';touch pwned;'"),
        class_name: s("c$(touch pwned)"),
        listeners: vec![listener("l", 8081, "HTTP", None)],
        envoy_proxy: None,
        merged: false,
    });
    input.missing_gateway_classes.push(s("c$(touch pwned)"));
    input
        .missing_tls_secrets
        .push((s("ns$(touch pwned)"), s("t`touch pwned`"), vec![s(evil)]));
    input.uses_cert_manager = true;
    let mut p = get(
        evil,
        "http",
        "app.example.com",
        80,
        "/$(touch pwned)`touch pwned`'\"",
    );
    p.request_line = s(evil);
    p.method = s("POST$(touch pwned)");
    p.headers = vec![
        (s("x-$(touch pwned)"), s(evil)),
        (s("x-`touch pwned`"), s("")),
        (s("x-quote'\""), s("a'b\"c\\d")),
        (s("x-newline"), s("line1\nline2 $(touch pwned)")),
    ];
    p.expect = Expected {
        backend: Some(nn("ns$(touch pwned)", "svc'`touch pwned`")),
        backend_path: Some(s(evil)),
        backend_host: Some(s(evil)),
        request_headers: vec![(s(evil), s(evil))],
        absent_request_headers: vec![s(evil)],
        location: Some(s(evil)),
        response_headers: vec![(s(evil), s(evil))],
        absent_response_headers: vec![s(evil)],
        ..Default::default()
    };
    let mut tls = get("tls $(touch pwned)", "https", "app.example.com", 443, "/");
    tls.sni = Some(s(evil));
    tls.expect.distribution = Some(vec![(nn("ns$(touch pwned)", "svc'`touch pwned`"), 100.0)]);
    input.predictions.push(p);
    input.predictions.push(tls);
    input.expectations_yaml = s("# $(touch pwned)\n");
    input
}
