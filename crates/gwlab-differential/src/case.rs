//! Regression cases: a shrunk configuration with the oracle's recorded answer, replayed without
//! the oracle. A case gwlab gets wrong today is a known failure, listed in `known-failures.txt`
//! beside the cases, so that the list can only shrink.

use crate::compare::{compare, Disagreement, Recorded};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Case {
    /// The file stem.
    pub name: String,
    /// The generator seed the configuration was shrunk from.
    pub seed: u64,
    /// The disagreement it was shrunk for, as first seen.
    pub found: String,
    pub manifests: Vec<Value>,
    /// What egctl v1.9.0 answered for the shrunk configuration.
    pub oracle: Recorded,
}

/// The regression cases folder: `<repo>/tests/differential`.
pub fn cases_dir(repo: &Path) -> PathBuf {
    repo.join("tests/differential")
}

pub fn write(dir: &Path, case: &Case) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.json", case.name));
    let text = serde_json::to_string_pretty(case).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Every case in `dir`, sorted by name; unreadable files are errors, not skipped.
pub fn load_all(dir: &Path) -> Result<Vec<Case>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))
        })
        .collect()
}

/// The known failures: case names, one a line (`#` starts a comment).
pub fn known_failures(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("known-failures.txt"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A replayed case: its name and gwlab's disagreements with the recorded answer.
pub struct Replay {
    pub name: String,
    pub disagreements: Vec<Disagreement>,
}

pub fn replay(case: &Case) -> Replay {
    Replay {
        name: case.name.clone(),
        disagreements: compare(&case.manifests, &case.oracle).disagreements,
    }
}
