//! CPU-time figures for `check` on N routes on one listener (see `benches/check_scaling.rs`):
//! the CPU time of this thread, fastest of 5 rounds, at 3,750 / 7,500 / 15,000 / 30,000 routes,
//! and the ratio of each doubling. Run it in release:
//!
//!   cargo test --release -p gwlab --test check_scaling_cpu -- --ignored --nocapture

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/support"]
mod support {
    pub mod many_routes;
    pub mod probe;
}

use gwlab::{Input, Options};

#[test]
#[ignore]
fn check_scaling_cpu() {
    let mut previous: Option<f64> = None;
    for routes in [3_750, 7_500, 15_000, 30_000] {
        let inputs = vec![Input::new(
            "routes.yaml",
            support::many_routes::manifests(routes),
        )];
        let secs = support::probe::per_call(5, || {
            let a = gwlab::analyze(&inputs, &Options::default());
            let bytes: usize = a.diagnostics.iter().map(|d| d.render().len()).sum();
            std::hint::black_box(bytes);
        });
        let ratio = previous
            .map(|p| format!("  ×{:.2}", secs / p))
            .unwrap_or_default();
        println!("{routes:>6} routes: {:>8.1} ms{ratio}", secs * 1e3);
        previous = Some(secs);
    }
}
