//! Reading manifests from files, directories and standard input.
//!
//! Only manifests are loaded. A scenario or lab-bundle directory also holds gwlab's own files (the
//! `gwlab test` expectations file, the kind cluster configuration of an exported bundle); loading
//! them as Kubernetes objects would report `missing apiVersion` on a configuration that is fine,
//! so they are recognised by their content and skipped.

use gwlab::{Diagnostic, Input};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Inputs in order, plus decoding problems (invalid UTF-8) as located diagnostics, plus the files
/// that were left out because they are not manifests.
pub struct Loaded {
    pub inputs: Vec<Input>,
    pub diagnostics: Vec<Diagnostic>,
    pub skipped: Vec<Skipped>,
}

/// A file that was read but not loaded, and why.
pub struct Skipped {
    pub file: String,
    pub what: NotManifest,
    /// Named on the command line (rather than found in a directory).
    pub named: bool,
}

/// The kinds of gwlab file that sit beside manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotManifest {
    /// The `gwlab test` format: a mapping with `manifests` or `requests` and no `apiVersion`/`kind`.
    Expectations,
    /// A kind cluster configuration (`apiVersion: kind.x-k8s.io/…`), as `gwlab export` writes.
    KindConfig,
}

impl NotManifest {
    pub fn describe(self) -> &'static str {
        match self {
            NotManifest::Expectations => {
                "a `gwlab test` expectations file (run it with `gwlab test`)"
            }
            NotManifest::KindConfig => "a kind cluster configuration, not a Kubernetes manifest",
        }
    }
}

fn has_manifest_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

/// What a file is, judged by its content. Every document must look like the gwlab file for the
/// file to be skipped: one real manifest among them keeps the file, so nothing a user wrote is
/// dropped. Texts that cannot be either are not parsed here (a cheap substring test first), so a
/// large manifest is parsed once, by the analysis.
pub fn classify(text: &str) -> Option<NotManifest> {
    let may_be_expectations = text.contains("manifests") || text.contains("requests");
    let may_be_kind_config = text.contains("kind.x-k8s.io");
    if !may_be_expectations && !may_be_kind_config {
        return None;
    }
    let (docs, diags) = gwlab::source::parse_stream(text);
    if docs.is_empty()
        || diags
            .iter()
            .any(|(d, _)| d.severity == gwlab::Severity::Error)
    {
        return None;
    }
    let kinds: Vec<Option<NotManifest>> =
        docs.iter().map(|d| classify_document(&d.value)).collect();
    let first = kinds[0]?;
    kinds.iter().all(|k| *k == Some(first)).then_some(first)
}

fn classify_document(doc: &Value) -> Option<NotManifest> {
    let map = doc.as_object()?;
    match map.get("apiVersion") {
        Some(Value::String(v)) if v.starts_with("kind.x-k8s.io/") => Some(NotManifest::KindConfig),
        Some(_) => None,
        None if map.contains_key("kind") => None,
        None => (map.contains_key("manifests") || map.contains_key("requests"))
            .then_some(NotManifest::Expectations),
    }
}

/// A path to read, and whether the user named it (rather than a directory holding it).
struct Candidate {
    path: PathBuf,
    named: bool,
}

/// Expands directories: their *.yaml, *.yml and *.json files, sorted, not recursive.
fn expand(paths: &[PathBuf]) -> Result<Vec<Candidate>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.as_os_str() != "-" && p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && has_manifest_extension(f))
                .collect();
            entries.sort();
            if entries.is_empty() {
                return Err(format!(
                    "{}: no *.yaml, *.yml or *.json files in this directory",
                    p.display()
                ));
            }
            files.extend(
                entries
                    .into_iter()
                    .map(|path| Candidate { path, named: false }),
            );
        } else {
            files.push(Candidate {
                path: p.clone(),
                named: true,
            });
        }
    }
    Ok(files)
}

fn read_bytes(path: &Path) -> Result<(String, Vec<u8>), String> {
    if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| format!("<stdin>: {e}"))?;
        Ok(("<stdin>".to_string(), b))
    } else {
        let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((path.display().to_string(), b))
    }
}

/// Reads every manifest among `paths` (files, directories, `-`). An unreadable path, or a set of
/// paths that holds no manifest at all, is an error (exit code 2).
pub fn read_paths(paths: &[PathBuf]) -> Result<Loaded, String> {
    let mut loaded = Loaded {
        inputs: Vec::new(),
        diagnostics: Vec::new(),
        skipped: Vec::new(),
    };
    for c in expand(paths)? {
        let (name, bytes) = read_bytes(&c.path)?;
        let (text, bad) = gwlab::source::decode_bytes(&name, &bytes);
        if bad.is_none() {
            if let Some(what) = classify(&text) {
                loaded.skipped.push(Skipped {
                    file: name,
                    what,
                    named: c.named,
                });
                continue;
            }
        }
        if let Some(mut d) = bad {
            if let Some(l) = d.location.as_mut() {
                l.file = loaded.inputs.len();
            }
            loaded.diagnostics.push(d);
        }
        loaded.inputs.push(Input::new(name, text));
    }
    if loaded.inputs.is_empty() {
        let mut why = String::from("no manifests to load");
        for s in &loaded.skipped {
            why.push_str(&format!("\n  skipped {}: {}", s.file, s.what.describe()));
        }
        return Err(why);
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expectations_file_is_recognised_by_its_content() {
        let text =
            "# comment\nmanifests: [manifests.yaml]\nrequests:\n  - request: GET http://a/\n";
        assert_eq!(classify(text), Some(NotManifest::Expectations));
        assert_eq!(classify("requests: []\n"), Some(NotManifest::Expectations));
        assert_eq!(
            classify("{\"manifests\": [\"m.yaml\"]}"),
            Some(NotManifest::Expectations)
        );
    }

    #[test]
    fn a_kind_cluster_configuration_is_recognised() {
        let text =
            "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n";
        assert_eq!(classify(text), Some(NotManifest::KindConfig));
    }

    #[test]
    fn manifests_are_kept_even_when_they_mention_requests() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - resources: {requests: {cpu: 1}}\n";
        assert_eq!(classify(deployment), None);
        // A kind-less document is a broken manifest the analysis should report, not a gwlab file.
        assert_eq!(
            classify("metadata: {name: web}\nspec: {requests: 1}\n"),
            None
        );
        assert_eq!(
            classify("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"),
            None
        );
    }

    #[test]
    fn a_stream_mixing_a_manifest_with_an_expectations_document_is_kept() {
        let text =
            "manifests: [a.yaml]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n";
        assert_eq!(classify(text), None);
    }

    #[test]
    fn unparsable_text_is_left_to_the_analysis() {
        assert_eq!(classify("manifests: [unclosed\n"), None);
    }
}
