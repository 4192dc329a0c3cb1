//! Names the commit the CLI is built from, for `gwlab --version`.
//!
//! `git rev-parse --short HEAD` when the sources are a git checkout and git is installed; otherwise
//! (a source tarball, a packaged build) the commit is `unknown`. The build never fails over it.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Re-run when HEAD moves: HEAD itself (a branch switch), the branch it points at (a commit) and
/// the packed refs (a branch that was packed).
fn watch_head() {
    let mut watched = vec![
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--git-path", "packed-refs"]),
    ];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch]));
    }
    for path in watched.into_iter().flatten() {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    watch_head();
    println!("cargo:rustc-env=GWLAB_COMMIT={commit}");
}
