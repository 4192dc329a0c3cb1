//! What the build compiles in: the `scenarios/` folders and the repository URL.
pub struct Scenario {
    pub slug: &'static str,
    pub title: &'static str,
    pub manifests: &'static str,
    pub requests: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// What the editor shows when the build has no scenarios at all.
pub const FALLBACK: &str =
    "# Paste Gateway API manifests here (several documents separated by ---).\n";

pub fn find(slug: &str) -> Option<&'static Scenario> {
    SCENARIOS
        .iter()
        .find(|s| s.slug == slug || s.slug.split('-').next() == Some(slug))
}

pub fn default_scenario() -> Option<&'static Scenario> {
    SCENARIOS
        .iter()
        .find(|s| s.slug.starts_with("01-"))
        .or(SCENARIOS.first())
}

/// A link to a repository file (`docs/diagnostics.md#code`) on the forge, when the build knows the repository.
pub fn repo_link(path: &str) -> Option<String> {
    if REPO_URL.is_empty() {
        None
    } else {
        Some(format!(
            "{}/blob/main/{}",
            REPO_URL.trim_end_matches('/'),
            path
        ))
    }
}
