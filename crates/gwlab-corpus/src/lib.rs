//! Fixture runners: the `gwlab test` expectations format, the Gateway API conformance corpus and
//! the Envoy Gateway translator goldens. Each runner loads its fixtures, runs `gwlab::analyze`,
//! judges every check by the corpus' own rules, and returns plain data that the CLI prints and the
//! floor test compares.

pub mod conformance;
pub mod goldens;
pub mod testfile;

use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Failed,
    Skipped,
}

/// Counts of check verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Passed => self.passed += 1,
            Verdict::Failed => self.failed += 1,
            Verdict::Skipped => self.skipped += 1,
        }
    }
    pub fn merge(&mut self, o: &Tally) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.skipped += o.skipped;
    }
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// The repository root: the nearest ancestor of the current directory (or of this crate, at build
/// time) holding a `Cargo.toml` with a `[workspace]`.
pub fn repo_root() -> PathBuf {
    let is_root = |p: &Path| {
        std::fs::read_to_string(p.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]"))
    };
    if let Ok(cwd) = std::env::current_dir() {
        for a in cwd.ancestors() {
            if is_root(a) {
                return a.to_path_buf();
            }
        }
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for a in manifest.ancestors() {
        if is_root(a) {
            return a.to_path_buf();
        }
    }
    PathBuf::from(".")
}

/// `<repo>/../<rel>`; in a linked git worktree whose parent lacks it, the same path beside the
/// main checkout.
fn beside_repo(rel: &str) -> PathBuf {
    let root = repo_root();
    let direct = root.join("..").join(rel);
    if direct.exists() {
        return direct;
    }
    // A linked worktree has a `.git` file: `gitdir: <main>/.git/worktrees/<name>`.
    if let Ok(t) = std::fs::read_to_string(root.join(".git")) {
        if let Some(gitdir) = t.trim().strip_prefix("gitdir:") {
            let gitdir = PathBuf::from(gitdir.trim());
            if let Some(main) = gitdir
                .ancestors()
                .find(|a| a.file_name().is_some_and(|n| n == ".git"))
                .and_then(Path::parent)
            {
                let alt = main.join("..").join(rel);
                if alt.exists() {
                    return alt;
                }
            }
        }
    }
    direct
}

/// The conformance corpus directory: `$GWLAB_CONFORMANCE_DIR`, else `../shared/conformance`
/// relative to the repository root.
pub fn conformance_dir() -> PathBuf {
    match std::env::var_os("GWLAB_CONFORMANCE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => beside_repo("shared/conformance"),
    }
}

/// The goldens directory: `$GWLAB_GOLDENS_DIR`, else `../shared/eg-goldens` relative to the
/// repository root.
pub fn goldens_dir() -> PathBuf {
    match std::env::var_os("GWLAB_GOLDENS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => beside_repo("shared/eg-goldens"),
    }
}

/// Condition types defined by the Gateway API (others are implementation-specific).
pub const GATEWAY_API_CONDITION_TYPES: &[&str] = &[
    "Accepted",
    "ResolvedRefs",
    "Programmed",
    "Conflicted",
    "OverlappingTLSConfig",
    "PartiallyInvalid",
    "InsecureFrontendValidationMode",
    "SupportedVersion",
];

/// How strictly conditions are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CondRule {
    /// Compare `reason` (when the expectation gives one).
    pub reasons: bool,
    /// Require `observedGeneration` = this generation on every matched condition.
    pub generation: Option<i64>,
}

fn s(v: &Value, k: &str) -> Option<String> {
    match v.get(k) {
        Some(Value::String(x)) => Some(x.clone()),
        Some(Value::Bool(b)) => Some(if *b { "True".into() } else { "False".into() }),
        _ => None,
    }
}

/// Checks that every expected `{type, status, reason}` is present in `actual` (a condition list,
/// or null). A null/absent status or reason in the expectation matches anything. Returns a
/// description of the first unmet expectation.
pub fn conditions_hold(
    actual: Option<&Value>,
    expected: &[Value],
    rule: CondRule,
) -> Result<(), String> {
    let empty = Vec::new();
    let list = actual.and_then(Value::as_array).unwrap_or(&empty);
    for e in expected {
        let ty = s(e, "type").unwrap_or_default();
        let want_status = s(e, "status");
        let want_reason = if rule.reasons { s(e, "reason") } else { None };
        let found = list
            .iter()
            .find(|c| s(c, "type").as_deref() == Some(ty.as_str()));
        let Some(c) = found else {
            return Err(format!("no {ty} condition (have: {})", cond_summary(list)));
        };
        let got_status = s(c, "status");
        let got_reason = s(c, "reason");
        if want_status
            .as_ref()
            .is_some_and(|w| Some(w) != got_status.as_ref())
            || want_reason
                .as_ref()
                .is_some_and(|w| Some(w) != got_reason.as_ref())
        {
            return Err(format!(
                "expected {ty}={}{}, got {ty}={} ({})",
                want_status.as_deref().unwrap_or("*"),
                want_reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                got_status.as_deref().unwrap_or("?"),
                got_reason.as_deref().unwrap_or("?")
            ));
        }
        if let Some(g) = rule.generation {
            let og = c.get("observedGeneration").and_then(Value::as_i64);
            if og != Some(g) {
                return Err(format!("{ty} has observedGeneration {og:?}, want {g}"));
            }
        }
    }
    Ok(())
}

/// `Accepted=True (Accepted), ResolvedRefs=False (BackendNotFound)`.
pub fn cond_summary(list: &[Value]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(|c| {
            format!(
                "{}={} ({})",
                s(c, "type").unwrap_or_default(),
                s(c, "status").unwrap_or_default(),
                s(c, "reason").unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Object index over raw documents (JSON values), for the lookups the runners do beside the
/// simulator (listener ports, Service selectors, Deployments).
#[derive(Debug, Clone, Default)]
pub struct RawObjects {
    pub docs: Vec<Value>,
    pub default_namespace: String,
}

impl RawObjects {
    pub fn new(default_namespace: &str) -> Self {
        RawObjects {
            docs: Vec::new(),
            default_namespace: default_namespace.into(),
        }
    }
    /// Parses a YAML/JSON stream and adds every mapping document (flattening `kind: List`).
    pub fn add_text(&mut self, text: &str) {
        let (docs, _) = gwlab::source::parse_stream(text);
        for d in docs {
            self.add(d.value);
        }
    }
    pub fn add(&mut self, v: Value) {
        if v.get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
        {
            if let Some(Value::Array(items)) = v.get("items") {
                for i in items {
                    self.add(i.clone());
                }
                return;
            }
        }
        if v.is_object() {
            self.docs.push(v);
        }
    }
    pub fn namespace_of<'a>(&'a self, v: &'a Value) -> &'a str {
        v.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.default_namespace)
    }
    pub fn find(&self, kind: &str, namespace: &str, name: &str) -> Option<&Value> {
        self.docs.iter().rev().find(|d| {
            kind_matches(d.get("kind").and_then(Value::as_str).unwrap_or(""), kind)
                && d.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
                && self.namespace_of(d) == namespace
        })
    }
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.docs
            .iter()
            .filter(move |d| d.get("kind").and_then(Value::as_str) == Some(kind))
    }
}

/// Kind equality that treats the experimental `XListenerSet` as `ListenerSet`.
pub fn kind_matches(a: &str, b: &str) -> bool {
    let norm = |k: &str| {
        if k == "XListenerSet" {
            "ListenerSet".to_string()
        } else {
            k.to_string()
        }
    };
    norm(a) == norm(b)
}

/// Looks up the computed status of an object.
pub fn find_status<'a>(
    a: &'a gwlab::Analysis,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<&'a gwlab::resolve::ObjectStatus> {
    a.resolved.statuses.iter().find(|s| {
        kind_matches(&s.kind, kind)
            && &*s.name == name
            && (&*s.namespace == namespace || s.namespace.is_empty() && namespace.is_empty())
    })
}

/// The generation of a model object (1 unless the manifest sets one).
pub fn generation_of(a: &gwlab::Analysis, object: usize) -> i64 {
    a.model
        .objects
        .get(object)
        .map(|o| o.generation())
        .unwrap_or(1)
}
