//! The real objects: Gateway API's own examples (read from the module cache at run time) and the
//! project's scenarios. Each custom resource among them is a case both validators must accept,
//! and a base the mutations start from.

use crate::mutate::Case;
use crate::schema::Served;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Every `*.yaml` below `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The custom resources in one YAML file that a table serves, as cases that must be accepted.
/// Documents of other kinds (built-in kinds, unknown groups) are counted in `skipped`.
pub fn file_cases(
    label: &str,
    path: &Path,
    served: &[Served],
    skipped: &mut usize,
) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (docs, errors) = gwlab::source::parse_stream(&text);
    if let Some((d, _)) = errors.first() {
        return Err(format!("{}: {}", path.display(), d.message));
    }
    let mut out = Vec::new();
    for (n, doc) in docs.into_iter().enumerate() {
        let api_version = doc
            .value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = doc.value.get("kind").and_then(Value::as_str).unwrap_or("");
        let Some(s) = served
            .iter()
            .find(|s| s.api_version == api_version && s.kind == kind)
        else {
            *skipped += 1;
            continue;
        };
        out.push(Case {
            id: format!("{label}#{n}"),
            served: s.clone(),
            object: doc.value,
            targets: Vec::new(),
            must_accept: true,
        });
    }
    Ok(out)
}
