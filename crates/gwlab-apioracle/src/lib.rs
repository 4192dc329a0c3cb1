//! gwlab's offline API-server validation checked against the API server's own validators: a Go
//! program (`oracle/apivalidate`) built on `k8s.io/apiextensions-apiserver` validates the same
//! objects, and the two must agree on accept/refuse, on every message and on the defaulted body.
//! The objects are the Gateway API examples, the scenarios, and generated violations of every
//! schema constraint and CEL rule in the compiled CRD tables. See `docs/api-validation.md`.

pub mod cases;
pub mod compare;
pub mod mutate;
pub mod oracle;
pub mod reads;
pub mod schema;
pub mod synth;
pub mod written;

/// The known-failures list: `case id<TAB>reason` lines, `#` comments.
pub fn parse_known_failures(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('\t') {
            Some((id, why)) => (id.trim().to_string(), why.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}
