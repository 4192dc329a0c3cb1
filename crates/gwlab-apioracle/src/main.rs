//! `gwlab-apioracle`: runs every case through gwlab and the Go oracle and prints the per-CRD
//! agreement. Exit status 1 when agreement falls below `--floor` or an example or scenario is
//! refused (unless listed as a known failure), 2 on bad usage or a missing input.

use gwlab_apioracle::compare::{self, Outcome};
use gwlab_apioracle::mutate::{self, Case, Generator, Target};
use gwlab_apioracle::{cases, oracle, schema, written};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

struct Args {
    oracle: PathBuf,
    crds: PathBuf,
    examples: PathBuf,
    scenarios: PathBuf,
    known_failures: PathBuf,
    /// Hand-written violations, one per target the generator does not reach.
    written: PathBuf,
    /// Targets no create can violate, with the reason.
    unviolatable: PathBuf,
    floor: f64,
    show: usize,
    report: Option<PathBuf>,
    /// Every case with both verdicts, as JSON lines (for looking into coverage).
    dump: Option<PathBuf>,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn env_path(var: &str, default: PathBuf) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => default,
    }
}

fn parse_args() -> Result<Args, String> {
    let root = repo();
    let mut args = Args {
        oracle: env_path("GWLAB_APIVALIDATE", root.join(".tools/bin/apivalidate")),
        crds: env_path("GWLAB_CRDS_DIR", root.join("../shared/crds")),
        examples: env_path("GWLAB_GATEWAY_API_EXAMPLES", PathBuf::new()),
        scenarios: root.join("scenarios"),
        known_failures: root.join("crates/gwlab-apioracle/known-failures.txt"),
        written: root.join("crates/gwlab-apioracle/written-cases.yaml"),
        unviolatable: root.join("crates/gwlab-apioracle/unviolatable.txt"),
        floor: 0.0,
        show: 20,
        report: None,
        dump: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--oracle" => args.oracle = value()?.into(),
            "--crds" => args.crds = value()?.into(),
            "--examples" => args.examples = value()?.into(),
            "--scenarios" => args.scenarios = value()?.into(),
            "--known-failures" => args.known_failures = value()?.into(),
            "--floor" => args.floor = value()?.parse().map_err(|e| format!("--floor: {e}"))?,
            "--show" => args.show = value()?.parse().map_err(|e| format!("--show: {e}"))?,
            "--report" => args.report = Some(value()?.into()),
            "--dump" => args.dump = Some(value()?.into()),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    if args.examples.as_os_str().is_empty() || !args.examples.is_dir() {
        return Err(format!(
            "the Gateway API examples folder {:?} is missing (pass --examples or GWLAB_GATEWAY_API_EXAMPLES)",
            args.examples
        ));
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gwlab-apioracle: {e}");
            std::process::exit(2);
        }
    };
    match run(&args) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("gwlab-apioracle: {e}");
            std::process::exit(2);
        }
    }
}

/// The real objects: examples first, then scenarios.
fn real_cases(args: &Args, served: &[schema::Served]) -> Result<(Vec<Case>, usize), String> {
    let mut skipped = 0;
    let mut out = Vec::new();
    for f in cases::yaml_files(&args.examples) {
        let rel = f
            .strip_prefix(&args.examples)
            .unwrap_or(&f)
            .display()
            .to_string();
        out.extend(cases::file_cases(
            &format!("example:{rel}"),
            &f,
            served,
            &mut skipped,
        )?);
    }
    let scenario_files: Vec<PathBuf> = cases::yaml_files(&args.scenarios)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "manifests.yaml"))
        .collect();
    if scenario_files.is_empty() {
        return Err(format!(
            "no scenarios found under {}",
            args.scenarios.display()
        ));
    }
    for f in scenario_files {
        let rel = f
            .strip_prefix(&args.scenarios)
            .unwrap_or(&f)
            .display()
            .to_string();
        out.extend(cases::file_cases(
            &format!("scenario:{rel}"),
            &f,
            served,
            &mut skipped,
        )?);
    }
    Ok((out, skipped))
}

/// The generated cases: for each served version, every constraint broken once (or by variants),
/// plus the metadata name cases once per CRD.
fn generated_cases(
    tables: &[schema::Table],
    served: &[schema::Served],
    real: &[Case],
) -> (Vec<Case>, Vec<Target>) {
    let mut out = Vec::new();
    let mut targets = Vec::new();
    let mut seen = HashSet::new();
    let mut named = HashSet::new();
    for s in served {
        let generator = Generator::new(&tables[s.table]);
        let bases: Vec<serde_json::Value> = real
            .iter()
            .filter(|c| c.served.api_version == s.api_version && c.served.kind == s.kind)
            .filter(|c| compare::ours(c).errors.is_empty())
            .map(|c| c.object.clone())
            .collect();
        generator.cases(s, &bases, &mut targets, &mut seen, &mut out);
        if named.insert(s.crd.clone()) {
            let base = mutate::wrap(s, generator.synth.valid(s.root));
            mutate::name_cases(s, &base, &mut out);
        }
    }
    merge_duplicates(&mut out);
    (out, targets)
}

/// One case per distinct object: a case that several targets' edits produce alike is validated
/// once and counts for each of them.
fn merge_duplicates(cases: &mut Vec<Case>) {
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<Case> = Vec::with_capacity(cases.len());
    for c in cases.drain(..) {
        let key = format!("{} {}", c.served.api_version, c.object);
        match first.get(&key) {
            Some(&k) => {
                let targets = c.targets.clone();
                kept[k].targets.extend(targets);
            }
            None => {
                first.insert(key, kept.len());
                kept.push(c);
            }
        }
    }
    *cases = kept;
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        100.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

fn run(args: &Args) -> Result<bool, String> {
    let started = std::time::Instant::now();
    let tables = schema::tables();
    let served = schema::served(&tables);
    let (real, skipped) = real_cases(args, &served)?;
    let (generated, targets) = generated_cases(&tables, &served, &real);
    let written = written::load(&args.written, &served, &targets)?;
    let unviolatable_text = std::fs::read_to_string(&args.unviolatable)
        .map_err(|e| format!("{}: {e}", args.unviolatable.display()))?;
    let unviolatable = written::unviolatable(&unviolatable_text, &targets)?;
    let mut all = real;
    all.extend(generated);
    all.extend(written);
    let mut ids = HashSet::new();
    for c in &mut all {
        let mut n = 1;
        let base = c.id.clone();
        while !ids.insert(c.id.clone()) {
            n += 1;
            c.id = format!("{base}~{n}");
        }
    }
    let gw_crds = args
        .crds
        .join("gateway-api/experimental-install-v1.6.1.yaml");
    let eg_crds = args.crds.join("envoy-gateway");
    for p in [&gw_crds, &eg_crds] {
        if !p.exists() {
            return Err(format!("CRDs not found at {}", p.display()));
        }
    }
    let verdicts = oracle::run(&args.oracle, &[gw_crds.as_path(), eg_crds.as_path()], &all)?;
    let known_text = std::fs::read_to_string(&args.known_failures).unwrap_or_default();
    let known = gwlab_apioracle::parse_known_failures(&known_text);

    let mut outcomes: Vec<Outcome> = Vec::with_capacity(all.len());
    let mut covered = vec![false; targets.len()];
    let mut unknown_to_oracle = 0;
    let mut unevaluated = 0;
    for c in &all {
        let theirs = &verdicts[&c.id];
        if !theirs.known {
            unknown_to_oracle += 1;
        }
        let ours = compare::ours(c);
        unevaluated += usize::from(ours.unevaluated > 0);
        for &t in &c.targets {
            covered[t] |= compare::violated(&targets[t], theirs);
        }
        outcomes.push(compare::outcome(&ours, theirs));
    }

    print_table(&compare::counts(&targets, &covered, &all, &outcomes));
    let agree =
        |o: &Outcome| o.verdict_agrees && o.messages_agree && o.defaults_agree != Some(false);
    let mut failing_new = Vec::new();
    let mut failing_known = 0;
    let mut refused_real = Vec::new();
    let mut stale_known = Vec::new();
    for (c, o) in all.iter().zip(&outcomes) {
        let listed = known.contains_key(&c.id);
        let theirs = &verdicts[&c.id];
        if c.must_accept && (!theirs.accepted || !o.ours.is_empty()) && !listed {
            refused_real.push((c, o));
        }
        match (agree(o), listed) {
            (false, true) => failing_known += 1,
            (false, false) => failing_new.push((c, o)),
            (true, true) => stale_known.push(c.id.clone()),
            (true, false) => {}
        }
    }
    let agreeing = outcomes.iter().filter(|o| agree(o)).count();
    let verdicts_agreeing = outcomes.iter().filter(|o| o.verdict_agrees).count();
    let targets_covered = covered.iter().filter(|c| **c).count();
    let stale_unviolatable: Vec<&Target> = unviolatable
        .keys()
        .filter(|&&t| covered[t])
        .map(|&t| &targets[t])
        .collect();
    println!();
    println!(
        "cases {}: verdicts agree {} ({:.2}%), verdict+messages+defaults agree {} ({:.2}%); {} disagreements listed as known, {} not listed",
        all.len(),
        verdicts_agreeing,
        pct(verdicts_agreeing, all.len()),
        agreeing,
        pct(agreeing, all.len()),
        failing_known,
        failing_new.len()
    );
    println!(
        "targets {}: violated in the oracle by some case {} ({:.2}%); examples and scenarios: {} custom resources, {} other documents not compared; oracle did not serve {} cases; gwlab left CEL unevaluated in {} cases",
        targets.len(),
        targets_covered,
        pct(targets_covered, targets.len()),
        all.iter().filter(|c| c.must_accept).count(),
        skipped,
        unknown_to_oracle,
        unevaluated
    );
    println!(
        "targets no create can violate (listed with the reason in unviolatable.txt): {}",
        unviolatable.len()
    );
    let uncovered: Vec<&Target> = targets
        .iter()
        .enumerate()
        .filter(|(i, _)| !covered[*i] && !unviolatable.contains_key(i))
        .map(|(_, t)| t)
        .collect();
    for t in uncovered.iter().take(args.show) {
        println!(
            "  not violated by any case: {} {} at {:?}",
            t.crd, t.id, t.field
        );
    }
    for t in &stale_unviolatable {
        println!(
            "  listed as unviolatable but violated by a case (remove it): {} {}",
            t.crd, t.id
        );
    }
    for (c, o) in failing_new.iter().take(args.show) {
        print_disagreement(c, o);
    }
    for id in stale_known.iter().take(args.show) {
        println!("  listed as a known failure but now agrees (remove it): {id}");
    }
    if let Some(path) = &args.dump {
        let lines: Vec<String> = all
            .iter()
            .zip(&outcomes)
            .map(|(c, o)| {
                let targets: Vec<&str> = c.targets.iter().map(|&t| targets[t].id.as_str()).collect();
                serde_json::json!({"id": c.id, "targets": targets, "object": c.object, "gwlab": o.ours, "oracle": o.theirs}).to_string()
            })
            .collect();
        std::fs::write(path, lines.join("\n") + "\n")
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.report {
        write_report(path, &failing_new, &uncovered)?;
    }
    println!("took {:.1}s", started.elapsed().as_secs_f64());

    let mut ok = true;
    for (c, o) in &refused_real {
        ok = false;
        println!(
            "FAIL: {} must be accepted by both: gwlab {:?}, oracle {:?}",
            c.id, o.ours, o.theirs
        );
    }
    if !uncovered.is_empty() || !stale_unviolatable.is_empty() {
        ok = false;
        println!(
            "FAIL: {} targets violated by no case and not listed as unviolatable, {} listed but violated",
            uncovered.len(),
            stale_unviolatable.len()
        );
    }
    let agreement = pct(agreeing + failing_known, all.len());
    let strict = pct(agreeing, all.len());
    if strict < args.floor {
        ok = false;
        println!("FAIL: agreement {strict:.2}% is below the floor {:.2}% ({agreement:.2}% counting known failures)", args.floor);
    }
    Ok(ok)
}

fn print_table(by: &std::collections::BTreeMap<String, compare::Counts>) {
    println!(
        "{:<52} {:>11} {:>9} {:>6} {:>9} {:>9} {:>9}",
        "CRD", "constraints", "CEL rules", "cases", "verdicts", "messages", "defaults"
    );
    let mut total = compare::Counts::default();
    for (crd, c) in by {
        println!(
            "{:<52} {:>5}/{:<5} {:>4}/{:<4} {:>6} {:>9} {:>9} {:>4}/{:<4}",
            crd,
            c.constraints_covered,
            c.constraints,
            c.rules_covered,
            c.rules,
            c.cases,
            c.verdicts,
            c.messages,
            c.defaults,
            c.defaults_compared
        );
        total.constraints += c.constraints;
        total.constraints_covered += c.constraints_covered;
        total.rules += c.rules;
        total.rules_covered += c.rules_covered;
        total.cases += c.cases;
        total.verdicts += c.verdicts;
        total.messages += c.messages;
        total.defaults += c.defaults;
        total.defaults_compared += c.defaults_compared;
    }
    println!(
        "{:<52} {:>5}/{:<5} {:>4}/{:<4} {:>6} {:>9} {:>9} {:>4}/{:<4}",
        "total",
        total.constraints_covered,
        total.constraints,
        total.rules_covered,
        total.rules,
        total.cases,
        total.verdicts,
        total.messages,
        total.defaults,
        total.defaults_compared
    );
}

fn print_disagreement(c: &Case, o: &Outcome) {
    println!("  disagreement: {}", c.id);
    for e in o.ours.iter().filter(|e| !o.theirs.contains(e)) {
        println!("    only gwlab:  {}", truncate(e));
    }
    for e in o.theirs.iter().filter(|e| !o.ours.contains(e)) {
        println!("    only oracle: {}", truncate(e));
    }
    if o.defaults_agree == Some(false) {
        println!("    the defaulted bodies differ");
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s.to_string()
    }
}

fn write_report(
    path: &Path,
    failing: &[(&Case, &Outcome)],
    uncovered: &[&Target],
) -> Result<(), String> {
    let mut lines = Vec::new();
    for (c, o) in failing {
        lines.push(
            serde_json::json!({"id": c.id, "object": c.object, "gwlab": o.ours, "oracle": o.theirs, "defaults_agree": o.defaults_agree})
                .to_string(),
        );
    }
    for t in uncovered {
        lines.push(
            serde_json::json!({"uncovered": t.id, "crd": t.crd, "field": t.field}).to_string(),
        );
    }
    std::fs::write(path, lines.join("\n") + "\n").map_err(|e| format!("{}: {e}", path.display()))
}
