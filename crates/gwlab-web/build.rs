//! Compiles the repository's `scenarios/*/` folders into the app (`docs/diagnostics.md`, the Learn
//! text, is copied next to it by scripts/build-web.sh and fetched after the first paint).
//! A new scenario folder appears in the picker on the next build, with no code change.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.join("../..");
    let scen_dir = root.join("scenarios");
    println!("cargo:rerun-if-changed={}", scen_dir.display());
    println!("cargo:rerun-if-env-changed=GWLAB_REPO_URL");

    let mut dirs: Vec<PathBuf> = fs::read_dir(&scen_dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.join("manifests.yaml").is_file());
    dirs.sort();

    let mut out = String::from("pub static SCENARIOS: &[Scenario] = &[\n");
    for dir in &dirs {
        let slug = dir.file_name().unwrap().to_string_lossy().into_owned();
        let title = fs::read_to_string(dir.join("README.md"))
            .ok()
            .and_then(|r| {
                r.lines()
                    .find(|l| l.starts_with("# "))
                    .map(|l| l[2..].trim().to_string())
            })
            .unwrap_or_else(|| title_from_slug(&slug));
        let requests = fs::read_to_string(dir.join("expect.yaml"))
            .map(|e| request_lines(&e))
            .unwrap_or_default();
        let manifests = canonical(&dir.join("manifests.yaml"));
        writeln!(
            out,
            "    Scenario {{ slug: {slug:?}, title: {title:?}, manifests: include_str!({manifests:?}), requests: &{requests:?} }},"
        )
        .unwrap();
    }
    out.push_str("];\n");
    let repo = env::var("GWLAB_REPO_URL").unwrap_or_default();
    writeln!(out, "pub static REPO_URL: &str = {repo:?};").unwrap();
    fs::write(
        PathBuf::from(env::var("OUT_DIR").unwrap()).join("builtin.rs"),
        out,
    )
    .unwrap();
}

fn canonical(p: &Path) -> String {
    fs::canonicalize(p).unwrap().to_string_lossy().into_owned()
}

fn title_from_slug(slug: &str) -> String {
    let rest = slug.split_once('-').map(|(_, r)| r).unwrap_or(slug);
    let mut t = rest.replace('-', " ");
    if let Some(f) = t.get(0..1) {
        t.replace_range(0..1, &f.to_uppercase());
    }
    t
}

/// The `request:` lines of the top-level `requests:` list (not those of the variants), unquoted.
fn request_lines(expect: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in expect.lines() {
        if line.starts_with("variants:") {
            break;
        }
        let t = line.trim_start().trim_start_matches("- ").trim_start();
        if let Some(v) = t.strip_prefix("request:") {
            let v = unquote(strip_comment(v.trim()));
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

fn strip_comment(v: &str) -> &str {
    if v.starts_with('"') || v.starts_with('\'') {
        return v;
    }
    v.split(" #").next().unwrap_or(v).trim()
}

fn unquote(v: &str) -> String {
    if let Some(inner) = v.strip_prefix('"') {
        let end = inner.rfind('"').unwrap_or(inner.len());
        inner[..end].replace("\\\"", "\"").replace("\\\\", "\\")
    } else if let Some(inner) = v.strip_prefix('\'') {
        let end = inner.rfind('\'').unwrap_or(inner.len());
        inner[..end].replace("''", "'")
    } else {
        v.to_string()
    }
}
