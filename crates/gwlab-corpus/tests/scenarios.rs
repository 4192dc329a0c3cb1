//! Runs every `scenarios/*/expect.yaml` and fails on any failing check.
//!
//! Two escape hatches, both explicit:
//! * A scenario whose manifests hold a kind the simulator does not yet write status for (an Envoy
//!   Gateway policy that `gwlab::analyze` leaves without a status) is skipped as a whole, with
//!   the reason printed. Once the kind is implemented, the scenario runs.
//! * [`KNOWN_FAILURES`] lists single checks that are expected to fail, each with its reason. A
//!   listed check that passes fails this test too, so the list only shrinks: delete the entry.

use gwlab_corpus::testfile::{run_file, Check};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// (scenario directory, check as `gwlab test` prints it: `[variant] name`, why it fails).
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

const POLICY_KINDS: [&str; 4] = [
    "SecurityPolicy",
    "BackendTrafficPolicy",
    "ClientTrafficPolicy",
    "EnvoyExtensionPolicy",
];

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn label(c: &Check) -> String {
    match &c.variant {
        Some(v) => format!("[{v}] {}", c.name),
        None => c.name.clone(),
    }
}

/// The policy objects of a scenario that the simulator gives no status: their kind is not
/// implemented yet.
fn unimplemented_kinds(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("manifests.yaml")).unwrap_or_default();
    let a = gwlab::analyze(
        &[gwlab::Input::new("manifests.yaml", text.clone())],
        &gwlab::Options::default(),
    );
    let (docs, _) = gwlab::source::parse_stream(&text);
    let mut out = Vec::new();
    for d in docs {
        let v: &Value = &d.value;
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        if !POLICY_KINDS.contains(&kind) {
            continue;
        }
        let ns = v
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let name = v
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if gwlab_corpus::find_status(&a, kind, ns, name).is_none() && !out.iter().any(|k| k == kind)
        {
            out.push(kind.to_string());
        }
    }
    out
}

#[test]
fn scenarios_hold() {
    let root = scenarios_dir();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expect.yaml").exists())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 16,
        "expected the 16 scenarios under {}",
        root.display()
    );
    for (scenario, _, _) in KNOWN_FAILURES {
        assert!(
            root.join(scenario).join("expect.yaml").exists(),
            "KNOWN_FAILURES names a missing scenario {scenario}"
        );
    }

    let mut problems = Vec::new();
    let mut seen_known = Vec::new();
    let (mut passed, mut known, mut skipped) = (0, 0, 0);
    for dir in &dirs {
        let scenario = dir.file_name().unwrap().to_string_lossy().to_string();
        let missing = unimplemented_kinds(dir);
        if !missing.is_empty() {
            println!(
                "skip {scenario}: the simulator writes no status for {} yet",
                missing.join(", ")
            );
            skipped += 1;
            continue;
        }
        let r = run_file(&dir.join("expect.yaml"));
        if let Some(e) = &r.error {
            problems.push(format!("{scenario}: cannot run: {e}"));
        }
        for c in &r.checks {
            let l = label(c);
            let listed = KNOWN_FAILURES
                .iter()
                .find(|(s, n, _)| *s == scenario && *n == l);
            if let Some(why) = &c.skipped {
                println!("skip {scenario}: {l}: {why}");
                continue;
            }
            match (c.passed, listed) {
                (true, None) => passed += 1,
                (false, Some(_)) => {
                    known += 1;
                    seen_known.push((scenario.clone(), l));
                }
                (true, Some(_)) => problems.push(format!(
                    "{scenario}: `{l}` now passes: remove it from KNOWN_FAILURES"
                )),
                (false, None) => problems.push(format!(
                    "{scenario}: {l}: {}",
                    c.detail.as_deref().unwrap_or("")
                )),
            }
        }
    }
    for (scenario, l, _) in KNOWN_FAILURES {
        let ran = !unimplemented_kinds(&root.join(scenario)).is_empty()
            || seen_known.iter().any(|(s, n)| s == scenario && n == l);
        let passed_now = problems
            .iter()
            .any(|p| p.starts_with(&format!("{scenario}: `{l}`")));
        if !ran && !passed_now {
            problems.push(format!(
                "{scenario}: KNOWN_FAILURES entry `{l}` matches no check"
            ));
        }
    }
    println!("{passed} checks passed, {known} known failures, {skipped} scenarios skipped");
    assert!(
        problems.is_empty(),
        "{} scenario problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
