//! The CPU-time probe of `large_config_cpu.rs` with mimalloc as the global allocator, as the
//! `gwlab` CLI is built:
//!
//!   cargo test --release -p gwlab --test large_config_cpu_mimalloc -- --ignored --nocapture

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/support"]
mod support {
    pub mod large_config;
    pub mod probe;
}

#[test]
#[ignore]
fn large_config_cpu_mimalloc() {
    support::probe::run("mimalloc (as the gwlab CLI)");
}
