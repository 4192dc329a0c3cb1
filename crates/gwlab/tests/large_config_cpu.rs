//! CPU-time probe on the benchmark's generated large configuration. Criterion measures wall-clock
//! time, which a busy machine inflates; this probe reads the CPU time of its own thread
//! (`/proc/thread-self/schedstat`) instead, and prints milliseconds per call and requests/s per
//! core. Run it in release:
//!
//!   cargo test --release -p gwlab --test large_config_cpu -- --ignored --nocapture
//!
//! Each figure is the fastest of 5 rounds. `GWLAB_PROBE_ITERS=1` runs each stage once (for `valgrind --tool=callgrind` instruction counts).
//!
//! This binary uses the platform's allocator (glibc malloc on Linux); `large_config_cpu_mimalloc`
//! runs the same probe with mimalloc, the allocator the `gwlab` CLI ships with.

#[path = "../benches/support"]
mod support {
    pub mod large_config;
    pub mod probe;
}

#[test]
#[ignore]
fn large_config_cpu() {
    support::probe::run("the platform's (glibc malloc on Linux)");
}
