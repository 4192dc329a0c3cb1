//! A bundle checks at most `MAX_VERIFY_CASES` requests: a 44 KB route of 700 hostnames × 700 path matches
//! (490,000 routing-table rows) exports a bundle of bounded size, with a note saying how many requests were left
//! out. The bounds count bytes and cases, not seconds.

use gwlab::export::{bundle, export, Versions, MAX_VERIFY_CASES};
use gwlab::{analyze, Input, Options};

const SIDE: usize = 700;

/// Bytes one verify case may add to the bundle across verify.sh, the runbook's table and expect.yaml.
const BYTES_PER_CASE: usize = 2_048;
/// Bytes of the bundle that do not grow with the cases (the runbook, the script libraries, the manifests).
const FIXED_BYTES: usize = 256 * 1024;

fn table_of_700_by_700() -> String {
    let mut s = String::from(
        "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: eg
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 3000}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wide}
spec:
  parentRefs: [{name: gw}]
  hostnames:
",
    );
    for h in 0..SIDE {
        s.push_str(&format!("  - h{h}.example.com\n"));
    }
    s.push_str("  rules:\n  - backendRefs: [{name: web, port: 80}]\n    matches:\n");
    for m in 0..SIDE {
        s.push_str(&format!("    - path: {{value: /p{m}}}\n"));
    }
    s
}

#[test]
fn a_huge_routing_table_exports_a_bounded_bundle() {
    let text = table_of_700_by_700();
    assert!(text.len() < 48 * 1024, "{} bytes", text.len());
    let analysis = analyze(&[Input::new("wide.yaml", text)], &Options::default());
    let rows = analysis.routing_table().len();
    assert!(rows >= SIDE * SIDE, "{rows} rows");

    let ex = export(&analysis, &["GET http://h1.example.com/p1".to_string()]);
    let input = &ex.input;
    assert!(input.predictions.len() <= MAX_VERIFY_CASES);
    assert!(
        input.predictions.len() > MAX_VERIFY_CASES - 10,
        "{}",
        input.predictions.len()
    );
    assert_eq!(
        input.predictions[0].request_line, "GET http://h1.example.com/p1",
        "given lines come first"
    );
    let total = input.predictions.len() + input.requests_left_out;
    assert!(
        total > rows - 10,
        "every row's request is counted: {total} of {rows}"
    );

    let files = bundle(input, &Versions::default());
    let bytes: usize = files.iter().map(|f| f.contents.len()).sum();
    println!(
        "{rows} table rows: {} cases verified, {} left out, bundle {bytes} bytes",
        input.predictions.len(),
        input.requests_left_out
    );
    assert!(
        bytes <= MAX_VERIFY_CASES * BYTES_PER_CASE + FIXED_BYTES,
        "{bytes} bytes for {} cases",
        input.predictions.len()
    );
    let get = |path: &str| &files.iter().find(|f| f.path == path).unwrap().contents;
    let verify = get("verify.sh");
    assert_eq!(
        verify.matches("\nrun_case ").count(),
        input.predictions.len()
    );
    let note = format!(
        "verify.sh checks {} of {total} requests",
        input.predictions.len()
    );
    assert!(
        verify.contains(&format!("printf 'NOTE: %s\\n' '{note}")),
        "the note is printed by verify.sh"
    );
    assert!(
        get("README.md").contains(&note),
        "the runbook carries the note"
    );
    assert!(
        ex.notes.iter().any(|n| n.starts_with(&note)),
        "{:?}",
        ex.notes.last()
    );
    let expect_entries = get("expect.yaml").matches("\n- request: ").count()
        + get("expect.yaml").matches("\n  - request: ").count();
    assert!(
        expect_entries <= MAX_VERIFY_CASES,
        "{expect_entries} entries in expect.yaml"
    );
}
