//! The large-configuration criterion benchmarks, shared by the two bench targets: `large_config`
//! (mimalloc, the allocator the `gwlab` CLI ships with) and `large_config_system` (the platform's
//! allocator, glibc malloc on Linux).

use super::large_config::{manifests, requests};
use criterion::{black_box, Criterion, Throughput};
use gwlab::model::{load, LoadOptions};
use gwlab::source::SourceFile;
use gwlab::{Input, Options};

/// Every large-configuration benchmark; `suffix` keeps the two allocators' results apart.
pub fn bench(c: &mut Criterion, suffix: &str) {
    let text = manifests();
    let inputs = vec![Input::new("large.yaml", text.clone())];
    let opts = Options::default();

    let mut g = c.benchmark_group(format!("large_config{suffix}"));
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| {
            black_box(load(
                vec![SourceFile::new("large.yaml", text.clone())],
                &LoadOptions::default(),
            ))
        })
    });
    let model = load(
        vec![SourceFile::new("large.yaml", text.clone())],
        &LoadOptions::default(),
    );
    g.bench_function("resolve", |b| {
        b.iter(|| black_box(gwlab::resolve::resolve(&model, &opts)))
    });
    g.bench_function("analyze", |b| {
        b.iter(|| black_box(gwlab::analyze(&inputs, &opts)))
    });
    g.finish();

    let analysis = gwlab::analyze(&inputs, &opts);
    let reqs = requests();
    let o = analysis.route(&reqs[0]);
    assert_eq!(
        o.status,
        200,
        "the generated requests must match a rule: {:?}",
        o.trace.last()
    );
    assert_eq!(o.shares.len(), 2, "90/10 split expected");
    // Warm any lazily built routing tables before measuring.
    for r in &reqs {
        black_box(analysis.route(r));
    }
    let router = analysis.router();
    let mut g = c.benchmark_group(format!("route{suffix}"));
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
