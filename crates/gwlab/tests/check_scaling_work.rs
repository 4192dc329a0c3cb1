//! A wall-clock-free guard against quadratic `check`: the work of analysing N routes on one
//! listener with a missing Service, counted as heap allocations and bytes allocated (a counting
//! allocator wraps the system one in this test binary), must grow by at most 2.3× when N doubles,
//! and every route's diagnostic must be located. Timing figures: `benches/check_scaling.rs`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

#[path = "../benches/support/many_routes.rs"]
mod many_routes;

struct Counting;
static CALLS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size, Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, bytes allocated, diagnostics) for analysing `routes` routes and rendering every
/// diagnostic's header. The text is built before counting starts.
fn work(routes: usize) -> (usize, usize, usize) {
    let inputs = vec![gwlab::Input::new(
        "routes.yaml",
        many_routes::manifests(routes),
    )];
    let (c0, b0) = (CALLS.load(Relaxed), BYTES.load(Relaxed));
    let a = gwlab::analyze(&inputs, &gwlab::Options::default());
    let rendered: usize = a.diagnostics.iter().map(|d| d.render().len()).sum();
    std::hint::black_box(rendered);
    let located = a
        .diagnostics
        .iter()
        .filter(|d| d.code == "backend-not-found" && d.location.is_some())
        .count();
    assert_eq!(located, routes, "one located backend-not-found per route");
    (
        CALLS.load(Relaxed) - c0,
        BYTES.load(Relaxed) - b0,
        a.diagnostics.len(),
    )
}

#[test]
fn doubling_the_routes_at_most_doubles_the_work() {
    // The one test of this binary, so no other test allocates while it counts.
    let small = work(2_000);
    let large = work(4_000);
    let calls = large.0 as f64 / small.0 as f64;
    let bytes = large.1 as f64 / small.1 as f64;
    println!(
        "2,000 → 4,000 routes: allocations ×{calls:.2} ({} → {}), bytes ×{bytes:.2} ({} → {})",
        small.0, large.0, small.1, large.1
    );
    assert!(
        calls <= 2.3,
        "allocations grew ×{calls:.2} when the routes doubled"
    );
    assert!(
        bytes <= 2.3,
        "bytes allocated grew ×{bytes:.2} when the routes doubled"
    );
    assert!(large.2 >= 4_000 && small.2 >= 2_000);
}
