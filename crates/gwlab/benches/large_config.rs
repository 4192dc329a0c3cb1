//! Benchmarks on a generated large configuration: 1 Gateway with 20 listeners, 2,000 HTTPRoutes
//! of 5 rules each, 500 Services. Measures load (text → model), resolve, and routing throughput.
//!
//!   cargo bench -p gwlab --bench large_config

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use gwlab::model::{load, LoadOptions};
use gwlab::source::SourceFile;
use gwlab::{Input, Options};

#[path = "support/large_config.rs"]
mod support;
use support::{manifests, requests};

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
    let router = analysis.router();
    let mut g = c.benchmark_group("route");
    g.sample_size(10);
    g.throughput(Throughput::Elements(reqs.len() as u64));
    // The routing decision: listener, rule and the weighted backend distribution, borrowed from
    // the router (no strings built).
    g.bench_function("decide+shares", |b| {
        b.iter(|| {
            for r in &reqs {
                let d = router.decide(black_box(r));
                d.shares().for_each(|s| {
                    black_box(s);
                });
            }
        })
    });
    // The full `Outcome` (owned strings, forwarded path, headers), no trace.
    g.bench_function("route_fast", |b| {
        b.iter(|| {
            for r in &reqs {
                black_box(analysis.route_fast(black_box(r)));
            }
        })
    });
    // With the explanation trace, as the UI and CLI show it.
    g.bench_function("route (trace)", |b| {
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
