//! Any bytes as a request line, routed through every scenario's manifests: parse_request → route
//! (with a trace). The scenarios are analysed once, on the first input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn labs() -> &'static [gwlab::Analysis] {
    static LABS: OnceLock<Vec<gwlab::Analysis>> = OnceLock::new();
    LABS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path().join("manifests.yaml")))
            .filter(|p| p.exists())
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "no scenarios under {}", dir.display());
        paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                gwlab::analyze(
                    &[gwlab::Input::new("manifests.yaml", text)],
                    &gwlab::Options::default(),
                )
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let Ok(request) = gwlab::parse_request(&line) else {
        return;
    };
    for lab in labs() {
        std::hint::black_box(lab.route(&request));
    }
});
