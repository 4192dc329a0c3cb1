//! CPU-time figures for `check` on N routes on one listener (see `benches/check_scaling.rs`):
//! the CPU time of this thread, fastest of 5 rounds, at 3,750 / 7,500 / 15,000 / 30,000 routes,
//! and the ratio of each doubling. Run it in release:
//!
//!   cargo test --release -p gwlab --test check_scaling_cpu -- --ignored --nocapture

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/support/many_routes.rs"]
mod many_routes;

use gwlab::{Input, Options};

/// CPU seconds of this thread (`/proc/thread-self/schedstat`); 0 where it is unavailable.
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    stat.split_whitespace()
        .next()
        .and_then(|x| x.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1e9
}

/// CPU seconds of one call of `f`, the fastest of `rounds`: other work on the machine only ever
/// slows a round down.
fn fastest(rounds: usize, mut f: impl FnMut()) -> f64 {
    (0..rounds)
        .map(|_| {
            let t = cpu();
            f();
            cpu() - t
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
#[ignore]
fn check_scaling_cpu() {
    let mut previous: Option<f64> = None;
    for routes in [3_750, 7_500, 15_000, 30_000] {
        let inputs = vec![Input::new("routes.yaml", many_routes::manifests(routes))];
        let secs = fastest(5, || {
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
