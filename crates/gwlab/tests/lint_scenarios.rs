//! The lints against the worked scenarios: no false positives on the base manifests (the lint
//! codes reported must equal the lint codes listed in the scenario's top-level `diagnostics`),
//! and every lint a variant expects is reported once its patches are applied.

use gwlab::lint::CODES;
use gwlab::{analyze, Input, Options};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("scenarios directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("expect.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn yaml_docs(text: &str) -> Vec<Value> {
    let (docs, diags) = gwlab::source::parse_stream(text);
    assert!(
        diags
            .iter()
            .all(|(d, _)| d.severity != gwlab::Severity::Error),
        "{diags:?}"
    );
    docs.into_iter()
        .map(|d| d.value)
        .filter(|v| !v.is_null())
        .collect()
}

fn codes(list: Option<&Value>) -> BTreeSet<String> {
    let items = match list {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    items
        .iter()
        .filter_map(|d| d.get("code").and_then(Value::as_str).or_else(|| d.as_str()))
        .filter(|c| CODES.contains(c))
        .map(String::from)
        .collect()
}

fn lints(inputs: &[Input]) -> BTreeSet<String> {
    analyze(inputs, &Options::default())
        .diagnostics
        .iter()
        .filter(|d| CODES.contains(&d.code))
        .map(|d| d.code.to_string())
        .collect()
}

fn rendered(inputs: &[Input]) -> Vec<String> {
    analyze(inputs, &Options::default())
        .diagnostics
        .iter()
        .filter(|d| CODES.contains(&d.code))
        .map(|d| d.render())
        .collect()
}

/// `Kind/ns/name` (or `Kind/name`) of a document, namespaced kinds defaulting to `default`.
fn doc_matches(d: &Value, target: &str) -> bool {
    let kind = d.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = d
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let ns = d
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let parts: Vec<&str> = target.split('/').collect();
    match parts.as_slice() {
        [k, n] => *k == kind && *n == name,
        [k, s, n] => *k == kind && *s == ns && *n == name,
        _ => false,
    }
}

fn pointer_set(doc: &mut Value, ptr: &str, value: Value) {
    let mut cur = doc;
    let tokens: Vec<String> = ptr
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    for (i, t) in tokens.iter().enumerate() {
        let last = i + 1 == tokens.len();
        cur = match cur {
            Value::Array(a) => {
                let idx: usize = t.parse().expect("array index");
                if last {
                    a[idx] = value;
                    return;
                }
                &mut a[idx]
            }
            Value::Object(m) => {
                if last {
                    m.insert(t.clone(), value);
                    return;
                }
                m.entry(t.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            other => panic!("cannot set {ptr} inside {other}"),
        };
    }
}

fn patched(docs: &[Value], patches: &[Value]) -> Vec<Input> {
    let mut docs = docs.to_vec();
    for p in patches {
        if let Some(t) = p.get("delete").and_then(Value::as_str) {
            docs.retain(|d| !doc_matches(d, t));
        } else if let Some(t) = p.get("set").and_then(Value::as_str) {
            let path = p.get("path").and_then(Value::as_str).unwrap();
            for d in docs.iter_mut().filter(|d| doc_matches(d, t)) {
                pointer_set(d, path, p.get("value").cloned().unwrap_or(Value::Null));
            }
        } else if let Some(t) = p.get("remove").and_then(Value::as_str) {
            let path = p.get("path").and_then(Value::as_str).unwrap();
            for d in docs.iter_mut().filter(|d| doc_matches(d, t)) {
                let (parent, key) = path.rsplit_once('/').unwrap();
                if let Some(Value::Object(m)) = d.pointer_mut(parent) {
                    m.remove(key);
                }
            }
        }
    }
    vec![Input::new(
        "manifests.yaml",
        gwlab::emit::to_yaml_stream(&docs),
    )]
}

#[test]
fn base_manifests_report_exactly_the_expected_lints() {
    let dirs = scenarios();
    assert!(dirs.len() >= 16, "found {} scenarios", dirs.len());
    let mut failures = Vec::new();
    for dir in dirs {
        let expect =
            yaml_docs(&std::fs::read_to_string(dir.join("expect.yaml")).unwrap()).remove(0);
        let mut inputs = Vec::new();
        for m in expect
            .get("manifests")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            inputs.push(Input::new(m, std::fs::read_to_string(dir.join(m)).unwrap()));
        }
        let want = codes(expect.get("diagnostics"));
        let got = lints(&inputs);
        if got != want {
            failures.push(format!(
                "{}: expected lints {want:?}, got {:?}",
                dir.display(),
                rendered(&inputs)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn variants_report_the_lints_they_expect() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in scenarios() {
        let expect =
            yaml_docs(&std::fs::read_to_string(dir.join("expect.yaml")).unwrap()).remove(0);
        let mut docs = Vec::new();
        for m in expect
            .get("manifests")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            docs.extend(yaml_docs(&std::fs::read_to_string(dir.join(m)).unwrap()));
        }
        for v in expect
            .get("variants")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let want = codes(v.get("diagnostics"));
            let forbidden = codes(v.get("no_diagnostics"));
            let patches = v
                .get("patch")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let inputs = patched(&docs, &patches);
            let got = lints(&inputs);
            let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
            if std::env::var("LINT_DEBUG").is_ok() {
                eprintln!(
                    "DEBUG {} [{name}] want {want:?} got {:#?}",
                    dir.display(),
                    rendered(&inputs)
                );
            }
            if want.is_empty() && forbidden.is_empty() {
                continue;
            }
            checked += 1;
            let missing: Vec<_> = want.difference(&got).collect();
            let unwanted: Vec<_> = forbidden.intersection(&got).collect();
            if !missing.is_empty() || !unwanted.is_empty() {
                failures.push(format!(
                    "{} [{name}]: missing {missing:?}, unwanted {unwanted:?}; reported {:?}",
                    dir.display(),
                    rendered(&inputs)
                ));
            }
        }
    }
    assert!(checked >= 10, "only {checked} variants expect lints");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
