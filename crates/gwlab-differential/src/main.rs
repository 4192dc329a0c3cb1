//! `gwlab-differential`: compares gwlab with Envoy Gateway's translator on generated
//! configurations and prints the agreement table.
//!
//! ```text
//! gwlab-differential [--seeds N] [--seed S] [--jobs J] [--batch B] [--record K] [--shrink-budget C] [--floor-status P] [--floor-probes P]
//! gwlab-differential show SEED      # the manifests of one seed and its disagreements
//! gwlab-differential replay         # the recorded regression cases, without the oracle
//! ```
//! Exit codes: 0 at or above the floors, 1 below a floor (or a regression case newly failing),
//! 2 bad usage, 3 the oracle is not installed (the run is skipped).

use gwlab_differential::{case, compare, gen, run};
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    seeds: u64,
    seed: u64,
    jobs: usize,
    batch: usize,
    shrink_budget: usize,
    record: usize,
    floor_status: Option<f64>,
    floor_probes: Option<f64>,
    causes: usize,
    egctl: Option<PathBuf>,
    command: Option<(String, Option<String>)>,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        seeds: 0,
        seed: 1,
        jobs: 2,
        batch: 10,
        shrink_budget: 100,
        record: 0,
        floor_status: None,
        floor_probes: None,
        causes: 25,
        egctl: None,
        command: None,
    };
    let mut seeds_given = false;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--seeds" => {
                a.seeds = value("--seeds")?
                    .parse()
                    .map_err(|e| format!("--seeds: {e}"))?;
                seeds_given = true;
            }
            "--seed" => {
                a.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--jobs" => {
                a.jobs = value("--jobs")?
                    .parse()
                    .map_err(|e| format!("--jobs: {e}"))?
            }
            "--shrink-budget" => {
                a.shrink_budget = value("--shrink-budget")?
                    .parse()
                    .map_err(|e| format!("--shrink-budget: {e}"))?
            }
            "--batch" => {
                a.batch = value("--batch")?
                    .parse()
                    .map_err(|e| format!("--batch: {e}"))?
            }
            "--record" => {
                a.record = value("--record")?
                    .parse()
                    .map_err(|e| format!("--record: {e}"))?
            }
            "--causes" => {
                a.causes = value("--causes")?
                    .parse()
                    .map_err(|e| format!("--causes: {e}"))?
            }
            "--floor-status" => {
                a.floor_status = Some(
                    value("--floor-status")?
                        .parse()
                        .map_err(|e| format!("--floor-status: {e}"))?,
                )
            }
            "--floor-probes" => {
                a.floor_probes = Some(
                    value("--floor-probes")?
                        .parse()
                        .map_err(|e| format!("--floor-probes: {e}"))?,
                )
            }
            "--egctl" => a.egctl = Some(PathBuf::from(value("--egctl")?)),
            "show" => a.command = Some(("show".into(), Some(value("show")?))),
            "replay" => a.command = Some(("replay".into(), None)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !seeds_given {
        a.seeds = 1;
    }
    Ok(a)
}

const USAGE: &str = "usage: gwlab-differential [--seeds N] [--seed S] [--jobs J] [--batch B] [--record K] [--shrink-budget C] [--floor-status PCT] [--floor-probes PCT] [--egctl PATH]\n       gwlab-differential show SEED\n       gwlab-differential replay";

fn repo_root() -> PathBuf {
    let is_root = |p: &std::path::Path| {
        std::fs::read_to_string(p.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]"))
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|a| is_root(a))
        .map(PathBuf::from)
        .unwrap_or(cwd)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gwlab-differential: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let repo = repo_root();
    if let Some(("replay", _)) = args.command.as_ref().map(|(c, v)| (c.as_str(), v)) {
        return replay(&repo);
    }
    let egctl = args
        .egctl
        .clone()
        .unwrap_or_else(|| gwlab_differential::oracle::egctl_path(&repo));
    if !egctl.is_file() {
        println!(
            "differential: skipped: egctl not found at {} (run scripts/oracle-install.sh)",
            egctl.display()
        );
        return ExitCode::from(3);
    }
    let work = std::env::temp_dir().join(format!("gwlab-differential-{}", std::process::id()));
    if let Some(("show", Some(seed))) = args.command.as_ref().map(|(c, v)| (c.as_str(), v.clone()))
    {
        let Ok(seed) = seed.parse::<u64>() else {
            eprintln!("gwlab-differential: show needs a numeric seed");
            return ExitCode::from(2);
        };
        return show(&egctl, &work, seed);
    }
    let opts = run::RunOptions {
        egctl,
        seeds: (args.seed..args.seed + args.seeds).collect(),
        jobs: args.jobs,
        batch: args.batch,
        work: work.clone(),
        record: args.record,
        record_dir: case::cases_dir(&repo),
        shrink_budget: args.shrink_budget,
    };
    let started = std::time::Instant::now();
    let report = run::run(&opts);
    let _ = std::fs::remove_dir_all(&work);
    for l in report.lines(args.causes) {
        println!("{l}");
    }
    println!(
        "seeds {}..{} in {:.1} s",
        args.seed,
        args.seed + args.seeds,
        started.elapsed().as_secs_f64()
    );
    let ((sa, st), (pa, pt)) = report.tally.totals();
    let below = |floor: Option<f64>, a: usize, t: usize, what: &str| {
        let pct = if t == 0 {
            100.0
        } else {
            100.0 * a as f64 / t as f64
        };
        match floor {
            Some(f) if pct < f => {
                println!("FAIL: {what} agreement {pct:.2}% is below the floor {f}%");
                true
            }
            _ => false,
        }
    };
    let fail =
        below(args.floor_status, sa, st, "status") | below(args.floor_probes, pa, pt, "probe");
    if !report.oracle_errors.is_empty() {
        println!("FAIL: the oracle refused {} generated configurations (the generator must write loadable input)", report.oracle_errors.len());
        return ExitCode::from(1);
    }
    if fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn show(egctl: &std::path::Path, work: &std::path::Path, seed: u64) -> ExitCode {
    std::fs::create_dir_all(work).ok();
    let docs = gen::generate(seed);
    println!("{}", gwlab::emit::to_yaml_stream(&docs));
    let rec = run::oracle_view(egctl, work, "show", &docs, &[]);
    let _ = std::fs::remove_dir_all(work);
    match rec {
        Ok(rec) => {
            let c = compare::compare(&docs, &rec);
            println!("# {} disagreements", c.disagreements.len());
            for d in &c.disagreements {
                println!("#   {}", d.line());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("# oracle: {e}");
            ExitCode::from(1)
        }
    }
}

fn replay(repo: &std::path::Path) -> ExitCode {
    let dir = case::cases_dir(repo);
    let cases = match case::load_all(&dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gwlab-differential: {e}");
            return ExitCode::from(2);
        }
    };
    for c in &cases {
        let r = case::replay(c);
        println!(
            "{} {}: {} disagreements",
            if r.disagreements.is_empty() {
                "ok  "
            } else {
                "FAIL"
            },
            r.name,
            r.disagreements.len()
        );
        for d in &r.disagreements {
            println!("      {}", d.line());
        }
    }
    ExitCode::SUCCESS
}
