//! A bundle checks at most `MAX_VERIFY_CASES` requests: a small input whose routing table has half a
//! million rows exports a bundle of bounded size, with a note saying how many requests were left
//! out. The input stays within every CRD limit (16 hostnames and 128 matches a route, 64 listeners
//! a Gateway), so the API server accepts it: 4 routes × 16 hostnames × 126 matches on 64
//! listeners. The bounds count bytes and cases, not seconds.

use gwlab::export::{bundle, export, Versions, MAX_VERIFY_CASES};
use gwlab::{analyze, Input, Options};

const LISTENERS: usize = 64;
const ROUTES: usize = 4;
const HOSTNAMES: usize = 16;
/// Two rules of this many matches: 126 in all, under the CRD's 128 a route.
const MATCHES_PER_RULE: usize = 63;
const ROWS: usize = LISTENERS * ROUTES * HOSTNAMES * 2 * MATCHES_PER_RULE;

/// Bytes one verify case may add to the bundle across verify.sh, the runbook's table and expect.yaml.
const BYTES_PER_CASE: usize = 2_048;
/// Bytes of the bundle that do not grow with the cases (the runbook, the script libraries, the manifests).
const FIXED_BYTES: usize = 256 * 1024;

fn half_a_million_rows() -> String {
    let mut s = String::from(
        "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 3000}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: eg
  listeners:
",
    );
    for l in 0..LISTENERS {
        s.push_str(&format!(
            "  - {{name: l{l}, port: {}, protocol: HTTP}}\n",
            8000 + l
        ));
    }
    for r in 0..ROUTES {
        s.push_str(&format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: wide{r}}}\nspec:\n  parentRefs: [{{name: gw}}]\n  hostnames:\n"));
        for h in 0..HOSTNAMES {
            s.push_str(&format!("  - h{r}-{h}.example.com\n"));
        }
        s.push_str("  rules:\n");
        for rule in 0..2 {
            s.push_str("  - backendRefs: [{name: web, port: 80}]\n    matches:\n");
            for m in 0..MATCHES_PER_RULE {
                s.push_str(&format!("    - path: {{value: /p{rule}-{m}}}\n"));
            }
        }
    }
    s
}

#[test]
fn a_huge_routing_table_exports_a_bounded_bundle() {
    let text = half_a_million_rows();
    assert!(text.len() < 48 * 1024, "{} bytes", text.len());
    let analysis = analyze(&[Input::new("wide.yaml", text)], &Options::default());
    assert!(
        !analysis
            .diagnostics
            .iter()
            .any(|d| d.code == "api-rejected"),
        "the API server accepts the input"
    );
    let rows = analysis.routing_table().len();
    assert!(rows >= ROWS, "{rows} rows");

    let ex = export(
        &analysis,
        &["GET http://h1-1.example.com:8001/p1-1".to_string()],
    );
    let input = &ex.input;
    assert!(input.predictions.len() <= MAX_VERIFY_CASES);
    assert!(
        input.predictions.len() > MAX_VERIFY_CASES - 10,
        "{}",
        input.predictions.len()
    );
    assert_eq!(
        input.predictions[0].request_line, "GET http://h1-1.example.com:8001/p1-1",
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
