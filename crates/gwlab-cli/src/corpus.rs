//! `gwlab conformance` and `gwlab goldens`.

use crate::style::{self, Stream, Tone};
use crate::{Format, TierArg};
use gwlab_corpus::{conformance, goldens, Verdict};
use std::path::PathBuf;

/// JSON or YAML of a report.
fn print_report<T: serde::Serialize>(report: &T, format: Format) {
    let v = serde_json::to_value(report).unwrap_or_default();
    match format {
        Format::Yaml => print!("{}", gwlab::emit::to_yaml(&v)),
        _ => println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default()),
    }
}

/// The corpora are not part of the repository, so a fresh clone meets this first: say where gwlab
/// looked and how to point it at a copy.
fn not_found(corpus: &str, dir: &std::path::Path, var: &str) -> String {
    format!(
        "gwlab {corpus}: the {corpus} corpus is not at {}; pass its directory or set {var} (see docs/corpora.md)",
        dir.display()
    )
}

pub fn conformance(
    dir: Option<PathBuf>,
    output: Format,
    category: Option<String>,
    case: Option<String>,
    verbose: u8,
) -> u8 {
    let dir = dir.unwrap_or_else(gwlab_corpus::conformance_dir);
    if !dir.is_dir() {
        eprintln!(
            "{}",
            not_found("conformance", &dir, "GWLAB_CONFORMANCE_DIR")
        );
        return 2;
    }
    let filter = conformance::Filter { category, case };
    let report = match conformance::run_dir(&dir, &filter) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gwlab conformance: {e}");
            return 2;
        }
    };
    if output != Format::Text {
        print_report(&report, output);
    } else {
        if verbose > 0 {
            for t in &report.tests {
                let interesting: Vec<_> = t
                    .checks
                    .iter()
                    .filter(|c| {
                        c.verdict == Verdict::Failed || verbose > 1 && c.verdict == Verdict::Skipped
                    })
                    .collect();
                if interesting.is_empty() {
                    continue;
                }
                println!(
                    "{} [{}]{}: {}",
                    t.name,
                    t.category,
                    if t.provisional { " (provisional)" } else { "" },
                    t.verdict.as_str()
                );
                for c in interesting {
                    let tag = if c.verdict == Verdict::Failed {
                        style::paint("FAIL", Tone::Error, Stream::Stdout)
                    } else {
                        style::paint("skip", Tone::Warning, Stream::Stdout)
                    };
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

pub fn goldens(
    dir: Option<PathBuf>,
    output: Format,
    tier: TierArg,
    case: Option<String>,
    verbose: u8,
) -> u8 {
    let dir = dir.unwrap_or_else(gwlab_corpus::goldens_dir);
    if !dir.is_dir() {
        eprintln!("{}", not_found("goldens", &dir, "GWLAB_GOLDENS_DIR"));
        return 2;
    }
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
    if output != Format::Text {
        print_report(&report, output);
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
