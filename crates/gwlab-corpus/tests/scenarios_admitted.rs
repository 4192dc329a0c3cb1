//! Every worked scenario, and every one of its break-it variants, is made of objects the API
//! server accepts: no `api-rejected` error, unless the variant expects a refusal (it lists
//! `api-rejected` in its `diagnostics`: a deliberately invalid object).

use gwlab_corpus::testfile::file_inputs;
use std::path::PathBuf;

fn expects_refusal(expect: &std::path::Path, variant: &str) -> bool {
    // A variant that wants a refusal says so in its own `diagnostics` list.
    let text = std::fs::read_to_string(expect).unwrap_or_default();
    let (docs, _) = gwlab::source::parse_stream(&text);
    let spec = docs.into_iter().next().map(|d| d.value).unwrap_or_default();
    spec["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["name"].as_str() == Some(variant))
        .any(|v| {
            v["diagnostics"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|d| d["code"].as_str() == Some("api-rejected"))
        })
}

#[test]
fn every_scenario_and_variant_is_accepted_by_the_api_server() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path().join("expect.yaml")))
        .filter(|p| p.exists())
        .collect();
    files.sort();
    assert!(
        files.len() >= 16,
        "expected the 16 scenarios, found {}",
        files.len()
    );
    let mut analysed = 0;
    let mut refused = Vec::new();
    for file in &files {
        for (variant, inputs) in
            file_inputs(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        {
            let inputs = inputs.unwrap_or_else(|e| panic!("{} {variant:?}: {e}", file.display()));
            if variant.as_deref().is_some_and(|v| expects_refusal(file, v)) {
                continue;
            }
            analysed += 1;
            let load = gwlab::model::LoadOptions {
                api_server: true,
                ..Default::default()
            };
            let a = gwlab::analyze_with(&inputs, &gwlab::Options::default(), &load);
            for d in a.diagnostics.iter().filter(|d| d.code == "api-rejected") {
                refused.push(format!("{} {variant:?}: {}", file.display(), d.render()));
            }
        }
    }
    assert!(analysed > files.len(), "the variants were not read");
    assert!(
        refused.is_empty(),
        "{} refusals:\n{}",
        refused.len(),
        refused.join("\n")
    );
}
