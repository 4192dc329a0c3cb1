//! End-to-end resolution tables: small manifests in, status and states out.

use super::*;
use crate::model::{load, LoadOptions};
use crate::source::SourceFile;
use serde_json::Value;

const CLASS: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\n";

fn run(text: &str) -> (Model, Resolved) {
    run_with(text, &LoadOptions::default())
}

/// As [`run`], with objects read as written: what Envoy Gateway does with input that never went
/// through an API server (its own translator fixtures), which resolution must still handle.
fn run_unvalidated(text: &str) -> (Model, Resolved) {
    run_with(
        text,
        &LoadOptions {
            api_server: false,
            ..LoadOptions::default()
        },
    )
}

fn run_with(text: &str, opts: &LoadOptions) -> (Model, Resolved) {
    let m = load(
        vec![SourceFile::new("t.yaml", format!("{CLASS}{text}"))],
        opts,
    );
    let r = resolve(&m, &Options::default());
    (m, r)
}

/// Asserts that the API server refuses the Gateway `g` of `text` with `message`, so that it has
/// no status at all.
fn assert_gateway_refused(text: &str, message: &str) {
    let (m, res) = run(text);
    assert!(
        m.diagnostics
            .iter()
            .any(|d| d.code == "api-rejected" && d.message.contains(message)),
        "no refusal with {message:?}: {:?}",
        m.diagnostics
    );
    assert!(m.refused.iter().any(|r| r.id() == "Gateway/default/g"));
    assert!(!res
        .statuses
        .iter()
        .any(|s| &*s.kind == "Gateway" && &*s.name == "g"));
}

fn status<'a>(r: &'a Resolved, kind: &str, name: &str) -> &'a Value {
    &r.statuses
        .iter()
        .find(|s| &*s.kind == kind && &*s.name == name)
        .unwrap_or_else(|| panic!("no status for {kind} {name}"))
        .status
}

fn cond<'a>(conds: &'a Value, t: &str) -> (&'a str, &'a str) {
    let c = conds
        .as_array()
        .and_then(|a| a.iter().find(|c| c["type"] == t))
        .unwrap_or_else(|| panic!("no {t} in {conds}"));
    (
        c["status"].as_str().unwrap_or(""),
        c["reason"].as_str().unwrap_or(""),
    )
}

const GW: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: infra}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - {name: web, port: 80, protocol: HTTP, hostname: '*.example.com', allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}}\n  - {name: tcp, port: 9000, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: apps, labels: {team: a}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: apps}\nspec: {selector: {app: x}, ports: [{port: 8080}]}\n---\n";

fn route(ns: &str, extra: &str) -> String {
    format!("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: {ns}}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra{extra}}}]\n  hostnames: [a.example.com]\n  rules:\n  - backendRefs: [{{name: svc, port: 8080}}]\n")
}

#[test]
fn attachment_reasons_table() {
    let cases = [
        (route("apps", ""), ("True", "Accepted"), 1),
        (route("other", ""), ("False", "NotAllowedByListeners"), 0),
        (
            route("apps", ", sectionName: nope"),
            ("False", "NoMatchingParent"),
            0,
        ),
        (
            route("apps", ", port: 81"),
            ("False", "NoMatchingParent"),
            0,
        ),
        (
            route("apps", ", sectionName: tcp"),
            ("False", "NotAllowedByListeners"),
            0,
        ),
        (
            route("apps", "").replace("a.example.com", "a.example.net"),
            ("False", "NoMatchingListenerHostname"),
            0,
        ),
    ];
    for (r, want, attached) in cases {
        let (_, res) = run(&format!("{GW}{r}"));
        let st = status(&res, "HTTPRoute", "r");
        let p = &st["parents"][0];
        assert_eq!(p["controllerName"], ENVOY_GATEWAY_CONTROLLER);
        assert_eq!(cond(&p["conditions"], "Accepted"), want, "{r}");
        let gw = status(&res, "Gateway", "gw");
        assert_eq!(gw["listeners"][0]["attachedRoutes"], attached, "{r}");
        assert_eq!(p["conditions"][0]["observedGeneration"], 1);
    }
}

#[test]
fn gateway_status_shape() {
    let (_, res) = run(GW);
    let gw = status(&res, "Gateway", "gw");
    assert_eq!(cond(&gw["conditions"], "Accepted"), ("True", "Accepted"));
    assert_eq!(
        cond(&gw["conditions"], "Programmed"),
        ("True", "Programmed")
    );
    assert!(gw["addresses"][0]["value"]
        .as_str()
        .unwrap()
        .starts_with("192.0.2."));
    assert_eq!(gw["listeners"][0]["supportedKinds"][0]["kind"], "HTTPRoute");
    assert_eq!(
        cond(&gw["listeners"][1]["conditions"], "Programmed"),
        ("True", "Programmed")
    );
    assert_eq!(
        cond(
            &status(&res, "GatewayClass", "eg")["conditions"],
            "Accepted"
        ),
        ("True", "Accepted")
    );
    assert!(res.gateways[0].accepted && res.gateways[0].listeners.iter().all(|l| l.programmed));
}

#[test]
fn backend_reasons_merge_and_direct_status() {
    let r = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: apps}\nspec:\n  parentRefs: [{name: gw, namespace: infra}]\n  rules:\n  - backendRefs: [{name: nope, port: 1}, {name: svc, port: 9}]\n  - backendRefs: [{name: svc, port: 8080, weight: 3}, {name: nope, port: 1}]\n  - {}\n";
    let (_, res) = run(&format!("{GW}{r}"));
    let p = &status(&res, "HTTPRoute", "r")["parents"][0];
    assert_eq!(cond(&p["conditions"], "Accepted"), ("True", "Accepted"));
    assert_eq!(
        cond(&p["conditions"], "ResolvedRefs"),
        ("False", "BackendNotFound,PortNotFound")
    );
    let rules = &res.routes[0].rules;
    assert_eq!(rules[0].direct_status, Some(500));
    assert_eq!(rules[1].direct_status, None);
    assert_eq!(rules[2].direct_status, Some(500));
}

#[test]
fn partially_invalid_and_fully_invalid_rules() {
    let bad = "    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Host, value: x}]}}]\n";
    let ok = "  - backendRefs: [{name: svc, port: 8080}]\n";
    let head = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: apps}\nspec:\n  parentRefs: [{name: gw, namespace: infra}]\n  rules:\n";
    let (_, res) = run(&format!("{GW}{head}{ok}{ok}{bad}"));
    let p = &status(&res, "HTTPRoute", "r")["parents"][0];
    assert_eq!(cond(&p["conditions"], "Accepted"), ("True", "Accepted"));
    assert_eq!(
        cond(&p["conditions"], "PartiallyInvalid"),
        ("True", "UnsupportedValue")
    );
    assert_eq!(res.routes[0].rules[1].direct_status, Some(500));
    let (_, res) = run(&format!("{GW}{head}{ok}{bad}"));
    let p = &status(&res, "HTTPRoute", "r")["parents"][0];
    assert_eq!(
        cond(&p["conditions"], "Accepted"),
        ("False", "UnsupportedValue")
    );
}

#[test]
fn listener_validation_table() {
    let gw = |l: &str| {
        format!("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - {l}\n")
    };
    // (listener, the CRD rule the API server refuses it by if any, condition, expected): a
    // refused listener's condition is what Envoy Gateway makes of it when no API server stands
    // in between.
    let cases = [
        ("{name: a, port: 80, protocol: SCTP}", None, "Accepted", ("False", "UnsupportedProtocol")),
        ("{name: a, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: TCPRoute}]}}", None, "ResolvedRefs", ("False", "InvalidRouteKinds")),
        ("{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: missing}]}}", None, "ResolvedRefs", ("False", "InvalidCertificateRef")),
        ("{name: a, port: 443, protocol: HTTPS, tls: {mode: Passthrough}}", Some("tls mode must be Terminate for protocol HTTPS"), "Programmed", ("False", "UnsupportedTLSMode")),
        ("{name: a, port: 443, protocol: HTTPS}", None, "Programmed", ("False", "Invalid")),
        ("{name: a, port: 80, protocol: TCP, hostname: a.com}", Some("hostname must not be specified for protocols ['TCP', 'UDP']"), "Programmed", ("False", "Invalid")),
        ("{name: a, port: 443, protocol: TLS, tls: {mode: Passthrough}}", None, "Programmed", ("True", "Programmed")),
        ("{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert, namespace: other}]}}", None, "ResolvedRefs", ("False", "RefNotPermitted")),
    ];
    for (l, refused, t, want) in cases {
        let secret = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: other}\ntype: kubernetes.io/tls\ndata: {tls.crt: PLACEHOLDER, tls.key: PLACEHOLDER}\n";
        let text = format!("{}{secret}", gw(l));
        let (_, res) = match refused {
            Some(message) => {
                assert_gateway_refused(&text, message);
                run_unvalidated(&text)
            }
            None => run(&text),
        };
        let st = status(&res, "Gateway", "g");
        assert_eq!(cond(&st["listeners"][0]["conditions"], t), want, "{l}");
    }
}

/// Envoy Gateway accepts a listener whose only fault is an unresolvable certificate; one refused
/// for want of a ReferenceGrant, or with a second fault, gets no `Accepted` condition, and the
/// Gateway then reports `ListenersNotValid`.
#[test]
fn certificate_faults_decide_listener_acceptance() {
    let gw = |l: &str| {
        format!("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - {{name: web, port: 80, protocol: HTTP}}\n  - {l}\n")
    };
    let secret = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: other}\ntype: kubernetes.io/tls\ndata: {tls.crt: PLACEHOLDER, tls.key: PLACEHOLDER}\n";
    type Cond<'a> = (&'a str, &'a str);
    // (faulty listener, its Accepted condition if any, its ResolvedRefs, the Gateway's Accepted)
    let cases: [(&str, Option<Cond>, Cond, Cond); 4] = [
        ("{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: missing}]}}", Some(("True", "Accepted")), ("False", "InvalidCertificateRef"), ("True", "Accepted")),
        ("{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert, namespace: other}]}}", None, ("False", "RefNotPermitted"), ("True", "ListenersNotValid")),
        ("{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert, namespace: other}, {name: missing}]}}", Some(("True", "Accepted")), ("False", "InvalidCertificateRef"), ("True", "Accepted")),
        ("{name: a, port: 443, protocol: HTTPS, hostname: 'bad_host', tls: {certificateRefs: [{name: missing}]}}", None, ("False", "InvalidCertificateRef"), ("True", "ListenersNotValid")),
    ];
    for (l, accepted, resolved, gateway) in cases {
        let text = format!("{}{secret}", gw(l));
        // `bad_host` breaks the CRD's hostname pattern: what follows is Envoy Gateway's verdict
        // on a Gateway no API server checked.
        let (_, res) = if l.contains("bad_host") {
            assert_gateway_refused(&text, "spec.listeners[1].hostname");
            run_unvalidated(&text)
        } else {
            run(&text)
        };
        let st = status(&res, "Gateway", "g");
        let conds = &st["listeners"][1]["conditions"];
        let got = conds
            .as_array()
            .and_then(|a| a.iter().find(|c| c["type"] == "Accepted"))
            .map(|c| {
                (
                    c["status"].as_str().unwrap_or(""),
                    c["reason"].as_str().unwrap_or(""),
                )
            });
        assert_eq!(got, accepted, "{l}");
        assert_eq!(cond(conds, "ResolvedRefs"), resolved, "{l}");
        assert_eq!(cond(conds, "Programmed"), ("False", "Invalid"), "{l}");
        assert_eq!(cond(&st["conditions"], "Accepted"), gateway, "{l}");
    }
}

/// A class whose parametersRef names no EnvoyProxy is `InvalidParameters`, yet Envoy Gateway
/// still programs its Gateways; a ref without a namespace looks in `default`.
#[test]
fn gateway_class_parameters_ref_table() {
    let proxy = "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\nmetadata: {name: p, namespace: default}\nspec: {}\n";
    let cases = [
        (
            "{group: gateway.envoyproxy.io, kind: EnvoyProxy, name: p, namespace: default}",
            ("True", "Accepted"),
        ),
        (
            "{group: gateway.envoyproxy.io, kind: EnvoyProxy, name: p}",
            ("True", "Accepted"),
        ),
        (
            "{group: gateway.envoyproxy.io, kind: EnvoyProxy, name: missing, namespace: default}",
            ("False", "InvalidParameters"),
        ),
        (
            "{group: gateway.envoyproxy.io, kind: EnvoyProxy, name: p, namespace: elsewhere}",
            ("False", "InvalidParameters"),
        ),
        (
            "{group: '', kind: ConfigMap, name: p, namespace: default}",
            ("False", "InvalidParameters"),
        ),
    ];
    for (r, want) in cases {
        let text = format!("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {{name: pc}}\nspec: {{controllerName: gateway.envoyproxy.io/gatewayclass-controller, parametersRef: {r}}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec: {{gatewayClassName: pc, listeners: [{{name: a, port: 80, protocol: HTTP}}]}}\n{proxy}");
        let (_, res) = run(&text);
        assert_eq!(
            cond(
                &status(&res, "GatewayClass", "pc")["conditions"],
                "Accepted"
            ),
            want,
            "{r}"
        );
        assert_eq!(
            cond(&status(&res, "Gateway", "g")["conditions"], "Accepted"),
            ("True", "Accepted"),
            "{r}"
        );
        assert_eq!(res.gateways.len(), 1, "{r}");
    }
}

/// `OverlappingTLSConfig` on HTTPS listeners of one port, as Envoy Gateway pairs them.
#[test]
fn overlapping_https_hostnames_table() {
    let secret = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: cert}\ntype: kubernetes.io/tls\ndata: {tls.crt: PLACEHOLDER, tls.key: PLACEHOLDER}\n";
    let https = |name: &str, port: u32, host: Option<&str>| {
        let h = host
            .map(|h| format!(", hostname: '{h}'"))
            .unwrap_or_default();
        format!("  - {{name: {name}, port: {port}, protocol: HTTPS{h}, tls: {{certificateRefs: [{{name: cert}}]}}}}\n")
    };
    // (listeners, expected reason per listener: None = no OverlappingTLSConfig)
    let cases: Vec<(Vec<String>, Vec<Option<&str>>)> = vec![
        (
            vec![
                https("a", 443, Some("a.example.com")),
                https("b", 443, Some("b.example.com")),
            ],
            vec![None, None],
        ),
        (
            vec![
                https("a", 443, Some("a.example.com")),
                https("b", 443, Some("*.example.com")),
            ],
            vec![Some("OverlappingHostnames"); 2],
        ),
        (
            vec![
                https("a", 443, Some("a.b.example.com")),
                https("b", 443, Some("*.example.com")),
            ],
            vec![None, None],
        ),
        (
            vec![
                https("a", 443, Some("*.a.example.com")),
                https("b", 443, Some("*.example.com")),
            ],
            vec![None, None],
        ),
        (
            vec![
                https("a", 443, None),
                https("b", 443, Some("b.example.com")),
            ],
            vec![Some("OverlappingHostnames"); 2],
        ),
        (
            vec![
                https("a", 443, None),
                https("b", 8443, Some("b.example.com")),
            ],
            vec![None, None],
        ),
        (
            vec![
                https("a", 443, Some("*.example.com")),
                https("b", 443, Some("b.example.com")),
                https("c", 443, Some("c.example.com")),
            ],
            vec![Some("OverlappingHostnames"); 3],
        ),
    ];
    for (ls, want) in cases {
        let text = format!("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec:\n  gatewayClassName: eg\n  listeners:\n{}{secret}", ls.concat());
        let (_, res) = run(&text);
        let st = status(&res, "Gateway", "g");
        for (i, w) in want.iter().enumerate() {
            let conds = &st["listeners"][i]["conditions"];
            let got = conds
                .as_array()
                .and_then(|a| a.iter().find(|c| c["type"] == "OverlappingTLSConfig"))
                .and_then(|c| c["reason"].as_str());
            assert_eq!(got, *w, "listener {i} of {ls:?}");
        }
    }
    // The first listener reports the last partner it overlaps, each partner reports it.
    let text = format!("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec:\n  gatewayClassName: eg\n  listeners:\n{}{}{}{secret}", https("a", 443, Some("*.example.com")), https("b", 443, Some("b.example.com")), https("c", 443, Some("c.example.com")));
    let (_, res) = run(&text);
    let st = status(&res, "Gateway", "g");
    let msg = |i: usize| {
        st["listeners"][i]["conditions"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["type"] == "OverlappingTLSConfig"))
            .and_then(|c| c["message"].as_str())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        msg(0),
        "The hostname *.example.com overlaps with the hostname c.example.com in listener c."
    );
    assert_eq!(
        msg(1),
        "The hostname b.example.com overlaps with the hostname *.example.com in listener a."
    );
}

/// A rule without matches and a rule with one empty match both default to PathPrefix `/`, so
/// two routes writing them overlap.
#[test]
fn empty_match_overlaps_a_rule_without_matches() {
    let rt = |name: &str, rule: &str| {
        format!("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n  hostnames: [a.example.com]\n  rules:\n  - {rule}\n")
    };
    let cases = [
        ("{backendRefs: [{name: svc, port: 8080}]}", "{matches: [{}], backendRefs: [{name: svc, port: 8080}]}", true),
        ("{backendRefs: [{name: svc, port: 8080}]}", "{matches: [{path: {type: PathPrefix, value: /}}], backendRefs: [{name: svc, port: 8080}]}", true),
        ("{backendRefs: [{name: svc, port: 8080}]}", "{matches: [{path: {value: /a}}], backendRefs: [{name: svc, port: 8080}]}", false),
    ];
    for (a, b, want) in cases {
        let (_, res) = run(&format!("{GW}{}---\n{}", rt("r1", a), rt("r2", b)));
        for name in ["r1", "r2"] {
            let conds = &status(&res, "HTTPRoute", name)["parents"][0]["conditions"];
            let got = conds.as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "RouteRulesOverlap" && c["status"] == "True")
            });
            assert_eq!(got, want, "{name}: {a} / {b}");
        }
    }
}

#[test]
fn foreign_classes_and_missing_classes() {
    let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: other}\nspec: {controllerName: example.com/other}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g1}\nspec: {gatewayClassName: other, listeners: [{name: a, port: 80, protocol: HTTP}]}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g2}\nspec: {gatewayClassName: nope, listeners: [{name: a, port: 80, protocol: HTTP}]}\n";
    let (_, res) = run(text);
    assert!(res.gateways.is_empty());
    assert!(!res
        .statuses
        .iter()
        .any(|s| &*s.name == "other" || &*s.name == "g1"));
    assert!(res
        .diagnostics
        .iter()
        .any(|d| d.code == "gatewayclass-not-accepted"));
    let d = res
        .diagnostics
        .iter()
        .find(|d| d.code == "gatewayclass-not-found")
        .expect("missing class diagnostic");
    assert!(d.location.is_some());
}

#[test]
fn listener_sets_merge_and_precedence() {
    let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  gatewayClassName: eg\n  allowedListeners: {namespaces: {from: Same}}\n  listeners: [{name: a, port: 80, protocol: HTTP, hostname: a.com}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: ls}\nspec:\n  parentRef: {name: g}\n  listeners:\n  - {name: dup, port: 80, protocol: HTTP, hostname: a.com}\n  - {name: ok, port: 80, protocol: HTTP, hostname: b.com}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: far, namespace: elsewhere}\nspec:\n  parentRef: {name: g, namespace: default}\n  listeners: [{name: x, port: 81, protocol: HTTP}]\n";
    let (_, res) = run(text);
    let ls = status(&res, "ListenerSet", "ls");
    assert_eq!(
        cond(&ls["conditions"], "Accepted"),
        ("True", "ListenersNotValid")
    );
    assert_eq!(
        cond(&ls["listeners"][0]["conditions"], "Conflicted"),
        ("True", "HostnameConflict")
    );
    assert_eq!(
        cond(&ls["listeners"][1]["conditions"], "Conflicted"),
        ("False", "NoConflicts")
    );
    let far = status(&res, "ListenerSet", "far");
    assert_eq!(
        cond(&far["conditions"], "Accepted"),
        ("False", "NotAllowed")
    );
    let gw = status(&res, "Gateway", "g");
    assert_eq!(gw["attachedListenerSets"], 1);
    assert_eq!(res.gateways[0].listeners.len(), 3);
}

/// A BackendTLSPolicy gets an ancestor only from a backendRef that resolved, carries weight and
/// picks it (by port name, else Service-wide); a conflicted loser shares its winner's ancestors.
#[test]
fn backend_tls_policy_ancestors_come_from_translated_backend_refs() {
    let pol = |name: &str, ts: &str, section: &str| {
        format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {{name: {name}, namespace: apps, creationTimestamp: '{ts}'}}\nspec:\n  targetRefs: [{{group: '', kind: Service, name: svc{section}}}]\n  validation: {{wellKnownCACertificates: System, hostname: svc.example.com}}\n")
    };
    let rt = |backend: &str| {
        format!("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: apps}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n  hostnames: [a.example.com]\n  rules:\n  - backendRefs: [{backend}]\n")
    };
    let named = "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc2, namespace: apps}\nspec: {selector: {app: x}, ports: [{name: http, port: 80}, {name: https, port: 443}]}\n";
    let p2 = pol("p2", "2024-01-01T00:00:00Z", ", sectionName: https")
        .replace("name: svc,", "name: svc2,");
    // (route backends, policies, (policy, expected ancestor count))
    type Case<'a> = (String, String, Vec<(&'a str, usize)>);
    let cases: Vec<Case> = vec![
        (
            rt("{name: svc, port: 8080}"),
            pol("p1", "2024-01-01T00:00:00Z", ""),
            vec![("p1", 1)],
        ),
        (
            rt("{name: svc, port: 9999}"),
            pol("p1", "2024-01-01T00:00:00Z", ""),
            vec![("p1", 0)],
        ),
        (
            rt("{name: svc, port: 8080, weight: 0}, {name: svc, port: 9999}"),
            pol("p1", "2024-01-01T00:00:00Z", ""),
            vec![("p1", 0)],
        ),
        (
            rt("{name: svc2, port: 80}"),
            format!("{named}{p2}"),
            vec![("p2", 0)],
        ),
        (
            rt("{name: svc2, port: 443}"),
            format!("{named}{p2}"),
            vec![("p2", 1)],
        ),
        (
            rt("{name: svc, port: 8080}"),
            format!(
                "{}{}",
                pol("p1", "2024-01-01T00:00:00Z", ""),
                pol("p0", "2025-01-01T00:00:00Z", "")
            ),
            vec![("p1", 1), ("p0", 1)],
        ),
    ];
    for (route, pols, want) in cases {
        let (_, res) = run(&format!("{GW}{route}{pols}"));
        for (name, n) in want {
            let got = status(&res, "BackendTLSPolicy", name)["ancestors"]
                .as_array()
                .map_or(0, Vec::len);
            assert_eq!(got, n, "{name} with {route}");
        }
    }
}

#[test]
fn backend_tls_policy_status_and_conflicts() {
    let text = format!(
        "{GW}{}---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {{name: p1, namespace: apps, creationTimestamp: '2024-01-01T00:00:00Z'}}\nspec:\n  targetRefs: [{{group: '', kind: Service, name: svc}}]\n  validation: {{wellKnownCACertificates: System, hostname: svc.example.com}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {{name: p2, namespace: apps, creationTimestamp: '2025-01-01T00:00:00Z'}}\nspec:\n  targetRefs: [{{group: '', kind: Service, name: svc}}]\n  validation: {{caCertificateRefs: [{{group: '', kind: ConfigMap, name: nope}}], hostname: svc.example.com}}\n",
        route("apps", "")
    );
    let (_, res) = run(&text);
    let p1 = status(&res, "BackendTLSPolicy", "p1");
    assert_eq!(p1["ancestors"][0]["ancestorRef"]["name"], "gw");
    assert_eq!(
        cond(&p1["ancestors"][0]["conditions"], "Accepted"),
        ("True", "Accepted")
    );
    let p2 = status(&res, "BackendTLSPolicy", "p2");
    assert_eq!(
        cond(&p2["ancestors"][0]["conditions"], "Accepted"),
        ("False", "Conflicted")
    );
    assert_eq!(
        cond(&p2["ancestors"][0]["conditions"], "ResolvedRefs"),
        ("False", "InvalidCACertificateRef")
    );
    let b = &res.routes[0].rules[0].backends[0];
    match &*b.target {
        BackendTarget::Service { tls: Some(t), .. } => assert_eq!(
            (t.sni.as_str(), t.ca.as_str()),
            ("svc.example.com", "System")
        ),
        other => panic!("{other:?}"),
    }
}

/// 2,000 routes × 5 rules on 20 listeners: every structure is indexed, so this stays linear.
#[test]
fn scales_linearly() {
    let mut text = String::from("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: big}\nspec:\n  gatewayClassName: eg\n  listeners:\n");
    for l in 0..20 {
        text.push_str(&format!("  - {{name: l{l}, port: 80, protocol: HTTP, hostname: h{l}.example.com, allowedRoutes: {{namespaces: {{from: All}}}}}}\n"));
    }
    text.push_str("---\napiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec: {selector: {app: x}, ports: [{port: 80}]}\n");
    for r in 0..2000 {
        text.push_str(&format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r{r}}}\nspec:\n  parentRefs: [{{name: big}}]\n  hostnames: [h{}.example.com]\n  rules:\n", r % 20));
        for k in 0..5 {
            text.push_str(&format!("  - matches: [{{path: {{type: PathPrefix, value: /p{k}}}}}]\n    backendRefs: [{{name: svc, port: 80}}]\n"));
        }
    }
    let (m, _) = run(&text);
    let mut took = std::time::Duration::MAX;
    let mut res = Resolved::default();
    let reps: usize = std::env::var("GWLAB_SCALE_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for _ in 0..reps {
        drop(std::mem::take(&mut res));
        let start = std::time::Instant::now();
        res = resolve(&m, &Options::default());
        took = took.min(start.elapsed());
    }
    assert_eq!(res.routes.len(), 2000);
    let gw = status(&res, "Gateway", "big");
    assert_eq!(gw["listeners"][0]["attachedRoutes"], 100);
    eprintln!("resolve of 2,000 routes × 5 rules × 20 listeners: {took:?}");
}

fn has_diag(res: &Resolved, code: &str) -> bool {
    res.diagnostics.iter().any(|d| d.code == code)
}

#[test]
fn backends_available_and_zero_weights_table() {
    let svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: empty, namespace: apps}\nspec: {ports: [{port: 8080}]}\n";
    let head = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: apps}\nspec:\n  parentRefs: [{name: gw, namespace: infra}]\n  hostnames: [a.example.com]\n  rules:\n";
    // (rule, BackendsAvailable (None = absent), backend-no-endpoints, no-backends)
    let cases: [(&str, Option<(&str, &str)>, bool, bool); 6] = [
        ("  - backendRefs: [{name: svc, port: 8080}]\n", None, false, false),
        ("  - backendRefs: [{name: empty, port: 8080}]\n", Some(("False", "EndpointsNotFound")), true, false),
        ("  - backendRefs: [{name: svc, port: 8080}, {name: empty, port: 8080}]\n", Some(("False", "EndpointsNotFound")), true, false),
        ("  - backendRefs: [{name: svc, port: 8080, weight: 0}, {name: svc, port: 8080, weight: 0}]\n", None, false, true),
        ("  - backendRefs: [{name: svc, port: 8080, weight: 0}, {name: svc, port: 8080, weight: 1}]\n", None, false, false),
        ("  - {}\n", None, false, true),
    ];
    for (rule, avail, no_ep, no_backends) in cases {
        let (_, res) = run(&format!("{GW}{head}{rule}{svc}"));
        let conds = &status(&res, "HTTPRoute", "r")["parents"][0]["conditions"];
        assert_eq!(
            cond(conds, "ResolvedRefs"),
            ("True", "ResolvedRefs"),
            "{rule}"
        );
        let got = conds
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "BackendsAvailable")
            .map(|c| (c["status"].as_str().unwrap(), c["reason"].as_str().unwrap()));
        assert_eq!(got, avail, "{rule}");
        assert_eq!(has_diag(&res, "backend-no-endpoints"), no_ep, "{rule}");
        assert_eq!(has_diag(&res, "no-backends"), no_backends, "{rule}");
    }
}

#[test]
fn route_rules_overlap_table() {
    let r = |name: &str, host: &str, m: &str| {
        format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n  hostnames: [{host}]\n  rules:\n  - matches: [{m}]\n    backendRefs: [{{name: svc, port: 8080}}]\n")
    };
    let exact = "{path: {type: Exact, value: /t}}";
    let hdr_ab = "{path: {value: /p}, headers: [{name: A, value: '1'}, {name: b, value: '2'}]}";
    let hdr_ba = "{path: {value: /p}, headers: [{name: B, value: '2'}, {name: a, value: '1'}]}";
    // (route 1, route 2, overlap expected)
    let cases = [
        (
            r("r1", "a.example.com", exact),
            r("r2", "a.example.com", exact),
            true,
        ),
        (
            r("r1", "a.example.com", exact),
            r("r2", "b.example.com", exact),
            false,
        ),
        (
            r("r1", "a.example.com", exact),
            r("r2", "a.example.com", "{path: {type: Exact, value: /u}}"),
            false,
        ),
        (
            r("r1", "a.example.com", exact),
            r(
                "r2",
                "a.example.com",
                "{path: {type: PathPrefix, value: /t}}",
            ),
            false,
        ),
        (
            r("r1", "a.example.com", hdr_ab),
            r("r2", "a.example.com", hdr_ba),
            true,
        ),
        (
            r("r1", "a.example.com", "{method: GET}"),
            r(
                "r2",
                "a.example.com",
                "{method: GET, queryParams: [{name: q, value: x}]}",
            ),
            false,
        ),
        // One trailing slash of a prefix is trimmed before comparing, as the xDS translator
        // trims it before programming; an Exact path and the root prefix keep theirs.
        (
            r(
                "r1",
                "a.example.com",
                "{path: {type: PathPrefix, value: /foo/}}",
            ),
            r(
                "r2",
                "a.example.com",
                "{path: {type: PathPrefix, value: /foo}}",
            ),
            true,
        ),
        (
            r(
                "r1",
                "a.example.com",
                "{path: {type: PathPrefix, value: /}}",
            ),
            r(
                "r2",
                "a.example.com",
                "{path: {type: PathPrefix, value: /foo/}}",
            ),
            false,
        ),
        (
            r("r1", "a.example.com", "{path: {type: Exact, value: /foo/}}"),
            r("r2", "a.example.com", "{path: {type: Exact, value: /foo}}"),
            false,
        ),
    ];
    for (a, b, want) in cases {
        let (_, res) = run(&format!("{GW}{a}{b}"));
        for name in ["r1", "r2"] {
            let conds = &status(&res, "HTTPRoute", name)["parents"][0]["conditions"];
            let got = conds.as_array().unwrap().iter().any(|c| {
                c["type"] == "RouteRulesOverlap"
                    && c["status"] == "True"
                    && c["reason"] == "RouteRulesOverlap"
            });
            assert_eq!(got, want, "{name}: {a}{b}");
        }
    }
    // One route repeating its own match is not an overlap between routes.
    let (_, res) = run(&format!(
        "{GW}{}",
        r("r1", "a.example.com", &format!("{exact}, {exact}"))
    ));
    assert!(!status(&res, "HTTPRoute", "r1")
        .to_string()
        .contains("RouteRulesOverlap"));
}

/// The pre-check compares path hashes; routes whose different paths collide must still be told
/// apart by the exact comparison that follows (here every hash is forged to one value).
#[test]
fn route_rules_overlap_survives_path_hash_collisions() {
    let r = |name: &str, path: &str| {
        format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n  hostnames: [a.example.com]\n  rules:\n  - matches: [{{path: {{type: Exact, value: {path}}}}}]\n    backendRefs: [{{name: svc, port: 8080}}]\n")
    };
    for (p1, p2, want) in [("/t", "/u", false), ("/t", "/t", true)] {
        let (m, mut res) = run(&format!("{GW}{}{}", r("r1", p1), r("r2", p2)));
        let overlaps = |res: &Resolved| {
            ["r1", "r2"].map(|n| {
                status(res, "HTTPRoute", n)
                    .to_string()
                    .contains("RouteRulesOverlap")
            })
        };
        assert_eq!(overlaps(&res), [want, want], "{p1} {p2}");
        // Back to the statuses before the check, then the check again on forged hashes.
        for s in res.statuses.iter_mut().filter(|s| &*s.kind == "HTTPRoute") {
            for p in s
                .status
                .get_mut("parents")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                p["conditions"]
                    .as_array_mut()
                    .into_iter()
                    .for_each(|c| c.retain(|c| c["type"] != "RouteRulesOverlap"));
            }
        }
        assert_eq!(overlaps(&res), [false, false]);
        let forged = super::overlap::PathHashes::forged(vec![7; res.routes.len()]);
        super::overlap::check(&m, &res.gateways, &res.routes, &forged, &mut res.statuses);
        assert_eq!(overlaps(&res), [want, want], "forged hashes, {p1} {p2}");
    }
}

#[test]
fn backend_tls_policy_without_ca_is_policy_invalid() {
    let pol = |refs: &str| {
        format!("{GW}{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ca, namespace: apps}}\ndata: {{ca.crt: \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\"}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {{name: p, namespace: apps}}\nspec:\n  targetRefs: [{{group: '', kind: Service, name: svc}}]\n  validation: {{caCertificateRefs: [{refs}], hostname: svc.example.com}}\n", route("apps", ""))
    };
    let (_, res) = run(&pol("{group: '', kind: ConfigMap, name: nope}"));
    let d = res
        .diagnostics
        .iter()
        .find(|d| d.code == "policy-invalid")
        .expect("policy-invalid");
    assert_eq!(d.severity, crate::diag::Severity::Error);
    assert!(d.location.is_some());
    assert!(!has_diag(&res, "certificate-ref-invalid"));
    assert_eq!(
        cond(
            &status(&res, "BackendTLSPolicy", "p")["ancestors"][0]["conditions"],
            "Accepted"
        ),
        ("False", "NoValidCACertificate")
    );
    // A bad ref next to a usable one only loses that ref: the policy stays accepted.
    let (_, res) = run(&pol(
        "{group: '', kind: ConfigMap, name: ca}, {group: '', kind: ConfigMap, name: nope}",
    ));
    assert!(!has_diag(&res, "policy-invalid"));
    assert!(has_diag(&res, "certificate-ref-invalid"));
}

#[test]
fn merged_gateways_conflicts_and_routing() {
    let merged = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: m}\nspec:\n  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: p, namespace: sys}\n---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\nmetadata: {name: p, namespace: sys}\nspec: {mergeGateways: MERGE}\n---\n";
    let gw = |name: &str, class: &str, l: &str| {
        format!("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: {name}}}\nspec:\n  gatewayClassName: {class}\n  listeners: [{l}]\n---\n")
    };
    let rt = |name: &str, gw: &str| {
        format!("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}}}\nspec:\n  parentRefs: [{{name: {gw}}}]\n  rules: [{{backendRefs: [{{name: {name}, port: 80}}]}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {{selector: {{app: x}}, ports: [{{port: 80}}]}}\n---\n")
    };
    let a = "{name: l, port: 80, protocol: HTTP, hostname: a.example.com}";
    let b = "{name: l, port: 80, protocol: HTTP, hostname: b.example.com}";
    let tcp = "{name: l, port: 80, protocol: TCP}";
    // (merge, class of g2, g2 listener, g2 Conflicted reason (None = NoConflicts/absent), b.example.com → backend)
    let cases = [
        ("true", "m", b, None, Some("rb")),
        ("true", "m", a, Some("HostnameConflict"), None),
        ("true", "m", tcp, Some("ProtocolConflict"), None),
        ("false", "m", a, None, None),
        ("true", "eg", a, None, None),
    ];
    for (merge, class2, l2, conflict, want_b) in cases {
        let text = format!(
            "{}{}{}{}{}",
            merged.replace("MERGE", merge),
            gw("g1", "m", a),
            gw("g2", class2, l2),
            rt("ra", "g1"),
            rt("rb", "g2")
        );
        let (m, res) = run(&text);
        let g1 = status(&res, "Gateway", "g1");
        assert_eq!(
            cond(&g1["listeners"][0]["conditions"], "Programmed"),
            ("True", "Programmed"),
            "{merge} {l2}"
        );
        let g2 = &status(&res, "Gateway", "g2")["listeners"][0]["conditions"];
        let got = g2
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Conflicted" && c["status"] == "True")
            .map(|c| c["reason"].as_str().unwrap());
        assert_eq!(got, conflict, "{merge} {class2} {l2}");
        if conflict.is_some() {
            assert_eq!(cond(g2, "Programmed"), ("False", "Invalid"));
            assert!(has_diag(&res, "listener-conflict"));
        }
        let req = |h: &str| {
            crate::route::route(
                &m,
                &res,
                &crate::route::Request::http("GET", Some(h), 80, "/"),
            )
        };
        let backend = |o: &crate::route::Outcome| match o.primary().map(|s| &s.outcome) {
            Some(crate::route::ShareOutcome::Backend { name, .. }) => Some(name.clone()),
            _ => None,
        };
        // The first Gateway always serves its own hostname.
        assert_eq!(
            backend(&req("a.example.com")).as_deref(),
            Some("ra"),
            "{merge} {class2} {l2}"
        );
        assert_eq!(
            backend(&req("b.example.com")).as_deref(),
            want_b,
            "{merge} {class2} {l2}"
        );
    }
}

/// Envoy Gateway checks overlaps on the translated routes of every kind together, with a
/// GRPCRoute's matches as the HTTP matches it programs for them (`/service/method` exact, a
/// `:path` suffix for a method alone, the prefix `/service` for a service alone), and names the
/// other routes in the message.
#[test]
fn route_rules_overlap_across_grpc_and_http_routes_table() {
    let http = |name: &str, m: &str| {
        format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n  hostnames: [a.example.com]\n  rules:\n  - matches: [{m}]\n    backendRefs: [{{name: svc, port: 8080}}]\n")
    };
    let grpc = |name: &str, m: &str| {
        let matches = if m.is_empty() {
            String::new()
        } else {
            format!("matches: [{m}]\n    ")
        };
        format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n  hostnames: [a.example.com]\n  rules:\n  - {matches}backendRefs: [{{name: svc, port: 8080}}]\n")
    };
    let exact = "{method: {service: pkg.Svc, method: Get}}";
    // (route 1, route 2, (kind, name) of each, overlap expected)
    let cases = [
        (
            grpc("g1", exact),
            grpc("g2", exact),
            ("GRPCRoute", "GRPCRoute"),
            true,
        ),
        (
            grpc("g1", exact),
            grpc("g2", "{method: {service: pkg.Svc, method: Put}}"),
            ("GRPCRoute", "GRPCRoute"),
            false,
        ),
        (
            grpc("g1", "{method: {method: Get}}"),
            grpc("g2", "{method: {method: Get}}"),
            ("GRPCRoute", "GRPCRoute"),
            true,
        ),
        (
            grpc("g1", exact),
            http("h2", "{path: {type: Exact, value: /pkg.Svc/Get}}"),
            ("GRPCRoute", "HTTPRoute"),
            true,
        ),
        (
            grpc("g1", "{method: {service: pkg.Svc}}"),
            http("h2", "{path: {type: PathPrefix, value: /pkg.Svc/}}"),
            ("GRPCRoute", "HTTPRoute"),
            true,
        ),
        (
            grpc("g1", ""),
            http("h2", "{path: {type: PathPrefix, value: /}}"),
            ("GRPCRoute", "HTTPRoute"),
            true,
        ),
        (
            grpc(
                "g1",
                "{method: {type: RegularExpression, service: pkg.Svc, method: 'G.*'}}",
            ),
            grpc(
                "g2",
                "{method: {type: RegularExpression, service: pkg.Svc, method: 'G.*'}}",
            ),
            ("GRPCRoute", "GRPCRoute"),
            true,
        ),
        (
            grpc("g1", "{headers: [{name: X-A, value: '1'}]}"),
            grpc("g2", "{headers: [{name: x-a, value: '1'}]}"),
            ("GRPCRoute", "GRPCRoute"),
            true,
        ),
    ];
    for (a, b, (ka, kb), want) in cases {
        let (_, res) = run(&format!("{GW}{a}{b}"));
        let names = [
            (ka, if ka == "GRPCRoute" { "g1" } else { "h1" }),
            (kb, if kb == "GRPCRoute" { "g2" } else { "h2" }),
        ];
        for (i, (kind, name)) in names.iter().enumerate() {
            let conds = &status(&res, kind, name)["parents"][0]["conditions"];
            let overlap = conds
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["type"] == "RouteRulesOverlap" && c["status"] == "True");
            assert_eq!(overlap.is_some(), want, "{kind} {name}: {a}{b}");
            if let Some(c) = overlap {
                let (okind, oname) = names[1 - i];
                assert_eq!(
                    c["message"],
                    format!("Overlapping match conditions with route(s): {okind} apps/{oname}")
                );
            }
        }
    }
}

/// Routes on a listener that is not programmed (here both listeners of port 80 conflict on
/// protocol) are not translated, so they cannot overlap there.
#[test]
fn routes_on_a_listener_that_is_not_programmed_do_not_overlap() {
    let gw = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: apps}\nspec:\n  gatewayClassName: eg\n  listeners:\n  - {name: l1, protocol: TCP, port: 80}\n  - {name: l2, protocol: HTTP, port: 80}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: apps, labels: {team: a}}\n";
    let r = |name: &str| {
        format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - backendRefs: [{{name: svc, port: 8080}}]\n")
    };
    let (_, res) = run(&format!("{gw}{}{}", r("r1"), r("r2")));
    for name in ["r1", "r2"] {
        let conds = &status(&res, "HTTPRoute", name)["parents"][0]["conditions"];
        assert!(
            !conds
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["type"] == "RouteRulesOverlap"),
            "{name}: {conds}"
        );
    }
}
