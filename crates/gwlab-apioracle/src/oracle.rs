//! Running the Go oracle (`oracle/apivalidate`, built by `scripts/apivalidate-install.sh`): every
//! case goes through one process, as JSON lines on its stdin.

use crate::mutate::Case;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// The oracle's verdict on one case.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// Whether a CRD served the object's group, version and kind.
    pub known: bool,
    pub accepted: bool,
    /// `field: detail` lines, as the API server's field errors print.
    pub errors: Vec<String>,
    /// The object after pruning and defaulting (absent when decoding failed).
    pub defaulted: Option<Value>,
}

/// Validates every case with the oracle at `bin` against the CRDs in `crd_paths`.
pub fn run(
    bin: &Path,
    crd_paths: &[&Path],
    cases: &[Case],
) -> Result<HashMap<String, Verdict>, String> {
    let mut child = Command::new(bin)
        .args(crd_paths)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let mut stdin = child.stdin.take().ok_or("oracle stdin")?;
    let lines: Vec<String> = cases
        .iter()
        .map(|c| json!({"id": c.id, "object": c.object, "defaultNamespace": "default"}).to_string())
        .collect();
    // Written from a thread so that a full stdout pipe never blocks the writer.
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        for line in lines {
            stdin.write_all(line.as_bytes())?;
            stdin.write_all(b"\n")?;
        }
        Ok(())
    });
    let stdout = child.stdout.take().ok_or("oracle stdout")?;
    let mut out = HashMap::new();
    let mut broken = None;
    for line in BufReader::new(stdout).lines() {
        let parsed = line
            .map_err(|e| e.to_string())
            .and_then(|l| serde_json::from_str::<Value>(&l).map_err(|e| e.to_string()));
        let v = match parsed {
            Ok(v) => v,
            Err(e) => {
                broken = Some(e);
                break;
            }
        };
        let id = v["id"].as_str().unwrap_or("").to_string();
        let errors = v["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        out.insert(
            id,
            Verdict {
                known: v["known"].as_bool().unwrap_or(false),
                accepted: v["accepted"].as_bool().unwrap_or(false),
                errors,
                defaulted: v.get("defaulted").cloned(),
            },
        );
    }
    let _ = writer.join();
    let result = child
        .wait_with_output()
        .map_err(|e| format!("oracle: {e}"))?;
    if let Some(e) = broken {
        let err = String::from_utf8_lossy(&result.stderr);
        let tail: Vec<&str> = err.lines().take(12).collect();
        return Err(format!(
            "oracle output: {e}; its errors: {}",
            tail.join("\n")
        ));
    }
    if !result.status.success() {
        let err = String::from_utf8_lossy(&result.stderr);
        return Err(format!("oracle failed: {}", err.trim()));
    }
    if out.len() != cases.len() {
        return Err(format!(
            "oracle answered {} of {} cases",
            out.len(),
            cases.len()
        ));
    }
    Ok(out)
}
