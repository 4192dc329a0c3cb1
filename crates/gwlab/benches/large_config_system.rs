//! The `large_config` benchmarks on the platform's allocator (glibc malloc on Linux) instead of
//! the CLI's mimalloc; groups are suffixed `_system`.
//!
//!   cargo bench -p gwlab --bench large_config_system

mod support {
    pub mod criterion_body;
    pub mod large_config;
}

fn bench(c: &mut criterion::Criterion) {
    support::criterion_body::bench(c, "_system");
}

criterion::criterion_group!(benches, bench);
criterion::criterion_main!(benches);
