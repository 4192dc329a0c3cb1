//! Hand-written violations: for the constraints the generator's edits do not reach (rules that
//! read two or three fields set together, totals across a list), one small object per target in
//! `written-cases.yaml`, each naming the target it is for. They go through the same oracle
//! comparison as every other case. Targets that no create can violate (a rule the schema already
//! refuses first, a pattern every string matches) are listed with the reason in
//! `unviolatable.txt` and counted apart.

use crate::mutate::{Case, Target};
use crate::schema::Served;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a target is named: `CRD node#label` (`Gateway.gateway.networking.k8s.io 84#cel0`).
fn target_index(targets: &[Target], name: &str) -> Result<usize, String> {
    let (crd, id) = name
        .split_once(' ')
        .ok_or(format!("target {name:?} is not `CRD node#label`"))?;
    targets
        .iter()
        .position(|t| t.crd == crd && t.id == id)
        .ok_or(format!("target {name:?} is not a target of the tables"))
}

/// The cases of `written-cases.yaml`: documents `{target, object}`. A document naming no known
/// target, or an object of no served kind, is an error (stale data must not pass unnoticed).
pub fn load(path: &Path, served: &[Served], targets: &[Target]) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (docs, errors) = gwlab::source::parse_stream(&text);
    if let Some((d, _)) = errors.first() {
        return Err(format!("{}: {}", path.display(), d.message));
    }
    let mut out = Vec::new();
    for (n, doc) in docs.into_iter().enumerate() {
        let at = format!("{} document {}", path.display(), n + 1);
        let name = doc
            .value
            .get("target")
            .and_then(Value::as_str)
            .ok_or(format!("{at}: no `target`"))?;
        let target = target_index(targets, name).map_err(|e| format!("{at}: {e}"))?;
        let object = doc
            .value
            .get("object")
            .cloned()
            .ok_or(format!("{at}: no `object`"))?;
        let text_of = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or("");
        let s = served
            .iter()
            .find(|s| s.api_version == text_of("apiVersion") && s.kind == text_of("kind"))
            .ok_or(format!("{at}: the object is of no served kind"))?;
        out.push(Case {
            id: format!("written:{name}/{n}"),
            served: s.clone(),
            object,
            targets: vec![target],
            must_accept: false,
        });
    }
    Ok(out)
}

/// `unviolatable.txt`: `CRD node#label<TAB>reason` lines, `#` comments, keyed by target index.
pub fn unviolatable(text: &str, targets: &[Target]) -> Result<BTreeMap<usize, String>, String> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, why) = line.split_once('\t').ok_or(format!(
            "unviolatable.txt line {}: no tab and reason",
            n + 1
        ))?;
        let t = target_index(targets, name.trim())
            .map_err(|e| format!("unviolatable.txt line {}: {e}", n + 1))?;
        out.insert(t, why.trim().to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{Generator, TargetKind};

    fn manifest_file(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
    }

    /// Every target of every served kind, as the runner builds them (no real bases).
    fn all_targets(served: &[Served], tables: &[crate::schema::Table]) -> Vec<Target> {
        let (mut targets, mut seen, mut cases) = (Vec::new(), Default::default(), Vec::new());
        for s in served {
            Generator::new(&tables[s.table]).cases(s, &[], &mut targets, &mut seen, &mut cases);
        }
        targets
    }

    #[test]
    fn written_cases_name_real_targets_and_gwlab_refuses_each_by_its_rule() {
        let tables = crate::schema::tables();
        let served = crate::schema::served(&tables);
        let targets = all_targets(&served, &tables);
        let cases = load(&manifest_file("written-cases.yaml"), &served, &targets)
            .expect("the written cases load");
        assert!(cases.len() >= 40, "{} written cases", cases.len());
        for c in &cases {
            let target = &targets[c.targets[0]];
            let errors = crate::compare::ours(c).errors;
            let expected = match &target.kind {
                TargetKind::Cel { message } => message.as_str(),
                TargetKind::Schema => "",
            };
            assert!(
                errors.iter().any(|e| e.contains(expected)),
                "{}: gwlab's errors {errors:?} lack {expected:?}",
                c.id
            );
        }
        let text = std::fs::read_to_string(manifest_file("unviolatable.txt")).unwrap();
        let listed = unviolatable(&text, &targets).expect("the unviolatable list parses");
        assert!(!listed.is_empty());
        for c in &cases {
            assert!(
                !listed.contains_key(&c.targets[0]),
                "{} is written for a target listed as unviolatable",
                c.id
            );
        }
    }

    #[test]
    fn an_unknown_target_or_a_missing_reason_is_an_error() {
        let tables = crate::schema::tables();
        let served = crate::schema::served(&tables);
        let targets = all_targets(&served, &tables);
        let err = unviolatable(
            "Gateway.gateway.networking.k8s.io 999999#cel0\twhy",
            &targets,
        )
        .unwrap_err();
        assert!(err.contains("not a target"), "{err}");
        let err = unviolatable("Gateway.gateway.networking.k8s.io 84#cel0", &targets).unwrap_err();
        assert!(err.contains("no tab"), "{err}");
        let dir = std::env::temp_dir().join(format!("written-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("cases.yaml");
        std::fs::write(&file, "target: Gateway.gateway.networking.k8s.io 84#cel0\n").unwrap();
        let err = load(&file, &served, &targets).unwrap_err();
        assert!(err.contains("no `object`"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
