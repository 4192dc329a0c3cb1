//! The recorded differential cases, replayed without the oracle: gwlab's status and answers on
//! each shrunk configuration against what egctl v1.9.0 said. Cases gwlab gets wrong today are
//! listed in `known-failures.txt`; a case failing outside that list fails the test, and the list
//! is printed every run so that it is seen and shrinks.

use gwlab_differential::case;
use std::path::Path;

#[test]
fn recorded_cases_agree_except_the_known_failures() {
    let dir = case::cases_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let cases = case::load_all(&dir).unwrap_or_else(|e| panic!("regression cases: {e}"));
    assert!(
        !cases.is_empty(),
        "no regression cases in {}",
        dir.display()
    );
    let known = case::known_failures(&dir);
    for k in &known {
        assert!(
            cases.iter().any(|c| &c.name == k),
            "known-failures.txt names {k}, which is not a case"
        );
    }
    let mut failing = Vec::new();
    let mut unexpected = Vec::new();
    for c in &cases {
        let r = case::replay(c);
        if r.disagreements.is_empty() {
            if known.contains(&r.name) {
                println!("now agrees (remove it from known-failures.txt): {}", r.name);
            }
            continue;
        }
        let lines: Vec<String> = r
            .disagreements
            .iter()
            .map(|d| format!("    {}", d.line()))
            .collect();
        let text = format!("{}:\n{}", r.name, lines.join("\n"));
        if known.contains(&r.name) {
            failing.push(text);
        } else {
            unexpected.push(text);
        }
    }
    println!(
        "{} cases, {} known failures still failing:",
        cases.len(),
        failing.len()
    );
    for f in &failing {
        println!("  {f}");
    }
    assert!(
        unexpected.is_empty(),
        "cases that newly disagree with the recorded oracle:\n{}",
        unexpected.join("\n")
    );
}
