//! Table-driven router tests. `mini_resolve` is a deliberately naive stand-in for the resolver
//! (everything programmed, hostnames intersected, Services found or BackendNotFound), so the
//! router's own semantics are tested in isolation.

use super::*;
use crate::model::{self, Body, LoadOptions};
use crate::resolve::*;
use crate::source::SourceFile;

fn intersect(l: Option<&str>, r: &str) -> Option<String> {
    let Some(l) = l else {
        return Some(r.to_string());
    };
    let covers = |w: &str, h: &str| {
        w.strip_prefix('*')
            .is_some_and(|s| h.ends_with(s) && h.len() > s.len())
    };
    if l == r || covers(l, r) {
        Some(r.into())
    } else if covers(r, l) {
        Some(l.into())
    } else {
        None
    }
}

pub(crate) fn mini_resolve(m: &Model) -> Resolved {
    let mut res = Resolved::default();
    for (i, o) in m.objects.iter().enumerate() {
        let Body::Gateway(g) = &o.body else { continue };
        let listeners = g
            .listeners
            .iter()
            .map(|l| ListenerState {
                name: l.name.clone(),
                source: i,
                port: l.port,
                protocol: match l.protocol.as_str() {
                    "HTTP" => Protocol::Http,
                    "HTTPS" => Protocol::Https,
                    "TLS" => Protocol::Tls,
                    "TCP" => Protocol::Tcp,
                    "UDP" => Protocol::Udp,
                    _ => Protocol::Unsupported,
                },
                hostname: l.hostname().map(|h| h.to_string()),
                tls_mode: l.tls_mode().map(|m| {
                    if m == "Passthrough" {
                        TlsMode::Passthrough
                    } else {
                        TlsMode::Terminate
                    }
                }),
                programmed: !o
                    .meta
                    .annotations
                    .contains_key(&format!("test/unprogrammed-{}", l.name)),
                supported_kinds: vec![],
                certificates: vec![],
                client_validation: o.meta.annotations.contains_key("test/client-validation"),
            })
            .collect();
        res.gateways.push(GatewayState {
            object: i,
            namespace: o.namespace.clone(),
            name: o.name().into(),
            accepted: true,
            listeners,
        });
    }
    let svc = |ns: &str, r: &crate::model::BackendRef| -> BackendTarget {
        let ns = r.namespace.as_deref().unwrap_or(ns);
        match m
            .objects
            .iter()
            .find(|o| o.kind == "Service" && o.namespace == ns && o.name() == r.name)
        {
            Some(o) => BackendTarget::Service {
                namespace: ns.into(),
                name: r.name.as_str().into(),
                port: r.port.unwrap_or(0),
                target_port: None,
                app_protocol: None,
                has_endpoints: !o.meta.annotations.contains_key("test/no-endpoints"),
                tls: o.meta.annotations.get("test/tls-sni").map(|s| BackendTls {
                    policy: format!("{ns}/btls"),
                    sni: s.clone(),
                    ca: "System".into(),
                }),
            },
            None => BackendTarget::Invalid {
                reason: "BackendNotFound".into(),
                message: format!("Service {ns}/{} not found", r.name),
            },
        }
    };
    for (i, o) in m.objects.iter().enumerate() {
        let (kind, parents, hostnames, rules): (
            RouteKind,
            _,
            _,
            Vec<(
                Vec<crate::model::BackendRef>,
                Vec<crate::model::HttpRouteFilter>,
            )>,
        ) = match &o.body {
            Body::HttpRoute(s) => (
                RouteKind::Http,
                &s.parent_refs,
                &s.hostnames,
                match &s.rules {
                    Some(rs) => rs
                        .iter()
                        .map(|r| (r.backend_refs.clone(), r.filters.clone()))
                        .collect(),
                    None => vec![(vec![], vec![])],
                },
            ),
            Body::GrpcRoute(s) => (
                RouteKind::Grpc,
                &s.parent_refs,
                &s.hostnames,
                s.rules
                    .iter()
                    .map(|r| (r.backend_refs.clone(), r.filters.clone()))
                    .collect(),
            ),
            Body::TlsRoute(s) => (
                RouteKind::Tls,
                &s.parent_refs,
                &s.hostnames,
                s.rules
                    .iter()
                    .map(|r| (r.backend_refs.clone(), vec![]))
                    .collect(),
            ),
            Body::TcpRoute(s) => (
                RouteKind::Tcp,
                &s.parent_refs,
                &s.hostnames,
                s.rules
                    .iter()
                    .map(|r| (r.backend_refs.clone(), vec![]))
                    .collect(),
            ),
            Body::UdpRoute(s) => (
                RouteKind::Udp,
                &s.parent_refs,
                &s.hostnames,
                s.rules
                    .iter()
                    .map(|r| (r.backend_refs.clone(), vec![]))
                    .collect(),
            ),
            _ => continue,
        };
        let mut attachments = Vec::new();
        for (pi, p) in parents.iter().enumerate() {
            let ns = p.namespace_or(&o.namespace);
            let Some(gi) = res
                .gateways
                .iter()
                .position(|g| g.name == p.name && g.namespace == ns)
            else {
                continue;
            };
            for (li, l) in res.gateways[gi].listeners.iter().enumerate() {
                if p.section_name.as_ref().is_some_and(|s| *s != l.name)
                    || p.port.is_some_and(|x| x != l.port)
                {
                    continue;
                }
                let ok = match kind {
                    RouteKind::Http | RouteKind::Grpc => {
                        matches!(l.protocol, Protocol::Http | Protocol::Https)
                    }
                    RouteKind::Tls => l.protocol == Protocol::Tls,
                    RouteKind::Tcp => {
                        l.protocol == Protocol::Tcp
                            || (l.protocol == Protocol::Tls
                                && l.tls_mode == Some(TlsMode::Terminate))
                    }
                    RouteKind::Udp => l.protocol == Protocol::Udp,
                };
                if !ok {
                    continue;
                }
                let hs: Vec<String> = hostnames
                    .iter()
                    .filter_map(|h| intersect(l.hostname.as_deref(), h))
                    .collect();
                if !hostnames.is_empty() && hs.is_empty() {
                    continue;
                }
                attachments.push(Attachment {
                    gateway: gi,
                    listener: li,
                    parent_ref: pi,
                    hostnames: hs,
                });
            }
        }
        let rules = rules
            .into_iter()
            .enumerate()
            .map(|(k, (brs, fs))| RuleState {
                index: k,
                programmed: true,
                direct_status: None,
                backends: brs
                    .iter()
                    .enumerate()
                    .map(|(bi, b)| BackendState {
                        index: bi,
                        weight: b.weight(),
                        target: svc(&o.namespace, b).into(),
                    })
                    .collect(),
                mirrors: fs
                    .iter()
                    .enumerate()
                    .filter_map(|(fi, f)| {
                        f.request_mirror.as_ref().map(|mm| BackendState {
                            index: fi,
                            weight: 1,
                            target: svc(&o.namespace, &mm.backend_ref).into(),
                        })
                    })
                    .collect(),
            })
            .collect();
        res.routes.push(RouteState {
            object: i,
            kind,
            attachments,
            rules,
        });
    }
    res
}

fn build(yaml: &str) -> (Model, Router) {
    let m = model::load(
        vec![SourceFile::new("t.yaml", yaml)],
        &LoadOptions::default(),
    );
    assert!(
        m.diagnostics
            .iter()
            .all(|d| d.severity != crate::Severity::Error),
        "{:?}",
        m.diagnostics
    );
    let r = mini_resolve(&m);
    let router = Router::new(&m, &r);
    (m, router)
}

const GW: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, port: 80, protocol: HTTP}
";

fn svc(name: &str) -> String {
    format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {{ports: [{{port: 80}}]}}\n")
}

fn route(name: &str, body: &str) -> String {
    format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}}}\nspec:\n  parentRefs: [{{name: gw}}]\n{body}")
}

fn send(r: &Router, line: &str) -> Outcome {
    let req =
        crate::request::parse_request(line).unwrap_or_else(|e| panic!("{line}: {}", e.message));
    let slow = r.route(&req);
    let fast = r.route_fast(&req);
    assert_eq!(
        (&slow.route, slow.status, &slow.shares),
        (&fast.route, fast.status, &fast.shares),
        "fast and traced routing disagree for {line}"
    );
    let d = r.decide(&req);
    assert_eq!(
        d.route.map(str::to_string),
        slow.route.as_ref().map(|x| x.0.to_string()),
        "decide disagrees for {line}"
    );
    if slow.route.is_some() && slow.protocol_is_http() {
        assert_eq!(
            (d.status, d.match_index),
            (slow.status, slow.match_index),
            "decide disagrees for {line}"
        );
    }
    assert_eq!(d.rejected, slow.rejected(), "decide disagrees for {line}");
    slow
}

/// `route-name/rule` of the winner, or the status.
impl Outcome {
    fn protocol_is_http(&self) -> bool {
        self.match_index.is_some() || self.redirect.is_some() || self.status >= 200
    }
}

fn who(o: &Outcome) -> String {
    match &o.route {
        Some((r, k)) if o.status == 200 || o.status == 0 => {
            format!("{}/{k}", r.rsplit('/').next().unwrap())
        }
        Some((r, k)) => format!("{}/{k}:{}", r.rsplit('/').next().unwrap(), o.status),
        None => o.status.to_string(),
    }
}

#[test]
fn precedence_across_routes() {
    let mut y = GW.to_string();
    y += &svc("s");
    y += &route("prefix", "  rules:\n  - matches: [{path: {type: PathPrefix, value: /api}}]\n    backendRefs: [{name: s, port: 80}]\n  - matches: [{path: {type: PathPrefix, value: /api/v1}}]\n    backendRefs: [{name: s, port: 80}]\n");
    y += &route("exact", "  rules:\n  - matches: [{path: {type: Exact, value: /api/v1/users}}]\n    backendRefs: [{name: s, port: 80}]\n");
    y += &route("regex", "  rules:\n  - matches: [{path: {type: RegularExpression, value: '/api/v[0-9]+/.*'}}]\n    backendRefs: [{name: s, port: 80}]\n");
    y += &route(
        "hdr",
        "  rules:\n  - matches: [{path: {value: /api}, headers: [{name: x-env, value: canary}]}]\n    backendRefs: [{name: s, port: 80}]\n  - matches: [{path: {value: /api}, method: POST}]\n    backendRefs: [{name: s, port: 80}]\n  - matches: [{path: {value: /api}, headers: [{name: x-a, value: a}, {name: x-b, type: RegularExpression, value: 'b.*'}]}]\n    backendRefs: [{name: s, port: 80}]\n  - matches: [{path: {value: /api}, queryParams: [{name: q, value: '1'}]}]\n    backendRefs: [{name: s, port: 80}]\n",
    );
    y += &route(
        "slash",
        "  rules:\n  - matches: [{path: {value: /api/}}]\n    backendRefs: [{name: s, port: 80}]\n",
    );
    let (_, r) = build(&y);
    let cases = [
        ("GET http://h/api/v1/users", "exact/0"),
        ("GET http://h/api/v1/users/", "regex/0"), // Regex beats any prefix, whatever the length
        ("GET http://h/api/v2/x", "regex/0"),
        ("GET http://h/api/v1", "prefix/1"),
        ("GET http://h/api", "slash/0"), // `/api/` (5 chars) outranks `/api` (4): both match /api
        ("GET http://h/apix", "404"),
        ("GET http://h/api/x -H 'x-env: canary'", "slash/0"),
        ("GET http://h/apix -H 'x-env: canary'", "404"),
    ];
    for (line, want) in cases {
        assert_eq!(who(&send(&r, line)), want, "{line}");
    }
    // Without the `/api/` route: header count, exact header count, method-as-header, query.
    let y2 = y.replace("value: /api/}}]", "value: /zzz/}}]");
    let (_, r) = build(&y2);
    let cases = [
        (
            "GET http://h/api -H 'x-a: a' -H 'x-b: bb' -H 'x-env: canary'",
            "hdr/2",
        ), // 2 headers beat 1
        ("POST http://h/api -H 'x-env: canary'", "hdr/0"), // tie 1 exact header each: route order, then rule order
        ("POST http://h/api", "hdr/1"),
        ("GET http://h/api?q=1", "hdr/3"),
        ("GET http://h/api?q=2", "prefix/0"),
        ("GET http://h/api?Q=1", "prefix/0"),
    ];
    for (line, want) in cases {
        assert_eq!(who(&send(&r, line)), want, "{line}");
    }
    let o = send(&r, "POST http://h/api -H 'x-env: canary'");
    assert!(
        o.trace
            .iter()
            .any(|s| s.message.contains("spec ranks method")),
        "{:#?}",
        o.trace
    );
}

#[test]
fn vhosts_and_isolation() {
    let y = format!(
        "{}{}{}{}{}",
        GW.replace("  - {name: http, port: 80, protocol: HTTP}\n", "  - {name: http, port: 80, protocol: HTTP}\n  - {name: wild, port: 80, protocol: HTTP, hostname: '*.example.com'}\n"),
        svc("s"),
        route("any", "  rules:\n  - backendRefs: [{name: s, port: 80}]\n").replace("[{name: gw}]", "[{name: gw, sectionName: http}]"),
        route("exact-host", "  hostnames: [a.example.com]\n  rules:\n  - matches: [{path: {value: /only}}]\n    backendRefs: [{name: s, port: 80}]\n").replace("[{name: gw}]", "[{name: gw, sectionName: http}]"),
        route("wild", "  rules:\n  - backendRefs: [{name: s, port: 80}]\n").replace("[{name: gw}]", "[{name: gw, sectionName: wild}]"),
    );
    let (_, r) = build(&y);
    let cases = [
        ("GET http://b.example.com/", "wild/0"),
        ("GET http://x.y.example.com/", "wild/0"),
        ("GET http://example.com/", "any/0"),
        ("GET http://a.example.com/only", "exact-host/0"),
        ("GET http://a.example.com/other", "404"), // exact vhost chosen; no fallthrough to *.example.com or *
        (
            "GET http://a.example.com/only -H 'Host: a.example.com:8080'",
            "exact-host/0",
        ),
        ("GET http:///", "any/0"), // no Host: the Gateway address reaches only hostname-less routes
        ("GET http://b.example.com:80/x", "wild/0"),
        ("GET http://h:81/", "0"), // nothing listens on 81
    ];
    for (line, want) in cases {
        assert_eq!(who(&send(&r, line)), want, "{line}");
    }
    let o = send(&r, "GET http://a.example.com/other");
    assert!(
        o.trace
            .iter()
            .any(|s| s.stage == "vhost" && s.message.contains("never falls through")),
        "{:#?}",
        o.trace
    );
    assert_eq!(o.vhost.as_deref(), Some("a.example.com"));
    assert!(send(&r, "GET http://h:81/").rejected());
}

#[test]
fn redirects_rewrites_and_headers() {
    let y = format!(
        "{}{}{}{}",
        GW.replace("  - {name: http, port: 80, protocol: HTTP}\n", "  - {name: http, port: 80, protocol: HTTP}\n  - {name: alt, port: 8080, protocol: HTTP}\n"),
        svc("s"),
        svc("t"),
        route(
            "f",
            "  rules:
  - matches: [{path: {value: /r1}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
  - matches: [{path: {value: /r2}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: new.example.com, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}]
  - matches: [{path: {value: /rw}}]
    filters: [{type: URLRewrite, urlRewrite: {hostname: up.example.com, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]
    backendRefs: [{name: s, port: 80}]
  - matches: [{path: {value: /full}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
    backendRefs: [{name: s, port: 80}]
  - matches: [{path: {value: /hdr}}]
    filters:
    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-set, value: s}], add: [{name: x-add, value: b}], remove: [x-gone]}}
    - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: x-resp, value: r}]}}
    backendRefs:
    - {name: s, port: 80, weight: 1, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-backend, value: s}]}}]}
    - {name: t, port: 80, weight: 1, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-backend, value: t}]}}]}
  - matches: [{path: {value: /bad}}]
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Host, value: x}]}}]
    backendRefs: [{name: s, port: 80}]
"
        ),
    );
    let (_, r) = build(&y);
    let o = send(&r, "GET http://h.example.com/r1/x?a=1");
    assert_eq!(
        (o.status, o.redirect.as_ref().unwrap().location.as_str()),
        (301, "https://h.example.com/r1/x?a=1")
    );
    let o = send(&r, "GET http://h.example.com:8080/r1");
    assert_eq!(o.redirect.unwrap().location, "https://h.example.com/r1");
    let o = send(&r, "GET http://h.example.com:8080/r2/a/b");
    assert_eq!(
        (o.status, o.redirect.unwrap().location.as_str()),
        (302, "http://new.example.com:8080/v2/a/b")
    );
    let o = send(&r, "GET http://h.example.com/rw/a?q=1");
    let ShareOutcome::Backend {
        path,
        host,
        headers,
        ..
    } = &o.shares[0].outcome
    else {
        panic!()
    };
    assert_eq!((&**path, &**host), ("/new/a?q=1", "up.example.com"));
    assert!(headers.contains(&("x-forwarded-host".into(), "h.example.com".into())));
    let o = send(&r, "GET http://h/full/deep?z");
    let ShareOutcome::Backend { path, host, .. } = &o.shares[0].outcome else {
        panic!()
    };
    assert_eq!((&**path, &**host), ("/one?z", "h"));
    let o = send(
        &r,
        "GET http://h/hdr -H 'x-add: a' -H 'X-Gone: 1' -H 'x-set: old'",
    );
    assert_eq!(o.shares.len(), 2);
    for (s, want) in o.shares.iter().zip(["s", "t"]) {
        let ShareOutcome::Backend {
            headers,
            name,
            response_header_ops,
            ..
        } = &s.outcome
        else {
            panic!()
        };
        assert_eq!(&**name, want);
        let get = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            (get("x-add"), get("x-set"), get("x-gone"), get("x-backend")),
            (Some("a,b"), Some("s"), None, Some(want))
        );
        assert_eq!(response_header_ops.len(), 1);
        assert!((s.fraction - 0.5).abs() < 1e-9);
    }
    assert_eq!(
        apply_header_ops(&o.response_header_ops, &[("X-Resp".into(), "x".into())]),
        vec![("x-resp".to_string(), "x,r".to_string())]
    );
    assert_eq!(send(&r, "GET http://h/bad").status, 500);
}

#[test]
fn weights_and_invalid_shares() {
    let y = format!(
        "{}{}{}",
        GW,
        svc("s"),
        route(
            "w",
            "  rules:
  - matches: [{path: {value: /split}}]
    backendRefs: [{name: s, port: 80, weight: 80}, {name: missing, port: 80, weight: 20}]
  - matches: [{path: {value: /none}}]
    backendRefs: []
  - matches: [{path: {value: /allbad}}]
    backendRefs: [{name: missing, port: 80}]
  - matches: [{path: {value: /zero}}]
    backendRefs: [{name: s, port: 80, weight: 0}]
  - matches: [{path: {value: /big}}]
    backendRefs: [{name: s, port: 80, weight: 1000000}, {name: s, port: 81, weight: 1000000}]
"
        ),
    );
    let (_, r) = build(&y);
    let o = send(&r, "GET http://h/split");
    assert_eq!(o.status, 200);
    assert_eq!(o.shares.len(), 2);
    assert!((o.shares[0].fraction - 0.8).abs() < 1e-9);
    assert_eq!(o.shares[1].outcome, ShareOutcome::Status { code: 500 });
    assert!((o.shares[1].fraction - 0.2).abs() < 1e-9);
    assert_eq!(send(&r, "GET http://h/none").status, 500);
    assert_eq!(send(&r, "GET http://h/allbad").status, 500);
    assert_eq!(send(&r, "GET http://h/zero").status, 500);
    let o = send(&r, "GET http://h/big");
    assert_eq!(o.shares.len(), 2);
    let y = y.replace(
        "metadata: {name: s}",
        "metadata: {name: s, annotations: {test/no-endpoints: 'y'}}",
    );
    let (_, r) = build(&y);
    assert_eq!(send(&r, "GET http://h/zero").status, 500);
    assert_eq!(send(&r, "GET http://h/big").status, 503);
    assert_eq!(
        send(&r, "GET http://h/split").status,
        500,
        "an invalid ref and no valid weight: 500 before 503"
    );
}

#[test]
fn grpc_routes() {
    let y = format!(
        "{GW}{}---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {{name: g}}
spec:
  parentRefs: [{{name: gw}}]
  hostnames: [grpc.example.com]
  rules:
  - matches: [{{method: {{service: pkg.Svc, method: Echo}}}}]
    backendRefs: [{{name: s, port: 80}}]
  - matches: [{{method: {{service: pkg.Svc}}}}]
    backendRefs: [{{name: s, port: 80}}]
  - matches: [{{method: {{method: EchoThree}}}}]
    backendRefs: [{{name: s, port: 80}}]
  - matches: [{{method: {{service: pkg.Bad}}}}]
    backendRefs: [{{name: missing, port: 80}}]
  - matches: [{{headers: [{{name: x-grpc, value: yes}}]}}]
    backendRefs: [{{name: s, port: 80}}]
",
        svc("s")
    );
    let (_, r) = build(&y);
    let cases = [
        ("grpc://grpc.example.com/pkg.Svc/Echo", "g/0", "OK"),
        ("grpc://grpc.example.com/pkg.Svc/EchoTwo", "g/1", "OK"),
        ("grpc://grpc.example.com/pkg.Svc/EchoThree", "g/1", "OK"),
        ("grpc://grpc.example.com/other.Svc/EchoThree", "g/2", "OK"),
        (
            "grpc://grpc.example.com/other.Svc/Nope",
            "404",
            "Unimplemented",
        ),
        (
            "grpc://grpc.example.com/other.Svc/Nope -H 'x-grpc: yes'",
            "g/4",
            "OK",
        ),
        (
            "grpc://other.example.com/pkg.Svc/Echo",
            "404",
            "Unimplemented",
        ),
        ("grpc://grpc.example.com/pkg.Bad/Echo", "g/3:500", "Unknown"),
    ];
    for (line, want, code) in cases {
        let o = send(&r, line);
        assert_eq!(
            (who(&o).as_str(), o.grpc_status.as_deref()),
            (want, Some(code)),
            "{line}"
        );
    }
}

const TLS: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: eg
  listeners:
  - {name: pass, port: 443, protocol: TLS, hostname: '*.example.com', tls: {mode: Passthrough}}
  - {name: web, port: 443, protocol: HTTPS, hostname: web.example.org, tls: {certificateRefs: [{name: c}]}}
  - {name: tcp, port: 9000, protocol: TCP}
  - {name: udp, port: 5300, protocol: UDP}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: abc}
spec:
  parentRefs: [{name: gw}]
  hostnames: [abc.example.com]
  rules: [{backendRefs: [{name: s, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: wild}
spec:
  parentRefs: [{name: gw}]
  hostnames: ['*.example.com']
  rules: [{backendRefs: [{name: s, port: 443, weight: 3}, {name: missing, port: 443, weight: 1}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-old, creationTimestamp: '2024-01-01T00:00:00Z'}
spec:
  parentRefs: [{name: gw, sectionName: tcp}]
  rules: [{backendRefs: [{name: s, port: 9000}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: tcp-new, creationTimestamp: '2025-01-01T00:00:00Z'}
spec:
  parentRefs: [{name: gw, sectionName: tcp}]
  rules: [{backendRefs: [{name: s, port: 9001}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: dns}
spec:
  parentRefs: [{name: gw, port: 5300}]
  rules: [{backendRefs: [{name: s, port: 53}]}]
";

#[test]
fn sni_tls_tcp_udp() {
    let y = format!(
        "{TLS}{}{}",
        svc("s"),
        route("web", "  rules:\n  - backendRefs: [{name: s, port: 80}]\n")
    );
    let (_, r) = build(&y);
    let o = send(&r, "tls://abc.example.com");
    assert_eq!(who(&o), "abc/0");
    let ShareOutcome::Backend {
        passthrough, host, ..
    } = &o.shares[0].outcome
    else {
        panic!()
    };
    assert!(*passthrough);
    assert_eq!(&**host, "abc.example.com");
    let o = send(&r, "tls://x.example.com");
    assert_eq!(who(&o), "wild/0");
    assert_eq!(
        o.shares.len(),
        1,
        "Envoy Gateway drops the invalid L4 backend"
    );
    assert!(o.trace.iter().any(|s| s.message.contains("spec asks")));
    assert!(send(&r, "tls://non.matching.com").rejected());
    assert_eq!(who(&send(&r, "GET https://web.example.org/")), "web/0");
    let o = send(&r, "GET https://web.example.org/ --sni abc.example.com");
    assert_eq!(
        who(&o),
        "abc/0",
        "SNI picks the passthrough chain; the stream goes through"
    );
    assert!(
        send(&r, "GET http://web.example.org:443/").rejected(),
        "plaintext to a TLS port"
    );
    let o = send(&r, "tcp://gw:9000");
    assert_eq!(who(&o), "tcp-old/0");
    assert!(o
        .trace
        .iter()
        .any(|s| s.message.contains("only the oldest")));
    assert_eq!(who(&send(&r, "udp://gw:5300")), "dns/0");
    assert!(send(&r, "udp://gw:5301").rejected());
    assert!(send(&r, "tcp://gw:5300").rejected());
    // Routing table: L4 rows and the shadowed second TCPRoute.
    let rows = r.table();
    let tcp: Vec<&TableRow> = rows.iter().filter(|r| r.protocol == "TCP").collect();
    assert_eq!(tcp.len(), 1, "only the oldest TCPRoute is programmed");
    assert!(tcp[0].route.ends_with("tcp-old"));
    assert_eq!(
        tcp[0].probe.as_deref(),
        Some("tcp://192.0.2.1:9000 --gateway default/gw")
    );
    assert!(rows
        .iter()
        .any(|r| r.protocol == "TLS" && r.hostname == "abc.example.com"));
}

#[test]
fn routing_table_order_shadowing_and_probes() {
    let mut y = GW.to_string();
    y += &svc("s");
    y += &route(
        "a",
        "  hostnames: [b.example.com, a.example.com]\n  rules:\n  - matches: [{path: {value: /x}}, {path: {type: Exact, value: /x/y}}]\n    backendRefs: [{name: s, port: 80}]\n  - matches: [{path: {value: /x/z}, headers: [{name: h, value: v}]}]\n    backendRefs: [{name: s, port: 80}]\n  - matches: [{path: {value: /x/}}]\n    backendRefs: [{name: s, port: 80}]\n",
    );
    y += &route("b", "  hostnames: [a.example.com]\n  rules:\n  - matches: [{path: {type: Exact, value: /x/y}}]\n    backendRefs: [{name: s, port: 80}]\n");
    let (_, r) = build(&y);
    let rows = r.table();
    let a: Vec<(&str, &str, bool, bool)> = rows
        .iter()
        .filter(|r| r.hostname == "a.example.com")
        .map(|r| {
            (
                r.route.rsplit('/').next().unwrap(),
                r.matches.as_str(),
                r.shadowed,
                r.probe.is_some(),
            )
        })
        .collect();
    assert_eq!(
        a,
        vec![
            ("a", "Exact /x/y", false, true),
            ("b", "Exact /x/y", true, false),
            ("a", "PathPrefix /x/z, header h = v", false, true), // longer than `/x/`, so it ranks first
            ("a", "PathPrefix /x/", false, true),
            ("a", "PathPrefix /x", true, false),
        ]
    );
    assert_eq!(
        rows[0].probe.as_deref(),
        Some("GET http://a.example.com/x/y --gateway default/gw")
    );
    assert!(rows.iter().all(|r| r.listener == "default/gw/http"));
}

#[test]
fn fast_path_agrees_with_the_trace_walk() {
    let mut y = GW.to_string();
    y += &svc("s");
    let paths = ["/", "/a", "/a/", "/a/b", "/ab", "/a/b/c", "/b"];
    let mut body = String::from("  rules:\n");
    for (i, p) in paths.iter().enumerate() {
        let t = ["PathPrefix", "Exact"][i % 2];
        body += &format!("  - matches: [{{path: {{type: {t}, value: '{p}'}}}}, {{path: {{value: '{p}'}}, headers: [{{name: x, value: '1'}}]}}]\n    backendRefs: [{{name: s, port: 80}}]\n");
    }
    body += "  - matches: [{path: {type: RegularExpression, value: '/a/.*'}}]\n    backendRefs: [{name: s, port: 80}]\n";
    y += &route("r", &body);
    let (_, r) = build(&y);
    let reqs = [
        "/", "/a", "/a/", "/a/b", "/a/b/", "/ab", "/abc", "/a/b/c/d", "/b", "/b/", "/c", "/a//b",
        "/a/./b",
    ];
    for p in reqs {
        for h in ["", " -H 'x: 1'"] {
            send(&r, &format!("GET http://h{p}{h}"));
        }
    }
}

#[test]
fn never_panics_on_odd_requests() {
    let y = format!(
        "{TLS}{}{}",
        svc("s"),
        route("web", "  rules:\n  - backendRefs: [{name: s, port: 80}]\n")
    );
    let (_, r) = build(&y);
    let empty = Router::default();
    for line in [
        "GET http://x/",
        "GET https://x/",
        "tls://x",
        "tcp://x:1",
        "udp://x:1",
        "grpc://x/a.B/C",
        "GET http:///",
        "GET https:///?",
        "GET http://x:443/ --gateway nope",
        "GET http://x/%zz/../..",
    ] {
        let req = crate::request::parse_request(line).unwrap();
        let _ = r.route(&req);
        let _ = empty.route(&req);
        let _ = r.route_fast(&req);
    }
    let _ = r.table();
    let _ = empty.table();
}

/// `cargo test --release -p gwlab -- --ignored --nocapture throughput`
#[test]
#[ignore]
fn throughput() {
    let mut y = String::from("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: eg\n  listeners:\n");
    for l in 0..20 {
        y += &format!(
            "  - {{name: l{l}, port: 80, protocol: HTTP, hostname: 'h{l}.example.com'}}\n"
        );
    }
    for s in 0..500 {
        y += &svc(&format!("s{s}"));
    }
    for r in 0..2000 {
        let mut body = format!("  hostnames: [h{}.example.com]\n  rules:\n", r % 20);
        for k in 0..5 {
            body += &format!(
                "  - matches: [{{path: {{value: /r{r}/k{k}}}, headers: [{{name: x-k, value: v{k}}}]}}]\n    backendRefs: [{{name: s{}, port: 80, weight: 90}}, {{name: s{}, port: 80, weight: 10}}]\n",
                (r * 5 + k) % 500,
                (r * 5 + k + 1) % 500
            );
        }
        y += &route(&format!("r{r}"), &body);
    }
    let t0 = std::time::Instant::now();
    let (_, router) = build(&y);
    let built = t0.elapsed();
    let reqs: Vec<Request> = (0..1000)
        .map(|i| {
            let r = (i * 7) % 2000;
            crate::request::parse_request(&format!(
                "GET http://h{}.example.com/r{r}/k{}/x -H 'x-k: v{}'",
                r % 20,
                i % 5,
                i % 5
            ))
            .unwrap()
        })
        .collect();
    // CPU time of this thread (ns), so a busy machine does not distort the figure.
    let cpu = || -> f64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| {
                s.split_whitespace()
                    .next()
                    .and_then(|x| x.parse::<f64>().ok())
            })
            .unwrap_or(0.0)
            / 1e9
    };
    let n = 1_000_000;
    let c1 = cpu();
    let t1 = std::time::Instant::now();
    let mut ok = 0;
    for i in 0..n {
        if router.decide(&reqs[i % reqs.len()]).status == 200 {
            ok += 1;
        }
    }
    let el = t1.elapsed();
    let c = cpu() - c1;
    eprintln!("compile {built:?}; decide: {n} requests in {el:?} wall, {c:.3}s CPU = {:.0} req/s per core ({ok} ok)", n as f64 / if c > 0.0 { c } else { el.as_secs_f64() });
    assert_eq!(ok, n);
    let n2 = 200_000;
    let c2 = cpu();
    let t2 = std::time::Instant::now();
    for i in 0..n2 {
        std::hint::black_box(router.route_fast(&reqs[i % reqs.len()]));
    }
    let el = t2.elapsed();
    let c = cpu() - c2;
    eprintln!("route_fast (full Outcome): {n2} requests in {el:?} wall, {c:.3}s CPU = {:.0} req/s per core", n2 as f64 / if c > 0.0 { c } else { el.as_secs_f64() });
}
