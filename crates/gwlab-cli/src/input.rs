//! Reading manifests from files, directories and standard input.

use gwlab::{Diagnostic, Input};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Inputs in order, plus decoding problems (invalid UTF-8) as located diagnostics.
pub struct Loaded {
    pub inputs: Vec<Input>,
    pub diagnostics: Vec<Diagnostic>,
}

fn is_manifest(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

/// Expands directories (their *.yaml, *.yml and *.json files, sorted; not recursive) and reads
/// every file. An unreadable path is an error (exit code 2).
pub fn read_paths(paths: &[PathBuf]) -> Result<Loaded, String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            files.push(p.clone());
        } else if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && is_manifest(f))
                .collect();
            entries.sort();
            if entries.is_empty() {
                return Err(format!("{}: no *.yaml, *.yml or *.json files in this directory", p.display()));
            }
            files.extend(entries);
        } else {
            files.push(p.clone());
        }
    }
    let mut loaded = Loaded { inputs: Vec::new(), diagnostics: Vec::new() };
    for f in files {
        let (name, bytes) = if f.as_os_str() == "-" {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b).map_err(|e| format!("<stdin>: {e}"))?;
            ("<stdin>".to_string(), b)
        } else {
            let b = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            (f.display().to_string(), b)
        };
        let (text, bad) = gwlab::source::decode_bytes(&name, &bytes);
        if let Some(mut d) = bad {
            if let Some(l) = d.location.as_mut() {
                l.file = loaded.inputs.len();
            }
            loaded.diagnostics.push(d);
        }
        loaded.inputs.push(Input::new(name, text));
    }
    Ok(loaded)
}
