//! `gwlab check`'s core at 3,750 / 7,500 / 15,000 / 30,000 HTTPRoutes on one listener, each
//! sending to a missing Service (one located error per route): analysis plus rendering every
//! diagnostic's `file:line:col` header. Each doubling of the routes must cost at most 2.3× the
//! one before (docs/benchmarks.md, "Linear check").
//!
//!   cargo bench -p gwlab --bench check_scaling
//!
//! On a busy machine prefer the CPU-time figures of
//! `cargo test --release -p gwlab --test check_scaling_cpu -- --ignored --nocapture`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support {
    pub mod many_routes;
}

use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use gwlab::{Input, Options};

/// What `gwlab check` does with the text, minus printing.
pub fn check(inputs: &[Input]) -> usize {
    let a = gwlab::analyze(inputs, &Options::default());
    a.diagnostics.iter().map(|d| d.render().len()).sum()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("check_scaling");
    g.sample_size(10);
    for routes in [3_750, 7_500, 15_000, 30_000] {
        let inputs = vec![Input::new(
            "routes.yaml",
            support::many_routes::manifests(routes),
        )];
        g.throughput(Throughput::Elements(routes as u64));
        g.bench_with_input(BenchmarkId::from_parameter(routes), &inputs, |b, inputs| {
            b.iter(|| black_box(check(inputs)))
        });
    }
    g.finish();
}

criterion::criterion_group!(benches, bench);
criterion::criterion_main!(benches);
