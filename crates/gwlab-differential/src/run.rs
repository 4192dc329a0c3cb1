//! A differential run over a range of seeds: generate, translate with the oracle (in parallel),
//! compare, tally, and optionally shrink and record disagreements.

use crate::case::{self, Case};
use crate::compare::{compare, record, Disagreement, Recorded, Tally};
use crate::gen::generate;
use crate::oracle::translate;
use crate::probe::Probe;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct RunOptions {
    pub egctl: PathBuf,
    pub seeds: Vec<u64>,
    pub jobs: usize,
    /// Configurations per oracle call.
    pub batch: usize,
    pub work: PathBuf,
    /// Record up to this many shrunk disagreements (one per signature) into `record_dir`.
    pub record: usize,
    pub record_dir: PathBuf,
    /// Oracle calls allowed per shrink.
    pub shrink_budget: usize,
}

/// One seed's result.
pub struct SeedResult {
    pub seed: u64,
    pub tally: Tally,
    pub disagreements: Vec<Disagreement>,
    /// The oracle refused the configuration (a generator defect: it must write loadable input).
    pub oracle_error: Option<String>,
}

#[derive(Default)]
pub struct RunReport {
    pub tally: Tally,
    pub configurations: usize,
    pub oracle_errors: Vec<(u64, String)>,
    /// signature → (count, first seed, an example line).
    pub causes: BTreeMap<String, (usize, u64, String)>,
    pub recorded: Vec<PathBuf>,
    /// Time spent generating, translating and comparing (shrinking excluded).
    pub compare_seconds: f64,
}

/// The oracle's recorded view of `docs` (with `extra` probes), or None when it refuses them.
pub fn oracle_view(
    egctl: &Path,
    work: &Path,
    tag: &str,
    docs: &[Value],
    extra: &[Probe],
) -> Result<Recorded, String> {
    let yaml = gwlab::emit::to_yaml_stream(docs);
    let out = translate(egctl, &yaml, work, tag)?;
    Ok(record(docs, &out, extra))
}

fn compared(seed: u64, docs: &[Value], out: &crate::oracle::OracleOutput) -> SeedResult {
    let rec = record(docs, out, &[]);
    let c = compare(docs, &rec);
    SeedResult {
        seed,
        tally: c.tally,
        disagreements: c.disagreements,
        oracle_error: None,
    }
}

fn run_seed(opts: &RunOptions, seed: u64, worker: usize) -> SeedResult {
    let docs = generate(seed);
    let yaml = gwlab::emit::to_yaml_stream(&docs);
    match translate(&opts.egctl, &yaml, &opts.work, &format!("w{worker}")) {
        Ok(out) => compared(seed, &docs, &out),
        Err(e) => SeedResult {
            seed,
            tally: Tally::default(),
            disagreements: Vec::new(),
            oracle_error: Some(e),
        },
    }
}

/// A chunk of seeds in one oracle run; when the oracle refuses the lot, each alone (to name the
/// configuration it refuses).
fn run_chunk(opts: &RunOptions, seeds: &[u64], worker: usize) -> Vec<SeedResult> {
    let configs: Vec<Vec<Value>> = seeds.iter().map(|&s| generate(s)).collect();
    let yaml = gwlab::emit::to_yaml_stream(&crate::batch::combine(&configs));
    match translate(&opts.egctl, &yaml, &opts.work, &format!("w{worker}")) {
        Ok(out) => seeds
            .iter()
            .zip(&configs)
            .enumerate()
            .map(|(k, (&seed, docs))| compared(seed, docs, &crate::batch::split(&out, k)))
            .collect(),
        Err(_) => seeds.iter().map(|&s| run_seed(opts, s, worker)).collect(),
    }
}

/// Runs every seed, `batch` configurations per oracle call, `jobs` calls at a time.
pub fn run(opts: &RunOptions) -> RunReport {
    let started = std::time::Instant::now();
    std::fs::create_dir_all(&opts.work).ok();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<SeedResult>> = Mutex::new(Vec::new());
    let chunks: Vec<&[u64]> = opts.seeds.chunks(opts.batch.max(1)).collect();
    std::thread::scope(|s| {
        for w in 0..opts.jobs.max(1) {
            let (next, results, chunks) = (&next, &results, &chunks);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else { break };
                let r = run_chunk(opts, chunk, w);
                results.lock().unwrap_or_else(|e| e.into_inner()).extend(r);
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|r| r.seed);
    let mut report = RunReport::default();
    let mut to_shrink: Vec<(u64, Disagreement)> = Vec::new();
    for r in &results {
        if let Some(e) = &r.oracle_error {
            report.oracle_errors.push((r.seed, e.clone()));
            continue;
        }
        report.configurations += 1;
        report.tally.merge(&r.tally);
        for d in &r.disagreements {
            let sig = d.signature();
            let e = report
                .causes
                .entry(sig)
                .or_insert_with(|| (0, r.seed, d.line()));
            if e.0 == 0 {
                to_shrink.push((r.seed, d.clone()));
            }
            e.0 += 1;
        }
    }
    report.compare_seconds = started.elapsed().as_secs_f64();
    for (seed, d) in to_shrink.into_iter().take(opts.record) {
        if let Some(path) = shrink_and_record(opts, seed, &d) {
            report.recorded.push(path);
        }
    }
    report
}

/// Shrinks one disagreement of `seed` and writes it as a regression case.
fn shrink_and_record(opts: &RunOptions, seed: u64, d: &Disagreement) -> Option<PathBuf> {
    let extra: Vec<Probe> = match d {
        Disagreement::Probe { probe, .. } => vec![probe.clone()],
        _ => Vec::new(),
    };
    let keeps = |docs: &[Value]| match oracle_view(&opts.egctl, &opts.work, "shrink", docs, &extra)
    {
        Ok(rec) => crate::compare::still_disagrees(d, docs, &rec),
        Err(_) => false,
    };
    let small = crate::shrink::shrink(generate(seed), opts.shrink_budget, keeps);
    let oracle = oracle_view(&opts.egctl, &opts.work, "shrink", &small, &extra).ok()?;
    let mut n = 0;
    let name = loop {
        let name = format!("seed-{seed}-{n}");
        if !opts.record_dir.join(format!("{name}.json")).exists() {
            break name;
        }
        n += 1;
    };
    let c = Case {
        name,
        seed,
        found: d.line(),
        manifests: small,
        oracle,
    };
    case::write(&opts.record_dir, &c).ok()
}

fn pct(a: usize, t: usize) -> String {
    if t == 0 {
        "-".into()
    } else {
        format!("{:.2}%", 100.0 * a as f64 / t as f64)
    }
}

impl RunReport {
    /// The agreement table per kind, then the totals and the causes.
    pub fn lines(&self, causes: usize) -> Vec<String> {
        let mut out = vec![format!(
            "configurations: {} (oracle refused {}), compared in {:.1} s",
            self.configurations,
            self.oracle_errors.len(),
            self.compare_seconds
        )];
        out.push(format!(
            "{:<24} {:>16} {:>9}",
            "status facts", "agreed/total", ""
        ));
        for (k, (a, t)) in &self.tally.status {
            out.push(format!(
                "  {:<22} {:>16} {:>9}",
                k,
                format!("{a}/{t}"),
                pct(*a, *t)
            ));
        }
        out.push(format!("{:<24} {:>16}", "probes", "agreed/total"));
        for (k, (a, t)) in &self.tally.probes {
            out.push(format!(
                "  {:<22} {:>16} {:>9}",
                k,
                format!("{a}/{t}"),
                pct(*a, *t)
            ));
        }
        for (why, n) in &self.tally.excluded {
            out.push(format!("  not counted: {n} probes, {why}"));
        }
        let ((sa, st), (pa, pt)) = self.tally.totals();
        out.push(format!(
            "total: status {sa}/{st} ({}), probes {pa}/{pt} ({})",
            pct(sa, st),
            pct(pa, pt)
        ));
        let mut causes_sorted: Vec<_> = self.causes.iter().collect();
        causes_sorted.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        if !causes_sorted.is_empty() {
            out.push(format!(
                "disagreements by kind ({} kinds):",
                causes_sorted.len()
            ));
        }
        for (sig, (n, seed, example)) in causes_sorted.into_iter().take(causes) {
            out.push(format!("  {n:>5} × {sig}"));
            out.push(format!("          e.g. seed {seed}: {example}"));
        }
        for (seed, e) in self.oracle_errors.iter().take(5) {
            out.push(format!("  oracle refused seed {seed}: {e}"));
        }
        for p in &self.recorded {
            out.push(format!("  recorded {}", p.display()));
        }
        out
    }
}
