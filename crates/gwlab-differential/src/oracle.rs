//! Running the oracle: Envoy Gateway's `egctl x translate`, pinned at v1.9.0 (installed by
//! `scripts/oracle-install.sh` into `.tools/bin`). See `docs/differential.md` for its input
//! conventions.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The egctl binary: `$GWLAB_EGCTL`, else `<repo>/.tools/bin/egctl`.
pub fn egctl_path(repo: &Path) -> PathBuf {
    match std::env::var_os("GWLAB_EGCTL") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo.join(".tools/bin/egctl"),
    }
}

/// The oracle's answer for one configuration: the status it writes and the Envoy configuration
/// of each proxy (keyed `namespace/gateway`).
#[derive(Debug, Clone)]
pub struct OracleOutput {
    /// The `--to gateway-api` resources with their status.
    pub resources: Value,
    /// The `--to xds` config dumps by proxy.
    pub xds: serde_json::Map<String, Value>,
}

/// Translates `yaml` with egctl; `work` is a scratch directory for the input file.
pub fn translate(egctl: &Path, yaml: &str, work: &Path, tag: &str) -> Result<OracleOutput, String> {
    let file = work.join(format!("{tag}.yaml"));
    std::fs::write(&file, yaml).map_err(|e| format!("{}: {e}", file.display()))?;
    let out = Command::new(egctl)
        .args([
            "x",
            "translate",
            "--from",
            "gateway-api",
            "--to",
            "gateway-api,xds",
            "-o",
            "json",
            "-f",
        ])
        .arg(&file)
        .output()
        .map_err(|e| format!("{}: {e}", egctl.display()))?;
    let _ = std::fs::remove_file(&file);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "egctl failed: {}",
            err.lines().last().unwrap_or("").trim()
        ));
    }
    let mut v: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("egctl output: {e}"))?;
    let xds = match v.as_object_mut().and_then(|m| m.remove("xds")) {
        Some(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    Ok(OracleOutput { resources: v, xds })
}
