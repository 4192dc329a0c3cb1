//! The export built from an analysis: the scenarios' manifests in, predictions and lab inputs out.

use std::path::{Path, PathBuf};
use std::process::Command;

use gwlab::export::{
    bundle, export, export_input, export_zip, BackendService, BundleFile, ExportInput, Prediction,
    TargetPort, Versions,
};
use gwlab::{analyze, Analysis, Input, Options};
use serde_json::Value;

fn scenario_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(name)
}

fn scenario_text(name: &str) -> String {
    std::fs::read_to_string(scenario_dir(name).join("manifests.yaml")).unwrap()
}

/// The top-level `request:` lines of a scenario's expectations.
fn scenario_requests(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(scenario_dir(name).join("expect.yaml")).unwrap();
    let (docs, _) = gwlab::source::parse_stream(&text);
    docs[0].value["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request"].as_str().unwrap().to_string())
        .collect()
}

fn analysis_of(text: &str) -> Analysis {
    analyze(&[Input::new("manifests.yaml", text)], &Options::default())
}

fn scenario(name: &str) -> (Analysis, Vec<String>) {
    (analysis_of(&scenario_text(name)), scenario_requests(name))
}

fn s(x: &str) -> String {
    x.to_string()
}

fn nn(a: &str, b: &str) -> (String, String) {
    (s(a), s(b))
}

fn find<'a>(input: &'a ExportInput, line: &str) -> &'a Prediction {
    input
        .predictions
        .iter()
        .find(|p| p.request_line == line)
        .unwrap_or_else(|| {
            let have: Vec<&str> = input
                .predictions
                .iter()
                .map(|p| p.request_line.as_str())
                .collect();
            panic!("no prediction for {line}; have {have:?}")
        })
}

/// The parsed expect.yaml and its entry for one request line.
fn expect_entry(input: &ExportInput, line: &str) -> Value {
    let (docs, diags) = gwlab::source::parse_stream(&input.expectations_yaml);
    assert!(diags.is_empty(), "{diags:?}");
    docs[0].value["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["request"] == line)
        .unwrap_or_else(|| panic!("expect.yaml has no {line}:\n{}", input.expectations_yaml))
        ["expect"]
        .clone()
}

#[test]
fn minimal_http() {
    let (a, lines) = scenario("01-minimal-http");
    let input = export_input(&a, &lines);
    assert_eq!(
        input.manifests,
        vec![(s("manifests.yaml"), scenario_text("01-minimal-http"))]
    );
    assert_eq!(input.namespaces, vec![s("default")]);
    assert_eq!(
        input.backends,
        vec![BackendService {
            namespace: s("default"),
            name: s("web"),
            ports: vec![(80, TargetPort::Number(8080))],
            selector: vec![nn("app", "web")],
            has_workload: false,
        }]
    );
    assert_eq!(input.gateways.len(), 1);
    let gw = &input.gateways[0];
    assert_eq!(
        (
            gw.namespace.as_str(),
            gw.name.as_str(),
            gw.class_name.as_str()
        ),
        ("default", "gw", "eg")
    );
    assert_eq!(gw.listeners.len(), 1);
    assert_eq!(
        (gw.listeners[0].port, gw.listeners[0].protocol.as_str()),
        (80, "HTTP")
    );
    assert!(!gw.merged && gw.envoy_proxy.is_none());
    assert!(input.missing_gateway_classes.is_empty());
    assert!(input.missing_tls_secrets.is_empty());
    assert!(!input.uses_cert_manager);

    // The three given requests, in order, then the one table probe.
    let lines_out: Vec<&str> = input
        .predictions
        .iter()
        .map(|p| p.request_line.as_str())
        .collect();
    assert_eq!(
        lines_out,
        [
            "GET http://app.example.com/",
            "GET http://anything.test/some/deep/path?q=1",
            "POST http://app.example.com/form",
            "GET http://probe.invalid/ --gateway default/gw",
        ]
    );
    let p = find(&input, "GET http://anything.test/some/deep/path?q=1");
    assert_eq!(
        (p.scheme.as_str(), p.host.as_str(), p.port, p.path.as_str()),
        ("http", "anything.test", 80, "/some/deep/path?q=1")
    );
    assert_eq!(p.expect.status, 200);
    assert_eq!(p.expect.backend, Some(nn("default", "web")));
    assert_eq!(
        p.expect.backend_path.as_deref(),
        Some("/some/deep/path?q=1")
    );
    assert_eq!(p.expect.backend_host.as_deref(), Some("anything.test"));
    assert!(p.expect.distribution.is_none());
    assert_eq!(p.gateway, Some(nn("default", "gw")));
    let post = find(&input, "POST http://app.example.com/form");
    assert_eq!(post.method, "POST");
    assert!(
        post.name.is_empty(),
        "given requests keep their line as the name"
    );
    let probe = find(&input, "GET http://probe.invalid/ --gateway default/gw");
    // The rule names no match; the API server gives it its default one (PathPrefix /).
    assert_eq!(
        probe.name,
        "HTTPRoute/default/web rule 0 match 0 (*, PathPrefix /)"
    );

    assert!(
        input
            .expectations_yaml
            .contains("\nmanifests:\n- manifests/manifests.yaml\nrequests:\n"),
        "{}",
        input.expectations_yaml
    );
    let e = expect_entry(&input, "GET http://app.example.com/");
    assert_eq!(
        e,
        serde_json::json!({"status": 200, "backend": "default/web:80", "path": "/", "host": "app.example.com"})
    );

    let zip = export_zip(&a, &lines, &Versions::default());
    let files = bundle(&input, &Versions::default());
    let total: usize = files.iter().map(|f| f.contents.len()).sum();
    println!(
        "scenario 01: {} files, {total} bytes, zip {} bytes",
        files.len(),
        zip.len()
    );
    assert!(zip.len() < 64 * 1024, "zip is {} bytes", zip.len());
}

#[test]
fn canary_split() {
    let (a, lines) = scenario("05-canary-90-10");
    let input = export_input(&a, &lines);
    let names: Vec<&str> = input.backends.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["checkout-v1", "checkout-v2"]);
    assert_eq!(
        input.backends[1].ports,
        vec![(80, TargetPort::Number(9090))],
        "the canary's targetPort"
    );
    let split = find(&input, "GET http://canary.example.com/cart");
    assert_eq!(split.expect.status, 200);
    assert_eq!(split.expect.backend, None);
    assert_eq!(
        split.expect.distribution,
        Some(vec![
            (nn("default", "checkout-v1"), 90.0),
            (nn("default", "checkout-v2"), 10.0)
        ])
    );
    assert_eq!(split.expect.backend_path.as_deref(), Some("/cart"));
    let forced = find(
        &input,
        "GET http://canary.example.com/cart -H 'x-canary: always'",
    );
    assert_eq!(forced.headers, vec![nn("x-canary", "always")]);
    assert_eq!(forced.expect.backend, Some(nn("default", "checkout-v2")));
    assert!(forced.expect.distribution.is_none());
    assert!(
        forced.expect.request_headers.is_empty(),
        "headers the client sent are not filter effects"
    );

    let e = expect_entry(&input, "GET http://canary.example.com/cart");
    assert_eq!(
        e["backends"],
        serde_json::json!({"default/checkout-v1:80": 90, "default/checkout-v2:80": 10})
    );
    // The table probes: the header rule first (it outranks the split), then the split.
    let probes: Vec<&str> = input
        .predictions
        .iter()
        .filter(|p| !p.name.is_empty())
        .map(|p| p.request_line.as_str())
        .collect();
    assert_eq!(probes.len(), 2, "{probes:?}");
    let files = bundle(&input, &Versions::default());
    let verify = &files
        .iter()
        .find(|f| f.path == "verify.sh")
        .unwrap()
        .contents;
    assert!(
        verify.contains("expect_share 'default' 'checkout-v1' 90 'checkout-v1-echo'"),
        "{verify}"
    );
    assert!(verify.contains("expect_share 'default' 'checkout-v2' 10 'checkout-v2-echo'"));
}

#[test]
fn tls_edge_with_cert_manager_certificates() {
    let (a, lines) = scenario("08-tls-edge");
    let input = export_input(&a, &lines);
    assert!(
        input.missing_tls_secrets.is_empty(),
        "cert-manager Certificates in the manifests issue both Secrets: {:?}",
        input.missing_tls_secrets
    );
    assert!(input.uses_cert_manager);
    assert_eq!(
        input.namespaces,
        vec![s("certs"), s("default")],
        "first occurrence first"
    );
    let gw = &input.gateways[0];
    let ls: Vec<(u16, &str, Option<&str>)> = gw
        .listeners
        .iter()
        .map(|l| (l.port, l.protocol.as_str(), l.hostname.as_deref()))
        .collect();
    assert_eq!(
        ls,
        [
            (443, "HTTPS", Some("secure.example.com")),
            (443, "HTTPS", Some("*.apps.example.com"))
        ]
    );
    let p = find(&input, "GET https://secure.example.com/account");
    assert_eq!(
        (p.scheme.as_str(), p.port, p.sni.as_deref()),
        ("https", 443, None)
    );
    assert_eq!(p.expect.backend, Some(nn("default", "web")));
    let p = find(&input, "GET https://shop.apps.example.com/");
    assert_eq!(p.expect.backend, Some(nn("default", "apps")));
    let p = find(
        &input,
        "GET https://shop.apps.example.com/ --sni secure.example.com",
    );
    assert_eq!(p.sni.as_deref(), Some("secure.example.com"));
    assert_eq!((p.expect.status, p.expect.backend.as_ref()), (404, None));
    // A refused TLS connection: verify.sh lists it as simulator-only; expect.yaml checks it.
    let p = find(&input, "tls://unknown.example.com:443");
    assert_eq!(p.scheme, "tls");
    assert_eq!(
        expect_entry(&input, "tls://unknown.example.com:443"),
        serde_json::json!({"connection": "rejected"})
    );
}

/// Scenario 08 without its Certificates: the lab issues the two Secrets from its own CA, and the predictions are
/// made as if they exist (the lab creates them).
#[test]
fn tls_edge_missing_secrets_come_from_the_lab_ca() {
    let text: String = scenario_text("08-tls-edge")
        .split("\n---\n")
        .filter(|d| !d.contains("kind: Certificate\n"))
        .collect::<Vec<_>>()
        .join("\n---\n");
    let a = analysis_of(&text);
    let lines = scenario_requests("08-tls-edge");
    let ex = export(&a, &lines);
    let input = &ex.input;
    assert_eq!(
        input.missing_tls_secrets,
        vec![
            (
                s("default"),
                s("secure-example-com-tls"),
                vec![s("secure.example.com")]
            ),
            (
                s("certs"),
                s("wildcard-apps-tls"),
                vec![s("*.apps.example.com")]
            ),
        ]
    );
    assert!(
        input.uses_cert_manager,
        "Issuers remain, and the lab CA needs cert-manager"
    );
    let p = find(input, "GET https://secure.example.com/account");
    assert_eq!(
        (p.expect.status, p.expect.backend.clone()),
        (200, Some(nn("default", "web")))
    );
    assert!(
        input.expectations_yaml.contains(
            "manifests:\n- manifests/manifests.yaml\n- manifests/generated/certificates.yaml\n"
        ),
        "{}",
        input.expectations_yaml
    );
    let files = bundle(input, &Versions::default());
    let certs = &files
        .iter()
        .find(|f| f.path == "manifests/generated/certificates.yaml")
        .expect("certificates.yaml")
        .contents;
    assert!(
        certs.contains("secretName: \"secure-example-com-tls\"")
            || certs.contains("secretName: secure-example-com-tls"),
        "{certs}"
    );
    assert!(certs.contains("*.apps.example.com"));
    let verify = &files
        .iter()
        .find(|f| f.path == "verify.sh")
        .unwrap()
        .contents;
    assert!(
        verify.contains("--cacert \"$CACERT\""),
        "names the lab CA covers are verified against it"
    );
}

const NO_CLASS: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: lab
  listeners:
    - {name: https, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: any-cert}]}, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /v1}}]
      backendRefs: [{name: web, port: 80, weight: 9}, {name: missing, port: 80}]
    - filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: {set: [{name: x-env, value: lab}], remove: [x-drop]}
        - type: ResponseHeaderModifier
          responseHeaderModifier: {add: [{name: x-resp, value: r}], remove: [x-secret]}
      backendRefs: [{name: web, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec: {containers: [{name: web, image: nginx}]}
"#;

#[test]
fn missing_class_secret_workload_and_filters() {
    let a = analysis_of(NO_CLASS);
    let lines = vec![
        s("GET https://app.example.com:8443/v1/x"),
        s("GET https://app.example.com:8443/ -H 'x-drop: 1' -H 'x-keep: 2'"),
    ];
    let ex = export(&a, &lines);
    let input = &ex.input;
    assert_eq!(input.missing_gateway_classes, vec![s("lab")]);
    // A listener without a hostname: the certificate covers the names the predictions send (the table's
    // catch-all probe included).
    assert_eq!(
        input.missing_tls_secrets,
        vec![(
            s("infra"),
            s("any-cert"),
            vec![s("app.example.com"), s("probe.invalid")]
        )]
    );
    assert_eq!(input.namespaces, vec![s("infra"), s("apps")]);
    assert_eq!(
        input.gateways.len(),
        1,
        "the generated class makes the Gateway the lab's"
    );
    assert_eq!(input.backends.len(), 1);
    assert_eq!(
        input.backends[0].ports,
        vec![(80, TargetPort::Name(s("http")))]
    );
    assert!(
        input.backends[0].has_workload,
        "the Deployment's pod template matches the selector"
    );

    // 90 % web, 10 % answered 500 by the gateway: expect.yaml has it, the lab cannot check one status per case.
    let e = expect_entry(input, "GET https://app.example.com:8443/v1/x");
    assert_eq!(
        e["backends"],
        serde_json::json!({"apps/web:80": 90, "500": 10})
    );
    assert!(!input
        .predictions
        .iter()
        .any(|p| p.request_line == "GET https://app.example.com:8443/v1/x"));
    assert!(
        ex.notes
            .iter()
            .any(|n| n.contains("/v1/x") && n.contains("500")),
        "{:?}",
        ex.notes
    );

    let p = find(
        input,
        "GET https://app.example.com:8443/ -H 'x-drop: 1' -H 'x-keep: 2'",
    );
    assert_eq!(p.port, 8443);
    assert_eq!(p.expect.request_headers, vec![nn("x-env", "lab")]);
    assert_eq!(p.expect.absent_request_headers, vec![s("x-drop")]);
    assert_eq!(p.expect.response_headers, vec![nn("x-resp", "r")]);
    assert_eq!(p.expect.absent_response_headers, vec![s("x-secret")]);
    let e = expect_entry(
        input,
        "GET https://app.example.com:8443/ -H 'x-drop: 1' -H 'x-keep: 2'",
    );
    assert_eq!(e["request_headers"], serde_json::json!({"x-env": "lab"}));
    assert_eq!(
        e["absent_response_headers"],
        serde_json::json!(["x-secret"])
    );
    assert!(input.expectations_yaml.contains(
        "- manifests/generated/gatewayclasses.yaml\n- manifests/generated/certificates.yaml\n"
    ));
}

#[test]
fn merged_gateways_use_the_class_envoy_proxy() {
    let (a, lines) = scenario("16-gateway-merging");
    let input = export_input(&a, &lines);
    let merged: Vec<_> = input.gateways.iter().filter(|g| g.merged).collect();
    assert!(merged.len() >= 2, "{:?}", input.gateways);
    for g in merged {
        assert_eq!(g.envoy_proxy, Some(nn("envoy-gateway-system", "merged")));
    }
}

#[test]
fn deterministic() {
    for name in ["01-minimal-http", "05-canary-90-10", "08-tls-edge"] {
        let (a, lines) = scenario(name);
        let one = export_zip(&a, &lines, &Versions::default());
        let two = export_zip(&a, &lines, &Versions::default());
        assert_eq!(one, two, "{name}: same analysis, same bytes");
        let (b, _) = scenario(name);
        assert_eq!(
            one,
            export_zip(&b, &lines, &Versions::default()),
            "{name}: a fresh analysis, same bytes"
        );
        assert_eq!(export_input(&a, &lines), export_input(&b, &lines));
    }
}

fn write_bundle(files: &[BundleFile], dir: &Path) {
    for f in files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents).unwrap();
    }
}

#[test]
fn generated_scripts_are_shellcheck_clean() {
    let have = Command::new("sh")
        .arg("-c")
        .arg("command -v shellcheck")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        println!("NOTICE: shellcheck is not installed; the scripts of the exported scenarios are not linted");
        return;
    }
    for name in ["01-minimal-http", "05-canary-90-10", "08-tls-edge"] {
        let (a, lines) = scenario(name);
        for versions in [
            Versions::default(),
            Versions::by_name("original-plan").unwrap(),
        ] {
            let files = bundle(&export_input(&a, &lines), &versions);
            let dir = std::env::temp_dir().join(format!(
                "gwlab-export-sc-{}-{name}-{}",
                std::process::id(),
                versions.name
            ));
            let _ = std::fs::remove_dir_all(&dir);
            write_bundle(&files, &dir);
            for f in files.iter().filter(|f| f.path.ends_with(".sh")) {
                assert!(f.executable, "{name}: {}", f.path);
                let out = Command::new("shellcheck")
                    .arg("--severity=style")
                    .arg(dir.join(&f.path))
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{name} {}: {}",
                    f.path,
                    String::from_utf8_lossy(&out.stdout)
                );
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
