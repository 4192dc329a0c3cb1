//! Any bytes as a manifest file: decode → analyze → routing table → lab bundle. Nothing may
//! panic, hang or amplify; every problem must be a diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, _) = gwlab::source::decode_bytes("in.yaml", data);
    let analysis = gwlab::analyze(
        &[gwlab::Input::new("in.yaml", text)],
        &gwlab::Options::default(),
    );
    let rows = analysis.routing_table();
    // The bundle is built for every input, as the web app's export button would.
    let versions = gwlab::export::Versions::default();
    let input = gwlab::export::export_input(&analysis, &[]);
    let files = gwlab::export::bundle(&input, &versions);
    std::hint::black_box((rows.len(), files.len()));
});
