//! gwlab's verdict on a case beside the oracle's, and the per-CRD counts.

use crate::mutate::{Case, Target, TargetKind};
use crate::oracle::Verdict;
use serde_json::Value;
use std::collections::BTreeMap;

/// The API server adds this line (naming no field) when a schema error kept CEL rules from
/// running; gwlab does not repeat it, so it is the one line the comparison leaves out.
const RULES_NOT_CHECKED: &str = "some validation rules were not checked";

/// gwlab's verdict on one case.
#[derive(Clone, Debug)]
pub struct Ours {
    pub errors: Vec<String>,
    pub defaulted: Value,
    /// CEL rules gwlab could not evaluate.
    pub unevaluated: usize,
}

/// Runs gwlab's `admit` on a case.
pub fn ours(case: &Case) -> Ours {
    let mut obj = match &case.object {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    let api_version = obj.remove("apiVersion");
    let kind = obj.remove("kind");
    let admission = gwlab::apiserver::admit(
        &case.served.api_version,
        &case.served.kind,
        case.served.namespaced,
        "default",
        &mut obj,
    );
    let errors = admission
        .refusals
        .iter()
        .map(|r| {
            if r.field.is_empty() {
                r.detail.clone()
            } else {
                format!("{}: {}", r.field, r.detail)
            }
        })
        .collect();
    let mut defaulted = serde_json::Map::new();
    defaulted.extend(api_version.map(|v| ("apiVersion".to_string(), v)));
    defaulted.extend(kind.map(|v| ("kind".to_string(), v)));
    defaulted.extend(obj);
    Ours {
        errors,
        defaulted: Value::Object(defaulted),
        unevaluated: admission.unevaluated.len(),
    }
}

/// How one case came out.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict_agrees: bool,
    pub messages_agree: bool,
    /// Both accepted and the defaulted, pruned bodies are equal (None when not both accepted).
    pub defaults_agree: Option<bool>,
    pub ours: Vec<String>,
    pub theirs: Vec<String>,
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The body as the comparison sees it: `metadata` and `status` aside (the API server fills in
/// metadata of its own and drops status on create).
fn body(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("metadata");
        m.remove("status");
    }
    v
}

pub fn outcome(ours: &Ours, theirs: &Verdict) -> Outcome {
    let their_errors: Vec<String> = theirs
        .errors
        .iter()
        .filter(|e| !e.contains(RULES_NOT_CHECKED))
        .cloned()
        .collect();
    let ours_sorted = sorted(ours.errors.clone());
    let theirs_sorted = sorted(their_errors);
    let we_accept = ours.errors.is_empty();
    let defaults_agree = match (&theirs.defaulted, we_accept && theirs.accepted) {
        (Some(d), true) => Some(body(d) == body(&ours.defaulted)),
        _ => None,
    };
    Outcome {
        verdict_agrees: we_accept == theirs.accepted,
        messages_agree: ours_sorted == theirs_sorted,
        defaults_agree,
        ours: ours_sorted,
        theirs: theirs_sorted,
    }
}

/// Whether the oracle's errors show that `target` was violated: an error at or below its field
/// and, for a CEL rule, carrying the rule's message.
pub fn violated(target: &Target, theirs: &Verdict) -> bool {
    let at = field_matcher(&target.field);
    theirs.errors.iter().any(|e| {
        // A combinator's error names no field; its message starts with the quoted path.
        let place = match e.strip_prefix("<nil>: Invalid value: \"\": \"") {
            Some(rest) => rest.split('"').next().unwrap_or(""),
            None => e.split(": ").next().unwrap_or(""),
        };
        let at_field = target.field.is_empty() || at.is_match(place);
        match &target.kind {
            TargetKind::Schema => at_field,
            TargetKind::Cel { message } => at_field && e.contains(message.as_str()),
        }
    })
}

/// A pattern for the field paths at or below `field`. A map entry (`[k]` in a target) may be any
/// key, written `[key]` (`field.Path`) or `.key` (kube-openapi).
fn field_matcher(field: &str) -> regex::Regex {
    let parts: Vec<String> = field.split("[k]").map(regex::escape).collect();
    let pattern = format!("^{}($|[.\\[])", parts.join(r"(\[[^\]]*\]|\.[^.\[]+)"));
    regex::Regex::new(&pattern).expect("an escaped field path is a valid pattern")
}

/// Counts for one CRD.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub constraints: usize,
    pub constraints_covered: usize,
    pub rules: usize,
    pub rules_covered: usize,
    pub cases: usize,
    pub verdicts: usize,
    pub messages: usize,
    pub defaults_compared: usize,
    pub defaults: usize,
}

/// The per-CRD counts, by CRD name.
pub fn counts(
    targets: &[Target],
    covered: &[bool],
    cases: &[Case],
    outcomes: &[Outcome],
) -> BTreeMap<String, Counts> {
    let mut by: BTreeMap<String, Counts> = BTreeMap::new();
    for (t, c) in targets.iter().zip(covered) {
        let e = by.entry(t.crd.clone()).or_default();
        match t.kind {
            TargetKind::Schema => {
                e.constraints += 1;
                e.constraints_covered += usize::from(*c);
            }
            TargetKind::Cel { .. } => {
                e.rules += 1;
                e.rules_covered += usize::from(*c);
            }
        }
    }
    for (case, o) in cases.iter().zip(outcomes) {
        let e = by.entry(case.served.crd.clone()).or_default();
        e.cases += 1;
        e.verdicts += usize::from(o.verdict_agrees);
        e.messages += usize::from(o.verdict_agrees && o.messages_agree);
        if let Some(d) = o.defaults_agree {
            e.defaults_compared += 1;
            e.defaults += usize::from(d);
        }
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_entries_match_either_spelling_and_only_below_the_field() {
        let m = field_matcher("spec.options[k]");
        assert!(m.is_match("spec.options.team"));
        assert!(m.is_match("spec.options[team].x"));
        assert!(!m.is_match("spec.optionsX"));
        let m = field_matcher("spec.rules[0]");
        assert!(m.is_match("spec.rules[0].matches"));
        assert!(!m.is_match("spec.rules[0]x"));
    }

    #[test]
    fn the_rules_not_checked_line_is_the_only_one_left_out() {
        let ours = Ours {
            errors: vec!["spec.x: Required value".into()],
            defaulted: Value::Null,
            unevaluated: 0,
        };
        let theirs = Verdict {
            known: true,
            accepted: false,
            errors: vec![
                "spec.x: Required value".into(),
                "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation".into(),
            ],
            defaulted: None,
        };
        let o = outcome(&ours, &theirs);
        assert!(o.verdict_agrees && o.messages_agree);
        let theirs = Verdict {
            errors: vec!["spec.y: Required value".into()],
            ..theirs
        };
        assert!(!outcome(&ours, &theirs).messages_agree);
    }
}
