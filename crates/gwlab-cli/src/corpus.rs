//! `gwlab conformance` and `gwlab goldens`.

use crate::TierArg;
use gwlab_corpus::{conformance, goldens, Verdict};
use std::path::PathBuf;

pub fn conformance(dir: Option<PathBuf>, json: bool, category: Option<String>, case: Option<String>, verbose: u8) -> u8 {
    let dir = dir.unwrap_or_else(gwlab_corpus::conformance_dir);
    let filter = conformance::Filter { category, case };
    let report = match conformance::run_dir(&dir, &filter) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gwlab conformance: {e}");
            return 2;
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        if verbose > 0 {
            for t in &report.tests {
                let interesting: Vec<_> = t
                    .checks
                    .iter()
                    .filter(|c| c.verdict == Verdict::Failed || verbose > 1 && c.verdict == Verdict::Skipped)
                    .collect();
                if interesting.is_empty() {
                    continue;
                }
                println!("{} [{}]{}: {}", t.name, t.category, if t.provisional { " (provisional)" } else { "" }, t.verdict.as_str());
                for c in interesting {
                    let tag = if c.verdict == Verdict::Failed { "FAIL" } else { "skip" };
                    println!("  {tag} {}: {}", c.label, c.reason.as_deref().unwrap_or(""));
                    if let Some(e) = &c.expected {
                        println!("       expected: {e}");
                    }
                    if let Some(a) = &c.actual {
                        println!("       actual:   {a}");
                    }
                }
            }
            println!();
        }
        for l in report.summary_lines() {
            println!("{l}");
        }
    }
    u8::from(report.total.checks.failed > 0 || report.provisional.checks.failed > 0)
}

pub fn goldens(dir: Option<PathBuf>, json: bool, tier: TierArg, case: Option<String>, verbose: u8) -> u8 {
    let dir = dir.unwrap_or_else(gwlab_corpus::goldens_dir);
    let sel = match tier {
        TierArg::A => goldens::TierSelect::A,
        TierArg::B => goldens::TierSelect::B,
        TierArg::All => goldens::TierSelect::All,
    };
    let report = match goldens::run_dir(&dir, sel, case.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gwlab goldens: {e}");
            return 2;
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        if verbose > 0 {
            for c in &report.cases {
                if c.verdict != Verdict::Failed {
                    continue;
                }
                println!("{} [tier {:?}]: failed", c.name, c.tier);
                for (what, p) in [("status", &c.status), ("routing", &c.routing)] {
                    for f in p.iter().flat_map(|p| &p.failures) {
                        println!("  {what}: {f}");
                    }
                }
            }
            println!();
        }
        for l in report.summary_lines() {
            println!("{l}");
        }
    }
    u8::from(report.cases.iter().any(|c| c.verdict == Verdict::Failed))
}
