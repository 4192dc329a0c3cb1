//! Benchmarks on a generated large configuration: 1 Gateway with 20 listeners, 2,000 HTTPRoutes
//! of 5 rules each, 500 Services. Measures load (text → model), resolve, and routing throughput.
//!
//!   cargo bench -p gwlab --bench large_config
//!
//! Built with mimalloc as the global allocator, as the `gwlab` CLI is, so the figures are the
//! CLI's. `--bench large_config_system` runs the same benchmarks on the platform's allocator.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support {
    pub mod criterion_body;
    pub mod large_config;
}

fn bench(c: &mut criterion::Criterion) {
    support::criterion_body::bench(c, "");
}

criterion::criterion_group!(benches, bench);
criterion::criterion_main!(benches);
