//! Benchmarks on a generated large configuration: 1 Gateway with 20 listeners, 2,000 HTTPRoutes
//! of 5 rules each, 500 Services. Measures load (text → model), resolve, and routing throughput.
//!
//!   cargo bench -p gwlab --bench large_config

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use gwlab::model::{load, LoadOptions};
use gwlab::source::SourceFile;
use gwlab::{Input, Options, Request};

const LISTENERS: usize = 20;
const ROUTES: usize = 2_000;
const RULES: usize = 5;
const SERVICES: usize = 500;

/// The generated manifests, one YAML stream.
fn manifests() -> String {
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

fn requests() -> Vec<Request> {
    (0..1024)
        .map(|i| {
            let r = (i * 7919) % ROUTES;
            let k = i % RULES;
            let mut req = Request::http("GET", Some(&format!("h{}.example.com", r % LISTENERS)), 80, &format!("/r{r}/k{k}/item"));
            req.headers.push(("x-rule".into(), k.to_string()));
            req
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let text = manifests();
    let inputs = vec![Input::new("large.yaml", text.clone())];
    let opts = Options::default();

    let mut g = c.benchmark_group("large_config");
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| black_box(load(vec![SourceFile::new("large.yaml", text.clone())], &LoadOptions::default())))
    });
    let model = load(vec![SourceFile::new("large.yaml", text.clone())], &LoadOptions::default());
    g.bench_function("resolve", |b| b.iter(|| black_box(gwlab::resolve::resolve(&model, &opts))));
    g.bench_function("analyze", |b| b.iter(|| black_box(gwlab::analyze(&inputs, &opts))));
    g.finish();

    let analysis = gwlab::analyze(&inputs, &opts);
    let reqs = requests();
    let o = analysis.route(&reqs[0]);
    assert_eq!(o.status, 200, "the generated requests must match a rule: {:?}", o.trace.last());
    assert_eq!(o.shares.len(), 2, "90/10 split expected");
    // Warm any lazily built routing tables before measuring.
    for r in &reqs {
        black_box(analysis.route(r));
    }
    let mut g = c.benchmark_group("route");
    g.sample_size(10);
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.bench_function("1024 requests", |b| {
        b.iter(|| {
            for r in &reqs {
                black_box(analysis.route(black_box(r)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
